"""The one subprocess helper: stdin closed, a timeout, the whole process group killed."""
from __future__ import annotations

import os
import select
import signal
import subprocess
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


def kill_group_except(pgid: int, keep: int, timeout: float = 5.0) -> set[int]:
    """Kill every process of group pgid but `keep` (the group's shell stays; what it ran dies) and wait
    until they are gone; returns their pids."""
    killed: set[int] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # a dying pipeline may still fork: sweep until the group is quiet
        victims = [p for p in group_members(pgid) if p != keep]
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
