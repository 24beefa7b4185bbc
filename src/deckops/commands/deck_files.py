"""Which deck files a command reads: folders expanded to their *.md decks, a missing path a usage error, --shard."""
from __future__ import annotations

from pathlib import Path

from ..config import Config
from ..errors import UsageError


def collect_decks(paths: list[str], config: Config, shard: str | None = None) -> list[Path]:
    """Expand folders to their *.md decks, in name order; a missing path is a usage error. `shard` ('I/N'):
    only the decks of that shard (see shard.py), which may be none."""
    if not paths:
        paths = [str(config.root / "slides")]
    decks: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(x for x in p.glob("*.md") if x.is_file() and x.name.lower() != "readme.md")
            if not found:
                raise UsageError(f"{raw}: no *.md decks in this folder")
            decks.extend(found)
        elif p.exists() or p.is_symlink():
            decks.append(p)
        else:
            raise UsageError(f"{raw}: no such file or folder")
    if shard:
        from ..shard import select

        return select(decks, config.root, shard)
    return decks
