"""Code actions: the safe, local fixes a finding already names (a did-you-mean, a spelling suggestion, a plain `/`
for `%2F`, a `---` before a second h1), as text edits. Pure: a finding's fields and the deck's lines in, edits out;
a fix whose text is not where the finding points is not offered."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Fix:
    title: str
    line: int  # 1-based
    col: int  # 1-based start of the replaced text
    old: str  # the text replaced ("" inserts)
    new: str


def _replace_at(lines, line, col, old, new, title) -> list[Fix]:
    """Replace `old` found at or after the finding's column on its line (the finding points at it)."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    at = text.find(old, max(col - 1, 0))
    if at < 0 or not old or old == new:
        return []
    return [Fix(title, line, at + 1, old, new)]


def _backticks(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def _quoted(text: str) -> list[str]:
    return re.findall(r'"([^"]+)"', text)


def unknown_directive(f, lines):  # D102 "unknown directive `pagniate` ...; did you mean `paginate`?"
    names = _backticks(f["message"])
    if "did you mean" not in f["message"] or len(names) < 2:
        return []
    return _replace_at(lines, f["line"], f["col"], names[0], names[-1], f"Rename to `{names[-1]}`")


def unknown_theme(f, lines):  # D104 "unknown theme `gaja` ..." hint "did you mean `gaia`?"
    guess = _backticks(f["hint"]) if f["hint"].startswith("did you mean") else []
    name = _backticks(f["message"])[:1]
    return _replace_at(lines, f["line"], f["col"], name[0], guess[0], f"Use theme `{guess[0]}`") \
        if guess and name else []


def image_keyword(f, lines):  # D702 "`Left` in the alt ..." hint "write `left`"
    word = _backticks(f["message"])[:1]
    m = re.fullmatch(r"write `([^`]+)`", f["hint"])
    if not word or not m:
        return []
    return _replace_at(lines, f["line"], f["col"], word[0], m.group(1), f"Write `{m.group(1)}`")


def terminology(f, lines):  # D501 "`kubernetes` should be written `Kubernetes` (casing)"
    m = re.match(r"`([^`]+)` should be written `([^`]+)`", f["message"])
    return _replace_at(lines, f["line"], f["col"], m.group(1), m.group(2), f"Write `{m.group(2)}`") if m else []


def near_duplicate(f, lines):  # D502 "\"Kubernets\" appears 1x but \"Kubernetes\" appears 9x: a typo?"
    words = _quoted(f["message"])
    return _replace_at(lines, f["line"], f["col"], words[0], words[1], f"Write \"{words[1]}\"") \
        if len(words) >= 2 else []


def spelling(f, lines):  # D503 "\"teh\" is not in the en_US dictionary: did you mean \"the\" or \"tea\"?"
    words = _quoted(f["message"])
    if "did you mean" not in f["message"] or len(words) < 2:
        return []
    return [fix for s in words[1:]
            for fix in _replace_at(lines, f["line"], f["col"], words[0], s, f"Change to \"{s}\"")]


def encoded_slash(f, lines):  # D301 "image `a%2Fb.png` is not found: an encoded slash `%2F` ..."
    if "%2F" not in f["message"]:
        return []
    src = _backticks(f["message"])[:1]
    m = re.match(r"write `([^`]+)` with a plain `/`", f["hint"])
    return _replace_at(lines, f["line"], f["col"], src[0], m.group(1), "Write a plain `/`") if src and m else []


def slide_break(f, lines):  # D202: a second h1 on one slide
    line = f["line"]
    if not 0 < line <= len(lines):
        return []
    before = "" if line == 1 or not lines[line - 2].strip() else "\n"
    return [Fix(f"Start a new slide before line {line} (`---`)", line, 1, "", f"{before}---\n\n")]


FIXES = {"D102": unknown_directive, "D104": unknown_theme, "D202": slide_break, "D301": encoded_slash,
         "D501": terminology, "D502": near_duplicate, "D503": spelling, "D702": image_keyword}


def fixes(code: str, finding: dict, lines: list[str]) -> list[Fix]:
    """finding: the diagnostic's data (message, hint, line, col), as the server sent it."""
    fix = FIXES.get(code)
    return fix(finding, lines) if fix else []
