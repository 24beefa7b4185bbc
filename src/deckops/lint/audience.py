"""D7xx: what the audience will see: places where Marp renders something other than what the author wrote,
with exit 0 (HTML it escapes or strips, image keywords it turns into captions, other tools' markup it prints)."""
from __future__ import annotations

import functools
import html
import json
import re
from importlib import resources

from .. import marpit
from ..helpers import did_you_mean
from . import perslide
from .engine import Context, Finding

# --- html-disabled -------------------------------------------------------------------------------

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:[^<>\"']|\"[^\"]*\"|'[^']*')*)>")
_ATTR = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


@functools.lru_cache(maxsize=1)
def allow_list() -> dict[str, dict[str, str]]:
    """marp-core's default HTML allow-list (tag -> attribute -> any | enum | web-url | image-url), as shipped
    from the pinned marp-core (tests/test_audience.py keeps the copy equal to node_modules)."""
    data = resources.files("deckops.lint").joinpath("data/marp-html-allowlist.json").read_text("utf-8")
    return json.loads(data)["allow"]


def html_disabled(ctx: Context):
    if ctx.config.html:
        return  # marp --html: every element is kept (D604 says what that allows)
    found = list(_html_findings(ctx))
    where = _renders_with_html(ctx) if found else None
    if where:
        # the author's own marp-cli set-up keeps the HTML: one finding about the difference, not one per tag
        yield Finding(found[0].line, found[0].col, f"this repository renders with marp's `--html` ({where}), "
                      f"deckops without it: {len(found)} HTML element(s) or attribute(s) of this deck would be "
                      "escaped or stripped in deckops' output",
                      "set `html = true` in deckops.toml so that deckops renders as the repository does")
        return
    yield from found


def _html_findings(ctx: Context):
    allowed = allow_list()
    for line, col, tag in _html_tags(ctx):
        closing, name, rest = tag.group(1), tag.group(2).lower(), tag.group(3)
        shown = tag.group(0) if len(tag.group(0)) <= 60 else tag.group(0)[:57] + "..."
        if name not in allowed:
            if closing and _opened(ctx, name, line):
                continue  # its opening tag is reported
            yield Finding(line, col, f"`{shown}` is HTML that Marp escapes without `html`: the audience sees the "
                          "tag itself as text on the slide",
                          "use Markdown or a theme class instead; or set `html = true` in deckops.toml (marp "
                          "--html: any HTML, scripts included, runs)")
            continue
        for attr, value in _attrs(rest):
            kind = allowed[name].get(attr)
            if kind is None:
                yield Finding(line, col + tag.group(0).find(attr), f"attribute `{attr}` of `<{name}>` is removed by "
                              "Marp without `html`: the slide shows the element without it",
                              _attr_hint(attr))
            elif kind in ("web-url", "image-url") and value and not _kept_url(value, kind):
                yield Finding(line, col + tag.group(0).find(attr), f"`{attr}=\"{value}\"` of `<{name}>` is emptied "
                              "by Marp without `html`: only http(s)"
                              + (" and data:image" if kind == "image-url" else "") + " URLs and relative paths stay",
                              "use a relative path or an https:// URL")


_MARPRC = (".marprc", ".marprc.yml", ".marprc.yaml", ".marprc.json", "marp.config.js", "marp.config.mjs",
           "marp.config.cjs", ".marprc.js", ".marprc.cjs")
_HTML_ON = re.compile(r"""["']?html["']?\s*:\s*true""")
_README_COMMAND = re.compile(r"(?m)^\s*(?:\$\s*)?(?:npx\s+)?(?:@marp-team/)?marp(?:-cli)?\s[^\n]*--html(?![\w-])")
_SCRIPT_COMMAND = re.compile(r'"[^"\n]*\bmarp\b[^"\n]*--html(?![\w-])[^"\n]*"')


def _renders_with_html(ctx: Context) -> str | None:
    """Where the repository's own marp-cli set-up turns `html` on (a .marprc / marp.config file, package.json's
    `marp` key or a script, a GitHub workflow running marp with --html); None when it does not. Read once."""
    key = ("marp-html", str(ctx.root))
    if key not in ctx.cache:
        ctx.cache[key] = _find_html_setting(ctx.root)
    return ctx.cache[key]


def _find_html_setting(root) -> str | None:
    candidates = [root / name for name in _MARPRC] + [root / "package.json"] + sorted(root.glob("README*.md"))[:3]
    workflows = root / ".github" / "workflows"
    if workflows.is_dir():
        candidates += sorted(workflows.glob("*.y*ml"))[:50]
    for path in candidates:
        try:
            if not path.is_file() or path.stat().st_size > 1_000_000:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        name = path.relative_to(root).as_posix()
        if "workflows" in name:  # marp-cli-action takes `args: --html ...` on a line of its own
            if re.search(r"marp", text, re.I) and re.search(r"--html(?![\w-])", text):
                return name
        elif path.name.startswith("README"):  # a command the author runs: `marp deck.md --html`
            if _README_COMMAND.search(text):
                return name
        elif path.name == "package.json":  # a script running marp with --html, or "marp": {"html": true}
            if _SCRIPT_COMMAND.search(text) or _HTML_ON.search(
                    text.split('"marp"', 1)[1][:2000] if '"marp"' in text else ""):
                return name
        elif _HTML_ON.search(text):
            return name
    return None


def _attr_hint(attr: str) -> str:
    if attr == "style":
        return "move the styling into the theme or a `<style>` block with a class; or set `html = true`"
    if attr.startswith("on"):
        return "event handlers never run in Marp without `html = true`; remove it"
    return "remove it, or set `html = true` in deckops.toml if the deck needs it"


def _kept_url(value: str, kind: str) -> bool:
    if ":" not in value:
        return True
    scheme = marpit.js_trim(value).lower().split(":", 1)[0]
    if scheme in ("http", "https"):
        return True
    return kind == "image-url" and marpit.js_trim(value).lower().startswith("data:image/")


def _attrs(rest: str):
    for m in _ATTR.finditer(rest):
        value = next((g for g in m.groups()[1:] if g is not None), "")
        yield m.group(1).lower(), html.unescape(value)


def _opened(ctx: Context, name: str, line: int) -> bool:
    key = ("html-opened", ctx.deck.path)
    if key not in ctx.cache:
        first: dict[str, int] = {}
        for ln, _, t in _html_tags(ctx):
            if not t.group(1):
                first.setdefault(t.group(2).lower(), ln)
        ctx.cache[key] = first
    return ctx.cache[key].get(name, line + 1) <= line


def _html_tags(ctx: Context):
    """(line, col, match) of every HTML tag Marp sees as HTML (html_block and html_inline tokens), memoised;
    slide by slide where it can (an unchanged slide's kept from the last lint: perslide.py)."""
    key = ("html-tags", ctx.deck.path)
    if key not in ctx.cache:
        parts = perslide.each(ctx, "html-tags", _span_tags, moved=perslide.lines_moved)
        ctx.cache[key] = list(_scan_tags(ctx.deck.lines, ctx.deck.tokens)) if parts is None else \
            [tag for part in parts for tag in part]
    return ctx.cache[key]


def _span_tags(ctx: Context, span) -> list:
    return list(_scan_tags(ctx.deck.lines, perslide.tokens(ctx, span)))


def _scan_tags(lines, tokens):
    for t in tokens:
        if t.type == "html_block" and t.map:
            for n in range(t.map[0], t.map[1]):
                for m in _TAG.finditer(lines[n] if n < len(lines) else ""):
                    yield n + 1, m.start() + 1, m
        elif t.type == "inline" and t.map and t.children:
            yield from _inline_tags(lines, t)


def _inline_tags(lines, t):
    first = t.map[0]
    cursor = {}  # line -> column searched up to
    for child in t.children:
        if child.type != "html_inline":
            continue
        m = _TAG.fullmatch(child.content)
        if m is None:
            continue
        for n in range(first, t.map[1]):
            text = lines[n] if n < len(lines) else ""
            at = text.find(child.content, cursor.get(n, 0))
            if at >= 0:
                cursor[n] = at + len(child.content)
                yield n + 1, at + 1, m
                break


# --- unknown-image-keyword -----------------------------------------------------------------------------

_LENGTH = r"(?:\d*\.)?\d+(?:%|ch|cm|em|ex|in|mm|pc|pt|px)?"
_ANY_IMAGE = re.compile(rf"(?:\d*\.)?\d+%|(?:w|width|h|height):(?:{_LENGTH}|auto)"
                        r"|(?:blur|brightness|contrast|drop-shadow|grayscale|hue-rotate|invert|opacity|saturate"
                        r"|sepia)(?::.+)?")
_BACKGROUND = re.compile(r"bg|auto|contain|cover|fit|vertical|horizontal|(?:left|right)(?::(?:\d*\.)?\d+%)?")
_KEY_VALUE = re.compile(r"([A-Za-z][A-Za-z-]*):(\S+)")
_KEYS = ("w", "width", "h", "height", "left", "right", "blur", "brightness", "contrast", "drop-shadow",
         "grayscale", "hue-rotate", "invert", "opacity", "saturate", "sepia")
_WORDS = ("bg", "auto", "contain", "cover", "fit", "vertical", "horizontal", "left", "right", "blur",
          "brightness", "contrast", "grayscale", "invert", "opacity", "saturate", "sepia", "drop-shadow",
          "hue-rotate")
_SPACES = re.compile("[" + re.escape(marpit.JS_SPACE) + "]+")


def unknown_image_keyword(ctx: Context):
    return perslide.findings(ctx, "unknown-image-keyword", lambda c, span: list(_image_keywords(c, span[0])),
                             lambda c: (f for s in c.deck.slides for f in _image_keywords(c, s)))


def _image_keywords(ctx: Context, slide):
    for img in slide.images:
        if img.origin != "markdown":
            continue
        words = [w for w in _SPACES.split(_alt_of(ctx, img)) if w]
        background = "bg" in words
        for word in words:
            problem = _keyword_problem(word, background)
            if problem:
                where = "background image" if background else "image"
                yield Finding(img.line, img.col, f"`{word}` in the alt of this {where}"
                              f" is not a Marp keyword: Marp shows it as caption text{problem[0]}",
                              problem[1])


def _alt_of(ctx: Context, img) -> str:
    """The alt as written (the model's alt has Marp's keywords removed): the text between `![` and `](`."""
    line = ctx.deck.lines[img.line - 1] if img.line - 1 < len(ctx.deck.lines) else ""
    start = img.col - 1 + 2
    end = line.find("](", start)
    return line[start:end] if end >= 0 else ""


def _keyword_problem(word: str, background: bool) -> tuple[str, str] | None:
    if _ANY_IMAGE.fullmatch(word) or (background and _BACKGROUND.fullmatch(word)) or "//" in word:
        return None
    m = _KEY_VALUE.fullmatch(word)
    if m:
        name = m.group(1)
        if name.lower() in ("w", "width", "h", "height"):
            return "", f"give a length: `{name}:200px`, `{name}:50%` or `{name}:auto`"
        if name.lower() in ("left", "right") and background:
            return "", f"the split size is a percentage: `{name}:40%`"
        guess = did_you_mean(name.lower(), _KEYS, cutoff=0.6)
        if guess:
            return f"; did you mean `{guess}:`?", f"write `{guess}:{m.group(2)}`"
        if background:
            return "", ("background keywords: contain, cover, fit, auto, x%, left[:x%], right[:x%], vertical, "
                        "w:, h:, and filters (blur, sepia, ...)")
        return None
    low = word.lower()
    if low in _WORDS and (background or low == "bg"):
        return " (Marp's keywords are lower case)", f"write `{low}`"
    if background and word.isalpha():
        guess = did_you_mean(low, _WORDS, cutoff=0.75)
        if guess and guess != low:
            return f"; did you mean `{guess}`?", f"write `{guess}`"
    return None


# --- literal-markup -----------------------------------------------------------------------------------

_TEMPLATE = re.compile(r"\{\{[^{}\n]{0,80}\}\}|\{%[^{}\n]{0,80}%\}")
_ALERT = re.compile(r"^\s{0,3}>\s?\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]", re.I)
_DOUBLE_HEADING = re.compile(r"^#{1,6}\s+#{1,6}\s+\S")


def literal_markup(ctx: Context):
    from .prose import prose_lines, span_prose

    yield from perslide.findings(ctx, "literal-markup", lambda c, span: list(_literal(c, span_prose(c, span))),
                                 lambda c: _literal(c, prose_lines(c)))
    for d in ctx.deck.directives:
        if d.name in ("header", "footer") and isinstance(d.value, str):
            for m in _TEMPLATE.finditer(d.value):
                yield Finding(d.line, d.col, f"`{m.group(0)}` in `{d.key}` is template syntax: Marp prints it as "
                              "text on every slide", "Marp has no placeholders: write the text, or use "
                              "`paginate: true` for page numbers")


def _literal(ctx: Context, lines):
    for line, text in lines:
        for m in _TEMPLATE.finditer(text):
            yield Finding(line, m.start() + 1, f"`{m.group(0)}` is template syntax (Jinja, Liquid, Hugo): Marp "
                          "prints it as text", "replace it with the value, or render the template before Marp")
        raw = ctx.deck.lines[line - 1]
        m = _ALERT.match(raw)
        if m:
            yield Finding(line, raw.find("[!") + 1, f"`[!{m.group(1).upper()}]` is GitHub's alert syntax: Marp "
                          "shows the brackets as text in a plain quote", "write the label in bold "
                          f"(`> **{m.group(1).capitalize()}:** ...`) or style a class in the theme")
        if _DOUBLE_HEADING.match(raw):
            yield Finding(line, 1, "doubled heading marker: the heading shows a literal `#`",
                          "remove the second `#`")
