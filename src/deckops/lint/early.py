"""Starts the slow tools of a lint before the deck is parsed, from a quick line scan of its top-level fences.

The Markdown parse of a large deck takes a second on one core while the other idles. Two things start then:
shellcheck (D402) on the shell blocks the scan finds, and kubectl's help (D403) for the subcommands those
blocks call. Both are guesses that cost nothing when wrong: D402 uses the early results just for block texts
the real parse yields (a result depends on the text alone) and checks any other block itself; D403 asks the
prefetched helper, which fetches on demand whatever the guess missed.
"""
from __future__ import annotations

import re
import stat
from pathlib import Path

from .. import deck as deck_mod
from .. import proc
from ..config import Config
from .kubectl_help import prefetch, resolve_binary
from . import snippets
from .diskcache import ResultCache
from .engine import Rule, is_active

_OPEN = re.compile(r"^(`{3,}|~{3,})(.*)$")
_LANGS = (deck_mod.SHELL_LANGS | deck_mod.CONSOLE_LANGS) - snippets.NOT_BASH


def start(path: str | Path, config: Config, cache: dict, shellcheck: Rule, kubectl: Rule) -> None:
    """Best effort: any surprise means no early start (the rules then do all the work as usual)."""
    sc_binary = snippets.shellcheck_binary() if is_active(shellcheck, config) else None
    k_binary = resolve_binary(config.kubectl) if is_active(kubectl, config) else None
    if sc_binary is None and k_binary is None:
        return
    try:
        p = Path(path)
        st = p.stat()
        if not stat.S_ISREG(st.st_mode) or st.st_size > deck_mod.MAX_DECK_BYTES:  # deck.load refuses these
            return  # (and reading a pipe would block)
        texts = scripts(p.read_bytes())
        if texts and sc_binary is not None:
            job = snippets.Job(ResultCache.of(cache, "shellcheck", snippets.identity(sc_binary)), sc_binary,
                               list(enumerate(texts)))
            cache[("shellcheck-early", str(path))] = job
        words = subcommands(texts, config) if k_binary is not None else []
        if words and not {("kubectl-help-early", k_binary), ("kubectl-help", k_binary)} & cache.keys():
            cache[("kubectl-help-early", k_binary)] = proc.background(prefetch, k_binary, words)
    except Exception:  # noqa: BLE001 - a guess that failed costs nothing
        return


def subcommands(texts: list[str], config: Config) -> list[str]:
    """The first word after `kubectl` (or an alias of it) in the scripts, in order of appearance."""
    names = ["kubectl", *(a for a, target in config.aliases.items() if target.split()[:1] == ["kubectl"])]
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, sorted(names))) + r")[ \t]+([a-z][a-z0-9-]*)")
    return list(dict.fromkeys(m.group(1) for text in texts for m in pattern.finditer(text)))


def scripts(data: bytes) -> list[str]:
    """Distinct script texts of the unindented shell/console fences, built as deck.py builds them."""
    text = data.decode("utf-8").lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = tuple(text.split("\n"))
    out: dict[str, None] = {}
    for first, info, content in _fences(lines):
        lang = info.split()[0].lower() if info.strip() else ""
        if lang in _LANGS:
            fence_lines, _ = deck_mod.fence_lines(lang, content, first, lines)
            cmds = [fl.text for fl in fence_lines if fl.kind != "output"]
            if cmds and any(c.strip() for c in cmds):
                out["\n".join(cmds) + "\n"] = None
    return list(out)


def _fences(lines: tuple[str, ...]):
    """Closed top-level fences: (deck line of the body's first line, info string, body)."""
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m or (m.group(1)[0] == "`" and "`" in m.group(2)):
            i += 1
            continue
        mark = m.group(1)
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith(mark)
                    and not lines[j].strip().strip(mark[0])), None)
        if end is None:
            return
        yield i + 2, m.group(2).strip(), "".join(line + "\n" for line in lines[i + 1:end])
        i = end + 1
