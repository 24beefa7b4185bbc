"""Where the local cluster's pins, binaries and per-cluster state live on disk."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .. import files

TOOLS_ENV = "DECKOPS_K8S_TOOLS"
STATE_SUBDIR = "clusters"


def cache_root() -> Path:
    """deckops' one cache folder (files.cache_home: $DECKOPS_CACHE, $XDG_CACHE_HOME/deckops, ~/.cache/deckops)."""
    return files.cache_home()


def tools_dir() -> Path:
    """The tools/k8s directory holding the pinned Go modules."""
    override = os.environ.get(TOOLS_ENV)
    if override:
        return Path(override).resolve()
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "tools" / "k8s"
        if (candidate / "kubernetes" / "go.mod").is_file():
            return candidate
    raise FileNotFoundError(f"cannot find tools/k8s (set {TOOLS_ENV})")


def state_dir(name: str) -> Path:
    """All state of cluster `name`; `down` removes this whole directory."""
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"bad cluster name: {name!r}")
    return cache_root() / STATE_SUBDIR / name


def kwok_workdir(name: str) -> Path:
    """KWOK_WORKDIR for this cluster; kwokctl keeps its files under clusters/<name>/ in it."""
    return state_dir(name) / "kwok"


def kwok_cluster_dir(name: str) -> Path:
    return kwok_workdir(name) / "clusters" / name


def kubeconfig_path(name: str) -> Path:
    return kwok_cluster_dir(name) / "kubeconfig.yaml"


def go_binary() -> str:
    """The Go toolchain: PATH first, then the usual /usr/local/go."""
    found = shutil.which("go")
    if found:
        return found
    fallback = Path("/usr/local/go/bin/go")
    if fallback.is_file():
        return str(fallback)
    raise FileNotFoundError("no Go toolchain: install Go >= 1.26 or put it on PATH")
