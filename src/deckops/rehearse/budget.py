"""A talk's timing budget (pure): speaker notes read aloud, each demo's typing and measured run time, a fixed
allowance per slide, or the slide's own `<!-- time: 2m -->`; totals against the target."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping, NamedTuple, Sequence

from ..config import TIME_KEYS, ConfigError, Where, parse_duration, validate
from ..deck import Deck, Slide

WPM = 140  # words of speaker notes read aloud per minute
PACE = 25.0  # characters per second demo types a command at (deckops demo --pace)
ALLOWANCE = 15.0  # seconds per slide besides its notes and demos (showing it, the audience reading it)
_TIME_NOTE = re.compile(r"\s*time\s*:\s*(.*?)\s*")


def clock(seconds: float) -> str:
    """m:ss (h:mm:ss past an hour), rounded to the second."""
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class Pace(NamedTuple):
    wpm: float = WPM
    pace: float = PACE
    allowance: float = ALLOWANCE
    target: float | None = None


def from_config(table: Mapping, where: str) -> Pace:
    """[tool.deckops.time]: target, wpm, allowance, pace, checked by the one config validator (TIME_KEYS)."""
    values, problems = validate(table, TIME_KEYS, Where(where, "[tool.deckops.time]"))
    if problems:
        raise ConfigError(problems)
    return Pace(**values)


class Row(NamedTuple):
    slide: int
    heading: str
    words: int
    notes: float  # seconds reading the notes
    typing: float
    run: float  # measured; 0 where unknown
    unmeasured: int  # snippets without a measured run time
    allowance: float
    set_to: float | None  # the slide's <!-- time: --> value
    total: float
    cumulative: float

    @property
    def demo(self) -> float:
        return self.typing + self.run


class Budget(NamedTuple):
    deck: str
    rows: tuple[Row, ...]
    pace: Pace
    source: str  # where the run times came from: "recordings DIR", "junit FILE" or ""

    @property
    def total(self) -> float:
        return self.rows[-1].cumulative if self.rows else 0.0

    @property
    def over(self) -> bool:
        return self.pace.target is not None and self.total > self.pace.target

    @property
    def unmeasured(self) -> int:
        return sum(r.unmeasured for r in self.rows)


class Problem(NamedTuple):
    line: int
    col: int
    message: str


def time_note(slide: Slide) -> tuple[float | None, list[Problem]]:
    """The slide's `<!-- time: 2m -->` (a speaker note to Marp), and a problem for an unreadable value."""
    found, problems = None, []
    for c in slide.notes:
        m = _TIME_NOTE.fullmatch(c.text)
        if m:
            try:
                found = parse_duration(m.group(1))
            except ValueError as exc:
                problems.append(Problem(c.line, c.col, f"time comment: {exc}"))
    return found, problems


def words(slide: Slide) -> int:
    return sum(len(c.text.split()) for c in slide.notes if not _TIME_NOTE.fullmatch(c.text))


def typed(snippet) -> int:
    """Characters demo types for a snippet: each command as shown, `$ ` and Enter."""
    return sum(len(c.text if not c.console else c.shown) + 3 for c in snippet.commands)


def budget(deck: Deck, snippets: Sequence, runs: Mapping[int, float], pace: Pace, source: str = "") -> Budget:
    """One row per slide. snippets: the deck's (rehearse.snippets.extract); runs: snippet index -> seconds
    measured (setup and teardown run before and after the talk: not counted)."""
    per_slide: dict[int, list[tuple[int, object]]] = {}
    for i, s in enumerate(snippets):
        if s.role == "main" and s.skip is None:
            per_slide.setdefault(s.slide, []).append((i, s))
    rows, cumulative = [], 0.0
    for slide in deck.slides:
        mine = per_slide.get(slide.index, [])
        n_words = words(slide)
        notes = n_words / pace.wpm * 60
        typing = sum(typed(s) for _, s in mine) / pace.pace
        run = sum(runs.get(i, 0.0) for i, _ in mine)
        set_to, _ = time_note(slide)
        total = set_to if set_to is not None else notes + typing + run + pace.allowance
        cumulative += total
        rows.append(Row(slide.index, slide.title, n_words, notes, typing, run,
                        sum(i not in runs for i, _ in mine), pace.allowance, set_to, total, cumulative))
    return Budget(deck.path, tuple(rows), pace, source)


def junit_times(text: str) -> dict[tuple[str, int], float]:
    """(file name, line) -> seconds of each testcase of a rehearse JUnit report that ran."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from None
    out = {}
    for case in root.iter("testcase"):
        if case.find("skipped") is None and case.get("line", "").isdigit():
            try:
                out[(Path(case.get("file", "")).name, int(case.get("line")))] = float(case.get("time", "0"))
            except ValueError:
                continue
    return out
