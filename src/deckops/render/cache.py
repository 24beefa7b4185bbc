"""The incremental-build cache: DIR/.deckops-cache.json maps deck+format -> content hash and outputs."""
from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from ..files import user_key, write_atomic

CACHE_NAME = ".deckops-cache.json"
SCHEMA = 2  # 2: signed with the user's key (a cache file from the repo never matches)


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


def _mac(entries: dict, memo: dict) -> str:
    body = json.dumps({"entries": entries, "memo": memo}, sort_keys=True).encode()
    return hmac.new(user_key(), body, hashlib.sha256).hexdigest()


class Cache:
    """Read once under the run's lock, updated in memory, written back atomically and signed (see user_key)."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / CACHE_NAME
        self.entries, self.memo = {}, {}
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8")) if self.path.is_file() else {}
            entries, memo = doc["entries"], doc.get("memo", {})  # memo: deck -> sha + assets (see plan.plan)
            if doc.get("schema") == SCHEMA and hmac.compare_digest(str(doc.get("mac", "")), _mac(entries, memo)):
                self.entries, self.memo = entries, memo
        except (OSError, ValueError, KeyError, AttributeError, TypeError):
            pass

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
        doc = {"schema": SCHEMA, "mac": _mac(self.entries, self.memo), "entries": self.entries, "memo": self.memo}
        write_atomic(self.path, json.dumps(doc, indent=1, sort_keys=True).encode())
