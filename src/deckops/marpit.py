"""Marp's block and inline syntax on markdown-it-py: the rules marp-core adds to markdown-it, ported rule for rule.

markdown-it-py is a port of markdown-it, the parser marp-core runs on. marp-core adds rules of its own that change
where slides break and what is a comment: a front matter rule (markdown-it-front-matter 0.2, whose quirks Marp
inherits: an unclosed block swallows the deck), Marpit's comment and `<style>` rules (they run before html_block, so
a comment line is never an HTML block), math blocks and inline math (`$$`/`$`), and GFM tables and strikethrough.
Each function below mirrors one rule of the pinned marp-core 4.4.0 (Marpit 3.2); the conformance tests
(tests/test_conformance.py) compare the resulting model with marp-core's own answer on thousands of decks.
"""
from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline

# JavaScript's String.prototype.trim() removes WhiteSpace and LineTerminator: not Python's str.strip() set
# (Python also strips \x1c-\x1f and \x85; JavaScript also strips \ufeff).
JS_SPACE = ("\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
            "\u2028\u2029\u202f\u205f\u3000\ufeff")


def js_trim(s: str) -> str:
    return s.strip(JS_SPACE)


_JS_INT = re.compile(r"[+-]?[0-9]+")


def js_parse_int(value: object) -> int | None:
    """JavaScript's parseInt(String(value), 10): leading digits count (`2px` -> 2, `3.5` -> 3); None for NaN."""
    if isinstance(value, (list, dict)) or value is None:
        return None
    m = _JS_INT.match(js_trim(str(value)))
    if m is None:
        return None
    digits = m.group(0)
    if len(digits) > 20:  # far beyond any heading level; int() of 5,000 digits is refused by Python anyway
        return None
    return int(digits)


# --- comments (Marpit src/markdown/comment.js) ------------------------------------------------------

def comment_match(src: str, pos: int = 0) -> tuple[int, int, str] | None:
    r"""(start, end, text) of the first comment at or after pos, as Marpit's regex /<!--+\s*([\s\S]*?)\s*--+>/
    finds it, in linear time: the greedy opener keeps all its dashes when a later `-->` exists (the lazy body
    grows before the opener gives dashes back); only without one does the match end inside the opener's dashes."""
    start = src.find("<!--", pos)
    if start < 0:
        return None
    body = start + 4
    while body < len(src) and src[body] == "-":
        body += 1
    close = src.find("-->", body)
    if close >= 0:
        return start, close + 3, js_trim(src[body:close].rstrip("-"))
    close = src.find("-->", start + 4)
    if close < 0:
        return None
    return start, close + 3, ""


def comment_content(markup: str) -> str | None:
    """The text of the first comment in markup (what a block comment token holds); None when there is none."""
    found = comment_match(markup)
    return found[2] if found else None


def _block_end(state: StateBlock, start: int, end: int, closes) -> int:
    """The line after a Marpit block (comment or <style>) opened on `start`: the first line from `start` on for
    which closes(text) holds, else where the indentation ends or the document does (Marpit's shared loop)."""
    first = state.src[state.bMarks[start] + state.tShift[start]:state.eMarks[start]]
    nxt = start + 1
    if closes(first):
        return nxt
    while nxt < end:
        if state.sCount[nxt] < state.blkIndent:
            break
        text = state.src[state.bMarks[nxt] + state.tShift[nxt]:state.eMarks[nxt]]
        nxt += 1
        if closes(text):
            break
    return nxt


def _comment_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    pos = state.bMarks[start] + state.tShift[start]
    if pos >= len(state.src) or state.src[pos] != "<":
        return False
    line = state.src[pos:state.eMarks[start]]
    if not line.startswith("<!--"):
        return False
    if silent:
        return True
    nxt = _block_end(state, start, end, lambda text: "-->" in text)
    state.line = nxt
    token = state.push("marpit_comment", "", 0)
    token.map = [start, nxt]
    token.markup = state.getLines(start, nxt, state.blkIndent, True)
    token.hidden = True
    token.content = comment_content(token.markup) or ""
    return True


def _comment_inline(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if pos + 2 >= state.posMax or src[pos] != "<" or src[pos + 1] != "!":
        return False
    # Marpit matches its regex against the rest of the inline text, unanchored: from `<!` it takes everything up
    # to the end of the first complete comment after it. The search is memoised per inline text so that
    # thousands of unclosed `<!--` stay linear.
    found = _next_comment(state, pos)
    if found is None:
        return False
    length, content = found
    # Marpit advances by the length of the comment it found, from where it started looking (`<!` may come
    # before the comment): the text in between is taken as the token, and the comment may be found again
    if not silent:
        token = state.push("marpit_comment", "", 0)
        token.hidden = True
        token.markup = src[pos:pos + length]
        token.content = content
    state.pos = pos + length
    return True


def _next_comment(state: StateInline, pos: int) -> tuple[int, str] | None:
    """(length, text) of the comment Marpit's unanchored regex finds from pos; memoised per inline text, so that
    thousands of unclosed `<!--` in one paragraph stay linear."""
    src = state.src
    memo = state.env.setdefault("_marpit_comments", {})
    entry = memo.get(id(src))
    if entry is None or entry[0] is not src:
        entry = memo[id(src)] = [src, len(src) + 1, None]  # src, searched from, its answer
    if not (entry[1] <= pos and (entry[2] is None or pos <= entry[2][0])):
        entry[1], entry[2] = pos, comment_match(src, pos)
    found = entry[2]
    if found is None:
        return None
    return found[1] - found[0], found[2]


# --- <style> (Marpit src/markdown/style/parse.js) --------------------------------------------------------

_STYLE_OPEN = re.compile(r"<style(?=(\s|>|$))", re.I)
_STYLE_CLOSE = re.compile(r"</style>", re.I)


def _style_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    pos = state.bMarks[start] + state.tShift[start]
    if pos >= len(state.src) or state.src[pos] != "<":
        return False
    line = state.src[pos:state.eMarks[start]]
    if not _STYLE_OPEN.match(line):
        return False
    if silent:
        return True
    nxt = _block_end(state, start, end, lambda text: bool(_STYLE_CLOSE.search(text)))
    state.line = nxt
    token = state.push("marpit_style", "", 0)
    token.map = [start, nxt]
    token.markup = state.getLines(start, nxt, state.blkIndent, True)
    token.hidden = True
    return True


# --- front matter (markdown-it-front-matter 0.2.4, as Marpit loads it) --------------------------------------

def _front_matter(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    src = state.src
    if start != 0 or not src or src[0] != "-":
        return False
    begin = state.bMarks[start] + state.tShift[start]
    maximum = state.eMarks[start]
    # the opener is three or more dashes; whatever follows on that line (`---yaml`, `--- theme: x`) is skipped
    # up to and including its first character, exactly as the plugin does
    pos = begin + 1
    content_start = None
    while pos <= maximum:
        if pos >= len(src) or src[pos] != "-":
            content_start = pos + 1
            break
        pos += 1
    count = pos - begin
    if count < 3:
        return False
    if silent:
        return True
    line = start
    closed = ended = False
    line_begin, line_max = begin, maximum
    while True:
        line += 1
        if line >= end:
            break  # unclosed: the block runs to the end of the deck
        if src[line_begin:line_max] == "...":
            ended = True
            break
        line_begin = state.bMarks[line] + state.tShift[line]
        line_max = state.eMarks[line]
        if line_begin < line_max and state.sCount[line] < state.blkIndent:
            break
        if line_begin >= len(src) or src[line_begin] != "-":
            continue
        if state.sCount[line] - state.blkIndent >= 4:
            continue
        p = line_begin + 1
        while p <= line_max and p < len(src) and src[p] == "-":
            p += 1
        if p - line_begin < count:
            continue
        if state.skipSpaces(p) < line_max:
            continue
        closed = True
        break
    token = state.push("front_matter", "", 0)
    token.hidden = True
    token.block = True
    token.map = [start, line + (1 if closed else 0)]
    token.meta = {"closed": closed or ended}
    token.content = src[content_start:line_begin - 1] if content_start is not None else ""
    state.line = line + (1 if closed else 0)
    return True


# --- math (marp-core src/math/math.ts) --------------------------------------------------------------------

def _math_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    src = state.src
    pos = state.bMarks[start] + state.tShift[start]
    maximum = state.eMarks[start]
    if pos + 2 > maximum or src[pos:pos + 2] != "$$":
        return False
    if silent:
        return True
    pos += 2
    first = src[pos:maximum]
    found = js_trim(first)[-2:] == "$$"
    nxt = start
    while not found:
        nxt += 1
        if nxt >= end:
            break
        pos = state.bMarks[nxt] + state.tShift[nxt]
        maximum = state.eMarks[nxt]
        if pos < maximum and state.tShift[nxt] < state.blkIndent:
            break
        if js_trim(src[pos:maximum])[-2:] == "$$":
            found = True  # (the math itself is not needed: deckops never renders it)
    state.line = nxt + 1
    token = state.push("marp_math_block", "math", 0)
    token.block = True
    token.map = [start, state.line]
    token.markup = "$$"
    token.content = ""
    return True


def _valid_delim(state: StateInline, pos: int) -> tuple[bool, bool]:
    src = state.src
    prev = src[pos - 1] if pos > 0 else ""
    nxt = src[pos + 1] if pos + 1 <= state.posMax and pos + 1 < len(src) else ""
    openable = nxt not in (" ", "\t") or nxt == ""
    closable = not (prev in (" ", "\t") and prev != "" or "0" <= nxt <= "9" and nxt != "")
    return openable, closable


def _math_inline(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if pos >= len(src) or src[pos] != "$":
        return False

    def found(text: str | None, new_pos: int) -> bool:
        if not silent and text is not None:
            state.pending += text
        state.pos = new_pos
        return True

    start = pos + 1
    if not _valid_delim(state, pos)[0]:
        return found("$", start)
    match = start
    while True:
        match = src.find("$", match)
        if match == -1:
            break
        dollar = match - 1
        while dollar >= 0 and src[dollar] == "\\":
            dollar -= 1
        if (match - dollar) % 2 == 1:
            break
        match += 1
    if match == -1:
        return found("$", start)
    if match - start == 0:
        return found("$$", start + 1)
    if not _valid_delim(state, match)[1]:
        return found("$", start)
    if not silent:
        token = state.push("marp_math_inline", "math", 0)
        token.markup = "$"
        token.content = src[start:match]
    state.pos = match + 1
    return True


def _ascii_trim(s: str) -> str:
    return s.strip(" \t\n\r")


def _trim_as_markdown_it_14_3() -> None:
    """markdown-it 14.3 (marp-core's) trims headings and paragraphs of ASCII whitespace only, keeping unicode
    spaces (`asciiTrim`); markdown-it-py 4 still trims the CommonMark set. Its three rules read the name from
    their module, so point it at the newer behaviour (the markdown-it-py modules are deckops' own dependency)."""
    import importlib

    for name in ("heading", "lheading", "paragraph"):
        importlib.import_module(f"markdown_it.rules_block.{name}").mdTrim = _ascii_trim


# --- speed, without changing a token --------------------------------------------------------------

_OPENERS = re.compile(r"[!\[]+")


def _no_label(state: StateInline, silent: bool) -> bool:
    """A run of `!` and `[` with no `]` anywhere after it cannot open a link or an image: take it as text at
    once. markdown-it gets there too, but only after trying a label scan at every `[` (minutes for `![` x
    200,000 in Python)."""
    src, pos = state.src, state.pos
    if src[pos] not in "![":
        return False
    last = state.env.get("_last_bracket")
    if last is None or last[0] is not src:
        last = state.env["_last_bracket"] = (src, src.rfind("]"))
    if last[1] > pos:
        return False
    m = _OPENERS.match(src, pos, state.posMax)
    if not silent:
        state.pending += m.group(0)
    state.pos = m.end()
    return True


_PLAIN_URL = re.compile(r"[A-Za-z0-9;/?:@&=+$,\-_.!~*'()#]*")


def _normalize_link(md: MarkdownIt):
    """markdown-it's normalizeLink (parse, punycode the host, percent-encode) leaves a URL of only these ASCII
    characters as it is (tests/test_conformance.py checks it): skip its work for them."""
    full = md.normalizeLink

    def normalize(url: str) -> str:
        return url if _PLAIN_URL.fullmatch(url) else full(url)

    return normalize


def markdown() -> MarkdownIt:
    """markdown-it-py configured as marp-core configures markdown-it (structure only: no rendering)."""
    _trim_as_markdown_it_14_3()
    md = MarkdownIt("commonmark", {"breaks": True, "html": True})
    md.enable(["table", "strikethrough"])
    md.block.ruler.before("table", "front_matter", _front_matter,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.block.ruler.before("html_block", "marpit_comment", _comment_block)
    md.block.ruler.before("html_block", "marpit_style", _style_block)
    md.block.ruler.after("blockquote", "marp_math_block", _math_block,
                         {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.inline.ruler.before("html_inline", "marpit_inline_comment", _comment_inline)
    md.inline.ruler.after("escape", "marp_math_inline", _math_inline)
    md.inline.ruler.before("link", "deckops_no_label", _no_label)
    md.normalizeLink = _normalize_link(md)
    return md
