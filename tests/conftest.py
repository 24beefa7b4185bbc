"""Shared fixtures. Tests never reach outside the repo: fixtures live under tests/data/."""
from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

# A suite started in the background by a non-interactive shell (`cmd &`, as a CI runner or nohup may start it)
# inherits SIGINT ignored, and every child the tests spawn would inherit that too: the ^C tests would then
# test nothing but a deaf process. The tests stand for a speaker pressing ^C in a terminal: restore the default.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
GOLDEN = ROOT / "tests" / "golden"
SEED = DATA / "seed-advanced-kubernetes-debugging.md"

if importlib.util.find_spec("cluster_fixture"):
    pytest_plugins = ["cluster_fixture"]


def golden(name: str, actual: str) -> None:
    """Compare with tests/golden/NAME; DECKOPS_UPDATE_GOLDEN=1 rewrites it (review the diff!)."""
    path = GOLDEN / name
    before = path.read_text(encoding="utf-8") if path.exists() else None
    if os.environ.get("DECKOPS_UPDATE_GOLDEN") == "1" and actual != before:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        # an update is never a pass: the comparison would be with itself
        pytest.fail(f"golden file {path} rewritten: review the diff, then run again without DECKOPS_UPDATE_GOLDEN")
    assert before is not None, f"golden file {path} missing: run with DECKOPS_UPDATE_GOLDEN=1"
    assert actual == before


def run_cli(*args: str, cwd: Path = ROOT, timeout: float = 300, env: dict | None = None):
    """Run `python -m deckops ARGS` as a user would; returns CompletedProcess (text)."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "deckops", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL, env=full_env)


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """The seed deck copied into a temp repo (so relative images resolve against the temp dir)."""
    (tmp_path / ".git").mkdir()
    dst = tmp_path / "deck.md"
    dst.write_bytes(SEED.read_bytes())
    return dst


# A loaded 2-core machine (a Go build, another engineer's suite) makes a Python start-up take seconds: tests wait
# for events with this generous bound, which only decides how long a broken run takes to fail.
PATIENCE = 180.0


def best_cpu_seconds(calls, repeat: int) -> list[float]:
    """The best CPU time of each call over `repeat` rounds, the calls interleaved so that a busy spell on a loaded
    machine sways them alike; CPU time of this process with the collector paused (its passes over a growing heap
    are not what a growth test measures), which other tenants sway far less than wall time."""
    import gc
    import time

    best = [float("inf")] * len(calls)
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            for i, call in enumerate(calls):
                start = time.process_time()
                call()
                best[i] = min(best[i], time.process_time() - start)
    finally:
        gc.enable()
    return best


def wait_for(predicate, timeout: float = PATIENCE, what: str = "condition"):
    """Poll predicate until it returns something true (and return that); fail after timeout seconds."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout:g} s")
        time.sleep(0.1)


def descendants(pid: int) -> list[int]:
    """Every live process below pid (by /proc parent links)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            pass
    found, todo = [], [pid]
    while todo:
        cur = todo.pop()
        kids = [c for c, p in parents.items() if p == cur and c not in found]
        found += kids
        todo += kids
    return found


def end_child(p: subprocess.Popen, grace: float = 60.0) -> None:
    """End a long-lived child and everything below it, however the test went: ^C first (its own cleanup runs),
    then SIGKILL for whatever is left after `grace` seconds."""
    import signal

    below = descendants(p.pid)
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    for pid in below + descendants(p.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@pytest.fixture
def spawn():
    """Popen for servers and other long-lived children: each is ended by end_child at teardown, pass or fail
    (a timed-out serve test once left `deckops serve` running for half an hour)."""
    started: list[subprocess.Popen] = []

    def start(args, **kw) -> subprocess.Popen:
        kw.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.Popen(args, **kw)
        started.append(p)
        return p

    yield start
    for p in started:
        end_child(p)
