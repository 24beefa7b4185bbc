"""`deckops time`: the per-slide budget (golden tables), run times from recordings or JUnit, the target from the
command line or the config, over budget exit 1, bad input exit 2 with a position."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA, golden, run_cli

from deckops.rehearse import budget, record

DECK = DATA / "stage" / "budget.md"


def _repo(tmp_path: Path, durations: dict[str, float] | None = None) -> Path:
    (tmp_path / ".git").mkdir()
    shutil.copy(DECK, tmp_path / "talk.md")
    for name, seconds in (durations or {}).items():
        head = record.header(name, seconds)
        folder = tmp_path / "rec" / "talk"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.cast").write_text(record.cast_text(head, [[seconds, "o", "done\r\n"]]))
    return tmp_path


MEASURED = {"slide-002-1": 1.4, "slide-004-1": 6.2, "slide-004-2": 0.3}


def test_table_with_recordings_and_a_target(tmp_path):
    repo = _repo(tmp_path, MEASURED)
    res = run_cli("time", "talk.md", "--recordings", "rec", "--target", "5m", cwd=repo)
    assert res.returncode == 0, res.stderr
    golden("time-recordings.txt", res.stdout)


def test_over_budget_exits_1(tmp_path):
    repo = _repo(tmp_path, MEASURED)
    res = run_cli("time", "talk.md", "--recordings", "rec", "--target", "3m", "--wpm", "100", cwd=repo)
    assert res.returncode == 1, res.stderr
    golden("time-over.txt", res.stdout)


def test_unmeasured_snippets_are_marked_and_the_target_comes_from_config(tmp_path):
    repo = _repo(tmp_path)
    (repo / "deckops.toml").write_text('[time]\ntarget = "4m"\nallowance = "20s"\n')
    res = run_cli("time", "talk.md", cwd=repo)
    assert res.returncode == 0, res.stderr
    golden("time-unmeasured.txt", res.stdout)


def test_json_and_junit_run_times(tmp_path):
    repo = _repo(tmp_path)
    (repo / "r.xml").write_text(
        '<testsuites><testsuite name="talk.md"><testcase name="a" file="slides/talk.md" line="17" time="2.500"/>'
        '<testcase name="b" file="slides/talk.md" line="36" time="4.000"><skipped/></testcase></testsuite>'
        '</testsuites>')
    res = run_cli("time", "talk.md", "--junit", "r.xml", "--format", "json", cwd=repo)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)["decks"][0]
    slides = {s["slide"]: s for s in data["slides"]}
    assert data["source"] == "r.xml" and data["target"] is None
    assert slides[2]["run"] == 2.5 and slides[2]["unmeasured"] == 0
    assert slides[4]["run"] == 0 and slides[4]["unmeasured"] == 2  # a skipped testcase measured nothing
    assert slides[3]["set"] == 120 and slides[3]["total"] == 120
    assert slides[1]["words"] == 28 and slides[1]["demo"] == 0
    assert data["total"] == pytest.approx(slides[5]["cumulative"])
    golden("time-junit.json", res.stdout)


@pytest.mark.parametrize("args, config, message", [
    (["--target", "soon"], "", "deckops: error: --target: 'soon' is not a duration (write 30m, 1h15m, 90s or 2:30)"),
    ([], "[time]\nwpm = 0\n", "[tool.deckops.time] wpm: expected a positive number, got 0"),
    ([], "[time]\nspeed = 3\n", "[tool.deckops.time] speed: unknown key; allowed: allowance, pace, target, wpm"),
    ([], '[time]\ntarget = "soon"\nallowance = 0\npace = -1\n',
     "deckops.toml: [tool.deckops.time] target: 'soon' is not a duration (write 30m, 1h15m, 90s or 2:30)\n  "),
    ([], '[time]\ntarget = "soon"\nallowance = 0\npace = -1\n',  # every problem at once, 0 s allowance is fine
     "deckops.toml: [tool.deckops.time] pace: expected a positive number, got -1\n"),
])
def test_bad_settings_exit_2(tmp_path, args, config, message):
    repo = _repo(tmp_path)
    if config:
        (repo / "deckops.toml").write_text(config)
    res = run_cli("time", "talk.md", *args, cwd=repo)
    assert res.returncode == 2 and message in res.stderr, res.stderr


def test_a_bad_time_comment_is_positioned(tmp_path):
    repo = _repo(tmp_path)
    (repo / "talk.md").write_text(DECK.read_text().replace("time: 2m", "time: a while"))
    res = run_cli("time", "talk.md", cwd=repo)
    assert res.returncode == 2
    assert "talk.md:28:1: time comment: 'a while' is not a duration" in res.stderr, res.stderr


@pytest.mark.parametrize("text, seconds", [("30m", 1800), ("1h15m", 4500), ("90s", 90), ("1.5m", 90),
                                           ("2:30", 150), ("45", 45)])
def test_durations(text, seconds):
    assert budget.parse_duration(text) == seconds
