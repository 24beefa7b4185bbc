"""The lint result cache (lint/resultcache.py): an unchanged deck's findings are replayed without a parse, exactly;
a change to anything they depend on (the deck, a file it names, a theme, the config) lints again; an entry not
signed with the user's key (a repository committing a poisoned cache) is never used."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, ROOT
from deckops import deck as deck_mod
from deckops import files
from deckops.config import Config
from deckops.config import load as load_config
from deckops.lint import MAX_DECK_BYTES, lint_files, resultcache

# the corpus every way of linting must agree on: the test decks and the flagship talk
CORPUS = sorted(p for p in (DATA / "lint").glob("*.md")) + sorted((DATA / "clean").glob("*.md")) \
    + [DATA / "seed-advanced-kubernetes-debugging.md"] + sorted((ROOT / "slides").glob("*.md"))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    home = tmp_path / "cache"
    k8s = files.cache_home() / "k8s"  # the kubectl `deckops cluster build` made stays visible
    home.mkdir()
    if k8s.is_dir():
        (home / "k8s").symlink_to(k8s)
    monkeypatch.setattr(files, "CACHE_HOME", home)
    monkeypatch.setenv("DECKOPS_CACHE", str(home))
    return home


def _parses(monkeypatch) -> list[str]:
    seen: list[str] = []
    real = deck_mod.parse
    monkeypatch.setattr(deck_mod, "parse",
                        lambda data, path="<deck>", parser=None: seen.append(path) or real(data, path, parser))
    return seen


def test_the_deck_size_limit_is_the_parsers():
    assert MAX_DECK_BYTES == deck_mod.MAX_DECK_BYTES


def test_cli_and_replay_agree_on_the_corpus(cache_dir, monkeypatch):
    config = load_config(ROOT, None)
    plain = lint_files(CORPUS, config, results=False)
    assert plain and any(d.severity == "error" for d in plain)  # the corpus has defects to agree on
    stored = lint_files(CORPUS, config)
    parses = _parses(monkeypatch)
    replayed = lint_files(CORPUS, config)
    assert parses == []  # every deck replayed, none parsed
    assert [d.as_dict() for d in replayed] == [d.as_dict() for d in plain] == [d.as_dict() for d in stored]


def _cli(args, cwd, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deckops", "lint", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_the_cli_prints_the_same_report_from_the_cache(tmp_path, cache_dir):
    env = {**os.environ, "NO_COLOR": "1", "DECKOPS_CACHE": str(cache_dir)}
    decks = [str(p) for p in CORPUS[:4]]
    first = _cli(["--format", "json", *decks], ROOT, env)
    assert list((cache_dir / "lint-results").rglob("*.json"))  # stored
    second = _cli(["--format", "json", *decks], ROOT, env)
    text = _cli(decks, ROOT, env)
    assert first.returncode == second.returncode == text.returncode == 1
    assert first.stdout == second.stdout and json.loads(first.stdout)
    assert text.stdout == _cli(decks, ROOT, {**env, "DECKOPS_CACHE": str(tmp_path / "fresh")}).stdout


def _repo(tmp_path) -> Path:
    repo = tmp_path / "talk"
    (repo / ".git").mkdir(parents=True)
    (repo / "deck.md").write_text("---\nmarp: true\ntheme: brand\n---\n\n# Title\n\n![Diagram](images/d.png)\n\n"
                                  "See [notes](notes.md).\n", encoding="utf-8")
    return repo


def _codes(repo: Path) -> list[str]:
    return [d.code for d in lint_files([repo / "deck.md"], Config(root=repo, select=("D104", "D301", "D303")))]


def test_a_change_to_what_the_findings_depend_on_lints_again(tmp_path, cache_dir):
    repo = _repo(tmp_path)
    assert _codes(repo) == ["D104", "D301", "D303"]
    assert _codes(repo) == ["D104", "D301", "D303"]  # replayed
    (repo / "images").mkdir()
    (repo / "images" / "d.png").write_bytes(b"\x89PNG")
    assert _codes(repo) == ["D104", "D303"]  # the image now exists
    (repo / "notes.md").write_text("notes\n", encoding="utf-8")
    assert _codes(repo) == ["D104"]
    (repo / "themes").mkdir()
    (repo / "themes" / "brand.css").write_text("/* @theme brand */\nsection { color: red; }\n", encoding="utf-8")
    assert _codes(repo) == []
    (repo / "images" / "d.png").unlink()
    assert _codes(repo) == ["D301"]


def test_a_symlink_that_now_leads_outside_the_repo_lints_again(tmp_path, cache_dir):
    repo = _repo(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "d.png").write_bytes(b"\x89PNG")
    (repo / "images").mkdir()
    (repo / "images" / "d.png").write_bytes(b"\x89PNG")
    config = Config(root=repo, select=("D301", "D304"))
    assert lint_files([repo / "deck.md"], config) == []
    shutil.rmtree(repo / "images")
    (repo / "images").symlink_to(outside)
    assert [d.code for d in lint_files([repo / "deck.md"], config)] == ["D304"]


def test_config_and_rule_choice_are_part_of_the_key(tmp_path, cache_dir):
    repo = _repo(tmp_path)
    assert _codes(repo) == ["D104", "D301", "D303"]
    only = [d.code for d in lint_files([repo / "deck.md"], Config(root=repo, select=("D301",)))]
    assert only == ["D301"]
    warned = lint_files([repo / "deck.md"], Config(root=repo, select=("D301",), severity={"D301": "warning"}))
    assert [d.severity for d in warned] == ["warning"]


def test_a_poisoned_cache_is_never_replayed(tmp_path, cache_dir, monkeypatch):
    """An entry signed with another key (a cache committed to a repo, copied from elsewhere) or edited after
    signing is ignored: the deck is linted and its findings shown."""
    monkeypatch.setattr(files, "_KEY", None)  # the user's key: the one in this test's cache folder
    repo = _repo(tmp_path)
    config = Config(root=repo, select=("D301",))
    assert [d.code for d in lint_files([repo / "deck.md"], config)] == ["D301"]
    parses = _parses(monkeypatch)
    assert [d.code for d in lint_files([repo / "deck.md"], config)] == ["D301"] and not parses  # replayed
    entry = next((cache_dir / "lint-results").rglob("*.json"))
    mac, _, body = entry.read_bytes().partition(b"\n")
    doc = json.loads(body)
    doc["findings"] = []
    entry.write_bytes(mac + b"\n" + json.dumps(doc).encode())  # edited: the signature no longer matches
    assert [d.code for d in lint_files([repo / "deck.md"], config)] == ["D301"] and parses
    monkeypatch.setattr(files, "_KEY", b"k" * 32)  # someone else's key signs a clean result
    forged = json.dumps(doc, separators=(",", ":")).encode()
    entry.write_bytes(resultcache._mac(forged).encode() + b"\n" + forged)
    monkeypatch.setattr(files, "_KEY", None)
    parses.clear()
    assert [d.code for d in lint_files([repo / "deck.md"], config)] == ["D301"] and parses


def test_online_lints_are_never_replayed(tmp_path, cache_dir):
    repo = _repo(tmp_path)
    config = Config(root=repo, select=("D301",), online=True)
    lint_files([repo / "deck.md"], config)
    assert not (cache_dir / "lint-results").exists()


def test_the_cache_lives_in_deckops_cache_folder_not_the_repo(tmp_path, cache_dir):
    repo = _repo(tmp_path)
    before = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    _codes(repo)
    assert sorted(p.relative_to(repo) for p in repo.rglob("*")) == before
    assert list((cache_dir / "lint-results").rglob("*.json"))


def test_a_theme_beside_a_deck_in_a_subfolder_lints_again(tmp_path, cache_dir):
    """custom themes come from themes/ beside the deck too, not only from the configured folders."""
    repo = tmp_path / "talk"
    (repo / ".git").mkdir(parents=True)
    (repo / "talks").mkdir()
    deck = repo / "talks" / "deck.md"
    deck.write_text("---\nmarp: true\ntheme: brand\n---\n\n# Title\n", encoding="utf-8")
    config = Config(root=repo, select=("D104",))
    assert [d.code for d in lint_files([deck], config)] == ["D104"]
    (repo / "talks" / "themes").mkdir()
    (repo / "talks" / "themes" / "brand.css").write_text("/* @theme brand */\n", encoding="utf-8")
    assert lint_files([deck], config) == []
    (repo / "talks" / "themes" / "brand.css").write_text("/* @theme other */\n", encoding="utf-8")
    assert [d.code for d in lint_files([deck], config)] == ["D104"]
