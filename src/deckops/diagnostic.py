"""The one record every finding is: a code, a name, a severity and a 1-based position."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, order=True)
class Pos:
    """A 1-based line and column in one file."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    """One finding. `code` is stable (D101); `name` is the public kebab-case rule name."""

    code: str
    name: str
    severity: Severity
    pos: Pos
    message: str
    hint: str = ""

    @property
    def path(self) -> str:
        return self.pos.path

    @property
    def line(self) -> int:
        return self.pos.line

    @property
    def col(self) -> int:
        return self.pos.col

    def sort_key(self) -> tuple:
        return (self.pos.path, self.pos.line, self.pos.col, self.code, self.message)

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "path": self.pos.path,
            "line": self.pos.line,
            "column": self.pos.col,
            "message": self.message,
            "hint": self.hint,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Diagnostic":
        """The finding as_dict() wrote (a JSON report, a cached browser check)."""
        return cls(d["code"], d["name"], d["severity"], Pos(d["path"], d["line"], d["column"]), d["message"],
                   d.get("hint", ""))


def format_text(d: Diagnostic) -> str:
    """The one place a diagnostic becomes `path:line:col: CODE name message`."""
    return f"{d.pos}: {d.code} {d.name} {d.message}"


def count(diags, severity: Severity) -> int:
    return sum(1 for d in diags if d.severity == severity)
