"""Deck -> runnable snippets in slide order, with their annotations and expected output (pure, no I/O)."""
from __future__ import annotations

import re
from typing import Literal, Mapping, NamedTuple

from ..annotations import AnnotationError, parse_annotation  # noqa: F401 (AnnotationError re-exported)
from ..deck import SHELL_LANGS, Deck, Fence, Slide

DEFAULT_TIMEOUT = 60.0
_INTERACTIVE = re.compile(r"(?<!\S)(-it|-ti|--tty(=true)?|--stdin\s+--tty)(?!\S)")
_COMMAND_WORD = re.compile(r"(^|[|;&(]\s*|\$\(\s*)([A-Za-z0-9_.-]+)(?=\s|$)")


Role = Literal["setup", "main", "teardown"]

class Expected(NamedTuple):
    text: str
    line: int  # 1-based file line


class Command(NamedTuple):
    text: str  # what runs (aliases resolved, continuations joined with newlines)
    shown: str  # as on the slide, first line
    line: int  # the `$ ` line (or the first script line)
    end_line: int  # last line of the command itself (continuations included)
    expected: tuple[Expected, ...] = ()
    console: bool = True
    interactive: bool = False


class Snippet(NamedTuple):
    deck: str
    slide: int
    title: str
    fence_line: int
    commands: tuple[Command, ...]
    console: bool
    name: str = ""
    skip: str | None = None  # the reason, when skipped
    timeout: float | None = None  # None: the deck's default
    expect_exit: int = 0
    stdin: str | None = None
    role: Role = "main"
    pty: bool = False
    needs: tuple[str, ...] = ()  # what only the command line can grant (`needs=host-access`: --allow-host-access)

    @property
    def label(self) -> str:
        first = self.commands[0].shown if self.commands else ""
        if self.slide == 0:
            return f"{self.role}: {first}"
        return f"slide {self.slide}: {self.title or '(untitled)'}: {first}"


def synthetic(deck: str, role: Role, text: str) -> Snippet:
    """A setup/teardown command from the settings (kept off the slides)."""
    command = Command(text, text.split("\n")[0], 0, 0, (), False, bool(_INTERACTIVE.search(text)))
    return Snippet(deck, 0, role, 0, (command,), False, role=role)


class Problem(NamedTuple):
    """A deck-level mistake found while extracting (a bad annotation), with its position."""
    line: int
    col: int
    message: str


class Extracted(NamedTuple):
    snippets: list[Snippet]
    problems: list[Problem]


def resolve_aliases(command: str, aliases: Mapping[str, str]) -> str:
    """Replace an alias where it stands as a command word (line start, after | ; & ( or $( )."""
    if not aliases:
        return command

    def repl(m: re.Match) -> str:
        return m.group(1) + aliases.get(m.group(2), m.group(2))

    return "\n".join(_COMMAND_WORD.sub(repl, line) for line in command.split("\n"))


def runnable(fence: Fence) -> bool:
    return fence.closed and (fence.console or fence.lang in SHELL_LANGS)


def extract(deck: Deck, aliases: Mapping[str, str] | None = None) -> Extracted:
    """Every runnable fence of every slide, in order; setup blocks first, teardown blocks last."""
    aliases = {"k": "kubectl"} if aliases is None else aliases
    found = Extracted([], [])
    for slide in deck.slides:
        prev_end = slide.start_line - 1
        for fence in slide.fences:
            notes = _annotations_before(slide, prev_end, fence.line, found.problems)
            prev_end = fence.end_line
            if runnable(fence):
                found.snippets.append(_snippet(deck.path, slide, fence, notes, aliases))
    order = {"setup": 0, "main": 1, "teardown": 2}
    found.snippets.sort(key=lambda s: order[s.role])  # stable: slide order within each role
    return found


def _annotations_before(slide: Slide, after: int, before: int, problems: list[Problem]) -> dict:
    merged: dict = {}
    for c in slide.comments:
        if c.kind == "rehearse" and after < c.line and c.end_line < before:
            try:
                merged.update(parse_annotation(c.text))
            except AnnotationError as exc:
                problems.append(Problem(c.line, c.col, str(exc)))
    return merged


def _snippet(path: str, slide: Slide, fence: Fence, notes: dict, aliases) -> Snippet:
    commands = _console_commands(fence, aliases) if fence.console else _script(fence, aliases)
    role = "setup" if notes.get("setup") else "teardown" if notes.get("teardown") else "main"
    return Snippet(
        deck=path, slide=slide.index, title=slide.title, fence_line=fence.line,
        commands=commands, console=fence.console, name=notes.get("name", ""), skip=notes.get("skip"),
        timeout=notes.get("timeout"), expect_exit=int(notes.get("expect-exit", 0)),
        stdin=notes.get("stdin"), role=role, pty=bool(notes.get("pty")),
        needs=(notes["needs"],) if "needs" in notes else (),
    )


def _script(fence: Fence, aliases) -> tuple[Command, ...]:
    if not fence.lines:
        return ()
    text = "\n".join(l.text for l in fence.lines)
    first = next((l.text for l in fence.lines if l.text.strip()), "")
    resolved = resolve_aliases(text, aliases)
    return (Command(resolved, first.strip(), fence.lines[0].line, fence.lines[-1].line, (), False,
                    bool(_INTERACTIVE.search(resolved))),)


def _console_commands(fence: Fence, aliases) -> tuple[Command, ...]:
    groups: list[list] = []  # [command lines, output lines]
    for line in fence.lines:
        if line.kind == "command":
            groups.append([[line], []])
        elif line.kind == "continuation" and groups:
            groups[-1][0].append(line)
        elif groups:
            groups[-1][1].append(line)
    commands = []
    for parts, outputs in groups:
        text = resolve_aliases("\n".join(p.text for p in parts), aliases)  # the deck model strips `> ` prompts
        expected = tuple(Expected(o.raw, o.line) for o in outputs)
        commands.append(Command(text, parts[0].text.strip(), parts[0].line, parts[-1].line, expected, True,
                                bool(_INTERACTIVE.search(text))))
    return tuple(commands)
