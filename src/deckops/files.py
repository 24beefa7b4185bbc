"""Atomic writes and path guards: deckops writes only inside its output directory and cache."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

CACHE_HOME = Path(os.environ.get("DECKOPS_CACHE", Path.home() / ".cache" / "deckops"))


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
