"""The pre-commit hook definition: it must run `deckops lint` on the Markdown files pre-commit passes."""
from __future__ import annotations

import yaml

from conftest import DATA, ROOT, run_cli
from lint_support import _lint_cache, lint_cache_dir  # noqa: F401  (fixtures)


def test_hooks_file_is_well_formed_and_runs_deckops():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["deckops-lint", "deckops-lint-github"]
    for h in hooks:
        assert h["language"] == "python" and h["types"] == ["markdown"] and h["entry"].startswith("deckops lint")


def test_hook_entry_accepts_several_files_like_pre_commit_passes_them():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    args = hooks[1]["entry"].split()[1:]
    r = run_cli(*args, str(DATA / "clean" / "every-feature.md"), str(DATA / "lint" / "themes.md"))
    assert (r.returncode, r.stdout) == (0, "2 files checked: 0 errors, 0 warnings, 0 info\n"), r.stdout + r.stderr
