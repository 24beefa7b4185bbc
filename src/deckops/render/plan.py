"""Which decks to render and the repo files each one may read: the deck, its local assets, theme CSS."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..diagnostic import Diagnostic, Pos
from ..errors import UsageError
from ..filerefs import local_path, scan_deck


@dataclass(eq=False)  # identity: targets are dict keys
class Target:
    """One deck to render: where it is, the root it is confined to, and the files it references."""

    path: Path  # as given (display)
    data: bytes  # the exact bytes that are hashed and staged
    root: Path  # resolved repo root; local files outside it are never staged
    rel: Path  # deck path relative to root
    assets: tuple[Path, ...] = field(default=())  # resolved files inside root it references (may be missing)

    @property
    def stem(self) -> str:
        return self.path.stem

    @cached_property
    def deck(self):
        """The parsed deck, only when needed (a no-change rebuild never parses: see `memo`)."""
        from .. import deck as deck_mod

        return deck_mod.parse(self.data, str(self.path))


def repo_root(path: Path, config_root: Path) -> Path:
    """config.root when the deck lives under it, else the deck's nearest .git folder, else its folder."""
    p = path.resolve()
    root = config_root.resolve()
    if _inside(p, root):
        return root
    for d in p.parents:
        if (d / ".git").exists():
            return d
    return p.parent


def local_refs(deck) -> list[tuple[str, int, int]]:
    """(decoded path, line, col) of every local file the deck points at: images, CSS (url(), image-set(),
    @import, in any case, escaped or split over lines), HTML attributes, file: URLs (see filerefs)."""
    refs = [(local_path(img.src)[0], img.line, img.col) for s in deck.slides for img in s.images]
    in_code = {n for s in deck.slides for f in s.fences for n in range(f.line, f.end_line + 1)}
    refs += [(r.path, r.line, r.col) for r in scan_deck(deck.lines, in_code)]
    return [r for r in dict.fromkeys(refs) if r[0]]


def resolve(deck_path: Path, ref: str) -> Path:
    base = deck_path.resolve().parent
    return Path(ref).resolve() if ref.startswith("/") else (base / ref).resolve()


def plan(paths: list[Path], config_root: Path, memo: dict | None = None) -> tuple[list[Target], list[Diagnostic]]:
    """Load decks; a deck referencing local files outside its repo root is refused (error), not rendered.

    `memo` (kept in the render cache) maps deck path -> sha256 of its bytes and its asset list, so an
    unchanged deck is not parsed again.
    """
    targets, diags, stems = [], [], {}
    for path in paths:
        target, refused = _target(Path(path), config_root, memo if memo is not None else {})
        diags.extend(refused)
        if refused:
            continue
        if target.stem in stems:
            raise UsageError(f"{path} and {stems[target.stem]} would both render to {target.stem}.*: "
                             "rename one, or render them into different --out folders")
        stems[target.stem] = path
        targets.append(target)
    return targets, diags


def _target(path: Path, config_root: Path, memo: dict) -> tuple[Target | None, list[Diagnostic]]:
    from ..deck import MAX_DECK_BYTES

    try:
        if not path.is_file():  # a pipe would block the read forever
            raise UsageError(f"{path}: not a regular file")
        size = path.stat().st_size
        if size > MAX_DECK_BYTES:  # lint's limit holds for render and check too (a 1.86 GB deck took 287 s)
            return None, [Diagnostic("D001", "parse-error", "error", Pos(str(path), 1, 1),
                                     f"deck is {size:,} bytes; the limit is {MAX_DECK_BYTES:,}: not rendered",
                                     "split the deck; images belong in files, not in the Markdown")]
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    root = repo_root(path, config_root)
    target = Target(path, data, root, path.resolve().relative_to(root))
    key, sha = f"{path.resolve()}|{root}", hashlib.sha256(data).hexdigest()
    known = memo.get(key)
    if known and known.get("sha") == sha:
        target.assets = tuple(Path(a) for a in known["assets"])
        return target, []
    assets, diags = set(), []
    for ref, line, col in local_refs(target.deck):
        found = resolve(path, ref)
        if _inside(found, root):
            assets.add(found)
        else:
            diags.append(Diagnostic("D304", "path-outside-repo", "error", Pos(str(path), line, col),
                                    f"`{ref}` points outside the repository ({root}); the deck is not rendered",
                                    "copy the file into the repository (e.g. images/) and reference it there"))
    target.assets = tuple(sorted(assets))
    if not diags:
        memo[key] = {"sha": sha, "assets": [str(a) for a in target.assets]}
    return target, diags


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False
