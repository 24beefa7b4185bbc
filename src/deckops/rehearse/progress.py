"""The terminal reporter: one line per slide (pass/fail/skip, duration), failures with their diff, a summary."""
from __future__ import annotations

from pathlib import Path
from typing import TextIO

from .verdict import SnippetResult, Status

LABELS = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}


def slide_status(results: list[SnippetResult]) -> Status:
    statuses = {r.status for r in results}
    return "fail" if "fail" in statuses else "pass" if "pass" in statuses else "skip"


def slide_name(result: SnippetResult) -> str:
    s = result.snippet
    return s.role if s.slide == 0 else f"slide {s.slide}"


class Progress:
    """Collects results of consecutive snippets of one slide and prints the slide's line when it is done."""

    def __init__(self, out: TextIO):
        self.out = out
        self.pending: list[SnippetResult] = []

    def line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def deck(self, path: Path, count: int) -> None:
        self.out.write(f"{path}: {count} snippet{'s' if count != 1 else ''}\n")
        self.out.flush()

    def add(self, result: SnippetResult) -> None:
        if self.pending and _key(self.pending[0]) != _key(result):
            self.flush()
        self.pending.append(result)

    def flush(self) -> None:
        if not self.pending:
            return
        results, self.pending = self.pending, []
        status = slide_status(results)
        seconds = sum(r.seconds for r in results)
        timing = f"{seconds:6.2f}s" if status != "skip" else " " * 7
        title = results[0].snippet.title if results[0].snippet.slide else results[0].snippet.label
        lines = [f"  {slide_name(results[0]):<9} {LABELS[status]} {timing}  {title}"]
        for r in results:
            if r.status == "skip":
                lines.append(f"      skipped: {r.reason}")
            elif r.failures:  # a pass may carry failures the config lowered to warning or info
                lines.extend("      " + l for l in r.failure_text().splitlines())
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()

    def summary(self, results: list[SnippetResult], seconds: float) -> None:
        count = {k: sum(r.status == k for r in results) for k in LABELS}
        self.out.write(f"{count['pass']} passed, {count['fail']} failed, {count['skip']} skipped "
                       f"in {seconds:.2f}s\n")
        self.out.flush()


def _key(result: SnippetResult) -> tuple:
    return (result.snippet.deck, result.snippet.slide, result.snippet.role)
