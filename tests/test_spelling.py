"""spelling (D503) and the precise near-duplicate-term (D502): golden fixture, near-misses, dictionaries."""
from __future__ import annotations

import random

import pytest

import golden_cases as cases
from conftest import DATA, ROOT
from deckops import deck
from deckops.config import Config
from deckops.lint import lint, spelling
from deckops.report import text

LINT = DATA / "lint"
RULES = ("spelling", "near-duplicate-term", "terminology")


def run_text(source: str, tmp_path=None, **config) -> list:
    root = tmp_path or ROOT
    path = root / "deck.md" if tmp_path else None
    if path:
        path.write_text(source, encoding="utf-8")
        return lint(deck.load(path), Config(root=root, select=RULES, **config), {})
    return lint(deck.parse(source, "deck.md"), Config(root=ROOT, select=RULES, **config), {})


def words(diags, code="D503") -> list[str]:
    return [d.message.split('"')[1] for d in diags if d.code == code]


def test_golden():
    case = cases.read(LINT / "spelling.md")
    diags = lint(cases.deck(case), Config(root=ROOT, select=RULES), {})
    cases.check(case, cases.shown(case, text.render_text(diags, 1)).replace(str(ROOT) + "/", ""))


def test_typos_are_found_and_technical_words_are_not():
    deck_text = "---\nmarp: true\n---\n\n# Title\n\nKubernets runs the deplyoment; the commitee meets.\n" \
        "xUnit, CPython, greyscale, etcd, CUnit, CTest, GoogleTest, kubelet, ConfigMap, Inspektor and mirrord.\n"
    diags = run_text(deck_text)
    found = {(d.code, d.message.split("`")[1] if d.code == "D501" else d.message.split('"')[1]) for d in diags}
    assert found == {("D501", "Kubernets"), ("D503", "deplyoment"), ("D503", "commitee")}, found


def test_kubernets_is_found_by_spelling_alone():
    diags = lint(deck.parse("# Kubernets\n", "d.md"), Config(root=ROOT, select=("spelling",)), {})
    assert words(diags) == ["Kubernets"] and "Kubernetes" in diags[0].message


@pytest.mark.parametrize("line", [
    "Run `kubectl get deploymnt` first.",
    "Edit src/deploymnt/main.py or ./hack/verfy.sh today.",
    "Pass --dry-runn to it.",
    "See https://exampel.com/docz for more.",
    "snake_case_idnt and CamelCaseIdnt and fooBarr and v1beta1 here.",
    "Thanks to Koen Ongena and Zhantong Grcevski.",
    "![bg right:40% sepiaa](x.png) beside the text.",
    "IMPORTANTT acronyms in capitals are not checked.",
    "The deploymnet tool, from https://github.com/acme/deploymnet, is a name.",
])
def test_near_misses_do_not_fire(line):
    assert words(run_text(f"# Title\n\n{line}\n")) == []


def test_words_used_in_code_are_identifiers():
    source = "# T\n\nThe frobnicatr flag.\n\n```bash\nfrobnicatr --x\n```\n"
    assert words(run_text(source)) == []
    assert words(run_text("# T\n\nThe frobnicatr flag.\n")) == []  # far from every word: jargon, not a typo
    assert words(run_text("# T\n\nThe deploymnet flag.\n")) == ["deploymnet"]


def test_header_footer_and_notes_are_checked():
    source = "---\nmarp: true\nheader: 'The deplyoment'\n---\n\n# T\n\n<!-- we recieve it -->\n"
    diags = run_text(source)
    assert [(d.line, d.col, w) for d, w in zip(diags, words(diags))] == [(3, 14, "deplyoment"), (8, 9, "recieve")]


def test_project_words_from_config_and_words_txt(tmp_path):
    (tmp_path / ".git").mkdir()
    source = "# T\n\nThe deplyoment and the commitee.\n"
    assert words(run_text(source, tmp_path)) == ["deplyoment", "commitee"]
    assert words(run_text(source, tmp_path, words=("deplyoment",))) == ["commitee"]
    (tmp_path / "deckops.toml").write_text('words = ["deplyoment"]\n')
    (tmp_path / "words.txt").write_text("# ours\ncommitee\n")
    from deckops import config

    cfg = config.load(tmp_path)
    assert cfg.words == ("deplyoment",)
    (tmp_path / "deck.md").write_text(source)
    diags = lint(deck.load(tmp_path / "deck.md"), cfg, {})
    assert words(diags) == []


def test_unknown_language_is_one_info_finding():
    diags = run_text("---\nmarp: true\nlang: fr\n---\n\n# Le déploiement\n\nLa commitee du cluster.\n")
    assert [(d.code, d.severity, d.line) for d in diags] == [("D503", "info", 3)]
    assert "lang `fr`" in diags[0].message


def test_a_deck_in_another_language_without_lang_is_not_checked():
    danish = " ".join(["Vi arbejder med åben kildekode hver dag og deler vores løsninger med andre kommuner",
                       "fordi samarbejde giver bedre kvalitet og lavere omkostninger for borgerne i hele landet",
                       "derfor bygger vi platforme sammen og vedligeholder dem i fællesskab med leverandørerne"])
    diags = run_text(f"# Samarbejde\n\n{danish}\n")
    assert [(d.code, d.severity) for d in diags] == [("D503", "info")]


@pytest.mark.parametrize("lang", ["en", "en-US", "en-GB", "en_GB"])
def test_english_tags_accept_both_spellings(lang):
    source = f"---\nmarp: true\nlang: {lang}\n---\n\n# Colour and color, greyscale, analyse and analyze\n"
    assert run_text(source) == []


def test_near_duplicate_never_pairs_two_real_words_or_two_names():
    source = "# T\n\nxUnit xUnit CUnit CTest CTest CTest. Lines lines links. Theme theme there.\n" \
        "La commande est commandée; le conteneur, les conteneurs.\n"
    assert [d for d in run_text(source) if d.code == "D502"] == []
    typo = "# T\n\nmirrord mirrord mirrord, then mirrod.\n"
    assert words(run_text(typo), "D502") == ["mirrod"]


def test_one_finding_per_cause():
    """A glossary wrong form is terminology's, a near-duplicate is D502's: spelling does not repeat them."""
    diags = run_text("# T\n\nKubernets and mirrord mirrord mirrord mirrod.\n")
    assert sorted(d.code for d in diags) == ["D501", "D502"]


def test_dictionary_forms_are_hunspell_words():
    """Every form the lookup accepts from a .dic entry (a stem with its own suffixes, prefixes and cross products)
    is one spylls' own hunspell lookup accepts; the typos of the issue are neither (tests/test_hunspell.py checks
    the lookup against a full expansion)."""
    from spylls.hunspell import Dictionary

    from deckops.lint import hunspell

    base = str(spelling._dictionary_path("en_US"))
    hun = Dictionary.from_files(base)
    ours = hunspell.Dictionary.read(base)
    entries = [hunspell.parse_entry(ln.partition("\0")[2], ours.aff) for ln in ours.lines]
    entries = [(s, f) for s, f in entries if not any(x in f for x in ours.aff.skip)]
    sample = random.Random(14).sample(entries, 300)
    forms = {f for stem, flags in sample for f in hunspell.forms(stem, flags, ours.aff)}
    assert len(forms) > 600
    assert [f for f in forms if not hun.lookup(f)] == []
    assert all(ours.lookup(hunspell.norm(f)) for f in forms)
    typos = ["deplyoment", "commitee", "recieve", "teh", "kubernets"]
    assert [w for w in typos if hun.lookup(w) or spelling.lexicon("en").is_word(w)] == []


def test_words_of_reads_every_chunk_as_the_regexes_do():
    """The one-word shortcut in _words_of gives what the patterns give (random lines of letters, accents,
    digits, punctuation and code characters)."""
    def reference(text):
        for chunk in spelling._CHUNK.finditer(text):
            bare = chunk.group(0).strip(spelling._EDGE)
            if not bare or spelling._NOT_PROSE.search(bare):
                continue
            offset = chunk.start() + chunk.group(0).find(bare)
            yield from ((m.group(0), offset + m.start()) for m in spelling._WORD.finditer(bare))

    rnd = random.Random(19)
    alphabet = "abZé²_-'’.,;:!?()[]{}*~`<>/\\=@#$%&|^\t xÅß1\u0301"
    lines = ["".join(rnd.choice(alphabet) for _ in range(rnd.randrange(30))) for _ in range(5000)]
    lines += ["Kubernetes schedules the pods of deployment web-1 on nodes", "(Argo’s) «Flux» — “quoted”, mirrord!"]
    assert [list(spelling._words_of(t)) for t in lines] == [list(reference(t)) for t in lines]
