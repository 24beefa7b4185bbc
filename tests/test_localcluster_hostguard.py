"""The real node's admission policy, without a cluster: the binding that leaves a rehearsal's namespace out
(--allow-host-access), what counts as a pod that uses the host, and the read-change-replace of the binding.
The policy against the real API server: tests/test_localcluster_real.py."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from deckops.localcluster import hostguard


def test_the_binding_covers_every_namespace_but_the_exempted_ones():
    assert "matchResources" not in hostguard.binding()["spec"]
    spec = hostguard.binding(["ns-b", "ns-a"])["spec"]
    assert spec["matchResources"]["namespaceSelector"]["matchExpressions"] == [
        {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["ns-a", "ns-b"]}]
    assert hostguard.exempted(hostguard.binding(["ns-b", "ns-a"])) == ["ns-a", "ns-b"]
    assert hostguard.exempted(hostguard.binding()) == []
    # a selector on any other label exempts nothing: only the name label is set by the API server itself
    other = {"spec": {"matchResources": {"namespaceSelector": {"matchExpressions": [
        {"key": "team", "operator": "NotIn", "values": ["x"]}]}}}}
    assert hostguard.exempted(other) == []


NODE_DEBUGGER = {"spec": {"hostPID": True, "hostNetwork": True, "hostIPC": True,
                          "volumes": [{"name": "host-root", "hostPath": {"path": "/"}}],
                          "containers": [{"name": "debugger", "securityContext": {"privileged": True}}]}}


@pytest.mark.parametrize("spec, uses", [
    (NODE_DEBUGGER["spec"], True),  # kubectl debug node/... --profile=sysadmin
    ({"hostNetwork": True, "containers": [{"name": "c"}]}, True),  # --profile=netadmin
    ({"containers": [{"name": "c"}], "volumes": [{"name": "h", "hostPath": {"path": "/etc"}}]}, True),
    ({"containers": [{"name": "c"}], "initContainers": [{"name": "i", "securityContext": {"privileged": True}}]},
     True),
    ({"containers": [{"name": "c", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}, True),
    ({"containers": [{"name": "c"}], "ephemeralContainers": [
        {"name": "d", "securityContext": {"capabilities": {"add": ["SYS_PTRACE"]}}}]}, False),  # debug --target
    ({"containers": [{"name": "c"}], "volumes": [{"name": "e", "emptyDir": {}}], "hostPID": False}, False),
])
def test_uses_host_reads_what_the_policy_refuses(spec, uses):
    assert hostguard.uses_host({"spec": spec}) is uses


class FakeKubectl:
    """The binding in a dict; `replace` conflicts `conflicts` times (another run changed it in between); the
    dry-run probe is refused unless the namespace is exempted."""

    def __init__(self, conflicts: int = 0, exempt=()):
        self.obj = hostguard.binding(exempt)
        self.obj["metadata"]["resourceVersion"] = "1"
        self.conflicts, self.calls = conflicts, []

    def __call__(self, *args, check=True, input=None):
        self.calls.append(args[0])
        if args[:2] == ("get", "validatingadmissionpolicybinding"):
            return SimpleNamespace(returncode=0, stdout=json.dumps(self.obj), stderr="")
        if args[0] == "replace":
            new = json.loads(input)
            if self.conflicts or new["metadata"]["resourceVersion"] != self.obj["metadata"]["resourceVersion"]:
                self.conflicts -= 1
                self.obj["metadata"]["resourceVersion"] = str(int(self.obj["metadata"]["resourceVersion"]) + 1)
                return SimpleNamespace(returncode=1, stdout="", stderr="Operation cannot be fulfilled: the object "
                                       "has been modified; please apply your changes to the latest version")
            self.obj = new
            return SimpleNamespace(returncode=0, stdout="", stderr="")
        namespace = args[-1]
        refused = namespace not in hostguard.exempted(self.obj)
        return SimpleNamespace(returncode=int(refused), stdout="", stderr=hostguard.NAME if refused else "")


def test_exempt_adds_and_removes_only_its_namespace_and_waits_until_the_server_acts():
    fake = FakeKubectl(conflicts=2, exempt=["other-run"])
    hostguard.exempt(fake, "mine")
    assert hostguard.exempted(fake.obj) == ["mine", "other-run"]
    assert fake.calls.count("replace") == 3  # two conflicts read again, then written
    hostguard.exempt(fake, "mine", on=False)
    assert hostguard.exempted(fake.obj) == ["other-run"]  # the other run's exemption is left alone
    hostguard.exempt(fake, "other-run", on=False)
    assert "matchResources" not in fake.obj["spec"]  # back to the binding `cluster up` installed


def test_a_replace_that_fails_for_another_reason_is_an_error():
    fake = FakeKubectl()

    def kubectl(*args, check=True, input=None):
        if args[0] == "replace":
            return SimpleNamespace(returncode=1, stdout="", stderr="forbidden")
        return fake(*args, check=check, input=input)

    with pytest.raises(RuntimeError, match="forbidden"):
        hostguard.exempt(kubectl, "mine")
