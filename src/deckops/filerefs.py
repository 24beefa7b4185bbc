"""Every way a deck's text (or a theme's CSS) can name a local file, as Chromium would read it.

CSS `url()`, `image-set()`, `@import` in any case, through CSS escapes (`\\75 rl(`) and across lines; `file:`
URLs; HTML `src`/`href`/... attributes, quoted or not, with entities decoded. Used by lint's path rule (D304)
and by render's plan (what to stage, what to refuse). A text check is only the early, positioned warning:
the render sandbox (proc.Sandbox) is what keeps Chromium inside the staged copy. Linear in the text.
"""
from __future__ import annotations

import bisect
import functools
import html
import itertools
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[ \t\r\n\f])?|(.))", re.S)
# One pass: url(ARG), image-set(...) and friends (their strings up to the next parenthesis; a url() in them
# is matched as such), @import "x". A function's name and its parenthesis touch (`url (x)` is no URL); the
# argument may start on a later line. (The lookahead on the first letters of the alternatives only saves time.)
_CSS = re.compile(r"""(?=[uic@-])(?<![\w-])(?:"""
                  r"""url\(\s*(?:"([^"\n]*)"|'([^'\n]*)'|([^\s"'()]*))"""
                  r"""|(?:image-set|-webkit-image-set|image|cross-fade)\(([^()]*)"""
                  r"""|@import\s*(?:"([^"\n]*)"|'([^'\n]*)'))""", re.I)
_SET_ITEM = re.compile(r"""(?:"([^"\n]*)"|'([^'\n]*)')""")
_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_ATTR = re.compile(r"""(?<![\w:-])(src|href|srcset|data|poster|background|xlink:href|action|formaction)\s*=\s*"""
                   r"""(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.I)
_TICKS = re.compile(r"`+")


@dataclass(frozen=True)
class Ref:
    """One reference: `path` is the local file it names (decoded; '' for remote and data URLs)."""

    written: str  # as it reads in the source (escapes decoded, for the message)
    path: str
    file_url: bool  # written as a file: URL
    line: int  # 1-based
    col: int
    kind: Literal["css", "html"]


def scan(text: str, first_line: int = 1) -> list[Ref]:
    """Local-file references in `text` (CSS and HTML), the first of each path per line; positions count from
    `first_line`."""
    pos = _Positions(text, first_line)
    seen: dict[tuple[int, str, str], Ref] = {}
    for kind, offset, value in (*_css(text), *_html(text)):
        path, is_file = _local(value)
        if path:
            line, col = pos.at(offset)
            seen.setdefault((line, path, kind), Ref(value, path, is_file, line, col, kind))
    return list(seen.values())


def scan_deck(lines: list[str], code_lines: set[int]) -> list[Ref]:
    """scan() over a deck's lines, leaving out fenced code (lines in code_lines) and inline code spans:
    Marp shows those as text, never as CSS or HTML."""
    return scan("\n".join(kept_line(t, n in code_lines) for n, t in enumerate(lines, 1)))


def kept_line(line: str, in_code: bool) -> str:
    """A deck line as scan_deck reads it: blank in fenced code, inline code spans blanked."""
    return " " * len(line) if in_code else line if "`" not in line else _blank_code_spans(line)


def open_at_end(text: str) -> bool:
    """Whether a reference scan() reads could go on past the end of text (so text cannot be scanned apart from
    what follows it): an HTML tag not closed, a parenthesis not closed (url(, image-set(), an @import or a
    backslash escape at the end. Conservative: a yes costs a scan of the whole."""
    lt = text.rfind("<")
    if lt >= 0 and text.find(">", lt) < 0:
        return True
    last = text.rstrip("\n").rsplit("\n", 1)[-1]
    if "\\" in last:
        return True
    css = _decode_css(text)[0] if "\\" in text else text
    paren = css.rfind("(")
    if paren >= 0 and css.find(")", paren) < 0:
        return True
    at = css.lower().rfind("@import")
    return at >= 0 and not css[at + len("@import"):].strip()


def _blank_code_spans(line: str) -> str:
    """line with each `code span` blanked (same length): a run of n backticks up to the next run of exactly n.
    Linear: the next run of each length is found by bisection (a regex with a backreference is quadratic on
    a line of backticks)."""
    if "`" not in line:
        return line
    runs = [(m.start(), m.end()) for m in _TICKS.finditer(line)]
    if len(runs) < 2:
        return line
    by_len: dict[int, list[int]] = {}
    for k, (a, b) in enumerate(runs):
        by_len.setdefault(b - a, []).append(k)
    parts, last, k = [], 0, 0
    while k < len(runs):
        a, b = runs[k]
        same = by_len[b - a]
        j = bisect.bisect_right(same, k)
        if j == len(same):
            k += 1
            continue
        end = runs[same[j]][1]
        parts += [line[last:a], " " * (end - a)]
        last, k = end, same[j] + 1
    return "".join(parts) + line[last:]


@functools.lru_cache(maxsize=4096)  # a hostile deck repeats one value many times
def _local(value: str) -> tuple[str, bool]:
    return local_path(value)


def local_path(value: str) -> tuple[str, bool]:
    """(local path, is a file: URL) for a reference's value; ('', False) for remote/data URLs and fragments."""
    value = value.strip()
    if not value or value.startswith("#"):
        return "", False
    if value.startswith("//"):
        return "", False  # scheme-relative: a remote host
    scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", value)
    if scheme and scheme.group(1).lower() == "file":
        return unquote(urlsplit(value).path or "/"), True
    if scheme and len(scheme.group(1)) > 1:  # http:, data:, mailto:...; one letter is a drive (C:/)
        return "", False
    return unquote(value.split("#", 1)[0].split("?", 1)[0]), False


def _css(text: str):
    """(kind, offset in text, value) of each CSS reference."""
    decoded, origin = _decode_css(text) if "\\" in text else (text, None)  # no escape: offsets are the text's
    for m in _CSS.finditer(decoded):
        q1, q2, bare, items, i1, i2 = m.groups()
        at = m.start() if origin is None else origin[m.start()]
        if items is not None:
            for a, b in _SET_ITEM.findall(items):
                yield "css", at, a or b
        else:
            yield "css", at, next(v for v in (q1, q2, bare, i1, i2) if v is not None)


def _html(text: str):
    """(kind, offset in text, value) of each HTML attribute that names a resource."""
    for tag in _TAG.finditer(text):
        for m in _ATTR.finditer(tag.group()):
            value = html.unescape(next(g for g in m.groups()[1:] if g is not None))
            if m.group(1).lower() == "srcset":
                for candidate in (c.strip().split()[0] for c in value.split(",") if c.strip()):
                    yield "html", tag.start() + m.start(), candidate
            else:
                yield "html", tag.start() + m.start(), value


def _decode_css(text: str) -> tuple[str, list[int]]:
    """CSS escapes decoded; origin[i] is the offset in text of decoded character i (one past the end too)."""
    out: list[str] = []
    origin: list[int] = []
    last = 0
    for m in _ESCAPE.finditer(text):
        out.append(text[last:m.start()])
        origin.extend(range(last, m.start()))
        hexa, char = m.groups()
        if hexa:
            code = int(hexa, 16)
            char = chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        out.append(char if char != "\n" else "")
        origin.extend([m.start()] * (char != "\n"))
        last = m.end()
    out.append(text[last:])
    origin.extend(range(last, len(text) + 1))
    return "".join(out), origin


class _Positions:
    """Offset in a text -> (line, column), both 1-based."""

    def __init__(self, text: str, first_line: int):
        self.starts = list(itertools.accumulate((len(line) + 1 for line in text.split("\n")[:-1]), initial=0))
        self.first = first_line

    def at(self, offset: int) -> tuple[int, int]:
        n = bisect.bisect_right(self.starts, offset) - 1
        return n + self.first, offset - self.starts[n] + 1
