"""Benchmark the local cluster: warm `cluster up` to the first real pod Ready (goal <= 20 s), and the flagship
rehearsal on the real node (with --allow-host-access: the project's own deck, so its node-debugging slide runs
too) against the same on kwok's fake nodes, measured in the same run.

    python bench/cluster.py [--rounds 3]

Needs the binaries built (`deckops cluster build`) and, for the real node, root, runc, the CNI plugins and
busybox-static. Every cluster it starts is taken down again, also on ^C.
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from deckops import localcluster  # noqa: E402
from deckops.localcluster import cluster  # noqa: E402

DECK = ROOT / "slides" / "advanced-kubernetes-debugging.md"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deckops", *args], cwd=ROOT, text=True, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=600)


def up_to_first_pod(name: str, nodes: str) -> dict[str, float]:
    """Seconds from `cluster up` to the cluster ready, and to a busybox pod Ready on it."""
    start = time.monotonic()
    localcluster.up(name, nodes)
    ready = time.monotonic() - start
    try:
        cluster.kubectl(name, "run", "first", "--image=busybox:1.36", "--restart=Never", "--", "sleep", "600")
        cluster.kubectl(name, "wait", "--for=condition=Ready", "pod/first", "--timeout=120s", timeout=130)
        pod = time.monotonic() - start
    finally:
        localcluster.down(name)
    return {"up": ready, "pod": pod}


def rehearse(name: str, nodes: str) -> tuple[float, str]:
    localcluster.up(name, nodes)
    try:
        start = time.monotonic()
        # the project's own deck: on the real node its node-debugging slide runs too (root on this machine)
        host = ["--allow-host-access"] if nodes == "real" else []
        res = _cli("rehearse", "--cluster", "local", "--cluster-name", name, *host, str(DECK))
        took = time.monotonic() - start
    finally:
        localcluster.down(name)
    summary = re.search(r"\d+ passed, \d+ failed, \d+ skipped", res.stdout)
    if res.returncode != 0:  # what failed, so that a flaky slide can be told from a slow machine
        failed = re.findall(r"^  \S+(?: +\d+)? +FAIL .*\n(?:      .*\n)*", res.stdout, re.MULTILINE)
        print("".join(failed) or res.stdout + res.stderr, end="", file=sys.stderr)
    return took, summary.group(0) if summary else f"exit {res.returncode}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not localcluster.build.is_built():
        print("bench/cluster.py: run `deckops cluster build` first", file=sys.stderr)
        return 2
    real_ok = not localcluster.node.missing("bench-real")
    modes = ["real", "fake"] if real_ok else ["fake"]
    if not real_ok:
        print("no real node here: " + "; ".join(localcluster.node.missing("bench-real")))
    times: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
    try:
        for _ in range(args.rounds):  # interleaved: a busy machine slows both alike
            for mode in modes:
                times[mode].append(up_to_first_pod(f"bench-{mode}", mode))
    except ValueError as exc:  # another cluster took the real node meanwhile (a test session)
        print(f"bench/cluster.py: {exc}", file=sys.stderr)
        return 2
    print(f"warm cluster up, median of {args.rounds} (2 loaded cores: read the ratio)")
    for mode in modes:
        up = statistics.median(t["up"] for t in times[mode])
        pod = statistics.median(t["pod"] for t in times[mode])
        print(f"  {mode:<5} ready {up:5.1f}s   first pod Ready {pod:5.1f}s"
              + ("   (goal <= 20 s)" if mode == "real" else ""))
    print("flagship rehearsal (the cluster already up)")
    try:
        results = {mode: rehearse(f"bench-{mode}", mode) for mode in modes}
    except ValueError as exc:
        print(f"bench/cluster.py: {exc}", file=sys.stderr)
        return 2
    for mode, (took, summary) in results.items():
        print(f"  {mode:<5} {took:5.1f}s   {summary}")
    if len(results) == 2:
        print(f"  real/fake: {results['real'][0] / results['fake'][0]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
