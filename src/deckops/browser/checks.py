"""D601 overflow and D602 image-not-rendered: measurements from Chromium -> positioned diagnostics."""
from __future__ import annotations

import re
from urllib.parse import unquote

from ..deck import Deck, Slide
from ..diagnostic import Diagnostic, Pos

_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_INLINE = re.compile(r"<[^>]+>")
_MARKERS = re.compile(r"^\s*(?:[-*+]|\d+[.)]|#{1,6}|>)\s+")
_REMOTE = re.compile(r"^(?:https?:)?//", re.I)


def diagnostics(deck: Deck, path: str, measured: list[dict], *, network: bool = True) -> list[Diagnostic]:
    """One D601 per overflowing slide, one D602 per image that did not load. Without `network` (the sandbox
    had none) remote images cannot load, so their failure says nothing and is not reported."""
    out = []
    for n, m in enumerate(measured, 1):
        slide = deck.slides[n - 1] if n <= len(deck.slides) else None
        out.extend(_overflow(deck, slide, n, path, m))
        failed = [src for src in m.get("failed", ()) if network or not _REMOTE.match(src)]
        out.extend(_images(deck, slide, n, path, {**m, "failed": failed}))
    return out


def flagged(measured: list[dict]) -> dict[int, str]:
    """1-based slide number -> what is wrong with it, for the contact sheet."""
    out = {}
    for n, m in enumerate(measured, 1):
        what = [w for w, bad in (("overflow", m["overflowY"] > 0 or m["overflowX"] > 0),
                                 ("image not loaded", bool(m["failed"]))) if bad]
        if what:
            out[n] = ", ".join(what)
    return out


def _overflow(deck, slide, n, path, m) -> list[Diagnostic]:
    dy, dx = m["overflowY"], m["overflowX"]
    if dy <= 0 and dx <= 0:
        return []
    line, col = locate(deck, slide, m.get("first"))
    parts = [f"{dy} px below" if dy > 0 else "", f"{dx} px right of" if dx > 0 else ""]
    what = " and ".join(p for p in parts if p)
    first = m.get("first") or {}
    sample = f" (first: <{first.get('tag')}> \"{first.get('text', '')[:40]}\")" if first else ""
    return [Diagnostic("D601", "overflow", "error", Pos(path, line, col),
                       f"slide {n}: content overflows the slide box, {what} the edge{sample}",
                       "shorten the slide, split it in two, or use a smaller font for it (e.g. <!-- _class: small -->)")]


def _images(deck, slide, n, path, m) -> list[Diagnostic]:
    out = []
    for src in dict.fromkeys(m.get("failed", ())):
        line, col = _image_pos(slide, src)
        out.append(Diagnostic("D602", "image-not-rendered", "error", Pos(path, line, col),
                              f"slide {n}: image `{src}` did not load in the browser",
                              "check the path (relative to the deck), the file itself, and avoid %2F in paths"))
    return out


def _image_pos(slide: Slide | None, src: str) -> tuple[int, int]:
    if slide is None:
        return 1, 1
    want = unquote(src)
    for img in slide.images:
        if src in (img.src, img.decoded) or want in (img.src, img.decoded) or img.src.endswith(src):
            return img.line, img.col
    return slide.start_line, 1


def locate(deck: Deck, slide: Slide | None, first: dict | None) -> tuple[int, int]:
    """The line of the first overflowing element, found by its text (or image src) in the slide's lines."""
    if slide is None:
        return 1, 1
    if first and first.get("src"):
        return _image_pos(slide, first["src"])
    text = " ".join((first or {}).get("text", "").split())
    lo, hi = slide.start_line, max(slide.end_line, slide.start_line)
    lines = [(ln, deck.lines[ln - 1]) for ln in range(lo, hi + 1) if ln - 1 < len(deck.lines)]
    words = text.split()
    # an exact match of a line's text (list/heading markers removed) first, then ever shorter prefixes
    plain = [(ln, raw, _plain(raw)) for ln, raw in lines]
    for ln, raw, flat in plain:
        if text and _MARKERS.sub("", flat).strip() == text:
            return ln, _indent(raw)
    for size in (6, 4, 2):
        needle = " ".join(words[:size])
        if len(words) < 2 or not needle:
            break
        for ln, raw, flat in plain:
            if needle in flat:
                return ln, _indent(raw)
    return _first_content_line(deck, lo, hi), 1


def _plain(raw: str) -> str:
    """A source line as the browser shows its text: no link targets, tags or emphasis/code markers."""
    text = _INLINE.sub("", _LINK_TARGET.sub("]", raw))
    return " ".join(text.replace("*", "").replace("`", "").replace("[", "").replace("]", "").split())


def _indent(raw: str) -> int:
    return len(raw) - len(raw.lstrip()) + 1


def _first_content_line(deck: Deck, lo: int, hi: int) -> int:
    for ln in range(lo, hi + 1):
        if ln - 1 < len(deck.lines) and deck.lines[ln - 1].strip():
            return ln
    return lo
