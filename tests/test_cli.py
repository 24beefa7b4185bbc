"""CLI behaviour as a user sees it: exact stdout and exit codes (golden files under tests/golden/)."""
from __future__ import annotations

import json

from conftest import DATA, SEED, golden, run_cli


def test_lint_seed_text_golden():
    r = run_cli("lint", "--no-hints", str(SEED.relative_to(SEED.parents[2])))
    assert r.returncode == 1, r.stderr
    golden("lint-seed.txt", r.stdout)


def test_lint_seed_json_findings_at_the_right_lines():
    r = run_cli("lint", "--format", "json", "--select", "front-matter-invalid", "--select", "missing-image",
                "--select", "empty-slide", str(SEED))
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    got = [(d["name"], d["line"]) for d in doc["diagnostics"]]
    assert got == [("front-matter-invalid", 7), ("missing-image", 73), ("empty-slide", 125), ("empty-slide", 127)]
    assert doc["summary"]["errors"] == 2


def test_clean_deck_exits_zero_with_only_a_summary():
    r = run_cli("lint", str(DATA / "clean" / "every-feature.md"))
    assert (r.returncode, r.stdout) == (0, "1 file checked: 0 errors, 0 warnings, 0 info\n"), r.stdout


def test_usage_errors_exit_two_without_traceback(tmp_path):
    r = run_cli("lint", str(tmp_path / "missing.md"))
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("lint", "--format", "yaml", str(SEED))
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_version_and_help():
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("deckops ")
    for cmd in ("lint", "render", "check", "build", "serve", "rehearse", "cluster", "rules"):
        r = run_cli(cmd, "--help")
        assert r.returncode == 0 and "usage: deckops " + cmd in r.stdout
