"""Lint a deck with the registered rules; lint deck files through the result cache (resultcache.py)."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from ..config import Config
from ..diagnostic import Diagnostic

# nothing heavy at import time: a replayed lint never imports the rules, markdown-it-py or the deck model
MAX_DECK_BYTES = 8 * 1024 * 1024  # deck.MAX_DECK_BYTES (a test holds them equal; deck imports markdown-it-py)
_SESSION = None  # keep_between_runs()'s Session: this process lints the same decks again (the lint daemon)


def keep_between_runs():
    """From now on lint_files keeps each deck's parsed slides and per-slide results for its next lint of the
    same deck in this process (session.py; the lint daemon). Returns the Session."""
    global _SESSION
    from .session import Session

    if _SESSION is None:
        _SESSION = Session()
    return _SESSION


def lint(deck, config: Config, cache: dict | None = None) -> list[Diagnostic]:
    from ..helpers import resolved_inside
    from .engine import run_rules
    from .registry import RULES

    check_config(config)
    resolved_inside.cache_clear()  # per deck: a symlink may have changed since (serve and the LSP run long)
    return run_rules(RULES.values(), deck, config, cache)


def lint_files(paths: list[Path], config: Config, cache: dict | None = None,
               results: bool = True) -> list[Diagnostic]:
    """Lint deck files in order. With `results`, a deck whose findings are in the result cache, and whose world
    (the files it names, the tools) has not changed, is replayed without a parse; the findings are the same."""
    diags: list[Diagnostic] = []
    cache = {} if cache is None else cache
    use = results and _cacheable(config)
    for path in paths:
        data = _read(path) if use else None
        if data is None:
            diags.extend(_lint_path(path, config, cache))
            continue
        if _SESSION is not None:
            diags.extend(_SESSION.lint_bytes(data, str(path), config, key=os.path.abspath(path)))
            continue
        diags.extend(lint_bytes(data, str(path), config, cache))
    return diags


def lint_bytes(data: bytes, display: str, config: Config, cache: dict, memory: dict | None = None,
               on_deck=None, parser=None) -> list[Diagnostic]:
    """One deck's findings from its bytes (as read from `display`), replayed or computed and stored: in the
    cache folder, or in `memory` (the language server: one entry per keystroke would fill the folder).
    `on_deck` is called with the parsed Deck when there was a parse; `parser` is deck.chunk_parser()'s."""
    from . import resultcache

    key = resultcache.entry_key(data, display, config)
    found = resultcache.load(key, memory)
    if found is not None:
        return found
    from .. import deck as deck_mod

    # a file on disk read afresh: start its tools before the parse (the server lints its own text; a parser that
    # parsed this deck before has the slides' tool results kept, and the scan would cost more than it saves)
    if memory is None and getattr(parser, "last", None) is None:
        start_early(display, config, cache)
    deck = deck_mod.parse(data, display, parser)
    if on_deck is not None:
        on_deck(deck)
    if parser is not None:  # (a document's chunk parser: the next lint of it follows, with this run's cache)
        from . import perslide

        perslide.enable(cache, parser.moves)
    out = lint(deck, config, cache)
    resultcache.store(key, out, resultcache.snapshot(resultcache.dependencies(deck, config, cache)), memory)
    return out


def _lint_path(path, config: Config, cache: dict) -> list[Diagnostic]:
    from .. import deck as deck_mod

    start_early(path, config, cache)  # shellcheck runs on the other core while the deck is parsed
    return lint(deck_mod.load(path), config, cache)


def _cacheable(config: Config) -> bool:
    from .resultcache import cacheable

    return cacheable(config)


def _read(path) -> bytes | None:
    """The bytes deck.load would parse, or None where it would report a problem instead (the uncached path
    gives that finding)."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_DECK_BYTES:
            return None
        return Path(path).read_bytes()
    except OSError:
        return None


def start_early(path, config: Config, cache: dict) -> None:
    """Start slow tools for a deck before it is parsed (see early.py); lint() with the same cache uses them."""
    from .early import start
    from .registry import RULES

    check_config(config)  # a bad config stops here, before anything starts
    start(path, config, cache, RULES["D402"], RULES["D403"])


def check_config(config: Config) -> None:
    """A misspelt rule in select/ignore/severity would silently turn nothing off: report it (the one validator
    of rule names, shared by every stage: findings.validate)."""
    if config.select or config.ignore or config.severity:
        from .catalogue import validate

        validate(config)
