"""Plain text: one `path:line:col: CODE name message` line per finding, then a summary."""
from __future__ import annotations

from ..diagnostic import Diagnostic, count, format_text


def summary(diags: list[Diagnostic], files: int) -> str:
    e, w, i = count(diags, "error"), count(diags, "warning"), count(diags, "info")
    noun = "file" if files == 1 else "files"
    return f"{files} {noun} checked: {e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}, {i} info"


def render_text(diags: list[Diagnostic], files: int, *, color: bool = False, hints: bool = True) -> str:
    out = []
    for d in diags:
        line = format_text(d)
        if color:
            style = {"error": "red", "warning": "yellow"}.get(d.severity, "cyan")
            line = f"[bold]{d.pos}:[/bold] [{style}]{d.code}[/{style}] {d.name} {_esc(d.message)}"
        out.append(line)
        if hints and d.hint:
            out.append(f"    hint: {_esc(d.hint) if color else d.hint}")
    s = summary(diags, files)
    if color:
        s = f"[bold {'red' if count(diags, 'error') else 'green'}]{s}[/]"
    out.append(s)
    return "\n".join(out) + "\n"


def _esc(s: str) -> str:
    return s.replace("[", r"\[")
