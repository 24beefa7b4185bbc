"""Benchmark: 200 trivial commands through `deckops rehearse` vs prysk on the same commands, same run.

Both run as a user would (a fresh Python process each), interleaved, several rounds; prints the median
wall times and the ratio deckops/prysk (goal: <= 1.0); also each tool's cost per extra command (the
200-command run minus a 1-command run), which separates the runner from start-up (imports).

Like for like: prysk runs from its installed wheel, whose bytecode pip compiled at install time, so deckops is
pip-installed (not editable) into the bench's temp dir too; in an editable checkout with PYTHONDONTWRITEBYTECODE
set, every deckops module would be recompiled on each run. `--editable` times the checkout as it is instead.
Usage: python bench/rehearse.py [--rounds N] [--editable]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
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


def timed(argv: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children: steadier on a busy machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    res = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300,
                         env=env)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return took, cpu


def install(site: Path) -> dict:
    """pip-install this checkout (no deps, bytecode compiled as for any install) into site; env to use it."""
    root = Path(__file__).resolve().parent.parent
    src = site.parent / "source"  # a copy, so the build writes nothing into the checkout
    shutil.copytree(root / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(root / name, src / name)
    res = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check",
                          "--target", str(site), str(src)],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        sys.exit(f"bench: installing deckops failed:\n{res.stdout}\n{res.stderr}")
    return {**os.environ, "PYTHONPATH": str(site)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--editable", action="store_true", help="time the checkout, not an installed copy")
    opts = parser.parse_args()
    rounds = opts.rounds
    cmds = commands()
    with tempfile.TemporaryDirectory(prefix="deckops-bench-") as tmp:
        work = Path(tmp)
        (work / ".git").mkdir()  # keeps config discovery inside the temp dir
        env = None if opts.editable else install(work / "site")
        for name, subset in (("all", cmds), ("one", cmds[:1])):
            (work / f"{name}.md").write_text(deck_text(subset))
            (work / f"{name}.t").write_text(prysk_text(subset))
        runs = {
            (tool, name): argv
            for name in ("all", "one")
            for tool, argv in (
                ("deckops", [sys.executable, "-m", "deckops", "rehearse", "--no-cluster", f"{name}.md"]),
                ("prysk", [sys.executable, "-m", "prysk", "--shell", "/bin/bash", f"{name}.t"]),
            )
        }
        times: dict = {key: [] for key in runs}
        envs = {key: env if key[0] == "deckops" else None for key in runs}
        for key, argv in runs.items():
            timed(argv, work, envs[key])  # warm the file cache
        for _ in range(rounds):
            for key, argv in runs.items():  # interleaved, so load changes hit both alike
                times[key].append(timed(argv, work, envs[key]))
    wall = {key: statistics.median(t for t, _ in v) for key, v in times.items()}
    cpu = {key: statistics.median(c for _, c in v) for key, v in times.items()}
    how = "editable checkout" if opts.editable else "pip-installed copy, like prysk"
    print(f"{COMMANDS} commands, {rounds} rounds (medians; a fresh process each run; deckops: {how})")
    for label, med in (("wall", wall), ("cpu", cpu)):
        for tool in ("deckops", "prysk"):
            each = (med[tool, "all"] - med[tool, "one"]) / (COMMANDS - 1)
            print(f"  {label:4} {tool:8} {med[tool, 'all'] * 1000:7.1f} ms   1 command: "
                  f"{med[tool, 'one'] * 1000:6.1f} ms   per extra command: {each * 1e6:5.0f} us")
    print(f"ratio deckops/prysk: {wall['deckops', 'all'] / wall['prysk', 'all']:.2f}x wall, "
          f"{cpu['deckops', 'all'] / cpu['prysk', 'all']:.2f}x cpu (goal <= 1.0x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
