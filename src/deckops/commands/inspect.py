"""`deckops inspect`: the deck model as Marp reads it, one line per slide or the whole model as JSON."""
from __future__ import annotations

import sys

from .. import deck as deck_mod
from ..report import model
from ._common import emit, load_config
from .deck_files import collect_decks


def run(args) -> int:
    config = load_config(args)
    decks = [deck_mod.load(p) for p in collect_decks(args.decks, config)]
    emit((model.render_json if args.format == "json" else model.render_text)(decks), args.output)
    failed = [i for d in decks for i in d.issues if i.kind in ("read", "too-large")]
    for issue in failed:
        print(f"deckops: error: {issue.message}", file=sys.stderr)
    return 2 if failed else 0
