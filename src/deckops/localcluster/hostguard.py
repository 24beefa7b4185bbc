"""The real node's admission policy: no pod gets the host (privileged, host namespaces, hostPath, capabilities).

The real node runs containers as root on this machine, and a deck's snippets come from a repository that takes
pull requests: `kubectl run --privileged` or a hostPath volume would hand a snippet root on the speaker's laptop,
outside every rehearsal isolation (docs/security.md). Pod Security's `baseline` level would do, but it also
refuses SYS_PTRACE, which `kubectl debug --target` adds (the flagship's demo), so the policy is a CEL
ValidatingAdmissionPolicy: baseline's host rules, baseline's capabilities plus SYS_PTRACE.
"""
from __future__ import annotations

import time
from typing import Callable

NAME = "deckops-no-host-access"
WHY = "refused on the deckops local cluster: pods on its real node never get this machine (docs/security.md)"
CAPABILITIES = ("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
                "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT", "SYS_PTRACE")
_SC = "!has(c.securityContext) || "
RULES = (
    ("!(has(object.spec.hostPID) && object.spec.hostPID) && !(has(object.spec.hostNetwork) && "
     "object.spec.hostNetwork) && !(has(object.spec.hostIPC) && object.spec.hostIPC)",
     "host namespaces (hostPID, hostNetwork, hostIPC)"),
    ("!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))", "hostPath volumes"),
    (f"variables.containers.all(c, {_SC}!has(c.securityContext.privileged) || !c.securityContext.privileged)",
     "privileged containers"),
    (f"variables.containers.all(c, {_SC}!has(c.securityContext.capabilities) || "
     "!has(c.securityContext.capabilities.add) || c.securityContext.capabilities.add.all(x, x in "
     f"{list(CAPABILITIES)}))", "capabilities beyond Kubernetes' baseline and SYS_PTRACE"),
)
CONTAINERS = ("object.spec.containers"
              " + (has(object.spec.initContainers) ? object.spec.initContainers : [])"
              " + (has(object.spec.ephemeralContainers) ? object.spec.ephemeralContainers : [])")


def manifests() -> list[dict]:
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": NAME},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [{
                "apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                "resources": ["pods", "pods/ephemeralcontainers"]}]},
            "variables": [{"name": "containers", "expression": CONTAINERS}],
            "validations": [{"expression": rule, "message": f"{what}: {WHY}"} for rule, what in RULES],
        },
    }
    binding = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
               "metadata": {"name": NAME}, "spec": {"policyName": NAME, "validationActions": ["Deny"]}}
    return [policy, binding]


PROBE = ("run", "deckops-hostguard-probe", "--image=busybox:1.36", "--privileged", "--restart=Never",
         "--dry-run=server", "-n", "default")


def install(kubectl: Callable[..., object], refused: Callable[[], bool], timeout: float = 60) -> None:
    """Apply the policy and wait until the API server enforces it (a privileged dry run is refused)."""
    import yaml

    kubectl("apply", "-f", "-", input=yaml.safe_dump_all(manifests(), sort_keys=False))
    deadline = time.monotonic() + timeout
    while not refused():
        if time.monotonic() > deadline:
            raise TimeoutError(f"admission policy {NAME} not enforced after {timeout:g}s")
        time.sleep(0.3)
