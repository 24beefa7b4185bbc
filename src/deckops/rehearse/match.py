"""Expected vs actual output: exact, `(re)`, `(glob)` and `...` lines, Kubernetes masks, diffs (pure)."""
from __future__ import annotations

import re
from functools import cached_property
from typing import Iterable, NamedTuple, Sequence

ELLIPSIS = "..."

# name -> pattern; order matters (timestamps before IPs and durations, UIDs and the namespace before suffixes)
K8S_MASKS = {
    "timestamp": r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
                 r"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}",
    "uid": r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
    "resource-version": r"(?P<keep>resourceVersion[\"']?\s*[:=]\s*[\"']?)\d+",
    "ip": r"\b(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?\b|\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{1,4}\b",
    # before the hashes: the rehearsal's namespace ends in 6 random characters that rs-hash would take
    "namespace": r"\bdeckops-rehearse-[a-z0-9]{6}\b",
    # pod-template hash + pod suffix (deployments), then a bare 5-char suffix (jobs, daemonsets,
    # generateName); Kubernetes draws these from an alphabet without vowels, y, 0, 1 and 3, so words
    # rarely match (and a masked word is masked on both sides: it only stops being compared)
    "pod-hash": r"(?<=[a-z0-9])-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}\b",
    # a ReplicaSet's pod-template hash alone (`web-5d84849455`): `rollout restart` stamps a time into the
    # template, so the new ReplicaSet's name differs on every run
    "rs-hash": r"(?<=[a-z0-9])-[bcdfghjklmnpqrstvwxz2456789]{6,10}\b",
    "suffix": r"(?<=[a-z0-9])-[bcdfghjklmnpqrstvwxz2456789]{5}\b",
    # the RESTARTS column of `kubectl get pods` (NAME READY STATUS RESTARTS AGE), with its "(5s ago)"
    "restarts": r"^(?P<keep>\S+\s+\d+/\d+\s+\S+\s+)\d+(?: \([^)]*\))?(?=\s|$)",
    "duration": r"(?<![\w.:/-])(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|y))+(?![\w.:/-])|<unknown>|<invalid>",
}


# Lines whose presence and count depend on timing, not on the deck: kubectl's rollout progress (`rollout
# status`, `apply --wait`), and pods on their way out (a rollout's old or surge pods, a deleted pod). They are
# left out on both sides before comparing, and --update never writes them (docs/rehearse.md, "Racy output").
VOLATILE = re.compile(
    r"^Waiting for (?:deployment|daemon set|statefulset|partitioned roll out|rollout)\b.*"
    r"|^\S+\s+\d+/\d+\s+Terminating\s")


# A row of `kubectl get` whose NAME ends in a generated part (pod-template hash, random suffix): kubectl sorts
# rows by name, so rows that differ only there come in an order that changes from run to run.
_ALPHABET = "[bcdfghjklmnpqrstvwxz2456789]"
_GENERATED_NAME = re.compile(rf"^(\S*?[a-z0-9])-{_ALPHABET}{{5,10}}(?:-{_ALPHABET}{{5}})?(?=\s|$)")
# kubectl's table writer (text/tabwriter: minimum cell width 6, padding 3): cells are 3+ spaces apart
_CELLS = re.compile(r" {3,}")
_HEADER = re.compile(r"^[A-Z][A-Z0-9()-]*(?: [A-Z][A-Z0-9()-]*)*(?: {3,}[A-Z][A-Z0-9()-]*(?: [A-Z][A-Z0-9()-]*)*)+$")


class Masks:
    """Masks: each match becomes `<name>` in both lines before they are compared (compiled on first use:
    lines that match exactly never need them). With the Kubernetes masks, VOLATILE lines are not compared."""

    def __init__(self, table: tuple[tuple[str, str], ...], volatile: bool = False):
        self.table = tuple(table)
        self.volatile = volatile

    @classmethod
    def build(cls, k8s: bool = True, extra: dict[str, str] | None = None) -> "Masks":
        return cls(tuple({**(K8S_MASKS if k8s else {}), **(extra or {})}.items()), volatile=k8s)

    def steady(self, lines: list[str], realign: bool = False) -> list[str]:
        """The lines without the VOLATILE ones, and rows that differ only in a generated name in one order.
        realign (the actual output): a table that lost rows is laid out again as kubectl would have printed it
        without them, so --update does not write column widths sized for pods that were on their way out."""
        if not self.volatile:
            return lines
        kept = [l for l in lines if not VOLATILE.match(l)]
        if realign and len(kept) < len(lines):
            kept = _realigned(lines, kept)
        return self._generated_rows_sorted(_without_redrawn_prompts(kept))

    def _generated_rows_sorted(self, lines: list[str]) -> list[str]:
        out, i = list(lines), 0
        while i < len(out):
            key = _row_key(out[i])
            j = i + 1
            while key is not None and j < len(out) and _row_key(out[j]) == key:
                j += 1
            if j - i > 1:
                out[i:j] = sorted(out[i:j], key=self.apply)
            i = j
        return out

    @cached_property
    def patterns(self) -> tuple[tuple[str, re.Pattern], ...]:
        return tuple((name, re.compile(p)) for name, p in self.table)

    def apply(self, line: str) -> str:
        for name, pattern in self.patterns:
            keep = r"\g<keep>" if "keep" in pattern.groupindex else ""  # a prefix that stays
            line = pattern.sub(f"{keep}<{name}>", line)
        return " ".join(line.split())  # masked values change column widths: padding is not compared


NO_MASKS = Masks(())


# A shell prompt alone on its line (`/ # `, `$ `, `root@box:/# `)
_BARE_PROMPT = re.compile(r"^\S*\s?[#$%>] ?$")


def _without_redrawn_prompts(lines: list[str]) -> list[str]:
    """Drop a bare prompt that the next line repeats with a command typed after it. Under `kubectl debug -it`
    busybox sh draws its prompt again when kubectl attaches and sets the terminal size, before or after the
    first one depending on timing: seen as `/ # ` then `/ # ps` in one run of three on the real node."""
    out = []
    for i, line in enumerate(lines):
        if _BARE_PROMPT.match(line) and i + 1 < len(lines):
            prompt = line if line.endswith(" ") else line + " "
            following = lines[i + 1]
            if following.startswith(prompt) and following.strip() != line.strip():
                continue
        out.append(line)
    return out


def _row_key(line: str) -> str | None:
    """A table row's name without its generated part (`web` for web-7d4b9c8f6d-x2kqp), else None."""
    if line.endswith((" (re)", " (glob)")):
        return None
    m = _GENERATED_NAME.match(line)
    return m.group(1) if m else None


def _realigned(lines: list[str], kept: list[str]) -> list[str]:
    """kept (lines minus VOLATILE ones) with each table that lost rows re-laid out over the rows it kept."""
    out: list[str] = []
    table: list[str] = []
    lost = False
    for line in lines + [""]:
        volatile = VOLATILE.match(line) is not None
        if table and (volatile or (line and len(_CELLS.split(line)) == len(_CELLS.split(table[0])))):
            lost |= volatile
            if not volatile:
                table.append(line)
            continue
        if table:
            out += _tabulated(table) if lost else table
            table, lost = [], False
        if _HEADER.match(line):
            table = [line]
        elif not volatile:
            out.append(line)
    out.pop()  # the "" sentinel
    return out if len(out) == len(kept) else kept


def _tabulated(rows: list[str]) -> list[str]:
    """The rows laid out like kubectl's tabwriter: each column max(6, widest cell + 3), the last unpadded."""
    cells = [_CELLS.split(r.rstrip()) for r in rows]
    widths = [max(6, max(len(c[k]) for c in cells) + 3) for k in range(len(cells[0]) - 1)]
    return ["".join(c.ljust(w) for c, w in zip(row, widths)) + row[-1] for row in cells]


def glob_to_regex(glob: str) -> str:
    """cram globs: `*` any run, `?` one character, `\\` escapes the next character."""
    out, i = [], 0
    while i < len(glob):
        c = glob[i]
        if c == "\\" and i + 1 < len(glob):
            out.append(re.escape(glob[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
        i += 1
    return "".join(out)


def line_matches(expected: str, actual: str, masks: Masks = NO_MASKS) -> bool:
    """One expected line against one actual line."""
    if expected == actual:
        return True
    if expected.endswith(" (re)"):
        return _full(expected[:-5], actual)
    if expected.endswith(" (glob)"):
        return _full(glob_to_regex(expected[:-7]), actual)
    return bool(masks.table) and masks.apply(expected) == masks.apply(actual)


def _full(pattern: str, actual: str) -> bool:
    try:
        return re.fullmatch(pattern, actual) is not None
    except re.error:
        return False


class Comparison(NamedTuple):
    ok: bool
    merged: tuple[str, ...]  # actual output, with each matching expected line kept as written
    diff: tuple[str, ...]  # unified diff lines (empty when ok)


def compare(expected: Sequence[str], actual: Sequence[str], masks: Masks = NO_MASKS,
            first_line: int = 1, label: str = "") -> Comparison:
    """Align expected with actual (`...` swallows any lines); the merged text is what --update writes."""
    expected, actual = masks.steady(list(expected)), masks.steady(list(actual), realign=True)
    if expected == actual:  # the common case needs no alignment table
        return Comparison(True, tuple(expected), ())
    cost = _costs(expected, actual, masks)
    merged = tuple(_walk(expected, actual, masks, cost))
    if cost[0][0] == 0:
        return Comparison(True, merged, ())
    return Comparison(False, merged, tuple(unified(expected, list(merged), first_line, label)))


def _costs(exp: list[str], act: list[str], masks: Masks) -> list[list[int]]:
    """cost[i][j]: fewest unmatched lines aligning exp[i:] with act[j:] (a classic edit-distance table)."""
    n, m = len(exp), len(act)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for j in range(m - 1, -1, -1):
        cost[n][j] = cost[n][j + 1] + 1
    for i in range(n - 1, -1, -1):
        wild = exp[i] == ELLIPSIS
        cost[i][m] = cost[i + 1][m] + (0 if wild else 1)
        for j in range(m - 1, -1, -1):
            if wild:
                cost[i][j] = min(cost[i + 1][j], cost[i][j + 1])
                continue
            best = min(cost[i + 1][j], cost[i][j + 1]) + 1
            if line_matches(exp[i], act[j], masks):
                best = min(best, cost[i + 1][j + 1])
            cost[i][j] = best
    return cost


def _walk(exp: list[str], act: list[str], masks: Masks, cost) -> Iterable[str]:
    i = j = 0
    n, m = len(exp), len(act)
    while i < n or j < m:
        if i < n and exp[i] == ELLIPSIS:
            yield ELLIPSIS
            while j < m and cost[i][j + 1] <= cost[i + 1][j]:
                j += 1  # swallowed by `...`
            i += 1
        elif i < n and j < m and line_matches(exp[i], act[j], masks) and cost[i][j] == cost[i + 1][j + 1]:
            yield exp[i]
            i, j = i + 1, j + 1
        elif j < m and (i == n or cost[i][j] == cost[i][j + 1] + 1):
            yield act[j]
            j += 1
        else:
            i += 1  # an expected line that never came


def unified(expected: list[str], actual: list[str], first_line: int, label: str = "") -> Iterable[str]:
    """A unified diff whose hunk headers carry file line numbers of the slide."""
    import difflib  # only failures need it

    name = label or "expected"
    for line in difflib.unified_diff(expected, actual, f"{name} (slide)", f"{name} (actual)", lineterm="", n=2):
        m = re.match(r"@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@", line)
        if m:
            shift = first_line - 1
            line = f"@@ -{int(m.group(1)) + shift}{m.group(2) or ''} +{int(m.group(3)) + shift}{m.group(4) or ''} @@"
        yield line


