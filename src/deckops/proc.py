"""The one subprocess helper: stdin closed, a timeout, the whole process group killed."""
from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence


class ToolError(Exception):
    """A tool failed to start, timed out or exited non-zero; the message shows everything."""

    def __init__(self, argv, reason: str, returncode=None, stdout: str = "", stderr: str = ""):
        self.argv = [str(a) for a in argv]
        self.reason = reason
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(self.describe())

    def describe(self) -> str:
        lines = [f"command failed: {' '.join(self.argv)}", f"  reason: {self.reason}"]
        if self.returncode is not None:
            lines.append(f"  exit code: {self.returncode}")
        for label, text in (("stdout", self.stdout), ("stderr", self.stderr)):
            if text and text.strip():
                tail = "\n".join(text.strip().splitlines()[-40:])
                lines.append(f"  {label}:\n" + "\n".join("    " + t for t in tail.splitlines()))
        return "\n".join(lines)


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def kill_group(proc: subprocess.Popen) -> None:
    """Kill the process group a child leads (it was started in a new session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


_LIVE: set[subprocess.Popen] = set()  # children of run(), which may wait in background threads
_LIVE_LOCK = threading.Lock()


def kill_all() -> None:
    """Kill every child run() is waiting for (on ^C: threads blocked on shellcheck or kubectl end now)."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for proc in live:
        kill_group(proc)


def run(
    argv: Sequence[str | os.PathLike],
    *,
    timeout: float,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    check: bool = True,
) -> Result:
    """Run argv to completion; never inherits stdin; kills the whole group on timeout or ^C."""
    args = [str(a) for a in argv]
    try:
        proc = subprocess.Popen(
            args, cwd=cwd, env=None if env is None else dict(env),
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, errors="replace", start_new_session=True,
        )
    except OSError as exc:
        raise ToolError(args, f"cannot start: {exc.strerror or exc}") from None
    with _LIVE_LOCK:
        _LIVE.add(proc)
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
        raise ToolError(args, f"timed out after {timeout:g}s", None, out, err) from None
    except BaseException:
        kill_group(proc)
        proc.wait()
        raise
    finally:
        kill_group(proc)  # grandchildren left in the group go too
        with _LIVE_LOCK:
            _LIVE.discard(proc)
    if check and proc.returncode != 0:
        raise ToolError(args, "non-zero exit", proc.returncode, out, err)
    return Result(tuple(args), proc.returncode, out, err)


def background(fn, *args) -> Future:
    """Run fn(*args) in a thread of its own and return at once (slow tools start while deckops goes on)."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(fn, *args)
    finally:
        pool.shutdown(wait=False)


def wait_any(children: Sequence[subprocess.Popen], timeout: float) -> bool:
    """Wait up to `timeout` seconds for one of the spawned children to end; True when one has.

    Linux pidfds wake us the moment any of them ends (Popen.wait(timeout) polls, up to 50 ms late, and for one
    child only); elsewhere the first child is waited for."""
    fds: list[int] = []
    try:
        for child in children:
            fds.append(os.pidfd_open(child.pid))
    except (AttributeError, OSError):  # no pidfds here, or a child already reaped
        for fd in fds:
            os.close(fd)
        fds = []
        if children and children[0].returncode is None:
            try:
                children[0].wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
    else:
        try:
            select.select(fds, [], [], timeout)
        finally:
            for fd in fds:
                os.close(fd)
    return any(child.poll() is not None for child in children)


def spawn(argv: Sequence[str | os.PathLike], *, cwd=None, env=None, log: Path | None = None) -> subprocess.Popen:
    """Start a long-running child in its own process group (stop it with kill_group)."""
    args = [str(a) for a in argv]
    out = open(log, "ab") if log else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            args, cwd=cwd, env=None if env is None else dict(env), stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    except OSError as exc:
        raise ToolError(args, f"cannot start: {exc.strerror or exc}") from None
    finally:
        if log:
            out.close()


def session(argv: Sequence[str | os.PathLike], *, cwd=None, env=None, pass_fds=()) -> subprocess.Popen:
    """A long-lived interactive child in its own process group: we write its stdin, read stdout+stderr
    (binary pipes; the caller owns the read loop and must end it with kill_group)."""
    args = [str(a) for a in argv]
    try:
        return subprocess.Popen(
            args, cwd=cwd, env=None if env is None else dict(env), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, pass_fds=tuple(pass_fds),
        )
    except OSError as exc:
        raise ToolError(args, f"cannot start: {exc.strerror or exc}") from None


# --- the render sandbox (issue 18): marp-cli and Chromium see only what they need ---------------------
# A deck is untrusted input (a pull request), and marp-cli's --allow-local-files lets Chromium read any
# file it can open: CSS, HTML and directives have more ways to name a file than any text check can know.
# So render and check run marp-cli and Chromium in a bubblewrap sandbox: a fresh mount namespace holding
# the system's programs and fonts, the staged copy, the output folder of the run, and nothing else;
# no network (only loopback) unless asked; no capabilities; a PID namespace that dies with deckops.
# docs/security.md ("Render and check") says why bubblewrap and how the tests attack it.

# What every sandboxed tool needs to run, read-only (missing ones are skipped): programs and libraries,
# fonts and their cache, the dynamic linker's cache, Chromium's own settings. Not /etc as a whole
# (passwd, shadow, the machine's keys), not /home, /root, /tmp, /var, /opt, /srv, /mnt, /run.
SANDBOX_SYSTEM = ("/usr", "/etc/fonts", "/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives",
                  "/etc/chromium", "/etc/chromium.d", "/var/cache/fontconfig")
# With the network: name resolution and the certificates to check servers with.
SANDBOX_NETWORK = ("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl", "/etc/ca-certificates",
                   "/etc/gai.conf")
_MERGED_USR = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")  # links into /usr on most distributions
_SANDBOX_ENV = ("LANG", "LC_ALL", "TZ")
_PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
_BWRAP: str | None = None


@dataclass(frozen=True)
class Sandbox:
    """What a sandboxed tool sees besides SANDBOX_SYSTEM, each folder at its own path: `read` read-only,
    `write` writable (read wins where they nest), `home` (writable) as HOME and TMPDIR; a private /tmp;
    the network only with `network`; only the environment in `env` (plus locale and PATH)."""

    home: Path
    read: tuple[Path, ...] = ()
    write: tuple[Path, ...] = ()
    network: bool = False
    env: tuple[tuple[str, str], ...] = ()
    path: tuple[Path, ...] = ()  # folders put first on PATH (bound read-only too)


def sandboxed_argv(argv: Sequence[str | os.PathLike], box: Sandbox, *, cwd: Path | None = None) -> list[str]:
    """argv run inside the sandbox `box` describes (bubblewrap). Raises UsageError (exit 2) naming the fix
    when bubblewrap is missing or cannot make a sandbox here: never runs the tool unsandboxed."""
    return [bwrap(), *_bwrap_args(box, cwd), "--", *(str(a) for a in argv)]


def bwrap() -> str:
    """The bwrap executable, after one probe that it can make a sandbox on this machine."""
    global _BWRAP
    if _BWRAP is None:
        _BWRAP = _probe_bwrap()
    return _BWRAP


def _probe_bwrap() -> str:
    from .errors import UsageError

    fix = ("deckops renders and checks decks only inside a bubblewrap sandbox (docs/security.md): "
           "apt-get install bubblewrap (./setup.sh installs it)")
    if not sys.platform.startswith("linux"):
        raise UsageError(f"render and check need Linux: {fix}")
    exe = shutil.which("bwrap")
    if exe is None:
        raise UsageError(f"bubblewrap (bwrap) is not installed: {fix}")
    probe = [exe, *_system_args(), "--unshare-all", "--die-with-parent", "--cap-drop", "ALL", "--", "true"]
    try:
        res = run(probe, timeout=60, check=False)
    except ToolError as exc:
        raise UsageError(f"bubblewrap did not start ({exc.reason}): {fix}") from None
    if res.returncode != 0:
        why = (res.stderr.strip().splitlines() or ["no message"])[-1]
        raise UsageError(f"bubblewrap cannot make a sandbox here ({why}); it needs user namespaces or root: "
                         f"{fix}") from None
    return exe


def _system_args() -> list[str]:
    args: list[str] = []
    for top in _MERGED_USR:
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for path in SANDBOX_SYSTEM:
        args += ["--ro-bind-try", path, path]
    return args + ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]


def _bwrap_args(box: Sandbox, cwd: Path | None) -> list[str]:
    args = _system_args()
    for path in SANDBOX_NETWORK if box.network else ():
        args += ["--ro-bind-try", path, path]
    for path in (*box.write, box.home):  # writable first: read-only binds nested in them stay read-only
        args += ["--bind", str(path), str(path)]
    for path in (*box.read, *box.path):
        args += ["--ro-bind", str(path), str(path)]
    args += ["--unshare-all", *(["--share-net"] if box.network else []), "--die-with-parent",
             "--cap-drop", "ALL", "--clearenv"]
    env = {"PATH": os.pathsep.join([*map(str, box.path), "/usr/local/bin", "/usr/bin", "/bin"]),
           "HOME": str(box.home), "TMPDIR": str(box.home)}
    names = _SANDBOX_ENV + (_PROXY_ENV if box.network else ())
    env.update({k: os.environ[k] for k in names if os.environ.get(k)})
    env.update(dict(box.env))
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args + ["--chdir", str(cwd or box.home)]
# --- end of the render sandbox ------------------------------------------------------------------------


def group_members(pgid: int) -> list[int]:
    """Live pids in process group pgid (Linux /proc); zombies are not counted."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            pids.append(int(entry.name))
    return pids


def reap_group(pgid: int, timeout: float = 5.0) -> bool:
    """SIGKILL group pgid until none of it is alive (killed processes take a moment to die); True if empty."""
    deadline = time.monotonic() + timeout
    while group_members(pgid):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# --- rehearsal containment: a PID namespace per bash session (issue 18) ------------------------------
# A process group alone does not hold a snippet's children: `setsid` or a double fork leaves the group, and
# such a child outlived the snippet's timeout and ^C. A PID namespace does: every process the shell starts
# stays in it whatever it does, so it can be listed (and killed) from outside, and the kernel kills all of
# it when the shell (its init) dies.

_UNSHARE_BASE = ("unshare", "--pid", "--fork", "--kill-child", "--mount-proc")
_NS_PREFIX: tuple[str, ...] | None = None


def pid_namespace_prefix() -> tuple[str, ...]:
    """argv prefix that runs a command as init of a new PID namespace (with its own /proc), or () where
    util-linux unshare cannot (no unshare; user namespaces forbidden for a non-root user). Probed once."""
    global _NS_PREFIX
    if _NS_PREFIX is None:
        _NS_PREFIX = ()
        user = () if os.geteuid() == 0 else ("--user", "--map-current-user")
        prefix = (*_UNSHARE_BASE[:1], *user, *_UNSHARE_BASE[1:])
        try:
            if run([*prefix, "true"], timeout=10, check=False).returncode == 0:
                _NS_PREFIX = prefix
        except ToolError:
            pass
    return _NS_PREFIX


def child_pids(pid: int) -> list[int]:
    """Direct children of pid (Linux /proc)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def pid_namespace(pid: int) -> str | None:
    """The PID namespace of pid ('pid:[4026532…]'), or None when it is gone."""
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def namespace_members(ns: str) -> dict[int, int]:
    """Live processes of PID namespace ns: {pid as seen here: pid as seen inside}; zombies are not counted."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or pid_namespace(int(entry.name)) != ns:
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if not fields.get("State", "").strip().startswith("Z"):
            found[int(entry.name)] = int(fields.get("NSpid", entry.name).split()[-1])
    return found


def kill_namespace_except(ns: str, keep: int, timeout: float = 5.0) -> dict[int, int]:
    """Kill every process of PID namespace ns but `keep` (its init, the shell) until none is left;
    returns {pid: pid inside the namespace} of what was killed."""
    killed: dict[int, int] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # a dying pipeline may still fork: sweep until it is quiet
        victims = {p: inner for p, inner in namespace_members(ns).items() if p != keep}
        if not victims:
            break
        killed.update(victims)
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.005)
    return killed


def kill_group_sparing(pgid: int, keep: frozenset[int] | set[int], timeout: float = 5.0) -> set[int]:
    """Kill every process of group pgid but those in `keep` (unshare and the shell it runs) and wait until they
    are gone; returns their pids."""
    killed: set[int] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # a dying pipeline may still fork: sweep until the group is quiet
        victims = [p for p in group_members(pgid) if p not in keep]
        if not victims:
            break
        killed.update(victims)
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.005)
    return killed


def reap_namespace(ns: str, timeout: float = 5.0) -> bool:
    """Wait until no process of namespace ns is alive (its init died: the kernel kills the rest)."""
    deadline = time.monotonic() + timeout
    while members := namespace_members(ns):
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
# --- end of rehearsal containment --------------------------------------------------------------------
