"""Rehearsal isolation (issue 18): what a deck's snippets can reach on a speaker's laptop with production
contexts. None of these needs a cluster: the "production" API server is a local port that counts connections."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import PATIENCE, ROOT, run_cli, wait_for
from test_rehearse_cli import PROD_KUBECONFIG, Listener, _pids_running

# a kubectl stand-in that resolves its kubeconfig as kubectl does ($KUBECONFIG, else ~/.kube/config) and
# connects to the current context's server: the check does not depend on a kubectl being installed
CLIENT = r'''python3 - <<'PY'
import os, socket, re, pathlib
path = os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
text = pathlib.Path(path).read_text() if os.path.isfile(path) else ""
m = re.search(r"server: https://127.0.0.1:(\d+)", text)
if m:
    for _ in range(3):
        try: socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=2).close()
        except OSError: pass
print("server:", m.group(1) if m else "none")
PY'''


@pytest.fixture
def laptop(tmp_path):
    """A caller with a production context everywhere kubectl looks: $KUBECONFIG and ~/.kube/config."""
    via_env, via_home = Listener(), Listener()
    home = tmp_path / "realhome"
    (home / ".kube").mkdir(parents=True)
    (home / ".kube" / "config").write_text(PROD_KUBECONFIG.format(port=via_home.port, context="prod-eu"))
    env_file = tmp_path / "prod.kubeconfig"
    env_file.write_text(PROD_KUBECONFIG.format(port=via_env.port, context="prod-eu"))
    env = {"HOME": str(home), "KUBECONFIG": str(env_file), "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
           "AWS_SECRET_ACCESS_KEY": "do-not-leak"}
    yield env, home, via_env, via_home
    via_env.close(), via_home.close()


def _deck(tmp_path: Path, body: str, name: str = "d.md") -> Path:
    deck = tmp_path / "repo" / name
    deck.parent.mkdir(exist_ok=True)
    (deck.parent / ".git").mkdir(exist_ok=True)
    deck.write_text(f"# Slide\n\n```bash\n{body}\n```\n")
    return deck


def _settle(*servers) -> int:
    time.sleep(0.3)  # a late connection would show up by now
    return sum(s.connections for s in servers)


def test_no_cluster_snippets_see_an_empty_kubeconfig_not_the_callers(laptop, tmp_path):
    env, home, via_env, via_home = laptop
    deck = _deck(tmp_path, f"{CLIENT}\nunset KUBECONFIG\n{CLIENT}\nkubectl get pods >/dev/null 2>&1 || true\n"
                           "grep -c prod \"${KUBECONFIG:-/dev/null}\" || true")
    res = run_cli("rehearse", "--no-cluster", str(deck), env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert _settle(via_env, via_home) == 0  # was 60 connections to "prod-eu"


def test_snippets_get_a_private_home(laptop, tmp_path):
    env, home, *_ = laptop
    deck = _deck(tmp_path, 'touch ~/x\necho "home=$HOME"\ntest ! -e ~/.kube/config\n'
                           'test -z "${AWS_SECRET_ACCESS_KEY:-}"')
    res = run_cli("rehearse", "--no-cluster", str(deck), env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert not (home / "x").exists() and sorted(p.name for p in home.iterdir()) == [".kube"]


@pytest.mark.parametrize("sidecar, where", [
    ("sandbox-contexts: ['*']\n", "1:1: sandbox-contexts: refused"),
    ("timeout: 5\ncontext: prod-eu\n", "2:1: context: refused"),
    ("env:\n  IMAGE: nginx\n  KUBECONFIG: prod.kubeconfig\n", "3:3: env.KUBECONFIG: refused"),
    ("env: {HOME: /root}\n", "1:7: env.HOME: refused"),
])
def test_the_decks_sidecar_cannot_widen_the_guard_or_retarget(laptop, tmp_path, sidecar, where):
    env, _, via_env, via_home = laptop
    deck = _deck(tmp_path, CLIENT)
    deck.with_name("d.rehearse.yaml").write_text(sidecar)
    res = run_cli("rehearse", str(deck), env=env)
    assert res.returncode == 2
    assert res.stderr.splitlines() == [res.stderr.splitlines()[0]] and "Traceback" not in res.stderr
    assert f"{deck.with_name('d.rehearse.yaml')}:{where}" in res.stderr
    assert _settle(via_env, via_home) == 0


def test_the_repos_rehearse_table_cannot_choose_the_context(laptop, tmp_path):
    env, _, via_env, _ = laptop
    deck = _deck(tmp_path, "true")
    (deck.parent / "deckops.toml").write_text('[rehearse]\ncontext = "prod-eu"\n')
    res = run_cli("rehearse", str(deck), env=env)
    assert res.returncode == 2 and "context: refused" in res.stderr
    assert _settle(via_env) == 0


SERVERS = {"remote": "https://203.0.113.7:6443", "private": "https://10.20.30.40:6443",
           "name": "https://k8s.example.com"}


@pytest.mark.parametrize("name", ["kind-prod", "minikube", "docker-desktop", "k3d-x", "kwok-x"])
@pytest.mark.parametrize("where", sorted(SERVERS))
def test_a_sandbox_name_on_a_remote_server_is_refused(tmp_path, name, where):
    config = tmp_path / "kubeconfig"
    config.write_text(PROD_KUBECONFIG.replace("https://127.0.0.1:{port}", SERVERS[where]).format(context=name))
    res = run_cli("rehearse", "--kubeconfig", str(config), str(_deck(tmp_path, "true")))
    assert res.returncode == 2
    assert f"refusing to rehearse against context {name!r}: its name is a sandbox's but its server" in res.stderr


def test_a_sandbox_name_on_this_machines_own_address_is_refused(tmp_path):
    """Not loopback and not a container bridge: the machine's own LAN address (port listening, never reached)."""
    import socket

    from deckops.rehearse.cluster import local_bridge_routes

    lan = next((r for r in local_bridge_routes() if not r[0].startswith("lo")), None)
    if lan is None:
        pytest.skip("no network interface here")
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing address
    address = probe.getsockname()[0]
    probe.close()
    server = Listener()
    server.sock.close()
    server.stop = True
    server.thread.join()
    import socket as s2

    sock = s2.socket()
    sock.bind((address, 0))
    sock.listen(8)
    sock.setblocking(False)
    config = tmp_path / "kubeconfig"
    config.write_text(PROD_KUBECONFIG.replace("127.0.0.1", address).format(port=sock.getsockname()[1],
                                                                            context="kind-laptop"))
    res = run_cli("rehearse", "--kubeconfig", str(config), str(_deck(tmp_path, "true")))
    assert res.returncode == 2 and "its name is a sandbox's but its server" in res.stderr
    with pytest.raises(BlockingIOError):
        sock.accept()  # nobody connected
    sock.close()


def test_local_server_rules():
    from deckops.rehearse.cluster import is_local_server

    bridge = [("br-1a2b3c", int.from_bytes(bytes([172, 18, 0, 0]), "big"), 0xFFFF0000),
              ("eth0", int.from_bytes(bytes([10, 0, 0, 0]), "big"), 0xFF000000)]
    assert is_local_server("https://127.0.0.1:6443", [])
    assert is_local_server("https://[::1]:6443", [])
    assert is_local_server("https://kubernetes.docker.internal:6443", [])
    assert is_local_server("https://172.18.0.2:6443", bridge)  # kind's docker network
    assert not is_local_server("https://10.1.2.3:6443", bridge)  # a private address on the LAN
    assert not is_local_server("https://172.19.0.2:6443", bridge)
    assert not is_local_server("https://localhost.example.com", [])
    assert not is_local_server("https://127.0.0.1.nip.io", [])


# --- processes ------------------------------------------------------------------------------------------

def _gone(cmdline: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while _pids_running(cmdline):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_setsid_and_double_fork_children_die_with_the_snippets_timeout(tmp_path):
    deck = tmp_path / "d.md"
    deck.write_text("# A\n\n<!-- rehearse: timeout=2 -->\n```bash\nsetsid sleep 71.25 &\n"
                    "( ( sleep 71.5 & ) & )\nnohup setsid bash -c 'sleep 71.75' >/dev/null 2>&1 &\nsleep 71\n```\n"
                    "\n# B\n\n```console\n$ echo after\nafter\n```\n")
    res = run_cli("rehearse", "--no-cluster", str(deck))
    assert res.returncode == 1 and "timed out after 2s" in res.stdout
    assert res.stdout.splitlines()[-1].startswith("1 passed, 1 failed")
    for left in ("sleep\0" "71.25\0", "sleep\0" "71.5\0", "bash\0-c\0sleep 71.75\0"):
        assert _gone(left), left


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_and_terminate_kill_setsid_children_and_remove_the_temp_folder(tmp_path, sig, code, spawn):
    deck = tmp_path / "d.md"
    token = f"3072.{sig.value}"  # outlasts every bound here: only deckops' kill ends it in time
    deck.write_text(f"# A\n\n<!-- rehearse: timeout=7200 -->\n```bash\nsetsid sleep {token} &\n"
                    f"touch {tmp_path}/ready\nsleep 3072\n```\n")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    child = spawn([sys.executable, "-m", "deckops", "rehearse", "--no-cluster", str(deck)], cwd=ROOT,
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                  env={**os.environ, "NO_COLOR": "1", "TMPDIR": str(tmp)})
    try:
        wait_for(lambda: (tmp_path / "ready").exists() and _pids_running(f"sleep\0{token}\0"), what="the snippet")
        child.send_signal(sig)
        out, err = child.communicate(timeout=PATIENCE)
        assert child.returncode == code, err
        assert "Traceback" not in err
        assert _gone(f"sleep\0{token}\0")
        assert list(tmp.iterdir()) == []  # the session's temp folder (private HOME, kubeconfig) is gone
    finally:  # pass or fail, nothing of the snippet outlives the test
        for pid in _pids_running(f"sleep\0{token}\0") + _pids_running("sleep\0" "3072\0"):
            os.kill(pid, signal.SIGKILL)


# --- output ----------------------------------------------------------------------------------------------

def test_a_flood_of_output_is_capped_and_counted_and_reports_stay_small(tmp_path):
    deck = tmp_path / "d.md"
    deck.write_text("# Flood\n\n```console\n$ head -c 30000000 /dev/zero | tr '\\0' y; echo\nyes\n```\n")
    junit, html = tmp_path / "r.xml", tmp_path / "r.html"
    res = run_cli("rehearse", "--no-cluster", "--junit", str(junit), "--report", str(html), str(deck))
    assert res.returncode == 1
    assert junit.stat().st_size < 4_000_000 and html.stat().st_size < 4_000_000  # were 31 MB each
    assert "[29000001 bytes more, not kept]" in ET.parse(junit).getroot().find(".//system-out").text
    assert len(res.stdout) < 100_000


def test_output_limit_from_the_command_line(tmp_path):
    deck = tmp_path / "d.md"
    deck.write_text("# A\n\n```console\n$ seq 1 100000\n1\n...\n```\n")
    res = run_cli("rehearse", "--no-cluster", "--output-limit", "1000", "--junit", str(tmp_path / "r.xml"),
                  str(deck))
    text = ET.parse(tmp_path / "r.xml").getroot().find(".//system-out").text
    assert res.returncode == 0, res.stdout
    assert f"[{len(''.join(f'{i}{chr(10)}' for i in range(1, 100001))) - 1000} bytes more, not kept]" in text


def test_a_bad_output_limit_in_the_sidecar_names_the_key(tmp_path):
    deck = _deck(tmp_path, "true")
    deck.with_name("d.rehearse.yaml").write_text("output-limit: 99999999999\n")
    res = run_cli("rehearse", "--no-cluster", str(deck))
    assert res.returncode == 2 and "output-limit: expected a number of bytes" in res.stderr


def test_update_does_not_write_a_capped_output_into_the_deck(tmp_path):
    deck = tmp_path / "d.md"
    text = "# A\n\n```console\n$ seq 1 5000\n1\n```\n"
    deck.write_text(text)
    res = run_cli("rehearse", "--no-cluster", "--update", "--output-limit", "100", str(deck))
    assert res.returncode == 1 and deck.read_text() == text


@pytest.mark.cluster
def test_on_the_local_cluster_snippets_see_only_the_sandbox_context(local_cluster, laptop, tmp_path):
    env, home, via_env, via_home = laptop
    deck = tmp_path / "d.md"
    deck.write_text(f"# A\n\n```console\n$ kubectl config get-contexts -o name\n{local_cluster.context}\n"
                    "$ echo $HOME\n*/deckops-rehearse-*/home-0 (glob)\n"
                    f"$ test $HOME != {home} && echo private\nprivate\n```\n"
                    f"\n```bash\nunset KUBECONFIG\n{CLIENT}\n! kubectl get ns --request-timeout=5s\n```\n")
    from deckops.files import cache_home

    env = {**env, "DECKOPS_CACHE": str(cache_home())}  # deckops' own cache (the built cluster), not the fake home's
    res = run_cli("rehearse", "--cluster", "local", "--cluster-name", local_cluster.name, str(deck), env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "kubectl config get-contexts" not in res.stdout, res.stdout  # (not a stale-output failure)
    assert _settle(via_env, via_home) == 0


# --- --allow-host-access: the command line only (docs/security.md) ----------------------------------

HOST_DECK = """---
marp: true
{front}---

# Debug the node

<!-- rehearse: needs=host-access{extra} -->
```bash
touch {mark}
```
"""
# each way a file of the talk repository (or the environment, or the user's own config) could try to grant host
# access, and how it ends: refused (exit 2, naming the key) or ignored (the snippet is still skipped)
WIDEN = {
    "front matter": ({"front": "allow-host-access: true\nrehearse: {allow-host-access: true}\n"}, None),
    "annotation": ({"extra": " allow-host-access"}, "unknown rehearse key 'allow-host-access'"),
    "annotation value": ({"extra": " allow-host-access=true"}, "unknown rehearse key 'allow-host-access'"),
    "sidecar": ({"d.rehearse.yaml": "allow-host-access: true\n"}, "d.rehearse.yaml:1:1: allow-host-access: refused"),
    "deckops.toml": ({"deckops.toml": "allow-host-access = true\n"}, "allow-host-access: refused"),
    "deckops.toml [rehearse]": ({"deckops.toml": "[rehearse]\nallow-host-access = true\n"},
                                "allow-host-access: refused"),
    "pyproject.toml": ({"pyproject.toml": "[tool.deckops]\nallow-host-access = true\n"}, "allow-host-access: refused"),
    "pyproject.toml [rehearse]": ({"pyproject.toml": "[tool.deckops.rehearse]\nallow-host-access = true\n"},
                                  "allow-host-access: refused"),
    "user config in the repo": ({"xdg/deckops/config.toml": "allow-host-access = true\n"}, None),
    "user config": ({"../xdg/deckops/config.toml": "allow-host-access = true\n"}, "allow-host-access: unknown key"),
    "environment": ({"env": {"DECKOPS_ALLOW_HOST_ACCESS": "1", "DECKOPS_ALLOW_HOST_ACCESS_FOR_CI": "1"}}, None),
}


def _host_repo(tmp_path: Path, attempt: dict) -> tuple[Path, Path, dict]:
    repo, mark = tmp_path / "repo", tmp_path / "ran"
    (repo / ".git").mkdir(parents=True)
    deck = repo / "d.md"
    deck.write_text(HOST_DECK.format(front=attempt.get("front", ""), extra=attempt.get("extra", ""), mark=mark))
    for name, text in attempt.items():
        if "." in name:
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(text)
    xdg = repo / "xdg" if "xdg/deckops/config.toml" in attempt else tmp_path / "xdg"
    return deck, mark, {"XDG_CONFIG_HOME": str(xdg), **attempt.get("env", {})}


@pytest.mark.parametrize("how", WIDEN)
def test_nothing_in_the_repo_can_allow_host_access(tmp_path, how):
    """A `needs=host-access` snippet runs only with --allow-host-access on the command line: every other place
    that asks for it is refused (exit 2, the key named, nothing run) or has no effect (skipped, the flag named)."""
    attempt, refusal = WIDEN[how]
    deck, mark, env = _host_repo(tmp_path, attempt)
    res = run_cli("rehearse", "--no-cluster", str(deck), cwd=deck.parent, env=env)
    assert not mark.exists(), f"{how} granted host access:\n{res.stdout}{res.stderr}"
    if refusal:
        assert res.returncode == 2 and refusal in res.stderr, res.stdout + res.stderr
        assert "Traceback" not in res.stderr
    else:
        assert res.returncode == 0, res.stdout + res.stderr
        assert "1 skipped" in res.stdout and "with --allow-host-access" in res.stdout, res.stdout


def test_the_command_line_allows_host_access(tmp_path):
    """The positive control of the test above: the same deck, the flag on the command line, the snippet runs."""
    deck, mark, env = _host_repo(tmp_path, {})
    res = run_cli("rehearse", "--no-cluster", "--allow-host-access", str(deck), cwd=deck.parent, env=env)
    assert res.returncode == 0 and "1 passed" in res.stdout, res.stdout + res.stderr
    assert mark.exists()
