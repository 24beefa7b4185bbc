"""The local Kubernetes cluster (behind `deckops cluster`): upstream binaries built from Go modules, a real node,
kwok nodes."""
from __future__ import annotations

from pathlib import Path

from . import build, cluster, paths

DEFAULT_NAME = "deckops"
ACTIONS = ("build", "up", "down", "status", "kubeconfig", "images")

ensure_built = build.ensure_built
up = cluster.up
down = cluster.down
is_running = cluster.is_running

__all__ = ["ensure_built", "up", "down", "is_running", "kubectl_path", "kubeconfig_path"]


def kubectl_path() -> Path | None:
    """The kubectl built from the pinned k8s.io/kubernetes, or None if not built yet."""
    try:
        path = build.build_dir() / "bin" / "kubectl"
    except (FileNotFoundError, ValueError):
        return None
    return path if path.is_file() else None


def kubeconfig_path(name: str = DEFAULT_NAME) -> Path:
    return paths.kubeconfig_path(name)
