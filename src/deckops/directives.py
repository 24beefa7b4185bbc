"""Marp's directive catalogue and its loose YAML reading (marpit's looseYAML + js-yaml FAILSAFE)."""
from __future__ import annotations

import copy
import dataclasses
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .marpit import JS_SPACE, js_trim

GLOBAL = frozenset({
    "theme", "style", "headingDivider", "size", "math", "lang", "title", "description",
    "author", "image", "keywords", "url", "marp",
})
LOCAL = frozenset({
    "paginate", "header", "footer", "class", "backgroundColor", "backgroundImage",
    "backgroundPosition", "backgroundRepeat", "backgroundSize", "color", "transition",
})
KNOWN = GLOBAL | LOCAL
# Marpit's own directives: the only keys its loose YAML quotes in a directive comment
MARPIT_KEYS = frozenset({
    "headingDivider", "style", "theme", "lang", "backgroundColor", "backgroundImage", "backgroundPosition",
    "backgroundRepeat", "backgroundSize", "class", "color", "footer", "header", "paginate",
})
# in the front matter also the directives marp-cli adds (marp-core's `size` and `math` are not enumerable there)
FRONT_MATTER_KEYS = MARPIT_KEYS | frozenset({"author", "description", "image", "keywords", "title", "url",
                                             "transition"})
DECKOPS_KEYS = frozenset({"rehearse"})
YAML_SPECIAL = "[\"'{|>~&*"
MAX_YAML_CHARS = 1_000_000
MAX_YAML_NODES = 100_000


@dataclass(frozen=True)
class YamlError:
    """Where (0-based line/col inside the YAML text) and why a block failed to parse."""

    message: str
    line: int
    col: int
    limit: bool = False  # a resource limit was hit (not a syntax error)


def _key_pattern(names) -> str:
    alts = []
    for name in sorted(names):
        n = "_?" + re.escape(name)
        alts += [n, f'"{n}"', f"'{n}'"]
    return "|".join(alts)


_JS_SPACE_CLASS = "[" + re.escape(JS_SPACE) + "]"


@functools.lru_cache(maxsize=8)
def _loose_pattern(names: frozenset) -> re.Pattern:
    # compiled on first use, not at import: a long alternation, and most runs never need it (see _simple_mapping);
    # JavaScript's `.` stops at \r, \u2028 and \u2029 as well as \n
    return re.compile(rf"((?:{_key_pattern(names)}){_JS_SPACE_CLASS}*:)([^\r\n\u2028\u2029]+)")


def loosen(text: str, names=MARPIT_KEYS) -> str:
    """Marpit's convertLoose: wrap the value of each `directive: value` line in double quotes, escaping only `"`
    (so backslashes stay YAML escapes), unless it is empty or starts with one of `["'{|>~&*`."""
    pattern = _loose_pattern(frozenset(names))
    out = []
    for line in text.split("\n"):
        m = pattern.fullmatch(line)
        if m:
            value = m.group(2)
            trimmed = js_trim(value)
            if trimmed and trimmed[0] not in YAML_SPECIAL:
                pad = value[: len(value) - len(value.lstrip(JS_SPACE))]
                line = m.group(1) + pad + '"' + trimmed.replace('"', '\\"') + '"'
        out.append(line + "\n")
    return js_trim("".join(out))


def _error_of(exc) -> YamlError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    msg = f"{context}, {problem}" if context else str(problem)
    return YamlError(msg, mark.line if mark else 0, mark.column if mark else 0)




# a line that starts a sequence, a comment or a document marker (`- a`, `# x`, `...`): YAML may read a structure
_BLOCK_START = re.compile(r"(?:^|\n)[ \t]*[-#.?%]")


def _cannot_be_mapping(text: str) -> bool:
    """Most speaker notes have no `:`, `{` or `?`: YAML would read them as one string, so skip the parser."""
    return not any(c in text for c in ":{?&*!%@`|>[\"'")


# `key: value` with a plain word-like value: YAML (loosened or not) reads it as that string, whatever the key
_SIMPLE_LINE = re.compile(r"([A-Za-z_$][A-Za-z0-9_$-]*): +([A-Za-z0-9](?:[A-Za-z0-9 ._/-]*[A-Za-z0-9._/-])?) *")


def _simple_mapping(text: str) -> dict | None:
    """The mapping of text made only of simple `key: value` lines (most front matter and directive comments),
    read without loading the YAML parser (~15 ms of a short run's start-up); None for anything else."""
    data: dict = {}
    for line in text.split("\n"):
        if not line:
            continue
        m = _SIMPLE_LINE.fullmatch(line)
        if m is None or m.group(1) in data:
            return None
        data[m.group(1)] = m.group(2)
    return data or None


def parse_loose(text: str, keys=MARPIT_KEYS) -> tuple[object, YamlError | None]:
    """parse_loose_once's answer, the data a copy of its own (callers may keep or change it)."""
    data, err = _parse_loose_once(text, keys)
    return copy.deepcopy(data), err


@functools.lru_cache(maxsize=4096)  # a deck repeats its directive comments; the language server re-reads them all
def _parse_loose_once(text: str, keys=MARPIT_KEYS) -> tuple[object, YamlError | None]:
    """Parse text as Marp does: marpit's loose quoting of `keys`, then js-yaml's FAILSAFE schema (every scalar a
    string; duplicate keys and tags other than !!str/!!seq/!!map are errors). Returns (data, error)."""
    if _cannot_be_mapping(text) and not _BLOCK_START.search(text):
        return (text.strip() or None), None
    if len(text) > MAX_YAML_CHARS:
        return None, YamlError(f"YAML block is larger than {MAX_YAML_CHARS:,} characters", 0, 0, limit=True)
    simple = _simple_mapping(text)
    if simple is not None:
        return simple, None
    import yaml  # here, not at the top: decks without YAML (and `rehearse`) start faster

    from ._failsafe import load

    # marpit trims the loosened text; js-yaml still ends a final block scalar with its line break
    loose = loosen(text, keys) + "\n"
    try:
        return load(loose, MAX_YAML_NODES)
    except yaml.YAMLError as exc:
        err = _error_of(exc)
        last = text.rstrip("\n").count("\n")  # "end of stream" points past the text: name its last line
        return None, err if err.line <= last else dataclasses.replace(err, line=last, col=0)
    except RecursionError:
        return None, YamlError("YAML block is nested too deeply", 0, 0, limit=True)


def base_name(key: str) -> tuple[str, str]:
    """Split a directive key into (prefix, name): `_class` -> ("_", "class")."""
    if key[:1] in ("_", "$") and key[1:]:
        return key[0], key[1:]
    return "", key


# --- what each directive does with its value (Marpit's directives.js, marp-core, marp-cli) --------------------
# Each function returns the keys it sets on the slides' directives; {} when Marp ignores the value (the previous
# value stays in force). DROP removes a key (marp-cli's `url:` without a value).
DROP = object()


def _any(name):
    return lambda v: {name: v}


def _text(name):
    return lambda v: {name: v} if isinstance(v, str) else {}


def _heading_divider(v):
    from .marpit import js_parse_int

    def to_int(x):
        return x if isinstance(x, list) else js_parse_int(x)

    converted = to_int(v)
    if isinstance(converted, list):
        wanted = [to_int(x) for x in converted]
        return {"headingDivider": [n for n in range(1, 7) if n in wanted]}
    if v == "false":
        return {"headingDivider": False}
    return {"headingDivider": converted} if converted in range(1, 7) and not isinstance(converted, bool) else {}


def _keywords(v):
    items = v if isinstance(v, list) else [p.strip(JS_SPACE) for p in v.split(",")] if isinstance(v, str) else None
    kept = list(dict.fromkeys(k for k in items or () if isinstance(k, str) and k))
    return {"keywords": kept} if kept else {}


_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(.*)", re.S)
_SPECIAL_SCHEMES = ("http", "https", "ws", "wss", "ftp")


def _url(v):
    if isinstance(v, list):
        return {}
    if v is None:
        return {"url": DROP}
    if v and not _valid_url(v if isinstance(v, str) else "[object Object]"):
        return {}
    return {"url": v}


def _valid_url(text: str) -> bool:
    """Whether the WHATWG URL parser (`new URL(v)`) accepts text: a scheme, and a host for http(s)/ws(s)/ftp."""
    text = text.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16"
                      "\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
    m = _URL_SCHEME.fullmatch(text)
    if m is None:
        return False
    scheme = text.split(":", 1)[0].lower()
    if scheme in _SPECIAL_SCHEMES:
        host = m.group(1).lstrip("/\\").split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        return bool(host.rsplit("@", 1)[-1].split(":", 1)[0])
    return True


def _class(v):
    return {"class": " ".join(_js_string(x) for x in v) if isinstance(v, list) else v}


def _js_string(x) -> str:
    """Array.prototype.join's view of one element."""
    if x is None:
        return ""
    if isinstance(x, list):
        return ",".join(_js_string(y) for y in x)
    if isinstance(x, dict):
        return "[object Object]"
    return str(x)


def _paginate(v):
    if isinstance(v, (list, dict)):
        return {}  # Marp throws on these (`.toLowerCase` of an array); deckops reports them instead
    normalized = (v or "").lower()
    if normalized in ("hold", "skip"):
        return {"paginate": normalized}
    return {"paginate": normalized == "true"}


def _transition(v):
    if not isinstance(v, str):
        return {}
    parts = re.split(_JS_SPACE_CLASS + "+", js_trim(v))
    return {"transition": {"name": parts[0], **({"duration": parts[1]} if len(parts) > 1 else {})}}


GLOBAL_RULES = {
    "headingDivider": _heading_divider, "style": _any("style"), "lang": _any("lang"),
    "theme": lambda v: {"theme": v} if isinstance(v, str) and v else {},  # as applied when the theme is installed
    "size": _text("size"),
    "math": lambda v: {"math": v} if v in ("katex", "mathjax") else {},
    "author": _text("author"), "description": _text("description"), "image": _text("image"),
    "keywords": _keywords, "title": _text("title"), "url": _url,
}
LOCAL_RULES = {
    "backgroundColor": _any("backgroundColor"), "backgroundImage": _any("backgroundImage"),
    "backgroundPosition": _any("backgroundPosition"), "backgroundRepeat": _any("backgroundRepeat"),
    "backgroundSize": _any("backgroundSize"), "class": _class, "color": _any("color"),
    "footer": _text("footer"), "header": _text("header"), "paginate": _paginate, "transition": _transition,
}


def merge(into: dict, updates: dict) -> None:
    for k, v in updates.items():
        if v is DROP:
            into.pop(k, None)
        else:
            into[k] = v


def apply_globals(data, into: dict) -> bool:
    """Apply the global directives of one parsed block; True when Marp recognised any key (then it is no note)."""
    recognized = False
    for key in _keys(data):
        rule = GLOBAL_RULES.get(key)
        if rule is not None:
            recognized = True
            merge(into, rule(data[key]))
    return recognized


def apply_locals(data, local: dict, spot: dict) -> bool:
    """Apply local directives (inherited) and `_`-prefixed spot directives (this slide only)."""
    recognized = False
    for key in _keys(data):
        rule = LOCAL_RULES.get(key)
        if rule is not None:
            recognized = True
            merge(local, rule(data[key]))
        if key.startswith("_") and key[1:] in LOCAL_RULES:
            recognized = True
            merge(spot, LOCAL_RULES[key[1:]](data[key]))
    return recognized


def _keys(data) -> list[str]:
    if isinstance(data, Mapping):
        return [str(k) for k in data]
    return []  # a list's indices are no directive names
