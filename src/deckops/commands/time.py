"""`deckops time`: each slide's share of the talk (notes, demos, allowance) against the target; exit 1 over it."""
from __future__ import annotations

from pathlib import Path

from .. import deck as deck_mod
from ..errors import UsageError
from ..files import FileError, read_checked
from ..rehearse import budget, record, settings as settings_mod, snippets as snip_mod
from ..report import timing
from ._common import emit, load_config
from .deck_files import collect_decks


def run(args) -> int:
    config = load_config(args)
    pace = _pace(args, config)
    recordings = Path(args.recordings) if args.recordings else config.root / (config.out or "dist") / "recordings"
    junit = _junit(args.junit) if args.junit else None
    budgets = [_budget(path, config, pace, recordings, junit, args.junit) for path in collect_decks(args.decks, config)]
    emit((timing.render_json if args.format == "json" else timing.render_text)(budgets), args.output)
    return 1 if any(b.over for b in budgets) else 0


def _pace(args, config) -> budget.Pace:
    pace = budget.from_config(dict(getattr(config, "time", {}) or {}), config.source)
    try:
        target = budget.parse_duration(args.target) if args.target else pace.target
    except ValueError as exc:
        raise UsageError(f"--target: {exc}") from None
    for name in ("wpm", "pace"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise UsageError(f"--{name}: must be a positive number, got {value:g}")
    return pace._replace(target=target, wpm=args.wpm or pace.wpm, pace=args.pace or pace.pace)


def _junit(path: Path) -> dict:
    try:
        return budget.junit_times(read_checked(path, "JUnit report").decode("utf-8", "replace"))
    except (FileError, ValueError) as exc:
        raise UsageError(f"{path}: {exc}") from None


def _budget(path: Path, config, pace: budget.Pace, recordings: Path, junit: dict | None, junit_path) -> budget.Budget:
    deck = deck_mod.load(path)
    fatal = [i for i in deck.issues if i.kind in ("read", "too-large", "encoding")]
    if fatal:
        raise UsageError(f"{path}:{fatal[0].line}:{fatal[0].col}: {fatal[0].message}")
    sets = settings_mod.for_deck(settings_mod.from_config(config), path)
    found = snip_mod.extract(deck, sets.aliases)
    problems = [(p.line, p.col, p.message) for p in found.problems]
    problems += [(p.line, p.col, p.message) for s in deck.slides for p in budget.time_note(s)[1]]
    if problems:
        raise UsageError("\n".join(f"{path}:{line}:{col}: {message}" for line, col, message in sorted(problems)))
    runs, source = _runs(deck, found.snippets, recordings, junit)
    return budget.budget(deck, found.snippets, runs, pace, source or (str(junit_path) if junit else ""))


def _runs(deck, snippets, recordings: Path, junit: dict | None) -> tuple[dict[int, float], str]:
    """Measured seconds per snippet: the recordings when there are any, else the JUnit report."""
    found = record.find(recordings, deck.path, snippets)
    if found:
        try:
            return {i: record.read(p).duration for i, p in found.items()}, f"recordings in {recordings}"
        except record.CastError as exc:
            raise UsageError(str(exc)) from None
    if junit:
        name = Path(deck.path).name  # (the report names the deck as rehearse was given it)
        return {i: junit[(name, s.commands[0].line)] for i, s in enumerate(snippets)
                if s.commands and (name, s.commands[0].line) in junit}, ""
    return {}, ""
