"""One bash session per deck: each snippet's commands are sourced from a file, salted markers split output and
exit status per command, a timeout kills what the snippet started (the shell survives), pty for `-it`."""
from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import tempfile
import termios
import time
from pathlib import Path
from typing import Callable, Iterator, Mapping, NamedTuple, Sequence

from .. import proc

GRACE = 3.0  # seconds the shell gets to report after what it ran was killed
OUTPUT_LIMIT = 1_000_000  # bytes of one command's output kept; the rest is counted, not kept
_TAIL = 4096  # bytes kept past the limit while reading, so a marker split across reads is still found
QUIET = 0.2  # seconds without pty output before the next line of scripted input is typed
PROMPT_WAIT = 2.0  # ... or this long when the screen shows no prompt (a program that prompts for nothing)
_PROMPT = re.compile(rb"[#$>%?:] ?\Z")
BASH = ("bash", "--noprofile", "--norc")
_NOTICE = re.compile(r"bash: (?:line \d+: )?\s*(\d+) Killed\b")  # bash's report of a job that died of SIGKILL


class Step(NamedTuple):
    command: str  # any bash text
    stdin: str | None = None  # scripted input (a file, or typed into the pty)
    pty: bool = False


class Outcome(NamedTuple):
    status: int | None  # exit status; None when the command timed out
    output: str
    seconds: float
    timed_out: bool = False
    shell_exited: bool = False
    more: int = 0  # bytes of output beyond the session's output limit: counted, not kept
    # with Session(record=True): (seconds since the step began, raw bytes) as they arrived; the output
    # before cleaning (a recording cleans and masks it line by line, rehearse/record.py)
    timeline: tuple[tuple[float, bytes], ...] = ()


_SPECIAL = re.compile(r"[\\'\x00-\x1f\x7f]")
_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n"}


def quote(text: str) -> str:
    """bash ANSI-C quoting ($'...'), safe for any text including newlines and quotes."""
    return "$'" + _SPECIAL.sub(lambda m: _ESCAPES.get(m.group(), f"\\x{ord(m.group()):02x}"), text) + "'"


def scripted_input(text: str) -> str:
    """stdin="..." annotations write `\\n` and `\\t` for newline and tab; a final newline is implied."""
    text = text.replace("\\n", "\n").replace("\\t", "\t")
    return text if text.endswith("\n") else text + "\n"


class Session:
    """A bash child in its own process group and, where util-linux `unshare` works, as init of its own PID
    namespace (so `setsid` and double-forked children cannot leave it); `cd`, variables and exports carry over
    between batches.

    rehearse and demo drive the same session; demo also sets `live` (called with each piece of output as it
    arrives, markers held back), `keys` (the speaker's terminal: forwarded into the pty during a pty step; ^C
    stops what runs otherwise) and `size` (the pty's rows and columns)."""

    def __init__(self, env: Mapping[str, str] | None = None, cwd: Path | None = None, tmp: Path | None = None,
                 output_limit: int = OUTPUT_LIMIT, contain: bool = True, record: bool = False,
                 size: tuple[int, int] = (40, 120)):
        self.env, self.cwd = dict(env) if env is not None else None, cwd
        self.output_limit = output_limit
        self.prefix = proc.pid_namespace_prefix() if contain else ()
        self.shell_pid = 0  # bash itself (unshare's child when contained)
        self.namespace: str | None = None
        self._more = 0
        self._own_tmp = None if tmp else tempfile.TemporaryDirectory(prefix="deckops-session-")
        self.tmp = Path(tmp) if tmp else Path(self._own_tmp.name)
        self.salt = "DECKOPS-" + os.urandom(8).hex()  # (not `secrets`: importing it costs more than a run)
        self._marker = re.compile(rb"\n" + self.salt.encode() + rb" (\d+)-(\d+) (\d+)\n")
        # bash names our batch file in its messages, where a terminal would say `bash: `
        self._origin = re.compile(rb"(?m)^" + re.escape(str(self.tmp).encode()) + rb"/batch-\d+\.sh: (?:line \d+: )?")
        self._killed: set[int] = set()  # what a timeout killed: bash reports their deaths later
        self.proc = None
        self.master = self.slave = None
        self._buf = bytearray()
        self._screen, self._scanned = b"", 0
        self._typing: list[str] = []
        self._quiet_since = 0.0
        self._batch = 0
        self.record, self.size = record, size
        self.live: Callable[[bytes], None] | None = None
        self.keys: int | None = None
        self._ends: list[tuple[float, int]] = []  # (arrival time, end offset in _buf) of each stdout chunk
        self._pty_chunks: list[tuple[float, bytes]] = []
        self._shown = 0  # bytes of _buf passed to `live`
        self._pty_step = self._interrupted = False
        self.stopped = False  # the last batch was stopped by ^C on `keys` (not by its timeout)
        self._sent = self._ended = 0.0  # when the batches were sent; when the last step's marker arrived

    # life cycle -----------------------------------------------------------------------------
    def start(self) -> "Session":
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", *self.size, 0, 0))
        os.set_blocking(self.master, False)
        try:
            self.proc = proc.session((*self.prefix, *BASH), cwd=self.cwd, env=self.env, pass_fds=(self.slave,))
        finally:
            os.close(self.slave)  # the shell holds it; we talk through the master
        os.set_blocking(self.proc.stdout.fileno(), False)
        self._buf, self._more, self._ends, self._shown = bytearray(), 0, [], 0
        self.shell_pid, self.namespace = self._find_shell()
        return self

    def _find_shell(self) -> tuple[int, str | None]:
        """bash's pid and PID namespace: unshare's child, once it is in the new namespace."""
        if not self.prefix:
            return self.proc.pid, None
        outer, deadline = proc.pid_namespace(self.proc.pid), time.monotonic() + 10
        while time.monotonic() < deadline and self.proc.poll() is None:
            for pid in proc.child_pids(self.proc.pid):
                ns = proc.pid_namespace(pid)
                if ns and ns != outer:
                    return pid, ns
            time.sleep(0.001)
        return self.proc.pid, None  # unshare failed: _collect sees the shell gone

    def close(self) -> None:
        if self.proc is not None:
            proc.kill_group(self.proc)
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self.proc.wait()
            proc.reap_group(self.proc.pid)  # its background jobs too, before we report done
            if self.namespace:  # and what left the group (setsid): the kernel kills it with the shell
                proc.reap_namespace(self.namespace)
            self.proc = None
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def __enter__(self) -> "Session":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
        if self._own_tmp:
            self._own_tmp.cleanup()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # running --------------------------------------------------------------------------------
    def run(self, command: str, *, timeout: float = 60.0, stdin: str | None = None, pty: bool = False) -> Outcome:
        return self.run_steps([Step(command, stdin, pty)], timeout)[0]

    def run_steps(self, steps: Sequence[Step], timeout: float = 60.0) -> list[Outcome]:
        """Run the steps in order within one deadline; after a timeout the rest are not run (fewer outcomes)."""
        return next(self.run_batches([(steps, timeout)]))

    def run_batches(self, batches: Sequence[tuple[Sequence[Step], float]]) -> Iterator[list[Outcome]]:
        """Queue every batch at once (no round trip between snippets) and yield each one's outcomes as it
        ends; a batch's deadline starts when the one before it has ended."""
        pending = list(batches)
        while pending:
            if not self.alive:
                self.close()
                self.start()
            ids = [self._write_batch(steps) for steps, _ in pending]
            self._sent = time.monotonic()
            try:
                self.proc.stdin.write("".join(f". {quote(str(self._script(i)))}\n" for i in ids).encode())
                self.proc.stdin.flush()
            except BrokenPipeError:
                pass  # the collect loop sees the shell gone
            for n, (batch, (steps, timeout)) in enumerate(zip(ids, pending)):
                outcomes = self._collect(batch, steps, time.monotonic() + timeout)
                yield outcomes
                if self.proc is None:
                    pending = pending[n + 1:]  # a fresh shell runs the rest
                    break
            else:
                pending = []

    def _script(self, batch: int) -> Path:
        return self.tmp / f"batch-{batch}.sh"

    def _stop(self, batch: int) -> Path:
        return self.tmp / f"stop-{self.salt}-{batch}"

    def _write_batch(self, steps: Sequence[Step]) -> int:
        self._batch += 1
        self._script(self._batch).write_text("".join(self._line(self._batch, i, s) for i, s in enumerate(steps)))
        return self._batch

    def _line(self, batch: int, i: int, step: Step) -> str:
        # a killed step leaves the stop file: the sourced batch returns instead of running the rest
        return (f"eval {quote(step.command)} {self._redirects(batch, i, step)}; "
                f"printf '\\n%s %d-%d %d\\n' {self.salt} {batch} {i} \"$?\"; "
                f"[ -e {quote(str(self._stop(batch)))} ] && return 0\n")

    def _redirects(self, batch: int, i: int, step: Step) -> str:
        fd = self.slave
        if step.pty:
            return f"<&{fd} >&{fd} 2>&{fd}"
        if step.stdin is None:
            return "</dev/null"
        path = self.tmp / f"stdin-{batch}-{i}"
        path.write_text(scripted_input(step.stdin))
        return f"<{quote(str(path))}"

    def _feed(self, step: Step) -> None:
        """Queue a pty step's scripted input: typed a line at a time, each once the screen has been quiet
        for QUIET seconds (as a person answers a prompt), then ^D; the tty echoes it where a person's would."""
        self._typing = scripted_input(step.stdin).splitlines(keepends=True) + ["\x04"] \
            if step.pty and step.stdin is not None else []
        self._quiet_since = time.monotonic()
        self._pty_step = step.pty

    def _type(self) -> None:
        """The next line once the screen is quiet and shows a prompt (`/ # `, `$ `, `name? `), or has been quiet
        for PROMPT_WAIT: `kubectl debug -it` attaches a second after its notices, and a ^D typed before the
        remote shell's prompt could end the session before the typed command's output came back."""
        quiet = time.monotonic() - self._quiet_since
        if self._typing and quiet >= QUIET and (quiet >= PROMPT_WAIT or _at_prompt(self._screen)):
            os.set_blocking(self.master, True)
            try:
                os.write(self.master, self._typing.pop(0).encode())
            finally:
                os.set_blocking(self.master, False)
            self._quiet_since = time.monotonic()

    def _collect(self, batch: int, steps: Sequence[Step], deadline: float) -> list[Outcome]:
        """Read until every step's marker came, or the deadline passed (then kill what runs, once)."""
        if not steps:
            return []
        if self.proc is None:
            return [self._died(time.monotonic(), b"")]
        outcomes: list[Outcome] = []
        # queued batches run back to back: this one started when the one before it ended (or was sent)
        self._screen, self._scanned, mark, timed_out = b"", 0, max(self._sent, self._ended), False
        self._pty_chunks, self._interrupted, self.stopped = [], False, False
        self._feed(steps[0])
        while len(outcomes) < len(steps):
            found = self._next_marker(batch)
            if not found:
                self._cap()
            if found:
                outcomes.append(self._outcome(found, steps[len(outcomes)], mark, timed_out))
                mark = self._ended
                if timed_out:
                    break
                if len(outcomes) < len(steps):
                    self._feed(steps[len(outcomes)])
            elif time.monotonic() >= deadline or self._interrupted:
                self.stopped, self._interrupted = self.stopped or self._interrupted, False
                if timed_out:  # the shell itself does not answer: give up on it
                    outcomes.append(self._died(mark, bytes(self._buf) + self._screen, timed_out=True))
                    break
                self._expire(batch)
                timed_out, deadline = True, time.monotonic() + GRACE
            elif not self._wait(deadline):  # the shell is gone
                outcomes.append(self._died(mark, bytes(self._buf) + self._screen))
                break
        return outcomes

    def _next_marker(self, batch: int) -> re.Match | None:
        while True:
            found = self._marker.search(self._buf, self._scanned)
            self._scanned = max(0, len(self._buf) - 128)  # big outputs: do not rescan what held no marker
            if not found or int(found.group(1)) >= batch:
                return found
            self._cut(0, found.end())  # a late marker of an abandoned batch
            self._scanned = 0

    def _cap(self) -> None:
        """No marker in the buffer: all of it is the running step's output. Keep the first output_limit
        bytes and a short tail (a marker may be split across reads); count what is dropped in between."""
        excess = len(self._buf) - self.output_limit - _TAIL
        if excess > 0:
            self._cut(self.output_limit, self.output_limit + excess)
            self._more += excess
            self._scanned = self.output_limit

    def _outcome(self, found: re.Match, step: Step, mark: float, timed_out: bool) -> Outcome:
        status = None if timed_out else int(found.group(3))  # (before the buffer it points into changes)
        body = bytes(self._buf[: found.start()])
        self._show(found.start())
        timeline = self._timeline(found.start(), mark) if self.record else ()
        self._ended = next((t for t, off in self._ends if off >= found.end()), time.monotonic())
        self._cut(0, found.end())
        self._scanned = 0
        screen, self._screen = self._screen + (self._drain_pty() if step.pty else b""), b""
        if step.pty and self.record:
            timeline = tuple(sorted(timeline + tuple((max(0.0, t - mark), c) for t, c in self._pty_chunks),
                                    key=lambda e: e[0]))
        self._pty_chunks = []
        outcome = self._bounded(status, body + screen, mark, timed_out)
        return outcome._replace(seconds=max(0.0, self._ended - mark), timeline=timeline)

    def _timeline(self, end: int, mark: float) -> tuple[tuple[float, bytes], ...]:
        """The first `end` bytes of _buf as the pieces they arrived in, timed from the step's start."""
        pieces, start = [], 0
        for t, off in self._ends:
            if start >= end:
                break
            piece = bytes(self._buf[start: min(off, end)])
            if piece:
                pieces.append((max(0.0, t - mark), piece))
            start = off
        if start < end:  # (bytes with no arrival record: after a shell restart)
            pieces.append((0.0, bytes(self._buf[start:end])))
        return tuple(pieces)

    def _cut(self, start: int, end: int) -> None:
        """Delete _buf[start:end], keeping the arrival offsets and the shown count in step."""
        del self._buf[start:end]
        n = end - start
        moved = [(t, off if off <= start else max(start, off - n)) for t, off in self._ends]
        self._ends = [e for i, e in enumerate(moved) if e[1] > 0 and (i == 0 or e[1] != moved[i - 1][1])]
        self._shown = self._shown if self._shown <= start else max(start, self._shown - n)

    def _show(self, end: int | None = None) -> None:
        """Pass new output to `live`: up to `end`, else all but a tail that may be the start of a marker."""
        if self.live is None:
            return
        if end is None:
            found = self._marker.search(self._buf, self._shown)
            end = found.start() if found else len(self._buf)
            head = b"\n" + self.salt.encode()
            cut = self._buf.rfind(b"\n", max(self._shown, end - len(self.salt) - 40), end)
            tail = bytes(self._buf[cut:end]) if cut >= 0 else b""
            if tail and (tail.startswith(head) or head.startswith(tail)):
                end = cut
        if end > self._shown:
            data, self._shown = bytes(self._buf[self._shown: end]), end
            self.live(self._origin.sub(b"bash: ", data))

    def text(self, data: bytes) -> str:
        """Raw output as a report shows it: `bash: ` for our batch files, no terminal control, \\n newlines."""
        return _text(self._origin.sub(b"bash: ", data))

    def _bounded(self, status, data: bytes, mark: float, timed_out: bool, shell_exited: bool = False) -> Outcome:
        more, self._more = self._more + max(0, len(data) - self.output_limit), 0
        text = self._clean(data[: self.output_limit], timed_out)
        if more:
            text += f"{'' if text.endswith(chr(10)) else chr(10)}[{more} bytes more, not kept]\n"
        return Outcome(status, text, time.monotonic() - mark, timed_out, shell_exited, more)

    def _expire(self, batch: int) -> None:
        """The stop file ends the batch; everything the shell started dies (in its group and its PID
        namespace, where `setsid` children are), the shell stays. bash reports deaths by its own pids."""
        self._stop(batch).touch()
        if self.namespace:
            self._killed |= set(proc.kill_namespace_except(self.namespace, self.shell_pid).values())
        group = proc.kill_group_sparing(self.proc.pid, {self.proc.pid, self.shell_pid})
        self._killed |= group if not self.namespace else set()

    def _wait(self, deadline: float) -> bool:
        """Read what is ready within a second (or the deadline); False when the shell has gone."""
        out_fd = self.proc.stdout.fileno()
        wait = max(0.0, min(deadline - time.monotonic(), QUIET / 3 if self._typing else 1.0))
        watched = [out_fd, self.master] + ([self.keys] if self.keys is not None else [])
        ready, _, _ = select.select(watched, [], [], wait)
        if self.master in ready:
            chunk = self._read(self.master)
            self._screen += chunk
            self._quiet_since = time.monotonic()
            self._pty_chunks += [(self._quiet_since, chunk)] if self.record and chunk else []
            if self.live and chunk:
                self.live(chunk)
            if len(self._screen) > self.output_limit:
                self._more += len(self._screen) - self.output_limit
                self._screen = self._screen[: self.output_limit]
        if self.keys is not None and self.keys in ready:
            self._key(self._read(self.keys))
        self._type()
        if out_fd in ready:
            chunk = self._read(out_fd)
            if chunk == b"" and self.proc.poll() is not None:
                return False
            self._buf += chunk
            self._ends.append((time.monotonic(), len(self._buf)))
            self._show()
        return True

    def _key(self, data: bytes) -> None:
        """The speaker's keys while a step runs: a pty step gets them all (the terminal is handed over);
        otherwise ^C stops what runs, as a timeout would, and other keys are dropped."""
        if self._pty_step:
            os.set_blocking(self.master, True)
            try:
                os.write(self.master, data)
            finally:
                os.set_blocking(self.master, False)
        elif b"\x03" in data:
            self._interrupted = True

    def _clean(self, data: bytes, notices: bool) -> str:
        """`bash: ` instead of our batch file; reports of what a timeout killed only in that step's output."""
        text = _text(self._origin.sub(b"bash: ", data))
        if notices or not self._killed or " Killed" not in text:
            return text
        lines = text.splitlines(keepends=True)
        return "".join(l for l in lines if not ((m := _NOTICE.match(l)) and int(m.group(1)) in self._killed))

    def _drain_pty(self) -> bytes:
        data = b""
        while select.select([self.master], [], [], 0.02)[0]:
            chunk = self._read(self.master)
            if not chunk:
                break
            data += chunk
            self._pty_chunks += [(time.monotonic(), chunk)] if self.record else []
            if self.live:
                self.live(chunk)
        return data

    @staticmethod
    def _read(fd: int) -> bytes:
        try:
            return os.read(fd, 65536)
        except BlockingIOError:
            return b""
        except OSError:  # EIO on a pty whose other side is closed
            return b""

    def _died(self, mark: float, body: bytes, timed_out: bool = False) -> Outcome:
        status = None if timed_out or self.proc is None else self.proc.poll()
        self.close()
        self._buf, self._ends, self._shown = bytearray(), [], 0
        return self._bounded(status, body, mark, timed_out, shell_exited=not timed_out)


# Terminal control a pty session prints besides text: busybox sh's line editor clears the line (ESC [J) and asks
# for the cursor position (ESC [6n) at every prompt, even with TERM=dumb. A slide shows the text only.
_CONTROL = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def _at_prompt(screen: bytes) -> bool:
    tail = screen[-512:]
    return bool(_PROMPT.search(_CONTROL.sub(b"", tail) if b"\x1b" in tail else tail))


def _text(data: bytes) -> str:
    data = _CONTROL.sub(b"", data) if b"\x1b" in data else data
    return data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
