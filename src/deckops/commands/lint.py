"""`deckops lint`: every defect of the decks as positioned findings; exit 1 on errors."""
from __future__ import annotations

import dataclasses

from ..lint import lint_files
from ._common import emit, exit_code, load_config, report, with_rule_args
from .deck_files import collect_decks


def run(args) -> int:
    config = with_rule_args(args, load_config(args))
    if args.online:
        config = dataclasses.replace(config, online=True)
    decks = collect_decks(args.decks, config, getattr(args, "shard", None))
    diags = lint_files(decks, config)
    emit(report(diags, len(decks), args), args.output)
    return exit_code(diags)
