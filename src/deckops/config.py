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
    marp: str = ""  # a marp-cli executable (relative to the repo root); default: node_modules, then deckops'
    plugins: tuple[str, ...] = ()  # kubectl plugins the decks use (kubectl-usage)
    words: tuple[str, ...] = ()  # the project's words for spelling (plus a words.txt beside the config)
    themes: tuple[str, ...] = ("themes",)
    html: bool = False
    online: bool = False
    sandbox_contexts: tuple[str, ...] = ()
    out: str = "dist"
    rehearse: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    time: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))  # deckops time (budget.py)


_LISTS = {"select", "ignore", "directives", "themes", "sandbox_contexts", "plugins", "words"}
_TABLES = {"severity", "glossary", "aliases", "rehearse", "time"}
_STRS = {"kubectl", "out", "marp"}
_BOOLS = {"html", "online"}


def _key(name: str) -> str:
    return name.replace("_", "-")


def _check(path: str, name: str, value):
    if name in _LISTS:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(path, _key(name), "expected a list of strings")
        for entry in value if name == "themes" else ():
            if _escapes(entry):  # `themes = ["/"]` walked the whole filesystem looking for CSS
                raise ConfigError(path, "themes", f"{entry!r} is outside the repository; allowed: folders "
                                  "relative to the repository root, without '..'")
        return tuple(value)
    if name in _TABLES:
        if not isinstance(value, dict):
            raise ConfigError(path, _key(name), "expected a table")
        if name == "severity":
            for rule, sev in value.items():
                if sev not in SEVERITY_VALUES:
                    raise ConfigError(path, f"severity.{rule}", f"got {sev!r}; allowed: {', '.join(SEVERITY_VALUES)}")
        elif name not in ("rehearse", "time") and not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(path, _key(name), "expected a table of strings")
        return MappingProxyType(dict(value))
    if name in _STRS and not isinstance(value, str):
        raise ConfigError(path, _key(name), "expected a string")
    if name in _BOOLS and not isinstance(value, bool):
        raise ConfigError(path, _key(name), "expected true or false")
    return value


def _escapes(entry: str) -> bool:
    p = Path(entry)
    return p.is_absolute() or ".." in p.parts or entry.startswith("~")


def find(start: Path) -> Path | None:
    """The nearest deckops.toml, or pyproject.toml with a [tool.deckops] table, from start upwards."""
    for d in [start, *start.parents]:
        try:
            if (d / "deckops.toml").is_file():
                return d / "deckops.toml"
            py = d / "pyproject.toml"
            if py.is_file() and b"[tool.deckops" in _read(py):
                return py
            if (d / ".git").exists():
                return None
        except OSError as exc:  # a folder we may not search: one line, not a traceback
            raise ConfigError(str(d), "-", f"cannot look for deckops.toml here: {exc.strerror or exc}") from None
    return None


def _read(path: Path) -> bytes:
    """A config file's bytes: a regular file of at most files.READ_LIMIT (checked before reading)."""
    from .files import FileError, read_checked

    try:
        return read_checked(path, "config")
    except FileError as exc:
        raise ConfigError(str(path), "-", str(exc).split(": ", 1)[-1]) from None


def load(start: Path | None = None, explicit: Path | None = None) -> Config:
    start = (start or Path.cwd()).resolve()
    path = explicit or find(start)
    if path is None:
        return Config(root=_repo_root(start))
    import tomllib  # here: most of a short command's start-up otherwise (see bench/rehearse.py)

    try:
        doc = tomllib.loads(_read(Path(path)).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), "-", f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "-", f"invalid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses per nesting level: `a = [[[[...` 100,000 deep
        raise ConfigError(str(path), "-", "invalid TOML: nested too deeply") from None
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
