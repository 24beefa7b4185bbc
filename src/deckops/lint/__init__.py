"""Lint a deck with the registered rules."""
from __future__ import annotations

from pathlib import Path

from ..config import Config
from ..deck import Deck
from ..diagnostic import Diagnostic
from .engine import run_rules
from .registry import RULES


def lint(deck: Deck, config: Config, cache: dict | None = None) -> list[Diagnostic]:
    check_config(config)
    return run_rules(RULES.values(), deck, config, cache)


def lint_files(paths: list[Path], config: Config) -> list[Diagnostic]:
    """Lint deck files in order; each deck's slow tools start before it is parsed (start_early)."""
    from .. import deck as deck_mod

    diags: list[Diagnostic] = []
    cache: dict = {}
    for path in paths:
        start_early(path, config, cache)  # shellcheck runs on the other core while the deck is parsed
        diags.extend(lint(deck_mod.load(path), config, cache))
    return diags


def start_early(path, config: Config, cache: dict) -> None:
    """Start slow tools for a deck before it is parsed (see early.py); lint() with the same cache uses them."""
    from .early import start

    check_config(config)  # a bad config stops here, before anything starts
    start(path, config, cache, RULES["D402"], RULES["D403"])


def check_config(config: Config) -> None:
    """A misspelt rule in select/ignore/severity would silently turn nothing off: report it (the one validator
    of rule names, shared by every stage: findings.validate)."""
    if config.select or config.ignore or config.severity:
        from .catalogue import validate

        validate(config)
