"""Renders the kwokctl config: local binaries only, kwok's default stages, ephemeral containers, logs."""
from __future__ import annotations

import random
import socket
from datetime import datetime, timezone
from pathlib import Path

import yaml

# The ports kwokctl would otherwise choose itself, counting down from 32767 in every process: two clusters
# created at the same time (two test sessions, a demo) got the same ones and one failed with
# `bind: address already in use`. A random free block below the ephemeral range (32768-60999, where outgoing
# connections take their ports) makes a collision between two concurrent `up`s about 1 in 1,500.
PORT_KEYS = ("etcdPort", "etcdPeerPort", "kubeApiserverPort", "kwokControllerPort", "kubeControllerManagerPort",
             "kubeSchedulerPort")
PORT_RANGE = (20000, 32700)


def _port_free(port: int) -> bool:
    for host in ("127.0.0.1", ""):  # as kwokctl checks: loopback and every address
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                return False
    return True


def pick_ports(count: int = len(PORT_KEYS), attempts: int = 200) -> list[int]:
    """`count` consecutive free ports at a random place in PORT_RANGE."""
    rng = random.SystemRandom()
    for _ in range(attempts):
        base = rng.randrange(PORT_RANGE[0], PORT_RANGE[1] - count)
        ports = list(range(base, base + count))
        if all(_port_free(p) for p in ports):
            return ports
    raise OSError(f"no {count} free ports between {PORT_RANGE[0]} and {PORT_RANGE[1]}")

# Gives `kubectl debug` (non-interactive) containers a status: kwok's default pod stages never
# touch .status.ephemeralContainerStatuses. A debug container "runs" its command at once and
# exits 0 (nothing is executed: kwok has no container runtime).
EPHEMERAL_STAGE = {
    "apiVersion": "kwok.x-k8s.io/v1alpha1",
    "kind": "Stage",
    "metadata": {"name": "deckops-pod-ephemeral-containers"},
    "spec": {
        "resourceRef": {"apiGroup": "v1", "kind": "Pod"},
        "selector": {"matchExpressions": [
            {"key": ".metadata.deletionTimestamp", "operator": "DoesNotExist"},
            {"key": ".status.phase", "operator": "In", "values": ["Running"]},
            {"key": "[.spec.ephemeralContainers[]?.name] - [.status.ephemeralContainerStatuses[]?.name]"
                    " | length > 0", "operator": "In", "values": ["true"]},
        ]},
        "next": {"statusTemplate": """\
{{ $now := Now }}
ephemeralContainerStatuses:
{{ range .spec.ephemeralContainers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  ready: false
  restartCount: 0
  state:
    terminated:
      exitCode: 0
      reason: Completed
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
{{ end }}
"""},
    },
}

# kwok serves files in the CRI log format (`<RFC3339 time> <stream> <F|P> <line>`).
LOG_LINES = (
    "deckops local cluster: this pod is simulated by kwok, no container runs.",
    "These lines come from {path}",
)


def log_text(path: Path) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return "".join(f"{stamp} stdout F {line.format(path=path)}\n" for line in LOG_LINES)


def cluster_logs(log_file: Path) -> dict:
    """Every container of every pod serves `log_file` to `kubectl logs`."""
    return {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "ClusterLogs",
        "metadata": {"name": "deckops-all-pods"},
        "spec": {"selector": {}, "logs": [{"logsFile": str(log_file), "follow": False}]},
    }


# The real node: kwokctl starts kwok with --manage-all-nodes=true, which would take over the kubelet's
# node too; the last flag wins, so kwok manages only the nodes `kwokctl scale node` makes (they carry
# this annotation). The API server needs a client certificate for the kubelet (exec, logs,
# port-forward): the cluster's admin one, which the kubelet's clientCAFile (the cluster CA) accepts.
FAKE_NODE_SELECTOR = "kwok.x-k8s.io/node=fake"


def _arg(key: str, value: str, override: bool = False) -> dict:
    """override: replace kwokctl's own flag (it must exist); otherwise appended."""
    return {"key": key, "value": value, "override": override}


def real_node_patches(pki: Path) -> list[dict]:
    return [
        {"name": "kwok-controller", "extraArgs": [
            _arg("manage-all-nodes", "false", override=True),
            _arg("manage-nodes-with-annotation-selector", FAKE_NODE_SELECTOR)]},
        {"name": "kube-apiserver", "extraArgs": [
            _arg("kubelet-client-certificate", str(pki / "admin.crt")),
            _arg("kubelet-client-key", str(pki / "admin.key")),
            # the real node's name is not in DNS: reach it on its IP; fake nodes have only a Hostname (localhost)
            _arg("kubelet-preferred-address-types", "InternalIP,Hostname")]},
    ]


def kwokctl_options(bin_dir: Path, kube_version: str, patches: list[dict] | None = None,
                    ports: list[int] | None = None) -> dict:
    """KwokctlConfiguration: binary runtime, every binary a local path so nothing is downloaded; the
    components' ports (PORT_KEYS) when given."""
    b = {name: str(bin_dir / name) for name in
         ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl",
          "etcd", "kwok", "etcdctl", "etcdutl", "kectl")}
    return {
        "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
        "kind": "KwokctlConfiguration",
        "options": {
            "runtime": "binary", "kubeVersion": kube_version, "bindAddress": "127.0.0.1",
            "kubeApiserverBinary": b["kube-apiserver"], "kubeControllerManagerBinary": b["kube-controller-manager"],
            "kubeSchedulerBinary": b["kube-scheduler"], "kubectlBinary": b["kubectl"],
            "etcdBinary": b["etcd"], "kwokControllerBinary": b["kwok"],
            # not built: pointing at absent local files makes kwokctl fail instead of downloading
            "etcdctlBinary": b["etcdctl"], "etcdutlBinary": b["etcdutl"], "kectlBinary": b["kectl"],
            **dict(zip(PORT_KEYS, ports or ())),
        },
        **({"componentsPatches": patches} if patches else {}),
    }


def default_stages(stages_dir: Path) -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted(stages_dir.glob("*.yaml"))]


def render(bin_dir: Path, kube_version: str, log_file: Path, pki: Path | None = None) -> str:
    """The multi-document YAML passed to `kwokctl --config`; with `pki` (the cluster's), ready for a real node."""
    patches = real_node_patches(pki) if pki else None
    docs = [kwokctl_options(bin_dir, kube_version, patches, pick_ports()),
            *default_stages(bin_dir.parent / "stages"), EPHEMERAL_STAGE, cluster_logs(log_file)]
    return yaml.safe_dump_all(docs, sort_keys=False)


def write(state: Path, bin_dir: Path, kube_version: str, pki: Path | None = None) -> Path:
    """Write the log file and the config under the cluster's state dir; returns the config path."""
    state.mkdir(parents=True, exist_ok=True)
    log_file = state / "container.log"
    log_file.write_text(log_text(log_file))
    config = state / "kwokctl.yaml"
    config.write_text(render(bin_dir, kube_version, log_file, pki))
    return config
