#!/usr/bin/env python3
"""Conference scale: 500 generated decks of 20-40 slides.

1. Lint all of them on one machine: deckops against markdownlint-cli2 on the same files, in the same run
   (goal: deckops <= 60 s).
2. Render them (HTML) sharded 4 ways, one shard after another as 4 CI machines would each run theirs:
   each shard's time, the slowest shard against one unsharded render of everything measured in the same run
   (ideal: 0.25x), and the shards' lint SARIF merged with `deckops merge` against one unsharded SARIF.
Usage: .venv/bin/python bench/conference.py [--decks 500] [--shards 4] [--to html] [--lint-only]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from deckops import proc  # noqa: E402

MARKDOWNLINT = ROOT / "node_modules" / ".bin" / "markdownlint-cli2"
LOGO = ROOT / "tests" / "data" / "clean" / "images" / "logo.svg"
TOPICS = ("pods", "services", "ingress", "volumes", "events", "probes", "quotas", "nodes", "jobs", "secrets")


def deck(n: int, rng: random.Random) -> str:
    topic = TOPICS[n % len(TOPICS)]
    slides = [f"---\nmarp: true\npaginate: true\nfooter: Talk {n}\n---\n\n# Talk {n}: debugging {topic}\n\n"
              f"![w:160 The talk's logo](../images/logo.svg)\n"]
    for s in range(2, rng.randint(20, 40) + 1):
        kind = s % 3
        if kind == 0:
            slides.append(f"## Step {s}: look at the {topic}\n\n```bash\n$ kubectl get {topic} -n talk-{n}\n"
                          f"NAME    STATUS\nitem-{s}  Ready\n```\n")
        elif kind == 1:
            slides.append(f"## What {s} shows\n\n- the {topic} of talk {n} at step {s}\n- what the events say\n"
                          f"- what the logs say\n\n<!-- Speaker notes: slide {s} of talk {n}. -->\n")
        else:
            slides.append(f"## Takeaway {s}\n\nRead the {topic} before you restart anything.\n")
    return "\n---\n\n".join(slides) + "\n"


def make_repo(base: Path, count: int) -> Path:
    repo = base / "conference"
    (repo / "slides").mkdir(parents=True)
    (repo / "images").mkdir()
    (repo / ".git").mkdir()
    shutil.copy(LOGO, repo / "images" / "logo.svg")
    rng = random.Random(2026)
    for n in range(count):
        (repo / "slides" / f"talk{n:03d}.md").write_text(deck(n, rng))
    return repo


def timed(argv: list[str], cwd: Path, env: dict) -> tuple[float, proc.Result]:
    global LAST_CPU
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    res = proc.run(argv, cwd=cwd, env=env, timeout=7200, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return time.monotonic() - start, res


LAST_CPU = 0.0  # CPU seconds (user + system) of the last timed() run and its children


def deckops(*args: str) -> list[str]:
    return [sys.executable, "-m", "deckops", *args]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decks", type=int, default=500)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--to", default="html")
    ap.add_argument("--lint-only", action="store_true", help="stop after the lint comparison")
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="deckops-conference-") as tmp:
        base = Path(tmp)
        repo = make_repo(base, opts.decks)
        slides = sum((repo / "slides" / f).read_text().count("\n---\n") + 1 for f in os.listdir(repo / "slides"))
        env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT / "src"), "DECKOPS_CACHE": str(base / "cache")}
        print(f"{opts.decks} decks, {slides} slides")

        lint_s, lint = timed(deckops("lint", "--format", "sarif", "--output", str(base / "all.sarif"), "slides"),
                             repo, env)
        lint_cpu = LAST_CPU
        assert lint.returncode in (0, 1), lint.stderr
        peer = "markdownlint-cli2"
        if MARKDOWNLINT.is_file():
            ml_s, _ = timed([str(MARKDOWNLINT), "slides/*.md"], repo, env)
            ratio = f"{lint_s / ml_s:.2f}x {peer} ({ml_s:.1f} s, {LAST_CPU:.1f} s CPU)"
        else:
            ratio = f"{peer} not installed (npm ci)"
        print(f"lint, one machine:     {lint_s:6.1f} s  (goal <= 60 s: {'met' if lint_s <= 60 else 'MISSED'}); "
              f"{lint_cpu:.1f} s CPU (first run: includes compiling the spelling dictionaries); {ratio}; "
              f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

        if opts.lint_only:
            return 0
        whole_s, whole = timed(deckops("render", "--to", opts.to, "--out", str(base / "whole"), "slides"), repo, env)
        assert whole.returncode in (0, 1), whole.stderr
        shard_times = []
        for i in range(1, opts.shards + 1):
            spec = f"{i}/{opts.shards}"
            s, res = timed(deckops("render", "--to", opts.to, "--shard", spec, "--out", str(base / f"out{i}"),
                                   "slides"), repo, env)
            assert res.returncode in (0, 1), res.stderr
            lint_i = deckops("lint", "--shard", spec, "--format", "sarif", "--output", str(base / f"s{i}.sarif"),
                             "slides")
            proc.run(lint_i, cwd=repo, env=env, timeout=7200, check=False)
            count = len(list((base / f"out{i}").glob("*.html")))
            shard_times.append(s)
            print(f"render shard {spec}:    {s:6.1f} s  {count} decks")
        slowest = max(shard_times)
        print(f"render unsharded:      {whole_s:6.1f} s  {len(list((base / 'whole').glob('*.html')))} decks; "
              f"slowest shard = {slowest / whole_s:.2f}x unsharded (ideal {1 / opts.shards:.2f}x)")

        merged = base / "merged.sarif"
        res = proc.run(deckops("merge", "--output", str(merged), *(str(base / f"s{i}.sarif")
                                                                  for i in range(1, opts.shards + 1))),
                       cwd=repo, env=env, timeout=600, check=False)
        got = json.loads(merged.read_text())["runs"][0]["results"]
        want = json.loads((base / "all.sarif").read_text())["runs"][0]["results"]
        same = sorted(map(json.dumps, ({**r, "ruleIndex": 0} for r in got))) == \
            sorted(map(json.dumps, ({**r, "ruleIndex": 0} for r in want)))
        print(f"merged lint SARIF:     {len(got)} results from {opts.shards} shards (exit {res.returncode}); "
              f"unsharded: {len(want)}; {'identical' if same else 'DIFFERENT'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
