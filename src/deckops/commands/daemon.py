"""`deckops daemon start|stop|status|run`: the lint daemon behind `deckops lint --daemon` (relay.py is the wire,
lint/session.py what it keeps between runs)."""
from __future__ import annotations

import contextlib
import io
import os
import resource
import sys
import time
from pathlib import Path

from .. import relay
from ..errors import UsageError

START_TIMEOUT = 20.0  # seconds for a new daemon to answer (an import of deckops on a loaded machine: ~1 s)


def run(args) -> int:
    if not relay.SUPPORTED:
        raise UsageError("the lint daemon runs on Linux only (`deckops lint --daemon` lints in its own process)")
    if not args.idle > 0:
        raise UsageError(f"--idle {args.idle:g}: give a number of seconds above 0")
    path = relay.address(os.environ)
    if args.action == "run":
        return _serve(path, args.run_command, args.idle)
    if args.action == "start":
        try:
            start(path, args.idle)
            print(f"deckops daemon: running ({_describe(path)})")
        except relay.Gone as exc:
            raise UsageError(f"the lint daemon: {exc}") from None
        return 0
    try:
        answer = relay.ask(path, {"stop": True} if args.action == "stop" else {"ping": True}, timeout=30)
    except relay.Gone:
        print(f"deckops daemon: not running (no answer at {path})")
        return 0 if args.action == "stop" else 1
    if args.action == "stop":
        print(f"deckops daemon: stopped (pid {answer.get('stopped')})")
    else:
        print(f"deckops daemon: running ({_describe(path, answer)})")
    return 0


def _describe(path: Path, answer: dict | None = None) -> str:
    answer = answer or relay.ask(path, {"ping": True}, timeout=30)
    return (f"pid {answer.get('pid')}, up {answer.get('up', 0):.0f} s, {answer.get('decks', 0)} deck(s) kept, "
            f"{answer.get('lints', 0)} lint(s), peak memory {answer.get('rss_mb', 0):.0f} MB; socket {path}")


def start(path: Path, idle: float = relay.IDLE) -> Path:
    """The daemon at `path`, started in the background unless one answers there already; relay.Gone when it
    does not come up (its log: the socket's name with .log)."""
    from .. import proc

    try:
        relay.ask(path, {"ping": True}, timeout=30)
        return path
    except relay.Gone:
        pass
    try:
        relay.own_folder(path.parent)
    except OSError as exc:
        raise relay.Gone(f"cannot use {path.parent}: {exc.strerror or exc}") from None
    log = path.with_suffix(".log")
    child = proc.spawn([sys.executable, "-m", "deckops", "daemon", "run", "--idle", str(idle)], log=log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            relay.ask(path, {"ping": True}, timeout=START_TIMEOUT)
            return path
        except relay.Gone:
            if child.poll() is not None:
                break
            time.sleep(0.02)  # (polling for the socket to appear: a new process has no other way to say so)
    raise relay.Gone(f"the daemon did not start (see {log})")


def _serve(path: Path, run_command, idle: float) -> int:
    from ..lint import keep_between_runs

    session = keep_between_runs()
    session.warming = True
    try:
        server = relay.listen(path)
    except OSError as exc:
        raise UsageError(f"cannot listen at {path}: {exc.strerror or exc}") from None
    started = time.monotonic()

    def handle(request: dict) -> dict:
        if request.get("ping"):
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            return {"pid": os.getpid(), "up": time.monotonic() - started, "decks": len(session.parsers),
                    "lints": session.total, "rss_mb": rss,
                    "slides_reused": sum(getattr(p, "reused", 0) for p in session.parsers.values())}
        answer = _relay_one(request, run_command)
        last.clear()
        last.update(cwd=request.get("cwd"), env=request.get("env"))
        return answer

    last: dict = {}  # the working folder and environment of the last request

    def after() -> None:
        """Once the answer is out: parse the decks that request replayed (their slides are then kept for the lint
        of an edit), in its working folder and environment; then the cyclic garbage collector's turn."""
        if session.cold:
            try:
                with _as_client(last["cwd"], last["env"], _Captured(False), _Captured(False)):
                    session.warm()
            except Exception:  # noqa: BLE001 - a deck that cannot be warmed is linted in full when asked again
                session.cold.clear()
        if session.due():
            session.full_collection()

    why = relay.serve(server, path, handle, idle, after, lambda: relay.address(os.environ) == path)
    print(f"deckops daemon: stopped ({why})")
    return 0


class _Captured(io.StringIO):
    """What a command writes to stdout or stderr, for the client; a terminal there if the client's is one."""

    def __init__(self, tty: bool):
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@contextlib.contextmanager
def _as_client(cwd: str, env: dict, out: io.StringIO, err: io.StringIO):
    """Run in the client's working folder and environment, its stdout and stderr captured."""
    saved = (sys.stdout, sys.stderr, dict(os.environ))
    try:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in env.items()})
        sys.stdout, sys.stderr = out, err
        yield
    finally:
        sys.stdout, sys.stderr = saved[0], saved[1]
        os.environ.clear()
        os.environ.update(saved[2])
        os.chdir("/")  # (between requests: no folder of the last client's is held, each request brings its own)


def _relay_one(request: dict, run_command) -> dict:
    argv, cwd, env = request.get("argv"), request.get("cwd"), request.get("env")
    tty = request.get("tty") or [False, False]
    if not (isinstance(argv, list) and argv[:1] == ["lint"] and all(isinstance(a, str) for a in argv)
            and isinstance(cwd, str) and isinstance(env, dict)):
        return {"code": 2, "out": "", "err": "deckops: error: the lint daemon runs `deckops lint` only\n"}
    out, err = _Captured(bool(tty[0])), _Captured(bool(tty[1]))
    try:
        with _as_client(cwd, env, out, err):
            code = run_command(argv)
    except OSError as exc:  # the client's folder is gone
        print(f"deckops: error: {cwd}: {exc.strerror or exc}", file=err)
        code = 2
    # 143: SIGTERM reached the daemon during the lint (__main__ turned it into Terminated): stop after this answer
    return {"code": code, "out": out.getvalue(), "err": err.getvalue(), "last": code == 143}
