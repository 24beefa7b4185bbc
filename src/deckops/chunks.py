"""markdown-it-py's tokens of a deck, parsed slide by slide: the same tokens as one parse of the whole text, and a
slide whose text did not change is not parsed again (the language server re-parses only the slide being typed in).

A deck splits at a line `---` at column 0 after a blank line: a blank line ends paragraphs, tables and HTML blocks
of types 6-7, and a line at column 0 ends lists, blockquotes and indented code, so only blocks that end at their
own closing line can be open there: fences, comments, `<style>`/`<script>`/`<pre>`/`<textarea>`, `<?`, `<!X`,
CDATA, `$$` math, the front matter. A line scan skips the `---` lines inside those; and whatever the scan gets
wrong, the parse of a piece shows it: such a block still open at the piece's end (its map runs to the end) means
the deck is parsed whole. Otherwise the `---` is a level-0 `hr` in the whole-text parse too, markdown-it's block
state starts afresh after it, and each piece's tokens (parsed alone, without the front-matter rule but in the
first piece) are those of the whole text, their lines shifted. A link reference definition (`[x]: url`) acts across
the whole text: a deck with one is parsed whole; so is one nested close to markdown-it's maxNesting (there it
takes the rest of the text into the open block). tests/test_chunks.py compares
both parses on the corpus, the hostile inputs and generated decks; tests/test_conformance.py runs on this parse.
"""
from __future__ import annotations

import bisect
import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from . import marpit

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_HTML_OPEN = (  # (opening test on the lstripped line, closing text), markdown-it's html_block types 1-5
    (re.compile(r"<(script|pre|style|textarea)(?=[\s>]|$)", re.I), None),
    (re.compile(r"<!--"), "-->"),
    (re.compile(r"<\?"), "?>"),
    (re.compile(r"<![A-Za-z]"), ">"),
    (re.compile(r"<!\[CDATA\["), "]]>"),
)
_OPENING_CHARS = frozenset(" \t`~$<")  # the first characters of the lines _opens can say yes to
MIN_CHUNKS = 2


def _rest_md() -> MarkdownIt:
    md = marpit.markdown()
    md.block.ruler.disable("front_matter")  # a piece's first line is no deck's first line
    return md


class Parser:
    """Tokens of normalised deck texts, keeping the pieces of the last parse for the next one.

    The tokens a parse returns belong to it until the next parse, which may reuse them (their lines shifted in
    place): keep the Deck of the latest parse only (the language server does)."""

    def __init__(self, first: MarkdownIt, rest: MarkdownIt | None = None):
        self.first, self.rest = first, rest or _rest_md()
        # (text, is first, occurrence) -> [deck line it starts at, its tokens with deck lines]
        self.pieces: dict[tuple[str, bool, int], list] = {}
        self.reused = 0
        self.slides: dict = {}  # deck.py's built slides of the last parse, reused where their tokens are
        self.moves: dict = {}  # deck.py: which slides of the last parse are those of this one, moved
        self.last: tuple[str, list[int]] | None = None  # the last text and its split points

    def parse(self, text: str) -> list[Token]:
        lines = text.split("\n")
        bounds = self._split_points(text, lines)
        self.last = (text, bounds) if bounds is not None else None
        if bounds is None or len(bounds) < MIN_CHUNKS:
            self.pieces = {}
            return self.first.parse(text, {})
        out: list[Token] = []
        kept: dict[tuple[str, bool, int], list] = {}
        seen: dict[str, int] = {}
        for n, start in enumerate(bounds):
            end = bounds[n + 1] if n + 1 < len(bounds) else len(lines)
            piece = "\n".join(lines[start:end]) + ("\n" if end < len(lines) else "")
            seen[piece] = seen.get(piece, -1) + 1
            key = (piece, n == 0, seen[piece])
            entry = self.pieces.get(key)
            if entry is None:
                toks = (self.first if n == 0 else self.rest).parse(piece, {})
                if end < len(lines) and (_runs_to_the_end(toks, end - start) or _too_deep(toks, self.first)):
                    self.pieces = {}
                    return self.first.parse(text, {})
                entry = [0, toks]
            else:
                self.reused += 1
            _shift(entry, start)
            kept[key] = entry
            out.extend(entry[1])
        self.pieces = kept
        return out


    def _split_points(self, text: str, lines: list[str]) -> list[int] | None:
        """split_points(), scanning only from the last split before the first changed line to the first split
        after the change where the last scan had one too: from there on the lines and the scan's state (no block
        open at a split) are the same, so the rest are the last scan's splits, shifted."""
        if self.last is None or "]:" in text:
            return split_points(lines, text)
        old_text, old = self.last
        first = _common_prefix(text, old_text)
        same_end = _common_suffix(text, old_text, min(len(text), len(old_text)) - first)
        changed = text.count("\n", 0, first)  # lines before this one are unchanged
        last_new = text.count("\n", 0, len(text) - same_end)  # lines after this one are unchanged (shifted)
        shift = last_new - old_text.count("\n", 0, len(old_text) - same_end)
        k = bisect.bisect_left(old, changed) - 1  # the last split before the changed line (its `---` and the
        if k < 1:  # blank line above it unchanged); none but the deck's start: scan the whole
            return split_points(lines, text)
        bounds = old[:k + 1]
        was = set(old)
        for i in _scan(lines, old[k] + 1):
            bounds.append(i)
            if i - 1 > last_new and i - shift in was:
                bounds.extend(b + shift for b in old[bisect.bisect_right(old, i - shift):])
                break
        return bounds


CHUNK = 1 << 16


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix (compared a slice at a time: C speed, no copy of the whole)."""
    n, i = min(len(a), len(b)), 0
    while i < n and a[i:i + CHUNK] == b[i:i + CHUNK]:
        i += CHUNK
    lo, hi = i, min(i + CHUNK, n)  # the answer is in [lo, hi]
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[i:mid] == b[i:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the longest common suffix, at most `limit`."""
    la, lb = len(a), len(b)
    i = 0
    while i < limit and a[max(la - i - CHUNK, la - limit):la - i] == b[max(lb - i - CHUNK, lb - limit):lb - i]:
        i = min(i + CHUNK, limit)
    lo, hi = i, min(i + CHUNK, limit)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid:la - i] == b[lb - mid:lb - i]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _too_deep(toks: list[Token], md: MarkdownIt) -> bool:
    """markdown-it stops nesting at maxNesting by taking the rest of the text into the open block: in a piece,
    the rest of the piece only. Pieces that come near that depth are not trusted."""
    limit = md.options["maxNesting"] - 2
    return any(t.level >= limit for t in toks)


def _shift(entry: list, start: int) -> None:
    """Give a piece's tokens the deck lines of a piece starting at `start` (inline children carry no lines)."""
    by = start - entry[0]
    if by:
        for t in entry[1]:
            if t.map is not None:
                t.map = [t.map[0] + by, t.map[1] + by]
        entry[0] = start


# the blocks that only their own closing line ends: one still open at a piece's end would, in the whole text,
# run on past the `---` (the piece was cut inside it)
_UNTIL_CLOSED = frozenset({"fence", "html_block", "marpit_comment", "marpit_style", "marp_math_block",
                           "front_matter"})


def _runs_to_the_end(toks: list[Token], length: int) -> bool:
    """Whether a block that ends only at its closing line ran to the piece's end (lines 0..length-1): not
    closed before the `---` that starts the next piece. Any other block ends at the blank line before it."""
    return any(t.map is not None and t.map[1] >= length and t.type in _UNTIL_CLOSED for t in toks)


def split_points(lines: list[str], text: str | None = None) -> list[int] | None:
    """The first line of each piece (0 first), or None when the deck must be parsed whole. `text`: the lines
    joined, when the caller has it (a search of it is quicker than one per line)."""
    if "]:" in (text if text is not None else "\n".join(lines)):  # a link reference definition may be there
        return None
    return [0, *_scan(lines, _after_front_matter(lines))]


def _scan(lines: list[str], i: int):
    """The splits from line i on, where no block is open at line i."""
    closing: str | None = None  # what ends the open block: a fence marker, a text, "$$"
    fence = ""
    while i < len(lines):
        line = lines[i]
        if closing is not None:
            if _closes(line, closing, fence):
                closing = None
            i += 1
            continue
        if line == "---" and i > 0 and not lines[i - 1].strip(" \t"):
            yield i
            i += 1
            continue
        if line[:1] not in _OPENING_CHARS:
            i += 1
            continue
        closing, fence = _opens(line)
        if closing is not None and closing not in ("fence", "$$") and closing.lower() in _after_open(line):
            closing = None  # closed on its own line
        elif closing == "$$" and marpit.js_trim(line.lstrip(" ")[2:])[-2:] == "$$":
            closing = None
        i += 1


def _after_front_matter(lines: list[str]) -> int:
    """A front matter (the deck starts with `-`) ends at the first later line that starts with `---`; no split
    before it (_runs_to_the_end checks the parse agrees)."""
    if not lines or not lines[0].startswith("-"):
        return 0
    for i in range(1, len(lines)):
        if lines[i].startswith("---") or lines[i] == "...":
            return i + 1
    return len(lines)


def _opens(line: str) -> tuple[str | None, str]:
    indent = len(line) - len(line.lstrip(" "))
    body = line.lstrip(" \t")
    if indent >= 4 or not body:
        return None, ""
    m = _FENCE.match(line)
    if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
        return "fence", m.group(1)
    if body.startswith("$$"):
        return "$$", ""
    for pattern, close in _HTML_OPEN:
        m = pattern.match(body)
        if m:
            return close or f"</{m.group(1).lower()}>", ""
    return None, ""


def _after_open(line: str) -> str:
    return line.lower()


def _closes(line: str, closing: str, fence: str) -> bool:
    if closing == "fence":
        m = _FENCE.match(line)
        return bool(m) and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2).strip()
    if closing == "$$":
        return marpit.js_trim(line)[-2:] == "$$"
    return closing.lower() in line.lower()
