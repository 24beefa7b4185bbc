"""Browser-check measurements -> positioned diagnostics (pure: the measurements are plain data)."""
from __future__ import annotations

from deckops import deck
from deckops.browser import checks

DECK = deck.parse("""\
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


def measured(dy=0, dx=0, first=None, failed=()):
    return {"overflowY": dy, "overflowX": dx, "first": first, "failed": list(failed), "rect": [0, 0, 1280, 720]}


def test_overflow_is_placed_at_the_line_of_the_first_overflowing_element():
    li = {"tag": "li", "text": "Replicating the deployment with docker-compose: a copy", "src": ""}
    [d] = checks.diagnostics(DECK, "talk.md", [measured(dy=99, first=li), measured()])
    assert (d.code, d.name, d.severity, d.line, d.col) == ("D601", "overflow", "error", 4, 1)
    assert "slide 1" in d.message and "99 px below" in d.message


def test_short_texts_match_a_whole_line_and_code_blocks_their_first_command():
    assert checks.locate(DECK, DECK.slides[0], {"tag": "li", "text": "twelve", "src": ""}) == (5, 1)
    pre = {"tag": "code", "text": "$ kubectl get pods", "src": ""}
    assert checks.locate(DECK, DECK.slides[1], pre) == (12, 1)
    assert checks.locate(DECK, DECK.slides[1], None) == (9, 1)  # no element: the slide's first content line


def test_an_image_that_did_not_load_is_placed_at_its_markdown():
    [d] = checks.diagnostics(DECK, "talk.md", [measured(), measured(failed=["images/diagram.svg"])])
    assert (d.code, d.line, d.col) == ("D602", 9, 1)
    assert checks.flagged([measured(), measured(dy=3, failed=["x"])]) == {2: "overflow, image not loaded"}


def test_offline_a_remote_image_that_did_not_load_is_not_reported():
    """Without `online` the sandbox has no network: a remote image cannot load, so its failure says nothing."""
    failed = ["https://example.org/logo.png", "//cdn.example.org/x.png", "images/diagram.svg"]
    found = checks.diagnostics(DECK, "talk.md", [measured(), measured(failed=failed)], network=False)
    assert [d.message.split("`")[1] for d in found] == ["images/diagram.svg"]
    assert len(checks.diagnostics(DECK, "talk.md", [measured(), measured(failed=failed)])) == 3


def test_no_overflow_no_findings():
    assert checks.diagnostics(DECK, "talk.md", [measured(dy=0, dx=0), measured()]) == []


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
