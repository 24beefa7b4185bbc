"""Content-addressed result caches under ~/.cache/deckops: text hash -> JSON result, one file per tool identity."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .. import files

MAX_ENTRIES = 50_000


class ResultCache:
    """Results keyed by the sha256 of the input text; saved atomically when something was added."""

    def __init__(self, path: Path):
        self.path, self.dirty = path, False
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.data = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            self.data = {}

    @classmethod
    def of(cls, cache: dict, name: str, identity: str) -> "ResultCache":
        """One instance per (name, identity) per lint run, kept in the run's cache dict."""
        key = ("result-cache", name, identity)
        if key not in cache:
            digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
            cache[key] = cls(files.CACHE_HOME / name / f"{digest}.json")
        return cache[key]

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, text: str):
        return self.data.get(self._key(text))

    def put(self, text: str, result) -> None:
        if len(self.data) >= MAX_ENTRIES:
            self.data.clear()  # bounded; a cold run refills it
        self.data[self._key(text)] = result
        self.dirty = True

    def save(self) -> None:
        if self.dirty:
            files.write_atomic(self.path, json.dumps(self.data, separators=(",", ":")).encode())
            self.dirty = False
