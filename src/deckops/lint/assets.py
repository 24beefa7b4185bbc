"""D3xx: images and links that point at files."""
from __future__ import annotations

import re
from pathlib import Path

from .engine import Context, Finding

_REMOTE = re.compile(r"^([a-z][a-z0-9+.-]*:|//|#)", re.I)


def local_target(ctx: Context, ref: str) -> Path | None:
    """Resolve a relative reference against the deck's folder; None for remote or data URLs."""
    if not ref or _REMOTE.match(ref):
        return None
    ref = ref.split("#", 1)[0].split("?", 1)[0]
    base = Path(ctx.deck.path).parent
    return Path(ref) if ref.startswith("/") else base / ref


def inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def missing_image(ctx: Context):
    for slide in ctx.deck.slides:
        for img in slide.images:
            target = local_target(ctx, img.decoded)
            if target is None or not inside(target, ctx.root):
                continue
            if _exists(target):
                if img.src != img.decoded and "%2f" in img.src.lower():
                    yield Finding(img.line, img.col, f"image path `{img.src}` encodes `/` as %2F: "
                                  "browsers refuse such file URLs, so it will not load",
                                  f"write the path with a plain slash: `{img.decoded}`")
                continue
            yield Finding(img.line, img.col, *_missing_text(img, target))


def _exists(p: Path) -> bool:
    try:
        return p.is_file()
    except OSError:
        return False


def _missing_text(img, target: Path) -> tuple[str, str]:
    if "%2f" in img.src.lower():
        return (f"image `{img.src}` is not found: an encoded slash `%2F` never loads in a browser "
                f"(Chromium rejects the file URL)",
                f"write `{img.decoded}` with a plain `/` and make sure the file exists")
    return f"image `{img.src}` is not found (looked for {target})", "fix the path or add the file"
