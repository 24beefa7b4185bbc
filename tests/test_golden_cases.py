"""The fixture format (golden_cases.py): input and expected output in one file; an update never passes."""
from __future__ import annotations

import pytest

import golden_cases as cases
from conftest import DATA


def test_every_lint_fixture_round_trips(tmp_path):
    for path in sorted((DATA / "lint").glob("*.md")):
        if not cases.is_case(path):
            continue
        case = cases.read(path)
        assert case.title and case.input.startswith("---\n") and case.expected.endswith("info\n"), path
        copy = cases.Case(tmp_path / path.name, case.title, case.input, case.expected)
        cases.write(copy, case.expected)
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()


def test_an_update_rewrites_the_expected_part_and_fails(tmp_path, monkeypatch):
    path = tmp_path / "c.md"
    path.write_text("a case\n.\n# In\n.\nold\n.\n")
    case = cases.read(path)
    with pytest.raises(AssertionError):
        cases.check(case, "new\n")
    monkeypatch.setenv("DECKOPS_UPDATE_GOLDEN", "1")
    with pytest.raises(pytest.fail.Exception, match="rewritten"):
        cases.check(case, "new\n")
    assert path.read_text() == "a case\n.\n# In\n.\nnew\n.\n"
    cases.check(cases.read(path), "new\n")  # what the update wrote is compared, not assumed
