"""D1xx: front matter and Marp directives, read the way Marp reads them."""
from __future__ import annotations

import os
import re
from pathlib import Path

from .. import directives as dirs
from ..helpers import did_you_mean, inside
from .engine import Context, Finding

BUILTIN_THEMES = ("default", "gaia", "uncover")
BUILTIN_SIZES = ("16:9", "4:3")
_IDENT = re.compile(r"^[A-Za-z_$][\w-]*$")
_THEME_NAME = re.compile(r"@theme\s+([\w-]+)")
_THEME_SIZE = re.compile(r"@size\s+(\S+)")


def _open_quote_line(raw: str, first_line: int) -> int | None:
    """The file line whose value opens a quote it never closes (the usual cause)."""
    for n, line in enumerate(raw.split("\n")):
        m = re.match(r"^\s*[\w$\"'-]+\s*:\s*(['\"])(.*)$", line)
        if m and not m.group(2).rstrip().endswith(m.group(1)):
            return first_line + n
    return None


# keys of site generators' front matter (Hugo, Jekyll, Eleventy, Docusaurus) that talk decks often carry
FOREIGN_KEYS = frozenset({
    "draft", "weight", "date", "tags", "layout", "permalink", "categories", "category", "slug", "summary",
    "aliases", "toc", "menu", "type", "published", "lastmod", "series", "excerpt", "comments", "sidebar",
    "nav_order", "parent", "has_children", "redirect_from", "authors", "event", "venue", "location", "thumbnail",
    "cover", "featured", "hidden", "sidebar_position", "sidebar_label", "id", "expiryDate", "publishDate",
})
_DIRECTIVE_LIKE = re.compile(r"^\s*[\"']?[_$]?(\w+)[\"']?\s*:")


def front_matter_invalid(ctx: Context):
    yield from _front_matter(ctx)
    yield from _directive_comments(ctx)


def _directive_comments(ctx: Context):
    """A comment that starts like a directive but is not valid YAML: Marp shows it as a note, applies nothing."""
    known = known_names(ctx)
    for slide in ctx.deck.slides:
        for c in slide.comments:
            m = _DIRECTIVE_LIKE.match(c.text) if c.kind == "note" and c.error and not c.error.limit else None
            if m and m.group(1) in known:
                yield Finding(c.line, c.col,
                              f"directive comment `{m.group(1)}` is not valid YAML ({c.error.message}); "
                              "marp ignores it and shows it as a speaker note",
                              "quote the value, or close the bracket or quote it opens")


def _front_matter(ctx: Context):
    fm = ctx.deck.front_matter
    if fm is None or fm.error is None:
        return
    err = fm.error
    line = fm.file_line(err.line)
    col = err.col + 1
    if line > len(ctx.deck.lines):  # an unclosed front matter on the deck's only line: YAML's mark is past the end
        line, col = max(len(ctx.deck.lines), 1), 1
    quote = _open_quote_line(fm.raw, fm.line + 1)
    hint = "fix the YAML; Marp drops an invalid front matter silently"
    if quote is not None:
        hint = f"the quoted value on line {quote} is never closed: add the closing quote or remove the opening one"
    yield Finding(line, col,
                  f"front matter is not valid YAML ({err.message}); marp will ignore ALL of it "
                  "(theme, header, footer, paginate, class, style)", hint)


# --- unknown-directive ------------------------------------------------------------------------------

def known_names(ctx: Context) -> frozenset[str]:
    return dirs.KNOWN | dirs.DECKOPS_KEYS | frozenset(ctx.config.directives)


def _comment_keys(ctx: Context) -> dict[int, set[str]]:
    """Each line of a directive comment -> names of the directives written in that comment."""
    keys: dict[int, set[str]] = {}
    for s in ctx.deck.slides:
        for c in s.comments:
            if c.kind == "directive" and c.data:
                names = {dirs.base_name(str(k))[1] for k in c.data}
                keys.update(dict.fromkeys(range(c.line, c.end_line + 1), names))
    return keys


def unknown_directive(ctx: Context):
    known = known_names(ctx)
    comment_keys = _comment_keys(ctx)
    for d in ctx.deck.directives:
        if d.name in known or not _IDENT.match(d.key):
            continue
        guess = did_you_mean(d.name, known)
        sibling_known = any(k in known for k in comment_keys.get(d.line, ()))
        # a comment like `<!-- TODO: fix -->` is a speaker note to Marp; only flag likely typos there
        if d.source == "comment" and guess is None and not sibling_known:
            continue
        where = "front matter" if d.source == "front-matter" else "directive comment"
        if d.source == "front-matter" and d.key in FOREIGN_KEYS:
            yield Finding(d.line, d.col, f"`{d.key}` is front matter for another tool (Hugo, Jekyll, a blog), not a "
                          "Marp directive: Marp ignores it", "remove it if this deck is only for Marp, or ignore "
                          "this warning if a site generator reads the same file", severity="warning")
            continue
        msg = f"unknown directive `{d.key}` in the {where}: Marp ignores it"
        if guess:
            prefix = d.key[: len(d.key) - len(d.name)]
            yield Finding(d.line, d.col, f"{msg}; did you mean `{prefix}{guess}`?",
                          f"rename it to `{prefix}{guess}`")
        else:
            yield Finding(d.line, d.col, msg,
                          "remove it, or list it under `directives` in [tool.deckops] if a custom theme uses it")


# --- directive-value --------------------------------------------------------------------------------

def _one_of(*allowed):
    def check(value, ctx):
        if isinstance(value, str) and value.strip() in allowed:
            return None
        return f"must be one of {', '.join(allowed)}"
    return check


def _string(value, ctx):
    return None if isinstance(value, str) else "must be a string"


def _string_or_list(value, ctx):
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return None
    return "must be a string or a list of strings"


def _level(v) -> bool:
    return isinstance(v, str) and v.strip() in ("1", "2", "3", "4", "5", "6")


def _heading_divider(value, ctx):
    if _level(value) or (isinstance(value, str) and value.strip() == "false"):
        return None
    if isinstance(value, list) and value and all(_level(v) for v in value):
        return None
    return "must be a heading level 1-6, a list of levels such as [1, 3], or false"


def _size(value, ctx):
    sizes = theme_sizes(ctx)
    if isinstance(value, str) and value.strip() in sizes:
        return None
    return f"is not a size the theme defines; known: {', '.join(sizes)}"


VALUE_CHECKS = {
    "paginate": _one_of("true", "false", "hold", "skip"),
    "marp": _one_of("true", "false"),
    "math": _one_of("mathjax", "katex"),
    "headingDivider": _heading_divider,
    "size": _size,
    "header": _string, "footer": _string, "theme": _string, "style": _string, "lang": _string,
    "title": _string, "description": _string, "author": _string, "url": _string, "image": _string,
    "backgroundColor": _string, "backgroundImage": _string, "backgroundPosition": _string,
    "backgroundRepeat": _string, "backgroundSize": _string, "color": _string, "transition": _string,
    "class": _string_or_list, "keywords": _string_or_list,
}


def _shown(value) -> str:
    if isinstance(value, list):
        text = "[" + ", ".join(_shown(v) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {_shown(v)}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def directive_value(ctx: Context):
    for d in ctx.deck.directives:
        check = VALUE_CHECKS.get(d.name)
        problem = check(d.value, ctx) if check else None
        if problem:
            yield Finding(d.line, d.col, f"`{d.key}: {_shown(d.value)}` {problem}",
                          _value_hint(d.name, problem))


def _value_hint(name: str, problem: str) -> str:
    if name == "size":
        return "use 16:9 or 4:3, or declare the size with `@size` in the theme's CSS"
    if "string" in problem:
        return f"quote the value of `{name}` so YAML reads it as text"
    return f"use one of the allowed values for `{name}`"


# --- themes -------------------------------------------------------------------------------------

def custom_themes(ctx: Context) -> dict[str, str]:
    """Theme name -> CSS text, from the configured theme folders/files inside the repo (read once)."""
    deck_dir = Path(os.path.abspath(ctx.deck.path)).parent  # no resolve(): the deck may be a symlink loop
    key = ("themes", str(ctx.root), str(deck_dir), ctx.config.themes)
    if key not in ctx.cache:
        found: dict[str, str] = {}
        folders = [deck_dir / "themes"] + [ctx.root / entry for entry in ctx.config.themes]
        for folder in dict.fromkeys(folders):
            for css in _css_files(folder, ctx.root):
                text = _read(css)
                m = _THEME_NAME.search(text)
                found.setdefault(m.group(1) if m else css.stem, text)
        ctx.cache[key] = found
    return ctx.cache[key]


def _css_files(path: Path, root: Path) -> list[Path]:

    if not inside(path, root):
        return []
    if path.is_file():
        return [path]
    return sorted(path.glob("*.css")) if path.is_dir() else []


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return ""


def theme_sizes(ctx: Context) -> tuple[str, ...]:
    theme = ctx.deck.global_directives.get("theme")
    css = custom_themes(ctx).get(theme, "") if isinstance(theme, str) else ""
    extra = tuple(s for s in _THEME_SIZE.findall(css) if s not in BUILTIN_SIZES)
    return BUILTIN_SIZES + extra


def unknown_theme(ctx: Context):
    custom = custom_themes(ctx)
    for d in ctx.deck.directives:
        if d.name != "theme" or not isinstance(d.value, str):
            continue
        name = d.value.strip()
        if name in BUILTIN_THEMES or name in custom:
            continue
        guess = did_you_mean(name, set(BUILTIN_THEMES) | set(custom))
        where = ", ".join(ctx.config.themes) or "themes"
        yield Finding(d.line, d.col,
                      f"unknown theme `{name}`: not built in ({', '.join(BUILTIN_THEMES)}) nor found in {where}/; "
                      "marp silently falls back to the default theme",
                      f"did you mean `{guess}`?" if guess else
                      f"add {where}/{name}.css with `/* @theme {name} */`, or use a built-in theme")


# --- directive-scope ------------------------------------------------------------------------------

def directive_scope(ctx: Context):
    first_slide_end = ctx.deck.slides[0].end_line if ctx.deck.slides else 0
    seen: dict[str, int] = {}
    for d in ctx.deck.directives:
        if d.key.startswith("$") and d.scope != "unknown":
            yield Finding(d.line, d.col, f"`{d.key}`: Marp ignores `$`-prefixed directives (a Marpit 0.x "
                          "syntax); this sets nothing", f"write `{d.name}:` (or `_{d.name}:` for this slide only)"
                          if d.scope == "local" else f"write `{d.name}:`")
            continue
        if d.scope == "global":
            if d.key.startswith("_"):
                yield Finding(d.line, d.col, f"`{d.key}`: `{d.name}` is a global directive; the `_` (this slide "
                              "only) prefix does not apply to it and Marp ignores it",
                              f"write `{d.name}:` once for the whole deck")
                continue
            if d.name in seen:
                yield Finding(d.line, d.col, f"global directive `{d.name}` is defined again (first on line "
                              f"{seen[d.name]}); only the last definition applies to the whole deck",
                              "keep one definition, in the front matter")
            elif d.source == "comment" and d.line > first_slide_end:
                yield Finding(d.line, d.col, f"`{d.name}` is a global directive: set on slide "
                              f"{_slide_no(ctx, d.line)}, it still applies to the whole deck, not this slide",
                              "move it to the front matter; per-slide styling needs a local directive "
                              "such as `_class`")
            seen.setdefault(d.name, d.line)


def _slide_no(ctx: Context, line: int) -> int:
    s = ctx.deck.slide_at(line)
    return s.index if s else 0


# --- rehearse-comment -----------------------------------------------------------------------------

def rehearse_comment(ctx: Context):
    """`<!-- rehearse: ... -->` annotations, read by the same parser `deckops rehearse` uses."""
    from ..annotations import KEYS, AnnotationError, parse_annotation

    for s in ctx.deck.slides:
        for c in s.comments:
            if c.kind != "rehearse":
                continue
            try:
                parse_annotation(c.text)
            except AnnotationError as exc:
                line, col = _key_pos(ctx, c, exc.key)
                guess = did_you_mean(exc.key, KEYS) if exc.key and exc.key not in KEYS else None
                yield Finding(line, col, str(exc), f"did you mean `{guess}`?" if guess else
                              "write key=value or key=\"value with spaces\"; see docs/rehearse.md")


def _key_pos(ctx: Context, c, key: str) -> tuple[int, int]:
    for n in range(c.line, c.end_line + 1):
        text = ctx.deck.lines[n - 1] if n - 1 < len(ctx.deck.lines) else ""
        idx = text.find(key) if key else -1
        if idx >= 0:
            return n, idx + 1
    return c.line, c.col
