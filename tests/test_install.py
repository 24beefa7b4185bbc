"""deckops as a package: a wheel built from this checkout, installed into a fresh venv outside it, runs
init, lint, render, check and rehearse in an unrelated talk repo; the lint-only install has no browser deps."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.install
PIP_TIMEOUT = 1200  # Playwright's wheel is ~40 MB; 2 loaded cores


def _run(argv, *, cwd: Path, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    res = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True,
                         timeout=timeout, stdin=subprocess.DEVNULL)
    return res


def _ok(res: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert res.returncode == 0, f"{' '.join(res.args)} -> {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res


def _clean_env(tmp: Path, venv: Path) -> dict:
    """A user's shell in the talk repo: the venv first on PATH, nothing pointing into this checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "DECKOPS_K8S_TOOLS")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", DECKOPS_CACHE=str(tmp / "cache"),
               NO_COLOR="1")
    return env


def _venv(tmp: Path, name: str, requirement: str) -> Path:
    venv = tmp / name
    _ok(_run([sys.executable, "-m", "venv", venv], cwd=tmp, timeout=300))
    _ok(_run([venv / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check", requirement],
             cwd=tmp, timeout=PIP_TIMEOUT))
    return venv


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _ok(_run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, ROOT], cwd=out, timeout=900))
    (found,) = out.glob("deckops-*.whl")
    return found


def test_the_wheel_carries_the_go_modules_the_node_pin_and_the_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", "tools"], cwd=ROOT, capture_output=True, text=True,
                             check=True, timeout=60).stdout.split()
    assert tracked and {f"deckops/{f}" for f in tracked} <= names  # every pinned module the cluster build uses
    for shipped in ("deckops/tools/k8s/kubernetes/go.mod", "deckops/tools/k8s/etcd/go.sum",
                    "deckops/node/package.json", "deckops/node/package-lock.json",
                    "deckops/templates/talk/slides/talk.md", "deckops/templates/talk/gitignore",
                    "deckops/templates/talk/.github/workflows/deck.yml", "deckops/report/templates/rehearse.html.j2"):
        assert shipped in names


def test_installed_wheel_works_in_an_unrelated_talk_repo(wheel, tmp_path):
    venv = _venv(tmp_path, "venv", f"{wheel}[render]")
    env = _clean_env(tmp_path, venv)
    deckops = venv / "bin" / "deckops"
    _ok(_run([deckops, "init", "talk"], cwd=tmp_path, env=env))
    talk = tmp_path / "talk"
    _ok(_run(["git", "init", "-q"], cwd=talk, env=env))
    # the package's own copy of the Go modules, not this checkout's
    where = _ok(_run([venv / "bin" / "python", "-c", "import deckops.localcluster.paths as p; print(p.tools_dir())"],
                     cwd=talk, env=env)).stdout.strip()
    assert Path(where).is_relative_to(venv) and (Path(where) / "kubernetes" / "go.mod").is_file()

    assert "0 errors" in _ok(_run([deckops, "lint"], cwd=talk, env=env)).stdout
    first = _ok(_run([deckops, "render", "--to", "html,pdf"], cwd=talk, env=env, timeout=1200))
    notices = [line for line in first.stderr.splitlines() if "installing the pinned marp-cli" in line]
    assert len(notices) == 1, first.stderr  # the first render installs deckops' marp-cli, saying so once
    assert (tmp_path / "cache" / "node").is_dir()
    assert (talk / "dist" / "talk.html").is_file() and (talk / "dist" / "talk.pdf").read_bytes()[:5] == b"%PDF-"
    again = _ok(_run([deckops, "render", "--to", "html", "--force"], cwd=talk, env=env))
    assert "installing" not in again.stderr
    _ok(_run([deckops, "check"], cwd=talk, env=env))
    assert (talk / "dist" / "talk.contact.png").is_file()
    rehearsed = _ok(_run([deckops, "rehearse", "--no-cluster"], cwd=talk, env=env))
    assert "1 passed, 0 failed" in rehearsed.stdout


def test_lint_only_install_lints_without_browser_packages(wheel, tmp_path):
    venv = _venv(tmp_path, "venv-lint", str(wheel))
    env = _clean_env(tmp_path, venv)
    missing = _run([venv / "bin" / "python", "-c", "import playwright"], cwd=tmp_path, env=env)
    assert missing.returncode != 0  # the lint-only install (pre-commit's) stays small
    deck = tmp_path / "deck.md"
    deck.write_text("---\nmarp: true\n---\n\n# Title\n\n![](missing.png)\n", encoding="utf-8")
    res = _run([venv / "bin" / "deckops", "lint", deck], cwd=tmp_path, env=env)
    assert res.returncode == 1, res.stderr
    assert "missing.png" in res.stdout and "Traceback" not in res.stderr
    check = _run([venv / "bin" / "deckops", "check", deck], cwd=tmp_path, env=env)
    assert check.returncode == 2  # one line naming the extra, not an ImportError traceback
    assert re.fullmatch(r"deckops: error: deckops check needs Playwright.* \(the render extra\): "
                        r"pip install 'deckops\[render\]'\n", check.stderr), check.stderr
