"""The rehearsal HTML report (jinja2): per slide its thumbnail and the snippets' recordings (asciinema-player,
bundled into the page) beside each command, expected, actual, diff; each slide's share of the talk's time."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..browser.sheet import thumbnail_path  # (stdlib only at import: no render extra needed)
from ..files import write_atomic
from ..rehearse.verdict import Status

TEMPLATE = "rehearse.html.j2"


def thumbnail_uri(out_dir: Path | None, deck_path: str, index: int) -> str | None:
    """A data: URI (the report stays one file) or None when the slide was never rendered."""
    if out_dir is None or index < 1:
        return None
    path = thumbnail_path(Path(out_dir), Path(deck_path), index)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


@dataclass
class SlideView:
    index: int
    title: str
    status: Status
    seconds: float
    thumbnail: str | None
    results: list = field(default_factory=list)
    casts: list = field(default_factory=list)  # (name, asciicast text) of the slide's recorded snippets
    budget: str = ""  # the slide's share of the talk and the running total (deckops time)


def player_assets() -> tuple[str, str] | None:
    """asciinema-player's bundled JS and CSS (package.json pins it): the checkout's node_modules, else the one
    `deckops setup` installed; None when neither has it (the report then shows each final screen as text)."""
    from .. import _shipped, setup_node

    for root in (_shipped.path("package.json").parent, setup_node.cache_dir()):
        bundle = root / "node_modules" / "asciinema-player" / "dist" / "bundle"
        try:
            return ((bundle / "asciinema-player.min.js").read_text(encoding="utf-8"),
                    (bundle / "asciinema-player.css").read_text(encoding="utf-8"))
        except OSError:
            continue
    return None


def _casts(deck, results, recordings: Path | None) -> dict[int, tuple[str, str]]:
    """Result index -> (name, asciicast text) for those with a recording in the folder."""
    if recordings is None:
        return {}
    from ..rehearse import record

    out = {}
    for i, path in record.find(Path(recordings), deck.path, [r.snippet for r in results]).items():
        try:
            cast = record.read(path)
        except record.CastError:
            continue
        final = record.screen(cast.events)
        # the player shows the lines used, not the 120x40 pty: readable at the thumbnail's width
        size = (max(4, len(final) + 1), min(120, max([40] + [len(l) + 2 for l in final])))
        out[i] = (path.stem, path.read_text(encoding="utf-8"), "\n".join(final), size)
    return out


def _budgets(deck, results) -> dict[int, str]:
    """Slide -> `0:27 (0:50 so far)`: the budget with this rehearsal's run times and the default pace."""
    from ..rehearse import budget

    runs = {i: r.seconds for i, r in enumerate(results) if r.status != "skip"}
    rows = budget.budget(deck, [r.snippet for r in results], runs, budget.Pace()).rows
    return {row.slide: f"{budget.clock(row.total)} ({budget.clock(row.cumulative)} so far)" for row in rows}


def slides_of(deck, results, out_dir: Path | None, recordings: Path | None = None) -> list[SlideView]:
    views: dict[tuple, SlideView] = {}
    casts = _casts(deck, results, recordings)
    budgets = _budgets(deck, results) if getattr(deck, "slides", None) else {}
    for n, r in enumerate(results):
        s = r.snippet
        key = (s.slide, s.role if s.slide == 0 else "")
        if key not in views:
            title = s.title if s.slide else s.role
            views[key] = SlideView(s.slide, title, "skip", 0.0, thumbnail_uri(out_dir, deck.path, s.slide),
                                   budget=budgets.get(s.slide, ""))
        view = views[key]
        view.results.append(r)
        view.seconds += r.seconds
        if n in casts:
            view.casts.append(casts[n])
    for view in views.values():
        statuses = {r.status for r in view.results}
        view.status = "fail" if "fail" in statuses else "pass" if "pass" in statuses else "skip"
    return list(views.values())


def render(runs: Sequence[tuple], out_dir: Path | None, recordings: Path | None = None) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("deckops.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    decks = [{"path": deck.path, "slides": slides_of(deck, results, out_dir, recordings),
              "count": {k: sum(r.status == k for r in results) for k in ("pass", "fail", "skip")}}
             for deck, results in runs]
    total = {k: sum(d["count"][k] for d in decks) for k in ("pass", "fail", "skip")}
    recorded = any(v.casts for d in decks for v in d["slides"])
    player = player_assets() if recorded else None
    return env.get_template(TEMPLATE).render(decks=decks, total=total, player=player, recorded=recorded)


def write(path: Path, runs: Sequence[tuple], out_dir: Path | None = None, recordings: Path | None = None) -> None:
    write_atomic(Path(path), render(runs, out_dir, recordings).encode("utf-8"))
