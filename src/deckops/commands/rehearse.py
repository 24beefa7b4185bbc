"""`deckops rehearse`: run the decks' snippets against a sandbox cluster and compare their output."""
from __future__ import annotations

from ._common import load_config, with_rule_args


def run(args) -> int:
    from ..findings import apply
    from ..rehearse import command

    config = with_rule_args(args, load_config(args))
    return command.run(args, config, keep=lambda diags: apply(diags, config))
