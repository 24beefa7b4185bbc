"""`deckops render`: decks -> DIR/<stem>.html|.pdf|.pptx and DIR/<stem>/NNN.png through the pinned marp-cli."""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..diagnostic import Diagnostic, Pos
from ..errors import UsageError
from .job import Progress, Renderer
from .plan import Target, plan
from .workdir import locked, temp_dir

FORMATS = ("html", "pdf", "pptx", "png")

__all__ = ["FORMATS", "Outcome", "Renderer", "Target", "html_warning", "out_dir", "parse_formats",
           "plan", "render", "run"]


@dataclass
class Outcome:
    diags: list[Diagnostic]
    rendered: int  # decks re-rendered
    current: int  # decks whose outputs were already current


def parse_formats(raw: str) -> list[str]:
    formats = [f.strip().lower() for f in (raw or "").split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise UsageError(f"--to {raw}: choose a comma-separated list of {', '.join(FORMATS)}")
    return list(dict.fromkeys(formats))


def out_dir(args, config: Config) -> Path:
    """--out, else config `out` (relative to the repo root), else dist/."""
    out = getattr(args, "out", None)
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
           label: str = "rendering") -> Outcome:
    """Render every deck in one marp-cli batch per format; skip decks whose outputs are current."""
    with locked(out), temp_dir(out) as tmp:
        renderer = Renderer(config, out, tmp, force=force, progress=Progress(label) if Progress.wanted() else None)
        targets, diags = plan(paths, config.root, renderer.cache.memo)
        pending = renderer.start(targets, formats)
        diags += renderer.finish(pending)
        renderer.cache.save()
    return Outcome(html_warning(config) + diags, len(pending.stale), len(targets) - len(pending.stale))


def run(args, config: Config) -> int:
    from ..decks import collect_decks, exit_code
    from ..report.text import render as text_report

    formats = parse_formats(args.to)
    decks = collect_decks(args.decks, config, getattr(args, "shard", None))
    out = out_dir(args, config)
    outcome = render(decks, config, out, formats, force=args.force)
    from ..findings import apply

    diags = apply(outcome.diags, config)  # select/ignore/severity and inline disables, as for lint
    if diags:
        sys.stdout.write(text_report(diags, len(decks)))
    print(f"deckops render: {outcome.rendered} rendered, {outcome.current} current -> {out} "
          f"({', '.join(formats)})", file=sys.stderr)
    return exit_code(diags)
