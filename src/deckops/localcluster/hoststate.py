"""What a real node changes on this machine, read before `up` and put back by `down` (REAL-NODE-FACTS.md)."""
from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path
from typing import Iterable

from .. import proc
from . import nftables

# The kubelet sets these at start (its "kernel defaults"; an oops then panics the VM); the bridge CNI turns
# on forwarding. Values are read before `up` and written back by `down`.
SYSCTLS = ("vm.overcommit_memory", "vm.panic_on_oom", "kernel.panic", "kernel.panic_on_oops",
           "kernel.keys.root_maxkeys", "kernel.keys.root_maxbytes", "net.ipv4.ip_forward",
           "net.ipv4.conf.all.forwarding", "net.ipv6.conf.all.forwarding")
# Paths the kubelet, containerd, runc and the CNI plugins use whatever their configuration says.
FIXED_PATHS = ("/var/lib/kubelet", "/var/log/containers", "/var/log/pods", "/var/lib/cni", "/run/containerd",
               "/run/nri", "/run/netns", "/run/runc", "/opt/containerd", "/var/lib/containerd", "/etc/cni",
               "/run/mount")  # (libmount's utab, made by the first mount the kubelet asks for)
CHAIN_PREFIXES = ("KUBE-", "CNI-")
CGROUP_ROOT = Path("/sys/fs/cgroup")
# top-level cgroups the kubelet (cgroupfs driver) and containerd make; their processes are pods' processes
NODE_CGROUPS = ("kubepods", "k8s.io")
TIMEOUT = 30


def _sysctl_path(key: str) -> Path:
    return Path("/proc/sys") / key.replace(".", "/")


def sysctls() -> dict[str, str]:
    out = {}
    for key in SYSCTLS:
        try:
            out[key] = _sysctl_path(key).read_text().strip()
        except OSError:
            continue
    return out


def mounts() -> list[str]:
    """Mount points of this mount namespace (the host's: deckops does not run in its own)."""
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].encode().decode("unicode_escape")
        points.append(point)
    return sorted(points)


def _tools(family: str) -> tuple[str | None, str | None]:
    return shutil.which(f"{family}-save"), shutil.which(family)


def _save(family: str) -> dict[str, list[str]]:
    """table -> its lines, from one plain `iptables-save` (which, unlike `-t TABLE` with the nft backend, lists
    only the tables that exist and creates none)."""
    save, _ = _tools(family)
    tables: dict[str, list[str]] = {}
    current = None
    for line in proc.run([save], timeout=TIMEOUT, check=False).stdout.splitlines() if save else ():
        if line.startswith("*"):
            current = tables.setdefault(line[1:].strip(), [])
        elif current is not None and line.startswith((":", "-A ")):
            current.append(line)
    return tables


def chains() -> dict[str, list[str]]:
    """'iptables/nat' -> the chains of that table (iptables and ip6tables; tables that exist)."""
    return {f"{family}/{table}": sorted(l[1:].split()[0] for l in lines if l.startswith(":"))
            for family in ("iptables", "ip6tables") for table, lines in _save(family).items()}


def interfaces() -> list[str]:
    return sorted(p.name for p in Path("/sys/class/net").iterdir())


def _hierarchies() -> list[Path]:
    if not CGROUP_ROOT.is_dir():
        return []
    if (CGROUP_ROOT / "cgroup.controllers").exists():  # cgroup v2 only
        return [CGROUP_ROOT]
    return sorted(p for p in CGROUP_ROOT.iterdir() if p.is_dir() and not p.is_symlink())


def cgroups() -> dict[str, list[str]]:
    """Top-level cgroups per hierarchy."""
    return {h.name: sorted(c.name for c in h.iterdir() if c.is_dir()) for h in _hierarchies()}


def paths() -> list[str]:
    return [p for p in FIXED_PATHS if os.path.lexists(p)]


def node_processes(markers: Iterable[str] = ()) -> list[str]:
    """Command lines of the processes a node runs: kubelet, containerd, shims, runc, and every process in a
    node cgroup (what the pods run). `markers` adds processes whose command line names them."""
    markers = tuple(m.encode() for m in markers)
    in_cgroups = _pids_in_node_cgroups()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        argv0 = os.path.basename(cmd.split(b"\0", 1)[0]).decode(errors="replace")
        if (int(entry.name) in in_cgroups or argv0 in ("kubelet", "containerd", "containerd-shim-runc-v2", "runc")
                or any(m in cmd for m in markers)):
            found.append(cmd.replace(b"\0", b" ").decode(errors="replace").strip())
    return sorted(found)


def _pids_in_node_cgroups() -> set[int]:
    pids: set[int] = set()
    for hierarchy in _hierarchies():
        for top in NODE_CGROUPS:
            for procs in (hierarchy / top).rglob("cgroup.procs") if (hierarchy / top).is_dir() else ():
                try:
                    pids.update(int(p) for p in procs.read_text().split())
                except OSError:
                    continue
    return pids


def snapshot(markers: Iterable[str] = ()) -> dict:
    """Everything `restore` puts back, and what the teardown test compares."""
    return {"sysctls": sysctls(), "mounts": mounts(), "chains": chains(), "interfaces": interfaces(),
            "cgroups": cgroups(), "paths": paths(), "processes": node_processes(markers)}


# --- putting it back ------------------------------------------------------------------------------

def kill_node_cgroups() -> None:
    """SIGKILL every process of the pods (their cgroups), until none is left."""
    deadline = time.monotonic() + TIMEOUT
    while (pids := _pids_in_node_cgroups()) and time.monotonic() < deadline:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


def unmount_under(prefixes: Iterable[str], keep: Iterable[str]) -> None:
    """Unmount (lazily, deepest first) every mount point under one of `prefixes` that `keep` does not list."""
    prefixes = tuple(str(p).rstrip("/") for p in prefixes)
    keep = set(keep)
    for point in sorted(set(mounts()) - keep, key=len, reverse=True):
        if any(point == p or point.startswith(p + "/") for p in prefixes):
            proc.run(["umount", "-l", point], timeout=TIMEOUT, check=False)


def remove_cgroups(before: dict[str, list[str]]) -> None:
    for hierarchy in _hierarchies():
        for top in set(cgroups().get(hierarchy.name, ())) - set(before.get(hierarchy.name, ())):
            _rmdir_tree(hierarchy / top)


def _rmdir_tree(path: Path) -> None:
    """A cgroup is removed with rmdir, children first (its files cannot be deleted)."""
    for child in sorted((p for p in path.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        _rmdir(child)
    _rmdir(path)


def _rmdir(path: Path) -> None:
    for _ in range(50):  # a cgroup is busy for a moment after its last process died
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)


def remove_chains(before: dict[str, list[str]]) -> None:
    """Delete the KUBE-*/CNI-* chains that were not there before, and the rules that jump to them; then the
    tables that were not there before (empty by then: nf_tables keeps a table the kubelet made)."""
    for family in ("iptables", "ip6tables"):
        _, tool = _tools(family)
        for table, lines in _save(family).items() if tool else ():
            known = set(before.get(f"{family}/{table}", ()))
            new = {l[1:].split()[0] for l in lines if l.startswith(":")} - known
            new = {c for c in new if c.startswith(CHAIN_PREFIXES)}
            for line in lines:  # rules in any chain that jump to a new chain
                words = line.split()
                if line.startswith("-A ") and "-j" in words and words[words.index("-j") + 1] in new:
                    proc.run([tool, "-t", table, "-D", *words[1:]], timeout=TIMEOUT, check=False)
            for op in ("-F", "-X"):
                for chain in new:
                    proc.run([tool, "-t", table, op, chain], timeout=TIMEOUT, check=False)
            if f"{family}/{table}" not in before:
                nftables.delete_table("ip" if family == "iptables" else "ip6", table)


def remove_interfaces(before: list[str], names: Iterable[str]) -> None:
    """Delete the bridge (and any veth left) that were not there before."""
    for name in set(interfaces()) - set(before):
        if name in set(names) or name.startswith("veth"):
            proc.run(["ip", "link", "delete", name], timeout=TIMEOUT, check=False)


def restore_sysctls(before: dict[str, str]) -> None:
    now = sysctls()
    for key, value in before.items():
        if now.get(key) != value:
            try:
                _sysctl_path(key).write_text(value + "\n")
            except OSError:
                continue


def remove_paths(before: list[str]) -> None:
    for path in set(paths()) - set(before):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def diff(before: dict, after: dict) -> dict[str, tuple]:
    """The keys whose value changed, with (before, after): what the teardown test prints when it fails."""
    return {k: (before.get(k), after.get(k)) for k in set(before) | set(after) if before.get(k) != after.get(k)}
