"""`deckops demo` under a real pty (pexpect): keystrokes in, screen content out. Plain shell decks (--no-cluster)
for the keys, the interactive hand-over, the fallback to a recording, --replay and the guard; the local control
plane for a live run with its namespace deleted on q."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, descendants, run_cli

pexpect = pytest.importorskip("pexpect")
_STARTED: list = []  # every demo this module starts; the autouse fixture below ends them, pass or fail


def _started(child):
    _STARTED.append(child)
    return child


@pytest.fixture(autouse=True)
def _end_demos():
    """A failing expect leaves `deckops demo` (and its shell) running: end it, and what runs below it, at
    teardown. SIGHUP first (a closed terminal: demo's own cleanup runs), then SIGKILL."""
    yield
    while _STARTED:
        child = _STARTED.pop()
        below = descendants(child.pid) if child.isalive() else []
        child.close(force=True)
        for pid in below:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
RUN, NEXT = r"\[(?:Enter\]|⏎) run", r"\[(?:Enter\]|⏎) next"  # the keys' hint, in full or short

DECK = """---
marp: true
---

# One

```console
$ echo one; sleep 0.3; echo done
one
done
```

---

# Background

```console
$ sleep 3017 & echo started
started
```

---

# Counter

```console
$ echo counter-$((++N))
counter-1
```

---

# Interactive

<!-- rehearse: pty timeout=60 -->
```console
$ cat
```

---

# Fallback

```console
$ echo SHOWN
recorded
```
"""


def _repo(tmp_path: Path, deck: str = DECK) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "talk.md").write_text(deck)
    return tmp_path


def _spawn(cwd: Path, *args: str, timeout: float = 60):
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm"}
    return _started(pexpect.spawn(sys.executable, ["-m", "deckops", "demo", *args], cwd=str(cwd), env=env,
                                  dimensions=(40, 120), timeout=timeout, encoding="utf-8", codec_errors="replace"))


def _sleepers() -> list[int]:
    """The `sleep 3017` processes slide 2 starts in the background (their pids are the PID namespace's)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes() == b"sleep\x003017\x00":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _record_fallback(repo: Path) -> None:
    """A green rehearsal of the deck as it was (slide 5 printed `recorded`), then the live run breaks."""
    green = DECK.replace("$ echo SHOWN", "$ echo recorded").replace("# Interactive", "# Interactive\n\n"
                                                                     "<!-- rehearse: skip -->")
    (repo / "talk.md").write_text(green)
    res = run_cli("rehearse", "--no-cluster", "--record", "rec", "talk.md", cwd=repo)
    assert (repo / "rec" / "talk" / "slide-005-1.cast").is_file(), res.stdout + res.stderr
    (repo / "talk.md").write_text(DECK)


def test_keys_interactive_command_fallback_and_cleanup(tmp_path):
    repo = _repo(tmp_path)
    _record_fallback(repo)
    child = _spawn(repo, "talk.md", "--no-cluster", "--recordings", "rec", "--pace", "200")
    child.expect("slide 1/5: One")
    child.expect_exact("$ echo one; sleep 0.3; echo done")  # typed out
    child.expect(RUN)
    child.send("\r")
    child.expect("one\r\ndone\r\n")
    child.expect_exact("✓ as on the slide")
    child.send("\r")  # next
    child.expect("slide 2/5: Background")
    child.expect(RUN)
    child.send("\r")
    child.expect("\r\nstarted\r\n")
    child.expect(NEXT)
    child.send("\r")
    child.expect("slide 3/5: Counter")
    child.expect(RUN)
    child.send("s")  # skip
    child.expect("slide 4/5: Interactive")
    child.expect(RUN)
    child.send("b")  # back
    child.expect("slide 3/5: Counter")
    child.expect(RUN)
    child.send("\r")
    child.expect("counter-1")
    child.expect_exact("✓ as on the slide")
    child.send("r")  # rerun: the same shell, so N goes on
    child.expect("slide 3/5: Counter")
    child.expect(RUN)
    child.send("\r")
    child.expect("counter-2")
    child.expect_exact("✗ stale-output")
    child.send("\r")
    child.expect("slide 4/5: Interactive")
    child.expect(RUN)
    child.send("\r")
    time.sleep(1)
    child.send("typed by the speaker\r")  # the terminal is cat's now
    child.expect("typed by the speaker\r\ntyped by the speaker")  # the tty's echo, then cat's
    child.send("\x04")
    child.expect(NEXT)
    child.send("\r")
    child.expect("slide 5/5: Fallback")
    child.expect(RUN)
    child.send("\r")
    child.expect("SHOWN")
    child.expect_exact("✗ stale-output")
    child.expect_exact("[p] plays the recording")
    child.send("p")
    child.expect_exact("(recording slide-005-1.cast)")
    child.expect("recorded\r\n")
    child.expect(NEXT)
    assert _sleepers()
    child.send("q")
    child.expect("demo ended: the shell and what it started are gone")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1  # slide 3's rerun and slide 5 failed live
    assert not _sleepers()


def test_replay_plays_recordings_and_runs_nothing(tmp_path):
    deck = DECK.replace("$ echo one;", "$ touch ran.txt; echo one;")
    repo = _repo(tmp_path, deck.replace("# Interactive", "# Interactive\n\n<!-- rehearse: skip -->"))
    assert run_cli("rehearse", "--no-cluster", "--record", "rec", "talk.md", cwd=repo).returncode == 1
    (repo / "ran.txt").unlink()
    child = _spawn(repo, "talk.md", "--replay", "rec", "--no-typing", "--from", "1")
    child.expect("slide 1/5: One")
    child.expect_exact("$ touch ran.txt; echo one; sleep 0.3; echo done")
    child.send("\r")
    child.expect("one\r\ndone\r\n")
    child.expect(NEXT)
    child.send("\r")
    child.expect("slide 2/5: Background")
    child.expect(RUN)
    child.send("\r")
    child.expect("\r\nstarted\r\n")
    child.expect(NEXT)
    child.send("\r")
    child.expect("slide 3/5: Counter")
    child.send("\r")
    child.expect("counter-1")  # the recording of the green run
    child.send("\r")
    child.expect("slide 4/5: Interactive")
    child.expect("skipped")
    child.send("\r")
    child.expect("slide 5/5: Fallback")
    child.send("\r")
    child.expect_exact("no recording of this snippet")  # it failed in the rehearsal: nothing was recorded
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert not (repo / "ran.txt").exists()


def test_the_guard_refuses_a_context_that_is_not_a_sandbox(tmp_path):
    repo = _repo(tmp_path, DECK.replace("$ echo one;", "$ touch ran.txt; echo one;"))
    (repo / "kc").write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "prod",
        "clusters": [{"name": "prod", "cluster": {"server": "https://10.20.30.40:6443"}}],
        "users": [{"name": "u", "user": {"token": "x"}}],
        "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "u"}}]}))
    child = _spawn(repo, "talk.md", "--kubeconfig", "kc", "--context", "prod")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "prod" in child.before and "sandbox" in child.before, child.before
    assert not (repo / "ran.txt").exists()


def test_one_slide_only_and_usage_errors(tmp_path):
    repo = _repo(tmp_path)
    child = _spawn(repo, "talk.md", "--no-cluster", "--slide", "3", "--no-typing")
    child.expect("slide 3/5: Counter")
    child.send("\r")
    child.expect("counter-1")
    child.send("\r")
    child.expect("demo ended")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    child = _spawn(repo, "talk.md", "--no-cluster", "--slide", "9")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2 and "no snippet on slide 9" in child.before
    res = run_cli("demo", "talk.md", "--no-cluster", cwd=repo)  # not a terminal
    assert res.returncode == 2 and "demo drives a terminal" in res.stderr


CLUSTER_DECK = """---
marp: true
---

# Config

```console
$ kubectl create configmap stage --from-literal=talk=demo
configmap/stage created
$ kubectl get configmap stage -o jsonpath='{.data.talk}{"\\n"}'
demo
```

---

# Interactive

<!-- rehearse: pty timeout=60 -->
```console
$ cat
```

---

# Lookup

```console
$ kubectl get configmap stage -o name
configmap/stage
```
"""


@pytest.mark.cluster
def test_live_on_the_local_cluster_keys_fallback_and_q_deletes_the_namespace(local_cluster, tmp_path):
    """On the local cluster: typing, Enter, rerun, skip, back, an interactive command, a forced failure switched
    to the green rehearsal's recording, and q deleting the demo's namespace."""
    repo = _repo(tmp_path, CLUSTER_DECK.replace("<!-- rehearse: pty timeout=60 -->", "<!-- rehearse: skip -->"))
    cluster = ("--cluster", "local", "--cluster-name", local_cluster.name)
    res = run_cli("rehearse", *cluster, "--record", "rec", "talk.md", cwd=repo, timeout=600)
    assert res.returncode == 0 and (repo / "rec" / "talk" / "slide-003-1.cast").is_file(), res.stdout + res.stderr
    (repo / "talk.md").write_text(CLUSTER_DECK.replace("get configmap stage -o name", "get configmap gone -o name"))
    child = _spawn(repo, "talk.md", *cluster, "--recordings", "rec", "--pace", "200", timeout=180)
    child.expect(r"namespace (deckops-rehearse-[a-z0-9]{6})")
    namespace = child.match.group(1)
    child.expect("slide 1/3: Config")
    child.expect_exact("$ kubectl create configmap stage --from-literal=talk=demo")  # typed
    child.expect(RUN)
    child.send("\r")
    child.expect("configmap/stage created")
    child.expect(RUN)  # the snippet's second command, typed
    child.send("\r")
    child.expect("demo\r\n")
    child.expect_exact("✓ as on the slide")
    child.send("r")  # rerun: the configmap exists now, in the same namespace
    child.expect(RUN)
    child.send("\r")
    child.expect("already exists")
    child.expect_exact("✗ stale-output")  # (an error instead of `created`, and exit 1)
    child.send("\r")
    child.expect("slide 2/3: Interactive")
    child.expect(RUN)
    child.send("s")  # skip
    child.expect("slide 3/3: Lookup")
    child.expect(RUN)
    child.send("b")  # back
    child.expect("slide 2/3: Interactive")
    child.expect(RUN)
    child.send("\r")
    time.sleep(1)
    child.send("kubectl is not needed here\r")
    child.expect("kubectl is not needed here\r\nkubectl is not needed here")
    child.send("\x04")
    child.expect(NEXT)
    child.send("\r")
    child.expect("slide 3/3: Lookup")
    child.expect(RUN)
    child.send("\r")
    child.expect("not found")
    child.expect_exact("[p] plays the recording")
    child.send("p")
    child.expect_exact("(recording slide-003-1.cast)")
    child.expect("configmap/stage\r\n")
    child.expect(NEXT)
    child.send("q")
    child.expect(f"demo ended: namespace {namespace} deleted")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    out = subprocess.run([str(local_cluster.kubectl), "--kubeconfig", str(local_cluster.kubeconfig), "get", "ns",
                          namespace, "-o", "jsonpath={.status.phase}"], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 or out.stdout == "Terminating", out.stdout


@pytest.mark.cluster
def test_the_flagship_records_and_replays_with_no_cluster(local_cluster, tmp_path):
    """The flagship's rehearsal writes recordings; deckops time reads them; demo --replay plays them with no
    kubeconfig and no kubectl to reach anything."""
    rec = tmp_path / "rec"
    flagship = "slides/advanced-kubernetes-debugging.md"
    res = run_cli("rehearse", "--cluster", "local", "--cluster-name", local_cluster.name, "--record", str(rec),
                  flagship, timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    names = {p.stem for p in (rec / "advanced-kubernetes-debugging").glob("*.cast")}
    assert {"setup-1", "setup-2", "slide-007-1", "slide-010-1", "teardown-1"} <= names, names
    assert {p.stem for p in (rec / "advanced-kubernetes-debugging").glob("*.svg")} == names
    res = run_cli("time", flagship, "--recordings", str(rec), "--target", "30m")
    assert res.returncode == 0, res.stderr
    row = next(l for l in res.stdout.splitlines() if "Sidecars share" in l)
    assert "?" not in row and " - " not in row  # a measured demo
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm", "KUBECONFIG": str(tmp_path / "none"),
           "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin"}
    child = _started(pexpect.spawn(sys.executable, ["-m", "deckops", "demo", flagship, "--replay", str(rec),
                                                    "--from", "7", "--no-typing"], cwd=str(ROOT), env=env,
                                   dimensions=(40, 120), timeout=60, encoding="utf-8", codec_errors="replace"))
    child.expect("slide 7/16: Sidecars share the pod's namespaces")
    child.expect(RUN)
    child.send("\r")
    child.expect("app proxy")
    child.expect(NEXT)
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_a_closed_terminal_cleans_up_like_q(tmp_path):
    """The speaker's window closes (SIGHUP): teardown runs, the background job dies, nothing is left."""
    repo = _repo(tmp_path)
    (repo / "talk.rehearse.yaml").write_text("teardown:\n  - echo torn > torn-down.txt\n")
    child = _spawn(repo, "talk.md", "--no-cluster", "--slide", "2", "--no-typing")
    child.expect(RUN)
    child.send("\r")
    child.expect("\r\nstarted\r\n")
    child.expect(NEXT)
    assert _sleepers()
    child.kill(signal.SIGHUP)
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus is None and child.exitstatus == 130
    assert not _sleepers()
    assert (repo / "torn-down.txt").read_text() == "torn\n"


def test_ctrl_c_stops_the_running_command_and_the_demo_goes_on(tmp_path):
    deck = DECK.replace("$ echo counter-$((++N))\ncounter-1", "$ sleep 3017; echo never\nnever")
    repo = _repo(tmp_path, deck)
    child = _spawn(repo, "talk.md", "--no-cluster", "--from", "3", "--no-typing")
    child.expect("slide 3/5: Counter")
    child.expect(RUN)
    child.send("\r")
    time.sleep(1)
    assert _sleepers()
    child.send("\x03")
    child.expect_exact("✗ stopped: `sleep 3017; echo never` stopped by ^C")
    assert not _sleepers()
    child.send("\r")
    child.expect("slide 4/5: Interactive")  # the same demo goes on
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1


def test_live_output_never_shows_the_session_markers():
    """What demo streams is the command's output only: the salted markers are held back, even split across reads."""
    from deckops.rehearse.runner import Session

    got: list[bytes] = []
    with Session() as shell:
        shell.live = got.append
        for command in ("printf 'no newline'", "seq 1 30000", "echo x; sleep 0.3; echo y", "false"):
            got.clear()
            outcome = shell.run(command)
            streamed = b"".join(got).decode()
            assert shell.salt not in streamed
            assert streamed == outcome.output, command


@pytest.mark.cluster
def test_demo_debugs_the_real_node_only_with_allow_host_access(real_cluster):
    """On stage, the flagship's node-debugging slide: skipped with the flag named without --allow-host-access;
    with it, the speaker's own keys go to the node's shell (its kubelet is among the host's processes) and ^D
    ends it; the slide deletes its pod, q cleans up."""
    flagship, cluster = "slides/advanced-kubernetes-debugging.md", ("--cluster", "local", "--cluster-name",
                                                                    real_cluster.name)
    child = _spawn(ROOT, flagship, *cluster, "--slide", "11", "--no-typing", timeout=180)
    child.expect("slide 11/16")
    child.expect_exact("skipped: needs host access")
    child.expect_exact("--allow-host-access")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()

    child = _spawn(ROOT, flagship, *cluster, "--slide", "11", "--no-typing", "--allow-host-access", timeout=180)
    child.expect(r"host access allowed in namespace deckops-rehearse-[a-z0-9]{6}")
    child.expect("slide 11/16")
    child.expect(RUN)
    child.send("\r")  # NODE=$(kubectl get pod checkout ...)
    child.expect(RUN)
    child.send("\r")  # kubectl debug "node/$NODE" -it ...
    child.expect("/ # ")
    child.send("ps -o comm | grep -x kubelet\r")
    child.expect("\r\nkubelet\r\n")
    child.send("\x04")
    child.expect("Session ended")
    child.expect(RUN)
    child.send("\r")  # kubectl delete pod -l app.kubernetes.io/managed-by=kubectl-debug
    child.expect(r'pod "node-debugger-\S+" deleted')
    child.expect(NEXT)
    child.send("q")
    child.expect("demo ended: namespace deckops-rehearse-")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
