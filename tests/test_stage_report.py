"""The rehearsal report plays its recordings offline: asciinema-player (pinned in package.json) bundled into the
page, each cast inline; real rehearse --record --report, opened in headless Chromium with the network cut off."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from deckops.report import html

pytestmark = pytest.mark.browser

DECK = """---
marp: true
---

# Hello

```console
$ echo hello; sleep 0.2; echo 'world </script><b>x</b>'
hello
world </script><b>x</b>
```

---

# Stale

```console
$ echo live
recorded
```

<!-- Notes: two words. -->
"""


@pytest.fixture
def report(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "talk.md").write_text(DECK)
    res = run_cli("rehearse", "--no-cluster", "--record", "rec", "--report", "report.html", "talk.md", cwd=tmp_path)
    assert res.returncode == 1 and (tmp_path / "report.html").is_file(), res.stdout + res.stderr
    return tmp_path / "report.html"


def test_the_player_loads_offline_and_shows_the_recorded_text(report):
    if html.player_assets() is None:
        pytest.fail("asciinema-player is not installed: npm ci (setup.sh) installs the pinned version")
    from playwright.sync_api import sync_playwright

    from deckops.marp import find_chrome

    requests, errors = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chrome(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.route("http*://**", lambda route: route.abort())  # offline: nothing may be fetched
            page.goto(report.as_uri())
            page.wait_for_selector(".cast .ap-player", timeout=30_000)
            page.wait_for_function("[...document.querySelectorAll('.cast .ap-term')]"
                                   ".some(t => t.textContent.includes('world </script><b>x</b>'))", timeout=30_000)
            casts = page.eval_on_selector_all(".cast", "els => els.map(e => [e.dataset.cast, e.innerText])")
            players = page.eval_on_selector_all(".ap-player", "els => els.length")
        finally:
            browser.close()
    assert errors == []
    assert [r for r in requests if not r.startswith(("file:", "data:", "blob:"))] == []
    assert players == 1 and [name for name, _ in casts] == ["slide-001-1"]  # the stale snippet has none
    assert "$ echo hello; sleep 0.2;" in casts[0][1] and "hello" in casts[0][1]


def test_without_the_player_the_final_screen_is_text(report, monkeypatch):
    """A deckops installed without the npm package still shows what each recording ended with."""
    from deckops import deck as deck_mod
    from deckops.rehearse.snippets import extract
    from deckops.rehearse.verdict import SnippetResult

    monkeypatch.setattr(html, "player_assets", lambda: None)
    deck = deck_mod.load(report.parent / "talk.md")
    results = [SnippetResult(s, "pass") for s in extract(deck).snippets]
    page = html.render([(deck, results)], None, report.parent / "rec")
    assert "AsciinemaPlayer" not in page
    assert "world &lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in page
    assert "talk time 0:" in page
