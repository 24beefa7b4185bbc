"""`deckops serve`: the live preview (serve.py) with its findings and reload lines on the terminal."""
from __future__ import annotations

import re
import sys

from ..errors import UsageError
from ..extras import require_render
from ..render import out_dir
from ..report.text import render_text
from ._common import load_config
from .deck_files import collect_decks


def run(args) -> int:
    require_render("serve", ("watchfiles",))
    import watchfiles

    from .. import serve
    from ..files import make_dir
    from ..render.workdir import temp_dir

    config = load_config(args)
    decks = collect_decks(args.decks, config)
    outside = [d for d in decks if not d.resolve().is_relative_to(config.root.resolve())]
    if outside:
        raise UsageError(f"{outside[0]}: deckops serve previews decks inside the repository ({config.root}) only")
    state = serve.State(decks, config, out_dir(config, args.out))
    make_dir(state.out)
    with temp_dir(state.out) as tmp:
        try:
            _say(render_text(state.start(tmp), len(decks)))
            serve.serve(state, args.port, watchfiles, _ready, lambda new, line: _say(_lines(new) + line + "\n"))
        finally:
            if state.live is not None:
                state.live.stop()
    return 0


def _ready(url: str) -> None:
    print(f"deckops serve: {url} (^C to stop)", file=sys.stderr, flush=True)


def _lines(diags) -> str:
    """The new findings, one line each, without hints or the summary."""
    if not diags:
        return ""
    text = render_text(diags, 1, hints=False)
    return "".join(line + "\n" for line in text.splitlines() if not re.match(r"^\d+ files? checked", line))


def _say(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
