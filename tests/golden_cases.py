"""Golden fixtures that keep their input and its expected output in one file, in mdformat's fixture format:

    title
    .
    the input (a deck)
    .
    the expected output
    .

Positions in the expected output count from the input's first line and name the input `input` (as a fixture
shows them: `input:7:1: D204 ...`). DECKOPS_UPDATE_GOLDEN=1 rewrites the expected part and fails the test: an
update is never compared with itself."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

SEP = "."


@dataclass(frozen=True)
class Case:
    path: Path
    title: str
    input: str
    expected: str


def read(path: Path) -> Case:
    lines = path.read_text(encoding="utf-8").split("\n")
    marks = [i for i, line in enumerate(lines) if line == SEP]
    if len(marks) < 3 or marks[0] != 1:
        raise ValueError(f"{path}: not a fixture (title, '.', input, '.', expected, '.')")
    first, middle, last = marks[0], marks[1], marks[-1]
    return Case(path, lines[0], _block(lines[first + 1:middle]), _block(lines[middle + 1:last]))


def _block(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def write(case: Case, expected: str) -> None:
    text = f"{case.title}\n{SEP}\n{case.input}{SEP}\n{expected}{SEP}\n"
    tmp = case.path.with_name(case.path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(case.path)


def deck(case: Case):
    """The input as a deck that lives where the fixture does (its relative images and themes resolve there)."""
    from deckops import deck as deck_mod

    return deck_mod.parse(case.input, str(case.path))


def shown(case: Case, rendered: str) -> str:
    """A report of the input's findings as the fixture keeps it: the input named `input`."""
    return rendered.replace(str(case.path), "input")


def check(case: Case, actual: str) -> None:
    """Compare with the fixture's expected output; DECKOPS_UPDATE_GOLDEN=1 rewrites it and fails."""
    if os.environ.get("DECKOPS_UPDATE_GOLDEN") == "1" and actual != case.expected:
        write(case, actual)
        pytest.fail(f"fixture {case.path} rewritten: review the diff, then run again without DECKOPS_UPDATE_GOLDEN")
    assert actual == case.expected


def is_case(path: Path) -> bool:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.readline() != "" and fh.readline() == SEP + "\n"


def load_deck(path: Path):
    """A fixture's input, or a plain deck."""
    from deckops import deck as deck_mod

    return deck(read(path)) if is_case(path) else deck_mod.load(path)
