"""Runs the registered rules over a deck: selection, severities, inline disables, crash isolation."""
from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, NamedTuple

from ..config import Config
from ..deck import Deck
from ..diagnostic import Diagnostic, Pos, Severity


class Finding(NamedTuple):
    """What a rule yields; the engine adds code, name, severity and path."""

    line: int
    col: int
    message: str
    hint: str = ""
    severity: Severity | None = None  # a rule may downgrade/upgrade a single finding


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    check: Callable[["Context"], Iterable[Finding]]
    summary: str = ""
    # starts slow work (external tools) in the background before any rule runs; check() collects it
    prepare: Callable[["Context"], None] | None = None


@dataclass
class Context:
    deck: Deck
    config: Config
    cache: dict

    @property
    def root(self):
        return self.config.root


_CODE = re.compile(r"^D\d{1,3}$")


def is_code(ident: str) -> bool:
    """A rule code (`D402`) or a code prefix (`D4`, `D40`)."""
    return bool(_CODE.match(ident))


def _specificity(ident: str, code: str, name: str) -> int:
    """How closely ident names the rule: its name or full code (9), a code prefix (its length), or no (-1)."""
    if ident in (name, code):
        return 9
    if is_code(ident) and code.startswith(ident):
        return len(ident)
    return -1


def selected(code: str, name: str, config: Config) -> bool:
    """select/ignore, the more specific entry winning (flake8's rule: `ignore = ["D4"]` with `select = ["D402"]`
    keeps D402); `all` selects everything at the lowest specificity."""
    picked = max((_specificity(i, code, name) for i in config.select), default=-1)
    if "all" in config.select:
        picked = max(picked, 0)
    dropped = max((_specificity(i, code, name) for i in config.ignore), default=-1)
    if dropped >= 0 and dropped >= picked:
        return False
    return picked >= 0 or not config.select


def _selected(rule: Rule, config: Config) -> bool:
    return selected(rule.code, rule.name, config)


def _severity(rule: Rule, config: Config) -> str:
    return severity_of(rule.code, rule.name, rule.severity, config)


def severity_of(code: str, name: str, default: str, config: Config) -> str:
    return config.severity.get(name) or config.severity.get(code) or default


def is_active(rule: Rule, config: Config) -> bool:
    """Whether the config runs this rule (selected, not ignored, severity not off)."""
    return _severity(rule, config) != "off" and _selected(rule, config)


def run_rules(rules: Iterable[Rule], deck: Deck, config: Config, cache: dict | None = None) -> list[Diagnostic]:
    ctx = Context(deck, config, cache if cache is not None else {})
    active = [(rule, _severity(rule, config)) for rule in rules if is_active(rule, config)]
    for rule, _ in active:
        _prepare(rule, ctx)
    out: list[Diagnostic] = []
    # rules whose prepare started background work (shellcheck, kubectl help) go last: the others run meanwhile
    for rule, sev in sorted(active, key=lambda a: a[0].prepare is not None):
        out.extend(_apply(rule, ctx, sev))
    out = _filter_disabled(out, deck)
    return sorted(set(out), key=Diagnostic.sort_key)


def _prepare(rule: Rule, ctx: Context) -> None:
    """Best effort: a failing prepare is not reported here, the rule's check meets the same error."""
    if rule.prepare is not None:
        try:
            rule.prepare(ctx)
        except Exception:  # noqa: BLE001 - reported by _apply when check() repeats the work
            pass


def _apply(rule: Rule, ctx: Context, sev: str) -> Iterator[Diagnostic]:
    try:
        findings = list(rule.check(ctx))
    except Exception as exc:  # noqa: BLE001 - a crashing rule is a finding (D000), not a traceback
        where = traceback.extract_tb(exc.__traceback__)[-1]
        yield Diagnostic("D000", "internal-error", "error", Pos(ctx.deck.path, 1, 1),
                         f"rule {rule.code} {rule.name} crashed: {type(exc).__name__}: {exc} "
                         f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno})",
                         "please report this with the deck that triggers it")
        return
    for f in findings:
        yield Diagnostic(rule.code, rule.name, f.severity or sev, Pos(ctx.deck.path, f.line, max(f.col, 1)),
                         f.message, f.hint)


_DIRECTIVE = re.compile(r"^deckops-(disable-next-line|disable|enable)(?![\w-])\s*(.*)$", re.S)


def filter_disabled(diags: list[Diagnostic], deck: Deck) -> list[Diagnostic]:
    return _filter_disabled(diags, deck)


def _filter_disabled(diags: list[Diagnostic], deck: Deck) -> list[Diagnostic]:
    """Apply <!-- deckops-disable/enable/disable-next-line [names] --> in file order."""
    events = []
    for slide in deck.slides:
        for c in slide.comments:
            m = _DIRECTIVE.match(c.text) if c.kind == "deckops" else None
            if m:
                names = set(re.split(r"[\s,]+", m.group(2).strip())) - {""}
                events.append((c.line, c.end_line, m.group(1), names or {"*"}))
    if not events:
        return diags
    fences = [(f.line, f.end_line) for slide in deck.slides for f in slide.fences]
    return [d for d in diags if not _suppressed(d, events, _fence_start(d.line, fences))]


def _fence_start(line: int, fences: list[tuple[int, int]]) -> int | None:
    """The opening line of the code fence `line` is inside: a disable-next-line above a fence covers what is
    found in it (a shell error, a rehearsed command, an overflowing block), where no comment can go."""
    return next((start for start, end in fences if start < line <= end), None)


def _suppressed(d: Diagnostic, events, fence: int | None = None) -> bool:
    ids = {d.code, d.name, "*"}
    off: set[str] = set()
    for line, end_line, kind, names in sorted(events):
        if kind == "disable-next-line":
            if end_line + 1 in (d.line, fence) and names & ids:
                return True
            continue
        if line > d.line:
            break
        if kind == "disable":
            off |= names
        else:
            off = set() if "*" in names else off - names
    return bool(off & ids)
