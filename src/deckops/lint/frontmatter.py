"""D1xx: front matter and Marp directives, read the way Marp reads them."""
from __future__ import annotations

import re

from .engine import Context, Finding


def _open_quote_line(raw: str, first_line: int) -> int | None:
    """The file line whose value opens a quote it never closes (the usual cause)."""
    for n, line in enumerate(raw.split("\n")):
        m = re.match(r"^\s*[\w$\"'-]+\s*:\s*(['\"])(.*)$", line)
        if m and not m.group(2).rstrip().endswith(m.group(1)):
            return first_line + n
    return None


def front_matter_invalid(ctx: Context):
    fm = ctx.deck.front_matter
    if fm is None or fm.error is None:
        return
    err = fm.error
    line = fm.file_line(err.line)
    col = err.col + 1
    quote = _open_quote_line(fm.raw, fm.line + 1)
    hint = "fix the YAML; Marp drops an invalid front matter silently"
    if quote is not None:
        hint = f"the quoted value on line {quote} is never closed: add the closing quote or remove the opening one"
    yield Finding(line, col,
                  f"front matter is not valid YAML ({err.message}); marp will ignore ALL of it "
                  "(theme, header, footer, paginate, class, style)", hint)
