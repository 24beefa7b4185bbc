"""deckops serve as a user runs it: preview on 127.0.0.1, lint in the terminal, re-render on change."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import DATA, descendants, wait_for

pytestmark = pytest.mark.browser  # needs the real marp-cli


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=120) as r:  # a loaded machine answers slowly
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def _wait(predicate, timeout: float | None = None):
    return wait_for(predicate, **({"timeout": timeout} if timeout else {}), what="serve")


def _serve(spawn, repo: Path, log: Path) -> subprocess.Popen:
    with open(log, "w") as fh:
        return spawn([sys.executable, "-m", "deckops", "serve", "--port", "0", "--out", str(repo / "dist")],
                     cwd=repo, stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"})


def test_serve_previews_relints_and_rerenders_on_change(tmp_path: Path, spawn):
    repo = tmp_path / "talk"
    shutil.copytree(DATA / "render" / "talk", repo)
    (repo / ".git").mkdir()
    (repo / ".git" / "config").write_text("[remote]\n\turl = https://token@example.com/x\n")
    (repo / ".env").write_text("TOKEN=repo-secret\n")
    (tmp_path / "secret.txt").write_text("beside the root\n")  # the guard, not a missing file, must refuse these
    (repo / "images" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (repo / "slides" / "broken.md").unlink()
    log = tmp_path / "serve.log"
    _serve(spawn, repo, log)
    port = _wait(lambda: (m := re.search(r"127\.0\.0\.1:(\d+)/", log.read_text())) and m.group(1))
    base = f"http://127.0.0.1:{port}"
    status, body = _get(f"{base}/slides/good.html")
    assert status == 200 and b"data-marpit-svg" in body and b"/__deckops__/wait" in body
    assert _get(f"{base}/images/logo.svg")[0] == 200  # the deck's relative images resolve
    for path in ("/.git/config", "/.env", "/%2e%2e/secret.txt", "/images/%2e%2e/%2e%2e/secret.txt",
                 "/images/leak.txt", "/%2e%2e/%2e%2e/etc/passwd"):
        assert _get(base + path) == (404, b""), path
    assert "1 file checked: 0 errors" in log.read_text()
    version = json.loads(_get(f"{base}/__deckops__/version")[1])["version"]

    deck = repo / "slides" / "good.md"
    deck.write_text(deck.read_text() + "\n---\n\n## Added live\n\n![gone](../images/gone.png)\n")
    _wait(lambda: json.loads(_get(f"{base}/__deckops__/version")[1])["version"] > version)
    assert b"Added live" in _get(f"{base}/slides/good.html")[1]
    # re-linted, in the terminal (the page reloads as soon as the HTML is out; the findings follow)
    _wait(lambda: re.search(r"good\.md:\d+:1: D301 missing-image", log.read_text()))


def _descendants(pid: int) -> dict[int, str]:
    """pid -> command line of every process below pid."""
    found = {}
    for child in descendants(pid):
        try:
            found[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
    return found


def test_serve_keeps_one_marp_and_rerenders_only_the_changed_deck(tmp_path: Path, spawn):
    repo = tmp_path / "talk"
    shutil.copytree(DATA / "render" / "talk", repo)
    (repo / ".git").mkdir()
    (repo / "slides" / "broken.md").unlink()
    (repo / "slides" / "other.md").write_text("---\nmarp: true\n---\n\n# Other deck\n")
    log = tmp_path / "serve.log"
    p = _serve(spawn, repo, log)
    try:
        _wait(lambda: "127.0.0.1:" in log.read_text())
        marps = {pid for pid, cmd in _descendants(p.pid).items() if "--watch" in cmd and "marp" in cmd}
        assert marps, "no marp-cli --watch below deckops serve"
        other = repo / "dist" / "other.html"
        other_stat = other.stat().st_mtime_ns
        deck = repo / "slides" / "good.md"
        port = re.search(r"127\.0\.0\.1:(\d+)/", log.read_text()).group(1)
        seen = json.loads(_get(f"http://127.0.0.1:{port}/__deckops__/version")[1])["version"]
        import concurrent.futures

        pool = concurrent.futures.ThreadPoolExecutor(1)  # a page waiting for the next version (long poll)
        waiting = pool.submit(_get, f"http://127.0.0.1:{port}/__deckops__/wait?v={seen}")
        for n in (1, 2):
            deck.write_text(deck.read_text() + f"\n---\n\n## Save {n}\n")
            _wait(lambda n=n: len(re.findall(r"reload #\d+: slides/good\.md changed", log.read_text())) == n)
            assert f"Save {n}".encode() in (repo / "dist" / "good.html").read_bytes()
        assert json.loads(waiting.result(timeout=180)[1])["version"] > seen  # answered by the first save
        pool.shutdown()
        lines = [line for line in log.read_text().splitlines() if "reload #" in line]
        assert len(lines) == 2 and all(re.search(r"changed, \d+\.\d\d s; 0 errors, 0 warnings in it; "
                                                 r"0 errors, 0 warnings in 2 decks$", line) for line in lines), lines
        still = {pid for pid, cmd in _descendants(p.pid).items() if "--watch" in cmd and "marp" in cmd}
        assert still == marps  # the same marp-cli process served both saves
        assert other.stat().st_mtime_ns == other_stat  # the deck that did not change was not re-rendered
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=180)  # (the spawn fixture kills what is left, should this time out)
    assert p.returncode == 130  # ^C, like every command
    _wait(lambda: not [pid for pid in marps if _running(pid)])  # marp-cli does not outlive serve


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
