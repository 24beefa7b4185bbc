"""deckops' own marp-cli: the pinned @marp-team/marp-cli installed with npm into deckops' cache."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

from . import _shipped, files, proc
from .errors import UsageError

PACKAGE = "@marp-team/marp-cli"
NPM_TIMEOUT = 900  # 156 packages, ~136 MB on a cold npm cache
NODE_FIX = "sudo apt-get install -y nodejs npm"  # Debian/Ubuntu; marp-cli 4 needs Node >= 18


def pinned_version() -> str:
    """The marp-cli version deckops is tested with (its package.json, shipped with the package)."""
    return json.loads(_shipped.path("package.json").read_text(encoding="utf-8"))["dependencies"][PACKAGE]


def cache_dir(version: str | None = None) -> Path:
    """$DECKOPS_CACHE/node/<version> (default ~/.cache/deckops/node/<version>)."""
    return files.cache_home() / "node" / (version or pinned_version())


def cached_marp(version: str | None = None) -> Path | None:
    exe = cache_dir(version) / "node_modules" / ".bin" / "marp"
    return exe if exe.is_file() else None


def node_tools() -> tuple[str, str]:
    """node and npm on PATH; exit 2 with the install command when either is missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        missing = " and ".join(n for n, p in (("node", node), ("npm", npm)) if not p)
        raise UsageError(f"{missing} not found: marp-cli needs Node.js >= 18 and npm; install them with "
                         f"`{NODE_FIX}`, then run `deckops setup`")
    return node, npm


def install(*, force: bool = False) -> Path:
    """Install the pinned marp-cli into the cache (once per machine and version) and verify it; its path."""
    _node, npm = node_tools()
    final = cache_dir()
    final.parent.mkdir(parents=True, exist_ok=True)
    with open(final.parent / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel renders on a fresh machine install once
        if force:
            shutil.rmtree(final, ignore_errors=True)
        if cached_marp() is None:
            _install_into(final, npm)
    exe = cached_marp()
    verify(exe)
    return exe


def _install_into(final: Path, npm: str) -> None:
    partial = final.with_name(f"{final.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(_shipped.path(name), partial / name)
        env = {**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1", "PUPPETEER_SKIP_CHROMIUM_DOWNLOAD": "1"}
        # --omit=dev: deckops' own benchmark tools (devDependencies) are not needed to render
        proc.run([npm, "ci", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"], cwd=partial, env=env,
                 timeout=NPM_TIMEOUT)
        shutil.rmtree(final, ignore_errors=True)
        partial.rename(final)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def verify(exe: Path) -> str:
    """`marp --version` runs and reports the pinned version; returns its first line."""
    out = proc.run([str(exe), "--version"], timeout=120).stdout.strip()
    want = pinned_version()
    if want not in out:
        raise proc.ToolError([str(exe), "--version"], f"expected marp-cli {want}, got {out!r}")
    return out.splitlines()[0]
