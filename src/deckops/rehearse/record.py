"""Recordings of green snippets: asciicast v2 (timed output, terminal size, credentials hidden) and an SVG of the
final screen, written atomically inside the recordings folder; read back by `demo --replay` and `deckops time`."""
from __future__ import annotations

import json
import re
import time
from html import escape
from pathlib import Path
from typing import Callable, Iterable, NamedTuple, Sequence

from ..files import FileError, write_atomic

SIZE = (40, 120)  # rows, columns of the rehearsal's pty: what the recordings say they were made on
PROMPT = "$ "
# Credentials a session can print (kubectl config view --raw, a token request, a Secret's data): hidden in every
# recording, besides the deck's own `masks:`. The Kubernetes masks rehearse compares with are not applied: they
# hide no secret, and a fallback showing `<timestamp>` and `web-<pod-hash>` would not look like the live run.
SECRET_MASKS = {
    # (a line at a time: the PEM block's own lines are 64 base64 characters, its last one ends in `=`)
    "private-key": r"-----BEGIN [A-Z ]*PRIVATE KEY-----|^[A-Za-z0-9+/]{64}$|^[A-Za-z0-9+/]{16,63}={1,2}$",
    "jwt": r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+",
    "credential": r"(?P<keep>(?:client-key-data|client-certificate-data|token|password|secret)[\"']?\s*[:=]\s*"
                  r"[\"']?)[A-Za-z0-9+/=._-]{12,}",
    "bearer": r"(?P<keep>[Bb]earer )[A-Za-z0-9._~+/=-]{12,}",
}


class Hider:
    """Replaces each match with `<name>`, keeping the rest of the line as it was (columns stay aligned)."""

    def __init__(self, table: dict[str, str]):
        self.patterns = tuple((name, re.compile(p)) for name, p in table.items())

    @classmethod
    def for_deck(cls, deck_masks: dict[str, str]) -> "Hider":
        return cls({**SECRET_MASKS, **deck_masks})

    def __call__(self, line: str) -> str:
        for name, pattern in self.patterns:
            keep = r"\g<keep>" if "keep" in pattern.groupindex else ""
            line = pattern.sub(f"{keep}<{name}>", line)
        return line


class Cast(NamedTuple):
    """One snippet's recording as read back: its header and events ([seconds, code, data])."""
    path: Path
    header: dict
    events: list

    @property
    def duration(self) -> float:
        return float(self.header.get("duration") or (self.events[-1][0] if self.events else 0.0))

    def commands(self) -> list[tuple[str, list[tuple[float, str]]]]:
        """(command, [(seconds since it started, output)]) per command: the `m` markers split them; the
        echoed `$ command` line is left out (demo types it itself)."""
        out: list[tuple[str, list[tuple[float, str]]]] = []
        start, skip_echo = 0.0, False
        for t, code, data in self.events:
            if code == "m":
                out.append((data, []))
                start, skip_echo = t, True
            elif code == "o" and out:
                if skip_echo:
                    skip_echo = False
                    continue
                out[-1][1].append((t - start, data))
        return out


# --- names: one file per snippet, from its slide and rank; nothing from the deck's text ----------------

def names(snippets: Sequence) -> list[str]:
    """`slide-003-1` for the first snippet of slide 3, `setup-2` for the second setup command."""
    seen: dict[str, int] = {}
    out = []
    for s in snippets:
        base = f"slide-{s.slide:03d}" if s.slide else s.role
        seen[base] = seen.get(base, 0) + 1
        out.append(f"{base}-{seen[base]}")
    return out


def deck_folder(root: Path, deck_path: str | Path) -> Path:
    """root/<deck stem>, the stem reduced to safe characters: a deck's name cannot lead outside root."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(deck_path).stem).lstrip(".") or "deck"
    return Path(root) / stem


# --- writing -----------------------------------------------------------------------------------------

def lines_of(timeline: Iterable[tuple[float, bytes]]) -> list[tuple[float, bytes]]:
    """Raw output cut into lines, each timed by the piece its last byte arrived in."""
    out, pending, last = [], b"", 0.0
    for t, piece in timeline:
        pending += piece
        last = t
        *done, pending = pending.split(b"\n")
        out += [(t, line + b"\n") for line in done]
    if pending:
        out.append((last, pending))
    return out


def events(commands: Sequence[tuple[str, float, Sequence[tuple[float, bytes]], str]],
           clean: Callable[[bytes], str], hide: Callable[[str], str]) -> list[list]:
    """commands: (shown command, seconds it ran, raw timeline, cleaned output as a fallback when there is no
    timeline). One `m` marker and one `$ command` echo per command, then its output a line at a time."""
    out, offset = [], 0.0
    for shown, seconds, timeline, output in commands:
        out.append([round(offset, 6), "m", shown])
        out.append([round(offset, 6), "o", PROMPT + shown.replace("\n", "\r\n> ") + "\r\n"])
        lines = [(t, clean(raw)) for t, raw in lines_of(timeline)] if timeline else \
            [(0.0, l) for l in output.splitlines(keepends=True)]
        for t, text in lines:
            if text:
                shown_text = "".join(hide(l) for l in text.splitlines(keepends=True))
                out.append([round(offset + min(t, seconds), 6), "o", shown_text.replace("\n", "\r\n")])
        offset += seconds
    return out


def cast_text(header: dict, evs: list[list]) -> str:
    return "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in [header, *evs])


def header(title: str, seconds: float, size: tuple[int, int] = SIZE, extra: dict | None = None) -> dict:
    return {"version": 2, "width": size[1], "height": size[0], "timestamp": int(time.time()),
            "duration": round(seconds, 6), "title": title, "env": {"TERM": "xterm-256color", "SHELL": "/bin/bash"},
            **({"deckops": extra} if extra else {})}


def screen(evs: list[list], size: tuple[int, int] = SIZE) -> list[str]:
    """The final screen: the last `rows` lines of the output, wrapped at the terminal's width."""
    rows, cols = size
    text = "".join(data for _, code, data in evs if code == "o").replace("\r\n", "\n")
    lines: list[str] = []
    for line in text.split("\n"):
        line = line.expandtabs(8)
        lines += [line[i:i + cols] for i in range(0, len(line), cols)] or [""]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines[-rows:]


CELL_W, CELL_H, PAD = 8.4, 17, 10


def svg(lines: list[str], size: tuple[int, int] = SIZE, title: str = "") -> str:
    """A static picture of the screen: one <text> per line in a monospace font (no browser involved)."""
    cols = max([len(l) for l in lines] + [20])
    cols = min(cols, size[1])
    w, h = round(cols * CELL_W + 2 * PAD), round(max(len(lines), 1) * CELL_H + 2 * PAD)
    # spaces as no-break spaces: renderers collapse runs of spaces in SVG text whatever xml:space says, and the
    # columns of `ps` or `kubectl get` must stay where they were
    body = "\n".join(f'<text x="{PAD}" y="{PAD + (i + 1) * CELL_H - 4}">{escape(l).replace(" ", chr(160))}</text>'
                     for i, l in enumerate(lines) if l)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">\n'
            f"<title>{escape(title)}</title>\n"
            f'<rect width="100%" height="100%" fill="#1e1e1e"/>\n'
            f'<g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14px" fill="#e6e6e6" '
            f'xml:space="preserve">\n{body}\n</g>\n</svg>\n')


def write(folder: Path, name: str, text: str, title: str, size: tuple[int, int] = SIZE) -> Path:
    """folder/name.cast and folder/name.svg, each written whole or not at all."""
    path = folder / f"{name}.cast"
    evs = [json.loads(l) for l in text.splitlines()[1:]]
    write_atomic(path, text.encode("utf-8"))
    write_atomic(folder / f"{name}.svg", svg(screen(evs, size), size, title).encode("utf-8"))
    return path


def record_result(root: Path, name: str, result, clean: Callable[[bytes], str], hide: Callable[[str], str],
                  size: tuple[int, int] = SIZE) -> Path | None:
    """A passing snippet's recording (a failing one keeps the last green recording in place)."""
    if result.status != "pass":
        return None
    s = result.snippet
    commands = [(c.command.shown if c.command.console else c.command.text, c.outcome.seconds, c.outcome.timeline,
                 c.outcome.output) for c in result.commands]
    evs = events(commands, clean, hide)
    extra = {"deck": str(s.deck), "slide": s.slide, "role": s.role, "line": s.fence_line}
    head = header(s.label, sum(c[1] for c in commands), size, extra)
    return write(deck_folder(root, s.deck), name, cast_text(head, evs), s.label, size)


# --- reading -----------------------------------------------------------------------------------------

class CastError(FileError):
    """An unreadable recording: names the file and the line."""


def read(path: Path) -> Cast:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CastError(f"{path}: cannot read the recording: {getattr(exc, 'strerror', None) or exc}") from None
    rows = text.splitlines()
    try:
        head = json.loads(rows[0]) if rows else None
        if not isinstance(head, dict) or head.get("version") != 2:
            raise ValueError("not an asciicast v2 header")
        evs = []
        for n, row in enumerate(rows[1:], 2):
            if row.strip():
                ev = json.loads(row)
                if not (isinstance(ev, list) and len(ev) == 3 and isinstance(ev[0], (int, float))):
                    raise ValueError(f"line {n}: not an event [time, code, data]")
                evs.append(ev)
    except (ValueError, RecursionError) as exc:
        raise CastError(f"{path}: not an asciicast v2 recording: {exc}") from None
    return Cast(Path(path), head, evs)


def find(root: Path, deck_path: str | Path, snippets: Sequence) -> dict[int, Path]:
    """Snippet index -> its recording in root, for those that have one."""
    folder = deck_folder(root, deck_path)
    return {i: folder / f"{n}.cast" for i, n in enumerate(names(snippets)) if (folder / f"{n}.cast").is_file()}
