"""Lint the same decks again and again in one process: the language server (a lint per keystroke) and the lint
daemon (`deckops lint --daemon`, a lint per command line). A Session keeps, per deck, the chunk parser (the slides
not edited since the last lint are not parsed again, deck.py keeps their Slide objects) and, across lints, the run
cache entries that describe the machine or a text rather than the deck's current state (kubectl's parsed help,
the tools' result caches, the per-slide results of lint/perslide.py). Its findings are a fresh lint's:
tests/test_chunks.py and tests/test_lint_daemon.py compare them after edits."""
from __future__ import annotations

import contextlib
import gc
from collections import OrderedDict

from ..config import Config
from ..diagnostic import Diagnostic

# run-cache keys kept across lints: what depends on the machine or on text alone
CARRIED = ("kubectl-help", "result-cache", "glossary-re", "bash-n-texts", "spelling-verdicts", "per-slide",
           "per-slide-tally", "near-duplicate-index", "known-terms-memo")
GC_FULL_EVERY = 50  # lints between two full collections of the cyclic garbage collector (see paused_gc)


class Session:
    """`keep` decks at most (the least recently linted is forgotten first): each holds its model's tokens and its
    slides' rule results, some ten MB per thousand slides."""

    def __init__(self, keep: int = 32):
        self.cache: dict = {}  # lint's per-run caches (kubectl help, shellcheck results), kept across lints
        self.parsers: OrderedDict[str, object] = OrderedDict()  # deck key -> deck.chunk_parser()
        self.paths: dict[str, str] = {}  # deck key -> the path its findings name (perslide's key)
        self.keep = keep
        self.lints = 0  # since the last full garbage collection
        self.total = 0  # lints in all
        # with `warming` (the lint daemon): deck key -> (bytes, path, config) of a lint replayed from the result
        # cache, for warm()
        self.warming = False
        self.cold: dict[str, tuple] = {}

    def parser(self, key: str):
        """The deck's chunk parser (made on first use; the least recently used one beyond `keep` is dropped,
        with its slides' kept results)."""
        from ..deck import chunk_parser

        if key in self.parsers:
            self.parsers.move_to_end(key)
            return self.parsers[key]
        self.parsers[key] = chunk_parser()
        while len(self.parsers) > self.keep:
            self.forget(next(iter(self.parsers)))
        return self.parsers[key]

    def forget(self, key: str) -> None:
        """Drop what is kept for a deck: its parser and its slides' rule results."""
        from . import perslide

        self.parsers.pop(key, None)
        path = self.paths.pop(key, None)
        if path is not None:
            perslide.drop(self.cache, path)

    def lint_bytes(self, data: bytes, display: str, config: Config, memory: dict | None = None, on_deck=None,
                   key: str | None = None) -> list[Diagnostic]:
        """lint.lint_bytes with this session's parser for the deck (`key`, default `display`) and its carried
        cache: a fresh run cache per lint, carrying over only what describes the machine or a text."""
        from . import lint_bytes

        key = key or display
        if self.paths.get(key, display) != display:  # (the same deck under another name: start afresh)
            self.forget(key)
        self.paths[key] = display
        run = {k: v for k, v in self.cache.items() if k[0] in CARRIED}
        parsed = []

        def seen(deck) -> None:
            parsed.append(deck)
            if on_deck is not None:
                on_deck(deck)

        try:
            with self.paused_gc():
                return lint_bytes(data, display, config, run, memory, seen, self.parser(key))
        finally:
            self.cache.update((k, v) for k, v in run.items() if k[0] in CARRIED)
            self.cold.pop(key, None)
            if self.warming and not parsed and memory is None:
                self.cold[key] = (data, display, config)

    def warm(self) -> None:
        """Parse and lint the decks whose last lint was replayed from the result cache (nothing of their slides is
        kept then), so that the lint of an edit of them redoes only the slides edited. The findings, the replayed
        ones again, are dropped; nothing is stored. Run it in the context of the lint that replayed them (the
        working folder and environment its paths and tools were read in)."""
        cold, self.cold = self.cold, {}
        for key, (data, display, config) in cold.items():
            if key in self.parsers or len(self.parsers) < self.keep:
                self.lint_bytes(data, display, config, {}, None, key)

    @contextlib.contextmanager
    def paused_gc(self):
        """No cyclic garbage collection during a lint. A lint of a 2,000-slide deck allocates some hundred thousand
        objects (the deck model, the rules' tables) and leaves no cycles (none are found after one); the
        collector's passes over them took 10-40% of a keystroke's lint. What is alive after the lint is frozen
        (not traversed again; still freed by reference counting when the next model replaces it), and every
        GC_FULL_EVERY lints (`due`) `full_collection`, called when the answer is out, reclaims cycles among
        frozen objects."""
        was = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            gc.freeze()
            self.lints += 1
            self.total += 1
            if was:
                gc.enable()

    def due(self) -> bool:
        return self.lints >= GC_FULL_EVERY

    def full_collection(self) -> None:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.lints = 0
