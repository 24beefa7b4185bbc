"""deckops serve as a user runs it: preview on 127.0.0.1, lint in the terminal, re-render on change."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import DATA

pytestmark = pytest.mark.browser  # needs the real marp-cli


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def _wait(predicate, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)  # polling a live server, not a sleep to pass: the assert below decides
    raise AssertionError("condition not reached in time")


def test_serve_previews_relints_and_rerenders_on_change(tmp_path: Path):
    repo = tmp_path / "talk"
    shutil.copytree(DATA / "render" / "talk", repo)
    (repo / ".git").mkdir()
    (repo / "slides" / "broken.md").unlink()
    log = tmp_path / "serve.log"
    with open(log, "w") as fh:
        p = subprocess.Popen([sys.executable, "-m", "deckops", "serve", "--port", "0", "--out", str(repo / "dist")],
                             cwd=repo, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                             env={**os.environ, "NO_COLOR": "1"})
    try:
        port = _wait(lambda: (m := re.search(r"127\.0\.0\.1:(\d+)/", log.read_text())) and m.group(1))
        base = f"http://127.0.0.1:{port}"
        status, body = _get(f"{base}/slides/good.html")
        assert status == 200 and b"data-marpit-svg" in body and b"/__deckops__/wait" in body
        assert _get(f"{base}/images/logo.svg")[0] == 200  # the deck's relative images resolve
        assert _get(f"{base}/.git/config")[0] == 404
        assert _get(f"{base}/%2e%2e/%2e%2e/etc/passwd")[0] == 404
        assert "1 file checked: 0 errors" in log.read_text()
        version = json.loads(_get(f"{base}/__deckops__/version")[1])["version"]

        deck = repo / "slides" / "good.md"
        deck.write_text(deck.read_text() + "\n---\n\n## Added live\n\n![gone](../images/gone.png)\n")
        _wait(lambda: json.loads(_get(f"{base}/__deckops__/version")[1])["version"] > version)
        assert b"Added live" in _get(f"{base}/slides/good.html")[1]
        # re-linted, in the terminal (the page reloads as soon as the HTML is out; the findings follow)
        _wait(lambda: re.search(r"good\.md:\d+:1: D301 missing-image", log.read_text()))
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=30)


def _descendants(pid: int) -> dict[int, str]:
    """pid -> command line of every process below pid."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            pass
    found, todo = {}, [pid]
    while todo:
        cur = todo.pop()
        for child, parent in parents.items():
            if parent == cur and child not in found:
                try:
                    found[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    continue
                todo.append(child)
    return found


def test_serve_keeps_one_marp_and_rerenders_only_the_changed_deck(tmp_path: Path):
    repo = tmp_path / "talk"
    shutil.copytree(DATA / "render" / "talk", repo)
    (repo / ".git").mkdir()
    (repo / "slides" / "broken.md").unlink()
    (repo / "slides" / "other.md").write_text("---\nmarp: true\n---\n\n# Other deck\n")
    log = tmp_path / "serve.log"
    with open(log, "w") as fh:
        p = subprocess.Popen([sys.executable, "-m", "deckops", "serve", "--port", "0", "--out", str(repo / "dist")],
                             cwd=repo, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                             env={**os.environ, "NO_COLOR": "1"})
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
        assert json.loads(waiting.result(timeout=60)[1])["version"] > seen  # answered by the first save
        pool.shutdown()
        lines = [line for line in log.read_text().splitlines() if "reload #" in line]
        assert len(lines) == 2 and all(re.search(r"changed, \d+\.\d\d s; 0 errors, 0 warnings in it; "
                                                 r"0 errors, 0 warnings in 2 decks$", line) for line in lines), lines
        still = {pid for pid, cmd in _descendants(p.pid).items() if "--watch" in cmd and "marp" in cmd}
        assert still == marps  # the same marp-cli process served both saves
        assert other.stat().st_mtime_ns == other_stat  # the deck that did not change was not re-rendered
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=60)
    assert p.returncode == 130  # ^C, like every command
    _wait(lambda: not [pid for pid in marps if _running(pid)], timeout=30)  # marp-cli does not outlive serve


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
