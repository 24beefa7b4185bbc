"""Atomic writes: readable outputs, a rewritten file keeps its mode, no temp file left on failure."""
from __future__ import annotations

import os
import stat

import pytest

from deckops.files import write_atomic


def test_new_file_gets_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "out" / "a.html", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out" / "a.html").stat().st_mode) == 0o644


def test_rewrite_keeps_mode_and_content_is_whole(tmp_path):
    deck = tmp_path / "deck.md"
    deck.write_bytes(b"old")
    deck.chmod(0o640)
    write_atomic(deck, b"new")
    assert deck.read_bytes() == b"new" and stat.S_IMODE(deck.stat().st_mode) == 0o640


def test_failed_write_leaves_no_temp_file(tmp_path):
    with pytest.raises(TypeError):
        write_atomic(tmp_path / "x.pdf", object())  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
