"""Real tests of the local control plane: cached build, nodes, pods, kubectl debug/logs, clean down."""
from __future__ import annotations

import json
import time

import pytest

from deckops import localcluster, proc
from deckops.localcluster import build, cluster, paths

pytestmark = pytest.mark.cluster


def kubectl(lc, *args, timeout=60, check=True):
    return proc.run([lc.kubectl, "--kubeconfig", lc.kubeconfig, *args], timeout=timeout, check=check)


# kwok's own behaviours (ephemeral-container stage, ClusterLogs) are tested on a fake node: with a real node
# up, fake nodes are tainted and pods go to the real one unless they tolerate the taint.
ON_A_FAKE_NODE = json.dumps({"spec": {
    "nodeSelector": {"type": "kwok"},
    "tolerations": [{"key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule"}]}})


@pytest.fixture(scope="module")
def demo_pod(local_cluster):
    kubectl(local_cluster, "run", "demo", "--image=nginx", "--restart=Never", f"--overrides={ON_A_FAKE_NODE}")
    kubectl(local_cluster, "wait", "--for=condition=Ready", "pod/demo", "--timeout=30s", timeout=40)
    yield "demo"
    kubectl(local_cluster, "delete", "pod", "demo", "--wait=false", check=False)


def pod_json(lc, name):
    return json.loads(kubectl(lc, "get", "pod", name, "-o", "json").stdout)


def test_second_build_is_a_cache_hit(monkeypatch):
    from cluster_fixture import require_built

    require_built()  # a cold build belongs to `deckops cluster build`, not to a test under a timeout
    first = localcluster.ensure_built()

    def no_build(*args, **kw):
        raise AssertionError("a current cache was built again")

    monkeypatch.setattr(build, "_build_atomically", no_build)
    monkeypatch.setattr(build, "_build_into", no_build)
    again = localcluster.ensure_built()
    assert again == first
    assert build.is_built() and localcluster.kubectl_path() == first / "kubectl"


def test_version_is_stamped(local_cluster):
    server = json.loads(kubectl(local_cluster, "get", "--raw", "/version").stdout)
    assert server["gitVersion"] == build.kube_version()


def test_at_least_two_ready_nodes(local_cluster):
    nodes = json.loads(kubectl(local_cluster, "get", "nodes", "-o", "json").stdout)["items"]
    ready = [n for n in nodes if any(c["type"] == "Ready" and c["status"] == "True"
                                     for c in n["status"]["conditions"])]
    assert len(ready) >= 2


def test_up_is_idempotent(local_cluster, monkeypatch):
    def no_start(*args, **kw):
        raise AssertionError("a running cluster was started again")

    monkeypatch.setattr(cluster, "kwokctl", no_start)
    monkeypatch.setattr(cluster, "down", no_start)
    assert localcluster.up(local_cluster.name) == local_cluster.kubeconfig


def test_run_gives_a_ready_pod(demo_pod, local_cluster):
    assert pod_json(local_cluster, demo_pod)["status"]["phase"] == "Running"


def test_debug_records_the_ephemeral_container(demo_pod, local_cluster):
    kubectl(local_cluster, "debug", demo_pod, "--image=busybox", "--", "true", timeout=30)
    pod = pod_json(local_cluster, demo_pod)
    assert [c["image"] for c in pod["spec"]["ephemeralContainers"]] == ["busybox"]
    name = pod["spec"]["ephemeralContainers"][0]["name"]
    for _ in range(50):
        statuses = pod.get("status", {}).get("ephemeralContainerStatuses", [])
        if any(s["name"] == name for s in statuses):
            break
        time.sleep(0.2)
        pod = pod_json(local_cluster, demo_pod)
    status = next(s for s in statuses if s["name"] == name)
    assert status["state"]["terminated"]["exitCode"] == 0


def test_logs_are_served(demo_pod, local_cluster):
    out = kubectl(local_cluster, "logs", demo_pod).stdout
    assert "simulated by kwok" in out


def test_down_leaves_no_process():
    name = "deckops-test-down"
    localcluster.up(name)
    try:
        assert cluster.cluster_pids(name), "components run with the state dir in their command line"
        assert localcluster.is_running(name)
    finally:
        localcluster.down(name)
    assert cluster.cluster_pids(name) == []
    assert not paths.state_dir(name).exists()
    assert not localcluster.is_running(name)


def test_two_clusters_started_at_once_both_come_up():
    """kwokctl picks its ports counting down from 32767 in every process: two `up`s at the same time (two test
    sessions, a demo) took the same ones and one timed out. deckops gives each cluster a random free block."""
    from concurrent.futures import ThreadPoolExecutor

    import yaml
    from cluster_fixture import require_built

    require_built()
    names = ["deckops-test-ports-a", "deckops-test-ports-b"]
    try:
        with ThreadPoolExecutor(2) as pool:
            configs = list(pool.map(lambda n: localcluster.up(n, "fake"), names))
        servers = {yaml.safe_load(c.read_text())["clusters"][0]["cluster"]["server"] for c in configs}
        assert len(servers) == 2, servers
        assert all(localcluster.is_running(n) for n in names)
    finally:
        for n in names:
            localcluster.down(n)


def test_ports_in_use_are_never_picked(monkeypatch):
    import socket

    from deckops.localcluster import kwokconfig

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        monkeypatch.setattr(kwokconfig, "PORT_RANGE", (port - 2, port + 3))  # blocks of 2: one is free of it
        assert {tuple(kwokconfig.pick_ports(2)) for _ in range(20)} == {(port - 2, port - 1)}
        monkeypatch.setattr(kwokconfig, "PORT_RANGE", (port, port + 3))  # only the block at port
        with pytest.raises(OSError, match="no 2 free ports"):
            kwokconfig.pick_ports(2, attempts=5)
    options = kwokconfig.kwokctl_options(paths.cache_root(), "v1.36.3", ports=[1, 2, 3, 4, 5, 6])
    assert {k: options["options"][k] for k in kwokconfig.PORT_KEYS} == dict(zip(kwokconfig.PORT_KEYS, range(1, 7)))
