"""filerefs: every way a deck's text names a local file (pure), and lint's D304 on each form, positioned."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import best_cpu_seconds, run_cli
from deckops.filerefs import scan, scan_deck

FORMS = [  # (text, path it names, file: URL?, column)
    ("""style: 'section { background-image: URL("/abs/a.png") }'""", "/abs/a.png", False, 37),
    ("""x { background: url("file:///abs/b%20c.png") }""", "/abs/b c.png", True, 17),
    ("""@import url(file:///abs/x.css);""", "/abs/x.css", True, 9),
    ("""@import "/abs/y.css";""", "/abs/y.css", False, 1),
    ("""x { background: image-set("/abs/s1.png" 1x, '/abs/s2.png' 2x) }""", "/abs/s2.png", False, 17),
    ("""x { background: \\75 rl("/abs/esc.png") }""", "/abs/esc.png", False, 17),
    ("""x { background: \\000055RL(/abs/esc2.png) }""", "/abs/esc2.png", False, 17),
    ("""<img src=/abs/unquoted.png>""", "/abs/unquoted.png", False, 6),
    ("""<IMG SRC="&#x2F;abs/entity.png">""", "/abs/entity.png", False, 6),
    ("""<img srcset="ok.png 1x, /abs/set.png 2x">""", "/abs/set.png", False, 6),
    ("""<!-- _backgroundImage: url('file:///abs/bg.png') -->""", "/abs/bg.png", True, 24),
    ("""@font-face { src: url(/abs/font.woff2) }""", "/abs/font.woff2", False, 19),
    ("""<iframe src=file:///etc/passwd></iframe>""", "/etc/passwd", True, 9),
    ("""<svg><image href="/abs/svg.png"/></svg>""", "/abs/svg.png", False, 13),
]


@pytest.mark.parametrize("text,path,file_url,col", FORMS)
def test_each_form_names_its_file_at_its_position(text, path, file_url, col):
    found = [(r.path, r.file_url, r.line, r.col) for r in scan(text)]
    assert (path, file_url, 1, col) in found, found


def test_url_split_over_lines_is_positioned_at_the_function():
    assert [(r.path, r.line, r.col) for r in scan('a\nx { background: url(\n  "/abs/split.png"\n) }')] == \
        [("/abs/split.png", 2, 17)]


def test_remote_data_fragments_prose_and_code_are_not_files():
    text = ["url(https://e.org/x.png) url(data:image/png;base64,AA) url(#f) url(//cdn/x.png)",
            "the url (x) and the image (left), `url(/in/inline/code.png)`", "url(/in/a/fence.png)"]
    assert scan_deck(text, code_lines={3}) == []
    assert [r.path for r in scan_deck(["``a ` url(/x.png) ``  url(/y.png)"], set())] == ["/y.png"]


@pytest.mark.parametrize("unit", ["url(", "`", "<a src=", "image-set(", "\\75 ", "url(\"x\" url('"])
def test_linear_in_hostile_input(unit):
    """Eight times the input costs at most ~2.5x eight times the CPU (quadratic would be 64x). CPU time of this
    process with the collector paused, the small and large runs interleaved so that a busy spell on a loaded
    machine sways both alike, best of 5 each (the n-to-2n wall-clock figure is bench/hostile.py's)."""
    small_text, large_text = unit * 12_500, unit * 100_000
    small, large = best_cpu_seconds([lambda: scan_deck([small_text], set()), lambda: scan_deck([large_text], set())], 5)
    ratio = large / max(small, 0.005)
    assert ratio <= 20.0, (unit, small, large)


def test_lint_reports_each_form_as_d304_at_its_position(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    deck = tmp_path / "deck.md"
    deck.write_text("---\nmarp: true\nstyle: 'section { background: URL(\"/abs/a.png\") }'\n---\n\n# A\n\n"
                    "<img src=/abs/b.png>\n\n<style>\nx { background: \\75 rl(/abs/c.png) }\n</style>\n\n"
                    "![inside](images/fine.png)\n")
    r = run_cli("lint", str(deck), "--select", "path-outside-repo", cwd=tmp_path)
    found = [line.split(" D304 ")[0].split("deck.md:")[1].rstrip(":") for line in r.stdout.splitlines()
             if " D304 " in line]
    assert found == ["3:31", "8:6", "11:17"], r.stdout
    assert r.returncode == 1
