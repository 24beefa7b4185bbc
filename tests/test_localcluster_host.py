"""Teardown gives the machine back as it was: sysctls, mounts, iptables, processes, interfaces, cgroups, paths;
after `down`, after ^C during `up`, and after an `up` that failed (whose logs are kept)."""
from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cluster_fixture import CLUSTER_NAME

from deckops import localcluster, proc
from deckops.localcluster import build, cluster, hoststate, node, paths

pytestmark = pytest.mark.cluster

NAME = "deckops-host-test"
UP_TIMEOUT = 240


def snapshot() -> dict:
    return hoststate.snapshot([str(node.node_dir(NAME))])


@pytest.fixture
def free_node():
    """This machine's one real node, free for these tests: the session cluster gives it up meanwhile and
    comes back afterwards; another cluster holding it skips the test."""
    if node.missing(NAME) and node.owner() not in (None, CLUSTER_NAME):
        pytest.skip("; ".join(node.missing(NAME)))
    if not build.is_built():
        pytest.skip("cluster binaries not built (deckops cluster build)")
    session_was_up = node.owner() == CLUSTER_NAME
    if session_was_up:
        localcluster.down(CLUSTER_NAME)
    missing = node.missing(NAME)
    if missing:
        pytest.skip("; ".join(missing))
    try:
        yield
    finally:
        localcluster.down(NAME)
        if session_was_up:
            localcluster.up(CLUSTER_NAME, "real")


def _kubectl(*args: str, timeout: float = 90) -> proc.Result:
    return cluster.kubectl(NAME, *args, timeout=timeout)


def test_down_restores_the_host(free_node):
    before = snapshot()
    localcluster.up(NAME, "real")
    _kubectl("run", "box", "--image=busybox:1.36", "--restart=Never", "--", "sleep", "3600")
    _kubectl("wait", "--for=condition=Ready", "pod/box", "--timeout=120s", timeout=130)
    during = snapshot()
    # the snapshot sees what a running node changes (else the comparison below proves nothing)
    changed = hoststate.diff(before, during)
    assert {"interfaces", "mounts", "cgroups", "processes", "sysctls", "chains"} <= set(changed), changed
    assert node.BRIDGE in during["interfaces"]
    localcluster.down(NAME)
    assert hoststate.diff(before, snapshot()) == {}
    assert not paths.state_dir(NAME).exists() and node.owner() is None


def _up_process(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    err = tmp_path / "up.err"
    with open(err, "wb") as sink:
        child = subprocess.Popen([sys.executable, "-m", "deckops", "cluster", "up", "--name", NAME, "--nodes",
                                  "real"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sink)
    return child, err


def _wait_for(what: str, probe, child: subprocess.Popen, timeout: float = UP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        assert child.poll() is None, f"`cluster up` ended (status {child.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no {what} after {timeout}s"
        proc.wait_any([child], 0.1)


def test_interrupt_during_up_restores_the_host(free_node, tmp_path):
    before = snapshot()
    child, err = _up_process(tmp_path)
    try:
        # ^C once the kubelet runs: containerd, the images and the kubelet's host changes are all in place
        _wait_for("kubelet", lambda: node._pids(str(node.node_dir(NAME)), "kubelet"), child)
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=UP_TIMEOUT) == 130, err.read_text()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert hoststate.diff(before, snapshot()) == {}
    text = err.read_text()
    assert "logs are kept in" in text
    shutil.rmtree(text.split("logs are kept in ", 1)[1].split()[0])


def test_failed_up_keeps_its_logs_and_restores_the_host(free_node, tmp_path):
    """A real failure: the kubelet's port is taken, so the kubelet exits; `up` says why and where the logs are."""
    before = snapshot()
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind((node.host_ip(), 10250))
        taken.listen()
        child, err = _up_process(tmp_path)
        try:
            status = child.wait(timeout=UP_TIMEOUT)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    text = err.read_text()
    assert status == 1, text
    kept = Path(text.split("logs are kept in ", 1)[1].split()[0])
    try:
        assert "10250" in (kept / "node" / "kubelet.log").read_text()
    finally:
        shutil.rmtree(kept, ignore_errors=True)
    assert hoststate.diff(before, snapshot()) == {}
