"""The rehearsal HTML report (jinja2): per slide its thumbnail beside each command, expected, actual, diff."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..files import write_atomic

TEMPLATE = "rehearse.html.j2"


def _thumbnail_path(out_dir: Path, deck_path: str, index: int) -> Path:
    """The render engineer's thumbnail location (DIR/<stem>/thumbs/NNN.png); imported when it exists."""
    try:
        from ..browser import thumbnail_path
    except ImportError:
        try:
            from ..browser.sheet import thumbnail_path
        except ImportError:
            return Path(out_dir) / Path(deck_path).stem / "thumbs" / f"{index:03d}.png"
    return thumbnail_path(Path(out_dir), Path(deck_path), index)


def thumbnail_uri(out_dir: Path | None, deck_path: str, index: int) -> str | None:
    """A data: URI (the report stays one file) or None when the slide was never rendered."""
    if out_dir is None or index < 1:
        return None
    path = _thumbnail_path(out_dir, deck_path, index)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


@dataclass
class SlideView:
    index: int
    title: str
    status: str
    seconds: float
    thumbnail: str | None
    results: list = field(default_factory=list)


def slides_of(deck, results, out_dir: Path | None) -> list[SlideView]:
    views: dict[tuple, SlideView] = {}
    for r in results:
        s = r.snippet
        key = (s.slide, s.role if s.slide == 0 else "")
        if key not in views:
            title = s.title if s.slide else s.role
            views[key] = SlideView(s.slide, title, "skip", 0.0, thumbnail_uri(out_dir, deck.path, s.slide))
        view = views[key]
        view.results.append(r)
        view.seconds += r.seconds
    for view in views.values():
        statuses = {r.status for r in view.results}
        view.status = "fail" if "fail" in statuses else "pass" if "pass" in statuses else "skip"
    return list(views.values())


def render(runs: Sequence[tuple], out_dir: Path | None) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("deckops.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    decks = [{"path": deck.path, "slides": slides_of(deck, results, out_dir),
              "count": {k: sum(r.status == k for r in results) for k in ("pass", "fail", "skip")}}
             for deck, results in runs]
    total = {k: sum(d["count"][k] for d in decks) for k in ("pass", "fail", "skip")}
    return env.get_template(TEMPLATE).render(decks=decks, total=total)


def write(path: Path, runs: Sequence[tuple], out_dir: Path | None = None) -> None:
    write_atomic(Path(path), render(runs, out_dir).encode("utf-8"))
