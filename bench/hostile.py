"""Lint time on the hostile inputs of issue 18 (each at most ~1.2 MB): `deckops lint` on each at n/2 and n units,
its wall time, and the growth from n/2 to n (goal: each <= 5 s, growth <= 2.5x; quadratic would be 4x).
Usage: .venv/bin/python bench/hostile.py [--only NAME]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile_inputs import GROWTH  # noqa: E402


def lint_time(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "deckops", "lint", str(path), "--format", "json"], cwd=path.parent,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=900)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only")
    args = ap.parse_args()
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / ".git").mkdir()
        for name, (make, n) in GROWTH.items():
            if args.only and name != args.only:
                continue
            times = []
            for size in (n // 2, n):
                deck = Path(tmp) / f"{name}-{size}.md"
                deck.write_text(make(size), encoding="utf-8")
                times.append(min(lint_time(deck) for _ in range(2)))
            growth = times[1] / times[0]
            worst = max(worst, times[1])
            kb = (Path(tmp) / f"{name}-{n}.md").stat().st_size // 1024
            print(f"{name:26} n={n:>7,} ({kb:>5,} KB)  {times[1]:6.2f}s   n/2 {times[0]:6.2f}s   growth {growth:4.2f}x"
                  f"  {'ok' if times[1] <= 5 and growth <= 2.5 else 'OVER'}", flush=True)
    print(f"slowest: {worst:.2f}s (goal <= 5 s each, growth <= 2.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
