"""Entry point: the only sys.exit; one handler maps failures to exit codes (0, 1, 2, 130, 143)."""
from __future__ import annotations

import logging
import os
import signal
import sys


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where ^C would be: every cleanup that ^C runs (temp folders, process groups, the
    rehearsal's namespace and cluster) runs for it too."""


def _on_sigterm(_signum, _frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second TERM must not interrupt the cleanup
    raise Terminated()


class _Notes(logging.Handler):
    """The libraries' notes (logger `deckops.*`: waiting for a lock, installing marp-cli, cluster steps), one plain
    line each on stderr; sys.stderr is looked up at each note, so a redirected stderr gets them."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(self.format(record) + "\n")
        sys.stderr.flush()


def _show_notes() -> None:
    logger = logging.getLogger("deckops")
    if not any(isinstance(h, _Notes) for h in logger.handlers):
        logger.addHandler(_Notes())
    logger.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    from .cli import dispatch
    from .config import ConfigError
    from .errors import UsageError
    from .files import CACHE_HOME
    from .proc import ToolError

    # kubectl (rehearse, the local cluster, kubectl-usage) caches discovery under ~/.kube/cache by default;
    # deckops writes only to its output folder and its own cache, so point kubectl there (unless set).
    os.environ.setdefault("KUBECACHEDIR", str(CACHE_HOME / "kube"))
    _show_notes()
    import threading

    main_thread = threading.current_thread() is threading.main_thread()  # (signal handlers need it)
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if main_thread else None
    try:
        return dispatch(argv)
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
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
