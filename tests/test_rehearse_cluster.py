"""The sandbox guard and kubeconfig handling (files only: nothing here talks to a cluster)."""
from __future__ import annotations

import pytest
import yaml

from deckops.rehearse import cluster

A = """\
current-context: kind-talk
clusters: [{name: kind, cluster: {server: "https://127.0.0.1:1", certificate-authority: certs/ca.crt}}]
users: [{name: me, user: {client-key: /abs/key.pem, client-certificate: me.crt}}]
contexts: [{name: kind-talk, context: {cluster: kind, user: me}}]
"""
B = """\
current-context: prod-eu-west
clusters: [{name: prod, cluster: {server: "https://10.0.0.1"}}, {name: kind, cluster: {server: "https://shadowed"}}]
users: [{name: admin, user: {token: x}}]
contexts: [{name: prod-eu-west, context: {cluster: prod, user: admin}}]
"""


@pytest.mark.parametrize("context, ok", [
    ("kind-talk", True), ("kwok-deckops", True), ("k3d-demo", True), ("minikube", True),
    ("docker-desktop", True), ("rancher-desktop", True), ("prod-eu-west", False), ("kind", False),
    ("my-kind-cluster", False), ("minikube-prod", False), ("lab-7", True),
])
def test_sandboxes(context, ok):
    assert cluster.is_sandbox(context, ["lab-*"]) is ok


def test_guard_refuses_with_name_and_override():
    with pytest.raises(cluster.ClusterError) as err:
        cluster.guard("prod-eu-west", [], [])
    assert "refusing" in str(err.value) and "'prod-eu-west'" in str(err.value)
    assert "--allow-context prod-eu-west" in str(err.value)
    assert cluster.guard("prod-eu-west", [], ["prod-eu-west"]) == "prod-eu-west"
    with pytest.raises(cluster.ClusterError, match="refusing"):
        cluster.guard(None, [], [])


def test_current_context_is_the_first_file_that_sets_one(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("clusters: []\n")
    b.write_text(B)
    assert cluster.current_context([tmp_path / "missing", a, b]) == "prod-eu-west"


def test_merged_copy_and_namespace(tmp_path):
    (tmp_path / "a").write_text(A)
    (tmp_path / "b").write_text(B)
    files = [tmp_path / "a", tmp_path / "b"]
    with cluster.existing(files, "kind-talk", "kubectl", tmp_path) as target:
        data = yaml.safe_load(target.kubeconfig.read_text())
        assert data["current-context"] == "kind-talk"
        assert [c["cluster"]["server"] for c in data["clusters"]] == ["https://127.0.0.1:1", "https://10.0.0.1"]
        assert data["clusters"][0]["cluster"]["certificate-authority"] == str(tmp_path / "certs" / "ca.crt")
        assert data["users"][0]["user"] == {"client-key": "/abs/key.pem",
                                            "client-certificate": str(tmp_path / "me.crt")}
        session = cluster.session_kubeconfig(target, "deckops-rehearse-abc123", tmp_path / "session")
    got = yaml.safe_load(session.read_text())
    assert got["contexts"] == [{"name": "kind-talk", "context": {"cluster": "kind", "user": "me",
                                                                 "namespace": "deckops-rehearse-abc123"}}]
    assert [c["name"] for c in got["clusters"]] == ["kind"] and [u["name"] for u in got["users"]] == ["me"]
    assert "prod" not in session.read_text()  # a snippet's `--context prod-eu-west` finds nothing
    assert (tmp_path / "a").read_text() == A and (tmp_path / "b").read_text() == B  # never modified


def test_unknown_context_is_a_clear_error(tmp_path):
    (tmp_path / "a").write_text(A)
    with pytest.raises(cluster.ClusterError, match="'kind-other' is not in"):
        with cluster.existing([tmp_path / "a"], "kind-other", "kubectl", tmp_path):
            pass


FAKE_KUBECTL = """#!/bin/sh
# a kubectl double: the namespace's default ServiceAccount appears on the third look (its controller is late)
echo "$*" >> "$0.log"
case "$*" in
  *"get serviceaccount default"*) n=$(grep -c "get serviceaccount" "$0.log"); [ "$n" -ge 3 ] || exit 1;
    echo serviceaccount/default;;
esac
"""


def test_the_namespace_is_used_once_its_default_serviceaccount_exists(tmp_path, monkeypatch):
    """Pods in a namespace whose `default` ServiceAccount is not made yet are refused; a fresh namespace is
    handed to the snippets only once it is there."""
    kubectl = tmp_path / "kubectl"
    kubectl.write_text(FAKE_KUBECTL)
    kubectl.chmod(0o755)
    (tmp_path / "kc").write_text(A)
    target = cluster.Cluster(tmp_path / "kc", "kind-talk", str(kubectl))
    with cluster.namespace(target, tmp_path, keep=False) as (name, _):
        calls = (tmp_path / "kubectl.log").read_text().splitlines()
    assert calls[0].endswith(f"create namespace {name}")
    assert [c.split("--context kind-talk ")[1] for c in calls[1:]] == \
        [f"get serviceaccount default -n {name} -o name"] * 3
    # a cluster that never makes one: the wait ends and the rehearsal goes on
    (tmp_path / "kubectl.log").write_text("")
    monkeypatch.setattr(cluster, "SERVICEACCOUNT_TIMEOUT", 0.5)
    kubectl.write_text(FAKE_KUBECTL.replace('[ "$n" -ge 3 ]', "false"))
    with cluster.namespace(target, tmp_path, keep=True) as (name, _):
        pass


PODS_KUBECTL = """#!/bin/sh
# a kubectl double for --allow-host-access's clean-up: two pods, one of them kubectl debug node/'s
echo "$*" >> "$0.log"
case "$*" in
  *"get pods"*) cat <<'JSON'
{"items": [{"metadata": {"name": "checkout"}, "spec": {"containers": [{"name": "app"}]}},
           {"metadata": {"name": "node-debugger-n-x2kqp"}, "spec": {"hostPID": true, "hostNetwork": true,
            "containers": [{"name": "debugger", "securityContext": {"privileged": true}}]}}]}
JSON
  ;;
esac
"""


@pytest.mark.parametrize("nodes", ["", "real"])
def test_host_access_exempts_only_on_the_real_node_and_always_deletes_the_host_pods(tmp_path, monkeypatch, nodes):
    """kind or a context of yours has no deckops policy: nothing to exempt, but the pods that used the host are
    deleted at the end all the same; on the local real node the namespace is exempted first and guarded again
    before the pods go, also when the rehearsal fails."""
    from deckops.localcluster import hostguard

    kubectl = tmp_path / "kubectl"
    kubectl.write_text(PODS_KUBECTL)
    kubectl.chmod(0o755)
    (tmp_path / "kc").write_text(A)
    target = cluster.Cluster(tmp_path / "kc", "kind-talk", str(kubectl), nodes)
    events = []
    monkeypatch.setattr(hostguard, "exempt", lambda run, ns, on=True: events.append(("exempt", ns, on)))
    with pytest.raises(KeyboardInterrupt):
        with cluster.host_access(target, "deckops-rehearse-abc123"):
            events.append("run")
            raise KeyboardInterrupt
    calls = [c.split("--context kind-talk ")[1] for c in (tmp_path / "kubectl.log").read_text().splitlines()]
    deletes = [c for c in calls if c.startswith("delete")]
    assert deletes == ["delete pod -n deckops-rehearse-abc123 node-debugger-n-x2kqp --grace-period=1 --wait=true "
                       "--timeout=60s"]
    guarded = [("exempt", "deckops-rehearse-abc123", True), "run", ("exempt", "deckops-rehearse-abc123", False)]
    assert events == (guarded if nodes == "real" else ["run"])
