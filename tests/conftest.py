"""Shared fixtures. Tests never reach outside the repo: fixtures live under tests/data/."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
GOLDEN = ROOT / "tests" / "golden"
SEED = DATA / "seed-advanced-kubernetes-debugging.md"

if importlib.util.find_spec("cluster_fixture"):
    pytest_plugins = ["cluster_fixture"]


def golden(name: str, actual: str) -> None:
    """Compare with tests/golden/NAME; DECKOPS_UPDATE_GOLDEN=1 rewrites it (review the diff!)."""
    path = GOLDEN / name
    before = path.read_text(encoding="utf-8") if path.exists() else None
    if os.environ.get("DECKOPS_UPDATE_GOLDEN") == "1" and actual != before:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        # an update is never a pass: the comparison would be with itself
        pytest.fail(f"golden file {path} rewritten: review the diff, then run again without DECKOPS_UPDATE_GOLDEN")
    assert before is not None, f"golden file {path} missing: run with DECKOPS_UPDATE_GOLDEN=1"
    assert actual == before


def run_cli(*args: str, cwd: Path = ROOT, timeout: float = 300, env: dict | None = None):
    """Run `python -m deckops ARGS` as a user would; returns CompletedProcess (text)."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "deckops", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL, env=full_env)


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """The seed deck copied into a temp repo (so relative images resolve against the temp dir)."""
    (tmp_path / ".git").mkdir()
    dst = tmp_path / "deck.md"
    dst.write_bytes(SEED.read_bytes())
    return dst
