"""Starts shellcheck (D402) before a deck is parsed, from a quick line scan of its top-level fences.

The Markdown parse of a large deck takes a second on one core while the other idles; shellcheck is the
slowest part of a cold lint. The scan only guesses the blocks: D402 uses these results just for block
texts the real parse yields (a result depends on the text alone), and checks any other block itself.
"""
from __future__ import annotations

import re
import stat
from pathlib import Path
from types import SimpleNamespace

from .. import deck as deck_mod
from ..config import Config
from . import snippets
from .diskcache import ResultCache
from .engine import _selected, _severity

_OPEN = re.compile(r"^(`{3,}|~{3,})(.*)$")
_LANGS = (deck_mod.SHELL_LANGS | deck_mod.CONSOLE_LANGS) - snippets.NOT_BASH


def start(path: str | Path, config: Config, cache: dict, rule) -> None:
    """Best effort: any surprise means no early start (the rule then does all the work as usual)."""
    binary = snippets.shellcheck_binary()
    if binary is None or _severity(rule, config) == "off" or not _selected(rule, config):
        return
    try:
        p = Path(path)
        st = p.stat()
        if not stat.S_ISREG(st.st_mode) or st.st_size > deck_mod.MAX_DECK_BYTES:  # deck.load refuses these
            return  # (and reading a pipe would block)
        texts = scripts(p.read_bytes())
        if texts:
            job = snippets.Job(ResultCache.of(cache, "shellcheck", snippets._identity(binary)), binary,
                               list(enumerate(texts)))
            cache[("shellcheck-early", str(path))] = job
    except Exception:  # noqa: BLE001 - a guess that failed costs nothing
        return


def scripts(data: bytes) -> list[str]:
    """Distinct script texts of the unindented shell/console fences, built as deck.py builds them."""
    text = data.decode("utf-8").lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = tuple(text.split("\n"))
    builder = deck_mod._Builder("", text, lines, [], [], False, False)
    out: dict[str, None] = {}
    for tok in _fences(lines):
        lang = tok.info.split()[0].lower() if tok.info.strip() else ""
        if lang in _LANGS:
            cmds = builder._fence(tok).commands
            if cmds and any(c.text.strip() for c in cmds):
                out["\n".join(c.text for c in cmds) + "\n"] = None
    return list(out)


def _fences(lines: tuple[str, ...]):
    """Closed top-level fences as the few token fields deck._Builder._fence reads."""
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
        yield SimpleNamespace(map=(i, end + 1), info=m.group(2), markup=mark,
                              content="".join(line + "\n" for line in lines[i + 1:end]))
        i = end + 1
