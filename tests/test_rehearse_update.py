"""--update's rewrite (pure apart from the final atomic write)."""
from __future__ import annotations

from deckops import deck
from deckops.rehearse.match import Masks
from deckops.rehearse.runner import Outcome
from deckops.rehearse.snippets import extract
from deckops.rehearse.update import apply, edits
from deckops.rehearse.verdict import SnippetResult, judge

TEXT = """\
# Slide

- a list item with a fence:

  ```console
  $ echo one
  old
  $ echo quiet
  $ echo same
  same
  ```

after
"""


def results_for(text: str, outputs: list[str]) -> list[SnippetResult]:
    d = deck.parse(text, "d.md")
    snippet = extract(d).snippets[0]
    done = tuple(judge(snippet, c, Outcome(0, out, 0.0), Masks.build(), False, 5)
                 for c, out in zip(snippet.commands, outputs))
    return d, [SnippetResult(snippet, "fail", done)]


def test_indented_fence_replaced_and_inserted_lines_keep_the_indentation():
    d, results = results_for(TEXT, ["new\nlines\n", "now loud\n", "same\n"])
    changes = edits(results)
    assert changes == [(7, 7, ("new", "lines")), (9, 8, ("now loud",))]
    lines = apply(TEXT.splitlines(keepends=True), d, changes)
    assert "".join(lines) == TEXT.replace("  old\n", "  new\n  lines\n").replace(
        "  $ echo quiet\n", "  $ echo quiet\n  now loud\n")


def test_nothing_to_do_when_everything_matched():
    _, results = results_for(TEXT, ["old\n", "", "same\n"])
    assert edits(results) == []
