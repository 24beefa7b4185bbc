"""What the commands share: the config a command reads, --select/--ignore, writing a report, the exit code."""
from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

from ..config import Config
from ..errors import UsageError


def load_config(args) -> Config:
    """The config nearest the first deck (or --config), its rule names checked (exit 2 with a did-you-mean)."""
    from .. import config as config_mod

    if getattr(args, "config", None) and not args.config.is_file():
        raise UsageError(f"{args.config}: config file not found")
    first = (getattr(args, "decks", None) or ["."])[0]
    start = Path(first) if Path(first).is_dir() else Path(first).parent
    from ..lint.catalogue import problems

    config = config_mod.load(start, args.config, check=problems)  # one report: bad types and misspelt rules
    _check_rule_names(args, config)
    return config


def _check_rule_names(args, config: Config) -> None:
    from ..lint.catalogue import validate, validate_args

    if config.select or config.ignore or config.severity:
        validate(config)
    validate_args("--select", getattr(args, "select", None) or ())
    validate_args("--ignore", getattr(args, "ignore", None) or ())


def with_rule_args(args, config: Config) -> Config:
    """--select replaces the config's selection, --ignore adds to it (every stage: lint, render, check)."""
    overrides = {}
    if getattr(args, "select", None):
        overrides["select"] = tuple(args.select)
    if getattr(args, "ignore", None):
        overrides["ignore"] = tuple(config.ignore) + tuple(args.ignore)
    return dataclasses.replace(config, **overrides) if overrides else config


def emit(text: str, output: Path | None) -> None:
    """The report on stdout, or written atomically to --output."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from ..files import write_atomic

    write_atomic(output, text.encode())


def report(diags, files: int, args) -> str:
    """The findings in --format; text on a terminal is printed in colour here (and "" returned)."""
    from ..report import FORMATS

    fmt = getattr(args, "format", "text")  # one of FORMATS: argparse offers no other (cli.FORMAT_CHOICES)
    hints = not getattr(args, "no_hints", False)
    if fmt == "text" and args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ:
        from rich.console import Console

        Console(highlight=False, soft_wrap=True).print(FORMATS[fmt](diags, files, color=True, hints=hints), end="")
        return ""
    return FORMATS[fmt](diags, files, hints=hints)


def exit_code(diags) -> int:
    return 1 if any(d.severity == "error" for d in diags) else 0


class ProgressBar:
    """A rich progress bar on a terminal (what render.Renderer calls `progress`); nothing in CI or when piped."""

    def __init__(self, label: str):
        self.label, self._bar = label, None

    def start(self, total: int):
        from rich.console import Console
        from rich.progress import Progress as Bar

        self._bar = Bar(console=Console(stderr=True), transient=True)  # stdout carries the report
        self._bar.start()
        task = self._bar.add_task(self.label, total=total)
        return lambda _msg: self._bar.advance(task)

    def stop(self) -> None:
        if self._bar:
            self._bar.stop()
            self._bar = None


def progress_bar(label: str) -> ProgressBar | None:
    return ProgressBar(label) if sys.stderr.isatty() and not os.environ.get("CI") else None
