"""--shard I/N splits the decks over N machines (each deck on exactly one, the same everywhere), and deckops merge
joins the shards' SARIF, JSON and JUnit reports into what one unsharded run reports."""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import DATA, ROOT, run_cli
from deckops.shard import shard_of

LINT = DATA / "lint"
N = 3


def _lint(tmp: Path, fmt: str, shard: str | None) -> Path:
    out = tmp / f"{fmt}-{(shard or 'all').replace('/', 'of')}.{fmt}"
    res = run_cli("lint", "--format", fmt, "-o", str(out), *(["--shard", shard] if shard else []),
                  str(LINT.relative_to(ROOT)))
    assert res.returncode in (0, 1), res.stderr
    return out


def test_every_deck_is_on_exactly_one_shard_and_the_same_from_any_folder(tmp_path):
    repo = tmp_path / "talks"
    (repo / "slides").mkdir(parents=True)
    (repo / ".git").mkdir()
    for k in range(12):  # fixed contents: a fixed assignment, spread over the three shards
        (repo / "slides" / f"talk{k:02d}.md").write_text(f"---\nmarp: true\n---\n\n# Talk {k}\n")
    decks = sorted((repo / "slides").glob("*.md"))
    shards = {d: shard_of(d, repo, N) for d in decks}
    assert set(shards.values()) == {1, 2, 3}
    for i in range(1, N + 1):
        res = run_cli("lint", "--format", "json", "--shard", f"{i}/{N}", "slides", cwd=repo)
        doc = json.loads(res.stdout)
        assert doc["summary"]["files"] == sum(1 for s in shards.values() if s == i)
        elsewhere = run_cli("lint", "--format", "json", "--shard", f"{i}/{N}", str(repo / "slides"),
                            cwd=repo / "slides")
        assert json.loads(elsewhere.stdout)["summary"] == doc["summary"]  # the repo root names a deck, not the cwd
    (repo / "slides" / "talk00.md").write_text("changed\n")
    moved = [shard_of(d, repo, N) for d in decks]
    assert moved[1:] == [shards[d] for d in decks[1:]]  # one deck's edit moves no other deck


def test_merged_json_and_sarif_equal_one_unsharded_run(tmp_path):
    for fmt in ("json", "sarif"):
        parts = [_lint(tmp_path, fmt, f"{i}/{N}") for i in range(1, N + 1)]
        merged = tmp_path / f"merged.{fmt}"
        res = run_cli("merge", *map(str, parts), "-o", str(merged))
        whole = json.loads(_lint(tmp_path, fmt, None).read_text())
        got = json.loads(merged.read_text())
        assert res.returncode == 1  # the fixtures have errors, so the merged report does too
        assert res.stderr == f"deckops merge: 3 {fmt} reports -> {merged}\n"
        if fmt == "json":
            assert got["summary"] == whole["summary"]
            key = lambda d: (d["path"], d["line"], d["column"], d["code"], d["message"])  # noqa: E731
            assert sorted(got["diagnostics"], key=key) == sorted(whole["diagnostics"], key=key)
        else:
            (run,) = got["runs"]
            rules = run["tool"]["driver"]["rules"]
            assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])
            strip = lambda rs: sorted(json.dumps({**r, "ruleIndex": 0}, sort_keys=True) for r in rs)  # noqa: E731
            assert strip(run["results"]) == strip(whole["runs"][0]["results"])


def test_merged_junit_sums_the_suites(tmp_path):
    reports = []
    for i, deck in enumerate(["shell.md", "shell.md"]):
        copy = tmp_path / f"d{i}" / f"deck{i}.md"
        copy.parent.mkdir()
        shutil.copy(DATA / "rehearse" / deck, copy)
        (copy.parent / ".git").mkdir()
        out = tmp_path / f"r{i}.xml"
        run_cli("rehearse", "--no-cluster", "--junit", str(out), str(copy), cwd=copy.parent)
        reports.append(out)
    merged = tmp_path / "merged.xml"
    res = run_cli("merge", *map(str, reports), "-o", str(merged))
    root = ET.parse(merged).getroot()
    one = ET.parse(reports[0]).getroot()
    assert len(root.findall("testsuite")) == 2
    assert int(root.get("tests")) == 2 * int(one.get("tests"))
    assert int(root.get("failures")) == 2 * int(one.get("failures")) > 0
    assert res.returncode == 1


@pytest.mark.parametrize("argv, message", [
    (["lint", "--shard", "0/3"], "deckops: error: --shard 0/3: expected I/N with 1 <= I <= N, e.g. --shard 1/4\n"),
    (["lint", "--shard", "4/3"], "deckops: error: --shard 4/3: expected I/N with 1 <= I <= N, e.g. --shard 1/4\n"),
    (["render", "--shard", "two"], "deckops: error: --shard two: expected I/N with 1 <= I <= N, e.g. --shard 1/4\n"),
])
def test_bad_shard_is_one_line_exit_2(argv, message):
    res = run_cli(*argv, str(LINT.relative_to(ROOT)))
    assert (res.returncode, res.stderr) == (2, message)


def test_merge_refuses_garbage_and_mixed_kinds(tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n")
    res = run_cli("merge", str(junk))
    assert res.returncode == 2 and res.stderr.startswith(f"deckops: error: {junk}: neither JSON nor XML")
    assert len(res.stderr.splitlines()) == 1
    res = run_cli("merge", str(_lint(tmp_path, "json", None)), str(_lint(tmp_path, "sarif", None)))
    assert (res.returncode, res.stderr) == (2, "deckops: error: deckops merge: cannot mix json, sarif reports\n")


@pytest.mark.browser
def test_render_shards_together_render_every_deck_once(tmp_path):
    repo = tmp_path / "talk"
    (repo / "slides").mkdir(parents=True)
    (repo / ".git").mkdir()
    for k in range(6):
        (repo / "slides" / f"deck{k}.md").write_text(f"---\nmarp: true\n---\n\n# Deck {k}\n")
    seen = []
    for i in (1, 2):
        res = run_cli("render", "--to", "html", "--shard", f"{i}/2", "--out", str(tmp_path / f"out{i}"), cwd=repo)
        assert res.returncode == 0, res.stderr
        seen += sorted(p.stem for p in (tmp_path / f"out{i}").glob("*.html"))
    assert sorted(seen) == [f"deck{k}" for k in range(6)] and all(seen)
    assert {len(list((tmp_path / f"out{i}").glob('*.html'))) for i in (1, 2)} != {0, 6}
