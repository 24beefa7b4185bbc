"""Rendering decks -> DIR/<stem>.html|.pdf|.pptx and DIR/<stem>/NNN.png through the pinned marp-cli."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..diagnostic import Diagnostic, Pos
from .job import Renderer
from .plan import Target, plan
from .workdir import locked, temp_dir

FORMATS = ("html", "pdf", "pptx", "png")

__all__ = ["FORMATS", "RenderResult", "Renderer", "Target", "html_warning", "out_dir", "plan", "render"]


@dataclass
class RenderResult:
    """What a render run found and did."""

    diags: list[Diagnostic]
    rendered: int  # decks re-rendered
    current: int  # decks whose outputs were already current


def out_dir(config: Config, out: Path | None = None) -> Path:
    """`out` (--out), else config `out` (relative to the repo root), else dist/."""
    return (Path(out) if out else config.root / (config.out or "dist")).resolve()


def html_warning(config: Config) -> list[Diagnostic]:
    """D604: html = true lets raw HTML through marp (scripts, iframes, style attributes)."""
    if not config.html:
        return []
    line = 1
    try:
        text = Path(config.source).read_text(encoding="utf-8").splitlines()
        line = next((n for n, t in enumerate(text, 1) if re.match(r"\s*html\s*=", t)), 1)
    except OSError:
        pass
    return [Diagnostic("D604", "html-enabled", "warning", Pos(config.source, line, 1),
                       "html = true: marp-cli renders raw HTML in decks as-is (<script>, <iframe>, style "
                       "attributes, event handlers), so a deck can run code when its HTML is opened",
                       "keep it only for decks you trust; without it marp keeps a safe allowlist of tags")]


def render(paths: list[Path], config: Config, out: Path, formats: list[str], *, force: bool = False,
           progress=None) -> RenderResult:
    """Render every deck in one marp-cli batch per format; skip decks whose outputs are current.
    `progress`: a bar the caller shows (start(total) -> advance, stop()), or None."""
    with locked(out), temp_dir(out) as tmp:
        renderer = Renderer(config, out, tmp, force=force, progress=progress)
        targets, diags = plan(paths, config.root, renderer.cache.memo)
        pending = renderer.start(targets, formats)
        diags += renderer.finish(pending)
        renderer.cache.save()
    return RenderResult(html_warning(config) + diags, len(pending.stale), len(targets) - len(pending.stale))
