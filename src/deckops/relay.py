"""The lint daemon's wire: `deckops lint --daemon` hands its command line to a long-lived deckops process (as mypy's
dmypy and eslint_d do), which keeps every deck's parsed slides and per-slide rule results between runs
(lint/session.py), and prints what that process answers. Nothing here imports more than the standard library:
the client side runs before the rest of deckops is imported, which is the point.

One daemon per user, Python, deckops source and environment that decides what a lint sees (PATH, HOME, the
cache folders, DECKOPS_*): its socket's name is a hash of those, in a folder of the user's cache only its owner
can enter; the daemon also checks the peer's user id (SO_PEERCRED) before it reads a request. A request is the
command line, the working folder and the environment; the answer is the exit code and the bytes the command
wrote. Framing: a 4-byte big-endian length, then JSON.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import select
import socket
import stat
import struct
import sys
import time
from pathlib import Path
from typing import Callable

_KEYED_ENV = ("PATH", "HOME", "XDG_CACHE_HOME", "KUBECONFIG", "LANG", "LC_ALL", "LC_CTYPE")
MAX_MESSAGE = 256 * 1024 * 1024  # a SARIF report of a conference's decks stays far below
IDLE = 900.0  # seconds without a request before the daemon exits
# the peer's user id (SO_PEERCRED) and /proc/self/fd are Linux's: elsewhere `lint --daemon` lints in its process
SUPPORTED = sys.platform.startswith("linux") and hasattr(socket, "SO_PEERCRED")


class Gone(Exception):
    """The daemon could not be reached or stopped answering: the caller lints in its own process."""


def folder(env: dict) -> Path:
    """Where the sockets live: DECKOPS_CACHE, XDG_CACHE_HOME/deckops or ~/.cache/deckops (files.cache_home's
    rule, read from `env`), then daemon/."""
    if env.get("DECKOPS_CACHE"):
        base = Path(env["DECKOPS_CACHE"])
    else:
        base = Path(env.get("XDG_CACHE_HOME") or Path(env.get("HOME") or Path.home()) / ".cache") / "deckops"
    return base / "daemon"


def _source_stamp() -> str:
    """The deckops source this process runs: a changed or reinstalled module means another daemon."""
    package = Path(__file__).resolve().parent
    newest, count = 0, 0
    stack = [str(package)]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                    stack.append(entry.path)
                elif entry.name.endswith(".py"):
                    newest, count = max(newest, entry.stat().st_mtime_ns), count + 1
    return f"{package}:{newest}:{count}"


def address(env: dict) -> Path:
    """This client's daemon socket."""
    parts = [str(os.getuid()), sys.executable, _source_stamp()]
    parts += [f"{k}={env.get(k, '')}" for k in _KEYED_ENV]
    parts += sorted(f"{k}={v}" for k, v in env.items() if k.startswith("DECKOPS_"))
    key = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:20]
    return folder(env) / f"lint-{key}.sock"


def _send(sock: socket.socket, message: dict) -> None:
    data = json.dumps(message, ensure_ascii=False).encode("utf-8", "surrogateescape")
    sock.sendall(struct.pack(">I", len(data)) + data)


def _receive(sock: socket.socket) -> dict:
    head = _exactly(sock, 4)
    (size,) = struct.unpack(">I", head)
    if size > MAX_MESSAGE:
        raise Gone(f"a message of {size} bytes")
    message = json.loads(_exactly(sock, size).decode("utf-8", "surrogateescape"))
    if not isinstance(message, dict):
        raise Gone("not a message")
    return message


def _exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise Gone("the connection closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def ask(path: Path, message: dict, timeout: float | None = None) -> dict:
    """Send one request and wait for its answer; Gone when no daemon listens there or it stops answering."""
    if not SUPPORTED:
        raise Gone("the lint daemon runs on Linux only")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        with _named(path) as name:
            sock.connect(name)
        _send(sock, message)
        return _receive(sock)
    except (OSError, ValueError) as exc:
        raise Gone(str(exc)) from None
    finally:
        sock.close()


@contextlib.contextmanager
def _named(path: Path):
    """The socket's address: its path, or where that is longer than a socket address holds (108 bytes: a deep
    DECKOPS_CACHE), the same file reached through an open descriptor of its folder (/proc/self/fd/N/name)."""
    if len(os.fsencode(str(path))) < 100:
        yield str(path)
        return
    fd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def own_folder(path: Path) -> None:
    """Make the sockets' folder, owned by this user and closed to others (mode 0700); refuse one that is a
    symbolic link or someone else's (OSError)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise OSError(errno.EPERM, f"{path}: not a folder of this user")
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, 0o700)


def listen(path: Path) -> socket.socket:
    """Bind the daemon's socket (OSError EADDRINUSE when a live daemon has it; a stale file is replaced)."""
    own_folder(path.parent)
    if path.exists() or path.is_symlink():
        try:
            ask(path, {"ping": True}, timeout=2)
            raise OSError(errno.EADDRINUSE, f"{path}: a daemon answers there")
        except Gone:
            if stat.S_ISSOCK(os.lstat(path).st_mode):
                path.unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o077)
    try:
        with _named(path) as name:
            sock.bind(name)
    finally:
        os.umask(old)
    sock.listen(16)
    return sock


def _peer_uid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def serve(server: socket.socket, path: Path, handle: Callable[[dict], dict], idle: float = IDLE,
          after: Callable[[], None] | None = None, current: Callable[[], bool] = lambda: True) -> str:
    """Answer requests one at a time until one asks to stop, `idle` seconds pass without one, or the socket file
    is no longer this server's (removed or replaced), or `current()` says this process is out of date (deckops
    was upgraded or edited: clients now ask another socket); then remove it if it is still ours. `after` runs once an
    answer is sent (housekeeping off the client's clock); an answer marked `last` is the last one. Returns why
    it stopped."""
    ident = os.stat(path).st_ino
    last = time.monotonic()
    try:
        while True:
            ready, _, _ = select.select([server], [], [], min(30.0, idle))
            if not ready:
                if not _still_ours(path, ident):
                    return "socket removed"
                if not current():
                    return "deckops changed"
                if time.monotonic() - last >= idle:
                    return "idle"
                continue
            conn, _ = server.accept()
            with conn:
                last = time.monotonic()
                if _peer_uid(conn) != os.getuid():
                    continue  # another user: not a word
                try:
                    request = _receive(conn)
                except (Gone, OSError, ValueError):
                    continue
                if request.get("stop"):
                    _reply(conn, {"stopped": os.getpid()})
                    return "asked to stop"
                answer = handle(request)
                _reply(conn, {k: v for k, v in answer.items() if k != "last"})
                if answer.get("last"):
                    return "terminated"
            if after is not None:
                after()
            last = time.monotonic()
    finally:
        server.close()
        if _still_ours(path, ident):
            path.unlink()


def _still_ours(path: Path, ident: int) -> bool:
    try:
        return os.lstat(path).st_ino == ident
    except OSError:
        return False


def _reply(conn: socket.socket, message: dict) -> None:
    try:
        _send(conn, message)
    except OSError:
        pass  # the client went away (^C): nothing to tell
