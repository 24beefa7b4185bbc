"""D7xx (what the audience sees) beyond the golden fixture: the allow-list is marp-core's own, `html = true`
silences html-disabled, near misses stay quiet, theme CSS and other tools' front matter keys."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from conftest import DATA, ROOT
from deckops import deck
from deckops.config import Config
from deckops.lint import lint

ALLOWLIST = ROOT / "src" / "deckops" / "lint" / "data" / "marp-html-allowlist.json"


def run(text: str, tmp_path, **config):
    (tmp_path / ".git").mkdir(exist_ok=True)
    path = tmp_path / "deck.md"
    path.write_text(text, encoding="utf-8")
    return [(d.code, d.line, d.severity) for d in lint(deck.load(path), Config(root=tmp_path, **config), {})
            if d.code.startswith(("D7", "D102", "D301"))]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is installed by ./setup.sh")
def test_allow_list_is_marp_cores_own():
    """The copy deckops ships is what the pinned marp-core allows (DECKOPS_UPDATE_GOLDEN=1 regenerates it)."""
    out = subprocess.run(["node", str(ROOT / "tests" / "marp_allowlist.js"), str(ROOT)], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    if os.environ.get("DECKOPS_UPDATE_GOLDEN") == "1":
        ALLOWLIST.write_text(out, encoding="utf-8")
    assert json.loads(out) == json.loads(ALLOWLIST.read_text(encoding="utf-8"))


def test_html_true_keeps_every_element(tmp_path):
    text = "# T\n\n<font size=6>x</font> <div style='a'>y</div>\n"
    assert [c for c, _, _ in run(text, tmp_path)] == ["D701", "D701"]
    assert run(text, tmp_path, html=True) == []


def test_near_misses_stay_quiet(tmp_path):
    text = ("# T\n\n<div class=\"columns\">a</div> <br> <img src=\"https://x.invalid/a.png\" alt=\"a\">\n\n"
            "![w:200 h:auto 50% blur:4px Architecture: overview](https://x.invalid/a.png)\n\n"
            "![bg left:30% vertical](https://x.invalid/a.png)\n\n"
            "> [!not an alert]\n\n{braces} and `{{ code }}` and `<script>`\n\n```html\n<script>x</script>\n```\n")
    assert run(text, tmp_path) == []


def test_theme_css_url_is_checked_at_the_theme_directive(tmp_path):
    (tmp_path / "themes").mkdir()
    (tmp_path / "themes" / "t.css").write_text("/* @theme t */\n@import 'default';\n"
                                              "section { background: url(img/bg.png) }\n")
    found = run("---\ntheme: t\n---\n\n# T\n", tmp_path)
    assert found == [("D301", 2, "error")]
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "bg.png").write_bytes(b"\x89PNG")
    assert run("---\ntheme: t\n---\n\n# T\n", tmp_path) == []


def test_foreign_front_matter_keys_are_warnings(tmp_path):
    found = run("---\nmarp: true\ndraft: true\nlayout: post\npagnate: true\n---\n\n# T\n", tmp_path)
    assert found == [("D102", 3, "warning"), ("D102", 4, "warning"), ("D102", 5, "error")]


def test_clean_and_flagship_decks_stay_quiet():
    for path in (DATA / "clean" / "every-feature.md", ROOT / "slides" / "advanced-kubernetes-debugging.md"):
        found = [d for d in lint(deck.load(path), Config(root=ROOT), {}) if d.code.startswith("D7")]
        assert found == [], found


@pytest.mark.parametrize("where, name, content", [
    ("package.json", "package.json", '{"scripts": {"build": "marp --html slides/"}}'),
    (".marprc.yml", ".marprc.yml", "html: true\n"),
    (".github/workflows/deck.yml", ".github/workflows/deck.yml", "steps:\n  - run: npx marp --html --pdf x.md\n"),
])
def test_a_repo_rendering_with_html_gets_one_finding_not_one_per_tag(tmp_path, where, name, content):
    (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / where).write_text(content)
    found = run("# T\n\n<font size=6>x</font> <div style='a'>y</div>\n", tmp_path)
    assert found == [("D701", 3, "warning")]  # at the first element deckops would render differently


def test_html_off_in_the_repo_keeps_the_per_tag_findings(tmp_path):
    (tmp_path / "package.json").write_text('{"scripts": {"build": "marp --pdf slides/"}, "marp": {"html": false}}')
    assert [c for c, _, _ in run("# T\n\n<font size=6>x</font>\n", tmp_path)] == ["D701"]
