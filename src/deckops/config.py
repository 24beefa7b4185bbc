"""[tool.deckops] in pyproject.toml (or deckops.toml) -> a frozen Config; errors name file, key and allowed values."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

SEVERITY_VALUES = ("error", "warning", "info", "off")


class ConfigError(Exception):
    """A bad config value: names the file, the key and what is allowed."""

    def __init__(self, path: str, key: str, message: str):
        self.path, self.key = path, key
        super().__init__(f"{path}: [tool.deckops] {key}: {message}")


@dataclass(frozen=True)
class Config:
    root: Path = field(default_factory=Path.cwd)
    source: str = "<defaults>"
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    glossary: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    directives: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({"k": "kubectl"}))
    kubectl: str = ""
    plugins: tuple[str, ...] = ()  # kubectl plugins the decks use (kubectl-usage)
    themes: tuple[str, ...] = ("themes",)
    html: bool = False
    online: bool = False
    sandbox_contexts: tuple[str, ...] = ()
    out: str = "dist"
    rehearse: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


_LISTS = {"select", "ignore", "directives", "themes", "sandbox_contexts", "plugins"}
_TABLES = {"severity", "glossary", "aliases", "rehearse"}
_STRS = {"kubectl", "out"}
_BOOLS = {"html", "online"}


def _key(name: str) -> str:
    return name.replace("_", "-")


def _check(path: str, name: str, value):
    if name in _LISTS:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(path, _key(name), "expected a list of strings")
        return tuple(value)
    if name in _TABLES:
        if not isinstance(value, dict):
            raise ConfigError(path, _key(name), "expected a table")
        if name == "severity":
            for rule, sev in value.items():
                if sev not in SEVERITY_VALUES:
                    raise ConfigError(path, f"severity.{rule}", f"got {sev!r}; allowed: {', '.join(SEVERITY_VALUES)}")
        elif name != "rehearse" and not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(path, _key(name), "expected a table of strings")
        return MappingProxyType(dict(value))
    if name in _STRS and not isinstance(value, str):
        raise ConfigError(path, _key(name), "expected a string")
    if name in _BOOLS and not isinstance(value, bool):
        raise ConfigError(path, _key(name), "expected true or false")
    return value


def find(start: Path) -> Path | None:
    """The nearest deckops.toml, or pyproject.toml with a [tool.deckops] table, from start upwards."""
    for d in [start, *start.parents]:
        if (d / "deckops.toml").is_file():
            return d / "deckops.toml"
        py = d / "pyproject.toml"
        if py.is_file() and "[tool.deckops" in py.read_text(errors="replace"):
            return py
        if (d / ".git").exists():
            return None
    return None


def load(start: Path | None = None, explicit: Path | None = None) -> Config:
    start = (start or Path.cwd()).resolve()
    path = explicit or find(start)
    if path is None:
        return Config(root=_repo_root(start))
    import tomllib  # here: most of a short command's start-up otherwise (see bench/rehearse.py)

    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "-", f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "-", f"invalid TOML: {exc}") from None
    table = doc if Path(path).name == "deckops.toml" else doc.get("tool", {}).get("deckops", {})
    return from_table(table, str(path), Path(path).resolve().parent)


def from_table(table: dict, path: str, root: Path) -> Config:
    known = {f.name for f in fields(Config)} - {"root", "source"}
    values = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in known:
            allowed = ", ".join(sorted(_key(k) for k in known))
            raise ConfigError(path, key, f"unknown key; allowed: {allowed}")
        values[name] = _check(path, name, value)
    if "aliases" in values:
        values["aliases"] = MappingProxyType({"k": "kubectl", **values["aliases"]})
    return Config(root=root, source=path, **values)


def _repo_root(start: Path) -> Path:
    for d in [start, *start.parents]:
        if (d / ".git").exists():
            return d
    return start
