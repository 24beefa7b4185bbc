"""check and render honour the deck size limit lint has: one positioned finding, nothing rendered, no hang."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli
from deckops.deck import MAX_DECK_BYTES


@pytest.mark.browser
def test_check_refuses_an_oversized_deck_with_a_finding(tmp_path):
    (tmp_path / ".git").mkdir()
    big = tmp_path / "big.md"
    with big.open("wb") as fh:
        fh.write(b"# Big\n\n")
        fh.write(b"word " * (MAX_DECK_BYTES // 5 + 10))
    small = tmp_path / "small.md"
    small.write_text("# Small\n\nA fine deck.\n")
    r = run_cli("check", str(big), str(small), "--format", "json", "--out", str(tmp_path / "dist"), cwd=tmp_path,
                timeout=600)
    assert "Traceback" not in r.stderr
    found = [(d["code"], d["line"]) for d in json.loads(r.stdout)["diagnostics"] if d["path"].endswith("big.md")]
    assert ("D001", 1) in found
    assert r.returncode == 1
    assert not (tmp_path / "dist" / "big.html").exists() and (tmp_path / "dist" / "small.html").exists()
