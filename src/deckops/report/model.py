"""`deckops inspect`: the deck model as data (JSON) or one line per slide (text); pure functions, no printing."""
from __future__ import annotations

import json

from ..deck import Deck, Slide
from ..directives import GLOBAL_RULES


def deck_data(deck: Deck) -> dict:
    """One deck in the inspect schema: slides as Marp reads them, with their lines, directives and notes."""
    fm = deck.front_matter
    return {
        "path": deck.path,
        "front_matter": None if fm is None else {"line": fm.line, "end_line": fm.end_line, "accepted": fm.accepted},
        "slides": [slide_data(s) for s in deck.slides],
    }


def slide_data(s: Slide) -> dict:
    return {
        "number": s.index,
        "line": s.line,
        "end_line": s.end_line,
        "directives": dict(s.directives),
        "notes": list(s.marp_notes),
        "headings": [{"level": h.level, "line": h.line, "text": h.text} for h in s.headings],
    }


def render_json(decks: list[Deck]) -> str:
    return json.dumps({"decks": [deck_data(d) for d in decks]}, indent=2, ensure_ascii=False) + "\n"


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str) and v and not any(c.isspace() or c in "\"=" for c in v):
        return v
    return json.dumps(v, ensure_ascii=False)


def _pairs(directives: dict, keys) -> str:
    return " ".join(f"{k}={_value(directives[k])}" for k in keys)


def _changes(before: dict, after: dict) -> list[str]:
    keys = [k for k in after if k not in GLOBAL_RULES and before.get(k, _UNSET) != after[k]]
    gone = [k for k in before if k not in GLOBAL_RULES and k not in after]
    return [f"{k}={_value(after[k])}" for k in keys] + [f"{k}=(unset)" for k in gone]


_UNSET = object()


def render_text(decks: list[Deck]) -> str:
    """A line with the deck's global directives, then `N  Lstart-end  changes  "first heading"` per slide, where
    changes are the local directives that differ from the slide before (spot directives show and revert)."""
    out = []
    for deck in decks:
        first = dict(deck.slides[0].directives) if deck.slides else {}
        globals_ = [k for k in first if k in GLOBAL_RULES]
        fm = deck.front_matter
        state = "" if fm is None else f"  front matter L{fm.line}-{fm.end_line}" + ("" if fm.accepted else
                                                                                     " (ignored by Marp)")
        out.append(f"{deck.path}: {len(deck.slides)} slides{state}" +
                   (f"  {_pairs(first, globals_)}" if globals_ else ""))
        width = len(str(len(deck.slides)))
        before: dict = {}
        for s in deck.slides:
            parts = [f"{s.index:>{width}}", f"L{s.line}-{s.end_line}", *_changes(before, dict(s.directives))]
            if s.title:
                parts.append(json.dumps(s.title, ensure_ascii=False))
            if s.marp_notes:
                parts.append(f"notes={len(s.marp_notes)}")
            out.append("  ".join(parts))
            before = dict(s.directives)
    return "\n".join(out) + "\n"
