"""D601 overflow, D602 image-not-rendered, D605 emoji-offline: measurements from Chromium -> positioned
diagnostics (pure: the measurements are plain data)."""
from __future__ import annotations

import re
from urllib.parse import unquote

from ..deck import Deck, Slide
from ..diagnostic import Diagnostic, Pos

_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_INLINE = re.compile(r"<[^>]+>")
_MARKERS = re.compile(r"^\s*(?:[-*+]|\d+[.)]|#{1,6}|>)\s+")
_REMOTE = re.compile(r"^(?:https?:)?//", re.I)
_SHORTCODE = re.compile(r":[\w+-]+:")
# classes whose name says "less on the slide": worth suggesting when the deck's theme has one
_SMALLER = re.compile(r"small|compact|dense|tiny|condensed|mini|shrink", re.I)
# a model block's tag -> the tags marp renders it as (html blocks: anything, checked by count only)
_RENDERED_AS = {"code": ("pre", "marp-pre"), "math": ("p",)}


def diagnostics(deck: Deck, path: str, measured: list[dict], *, network: bool = True) -> list[Diagnostic]:
    """One D601 per overflowing slide; one D602 per image URL that did not load, however many slides show it;
    one D605 for the deck's emoji when the twemoji CDN could not be reached. Without `network` (the sandbox
    had none) remote images cannot load, so their failure says nothing and is not reported."""
    out = []
    for n, m in enumerate(measured, 1):
        out.extend(_overflow(deck, _slide(deck, n), n, path, m))
    out.extend(_images(deck, path, measured, network))
    out.extend(_emoji(deck, path, measured, network))
    return out


def flagged(measured: list[dict], network: bool = True) -> dict[int, str]:
    """1-based slide number -> what is wrong with it, for the contact sheet."""
    out = {}
    for n, m in enumerate(measured, 1):
        failed = [s for s in m.get("failed", ()) if network or not _REMOTE.match(s)]
        what = [w for w, bad in (("overflow", m["overflowY"] > 0 or m["overflowX"] > 0),
                                 ("image not loaded", bool(failed))) if bad]
        if what:
            out[n] = ", ".join(what)
    return out


def _slide(deck: Deck, n: int) -> Slide | None:
    return deck.slides[n - 1] if n <= len(deck.slides) else None


def _slides(numbers: list[int]) -> str:
    return f"slide {numbers[0]}" if len(numbers) == 1 else "slides " + ", ".join(map(str, numbers))


def _overflow(deck, slide, n, path, m) -> list[Diagnostic]:
    dy, dx = m["overflowY"], m["overflowX"]
    if dy <= 0 and dx <= 0:
        return []
    line, col, first = culprit(deck, slide, m)
    parts = [f"{dy} px below" if dy > 0 else "", f"{dx} px right of" if dx > 0 else ""]
    what = " and ".join(p for p in parts if p)
    leaf = m.get("leaf") or {}
    sample = f": {_describe(leaf)}" if leaf else ""
    more = f" (the last of {len(m['over'])} blocks past it, the first at line {first})" if first else ""
    return [Diagnostic("D601", "overflow", "error", Pos(path, line, col),
                       f"slide {n}: content overflows the slide box, {what} the edge{sample}{more}",
                       overflow_hint(m.get("classes", ())))]


def _describe(leaf: dict) -> str:
    if leaf.get("src"):
        return f"<{leaf.get('tag')} src=\"{leaf['src'][:60]}\">"
    return f"<{leaf.get('tag')}> \"{leaf.get('text', '')[:40]}\""


def overflow_hint(classes) -> str:
    """Fixes that exist for this deck: a class of its theme that makes slides denser, else a scoped style."""
    smaller = [c for c in classes if _SMALLER.search(c)]
    if smaller:
        return f"shorten the slide, split it in two, or use the theme's smaller layout: <!-- _class: {smaller[0]} -->"
    return ("shorten the slide, split it in two, or shrink its text: "
            "<style scoped>section { font-size: 24px; }</style>")


def culprit(deck: Deck, slide: Slide | None, m: dict) -> tuple[int, int, int | None]:
    """(line, col) of what overflows: the last top-level block past the edge, mapped to the deck model's
    blocks by order, and in it the element the browser found (by its image src or text); plus the line of
    the first block past the edge when several are. When the rendered blocks do not line up with the
    model's (raw HTML, ...), the element is looked up by its text in the whole slide."""
    if slide is None:
        return 1, 1, None
    leaf, over = m.get("leaf"), m.get("over") or []
    model = blocks(deck, slide)
    if over and _aligned(model, m.get("blocks") or []):
        _, lo, hi = model[over[-1]]
        line, col = locate(deck, slide, leaf, lo, hi)
        return line, col, (model[over[0]][1] if len(over) > 1 else None)
    return (*locate(deck, slide, leaf), None)


def blocks(deck: Deck, slide: Slide) -> list[tuple[str, int, int]]:
    """The slide's top-level blocks as marp renders them, in order: (tag, first line, last line). Comments,
    `<style>` and paragraphs of background images only are not rendered as blocks."""
    out = []
    toks = deck.tokens
    for i, t in enumerate(toks):
        if t.level != 0 or t.nesting < 0 or not t.map or t.type in _NOT_RENDERED:
            continue
        first, last = t.map[0] + 1, t.map[1]
        if not slide.start_line <= first <= slide.end_line or _hidden(t, toks[i + 1] if i + 1 < len(toks) else None):
            continue
        out.append(("*" if t.type == "html_block" else t.tag, first, max(first, last)))
    return out


_NOT_RENDERED = frozenset({"inline", "hr", "front_matter", "marpit_comment", "marpit_style"})
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _hidden(token, after) -> bool:
    if token.type == "html_block":
        return not _COMMENT.sub("", token.content).strip()
    if token.type != "paragraph_open" or after is None or after.type != "inline":
        return False
    return all((c.type == "image" and "bg" in c.content.split()) or c.type == "softbreak"
               or (c.type == "text" and not c.content.strip()) for c in after.children or ())


def _aligned(model: list[tuple[str, int, int]], rendered: list[str]) -> bool:
    return len(model) == len(rendered) and all(
        tag == "*" or got in _RENDERED_AS.get(tag, (tag,)) for (tag, _, _), got in zip(model, rendered))


def _images(deck, path, measured, network) -> list[Diagnostic]:
    shown: dict[str, list[int]] = {}  # URL -> the slides it did not load on
    for n, m in enumerate(measured, 1):
        for src in dict.fromkeys(m.get("failed", ())):
            if network or not _REMOTE.match(src):
                shown.setdefault(src, []).append(n)
    out = []
    for src, numbers in shown.items():
        found = (_find_image(s.images, src) for n in numbers if (s := _slide(deck, n)))
        line, col = next((pos for pos in found if pos), None) or _image_pos(_slide(deck, numbers[0]), src)
        out.append(Diagnostic("D602", "image-not-rendered", "error", Pos(path, line, col),
                              f"{_slides(numbers)}: image `{src}` did not load in the browser",
                              "check the path (relative to the deck), the file itself, and avoid %2F in paths"))
    return out


def _emoji(deck, path, measured, network) -> list[Diagnostic]:
    """Offline (known from the config, not found out per image) or with the CDN failing: one finding."""
    on = [(n, m) for n, m in enumerate(measured, 1) if m.get("emoji") and (not network or m.get("emojiFailed"))]
    if not on:
        return []
    count = sum(m["emoji"] if not network else m["emojiFailed"] for _, m in on)
    n, m = on[0]
    line, col = _emoji_pos(deck, _slide(deck, n), m.get("emojiAlt", ""))
    why = ", and the check ran without network (`online = false`)" if not network else " that could not be reached"
    hint = ("set `online = true` under [tool.deckops] to render and check them with network (the PDF shows them "
            "only then)" if not network else "check that cdn.jsdelivr.net is reachable from this machine")
    return [Diagnostic("D605", "emoji-offline", "info", Pos(path, line, col),
                       f"emoji images need network; {count} emoji on {_slides([k for k, _ in on])} are twemoji "
                       f"images from a CDN{why}: without it they show as the system's emoji font, or not at all",
                       hint)]


def _emoji_pos(deck: Deck, slide: Slide | None, alt: str) -> tuple[int, int]:
    if slide is None:
        return 1, 1
    for ln in range(slide.start_line, slide.end_line + 1):
        raw = deck.lines[ln - 1] if ln - 1 < len(deck.lines) else ""
        hit = raw.find(alt) if alt else -1
        if hit < 0 and (m := _SHORTCODE.search(raw)):
            hit = m.start()
        if hit >= 0:
            return ln, hit + 1
    return slide.start_line, 1


def _image_pos(slide: Slide | None, src: str) -> tuple[int, int]:
    if slide is None:
        return 1, 1
    return _find_image(slide.images, src) or (slide.start_line, 1)


def _find_image(images, src: str) -> tuple[int, int] | None:
    want = unquote(src)
    for img in images:
        if src in (img.src, img.decoded) or want in (img.src, img.decoded) or img.src.endswith(src):
            return img.line, img.col
    return None


def locate(deck: Deck, slide: Slide | None, leaf: dict | None, lo: int | None = None,
           hi: int | None = None) -> tuple[int, int]:
    """The line of an element, found by its image src or its text among the lines lo..hi (default: the
    slide's), else the first content line there."""
    if slide is None:
        return 1, 1
    lo = slide.start_line if lo is None else lo
    hi = max(slide.end_line, slide.start_line) if hi is None else hi
    if leaf and leaf.get("src"):
        pos = _find_image([i for i in slide.images if lo <= i.line <= hi], leaf["src"])
        if pos:
            return pos
    text = " ".join((leaf or {}).get("text", "").split())
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
