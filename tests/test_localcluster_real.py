"""The real node: pods really run, so exec, logs, debug -it --target, port-forward and cp are checked for real."""
from __future__ import annotations

import json
import os
import socket
import time
import urllib.request

import pytest

from deckops import proc
from deckops.localcluster import images, node
from deckops.rehearse.runner import Session

pytestmark = pytest.mark.cluster

READY_TIMEOUT = 120

PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: box}
spec:
  containers:
    - {name: box, image: busybox:1.36, command: [sh, -c, 'echo started; exec sleep 3600']}
---
apiVersion: v1
kind: Pod
metadata: {name: checkout, labels: {app: checkout}}
spec:
  containers:
    - {name: app, image: deckops.local/checkout:1.0}
    - {name: proxy, image: deckops.local/checkout:1.0, args: [-listen, ':15001', -upstream, 'http://127.0.0.1:8080']}
"""


def kubectl(lc, *args, timeout=90, check=True, input=None):
    return proc.run([lc.kubectl, "--kubeconfig", lc.kubeconfig, *args], timeout=timeout, check=check, input=input)


@pytest.fixture(scope="module")
def pods(real_cluster):
    kubectl(real_cluster, "apply", "-f", "-", input=PODS)
    try:
        kubectl(real_cluster, "wait", "--for=condition=Ready", "pod/box", "pod/checkout",
                f"--timeout={READY_TIMEOUT}s", timeout=READY_TIMEOUT + 10)
        yield real_cluster
    finally:
        kubectl(real_cluster, "delete", "pod", "box", "checkout", "--grace-period=1", "--wait=false", check=False)


def test_pods_run_on_the_real_node_and_fake_nodes_are_tainted(pods):
    items = json.loads(kubectl(pods, "get", "pods", "-o", "json").stdout)["items"]
    assert {p["spec"]["nodeName"] for p in items} == {node.node_name(pods.name)}
    nodes = json.loads(kubectl(pods, "get", "nodes", "-o", "json").stdout)["items"]
    fake = [n for n in nodes if n["metadata"]["name"] != node.node_name(pods.name)]
    assert fake and all(any(t["key"] == "kwok.x-k8s.io/node" for t in n["spec"].get("taints", ())) for n in fake)
    # a real container: containerd gave it an ID (kwok leaves containerID empty)
    statuses = {c["name"]: c for p in items for c in p["status"]["containerStatuses"]}
    assert statuses["app"]["containerID"].startswith("containerd://")


def test_exec_runs_inside_the_container(pods):
    assert kubectl(pods, "exec", "box", "--", "cat", "/etc/hostname").stdout.strip() == "box"
    res = kubectl(pods, "exec", "box", "--", "sh", "-c", "exit 3", check=False)
    assert res.returncode == 3  # the container's exit status comes back


def test_logs_are_what_the_container_printed(pods):
    assert kubectl(pods, "logs", "box").stdout == "started\n"
    assert "checkout listening on :8080" in kubectl(pods, "logs", "checkout", "-c", "app").stdout


def test_debug_it_target_shares_the_app_pid_namespace(pods, tmp_path):
    """Under a pty, as rehearse runs it: `ps` in the debug container sees the app's /checkout as PID 1."""
    env = {"PATH": os.environ["PATH"], "KUBECONFIG": str(pods.kubeconfig), "HOME": str(tmp_path)}
    command = f"{pods.kubectl} debug -it checkout --image=busybox:1.36 --target=app -- sh"
    with Session(env, cwd=tmp_path, tmp=tmp_path) as session:
        out = session.run(command, timeout=120, stdin="ps", pty=True)
    assert out.status == 0, out.output
    rows = [line.split() for line in out.output.splitlines()]
    assert ["1", "root", "/checkout"] in rows, out.output  # (busybox ps: PID USER COMMAND)
    assert any(r[-1:] == ["sh"] for r in rows if r and r[0].isdigit()), out.output


def test_port_forward_reaches_the_app_through_its_proxy_sidecar(pods, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "pf.log"
    child = proc.spawn([pods.kubectl, "--kubeconfig", pods.kubeconfig, "port-forward", "pod/checkout",
                        f"{port}:15001"], log=log)
    try:
        deadline = time.monotonic() + 60
        while "Forwarding from" not in log.read_text():
            assert child.poll() is None and time.monotonic() < deadline, log.read_text()
            proc.wait_any([child], 0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as reply:
            assert reply.read().decode() == "checkout ok (checkout)\n"
    finally:
        proc.kill_group(child)
        child.wait()


def test_host_reaches_the_pod_ip_over_the_bridge(pods):
    ip = kubectl(pods, "get", "pod", "checkout", "-o", "jsonpath={.status.podIP}").stdout
    assert ip.startswith("10.88.")
    with urllib.request.urlopen(f"http://{ip}:8080/", timeout=30) as reply:
        assert reply.read().decode().startswith("checkout ok")


def test_cp_copies_out_of_the_container(pods, tmp_path):
    kubectl(pods, "cp", "box:/etc/passwd", str(tmp_path / "passwd"))
    assert (tmp_path / "passwd").read_text() == images.PASSWD


def test_offline_images_are_imported(real_cluster):
    from deckops.localcluster import build

    names = images.listed(build.build_dir() / "bin" / "ctr", node.socket_path(real_cluster.name))
    assert set(images.offline_names()) <= set(names)


@pytest.mark.parametrize("args, what", [
    (["--privileged"], "privileged containers"),
    (["--overrides", json.dumps({"spec": {"hostPID": True}})], "host namespaces"),
    (["--overrides", json.dumps({"spec": {"volumes": [{"name": "h", "hostPath": {"path": "/"}}],
                                          "containers": [{"name": "x", "image": "busybox:1.36",
                                                          "volumeMounts": [{"name": "h", "mountPath": "/h"}]}]}})],
     "hostPath volumes"),
    (["--overrides", json.dumps({"spec": {"containers": [{"name": "x", "image": "busybox:1.36", "securityContext":
                                                          {"capabilities": {"add": ["SYS_ADMIN"]}}}]}})],
     "capabilities"),
])
def test_pods_never_get_the_host(real_cluster, args, what):
    """A deck's snippet cannot become root on this machine through the real node."""
    res = kubectl(real_cluster, "run", "escape", "--image=busybox:1.36", "--restart=Never", *args, check=False)
    assert res.returncode != 0 and what in res.stderr, res.stderr
    res = kubectl(real_cluster, "debug", f"node/{node.node_name(real_cluster.name)}", "--image=busybox:1.36",
                  "--profile=sysadmin", "--", "true", check=False)
    assert res.returncode != 0 and "deckops-no-host-access" in res.stderr, res.stderr


def test_a_second_real_node_is_one_line_exit_2(real_cluster):
    """One real node per machine: asking for another names the cluster that holds it (bad input: exit 2)."""
    from conftest import run_cli

    res = run_cli("cluster", "up", "--name", "deckops-second", "--nodes", "real")
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stderr.count("\n") == 1 and f"belongs to cluster {real_cluster.name}" in res.stderr, res.stderr
    assert not (node.node_dir("deckops-second")).exists()


HOST_DECK = """\
# Debug the node

```console
$ kubectl debug node/{node} --image=busybox:1.36 --profile=sysadmin -- true
...
```

# Only this namespace

```console
$ kubectl run p --image=busybox:1.36 --privileged --restart=Never --dry-run=server -o name
pod/p
$ kubectl run p --image=busybox:1.36 --privileged --restart=Never --dry-run=server -n default 2>&1 | grep -o 'denied request: privileged containers'
denied request: privileged containers
```
"""


def test_host_access_is_the_command_lines_and_only_for_the_runs_namespace(real_cluster, tmp_path):
    """Without --allow-host-access the cluster refuses a host-access pod even when the deck does not mark it
    (the refusal names the flag); with it, the run's own namespace may make one, `default` still may not, and
    afterwards the binding is as `cluster up` made it and the node-debugger pod is gone."""
    from conftest import run_cli
    from deckops.localcluster import hostguard

    deck = tmp_path / "talk.md"
    deck.write_text(HOST_DECK.format(node=node.node_name(real_cluster.name)))
    args = ("rehearse", "--cluster", "local", "--cluster-name", real_cluster.name, str(deck))
    res = run_cli(*args)
    assert res.returncode == 1 and "0 passed, 2 failed" in res.stdout, res.stdout + res.stderr
    assert "deckops-no-host-access" in res.stdout and "--allow-host-access" in res.stdout, res.stdout

    res = run_cli(*args, "--allow-host-access")
    assert res.returncode == 0 and "2 passed" in res.stdout, res.stdout + res.stderr
    assert "deleting the pods that used the host: node-debugger-" in res.stderr
    binding = json.loads(kubectl(real_cluster, "get", "validatingadmissionpolicybinding", hostguard.NAME,
                                 "-o", "json").stdout)
    assert hostguard.exempted(binding) == []
    assert kubectl(real_cluster, "get", "pods", "-A", "-l", "app.kubernetes.io/managed-by=kubectl-debug",
                   "-o", "name").stdout == ""
    assert hostguard.refuses(lambda *a, **kw: kubectl(real_cluster, *a, **kw))
