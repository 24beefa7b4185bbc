"""Two small answers many modules need: which known name a misspelt one probably meant (did_you_mean), and
whether a path stays inside a folder (lexically_inside without touching the disk; inside, following symlinks)."""
from __future__ import annotations

import difflib
import os
from functools import lru_cache
from pathlib import Path


def did_you_mean(name: str, known, cutoff: float = 0.7) -> str | None:
    """The known name `name` differs from only in case, else the closest one (difflib ratio >= cutoff), else None."""
    lower = {k.lower(): k for k in known}
    if name.lower() in lower:
        return lower[name.lower()]
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=cutoff)
    return close[0] if close else None


def lexically_inside(path: Path | str, root: Path | str) -> bool:
    """Decide without touching the file system (an escaping path must never be stat'ed)."""
    full = os.path.normpath(os.path.join(os.path.abspath(root), path))
    top = os.path.normpath(os.path.abspath(root))
    return full == top or full.startswith(top + os.sep)


def inside(path: Path, root: Path) -> bool:
    """Inside `root` both as written and once symlinks are followed (a link in the repo may point out of it)."""
    if not lexically_inside(path, root):
        return False
    return resolved_inside(str(path), str(root))


@lru_cache(maxsize=4096)
def resolved_inside(path: str, root: str) -> bool:
    """Cached per process: lint clears it per deck (serve and the LSP run long, and a symlink may change)."""
    try:
        Path(path).resolve().relative_to(Path(root).resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False
