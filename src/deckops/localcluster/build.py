"""Builds the pinned kube/etcd/kwok binaries from tools/k8s into a cache keyed on the pins."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import logging
import re
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .. import proc
from . import paths

log = logging.getLogger(__name__)  # notes for the user: the commands layer shows them on stderr

RECIPE = "4"  # bump when the build recipe (flags, layout) changes
BUILD_TIMEOUT = 4 * 3600
GO_TIMEOUT = 600
STAMP = "build.json"
KUBE_CMDS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kubelet")
CONTAINERD_CMDS = ("containerd", "containerd-shim-runc-v2", "ctr")
BINARIES = KUBE_CMDS + ("etcd", "kwok", "kwokctl") + CONTAINERD_CMDS
# containerd's snapshotters that need C libraries or kernel features we do not use (overlayfs and native stay)
CONTAINERD_TAGS = "no_btrfs no_devmapper no_zfs no_aufs"
PROGRESS_EVERY = 20.0  # seconds between "N packages compiled" lines
# kwokctl's default stages (when a config brings its own, the defaults are dropped): copied
# from the pinned kwok module at build time so the cluster config can add one more.
KWOK_STAGES = (
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "kustomize/stage/pod/fast/pod-ready.yaml",
    "kustomize/stage/pod/fast/pod-complete.yaml",
    "kustomize/stage/pod/fast/pod-delete.yaml",
)


@dataclass(frozen=True)
class GoBuild:
    """One `go build` of one wrapper module; `out` is a file name (single package) or None (dir)."""

    module: str  # directory under tools/k8s
    packages: tuple[str, ...]
    out: str | None
    ldflags: Callable[[Path], list[str]]
    tags: str = ""


def _module_info(module_dir: Path, module: str) -> dict:
    argv = [paths.go_binary(), "list", "-m", "-json", module]
    res = proc.run(argv, cwd=module_dir, env=go_env(), timeout=GO_TIMEOUT)
    return json.loads(res.stdout)


def kube_version(tools: Path | None = None) -> str:
    """The pinned k8s.io/kubernetes version, read from the wrapper go.mod."""
    text = ((tools or paths.tools_dir()) / "kubernetes" / "go.mod").read_text()  # tools/k8s
    found = re.search(r"^\s*(?:require\s+)?k8s\.io/kubernetes\s+(v\S+)", text, re.M)
    if not found:
        raise ValueError("tools/k8s/kubernetes/go.mod does not require k8s.io/kubernetes")
    return found.group(1)


def _kube_ldflags(module_dir: Path) -> list[str]:
    info = _module_info(module_dir, "k8s.io/kubernetes")
    version = info["Version"]
    major, minor = version.lstrip("v").split(".")[:2]
    values = {"gitVersion": version, "gitMajor": major, "gitMinor": minor,
              "gitTreeState": "clean", "buildDate": info.get("Time", "")[:19] + "Z"}
    return [f"-X {pkg}.{key}={val}" for pkg in
            ("k8s.io/client-go/pkg/version", "k8s.io/component-base/version")
            for key, val in values.items()]


def _kwok_ldflags(module_dir: Path) -> list[str]:
    version = _module_info(module_dir, "sigs.k8s.io/kwok")["Version"].lstrip("v")
    kube = kube_version().lstrip("v")
    return [f"-X sigs.k8s.io/kwok/pkg/consts.Version={version}",
            f"-X sigs.k8s.io/kwok/pkg/consts.KubeVersion={kube}"]


def _containerd_ldflags(module_dir: Path) -> list[str]:
    version = _module_info(module_dir, "github.com/containerd/containerd/v2")["Version"]
    return [f"-X github.com/containerd/containerd/v2/version.Version={version}"]


TARGETS = (
    GoBuild("etcd", ("go.etcd.io/etcd/server/v3",), "etcd", lambda _d: []),
    GoBuild("kwok", ("sigs.k8s.io/kwok/cmd/kwok", "sigs.k8s.io/kwok/cmd/kwokctl"), None, _kwok_ldflags),
    GoBuild("kubernetes", tuple(f"k8s.io/kubernetes/cmd/{c}" for c in KUBE_CMDS), None, _kube_ldflags),
    GoBuild("containerd", tuple(f"github.com/containerd/containerd/v2/cmd/{c}" for c in CONTAINERD_CMDS), None,
           _containerd_ldflags, CONTAINERD_TAGS),
)


def go_env() -> dict[str, str]:
    """Environment for go: static binaries, the local toolchain, go.sum must already be complete."""
    env = dict(os.environ)
    env.update(CGO_ENABLED="0", GOTOOLCHAIN="local", GOFLAGS="-mod=readonly -buildvcs=false")
    return env


def pins_hash(tools: Path | None = None) -> str:
    """sha256 over every go.mod/go.sum of the build's modules (tools/k8s/*) plus the recipe."""
    root = tools or paths.tools_dir()
    digest = hashlib.sha256(f"recipe {RECIPE}\n".encode())
    for target in TARGETS:
        for file in sorted((root / target.module).glob("go.[ms][ou][dm]")):
            digest.update(f"{file.relative_to(root)}\n".encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def build_dir() -> Path:
    """~/.cache/deckops/k8s/<kube version>-<pins hash>/ (holds bin/, stages/, build.json)."""
    tools = paths.tools_dir()
    return paths.cache_root() / "k8s" / f"{kube_version(tools)}-{pins_hash(tools)[:12]}"


def is_built(where: Path | None = None) -> bool:
    where = where or build_dir()
    return (where / STAMP).is_file() and all((where / "bin" / b).is_file() for b in BINARIES)


def _go_build(target: GoBuild, bin_dir: Path, log: Path) -> float:
    """`go build -v` with its output in `log`; a line every PROGRESS_EVERY seconds says how far it is. ^C or a
    failure kills go and its compilers (one process group): an interrupted build leaves no process."""
    module_dir = paths.tools_dir() / target.module
    out = bin_dir / target.out if target.out else bin_dir
    flags = " ".join(["-s", "-w", *target.ldflags(module_dir)])
    argv = [paths.go_binary(), "build", "-v", "-trimpath", *(["-tags", target.tags] if target.tags else []),
            "-ldflags", flags, "-o", f"{out}{'' if target.out else os.sep}", *target.packages]
    start = time.monotonic()
    child = proc.spawn(argv, cwd=module_dir, env=go_env(), log=log)
    try:
        while not proc.wait_any([child], PROGRESS_EVERY):
            if time.monotonic() - start > BUILD_TIMEOUT:
                raise proc.ToolError(argv, f"timed out after {BUILD_TIMEOUT}s", stdout=_tail(log))
            _say(f"  {target.module}: {_count_lines(log)} packages compiled, {time.monotonic() - start:.0f}s")
    finally:
        proc.kill_group(child)
        child.wait()
    if child.returncode != 0:
        raise proc.ToolError(argv, "non-zero exit", child.returncode, _tail(log))
    return time.monotonic() - start


def _count_lines(log: Path) -> int:
    try:
        return log.read_bytes().count(b"\n")
    except OSError:
        return 0


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-8000:]
    except OSError:
        return ""


def _copy_stages(dest: Path) -> None:
    kwok_dir = Path(_module_info(paths.tools_dir() / "kwok", "sigs.k8s.io/kwok")["Dir"])  # tools/k8s/kwok
    dest.mkdir(parents=True, exist_ok=True)
    for rel in KWOK_STAGES:
        shutil.copyfile(kwok_dir / rel, dest / Path(rel).name)


def _say(msg: str) -> None:
    log.info(f"deckops cluster build: {msg}")


def _build_into(partial: Path) -> dict[str, float]:
    bin_dir = partial / "bin"
    bin_dir.mkdir(parents=True)
    timings: dict[str, float] = {}
    for target in TARGETS:
        log = partial / f"build-{target.module}.log"
        _say(f"go build {' '.join(target.packages)} (log: {log})")
        timings[target.module] = round(_go_build(target, bin_dir, log), 1)
        _say(f"  {target.module}: {timings[target.module]:.1f}s")
    _copy_stages(partial / "stages")
    return timings


@contextmanager
def _build_lock(final: Path):
    """One builder at a time per machine (parallel test sessions, CI steps)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    with open(final.parent / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure_built() -> Path:
    """Build all binaries unless the cache for the current pins is complete; returns the bin dir."""
    final = build_dir()
    if is_built(final):
        return final / "bin"
    with _build_lock(final):
        if not is_built(final):
            _build_atomically(final)
    return final / "bin"


def _build_atomically(final: Path) -> None:
    partial = final.with_name(final.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    start = time.monotonic()
    try:
        timings = _build_into(partial)
        stamp = {"pins": pins_hash(), "seconds": timings, "total": round(time.monotonic() - start, 1)}
        (partial / STAMP).write_text(json.dumps(stamp, indent=2) + "\n")
        shutil.rmtree(final, ignore_errors=True)
        partial.rename(final)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def stamp(where: Path | None = None) -> dict:
    """What the build recorded: pins, seconds per module, total."""
    try:
        return json.loads(((where or build_dir()) / STAMP).read_text())
    except (OSError, ValueError):
        return {}


def cache_size(where: Path | None = None) -> int:
    """Bytes used by one build directory."""
    where = where or build_dir()
    return sum(f.stat().st_size for f in where.rglob("*") if f.is_file())
