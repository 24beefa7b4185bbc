"""The incremental-build cache: DIR/.deckops-cache.json maps deck+format -> content hash and outputs."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..files import write_atomic

CACHE_NAME = ".deckops-cache.json"
SCHEMA = 1


def digest(target, fmt: str, options: dict, theme_files: list[Path]) -> str:
    """Hash of everything that changes an output: deck bytes, assets, themes, marp version, options."""
    h = hashlib.sha256()
    h.update(json.dumps({"schema": SCHEMA, "fmt": fmt, **options}, sort_keys=True).encode())
    h.update(b"\0deck\0" + target.data)
    for path in (*target.assets, *theme_files):
        h.update(b"\0file\0" + str(path).encode() + b"\0" + _file_hash(path).encode())
    return h.hexdigest()


def _file_hash(path: Path) -> str:
    try:
        if not path.is_file():  # missing, a folder, or a pipe that would block the read
            return "missing"
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


class Cache:
    """Read once under the run's lock, updated in memory, written back atomically."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / CACHE_NAME
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            ok = doc.get("schema") == SCHEMA
            self.entries = doc["entries"] if ok else {}
            self.memo = doc.get("memo", {}) if ok else {}  # deck -> sha + assets (see plan.plan)
        except (OSError, ValueError, KeyError, AttributeError):
            self.entries, self.memo = {}, {}

    @staticmethod
    def key(target, fmt: str) -> str:
        return f"{target.path.resolve()}|{fmt}"

    def current(self, target, fmt: str, hash_: str, out_dir: Path) -> dict | None:
        """The cached entry when its hash matches and every output it lists still exists."""
        entry = self.entries.get(self.key(target, fmt))
        if not entry or entry.get("hash") != hash_:
            return None
        if not all((out_dir / rel).is_file() for rel in entry.get("outputs", ())):
            return None
        return entry

    def put(self, target, fmt: str, hash_: str, outputs: list[str], **extra) -> None:
        self.entries[self.key(target, fmt)] = {"hash": hash_, "outputs": sorted(outputs), **extra}

    def save(self) -> None:
        doc = {"schema": SCHEMA, "entries": self.entries, "memo": self.memo}
        write_atomic(self.path, json.dumps(doc, indent=1, sort_keys=True).encode())
