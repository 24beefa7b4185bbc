"""Writers that turn diagnostics into text; none of them prints by itself."""
from __future__ import annotations

from . import github, json_report, sarif, text

FORMATS = {
    "text": text.render_text,
    "json": json_report.render,
    "sarif": sarif.render,
    "github": github.render,
}
