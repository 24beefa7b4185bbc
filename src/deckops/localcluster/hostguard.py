"""The real node's admission policy: no pod gets the host (privileged, host namespaces, hostPath, capabilities).

The real node runs containers as root on this machine, and a deck's snippets come from a repository that takes
pull requests: `kubectl run --privileged` or a hostPath volume would hand a snippet root on the speaker's laptop,
outside every rehearsal isolation (docs/security.md). Pod Security's `baseline` level would do, but it also
refuses SYS_PTRACE, which `kubectl debug --target` adds (the flagship's demo), so the policy is a CEL
ValidatingAdmissionPolicy: baseline's host rules, baseline's capabilities plus SYS_PTRACE.

The one exception is a rehearsal started with --allow-host-access (the command line only): its own namespace is
left out of the policy's binding for that run and put back after it (`exempt`), so a `kubectl debug node/...`
slide can run there and nowhere else.
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable, Sequence

NAME = "deckops-no-host-access"
WHY = ("refused on the deckops local cluster: pods on its real node never get this machine, unless the rehearsal "
       "runs with --allow-host-access (its own namespace, for that run; docs/security.md)")
# set by the API server from the namespace's name on every write, whatever a client sends: a namespace cannot
# pretend to be the exempted one
NAME_LABEL = "kubernetes.io/metadata.name"
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
    return [policy, binding()]


def binding(exempt: Sequence[str] = ()) -> dict:
    """The policy's binding: every namespace but those in `exempt` (the namespaces of running rehearsals with
    --allow-host-access)."""
    spec: dict = {"policyName": NAME, "validationActions": ["Deny"]}
    if exempt:
        spec["matchResources"] = {"namespaceSelector": {"matchExpressions": [
            {"key": NAME_LABEL, "operator": "NotIn", "values": sorted(exempt)}]}}
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": NAME}, "spec": spec}


def exempted(obj: dict) -> list[str]:
    """The namespaces a binding read from the API server leaves out."""
    selector = ((obj.get("spec") or {}).get("matchResources") or {}).get("namespaceSelector") or {}
    return sorted({v for e in selector.get("matchExpressions") or () if e.get("key") == NAME_LABEL
                   and e.get("operator") == "NotIn" for v in e.get("values") or ()})


def uses_host(pod: dict) -> bool:
    """What the policy refuses, read from a pod (the clean-up after an --allow-host-access run deletes these)."""
    spec = pod.get("spec") or {}
    containers = [c for k in ("containers", "initContainers", "ephemeralContainers") for c in spec.get(k) or ()]
    added = {c for x in containers for c in (((x.get("securityContext") or {}).get("capabilities") or {})
                                             .get("add") or ())}
    return (any(spec.get(k) for k in ("hostPID", "hostNetwork", "hostIPC"))
            or any("hostPath" in v for v in spec.get("volumes") or ())
            or any((x.get("securityContext") or {}).get("privileged") for x in containers)
            or not added <= set(CAPABILITIES))


Kubectl = Callable[..., Any]  # kubectl(*args, check=True, input=None) -> proc.Result of that cluster


def probe(namespace: str) -> tuple[str, ...]:
    return ("run", "deckops-hostguard-probe", "--image=busybox:1.36", "--privileged", "--restart=Never",
            "--dry-run=server", "-n", namespace)


def refuses(kubectl: Kubectl, namespace: str = "default") -> bool:
    """Does the API server refuse a privileged pod in `namespace` now (a server-side dry run: nothing is made)?"""
    res = kubectl(*probe(namespace), check=False)
    return res.returncode != 0 and NAME in res.stderr


def install(kubectl: Kubectl, timeout: float = 60) -> None:
    """Apply the policy and wait until the API server enforces it (a privileged dry run is refused)."""
    import yaml

    kubectl("apply", "-f", "-", input=yaml.safe_dump_all(manifests(), sort_keys=False))
    _until(lambda: refuses(kubectl), timeout, f"admission policy {NAME} not enforced")


def exempt(kubectl: Kubectl, namespace: str, on: bool = True, timeout: float = 60) -> None:
    """Leave `namespace` out of the policy (on) or put it back (off), and wait until the API server acts on it.
    Read, change, replace with the resourceVersion read: two runs on one cluster do not undo each other's
    change (a conflict is read again)."""
    for _ in range(10):
        current = json.loads(kubectl("get", "validatingadmissionpolicybinding", NAME, "-o", "json").stdout)
        names = set(exempted(current))
        new = binding(sorted(names | {namespace} if on else names - {namespace}))
        new["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        res = kubectl("replace", "-f", "-", input=json.dumps(new), check=False)
        if res.returncode == 0:
            break
        if "the object has been modified" not in res.stderr:
            raise RuntimeError(f"kubectl replace of {NAME} failed: {res.stderr.strip()}")
    else:
        raise RuntimeError(f"{NAME}: changed by someone else 10 times in a row")
    _until(lambda: refuses(kubectl, namespace) != on, timeout,
           f"{NAME}: namespace {namespace} {'exempted' if on else 'guarded again'}")


def _until(done: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} after {timeout:g}s")
        time.sleep(0.3)
