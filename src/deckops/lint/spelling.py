"""D503 spelling: the words of prose, headings, header/footer and speaker notes against hunspell dictionaries chosen
by the deck's `lang`, deckops' technical vocabulary and the project's words; code, URLs, paths and identifiers are
never words."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from .. import files
from . import hunspell, perslide
from .engine import Context, Finding
from .prose import glossary, mask_prose, prose_lines, span_prose

# hunspell dictionaries per language; English accepts both spellings (a deck that writes "greyscale" beside
# "color" has no typo); Debian's hunspell-en-us / hunspell-en-gb, else the en_US copy spylls ships
LANGUAGES = {"en": ("en_US", "en_GB")}
DICT_DIRS = ("/usr/share/hunspell", "/usr/share/myspell", "/usr/share/myspell/dicts", "/usr/local/share/hunspell")
FORMAT = "2"  # of the cached dictionary lines (1: the expanded word list before hunspell.py)
VOCABULARY = Path(__file__).parent / "data" / "vocabulary.txt"
MAX_SUGGESTIONS = 3
MAX_WORD = 40
MIN_NAME_LIKE = 6  # shorter capitalised unknown words are not checked (names)
MIN_TWO_EDITS = 8
MAX_TWO_EDIT_SEARCHES = 20  # words this long may be two edits from the word meant ("guarenteed")
# more unknown words than this (of at least MIN_SAMPLE distinct ones) and the deck is not in the language it says
FOREIGN_SHARE = 0.3
MIN_SAMPLE = 25

_WORD = re.compile(r"[^\W\d_][^\W_]*(?:['’-][^\W_]+)*")
_CHUNK = re.compile(r"\S+")
_EDGE = "*_~`'\"()[]{}.,;:!?<>«»“”‘’…"
# whitespace-separated chunks that are code, paths, options, handles or file names, not words
_NOT_PROSE = re.compile(
    r"^(?:[-/~.]|--)|[_\\=@#$%{}<>|^]|::|\(\)|[^\W\d_]\.[^\W\d_]|^:[\w+-]+:$|&\w+;|/.*/"
)
# image alt text: Marp keywords and file names, not what the audience reads; a scan stops at the next `[` so a
# line of thousands of unclosed `![` is read once
_ALT = re.compile(r"!\[[^\]\[]*\]")
_CODE_SPAN = re.compile(r"(`+)([^`]+)\1")
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_URL = re.compile(r"\w+://[^\s)>\]]+")


# --- dictionaries -----------------------------------------------------------------------------------

def _dictionary_path(name: str) -> Path | None:
    for folder in DICT_DIRS:
        if (Path(folder) / f"{name}.dic").is_file() and (Path(folder) / f"{name}.aff").is_file():
            return Path(folder) / name
    if name == "en_US":  # spylls' copy, found without importing spylls
        spec = importlib.util.find_spec("spylls")
        if spec is None or not spec.submodule_search_locations:
            return None
        shipped = Path(list(spec.submodule_search_locations)[0]) / "hunspell" / "data" / "en" / "en_US"
        return shipped if shipped.with_suffix(".dic").is_file() else None
    return None


@lru_cache(maxsize=8)
def lexicon(primary: str) -> hunspell.Lexicon | None:
    """A language's dictionaries together (English: en_US and en_GB), read from their files (~0.15 s; ~0.05 s
    with their sorted lines kept in the cache folder); lookups strip affixes, no word list is compiled. None
    when none of them is installed."""
    bases = [b for b in (_dictionary_path(n) for n in LANGUAGES.get(primary, ())) if b is not None]
    return hunspell.Lexicon([hunspell.Dictionary.read(b, _cache_file(b)) for b in bases]) if bases else None


def _cache_file(base: Path) -> Path | None:
    """Where a dictionary's sorted lines are kept: named by the files' paths, sizes and times."""
    try:
        ident = FORMAT + "".join(f":{base}{ext}:{st.st_size}-{st.st_mtime_ns}"
                                 for ext in (".aff", ".dic") for st in [os.stat(f"{base}{ext}")])
    except OSError:
        return None
    return files.cache_home() / "spelling" / f"{base.name}-{hashlib.sha256(ident.encode()).hexdigest()[:16]}.lines"


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    lines = VOCABULARY.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def language(ctx: Context) -> tuple[str, object]:
    """The deck's language tag (default en-US) and the directive that set it (None for the default)."""
    for d in ctx.deck.directives:
        if d.name == "lang" and d.source == "front-matter" and isinstance(d.value, str) and d.value.strip():
            return d.value.strip(), d
    value = ctx.deck.global_directives.get("lang")
    return (value.strip(), None) if isinstance(value, str) and value.strip() else ("en-US", None)


def dictionaries(tag: str) -> tuple[tuple[str, ...], hunspell.Lexicon | None]:
    """(dictionary names, their words) for a language tag: `en`, `en-GB`, `en_US` -> English."""
    primary = re.split(r"[-_]", tag.lower())[0]
    names = LANGUAGES.get(primary, ())
    return names, lexicon(primary) if names else None


def project_words(ctx: Context) -> frozenset[str]:
    """`words = [...]` from the config and the lines of a words.txt beside the config file."""
    words = {w.lower() for w in ctx.config.words}
    source = Path(ctx.config.source)
    for path in (source.parent / "words.txt",) if source.name.endswith(".toml") else ():
        try:
            words.update(w.strip().lower() for w in path.read_text(encoding="utf-8").splitlines()
                         if w.strip() and not w.lstrip().startswith("#"))
        except (OSError, UnicodeDecodeError):
            pass
    return frozenset(words)


# --- the deck's text --------------------------------------------------------------------------------

def code_words(ctx: Context) -> frozenset[str]:
    """Identifiers the deck itself uses in code (fences, code spans) and in its links, image paths and URLs:
    an identifier is not a typo in prose (measured on the corpus: "imec", "multisim")."""
    key = ("code-words", ctx.deck.path)
    if key in ctx.cache:
        return ctx.cache[key]
    # (an unchanged slide's from the last lint, a moved one's too: no line in it)
    parts = perslide.each(ctx, "code-words", _span_code_words, moved=lambda words, by: words)
    if parts is None:
        parts = [_code_words(ctx.deck.slides, ctx.deck.lines, 1, len(ctx.deck.lines), ctx.deck.block_lines())]
    ctx.cache[key] = frozenset().union(*parts)
    return ctx.cache[key]


def _span_code_words(ctx: Context, span) -> frozenset[str]:
    return _code_words((span[0],), ctx.deck.lines, span[1], span[2], perslide.block_lines(ctx, span))


def _code_words(slides, lines, lo: int, hi: int, skip) -> frozenset[str]:
    out: set[str] = set()
    for slide in slides:
        for target in [*(l.href for l in slide.links), *(i.src for i in slide.images)]:
            out.update(w.lower() for w in _IDENT.findall(target))  # repository, file and host names
        for fence in slide.fences:  # a console block's output is not the deck's code
            code = "\n".join(l.text for l in fence.commands) if fence.console else fence.content
            out.update(w.lower() for w in _IDENT.findall(code))
    for n in range(lo, hi + 1):
        line = lines[n - 1]
        if "`" in line and n not in skip:
            for m in _CODE_SPAN.finditer(line):
                out.update(w.lower() for w in _IDENT.findall(m.group(2)))
        if "://" in line and n not in skip:
            for m in _URL.finditer(line):
                out.update(w.lower() for w in _IDENT.findall(m.group(0)))
    return frozenset(out)


def spoken_lines(ctx: Context) -> list[tuple[int, int, str]]:
    """(line, column offset, masked text) of prose, header/footer values and speaker notes."""
    out = [(n, 0, _without_alt(ctx.deck.lines[n - 1], text)) for n, text in prose_lines(ctx)]
    out += list(_directive_text(ctx))
    for slide in ctx.deck.slides:
        for note in slide.notes:
            out += list(_note_text(ctx, note))
    return out


class Spoken:
    """The words of one slide's prose and notes: (word, line, column) in order, and how often each occurs."""

    def __init__(self, occurrences: list[tuple[str, int, int]]):
        self.occurrences = occurrences
        self.counts = Counter(w for w, _, _ in occurrences)

    def moved(self, by: int) -> "Spoken":
        """The same words `by` lines further down (the same counts object: perslide.Tally sees no change)."""
        out = Spoken.__new__(Spoken)
        out.occurrences, out.counts = [(w, line + by, col) for w, line, col in self.occurrences], self.counts
        return out


def _span_spoken(ctx: Context, span) -> Spoken:
    lines = [(n, 0, _without_alt(ctx.deck.lines[n - 1], text)) for n, text in span_prose(ctx, span)]
    for note in span[0].notes:
        lines += list(_note_text(ctx, note))
    return Spoken(_occurrences(lines))


def _occurrences(lines) -> list[tuple[str, int, int]]:
    return [(w, line, col + 1) for line, _, text in lines for w, col in words_of(text)]


def _spoken(ctx: Context) -> tuple[list[Spoken], Counter]:
    """The deck's spoken words slide by slide (header/footer values as one more part) and their counts."""
    parts = perslide.each(ctx, "spoken", _span_spoken, moved=Spoken.moved)
    directives = Spoken(_occurrences(_directive_text(ctx)))
    if parts is None:
        whole = Spoken(_occurrences(spoken_lines(ctx)))
        return [whole], whole.counts
    return [*parts, directives], perslide.Tally.of(ctx, "spoken", (), [p.counts for p in parts]) + directives.counts


def _without_alt(raw: str, text: str) -> str:
    """The masked line with image alt text blanked too (found on the raw line: the mask took the `](`)."""
    if "![" not in raw:
        return text
    spans = [m.span() for m in _ALT.finditer(raw)]
    if not spans:
        return text
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


def _directive_text(ctx: Context):
    for d in ctx.deck.directives:
        if d.name not in ("header", "footer") or not isinstance(d.value, str) or not d.value.strip():
            continue
        line = ctx.deck.lines[d.line - 1] if d.line <= len(ctx.deck.lines) else ""
        start = line.find(d.value, d.col - 1 + len(d.key))
        if start < 0:  # a quoted or multi-line YAML value: read the rest of its key's line
            start = d.col - 1 + len(d.key) + 1
        yield d.line, 0, " " * start + _ALT.sub(_blank, mask_prose(line[start:]))


def _note_text(ctx: Context, note):
    for n in range(note.line, min(note.end_line, len(ctx.deck.lines)) + 1):
        text = ctx.deck.lines[n - 1]
        if n == note.line:
            text = " " * (note.col - 1) + text[note.col - 1:].replace("<!--", "    ", 1)
        if n == note.end_line and "-->" in text:
            end = text.rfind("-->")
            text = text[:end]
        yield n, 0, _ALT.sub(_blank, mask_prose(text))


def _blank(m: re.Match) -> str:
    return " " * len(m.group(0))


@lru_cache(maxsize=1 << 16)  # (a pure function of the line: the language server asks again at each keystroke)
def words_of(text: str) -> tuple[tuple[str, int], ...]:
    """(word, column) of the words in one masked line: chunks that are code-like are skipped whole."""
    return tuple(_words_of(text))


def _words_of(text: str):
    for chunk in _CHUNK.finditer(text):
        whole = chunk.group(0)
        bare = whole.strip(_EDGE)
        if bare.isalpha():  # most chunks: one word (letters match none of _NOT_PROSE and all of _WORD)
            yield bare, chunk.start() + (0 if bare is whole else whole.find(bare))
            continue
        if not bare or _NOT_PROSE.search(bare):
            continue
        offset = chunk.start() + whole.find(bare)
        for m in _WORD.finditer(bare):
            yield m.group(0), offset + m.start()


# --- judging words ----------------------------------------------------------------------------------

class Speller:
    """Known words (a dictionary's common words and names, plus vocabulary, glossary, project words and the
    deck's code) and suggestions for the others."""

    def __init__(self, words: hunspell.Lexicon | None, extra: frozenset[str]):
        self.words = words or hunspell.Lexicon([])
        self.extra = extra
        self._pools: dict[str, frozenset[str]] = {}
        # two-edit searches cost ~0.1 s each: a deck gets this many (typos are few; many unknown long
        # words mean jargon or another language)
        self.two_edit_budget = MAX_TWO_EDIT_SEARCHES

    def known(self, word: str) -> bool:
        low = word.lower().replace("’", "'")
        if low in self.extra or self.words.is_word(low):
            return True
        if low.endswith("'s") or low.endswith("'"):  # possessives of names the dictionary lacks (Argo's)
            return self.known(low[:-2] if low.endswith("'s") else low[:-1])
        return False

    def usual(self, low: str) -> bool:
        """A common word or a vocabulary term: what a typo of a common word would be meant as."""
        return low in self.extra or self.words.is_common(low)

    def suggest(self, word: str, max_distance: int) -> list[str]:
        """The likeliest common words or vocabulary terms meant, by a weighted edit distance (a swap or a missing
        letter is a likelier typo than a wrong one; the first letter is rarely wrong)."""
        low = word.lower()
        edits = _edits(low)
        costs = {w: c for w, c in edits.items() if self.known(w)}
        if max_distance > 1 and self.two_edit_budget > 0 and not any(
                w[:1] == low[:1] and self.usual(w) for w in costs):
            self.two_edit_budget -= 1
            pool = self._pool(low[:1])
            for e1, c1 in edits.items():
                if e1[:1] == low[:1] and abs(len(e1) - len(low)) <= 1:
                    for w in _one_edit(e1) & pool:
                        costs[w] = min(costs.get(w, 9), c1 + 1.0)
        ranked = sorted((w for w in costs if self.usual(w)), key=lambda w: (costs[w], w))
        return [_shape(w, word) for w in ranked[:MAX_SUGGESTIONS]]

    def _pool(self, first: str) -> frozenset[str]:
        """Common words and vocabulary terms that start with one letter, as a set (two-edit search)."""
        if first not in self._pools:
            self._pools[first] = self.words.common_forms(first) | {w for w in self.extra if w[:1] == first}
        return self._pools[first]


def _one_edit(w: str) -> set[str]:
    """Strings one edit from w, without costs (the inner loop of the two-edit search)."""
    splits = [(w[:i], w[i:]) for i in range(1, len(w) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in _LOWER}
    out |= {a + c + b for a, b in splits for c in _LOWER}
    return out


_LOWER = "abcdefghijklmnopqrstuvwxyz"
_LETTERS = _LOWER + "-'"
_KEYS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS = {c: {r[j] for j in (i - 1, i + 1) if 0 <= j < len(r)} for r in _KEYS for i, c in enumerate(r)}


def _edits(w: str, letters: str = _LETTERS) -> dict[str, float]:
    """Every string one edit from w, with the edit's cost."""
    out: dict[str, float] = {}

    def add(candidate: str, cost: float, at: int) -> None:
        cost += 1.0 if at == 0 else 0.0
        if cost < out.get(candidate, 9):
            out[candidate] = cost

    for i in range(len(w) + 1):
        a, b = w[:i], w[i:]
        if b:
            add(a + b[1:], 0.5 if i and w[i - 1] == b[0] else 0.9, i)  # an extra letter (doubled: cheaper)
        if len(b) > 1:
            add(a + b[1] + b[0] + b[2:], 0.6, i)  # two letters swapped
        for c in letters:
            if b and c != b[0]:
                add(a + c + b[1:], 0.8 if c in _NEIGHBOURS.get(b[0], ()) else 1.0, i)  # a wrong letter
            add(a + c + b, 0.8, i)  # a missing letter
    return out


def _shape(suggestion: str, word: str) -> str:
    """Write a suggestion the way the vocabulary does (Kubernetes), else in the word's own casing."""
    shown = _vocabulary_shown().get(suggestion)
    if shown:
        return shown
    if word[:1].isupper():
        return suggestion[:1].upper() + suggestion[1:]
    return suggestion


@lru_cache(maxsize=1)
def _vocabulary_shown() -> dict[str, str]:
    lines = VOCABULARY.read_text(encoding="utf-8").splitlines()
    return {w.strip().lower(): w.strip() for w in lines if w.strip() and not w.startswith("#")}


def _kind(word: str) -> str:
    """lower | title | caps | mixed (CamelCase, iPhone, eBPF: identifiers and brand names)."""
    letters = [c for c in word if c.isalpha()]
    if all(c.islower() for c in letters):
        return "lower"
    if all(c.isupper() for c in letters):
        return "caps"
    if letters[0].isupper() and all(c.islower() or not c.isalpha() for c in word[1:]):
        return "title"
    return "mixed"


def _verdict(word: str, speller: Speller) -> list[str] | None:
    """None: not reported; else the suggestions (never empty) for a misspelt word. Measured on the corpus
    (docs/corpus.md): unknown capitalised words are mostly names, unknown words far from every known word are
    jargon, so only an unknown word close to a common word or a vocabulary term is reported."""
    if len(word) < 3 or len(word) > MAX_WORD or any(c.isdigit() for c in word) or speller.known(word):
        return None  # (no dictionary word is 40 letters; edits of a megabyte "word" would take minutes)
    kind = _kind(word)
    if kind in ("mixed", "caps"):
        return None  # identifiers (ConfigMap, iPhone, eBPF), brands and acronyms
    if "-" in word:
        parts = [p for p in word.split("-") if len(p) >= 3 and not speller.known(p)]
        return _verdict(parts[0], speller) if len(parts) == 1 and parts[0] != word else None
    if kind == "title" and len(word) < MIN_NAME_LIKE:
        return None  # Koen, Tyk, Kemal: short capitalised unknown words are names
    distance = 2 if kind == "lower" and len(word) >= MIN_TWO_EDITS else 1
    # the word meant is a common word or a vocabulary term, with the same first letter (typos rarely change it;
    # "imec" -> "mac", "Kemal" -> "Hemal" are names and jargon)
    suggestions = [s for s in speller.suggest(word, distance) if s[:1].lower() == word[:1].lower()]
    return suggestions or None


# --- the rule ---------------------------------------------------------------------------------------

def spelling(ctx: Context):
    tag, directive = language(ctx)
    names, dicts = dictionaries(tag)
    where = (directive.line, directive.col) if directive else (1, 1)
    if not names:
        yield Finding(*where, f"no spelling dictionary for lang `{tag}`: spelling is not checked",
                      "deckops checks English (en, en-US, en-GB); disable with ignore = [\"spelling\"]", "info")
        return
    if not dicts:
        yield Finding(*where, f"the {'/'.join(names)} hunspell dictionary is not installed: spelling is not checked",
                      "install hunspell-en-us (Debian/Ubuntu) or the spylls package (./setup.sh does both)", "info")
        return
    extra = vocabulary() | project_words(ctx) | code_words(ctx) | _glossary_words(ctx)
    speller = Speller(dicts, extra)
    parts, counts = _spoken(ctx)
    if directive is None and _foreign(counts, speller):
        yield Finding(1, 1, "most words are not English: is the deck in another language? spelling is not checked",
                      "set `lang:` in the front matter (deckops checks en, en-US, en-GB)", "info")
        return
    verdicts = _verdicts(ctx, (tuple(names), extra), speller, set(counts))
    bad = {w for w in counts if verdicts[w]}
    # (only the misspelt words' occurrences: each is reported where it first occurs outside `skip`)
    occurrences = [o for p in parts if not bad.isdisjoint(p.counts) for o in p.occurrences if o[0] in bad]
    skip = _reported_elsewhere(ctx) if bad else set()
    reported: set[str] = set()
    for word, line, col in sorted(occurrences, key=lambda o: (o[1], o[2])):
        found = verdicts[word]
        if not found or (line, col) in skip or word in reported:
            continue
        reported.add(word)
        yield Finding(line, col, f"\"{word}\" is not in the {_names(names)} dictionary: did you mean "
                      + " or ".join(f'"{s}"' for s in found) + "?",
                      "fix the word, or add it to `words = [...]` in [tool.deckops] or to words.txt beside the "
                      "config")


def _verdicts(ctx: Context, judge: tuple, speller: Speller, words: set[str]) -> dict:
    """word -> _verdict, remembered in the run's cache for the same dictionaries and known words: the language
    server's next run (one keystroke later) asks again about nearly the same words; suggestions cost most."""
    memo = ctx.cache.get(("spelling-verdicts",))
    if memo is None or memo[0] != judge:
        memo = ctx.cache[("spelling-verdicts",)] = (judge, {})
    known = memo[1]
    for word in sorted(words - known.keys()):
        known[word] = _verdict(word, speller)
    return known


def _names(names) -> str:
    return "/".join(names)


def _glossary_words(ctx: Context) -> set[str]:
    return {p.lower() for term in glossary(ctx).values() for p in term.split()}


def _foreign(counts, speller: Speller) -> bool:
    """Most distinct lowercase words unknown to the dictionary: the deck is in another language."""
    words = {w.lower() for w in counts if len(w) >= 4 and w.islower() and "-" not in w}
    if len(words) < MIN_SAMPLE:
        return False
    unknown = sum(1 for w in words if not speller.known(w))
    return unknown > FOREIGN_SHARE * len(words)


def _reported_elsewhere(ctx: Context) -> set[tuple[int, int]]:
    """Positions that terminology (a glossary's wrong form) or near-duplicate-term already report:
    one finding per cause."""
    from .engine import is_active
    from .prose import near_duplicate_term, terminology
    from .registry import RULES

    out: set[tuple[int, int]] = set()
    for code, check in (("D501", terminology), ("D502", near_duplicate_term)):
        if code in RULES and is_active(RULES[code], ctx.config):
            out.update((f.line, f.col) for f in check(ctx))
    return out
