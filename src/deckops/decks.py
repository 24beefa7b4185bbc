"""What every command shares: which decks to read, linting them, and writing a report with its exit code."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from .config import Config
from .errors import UsageError


def collect_decks(paths: list[str], config: Config, shard: str | None = None) -> list[Path]:
    """Expand folders to their *.md decks, in name order; a missing path is a usage error. `shard` ('I/N'):
    only the decks of that shard (see shard.py), which may be none."""
    if not paths:
        paths = [str(config.root / "slides")]
    decks: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(x for x in p.glob("*.md") if x.is_file() and x.name.lower() != "readme.md")
            if not found:
                raise UsageError(f"{raw}: no *.md decks in this folder")
            decks.extend(found)
        elif p.exists() or p.is_symlink():
            decks.append(p)
        else:
            raise UsageError(f"{raw}: no such file or folder")
    if shard:
        from .shard import select

        return select(decks, config.root, shard)
    return decks


def emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from .files import write_atomic

    write_atomic(output, text.encode())


def lint_decks(decks: list[Path], config: Config):
    from . import deck as deck_mod
    from .lint import lint, start_early

    diags, cache = [], {}
    for path in decks:
        start_early(path, config, cache)  # shellcheck runs on the other core while the deck is parsed
        diags.extend(lint(deck_mod.load(path), config, cache))
    return diags


def report(diags, files: int, args) -> str:
    from .report import FORMATS

    fmt = getattr(args, "format", "text")
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt}: not available yet; choose from {', '.join(FORMATS)}")
    hints = not getattr(args, "no_hints", False)
    if fmt == "text" and args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ:
        from rich.console import Console

        Console(highlight=False, soft_wrap=True).print(FORMATS[fmt](diags, files, color=True, hints=hints), end="")
        return ""
    return FORMATS[fmt](diags, files, hints=hints)


def exit_code(diags) -> int:
    return 1 if any(d.severity == "error" for d in diags) else 0
