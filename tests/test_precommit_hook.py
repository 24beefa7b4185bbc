"""The pre-commit hook from .pre-commit-hooks.yaml, run by the real pre-commit against a local clone of this
repository: it installs the lint-only deckops (no Playwright) and blocks a commit whose deck has errors."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.install
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def _git(*args, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120).stdout.strip()


@pytest.mark.skipif(not PRE_COMMIT.is_file(), reason="pre-commit is not installed: pip install -e '.[test]'")
def test_hook_installs_lint_only_deckops_and_blocks_errors(tmp_path):
    clone = tmp_path / "deckops"
    _git("clone", "-q", "--no-hardlinks", str(ROOT), str(clone), cwd=tmp_path)
    rev = _git("rev-parse", "HEAD", cwd=clone)
    talk = tmp_path / "talk"
    (talk / "slides").mkdir(parents=True)
    _git("init", "-q", cwd=talk)
    (talk / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {clone}\n    rev: {rev}\n    hooks:\n      - id: deckops-lint\n        files: ^slides/\n")
    (talk / "slides" / "talk.md").write_text("---\nmarp: true\n---\n\n# Talk\n\n![diagram](../images/none.png)\n")
    _git("add", ".", cwd=talk)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    res = subprocess.run([str(PRE_COMMIT), "run", "--all-files"], cwd=talk, env=env, capture_output=True,
                         text=True, stdin=subprocess.DEVNULL, timeout=1200)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "deckops lint (Marp decks)" in res.stdout and "Failed" in res.stdout
    assert "slides/talk.md:7:1: D301" in res.stdout, res.stdout
    pythons = list((tmp_path / "pre-commit-home").glob("repo*/py_env-*/bin/python"))
    assert len(pythons) == 1
    probe = subprocess.run([str(pythons[0]), "-c", "import deckops, markdown_it; import playwright"],
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert "No module named 'playwright'" in probe.stderr  # the hook's env is the lint-only install
    shutil.rmtree(tmp_path / "pre-commit-home", ignore_errors=True)


@pytest.mark.skipif(not PRE_COMMIT.is_file(), reason="pre-commit is not installed: pip install -e '.[test]'")
def test_the_config_deckops_init_writes_runs_the_installed_deckops(tmp_path):
    talk = tmp_path / "talk"
    res = subprocess.run([sys.executable, "-m", "deckops", "init", str(talk)], capture_output=True, text=True,
                         timeout=120, stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert res.returncode == 0, res.stderr
    _git("init", "-q", cwd=talk)
    _git("add", ".", cwd=talk)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = lambda: subprocess.run([str(PRE_COMMIT), "run", "--all-files"], cwd=talk, env=env,  # noqa: E731
                                 capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)
    clean = run()
    assert clean.returncode == 0 and "deckops lint (Marp decks)" in clean.stdout, clean.stdout + clean.stderr
    deck = talk / "slides" / "talk.md"
    deck.write_text(deck.read_text() + "\n---\n\n![Diagram](../images/none.svg)\n")
    broken = run()
    assert broken.returncode == 1 and "slides/talk.md" in broken.stdout and "D301" in broken.stdout, broken.stdout
