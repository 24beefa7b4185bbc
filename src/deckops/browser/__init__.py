"""Rendered slides checked in headless Chromium (`deckops check`, and the render+check half of `deckops build`)."""
from __future__ import annotations

import contextlib
from pathlib import Path

from .. import marp
from ..config import Config
from ..diagnostic import Diagnostic
from ..render import Renderer, html_warning, plan
from ..render.job import Pending
from ..render.workdir import locked, temp_dir
from . import checks, combine, sheet
from .measure import SCRIPT
from .sheet import contact_path, thumbnail_path

__all__ = ["check", "check_targets", "contact_path", "dedupe", "prelaunch", "prelaunched", "thumbnail_path"]

CHECK_VERSION = "check-5"  # bump when the measuring script or the diagnostics change


def prelaunch(decks: list[Path], out: Path, force: bool = False, network: bool = False):
    """A Chromium started in the background while lint runs, when some deck probably needs the checks (a
    deck file newer than the output folder's cache, or no cache); else None. A wrong guess costs only a
    launch: check() closes an unused one, and starts its own when none was guessed (or when this one's
    `network` is not what the config allows)."""
    from ..render.cache import CACHE_NAME
    from .session import Browser

    try:
        done = (out / CACHE_NAME).stat().st_mtime_ns
    except OSError:
        done = None  # no cache yet: every deck is new here
    try:
        if not force and done is not None and all(Path(d).stat().st_mtime_ns < done for d in decks):
            return None
        # its folder in the output folder when there is one (same disk as the staged copies), else in the system's
        # temp folder: a lint that fails must not leave an empty output folder behind
        return Browser(marp.find_chrome(), base=out if out.is_dir() else None, network=network).start()
    except Exception:  # noqa: BLE001 - only a guess: no Chromium, a deck lint reports...; check() tells
        return None


@contextlib.contextmanager
def prelaunched(decks: list[Path], out: Path, force: bool = False, network: bool = False):
    """prelaunch() for the span of a `with` block (lint, then the checks); closed at its end, a no-op when the
    checks used it."""
    early = prelaunch(decks, out, force, network)
    try:
        yield early
    finally:
        if early is not None:
            early.close()


def check_targets(targets, renderer: Renderer, out: Path, html: Pending, early=None) -> list[Diagnostic]:
    """Measure stale decks in one Chromium from their bespoke HTML (as `html` renders it); cache the results.
    `early`: a browser prelaunch() started, used here if any deck is stale."""
    stale, diags = [], []
    for t in targets:
        h = renderer.hash(t, CHECK_VERSION, "bare")
        entry = None if renderer.force else renderer.cache.current(t, "check", h, out)
        if entry is None:
            stale.append((t, h))
        else:
            diags += [Diagnostic.from_dict(d) for d in entry.get("diags", ())]
    if not stale:  # an early browser, unused, is closed by whoever started it
        return diags + renderer.finish(html)
    from .session import Browser

    todo = [t for t, _ in stale]
    slides: dict = {}
    outputs: dict = {}
    online = renderer.config.online
    if early is not None and early.network != online:
        early = None  # its sandbox lets in more (or less) network than the config allows: its starter closes it
    with early or Browser(renderer.chrome(), base=out, network=online).start() as browser:  # while marp renders
        diags += renderer.finish(html)
        todo = _measure(browser, _bare_pages(renderer, browser, todo, out), out, slides, outputs, online)
        if todo:  # a joined page that did not split into its decks: those decks alone
            _measure(browser, _bare_pages(renderer, browser, todo, out, joined=False), out, slides, outputs, online)
    for t, h in stale:
        found = checks.diagnostics(t.deck, str(t.path), slides.get(t, []), network=online)
        renderer.cache.put(t, "check", h, outputs.get(t, []), diags=[d.as_dict() for d in found])
        diags += found
    return diags


def _measure(browser, pages: list[tuple[Path, list]], out: Path, slides: dict, outputs: dict,
             network: bool = True) -> list:
    """Measure the pages; fills slides and outputs (thumbnails, contact sheet) per deck. Returns the decks of
    pages that did not split into their decks."""

    cut: dict[tuple[int, int], list] = {}  # (page, deck) -> thumbnails so far (a long deck spans captures)

    def pictures(i: int, shot) -> None:  # a worker thread, one capture after the other per page
        picture = sheet.decode(shot.jpeg)
        for k, measured, start, stop, top in shot.decks:
            thumbs = cut.setdefault((i, k), [])
            thumbs += sheet.crops(picture, measured[start:stop], top)
            if stop == len(measured):
                t = pages[i][1][k]
                outputs[t] = sheet.save(cut.pop((i, k)), out, t.path, checks.flagged(measured, network))

    results = browser.measure_many([(html, len(ts), True) for html, ts in pages], SCRIPT, after=pictures)
    retry = []
    for (_, ts), result in zip(pages, results):
        if result is None:
            retry += ts
        else:
            slides.update(zip(ts, result))
    return retry


def _bare_pages(renderer: Renderer, browser, targets, out: Path, joined: bool = True) -> list[tuple[Path, list]]:
    """Pages to measure, each with the decks it holds: every deck's HTML in the bare layout, written next to
    its staged copy (in the folder the sandboxed browser can read) so relative images resolve; decks that
    render alike share a page (see combine.py).

    Made from the bespoke HTML just rendered (no second marp-cli run); marp's bare template is the
    fallback when that HTML does not look as expected.
    """
    _, staged = renderer.stage(targets, browser.pages)
    bare, fallback = {}, []
    for t in targets:
        page = marp.bare_from_bespoke((out / f"{t.stem}.html").read_text(encoding="utf-8"))
        if page is None:
            fallback.append(t)
        else:
            bare[t] = page
    found = list(bare)
    keys = []
    for t in found:
        k = combine.key(bare[t]) if joined else None
        keys.append(None if k is None else (staged[t].parent, k))  # a folder per page: relative image URLs
    pages = []
    for n, group in enumerate(combine.groups(keys)):
        ts = [found[i] for i in group]
        path = staged[ts[0]].with_suffix(".html") if len(ts) == 1 else staged[ts[0]].parent / f".joined-{n}.html"
        path.write_text(bare[ts[0]] if len(ts) == 1 else combine.join([bare[t] for t in ts]), encoding="utf-8")
        pages.append((path, ts))
    if fallback:
        pending = renderer.start(fallback, ["html"], template="bare", in_place=True, base=browser.pages)
        renderer.finish(pending)
        pages += [(p.with_suffix(".html"), [t]) for t, p in pending.staged.items()]
    return pages


def dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen = {}
    for d in diags:
        seen.setdefault((d.code, d.pos, d.message), d)
    return sorted(seen.values(), key=Diagnostic.sort_key)


def check(decks: list[Path], config: Config, out: Path, *, force: bool = False,
          formats: tuple[str, ...] = ("html",), early=None, progress=None) -> list[Diagnostic]:
    """Render HTML (and the other formats alongside) and run the browser checks, in one locked run.
    `early`: a browser prelaunch() started, used if a deck needs it; the caller closes it in any case.
    `progress`: the caller's progress bar for the render, or None."""
    with locked(out), temp_dir(out) as tmp:
        renderer = Renderer(config, out, tmp, force=force, progress=progress)
        targets, diags = plan(decks, config.root, renderer.cache.memo)
        html = renderer.start(targets, ["html"])
        others = [f for f in formats if f != "html"]
        rest = renderer.start(targets, others) if others else None
        try:
            diags += check_targets(targets, renderer, out, html, early)
        except BaseException:
            for b in [*html.batches, *(rest.batches if rest else ())]:
                b.kill()
            raise
        if rest:
            diags += renderer.finish(rest)
        renderer.cache.save()
    return html_warning(config) + diags
