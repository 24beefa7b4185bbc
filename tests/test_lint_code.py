"""The project's own code passes its linters: ruff (pyflakes, pycodestyle, bugbear; config in pyproject.toml) over
the whole tree and vulture (dead code) over src/deckops with tools/vulture_whitelist.py. Both are pinned in the
`test` extra and run before each commit by .pre-commit-config.yaml."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


@pytest.mark.skipif(not (Path(sys.executable).parent / "pre-commit").is_file(),
                    reason="pre-commit is not installed: pip install -e '.[test]'")
def test_the_projects_pre_commit_config_runs_both_linters(tmp_path):
    """.pre-commit-config.yaml under the real pre-commit, in a clone of the committed tree (local hooks: nothing
    is downloaded): it passes, and blocks a commit that adds an unused import and an unused function."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)], check=True, timeout=300,
                   stdin=subprocess.DEVNULL)
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", PRE_COMMIT_HOME=str(tmp_path / "home"))

    def pre_commit() -> subprocess.CompletedProcess:
        return subprocess.run([str(bin_dir / "pre-commit"), "run", "--all-files"], cwd=clone, env=env,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)

    clean = pre_commit()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    (clone / "src" / "deckops" / "zz_dead.py").write_text("import os\n\n\ndef never_called():\n    return 1\n")
    subprocess.run(["git", "add", "src/deckops/zz_dead.py"], cwd=clone, check=True, timeout=60)
    dirty = pre_commit()
    assert dirty.returncode == 1, dirty.stdout + dirty.stderr
    assert "F401" in dirty.stdout and "never_called" in dirty.stdout, dirty.stdout
