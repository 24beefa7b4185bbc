"""The `<!-- rehearse: ... -->` annotation grammar, shared by the linter (D106) and rehearse."""
from __future__ import annotations

import re

# key -> kind of value; a flag takes no value
KEYS = {
    "skip": "text",
    "timeout": "number",
    "expect-exit": "int",
    "stdin": "text",
    "setup": "flag",
    "teardown": "flag",
    "name": "text",
    "pty": "flag",
    "needs": "choice",
}
# the values of a `choice` key: what a snippet needs that a rehearsal gives only when the command line allows it
CHOICES = {"needs": ("host-access",)}


class AnnotationError(ValueError):
    """A bad `<!-- rehearse: ... -->` comment; `key` names the offending key ('' for syntax)."""

    def __init__(self, message: str, key: str = ""):
        self.key = key
        super().__init__(message)


_WORD = re.compile(r"""\s*(?:([A-Za-z][\w-]*)(?:=("(?:[^"\\]|\\.)*"|'[^']*'|[^\s"']+))?(?=\s|$)|(\S+))""")


def parse_annotation(text: str) -> dict:
    """`rehearse: skip="why" timeout=5 setup` -> {"skip": "why", "timeout": 5.0, "setup": True}."""
    body = re.sub(r"^\s*rehearse\s*:", "", text, count=1)
    out: dict = {}
    for m in _WORD.finditer(body.rstrip()):
        key, raw, junk = m.groups()
        if junk or (key is None and m.group(0).strip()):
            raise AnnotationError(f"rehearse comment: cannot read {(junk or m.group(0)).strip()!r} "
                                  "(write key=value or key=\"value with spaces\")")
        if key is None:
            continue
        key = key.lower().replace("_", "-")
        if key not in KEYS:
            raise AnnotationError(f"unknown rehearse key {key!r}; allowed: {', '.join(KEYS)}", key)
        out[key] = _value(key, KEYS[key], _unquote(raw) if raw is not None else None)
    return out


def _unquote(raw: str) -> str:
    if raw[:1] == '"':
        return re.sub(r'\\(["\\])', r"\1", raw[1:-1])
    return raw[1:-1] if raw[:1] == "'" else raw


def _value(key: str, kind: str, value: str | None):
    if kind == "flag":
        if value is not None and value.lower() not in ("true", "yes", "1"):
            raise AnnotationError(f"rehearse key {key!r} takes no value", key)
        return True
    if value is None:
        if key == "skip":
            return ""
        raise AnnotationError(f"rehearse key {key!r} needs a value ({key}=...)", key)
    if kind == "text":
        return value
    if kind == "choice":
        if value not in CHOICES[key]:
            raise AnnotationError(f"rehearse key {key!r}: {value!r} is not one of: {', '.join(CHOICES[key])}", key)
        return value
    try:
        number = float(value) if kind == "number" else int(value)
    except ValueError:
        raise AnnotationError(f"rehearse key {key!r}: {value!r} is not a{'n integer' if kind == 'int' else ' number'}",
                              key) from None
    if kind == "number" and number <= 0:
        raise AnnotationError(f"rehearse key {key!r}: must be > 0", key)
    return number
