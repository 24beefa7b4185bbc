"""Live HTML for `deckops serve`: one sandboxed marp-cli in --watch mode over a staged copy of the decks.

A save copies the deck into the staged copy (one atomic rename, so marp never sees half a file); marp-core,
already loaded, re-renders that deck alone, and its HTML is copied into the output folder. A fresh marp-cli per
save costs its start-up (node, marp-core, the theme set) every time: ~1.5 s here, more on a loaded machine.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from .. import marp
from ..config import Config
from ..diagnostic import Diagnostic
from ..files import write_atomic
from ..proc import ToolError
from .job import MAX_PARALLEL, Renderer
from .plan import plan
from .workdir import stage, stage_themes

WAIT = 120.0  # seconds for one conversion (generous: 2 loaded cores)


class LiveHtml:
    """Started once per serve session (and again when the set of decks or a theme changes)."""

    def __init__(self, config: Config, out: Path, tmp: Path):
        self.config, self.out, self.tmp = config, out, tmp
        self.renderer = Renderer(config, out, tmp)
        self.batch: marp.Batch | None = None
        self.staged: dict[Path, Path] = {}  # deck (resolved) -> its staged copy
        self.src = self.work = None

    def start(self, decks: list[Path]) -> list[Diagnostic]:
        """Stage every deck and start marp-cli --watch; returns once every deck's first HTML is out."""
        self.stop()
        targets, diags = plan(decks, self.config.root)
        self.src, staged = self.renderer.stage(targets)
        self.work = self.src.parent
        self.staged = {t.path.resolve(): p for t, p in staged.items()}
        r = self.renderer
        themes = stage_themes(r.themes, r.theme_files, self.config.root, self.work / "themes")
        (self.work / "home").mkdir(exist_ok=True)
        (self.work / "html").mkdir(exist_ok=True)
        cmd = marp.argv(r.marp, "html", self.src, self.work / "html", themes=themes, html=self.config.html,
                        parallel=min(max(len(targets), 1), MAX_PARALLEL)) + ["--watch"]
        box = marp.sandbox(r.marp, None, home=self.work / "home", read=(self.src, self.work / "themes"),
                           write=(self.work / "html",), network=self.config.online)
        self.batch = marp.Batch(cmd, cwd=self.src, box=box, log=self.work / "html.log")
        for deck in self.staged:
            self._await(deck, 0)
        return diags

    def update(self, deck: Path) -> list[Diagnostic]:
        """Re-render one changed deck; its D304 refusals when it now points outside the repo."""
        return self.begin(deck)()

    def begin(self, deck: Path):
        """Swap the changed deck into the staged copy (marp-cli starts on it at once) and return the call that
        waits for its HTML and returns the deck's D304 refusals; lint can run in between."""
        key = deck.resolve()
        targets, diags = plan([deck], self.config.root)
        if not targets or key not in self.staged:
            return lambda: diags
        before = self._done(key)
        stage(targets, self.work / "probe")  # the assets it references now, laid out as in the copy
        _move_new_assets(self.work / "probe", self.src)
        tmp = self.work / f".{os.getpid()}.swap"
        tmp.write_bytes(targets[0].data)
        os.replace(tmp, self.staged[key])  # one rename: marp sees the whole new deck at once

        def finish() -> list[Diagnostic]:
            self._await(key, before)
            return diags
        return finish

    def _done(self, key: Path) -> int:
        rel = self.staged[key].relative_to(self.src).as_posix()
        return sum(1 for m in marp.parse(marp._read(self.batch.log)) if m.done and m.done[0].endswith(rel))

    def _await(self, key: Path, before: int) -> None:
        deadline = time.monotonic() + WAIT
        while self._done(key) <= before:
            if self.batch.popen.poll() is not None:
                raise ToolError(self.batch.cmd, "marp-cli --watch ended", self.batch.popen.returncode, "",
                                marp._read(self.batch.log))
            if time.monotonic() > deadline:
                raise ToolError(self.batch.cmd, f"no HTML for {key} after {WAIT:g}s", None, "",
                                marp._read(self.batch.log))
            time.sleep(0.01)  # the log is a file marp appends to; 10 ms polling costs nothing measurable
        made = (self.work / "html" / self.staged[key].relative_to(self.src)).with_suffix(".html")
        write_atomic(self.out / (key.stem + ".html"), made.read_bytes())

    def stop(self) -> None:
        if self.batch is not None:
            self.batch.kill()
            self.batch = None


def _move_new_assets(probe: Path, src: Path) -> None:
    """The probe's assets the staged copy lacks (an image the deck names since this save) move into it."""
    for path in sorted(probe.rglob("*")):
        if path.is_file() and path.suffix.lower() != ".md":
            dst = src / path.relative_to(probe)
            if not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, dst)
    shutil.rmtree(probe, ignore_errors=True)
