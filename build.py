#!/usr/bin/env python3
"""Build the talk in slides/: lint, render (HTML, PDF) and browser checks into dist/.

`python build.py` runs the default pipeline; `python build.py SUBCOMMAND ...` passes through to deckops.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
from deckops.__main__ import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["build"]))
