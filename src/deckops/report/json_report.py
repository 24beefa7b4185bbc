"""JSON: {"diagnostics": [...], "summary": {...}}."""
from __future__ import annotations

import json

from ..diagnostic import Diagnostic, count


def render(diags: list[Diagnostic], files: int, **_) -> str:
    doc = {
        "diagnostics": [d.as_dict() for d in diags],
        "summary": {
            "files": files,
            "errors": count(diags, "error"),
            "warnings": count(diags, "warning"),
            "info": count(diags, "info"),
        },
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
