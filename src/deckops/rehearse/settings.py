"""Deck-wide rehearse settings: [tool.deckops.rehearse] in config, then the sidecar DECK.rehearse.yaml; what may
widen the sandbox guard only from the user's own config outside the repository."""
from __future__ import annotations

import os
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, NamedTuple

from ..config import REHEARSE_KEYS, USER_KEYS, ConfigError, Problem, Where, validate
from ..files import FileError, read_checked

# The keys, their kinds and what a repository's file may not set: config.py's REHEARSE_KEYS (the one validator).
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
    return merge(base, dict(config.rehearse), Where(config.source, "[tool.deckops.rehearse]"))


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
        raise ConfigError([Problem(str(path), "", f"cannot read config: {exc or 'nested too deeply'}")]) from None
    values, problems = validate(table, USER_KEYS, Where(str(path)))
    if problems:
        raise ConfigError(problems)
    return values.get("sandbox_contexts", ()), None


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
        raise ConfigError([Problem(str(path), "", f"cannot read rehearse settings: {first}")]) from None
    if not isinstance(data, dict):
        raise ConfigError([Problem(str(path), "", "expected a mapping of rehearse settings")])
    return merge(base, data, Where(str(path), "", _positions(text)))


def _positions(text: str) -> dict[str, tuple[int, int]]:
    """'key' and 'env.NAME' -> (line, col) (1-based) of that key in a YAML mapping."""
    import yaml

    try:
        root = yaml.compose(text)
    except (yaml.YAMLError, RecursionError):
        return {}
    found = {}
    for k, v in root.value if isinstance(root, yaml.MappingNode) else ():
        found[str(k.value)] = (k.start_mark.line + 1, k.start_mark.column + 1)
        for ek, _ in v.value if isinstance(v, yaml.MappingNode) else ():
            found[f"{k.value}.{ek.value}"] = (ek.start_mark.line + 1, ek.start_mark.column + 1)
    return found


def merge(base: Settings, table: dict, where: Where) -> Settings:
    """Overlay a repository file's settings (a sidecar, [tool.deckops.rehearse]), checked against REHEARSE_KEYS:
    keys that would choose or widen the cluster, or retarget the snippets' kubeconfig or home, are refused.
    Every problem of the file is reported at once (ConfigError, exit 2)."""
    values, problems = validate(table, REHEARSE_KEYS, where)
    if problems:
        raise ConfigError(problems)
    if "aliases" in values:
        values["aliases"] = MappingProxyType({**base.aliases, **values["aliases"]})
    return base._replace(**values)
