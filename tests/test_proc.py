"""The one subprocess helper: timeouts and ^C kill the whole process group, and nothing is left behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import PATIENCE, wait_for
from deckops import proc


def alive_with(marker: str) -> list[int]:
    """Pids whose argv[0] is marker (children started with `exec -a MARKER`)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv0 = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if argv0 == marker and state != "Z" and int(entry.name) != os.getpid():
                found.append(int(entry.name))
    return found


def test_run_captures_output_and_exit_code():
    r = proc.run(["bash", "-c", "echo out; echo err >&2; exit 3"], timeout=10, check=False)
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")


def test_tool_error_shows_command_code_and_streams():
    with pytest.raises(proc.ToolError) as info:
        proc.run(["bash", "-c", "echo visible; echo broken >&2; exit 7"], timeout=10)
    text = info.value.describe()
    assert "bash -c" in text and "exit code: 7" in text and "visible" in text and "broken" in text


def test_missing_program_is_a_tool_error():
    with pytest.raises(proc.ToolError, match="cannot start"):
        proc.run(["/nonexistent/deckops-tool"], timeout=5)


def test_stdin_is_closed():
    r = proc.run(["bash", "-c", "cat; echo done"], timeout=10)  # would hang if stdin were inherited
    assert r.stdout == "done\n"


def test_timeout_kills_grandchildren_too():
    marker = f"deckops-test-{uuid.uuid4().hex}"
    with pytest.raises(proc.ToolError, match="timed out"):
        proc.run(["bash", "-c", f"exec -a {marker} sleep 300 & exec -a {marker} sleep 300 & wait"], timeout=1)
    assert alive_with(marker) == []


def test_interrupt_leaves_no_child(tmp_path, spawn):
    marker = f"deckops-test-{uuid.uuid4().hex}"
    code = ("from deckops import proc\n"
            f"proc.run(['bash', '-c', 'exec -a {marker} sleep 3000 & exec -a {marker} sleep 3000 & wait'], timeout=600)\n")
    child = spawn([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: len(alive_with(marker)) == 2, what="both grandchildren")
        child.send_signal(signal.SIGINT)
        child.communicate(timeout=PATIENCE)  # (sleep 3000 outlasts it: only the kill ends them in time)
        assert alive_with(marker) == []
    finally:
        child.kill()
        for pid in alive_with(marker):
            os.kill(pid, signal.SIGKILL)


def test_interrupt_does_not_wait_for_runs_in_background_threads(spawn):
    """^C during a cold lint: shellcheck and kubectl run in worker threads, which the interpreter joins at exit.
    deckops kills their children first, so it stops at once (exit 130) and leaves nothing behind."""
    marker = f"deckops-test-{uuid.uuid4().hex}"
    code = ("import sys, threading, time\n"
            "from deckops import __main__ as entry, cli, proc\n"
            f"argv = ['bash', '-c', 'exec -a {marker} sleep 3000']\n"
            "threading.Thread(target=proc.run, args=(argv,), kwargs={'timeout': 600, 'check': False}).start()\n"
            "cli.dispatch = lambda *args: time.sleep(3000)\n"
            "sys.exit(entry.main([]))\n")
    child = spawn([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: len(alive_with(marker)) == 1, what="the background child")
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=PATIENCE)  # without the kill it would wait for `sleep 3000`
        assert child.returncode == 130 and b"interrupted" in err
        assert alive_with(marker) == []
    finally:
        child.kill()
        for pid in alive_with(marker):
            os.kill(pid, signal.SIGKILL)


def test_wait_any_returns_when_any_child_ends_not_only_the_first(tmp_path):
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    slow = proc.spawn(["sh", "-c", f"cat {gate} >/dev/null"])  # runs until the gate is opened
    quick = proc.spawn(["true"])
    try:
        assert proc.wait_any([slow, quick], timeout=60)  # the second child ended: back long before 60 s
        assert quick.returncode == 0 and slow.poll() is None
        assert not proc.wait_any([slow], timeout=0.01)  # nothing ended: False after the timeout
    finally:
        proc.kill_group(slow)
        slow.wait()
    assert proc.wait_any([slow], timeout=60)  # an already reaped child counts as ended
