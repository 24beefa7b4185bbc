"""The lint result cache: a deck's findings replayed without a parse while nothing they depend on has changed.

An entry's name is the sha256 of everything a deck's findings are a function of: the deck's bytes and path, the
config, deckops' version and its own source (the rule set), and the schema. Inside the entry are the findings
and the world they were computed in: the state (real path, type, size, mtime) of every file the deck may name,
of the theme folders, of the repository's marp set-up files, of the dictionaries and of the tools (bash,
shellcheck, kubectl). A replay re-checks that state with stat calls only; one difference and the deck is linted.

The cache lives in deckops' cache folder (files.cache_home), never in a repository, and each entry is signed
with the user's key (files.user_key): an entry from anywhere else (a repository that commits one, a shared
DECKOPS_CACHE) never matches, so a poisoned cache cannot hide a finding.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import stat
import sys
from dataclasses import fields
from pathlib import Path

from .. import __version__, files
from ..config import Config
from ..diagnostic import Diagnostic, Pos
from ..helpers import lexically_inside

SCHEMA = 1
PACKAGE = Path(__file__).resolve().parent.parent
DICT_DIRS = ("/usr/share/hunspell", "/usr/share/myspell", "/usr/share/myspell/dicts", "/usr/local/share/hunspell")
TOOLS = ("bash", "shellcheck", "kubectl")
_SOURCE: str | None = None


def source_fingerprint() -> str:
    """deckops' own files (rules, data, version): a changed or upgraded deckops never replays older findings."""
    global _SOURCE
    if _SOURCE is None:
        h = hashlib.sha256(__version__.encode())
        for folder, dirs, names in sorted(os.walk(PACKAGE)):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(names):
                st = os.stat(os.path.join(folder, name))
                h.update(f"{folder}/{name}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        _SOURCE = h.hexdigest()
    return _SOURCE


def _plain(value):
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if hasattr(value, "items"):
        return sorted((str(k), _plain(v)) for k, v in value.items())
    return str(value)


def config_fingerprint(config: Config) -> str:
    return json.dumps([(f.name, _plain(getattr(config, f.name))) for f in fields(config)])


def cacheable(config: Config) -> bool:
    """--online findings depend on remote servers: never replayed."""
    return not config.online


def entry_key(data: bytes, display: str, config: Config) -> str:
    h = hashlib.sha256(f"deckops-lint|{SCHEMA}|{source_fingerprint()}|{sys.version_info[:2]}\0".encode())
    h.update(config_fingerprint(config).encode() + b"\0")
    h.update(f"{display}\0{os.path.realpath(display)}\0{os.getcwd()}\0".encode())
    h.update(data)
    return h.hexdigest()


# --- the world a deck's findings depend on --------------------------------------------------------------

def _sig(path: str) -> str:
    """Where a path leads and what is there; 'missing' when nothing is."""
    try:
        st = os.stat(path)
        return f"{os.path.realpath(path)}|{stat.S_IFMT(st.st_mode)}|{st.st_size}|{st.st_mtime_ns}"
    except (OSError, ValueError):
        return "missing"


def _listing(folder: str) -> str:
    """A folder's entries with their states (non-recursive); 'missing' when it is not a folder."""
    try:
        names = sorted(os.listdir(folder))
    except (OSError, ValueError):
        return "missing"
    h = hashlib.sha256()
    for name in names:
        h.update(f"{name}|{_sig(os.path.join(folder, name))}\n".encode())
    return h.hexdigest()


_SETUP = re.compile(r"^(\.marprc.*|marp\.config\..*|package\.json|README.*\.md)$")


def _setup(folder: str) -> str:
    """The repository's marp set-up files (html-disabled reads them): names and states, not the whole folder,
    so editing one deck does not invalidate the others' entries."""
    h = hashlib.sha256()
    for name in _names(folder):
        if _SETUP.match(name):
            h.update(f"{name}|{_sig(os.path.join(folder, name))}\n".encode())
    return h.hexdigest()


def _which(name: str) -> str:
    found = shutil.which(name)
    return f"{found}|{_sig(found)}" if found else "missing"


_PROBES = {"stat": _sig, "list": _listing, "setup": _setup, "which": _which}


def dependencies(deck, config: Config, cache: dict | None = None) -> list[tuple[str, str]]:
    """(probe, argument) pairs: every file the deck names (as any rule might resolve it), the folders and files
    the rules read beside it, and the tools they run. A superset is harmless: it only costs a stat."""
    from ..filerefs import local_path, scan
    from .assets import deck_refs

    root = os.path.abspath(config.root)
    base = os.path.dirname(os.path.abspath(deck.path))
    written = set()
    for s in deck.slides:
        written.update(i.decoded for i in s.images)
        written.update(i.src for i in s.images)
        written.update(link.href for link in s.links)
    written.update(r.path for r in deck_refs(deck, {} if cache is None else cache))  # (outside fences: a superset)
    # the theme folders (or files) custom_themes reads: themes/ beside the deck and the configured ones
    theme_dirs = [os.path.join(base, "themes")] + [os.path.join(root, t) for t in config.themes]
    deps = [("setup", root)]
    deps += [("list", d) for d in (os.path.join(root, ".github", "workflows"), *theme_dirs, *DICT_DIRS)]
    deps += [("stat", d) for d in theme_dirs if lexically_inside(d, root)]  # (a theme entry may be one file)
    for folder in theme_dirs:
        css = [os.path.join(folder, n) for n in _names(folder) if n.endswith(".css")] or [folder]
        for path in css:
            if not lexically_inside(path, root) or not os.path.isfile(path):  # (a FIFO would block the read)
                continue
            try:
                written.update(r.path for r in scan(Path(path).read_text(encoding="utf-8", errors="replace")))
            except OSError:
                pass
    paths = set()
    for w in written:
        local, _ = local_path(w)
        for p in {local, w} - {""}:
            paths.update({os.path.join(base, p), os.path.join(root, p.lstrip("/")), p})
    tools = _tool_paths(config)
    paths |= tools
    if config.kubectl:
        deps.append(("which", config.kubectl))
    deps += [("stat", p) for p in sorted(paths) if p in tools or lexically_inside(os.path.abspath(p), root)]
    deps += [("which", t) for t in TOOLS]
    return deps


def _names(folder: str) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def _tool_paths(config: Config) -> set[str]:
    """Files outside the repository the rules read: the tools, and the words.txt beside the config."""
    words = os.path.join(os.path.dirname(os.path.abspath(config.source)), "words.txt")
    return {config.kubectl, str(Path(sys.executable).parent / "shellcheck"), *_built_kubectl(),
            words if config.source.endswith(".toml") else ""} - {""}


def _built_kubectl() -> list[str]:
    try:
        from ..localcluster import build

        return [str(build.build_dir() / "bin" / "kubectl")]
    except Exception:  # noqa: BLE001 - no pins, no build folder: kubectl-usage uses PATH's (a `which` probe)
        return []


def snapshot(deps: list[tuple[str, str]]) -> list[list[str]]:
    return [[probe, arg, _PROBES[probe](arg)] for probe, arg in deps]


def still_true(world) -> bool:
    try:
        return all(_PROBES[probe](arg) == state for probe, arg, state in world)
    except (KeyError, TypeError, ValueError):
        return False


# --- entries ----------------------------------------------------------------------------------------------

def _mac(body: bytes) -> str:
    return hmac.new(files.user_key(), body, hashlib.sha256).hexdigest()


def _path(key: str) -> Path:
    return files.CACHE_HOME / "lint-results" / key[:2] / f"{key}.json"


MEMORY_ENTRIES = 16


def load(key: str, memory: dict | None = None) -> list[Diagnostic] | None:
    """The findings stored under key, when the entry is signed with the user's key and its world still holds
    (with `memory`: kept in that dict, for this process only)."""
    if memory is not None:
        found = memory.get(key)
        return list(found[0]) if found is not None and still_true(found[1]) else None
    try:
        raw = _path(key).read_bytes()
        mac, _, body = raw.partition(b"\n")
        if not hmac.compare_digest(mac.decode("ascii", "replace"), _mac(body)):
            return None
        doc = json.loads(body)
        if doc.get("key") != key or not still_true(doc["world"]):
            return None
        return [_diag(d) for d in doc["findings"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(key: str, diags: list[Diagnostic], world, memory: dict | None = None) -> None:
    """Best effort: a cache folder that cannot be written costs the next run a lint, nothing else."""
    if memory is not None:
        if len(memory) >= MEMORY_ENTRIES:
            memory.pop(next(iter(memory)))  # the oldest
        memory[key] = (tuple(diags), world)
        return
    body = json.dumps({"key": key, "world": world, "findings": [_plain_diag(d) for d in diags]},
                      separators=(",", ":")).encode()
    try:
        # durable=False: entries are signed and checked when read, so one torn by a crash is only a miss
        files.write_atomic(_path(key), _mac(body).encode() + b"\n" + body, durable=False)
    except (OSError, files.FileError):
        pass


def _plain_diag(d: Diagnostic) -> list:
    return [d.code, d.name, d.severity, d.path, d.line, d.col, d.message, d.hint]


def _diag(row: list) -> Diagnostic:
    code, name, severity, path, line, col, message, hint = row
    return Diagnostic(code, name, severity, Pos(path, line, col), message, hint)
