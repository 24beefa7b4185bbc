"""D2xx: how the deck is cut into slides and what each slide holds."""
from __future__ import annotations

import bisect
import re
from functools import lru_cache

from . import perslide
from .engine import Context, Finding


def empty_slide(ctx: Context):
    slides = ctx.deck.slides
    if len(slides) == 1 and slides[0].empty:
        yield Finding(1, 1, "the deck has no content", "add a slide: a `# heading` and some text")
        return
    last_line = max(len(ctx.deck.lines), 1)
    last_content = max((s.index for s in slides if not s.empty), default=0)
    for s in slides:
        if not s.empty:
            continue
        trailing = s.index > last_content
        where = "at the end of the deck" if trailing else "between slides"
        line = min(s.break_line or s.start_line, last_line)  # a slide after the last line starts past it
        nxt = slides[s.index] if s.index < len(slides) else None
        if nxt is not None and nxt.break_line == nxt.start_line and s.break_line:
            # the next slide was opened by headingDivider at its heading: this `---` only adds an empty slide
            yield Finding(line, 1, f"slide {s.index} is empty: `headingDivider` already starts a slide at the "
                          f"heading on line {nxt.start_line}, so this `---` adds an empty one",
                          "remove the `---`; put the slide's directive comments after its heading")
            continue
        yield Finding(line, 1, f"slide {s.index} is empty ({where})",
                      "remove the extra `---`" if s.break_line else "add content or remove the slide")


def missing_slide_break(ctx: Context):
    for s in ctx.deck.slides:
        h1s = [h for h in s.headings if h.level == 1]
        swallowed = [h.line for h in s.headings if h.setext and h.level == 2]
        for prev, h in zip(h1s, h1s[1:]):
            if any(prev.line < line < h.line for line in swallowed):
                continue  # the break became a setext heading: setext-heading reports it
            yield Finding(h.line, h.col,
                          f"second top-level heading on slide {s.index} (first on line {h1s[0].line}): "
                          "a `---` slide break was probably forgotten",
                          f"add a line `---` before line {h.line}, or make it a `##` heading")


def setext_heading(ctx: Context):
    lines = ctx.deck.lines
    for s in ctx.deck.slides:
        for h in s.headings:
            if not h.setext:
                continue
            under = _underline(lines, h.line)
            if under is None or not lines[under - 1].strip().startswith("-"):
                continue  # `===` underlines are deliberate h1s
            yield Finding(under, _col(lines[under - 1]),
                          f"`---` directly under text turns \"{_short(h.text)}\" into a heading, not a slide break",
                          "add a blank line before the `---`")


def _underline(lines, first: int) -> int | None:
    for n in range(first, min(first + 50, len(lines)) + 1):
        stripped = lines[n - 1].strip()
        if stripped and set(stripped.replace(" ", "")) <= {"-"} and n > first:
            return n
        if stripped and set(stripped.replace(" ", "")) <= {"="} and n > first:
            return n
    return None


def _col(text: str) -> int:
    return len(text) - len(text.lstrip()) + 1


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."


_TAG = re.compile(r"<(/?)(div|section|span|details|figure|table|blockquote)\b[^>]*?(/?)>", re.I)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


def unbalanced_html(ctx: Context):
    # (slide by slide: an unchanged slide's findings are kept from the last lint, perslide.py)
    return perslide.findings(ctx, "unbalanced-html", _span_unbalanced, _unbalanced_in_deck)


def _unbalanced_in_deck(ctx: Context):
    skip = ctx.deck.block_lines()  # HTML inside fences, comments, front matter does not count
    for s in ctx.deck.slides:
        yield from _unbalanced(ctx, s, skip)


def _span_unbalanced(ctx: Context, span) -> list[Finding]:
    return list(_unbalanced(ctx, span[0], perslide.block_lines(ctx, span)))


def _unbalanced(ctx: Context, s, skip):
    stack: list[tuple[str, int, int]] = []
    for n in range(s.start_line, s.end_line + 1):
        if n in skip or n > len(ctx.deck.lines):
            continue
        for m in _line_tags(ctx.deck.lines[n - 1]):
            yield from _tag(m, n, stack, s.index)
    for tag, line, col in stack:
        yield Finding(line, col, f"`<{tag}>` opened here is not closed on slide {s.index}",
                      f"add `</{tag}>` before the slide ends; Marp does not carry HTML across slides")


@lru_cache(maxsize=1 << 16)  # a pure function of the line (the language server asks again at every keystroke)
def _line_tags(line: str) -> tuple[tuple[str, str, str, int], ...]:
    """(closing slash, tag, self-closing slash, column) of the block tags on one line, code spans left out."""
    text = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
    return tuple((m.group(1), m.group(2).lower(), m.group(3), m.start() + 1) for m in _TAG.finditer(text))


def _tag(m, line: int, stack: list, slide: int):
    closing, tag, selfclose, col = m
    if selfclose:
        return
    if not closing:
        stack.append((tag, line, col))
        return
    for i in range(len(stack) - 1, -1, -1):
        if stack[i][0] == tag:
            del stack[i:]
            return
    yield Finding(line, col, f"`</{tag}>` closes nothing opened on slide {slide}",
                  f"remove it or add the matching `<{tag}>` on this slide")


def fence_language(ctx: Context):
    for s in ctx.deck.slides:
        for f in s.fences:
            if not f.info:
                yield Finding(f.line, f.col, "code block without a language: no syntax highlighting, "
                              "and deckops cannot tell a shell session from output",
                              "add a language after the fence, e.g. ```console, ```bash, ```yaml or ```text")


def sparse_slide(ctx: Context):
    """A slide with no heading, picture or code and at most two words is usually a placeholder."""
    candidates = {s.index for s in ctx.deck.slides
                  if not (s.empty or s.headings or s.images or s.fences or s.html_blocks)}
    if not candidates:
        return  # (the pass over every token below is for these slides only)
    starts = [s.break_line or s.start_line for s in ctx.deck.slides]
    words_at: dict[int, list[tuple[int, int, str]]] = {}
    for t in ctx.deck.tokens:
        if t.type == "inline" and t.map:
            index = bisect.bisect_right(starts, t.map[0] + 1)  # 1-based slide index
            if index in candidates:
                words_at.setdefault(index, []).append((t.map[0] + 1, len(t.content.split()), t.content))
    for s in ctx.deck.slides:
        found = words_at.get(s.index, [])
        if s.index not in candidates or not found:
            continue
        words = sum(n for _, n, _ in found)
        if words <= 2:
            line, _, text = found[0]
            yield Finding(line, 1, f"slide {s.index} has no heading and only {words} word{'s' * (words != 1)} "
                          f"({text.strip()[:40]!r}): a placeholder?",
                          "give the slide a heading and its content, or remove it")
