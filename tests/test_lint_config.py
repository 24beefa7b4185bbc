"""[tool.deckops] for the lint rules (select/ignore/severity/glossary/directives) and inline disables."""
from __future__ import annotations

import pytest

import golden_cases as cases
from conftest import DATA, ROOT, SEED, run_cli
from lint_support import _lint_cache, lint_cache_dir  # noqa: F401  (fixtures)
from deckops import config, deck
from deckops.config import Config, ConfigError
from deckops.lint import lint
from deckops.report import text


def run(path, **cfg):
    return lint(deck.load(path), Config(root=ROOT, **cfg), {})


def test_inline_disable_enable_and_next_line_golden():
    case = cases.read(DATA / "lint" / "disable.md")
    diags = lint(cases.deck(case), Config(root=ROOT, select=("terminology", "image-alt")), {})
    cases.check(case, cases.shown(case, text.render_text(diags, 1)).replace(str(ROOT) + "/", ""))
    assert [d.line for d in diags] == [10, 14, 18]


def test_select_ignore_and_severity_by_name_or_code():
    got = {d.name for d in run(SEED, select=("terminology", "D201"))}
    assert got == {"terminology", "empty-slide"}
    got = {d.name for d in run(SEED, ignore=("terminology", "D201", "kubectl-usage"))}
    assert "terminology" not in got and "empty-slide" not in got and "missing-image" in got
    sev = {d.severity for d in run(SEED, select=("terminology",), severity={"D501": "error"})}
    assert sev == {"error"}
    assert run(SEED, select=("terminology",), severity={"terminology": "off"}) == []


def test_glossary_extends_and_overrides(tmp_path):
    d = tmp_path / "d.md"
    d.write_text("# Talos\n\nRunning talos and kubernetes on TALOS.\n")
    diags = lint(deck.load(d), Config(root=tmp_path, select=("terminology",),
                                      glossary={"Talos": "Talos", "kubernetes": "kubernetes"}), {})
    assert [(x.line, x.col, x.message) for x in diags] == [
        (3, 9, "`talos` should be written `Talos` (casing)"),
        (3, 33, "`TALOS` should be written `Talos` (casing)"),
    ]


def test_config_file_keys_and_errors(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.deckops]\nselect = ["D1"]\ndirectives = ["speaker"]\nplugins = ["gadget"]\n'
        'glossary = { "K8S" = "Kubernetes" }\nkubectl = "/usr/bin/kubectl"\n'
        '[tool.deckops.severity]\nunknown-directive = "warning"\n')
    cfg = config.load(tmp_path)
    assert (cfg.select, cfg.directives, cfg.plugins, cfg.kubectl) == (("D1",), ("speaker",), ("gadget",),
                                                                       "/usr/bin/kubectl")
    (tmp_path / "pyproject.toml").write_text('[tool.deckops.severity]\nshellcheck = "loud"\n')
    with pytest.raises(ConfigError) as err:
        config.load(tmp_path)
    assert "pyproject.toml" in str(err.value) and "severity.shellcheck" in str(err.value) and \
        "error, warning, info, off" in str(err.value)


def test_custom_directive_from_config_via_cli(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "deck.md").write_text("---\nmarp: true\nspeeker: Ann\n---\n\n# Hi\n")
    r = run_cli("lint", "--select", "unknown-directive", str(tmp_path / "deck.md"), cwd=tmp_path)
    assert r.returncode == 1 and "deck.md:3:1: D102 unknown-directive unknown directive `speeker`" in r.stdout
    (tmp_path / "deckops.toml").write_text('directives = ["speeker"]\n')
    r = run_cli("lint", "--select", "unknown-directive", str(tmp_path / "deck.md"), cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, "1 file checked: 0 errors, 0 warnings, 0 info\n")


def test_select_and_ignore_by_code_prefix():
    got = {d.code for d in run(SEED, select=("D2",))}
    assert got == {"D201", "D202", "D206"}
    got = {d.code for d in run(SEED, ignore=("D5", "D4"))}
    assert got and not any(c.startswith(("D4", "D5")) for c in got)


def test_unknown_rule_names_are_config_errors(tmp_path):
    with pytest.raises(ConfigError) as err:
        run(SEED, ignore=("shelcheck",))
    assert "ignore" in str(err.value) and "did you mean 'shellcheck'" in str(err.value)
    (tmp_path / "deckops.toml").write_text('[severity]\nterminolgy = "off"\n')
    (tmp_path / "d.md").write_text("# x\n")
    r = run_cli("lint", str(tmp_path / "d.md"), cwd=tmp_path)
    assert r.returncode == 2 and ("deckops.toml: [tool.deckops] severity.terminolgy: 'terminolgy' is no rule name or code; "
                                  "did you mean 'terminology'?") in r.stderr
    assert "Traceback" not in r.stderr


def test_names_of_other_checks_are_not_config_errors():
    assert run(SEED, ignore=("overflow", "D601", "marp-warning"), select=("D2",))  # browser/render checks


def test_disable_comments_are_not_speaker_notes():
    d = cases.deck(cases.read(DATA / "lint" / "disable.md"))
    kinds = {c.text.split()[0]: c.kind for s in d.slides for c in s.comments}
    assert kinds["deckops-disable"] == kinds["deckops-enable"] == kinds["deckops-disable-next-line"] == "deckops"
    assert not any(n.text.startswith("deckops-") for s in d.slides for n in s.notes)
