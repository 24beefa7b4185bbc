"""Property tests: any text parses without an exception, positions lie in the file, slides tile the source."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deckops import config, deck
from deckops.lint import lint

PIECES = st.sampled_from([
    "---", "***", "___", "- - -", "# Title", "## Sub", "text", "Setext\n---", "", "\n",
    "<!-- _class: lead -->", "<!-- paginate: true -->", "<!-- headingDivider: 2 -->", "<!-- note -->",
    "<!-- theme: [x -->", "<!--", "-->", "```bash", "```console", "```", "$ kubectl get pods", "> more",
    "NAME READY", "![bg right:40%](a%2Fb.png)", "![alt](x.png)", "[l](y.md)", "<div>", "</div>",
    "- item", "  - nested", "1. one", "> quote", "\t- tab", "backgroundColor: #fff", "header: 'open",
    "key: &a [1, *a]", "\r", "\ufeff", "\x00", "é", "`code`", "<img src=\"z.png\">",
])
FRONT = st.lists(st.sampled_from([
    "theme: gaia", "paginate: true", "header: 'unclosed", "style: @import x", "headingDivider: 1",
    "class: [a, b]", ": junk", "a: &x [1]", "b: *x", "footer: ![x](y.png) t", "- list",
]), max_size=5)
DECKS = st.builds(
    lambda fm, body, use_fm: (("---\n" + "\n".join(fm) + "\n---\n") if use_fm else "") + "\n".join(body),
    FRONT, st.lists(PIECES, max_size=40), st.booleans())
TEXTS = st.one_of(DECKS, st.text(max_size=400))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _positions(d: deck.Deck):
    for s in d.slides:
        for h in s.headings:
            yield h.line, h.col
        for f in s.fences:
            yield f.line, f.col
            yield from ((l.line, l.col) for l in f.lines)
        yield from ((i.line, i.col) for i in s.images)
        yield from ((l.line, l.col) for l in s.links)
        yield from ((c.line, c.col) for c in s.comments)
    yield from ((x.line, x.col) for x in d.directives)
    yield from ((i.line, i.col) for i in d.issues)


@SETTINGS
@given(TEXTS)
def test_parse_never_raises_and_positions_are_inside(text):
    d = deck.parse(text.encode("utf-8", "surrogatepass"), "p.md")
    n = len(d.lines)
    for line, col in _positions(d):
        assert 1 <= line <= n, (line, n)
        assert 1 <= col <= len(d.lines[line - 1]) + 1, (line, col, d.lines[line - 1])


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data):
    d = deck.parse(data, "b.md")
    assert all(1 <= i.line <= max(len(d.lines), 1) for i in d.issues)


@SETTINGS
@given(DECKS)
def test_slides_tile_the_source(text):
    d = deck.parse(text, "t.md")
    first = d.front_matter.end_line + 1 if d.front_matter else 1
    expect = first
    for s in d.slides:
        begin = s.break_line if s.break_line is not None else s.start_line
        assert begin == expect, (s, expect)
        expect = s.end_line + 1
    rejoined = [d.lines[i - 1] for s in d.slides
                for i in range(s.break_line or s.start_line, s.end_line + 1)]
    assert rejoined == list(d.lines[first - 1:deck.line_count(d.text)])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DECKS)
def test_lint_never_crashes_a_rule(text):
    d = deck.parse(text, "t.md")
    cfg = config.Config(select=("parse-error", "front-matter-invalid", "empty-slide", "missing-image",
                                "unknown-directive", "directive-value", "directive-scope", "missing-slide-break",
                                "setext-heading", "unbalanced-html", "fence-language", "image-alt",
                                "terminology", "near-duplicate-term"))
    diags = lint(d, cfg)
    assert not [x for x in diags if x.code == "D000"], diags
    for x in diags:
        assert 1 <= x.line <= max(len(d.lines), 1)
