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
    from deckops.lint import lint_files

    config = Config(root=ROOT, select=("shell-syntax", "shellcheck"))
    early = lint_files([SNIPPETS], config)
    assert _tools(calls) == ["shellcheck", "bash", "bash"]  # shellcheck started before the parse, only once
    monkeypatch.setattr(files, "CACHE_HOME", tmp_path / "other-cache")
    assert early == _lint(SNIPPETS) and any(d.code == "D402" for d in early)


# --- plain command lines skip shellcheck ------------------------------------------------------------------

_VOCAB = ("get", "pods", "-n", "demo-1", "-o", "wide", "--tail=20", "-l", "app=web,tier=db", "svc/web",
          "8080:80", "--", "-it", "--image=busybox:1.36", "-o=jsonpath=@", "custom-columns=NAME:.metadata.name",
          "1", "08", "256", "-9", "x=", "a+=b", "a==b", "%s", "%2F", "@x", ".", "..", "/", "//", "./x", "a.",
          "-rf", "exit", "sleep", "echo", "tr", "a-z", "A-Z", "file:///etc/x", "http://a:1/x", "PATH=/x", "IFS=,",
          ":=", "-=", "_", "0x1", "--v=9")


def _plain_blocks(count: int) -> list[str]:
    import random

    from deckops.lint.snippets import PLAIN_COMMANDS

    rnd, names, blocks = random.Random(7), sorted(PLAIN_COMMANDS), []
    for _ in range(count):
        lines = []
        for _ in range(rnd.randint(1, 3)):
            words = [rnd.choice(names)] + [rnd.choice(_VOCAB) for _ in range(rnd.randint(0, 7))]
            if len(words) > 2 and rnd.random() < 0.3:  # a backslash continuation
                k = rnd.randint(1, len(words) - 1)
                lines += [" ".join(words[:k]) + " \\", "  " + " ".join(words[k:])]
            else:
                lines.append(" ".join(words))
        blocks.append("\n".join(lines) + "\n")
    return blocks


def _shellcheck_codes(blocks: list[str], tmp_path) -> dict[int, set[int]]:
    """Block index -> SC codes, with every optional check on (a user's .shellcheckrc may enable them)."""
    import json

    from deckops.lint import snippets

    names = []
    for i, text in enumerate(blocks):
        (tmp_path / f"b{i}.sh").write_text(text)
        names.append(f"b{i}.sh")
    res = proc.run([snippets.shellcheck_binary(), "--format=json1", "--shell=bash", "--norc", "-o", "all",
                    "--exclude=" + ",".join(snippets.SHELLCHECK_EXCLUDE), *names], cwd=tmp_path, timeout=120, check=False)
    out: dict[int, set[int]] = {}
    for c in json.loads(res.stdout)["comments"]:
        out.setdefault(int(c["file"][1:-3]), set()).add(c["code"])
    return out


def test_shellcheck_is_silent_on_every_plain_command_line(tmp_path):
    from deckops.lint.snippets import plain_commands

    blocks = _plain_blocks(1500) + ["kubectl get pods \\\n", "k get pods\n\nk logs web\n", "helm list -A\n"]
    assert all(plain_commands(b) for b in blocks)
    assert _shellcheck_codes(blocks, tmp_path) == {}


def test_lines_shellcheck_has_something_to_say_about_are_not_plain(tmp_path):
    from deckops.lint.snippets import plain_commands

    flagged = ["kubectl get pods -l app=$APP\n",  # SC2086
               "kubectl = x\n",  # SC2283
               "kubectl += x\n",  # SC2285
               "tr a-z A-Z\n",  # SC2018/SC2019: tr has its own checks
               "kubectl get pods | grep -v x*\n",  # pipes and globs
               "kubectl get pods > out; cat out | grep web\n",
               "kubectl get pods \u201cweb\u201d\n",  # unicode quotes, SC1110
               "kubectl logs web \\ \n  --tail 5\n",  # a space after the backslash
               "cd /tmp\n"]
    assert not any(plain_commands(b) for b in flagged)
    assert set(_shellcheck_codes(flagged, tmp_path)) == set(range(len(flagged)))
    not_flagged_but_not_plain = ["kubectl get pods -o 'jsonpath={.items[*].metadata.name}'\n", "# a comment\n",
                                 "kubectl\tget pods\n", "kubectl get \u2013n demo\n", "KUBECONFIG=x kubectl get pods\n", "./kubectl get pods\n"]
    assert not any(plain_commands(b) for b in not_flagged_but_not_plain)


def test_a_deck_of_plain_commands_runs_no_shellcheck_and_a_mixed_one_checks_only_the_rest(calls, tmp_path):
    plain = tmp_path / "plain.md"
    plain.write_text("# Demo\n\n```console\n$ kubectl get pods -n demo\nNAME READY\n$ k logs web --tail 5\n```\n")
    assert _lint(plain) == [] and _tools(calls) == ["bash"]
    calls.clear()
    mixed = tmp_path / "mixed.md"
    mixed.write_text(plain.read_text() + "\n```bash\nkubectl get pods -l app=$APP\n```\n")
    found = _lint(mixed)
    assert [(d.code, d.line) for d in found] == [("D402", 10)] and "SC2086" in found[0].message
    assert _tools(calls) == ["bash", "shellcheck"]
    sent = [a for a in calls[-1] if a.endswith(".sh")]
    assert len(sent) == 1
