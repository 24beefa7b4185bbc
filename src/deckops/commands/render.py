"""`deckops render`: decks -> DIR/<stem>.html|.pdf|.pptx and DIR/<stem>/NNN.png; render's findings like lint's."""
from __future__ import annotations

import sys

from .. import render as render_lib
from ..errors import UsageError
from ..findings import apply
from ..report.text import render_text
from ._common import exit_code, load_config, progress_bar, with_rule_args
from .deck_files import collect_decks


def parse_formats(raw: str) -> list[str]:
    """--to html,pdf -> the formats, in order, once each; an unknown one is a usage error."""
    formats = [f.strip().lower() for f in (raw or "").split(",") if f.strip()]
    bad = [f for f in formats if f not in render_lib.FORMATS]
    if bad or not formats:
        raise UsageError(f"--to {raw}: choose a comma-separated list of {', '.join(render_lib.FORMATS)}")
    return list(dict.fromkeys(formats))


def run(args) -> int:
    config = with_rule_args(args, load_config(args))
    formats = parse_formats(args.to)
    decks = collect_decks(args.decks, config, getattr(args, "shard", None))
    out = render_lib.out_dir(config, args.out)
    result = render_lib.render(decks, config, out, formats, force=args.force, progress=progress_bar("rendering"))
    diags = apply(result.diags, config)  # select/ignore/severity and inline disables, as for lint
    if diags:
        sys.stdout.write(render_text(diags, len(decks)))
    print(f"deckops render: {result.rendered} rendered, {result.current} current -> {out} "
          f"({', '.join(formats)})", file=sys.stderr)
    return exit_code(diags)
