"""--update: rewrite the output lines of console fences from the real run; nothing else in the deck changes."""
from __future__ import annotations

import re
from pathlib import Path

from ..deck import Deck
from ..errors import UsageError
from ..files import write_atomic
from .verdict import SnippetResult

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def edits(results: list[SnippetResult]) -> list[tuple[int, int, tuple[str, ...]]]:
    """(first line, last line, new lines) per stale console command; last < first means an insertion."""
    out = []
    for r in results:
        for c in r.commands:
            if c.failure != "stale-output" or c.comparison is None or c.outcome.more:
                continue  # (output beyond the limit was not kept: it cannot be written back)
            exp = c.command.expected
            first = exp[0].line if exp else c.command.end_line + 1
            last = exp[-1].line if exp else c.command.end_line
            out.append((first, last, c.comparison.merged))
    return out


def apply(lines: list[str], deck: Deck, changes) -> list[str]:
    """Replace bottom-up so earlier line numbers stay valid; new lines get the fence's indentation."""
    for first, last, new in sorted(changes, reverse=True):
        anchor = lines[first - 2] if first >= 2 else "\n"
        ending = anchor[len(anchor.rstrip("\r\n")):] or "\n"
        indent = _indent(deck, first)
        lines[first - 1:last] = [(indent + t if t else t) + ending for t in new]
    return lines


def _indent(deck: Deck, line: int) -> str:
    slide = deck.slide_at(line)
    for fence in slide.fences if slide else ():
        if fence.line < line <= fence.end_line:
            opening = deck.lines[fence.line - 1]
            return opening[: len(opening) - len(opening.lstrip())]
    return ""


def rewrite(path: Path, deck: Deck, results: list[SnippetResult]) -> int:
    """Rewrite the deck atomically; returns how many command outputs changed (0: file untouched)."""
    changes = edits(results)
    if not changes:
        return 0
    data = Path(path).read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    text = data[3 if bom else 0:].decode("utf-8")
    if text.replace("\r\n", "\n").replace("\r", "\n") != deck.text:
        raise UsageError(f"{path}: changed during the rehearsal; not updated (run again with --update)")
    lines = apply(_LINE.findall(text), deck, changes)
    write_atomic(Path(path), (b"\xef\xbb\xbf" if bom else b"") + "".join(lines).encode("utf-8"))
    return len(changes)
