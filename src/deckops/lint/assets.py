"""D3xx: images, links, CSS and HTML that point at files (never outside the repo), alt text, remote links (--online)."""
from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

from ..filerefs import kept_line, open_at_end, scan, scan_deck
from ..helpers import inside, lexically_inside
from . import perslide
from .engine import Context, Finding

_REMOTE = re.compile(r"^([a-z][a-z0-9+.-]*:|//|#)", re.I)
_FILE_URL = re.compile(r"^file:", re.I)
GENERIC_ALT = frozenset({
    "image", "img", "picture", "pic", "photo", "screenshot", "screen shot", "test", "alt", "alt text",
    "todo", "tbd", "untitled", "placeholder", "diagram", "figure", "graphic", "icon", "foo", "bar", "x",
})


def local_target(ctx: Context, ref: str) -> Path | None:
    """Resolve a relative reference against the deck's folder; None for remote or data URLs."""
    if not ref or _REMOTE.match(ref):
        return None
    ref = ref.split("#", 1)[0].split("?", 1)[0]
    base = Path(ctx.deck.path).parent
    return Path(ref) if ref.startswith("/") else base / ref


def deck_refs(deck, cache: dict) -> list:
    """filerefs.scan_deck over the deck outside its fences, once per deck and run (path-outside-repo,
    missing-image and the result cache's dependencies all read it). Slide by slide where no reference can
    run on from one slide into the next (an unchanged slide's scan is kept from the last lint: perslide.py),
    in scan_deck's order (CSS references, then HTML)."""
    hit = cache.get(("deck-refs",))
    if hit is None or hit[0] is not deck:
        parts = perslide.each(Context(deck, None, cache), "deck-refs", _span_refs,  # (no rule reads the config)
                              moved=lambda found, by: ([dataclasses.replace(r, line=r.line + by) for r in found[0]],
                                                       found[1]))
        if parts is None or any(tail_open for _, tail_open in parts[:-1]):
            in_code = {n for s in deck.slides for f in s.fences for n in range(f.line, f.end_line + 1)}
            refs = scan_deck(deck.lines, in_code)
        else:
            refs = [r for kind in ("css", "html") for part, _ in parts for r in part if r.kind == kind]
        hit = cache[("deck-refs",)] = (deck, refs)
    return hit[1]


def _span_refs(ctx: Context, span) -> tuple[list, bool]:
    s, lo, hi = span
    in_code = {n for f in s.fences for n in range(f.line, f.end_line + 1)}
    text = "\n".join(kept_line(ctx.deck.lines[n - 1], n in in_code) for n in range(lo, hi + 1))
    return scan(text, lo), open_at_end(text)


def _exists(p: Path) -> bool:
    try:
        return p.is_file()
    except OSError:
        return False


def _refs(ctx: Context):
    """Every (kind, ref-as-decoded, ref-as-written, line, col) of the deck."""
    for slide in ctx.deck.slides:
        for img in slide.images:
            yield "image", img.decoded, img.src, img.line, img.col
        for link in slide.links:
            yield "link", link.href, link.href, link.line, link.col


def path_outside_repo(ctx: Context):
    """The early, positioned warning; what keeps render and check inside the repo is the sandbox
    (proc.Sandbox), which also holds against references no text check knows."""
    seen: set[tuple[int, str]] = set()
    outside: dict[str, bool] = {}  # each path judged once per run
    for kind, ref, written, line, col in _refs(ctx):
        seen.add((line, ref))
        if _FILE_URL.match(ref):
            yield Finding(line, col, f"{kind} `{written}` is a file: URL; it points outside the repository "
                          "and breaks on any other machine", "copy the file into the repo and use a relative path")
            continue
        if ref not in outside:
            target = local_target(ctx, ref)
            outside[ref] = target is not None and not inside(target, ctx.root)
        if outside[ref]:
            yield Finding(line, col, f"{kind} `{written}` points outside the repository; "
                          "deckops does not read it and the deck breaks on any other machine",
                          "copy the file into the repo and use a relative path")
    yield from _text_refs(ctx, seen)


def _text_refs(ctx: Context, seen: set[tuple[int, str]]):
    """CSS (url(), image-set(), @import; any case, escapes, split lines) and HTML attributes (quoted or not)."""
    outside: dict[str, bool] = {}  # a hostile deck repeats one reference many times: judge each path once
    for ref in deck_refs(ctx.deck, ctx.cache):
        if (ref.line, ref.path) in seen or (ref.line, ref.written) in seen:
            continue
        seen.add((ref.line, ref.path))
        what = "CSS reference" if ref.kind == "css" else "HTML attribute"
        if ref.file_url:
            yield Finding(ref.line, ref.col, f"{what} `{ref.written}` is a file: URL; it points outside the "
                          "repository and breaks on any other machine",
                          "copy the file into the repo and use a relative path")
            continue
        if ref.path not in outside:
            outside[ref.path] = not inside(local_target(ctx, ref.path) or Path(ref.path), ctx.root)
        if outside[ref.path]:
            yield Finding(ref.line, ref.col, f"{what} `{ref.written}` points outside the repository; "
                          "deckops does not read it and the deck breaks on any other machine",
                          "copy the file into the repo and use a relative path")


def missing_image(ctx: Context):
    seen: set[tuple[int, str]] = set()
    looked: dict[str, tuple[Path | None, bool]] = {}  # decoded path -> (target, exists), once per path and run
    for slide in ctx.deck.slides:
        for img in slide.images:
            seen.add((img.line, img.decoded))
            if img.decoded not in looked:
                target = local_target(ctx, img.decoded)
                if target is None or not inside(target, ctx.root):
                    target = None
                looked[img.decoded] = (target, target is not None and _exists(target))
            target, exists = looked[img.decoded]
            if target is None:
                continue
            if exists:
                if img.src != img.decoded and "%2f" in img.src.lower():
                    yield Finding(img.line, img.col, f"image path `{img.src}` encodes `/` as %2F: "
                                  "browsers refuse such file URLs, so it will not load",
                                  f"write the path with a plain slash: `{img.decoded}`")
                continue
            yield Finding(img.line, img.col, *_missing_text(ctx, img, target))
    yield from _missing_css(ctx, seen)


def _missing_css(ctx: Context, seen: set[tuple[int, str]]):
    """`url(...)` in the deck's CSS (the `style` directive, `<style>`, `backgroundImage`) and in its theme's CSS
    under themes/ (a theme's relative url() resolves against the deck's page, as rendered)."""
    for ref in deck_refs(ctx.deck, ctx.cache):
        if ref.kind != "css" or not ref.path or (ref.line, ref.path) in seen:
            continue
        seen.add((ref.line, ref.path))
        target = local_target(ctx, ref.path)
        if target is not None and inside(target, ctx.root) and not _exists(target):
            yield Finding(ref.line, ref.col, f"`{ref.written}` in CSS is not found (looked for "
                          f"{_shown(ctx, target)}): the background stays empty", "fix the path or add the file")
    yield from _missing_theme_css(ctx)


def _missing_theme_css(ctx: Context):
    from .frontmatter import custom_themes

    theme = ctx.deck.global_directives.get("theme")
    css = custom_themes(ctx).get(theme) if isinstance(theme, str) else None
    at = next((d for d in ctx.deck.directives if d.name == "theme" and d.value == theme), None)
    if not css or at is None:
        return
    reported = set()
    for ref in scan(css):
        if ref.kind != "css" or not ref.path or ref.path in reported or not any(c in ref.path for c in "./"):
            continue  # `@import 'default'` names a theme, not a file
        reported.add(ref.path)
        target = local_target(ctx, ref.path)
        if target is not None and inside(target, ctx.root) and not _exists(target):
            yield Finding(at.line, at.col, f"theme `{theme}` uses `{ref.written}` (line {ref.line} of its CSS), "
                          f"which is not found (looked for {_shown(ctx, target)})",
                          "theme URLs resolve against the deck's folder: fix the path in the theme or add the file")


def _missing_text(ctx: Context, img, target: Path) -> tuple[str, str]:
    if "%2f" in img.src.lower():
        return (f"image `{img.src}` is not found: an encoded slash `%2F` never loads in a browser "
                f"(Chromium rejects the file URL)",
                f"write `{img.decoded}` with a plain `/` and make sure the file exists")
    kind = "background image" if img.background else "image"
    return f"{kind} `{img.src}` is not found (looked for {_shown(ctx, target)})", "fix the path or add the file"


def _shown(ctx: Context, target: Path) -> str:
    try:
        return os.path.relpath(target, Path(ctx.deck.path).parent)
    except ValueError:
        return str(target)


def image_alt(ctx: Context):
    names: dict[str, tuple[str, str] | None] = {}  # decoded path -> (file name, stem), None: outside the repo
    for slide in ctx.deck.slides:
        for img in slide.images:
            if img.background or img.origin == "directive":
                continue  # backgrounds are decoration: Marp renders them without alt
            if img.decoded not in names:
                target = local_target(ctx, img.decoded)
                file = Path(img.decoded.split("?", 1)[0]).name
                outside = target is not None and not lexically_inside(target, ctx.root)
                names[img.decoded] = None if outside else (file, Path(file).stem)
            if names[img.decoded] is None:
                continue  # path-outside-repo reports it
            alt = " ".join(img.alt.split())
            name, stem = names[img.decoded]
            if not alt:
                yield Finding(img.line, img.col, f"image `{img.src}` has no alt text",
                              "describe what the image shows, e.g. `![Pods sharing a network namespace](...)`")
            elif alt.lower().strip(".:") in GENERIC_ALT or alt == name or alt == stem:
                yield Finding(img.line, img.col, f"image `{img.src}` has generic alt text \"{alt}\"",
                              "describe what the image shows; screen readers and the PDF outline read it")


def broken_link(ctx: Context):
    remote = []
    for slide in ctx.deck.slides:
        for link in slide.links:
            href = link.href
            if href.lower().startswith(("http://", "https://")):
                remote.append(link)
                continue
            target = local_target(ctx, _unquote(href))
            if target is None or not inside(target, ctx.root) or href.split("#", 1)[0] == "":
                continue
            if not _exists(target) and not target.is_dir():
                yield Finding(link.line, link.col, f"link `{href}` points to a file that does not exist "
                              f"(looked for {_shown(ctx, target)})", "fix the path or add the file")
    if ctx.config.online and remote:
        from .links import check_remote

        yield from check_remote(ctx, remote)


def _unquote(ref: str) -> str:
    from urllib.parse import unquote

    return unquote(ref)
