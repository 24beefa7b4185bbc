"""One render run: which outputs are stale, batched marp-cli calls from a staged copy, outputs moved in atomically."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import marp
from ..config import Config
from ..diagnostic import Diagnostic
from ..filerefs import scan
from ..files import move_atomic
from ..proc import ToolError
from . import warnings as warn_mod
from .cache import Cache, digest
from .plan import Target
from .workdir import stage, stage_theme_assets, stage_themes

log = logging.getLogger(__name__)  # notes for the user; the commands layer shows them on stderr
MAX_PARALLEL = 20  # measured: -P 20 beats the default 5 on 20 decks even on 2 cores (bench/render.py)
_PNG = re.compile(r"^(\d{3})\.png$")


@dataclass
class Pending:
    """Batches started by Renderer.start and what to do with their outputs once they finish."""

    batches: list[marp.Batch]
    formats: list[str]
    stale: dict[Target, dict[str, str]]  # target -> fmt -> hash
    staged: dict[Target, Path]
    src: Path
    work: Path
    in_place: bool
    total: int = 0
    diags: list[Diagnostic] = field(default_factory=list)


class Renderer:
    """Holds the toolchain, cache and temp dir of one locked run on one output folder."""

    def __init__(self, config: Config, out_dir: Path, tmp: Path, *, force: bool = False, progress=None):
        self.config, self.out_dir, self.tmp, self.force = config, out_dir.resolve(), tmp.resolve(), force
        self.marp = marp.find_marp(config.root, config.marp, install=install_marp)
        self.version = marp.version(self.marp)
        root = config.root.resolve()
        # theme folders inside the repo only (a folder outside it is never read, let alone walked)
        self.themes = [d for d in (root / t for t in config.themes) if d.resolve().is_relative_to(root) and d.is_dir()]
        self.theme_files = sorted(p for d in self.themes for p in d.rglob("*.css") if p.is_file())
        self.theme_refs = _relative_refs(self.theme_files)
        self.cache = Cache(out_dir)
        self.progress = progress
        self._chrome: str | None = None
        self._runs = 0

    def chrome(self) -> str:
        if self._chrome is None:
            self._chrome = marp.find_chrome()
        return self._chrome

    def hash(self, target: Target, fmt: str, template: str = "bespoke") -> str:
        options = {"marp": self.version, "html": self.config.html, "template": template,
                   "online": self.config.online}  # the sandbox's network changes what remote images show
        return digest(target, fmt, options, self.theme_files)

    def stale(self, targets, formats, template: str = "bespoke") -> dict[Target, dict[str, str]]:
        """Targets with at least one output that is missing or out of date (all of them with --force)."""
        out = {}
        for t in targets:
            hashes = {fmt: self.hash(t, fmt, template) for fmt in formats}
            if self.force or any(self.cache.current(t, f, h, self.out_dir) is None for f, h in hashes.items()):
                out[t] = hashes
        return out

    def stage(self, targets, base: Path | None = None) -> tuple[Path, dict[Target, Path]]:
        """A fresh run folder (in `base`, default the run's temp folder) holding a staged copy of the targets
        (see workdir.stage)."""
        self._runs += 1
        src = (base or self.tmp) / f"run{self._runs}" / "src"
        staged = stage(targets, src)
        stage_theme_assets(staged, self.theme_refs)
        return src, staged

    def start(self, targets, formats, *, template: str = "bespoke", in_place: bool = False,
              base: Path | None = None) -> Pending:
        """Stage the stale decks and their themes and start one sandboxed marp-cli batch per format (they run
        concurrently). `in_place`: every deck, its outputs moved next to its staged copy (see finish)."""
        stale = self.stale(targets, formats, template) if not in_place else {t: {} for t in targets}
        src, staged = self.stage(stale, base)
        work = src.parent
        pending = Pending([], list(formats), stale, staged, src, work, in_place)
        if not stale:
            return pending
        themes = stage_themes(self.themes, self.theme_files, self.config.root, work / "themes")
        home = work / "home"  # HOME and TMPDIR of marp-cli and its Chromium (their profiles), removed with tmp
        home.mkdir(exist_ok=True)
        parallel = min(len(stale), MAX_PARALLEL)
        for fmt in formats:
            chrome = self.chrome() if fmt in marp.NEEDS_BROWSER else None
            out = work / fmt
            out.mkdir(exist_ok=True)
            cmd = marp.argv(self.marp, fmt, src, out, themes=themes, html=self.config.html,
                            template=template, parallel=parallel)
            box = marp.sandbox(self.marp, chrome, home=home, read=(src, work / "themes"), write=(out,),
                               network=self.config.online)
            pending.batches.append(marp.Batch(cmd, cwd=src, box=box, log=work / f"{fmt}.log"))
            pending.total += sum(len(t.deck.slides) for t in stale) if fmt == "png" else len(stale)
        return pending

    def finish(self, pending: Pending) -> list[Diagnostic]:
        """Wait for the batches, surface marp warnings as diagnostics, move outputs in, update the cache."""
        if not pending.batches:
            return []
        timeout = 120 + 30 * len(pending.stale) * len(pending.formats)
        bar = self.progress if self.progress and len(pending.stale) > 1 else None
        on_message = bar.start(pending.total) if bar else None
        try:
            results = marp.wait(pending.batches, timeout=timeout, on_message=on_message)
        finally:
            if bar:
                bar.stop()
        diags = warn_mod.diagnostics(results, pending.staged, pending.src)
        for fmt in pending.formats:
            if pending.in_place:
                self._beside(pending, fmt)
            else:
                self._collect(pending, fmt)
        if not pending.in_place:
            self.cache.save()
        return diags

    def _beside(self, pending: Pending, fmt: str) -> None:
        """In-place outputs: next to each staged deck (the staged copy is read-only to marp-cli)."""
        ext = marp.FORMAT_EXT[fmt]
        for staged in pending.staged.values():
            made = (pending.work / fmt / staged.relative_to(pending.src)).with_suffix(ext)
            if made.is_file():
                move_atomic(made, staged.with_suffix(ext))

    def _collect(self, pending: Pending, fmt: str) -> None:
        for target, staged in pending.staged.items():
            made = pending.work / fmt / staged.relative_to(pending.src)
            outputs = _move_png(made, self.out_dir, target.stem) if fmt == "png" else \
                _move_one(made.with_suffix(marp.FORMAT_EXT[fmt]), self.out_dir / (target.stem + marp.FORMAT_EXT[fmt]))
            if not outputs:
                raise ToolError(pending.batches[0].cmd, f"marp-cli wrote no {fmt} output for {target.path}")
            self.cache.put(target, fmt, pending.stale[target][fmt], outputs)


def install_marp() -> Path:
    """First render on a machine without marp-cli: install deckops' pinned one (what `deckops setup` does)."""
    from .. import setup_node

    log.info(f"deckops: installing the pinned marp-cli {setup_node.pinned_version()} into "
             f"{setup_node.cache_dir()} (once; `deckops setup` does it ahead)")
    return setup_node.install()


def _relative_refs(css_files: list[Path]) -> list[str]:
    """The relative file references of the theme CSS (absolute ones and file: URLs never resolve in the staged
    copy: the sandbox does not have them)."""
    refs = []
    for css in css_files:
        try:
            text = css.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        refs += [r.path for r in scan(text) if not r.file_url and not r.path.startswith("/")]
    return list(dict.fromkeys(refs))


def _move_one(made: Path, dst: Path) -> list[str]:
    if not made.is_file():
        return []
    move_atomic(made, dst)
    return [dst.name]


def _move_png(made: Path, out_dir: Path, stem: str) -> list[str]:
    """<stem>.NNN.png -> DIR/<stem>/NNN.png; pages left over from a longer earlier version are removed."""
    pages = sorted(made.parent.glob(f"{stem}.[0-9][0-9][0-9].png"))
    dst_dir = out_dir / stem
    names = []
    for page in pages:
        name = page.name[len(stem) + 1:]
        move_atomic(page, dst_dir / name)
        names.append(f"{stem}/{name}")
    for old in dst_dir.glob("*.png") if pages else ():
        if _PNG.match(old.name) and f"{stem}/{old.name}" not in names:
            old.unlink(missing_ok=True)
    return names
