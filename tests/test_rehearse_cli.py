"""`deckops rehearse` end to end on shell-only decks (--no-cluster), the sandbox guard, --update, reports, ^C."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import DATA, PATIENCE, ROOT, golden, run_cli, wait_for

SHELL = DATA / "rehearse" / "shell.md"


def _kubectl_available() -> bool:
    import shutil

    from deckops.rehearse.cluster import find_kubectl

    return shutil.which(find_kubectl()) is not None


needs_kubectl = pytest.mark.skipif(not _kubectl_available(),
                                   reason="the positive control needs a kubectl (the local-cluster build makes one)")
PROD_KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: {context}
clusters:
- name: prod
  cluster:
    server: https://127.0.0.1:{port}
    insecure-skip-tls-verify: true
contexts:
- name: {context}
  context: {{cluster: prod, user: admin}}
users:
- name: admin
  user: {{token: not-a-real-token}}
"""


def _times(text: str) -> str:
    return re.sub(r"\d+\.\d\ds", "N.NNs", text)


def test_shell_deck_progress_summary_and_exit_code():
    res = run_cli("rehearse", "--no-cluster", "tests/data/rehearse/shell.md")
    assert res.returncode == 1, res.stderr
    golden("rehearse-shell.txt", _times(res.stdout))
    assert res.stdout.splitlines()[-1].startswith("5 passed, 1 failed, 1 skipped")


def test_fail_fast_stops_but_teardown_runs(tmp_path):
    res = run_cli("rehearse", "--no-cluster", "--fail-fast", str(SHELL))
    assert res.returncode == 1
    assert "not run (--fail-fast)" in res.stdout
    assert re.search(r"slide 7 +PASS", res.stdout)  # the teardown block
    assert res.stdout.splitlines()[-1].startswith("3 passed, 1 failed, 3 skipped")


def test_junit_and_html_reports(tmp_path):
    junit, html = tmp_path / "out" / "r.xml", tmp_path / "r.html"
    res = run_cli("rehearse", "--no-cluster", "--junit", str(junit), "--report", str(html), "--out",
                  str(tmp_path / "dist"), str(SHELL))
    assert res.returncode == 1
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("7", "1", "1")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    failed = cases["slide 3: Stale: echo one; echo two"]
    assert failed.find("failure").get("type") == "stale-output"
    assert "-three\n+two" in failed.find("failure").text
    assert cases["slide 4: Skipped: kubectl exec -it web -- sh"].find("skipped").get("message") == "needs a real node"
    page = html.read_text()
    assert "5 passed, 1 failed, 1 skipped" in page
    assert 'class="placeholder">slide 3<br>Stale' in page  # no thumbnails rendered: placeholders
    assert '<span class="del">-three</span>' in page


def test_findings_file_is_lints_json_format(tmp_path):
    """--findings: the failures as findings (what the language server reads back), in lint's JSON format, after
    the finding filter: with D801 ignored the file is empty and the run passes."""
    res = run_cli("rehearse", "--no-cluster", "--findings", str(tmp_path / "f.json"), "tests/data/rehearse/shell.md")
    assert res.returncode == 1, res.stderr
    golden("rehearse-findings.json", (tmp_path / "f.json").read_text(encoding="utf-8"))
    res = run_cli("rehearse", "--no-cluster", "--ignore", "D801", "--findings", str(tmp_path / "w.json"),
                  "tests/data/rehearse/shell.md")
    doc = json.loads((tmp_path / "w.json").read_text(encoding="utf-8"))
    assert res.returncode == 0, res.stdout + res.stderr
    assert doc["diagnostics"] == [] and doc["summary"]["errors"] == 0


def test_html_report_embeds_existing_thumbnails(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + b"fake-png-bytes"
    thumb = tmp_path / "dist" / "shell" / "thumbs" / "003.png"
    thumb.parent.mkdir(parents=True)
    thumb.write_bytes(png)
    run_cli("rehearse", "--no-cluster", "--report", str(tmp_path / "r.html"), "--out", str(tmp_path / "dist"),
            str(SHELL))
    page = (tmp_path / "r.html").read_text()
    assert 'src="data:image/png;base64,iVBORw0KGgpmYWtlLXBuZy1ieXRlcw=="' in page
    assert page.count("data:image/png") == 1


def test_update_rewrites_only_console_output_lines(tmp_path):
    deck = tmp_path / "deck.md"
    original = SHELL.read_text().replace("\n", "\r\n")  # line endings survive too
    deck.write_bytes(original.encode())
    res = run_cli("rehearse", "--no-cluster", "--update", str(deck))
    assert res.returncode == 1 and "1 command output(s) rewritten" in res.stdout
    updated = deck.read_bytes().decode()
    assert updated == original.replace("one\r\nthree\r\n", "one\r\ntwo\r\n")
    assert r"id-\d+ (re)" in updated  # patterns that still match stay
    again = run_cli("rehearse", "--no-cluster", "--update", str(deck))
    assert again.returncode == 0 and deck.read_bytes().decode() == updated


def test_bad_annotation_is_a_positioned_usage_error(tmp_path):
    deck = tmp_path / "d.md"
    deck.write_text("# A\n\n<!-- rehearse: tiemout=3 -->\n```console\n$ true\n```\n")
    res = run_cli("rehearse", "--no-cluster", str(deck))
    assert res.returncode == 2
    assert f"{deck}:3:1: unknown rehearse key 'tiemout'" in res.stderr


def test_sidecar_settings_aliases_env_masks_setup(tmp_path):
    deck = tmp_path / "d.md"
    deck.write_text("# A\n\n```console\n$ say \"$WHO\" build-4711\nhi ada build-<n>\n$ cat marker\nset up\n```\n")
    (tmp_path / "d.rehearse.yaml").write_text(
        "aliases: {say: echo hi}\nenv: {WHO: ada}\nmasks: {n: '(?<=build-)\\d+'}\n"
        "setup: ['echo set up > marker']\nteardown: ['rm marker']\n")
    res = run_cli("rehearse", "--no-cluster", str(deck))
    assert res.returncode == 0, res.stdout
    assert res.stdout.splitlines()[-1].startswith("3 passed, 0 failed, 0 skipped")
    assert not (tmp_path / "marker").exists()


# --- the sandbox guard -------------------------------------------------------------------------------

class Listener:
    """A TCP port that records every connection (stands in for a production API server's address)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


@pytest.fixture
def prod(tmp_path):
    server = Listener()
    config = tmp_path / "kubeconfig"
    config.write_text(PROD_KUBECONFIG.format(port=server.port, context="prod-eu-west"))
    yield config, server
    server.close()


@pytest.mark.parametrize("how", ["flag", "env", "context"])
def test_production_context_is_refused_before_any_connection(prod, how):
    config, server = prod
    args, env = ["rehearse", str(SHELL)], {}
    if how == "flag":
        args += ["--kubeconfig", str(config)]
    elif how == "env":
        env["KUBECONFIG"] = str(config)
    else:
        args += ["--kubeconfig", str(config), "--context", "prod-eu-west"]
    res = run_cli(*args, env=env)
    time.sleep(0.3)  # let the listener see a late connection, if there were one
    assert res.returncode == 2
    assert "refusing" in res.stderr and "prod-eu-west" in res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""
    assert server.connections == 0


@needs_kubectl
def test_allow_context_lets_it_through(prod):
    """The positive control: the same kubeconfig with --allow-context does reach the address."""
    config, server = prod
    res = run_cli("rehearse", "--kubeconfig", str(config), "--allow-context", "prod-eu-west", str(SHELL))
    assert res.returncode == 2  # the fake address is no API server: namespace creation fails
    assert "refusing" not in res.stderr
    assert server.connections > 0


def test_sandbox_contexts_from_the_repos_config_do_not_widen_the_guard(prod, tmp_path):
    config, server = prod
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "deckops.toml").write_text('sandbox-contexts = ["prod-*"]\n')
    deck = tmp_path / "repo" / "d.md"
    deck.write_text("# A\n\n```console\n$ true\n```\n")
    res = run_cli("rehearse", "--kubeconfig", str(config), str(deck),
                  env={"XDG_CONFIG_HOME": str(tmp_path / "no-user-config")})
    assert res.returncode == 2 and "refusing" in res.stderr
    assert f"{deck.parent / 'deckops.toml'}: sandbox-contexts ignored" in res.stderr
    assert server.connections == 0


@needs_kubectl
def test_sandbox_contexts_from_the_users_own_config_are_allowed(prod, tmp_path):
    """The positive control: the same pattern in ~/.config/deckops/config.toml (outside the repo) lets it in."""
    config, server = prod
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    deck = tmp_path / "repo" / "d.md"
    deck.write_text("# A\n\n```console\n$ true\n```\n")
    (tmp_path / "xdg" / "deckops").mkdir(parents=True)
    (tmp_path / "xdg" / "deckops" / "config.toml").write_text('sandbox-contexts = ["prod-*"]\n')
    res = run_cli("rehearse", "--kubeconfig", str(config), str(deck), env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert "refusing" not in res.stderr and server.connections > 0


def test_kind_without_kind_is_a_clear_error(tmp_path):
    res = run_cli("rehearse", "--cluster", "kind", str(SHELL), env={"PATH": "/usr/bin:/bin"})
    assert res.returncode == 2
    assert "--cluster kind: `kind` is not installed" in res.stderr


# --- ^C ------------------------------------------------------------------------------------------

def test_interrupt_leaves_no_process_behind(tmp_path, spawn):
    """The sleeps outlast every bound of this test (and the snippet's timeout), so only deckops' kill can end
    them before the assertions: without it the group is still alive."""
    deck = tmp_path / "d.md"
    deck.write_text(f"# A\n\n<!-- rehearse: timeout=7200 -->\n```bash\nsleep 3600.25 & echo $! > {tmp_path}/bg\n"
                    "sleep 3600\n```\n")
    child = spawn([sys.executable, "-m", "deckops", "rehearse", "--no-cluster", str(deck)], cwd=ROOT,
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"})
    wait_for(lambda: (tmp_path / "bg").exists() and _pids_running("sleep\0" + "3600.25\0"), what="the snippet")
    bg = _pids_running("sleep\0" + "3600.25\0")[0]  # ($! is a pid inside the session's PID namespace)
    shell = int(Path(f"/proc/{bg}/stat").read_text().split()[4])  # the session's process group
    try:
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=PATIENCE)
        assert child.returncode == 130, err
        assert "interrupted" in err and "Traceback" not in err
        assert _live_group(shell) == []
    finally:  # pass or fail, the hour-long sleeps do not outlive the test
        for pid in _pids_running("sleep\0" + "3600.25\0") + _pids_running("sleep\0" + "3600\0"):
            os.kill(pid, signal.SIGKILL)


def _pids_running(cmdline: str) -> list[int]:
    """Live pids (as seen here) whose command line is exactly `cmdline` (NUL-separated)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes().decode() == cmdline:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _live_group(pgid: int) -> list[int]:
    """The group's members once it is empty, or after a minute (a kill reaches them in milliseconds)."""
    from deckops import proc

    try:
        wait_for(lambda: not proc.group_members(pgid), timeout=60, what="an empty process group")
    except AssertionError:
        pass
    return proc.group_members(pgid)


# --- kind: a test double, because kind needs Docker and there is no Docker here --------------------

FAKE_KIND = """#!/bin/bash
# stands in for kind (no Docker on this machine): logs its arguments, `create` writes a kubeconfig
echo "$*" >> "$KIND_LOG"
if [ "$1 $2" = "load image-archive" ] && [ ! -f "$3" ]; then echo "kind double: no archive $3" >&2; exit 1; fi
if [ "$1" = create ]; then
  while [ $# -gt 0 ]; do case "$1" in --name) name=$2; shift;; --kubeconfig) cfg=$2; shift;; esac; shift; done
  sed "s/prod-eu-west/kind-$name/g" "$KIND_TEMPLATE" > "$cfg"
fi
"""


@pytest.fixture
def fake_kind(tmp_path, prod):
    config, server = prod
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kind").write_text(FAKE_KIND)
    (bin_dir / "docker").write_text("#!/bin/sh\nexit 0\n")  # `docker info` succeeds
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    log = tmp_path / "kind.log"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "KIND_LOG": str(log), "KIND_TEMPLATE": str(config),
           "DECKOPS_CACHE": str(tmp_path / "cache")}  # empty: the offline images are not built
    return env, log, server


@needs_kubectl
@pytest.mark.parametrize("keep", [False, True])
def test_kind_cluster_is_deleted_at_the_end_unless_keep(fake_kind, keep):
    env, log, server = fake_kind
    res = run_cli("rehearse", "--cluster", "kind", *(["--keep"] if keep else []), str(SHELL), env=env)
    assert res.returncode == 2  # the fake cluster's address is no API server: creating the namespace fails
    assert server.connections > 0  # ...but it was asked, with the kind-* context the double wrote
    calls = log.read_text().splitlines()
    name = re.search(r"--name (deckops-[a-z0-9]{6})", calls[0]).group(1)
    assert calls[0].startswith(f"create cluster --name {name} ")
    if keep:
        assert len(calls) == 1 and f"kind delete cluster --name {name}" in res.stderr
    else:
        assert len(calls) == 2 and calls[1].startswith(f"delete cluster --name {name} ")
    assert "the offline images are not built (`deckops cluster images`)" in res.stderr  # and nothing built


@needs_kubectl
@pytest.mark.skipif(not Path("/bin/busybox").is_file(), reason="needs /bin/busybox (Debian busybox-static)")
def test_kind_gets_the_offline_images_when_they_are_built(fake_kind, monkeypatch):
    """busybox and the flagship's demo app (in no registry) are loaded into the new kind cluster, from the
    archives `deckops cluster images` wrote; kind keeps its own pause image."""
    from deckops.localcluster import images

    env, log, _ = fake_kind
    monkeypatch.setenv("DECKOPS_CACHE", env["DECKOPS_CACHE"])
    tars = images.ensure_built()
    res = run_cli("rehearse", "--cluster", "kind", str(SHELL), env=env)
    assert res.returncode == 2 and "Traceback" not in res.stderr  # (the double's cluster has no API server)
    calls = log.read_text().splitlines()
    name = re.search(r"--name (deckops-[a-z0-9]{6})", calls[0]).group(1)
    assert calls[1:3] == [f"load image-archive {tars['busybox']} --name {name}",
                          f"load image-archive {tars['checkout']} --name {name}"]
    assert calls[3].startswith(f"delete cluster --name {name} ") and len(calls) == 4
    assert "loaded docker.io/library/busybox:1.36, docker.io/library/busybox:latest, deckops.local/checkout:1.0 " \
           "into kind" in res.stderr


def test_kind_without_docker_is_a_clear_error(fake_kind):
    env, log, _ = fake_kind
    Path(env["PATH"].split(":")[0], "docker").write_text("#!/bin/sh\nexit 1\n")
    res = run_cli("rehearse", "--cluster", "kind", str(SHELL), env=env)
    assert res.returncode == 2 and "Docker is not available" in res.stderr
    assert not log.exists()


def test_interactive_command_gets_a_pty_and_the_scripted_input(tmp_path):
    deck = tmp_path / "d.md"
    deck.write_text("# Interactive\n\n<!-- rehearse: stdin=\"ada\" -->\n```console\n"
                    "$ bash -c '[ -t 0 ] && read -r -p \"name? \" n && echo \"hi $n\"' -it\n"
                    "name? ada\nhi ada\n```\n")
    res = run_cli("rehearse", "--no-cluster", str(deck))
    assert res.returncode == 0, res.stdout
    assert res.stdout.splitlines()[-1].startswith("1 passed, 0 failed, 0 skipped")
