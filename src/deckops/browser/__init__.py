"""`deckops check` and the render+check half of `deckops build`: rendered slides checked in headless Chromium."""
from __future__ import annotations

import sys
from pathlib import Path

from ..config import Config
from ..diagnostic import Diagnostic, Pos
from ..render import Renderer, html_warning, out_dir, plan
from ..render.job import Progress
from ..render.workdir import locked, temp_dir
from . import checks, sheet
from .measure import SCRIPT
from .sheet import contact_path, thumbnail_path

__all__ = ["build", "check_targets", "contact_path", "run", "thumbnail_path"]

CHECK_VERSION = "check-1"  # bump when the measuring script or the diagnostics change


def check_targets(targets, renderer: Renderer, out: Path) -> list[Diagnostic]:
    """Render stale decks with the bare template, measure them in one Chromium, cache the results."""
    stale, diags = [], []
    for t in targets:
        h = renderer.hash(t, CHECK_VERSION, "bare")
        entry = None if renderer.force else renderer.cache.current(t, "check", h, out)
        if entry is None:
            stale.append((t, h))
        else:
            diags += [_from_dict(d) for d in entry.get("diags", ())]
    if not stale:
        return diags
    from .session import Browser

    pending = renderer.start([t for t, _ in stale], ["html"], template="bare", in_place=True)
    jobs = [(pending.staged[t].with_suffix(".html"), pending.staged[t].with_suffix(".shot.jpg")) for t, _ in stale]
    try:
        with Browser(renderer.chrome()) as browser:  # Chromium starts while marp-cli renders
            diags += renderer.finish(pending)
            measured = browser.measure_many(jobs, SCRIPT)
    finally:
        for b in pending.batches:
            b.kill()
    for (t, h), (_, shot), slides in zip(stale, jobs, measured):
        found = checks.diagnostics(t.deck, str(t.path), slides)
        flagged = checks.flagged(slides)
        outputs = sheet.write(shot, slides, out, t.path, flagged) if slides else []
        renderer.cache.put(t, "check", h, outputs, diags=[d.as_dict() for d in found])
        diags += found
    renderer.cache.save()
    return diags


def _from_dict(d: dict) -> Diagnostic:
    return Diagnostic(d["code"], d["name"], d["severity"], Pos(d["path"], d["line"], d["column"]),
                      d["message"], d.get("hint", ""))


def _dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen = {}
    for d in diags:
        seen.setdefault((d.code, d.pos, d.message), d)
    return sorted(seen.values(), key=Diagnostic.sort_key)


def _progress(label: str):
    return Progress(label) if Progress.wanted() else None


def check(decks: list[Path], config: Config, out: Path, *, force: bool = False,
          formats: tuple[str, ...] = ()) -> list[Diagnostic]:
    """Browser checks (and, with formats, a render of those formats running alongside them)."""
    with locked(out), temp_dir(out) as tmp:
        renderer = Renderer(config, out, tmp, force=force, progress=_progress("rendering"))
        targets, diags = plan(decks, config.root, renderer.cache.memo)
        pending = renderer.start(targets, list(formats)) if formats else None
        try:
            diags += check_targets(targets, renderer, out)
        except BaseException:
            for b in pending.batches if pending else ():
                b.kill()
            raise
        if pending:
            diags += renderer.finish(pending)
        renderer.cache.save()
    return html_warning(config) + diags


def run(args, config: Config) -> int:
    """`deckops check`: lint + render HTML + browser checks, reported like lint."""
    from ..cli import collect_decks, emit, exit_code, lint_decks, report

    decks = collect_decks(args.decks, config)
    diags = lint_decks(decks, config)
    diags = _dedupe(diags + check(decks, config, out_dir(args, config), force=args.force, formats=("html",)))
    emit(report(diags, len(decks), args), args.output)
    return exit_code(diags)


def build(args, config: Config, decks: list[Path]) -> int:
    """After lint passed: HTML + PDF into DIR/ and the browser checks, all in one locked run."""
    from ..report.text import render as text_report

    out = out_dir(args, config)
    diags = _dedupe(check(decks, config, out, force=getattr(args, "force", False), formats=("html", "pdf")))
    sys.stdout.write(text_report(diags, len(decks)))
    print(f"deckops build: outputs in {out}", file=sys.stderr)
    return 1 if any(d.severity == "error" for d in diags) else 0
