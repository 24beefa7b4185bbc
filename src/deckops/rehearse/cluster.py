"""The only module that knows kubeconfig contexts, the sandbox guard, throwaway clusters and namespaces."""
from __future__ import annotations

import fnmatch
import ipaddress
import json
import logging
import os
import shutil
import string
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Literal, Sequence

from .. import proc
from ..errors import UsageError
from ..files import FileError, read_checked

log = logging.getLogger(__name__)  # notes for the user: the commands layer shows them on stderr

SANDBOXES = ("kind-*", "kwok-*", "k3d-*", "minikube", "docker-desktop", "rancher-desktop")
KUBECTL_TIMEOUT = 60
SERVICEACCOUNT_TIMEOUT = 30
_FILE_KEYS = ("certificate-authority", "client-certificate", "client-key", "tokenFile")


class ClusterError(UsageError):
    """No usable cluster (refused context, missing kind/Docker, a cluster that would not start): exit 2."""


@dataclass(frozen=True)
class Cluster:
    """The cluster a rehearsal runs on: how to reach it, and what its nodes can do."""

    kubeconfig: Path
    context: str
    kubectl: str  # the kubectl binary snippets get on PATH
    nodes: Literal["real", "fake", ""] = ""  # the local cluster's nodes ("": not a local cluster)
    # can pods use this image? None: any (a registry is reachable, or kwok never pulls)
    image_available: Callable[[str], bool] | None = None


def _say(msg: str) -> None:
    log.info(f"deckops rehearse: {msg}")


# --- reading kubeconfig files ourselves (no kubectl: nothing may reach a refused cluster) ---------

def kubeconfig_files(explicit: Path | None) -> list[Path]:
    if explicit:
        return [Path(explicit)]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    return [Path.home() / ".kube" / "config"]


def _load(path: Path) -> dict:
    """A kubeconfig file as kubectl reads it; a missing one is empty. Type and size are checked before
    reading (`--kubeconfig /dev/zero` read 2.6 GB, a FIFO hung)."""
    import yaml

    if not os.path.lexists(path):
        return {}
    try:
        data = yaml.safe_load(read_checked(Path(path), "kubeconfig").decode("utf-8"))
    except FileError as exc:
        raise ClusterError(str(exc)) from None
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else "nested too deeply"
        raise ClusterError(f"{path}: cannot read kubeconfig: {why}") from None
    return data if isinstance(data, dict) else {}


def current_context(files: Sequence[Path]) -> str | None:
    """The first current-context among the files, as kubectl merges them."""
    for path in files:
        name = _load(path).get("current-context")
        if name:
            return str(name)
    return None


def is_sandbox(context: str, extra: Sequence[str] = ()) -> bool:
    return any(fnmatch.fnmatchcase(context, pat) for pat in (*SANDBOXES, *extra))


def guard(context: str | None, extra: Sequence[str], allowed: Sequence[str], server: str | None = None) -> str:
    """Refuse a context that is not a known sandbox, before anything is sent to it. A built-in sandbox name
    (kind-*, minikube, ...) is only a name anyone can give any cluster: its server must be local too. What
    the user named (sandbox-contexts in their own config, --allow-context) is trusted as named."""
    if not context:
        raise ClusterError("refusing to rehearse: no kubeconfig context is selected (use --cluster local, "
                           "--cluster kind or --context NAME)")
    if context in allowed or any(fnmatch.fnmatchcase(context, pat) for pat in extra):
        return context
    hint = (f"add it to sandbox-contexts in {USER_CONFIG_HINT} or pass --allow-context {context}")
    if is_sandbox(context):
        if server is not None and is_local_server(server):
            return context
        raise ClusterError(f"refusing to rehearse against context {context!r}: its name is a sandbox's but its "
                           f"server {server or '(none)'} is not on this machine (loopback or a local container "
                           f"network); {hint}")
    known = ", ".join((*SANDBOXES, *extra))
    raise ClusterError(f"refusing to rehearse against context {context!r}: it is not a known sandbox ({known}); "
                       f"{hint}")


USER_CONFIG_HINT = "~/.config/deckops/config.toml"
# names that resolve to this machine by convention (Docker Desktop writes kubernetes.docker.internal into
# /etc/hosts as 127.0.0.1); any other name would need DNS, which can say anything
_LOCAL_NAMES = ("localhost", "kubernetes.docker.internal", "host.docker.internal")
_BRIDGES = ("docker", "br-", "virbr", "podman", "cni", "kind", "vboxnet", "vmnet", "lxdbr", "lxcbr", "minikube")


def server_of(files: Sequence[Path], context: str) -> str | None:
    """The API server address a context points to (its cluster's `server`), from the merged files."""
    data = merged(files)
    ctx = next((c for c in data["contexts"] if c.get("name") == context), None)
    body = ctx.get("context") if isinstance(ctx, dict) else None
    name = body.get("cluster") if isinstance(body, dict) else None
    cluster = next((c for c in data["clusters"] if c.get("name") == name), None)
    info = cluster.get("cluster") if isinstance(cluster, dict) else None
    server = info.get("server") if isinstance(info, dict) else None
    return str(server) if server else None


def is_local_server(server: str, routes: Sequence[tuple[str, int, int]] | None = None) -> bool:
    """True for a loopback address or name, or an address on a local container network (a directly
    connected route on a bridge interface: docker0, br-*, virbr*, ...). A private address elsewhere is not
    local: production VPCs use 10/8 and 172.16/12 too."""
    from urllib.parse import urlsplit

    try:
        host = urlsplit(server if "://" in server else f"https://{server}").hostname or ""
    except ValueError:
        return False
    if host.lower().rstrip(".") in _LOCAL_NAMES:
        return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    if addr.is_loopback:
        return True
    if addr.version != 4:
        return False
    return any(int(addr) & mask == net for iface, net, mask in (local_bridge_routes() if routes is None else routes)
               if iface.startswith(_BRIDGES))


def local_bridge_routes() -> list[tuple[str, int, int]]:
    """(interface, network, mask) of the directly connected IPv4 routes (/proc/net/route, gateway 0)."""
    try:
        lines = Path("/proc/net/route").read_text().splitlines()[1:]
    except OSError:
        return []
    routes = []
    for line in lines:
        f = line.split()
        if len(f) >= 8 and int(f[2], 16) == 0:  # no gateway: on the link
            net, mask = (int.from_bytes(bytes.fromhex(x), "little") for x in (f[1], f[7]))
            routes.append((f[0], net, mask))
    return routes


# --- where the cluster comes from -----------------------------------------------------------------

def find_kubectl(configured: str = "") -> str:
    if configured:
        return configured
    try:
        from .. import localcluster

        built = localcluster.kubectl_path()
    except ImportError:
        built = None
    return str(built) if built else (shutil.which("kubectl") or "kubectl")


@contextmanager
def local(name: str, keep: bool) -> Iterator[Cluster]:
    """The local control plane: brought up (and down after) unless it already runs."""
    from .. import localcluster

    try:
        started = not localcluster.is_running(name)
        if started:
            _say(f"starting the local cluster {name} (deckops cluster up --name {name})")
        kubeconfig = localcluster.up(name)
    except (OSError, ValueError, TimeoutError, proc.ToolError) as exc:
        raise ClusterError(f"--cluster local: the local cluster {name} did not start: {exc}") from None
    nodes = localcluster.cluster.nodes_of(name) or "fake"
    available = localcluster.images.is_available if nodes == "real" else None
    try:
        yield Cluster(Path(kubeconfig), f"kwok-{name}", str(localcluster.kubectl_path() or find_kubectl()), nodes,
                     available)
    finally:
        if started and not keep:
            localcluster.down(name)


@contextmanager
def kind(tmp: Path, keep: bool) -> Iterator[Cluster]:
    """A throwaway kind cluster, deleted at the end (also on ^C) unless --keep."""
    binary = shutil.which("kind")
    if not binary:
        raise ClusterError("--cluster kind: `kind` is not installed (https://kind.sigs.k8s.io); it also needs "
                           "a running Docker daemon. Use --cluster local for the built-in control plane.")
    docker = proc.run(["docker", "info"], timeout=30, check=False) if shutil.which("docker") else None
    if docker is None or docker.returncode != 0:
        raise ClusterError("--cluster kind: Docker is not available (`docker info` failed); kind needs it. "
                           "Use --cluster local for the built-in control plane.")
    name = "deckops-" + _token()
    kubeconfig = tmp / "kind.kubeconfig"
    try:
        proc.run([binary, "create", "cluster", "--name", name, "--kubeconfig", kubeconfig, "--wait", "180s"],
                 timeout=600)
        _load_offline_images(binary, name)
        yield Cluster(kubeconfig, f"kind-{name}", find_kubectl())
    finally:
        if keep:
            _say(f"kept kind cluster {name} (delete it with: kind delete cluster --name {name})")
        else:
            proc.run([binary, "delete", "cluster", "--name", name, "--kubeconfig", kubeconfig],
                     timeout=300, check=False)


def _load_offline_images(binary: str, name: str) -> None:
    """The images the local real node runs (busybox from busybox-static, the flagship's demo app, which is in
    no registry), when `deckops cluster images` has built them; kind pulls the rest. Never builds here."""
    from ..localcluster import images

    tars = images.built()
    if tars is None:
        _say(f"the offline images are not built (`{images.BUILD_HINT}`): kind pulls every image, and "
             f"{images.NAMES['checkout'][0]} is in no registry")
        return
    for image in images.KIND_LOADED:
        proc.run([binary, "load", "image-archive", tars[image], "--name", name], timeout=300)
    _say(f"loaded {', '.join(images.NAMES['busybox'] + images.NAMES['checkout'])} into kind")


@contextmanager
def existing(files: Sequence[Path], context: str, kubectl: str, tmp: Path) -> Iterator[Cluster]:
    """The user's cluster; the kubeconfig files are merged (first name wins, as kubectl does) into a copy."""
    import yaml

    data = merged(files)
    if not any(c.get("name") == context for c in data["contexts"]):
        raise ClusterError(f"context {context!r} is not in {os.pathsep.join(map(str, files))}")
    data["current-context"] = context
    path = tmp / "target.kubeconfig"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    path.chmod(0o600)
    yield Cluster(path, context, kubectl)


def merged(files: Sequence[Path]) -> dict:
    data: dict = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}
    for path in files:
        doc = _absolute(_load(path), Path(path).resolve().parent)
        for section in ("clusters", "users", "contexts"):
            seen = {e.get("name") for e in data[section]}
            data[section] += [e for e in doc.get(section) or () if isinstance(e, dict) and e.get("name") not in seen]
    return data


def _absolute(data: dict, base: Path) -> dict:
    """Credential file paths are relative to their kubeconfig: make them absolute before copying it."""
    for section, key in (("clusters", "cluster"), ("users", "user")):
        for entry in data.get(section) or ():
            body = entry.get(key) if isinstance(entry, dict) else None
            for k in _FILE_KEYS if isinstance(body, dict) else ():
                if isinstance(body.get(k), str) and not os.path.isabs(body[k]):
                    body[k] = str(base / body[k])
    return data


# --- one fresh namespace per rehearsal ------------------------------------------------------------

def _token(n: int = 6) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(alphabet[b % len(alphabet)] for b in os.urandom(n))


def kubectl(target: Cluster, *args: str, check: bool = True, input: str | None = None,
            timeout: float = KUBECTL_TIMEOUT) -> proc.Result:
    return proc.run([target.kubectl, "--kubeconfig", target.kubeconfig, "--context", target.context, *args],
                    timeout=timeout, check=check, input=input)


def session_kubeconfig(target: Cluster, namespace: str, dest: Path) -> Path:
    """A copy of the kubeconfig with only the target's context (namespace set), cluster and user: the user's
    file is never touched, and a snippet's `--context other` finds no other cluster to reach."""
    import yaml

    data = _absolute(_load(target.kubeconfig), target.kubeconfig.resolve().parent)
    ctx = next(c for c in data.get("contexts") or () if c.get("name") == target.context)
    body = ctx.setdefault("context", {})
    body["namespace"] = namespace
    only = {
        "apiVersion": "v1", "kind": "Config", "current-context": target.context, "contexts": [ctx],
        "clusters": [c for c in data.get("clusters") or () if c.get("name") == body.get("cluster")],
        "users": [u for u in data.get("users") or () if u.get("name") == body.get("user")],
    }
    dest.write_text(yaml.safe_dump(only, sort_keys=False), encoding="utf-8")
    dest.chmod(0o600)
    return dest


def _wait_default_serviceaccount(target: Cluster, namespace: str) -> None:
    """A new namespace's `default` ServiceAccount is made by a controller, a moment later (longer on a busy
    machine): a pod created before it is refused (`serviceaccount "default" not found`). Wait for it; after
    the timeout the snippets run anyway and kubectl's own message says what is wrong."""
    deadline = time.monotonic() + SERVICEACCOUNT_TIMEOUT
    while kubectl(target, "get", "serviceaccount", "default", "-n", namespace, "-o", "name",
                  check=False).returncode != 0 and time.monotonic() < deadline:
        time.sleep(0.2)


@contextmanager
def namespace(target: Cluster, tmp: Path, keep: bool) -> Iterator[tuple[str, Path]]:
    """Create deckops-rehearse-<random>; yield (name, session kubeconfig); delete it at the end, even on ^C."""
    name = "deckops-rehearse-" + _token()
    kubectl(target, "create", "namespace", name)
    try:
        _wait_default_serviceaccount(target, name)
        yield name, session_kubeconfig(target, name, tmp / "kubeconfig")
    finally:
        if keep:
            _say(f"kept namespace {name}")
        else:
            kubectl(target, "delete", "namespace", name, "--wait=false", check=False)


# --- --allow-host-access --------------------------------------------------------------------------

HOST_PODS_TIMEOUT = 60


@contextmanager
def host_access(target: Cluster, namespace: str) -> Iterator[None]:
    """Let the run's own namespace have pods with the host's namespaces and files (--allow-host-access, the
    command line only), and take that back at the end, also on ^C: the local cluster's admission policy leaves
    that namespace out until then; on every cluster the pods that use the host are deleted, and waited for,
    before the namespace goes (even with --keep)."""
    from ..localcluster import hostguard

    run = lambda *a, **kw: kubectl(target, *a, **kw)  # noqa: E731
    guarded = target.nodes == "real"  # the policy exists on the local cluster's real node
    try:
        if guarded:
            try:
                hostguard.exempt(run, namespace)
            except (RuntimeError, TimeoutError, proc.ToolError) as exc:
                raise ClusterError(f"--allow-host-access: cannot exempt namespace {namespace}: {exc}") from None
        yield
    finally:
        try:
            if guarded:
                hostguard.exempt(run, namespace, on=False)
        except (RuntimeError, TimeoutError, proc.ToolError) as exc:
            log.warning(f"deckops rehearse: warning: namespace {namespace} may still be exempt from "
                        f"{hostguard.NAME} (it is being deleted): {exc}")
        finally:
            _delete_host_pods(target, namespace)


def _delete_host_pods(target: Cluster, namespace: str) -> None:
    from ..localcluster import hostguard

    res = kubectl(target, "get", "pods", "-n", namespace, "-o", "json", check=False)
    try:
        items = json.loads(res.stdout).get("items", []) if res.returncode == 0 else []
    except (ValueError, AttributeError):  # not kubectl's JSON: nothing to go on
        items = []
    names = [p["metadata"]["name"] for p in items if isinstance(p, dict) and hostguard.uses_host(p)]
    if names:
        _say(f"deleting the pods that used the host: {', '.join(names)}")
        kubectl(target, "delete", "pod", "-n", namespace, *names, "--grace-period=1", "--wait=true",
                f"--timeout={HOST_PODS_TIMEOUT}s", check=False, timeout=HOST_PODS_TIMEOUT + 30)
