"""The real node: containerd and a kubelet on this machine, one per machine; the only module that runs them."""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import time
from pathlib import Path
from typing import Callable

import yaml

from .. import proc
from . import hoststate, images, paths

log = logging.getLogger(__name__)  # notes for the user: the commands layer shows them on stderr

CNI_DIR = Path("/usr/lib/cni")
CNI_PLUGINS = ("bridge", "host-local", "loopback")
BRIDGE = "cni-deckops"  # "cni" prefix: the rehearse guard counts addresses on it as local
SUBNET = "10.88.0.0/16"
# the cluster that owns this machine's real node: its name, then its node folder (clusters of another
# DECKOPS_CACHE, e.g. a test run from another clone, hold the same kubelet port and host state)
LOCK = Path("/run/deckops-real-node")
START_TIMEOUT = 60
STOP_TIMEOUT = 30
# Fake nodes get this taint, so pods run on the real node unless they tolerate it (scheduling demos may).
FAKE_TAINT = "kwok.x-k8s.io/node=fake:NoSchedule"


def node_name(name: str) -> str:
    return f"{name}-node"


def node_dir(name: str) -> Path:
    return paths.state_dir(name) / "node"


def socket_path(name: str) -> Path:
    return node_dir(name) / "containerd.sock"


def log_dir(name: str) -> Path:
    return node_dir(name) / "logs"


def runc() -> str | None:
    return shutil.which("runc") or next((p for p in ("/usr/sbin/runc", "/usr/bin/runc") if os.path.isfile(p)), None)


def _say(msg: str) -> None:
    log.info(f"deckops cluster: {msg}")


# --- prerequisites -------------------------------------------------------------------------------

def missing(name: str) -> list[str]:
    """Why a real node cannot run here (empty: it can). Binaries are not checked: `deckops cluster build`."""
    why = []
    if os.geteuid() != 0:
        why.append("not root (the kubelet and containerd need root)")
    if not runc():
        why.append("runc is not installed (apt-get install runc; setup.sh does)")
    if not all((CNI_DIR / p).is_file() for p in CNI_PLUGINS):
        why.append(f"CNI plugins are missing in {CNI_DIR} (apt-get install containernetworking-plugins)")
    if not images.BUSYBOX.is_file():
        why.append(f"{images.BUSYBOX} is missing (apt-get install busybox-static)")
    if len(str(socket_path(name))) > 100:
        why.append(f"the state folder's path is too long for a unix socket: {socket_path(name)}")
    holder = _holder()
    if holder and holder != (name, node_dir(name)):
        where = "" if holder[1] == node_dir(holder[0]) else f" of the cache folder {holder[1].parents[2]}"
        why.append(f"this machine's real node belongs to cluster {holder[0]}{where} "
                   f"(deckops cluster down --name {holder[0]})")
    return why


def owner() -> str | None:
    """The cluster that holds this machine's real node, if its state still exists."""
    holder = _holder()
    return holder[0] if holder else None


def _holder() -> tuple[str, Path] | None:
    """(name, node folder) of the holder, when that folder still exists (else the lock is stale)."""
    try:
        lines = LOCK.read_text().splitlines()
    except OSError:
        return None
    if not lines or not lines[0].strip():
        return None
    name = lines[0].strip()
    folder = Path(lines[1].strip()) if len(lines) > 1 and lines[1].strip() else node_dir(name)
    return (name, folder) if folder.is_dir() else None


# --- configuration --------------------------------------------------------------------------------

def containerd_config(name: str, bin_dir: Path) -> str:
    d = node_dir(name)
    cri = '[plugins."io.containerd.cri.v1.runtime"]'
    return f"""version = 3
root = "{d / 'containerd'}"
state = "{d / 'containerd-state'}"

[grpc]
  address = "{socket_path(name)}"
[ttrpc]
  address = "{socket_path(name)}.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "{d / 'opt'}"
[plugins."io.containerd.nri.v1.nri"]
  disable = true

{cri}
  # root here lacks CAP_SYS_RESOURCE: runc could not lower oom_score_adj (REAL-NODE-FACTS.md, blocker 1)
  restrict_oom_score_adj = true
  [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
      BinaryName = "{runc()}"
      SystemdCgroup = false
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["{CNI_DIR}"]
    conf_dir = "{d / 'cni'}"

[plugins."io.containerd.cri.v1.images"]
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "{images.SANDBOX_IMAGE}"
"""


def cni_config(name: str) -> dict:
    """The bridge CNI: pods get 10.88.x.x on the bridge, the host reaches them; no NAT, no host ports."""
    return {"cniVersion": "1.0.0", "name": "deckops", "plugins": [{
        "type": "bridge", "bridge": BRIDGE, "isGateway": True, "ipMasq": False, "hairpinMode": True,
        "ipam": {"type": "host-local", "ranges": [[{"subnet": SUBNET}]], "routes": [{"dst": "0.0.0.0/0"}],
                 "dataDir": str(node_dir(name) / "cni-ipam")}}]}


def kubelet_config(name: str, node_ip: str, ca: Path) -> dict:
    d = node_dir(name)
    endpoint = f"unix://{socket_path(name)}"
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
        "address": node_ip, "healthzBindAddress": "127.0.0.1",
        "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True},
                           "x509": {"clientCAFile": str(ca)}},
        "authorization": {"mode": "Webhook"},
        # cgroup v1 here, and no systemd (REAL-NODE-FACTS.md, blocker 2); no CAP_SYS_RESOURCE (blocker 1)
        "cgroupDriver": "cgroupfs", "failCgroupV1": False, "failSwapOn": False, "oomScoreAdj": 0,
        "containerRuntimeEndpoint": endpoint, "imageServiceEndpoint": endpoint,
        "podLogsDir": str(d / "pod-logs"), "staticPodPath": str(d / "manifests"), "readOnlyPort": 0,
        "evictionHard": {"memory.available": "1Mi", "nodefs.available": "1%", "nodefs.inodesFree": "1%",
                         "imagefs.available": "1%"},
        # images cannot be pulled again: never collect them
        "imageGCHighThresholdPercent": 100, "imageGCLowThresholdPercent": 99,
        "serializeImagePulls": False, "resolvConf": "/etc/resolv.conf",
    }


def host_ip() -> str:
    """The address the API server reaches the kubelet on: the one this machine routes out of (not loopback,
    which the kubelet refuses as a node IP)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 9))
            return s.getsockname()[0]
        except OSError:
            pass
    for line in proc.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], timeout=10).stdout.splitlines():
        return line.split()[3].split("/")[0]
    raise OSError("no IPv4 address to give the kubelet (it refuses loopback)")


def _write(name: str, bin_dir: Path, ca: Path) -> dict[str, Path]:
    d = node_dir(name)
    for sub in ("cni", "manifests", "pod-logs", "kubelet", "logs"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    files = {"containerd": d / "containerd.toml", "kubelet": d / "kubelet.yaml"}
    files["containerd"].write_text(containerd_config(name, bin_dir))
    (d / "cni" / "10-deckops.conflist").write_text(json.dumps(cni_config(name), indent=2) + "\n")
    files["kubelet"].write_text(yaml.safe_dump(kubelet_config(name, host_ip(), ca), sort_keys=False))
    return files


# --- start and stop -------------------------------------------------------------------------------

def _env(bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("LANG", "TZ")}
    env["PATH"] = f"{bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    env["HOME"] = os.environ.get("HOME", "/root")
    return env


def _wait(what: str, probe: Callable[[], bool], timeout: float, log: Path, child) -> None:
    """Until probe() holds; a child that exits meanwhile fails at once with the end of its log."""
    deadline = time.monotonic() + timeout
    while not probe():
        if child.poll() is not None:
            raise OSError(f"{what} exited with status {child.returncode}; log: {log}\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:g}s (log: {log})")
        time.sleep(0.2)


def _tail(log: Path, lines: int = 5) -> str:
    try:
        return "\n".join("  " + l for l in log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _ctr(name: str, bin_dir: Path, *args: str, check: bool = True, timeout: float = 30) -> proc.Result:
    return proc.run([bin_dir / "ctr", "--address", socket_path(name), *args], timeout=timeout, check=check,
                    env=_env(bin_dir))


def prepare(name: str, bin_dir: Path, ca: Path) -> None:
    """Everything before the kubelet, none of which needs the API server (so `up` runs it meanwhile): the
    host's state recorded (hoststate.snapshot, for `stop`), the configs, containerd, the offline images."""
    d = node_dir(name)
    d.mkdir(parents=True, exist_ok=True)
    LOCK.write_text(f"{name}\n{d}\n")
    (d / "host-before.json").write_text(json.dumps(hoststate.snapshot(), indent=1) + "\n")
    files = _write(name, bin_dir, ca)
    log = log_dir(name) / "containerd.log"
    containerd = proc.spawn([bin_dir / "containerd", "--config", files["containerd"]], env=_env(bin_dir), log=log)
    _wait("containerd", lambda: _ctr(name, bin_dir, "version", check=False).returncode == 0, START_TIMEOUT, log,
          containerd)
    images.import_all(bin_dir / "ctr", socket_path(name), images.ensure_built())


def start_kubelet(name: str, bin_dir: Path, kubeconfig: Path, node_ready: Callable[[], bool]) -> None:
    """The kubelet (after `prepare`); returns once the node is Ready."""
    d, log = node_dir(name), log_dir(name) / "kubelet.log"
    kubelet = proc.spawn([bin_dir / "kubelet", "--config", d / "kubelet.yaml", "--kubeconfig", kubeconfig,
                          "--root-dir", d / "kubelet", "--cert-dir", d / "kubelet-pki", "--node-ip", host_ip(),
                          "--hostname-override", node_name(name)], env=_env(bin_dir), log=log)
    _wait(f"kubelet of node {node_name(name)}", node_ready, START_TIMEOUT, log, kubelet)


def _pids(marker: str, argv0: str) -> list[int]:
    """Processes started from `argv0` whose command line names `marker` (this node's own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmd and os.path.basename(cmd.split(b"\0", 1)[0]) == argv0.encode():
                found.append(int(entry.name))
    return found


def _stop(pids: list[int], grace: float) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while any(Path(f"/proc/{p}").exists() and _alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _tasks(name: str, bin_dir: Path) -> list[str]:
    res = _ctr(name, bin_dir, "-n", "k8s.io", "tasks", "ls", "-q", check=False, timeout=15)
    return res.stdout.split() if res.returncode == 0 else []


def stop(name: str, bin_dir: Path, delete_pods: Callable[[], None] | None = None) -> None:
    """Put the machine back as `start` found it: pods deleted (the kubelet stops their sandboxes: CNI DEL),
    kubelet stopped, what is left killed, containerd and its shims stopped, mounts, the bridge, iptables
    chains, cgroups, the fixed paths removed and the sysctls restored. Safe to call on a half-started node."""
    d = node_dir(name)
    if not d.is_dir():
        return
    marker = str(d)
    if delete_pods and _pids(marker, "kubelet"):
        try:
            delete_pods()
            deadline = time.monotonic() + STOP_TIMEOUT
            while _tasks(name, bin_dir) and time.monotonic() < deadline:
                time.sleep(0.3)
        except (proc.ToolError, OSError) as exc:
            _say(f"could not delete the real node's pods, killing them: {exc}")
    _stop(_pids(marker, "kubelet"), 10)
    for task in _tasks(name, bin_dir):
        _ctr(name, bin_dir, "-n", "k8s.io", "tasks", "kill", "-s", "SIGKILL", task, check=False)
    hoststate.kill_node_cgroups()
    _stop(_pids(marker, "containerd"), 10)
    _stop(_pids(marker, "containerd-shim-runc-v2"), 5)
    restore(name)


def restore(name: str) -> None:
    d = node_dir(name)
    try:
        before = json.loads((d / "host-before.json").read_text())
    except (OSError, ValueError):
        before = None
    if before is None:  # started no node: nothing of ours to put back
        _release(name)
        return
    hoststate.kill_node_cgroups()
    hoststate.unmount_under([d, *hoststate.FIXED_PATHS], before["mounts"])
    hoststate.remove_interfaces(before["interfaces"], [BRIDGE])
    hoststate.remove_chains(before["chains"])
    hoststate.remove_cgroups(before["cgroups"])
    hoststate.remove_paths(before["paths"])
    hoststate.restore_sysctls(before["sysctls"])
    _release(name)


def _release(name: str) -> None:
    try:
        lines = LOCK.read_text().splitlines()
        if lines[:1] == [name] and (len(lines) < 2 or Path(lines[1]) == node_dir(name)):
            LOCK.unlink()
    except OSError:
        pass


def keep_logs(name: str) -> Path | None:
    """Copy a failed start's logs out of the state folder (which `down` removes); returns where."""
    src = log_dir(name)
    if not src.is_dir():
        return None
    dest = paths.cache_root() / "logs" / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    shutil.copytree(src, dest, dirs_exist_ok=True)
    return dest
