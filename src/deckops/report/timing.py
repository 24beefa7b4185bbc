"""`deckops time` output: the per-slide budget as a text table or JSON (pure functions)."""
from __future__ import annotations

import json
from typing import Sequence

from ..rehearse.budget import Budget, clock

HEADING_WIDTH = 40


def _heading(text: str) -> str:
    text = " ".join(text.split()) or "(untitled)"
    return text if len(text) <= HEADING_WIDTH else text[: HEADING_WIDTH - 1] + "…"


def render_text(budgets: Sequence[Budget]) -> str:
    out = []
    for b in budgets:
        out.append(f"{b.deck}: {len(b.rows)} slides, notes at {b.pace.wpm:g} wpm, typing at {b.pace.pace:g} "
                   f"characters/s, {b.pace.allowance:g}s per slide"
                   + (f"; run times from {b.source}" if b.source else ""))
        out.append(f"{'slide':>5}  {'heading':<{HEADING_WIDTH}}  {'notes':>6}  {'demo':>6}   {'total':>6}   "
                   f"{'cumulative':>10}")
        for r in b.rows:
            demo = clock(r.demo) if r.demo or r.unmeasured else "-"
            out.append(f"{r.slide:>5}  {_heading(r.heading):<{HEADING_WIDTH}}  {clock(r.notes):>6}  {demo:>6}"
                       f"{'?' if r.unmeasured else ' '}  {clock(r.total):>6}{'*' if r.set_to is not None else ' '}  "
                       f"{clock(r.cumulative):>10}")
        out.extend(_footer(b))
    return "\n".join(out) + "\n"


def _footer(b: Budget) -> list[str]:
    lines = []
    if any(r.set_to is not None for r in b.rows):
        lines.append("* set by the slide's <!-- time: ... --> comment")
    if b.unmeasured:
        lines.append(f"? {b.unmeasured} snippet{'s' * (b.unmeasured != 1)} without a measured run time (typing "
                     "only): rehearse with --record DIR or --junit FILE first")
    total = clock(b.total)
    if b.pace.target is None:
        lines.append(f"total {total} (no target: --target 30m or [tool.deckops.time] target)")
    elif b.over:
        lines.append(f"total {total}: {clock(b.total - b.pace.target)} over the target {clock(b.pace.target)}")
    else:
        lines.append(f"total {total} of the target {clock(b.pace.target)} ({clock(b.pace.target - b.total)} left)")
    return lines


def data(b: Budget) -> dict:
    return {
        "deck": b.deck, "wpm": b.pace.wpm, "pace": b.pace.pace, "allowance": b.pace.allowance,
        "target": b.pace.target, "total": round(b.total, 3), "over": b.over, "source": b.source,
        "slides": [{"slide": r.slide, "heading": r.heading, "words": r.words, "notes": round(r.notes, 3),
                    "typing": round(r.typing, 3), "run": round(r.run, 3), "demo": round(r.demo, 3),
                    "unmeasured": r.unmeasured, "allowance": r.allowance, "set": r.set_to,
                    "total": round(r.total, 3), "cumulative": round(r.cumulative, 3)} for r in b.rows],
    }


def render_json(budgets: Sequence[Budget]) -> str:
    return json.dumps({"decks": [data(b) for b in budgets]}, indent=2, ensure_ascii=False) + "\n"
