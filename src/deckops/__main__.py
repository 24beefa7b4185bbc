"""Entry point: the only sys.exit; one handler maps failures to exit codes (0, 1, 2, 130, 143)."""
from __future__ import annotations

import os
import signal
import sys


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where ^C would be: every cleanup that ^C runs (temp folders, process groups, the
    rehearsal's namespace and cluster) runs for it too."""


def _on_sigterm(_signum, _frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second TERM must not interrupt the cleanup
    raise Terminated()


_NOTES: list = []  # the one notes handler, made on first use (logging is imported only then)


def _show_notes() -> None:
    """The libraries' notes (logger `deckops.*`: waiting for a lock, installing marp-cli, cluster steps), one plain
    line each on stderr; sys.stderr is looked up at each note, so a redirected stderr gets them."""
    import logging

    if not _NOTES:
        class Notes(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                sys.stderr.write(self.format(record) + "\n")
                sys.stderr.flush()

        _NOTES.append(Notes())
    logger = logging.getLogger("deckops")
    if _NOTES[0] not in logger.handlers:
        logger.addHandler(_NOTES[0])
    logger.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    relayed = args[:1] == ["lint"] and "--daemon" in args
    # kubectl (rehearse, the local cluster, kubectl-usage) caches discovery under ~/.kube/cache by default;
    # deckops writes only to its output folder and its own cache, so point kubectl there (unless set).
    # (A relayed lint imports as little as it can: relay's folder() is files.cache_home()'s rule.)
    if relayed:
        from .relay import folder

        os.environ.setdefault("KUBECACHEDIR", str(folder(os.environ).parent / "kube"))
    else:
        from .files import CACHE_HOME

        os.environ.setdefault("KUBECACHEDIR", str(CACHE_HOME / "kube"))
        _show_notes()
    import threading

    main_thread = threading.current_thread() is threading.main_thread()  # (signal handlers need it)
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if main_thread else None
    try:
        return _relayed(args) if relayed else run_command(args)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def run_command(argv: list[str]) -> int:
    """One command line, its failures mapped to exit codes (also the lint daemon's way to run a request)."""
    from .cli import dispatch
    from .config import ConfigError
    from .errors import UsageError
    from .proc import ToolError

    try:
        return dispatch(argv, run_command)
    except KeyboardInterrupt as exc:
        from .proc import kill_all

        kill_all()  # background shellcheck/kubectl runs: the interpreter would wait for their threads
        terminated = isinstance(exc, Terminated)
        print(f"deckops: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
        return 143 if terminated else 130
    except (UsageError, ConfigError) as exc:
        print(f"deckops: error: {exc}", file=sys.stderr)
        return 2
    except ToolError as exc:
        print(f"deckops: error: {exc.describe()}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 1


def _relayed(argv: list[str]) -> int:
    """`deckops lint --daemon ...`: the user's lint daemon runs the command line (started here when none runs,
    `deckops daemon start`) and this process prints its answer; where no daemon can answer, the lint runs here.
    Either way the output and the exit code are the same (tests/test_lint_daemon.py)."""
    from . import relay

    request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ),
               "tty": [sys.stdout.isatty(), sys.stderr.isatty()]}
    path = relay.address(os.environ)
    try:
        try:
            answer = relay.ask(path, request)
        except relay.Gone:
            from .commands.daemon import start

            answer = relay.ask(start(path), request)
    except relay.Gone as exc:
        _show_notes()
        sys.stderr.write(f"deckops: the lint daemon did not answer ({exc}): linting in this process\n")
        return run_command(argv)
    if "code" not in answer:
        _show_notes()
        return run_command(argv)
    sys.stdout.write(answer["out"])
    sys.stderr.write(answer["err"])
    return int(answer["code"])


if __name__ == "__main__":
    sys.exit(main())
