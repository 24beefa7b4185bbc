"""D603: marp-cli's warnings turned into positioned diagnostics (marp names neither deck nor file)."""
from __future__ import annotations

from pathlib import Path

from .. import marp
from ..diagnostic import Diagnostic, Pos
from .plan import local_refs, resolve


def _missing(t) -> list[tuple[str, int, int]]:
    return [(ref, ln, col) for ref, ln, col in local_refs(t.deck) if not resolve(t.path, ref).is_file()]


def _blocked(t) -> list[tuple[str, int, int]]:
    # Chromium rejects file URLs with an encoded slash; marp blames "security" for it
    return [(i.src, i.line, i.col) for s in t.deck.slides for i in s.images if "%2f" in i.src.lower()]


# warning kind -> the references of a deck it can be about
_KINDS = {"missing": _missing, "blocked": _blocked}


def diagnostics(results: list[list[marp.Message]], staged: dict, src: Path) -> list[Diagnostic]:
    """One D603 per warning, at the references it can be about, else at line 1 of the next finished deck."""
    by_input = {p.resolve(): t for t, p in staged.items()}
    out: dict[tuple, Diagnostic] = {}
    for msgs in results:
        waiting: list[marp.Message] = []
        for m in msgs:
            if m.level == "WARN" and m in marp.warnings([m]):
                waiting.append(m)
            elif m.done and waiting:
                owner = by_input.get((src / m.done[0]).resolve())
                for w in waiting:
                    for d in _place(w, owner, staged):
                        out.setdefault((d.pos, d.message), d)
                waiting = []
        for w in waiting:
            for d in _place(w, None, staged):
                out.setdefault((d.pos, d.message), d)
    return sorted(out.values(), key=Diagnostic.sort_key)


def _kind(text: str) -> str | None:
    low = text.lower()
    if "missing" in low:
        return "missing"
    if "blocked" in low:
        return "blocked"
    return None


def _place(w: marp.Message, owner, staged: dict) -> list[Diagnostic]:
    kind = _kind(w.text)
    # the deck that finished next is the likely owner; with parallel workers it can be another one
    for decks in ([owner] if owner else [], list(staged)):
        found = [_diag(t.path, line, col, f"{w.text} (`{ref}`)")
                 for t in decks if kind for ref, line, col in _KINDS[kind](t)]
        if found:
            return found
    target = owner or next(iter(staged), None)
    return [_diag(target.path, 1, 1, w.text)] if target else []


def _diag(path, line: int, col: int, text: str) -> Diagnostic:
    return Diagnostic("D603", "marp-warning", "warning", Pos(str(path), line, col), f"marp-cli: {text}",
                      "marp-cli renders the deck anyway; fix the cause so every format shows what you expect")
