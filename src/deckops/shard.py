"""`--shard I/N`: which decks one of N CI machines takes; stable, by a hash of each deck's path and content."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .errors import UsageError

_SPEC = re.compile(r"^(\d+)/(\d+)$")


def parse(spec: str) -> tuple[int, int]:
    """'2/4' -> (2, 4); I counts from 1."""
    m = _SPEC.match(spec or "")
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise UsageError(f"--shard {spec}: expected I/N with 1 <= I <= N, e.g. --shard 1/4")
    return int(m.group(1)), int(m.group(2))


def shard_of(path: Path, root: Path, n: int) -> int:
    """1..n for this deck: the same on every machine (the path is taken relative to the repo root)."""
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = path.as_posix()
    try:
        data = path.read_bytes()
    except OSError:
        data = b""  # an unreadable deck still lands on one shard, which reports it
    digest = hashlib.sha256(rel.encode() + b"\0" + data).digest()
    return int.from_bytes(digest[:8], "big") % n + 1


def select(decks: list[Path], root: Path, spec: str | None) -> list[Path]:
    if not spec:
        return decks
    i, n = parse(spec)
    return [d for d in decks if shard_of(Path(d), root, n) == i]
