"""Starts and stops one kwokctl cluster (binary runtime) from the cached binaries."""
from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from pathlib import Path

from .. import proc
from . import build, kwokconfig, paths

NODES = 2
UP_TIMEOUT = 120
KUBECTL_TIMEOUT = 60


def _say(msg: str) -> None:
    print(f"deckops cluster: {msg}", file=sys.stderr, flush=True)


def kwokctl_env(name: str) -> dict[str, str]:
    env = dict(os.environ)
    env["KWOK_WORKDIR"] = str(paths.kwok_workdir(name))
    env.pop("KUBECONFIG", None)
    return env


def kwokctl(name: str, bin_dir: Path, *args: str, timeout: float = UP_TIMEOUT) -> proc.Result:
    """Run kwokctl for cluster `name`; create/delete get --kubeconfig so ~/.kube/config is never touched."""
    config = paths.state_dir(name) / "kwokctl.yaml"
    argv = [bin_dir / "kwokctl", "--name", name, "--config", config, *args]
    return proc.run(argv, env=kwokctl_env(name), timeout=timeout, cwd=paths.state_dir(name))


def kubectl(name: str, *args: str, timeout: float = KUBECTL_TIMEOUT, check: bool = True,
            input: str | None = None) -> proc.Result:
    """Run the built kubectl against cluster `name`."""
    argv = [build.ensure_built() / "kubectl", "--kubeconfig", paths.kubeconfig_path(name), *args]
    return proc.run(argv, timeout=timeout, check=check, input=input)


def _contexts(name: str) -> str:
    """The kubeconfig kwokctl adds/removes its context in (instead of ~/.kube/config)."""
    return str(paths.state_dir(name) / "contexts.kubeconfig")


def is_running(name: str) -> bool:
    """True when the cluster's API server answers /readyz."""
    try:
        bin_dir = build.build_dir() / "bin"
    except (FileNotFoundError, ValueError):
        return False
    if not (paths.kubeconfig_path(name).is_file() and (bin_dir / "kubectl").is_file()):
        return False
    argv = [bin_dir / "kubectl", "--kubeconfig", paths.kubeconfig_path(name),
            "--request-timeout=3s", "get", "--raw", "/readyz"]
    res = proc.run(argv, timeout=10, check=False)
    return res.returncode == 0 and res.stdout.strip() == "ok"


def _wait(name: str, what: str, probe, timeout: float = UP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError(f"cluster {name}: {what} not ready after {timeout:g}s")
        time.sleep(0.3)


def _wait_ready(name: str) -> None:
    """Nodes Ready and the default ServiceAccount present (`kubectl run` needs it)."""
    _wait(name, "API server", lambda: is_running(name))
    _wait(name, "nodes", lambda: _ready_nodes(name) >= NODES)
    _wait(name, "default service account",
          lambda: kubectl(name, "get", "serviceaccount", "default", check=False).returncode == 0)


def _ready_nodes(name: str) -> int:
    path = '{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}'
    res = kubectl(name, "get", "nodes", "-o", f"jsonpath={path}", check=False)
    return res.stdout.split().count("True") if res.returncode == 0 else 0


def up(name: str) -> Path:
    """Start cluster `name` (idempotent) and wait until it is usable; returns the kubeconfig."""
    if is_running(name):
        return paths.kubeconfig_path(name)
    bin_dir = build.ensure_built()
    if paths.state_dir(name).exists():
        down(name)  # leftovers of a crashed or half-made cluster
    start = time.monotonic()
    kwokconfig.write(paths.state_dir(name), bin_dir, build.kube_version())
    try:
        kwokctl(name, bin_dir, "create", "cluster", "--kubeconfig", _contexts(name), "--wait", f"{UP_TIMEOUT}s")
        kwokctl(name, bin_dir, "scale", "node", "--replicas", str(NODES))
        _wait_ready(name)
    except BaseException:
        down(name)
        raise
    _say(f"{name} is up in {time.monotonic() - start:.1f}s")
    return paths.kubeconfig_path(name)


def cluster_pids(name: str) -> list[int]:
    """PIDs of processes whose command line mentions this cluster's state dir."""
    needle = str(paths.state_dir(name)).encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _kill_leftovers(name: str) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = cluster_pids(name)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while cluster_pids(name) and time.monotonic() < deadline:
            time.sleep(0.1)


def down(name: str) -> None:
    """Stop everything cluster `name` started and remove its state dir."""
    state = paths.state_dir(name)
    if not state.exists():
        return
    bin_dir = build.build_dir() / "bin"
    if (bin_dir / "kwokctl").is_file() and paths.kwok_cluster_dir(name).exists():
        try:
            kwokctl(name, bin_dir, "delete", "cluster", "--kubeconfig", _contexts(name),
                    timeout=60)
        except proc.ToolError as exc:
            _say(f"kwokctl delete failed, killing leftovers: {exc.reason}")
    _kill_leftovers(name)
    shutil.rmtree(state, ignore_errors=True)
