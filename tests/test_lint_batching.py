"""Subprocess rules are batched: one `bash -n` per deck (per block only when it fails), one shellcheck call per
deck, cached per block text; remote links are checked only with --online, against a local HTTP server here."""
from __future__ import annotations

import functools
import http.server
import threading

import pytest

from conftest import DATA, ROOT
from lint_support import _lint_cache, lint_cache_dir  # noqa: F401  (fixtures)
from deckops import deck, files, proc
from deckops.config import Config
from deckops.lint import lint

SNIPPETS = DATA / "lint" / "snippets.md"
CLEAN = DATA / "clean" / "every-feature.md"


@pytest.fixture
def calls(monkeypatch, tmp_path):
    monkeypatch.setattr(files, "CACHE_HOME", tmp_path / "cache")
    seen: list[list[str]] = []
    real = proc.run

    def spy(argv, **kw):
        seen.append([str(a) for a in argv])
        return real(argv, **kw)

    monkeypatch.setattr(proc, "run", spy)
    return seen


def _lint(path, **cfg):
    return lint(deck.load(path), Config(root=ROOT, select=("shell-syntax", "shellcheck"), **cfg), {})


def _tools(calls):
    return [c[0].rsplit("/", 1)[-1] for c in calls]


def test_clean_deck_one_bash_and_one_shellcheck(calls):
    assert _lint(CLEAN) == []
    assert _tools(calls) == ["bash", "shellcheck"]


def test_broken_deck_bash_twice_then_shellcheck_results_come_from_the_cache(calls):
    first = _lint(SNIPPETS)
    assert _tools(calls) == ["bash", "bash", "shellcheck"]  # whole deck, then per block in one driver
    calls.clear()
    again = _lint(SNIPPETS)
    assert again == first and _tools(calls) == ["bash", "bash"]  # shellcheck skipped: every block cached


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "ok.html").write_text("ok")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=tmp_path / "www"))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_remote_links_only_online_and_cached(tmp_path, server, monkeypatch):
    monkeypatch.setattr(files, "CACHE_HOME", tmp_path / "cache")
    d = tmp_path / "d.md"
    d.write_text(f"# Links\n\n[ok]({server}/ok.html) and [gone]({server}/gone.html)\n\n"
                 "[demo](http://localhost:1/) and [svc](http://web.demo.svc.cluster.local/) are not probed\n")
    cfg = Config(root=tmp_path, select=("broken-link",))
    assert lint(deck.load(d), cfg, {}) == []  # offline by default
    online = Config(root=tmp_path, select=("broken-link",), online=True)
    got = [(x.line, x.message) for x in lint(deck.load(d), online, {})]
    assert got == [(3, f"link `{server}/gone.html` is not reachable (HTTP 404)")]
    assert (tmp_path / "cache" / "links.json").is_file()
    monkeypatch.setattr("deckops.lint.links.probe", lambda url: pytest.fail("cache not used"))
    assert [(x.line, x.message) for x in lint(deck.load(d), online, {})] == got


def test_the_early_scan_guesses_every_top_level_shell_block_the_parse_finds():
    from deckops.lint import early, snippets

    for path in (SNIPPETS, CLEAN):  # fences in lists are not guessed: D402 checks those after the parse
        parsed = deck.load(path)
        real = {s.text for s in snippets.shell_scripts(type("Ctx", (), {"deck": parsed, "cache": {}})())
                if s.bash}
        assert real and real <= set(early.scripts(path.read_bytes())), path


def test_early_start_gives_the_same_findings_with_one_shellcheck_call(calls, monkeypatch, tmp_path):
    from deckops.decks import lint_decks

    config = Config(root=ROOT, select=("shell-syntax", "shellcheck"))
    early = lint_decks([SNIPPETS], config)
    assert _tools(calls) == ["shellcheck", "bash", "bash"]  # shellcheck started before the parse, only once
    monkeypatch.setattr(files, "CACHE_HOME", tmp_path / "other-cache")
    assert early == _lint(SNIPPETS) and any(d.code == "D402" for d in early)
