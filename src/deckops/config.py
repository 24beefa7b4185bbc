"""[tool.deckops] in pyproject.toml (or deckops.toml) -> a frozen Config. The one config validator: a table of
key -> kind and allowed values (CONFIG_KEYS, and REHEARSE_KEYS for [tool.deckops.rehearse] and rehearse's sidecar
files) checked by validate(), which reports every problem of a file at once, each naming the file, the key (and
its line, where the parser gives one) and what is allowed, in one ConfigError (exit 2)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Literal, Mapping

from .helpers import did_you_mean

SEVERITY_VALUES = ("error", "warning", "info", "off")
MAX_OUTPUT_LIMIT = 16 * 1024 * 1024  # per command: what a repository may ask for (reports stay bounded)


@dataclass(frozen=True)
class Problem:
    """One bad entry: its file, table, key, and position when the parser knows it (YAML does, tomllib does not)."""

    path: str
    key: str
    message: str
    table: str = ""  # "[tool.deckops]", "[tool.deckops.rehearse]", or "" for a file that is the table
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}" if self.line else self.path
        key = f"{self.table} {self.key}".strip()
        return f"{where}: {key}: {self.message}" if key else f"{where}: {self.message}"


class ConfigError(Exception):
    """Every problem of a config file (or of the command's config files): one line each, exit 2."""

    def __init__(self, path: str | list[Problem], key: str = "", message: str = ""):
        self.problems = list(path) if isinstance(path, list) else [Problem(path, key, message, "[tool.deckops]")]
        self.path, self.key = self.problems[0].path, self.problems[0].key
        super().__init__("\n  ".join(str(p) for p in self.problems))


Kind = Literal["str", "bool", "strings", "folders", "table", "strings-table", "mapping", "severity-table",
               "regex-table", "seconds", "positive", "duration", "bytes", "choice", "section"]


@dataclass(frozen=True)
class Key:
    """What one key accepts: a kind, for `choice` the allowed values, for `section` the keys of its table."""

    kind: Kind
    allowed: tuple[str, ...] = ()
    section: Mapping[str, "Key"] | None = None
    refused: str = ""  # set only in a file of the repository: refused, and how to set it instead
    reserved: tuple[str, ...] = ()  # `mapping` names a file of the repository may not set (env)
    zero: bool = False  # `duration`: 0 is allowed too


# Host access for `needs=host-access` snippets (root on the real node's machine) is granted by the command line
# only: a file of the repository that asks for it is refused (it would be read from a pull request).
HOST_ACCESS_REFUSED = "only the command line can allow host access: pass --allow-host-access"

# [tool.deckops.rehearse] and DECK.rehearse.yaml (rehearse/settings.py). A file in the repository is as untrusted
# as the deck: it may not pick or widen the cluster the snippets reach, nor point them at another kubeconfig or
# home; only the command line and the user's own config (outside the repository) may.
REHEARSE_KEYS: Mapping[str, Key] = MappingProxyType({
    "aliases": Key("mapping"),
    "env": Key("mapping", reserved=("KUBECONFIG", "HOME", "KUBECACHEDIR", "DECKOPS_NAMESPACE")),
    "masks": Key("regex-table"),
    "k8s-masks": Key("bool"),
    "cluster": Key("choice", ("local", "kind")),
    "cluster-name": Key("str"),
    "context": Key("str", refused="pass --context on the command line"),
    "setup": Key("strings"),
    "teardown": Key("strings"),
    "timeout": Key("seconds"),
    "sandbox-contexts": Key("strings", refused="put it in ~/.config/deckops/config.toml or pass --allow-context"),
    "output-limit": Key("bytes"),
    "allow-host-access": Key("bool", refused=HOST_ACCESS_REFUSED),
})
USER_KEYS: Mapping[str, Key] = MappingProxyType({"sandbox-contexts": Key("strings")})  # the user's own config

# [tool.deckops.time] (deckops time, demo's pace: rehearse/budget.py)
TIME_KEYS: Mapping[str, Key] = MappingProxyType({
    "target": Key("duration"),
    "allowance": Key("duration", zero=True),
    "wpm": Key("positive"),
    "pace": Key("positive"),
})

CONFIG_KEYS: Mapping[str, Key] = MappingProxyType({
    "select": Key("strings"),
    "ignore": Key("strings"),
    "severity": Key("severity-table"),
    "glossary": Key("strings-table"),
    "directives": Key("strings"),
    "aliases": Key("strings-table"),
    "kubectl": Key("str"),
    "marp": Key("str"),
    "plugins": Key("strings"),
    "words": Key("strings"),
    "themes": Key("folders"),
    "html": Key("bool"),
    "online": Key("bool"),
    "sandbox-contexts": Key("strings"),  # read, and ignored with a warning, by rehearse (its guard)
    "allow-host-access": Key("bool", refused=HOST_ACCESS_REFUSED),
    "out": Key("str"),
    "rehearse": Key("section", section=REHEARSE_KEYS),
    "time": Key("section", section=TIME_KEYS),
})


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


@dataclass(frozen=True)
class Where:
    """Where a table was read: its file, its name in that file, and key -> (line, col) when the parser gives it."""

    path: str
    table: str = ""
    positions: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def problem(self, key: str, message: str) -> Problem:
        line, col = self.positions.get(key, (None, None))
        return Problem(self.path, key, message, self.table, line, col)


def validate(table: Mapping, schema: Mapping[str, Key], where: Where) -> tuple[dict, list[Problem]]:
    """Every key of the table against the schema: (attribute -> checked value, every problem found)."""
    values, problems = {}, []
    for raw, value in table.items():
        key = str(raw).replace("_", "-")
        spec = schema.get(key)
        if spec is None:
            guess = did_you_mean(key, schema, cutoff=0.6)
            problems.append(where.problem(str(raw), "unknown key" + (f" (did you mean {guess!r}?)" if guess else "")
                                          + f"; allowed: {', '.join(sorted(schema))}"))
        elif spec.refused:
            problems.append(where.problem(key, "refused in a file of the repository (a deck may not choose or widen "
                                               f"the cluster it reaches); {spec.refused}"))
        else:
            checked, errors = _check(spec, key, value, where)
            problems.extend(e if isinstance(e, Problem) else where.problem(*e) for e in errors)
            if not errors:
                values[key.replace("-", "_")] = checked
    return values, problems


def _got(value) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _strings(value) -> tuple[str, ...] | None:
    value = [value] if isinstance(value, str) else value
    return tuple(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def _check(spec: Key, key: str, value, where: Where) -> tuple[object, list]:
    """(the value as Config keeps it, [(key, message)] or nested Problems); a dispatch on the key's kind."""
    return _KINDS[spec.kind](spec, key, value, where)


def _scalar(expected: str, ok: Callable[[object], bool], convert=lambda v: v):
    def check(spec: Key, key: str, value, where: Where):
        return (convert(value), []) if ok(value) else (None, [(key, f"expected {expected}, got {_got(value)}")])
    return check


def _list(spec: Key, key: str, value, where: Where):
    got = _strings(value)
    if got is None:
        return None, [(key, f"expected a list of strings, got {_got(value)}")]
    # `themes = ["/"]` walked the whole filesystem looking for CSS
    outside = [e for e in got if spec.kind == "folders" and _escapes(e)]
    return got, [(key, f"{e!r} is outside the repository; allowed: folders relative to the repository root, "
                       "without '..'") for e in outside]


def _table(spec: Key, key: str, value, where: Where):
    if not isinstance(value, dict):
        return None, [(key, f"expected a table, got {_got(value)}")]
    if spec.kind == "section":
        values, problems = validate(value, spec.section or {}, Where(where.path, f"{where.table[:-1]}.{key}]"
                                    if where.table else "", where.positions))
        return MappingProxyType(dict(value)), problems
    errors = []
    for name, item in value.items():
        if spec.kind == "strings-table" and not isinstance(item, str):
            errors.append((f"{key}.{name}", f"expected a string, got {_got(item)}"))
        elif spec.kind == "severity-table" and item not in SEVERITY_VALUES:
            errors.append((f"{key}.{name}", f"got {_got(item)}; allowed: {', '.join(SEVERITY_VALUES)}"))
        elif spec.kind == "regex-table":
            try:
                re.compile(str(item))
            except re.error as exc:
                errors.append((f"{key}.{name}", f"bad regular expression: {exc}"))
        elif str(name) in spec.reserved:
            errors.append((f"{key}.{name}", f"refused: deckops sets {name} for every snippet "
                                            f"({', '.join(spec.reserved)} cannot be changed by the repository)"))
    stringify = spec.kind in ("mapping", "regex-table")
    return MappingProxyType({str(k): str(v) for k, v in value.items()} if stringify else dict(value)), errors


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")
_CLOCK = re.compile(r"(\d+):([0-5]\d)")


def parse_duration(text) -> float:
    """`30m`, `1h15m`, `90s`, `1.5m`, `2:30` (minutes:seconds) or a number of seconds -> seconds; ValueError."""
    text = str(text).strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    clock = _CLOCK.fullmatch(text)
    if clock:
        return int(clock.group(1)) * 60 + int(clock.group(2))
    m = _DURATION.fullmatch(text)
    if not text or not m or not any(m.groups()):
        raise ValueError(f"{text!r} is not a duration (write 30m, 1h15m, 90s or 2:30)")
    h, mins, s = (float(g or 0) for g in m.groups())
    return h * 3600 + mins * 60 + s


def _duration(spec: Key, key: str, value, where: Where):
    try:
        seconds = parse_duration(value) if not isinstance(value, bool) else -1.0
    except ValueError as exc:
        return None, [(key, str(exc))]
    if seconds > 0 or (spec.zero and seconds == 0):
        return seconds, []
    return None, [(key, f"expected a {'' if spec.zero else 'positive '}duration, got {_got(value)}")]


def _choice(spec: Key, key: str, value, where: Where):
    if value in spec.allowed:
        return value, []
    return None, [(key, f"expected one of {', '.join(spec.allowed)}, got {_got(value)}")]


_KINDS = {
    "str": _scalar("a string", lambda v: isinstance(v, str)),
    "bool": _scalar("true or false", lambda v: isinstance(v, bool)),
    "seconds": _scalar("a positive number of seconds", lambda v: _number(v) and v > 0, float),
    "positive": _scalar("a positive number", lambda v: _number(v) and v > 0, float),
    "duration": _duration,
    "bytes": _scalar(f"a number of bytes from 1 to {MAX_OUTPUT_LIMIT}",
                     lambda v: _number(v) and isinstance(v, int) and 0 < v <= MAX_OUTPUT_LIMIT),
    "choice": _choice,
    "strings": _list, "folders": _list,
    "table": _table, "strings-table": _table, "mapping": _table, "severity-table": _table, "regex-table": _table,
    "section": _table,
}


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


Check = Callable[[Config], list[Problem]]  # more checks of a loaded config (lint/catalogue.py: rule names)


def load(start: Path | None = None, explicit: Path | None = None, check: Check | None = None) -> Config:
    """The nearest config file (or `explicit`) as a Config; every problem of the file in one ConfigError,
    including what `check` finds in the entries that passed (so a misspelt rule and a bad type show together)."""
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
    return from_table(table, str(path), Path(path).resolve().parent, check)


def from_table(table: dict, path: str, root: Path, check: Check | None = None) -> Config:
    values, problems = validate(table, CONFIG_KEYS, Where(path, "[tool.deckops]"))
    if "aliases" in values:
        values["aliases"] = MappingProxyType({"k": "kubectl", **values["aliases"]})
    config = Config(root=root, source=path, **values)
    problems += check(config) if check else []
    if problems:
        raise ConfigError(problems)
    return config


def _repo_root(start: Path) -> Path:
    for d in [start, *start.parents]:
        if (d / ".git").exists():
            return d
    return start
