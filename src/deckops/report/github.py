"""GitHub Actions workflow commands: `::error file=...,line=...,col=...,title=...::message` per finding."""
from __future__ import annotations

from ..diagnostic import Diagnostic
from .text import summary

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def line(d: Diagnostic, hints: bool = True) -> str:
    props = ",".join([
        f"file={escape_property(d.path)}",
        f"line={d.line}",
        f"col={d.col}",
        f"title={escape_property(f'{d.code} {d.name}')}",
    ])
    message = d.message + (f"\nhint: {d.hint}" if hints and d.hint else "")
    return f"::{COMMANDS.get(d.severity, 'warning')} {props}::{escape_data(message)}"


def render(diags: list[Diagnostic], files: int, *, hints: bool = True, **_) -> str:
    return "".join(line(d, hints) + "\n" for d in diags) + summary(diags, files) + "\n"
