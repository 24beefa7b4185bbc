"""The one finding pipeline: one filter for the findings of every stage (lint, render, browser checks, rehearse):
select/ignore (the more specific entry wins), severity, inline disables, one finding per cause. The catalogue
of rules it filters by is lint/catalogue.py."""
from __future__ import annotations

from dataclasses import replace

from .config import Config
from .diagnostic import Diagnostic
from .lint.catalogue import catalogue


def apply(diags: list[Diagnostic], config: Config) -> list[Diagnostic]:
    """select/ignore/severity and inline disables for findings from any stage (lint's passed the same filter in
    its engine; passing it again changes nothing), then one finding per cause."""
    from . import deck as deck_mod
    from .lint.engine import filter_disabled, selected, severity_of

    entries = catalogue()
    kept = []
    for d in diags:
        entry = entries.get(d.code)
        if entry is None:  # D000 internal errors always show
            kept.append(d)
            continue
        if not selected(d.code, d.name, config):
            continue
        sev = severity_of(d.code, d.name, d.severity if entry.stage == "lint" else entry.severity, config)
        if sev == "off":
            continue
        kept.append(d if sev == d.severity else replace(d, severity=sev))
    by_path: dict[str, list[Diagnostic]] = {}
    for d in kept:
        by_path.setdefault(d.path, []).append(d)
    out = []
    for path, group in by_path.items():
        # every catalogue finding: render's refusals carry lint's codes (D304, D001) and met no engine; for lint's
        # own findings the deck's disables have passed already, and pass again (idempotent)
        later = [d for d in group if d.code in entries]
        if later and path.endswith(".md"):
            shown = set(filter_disabled(later, deck_mod.load(path)))
            group = [d for d in group if d not in later or d in shown]
        out.extend(group)
    return one_per_cause(out)


# the codes that report one broken image reference, most precise stage first: lint (the file is missing or
# outside the repo), the browser (it did not load), marp-cli (its warning, placed at the references it may mean)
_IMAGE_CAUSE = {"D301": 0, "D304": 0, "D602": 1, "D603": 2}


def one_per_cause(diags: list[Diagnostic]) -> list[Diagnostic]:
    """One finding per broken image reference across lint, render and check: at a line where an earlier stage
    reported the image (lint's missing-image or path-outside-repo, else the browser's image-not-rendered), the
    later stages' findings (image-not-rendered, marp-warning) are dropped."""
    best: dict[tuple[str, int], int] = {}
    for d in diags:
        if d.code in _IMAGE_CAUSE:
            key = (d.path, d.line)
            best[key] = min(best.get(key, 9), _IMAGE_CAUSE[d.code])
    return [d for d in diags if d.code not in _IMAGE_CAUSE or _IMAGE_CAUSE[d.code] == best[(d.path, d.line)]]
