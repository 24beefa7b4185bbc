"""D0xx: what the parser itself could not read (encoding, sizes, unclosed constructs)."""
from __future__ import annotations

from .engine import Context, Finding

_HINTS = {
    "encoding": "save the file as UTF-8 text",
    "too-large": "split the deck into several files",
    "unclosed-front-matter": "add a line `---` after the last front-matter key",
    "unclosed-comment": "close the comment with `-->`; until then everything after it is hidden",
    "unclosed-fence": "close the code block with the same fence it was opened with",
    "read": "pass a readable Markdown file",
}


def parse_error(ctx: Context):
    for issue in ctx.deck.issues:
        yield Finding(issue.line, issue.col, issue.message, _HINTS.get(issue.kind, ""))
