"""Marp's directive catalogue and its loose YAML reading (marpit's looseYAML + js-yaml FAILSAFE)."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

GLOBAL = frozenset({
    "theme", "style", "headingDivider", "size", "math", "lang", "title", "description",
    "author", "image", "keywords", "url", "marp",
})
LOCAL = frozenset({
    "paginate", "header", "footer", "class", "backgroundColor", "backgroundImage",
    "backgroundPosition", "backgroundRepeat", "backgroundSize", "color", "transition",
})
KNOWN = GLOBAL | LOCAL
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
    context_line: int | None = None
    limit: bool = False  # a resource limit was hit (not a syntax error)


def _key_pattern(names) -> str:
    alts = []
    for name in sorted(names):
        n = "[_$]?" + re.escape(name)
        alts += [n, f'"{n}"', f"'{n}'"]
    return "|".join(alts)


@functools.lru_cache(maxsize=8)
def _loose_pattern(extra_keys: frozenset = frozenset()) -> re.Pattern:
    # compiled on first use, not at import: a long alternation, and most runs never need it (see _simple_mapping)
    return re.compile(rf"^((?:{_key_pattern(KNOWN | extra_keys)})\s*:)(.+)$")


def loosen(text: str, extra_keys=()) -> str:
    """Quote the value of each `directive: value` line as marpit does before parsing."""
    import json  # here: only YAML that is not simple `key: value` lines gets this far

    pattern = _loose_pattern(frozenset(extra_keys))
    out = []
    for line in text.split("\n"):
        m = pattern.match(line.rstrip("\r"))
        if m:
            value = m.group(2)
            trimmed = value.strip()
            if trimmed and trimmed[0] not in YAML_SPECIAL:
                pad = len(value) - len(value.lstrip())
                line = m.group(1) + " " * pad + json.dumps(trimmed, ensure_ascii=False)
        out.append(line)
    return "\n".join(out)


def _expanded_size(node, memo: dict) -> int:
    """How many nodes the document has once every alias is expanded (billion-laughs guard)."""
    import yaml

    key = id(node)
    if key not in memo:
        memo[key] = 1  # cycles count once
        if isinstance(node, yaml.SequenceNode):
            memo[key] = 1 + sum(_expanded_size(n, memo) for n in node.value)
        elif isinstance(node, yaml.MappingNode):
            memo[key] = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
        memo[key] = min(memo[key], MAX_YAML_NODES + 1)
    return memo[key]


def _error_of(exc) -> YamlError:
    mark = getattr(exc, "problem_mark", None)
    ctx = getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    msg = f"{context}, {problem}" if context else str(problem)
    return YamlError(msg, mark.line if mark else 0, mark.column if mark else 0, ctx.line if ctx else None)




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


def parse_loose(text: str, extra_keys=()) -> tuple[object, YamlError | None]:
    """Parse text as Marp does: loose quoting, then every scalar a string. Returns (data, error)."""
    if _cannot_be_mapping(text) and not text.lstrip().startswith(("#", "-")):
        return (text.strip() or None), None
    if len(text) > MAX_YAML_CHARS:
        return None, YamlError(f"YAML block is larger than {MAX_YAML_CHARS:,} characters", 0, 0, limit=True)
    simple = _simple_mapping(text)
    if simple is not None:
        return simple, None
    import yaml  # here, not at the top: decks without YAML (and `rehearse`) start faster

    loader = yaml.BaseLoader  # the pure loader: its error messages are the same on every machine (goldens)
    loose = loosen(text, extra_keys)
    try:
        if "*" in loose:
            node = yaml.compose(loose, Loader=loader)
            if node is not None and _expanded_size(node, {}) > MAX_YAML_NODES:
                return None, YamlError(f"YAML block expands to more than {MAX_YAML_NODES:,} values through "
                                       "aliases (an alias bomb?)", 0, 0, limit=True)
        return yaml.load(loose, Loader=loader), None
    except yaml.YAMLError as exc:
        return None, _error_of(exc)
    except RecursionError:
        return None, YamlError("YAML block is nested too deeply", 0, 0, limit=True)


def base_name(key: str) -> tuple[str, str]:
    """Split a directive key into (prefix, name): `_class` -> ("_", "class")."""
    if key[:1] in ("_", "$") and key[1:]:
        return key[0], key[1:]
    return "", key
