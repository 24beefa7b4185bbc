"""Hunspell .aff/.dic pairs read for the spelling rule: a word is known when it is a stem, or a stem with one
suffix, one prefix, or a prefix and a suffix (cross product) of its own flags; found by stripping affixes from the
word, as hunspell does, so no word list is compiled (a full expansion of en_US+en_GB took ~7 s CPU).

The files are read the way spylls reads them (its readers are the reference: tests/test_hunspell.py compares
them entry by entry on the installed dictionaries); a dictionary is kept as its lines, lowercased and sorted, and
each lookup is a bisection.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

from .. import files

COMMON, NAME = 1, 2  # what a word matched: a stem written in lowercase, or one the dictionary capitalises

_COUNT = re.compile(r"^\d+(\s+|$)")
_TAG = re.compile(r"[ \t]\w{2}:")  # where a .dic line's data fields start (or at a tab)
_SLASH = re.compile(r"(?<!\\)/")
_SPACES = re.compile(r"\s+")
_DIRECTIVE = re.compile(r"^[A-Z]+$")
_FLAG_LONG = re.compile(r"..")
_FLAG_NUM = re.compile(r"\d+(?=,|$)")
_SET = re.compile(rb"^(?:\xef\xbb\xbf)?[ \t]*(?:SET[ \t]+(\S+)|FLAG[ \t]+UTF-8\b)", re.M)
# directives whose value is a count of table lines that follow (spylls' read_value reads them as one value)
_TABLES = frozenset({"BREAK", "COMPOUNDRULE", "ICONV", "OCONV", "REP", "MAP", "CHECKCOMPOUNDPATTERN", "AM", "PHONE"})
_SKIP = ("ONLYINCOMPOUND", "NEEDAFFIX", "FORBIDDENWORD")  # entries with these flags are not words on their own
_SYNONYMS = {"PSEUDOROOT": "NEEDAFFIX", "COMPOUNDLAST": "COMPOUNDEND"}


def norm(word: str) -> str:
    """A word or form as the lookup compares it: lowercase, typographic apostrophe as ASCII."""
    return word.lower().replace("’", "'")


@dataclass(frozen=True)
class Affix:
    flag: str
    prefix: bool
    cross: bool
    strip: str
    add: str
    cond: re.Pattern

    def fits(self, stem: str) -> bool:
        return (stem.startswith(self.strip) if self.prefix else stem.endswith(self.strip)) and bool(
            self.cond.search(stem))

    def apply(self, stem: str) -> str:
        return self.add + stem[len(self.strip):] if self.prefix else stem[:len(stem) - len(self.strip)] + self.add


@dataclass
class Aff:
    """What the lookup needs of an .aff file: affixes by flag, the flags that make an entry no word, how flags
    are written."""

    encoding: str = "Windows-1252"
    flag_format: str = "short"
    synonyms: dict | None = None
    ignore: dict | None = None
    skip: frozenset = frozenset()
    prefixes: dict | None = None  # flag -> [Affix]
    suffixes: dict | None = None

    def flags(self, text: str):
        """A .dic entry's flags: a string of one-letter flags, or a set of longer ones."""
        if self.synonyms and text.isdigit():
            return self.synonyms.get(text, frozenset())
        if self.flag_format == "long":
            return frozenset(_FLAG_LONG.findall(text))
        if self.flag_format == "num":
            return frozenset(_FLAG_NUM.findall(text))
        return text  # short and UTF-8: one character each (`in` on the string is membership)


def read_aff(path: str | Path) -> Aff:
    raw = Path(path).read_bytes()
    found = _SET.search(raw)
    encoding = "Windows-1252" if not found else (found.group(1) or b"UTF-8").decode("ascii", "replace")
    lines = [ln.strip() for ln in raw.decode(encoding, "surrogateescape").split("\n")]
    if lines and lines[0].startswith("\xef\xbb\xbf"):  # a byte-order mark read as Windows-1252
        lines[0] = lines[0].replace("\xef\xbb\xbf", "")
    lines = [ln for ln in lines if ln]
    aff, values = Aff(encoding=encoding, prefixes={}, suffixes={}), {}
    i = 0
    while i < len(lines):
        name, *fields = _SPACES.split(lines[i])
        i += 1
        if not _DIRECTIVE.match(name) or not fields:
            continue
        name = _SYNONYMS.get(name, name)
        if name in ("SFX", "PFX"):
            i = _read_affixes(aff, name, fields, lines, i)
        elif name in _TABLES or name == "AF":
            count = int(fields[0]) if fields[0].isdigit() else 0
            if name == "AF":
                aff.synonyms = {str(k + 1): frozenset(aff.flags(_SPACES.split(ln)[1]) if " " in ln or "\t" in ln
                                                      else ()) for k, ln in enumerate(lines[i:i + count])}
            i += count
        elif name == "FLAG":
            aff.flag_format = fields[0]
        elif name == "IGNORE":
            aff.ignore = {ord(c): None for c in fields[0]}
        elif name in _SKIP:
            values[name] = _first_flag(aff, fields[0])
    aff.skip = frozenset(f for f in values.values() if f)
    return aff


def _first_flag(aff: Aff, text: str) -> str | None:
    if aff.synonyms and text.isdigit():
        return next(iter(aff.synonyms.get(text, ())), None)
    if aff.flag_format in ("long", "num"):
        found = (_FLAG_LONG if aff.flag_format == "long" else _FLAG_NUM).findall(text)
        return found[0] if found else None
    return text[:1] or None


def _read_affixes(aff: Aff, kind: str, header: list[str], lines: list[str], i: int) -> int:
    if len(header) < 3 or not header[2].isdigit():
        return i
    flag, cross, count = header[0], header[1] == "Y", int(header[2])
    out = []
    for ln in lines[i:i + count]:
        fields = _SPACES.split(ln)[1:]
        if len(fields) < 3:
            continue
        strip, add = fields[1], fields[2].partition("/")[0]
        if aff.ignore:
            add = add.translate(aff.ignore)
        cond = (fields[3] if len(fields) > 3 else "").replace("-", "\\-")
        out.append(Affix(flag, kind == "PFX", cross, "" if strip == "0" else strip, "" if add == "0" else add,
                         re.compile("^" + cond if kind == "PFX" else cond + "$")))
    if out and (aff.flag_format not in ("short", "UTF-8") or len(flag) == 1):  # (a longer one never matches)
        (aff.prefixes if kind == "PFX" else aff.suffixes)[flag] = out
    return i + count


def parse_entry(line: str, aff: Aff) -> tuple[str, object]:
    """One .dic line (stripped) -> (stem, flags), as spylls' read_dic splits it."""
    tags = _TAG.search(line)
    start = tags.start() if tags else None
    tab = line.find("\t")
    if tab != -1 and (not start or start > tab):
        start = tab
    word = line[:start] if start else line
    flags = ""
    if not word.startswith("/"):
        parts = _SLASH.split(word, 2)
        if len(parts) == 2:
            word, flags = parts
    if "\\/" in word:
        word = word.replace("\\/", "/")
    if aff.ignore:
        word = word.translate(aff.ignore)
    return word, aff.flags(flags)


def read_dic(path: str | Path, aff: Aff) -> list[str]:
    """The .dic's entry lines as `normalised line NUL line`, sorted: a stem's entries are adjacent (~50 ms for
    en_GB's 97,000 lines, a few of them sorting the lines, which the file nearly is)."""
    text = Path(path).read_bytes().decode(aff.encoding, "surrogateescape")
    if "\r" in text:  # (read as text files are: universal newlines)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\xef\xbb\xbf"):  # a byte-order mark read as Windows-1252
        first, sep, rest = text.partition("\n")
        text = first.replace("\xef\xbb\xbf", "") + sep + rest
    lines, low = text.split("\n"), norm(text).split("\n")
    if _LEADING_SPACE.search("\n" + text) or _LEADING_SPACE.search("\n" + text[::-1]):  # spylls strips lines
        lines, low = [ln.strip() for ln in lines], [ln.strip() for ln in low]
    skip = 1 if _COUNT.match(lines[0]) else 0  # the entry count (only on the file's first line)
    if "\0" in text:
        out = [a + "\0" + b for a, b in zip(low[skip:], lines[skip:]) if "\0" not in b]
    else:
        out = list(map("\0".join, zip(low[skip:], lines[skip:])))
    out.sort()
    del out[:bisect.bisect_right(out, "\0")]  # empty lines
    return out


_LEADING_SPACE = re.compile(r"\n[^\S\n]")
_KEY = re.compile(r"^[^/\t \0\n]*", re.M)
_NOT_IN_KEY = re.compile(r"[/\t \\]")  # a stem with one of these may be cut short in the keys: no quick test
KEYS_AFTER = 20_000  # lookups: then a set of the stems answers most of them quicker than a bisection


class Dictionary:
    """One .aff/.dic pair: `lookup(word)` says whether a normalised word is a form of a common word (COMMON), of
    a name (NAME), both or neither."""

    def __init__(self, aff: Aff, lines: list[str], cache: Path | None = None):
        self.aff, self.lines, self.cache = aff, lines, cache
        self._sfx = _by_add(aff.suffixes)
        self._pfx = _by_add(aff.prefixes)
        self._sfx_tails = {add[len(add) - n:] for add in self._sfx for n in range(1, len(add) + 1)}
        self._pfx_heads = {add[:n] for add in self._pfx for n in range(1, len(add) + 1)}
        strips = [s for table in (self._sfx, self._pfx) for groups in table.values() for s, _ in groups]
        self._quick = not aff.ignore and not any(_NOT_IN_KEY.search(s) for s in strips)
        self._keys: set[str] | None = None
        self._lookups = 0

    @classmethod
    def read(cls, base: str | Path, cache: Path | None = None) -> "Dictionary":
        """`cache`: a file for read_dic's lines (reading them back takes a fifth of the time), made if missing."""
        aff = read_aff(f"{base}.aff")
        if cache is not None:
            try:
                text = cache.read_bytes().decode("utf-8", "surrogatepass")
                return cls(aff, text.split("\n") if text else [], cache)
            except (OSError, UnicodeDecodeError):
                pass
        lines = read_dic(f"{base}.dic", aff)
        if cache is not None:
            try:
                files.write_atomic(cache, "\n".join(lines).encode("utf-8", "surrogatepass"), durable=False)
            except (OSError, files.FileError):
                pass  # (a read-only cache costs the next run ~50 ms)
        return cls(aff, lines, cache)

    def entries(self, stem: str) -> list[tuple[str, object]]:
        """The entries (stem, flags) whose normalised stem is `stem`, without those that are no word alone."""
        lines, out = self.lines, []
        written = stem.replace("/", "\\/")  # (a slash in a stem is escaped in the file)
        i = bisect.bisect_left(lines, written + "\0")
        if i == len(lines) or not lines[i].startswith(written):
            return out  # (most stems asked about are none)
        for lo, hi in ((written + "\0", written + "!"), (written + "/", written + "0")):  # x, x<tab|space>.., x/..
            i = bisect.bisect_left(lines, lo)
            while i < len(lines) and lines[i] < hi:
                word, flags = parse_entry(lines[i].partition("\0")[2], self.aff)
                if norm(word) == stem and not any(f in flags for f in self.aff.skip):
                    out.append((word, flags))
                i += 1
        return out

    def lookup(self, word: str) -> int:
        """COMMON | NAME bits of the entries that yield the normalised `word`."""
        self._lookups += 1
        if self._keys is None and self._quick and self._lookups > KEYS_AFTER:
            self._keys = set(_KEY.findall("\n".join(self.lines)))
        keys = self._keys
        if keys is not None and ("/" in word or " " in word or "\t" in word or "\\" in word):
            keys = None  # (see _NOT_IN_KEY)
        found, memo = 0, {}

        def of(stem: str) -> list:
            if keys is not None and stem not in keys:
                return []
            if stem not in memo:
                memo[stem] = self.entries(stem)
            return memo[stem]

        def affixed(text: str, affixes) -> int:
            """The entries of stem `text` that one of `affixes` turns into `word`."""
            kinds = 0
            for stem, flags in of(text):
                for a in affixes:
                    if a.flag in flags and a.fits(stem) and norm(a.apply(stem)) == word:
                        kinds |= _kind(stem)
            return kinds

        for stem, _ in of(word):
            found |= _kind(stem)
        for head, groups in self._endings(word):
            for strip, affixes in groups:
                found |= affixed(head + strip, affixes)
        for tail, groups in self._beginnings(word):
            for strip, affixes in groups:
                found |= affixed(strip + tail, affixes)
                crossing = [a for a in affixes if a.cross]
                if crossing:
                    found |= self._cross(crossing, strip + tail, word, of)
        return found

    def _endings(self, word: str) -> list[tuple[str, list]]:
        """(the word without a suffix's add, the suffixes by strip) for each add the word ends with."""
        out, size, tails, groups = [], len(word), self._sfx_tails, self._sfx
        for n in range(size + 1):
            end = word[size - n:]
            if n and end not in tails:
                break  # (no add ends with these n letters: none with more does)
            if end in groups:
                out.append((word[:size - n], groups[end]))
        return out

    def _beginnings(self, word: str) -> list[tuple[str, list]]:
        """(the word without a prefix's add, the prefixes by strip) for each add the word starts with."""
        out, heads, groups = [], self._pfx_heads, self._pfx
        for n in range(len(word) + 1):
            start = word[:n]
            if n and start not in heads:
                break
            if start in groups:
                out.append((word[n:], groups[start]))
        return out

    def _cross(self, prefixes: list[Affix], form: str, word: str, of) -> int:
        """Entries that yield `word` as prefix + (stem + suffix): `form` is the normalised stem + suffix."""
        found = 0
        for head, groups in self._endings(form):
            for strip, affixes in groups:
                for stem, flags in of(head + strip):
                    for pfx in prefixes:
                        if pfx.flag not in flags or not pfx.fits(stem):
                            continue
                        for sfx in affixes:
                            if sfx.cross and sfx.flag in flags and sfx.fits(stem):
                                suffixed = sfx.apply(stem)
                                if pfx.fits(suffixed) and norm(pfx.apply(suffixed)) == word:
                                    found |= _kind(stem)
        return found

    def _lines_with(self, flags: set[str]) -> list[str]:
        """The entry lines that may carry one of `flags` (a quick test on the text; parse_entry decides)."""
        raw = [ln.partition("\0")[2] for ln in self.lines]
        if self.aff.flag_format not in ("short", "UTF-8") or self.aff.synonyms:
            return raw
        has = re.compile("/.*[" + re.escape("".join(sorted(flags))) + "]")
        return [ln for ln in raw if has.search(ln)]

    def common_forms(self, first: str) -> set[str]:
        """Every normalised form of a common word that starts with `first` (one character): the pool the
        two-edit suggestion search intersects with (~0.1-0.3 s a letter: kept beside the cached lines)."""
        pool = self.cache.with_name(f"{self.cache.name}.pool-{ord(first):x}") if self.cache else None
        if pool is not None:
            try:
                text = pool.read_bytes().decode("utf-8", "surrogatepass")
                return set(text.split("\n")) if text else set()
            except (OSError, UnicodeDecodeError):
                pass
        out = self._common_forms(first)
        if pool is not None:
            try:
                files.write_atomic(pool, "\n".join(sorted(out)).encode("utf-8", "surrogatepass"), durable=False)
            except (OSError, files.FileError):
                pass
        return out

    def _common_forms(self, first: str) -> set[str]:
        """Only the entries that can yield such a form are expanded: stems starting with it, stems with a prefix
        that adds it (or adds nothing), stems a suffix strips whole."""
        lines = self.lines
        if not self.aff.ignore:  # (an ignored character may start a line whose stem starts with `first`)
            lines = lines[bisect.bisect_left(lines, first):bisect.bisect_left(lines, first + "\uffff")]
        entries = [parse_entry(ln.partition("\0")[2], self.aff) for ln in lines]
        flags = {f for f, group in self.aff.prefixes.items() for a in group if not a.add or norm(a.add)[:1] == first}
        if flags:
            entries += [e for e in map(parse_entry, self._lines_with(flags), [self.aff] * len(self.lines))
                        if any(f in e[1] for f in flags)]
        for group in self.aff.suffixes.values():
            for a in group:
                entries += self.entries(norm(a.strip)) if a.strip else []
        out: set[str] = set()
        for stem, flags_ in entries:
            if _kind(stem) == COMMON and not any(f in flags_ for f in self.aff.skip):
                out.update(f for f in map(norm, forms(stem, flags_, self.aff)) if f.startswith(first))
        return out


def _kind(stem: str) -> int:
    return COMMON if stem[:1].islower() else NAME


def _by_add(table: dict) -> dict[str, list[tuple[str, list[Affix]]]]:
    """normalised add -> [(normalised strip, affixes)]."""
    out: dict[str, dict[str, list[Affix]]] = {}
    for group in table.values():
        for affix in group:
            out.setdefault(norm(affix.add), {}).setdefault(norm(affix.strip), []).append(affix)
    return {add: list(by_strip.items()) for add, by_strip in out.items()}


def forms(stem: str, flags, aff: Aff):
    """Every form of one entry: the stem, with each suffix, each prefix, and each prefix on each suffixed form
    where both allow cross products (hunspell's continuation classes and compounds are not followed)."""
    yield stem
    suffixed = []
    for flag in flags:
        for sfx in aff.suffixes.get(flag, ()):
            if sfx.fits(stem):
                form = sfx.apply(stem)
                suffixed.append((sfx, form))
                yield form
    for flag in flags:
        for pfx in aff.prefixes.get(flag, ()):
            if pfx.fits(stem):
                yield pfx.apply(stem)
                for sfx, form in suffixed if pfx.cross else ():
                    if sfx.cross and pfx.fits(form):
                        yield pfx.apply(form)


class Lexicon:
    """A language's dictionaries together (English: en_US and en_GB), each word's answer remembered."""

    MEMO = 200_000  # answers kept (the language server asks about new words all day)

    def __init__(self, dictionaries: list[Dictionary]):
        self.dictionaries = dictionaries
        self._memo: dict[str, int] = {}
        self._pools: dict[str, frozenset[str]] = {}

    def kind(self, word: str) -> int:
        """COMMON | NAME bits of a normalised word in any of the dictionaries."""
        found = self._memo.get(word)
        if found is None:
            found = 0
            for d in self.dictionaries if word else ():
                found |= d.lookup(word)
                if found == COMMON | NAME:
                    break
            if len(self._memo) >= self.MEMO:
                self._memo.clear()
            self._memo[word] = found
        return found

    def is_common(self, word: str) -> bool:
        return bool(self.kind(word) & COMMON)

    def is_word(self, word: str) -> bool:
        return bool(self.kind(word))

    def common_forms(self, first: str) -> frozenset[str]:
        if first not in self._pools:
            self._pools[first] = frozenset().union(*(d.common_forms(first) for d in self.dictionaries))
        return self._pools[first]
