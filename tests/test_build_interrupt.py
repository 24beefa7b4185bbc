"""The control-plane build stopped by ^C, SIGTERM or its timeout leaves no process and no partial build behind.
A fake `go` that "builds" forever (one child of its own) stands in for the 40-minute cold build."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PATIENCE, ROOT, wait_for

FAKE_GO = """#!/bin/sh
if [ "$1" = "build" ]; then
  sleep 3000 &
  echo "$$ $!" > "$FAKE_GO_PIDS.tmp" && mv "$FAKE_GO_PIDS.tmp" "$FAKE_GO_PIDS"
  wait
fi
echo '{"Version":"v1.0.0","Dir":"/nonexistent","Time":"2026-01-01T00:00:00Z"}'
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is gone for our purpose
        return f.read().split(")")[-1].split()[0] != "Z"


def _gone(pids: list[int], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def fake_go(tmp_path: Path, monkeypatch) -> dict:
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    (bin_dir / "go").write_text(FAKE_GO)
    (bin_dir / "go").chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "DECKOPS_CACHE": str(tmp_path / "cache"),
           "FAKE_GO_PIDS": str(tmp_path / "pids")}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def _pids(path: Path, timeout: float = PATIENCE) -> list[int]:
    wait_for(path.is_file, timeout, what="the fake go build")
    return [int(p) for p in path.read_text().split()]


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_build_leaves_no_process_and_no_partial(fake_go, tmp_path, sig, code, spawn):
    child = spawn([sys.executable, "-m", "deckops", "cluster", "build"], cwd=tmp_path,
                  env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE, text=True)
    pids = _pids(tmp_path / "pids")
    try:
        assert all(_alive(p) for p in pids)
        child.send_signal(sig)
        _out, err = child.communicate(timeout=PATIENCE)  # (the fake build's sleep 3000 outlasts it)
    finally:  # pass or fail, the fake build does not outlive the test
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert child.returncode == code, err
    assert _gone(pids), f"left running: {[p for p in pids if _alive(p)]}"
    assert not list((tmp_path / "cache").rglob("*.partial-*")), "a partial build was left behind"
    assert "Traceback" not in err


def test_timed_out_build_kills_go_and_its_children(fake_go, tmp_path, monkeypatch):
    from deckops.localcluster import build
    from deckops.proc import ToolError

    monkeypatch.setattr(build, "BUILD_TIMEOUT", 5)  # (a loaded machine may take a second to start sh)
    monkeypatch.setattr(build, "PROGRESS_EVERY", 0.2, raising=False)
    with pytest.raises(ToolError, match="timed out"):
        build.ensure_built()
    pids = _pids(tmp_path / "pids", timeout=1)
    assert _gone(pids), f"left running: {[p for p in pids if _alive(p)]}"
    assert not list((tmp_path / "cache").rglob("*.partial-*"))
