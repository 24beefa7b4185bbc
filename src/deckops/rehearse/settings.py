"""Deck-wide rehearse settings: [tool.deckops.rehearse] in config, then the sidecar DECK.rehearse.yaml."""
from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, NamedTuple

from ..errors import UsageError

# key -> (attribute, kind)
KEYS = {
    "aliases": ("aliases", "map"),
    "env": ("env", "map"),
    "masks": ("masks", "regex-map"),
    "k8s-masks": ("k8s_masks", "bool"),
    "cluster": ("cluster", "cluster"),
    "cluster-name": ("cluster_name", "str"),
    "context": ("context", "str"),
    "setup": ("setup", "list"),
    "teardown": ("teardown", "list"),
    "timeout": ("timeout", "number"),
    "sandbox-contexts": ("sandbox_contexts", "list"),
}
CLUSTERS = ("local", "kind")


_EMPTY: Mapping[str, str] = MappingProxyType({})


class Settings(NamedTuple):
    aliases: Mapping[str, str] = MappingProxyType({"k": "kubectl"})
    env: Mapping[str, str] = _EMPTY
    masks: Mapping[str, str] = _EMPTY
    k8s_masks: bool = True
    cluster: str | None = None
    cluster_name: str = "deckops"
    context: str | None = None
    setup: tuple[str, ...] = ()
    teardown: tuple[str, ...] = ()
    timeout: float | None = None
    sandbox_contexts: tuple[str, ...] = ()


def sidecar_path(deck: Path) -> Path:
    return deck.with_name(deck.stem + ".rehearse.yaml")


def from_config(config) -> Settings:
    base = Settings(aliases=MappingProxyType(dict(config.aliases)),
                    sandbox_contexts=tuple(config.sandbox_contexts))
    return merge(base, dict(config.rehearse), f"{config.source}: [tool.deckops.rehearse]")


def for_deck(base: Settings, deck: Path) -> Settings:
    """The config's settings overlaid by the deck's sidecar file, if it has one."""
    path = sidecar_path(deck)
    if not path.is_file():
        return base
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: cannot read rehearse settings: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping of rehearse settings")
    return merge(base, data, str(path))


def merge(base: Settings, table: dict, where: str) -> Settings:
    values = {}
    for key, value in table.items():
        norm = str(key).replace("_", "-")
        if norm not in KEYS:
            raise UsageError(f"{where}: unknown key {key!r}; allowed: {', '.join(KEYS)}")
        attr, kind = KEYS[norm]
        values[attr] = _check(where, norm, kind, value)
    if "aliases" in values:
        values["aliases"] = MappingProxyType({**base.aliases, **values["aliases"]})
    if "sandbox_contexts" in values:
        values["sandbox_contexts"] = base.sandbox_contexts + values["sandbox_contexts"]
    return base._replace(**values)


def _check(where: str, key: str, kind: str, value):
    def bad(expected: str):
        return UsageError(f"{where}: {key}: expected {expected}, got {value!r}")

    if kind in ("map", "regex-map"):
        if not isinstance(value, dict):
            raise bad("a mapping")
        out = {str(k): str(v) for k, v in value.items()}
        for name, pattern in out.items() if kind == "regex-map" else ():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise UsageError(f"{where}: masks.{name}: bad regular expression: {exc}") from None
        return MappingProxyType(out)
    if kind == "list":
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
        return tuple(value)
    if kind == "bool" and not isinstance(value, bool):
        raise bad("true or false")
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
        raise bad("a positive number of seconds")
    if kind == "cluster" and value not in CLUSTERS:
        raise bad(f"one of {', '.join(CLUSTERS)}")
    if kind == "str" and not isinstance(value, str):
        raise bad("a string")
    return float(value) if kind == "number" else value
