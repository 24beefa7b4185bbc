"""directives.parse_loose: its YAML-free reading of simple `key: value` text must equal what YAML gives."""
from __future__ import annotations

import itertools

import pytest
import yaml

from deckops import directives as dirs

SIMPLE = [
    "marp: true",
    "_class: lead",
    "theme: default\npaginate: true\nheadingDivider: 2",
    "title: Advanced Kubernetes debugging  ",
    "footer:   a  b/c.d_e-f  ",
    "$size: x1.5\n\nbackgroundColor: white",
    "rehearse: skip",
    "custom-key: on",
    "null: 0",
]
NOT_SIMPLE = [
    "size: 16:9",  # a colon in the value
    "title: a # comment",
    "title: 'quoted'",
    'title: "quoted"',
    "  indented: x",
    "a: x\na: y",  # a duplicate key: YAML decides
    "paginate: true\n  continued",
    "title: café",
    "title:\tx",
    "title: -x",
    "key:",
    "list: [a, b]",
    "- a: b",
]


@pytest.mark.parametrize("text", SIMPLE)
def test_simple_text_reads_as_yaml_does(text):
    for extra in ((), ("rehearse",)):
        expected = yaml.load(dirs.loosen(text, extra), Loader=yaml.BaseLoader)
        got = dirs._simple_mapping(text)
        assert got == expected and list(got) == list(expected)
        assert dirs.parse_loose(text, extra) == (expected, None)


@pytest.mark.parametrize("text", NOT_SIMPLE)
def test_anything_else_goes_to_yaml(text):
    assert dirs._simple_mapping(text) is None


def test_every_short_line_the_shortcut_takes_matches_yaml():
    """All `key: value` lines over a small alphabet: where the shortcut answers, YAML agrees."""
    keys = ["marp", "_class", "$x", "a-b", "true", "rehearse"]
    taken = 0
    for n in range(1, 4):
        for chars in itertools.product("a1 .-/:#'", repeat=n):
            value = "".join(chars)
            for key, pad in itertools.product(keys, (" ", "  ")):
                text = f"{key}:{pad}{value}"
                got = dirs._simple_mapping(text)
                if got is None:
                    continue
                taken += 1
                assert got == yaml.load(dirs.loosen(text), Loader=yaml.BaseLoader), text
                assert got == yaml.load(text, Loader=yaml.BaseLoader), text
    assert taken > 100
