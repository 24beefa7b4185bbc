"""Browser-check measurements -> positioned diagnostics (pure: the measurements are plain data)."""
from __future__ import annotations

import pytest

from deckops import deck as deck_mod
from deckops.browser import checks

DECK = deck_mod.parse("""\
# Title

- one
- **Replicating the deployment** with `docker-compose`: a [copy](x.md)
- twelve

---

![The diagram](images/diagram.svg)

```console
$ kubectl get pods
```
""", "talk.md")


def measured(dy=0, dx=0, leaf=None, failed=(), blocks=(), over=(), classes=(), emoji=0, emoji_failed=0, alt=""):
    return {"overflowY": dy, "overflowX": dx, "leaf": leaf, "failed": list(failed), "blocks": list(blocks),
            "over": list(over), "classes": list(classes), "emoji": emoji, "emojiFailed": emoji_failed,
            "emojiAlt": alt, "rect": [0, 0, 1280, 720]}


LI = {"tag": "li", "text": "Replicating the deployment with docker-compose: a copy", "src": ""}


def test_overflow_is_placed_in_the_last_block_past_the_edge_at_the_element_the_browser_found():
    [d] = checks.diagnostics(DECK, "talk.md", [measured(dy=99, leaf=LI, blocks=["h1", "ul"], over=[1]), measured()])
    assert (d.code, d.name, d.severity, d.line, d.col) == ("D601", "overflow", "error", 4, 1)
    assert "slide 1" in d.message and "99 px below" in d.message


def test_the_block_decides_where_the_text_is_looked_for():
    """The same text in two blocks: the rendered block order picks the right one, not the first match."""
    deck = deck_mod.parse("# Title\n\nsame words here\n\n- same words here\n\ncoda\n", "d.md")
    leaf = {"tag": "li", "text": "same words here", "src": ""}
    [d] = checks.diagnostics(deck, "d.md", [measured(dx=5, leaf=leaf, blocks=["h1", "p", "ul", "p"], over=[2])])
    assert d.line == 5  # not the paragraph on line 3 that says the same
    leaf = {"tag": "p", "text": "coda", "src": ""}
    [d] = checks.diagnostics(deck, "d.md", [measured(dy=5, leaf=leaf, blocks=["h1", "p", "ul", "p"], over=[2, 3])])
    assert d.line == 7 and "the last of 2 blocks past it, the first at line 5" in d.message


def test_blocks_that_do_not_line_up_fall_back_to_the_text_in_the_whole_slide():
    [d] = checks.diagnostics(DECK, "talk.md", [measured(dy=9, leaf=LI, blocks=["div"], over=[0]), measured()])
    assert d.line == 4 and "the last of" not in d.message


def test_an_overflowing_image_is_placed_at_its_image_line():
    leaf = {"tag": "img", "text": "", "src": "images/diagram.svg"}
    [d] = checks.diagnostics(DECK, "talk.md", [measured(), measured(dx=40, leaf=leaf, blocks=["p", "pre"],
                                                                   over=[0])])
    assert (d.line, d.col) == (9, 1) and 'src="images/diagram.svg"' in d.message


def test_rendered_blocks_of_the_model_skip_what_marp_does_not_render():
    """Comments, `<style>` and paragraphs of background images only are no blocks; fences and math are."""
    deck = deck_mod.parse("---\nmarp: true\n---\n\n![bg left](a.png)\n![bg](b.png)\n\n<!-- _class: x -->\n\n"
                          "<style scoped>p { color: red }</style>\n\n# Head\n\n```sh\nls\n```\n\n$$\nx\n$$\n\n"
                          "| a |\n|---|\n| 1 |\n\n> q\n\n<div>raw</div>\n\ntext ![bg](c.png)\n", "d.md")
    got = [(tag, line) for tag, line, _ in checks.blocks(deck, deck.slides[0])]
    assert got == [("h1", 12), ("code", 14), ("math", 18), ("table", 22), ("blockquote", 26), ("*", 28), ("p", 30)]


def test_short_texts_match_a_whole_line_and_code_blocks_their_first_command():
    assert checks.locate(DECK, DECK.slides[0], {"tag": "li", "text": "twelve", "src": ""}) == (5, 1)
    pre = {"tag": "code", "text": "$ kubectl get pods", "src": ""}
    assert checks.locate(DECK, DECK.slides[1], pre) == (12, 1)
    assert checks.locate(DECK, DECK.slides[1], None) == (9, 1)  # no element: the slide's first content line


@pytest.mark.parametrize("classes, fix, not_fix", [
    ([], "<style scoped>section { font-size: 24px; }</style>", "_class"),
    (["gaia", "invert", "lead"], "<style scoped>", "_class"),  # gaia: nothing that makes a slide denser
    (["compact", "invert"], "<!-- _class: compact -->", "<style scoped>"),
    (["highlight", "text-small"], "<!-- _class: text-small -->", "_class: small "),
])
def test_the_overflow_hint_offers_only_what_the_theme_has(classes, fix, not_fix):
    [d] = checks.diagnostics(DECK, "talk.md", [measured(dy=9, leaf=LI, classes=classes), measured()])
    assert fix in d.hint and not_fix not in d.hint


def test_an_image_that_did_not_load_is_reported_once_at_its_first_line_listing_its_slides():
    deck = deck_mod.parse("# A\n\n![x](gone.png)\n\n---\n\n# B\n\n---\n\n![again](gone.png)\n", "d.md")
    found = checks.diagnostics(deck, "d.md", [measured(failed=["gone.png"]), measured(),
                                              measured(failed=["gone.png", "gone.png", "other.png"])])
    assert [(d.code, d.line, d.message) for d in found] == [
        ("D602", 3, "slides 1, 3: image `gone.png` did not load in the browser"),
        ("D602", 10, "slide 3: image `other.png` did not load in the browser")]  # not in the deck: its slide
    assert checks.flagged([measured(), measured(dy=3, failed=["x"])]) == {2: "overflow, image not loaded"}


def test_offline_a_remote_image_that_did_not_load_is_not_reported():
    """Without `online` the sandbox has no network: a remote image cannot load, so its failure says nothing."""
    failed = ["https://example.org/logo.png", "//cdn.example.org/x.png", "images/diagram.svg"]
    found = checks.diagnostics(DECK, "talk.md", [measured(), measured(failed=failed)], network=False)
    assert [d.message.split("`")[1] for d in found] == ["images/diagram.svg"]
    assert len(checks.diagnostics(DECK, "talk.md", [measured(), measured(failed=failed)])) == 3
    assert checks.flagged([measured(failed=failed[:1])], network=False) == {}


EMOJI = deck_mod.parse("# Hello :wave:\n\n---\n\n# Plain\n\n---\n\nbye \U0001F600 and \U0001F600\n", "e.md")


def test_emoji_offline_are_one_info_finding_for_the_deck():
    runs = [measured(emoji=1, emoji_failed=1, alt="\U0001F44B"), measured(), measured(emoji=2, emoji_failed=2,
                                                                                      alt="\U0001F600")]
    [d] = checks.diagnostics(EMOJI, "e.md", runs, network=False)
    assert (d.code, d.name, d.severity, d.line, d.col) == ("D605", "emoji-offline", "info", 1, 9)
    assert d.message.startswith("emoji images need network; 3 emoji on slides 1, 3 ")
    assert "online = true" in d.hint


def test_emoji_with_network_are_reported_only_when_the_cdn_failed():
    ok = [measured(emoji=1, alt="\U0001F44B"), measured(), measured(emoji=2, alt="\U0001F600")]
    assert checks.diagnostics(EMOJI, "e.md", ok, network=True) == []
    half = [measured(emoji=1, alt="\U0001F44B"), measured(), measured(emoji=2, emoji_failed=2, alt="\U0001F600")]
    [d] = checks.diagnostics(EMOJI, "e.md", half, network=True)
    assert (d.line, d.col) == (9, 5) and "2 emoji on slide 3" in d.message and "could not be reached" in d.message


def test_no_overflow_no_findings():
    assert checks.diagnostics(DECK, "talk.md", [measured(dy=0, dx=0), measured()]) == []


def test_thumbnails_of_a_deck_have_one_size():
    """Every crop at the deck's size (320x180 for 16:9, 240x180 for 4:3), whatever a frame rounds to."""
    from PIL import Image

    from deckops.browser import sheet

    page = Image.new("RGB", (400, 800), "white")
    frames = [{"rect": [0.4, 0, 1280, 720]}, {"rect": [0, 720.6, 1279.4, 720.4]}, {"rect": [0, 1441, 1283, 721]}]
    assert {t.size for t in sheet.crops(page, frames)} == {(320, 180)}
    assert {t.size for t in sheet.crops(page, [{"rect": [0, 0, 960, 720]}])} == {(240, 180)}


def test_pages_are_joined_by_equal_key_at_most_max_decks_each():
    from deckops.browser import combine

    keys = ["a", "b", None, "a", None] + ["a"] * combine.MAX_DECKS
    groups = combine.groups(keys)
    assert groups[0] == [0, 3, *range(5, 5 + combine.MAX_DECKS - 2)]  # first-seen order, capped
    assert [1] in groups and [2] in groups and [4] in groups  # None: alone
    assert sorted(i for g in groups for i in g) == list(range(len(keys)))
    assert all(len(g) <= combine.MAX_DECKS for g in groups)


def test_joined_pages_keep_one_copy_of_the_body_script():
    from deckops.browser import combine

    page = "<html><head><title>{t}</title><style>x</style></head><body><div>{t}<script>s()</script></div></body></html>"
    a, b = page.format(t="A"), page.format(t="B")
    assert combine.key(a) == combine.key(b) and combine.key(a) != combine.key(a.replace("x", "y"))
    joined = combine.join([a, b])
    assert joined.count("<script>") == 1 and "<div>A</div><div>B<script>" in joined
    assert combine.key("<html>no body</html>") is None
