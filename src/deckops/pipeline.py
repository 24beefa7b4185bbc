"""The default pipeline `deckops build` (and build.py) runs on slides/: lint, then render and browser checks."""
from __future__ import annotations

import sys

from .config import Config


def run(args, config: Config) -> int:
    from .decks import collect_decks, exit_code, lint_decks
    from .report.text import render as text_report

    decks = collect_decks(args.decks, config)
    diags = lint_decks(decks, config)
    sys.stdout.write(text_report(diags, len(decks)))
    code = exit_code(diags)
    if code:
        print("deckops build: lint found errors; not rendering", file=sys.stderr)
        return code
    return _render_and_check(args, config, decks)


def _render_and_check(args, config: Config, decks) -> int:
    try:
        from . import browser
    except ImportError:  # render/browser checks not built yet
        return 0
    return browser.build(args, config, decks)
