"""Hostile and broken decks: every one gets a positioned diagnostic or a one-line error, never a traceback or a hang."""
from __future__ import annotations

import json
import os

import pytest

from hostile_inputs import GROWTH
from conftest import DATA, PATIENCE, best_cpu_seconds, run_cli

HOSTILE = DATA / "hostile"

# file -> (exit code, [(code, line)] that must be among the findings)
EXPECTED = {
    "binary.md": (1, [("D001", 1)]),
    "invalid-utf8.md": (1, [("D001", 3)]),
    "bom.md": (0, []),
    "crlf.md": (1, [("D101", 3)]),
    "empty.md": (0, [("D201", 1)]),
    "front-matter-unclosed.md": (1, [("D001", 1)]),
    "fence-unclosed.md": (1, [("D001", 5)]),
    "comment-unclosed.md": (1, [("D001", 5)]),
    "junk-comments.md": (1, [("D101", 7)]),  # `<!-- _class: [unclosed -->`: marp silently ignores it
    "alias-bomb-front-matter.md": (1, [("D101", 2)]),
    "alias-bomb-comment.md": (1, [("D001", 5)]),
    "nested-quotes.md": (0, []),
    "list-markers.md": (0, []),
}


def lint_json(path, *extra):
    r = run_cli("lint", "--format", "json", *extra, str(path), timeout=120)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode in (0, 1, 2), r.stderr
    return r, (json.loads(r.stdout) if r.returncode in (0, 1) else None)


def positions_inside(doc, path):
    text = path.read_bytes().replace(b"\r\n", b"\n")
    n_lines = max(text.count(b"\n") + 1, 1)
    for d in doc["diagnostics"]:
        assert 1 <= d["line"] <= n_lines and d["column"] >= 1, d


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_deck_gets_positioned_diagnostics(name):
    path = HOSTILE / name
    code, wanted = EXPECTED[name]
    r, doc = lint_json(path)
    if code is not None:
        assert r.returncode == code, r.stdout
    found = {(d["code"], d["line"]) for d in doc["diagnostics"]}
    assert set(wanted) <= found, found
    assert not any(d["code"] == "D000" for d in doc["diagnostics"]), doc  # no rule crashed
    positions_inside(doc, path)


def test_invalid_utf8_names_the_byte_offset():
    _, doc = lint_json(HOSTILE / "invalid-utf8.md")
    msg = next(d["message"] for d in doc["diagnostics"] if d["code"] == "D001")
    assert "byte offset 13" in msg


def test_paths_escaping_the_repo_are_never_read(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    deck = repo / "deck.md"
    deck.write_bytes((HOSTILE / "escape-paths.md").read_bytes())
    secret = tmp_path / "secret.png"  # outside the repo, exists: must still be reported, not accepted
    secret.write_bytes(b"x")
    deck.write_text(deck.read_text() + "\n![secret](../secret.png)\n")
    before = os.stat(secret).st_atime_ns
    r, doc = lint_json(deck)
    assert r.returncode == 1
    lines = {d["line"] for d in doc["diagnostics"] if d["name"] == "path-outside-repo"}
    assert {3, 5, 7, 9} <= lines, doc
    assert os.stat(secret).st_atime_ns == before


def test_special_files_and_links(tmp_path):
    os.mkfifo(tmp_path / "pipe.md")  # reading it would hang forever
    (tmp_path / "loop.md").symlink_to(tmp_path / "loop2.md")
    (tmp_path / "loop2.md").symlink_to(tmp_path / "loop.md")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    for name, words in (("pipe.md", "not a regular file"), ("loop.md", "symbolic links"),
                        ("dangling.md", "No such file")):
        r, doc = lint_json(tmp_path / name)
        assert r.returncode == 1 and words in doc["diagnostics"][0]["message"], (name, r.stdout)


def test_directory_without_decks_is_a_usage_error(tmp_path):
    (tmp_path / "deck.md").mkdir()
    r = run_cli("lint", str(tmp_path / "deck.md"))
    assert r.returncode == 2 and "no *.md decks" in r.stderr and "Traceback" not in r.stderr


def test_huge_inputs_finish(tmp_path):
    long_line = tmp_path / "long-line.md"
    long_line.write_bytes(b"# T\n\n" + b"x" * 5_000_000 + b"\n")
    r, doc = lint_json(long_line)
    assert r.returncode == 0
    many = tmp_path / "many.md"
    many.write_text("".join(f"# Slide {i}\n\ntext\n\n---\n\n" for i in range(20_000)) + "# End\n")
    r, doc = lint_json(many)
    assert r.returncode == 0 and doc["summary"]["files"] == 1
    too_big = tmp_path / "too-big.md"
    too_big.write_bytes(b"# T\n" * 3_000_000)
    r, doc = lint_json(too_big)
    assert r.returncode == 1 and "limit" in doc["diagnostics"][0]["message"]


def _cpu_seconds(*texts: str) -> list[float]:
    """Best CPU time of linting each text (conftest.best_cpu_seconds: interleaved, collector paused)."""
    from deckops import config as config_mod
    from deckops import deck as deck_mod
    from deckops.lint import lint

    return best_cpu_seconds([lambda t=t: lint(deck_mod.parse(t, "h.md"), config_mod.Config(), {}) for t in texts], 3)


@pytest.mark.parametrize("name", sorted(GROWTH))
def test_lint_grows_linearly_on_hostile_input(name):
    """Eight times a hostile input costs at most ~2.5x eight times lint's time (quadratic would be 64x);
    bench/hostile.py gives the full sizes. A floor of 20 ms keeps timer noise out of small cases."""
    make, _ = GROWTH[name]
    small, large = _cpu_seconds(make(2000), make(16000))
    assert large <= 20.0 * max(small, 0.02), f"{name}: 8x input took {large / max(small, 0.02):.1f}x the time"


def test_nested_lists_deeply(tmp_path):
    deep = tmp_path / "deep.md"
    deep.write_text("".join("  " * i + "- x\n" for i in range(1500)))
    r, doc = lint_json(deep)
    assert r.returncode == 0


def _corpus_repo(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    for src in HOSTILE.glob("*.md"):
        (repo / src.name).write_bytes(src.read_bytes())
    return repo


@pytest.mark.browser
def test_render_whole_corpus_without_traceback(tmp_path):
    repo = _corpus_repo(tmp_path)
    r = run_cli("render", "--to", "html", "--out", str(tmp_path / "dist"), str(repo), cwd=repo, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr + r.stdout, r.stderr
    assert "D304 path-outside-repo" in r.stdout  # escape-paths.md is refused, not rendered
    made = {p.name for p in (tmp_path / "dist").glob("*.html")}
    assert made == {n.replace(".md", ".html") for n in EXPECTED}
    assert not any("root:x:0:0" in (tmp_path / "dist" / n).read_text(errors="replace") for n in made)
    assert not [p for p in repo.rglob("*") if p.suffix not in (".md", "") and ".git" not in p.parts]


def test_rehearse_whole_corpus_without_traceback(tmp_path):
    repo = _corpus_repo(tmp_path)
    r = run_cli("rehearse", "--no-cluster", str(repo), cwd=repo, timeout=300)
    # the first undecodable deck is one positioned refusal (nothing runs), not a traceback
    assert (r.returncode, r.stdout, r.stderr) == (2, "", f"deckops: error: {repo / 'binary.md'}:2:118: invalid "
                                                        "UTF-8 at byte offset 128 (byte 0x80)\n")
    for name in ("binary.md", "invalid-utf8.md"):
        (repo / name).unlink()
    r = run_cli("rehearse", "--no-cluster", str(repo), cwd=repo, timeout=300)
    assert r.returncode == 0 and r.stderr == "", r.stderr  # the rest: read, no snippets, no traceback
    assert [l.split(": ")[1] for l in r.stdout.splitlines()[:-1]] == ["0 snippets"] * len(list(repo.glob("*.md")))
    assert r.stdout.splitlines()[-1].startswith("0 passed, 0 failed, 0 skipped in ")


def test_pipes_are_refused_by_render_check_and_rehearse(tmp_path):
    (tmp_path / ".git").mkdir()
    os.mkfifo(tmp_path / "pipe.md")
    for args in (("render", "--to", "html"), ("check",), ("rehearse", "--no-cluster")):
        r = run_cli(*args, "--out", str(tmp_path / "dist"), str(tmp_path / "pipe.md"), cwd=tmp_path, timeout=PATIENCE)
        assert r.returncode == 2 and "not a" in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)


@pytest.mark.cluster
def test_rehearse_writes_nothing_outside_output_and_cache(local_cluster, tmp_path):
    """kubectl caches discovery in ~/.kube/cache by default: deckops points it at its own cache."""
    from deckops.files import cache_home

    home, repo = tmp_path / "home", tmp_path / "repo"
    home.mkdir()
    (repo / ".git").mkdir(parents=True)
    deck = repo / "d.md"
    deck.write_text("# T\n\n```console\n$ kubectl get ns default -o name\nnamespace/default\n```\n")
    before = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    r = run_cli("rehearse", "--cluster", "local", "--cluster-name", local_cluster.name, str(deck), cwd=repo,
                env={"HOME": str(home), "DECKOPS_CACHE": str(cache_home())}, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert list(home.rglob("*")) == []
    assert sorted(p.relative_to(repo) for p in repo.rglob("*")) == before
