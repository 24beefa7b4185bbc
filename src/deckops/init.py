"""`deckops init`: a talk repository skeleton (a starter deck that passes lint, check and rehearse)."""
from __future__ import annotations

from pathlib import Path

from . import _shipped
from .errors import UsageError

_TEMPLATES = Path(__file__).resolve().parent / "templates" / "talk"
# file in the new repo -> its template (dotfiles are stored without the dot: wheels and editors hide them)
FILES = {
    "slides/talk.md": _TEMPLATES / "slides" / "talk.md",
    "images/diagram.svg": _TEMPLATES / "images" / "diagram.svg",
    "themes/talk.css": _TEMPLATES / "themes" / "talk.css",
    "deckops.toml": _TEMPLATES / "deckops.toml",
    ".gitignore": _TEMPLATES / "gitignore",
    ".pre-commit-config.yaml": _TEMPLATES / "pre-commit-config.yaml",
}


def sources() -> dict[str, Path]:
    """Every file init writes and where its content comes from (the workflow is the one deckops tests)."""
    return {**FILES, ".github/workflows/deck.yml": _shipped.path(".github/workflows/deck.yml")}


def create(target: Path) -> list[Path]:
    """Write the skeleton into target; refuses (UsageError, nothing written) when any file exists."""
    files = sources()
    taken = [rel for rel in files if (target / rel).exists() or (target / rel).is_symlink()]
    if taken:
        raise UsageError(f"{target}: would overwrite {', '.join(taken)}; move them away or pick another folder")
    written = []
    for rel, src in files.items():
        dst = target / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(src.read_bytes())
        written.append(dst)
    return written
