"""Writers that turn diagnostics into text; none of them prints by itself."""
from __future__ import annotations

from . import json_report, text

FORMATS = {
    "text": text.render,
    "json": json_report.render,
}
