"""Lint a deck with the registered rules."""
from __future__ import annotations

from ..config import Config, ConfigError
from ..deck import Deck
from ..diagnostic import Diagnostic
from .engine import is_code, run_rules
from .frontmatter import did_you_mean
from .registry import RULES

def lint(deck: Deck, config: Config, cache: dict | None = None) -> list[Diagnostic]:
    check_config(config)
    return run_rules(RULES.values(), deck, config, cache)


def start_early(path, config: Config, cache: dict) -> None:
    """Start slow tools for a deck before it is parsed (see early.py); lint() with the same cache uses them."""
    from .early import start

    check_config(config)  # a bad config stops here, before anything starts
    start(path, config, cache, RULES["D402"], RULES["D403"])


def check_config(config: Config) -> None:
    """A misspelt lint rule in select/ignore/severity would silently turn nothing off: report it.
    Names that resemble no lint rule pass: browser (D6xx) and rehearse (D7xx) checks share these keys."""
    known = {r.code for r in RULES.values()} | {r.name for r in RULES.values()} | {"D000", "internal-error"}
    pairs = [("select", i) for i in config.select] + [("ignore", i) for i in config.ignore] + \
        [(f"severity.{i}", i) for i in config.severity]
    for key, ident in pairs:
        if ident in known or ident == "all" or is_code(ident):
            continue
        guess = did_you_mean(ident, {r.name for r in RULES.values()})
        if guess:
            raise ConfigError(config.source, key, f"unknown rule {ident!r} (did you mean {guess!r}?); allowed: "
                              "rule names or codes from `deckops rules`, a code prefix such as D4, or all "
                              "(also for --select/--ignore)")
