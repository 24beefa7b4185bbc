"""Per-slide work of the rules, reused across lints while the deck model reuses the slide.

deck.py keeps a Slide object for the next build with the same chunk parser (the language server's) when its
tokens, place and directives are unchanged; a rule's result for such a slide is a function of that object, the
lines the slide owns (`spans`) and what the rule declares as its deck-level `context`, so it is kept too. A
lint then redoes the slides that were edited and combines the rest (`each`, and `Tally` for counts over the
whole deck that change by what the edited slides add and remove). In a fresh process (the CLI) nothing is
reused and the results are the same: tests/test_chunks.py compares them after random edits.
"""
from __future__ import annotations

from collections import Counter
from typing import Callable

from .engine import Context

Span = tuple[object, int, int]  # (slide, first line it owns, last line it owns)
REUSE = ("per-slide-reuse",)  # in a run cache: a later lint will reuse this one's per-slide results


MOVES = ("slide-moves",)  # in a run cache: deck.py's record of the slides that only moved (chunks.Parser.moves)


def enable(cache: dict, moves: dict | None = None) -> dict:
    """Mark a run cache as one a later lint of the same deck carries on (the language server's): only then is
    the work split by slide. A lint that nothing follows (the command line: a fresh process per run) would pay
    for the split and reuse nothing, so it does each rule's work for the whole deck at once. `moves`: the
    parser's record of the slides that moved since its last parse (lines added or removed above them)."""
    cache[REUSE] = True
    if moves is not None:
        cache[MOVES] = moves
    return cache


def spans(ctx: Context) -> list[Span] | None:
    """Each slide with the deck lines it owns: from its break (line 1 for the first) to the line before the next
    slide's; together they cover every line of the deck. None when the run cache is not `enable`d, or when some
    slide's fence, comment or HTML block reaches outside its own lines (a per-slide answer could differ from the
    deck's): then the rules work on the whole deck."""
    return _spans(ctx)[0]


def _spans(ctx: Context) -> tuple[list[Span] | None, list[tuple[int, int, int]]]:
    """spans() and each span's memo key (the slide's id and its lines), once per deck and run."""
    if not ctx.cache.get(REUSE):
        return None, []
    key = ("slide-spans", ctx.deck.path)
    hit = ctx.cache.get(key)
    if hit is not None and hit[0] is ctx.deck:
        return hit[1], hit[2]
    deck = ctx.deck
    slides = deck.slides
    out: list[Span] | None = [] if len(deck.slide_tokens) == len(slides) else None
    for k, s in enumerate(slides if out is not None else ()):
        lo = 1 if k == 0 else s.line
        hi = slides[k + 1].line - 1 if k + 1 < len(slides) else len(deck.lines)
        if hi < lo or any(b.line < lo or b.end_line > hi for b in (*s.fences, *s.comments, *s.html_blocks)) \
                or any(not lo <= x.line <= hi for x in (*s.images, *s.links, *s.headings)):
            out = None
            break
        out.append((s, lo, hi))
    if out is not None and deck.front_matter is not None and out and deck.front_matter.end_line > out[0][2]:
        out = None
    keys = [(id(s), lo, hi) for s, lo, hi in out or ()]
    ctx.cache[key] = (deck, out, keys)
    return out, keys


def block_lines(ctx: Context, span: Span, html: bool = False) -> frozenset[int]:
    """Deck.block_lines() restricted to the span's lines: its slide's fences and comments (and HTML blocks),
    and the front matter on the first slide."""
    s, lo, _ = span
    skip: set[int] = set()
    fm = ctx.deck.front_matter
    if lo == 1 and fm is not None:
        skip.update(range(fm.line, fm.end_line + 1))
    for b in (*s.fences, *s.comments, *(s.html_blocks if html else ())):
        skip.update(range(b.line, b.end_line + 1))
    return frozenset(skip)


def tokens(ctx: Context, span: Span) -> list:
    """The markdown-it tokens of the span's slide."""
    first, stop = ctx.deck.slide_tokens[span[0].index - 1]
    return ctx.deck.tokens[first:stop]


def findings(ctx: Context, name: str, fn: Callable[[Context, Span], list], whole: Callable[[Context], object],
             context: object = ()) -> list:
    """A rule's findings slide by slide (fn's for one span, kept as `each` keeps them, moved with a moved slide:
    a message must not name a deck line), or whole(ctx)'s for the deck when it cannot be taken slide by slide."""
    parts = each(ctx, name, fn, context, findings_moved)
    return list(whole(ctx)) if parts is None else [f for part in parts for f in part]


def each(ctx: Context, name: str, fn: Callable[[Context, Span], object], context: object = (),
         moved: Callable[[object, int], object] | None = None) -> list | None:
    """[fn(ctx, span) for span in spans(ctx)], a slide's result taken from the last lint when the slide is the
    same object owning the same lines and `context` (what else fn reads: config values, deck-level facts) is
    equal; with `moved(result, by)`, also from a slide the model only moved by `by` lines (deck.py: the same
    text and tokens), its result moved the same way. None when spans() is None (the caller does the deck-wide
    work instead)."""
    parts, keys = _spans(ctx)
    if parts is None:
        return None
    memo = _kept(ctx, name, context)
    moves = ctx.cache.get(MOVES, {}) if moved is not None else {}
    # (slide id, its lines) -> (slide, result): the entry holds the slide, so no other object takes its id
    found = list(map(memo.get, keys))
    for i in [i for i, hit in enumerate(found) if hit is None]:
        s, lo, hi = parts[i]
        was, by = moves.get(id(s), (None, 0))
        hit = memo.get((id(was), lo - by, hi - by)) if was is not None else None
        found[i] = (s, moved(hit[1], by) if hit is not None and hit[0] is was else fn(ctx, parts[i]))
    ctx.cache[_key(ctx, name)] = (context, dict(zip(keys, found)))
    return [hit[1] for hit in found]


def _key(ctx: Context, name: str) -> tuple:
    return ("per-slide", name, ctx.deck.path)  # (per deck: the server lints every open document)


def _kept(ctx: Context, name: str, context: object) -> dict:
    """(slide id, its lines) -> (slide, result) of the last lint, when it had the same `context`."""
    old = ctx.cache.get(_key(ctx, name))
    return old[1] if old is not None and old[0] == context else {}


def findings_moved(found: list, by: int) -> list:
    """A slide's findings `by` lines further down (for `each`'s `moved`: messages that name no deck line)."""
    return [f._replace(line=f.line + by) for f in found]


def lines_moved(rows: list, by: int) -> list:
    """(line, ...) rows `by` lines further down."""
    return [(row[0] + by, *row[1:]) for row in rows]


def missing(ctx: Context, name: str, context: object = ()) -> list[int] | None:
    """The positions (in spans()) of the slides `each` would compute fn for now (no result kept for them); None
    when spans() is None. A rule that starts background work for those slides alone asks this first."""
    parts, keys = _spans(ctx)
    if parts is None:
        return None
    memo = _kept(ctx, name, context)
    return [i for i, k in enumerate(keys) if k not in memo]


def forget(ctx: Context, name: str) -> None:
    """Keep nothing of `name` for the next lint (its results this time were not the slides' own: a failure)."""
    ctx.cache.pop(_key(ctx, name), None)


def drop(cache: dict, path: str) -> None:
    """Forget what was kept for the deck at `path` (the server: its document was closed)."""
    for key in [k for k in cache if k[0] in ("per-slide", "per-slide-tally") and k[-1] == path]:
        del cache[key]


class Tally:
    """The sum of per-slide Counters, updated from the last lint's sum by the parts that came and went (an edit
    changes one slide's part: the deck-wide sum costs that part, not a pass over every slide)."""

    def __init__(self) -> None:
        self.parts: dict[int, Counter] = {}
        self.total: Counter = Counter()

    @classmethod
    def of(cls, ctx: Context, name: str, context: object, parts: list[Counter]) -> Counter:
        key = ("per-slide-tally", name, ctx.deck.path)
        old = ctx.cache.get(key)
        tally = old[1] if old is not None and old[0] == context else cls()
        ctx.cache[key] = (context, tally)
        return tally.update(parts)

    def update(self, parts: list[Counter]) -> Counter:
        now = {id(p): p for p in parts}
        if len(now) != len(parts):  # the same object twice: count it twice, from scratch
            self.parts, self.total = {}, Counter()
            for p in parts:
                self.total.update(p)
            return self.total
        gone = [self.parts[pid] for pid in self.parts.keys() - now.keys()]
        for part in gone:
            self.total.subtract(part)
        for pid in now.keys() - self.parts.keys():
            self.total.update(now[pid])
        self.parts = now
        for part in gone:  # (subtract leaves zeros behind: the sum's keys are what is still counted)
            for word in part:
                if self.total.get(word, 1) <= 0:
                    del self.total[word]
        return self.total
