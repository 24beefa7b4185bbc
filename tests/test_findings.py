"""One finding pipeline: config and command-line select/ignore/severity and inline disables apply to the
findings of every stage (render, browser checks), not only lint; misspelt rule names are errors."""
from __future__ import annotations

import json

import pytest

from conftest import SEED, run_cli
from deckops.config import Config
from deckops.diagnostic import Diagnostic, Pos
from deckops.findings import apply, one_per_cause
from deckops.lint.catalogue import catalogue


def diag(code, name, path="deck.md", line=3, severity="error"):
    return Diagnostic(code, name, severity, Pos(path, line, 1), "m", "")


def test_every_stage_is_in_the_catalogue():
    stages = {e.code: e.stage for e in catalogue().values()}
    assert stages["D601"] == "check" and stages["D603"] == "render" and stages["D301"] == "lint"
    assert stages["D605"] == "check"
    out = run_cli("rules").stdout
    assert "D601  overflow" in out and " check " in out and "D604  html-enabled" in out


@pytest.mark.parametrize("config, kept", [
    (Config(ignore=("overflow",)), []),
    (Config(ignore=("D601",)), []),
    (Config(ignore=("D6",)), []),
    (Config(ignore=("D6",), select=("D601",)), ["D601 error"]),  # the more specific entry wins
    (Config(severity={"overflow": "off"}), []),
    (Config(severity={"D601": "warning"}), ["D601 warning"]),
    (Config(select=("image-alt",)), []),
    (Config(), ["D601 error"]),
])
def test_select_ignore_and_severity_reach_browser_findings(config, kept):
    out = apply([diag("D601", "overflow")], config)
    assert [f"{d.code} {d.severity}" for d in out] == kept


def test_more_specific_wins_in_lint_too(tmp_path):
    from deckops.lint.engine import selected

    cfg = Config(select=("D402",), ignore=("D4",))
    assert selected("D402", "shellcheck", cfg) and not selected("D401", "shell-syntax", cfg)
    cfg = Config(select=("D4",), ignore=("shellcheck",))
    assert not selected("D402", "shellcheck", cfg) and selected("D401", "shell-syntax", cfg)


def test_inline_disable_reaches_browser_findings(tmp_path):
    deck = tmp_path / "deck.md"
    deck.write_text("# A\n\n<!-- deckops-disable-next-line overflow -->\ntext\n\ntext\n")
    found = apply([diag("D601", "overflow", str(deck), 4), diag("D601", "overflow", str(deck), 6)], Config())
    assert [d.line for d in found] == [6]


def test_one_finding_per_cause():
    missing = diag("D301", "missing-image", line=5)
    assert one_per_cause([missing, diag("D602", "image-not-rendered", line=5)]) == [missing]
    assert len(one_per_cause([missing, diag("D602", "image-not-rendered", line=9)])) == 2


@pytest.mark.parametrize("codes, kept", [
    (["D301", "D602", "D603"], ["D301"]),  # lint found it: neither the browser nor marp-cli's warning again
    (["D304", "D603"], ["D304"]),
    (["D602", "D603"], ["D602"]),  # lint could not see it (a file it cannot decode): the browser's finding
    (["D603"], ["D603"]),
    (["D301", "D302", "D601"], ["D301", "D302", "D601"]),  # other causes at the line stay
])
def test_one_finding_per_image_across_lint_render_and_check(codes, kept):
    names = {"D301": "missing-image", "D302": "image-alt", "D304": "path-outside-repo", "D601": "overflow",
             "D602": "image-not-rendered", "D603": "marp-warning"}
    found = one_per_cause([diag(c, names[c], line=7) for c in reversed(codes)] + [diag("D603", "marp-warning", line=1)])
    assert sorted(d.code for d in found if d.line == 7) == kept
    assert [d.code for d in found if d.line == 1] == ["D603"]  # another line, another cause
    assert [d.code for d in one_per_cause([diag(c, names[c], path="b.md", line=7) for c in ("D602",)] +
                                          [diag("D301", "missing-image", line=7)])] == ["D602", "D301"]


@pytest.mark.parametrize("toml, message", [
    ('ignore = ["overflw"]', "ignore: 'overflw' is no rule name or code; did you mean 'overflow'?"),
    ('select = ["D9"]', "select: 'D9' is no rule name or code; `deckops rules` lists them"),
    ('severity = { "image-alt" = "error", overflo = "off" }',
     "severity.overflo: 'overflo' is no rule name or code; did you mean 'overflow'?"),
])
def test_misspelt_rules_in_config_are_errors(tmp_path, toml, message):
    (tmp_path / ".git").mkdir()
    (tmp_path / "deckops.toml").write_text(toml + "\n")
    (tmp_path / "deck.md").write_text("# A\n")
    r = run_cli("lint", str(tmp_path / "deck.md"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().endswith(message) and "deckops.toml" in r.stderr


def test_misspelt_rules_on_the_command_line_are_errors(tmp_path):
    r = run_cli("check", "--ignore", "overflw", str(SEED))
    assert r.returncode == 2 and r.stderr.strip() == ("deckops: error: --ignore overflw: no such rule; "
                                                      "did you mean 'overflow'?")


@pytest.mark.browser
def test_check_obeys_ignore_for_overflow(tmp_path):
    """The seed deck overflows on slide 3 (MARP-FACTS); `--ignore overflow` removes exactly those findings."""
    (tmp_path / ".git").mkdir()
    deck = tmp_path / "deck.md"
    deck.write_bytes(SEED.read_bytes())
    base = run_cli("check", str(deck), "--format", "json", "--out", str(tmp_path / "dist"), cwd=tmp_path)
    codes = [d["code"] for d in json.loads(base.stdout)["diagnostics"]]
    assert "D601" in codes
    quiet = run_cli("check", str(deck), "--format", "json", "--out", str(tmp_path / "dist"), "--ignore", "overflow",
                    cwd=tmp_path)
    codes_quiet = [d["code"] for d in json.loads(quiet.stdout)["diagnostics"]]
    assert "D601" not in codes_quiet and sorted(c for c in codes if c != "D601") == sorted(codes_quiet)


REHEARSED = """---
marp: true
---

# Stale

```console
$ echo one
two
```

---

# Exit

<!-- deckops-disable-next-line exit-status -->
```console
$ false
```

---

# Exit again

```console
$ false
```
"""


@pytest.fixture
def rehearsed(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "deck.md").write_text(REHEARSED)
    return tmp_path


def _verdicts(result) -> list[str]:
    return [l.split()[2] for l in result.stdout.splitlines() if l.startswith("  slide")]


def test_rehearse_failures_obey_inline_disables(rehearsed):
    """Slide 2's failing `false` sits under a disable-next-line above its fence: it passes; slide 3's fails."""
    r = run_cli("rehearse", "--no-cluster", "deck.md", cwd=rehearsed)
    assert r.returncode == 1 and _verdicts(r) == ["FAIL", "PASS", "FAIL"]
    assert "deck.md:8: stale-output:" in r.stdout and "deck.md:26: exit-status:" in r.stdout
    assert "deck.md:19" not in r.stdout


@pytest.mark.parametrize("how, verdicts, code", [
    (["--ignore", "stale-output"], ["PASS", "PASS", "FAIL"], 1),
    (["--ignore", "D80"], ["PASS", "PASS", "PASS"], 0),
    (["--select", "D802"], ["PASS", "PASS", "FAIL"], 1),
])
def test_rehearse_failures_obey_select_and_ignore(rehearsed, how, verdicts, code):
    r = run_cli("rehearse", "--no-cluster", *how, "deck.md", cwd=rehearsed)
    assert (r.returncode, _verdicts(r)) == (code, verdicts), r.stdout + r.stderr


def test_rehearse_failures_obey_config_severity(rehearsed):
    (rehearsed / "deckops.toml").write_text('[severity]\nexit-status = "warning"\nstale-output = "off"\n')
    r = run_cli("rehearse", "--no-cluster", "deck.md", cwd=rehearsed)
    assert (r.returncode, _verdicts(r)) == (0, ["PASS", "PASS", "PASS"]), r.stdout + r.stderr
    assert "deck.md:26: warning: exit-status: `false` exited 1, expected 0" in r.stdout
    assert "stale-output" not in r.stdout


def test_rehearse_failure_kinds_are_the_catalogues_rules():
    from deckops.rehearse.verdict import FAILURE_RULES

    entries = catalogue()
    assert {code: name for code, name in FAILURE_RULES.values()} == \
        {c: e.name for c, e in entries.items() if e.stage == "rehearse"}


def test_docs_rules_md_lists_the_catalogue():
    """docs/rules.md's tables name every rule of every stage with its code, name and default severity, and no
    other (D000, a crashed rule, is documented and not a rule)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text(encoding="utf-8")
    documented = {m[0]: (m[1], m[2]) for m in re.findall(r"^\| (D\d{3}) \| ([a-z0-9-]+) \| (\w+) \|", text, re.M)}
    documented.pop("D000", None)
    assert documented == {c: (e.name, e.severity) for c, e in catalogue().items()}


def test_rules_command_lists_every_rule_with_family_and_stage():
    rows = [l.split() for l in run_cli("rules").stdout.splitlines()]
    listed = {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}
    assert listed == {c: (e.name, e.severity, e.stage, e.family) for c, e in catalogue().items()}
    assert listed["D801"] == ("stale-output", "error", "rehearse", "rehearse")


MISSING = """---
marp: true
---

# A

![a cat](cat.png)

---

<!-- deckops-disable-next-line marp-warning -->
![a dog](dog.png)
"""


@pytest.mark.browser
@pytest.mark.parametrize("config, args, lines, code", [
    ("", [], [7], 0),  # the warning is placed at both references; the inline disable removes line 12's
    ('ignore = ["marp-warning"]\n', [], [], 0),
    ('[severity]\nD603 = "error"\n', [], [7], 1),
    ("", ["--ignore", "D6"], [], 0),
])
def test_render_marp_warnings_obey_config_and_inline_disables(tmp_path, config, args, lines, code):
    """The render stage's own finding: marp-cli's warning about missing local files (PDF only, MARP-FACTS)."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "deck.md").write_text(MISSING)
    (tmp_path / "deckops.toml").write_text(config)
    r = run_cli("render", "deck.md", "--to", "pdf", "--out", str(tmp_path / "dist"), *args, cwd=tmp_path)
    found = [int(l.split(":")[1]) for l in r.stdout.splitlines() if " D603 marp-warning " in l]
    assert (r.returncode, found) == (code, lines), r.stdout + r.stderr
    assert (tmp_path / "dist" / "deck.pdf").is_file()


def _overflowing_deck() -> str:
    lines = "\n".join(f"line {i}" for i in range(40))
    items = "\n".join(f"- item {i}" for i in range(30))
    return (f"---\nmarp: true\n---\n\n# One\n\n{items}\n\n---\n\n# Two\n\n"
            f"<!-- deckops-disable-next-line overflow -->\n```text\n{lines}\n```\n\n---\n\n# Three\n\n"
            f"```text\n{lines}\n```\n")


@pytest.mark.browser
@pytest.mark.parametrize("config, found, code", [
    ("", [(1, "error"), (3, "error")], 1),  # slide 2's block overflows too, under a disable-next-line
    ('[severity]\noverflow = "warning"\n', [(1, "warning"), (3, "warning")], 0),
    ('ignore = ["D6"]\nselect = ["D601"]\n', [(1, "error"), (3, "error")], 1),  # the more specific entry wins
    ('ignore = ["overflow"]\n', [], 0),
])
def test_browser_overflow_obeys_config_and_inline_disables(tmp_path, config, found, code):
    """D601 measured in real Chromium: three slides overflow, the config and an inline disable decide."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "deck.md").write_text(_overflowing_deck())
    (tmp_path / "deckops.toml").write_text(config)
    r = run_cli("check", "deck.md", "--format", "json", "--out", str(tmp_path / "dist"), cwd=tmp_path)
    diags = [d for d in json.loads(r.stdout)["diagnostics"] if d["code"] == "D601"]
    assert (r.returncode, [(int(d["message"].split()[1].rstrip(":")), d["severity"]) for d in diags]) == \
        (code, found), r.stdout


def test_every_finding_made_in_the_code_is_a_catalogue_rule():
    """A Diagnostic built anywhere (render, browser, rehearse, serve, lsp) carries a catalogue rule's code and
    name, so the one filter and `deckops rules` know it; D000 (a crash, a config error) is the one exception."""
    import re
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src" / "deckops"
    made = {(m[0], m[1], str(p.relative_to(src))) for p in src.rglob("*.py")
            for m in re.findall(r'Diagnostic\(\s*"(D\d{3})",\s*"([a-z0-9-]+)"', p.read_text(encoding="utf-8"))}
    assert len(made) >= 8, made  # render, browser, D000s: the scan finds them
    entries = catalogue()
    strays = [(code, name, where) for code, name, where in made
              if code != "D000" and (code not in entries or entries[code].name != name)]
    assert strays == []


def test_serve_filters_render_findings_like_every_stage(tmp_path):
    """serve adds render's refusals (D304 for a path outside the repo) to a deck's findings: through the filter."""
    from deckops.serve import State

    deck = tmp_path / "deck.md"
    deck.write_text("# A\n\n<!-- deckops-disable-next-line D304 -->\n![x](../../x.png)\n\n![y](../../y.png)\n")
    refusals = [Diagnostic("D304", "path-outside-repo", "error", Pos(str(deck), n, 1), "outside") for n in (4, 6)]
    for config, lines in ((Config(root=tmp_path), [6]), (Config(root=tmp_path, ignore=("path-outside-repo",)), [])):
        state = State([deck], config, tmp_path / "dist")
        state.findings[deck] = []
        state._add(refusals)
        assert [d.line for d in state.findings[deck]] == lines


@pytest.mark.browser
def test_render_refusals_obey_inline_disables(tmp_path):
    """render refuses a deck whose image leaves the repository (D304, a lint code made outside lint's engine):
    the refusal obeys the deck's disable comment like lint's own finding."""
    (tmp_path / ".git").mkdir()
    deck = tmp_path / "deck.md"
    deck.write_text("# A\n\n<!-- deckops-disable-next-line path-outside-repo -->\n![x](../../x.png)\n")
    r = run_cli("render", "deck.md", "--to", "html", "--out", str(tmp_path / "dist"), cwd=tmp_path)
    assert "D304" not in r.stdout, r.stdout
    deck.write_text("# A\n\n![x](../../x.png)\n")
    r = run_cli("render", "deck.md", "--to", "html", "--out", str(tmp_path / "dist"), cwd=tmp_path)
    assert r.returncode == 1 and "deck.md:3:1: D304 path-outside-repo" in r.stdout, r.stdout


def test_a_disable_above_a_fence_covers_lint_findings_inside_it_too():
    """The one inline-disable rule in every stage: lint's shell-syntax inside a fence, like rehearse's verdicts."""
    from deckops import deck as deck_mod
    from deckops.lint import lint

    text = ("# A\n\n<!-- deckops-disable-next-line shell-syntax -->\n```bash\necho ok\nif then fi (\n```\n\n"
            "```bash\nif then fi (\n```\n")
    found = lint(deck_mod.parse(text, "deck.md"), Config(select=("shell-syntax",)), {})
    assert [(d.code, d.line) for d in found] == [("D401", 10)]
    assert [d.line for d in apply([diag("D401", "shell-syntax", "x.md", n) for n in (6, 10)], Config())] == [6, 10]
