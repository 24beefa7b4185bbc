"""`deckops lint --daemon`: a long-lived deckops process runs the command line and keeps each deck's parsed slides
and per-slide rule results between runs (relay.py, lint/session.py, commands/daemon.py). Everything here runs
the real CLI in subprocesses, each test with its own cache folder and so its own daemon, stopped at the end.
What must hold: the same output and exit code as a lint in the process, in every format, after edits too; the
daemon really reuses the slides not edited; no daemon (or a broken one) means a lint in the process, not a
failure; only its owner can talk to it; it goes away when asked, when idle, on SIGTERM, or when deckops changes."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import DATA, ROOT
from deckops import relay
from test_lint_cache import CORPUS

FORMATS = ("text", "json", "sarif", "github")


def _cache(folder: Path) -> Path:
    folder.mkdir()
    k8s = Path(os.environ.get("DECKOPS_CACHE") or Path.home() / ".cache" / "deckops") / "k8s"
    if k8s.is_dir():  # the kubectl `deckops cluster build` made stays visible (kubectl-usage)
        (folder / "k8s").symlink_to(k8s)
    return folder


@pytest.fixture
def env(tmp_path):
    e = {**os.environ, "DECKOPS_CACHE": str(_cache(tmp_path / "cache"))}
    e.pop("NO_COLOR", None)
    yield e
    _cli(["daemon", "stop"], e, ROOT)


@pytest.fixture
def apart(tmp_path, env):
    """The environment of a lint in the process with a result cache of its own: it never replays what the
    daemon stored (or the daemon what it stored), so both lint every text."""
    return {**env, "DECKOPS_CACHE": str(_cache(tmp_path / "cache-in-process"))}


def _cli(argv, env, cwd, check_code=None) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "deckops", *argv], cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=600)
    assert "Traceback" not in res.stderr, res.stderr
    if check_code is not None:
        assert res.returncode == check_code, res.stderr
    return res


def _both(argv, env, cwd, apart=None) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """The lint in this process (with its own cache when `apart` is given), then through the daemon."""
    here = _cli(["lint", *argv], apart or env, cwd)
    there = _cli(["lint", "--daemon", *argv], env, cwd)
    return here, there


def _same(here, there) -> None:
    assert (there.returncode, there.stdout, there.stderr) == (here.returncode, here.stdout, here.stderr)


def _status(env) -> dict:
    return relay.ask(relay.address(env), {"ping": True}, timeout=30)


def test_same_output_and_exit_code_as_in_process_on_the_corpus(env, apart):
    decks = [str(p.relative_to(ROOT)) for p in CORPUS]
    for fmt in FORMATS:
        here, there = _both(["--format", fmt, *decks], env, ROOT, apart)
        assert here.returncode == 1 and here.stdout  # the corpus has errors to agree on
        _same(here, there)
    assert _status(env)["lints"] >= len(CORPUS)  # (the daemon did lint them: the first format's run)
    here, there = _both(["--no-hints", "--select", "D1", "--ignore", "D102", *decks], env, ROOT)
    _same(here, there)


def _flagship_copy(tmp_path: Path) -> tuple[Path, Path, str]:
    """A talk folder with a copy of slides/ and images/: (the folder, its deck, the deck's path from it)."""
    talk = tmp_path / "talk"
    shutil.copytree(ROOT / "slides", talk / "slides")
    shutil.copytree(ROOT / "images", talk / "images")
    deck = next((talk / "slides").glob("*.md"))
    return talk, deck, str(deck.relative_to(talk))


def test_edits_give_a_fresh_lints_findings_and_reuse_the_other_slides(env, apart, tmp_path):
    talk, deck, rel = _flagship_copy(tmp_path)
    original = deck.read_text(encoding="utf-8")
    _same(*_both(["--format", "json", rel], env, talk, apart))
    before = _status(env)["slides_reused"]
    slides = original.split("\n---\n")
    assert len(slides) > 5
    edits = [
        original.replace("Linux namespaces", "Linux namspaces", 1),  # a misspelling on one slide
        original.replace("\n---\n", "\n---\n\n<!-- _class: lead -->\n", 1),  # a spot directive, lines moved
        original.replace("kubectl debug", "kubectl debgu", 1),  # kubectl usage
        "\n---\n".join([*slides[:3], slides[3] + "\n\n# A second heading\n", *slides[4:]]),
        original,
    ]
    for text in edits:
        deck.write_text(text, encoding="utf-8")
        _same(*_both(["--format", "json", rel], env, talk, apart))
        _same(*_both(["--format", "text", rel], env, talk))  # (both replay the same findings)
    assert _status(env)["slides_reused"] > before + len(edits) * (len(slides) // 2)


def test_a_replayed_deck_is_parsed_after_the_answer_so_its_first_edit_is_incremental(env, apart, tmp_path):
    talk, deck, rel = _flagship_copy(tmp_path)
    _cli(["lint", rel], env, talk)  # in this process: its findings go to the shared result cache
    _cli(["lint", "--daemon", rel], env, talk)  # replayed by the daemon: nothing of its slides kept yet
    before = _status(env)["slides_reused"]  # (answered once the daemon has parsed it after its answer)
    deck.write_text(deck.read_text(encoding="utf-8").replace("Linux namespaces", "Linux namspaces", 1),
                    encoding="utf-8")
    _same(*_both(["--format", "json", rel], env, talk, apart))
    slides = deck.read_text(encoding="utf-8").count("\n---\n")
    assert _status(env)["slides_reused"] >= before + slides - 1  # every slide but the edited one


def test_usage_and_config_errors_are_the_same(env, tmp_path):
    _same(*_both(["--format", "nope", "slides"], env, ROOT))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "deckops.toml").write_text('select = ["no-such-rule"]\n', encoding="utf-8")
    (bad / "deck.md").write_text("---\nmarp: true\n---\n\n# Hi\n", encoding="utf-8")
    here, there = _both(["deck.md"], env, bad)
    assert here.returncode == 2 and "no-such-rule" in here.stderr
    _same(here, there)
    _same(*_both(["missing.md"], env, bad))


def test_output_file_is_written_where_the_client_runs(env, tmp_path):
    talk = tmp_path / "t"
    talk.mkdir()
    shutil.copy(DATA / "seed-advanced-kubernetes-debugging.md", talk / "deck.md")
    res = _cli(["lint", "--daemon", "--format", "sarif", "-o", "out.sarif", "deck.md"], env, talk)
    assert res.returncode == 1 and res.stdout == ""
    assert json.loads((talk / "out.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]


def test_no_daemon_means_a_lint_in_the_process(env, tmp_path):
    (Path(env["DECKOPS_CACHE"]) / "daemon").write_text("not a folder", encoding="utf-8")  # no socket can live there
    here, there = _both(["--format", "json", "tests/data/seed-advanced-kubernetes-debugging.md"], env, ROOT)
    assert (there.returncode, there.stdout) == (here.returncode, here.stdout)
    assert "lint daemon did not answer" in there.stderr and "linting in this process" in there.stderr
    started = _cli(["daemon", "start"], env, ROOT, check_code=2)  # one line, no traceback (_cli checks)
    assert started.stderr.startswith("deckops: error: the lint daemon: cannot use") and started.stderr.count("\n") == 1


def test_a_stale_socket_is_replaced(env):
    path = relay.address(env)
    relay.own_folder(path.parent)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with relay._named(path) as name:
        dead.bind(name)  # bound, never listened, closed: what a killed daemon leaves
    dead.close()
    _same(*_both(["tests/data/seed-advanced-kubernetes-debugging.md"], env, ROOT))
    assert _status(env)["lints"] >= 1


def test_stop_status_and_the_folder_is_private(env):
    assert _cli(["daemon", "status"], env, ROOT).returncode == 1
    started = _cli(["daemon", "start", "--idle", "120"], env, ROOT, check_code=0)
    assert "running (pid" in started.stdout
    path = relay.address(env)
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700 and stat.S_ISSOCK(os.stat(path).st_mode)
    assert "1 deck" not in _cli(["daemon", "status"], env, ROOT, check_code=0).stdout
    assert "stopped" in _cli(["daemon", "stop"], env, ROOT, check_code=0).stdout
    assert not path.exists()
    assert "not running" in _cli(["daemon", "stop"], env, ROOT, check_code=0).stdout


def test_only_lint_is_relayed(env):
    _cli(["daemon", "start"], env, ROOT, check_code=0)
    answer = relay.ask(relay.address(env), {"argv": ["render", "slides"], "cwd": str(ROOT), "env": env})
    assert answer["code"] == 2 and "runs `deckops lint` only" in answer["err"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to connect as another user (CI runs as root)")
def test_another_user_gets_no_answer(env):
    _cli(["daemon", "start"], env, ROOT, check_code=0)
    path = relay.address(env)
    os.chmod(path.parent, 0o755)  # (so that the other user reaches the socket at all: the peer check remains)
    os.chmod(path, 0o777)
    pid = os.fork()
    if pid == 0:  # the child becomes nobody and asks
        try:
            os.setgid(65534)
            os.setuid(65534)
            try:
                relay.ask(path, {"ping": True}, timeout=10)
                os._exit(3)  # answered: the check is missing
            except relay.Gone:
                os._exit(0)
        finally:
            os._exit(4)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert _status(env)["pid"]  # its owner still gets answers


def _gone(path: Path, deadline: float) -> bool:
    while time.monotonic() < deadline:  # (polling a process we do not own the exit of)
        if not path.exists():
            return True
        time.sleep(0.05)
    return False


def test_it_exits_when_idle_and_on_sigterm(env):
    _cli(["daemon", "start", "--idle", "1"], env, ROOT, check_code=0)
    path = relay.address(env)
    assert _gone(path, time.monotonic() + 60)
    _cli(["daemon", "start"], env, ROOT, check_code=0)
    os.kill(_status(env)["pid"], signal.SIGTERM)
    assert _gone(path, time.monotonic() + 30)


def _serving(tmp_path, **kw):
    """relay.serve in a thread of this process (the wire without deckops' commands): (path, thread, why)."""
    import threading

    path = tmp_path / "d" / "t.sock"
    server = relay.listen(path)
    why: list[str] = []
    thread = threading.Thread(target=lambda: why.append(relay.serve(server, path, lambda r: {"echo": r}, **kw)))
    thread.start()
    return path, thread, why


def test_the_wire_carries_large_answers_and_stops_when_deckops_changes(tmp_path):
    path, thread, why = _serving(tmp_path, idle=0.2, current=lambda: False)
    thread.join(30)
    assert why == ["deckops changed"] and not path.exists()
    path, thread, why = _serving(tmp_path, idle=60)
    big = "\u00e9" * 3_000_000  # (6 MB of UTF-8: several recv() calls)
    assert relay.ask(path, {"text": big}, timeout=30) == {"echo": {"text": big}}
    assert relay.ask(path, {"stop": True}, timeout=30)["stopped"] == os.getpid()
    thread.join(30)
    assert why == ["asked to stop"] and not path.exists()


def test_a_long_cache_path_still_gets_a_socket(tmp_path):
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 6)
    path, thread, why = _serving(deep, idle=60)
    assert len(str(path)) > 108
    assert relay.ask(path, {"ping": 1}, timeout=30) == {"echo": {"ping": 1}}
    relay.ask(path, {"stop": True}, timeout=30)
    thread.join(30)
