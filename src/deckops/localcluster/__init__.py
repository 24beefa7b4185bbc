"""The local Kubernetes control plane (`deckops cluster`): real upstream binaries built from Go modules, kwok nodes."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from .. import proc
from . import build, cluster, paths

DEFAULT_NAME = "deckops"
ACTIONS = ("build", "up", "down", "status", "kubeconfig")

ensure_built = build.ensure_built
up = cluster.up
down = cluster.down
is_running = cluster.is_running

__all__ = ["run", "ensure_built", "up", "down", "is_running", "kubectl_path", "kubeconfig_path"]


def kubectl_path() -> Path | None:
    """The kubectl built from the pinned k8s.io/kubernetes, or None if not built yet."""
    try:
        path = build.build_dir() / "bin" / "kubectl"
    except (FileNotFoundError, ValueError):
        return None
    return path if path.is_file() else None


def kubeconfig_path(name: str = DEFAULT_NAME) -> Path:
    return paths.kubeconfig_path(name)


def _build(_name: str) -> int:
    start = time.monotonic()
    cached = build.is_built()
    bin_dir = build.ensure_built()
    took = time.monotonic() - start
    size = build.cache_size(bin_dir.parent) / 2**20
    state = "cached" if cached else "built"
    print(f"{state} {len(build.BINARIES)} binaries in {took:.1f}s ({size:.0f} MiB): {bin_dir}")
    return 0


def _up(name: str) -> int:
    start = time.monotonic()
    kubeconfig = up(name)
    print(f"cluster {name} ready in {time.monotonic() - start:.1f}s (context kwok-{name})")
    print(kubeconfig)
    return 0


def _down(name: str) -> int:
    down(name)
    print(f"cluster {name} is down")
    return 0


def _status(name: str) -> int:
    built = build.is_built()
    print(f"binaries: {'built' if built else 'not built'} ({build.build_dir()})")
    running = built and is_running(name)
    print(f"cluster {name}: {'running' if running else 'not running'}")
    if running:
        print(cluster.kubectl(name, "get", "nodes", "-o", "wide").stdout.rstrip())
        print(f"kubeconfig: {paths.kubeconfig_path(name)}")
    return 0 if running else 3


def _kubeconfig(name: str) -> int:
    path = paths.kubeconfig_path(name)
    if not path.is_file():
        print(f"deckops cluster: {name} is not up (run `deckops cluster up --name {name}`)", file=sys.stderr)
        return 1
    print(path)
    return 0


_HANDLERS = {"build": _build, "up": _up, "down": _down, "status": _status, "kubeconfig": _kubeconfig}


def run(args) -> int:
    """Entry for `deckops cluster {build,up,down,status,kubeconfig} [--name N]`."""
    action = getattr(args, "action", None)
    name = getattr(args, "name", None) or DEFAULT_NAME
    if action not in _HANDLERS:
        print(f"deckops cluster: unknown action {action!r} (one of {', '.join(ACTIONS)})", file=sys.stderr)
        return 2
    try:
        return _HANDLERS[action](name)
    except (proc.ToolError, TimeoutError, FileNotFoundError, ValueError) as exc:
        print(f"deckops cluster {action}: {exc}", file=sys.stderr)
        return 1
