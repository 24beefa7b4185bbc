"""A per-run work area inside the output folder: an exclusive lock and a temp dir removed even on ^C."""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from ..files import make_dir

log = logging.getLogger(__name__)  # notes for the user: the commands layer shows them on stderr

LOCK_NAME = ".deckops.lock"


@contextlib.contextmanager
def locked(out_dir: Path):
    """Hold DIR/.deckops.lock: two runs on one DIR take turns instead of mixing their outputs and cache."""
    make_dir(out_dir)  # an existing file in the way: one line, exit 2 (was a traceback)
    with open(out_dir / LOCK_NAME, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info(f"deckops: waiting for another deckops run on {out_dir}")
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def temp_dir(out_dir: Path):
    """DIR/.tmp-<pid>-<rand>/: same filesystem as the outputs, so finished files move in with a rename.
    Those of runs that were killed (SIGKILL, a power cut: no cleanup ran) are removed first."""
    remove_stale(out_dir)
    path = Path(tempfile.mkdtemp(prefix=f".tmp-{os.getpid()}-", dir=out_dir))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


_TMP = re.compile(r"\.tmp-(\d+)-[A-Za-z0-9_]+")


def remove_stale(out_dir: Path) -> list[Path]:
    """Remove DIR/.tmp-<pid>-* whose pid is not alive. A live pid keeps its folder (it may be another run on
    DIR, or a recycled pid: then the folder waits for a later run); called under DIR's lock."""
    removed = []
    try:
        entries = list(os.scandir(out_dir))
    except OSError:
        return removed
    for entry in entries:
        m = _TMP.fullmatch(entry.name)
        if m and entry.is_dir(follow_symlinks=False) and not _alive(int(m.group(1))):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stage(targets, stage_dir: Path) -> dict:
    """Copy each deck (its hashed bytes) and the repo files it references into stage_dir/rN/<repo path>.

    marp-cli has no root option and --allow-local-files lets Chromium read any file: rendering from
    this copy confines every deck to its own repo's files. Returns {target: staged deck path}.
    """
    roots: dict[Path, str] = {}
    staged = {}
    for t in targets:
        base = stage_dir / roots.setdefault(t.root, f"r{len(roots)}")
        dst = base / t.rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(t.data)
        for asset in t.assets:
            real = asset.resolve()
            if asset.is_relative_to(t.root) and real.is_relative_to(t.root):  # a symlink out is never followed
                _link_or_copy(real, base / asset.relative_to(t.root))
        staged[t] = dst
    return staged


def stage_themes(folders: list[Path], files: list[Path], root: Path, dst: Path) -> list[Path]:
    """Copy the theme CSS files into dst/<repo path> like the decks, and return the staged theme folders
    (what marp-cli gets as --theme-set). A file that resolves outside the repo (a symlink) is left out."""
    root = root.resolve()
    dst.mkdir(parents=True, exist_ok=True)
    staged = []
    for folder in folders:
        here = dst / folder.resolve().relative_to(root)
        here.mkdir(parents=True, exist_ok=True)
        staged.append(here)
        for css in files:
            if css.is_relative_to(folder) and css.resolve().is_relative_to(root):
                _link_or_copy(css.resolve(), here / css.relative_to(folder))
    return staged


def stage_theme_assets(staged: dict, refs: list[str]) -> None:
    """The repo files theme CSS points at, staged like each deck's own assets. A theme's relative url() resolves
    against the page it is inlined in, so against each deck's folder, as Chromium resolves it."""
    for t, dst in staged.items():
        base = dst.parents[len(t.rel.parts) - 1]
        for ref in refs:
            real = ((t.root / t.rel).parent / ref).resolve()
            if real.is_relative_to(t.root):
                _link_or_copy(real, base / real.relative_to(t.root))


def _link_or_copy(src: Path, dst: Path) -> None:
    if dst.exists() or not src.is_file():
        return  # missing assets stay missing: marp warns and the browser check reports them
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
