"""Container images built on this machine from local sources (no registry), imported into the node's containerd."""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .. import proc
from . import paths

RECIPE = "1"  # bump when a layer's layout changes
BUSYBOX = Path("/bin/busybox")  # Debian busybox-static: one static binary with every applet
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"
GROUP = "root:x:0:\nnobody:x:65534:\n"
GO_TIMEOUT = 900
IMPORT_TIMEOUT = 120
SANDBOX_IMAGE = "registry.k8s.io/pause:3.10"
# Tags every node gets. A bare name (busybox, busybox:1.36) resolves to docker.io/library/...
NAMES = {
    "busybox": ("docker.io/library/busybox:1.36", "docker.io/library/busybox:latest"),
    "pause": (SANDBOX_IMAGE,),
    "checkout": ("deckops.local/checkout:1.0",),
}
BUILD_HINT = "deckops cluster images"


@dataclass(frozen=True)
class Layer:
    """One image: its single layer's files and its config."""
    files: dict[str, bytes | str | None]  # path -> content, "->target" for a symlink, None for a folder
    config: dict


def _go_programs(out: Path) -> None:
    src = paths.tools_dir() / "images"
    env = dict(os.environ, CGO_ENABLED="0", GOTOOLCHAIN="local", GOFLAGS="-mod=readonly -buildvcs=false")
    proc.run([paths.go_binary(), "build", "-trimpath", "-ldflags", "-s -w", "-o", f"{out}{os.sep}",
              "./pause", "./checkout"], cwd=src, env=env, timeout=GO_TIMEOUT)


def _busybox_layer(_programs: Path) -> Layer:
    if not BUSYBOX.is_file():
        raise FileNotFoundError(f"{BUSYBOX} is missing: install Debian's busybox-static (setup.sh does)")
    listing = proc.run([BUSYBOX, "--list-full"], timeout=30).stdout.split()
    files: dict[str, bytes | str | None] = {d: None for d in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "root",
                                                              "home", "var", "tmp", "proc", "sys", "dev")}
    files["bin/busybox"] = BUSYBOX.read_bytes()
    for applet in listing:
        if applet != "bin/busybox":
            files[applet] = "->/bin/busybox"
    files["etc/passwd"], files["etc/group"] = PASSWD, GROUP
    return Layer(files, {"Env": [PATH_ENV], "Cmd": ["sh"]})


def _program_layer(name: str, **config) -> Callable[[Path], Layer]:
    def layer(programs: Path) -> Layer:
        return Layer({name: (programs / name).read_bytes()}, {"Env": [PATH_ENV], "Entrypoint": [f"/{name}"],
                                                              **config})
    return layer


BUILDERS: dict[str, Callable[[Path], Layer]] = {
    "busybox": _busybox_layer,
    "pause": _program_layer("pause"),
    "checkout": _program_layer("checkout", ExposedPorts={"8080/tcp": {}}),
}


def _layer_tar(files: dict[str, bytes | str | None]) -> bytes:
    """A reproducible tar: sorted, owned by root, time 0."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            content = files[name]
            info = tarfile.TarInfo(name)
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o1777 if name == "tmp" else 0o755
                tar.addfile(info)
            elif isinstance(content, str) and content.startswith("->"):
                info.type, info.linkname = tarfile.SYMTYPE, content[2:]
                tar.addfile(info)
            else:
                data = content.encode() if isinstance(content, str) else content
                info.size, info.mode = len(data), 0o755 if data[:4] == b"\x7fELF" else 0o644
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def docker_archive(layer: Layer, tags: tuple[str, ...]) -> bytes:
    """The `docker save` format, which `ctr images import` reads: one layer, one config, the tags."""
    blob = _layer_tar(layer.files)
    diff_id = "sha256:" + hashlib.sha256(blob).hexdigest()
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": layer.config,
                         "rootfs": {"type": "layers", "diff_ids": [diff_id]}}, sort_keys=True).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    layer_name = diff_id[7:] + "/layer.tar"
    manifest = json.dumps([{"Config": config_name, "RepoTags": list(tags), "Layers": [layer_name]}]).encode()
    return _layer_tar({config_name: config, diff_id[7:]: None, layer_name: blob, "manifest.json": manifest})


def sources_hash() -> str:
    digest = hashlib.sha256(f"recipe {RECIPE}\n{json.dumps(NAMES, sort_keys=True)}\n".encode())
    for file in sorted((paths.tools_dir() / "images").rglob("*")):
        if file.is_file():
            digest.update(file.read_bytes())
    if BUSYBOX.is_file():
        digest.update(hashlib.sha256(BUSYBOX.read_bytes()).digest())
    return digest.hexdigest()[:12]


def images_dir() -> Path:
    return paths.cache_root() / "images" / sources_hash()


# what `rehearse --cluster kind` and the talk-repo workflow load into kind (kind has its own pause image)
KIND_LOADED = ("busybox", "checkout")


def built() -> dict[str, Path] | None:
    """name -> tar when every image is in the cache, else None (nothing is built here)."""
    where = images_dir()
    tars = {name: where / f"{name}.tar" for name in BUILDERS}
    return tars if all(t.is_file() for t in tars.values()) else None


def ensure_built() -> dict[str, Path]:
    """Every image as a docker-archive tar in the cache (built when missing); name -> tar."""
    tars = built()
    if tars:
        return tars
    where = images_dir()
    tars = {name: where / f"{name}.tar" for name in BUILDERS}
    partial = where.with_name(where.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        _go_programs(partial / "bin")
        for name, builder in BUILDERS.items():
            (partial / f"{name}.tar").write_bytes(docker_archive(builder(partial / "bin"), NAMES[name]))
        shutil.rmtree(partial / "bin")
        shutil.rmtree(where, ignore_errors=True)
        partial.rename(where)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return tars


def import_all(ctr: Path, address: Path, tars: dict[str, Path]) -> list[str]:
    """Import the tars into the node's containerd (namespace k8s.io, the CRI's); returns the names."""
    for tar in tars.values():
        proc.run([ctr, "--address", address, "-n", "k8s.io", "images", "import", "--no-unpack=false", tar],
                 timeout=IMPORT_TIMEOUT)
    return listed(ctr, address)


def listed(ctr: Path, address: Path) -> list[str]:
    res = proc.run([ctr, "--address", address, "-n", "k8s.io", "images", "ls", "-q"], timeout=IMPORT_TIMEOUT)
    return sorted(n for n in res.stdout.split() if not n.startswith("sha256:"))


# --- what a deck may name --------------------------------------------------------------------------

def normalize(ref: str) -> str:
    """An image reference as containerd names it: busybox -> docker.io/library/busybox:latest."""
    name, digest = (ref.split("@", 1) + [""])[:2]
    if re.search(r":[^/]+$", name) is None:
        name += ":latest"
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = "docker.io/library/" + name
    elif not ("." in first or ":" in first or first == "localhost"):
        name = "docker.io/" + name
    return name + ("@" + digest if digest else "")


def offline_names() -> list[str]:
    return sorted(n for names in NAMES.values() for n in names)


def is_available(ref: str, available: list[str] | None = None) -> bool:
    return normalize(ref) in (offline_names() if available is None else available)


def unavailable_message(ref: str) -> str:
    known = ", ".join(sorted({n.removeprefix("docker.io/library/") for n in offline_names()}))
    return (f"image {ref} is not available offline (no registry is reachable from the local node); build it with "
            f"`{BUILD_HINT}` (images: {known}) or skip the snippet")

