"""Lint a deck with the registered rules."""
from __future__ import annotations

from ..config import Config
from ..deck import Deck
from ..diagnostic import Diagnostic
from .engine import run_rules
from .registry import RULES


def lint(deck: Deck, config: Config, cache: dict | None = None) -> list[Diagnostic]:
    return run_rules(RULES.values(), deck, config, cache)


def rule_by_id(ident: str):
    for rule in RULES.values():
        if ident in (rule.code, rule.name):
            return rule
    return None
