"""Judges what a snippet did: exit status, timeouts and the output against the slide (no I/O)."""
from __future__ import annotations

from typing import Literal, NamedTuple

from ..diagnostic import Diagnostic, Pos, Severity
from ..lint.catalogue import STAGE_RULES
from .match import Comparison, Masks, compare
from .runner import Outcome
from .snippets import Command, Snippet


Status = Literal["pass", "fail", "skip"]  # a snippet's, and a slide's (the worst of its snippets')

class CommandResult(NamedTuple):
    command: Command
    outcome: Outcome
    comparison: Comparison | None  # console commands only
    failure: str = ""  # "" or a key of FAILURE_RULES
    message: str = ""
    severity: Severity = "error"  # the rule's, after the config and inline disables (findings.apply)


# failure kind -> the catalogue's rule (code, name): the names are the catalogue's (lint/catalogue.py STAGE_RULES)
_FAILURE_CODES = {"stale-output": "D801", "exit-status": "D802", "timeout": "D803", "shell-exited": "D804",
                  "image-unavailable": "D805"}
FAILURE_RULES = {kind: (code, STAGE_RULES[code].name) for kind, code in _FAILURE_CODES.items()}


class SnippetResult(NamedTuple):
    snippet: Snippet
    status: Status
    commands: tuple[CommandResult, ...] = ()
    seconds: float = 0.0
    reason: str = ""  # why it was skipped

    @property
    def failures(self) -> tuple[CommandResult, ...]:
        return tuple(c for c in self.commands if c.failure)

    def failure_text(self) -> str:
        """What a speaker needs: where, what kind, the diff."""
        parts = []
        for c in self.failures:
            level = "" if c.severity == "error" else f"{c.severity}: "
            parts.append(f"{self.snippet.deck}:{c.command.line}: {level}{c.failure}: {c.message}")
            if c.comparison and c.comparison.diff:
                parts.extend(_shortened(c.comparison.diff))
            elif c.failure != "stale-output" and c.outcome.output:
                parts.extend(_shortened(["  | " + l for l in output_lines(c.outcome.output)[-20:]]))
        return "\n".join(parts)


def diagnostics(result: SnippetResult) -> list[Diagnostic]:
    """A result's failures as findings at their commands' lines (their severity: "error" until the finding filter
    has lowered it), the slide's diff as the hint; for the filter, and for `rehearse --findings`."""
    return [Diagnostic(*FAILURE_RULES[c.failure], c.severity, Pos(result.snippet.deck, c.command.line, 1), c.message,
                       "\n".join(_shortened(c.comparison.diff)) if c.comparison and c.comparison.diff else "")
            for c in result.failures]


def filtered(result: SnippetResult, kept: list[Diagnostic]) -> SnippetResult:
    """The result after the filter: a failure it dropped (ignored, severity off, disabled inline) is no failure;
    one it lowered to warning or info is shown but does not fail the snippet."""
    if result.status == "skip" or not result.failures:
        return result
    left = {(d.code, d.line): d.severity for d in kept}
    commands = []
    for c in result.commands:
        sev = left.get((FAILURE_RULES[c.failure][0], c.command.line)) if c.failure else "error"
        commands.append(c._replace(severity=sev) if sev else c._replace(failure="", message=""))
    failed = any(c.failure and c.severity == "error" for c in commands)
    return result._replace(status="fail" if failed else "pass", commands=tuple(commands))


TERMINAL_LINES, TERMINAL_WIDTH = 200, 500  # a terminal shows this much of a diff; reports keep the rest


def _shortened(lines) -> list[str]:
    lines = list(lines)
    out = [l if len(l) <= TERMINAL_WIDTH else f"{l[:TERMINAL_WIDTH]} [{len(l) - TERMINAL_WIDTH} more characters]"
           for l in lines[:TERMINAL_LINES]]
    if len(lines) > TERMINAL_LINES:
        out.append(f"[{len(lines) - TERMINAL_LINES} more lines: see --junit or --report]")
    return out


def output_lines(output: str) -> list[str]:
    lines = output.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def judge(snippet: Snippet, command: Command, outcome: Outcome, masks: Masks, last: bool,
          timeout: float) -> CommandResult:
    """One command's verdict; a console command's last one must exit with expect-exit, the others 0."""
    wanted = snippet.expect_exit if last else 0
    comparison = None
    if command.console:
        first = command.expected[0].line if command.expected else command.end_line + 1
        comparison = compare([e.text for e in command.expected], output_lines(outcome.output), masks,
                             first, f"{snippet.deck}:{first}")
    if outcome.timed_out:
        return CommandResult(command, outcome, comparison, "timeout",
                             f"`{command.shown}` timed out after {timeout:g}s; what it started was killed")
    if outcome.shell_exited:
        return CommandResult(command, outcome, comparison, "shell-exited",
                             f"`{command.shown}` ended the shell (exit {outcome.status}); later snippets "
                             "run in a fresh shell")
    if comparison is not None and not comparison.ok:
        extra = f" (and it exited {outcome.status}, expected {wanted})" if outcome.status != wanted else ""
        return CommandResult(command, outcome, comparison, "stale-output",
                             f"`{command.shown}` printed something else than the slide shows{extra}")
    if outcome.status != wanted:
        return CommandResult(command, outcome, comparison, "exit-status",
                             f"`{command.shown}` exited {outcome.status}, expected {wanted}")
    return CommandResult(command, outcome, comparison)
