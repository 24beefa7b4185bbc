"""Hover on a directive: its effective value on that slide (the deck model's reading, as Marp applies it) and
the line that set it. Pure: a Deck and a 1-based position in, Markdown text out."""
from __future__ import annotations

import json

from ..deck import Deck, Directive, Slide
from ..directives import GLOBAL, LOCAL


def directive_at(deck: Deck, line: int, col: int) -> Directive | None:
    """The directive whose key is under (line, col)."""
    for d in deck.directives:
        if d.line == line and d.col <= col < d.col + len(d.key) + 1:
            return d
    return None


def _applied(deck: Deck, slide: Slide, name: str) -> list[Directive]:
    """The directives that can give `name` its value on `slide`, in file order: front matter and directive
    comments Marp applies (notes that only look like directives are left out)."""
    applied_lines = {c.line for s in deck.slides for c in s.comments if c.kind == "directive"}
    out = []
    for d in deck.directives:
        if d.name != name or not (d.source == "front-matter" or _comment_line(deck, d) in applied_lines):
            continue
        where = deck.slide_at(d.line)
        index = where.index if where is not None else 1
        if name in GLOBAL or (d.spot and index == slide.index) or (not d.spot and index <= slide.index):
            out.append(d)
    return out


def _comment_line(deck: Deck, d: Directive) -> int:
    for s in deck.slides:
        for c in s.comments:
            if c.line <= d.line <= c.end_line:
                return c.line
    return -1


def _shown(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def hover_text(deck: Deck, line: int, col: int) -> str | None:
    d = directive_at(deck, line, col)
    if d is None:
        return None
    slide = deck.slide_at(d.line) or (deck.slides[0] if deck.slides else None)
    if slide is None:
        return None
    scope = "global" if d.name in GLOBAL else "local" if d.name in LOCAL else "unknown to Marp"
    head = f"**{d.name}** ({scope} directive) on slide {slide.index}"
    if d.name not in slide.directives:
        return f"{head}: not applied by Marp here"
    setters = _applied(deck, slide, d.name)
    spot = [s for s in setters if s.spot and deck.slide_at(s.line) is slide]
    source = (spot or setters or [None])[-1]
    where = f"set on line {source.line} ({'front matter' if source.source == 'front-matter' else 'comment'}" \
            f"{', this slide only' if source.spot else ''})" if source else "set by Marp"
    return f"{head}: `{_shown(slide.directives[d.name])}`, {where}"
