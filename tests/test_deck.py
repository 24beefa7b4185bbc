"""The deck model: Marp's splitting and directive rules, each with exact positions."""
from __future__ import annotations

from conftest import SEED

from deckops import deck


def parse(text: str) -> deck.Deck:
    return deck.parse(text.encode(), "t.md")


def test_seed_slides_and_positions():
    d = deck.load(SEED)
    assert [(s.index, s.start_line, s.break_line) for s in d.slides] == [
        (1, 38, None), (2, 44, 43), (3, 48, 47), (4, 79, 78), (5, 88, 87), (6, 97, 96), (7, 126, 125), (8, 128, 127)]
    assert [s.empty for s in d.slides] == [False] * 6 + [True, True]
    s3 = d.slides[2]
    assert [(h.level, h.text, h.line) for h in s3.headings] == [
        (1, "Using mirrord to develop inside of kubernetes", 49), (1, "About mirrod", 56),
        (1, "Kubernetes and Linux Namespaces", 59)]
    img = s3.images[0]
    assert (img.src, img.decoded, img.alt, img.line, img.col) == (
        "images%2Fpod_sidecar_namespaces.svg", "images/pod_sidecar_namespaces.svg", "test", 73, 1)
    assert dict(s3.directives) == {"class": "default"}
    assert dict(d.slides[3].directives) == {}  # `_class` is spot-scoped


def test_seed_front_matter_error_in_file_coordinates():
    d = deck.load(SEED)
    fm = d.front_matter
    assert (fm.line, fm.end_line, fm.data) == (1, 37, None)
    assert fm.file_line(fm.error.line) == 7


def test_seed_console_fence_lines():
    d = deck.load(SEED)
    fence = d.slides[5].fences[1]
    assert fence.console and fence.line == 108
    kinds = [(l.line, l.kind) for l in fence.lines]
    assert kinds[0] == (109, "command") and all(k == "output" for _, k in kinds[1:])
    assert fence.lines[0].text == "kubectl gadget deploy"
    listed = d.slides[4].fences[0]  # the fence inside a list item, indented by two spaces
    assert (listed.line, listed.lines[0].line, listed.lines[0].col, listed.lines[0].kind) == (93, 94, 3, "script")


def test_breaks_all_markers_but_not_in_lists_or_fences():
    d = parse("# a\n\n***\n\n# b\n\n___\n\n# c\n\n- - -\n\n- x\n\n  ---\n\n```\n---\n```\n")
    assert len(d.slides) == 4
    assert [s.break_line for s in d.slides] == [None, 3, 7, 11]


def test_setext_heading_is_not_a_break():
    d = parse("# one\n\nsome text\n---\n\nmore\n")
    assert len(d.slides) == 1
    h = d.slides[0].headings[1]
    assert (h.level, h.text, h.line, h.setext) == (2, "some text", 3, True)


def test_heading_divider_splits_before_matching_headings():
    d = parse("---\nheadingDivider: 2\n---\n\n# A\n\ntext\n\n## B\n\n### C\n\n## D\n")
    assert [s.title for s in d.slides] == ["A", "B", "D"]
    assert d.slides[1].break_line == 9


def test_heading_divider_list_and_comment():
    d = parse("<!-- headingDivider: [1, 3] -->\n\n# A\n\n## B\n\n### C\n")
    assert [s.title for s in d.slides] == ["A", "C"]


def test_directive_inheritance_and_spot_scope():
    d = parse("---\npaginate: true\nclass: lead\n---\n\n# 1\n\n---\n\n<!-- _class: x -->\n# 2\n\n---\n\n"
              "<!-- class: y -->\n<!-- _paginate: false -->\n# 3\n\n---\n\n# 4\n")
    eff = [dict(s.directives) for s in d.slides]
    # Marp's values: paginate is a boolean (or "hold"/"skip") once applied
    assert eff[0] == {"paginate": True, "class": "lead"}
    assert eff[1] == {"paginate": True, "class": "x"}
    assert eff[2] == {"paginate": False, "class": "y"}
    assert eff[3] == {"paginate": True, "class": "y"}


def test_loose_yaml_accepts_what_marp_accepts():
    d = parse("---\nbackgroundColor: #fff\nstyle: @import url(x.css)\nfooter: ![l](logo.png) text\n---\n\n# x\n")
    assert d.front_matter.error is None
    assert d.front_matter.data["backgroundColor"] == "#fff"
    assert d.global_directives["style"] == "@import url(x.css)"


def test_loose_yaml_failsafe_scalars_are_strings():
    d = parse("---\npaginate: true\nheadingDivider: 2\nsize: 4:3\n---\n# x\n")
    assert dict(d.front_matter.data) == {"paginate": "true", "headingDivider": "2", "size": "4:3"}


def test_comments_directive_vs_note_with_positions():
    d = parse("# t\n\n<!-- a plain speaker note -->\n\nx <!-- _color: red --> y\n\n<!--\nmulti: line\ntheme: gaia\n-->\n")
    cs = d.slides[0].comments
    assert [(c.kind, c.line, c.col) for c in cs] == [("note", 3, 1), ("directive", 5, 3), ("directive", 7, 1)]
    assert d.global_directives["theme"] == "gaia"
    names = [(x.key, x.line, x.col) for x in d.directives]
    assert ("theme", 9, 1) in names and ("_color", 5, 8) in names


def test_images_keywords_and_html_and_directive_images():
    d = parse("---\nbackgroundImage: url('bg.png')\n---\n\n![bg right:40% w:300 Diagram of pods](a%20b.png) "
              "<img src=\"c.png\" alt=\"C\">\n")
    imgs = d.slides[0].images
    first = imgs[0]
    assert (first.alt, first.keywords, first.decoded, first.line, first.col) == (
        "Diagram of pods", ("bg", "right:40%", "w:300"), "a b.png", 5, 1)
    assert [(i.origin, i.decoded) for i in imgs] == [("markdown", "a b.png"), ("html", "c.png"), ("directive", "bg.png")]


def test_links_with_columns():
    d = parse("# t\n\nsee [docs](docs/x.md) and <https://example.com>\n")
    assert [(l.href, l.line, l.col) for l in d.slides[0].links] == [("docs/x.md", 3, 5), ("https://example.com", 3, 28)]


def test_console_continuations():
    d = parse("```console\n$ kubectl get pods \\\n    -A\nNAME READY\n$ cat <<EOF\n> hi\n> EOF\nhi\n```\n")
    f = d.slides[0].fences[0]
    assert [l.kind for l in f.lines] == ["command", "continuation", "output", "command", "continuation",
                                          "continuation", "output"]


def test_crlf_bom_positions():
    d = deck.parse(b"\xef\xbb\xbf---\r\ntheme: gaia\r\n---\r\n\r\n# T\r\n\r\n![x](y.png)\r\n", "c.md")
    assert d.bom and d.crlf
    assert d.slides[0].images[0].line == 7
    assert d.global_directives["theme"] == "gaia"


def test_invalid_utf8_is_an_issue_with_byte_offset():
    d = deck.parse(b"# ok\n\nbad \xff byte\n", "u.md")
    assert d.issues[0].kind == "encoding" and "byte offset 10" in d.issues[0].message
    assert (d.issues[0].line, d.issues[0].col) == (3, 5)


def test_unclosed_front_matter_and_fence_and_comment():
    d = parse("---\ntheme: x\n\n# A\n\n```bash\necho\n")
    # Marp (markdown-it-front-matter) reads an unclosed front matter to the end: one slide, nothing else
    assert {i.kind for i in d.issues} == {"unclosed-front-matter"}
    assert len(d.slides) == 1 and d.front_matter.end_line == 7 and not d.slides[0].fences
    d = parse("# A\n\n```bash\necho\n")
    assert {i.kind for i in d.issues} == {"unclosed-fence"}
    d = parse("# A\n\n<!-- never closed\n\ntext\n")
    assert any(i.kind == "unclosed-comment" and i.line == 3 for i in d.issues)


def test_ps2_prompt_stripped_after_backslash_continuation():
    d = parse("```console\n$ kubectl logs pod \\\n>   --timestamps\nout\n```\n")
    lines = d.slides[0].fences[0].lines
    assert [(l.kind, l.text) for l in lines] == [
        ("command", "kubectl logs pod \\"), ("continuation", "  --timestamps"), ("output", "out")]
