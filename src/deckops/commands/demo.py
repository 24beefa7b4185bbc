"""`deckops demo`: the deck's snippets live on stage (typed, run on Enter in rehearse's sandboxed session) or
played from the rehearsal's recordings (--replay); exit 0 done, 1 a live snippet failed, 2 usage/refusal."""
from __future__ import annotations

import os
import select
import signal
import sys
import termios
import tty
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import UsageError
from ..rehearse import budget, demo, record, rehearsal
from ._common import load_config
from .deck_files import collect_decks


class Tty:
    """The speaker's terminal in raw mode: keys arrive one by one (^C as a key), output is written as is."""

    def __init__(self, fd_in: int, fd_out: int):
        self.fd, self.out = fd_in, fd_out

    def write(self, text: str) -> None:
        data = text.encode("utf-8", "replace")
        while data:
            try:
                data = data[os.write(self.out, data):]
            except BlockingIOError:
                select.select([], [self.out], [], 1.0)
            except OSError:  # the terminal is gone (closed window, dropped ssh): the cleanup still runs
                return

    def key(self) -> str:
        try:
            data = os.read(self.fd, 64)
        except OSError:
            return ""
        return data.decode("utf-8", "replace")[:1]

    def pressed(self) -> bool:
        return bool(select.select([self.fd], [], [], 0)[0])


@contextmanager
def raw(fd: int) -> Iterator[None]:
    """Raw mode, and a hang-up (the terminal window closed) handled as ^C: teardown, shell and namespace go."""
    saved = termios.tcgetattr(fd)
    previous = signal.signal(signal.SIGHUP, _hung_up)
    try:
        tty.setraw(fd)
        yield
    finally:
        try:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        except termios.error:
            pass
        signal.signal(signal.SIGHUP, previous)


def _hung_up(_signum, _frame) -> None:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # once: the cleanup must not be interrupted again
    raise KeyboardInterrupt


def run(args) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("demo drives a terminal: run it in one (stdin and stdout must be a tty)")
    config = load_config(args)
    decks = collect_decks(args.decks, config)
    if len(decks) != 1:
        raise UsageError(f"demo drives one deck; {len(decks)} found: name the deck")
    plan = rehearsal.plan(decks, config)[0]
    folder = args.replay or args.recordings or config.root / (config.out or "dist") / "recordings"
    recordings = record.find(Path(folder), plan.path, plan.snippets)
    main = [demo.Item(i, s) for i, s in enumerate(plan.snippets) if s.role == "main" and _chosen(s.slide, args)]
    if not main:
        raise UsageError(f"{plan.path}: no snippet on {'slide ' + str(args.slide) if args.slide else 'these slides'}")
    pace = args.pace or budget.from_config(dict(config.time), config.source).pace
    term = Tty(sys.stdin.fileno(), sys.stdout.fileno())
    last = len(plan.deck.slides)
    if args.replay:
        if not recordings:
            raise UsageError(f"{folder}: no recordings of {plan.path} (deckops rehearse --record {folder})")
        stage = demo.Stage(None, rehearsal.masks_of(plan.settings), 0.0, rehearsal.steps)
        with raw(term.fd):
            demo.Demo(term, stage, recordings, pace=pace, typing=not args.no_typing, replay=True,
                      last_slide=last, cols=_size()[1]).run(main)
            term.write("\r\n")
        return 0
    return _live(args, config, plan, main, recordings, term, pace, last)


def _live(args, config, plan, main, recordings, term: Tty, pace: float, last: int) -> int:
    options = rehearsal.Options(cluster=args.cluster, context=args.context, kubeconfig=args.kubeconfig,
                                allow_context=tuple(args.allow_context), cluster_name=args.cluster_name,
                                no_cluster=args.no_cluster, allow_host_access=args.allow_host_access)
    observer = _Lines()
    with rehearsal.sandboxed([plan], config, options, observer) as sandbox:  # the guard first
        runnable = rehearsal.runnable_here(plan, sandbox)
        items = [demo.Item(i, runnable[i]) for i, _ in main]
        role = {r: [demo.Item(i, s) for i, s in enumerate(runnable) if s.role == r and s.skip is None]
                for r in ("setup", "teardown")}
        rows, cols = _size()
        with rehearsal.session(plan, sandbox, 0, options, size=(rows, cols)) as session, raw(term.fd):
            stage = demo.Stage(session, rehearsal.masks_of(plan.settings),
                               plan.settings.timeout or rehearsal.DEFAULT_TIMEOUT, rehearsal.steps)
            show = demo.Demo(term, stage, recordings, pace=pace, typing=not args.no_typing, last_slide=last,
                             cols=cols)
            try:
                show.quietly(role["setup"], "setup")
                failed = show.run(items)
            finally:
                show.quietly(role["teardown"], "teardown")
                term.write("\r\n")
    gone = f"namespace {sandbox.env['DECKOPS_NAMESPACE']} deleted, " if "DECKOPS_NAMESPACE" in sandbox.env else ""
    print(f"demo ended: {gone}the shell and what it started are gone")
    return 1 if failed else 0


class _Lines:
    """rehearse's observer, reduced to what demo shows before the first slide."""

    def line(self, text: str) -> None:
        print(text, flush=True)

    def deck(self, path, count) -> None:
        pass

    def add(self, result) -> None:
        pass

    def flush(self) -> None:
        pass


def _chosen(slide: int, args) -> bool:
    if args.slide:
        return slide == args.slide
    return slide >= (args.start or 1)


def _size() -> tuple[int, int]:
    try:
        size = os.get_terminal_size(sys.stdout.fileno())
        return size.lines, size.columns
    except OSError:
        return record.SIZE
