"""Starts and stops one cluster: the kwokctl control plane and fake nodes, plus the real node (node.py)."""
from __future__ import annotations

import concurrent.futures
import logging
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Literal

from .. import proc
from . import build, hostguard, kwokconfig, node, paths

log = logging.getLogger(__name__)  # notes for the user: the commands layer shows them on stderr

NODES = 2  # fake ones
Nodes = Literal["real", "fake"]
NODE_MODES = ("real", "fake")
UP_TIMEOUT = 120
KUBECTL_TIMEOUT = 60


def _say(msg: str) -> None:
    log.info(f"deckops cluster: {msg}")


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
    argv = [build.build_dir() / "bin" / "kubectl", "--kubeconfig", paths.kubeconfig_path(name), *args]
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


def _wait_ready(name: str, nodes: int) -> None:
    """Nodes Ready and the default ServiceAccount present (`kubectl run` needs it)."""
    _wait(name, "API server", lambda: is_running(name))
    _wait(name, "nodes", lambda: _ready_nodes(name) >= nodes)
    _wait(name, "default service account",
          lambda: kubectl(name, "get", "serviceaccount", "default", check=False).returncode == 0)


def _ready_nodes(name: str) -> int:
    path = '{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}'
    res = kubectl(name, "get", "nodes", "-o", f"jsonpath={path}", check=False)
    return res.stdout.split().count("True") if res.returncode == 0 else 0


def choose_nodes(name: str, requested: str | None) -> tuple[Nodes, str]:
    """(nodes, why): `real` wherever its prerequisites are present unless `fake` is asked for; asking for
    `real` where they are missing is an error naming what is missing."""
    if requested == "fake":
        return "fake", "--nodes fake"
    missing = node.missing(name)
    if requested == "real" and missing:
        raise ValueError("--nodes real: " + "; ".join(missing))
    if missing:
        return "fake", "no real node here: " + "; ".join(missing)
    return "real", "--nodes real" if requested else "its prerequisites are present; --nodes fake for kwok only"


def nodes_of(name: str) -> Nodes | None:
    """How the running cluster `name` was started."""
    try:
        mode = (paths.state_dir(name) / "nodes").read_text().strip()
    except OSError:
        return None
    return mode if mode in NODE_MODES else None  # type: ignore[return-value]


def require_built() -> Path:
    """Builds are explicit: `up` never starts a 25-minute compile by itself."""
    if not build.is_built():
        raise FileNotFoundError(f"the cluster binaries for these pins are not built ({build.build_dir()}): "
                                "run `deckops cluster build` first")
    return build.build_dir() / "bin"


def up(name: str, nodes: str | None = None) -> Path:
    """Start cluster `name` (idempotent) and wait until it is usable; returns the kubeconfig. A failed or
    interrupted start is taken down again, its logs kept (the path is printed)."""
    if is_running(name):
        return paths.kubeconfig_path(name)
    bin_dir = require_built()
    mode, why = choose_nodes(name, nodes)
    if paths.state_dir(name).exists():
        down(name)  # leftovers of a crashed or half-made cluster
    start = time.monotonic()
    _say(f"{name}: {mode} node{'s' if mode == 'fake' else ''} ({why})")
    pki = paths.kwok_cluster_dir(name) / "pki"
    kwokconfig.write(paths.state_dir(name), bin_dir, build.kube_version(), pki if mode == "real" else None)
    (paths.state_dir(name) / "nodes").write_text(mode + "\n")
    # containerd and the images need no API server: they start while kwokctl brings the control plane up
    prepared = proc.background(node.prepare, name, bin_dir, pki / "ca.crt") if mode == "real" else None
    guarded = None
    try:
        kwokctl(name, bin_dir, "create", "cluster", "--kubeconfig", _contexts(name), "--wait", f"{UP_TIMEOUT}s")
        # with a real node the API server reaches kubelets by InternalIP (the real node's name is not in DNS);
        # fake nodes then get no InternalIP, so it reaches kwok by their Hostname (localhost) as before
        kwokctl(name, bin_dir, "scale", "node", "--replicas", str(NODES),
                *(["--param", ".nodeIPs=[]"] if mode == "real" else []))
        if mode == "real":
            # the taint is for the fake nodes only: before the kubelet registers the real one
            kubectl(name, "taint", "nodes", "--all", node.FAKE_TAINT)
            # the admission policy goes in while the kubelet starts (no pod can exist before `up` returns)
            guarded = proc.background(hostguard.install, lambda *a, **kw: kubectl(name, *a, **kw))
            prepared.result()
            node.start_kubelet(name, bin_dir, paths.kubeconfig_path(name),
                               lambda: _node_ready(name, node.node_name(name)))
            guarded.result()
        _wait_ready(name, NODES + (mode == "real"))
    except BaseException:
        if prepared is not None:  # (their own errors are reported through .result() above)
            concurrent.futures.wait([f for f in (prepared, guarded) if f is not None])
        kept = keep_logs(name)
        down(name)
        if kept:
            _say(f"{name} did not come up; its logs are kept in {kept}")
        raise
    _say(f"{name} is up in {time.monotonic() - start:.1f}s")
    return paths.kubeconfig_path(name)


def _node_ready(name: str, node_name: str) -> bool:
    path = '{.status.conditions[?(@.type=="Ready")].status}'
    res = kubectl(name, "get", "node", node_name, "-o", f"jsonpath={path}", check=False)
    return res.returncode == 0 and res.stdout.strip() == "True"


def keep_logs(name: str) -> Path | None:
    """Copy the logs of the control plane and the real node out of the state folder `down` removes."""
    sources = {"control-plane": paths.kwok_cluster_dir(name) / "logs", "node": node.log_dir(name)}
    sources = {k: s for k, s in sources.items() if s.is_dir() and any(s.iterdir())}
    if not sources:
        return None
    dest = paths.cache_root() / "logs" / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    for part, src in sources.items():
        shutil.copytree(src, dest / part, dirs_exist_ok=True)
    return dest


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
    if node.node_dir(name).is_dir():
        node.stop(name, bin_dir, lambda: _delete_real_pods(name))
    if (bin_dir / "kwokctl").is_file() and paths.kwok_cluster_dir(name).exists():
        try:
            kwokctl(name, bin_dir, "delete", "cluster", "--kubeconfig", _contexts(name),
                    timeout=60)
        except proc.ToolError as exc:
            _say(f"kwokctl delete failed, killing leftovers: {exc.reason}")
    _kill_leftovers(name)
    node.restore(name)  # again: what a killed leftover still held
    shutil.rmtree(state, ignore_errors=True)


def _delete_real_pods(name: str) -> None:
    """Pods on the real node go through the kubelet, which stops their sandboxes (CNI DEL, netns, IPs)."""
    kubectl(name, "delete", "pods", "--all-namespaces", "--field-selector",
            f"spec.nodeName={node.node_name(name)}", "--grace-period=1", "--wait=false", timeout=30)
