"""lint/hunspell.py against spylls: the same entries and affixes read from the same files, and a lookup by affix
stripping that accepts exactly the forms a full expansion of the dictionary lists (the word list the spelling rule
compiled before, rebuilt here from spylls' own reading)."""
from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from spylls.hunspell import readers
from spylls.hunspell.readers.file_reader import FileReader

from deckops.lint import hunspell, spelling

SPYLLS_EN_US = Path(readers.__file__).parent.parent / "data" / "en" / "en_US"
INSTALLED = [p for p in (Path("/usr/share/hunspell/en_US"), Path("/usr/share/hunspell/en_GB"), SPYLLS_EN_US)
             if p.with_suffix(".dic").is_file()]
LETTERS = "abcdefghijklmnopqrstuvwxyz'-"


def spylls_read(base: Path):
    aff, context = readers.read_aff(FileReader(f"{base}.aff"))
    dic = readers.read_dic(FileReader(f"{base}.dic", encoding=context.encoding), aff=aff, context=context)
    return aff, dic


def expansion(base: Path) -> tuple[set[str], set[str]]:
    """(forms of lowercase stems, forms of capitalised stems), normalised: what the spelling rule compiled
    before (a stem; with one suffix; one prefix; a prefix on a suffixed form where both allow it)."""
    aff, dic = spylls_read(base)
    skip = {f for f in (aff.ONLYINCOMPOUND, aff.NEEDAFFIX, aff.FORBIDDENWORD) if f}
    common: set[str] = set()
    names: set[str] = set()
    for word in dic.words:
        if not word.flags & skip:
            forms = {hunspell.norm(f) for f in _forms(word.stem, word.flags, aff)}
            (common if word.stem[:1].islower() else names).update(forms)
    return common, names


def _forms(stem, flags, aff):
    yield stem
    suffixed = []
    for flag in flags:
        for sfx in aff.SFX.get(flag, ()):
            if stem.endswith(sfx.strip) and sfx.cond_regexp.search(stem):
                form = stem[:len(stem) - len(sfx.strip)] + sfx.add
                suffixed.append((sfx, form))
                yield form
    for flag in flags:
        for pfx in aff.PFX.get(flag, ()):
            if stem.startswith(pfx.strip) and pfx.cond_regexp.search(stem):
                yield pfx.add + stem[len(pfx.strip):]
                for sfx, form in suffixed if pfx.crossproduct else ():
                    if sfx.crossproduct and form.startswith(pfx.strip) and pfx.cond_regexp.search(form):
                        yield pfx.add + form[len(pfx.strip):]


def edits(words, letters: str = LETTERS) -> set[str]:
    out = set()
    for w in words:
        for i in range(len(w) + 1):
            out.add(w[:i] + w[i + 1:])
            out.add(w[:i] + w[i + 1:i + 2] + w[i:i + 1] + w[i + 2:])
            for c in letters:
                out.add(w[:i] + c + w[i:])
                out.add(w[:i] + c + w[i + 1:])
    return out


def assert_same_reading(base: Path) -> None:
    aff, dic = spylls_read(base)
    ours = hunspell.Dictionary.read(base)
    for theirs, mine in ((aff.SFX, ours.aff.suffixes), (aff.PFX, ours.aff.prefixes)):
        assert {f: [(a.strip, a.add, a.cond_regexp.pattern, a.crossproduct) for a in group]
                for f, group in theirs.items()} == \
               {f: [(a.strip, a.add, a.cond.pattern, a.cross) for a in group] for f, group in mine.items()}
    assert ours.aff.skip == {f for f in (aff.ONLYINCOMPOUND, aff.NEEDAFFIX, aff.FORBIDDENWORD) if f}
    entries = Counter()
    for line in ours.lines:
        stem, flags = hunspell.parse_entry(line.partition("\0")[2], ours.aff)
        entries[stem, frozenset(flags)] += 1
    assert entries == Counter((w.stem, frozenset(w.flags)) for w in dic.words)


def assert_same_words(base: Path, sample: int | None = None, seed: int = 19) -> None:
    common, names = expansion(base)
    ours = hunspell.Dictionary.read(base)
    every = sorted(common | names)
    checked = every if sample is None else random.Random(seed).sample(every, sample)
    wrong = [w for w in checked if ours.lookup(w) != (hunspell.COMMON if w in common else 0) |
             (hunspell.NAME if w in names else 0)]
    assert wrong == []
    near = edits(random.Random(seed).sample(every, min(len(every), 250)))
    wrong = [w for w in near if bool(ours.lookup(w) & hunspell.COMMON) != (w in common)
             or bool(ours.lookup(w)) != (w in common or w in names)]
    assert wrong == []
    for first in {"r", "u", "d", "s", "q", *(w[:1] for w in random.Random(seed).sample(every, 3))}:
        assert ours.common_forms(first) == {w for w in common if w.startswith(first)}, first


@pytest.mark.parametrize("base", INSTALLED, ids=[f"{p.parent.name}/{p.name}" for p in INSTALLED])
def test_reads_the_dictionary_as_spylls_does(base):
    assert_same_reading(base)


@pytest.mark.parametrize("base", INSTALLED, ids=[f"{p.parent.name}/{p.name}" for p in INSTALLED])
def test_lookup_accepts_exactly_the_expanded_forms(base):
    """A sample of the expansion's forms with the right kind (common word, name), none of ~70,000 strings one
    edit from a sample of them that the expansion lacks, and the same two-edit pools."""
    assert_same_words(base, sample=25_000)


# a small dictionary with what the real ones lack: a byte-order mark, CRLF line ends, data fields after a tab and
# after a space, an escaped slash, two entries of one stem (a prefix of one must not cross a suffix of the other),
# a flag that keeps an entry out, a stem a suffix strips whole, a typographic apostrophe, a table the reader skips
AFF = """\ufeff# test
SET UTF-8
NEEDAFFIX !
REP 2
REP SFX x
REP PFX y
PFX A Y 2
PFX A 0 re .
PFX A e u e
PFX B Y 1
PFX B 0 un [^u]
SFX S Y 3
SFX S y ies [^aeiou]y
SFX S 0 s [^y]
SFX S 0 es/S x
SFX D Y 2
SFX D 0 ed [^e]
SFX D 0 d e
SFX W Y 1
SFX W ab xyz ab
"""
DIC = """\ufeff9
work/AS
work/BD
Paris/S
box/SA po:noun
fly/S\tvariant
AC\\/DC/S
ab/W
only/!S
don’t
echo/SAB
"""


def test_edge_cases_of_the_files(tmp_path):
    for name, text, newline in (("t1", DIC, "\n"), ("t2", DIC, "\r\n")):
        (tmp_path / f"{name}.aff").write_text(AFF, encoding="utf-8")
        (tmp_path / f"{name}.dic").write_text(text.replace("\n", newline), encoding="utf-8")
        base = tmp_path / name
        assert_same_reading(base)
        common, names = expansion(base)
        assert {"reworks", "unworked", "boxes", "flies", "paris", "xyz", "don't", "ucho", "ac/dc"} <= common | names
        # (no entry of `work` has both A and D or both B and S; `!` needs an affix)
        assert not {"reworked", "unworks", "only", "onlys"} & (common | names)
        ours = hunspell.Dictionary.read(base)
        every = sorted(common | names)
        assert [w for w in edits(every) | set(every)
                if ours.lookup(w) != (hunspell.COMMON if w in common else 0) | (hunspell.NAME if w in names else 0)
                ] == []
        for first in "rubxd":
            assert ours.common_forms(first) == {w for w in common if w.startswith(first)}


def test_the_rule_reads_the_installed_dictionaries():
    """English: en_US and en_GB together (spylls' en_US when Debian's is missing); the issue's typos unknown."""
    words = spelling.lexicon("en")
    assert words is not None and len(words.dictionaries) == len({p.name for p in INSTALLED})
    assert all(words.is_common(w) for w in ("greyscale", "colour", "color", "deployment", "reworked"))
    assert not any(words.is_word(w) for w in ("deplyoment", "commitee", "recieve", "teh", "kubernets"))
    assert words.is_word("paris") and not words.is_common("paris")


def test_the_sorted_lines_are_kept_in_the_cache(tmp_path, monkeypatch):
    base = INSTALLED[0]
    first = hunspell.Dictionary.read(base, tmp_path / "lines")
    assert (tmp_path / "lines").is_file()
    monkeypatch.setattr(hunspell, "read_dic", lambda *a: pytest.fail("read again"))
    again = hunspell.Dictionary.read(base, tmp_path / "lines")
    assert again.lines == first.lines and again.lookup("reworked") == hunspell.COMMON
    pool = first.common_forms("r")
    assert "reworked" in pool and list(tmp_path.glob("lines.pool-*"))
    monkeypatch.setattr(hunspell.Dictionary, "_common_forms", lambda *a: pytest.fail("expanded again"))
    assert again.common_forms("r") == pool
