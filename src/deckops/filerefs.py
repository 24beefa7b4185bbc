"""Every way a deck's text (or a theme's CSS) can name a local file, as Chromium would read it.

CSS `url()`, `image-set()`, `@import` in any case, through CSS escapes (`\\75 rl(`) and across lines; `file:`
URLs; HTML `src`/`href`/... attributes, quoted or not, with entities decoded. Used by lint's path rule (D304)
and by render's plan (what to stage, what to refuse). A text check is only the early, positioned warning:
the render sandbox (proc.Sandbox) is what keeps Chromium inside the staged copy. Linear in the text.
"""
from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[ \t\r\n\f])?|(.))", re.S)
# One pass: url(ARG), image-set(...) and friends (their strings up to the next parenthesis; a url() in them
# is matched as such), @import "x". A function's name and its parenthesis touch (`url (x)` is no URL); the
# argument may start on a later line.
_CSS = re.compile(r"""(?<![\w-])(?:"""
                  r"""url\(\s*(?:"([^"\n]*)"|'([^'\n]*)'|([^\s"'()]*))"""
                  r"""|(?:image-set|-webkit-image-set|image|cross-fade)\(([^()]*)"""
                  r"""|@import\s*(?:"([^"\n]*)"|'([^'\n]*)'))""", re.I)
_SET_ITEM = re.compile(r"""(?:"([^"\n]*)"|'([^'\n]*)')""")
_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_ATTR = re.compile(r"""(?<![\w:-])(src|href|srcset|data|poster|background|xlink:href|action|formaction)\s*=\s*"""
                   r"""(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.I)
_INLINE_CODE = re.compile(r"(`+)[^`]*?\1")


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
    """Local-file references in `text` (CSS and HTML); positions count from `first_line`."""
    pos = _Positions(text, first_line)
    return [*_css(text, pos), *_html(text, pos)]


def scan_deck(lines: list[str], code_lines: set[int]) -> list[Ref]:
    """scan() over a deck's lines, leaving out fenced code (lines in code_lines) and inline code spans:
    Marp shows those as text, never as CSS or HTML."""
    kept = [" " * len(t) if n in code_lines else _INLINE_CODE.sub(lambda m: " " * len(m.group()), t)
            for n, t in enumerate(lines, 1)]
    return scan("\n".join(kept))


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


def _css(text: str, pos: "_Positions"):
    decoded, origin = _decode_css(text)
    for m in _CSS.finditer(decoded):
        q1, q2, bare, items, i1, i2 = m.groups()
        if items is not None:
            values = [a or b for a, b in _SET_ITEM.findall(items)]
        else:
            values = [next(v for v in (q1, q2, bare, i1, i2) if v is not None)]
        for value in values:
            path, is_file = local_path(value)
            if path:
                yield Ref(value, path, is_file, *pos.at(origin[m.start()]), "css")


def _html(text: str, pos: "_Positions"):
    for tag in _TAG.finditer(text):
        for m in _ATTR.finditer(tag.group()):
            raw = next(g for g in m.groups()[1:] if g is not None)
            value = html.unescape(raw)
            if m.group(1).lower() == "srcset":
                candidates = [c.strip().split()[0] for c in value.split(",") if c.strip()]
            else:
                candidates = [value]
            for value in candidates:
                path, is_file = local_path(value)
                if path:
                    yield Ref(value, path, is_file, *pos.at(tag.start() + m.start()), "html")


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
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.first = first_line

    def at(self, offset: int) -> tuple[int, int]:
        n = bisect.bisect_right(self.starts, offset) - 1
        return n + self.first, offset - self.starts[n] + 1
