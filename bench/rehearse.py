"""Benchmark: 200 trivial commands through `deckops rehearse` vs prysk on the same commands, same run.

Both run as a user would (a fresh Python process each), interleaved, several rounds; prints the median
wall times and the ratio deckops/prysk (goal: <= 1.0).  Usage: python bench/rehearse.py [--rounds N]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = 200
PER_SLIDE = 10


def commands() -> list[tuple[str, str]]:
    return [(f"echo line-{i} $((1 + {i}))", f"line-{i} {i + 1}") for i in range(COMMANDS)]


def deck_text(cmds) -> str:
    parts = ["---\nmarp: true\n---\n"]
    for start in range(0, len(cmds), PER_SLIDE):
        body = "".join(f"$ {c}\n{out}\n" for c, out in cmds[start:start + PER_SLIDE])
        parts.append(f"# Slide {start // PER_SLIDE + 1}\n\n```console\n{body}```\n")
    return "\n---\n\n".join(parts)


def prysk_text(cmds) -> str:
    return "".join(f"  $ {c}\n  {out}\n" for c, out in cmds)


def timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    res = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    took = time.perf_counter() - start
    if res.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    cmds = commands()
    with tempfile.TemporaryDirectory(prefix="deckops-bench-") as tmp:
        work = Path(tmp)
        (work / ".git").mkdir()  # keeps config discovery inside the temp dir
        (work / "deck.md").write_text(deck_text(cmds))
        (work / "same.t").write_text(prysk_text(cmds))
        ours = [sys.executable, "-m", "deckops", "rehearse", "--no-cluster", "deck.md"]
        peer = [sys.executable, "-m", "prysk", "--shell", "/bin/bash", "same.t"]
        timed(ours, work), timed(peer, work)  # warm the file cache
        deckops_t, prysk_t = [], []
        for _ in range(rounds):
            deckops_t.append(timed(ours, work))
            prysk_t.append(timed(peer, work))
    d, p = statistics.median(deckops_t), statistics.median(prysk_t)
    print(f"{COMMANDS} commands, {rounds} rounds (median wall time, fresh process each)")
    print(f"deckops rehearse: {d * 1000:8.1f} ms")
    print(f"prysk           : {p * 1000:8.1f} ms")
    print(f"ratio deckops/prysk: {d / p:.2f}x (goal <= 1.0x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
