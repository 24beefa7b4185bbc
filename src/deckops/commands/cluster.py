"""`deckops cluster`: build, start, stop and show the local cluster (localcluster/), one line per fact."""
from __future__ import annotations

import sys
import time

from .. import localcluster, proc
from ..localcluster import build, cluster, images, node, paths


def _build(_name: str, _nodes: str | None) -> int:
    start = time.monotonic()
    cached = build.is_built()
    bin_dir = build.ensure_built()
    took = time.monotonic() - start
    size = build.cache_size(bin_dir.parent) / 2**20
    state = "cached" if cached else "built"
    print(f"{state} {len(build.BINARIES)} binaries in {took:.1f}s ({size:.0f} MiB): {bin_dir}")
    stamp = build.stamp()
    if stamp:
        print("build times: " + ", ".join(f"{m} {s:.0f}s" for m, s in stamp.get("seconds", {}).items())
              + f" (total {stamp.get('total', 0):.0f}s)")
    return 0


def _up(name: str, nodes: str | None) -> int:
    start = time.monotonic()
    kubeconfig = localcluster.up(name, nodes)
    mode = cluster.nodes_of(name) or "fake"
    what = f"real node {node.node_name(name)} + {cluster.NODES} kwok nodes" if mode == "real" else \
        f"{cluster.NODES} kwok nodes"
    print(f"cluster {name} ready in {time.monotonic() - start:.1f}s (context kwok-{name}; {what})")
    print(kubeconfig)
    return 0


def _images(name: str, _nodes: str | None) -> int:
    """Build the offline images (cached) and import them into the running real node, if any."""
    start = time.monotonic()
    tars = images.ensure_built()
    print(f"images built in {time.monotonic() - start:.1f}s: {tars['busybox'].parent} "
          "(docker archives: `kind load image-archive FILE` loads one into kind)")
    if localcluster.is_running(name) and cluster.nodes_of(name) == "real":
        bin_dir = build.build_dir() / "bin"
        names = images.import_all(bin_dir / "ctr", node.socket_path(name), tars)
        print(f"imported into {node.node_name(name)}:")
    else:
        names = images.offline_names()
        print(f"cluster {name} has no real node running; `deckops cluster up` imports them:")
    for ref in names:
        print(f"  {ref}")
    return 0


def _down(name: str, _nodes: str | None) -> int:
    localcluster.down(name)
    print(f"cluster {name} is down")
    return 0


def _status(name: str, _nodes: str | None) -> int:
    built = build.is_built()
    print(f"binaries: {'built' if built else 'not built'} ({build.build_dir()})")
    running = built and localcluster.is_running(name)
    print(f"cluster {name}: {'running' if running else 'not running'}"
          + ((" (a real node and kwok nodes)" if cluster.nodes_of(name) == "real" else " (kwok nodes only)")
             if running else ""))
    if running:
        print(cluster.kubectl(name, "get", "nodes", "-o", "wide").stdout.rstrip())
        print(f"kubeconfig: {paths.kubeconfig_path(name)}")
    return 0 if running else 3


def _kubeconfig(name: str, _nodes: str | None) -> int:
    path = paths.kubeconfig_path(name)
    if not path.is_file():
        print(f"deckops cluster: {name} is not up (run `deckops cluster up --name {name}`)", file=sys.stderr)
        return 1
    print(path)
    return 0


_HANDLERS = {"build": _build, "up": _up, "down": _down, "status": _status, "kubeconfig": _kubeconfig,
             "images": _images}


def run(args) -> int:
    """`deckops cluster {build,up,down,status,kubeconfig,images} [--name N] [--nodes real|fake]`."""
    action = getattr(args, "action", None)
    name = getattr(args, "name", None) or localcluster.DEFAULT_NAME
    nodes = getattr(args, "nodes", None)
    if action not in _HANDLERS:
        print(f"deckops cluster: unknown action {action!r} (one of {', '.join(localcluster.ACTIONS)})", file=sys.stderr)
        return 2
    try:
        return _HANDLERS[action](name, nodes)
    except ValueError as exc:  # bad input: a bad name, --nodes real where it cannot run
        print(f"deckops cluster {action}: {exc}", file=sys.stderr)
        return 2
    except (proc.ToolError, TimeoutError, FileNotFoundError, OSError) as exc:
        print(f"deckops cluster {action}: {exc}", file=sys.stderr)
        return 1
