"""Deck-wide rehearse settings: [tool.deckops.rehearse] in config, then the sidecar DECK.rehearse.yaml; what may
widen the sandbox guard only from the user's own config outside the repository."""
from __future__ import annotations

import os
import re
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, NamedTuple

from ..errors import UsageError
from ..files import FileError, read_checked

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
    "output-limit": ("output_limit", "bytes"),
}
CLUSTERS = ("local", "kind")
# A file in the repository is as untrusted as the deck: it may not pick or widen the cluster the snippets reach,
# nor point them at another kubeconfig or home (refused with the key's position, exit 2). Only the command line
# and the user's own config (user_config_path(), outside the repository) may.
REPO_REFUSED = {
    "context": "pass --context on the command line",
    "sandbox-contexts": "put it in ~/.config/deckops/config.toml or pass --allow-context",
}
PROTECTED_ENV = ("KUBECONFIG", "HOME", "KUBECACHEDIR", "DECKOPS_NAMESPACE")
USER_KEYS = ("sandbox-contexts",)
MAX_OUTPUT_LIMIT = 16 * 1024 * 1024  # per command: what a repository may ask for (reports stay bounded)


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
    sandbox_contexts: tuple[str, ...] = ()  # from the user's own config only
    output_limit: int = 1_000_000  # bytes of one command's output kept in results and reports


def sidecar_path(deck: Path) -> Path:
    return deck.with_name(deck.stem + ".rehearse.yaml")


def from_config(config) -> Settings:
    """The repository's config: its top-level sandbox-contexts does not reach the guard (the command warns)."""
    base = Settings(aliases=MappingProxyType(dict(config.aliases)))
    return merge(base, dict(config.rehearse), f"{config.source}: [tool.deckops.rehearse]")


def user_config_path() -> Path:
    """$XDG_CONFIG_HOME/deckops/config.toml, else ~/.config/deckops/config.toml: the user's, not the repo's."""
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "deckops" / "config.toml"


def user_sandboxes(repo_root: Path) -> tuple[tuple[str, ...], str | None]:
    """sandbox-contexts from the user's own config, and a warning when that file lies inside the repository
    being rehearsed (then it is the repo's file, and ignored)."""
    path = user_config_path()
    if not path.exists():
        return (), None
    if _inside(path, repo_root):
        return (), f"{path}: ignored: it is inside the repository {repo_root}"
    import tomllib

    try:
        table = tomllib.loads(read_checked(path, "config").decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise UsageError(f"{path}: cannot read config: {exc or 'nested too deeply'}") from None
    for key in table:
        if key not in USER_KEYS:
            raise UsageError(f"{path}: unknown key {key!r}; allowed: {', '.join(USER_KEYS)}")
    return tuple(_check(str(path), "sandbox-contexts", "list", table.get("sandbox-contexts", []))), None


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def for_deck(base: Settings, deck: Path) -> Settings:
    """The config's settings overlaid by the deck's sidecar file, if it has one."""
    path = sidecar_path(deck)
    if not os.path.lexists(path):
        return base
    import yaml

    try:
        text = read_checked(path, "rehearse settings").decode("utf-8")
        data = yaml.safe_load(text) or {}
    except FileError:
        raise
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else "nested too deeply"
        raise UsageError(f"{path}: cannot read rehearse settings: {first}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping of rehearse settings")
    return merge(base, data, str(path), _positions(text))


def _positions(text: str) -> dict[str, str]:
    """'key' and 'env.NAME' -> 'line:col' (1-based) of that key in a YAML mapping."""
    import yaml

    try:
        root = yaml.compose(text)
    except (yaml.YAMLError, RecursionError):
        return {}
    found = {}
    for k, v in root.value if isinstance(root, yaml.MappingNode) else ():
        found[str(k.value)] = f"{k.start_mark.line + 1}:{k.start_mark.column + 1}"
        for ek, _ in v.value if isinstance(v, yaml.MappingNode) else ():
            found[f"{k.value}.{ek.value}"] = f"{ek.start_mark.line + 1}:{ek.start_mark.column + 1}"
    return found


def merge(base: Settings, table: dict, where: str, positions: Mapping[str, str] | None = None) -> Settings:
    """Overlay a repository file's settings (a sidecar, [tool.deckops.rehearse]); keys that would choose or
    widen the cluster, or retarget the snippets' kubeconfig or home, are refused."""
    def at(key: str) -> str:
        pos = (positions or {}).get(key)
        return f"{where}:{pos}" if pos else where

    values = {}
    for key, value in table.items():
        norm = str(key).replace("_", "-")
        if norm not in KEYS:
            raise UsageError(f"{at(str(key))}: unknown key {key!r}; allowed: {', '.join(KEYS)}")
        if norm in REPO_REFUSED:
            raise UsageError(f"{at(str(key))}: {norm}: refused in a file of the repository (a deck may not choose "
                             f"or widen the cluster it reaches); {REPO_REFUSED[norm]}")
        attr, kind = KEYS[norm]
        values[attr] = _check(where, norm, kind, value)
        for name in values[attr] if norm == "env" else ():
            if name in PROTECTED_ENV:
                raise UsageError(f"{at('env.' + name)}: env.{name}: refused: deckops sets {name} for every "
                                 f"snippet ({', '.join(PROTECTED_ENV)} cannot be changed by the repository)")
    if "aliases" in values:
        values["aliases"] = MappingProxyType({**base.aliases, **values["aliases"]})
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
    if kind == "bytes" and (isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_OUTPUT_LIMIT):
        raise bad(f"a number of bytes from 1 to {MAX_OUTPUT_LIMIT}")
    if kind == "cluster" and value not in CLUSTERS:
        raise bad(f"one of {', '.join(CLUSTERS)}")
    if kind == "str" and not isinstance(value, str):
        raise bad("a string")
    return float(value) if kind == "number" else value
