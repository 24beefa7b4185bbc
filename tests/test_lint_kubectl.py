"""kubectl-usage against the real kubectl's help (the one deckops resolves), and the help parser/cache."""
from __future__ import annotations

import json

import pytest

import golden_cases as cases
from conftest import DATA, ROOT, SEED
from lint_support import _lint_cache, lint_cache_dir  # noqa: F401  (fixtures)
from deckops import deck, files, proc
from deckops.lint import kubectl_help
from deckops.config import Config
from deckops.lint import lint
from deckops.report import text

KUBECTL = kubectl_help.resolve_binary()
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="no kubectl on PATH and none built by deckops cluster")


@pytest.fixture(scope="module")
def cache_home(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def cache(cache_home, monkeypatch):
    monkeypatch.setattr(files, "CACHE_HOME", cache_home)
    return cache_home


def run(path, **config):
    return lint(deck.load(path), Config(root=ROOT, select=("kubectl-usage",), **config), {})


@needs_kubectl
def test_kubectl_fixture_golden(cache):
    case = cases.read(DATA / "lint" / "kubectl.md")
    diags = lint(cases.deck(case), Config(root=ROOT, select=("kubectl-usage",)), {})
    cases.check(case, cases.shown(case, text.render_text(diags, 1, hints=False)).replace(str(ROOT) + "/", ""))


@needs_kubectl
def test_seed_k_debug_without_a_pod(cache):
    diags = run(SEED)
    assert [(d.line, d.col) for d in diags] == [(94, 3)]
    assert "POD" in diags[0].message
    assert "kubectl debug POD --image=nicolaka/netshoot -it --target=CONTAINER" in diags[0].hint


@needs_kubectl
def test_help_is_cached_per_version_and_reused(cache, monkeypatch):
    run(SEED)
    saved = list((cache / "kubectl-help").glob("*.json"))
    assert len(saved) == 1
    data = json.loads(saved[0].read_text())
    assert "debug" in data["commands"] and "get" in data["root"]["commands"]
    calls = []
    real = proc.run
    monkeypatch.setattr(proc, "run", lambda argv, **kw: calls.append(list(argv)) or real(argv, **kw))
    run(SEED)
    used = kubectl_help.resolve_binary()  # under the test's cache folder
    assert [c[1:] for c in calls if c[0] == used] == [["version", "--client"]]  # no help call this time


@needs_kubectl
def test_plugins_from_config_and_aliases(cache, tmp_path):
    d = tmp_path / "d.md"
    d.write_text("# x\n\n```bash\nkubectl frob now\nkc get pods --nope\n```\n")
    got = [(d.line, d.message) for d in lint(deck.load(d), Config(
        root=tmp_path, select=("kubectl-usage",), plugins=("frob",), aliases={"k": "kubectl", "kc": "kubectl"}), {})]
    assert got == [(5, "`kubectl get` has no flag `--nope` (per kubectl's own help)")]


def test_missing_kubectl_is_one_info_finding(cache):
    diags = run(SEED, kubectl="/nonexistent/kubectl")
    assert [(d.severity, d.line) for d in diags] == [("info", 94)] and "not found" in diags[0].message


def test_usage_lines_become_required_slots():
    slots = kubectl_help.usage_slots(
        "kubectl debug (POD | TYPE[[.VERSION].GROUP]/NAME) [ -- COMMAND [args...] ] [options]", "debug")
    assert [(s.positional, sorted(s.flags)) for s in slots] == [(True, [])]
    slots = kubectl_help.usage_slots("kubectl apply (-f FILENAME | -k DIRECTORY) [options]", "apply")
    assert [(s.positional, sorted(s.flags)) for s in slots] == [(False, ["-f", "-k"])]
    slots = kubectl_help.usage_slots("kubectl attach (POD | TYPE/NAME) -c CONTAINER [options]", "attach")
    assert len(slots) == 1  # `-c CONTAINER` is optional in practice
    slots = kubectl_help.usage_slots("kubectl run NAME --image=image [--env=\"key=value\"] [options]", "run")
    assert [s.label for s in slots] == ["NAME", "--image=image"]


def test_flag_lines_parse_with_value_kinds():
    flags = kubectl_help.parse_flags("    -n, --namespace='':\n\tdoc\n\n    -i, --stdin=false:\n\tdoc\n")
    assert flags == {"namespace": {"short": "n", "value": True}, "stdin": {"short": "i", "value": False}}


@needs_kubectl
def test_cache_of_an_older_format_is_not_trusted(cache):
    helper = kubectl_help.KubectlHelp(KUBECTL)
    helper.path.parent.mkdir(parents=True, exist_ok=True)
    helper.path.write_text(json.dumps({"version": helper.version, "format": 0, "commands": {"debug": {}}}))
    fresh = kubectl_help.KubectlHelp(KUBECTL)
    assert fresh.data["format"] == kubectl_help.FORMAT and fresh.data["commands"] == {}
    assert fresh.subcommand(("top",), "pods") == "pod" and fresh.subcommand(("top",), "nope") is None




def _lint_early(path, **config):
    """As `deckops lint` runs it: the early start (before the parse), then the rules, with one shared cache."""
    from deckops.lint import lint_files

    return lint_files([path], Config(root=ROOT, select=("kubectl-usage",), **config))


@needs_kubectl
def test_help_is_prefetched_before_the_parse_with_the_same_findings(cache_home, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "CACHE_HOME", tmp_path / "cold")
    calls = []
    real = proc.run
    monkeypatch.setattr(proc, "run", lambda argv, **kw: calls.append(list(argv)) or real(argv, **kw))
    early = _lint_early(SEED)
    used = kubectl_help.resolve_binary()
    helps = [c[1:] for c in calls if c[0] == used]
    # the seed's one kubectl call is `k debug`: the prefetch asks for all of it, the rule asks nothing more
    assert helps == [["version", "--client"], ["--help"], ["options"], ["debug", "--help"]]
    monkeypatch.setattr(files, "CACHE_HOME", tmp_path / "other")
    assert early == run(SEED)


@pytest.mark.parametrize("lint_with", ["rules", "early"])  # early: the prefetch meets it before the rule
def test_a_kubectl_that_fails_is_one_info_finding(cache, tmp_path, lint_with):
    fake = tmp_path / "kubectl"  # a stand-in only for a broken binary: the real one cannot be made to fail
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    diags = (run if lint_with == "rules" else _lint_early)(SEED, kubectl=str(fake))
    assert [(d.severity, d.line) for d in diags] == [("info", 94)] and "not a working kubectl" in diags[0].message
