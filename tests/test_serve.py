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
        assert status == 200 and b"data-marpit-svg" in body and b"/__deckops__/version" in body
        assert _get(f"{base}/images/logo.svg")[0] == 200  # the deck's relative images resolve
        assert _get(f"{base}/.git/config")[0] == 404
        assert _get(f"{base}/%2e%2e/%2e%2e/etc/passwd")[0] == 404
        assert "1 file checked: 0 errors" in log.read_text()
        version = json.loads(_get(f"{base}/__deckops__/version")[1])["version"]

        deck = repo / "slides" / "good.md"
        deck.write_text(deck.read_text() + "\n---\n\n## Added live\n\n![gone](../images/gone.png)\n")
        _wait(lambda: json.loads(_get(f"{base}/__deckops__/version")[1])["version"] > version)
        assert b"Added live" in _get(f"{base}/slides/good.html")[1]
        assert re.search(r"good\.md:\d+:1: D301 missing-image", log.read_text())  # re-linted, in the terminal
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=30)
