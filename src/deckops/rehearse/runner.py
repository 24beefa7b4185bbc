"""One bash session per deck: commands go in through a pipe, salted markers split output and exit status."""
from __future__ import annotations

import fcntl
import os
import re
import secrets
import select
import struct
import termios
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .. import proc

GRACE = 3.0  # seconds the shell gets to report after its command was killed
BASH = ("bash", "--noprofile", "--norc")


@dataclass(frozen=True)
class Outcome:
    status: int | None  # exit status; None when the command timed out or the shell died
    output: str
    seconds: float
    timed_out: bool = False
    shell_exited: bool = False


def quote(text: str) -> str:
    """bash ANSI-C quoting ($'...'), safe for any text including newlines and quotes."""
    out = []
    for ch in text:
        if ch in "\\'":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "$'" + "".join(out) + "'"


def scripted_input(text: str) -> str:
    """stdin="..." annotations write `\\n` and `\\t` for newline and tab; a final newline is implied."""
    text = text.replace("\\n", "\n").replace("\\t", "\t")
    return text if text.endswith("\n") else text + "\n"


class Session:
    """A bash child in its own process group; `cd`, variables and exports carry over between run() calls."""

    def __init__(self, env: Mapping[str, str] | None = None, cwd: Path | None = None, tmp: Path | None = None):
        self.env, self.cwd = dict(env) if env is not None else None, cwd
        self.tmp = Path(tmp) if tmp else None
        self.salt = "DECKOPS-" + secrets.token_hex(8)
        self._marker = re.compile(rb"\n" + self.salt.encode() + rb" (\d+)\n")
        self.proc = None
        self.master = self.slave = None
        self._buf = b""
        self._count = 0

    # life cycle -----------------------------------------------------------------------------
    def start(self) -> "Session":
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        attrs = termios.tcgetattr(self.slave)
        attrs[3] &= ~termios.ECHO  # scripted input is written up front: echoing it would jumble the output
        termios.tcsetattr(self.slave, termios.TCSANOW, attrs)
        os.set_blocking(self.master, False)
        self.proc = proc.session(BASH, cwd=self.cwd, env=self.env, pass_fds=(self.slave,))
        os.close(self.slave)  # the shell holds it; we talk through the master
        os.set_blocking(self.proc.stdout.fileno(), False)
        self._buf = b""
        return self

    def close(self) -> None:
        if self.proc is not None:
            proc.kill_group(self.proc)
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self.proc.wait()
            self.proc = None
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def __enter__(self) -> "Session":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # running --------------------------------------------------------------------------------
    def run(self, command: str, *, timeout: float = 60.0, stdin: str | None = None, pty: bool = False) -> Outcome:
        """Run one command (any bash text) in the session; kill what it started when it overruns."""
        if not self.alive:
            self.close()
            self.start()
        started = time.monotonic()
        line = f"eval {quote(command)} {self._redirects(stdin, pty)}; printf '\\n%s %d\\n' {self.salt} \"$?\"\n"
        try:
            self.proc.stdin.write(line.encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            return self._died(started, b"")
        if pty and stdin is not None:
            self._feed_pty(scripted_input(stdin))
        return self._collect(started, timeout, pty)

    def _redirects(self, stdin: str | None, pty: bool) -> str:
        fd = self.slave
        if pty:
            return f"<&{fd} >&{fd} 2>&{fd}"
        if stdin is None:
            return "</dev/null"
        self._count += 1
        path = self.tmp / f"stdin-{self._count}"
        path.write_text(scripted_input(stdin))
        return f"<{quote(str(path))}"

    def _feed_pty(self, text: str) -> None:
        data = text.encode() + b"\x04"  # then end-of-file, for programs that read to the end
        os.set_blocking(self.master, True)
        try:
            os.write(self.master, data)
        finally:
            os.set_blocking(self.master, False)

    def _collect(self, started: float, timeout: float, pty: bool) -> Outcome:
        out_fd = self.proc.stdout.fileno()
        screen = b""
        deadline, timed_out = started + timeout, False
        while True:
            found = self._marker.search(self._buf)
            if found:
                body, self._buf = self._buf[: found.start()], self._buf[found.end():]
                if pty:
                    screen += self._drain_pty()
                text = _text(body + screen)
                status = None if timed_out else int(found.group(1))
                return Outcome(status, text, time.monotonic() - started, timed_out)
            wait = deadline - time.monotonic()
            if wait <= 0:
                if timed_out:  # the shell itself is stuck: give up on it
                    return self._died(started, self._buf + screen, timed_out=True)
                proc.kill_group_except(self.proc.pid, self.proc.pid)
                timed_out, deadline = True, time.monotonic() + GRACE
                continue
            ready, _, _ = select.select([out_fd, self.master], [], [], min(wait, 1.0))
            if self.master in ready:
                screen += self._read(self.master)
            if out_fd in ready:
                chunk = self._read(out_fd)
                if chunk == b"" and self.proc.poll() is not None:
                    return self._died(started, self._buf + screen)
                self._buf += chunk

    def _drain_pty(self) -> bytes:
        data = b""
        while select.select([self.master], [], [], 0.02)[0]:
            chunk = self._read(self.master)
            if not chunk:
                break
            data += chunk
        return data

    @staticmethod
    def _read(fd: int) -> bytes:
        try:
            return os.read(fd, 65536)
        except BlockingIOError:
            return b""
        except OSError:  # EIO on a pty whose other side is closed
            return b""

    def _died(self, started: float, body: bytes, timed_out: bool = False) -> Outcome:
        status = None if timed_out or self.proc is None else self.proc.poll()
        self.close()
        self._buf = b""
        return Outcome(status, _text(body), time.monotonic() - started, timed_out, shell_exited=not timed_out)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
