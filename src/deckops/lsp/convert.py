"""deckops findings -> LSP diagnostics (pure): 1-based line/col -> 0-based positions, code, rule name, docs link."""
from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types

from ..diagnostic import Diagnostic

SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
            "info": types.DiagnosticSeverity.Information}
# the rule docs: docs/rules.md of the checkout deckops runs from (an editable install); a wheel has no docs
RULE_DOCS = Path(__file__).resolve().parents[3] / "docs" / "rules.md"
_WORD = re.compile(r"\S+")


def docs_uri(code: str) -> str | None:
    return f"{RULE_DOCS.as_uri()}#{code.lower()}" if RULE_DOCS.is_file() else None


def span(lines: list[str], line: int, col: int) -> types.Range:
    """The word at (line, col), 1-based: where the finding points, as far as the next space."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    start = min(max(col - 1, 0), len(text))
    m = _WORD.match(text, start)
    end = m.end() if m else start
    return types.Range(types.Position(line - 1, start), types.Position(line - 1, max(end, start + 1)
                                                                       if text else start))


def to_lsp(d: Diagnostic, lines: list[str]) -> types.Diagnostic:
    href = docs_uri(d.code)
    return types.Diagnostic(
        range=span(lines, d.line, d.col),
        message=f"{d.name}: {d.message}" + (f"\n{d.hint}" if d.hint else ""),
        severity=SEVERITY.get(d.severity, types.DiagnosticSeverity.Information),
        code=d.code,
        code_description=types.CodeDescription(href=href) if href else None,
        source="deckops",
        data={"name": d.name, "hint": d.hint, "line": d.line, "col": d.col, "message": d.message},
    )
