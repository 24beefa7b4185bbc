"""SARIF 2.1.0 for GitHub code scanning: one run, the rule catalogue as the driver's rules."""
from __future__ import annotations

import json
import os
from urllib.parse import quote

from .. import __version__
from ..diagnostic import Diagnostic

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _rules(diags: list[Diagnostic]) -> list[dict]:
    from ..lint.registry import RULES

    known = {r.code: (r.name, r.summary, r.severity) for r in RULES.values()}
    for d in diags:  # D000 internal errors and other codes outside the catalogue
        known.setdefault(d.code, (d.name, d.name, d.severity))
    return [{
        "id": code,
        "name": name,
        "shortDescription": {"text": summary or name},
        "help": {"text": f"{code} {name}: {summary or name}. See docs/rules.md in deckops."},
        "defaultConfiguration": {"level": LEVELS.get(sev, "warning")},
    } for code, (name, summary, sev) in sorted(known.items())]


def _location(path: str) -> dict:
    """Repository-relative URIs (what code scanning expects); absolute paths outside the cwd as file: URIs."""
    if os.path.isabs(path):
        rel = os.path.relpath(path)
        if rel.startswith(".."):
            return {"uri": "file://" + quote(path.replace("\\", "/"), safe="/-._~")}
        path = rel
    return {"uri": quote(path.replace("\\", "/"), safe="/-._~"), "uriBaseId": "%SRCROOT%"}


def _result(d: Diagnostic, index: dict[str, int]) -> dict:
    text = d.message + (f"\nhint: {d.hint}" if d.hint else "")
    return {
        "ruleId": d.code,
        "ruleIndex": index[d.code],
        "level": LEVELS.get(d.severity, "warning"),
        "message": {"text": text},
        "locations": [{"physicalLocation": {
            "artifactLocation": _location(d.path),
            "region": {"startLine": max(d.line, 1), "startColumn": max(d.col, 1)},
        }}],
    }


def render(diags: list[Diagnostic], files: int, **_) -> str:
    rules = _rules(diags)
    index = {r["id"]: i for i, r in enumerate(rules)}
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "deckops", "version": __version__, "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": [_result(d, index) for d in diags],
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
