"""The project's own code passes its linters: ruff (pyflakes, pycodestyle, bugbear; config in pyproject.toml) over
the whole tree and vulture (dead code) over src/deckops with tools/vulture_whitelist.py. Both are pinned in the
`test` extra and run before each commit by .pre-commit-config.yaml."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT


def _run(module: str, *args: str) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=600)
    if "No module named" in res.stderr:
        pytest.fail(f"{module} is not installed: pip install -e '.[test]'")
    return res


def test_ruff_finds_nothing():
    res = _run("ruff", "check", "--no-cache", "--output-format", "concise", ".")
    assert res.returncode == 0, res.stdout + res.stderr


def test_vulture_finds_no_dead_code():
    """Paths and confidence come from [tool.vulture]; a framework-called name goes to the whitelist with who
    calls it, a really unused one is deleted."""
    res = _run("vulture")
    assert res.returncode == 0, res.stdout + res.stderr


def test_the_linters_see_a_defect(tmp_path):
    """The same invocations fail on a module with an unused import and an unused function (so a passing run
    above means something)."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef never_called():\n    return 1\n", encoding="utf-8")
    ruff = _run("ruff", "check", "--no-cache", "--output-format", "concise", str(bad))
    assert ruff.returncode == 1 and "F401" in ruff.stdout, ruff.stdout + ruff.stderr
    vulture = _run("vulture", str(bad))
    assert vulture.returncode == 3 and "never_called" in vulture.stdout, vulture.stdout + vulture.stderr
