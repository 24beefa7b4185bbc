"""`deckops demo`'s driver: the deck's snippets on stage, one at a time, typed out at a human pace and run on
Enter in rehearse's own session (same guard, sandbox, annotations and verdicts), or played from a recording.
It reads keys and writes text through a Terminal the command gives it; it prints nothing itself."""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Callable, Literal, NamedTuple, Protocol, Sequence

from . import record
from .match import Masks
from .runner import Session, Step
from .snippets import Snippet
from .verdict import CommandResult, judge

Action = Literal["next", "back", "again", "quit"]
ENTER = ("\r", "\n")
QUIT = ("q", "\x03", "\x04", "")  # q, ^C, ^D, end of input
HINT_BEFORE = "[Enter] run  [s] skip  [b] back  [p] recording  [q] quit"
HINT_AFTER = "[Enter] next  [r] rerun  [b] back  [p] recording  [q] quit"
SHORT_BEFORE, SHORT_AFTER = "[⏎ run  s b p q]", "[⏎ next  r b p q]"  # when the full hint does not fit the line
IDLE_LIMIT = 2.0  # seconds: a recording's longer pauses are shortened to this (as asciinema's idle_time_limit)
_ESC = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[78()=>]|\][^\x07]*\x07)")


class Terminal(Protocol):
    """The speaker's terminal, in raw mode (commands/demo.py): text out, one key at a time in."""
    fd: int | None  # handed to pty steps (kubectl debug -it) while they run

    def write(self, text: str) -> None: ...
    def key(self) -> str: ...  # blocks; "" at the end of input
    def pressed(self) -> bool: ...  # a key is waiting (typing is cut short by Enter)


class Item(NamedTuple):
    index: int  # in the plan's snippets (recording names follow it)
    snippet: Snippet


class Stage(NamedTuple):
    """What a live demo runs with: the session (None for --replay), masks and the deck's default timeout."""
    session: Session | None
    masks: Masks
    timeout: float
    steps: Callable[[Snippet], list[Step]]


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


class Screen:
    """The terminal as written so far: where the cursor's column is (hints must fit the line; a verdict starts
    on a line of its own when the output did not end with a newline)."""

    def __init__(self, term: Terminal, cols: int):
        self.term, self.cols, self.col = term, cols, 0

    def write(self, text: str) -> None:
        self.term.write(text)
        plain = _ESC.sub("", text)
        last = re.split(r"[\r\n]", plain)[-1]
        self.col = (len(last) if re.search(r"[\r\n]", plain) else self.col + len(last)) % max(self.cols, 1)

    def newline(self) -> None:
        if self.col:
            self.write("\r\n")

    def fits(self, text: str) -> bool:
        return self.col + len(text) < self.cols


class Demo:
    def __init__(self, term: Terminal, stage: Stage, recordings: dict[int, Path], *, pace: float = 25.0,
                 typing: bool = True, replay: bool = False, last_slide: int = 0, cols: int = 120,
                 sleep: Callable[[float], None] = time.sleep):
        self.keys, self.stage, self.recordings = term, stage, recordings
        self.term = Screen(term, cols)
        self.pace, self.typing, self.replay = pace, typing, replay
        self.last_slide, self.sleep = last_slide, sleep
        self.failed: set[int] = set()

    # the show ------------------------------------------------------------------------------------
    def run(self, items: Sequence[Item]) -> set[int]:
        """Every item in order, Enter to go on; returns the indexes whose last live run failed."""
        pos = 0
        while 0 <= pos < len(items):
            action = self.snippet(items[pos])
            if action == "quit":
                break
            pos = max(0, pos - 1) if action == "back" else pos if action == "again" else pos + 1
        return self.failed

    def quietly(self, items: Sequence[Item], what: str) -> None:
        """Setup or teardown: run without waiting for keys (before the first slide, after the last)."""
        for item in items:
            self.term.write(f"\r\n{what}: {item.snippet.commands[0].shown if item.snippet.commands else ''}\r\n")
            done = self._live(item.snippet, 0)
            self.term.newline()
            if done and any(c.failure for c in done):
                self.term.write(crlf(f"{what} failed: {done[-1].message}\n"))

    def snippet(self, item: Item) -> Action:
        s = item.snippet
        self._header(s)
        if s.skip is not None:
            self.term.write(crlf(f"skipped: {s.skip or 'skip'}\n"))
            return self._after(item, None)
        done: list[CommandResult] = []
        for j, command in enumerate(s.commands):
            key = self._type(command.shown if command.console else command.text)
            while True:
                key = key or self._hint_key(HINT_BEFORE)
                if key in ENTER or key == "r":
                    break
                action = {"s": "next", "b": "back"}.get(key) or ("quit" if key in QUIT else None)
                if action:
                    self.term.write("\r\n")
                    return action
                if key == "p":
                    self.term.write("\r\n")
                    self.play(item, j, typed=True)
                    self.term.newline()
                    return self._after(item, None)
                key = ""
            self.term.write("\r\n")
            if self.replay:
                self.play(item, j, typed=True, only=True)
                self.term.newline()
                continue
            result = self._live(s, j)
            self.term.newline()
            done += result
            if any(c.failure for c in result):
                break
        return self._after(item, done if not self.replay else None)

    def _header(self, s: Snippet) -> None:
        self.term.newline()
        of = f"/{self.last_slide}" if self.last_slide else ""
        title = s.title or "(untitled)"
        name = f" · {s.name}" if s.name else ""
        self.term.write(f"\r\n\x1b[1m── slide {s.slide}{of}: {title}{name} ──\x1b[0m\r\n")

    def _after(self, item: Item, done: list[CommandResult] | None) -> Action:
        if done is not None:
            self._verdict(item, done)
        while True:
            key = self._hint_key(HINT_AFTER)
            if key in ENTER or key == "s":
                return "next"
            if key == "r":
                return "again"
            if key == "b":
                return "back"
            if key in QUIT:
                return "quit"
            if key == "p":
                self.term.write("\r\n")
                self.play(item, 0)
                self.term.newline()

    def _verdict(self, item: Item, done: list[CommandResult]) -> None:
        failures = [c for c in done if c.failure]
        if not failures:
            self.failed.discard(item.index)
            self.term.write("\x1b[32m✓ as on the slide\x1b[0m\r\n")
            return
        self.failed.add(item.index)
        first = failures[0]
        hint = " ([p] plays the recording)" if item.index in self.recordings else " (no recording)"
        self.term.write(crlf(f"\x1b[31m✗ {first.failure}: {first.message}\x1b[0m{hint}\n"))

    def _hint_key(self, hint: str) -> str:
        """The keys' hint after the cursor (dim; shorter, or none, where the line has no room for it), gone once
        a key is pressed."""
        short = SHORT_BEFORE if hint == HINT_BEFORE else SHORT_AFTER
        shown = next((h for h in (hint, short) if self.term.fits("  " + h)), "")
        if shown:
            self.keys.write(f"\x1b7  \x1b[2m{shown}\x1b[0m")
        key = self.keys.key()
        if shown:
            self.keys.write("\x1b8\x1b[K")
        return key

    # typing and running --------------------------------------------------------------------------------
    def _type(self, text: str) -> str:
        """`$ command` at the demo's pace; a key pressed meanwhile finishes it at once and is returned."""
        self.term.write("$ ")
        lines = text.split("\n")
        shown = lines[0] + "".join(f"\r\n> {l}" for l in lines[1:])
        if not self.typing:
            self.term.write(shown)
            return ""
        for n, ch in enumerate(shown):
            if self.keys.pressed():
                self.term.write(shown[n:])
                return self.keys.key()
            self.term.write(ch)
            self.sleep(1 / self.pace)
        return ""

    def _live(self, s: Snippet, j: int) -> list[CommandResult]:
        """Command j of the snippet in the rehearsal's session, its output streamed as it comes."""
        session = self.stage.session
        step = self.stage.steps(s)[j]
        timeout = s.timeout or self.stage.timeout
        session.live = lambda data: self.term.write(crlf(data.decode("utf-8", "replace")))
        session.keys = self.keys.fd
        try:
            outcome = session.run_steps([step], timeout)[0]
        finally:
            session.live = session.keys = None
        last = j == len(s.commands) - 1
        result = judge(s, s.commands[j], outcome, self.stage.masks, last, timeout)
        if session.stopped:  # ^C: the speaker's choice, not a timeout
            result = result._replace(failure="stopped", message=f"`{s.commands[j].shown}` stopped by ^C; what it "
                                                                 "started was killed")
        return [result]

    def play(self, item: Item, first: int, typed: bool = False, only: bool = False) -> None:
        """The recording of the snippet from command `first` on (only that one with only=True), with its
        timing; each later command typed out as live. typed: command `first` is already on the screen."""
        path = self.recordings.get(item.index)
        if path is None:
            self.term.write(crlf("no recording of this snippet (deckops rehearse --record DIR)\n"))
            return
        try:
            commands = record.read(path).commands()
        except record.CastError as exc:
            self.term.write(crlf(f"{exc}\n"))
            return
        chosen = commands[first: first + 1] if only else commands[first:]
        if not only:
            self.term.write(f"\x1b[2m(recording {path.name})\x1b[0m\r\n")
        for n, (command, events) in enumerate(chosen):
            if n or not typed:
                self._type(command)
                self.term.write("\r\n")
            self._events(events)

    def _events(self, events: list[tuple[float, str]]) -> None:
        at = 0.0
        for t, data in events:
            self.sleep(min(max(0.0, t - at), IDLE_LIMIT))
            at = t
            self.term.write(data)
