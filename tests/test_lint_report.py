"""SARIF (validated against the official 2.1.0 schema) and GitHub workflow-command output."""
from __future__ import annotations

import json

import jsonschema

from conftest import DATA, SEED, golden, run_cli
from lint_support import _lint_cache, lint_cache_dir  # noqa: F401  (fixtures)
from deckops.diagnostic import Diagnostic, Pos
from deckops.report import FORMATS, github

SCHEMA = json.loads((DATA / "sarif" / "sarif-schema-2.1.0.json").read_text())  # from oasis-tcs/sarif-spec


def _validate(doc) -> None:
    cls = jsonschema.validators.validator_for(SCHEMA)
    cls(SCHEMA, format_checker=cls.FORMAT_CHECKER).validate(doc)


def test_sarif_of_the_seed_validates_against_the_schema():
    r = run_cli("lint", "--format", "sarif", "--ignore", "kubectl-usage", str(SEED.relative_to(SEED.parents[2])))
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    _validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    locs = [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]]
    assert ("D101", 7) in locs and ("D301", 73) in locs
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "tests/data/seed-advanced-kubernetes-debugging.md"


def test_sarif_with_no_findings_and_odd_paths_validates():
    _validate(json.loads(FORMATS["sarif"]([], 1)))
    d = Diagnostic("D000", "internal-error", "info", Pos("dir with space/ü.md", 3, 4), "m", "h")
    doc = json.loads(FORMATS["sarif"]([d], 1))
    _validate(doc)
    assert doc["runs"][0]["results"][0]["level"] == "note"
    assert doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "dir%20with%20space/%C3%BC.md"


def test_github_annotations_escape_data_and_properties():
    d = Diagnostic("D302", "image-alt", "warning", Pos("a,b:c.md", 2, 5), "100% bad\nalt", "fix: it")
    assert github.line(d) == ("::warning file=a%2Cb%3Ac.md,line=2,col=5,title=D302 image-alt::"
                              "100%25 bad%0Aalt%0Ahint: fix: it")
    info = Diagnostic("D403", "kubectl-usage", "info", Pos("x.md"), "skipped")
    assert github.line(info, hints=False) == "::notice file=x.md,line=1,col=1,title=D403 kubectl-usage::skipped"


def test_github_format_of_the_seed_golden():
    r = run_cli("lint", "--format", "github", "--ignore", "kubectl-usage", str(SEED.relative_to(SEED.parents[2])))
    assert r.returncode == 1
    golden("lint-seed-github.txt", r.stdout)


def test_sarif_absolute_paths_become_relative_or_file_uris(tmp_path):
    inside = Diagnostic("D201", "empty-slide", "warning", Pos(str(SEED), 1, 1), "m")
    outside = Diagnostic("D201", "empty-slide", "warning", Pos("/nonexistent-root/deck.md", 1, 1), "m")
    doc = json.loads(FORMATS["sarif"]([inside, outside], 2))
    _validate(doc)
    locs = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in doc["runs"][0]["results"]]
    assert locs[1] == {"uri": "file:///nonexistent-root/deck.md"}
    assert locs[0]["uriBaseId"] == "%SRCROOT%" and not locs[0]["uri"].startswith("/")
