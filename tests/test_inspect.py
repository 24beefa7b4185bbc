"""`deckops inspect`: the deck model as Marp reads it, as text and JSON (golden), with its exit codes."""
from __future__ import annotations

import json

from conftest import DATA, SEED, golden, run_cli

EVERY = DATA / "clean" / "every-feature.md"


def test_text_golden():
    r = run_cli("inspect", str(EVERY.relative_to(DATA.parent.parent)), str(SEED.relative_to(DATA.parent.parent)))
    assert r.returncode == 0, r.stderr
    golden("inspect-text.txt", r.stdout)


def test_json_golden_and_schema():
    r = run_cli("inspect", "--format", "json", str(EVERY.relative_to(DATA.parent.parent)))
    assert r.returncode == 0, r.stderr
    golden("inspect-every-feature.json", r.stdout)
    data = json.loads(r.stdout)
    assert list(data) == ["decks"]
    deck = data["decks"][0]
    assert list(deck) == ["path", "front_matter", "slides"]
    assert list(deck["front_matter"]) == ["line", "end_line", "accepted"]
    for slide in deck["slides"]:
        assert list(slide) == ["number", "line", "end_line", "directives", "notes", "headings"]


def test_seed_front_matter_is_reported_ignored():
    """The seed's front matter is invalid YAML: Marp drops all of it, and inspect says so."""
    data = json.loads(run_cli("inspect", "--format", "json", str(SEED)).stdout)
    fm = data["decks"][0]["front_matter"]
    assert fm == {"line": 1, "end_line": 37, "accepted": False}
    assert all("header" not in s["directives"] for s in data["decks"][0]["slides"])


def test_missing_deck_is_a_usage_error(tmp_path):
    r = run_cli("inspect", str(tmp_path / "nope.md"))
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr


def test_oversized_deck_exits_two(tmp_path):
    big = tmp_path / "big.md"
    big.write_bytes(b"# x\n" * (3 * 1024 * 1024))
    r = run_cli("inspect", str(big))
    assert r.returncode == 2 and "the limit is" in r.stderr and "Traceback" not in r.stderr
