"""`deckops build` (and build.py): the default pipeline on slides/: lint, then render (html, pdf) and browser checks."""
from __future__ import annotations

import sys

from ..diagnostic import count
from ..extras import require_render
from ..findings import apply
from ..lint import lint_files
from ..render import out_dir
from ..report.text import render_text
from ._common import exit_code, load_config, progress_bar, with_rule_args
from .deck_files import collect_decks


def run(args) -> int:
    require_render("build")
    from .. import browser

    config = with_rule_args(args, load_config(args))
    decks = collect_decks(args.decks, config)
    out = out_dir(config, args.out)
    with browser.prelaunched(decks, out, args.force, config.online) as early:  # during lint
        diags = lint_files(decks, config)
        sys.stdout.write(render_text(diags, len(decks)))
        code = exit_code(diags)
        if code:
            print("deckops build: lint found errors; not rendering", file=sys.stderr)
            return code
        found = browser.check(decks, config, out, force=args.force, formats=("html", "pdf"), early=early,
                              progress=progress_bar("rendering"))
    diags = apply(browser.dedupe(found), config)
    if diags:  # lint already printed its summary: only the findings of render and the browser here
        sys.stdout.write("\n".join(render_text(diags, len(decks)).splitlines()[:-1]) + "\n")
    print(f"deckops build: html, pdf, contact sheets in {out}; render and browser checks: "
          f"{count(diags, 'error')} errors, {count(diags, 'warning')} warnings", file=sys.stderr)
    if count(diags, "error"):
        return 1
    from .rehearse import in_build  # (when a cluster is configured: rehearse, recording every green snippet)

    return in_build(decks, config, out)
