"""`deckops check`: lint + render HTML + the browser checks in headless Chromium, reported like lint."""
from __future__ import annotations

from ..extras import require_render
from ..findings import apply
from ..lint import lint_files
from ..render import out_dir
from ._common import emit, exit_code, load_config, progress_bar, report, with_rule_args
from .deck_files import collect_decks


def run(args) -> int:
    require_render("check")
    from .. import browser

    config = with_rule_args(args, load_config(args))
    decks = collect_decks(args.decks, config, getattr(args, "shard", None))
    out = out_dir(config, args.out)
    with browser.prelaunched(decks, out, args.force, config.online) as early:  # Chromium starts while lint runs
        diags = lint_files(decks, config)
        found = browser.check(decks, config, out, force=args.force, early=early, progress=progress_bar("rendering"))
    linted = {(d.code, d.pos) for d in diags}  # lint's D304 and render's refusal name the same reference
    found = [d for d in found if (d.code, d.pos) not in linted]
    diags = apply(browser.dedupe(diags + found), config)  # check's own findings obey select/ignore/disables
    emit(report(diags, len(decks), args), args.output)
    return exit_code(diags)
