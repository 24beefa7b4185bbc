"""The default pipeline `deckops build` (and build.py) runs on slides/: lint, then render and browser checks."""
from __future__ import annotations

import sys

from .config import Config


def run(args, config: Config) -> int:
    from . import browser
    from .decks import collect_decks, exit_code, lint_decks
    from .render import out_dir
    from .report.text import render as text_report

    decks = collect_decks(args.decks, config)
    with browser.prelaunched(decks, out_dir(args, config), getattr(args, "force", False),
                             config.online) as early:  # during lint
        diags = lint_decks(decks, config)
        sys.stdout.write(text_report(diags, len(decks)))
        code = exit_code(diags)
        if code:
            print("deckops build: lint found errors; not rendering", file=sys.stderr)
            return code
        return browser.build(args, config, decks, early)
