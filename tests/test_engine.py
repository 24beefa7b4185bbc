"""The lint engine: crash isolation, selection, severities and inline disable comments."""
from __future__ import annotations

from deckops import deck
from deckops.config import Config
from deckops.lint.engine import Finding, Rule, run_rules


def every_heading(ctx):
    for s in ctx.deck.slides:
        for h in s.headings:
            yield Finding(h.line, h.col, f"heading {h.text}", "hint")


def crash(ctx):
    raise ValueError("boom")
    yield  # pragma: no cover


RULES = [Rule("D900", "every-heading", "warning", every_heading), Rule("D901", "crasher", "error", crash)]
TEXT = """# A

<!-- deckops-disable every-heading -->

# B

<!-- deckops-enable every-heading -->

# C

<!-- deckops-disable-next-line D900 -->
# D

# E
"""


def run(cfg=None, text=TEXT):
    return run_rules(RULES, deck.parse(text, "e.md"), cfg or Config())


def test_crashing_rule_becomes_a_finding_with_file_and_code():
    diags = run()
    crash_diag = [d for d in diags if d.code == "D000"]
    assert len(crash_diag) == 1
    assert crash_diag[0].path == "e.md" and "D901 crasher crashed: ValueError: boom" in crash_diag[0].message


def test_inline_disable_enable_and_next_line():
    lines = [d.line for d in run() if d.code == "D900"]
    assert lines == [1, 9, 14]  # B (line 5) disabled by range, D (line 12) by next-line


def test_select_ignore_and_severity_override():
    assert {d.code for d in run(Config(select=("every-heading",)))} == {"D900"}
    assert {d.code for d in run(Config(ignore=("D900", "crasher")))} == set()
    sev = {d.severity for d in run(Config(select=("D900",), severity={"every-heading": "error"}))}
    assert sev == {"error"}
    assert run(Config(select=("D900",), severity={"D900": "off"})) == []


def test_disable_all_without_names():
    text = "<!-- deckops-disable -->\n\n# A\n\n<!-- deckops-enable -->\n\n# B\n"
    assert [d.line for d in run(Config(select=("D900",)), text)] == [7]
