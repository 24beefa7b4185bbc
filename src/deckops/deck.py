"""The deck model: one markdown-it-py parse -> an immutable Deck of Slides, all positions 1-based."""
from __future__ import annotations

import bisect
import dataclasses
import functools
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal, Mapping, NamedTuple, Sequence
from urllib.parse import unquote

from markdown_it.token import Token

from . import directives as dirs
from . import marpit

MAX_DECK_BYTES = 8 * 1024 * 1024
CONSOLE_LANGS = frozenset({"console", "shell-session", "sh-session", "shellsession", "terminal"})
SHELL_LANGS = frozenset({"bash", "sh", "shell", "zsh"})
_HTML_IMG = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*(["'])(.*?)\1""", re.I | re.S)
_MD_IMAGE = re.compile(r"!\[((?:[^\]\\]|\\.)*)\]\(\s*(<[^>]*>|[^\s)]*)")
_CSS_URL = re.compile(r"""url\(\s*(["']?)(.*?)\1\s*\)""")
_IMAGE_KEYWORD = re.compile(
    r"^(bg|contain|cover|auto|fit|vertical|left|right|(left|right):\d+(\.\d+)?%|"
    r"(w|width|h|height):\S+|\d+(\.\d+)?%|x\d+(\.\d+)?|"
    r"(blur|brightness|contrast|drop-shadow|grayscale|hue-rotate|invert|opacity|saturate|sepia)(:\S+)?)$"
)


@dataclass(frozen=True)
class Directive:
    key: str  # as written, e.g. "_class"
    name: str  # without prefix, e.g. "class"
    value: object
    line: int
    col: int
    source: Literal["front-matter", "comment"]

    @property
    def spot(self) -> bool:
        return self.key.startswith("_")

    @property
    def scope(self) -> str:
        if self.name in dirs.GLOBAL:
            return "global"
        return "local" if self.name in dirs.LOCAL else "unknown"


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    line: int
    col: int
    setext: bool = False


@dataclass(frozen=True)
class FenceLine:
    text: str  # without the `$ ` prompt for commands
    raw: str
    line: int
    col: int  # column of the first character of `raw`
    kind: Literal["command", "continuation", "output", "script"]


@dataclass(frozen=True)
class Fence:
    info: str
    lang: str
    content: str
    line: int  # the opening fence line
    col: int
    end_line: int
    lines: tuple[FenceLine, ...]
    console: bool
    closed: bool = True

    @property
    def commands(self) -> tuple[FenceLine, ...]:
        return tuple(l for l in self.lines if l.kind in ("command", "continuation", "script"))


@dataclass(frozen=True)
class Image:
    src: str  # as written
    decoded: str  # %xx decoded
    alt: str  # the real alt text, Marp keywords removed
    keywords: tuple[str, ...]
    line: int
    col: int
    origin: Literal["markdown", "html", "directive"] = "markdown"

    @property
    def background(self) -> bool:
        return "bg" in self.keywords or self.origin == "directive"


@dataclass(frozen=True)
class Link:
    href: str
    text: str
    line: int
    col: int


@dataclass(frozen=True)
class Comment:
    text: str  # stripped content
    line: int
    col: int
    end_line: int
    kind: Literal["directive", "note", "deckops", "rehearse"]
    data: Mapping | None = None
    error: dirs.YamlError | None = None
    closed: bool = True


@dataclass(frozen=True)
class HtmlBlock:
    content: str
    line: int
    end_line: int


@dataclass(frozen=True)
class FrontMatter:
    raw: str
    line: int  # the opening `---`
    end_line: int  # the closing `---`
    data: Mapping | None
    error: dirs.YamlError | None
    accepted: bool = True  # Marp applies it (js-yaml read an object from it)

    def file_line(self, yaml_line: int) -> int:
        return self.line + 1 + yaml_line


@dataclass(frozen=True)
class ParseIssue:
    kind: Literal["encoding", "too-large", "unclosed-front-matter", "unclosed-comment", "unclosed-fence", "read"]
    line: int
    col: int
    message: str


@dataclass(frozen=True)
class Slide:
    index: int  # 1-based
    start_line: int
    end_line: int
    break_line: int | None  # the `---` (or divided heading) that opened it; None for the first
    headings: tuple[Heading, ...] = ()
    fences: tuple[Fence, ...] = ()
    images: tuple[Image, ...] = ()
    links: tuple[Link, ...] = ()
    html_blocks: tuple[HtmlBlock, ...] = ()
    comments: tuple[Comment, ...] = ()
    directives: Mapping = field(default_factory=lambda: MappingProxyType({}))
    content_tokens: int = 0
    marp_notes: tuple[str, ...] = ()  # the speaker notes exactly as marp-core gives them (render().comments)

    @property
    def line(self) -> int:
        """Where the slide starts for Marp: its `---` (or divided heading); 1 for the first slide."""
        return self.break_line if self.break_line is not None else 1

    @property
    def notes(self) -> tuple[Comment, ...]:
        return tuple(c for c in self.comments if c.kind == "note")

    @property
    def empty(self) -> bool:
        return self.content_tokens == 0

    @property
    def title(self) -> str:
        return self.headings[0].text if self.headings else ""


@dataclass(frozen=True)
class Deck:
    path: str
    text: str
    lines: tuple[str, ...]
    front_matter: FrontMatter | None
    slides: tuple[Slide, ...]
    directives: tuple[Directive, ...]  # every directive, in file order
    global_directives: Mapping
    issues: tuple[ParseIssue, ...] = ()
    bom: bool = False
    crlf: bool = False
    tokens: tuple[Token, ...] = ()
    slide_tokens: tuple[tuple[int, int], ...] = ()  # (first, stop) of each slide's tokens in `tokens`

    def block_lines(self, html: bool = False) -> frozenset[int]:
        """Lines of the front matter, fences and comments (and HTML blocks with html=True): no prose there."""
        skip: set[int] = set()
        if self.front_matter:
            skip.update(range(self.front_matter.line, self.front_matter.end_line + 1))
        for s in self.slides:
            spans = [*s.fences, *s.comments, *(s.html_blocks if html else ())]
            for b in spans:
                skip.update(range(b.line, b.end_line + 1))
        return frozenset(skip)

    def slide_at(self, line: int) -> Slide | None:
        for s in self.slides:
            if s.start_line <= line <= max(s.end_line, s.start_line):
                return s
        return None


# --- reading bytes -------------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, list[ParseIssue], bool]:
    """Bytes -> text; invalid UTF-8 becomes a positioned issue (and U+FFFD), never an exception."""
    issues: list[ParseIssue] = []
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8", "replace")
        line = good.count("\n") + 1
        col = len(good) - (good.rfind("\n") + 1) + 1
        issues.append(ParseIssue("encoding", line, col,
                                 f"invalid UTF-8 at byte offset {exc.start + 3 * bom} (byte 0x{data[exc.start]:02x})"))
        text = data.decode("utf-8", "replace")
    if "\x00" in text:
        first = text.index("\x00")
        line = text.count("\n", 0, first) + 1
        issues.append(ParseIssue("encoding", line, 1, "the file contains NUL bytes: is it a binary file?"))
        text = text.replace("\x00", "\ufffd")
    return text, issues, bom


def load(path: str | Path, display: str | None = None) -> Deck:
    """Read and parse one deck; unreadable or oversized files give a Deck with an issue, not an exception."""
    p = Path(path)
    name = display or str(path)
    try:
        if p.is_dir():
            return _failed(name, "read", "is a directory, not a Markdown deck")
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):
            return _failed(name, "read", "is not a regular file (a pipe, socket or device?)")
        size = st.st_size
        if size > MAX_DECK_BYTES:
            return _failed(name, "too-large", f"deck is {size:,} bytes; the limit is {MAX_DECK_BYTES:,}")
        data = p.read_bytes()
    except OSError as exc:
        return _failed(name, "read", f"cannot read: {exc.strerror or exc}")
    return parse(data, name)


def _failed(path: str, kind: str, message: str) -> Deck:
    return Deck(path, "", (), None, (), (), MappingProxyType({}), (ParseIssue(kind, 1, 1, message),))


# --- parsing ----------------------------------------------------------------------------------------

_MD = marpit.markdown()
# comments Marpit never shows as notes (comment.js: Prettier, markdownlint, remark-lint)
_MAGIC = re.compile(r"prettier-ignore(-(start|end))?"
                    r"|markdownlint-((disable|enable)[^\n\r\u2028\u2029]*|capture|restore)"
                    r"|lint (disable|enable|ignore)[^\n\r\u2028\u2029]*")


def chunk_parser():
    """A parser that keeps each slide's tokens for the next parse of the same deck (chunks.py): the language
    server's, one per open document."""
    from .chunks import Parser

    return Parser(_MD)


def parse(source: bytes | str, path: str = "<deck>", parser=None) -> Deck:
    """`parser`: a chunk_parser() whose last parse was an earlier text of this deck (same tokens, less work)."""
    if isinstance(source, bytes):
        text, issues, bom = decode(source)
    else:
        bom = source.startswith("\ufeff")
        text, issues = (source[1:] if bom else source), []
    crlf = "\r\n" in text
    norm = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = tuple(norm.split("\n"))
    try:
        tokens = _MD.parse(norm, {}) if parser is None else parser.parse(norm)
    except RecursionError:
        issues.append(ParseIssue("too-large", 1, 1, "the Markdown is nested too deeply to parse"))
        tokens = []
    memo = getattr(parser, "slides", None) if parser is not None else None
    moves = getattr(parser, "moves", None) if parser is not None else None
    if moves is not None:
        moves.clear()
    return _Builder(path, norm, lines, tokens, issues, bom, crlf, memo, moves).build()


def line_count(text: str) -> int:
    """Lines of a (normalized) text as an editor numbers them: a final newline opens no line of its own."""
    if not text:
        return 1
    n = text.count("\n") + 1
    return n - 1 if text.endswith("\n") else n


def _col(line_text: str) -> int:
    return len(line_text) - len(line_text.lstrip()) + 1


def _split_alt(alt: str) -> tuple[str, tuple[str, ...]]:
    words, keywords = [], []
    for w in alt.split():
        (keywords if _IMAGE_KEYWORD.match(w) else words).append(w)
    return " ".join(words), tuple(keywords)


@functools.lru_cache(maxsize=1 << 14)  # (the language server's model is rebuilt at every keystroke; the Comment
def classify_comment(text: str, line: int, col: int, end_line: int, closed: bool = True) -> Comment:  # is frozen
    """Parse a comment's text as Marp does; whether it is a directive is decided later, by what Marp applies."""
    if re.match(r"^deckops-(disable|enable)(-next-line)?\b", text):
        return Comment(text, line, col, end_line, "deckops", closed=closed)
    if re.match(r"^rehearse\s*:", text):
        return Comment(text, line, col, end_line, "rehearse", closed=closed)
    data, err = dirs.parse_loose(text)
    return Comment(text, line, col, end_line, "note", MappingProxyType(data) if isinstance(data, dict) else None,
                   err, closed=closed)


def _visible(t: Token) -> bool:
    """Whether Marp counts the token as content when it places heading dividers (hidden + marpit_sweep)."""
    if t.hidden:
        return False
    if t.type == "html_block":
        return bool(marpit.js_trim(t.content))
    if t.type == "inline":
        return not all(c.type == "text" and not marpit.js_trim(c.content)
                       for c in t.children or () if not _hidden_child(c))
    return True


_JS_SPACES = re.compile("[" + re.escape(marpit.JS_SPACE) + "]+")


def _hidden_child(c: Token) -> bool:
    """Comments, soft breaks, and background images (`bg` in the alt) are hidden inside an inline token."""
    if c.hidden or c.type == "softbreak":
        return True
    return c.type == "image" and "bg" in _JS_SPACES.split(c.content)


def _divider_tags(value) -> frozenset[str]:
    if isinstance(value, bool):
        return frozenset()
    if isinstance(value, int):
        value = list(range(1, value + 1))
    return frozenset(f"h{n}" for n in value) if isinstance(value, list) else frozenset()


class _Kept(NamedTuple):
    """A slide a build made, kept for the next build with the same chunk parser (chunks.Parser.slides)."""

    first: Token  # its first and last token: while the entry lives, no other token can take their ids
    last: Token
    effective: dict  # the directives it was built with
    slide: Slide
    directives: list  # what building it added to the deck's directives and parse issues
    issues: list
    at: int  # the line its key's lines are relative to (its break; 1 for the first slide)


class _Builder:
    """Reads the flat token list the way Marpit's core rules do: global directives, heading dividers, slides,
    local and spot directives, speaker notes; and collects elements with their positions on the way."""

    def __init__(self, path, text, lines, tokens, issues, bom, crlf, memo: dict | None = None,
                 moves: dict | None = None):
        self.path, self.text, self.lines, self.tokens = path, text, lines, tokens
        self.issues, self.bom, self.crlf = list(issues), bom, crlf
        # the slides of the last build with the same parser (chunks.Parser.slides), and this build's for the next
        self.memo, self.kept = memo, {}
        # id of a Slide of this build -> (the last build's Slide it is, moved; by how many lines): perslide.py
        self.moves: dict[int, tuple[Slide, int]] = moves if moves is not None else {}
        self.token_ranges: list[tuple[int, int]] = []
        self.front_matter: FrontMatter | None = None
        self.all_directives: list[Directive] = []
        self._by_comment: dict[tuple[int, int], list[Directive]] = {}
        self._unshown: set[int] = set()

    # front matter ------------------------------------------------------------------------------
    def _front_matter(self, tok: Token) -> FrontMatter:
        start, end = tok.map[0] + 1, tok.map[1]
        raw = tok.content
        data, err = dirs.parse_loose(raw, dirs.FRONT_MATTER_KEYS)
        accepted = err is None and isinstance(data, (dict, list))
        if err is None and not accepted and marpit.js_trim(raw):
            err = dirs.YamlError("front matter is not a mapping of `key: value` lines", 0, 0)
        if not tok.meta.get("closed"):
            self.issues.append(ParseIssue("unclosed-front-matter", 1, 1,
                                          "front matter opened with `---` on line 1 is never closed: Marp reads "
                                          "the whole deck as front matter"))
        fm = FrontMatter(raw, start, end, MappingProxyType(data) if isinstance(data, dict) else None, err, accepted)
        if fm.data:
            for key, value in fm.data.items():
                # a one-line front matter (`---x: y`) holds its keys on line 1
                line, col = self._key_pos(str(key), start + 1, end - 1) if end - 1 > start else (start, 1)
                self._add_directive(str(key), value, line, col, "front-matter")
        return fm

    def _key_pos(self, key: str, first: int, last: int) -> tuple[int, int]:
        pat = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*:")
        for n in range(first, last + 1):
            if n - 1 < len(self.lines) and pat.match(self.lines[n - 1]):
                return n, _col(self.lines[n - 1])
        return first, 1

    def _add_directive(self, key, value, line, col, source) -> Directive:
        _, name = dirs.base_name(key)
        d = Directive(key, name, value, line, col, source)
        self.all_directives.append(d)
        return d

    # comments ----------------------------------------------------------------------------------
    def _block_comment(self, t: Token) -> Comment:
        line = t.map[0] + 1
        closed = "-->" in t.markup
        if not closed:
            self.issues.append(ParseIssue("unclosed-comment", line, 1,
                                          "HTML comment `<!--` is never closed with `-->`: Marp hides the rest "
                                          "of the deck"))
        return self._comment(t.content, line, _col(self.lines[line - 1]), t.map[1], closed)

    def _comment(self, text: str, line: int, col: int, end_line: int, closed: bool = True) -> Comment:
        comment = classify_comment(text, line, col, end_line, closed)
        if comment.error is not None and comment.error.limit:
            self.issues.append(ParseIssue("yaml-limit", line, col, comment.error.message))
        return comment

    # inline --------------------------------------------------------------------------------
    def _inline(self, tok: Token, acc: dict, comments: bool = True) -> None:
        kinds = {c.type for c in tok.children or ()}
        if not kinds & _POSITIONED and not ("text" in kinds and acc["links"] and not acc["links"][-1].text):
            return  # plain text (most inline tokens): nothing to place, no line offsets to compute
        first = tok.map[0] if tok.map else 0
        last = tok.map[1] if tok.map else first + 1
        block = "\n".join(self.lines[first:last])
        starts = [0]
        for ln in block.split("\n")[:-1]:
            starts.append(starts[-1] + len(ln) + 1)
        raw_images = None
        cursor = 0

        def pos(offset: int) -> tuple[int, int]:
            n = bisect.bisect_right(starts, offset) - 1
            return first + n + 1, offset - starts[n] + 1

        for child in tok.children or ():
            if child.type == "image":
                if raw_images is None:
                    raw_images = _MD_IMAGE.finditer(block)
                m = _next_at(raw_images, cursor)
                src = child.attrs.get("src", "")
                raw_src = m.group(2).strip("<>") if m else src
                off = m.start() if m else cursor
                cursor = (m.end() if m else cursor)
                line, col = pos(off)
                alt, kws = _split_alt(child.content)
                acc["images"].append(Image(raw_src, unquote(raw_src), alt, kws, line, col))
            elif child.type == "link_open":
                href = str(child.attrs.get("href", ""))
                off = block.find("[", cursor)
                if child.markup == "autolink" or off < 0:
                    off = max(block.find(href, cursor), cursor)
                line, col = pos(off)
                acc["links"].append(Link(href, "", line, col))
                cursor = off + 1
            elif child.type == "marpit_comment" and comments:
                off = block.find(child.markup, cursor)
                off = off if off >= 0 else cursor
                line, col = pos(off)
                end_line = pos(off + len(child.markup))[0]
                acc["comments"].append(self._comment(child.content, line, col, end_line))
                cursor = off + len(child.markup)
            elif child.type == "html_inline":
                off = block.find(child.content, cursor)
                off = off if off >= 0 else cursor
                line, col = pos(off)
                self._html_images(child.content, line, col, acc)
            elif child.type == "text" and acc["links"] and not acc["links"][-1].text:
                last_link = acc["links"][-1]
                acc["links"][-1] = Link(last_link.href, child.content, last_link.line, last_link.col)

    def _html_images(self, content: str, line: int, col: int, acc: dict) -> None:
        for m in _HTML_IMG.finditer(content):
            before = content[: m.start()]
            ln = line + before.count("\n")
            c = (col + len(before)) if "\n" not in before else len(before) - before.rfind("\n")
            alt_m = re.search(r"""\balt\s*=\s*(["'])(.*?)\1""", m.group(0) + content[m.end():].split(">")[0])
            src = m.group(2)
            acc["images"].append(Image(src, unquote(src), alt_m.group(2) if alt_m else "", (), ln, c, "html"))

    # fences ----------------------------------------------------------------------------------
    def _fence(self, tok: Token) -> Fence:
        start, end = tok.map
        info = tok.info.strip()
        lang = info.split()[0].lower() if info else ""
        lines, console = fence_lines(lang, tok.content, start + 2, self.lines)
        closing = self.lines[end - 1].strip() if end - 1 < len(self.lines) else ""
        closed = end - start >= 2 and closing.startswith(tok.markup[:3]) and set(closing) <= set(tok.markup[0])
        if not closed:
            self.issues.append(ParseIssue("unclosed-fence", start + 1, 1,
                                          f"code fence `{tok.markup[:10]}` opened here is never closed"))
        return Fence(info, lang, tok.content, start + 1, _col(self.lines[start]), end,
                     lines, console, closed)

    # slides ---------------------------------------------------------------------------------
    def build(self) -> Deck:
        toks = self.tokens
        body_start = 1
        # the rule runs wherever a block starts on line 1, a list item's (`- ---`) included, and Marp uses it
        fm_tok = next((t for t in toks if t.type == "front_matter"), None)
        if fm_tok is not None:
            self.front_matter = self._front_matter(fm_tok)
            body_start = self.front_matter.end_line + 1
        comments = self._comments(toks)
        globals_: dict = {}
        fm_data = self.front_matter.data if self.front_matter else None
        if fm_data:
            dirs.apply_globals(fm_data, globals_)
        recognized = set()
        for _, c in comments:
            if c.data is not None and dirs.apply_globals(c.data, globals_):
                recognized.add(id(c))
        breaks = self._breaks(toks, _divider_tags(globals_.get("headingDivider", False)))
        slides = self._slides(toks, breaks, comments, globals_, recognized, body_start)
        if self.memo is not None:
            self.memo.clear()
            self.memo.update(self.kept)
        return Deck(self.path, self.text, self.lines, self.front_matter, tuple(slides),
                    tuple(sorted(self.all_directives, key=lambda d: (d.line, d.col))),
                    MappingProxyType(globals_), tuple(self.issues), self.bom, self.crlf, tuple(self.tokens),
                    tuple(self.token_ranges))

    def _comments(self, toks) -> list[tuple[int, Comment]]:
        """Every Marp comment, block and inline, in token order, with the index of its token."""
        found: list[tuple[int, Comment]] = []
        for i, t in enumerate(toks):
            if t.type == "marpit_comment" and t.map:
                found.append((i, self._block_comment(t)))
            elif t.type == "inline" and "<!--" in t.content and t.children \
                    and any(c.type == "marpit_comment" for c in t.children):  # (a comment's text has its `<!--`)
                acc = {"images": [], "links": [], "comments": []}
                self._inline_comments(t, acc)
                if i > 0 and toks[i - 1].type == "heading_open":
                    # marp-core's fitting header: `# Title <!-- fit -->` is an instruction, never a note
                    self._unshown.update(id(c) for c in acc["comments"] if c.text == "fit")
                found.extend((i, c) for c in acc["comments"])
                if not _visible(t):
                    # Marp hides a paragraph of only comments and background images, and drops its notes
                    self._unshown.update(id(c) for c in acc["comments"])
        return found

    def _inline_comments(self, t: Token, acc: dict) -> None:
        shadow = Token("inline", "", 0)
        shadow.map = t.map
        shadow.children = [c for c in t.children if c.type == "marpit_comment"]
        self._inline(shadow, acc)

    def _breaks(self, toks, tags: frozenset[str]) -> list[tuple[int, int, int]]:
        """(token index where a slide starts, its Marp line, its first content line) for every slide after the
        first: level-0 rulers, and the headings Marp divides at once anything visible came before them."""
        breaks = []
        seen_visible = False
        for i, t in enumerate(toks):
            if t.type == "hr" and t.level == 0:
                breaks.append((i, t.map[0] + 1, t.map[1] + 1))
            elif tags and t.type == "heading_open" and t.tag in tags and seen_visible:
                breaks.append((i, t.map[0] + 1, t.map[0] + 1))
            if not seen_visible:
                seen_visible = _visible(t)
        return breaks

    def _slides(self, toks, breaks, comments, globals_, recognized, body_start) -> list[Slide]:
        bounds = [(0, None, body_start)] + [(i, line, start) for i, line, start in breaks]
        at = [i for i, _ in comments]  # (in token order)
        last_line = line_count(self.text)
        local: dict = {}
        spot: dict = {}
        fm_data = self.front_matter.data if self.front_matter else None
        if fm_data:
            dirs.apply_locals(fm_data, local, spot)
        slides = []
        for n, (first, brk, start) in enumerate(bounds):
            stop = bounds[n + 1][0] if n + 1 < len(bounds) else len(toks)
            self.token_ranges.append((first, stop))
            end = bounds[n + 1][1] - 1 if n + 1 < len(bounds) else last_line
            own_comments = [c for _, c in comments[bisect.bisect_left(at, first):bisect.bisect_left(at, stop)]]
            for c in own_comments:
                if c.data is not None and dirs.apply_locals(c.data, local, spot):
                    recognized.add(id(c))
            effective = {**local, **spot, **globals_}
            spot = {}
            slides.append(self._slide(n, toks, first, stop, brk, start, end, own_comments, recognized, effective))
        return slides

    def _slide(self, n, toks, first, stop, brk, start, end, own_comments, recognized, effective) -> Slide:
        """The slide built before from the same token objects at the same place with the same directives (the
        chunk parser reuses an unchanged slide's tokens), with what building it added to the deck; else built."""
        if self.memo is None or first >= stop:
            return self._build_slide(n, toks, first, stop, brk, start, end, own_comments, recognized, effective)
        at = brk if brk is not None else 1  # (lines above it added or removed move the slide: the key is relative)
        key = (n, brk is None, start - at, end - at, id(toks[first]), id(toks[stop - 1]), stop - first,
               tuple((id(c) in recognized, id(c) in self._unshown) for c in own_comments))
        hit = self.memo.get(key)
        if hit is not None and hit.first is toks[first] and hit.last is toks[stop - 1] and hit.effective == effective:
            by = at - hit.at
            if by:  # the same slide, moved: its model and what it added, by as many lines
                hit = hit._replace(slide=_moved(hit.slide, by), directives=[_line_moved(d, by) for d in hit.directives],
                                   issues=[_line_moved(i, by) for i in hit.issues], at=at)
                self.moves[id(hit.slide)] = (self.memo[key].slide, by)
            self.all_directives.extend(hit.directives)
            self.issues.extend(hit.issues)
            self.kept[key] = hit
            return hit.slide
        dirs_before, issues_before = len(self.all_directives), len(self.issues)
        slide = self._build_slide(n, toks, first, stop, brk, start, end, own_comments, recognized, effective)
        self.kept[key] = _Kept(toks[first], toks[stop - 1], effective, slide, self.all_directives[dirs_before:],
                               self.issues[issues_before:], at)
        return slide

    def _build_slide(self, n, toks, first, stop, brk, start, end, own_comments, recognized, effective) -> Slide:
        acc = {k: [] for k in ("headings", "fences", "images", "links", "html_blocks", "comments")}
        comments = []
        for c in own_comments:
            if id(c) in recognized:
                c = dataclasses.replace(c, kind="directive")
                self._directives_of(c)
            elif c.kind == "note" and c.data:
                self._directives_of(c)  # not applied by Marp, but lint reads the keys (typos of directives)
            comments.append(c)
        content = self._collect(toks, first, stop, acc)
        own = [d for c in comments if c.kind == "directive" for d in self._directives_of(c)]
        if n == 0:
            own = [d for d in self.all_directives if d.source == "front-matter"] + own
        self._directive_images(own, acc)
        notes = tuple(c.text for c, mine in zip(comments, own_comments)
                      if c.kind != "directive" and not _MAGIC.fullmatch(c.text) and id(mine) not in self._unshown)
        line = brk if brk is not None else 1
        return Slide(n + 1, start, max(end, line - 1), brk,
                     *(tuple(acc[k]) for k in ("headings", "fences", "images", "links", "html_blocks")),
                     tuple(comments), MappingProxyType(effective), content, notes)

    def _directives_of(self, c: Comment) -> list[Directive]:
        """The directives of one comment, created once."""
        key = (c.line, c.col)
        if key not in self._by_comment:
            self._by_comment[key] = [self._add_directive(str(k), v, *self._comment_key_pos(c, str(k)), "comment")
                                     for k, v in c.data.items()]
        return self._by_comment[key]

    def _comment_key_pos(self, c: Comment, key: str) -> tuple[int, int]:
        line, col = self._key_pos(key, c.line, c.end_line)
        if line == c.line and c.line - 1 < len(self.lines):
            idx = self.lines[c.line - 1].find(key, c.col - 1)
            col = idx + 1 if idx >= 0 else c.col
        return line, col

    def _directive_images(self, own, acc) -> None:
        for d in own:
            if d.name == "backgroundImage" and isinstance(d.value, str):
                for m in _CSS_URL.finditer(d.value):
                    acc["images"].append(Image(m.group(2), unquote(m.group(2)), "", ("bg",),
                                               d.line, d.col, "directive"))

    def _collect(self, toks, first, stop, acc) -> int:
        content = 0
        for i in range(first, stop):
            t = toks[i]
            if t.type == "hr" and t.level == 0 and i == first:
                continue
            if t.type == "heading_open":
                inline = toks[i + 1] if i + 1 < len(toks) else None
                line = t.map[0] + 1
                acc["headings"].append(Heading(int(t.tag[1]), inline.content if inline else "", line,
                                               _col(self.lines[line - 1]), t.markup in ("=", "-")))
            elif t.type == "inline":
                self._inline(t, acc, comments=False)
                self._unclosed_inline_comment(t)
            elif t.type == "fence" and t.map:
                acc["fences"].append(self._fence(t))
            elif t.type == "html_block" and t.map and marpit.js_trim(t.content):
                acc["html_blocks"].append(HtmlBlock(t.content, t.map[0] + 1, t.map[1]))
                self._html_images(t.content, t.map[0] + 1, _col(self.lines[t.map[0]]), acc)
            if t.level == 0 and t.nesting >= 0 and t.type != "paragraph_open" and _visible(t):
                content += 1
            elif t.type == "inline" and i > first and toks[i - 1].type == "paragraph_open" \
                    and toks[i - 1].level == 0 and _visible(t):
                content += 1  # a top-level paragraph counts when its text is visible
        return content

    def _unclosed_inline_comment(self, t: Token) -> None:
        for c in t.children or ():
            if c.type == "text" and "<!--" in c.content and t.map:
                self.issues.append(ParseIssue("unclosed-comment", t.map[0] + 1, 1,
                                              "HTML comment `<!--` is never closed with `-->`: Marp shows it as "
                                              "text"))
                return


_POSITIONED = frozenset({"image", "link_open", "marpit_comment", "html_inline"})  # children _inline places


def _line_moved(x, by: int):
    """A positioned record `by` lines further down (its end too, where it has one)."""
    if hasattr(x, "end_line"):
        return dataclasses.replace(x, line=x.line + by, end_line=x.end_line + by)
    return dataclasses.replace(x, line=x.line + by)


def _moved(s: Slide, by: int) -> Slide:
    """The slide `by` lines further down: what parsing it there gives (its text and tokens are the same)."""
    fences = tuple(dataclasses.replace(f, line=f.line + by, end_line=f.end_line + by,
                                       lines=tuple(_line_moved(fl, by) for fl in f.lines)) for f in s.fences)
    return dataclasses.replace(
        s, start_line=s.start_line + by, end_line=s.end_line + by,
        break_line=None if s.break_line is None else s.break_line + by, fences=fences,
        **{k: tuple(_line_moved(x, by) for x in getattr(s, k))
           for k in ("headings", "images", "links", "html_blocks", "comments")})


def _next_at(matches, cursor: int):
    for m in matches:
        if m.start() >= cursor:
            return m
    return None


def fence_lines(lang: str, content: str, first: int, source: Sequence[str]) -> tuple[tuple[FenceLine, ...], bool]:
    """The lines of a fence body whose first line is deck line `first` (1-based) in `source`, and whether the
    fence is console-style: there `$ ` lines are commands, `\\`/`> ` lines continue them, the rest is output."""
    body = content.split("\n")
    if body and body[-1] == "":
        body = body[:-1]
    raws = [(b, first + i) for i, b in enumerate(body)]
    console = lang in CONSOLE_LANGS or any(_is_prompt(b) for b, _ in raws)
    lines: list[FenceLine] = []
    prev_cont = False
    for raw, ln in raws:
        src = source[ln - 1] if ln - 1 < len(source) else raw
        stripped = raw.lstrip()
        col = (src.find(stripped) + 1 if stripped and src.find(stripped) >= 0 else 1)
        if not console:
            lines.append(FenceLine(raw, raw, ln, col, "script"))
            continue
        if _is_prompt(raw):
            text = stripped[2:] if stripped.startswith("$ ") else ""
            lines.append(FenceLine(text, raw, ln, col, "command"))
            prev_cont = text.rstrip().endswith("\\")
        elif prev_cont or (lines and lines[-1].kind in ("command", "continuation") and stripped.startswith("> ")):
            text = stripped[2:] if stripped.startswith("> ") else raw  # a PS2 prompt, also after a `\` line
            lines.append(FenceLine(text, raw, ln, col, "continuation"))
            prev_cont = text.rstrip().endswith("\\")
        else:
            lines.append(FenceLine(raw, raw, ln, col, "output"))
            prev_cont = False
    return tuple(lines), console


def _is_prompt(line: str) -> bool:
    s = line.lstrip()
    return s.startswith("$ ") or s == "$"
