"""deckops setup (the pinned marp-cli in deckops' cache), which marp-cli render uses, and deckops init."""
from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from deckops import marp, setup_node
from deckops.errors import UsageError


def _exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\necho fake\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _path_without(tmp: Path, *names: str) -> str:
    """A PATH holding links to everything on PATH except `names` (how a machine without them looks)."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    for d in os.environ["PATH"].split(os.pathsep):
        for exe in Path(d).glob("*") if Path(d).is_dir() else ():
            if exe.name not in names and not (bin_dir / exe.name).exists() and os.access(exe, os.X_OK):
                (bin_dir / exe.name).symlink_to(exe)
    return str(bin_dir)


def test_the_shipped_pin_is_the_tested_one():
    pin = setup_node.pinned_version()
    assert pin == json.loads((ROOT / "package.json").read_text())["dependencies"]["@marp-team/marp-cli"]
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/@marp-team/marp-cli"]["version"] == pin


def test_marp_precedence_config_then_repo_then_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DECKOPS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(marp, "_PACKAGE_ROOT", tmp_path / "not-a-checkout")
    repo = tmp_path / "talk"
    with pytest.raises(UsageError, match="deckops setup"):
        marp.find_marp(repo)  # nothing anywhere, no installer
    installed = []
    assert marp.find_marp(repo, install=lambda: installed.append(1) or tmp_path / "x") == tmp_path / "x"
    assert installed == [1]
    cached = _exe(tmp_path / "cache" / "node" / setup_node.pinned_version() / "node_modules" / ".bin" / "marp")
    assert marp.find_marp(repo) == cached
    own = _exe(repo / "node_modules" / ".bin" / "marp")
    assert marp.find_marp(repo) == own
    real = _exe(repo / "tools" / "node_modules" / "@marp-team" / "marp-cli" / "marp-cli.js")
    (repo / "tools" / "node_modules" / ".bin").mkdir()
    (repo / "tools" / "node_modules" / ".bin" / "marp").symlink_to(real)  # how npm lays it out
    assert marp.find_marp(repo, "tools/node_modules/.bin/marp") == repo / "tools" / "node_modules" / ".bin" / "marp"
    with pytest.raises(UsageError, match="marp = 'nope'"):
        marp.find_marp(repo, "nope")
    _exe(repo / "evil.sh")  # its folder (the repo's parent) would be mounted into the render sandbox
    with pytest.raises(UsageError, match="must be a node_modules/.bin/marp"):
        marp.find_marp(repo, "evil.sh")


@pytest.mark.parametrize("missing", ["node", "npm"])
def test_setup_without_node_or_npm_names_the_install_command(tmp_path, missing):
    path = _path_without(tmp_path, missing)
    res = run_cli("setup", env={"PATH": path, "DECKOPS_CACHE": str(tmp_path / "cache")})
    assert res.returncode == 2
    assert res.stderr.splitlines()[-1] == (
        f"deckops: error: {missing} not found: marp-cli needs Node.js >= 18 and npm; install them with "
        f"`{setup_node.NODE_FIX}`, then run `deckops setup`")
    assert "Traceback" not in res.stderr and not (tmp_path / "cache" / "node" / "4.5.1").exists()


def test_first_render_without_npm_says_what_to_install(tmp_path, monkeypatch, caplog):
    """No marp-cli anywhere (an installed deckops, empty cache) and no npm: the first render's install
    announces itself once and stops with the install command."""
    from deckops.render.job import install_marp

    monkeypatch.setattr(marp, "_PACKAGE_ROOT", tmp_path / "not-a-checkout")
    monkeypatch.setenv("DECKOPS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", _path_without(tmp_path, "npm"))
    caplog.set_level("INFO", logger="deckops")
    with pytest.raises(UsageError, match=f"npm not found: .*`{setup_node.NODE_FIX}`"):
        marp.find_marp(tmp_path / "talk", install=install_marp)
    assert [r.getMessage() for r in caplog.records].count(
        f"deckops: installing the pinned marp-cli {setup_node.pinned_version()} into {setup_node.cache_dir()} "
        "(once; `deckops setup` does it ahead)") == 1


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("npm"), reason="npm is not installed (apt-get install nodejs npm)")
def test_setup_installs_verifies_and_is_idempotent(tmp_path):
    env = {"DECKOPS_CACHE": str(tmp_path / "cache")}
    first = run_cli("setup", env=env, timeout=1200)
    assert first.returncode == 0, first.stderr
    exe = tmp_path / "cache" / "node" / setup_node.pinned_version() / "node_modules" / ".bin" / "marp"
    assert first.stdout.splitlines()[0] == (f"marp-cli  @marp-team/marp-cli v{setup_node.pinned_version()} "
                                            f"(w/ @marp-team/marp-core v4.4.0)  {exe}")
    assert first.stdout.splitlines()[1].startswith("chromium  /")
    assert not list((tmp_path / "cache" / "node").glob("*.partial-*"))
    assert not (exe.parents[2] / "node_modules" / "markdownlint-cli2").exists()  # devDependencies omitted
    second = run_cli("setup", env=env, timeout=300)
    assert second.returncode == 0 and second.stdout == first.stdout


def test_init_writes_a_skeleton_and_refuses_to_overwrite(tmp_path):
    res = run_cli("init", str(tmp_path / "talk"))
    assert res.returncode == 0, res.stderr
    made = sorted(p.relative_to(tmp_path / "talk").as_posix() for p in (tmp_path / "talk").rglob("*") if p.is_file())
    assert made == [".github/workflows/deck.yml", ".gitignore", ".pre-commit-config.yaml", "deckops.toml",
                    "images/diagram.svg", "slides/talk.md", "themes/talk.css"]
    assert (tmp_path / "talk" / ".github/workflows/deck.yml").read_bytes() == \
        (ROOT / ".github/workflows/deck.yml").read_bytes()
    (tmp_path / "other" / "slides").mkdir(parents=True)
    (tmp_path / "other" / "slides" / "talk.md").write_text("mine\n")
    (tmp_path / "other" / "deckops.toml").write_text("# mine\n")
    res = run_cli("init", str(tmp_path / "other"))
    assert res.returncode == 2
    assert res.stderr == (f"deckops: error: {tmp_path / 'other'}: would overwrite slides/talk.md, deckops.toml; "
                          "move them away or pick another folder\n")
    assert (tmp_path / "other" / "slides" / "talk.md").read_text() == "mine\n"
    assert not (tmp_path / "other" / "themes").exists()  # nothing written


@pytest.mark.browser
def test_the_starter_deck_passes_lint_check_and_rehearse(tmp_path):
    talk = tmp_path / "talk"
    assert run_cli("init", str(talk)).returncode == 0
    (talk / ".git").mkdir()
    lint = run_cli("lint", cwd=talk)
    assert lint.returncode == 0 and lint.stdout.endswith("1 file checked: 0 errors, 0 warnings, 0 info\n"), lint.stdout
    check = run_cli("check", cwd=talk)
    assert check.returncode == 0, check.stdout + check.stderr
    rehearse = run_cli("rehearse", "--no-cluster", cwd=talk)
    assert rehearse.returncode == 0 and "1 passed, 0 failed, 0 skipped" in rehearse.stdout
