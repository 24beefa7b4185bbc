"""Atomic writes and path guards: deckops writes only inside its output directory and cache."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path



def cache_home() -> Path:
    """$DECKOPS_CACHE, else $XDG_CACHE_HOME/deckops, else ~/.cache/deckops (read when called)."""
    if os.environ.get("DECKOPS_CACHE"):
        return Path(os.environ["DECKOPS_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "deckops"


CACHE_HOME = cache_home()


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _mode_for(path: Path) -> int:
    """Keep a rewritten file's mode (a deck under --update); new files get the usual 0666 & ~umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return _default_mode()


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder + rename: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))  # mkstemp makes 0600 files
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def move_atomic(src: Path, dst: Path) -> None:
    """Move a finished file into place (same filesystem: rename; else copy to temp + rename)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dst)
    except OSError:
        write_atomic(dst, Path(src).read_bytes())
        Path(src).unlink(missing_ok=True)
