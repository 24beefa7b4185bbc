"""Golden tests per rule family: one fixture per family under tests/data/lint/, holding the deck and its exact
diagnostics (golden_cases.py: mdformat's fixture format)."""
from __future__ import annotations

import pytest

import golden_cases as cases
from conftest import DATA, ROOT, SEED
from lint_support import _lint_cache, lint_cache_dir  # noqa: F401  (fixtures)
from deckops import deck
from deckops.config import Config
from deckops.lint import lint
from deckops.lint.registry import RULES
from deckops.report import text

LINT = DATA / "lint"

FAMILIES = {
    "directives": ("directives.md", "D1"),
    "structure": ("structure.md", "D2"),
    "assets": ("assets.md", "D3"),
    "snippets": ("snippets.md", "D40"),
    "prose": ("prose.md", "D5"),
    "audience": ("audience.md", "D7"),
}


def run(path, *, select=(), **config) -> list:
    cfg = Config(root=ROOT, select=tuple(select), **config)
    return lint(cases.load_deck(path), cfg, {})


def rendered(diags, hints=True) -> str:
    return text.render_text(diags, 1, hints=hints).replace(str(ROOT) + "/", "")


def check_case(case: cases.Case, diags, hints=True) -> None:
    cases.check(case, cases.shown(case, text.render_text(diags, 1, hints=hints)).replace(str(ROOT) + "/", ""))


def codes(prefix: str) -> list[str]:
    return [c for c in RULES if c.startswith(prefix)]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_golden(family):
    name, prefix = FAMILIES[family]
    case = cases.read(LINT / name)
    cfg = Config(root=ROOT, select=tuple(codes(prefix) if family != "snippets" else ("D401", "D402", "D404")))
    diags = lint(cases.deck(case), cfg, {})
    assert diags, "the fixture must trigger its rules"
    check_case(case, diags)


def test_every_rule_of_the_families_fires_somewhere():
    fired = set()
    for name, _ in FAMILIES.values():
        fired |= {d.code for d in run(LINT / name)}
    fired |= {d.code for d in run(SEED)}
    expected = set(RULES) - {"D001", "D403"}  # parse errors and kubectl have their own tests
    assert expected <= fired, sorted(expected - fired)


def test_custom_theme_and_its_size_are_known(tmp_path):
    assert run(LINT / "themes.md") == []
    (tmp_path / ".git").mkdir()
    (tmp_path / "deck.md").write_bytes((LINT / "themes.md").read_bytes())
    diags = lint(deck.load(tmp_path / "deck.md"), Config(root=tmp_path), {})
    assert [(d.code, d.line) for d in diags] == [("D104", 3), ("D103", 4)]
    (tmp_path / "styles").mkdir()
    (tmp_path / "styles" / "t.css").write_bytes((LINT / "themes" / "talk.css").read_bytes())
    assert lint(deck.load(tmp_path / "deck.md"), Config(root=tmp_path, themes=("styles",)), {}) == []


def test_clean_deck_has_zero_findings():
    diags = run(DATA / "clean" / "every-feature.md")
    assert diags == [], rendered(diags)


def test_seed_defects_are_all_reported():
    got = {(d.name, d.line) for d in run(SEED)}
    for want in [("front-matter-invalid", 7), ("missing-slide-break", 56), ("missing-image", 73),
                 ("image-alt", 73), ("near-duplicate-term", 56), ("terminology", 98), ("terminology", 101),
                 ("terminology", 107), ("terminology", 41), ("empty-slide", 125), ("empty-slide", 127)]:
        assert want in got, want


def test_seed_output_block_is_never_parsed_as_shell():
    diags = run(SEED)
    assert not [d for d in diags if 110 <= d.line <= 121], rendered(diags)


def test_console_output_lines_are_not_shell():
    diags = run(LINT / "snippets.md", select=("shell-syntax", "shellcheck"))
    assert {d.line for d in diags}.isdisjoint({8, 9, 10, 16, 17}), rendered(diags)


def test_unknown_directive_suggests_and_accepts_configured_names():
    diags = run(LINT / "directives.md", select=("unknown-directive",))
    assert any("did you mean `paginate`" in d.message for d in diags)
    assert not any("rehearse" in d.message for d in diags)  # deckops' own key
    quiet = run(LINT / "directives.md", select=("unknown-directive",), directives=("pagniate", "transitionn"))
    assert [d.message for d in quiet if "`pagniate`" in d.message or "`transitionn`" in d.message] == []


def test_path_outside_repo_is_never_stat_ed(monkeypatch):
    import os

    touched = []
    real_stat = os.stat

    def spy(path, *a, **kw):
        touched.append(str(path))
        return real_stat(path, *a, **kw)

    monkeypatch.setattr(os, "stat", spy)
    diags = run(LINT / "assets.md", select=("path-outside-repo", "missing-image", "broken-link"))
    assert [d.line for d in diags if d.code == "D304"] == [33, 34, 35]
    assert not [p for p in touched if p.startswith(("/etc", "../"))], touched


def test_rule_crash_becomes_a_finding(monkeypatch):
    from deckops.lint import structure

    def boom(ctx):
        raise RuntimeError("bad")
        yield

    monkeypatch.setitem(RULES, "D205", RULES["D205"].__class__("D205", "fence-language", "warning", boom))
    diags = run(LINT / "structure.md", select=("fence-language",))
    assert [d.code for d in diags] == ["D000"] and "D205 fence-language crashed" in diags[0].message
    monkeypatch.undo()  # the real rule back: the crash left nothing behind that stops it from finding
    assert RULES["D205"].check is structure.fence_language
    assert {d.code for d in run(LINT / "structure.md", select=("fence-language",))} == {"D205"}


def test_near_duplicate_ignores_real_english_word_pairs(tmp_path):
    d = tmp_path / "d.md"
    d.write_text("# Links and lines\n\nThese lines, those lines, more lines. One links here.\n"
                 "Theme, theme, theme; there it is. Decks and deck's, deck's.\n"
                 "The mirrord agent, the mirrord layer, and mirrod.\n")
    got = [(x.line, x.message) for x in lint(deck.load(d), Config(root=tmp_path, select=("D502",)), {})]
    assert got == [(5, "\"mirrod\" appears 1x but \"mirrord\" appears 2x: a typo?")]
