"""chunks.py: a deck parsed slide by slide, and re-parsed after an edit with the unchanged slides' tokens reused,
gives exactly the tokens (and so the Deck) of one parse of the whole text."""
from __future__ import annotations

import gc
import random
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA, ROOT
from deckops import chunks, marpit
from deckops import deck as deck_mod
from hostile_inputs import GROWTH
from test_conformance import TOKENS, decks

MD = marpit.markdown()
CORPUS = sorted(DATA.rglob("*.md")) + sorted((ROOT / "slides").glob("*.md"))


def _sig(tokens) -> list:
    return [(t.type, t.tag, t.map, t.level, t.nesting, t.content, t.markup, t.info, t.hidden, t.block,
             dict(t.attrs), dict(t.meta or {}),
             [(c.type, c.tag, c.content, c.markup, dict(c.attrs), c.hidden) for c in t.children or ()])
            for t in tokens]


def _norm(data: bytes) -> str:
    text, _, _ = deck_mod.decode(data)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def generated(slides: int) -> str:
    """bench/lint_scale.py's deck (front matter, directives every tenth slide, shell, console and YAML fences)."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import lint_scale
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return lint_scale.FRONT + "".join(lint_scale.slide(i) for i in range(1, slides + 1))


def _same(text: str, parser: chunks.Parser | None = None) -> None:
    parser = parser or chunks.Parser(MD)
    assert _sig(parser.parse(text)) == _sig(MD.parse(text, {}))


def test_the_corpus_parses_the_same_in_pieces():
    split = 0
    for path in CORPUS:
        text = _norm(path.read_bytes())
        _same(text)
        split += len(chunks.split_points(text.split("\n")) or []) > 1
    assert split >= 5  # most decks of the corpus are cut into slides (the test must test something)


def test_hostile_inputs_parse_the_same_in_pieces():
    for make, _ in GROWTH.values():
        _same(make(300))


def _edits(text: str, rng: random.Random, count: int = 12, kinds: int = 5) -> list[str]:
    """A typing session: characters added and removed, lines added and removed, slides added, one at a time
    (with kinds=8 also: words misspelt, a word's letters swapped, directives and notes added)."""
    out = []
    for _ in range(count):
        lines = text.split("\n")
        at = rng.randrange(len(lines))
        kind = rng.randrange(kinds)
        words = lines[at].split(" ")
        if kind == 5:
            lines[at] += rng.choice([" recieve", " Kubernets", " Inspektr", " kubectl", " schedulse", " `x`",
                                     " ![alt](images/none.png)", " <div>", " http://host.example/a", " url(",
                                     " <img src=\"images/gone.png\">", " background: url(images/x.png)",
                                     " && kubectl gett pods", " 'open", " --tail=x", " && k get po"])
        elif kind == 6 and len(words[-1]) > 3:
            w = words[-1]
            i = rng.randrange(len(w) - 1)
            lines[at] = " ".join(words[:-1] + [w[:i] + w[i + 1] + w[i] + w[i + 2:]])
        elif kind == 7:
            lines.insert(at, rng.choice(["<!-- _class: lead -->", "<!-- header: Teh title -->", "<!-- paginate: false -->",
                                         "<!-- a note about schedulse -->", "<!-- theme: gaia -->", "<!-- lang: de -->"]))
        elif kind == 0:
            lines[at] += rng.choice(["x", " ", "`", "-->", "<!--", "```", "$$", "[a]: b", "---"])
        elif kind == 1 and lines[at]:
            lines[at] = lines[at][:-1]
        elif kind == 2:
            lines.insert(at, rng.choice(["", "text", "---", "```", "# Title", "- item", "<!-- x -->"]))
        elif kind == 3 and len(lines) > 1:
            del lines[at]
        else:
            lines[at:at] = ["", "---", "", "# New slide", ""]
        text = "\n".join(lines)
        out.append(text)
    return out


def test_edits_reparse_the_same_with_slides_reused():
    rng = random.Random(19)
    reused = 0
    for path in CORPUS:
        parser = chunks.Parser(MD)
        text = _norm(path.read_bytes())
        _same(text, parser)
        for edited in _edits(text, rng):
            _same(edited, parser)
            # the splits found from the last scan's (only the edited stretch scanned) are a full scan's
            assert parser.last is None or parser.last[1] == chunks.split_points(edited.split("\n"))
        reused += parser.reused
    assert reused > 100


def test_the_deck_model_is_the_same():
    parser = deck_mod.chunk_parser()
    for path in CORPUS:
        data = path.read_bytes()
        assert deck_mod.parse(data, str(path), parser) == deck_mod.parse(data, str(path))


def test_edits_rebuild_the_same_deck_with_slides_reused():
    """After each edit of a session the model from the chunk parser (its unchanged slides' Slide objects, their
    directives and parse issues kept from the last build) equals a fresh parse's, field for field."""
    rng = random.Random(1920)
    kept = moved = 0
    for path, text in [(p, _norm(p.read_bytes())) for p in CORPUS] + [(ROOT / "bench" / "deck.md", generated(60))]:
        parser = deck_mod.chunk_parser()
        before: set[int] = set()
        for edited in [text, *_edits(text, rng, 10)]:
            got = deck_mod.parse(edited, str(path), parser)
            assert got == deck_mod.parse(edited, str(path))
            kept += sum(id(s) in before for s in got.slides)
            moved += len(parser.moves)
            before = {id(s) for s in got.slides}
    assert kept > 100 and moved > 100  # (slides reused where they were, and moved by lines added above them)


CSS_BITS = st.sampled_from(["url(", "url(a.png)", "image-set(", "\"b.png\"", ")", "(", "<div", "<img src=c.png",
                             ">", "@import", " 'd.css'", "\\", "\\75 rl(", "\\28", "`", "```", "---", "\n", "\n\n",
                             "# h", "<!-- x -->", "<style>", "</style>", " ", "e.svg", "<!-- _class: a -->"])


def _refs_both_ways(text: str) -> None:
    from deckops.filerefs import scan_deck
    from deckops.lint import perslide
    from deckops.lint.assets import deck_refs

    deck = deck_mod.parse(text, "deck.md")
    in_code = {n for s in deck.slides for f in s.fences for n in range(f.line, f.end_line + 1)}
    assert deck_refs(deck, perslide.enable({})) == scan_deck(deck.lines, in_code)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(CSS_BITS, max_size=12).map("".join), min_size=2, max_size=5).map("\n\n---\n\n".join))
def test_references_found_slide_by_slide_are_the_decks(text: str):
    """missing-image's and path-outside-repo's references, scanned slide by slide (where no reference can run
    on into the next slide), are scan_deck's over the whole deck, in its order."""
    _refs_both_ways(text)


def test_references_of_the_corpus_slide_by_slide():
    for path in CORPUS:
        _refs_both_ways(_norm(path.read_bytes()))
    _refs_both_ways('<img src="a.png">\n\n---\n\n<p style="background: url(b.png)">x</p>\n')  # (css first)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(TOKENS, max_size=20).map("".join), min_size=2, max_size=6), st.data())
def test_an_edit_rescans_to_the_same_splits(pieces: list[str], data):
    """One slide's text replaced (a block opened or closed there changes the splits after it): the parser's
    splits, scanned from the last parse's, are a full scan's, and its tokens a whole parse's."""
    parser = chunks.Parser(MD)
    text = "\n\n---\n\n".join(pieces)
    _same(text, parser)
    at = data.draw(st.integers(0, len(pieces) - 1))
    pieces[at] = data.draw(st.lists(TOKENS, max_size=20).map("".join))
    edited = "\n\n---\n\n".join(pieces)
    _same(edited, parser)
    assert parser.last is None or parser.last[1] == chunks.split_points(edited.split("\n"))


def test_a_block_open_across_a_break_means_one_parse():
    """A fence in a list item ended by the dedent, then a bare fence line: the line scan pairs the two, and the
    piece's parse shows its fence running to the end: the deck is parsed whole (and correctly)."""
    text = "- item\n  ```\n  code\n\n```\nx\n\n---\n\n```\n\n---\n\n# after\n"
    parser = chunks.Parser(MD)
    _same(text, parser)
    assert parser.pieces == {}  # parsed whole
    ref = "# A\n\n[x]: http://example.com\n\n---\n\n[x]\n"  # a reference definition acts across slides
    assert chunks.split_points(ref.split("\n")) is None
    _same(ref)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(decks(), min_size=1, max_size=4).map("\n---\n\n".join))
def test_composed_decks_parse_the_same_in_pieces(text: str):
    _same(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(TOKENS, max_size=30).map("".join), min_size=1, max_size=6).map("\n\n---\n\n".join))
def test_token_soup_parses_the_same_in_pieces(text: str):
    _same(text)


def test_a_typing_session_in_the_server_lints_as_a_fresh_lint(tmp_path):
    """The language server's lint after each edit of a session (its chunk parser, the run caches it carries
    from one keystroke to the next: spelling verdicts, kubectl help) gives the findings of a fresh lint of
    that text, field for field."""
    import pytest

    pytest.importorskip("pygls")
    from deckops.config import load as load_config
    from deckops.lint import lint_bytes
    from deckops.lsp import server

    rng = random.Random(1919)
    compared = reused = 0
    bench = tmp_path / "bench" / "deck.md"
    bench.parent.mkdir()
    bench.write_text(generated(40), encoding="utf-8")
    sessions = [(p, 8, 5) for p in CORPUS if b"marp: true" in p.read_bytes()][:8] + [(bench, 40, 8)]
    for path, count, kinds in sessions:
        config = load_config(path.parent, None)
        uri = path.as_uri()
        text = _norm(path.read_bytes())
        for edited in [text, *_edits(text, rng, count, kinds)]:
            served = server.lint_text(uri, path, edited)
            fresh = lint_bytes(edited.encode("utf-8", "surrogatepass"), str(path), config, {}, {}, None, None)
            assert [d.__dict__ for d in served] == [d.__dict__ for d in fresh]
            compared += len(fresh)
        reused += getattr(server.SERVER.session.parsers.get(uri), "reused", 0)
        for table in (server.SERVER.decks, server.SERVER.session.parsers):
            table.pop(uri, None)
    assert compared > 20 and reused > 0
    assert gc.isenabled() and gc.get_freeze_count() > 0  # paused during each lint only; its objects frozen
    server.full_collection()
    gc.unfreeze()  # (this test process's objects: back to the collector)


# edits of one slide that change another, unchanged slide's findings (what the per-slide reuse must notice)
CROSS_SLIDE = [
    # bash -n of the whole deck passes only while slide 2 closes slide 1's `if`: then kubectl-usage reads line 1
    ("```bash\nkubectl gett pods; if true; then echo\n```\n", "```bash\nfi\n```\n", "```bash\necho\n```\n"),
    # a third "Deploymnet" makes it no rare word (near-duplicate-term)
    ("Deployment Deployment Deployment Deploymnet\n", "Other words\n", "Other words Deploymnet Deploymnet\n"),
    # a word in another slide's code is known (spelling, near-duplicate-term)
    ("The wiget runs\n", "Text\n", "Text `wiget`\n"),
    # a global directive on a later slide: the deck's language (spelling), its theme
    ("The recieve step\n", "Text\n", "<!-- lang: de -->\n\nText\n"),
    # a global directive on a later slide that cuts an earlier one in two (missing-slide-break)
    ("# A\n\n# B\n", "Text\n", "<!-- headingDivider: 1 -->\n"),
]


def test_edits_of_one_slide_that_change_anothers_findings(tmp_path):
    """After each edit the language server's lint (per-slide work reused) equals a fresh lint: where the edited
    slide changes what an unchanged slide's rules see (bash -n of the whole deck, word counts, the deck's code
    words, global and inherited directives)."""
    import pytest

    pytest.importorskip("pygls")
    from deckops.config import load as load_config
    from deckops.lint import lint_bytes
    from deckops.lsp import server

    (tmp_path / ".git").mkdir()
    path = tmp_path / "deck.md"
    config = load_config(tmp_path, None)
    uri = path.as_uri()
    for n, (first, second, edited) in enumerate(CROSS_SLIDE):
        front = "---\nmarp: true\n---\n\n"
        filler = "".join(f"\n---\n\n# Slide {i}\n\nSome text\n" for i in range(3))
        texts = [front + first + filler + "\n---\n\n" + body for body in (second, edited, second)]
        first_lines = (front + first).count("\n")
        on_first = []
        for text in texts:
            served = server.lint_text(uri, path, text)
            fresh = lint_bytes(text.encode(), str(path), config, {}, {}, None, None)
            assert [d.__dict__ for d in served] == [d.__dict__ for d in fresh], (n, text)
            on_first.append([(d.code, d.message) for d in fresh if d.line <= first_lines])
        assert on_first[0] != on_first[1] and on_first[0] == on_first[2], (n, on_first)  # (the case is one)
        server.SERVER.session.parsers.pop(uri, None)


def test_lines_added_above_move_the_kept_findings_below(tmp_path):
    """A line added or removed on the first slide moves every later slide: the server reuses their model and
    per-slide results moved by as many lines, and gives a fresh lint's findings (each later slide holds a
    finding of a rule whose results are kept per slide)."""
    import pytest

    pytest.importorskip("pygls")
    from deckops.config import load as load_config
    from deckops.lint import lint_bytes
    from deckops.lsp import server

    (tmp_path / ".git").mkdir()
    path = tmp_path / "deck.md"
    config = load_config(tmp_path, None)
    later = ["We use kubernetes here\n", "<div>\n\nopen\n", "Hello {{ name }}\n", "![bg Left](x.png)\n",
             "```bash\nkubectl gett pods\n```\n", "Recieve the Deploymnet and Deployment Deployment Deployment\n",
             "<p style=\"background: url(images/none.png)\">x</p>\n"]
    body = "".join(f"\n---\n\n# Slide {i}\n\n{text}" for i, text in enumerate(later))
    texts = ["---\nmarp: true\n---\n\n# First\n\n" + extra + body for extra in ("", "One more line\n\n", "",
                                                                                   "a\nb\nc\n")]
    moved = 0
    for text in texts:
        served = server.lint_text(uri := path.as_uri(), path, text)
        fresh = lint_bytes(text.encode(), str(path), config, {}, {}, None, None)
        assert [d.__dict__ for d in served] == [d.__dict__ for d in fresh]
        assert {d.code for d in fresh} >= {"D501", "D204", "D703", "D702", "D403", "D502", "D503", "D301"}
        moved += len(server.SERVER.session.parsers[uri].moves)
    assert moved >= 3 * len(later)
    server.SERVER.session.parsers.pop(uri, None)
    kept = [k for k in server.SERVER.session.cache if k[0] == "per-slide" and k[-1] == str(path)]
    assert kept  # (kept per deck, and dropped when its document closes)
    from deckops.lint import perslide

    perslide.drop(server.SERVER.session.cache, str(path))
    assert not [k for k in server.SERVER.session.cache if k[0] == "per-slide" and k[-1] == str(path)]
