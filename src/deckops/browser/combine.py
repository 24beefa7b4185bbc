"""Several decks measured in one Chromium page: their bare HTML joined, when that cannot change a measurement.

A page load costs more CPU than measuring its slides, and decks of one talk repo share their CSS. Decks whose
bare pages have the same head (CSS and scripts; the title and meta tags aside), the same scripts in the body
and the same folder (relative image URLs) render alike in one document: every slide is its own
`svg > foreignObject > section`, sized by the same CSS. The joined page keeps one copy of marp-core's body
script (it upgrades the whole document). Tests compare joined and separate measurements slide by slide.
"""
from __future__ import annotations

import re

MAX_DECKS = 10  # per page: a few pages still overlap in Chromium's processes; a huge page costs memory
_TITLE_META = re.compile(r"<title>.*?</title>|<meta\b[^>]*>", re.S | re.I)
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)


def parts(html: str) -> tuple[str, str] | None:
    """(head, body) of a bare page: everything before `<body>`, and the body's inner HTML; None if unusual."""
    if html.count("<body>") != 1 or html.count("</body>") != 1:
        return None
    head, rest = html.split("<body>")
    return head, rest.split("</body>")[0]


def key(html: str) -> tuple[str, tuple[str, ...]] | None:
    """Pages with equal keys may share a document; None: measure this page alone."""
    split = parts(html)
    if split is None:
        return None
    head, body = split
    return _TITLE_META.sub("", head), tuple(_SCRIPT.findall(body))


def join(pages: list[str]) -> str:
    """One document holding the slides of every page, in order (pages of equal key)."""
    split = [parts(p) for p in pages]
    bodies = [_SCRIPT.sub("", body) for _, body in split[:-1]] + [split[-1][1]]
    return split[0][0] + "<body>" + "".join(bodies) + "</body></html>\n"


def groups(keys: list) -> list[list[int]]:
    """Indexes grouped by equal key (None: alone), in first-seen order, at most MAX_DECKS per group."""
    out: list[list[int]] = []
    open_: dict = {}
    for i, k in enumerate(keys):
        g = open_.get(k) if k is not None else None
        if g is None or len(g) >= MAX_DECKS:
            g = []
            out.append(g)
            if k is not None:
                open_[k] = g
        g.append(i)
    return out
