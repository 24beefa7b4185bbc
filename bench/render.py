#!/usr/bin/env python3
"""Render benchmark: deckops render against plain marp-cli, measured in the same run; prints ratios.

For N decks (6 and 20) rendered to PDF: (a) N separate marp calls, (b) the best single `marp -I -P` call,
(c) `deckops render` cold; then a no-change rebuild against the cold build; then what browser checks add.
Goals: (c) <= 0.25x (a) and <= 1.1x (b); no-change rebuild <= 0.05x cold; checks on 20 decks <= 0.25x of
their PDF render. Usage: .venv/bin/python bench/render.py [N ...]
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARP = ROOT / "node_modules" / ".bin" / "marp"
LOGO = ROOT / "tests" / "data" / "render" / "talk" / "images" / "logo.svg"


def deck(n: int) -> str:
    """An 8-slide talk with headings, lists, a code block and a local image; text varies per deck."""
    slides = [f"---\nmarp: true\npaginate: true\n---\n\n# Talk {n}: debugging pods\n\n![w:120 logo](../images/logo.svg)\n"]
    for s in range(2, 9):
        slides.append(
            f"## Part {s} of talk {n}\n\n- point {s}.1 about kubectl\n- point {s}.2 about events\n"
            f"- point {s}.3 about logs\n\n```console\n$ kubectl get pods -n talk-{n}\nNAME  READY  STATUS\n"
            f"app-{s}  1/1  Running\n```\n")
    return "\n---\n\n".join(slides)


def make_repo(base: Path, count: int) -> Path:
    repo = base / f"repo{count}"
    (repo / "slides").mkdir(parents=True)
    (repo / "images").mkdir()
    (repo / ".git").mkdir()
    shutil.copy(LOGO, repo / "images" / "logo.svg")
    for n in range(count):
        (repo / "slides" / f"talk{n:02d}.md").write_text(deck(n))
    return repo


def chrome() -> str:
    """The browser deckops would pick; every run (marp alone or through deckops) gets the same one."""
    sys.path.insert(0, str(ROOT / "src"))
    from deckops.marp import find_chrome

    return find_chrome()


CHROME = chrome()


CPU: dict[object, list[float]] = {}  # command key -> CPU-seconds of each run (the process and what it waited for)


def cpu_seconds() -> float:
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def timed(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Wall time and CPU-seconds (the process and what it waited for) of one run."""
    # Python keeps deckops' bytecode as an installed copy does (in the bench's temp dir, not in the checkout),
    # even where PYTHONDONTWRITEBYTECODE is set (this sandbox), so no run pays for compiling deckops again
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"NO_COLOR": "1", "CHROME_PATH": CHROME, "PYTHONPYCACHEPREFIX": str(cwd.parent / "pycache")}
    c, t = cpu_seconds(), time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t, cpu_seconds() - c


def timed_all(argvs: list[list[str]], cwd: Path, key) -> float:
    """The commands one after the other: their wall time summed; their CPU-seconds summed into CPU[key]."""
    runs = [timed(argv, cwd) for argv in argvs]
    CPU.setdefault(key, []).append(sum(cpu for _, cpu in runs))
    return sum(wall for wall, _ in runs)


def deckops(*args: str) -> list[str]:
    return [sys.executable, "-m", "deckops", *args]


def best(runs: int, make_argv, cwd: Path) -> float:
    """The fastest of `runs` cold runs (each into a fresh output folder): the machine is shared and noisy."""
    return min(timed(make_argv(i), cwd)[0] for i in range(runs))


def bench(base: Path, count: int, runs: int = 5) -> dict[str, float]:
    """Every figure `runs` times in interleaved rounds (one of each per round, so a load swing on the shared
    machine hits them alike), keeping each one's best; (a), N marp calls one after the other, is one figure."""
    repo = make_repo(base, count)
    decks = sorted((repo / "slides").glob("*.md"))
    r = {}
    commands = {"a": lambda i: [[str(MARP), "--no-stdin", "--no-config-file", "--pdf", "--allow-local-files", str(d),
                                 "-o", f"out-a{i}/{d.stem}.pdf"] for d in decks]}
    commands |= {("b", p): (lambda i, p=p: [[str(MARP), "--no-stdin", "--no-config-file", "--pdf",
                                            "--allow-local-files", "-I", "slides", "-o", f"out-b{p}-{i}", "-P", str(p)]])
                 for p in sorted({5, count})}
    commands |= {
        "c": lambda i: [deckops("render", "slides", "--to", "pdf", "--out", f"dist-c{i}")],
        "html_pdf": lambda i: [deckops("render", "slides", "--to", "html,pdf", "--out", f"dist-d{i}")],
        "build": lambda i: [deckops("build", "slides", "--out", f"dist-e{i}")],
        "check": lambda i: [deckops("check", "slides", "--out", f"dist-f{i}")],
        "lint": lambda i: [deckops("lint", "slides")],
    }
    CPU.clear()
    rounds = [{key: timed_all(make_argvs(i), repo, key) for key, make_argvs in commands.items()} for i in range(runs)]
    got = {key: min(r_[key] for r_ in rounds) for key in commands}
    r["b"], r["b_p"] = min((got[("b", p)], p) for p in sorted({5, count}))
    r |= {key: got[key] for key in ("a", "c", "html_pdf", "build", "check", "lint")}
    ratios = sorted(x["c"] / x["a"] for x in rounds)  # (c)/(a) within each round
    r["ca_median"] = ratios[len(ratios) // 2]
    # what the checks add, per round (the runs of one round meet the same load), then the median round
    added = sorted((x["build"] - x["html_pdf"] - x["lint"]) / x["c"] for x in rounds)
    r["added_median"] = added[len(added) // 2]
    r["rounds"] = runs
    # CPU-seconds (median run): what each costs the machine, much less swayed by other tenants than wall time
    cpu = {key: sorted(v)[len(v) // 2] for key, v in CPU.items()}
    r["cpu_c"], r["cpu_b"] = cpu["c"], cpu[("b", r["b_p"])]
    r["cpu_added"] = cpu["build"] - cpu["html_pdf"] - cpu["lint"]
    r["rebuild"] = best(3, lambda i: deckops("render", "slides", "--to", "pdf", "--out", "dist-c0"), repo)
    return r


def main(counts: list[int]) -> int:
    print(f"browser for every run: {CHROME}")
    with tempfile.TemporaryDirectory(prefix="deckops-bench-") as tmp:
        for count in counts:
            r = bench(Path(tmp), count)
            added = r["build"] - r["html_pdf"] - r["lint"]  # build = lint + html/pdf + checks
            print(f"N={count} (best of {r['rounds']} interleaved cold runs): (a) {count} marp calls {r['a']:.1f}s | (b) marp -I -P{r['b_p']} {r['b']:.1f}s | "
                  f"(c) deckops render {r['c']:.1f}s")
            print(f"  (c)/(a) = {r['c'] / r['a']:.2f} (goal <= 0.25; within a round, median: {r['ca_median']:.2f})   (c)/(b) = {r['c'] / r['b']:.2f} (goal <= 1.1)")
            print(f"  no-change rebuild {r['rebuild']:.2f}s / cold {r['c']:.1f}s = {r['rebuild'] / r['c']:.3f} "
                  "(goal <= 0.05)")
            print(f"  browser checks: build {r['build']:.1f}s - render html+pdf {r['html_pdf']:.1f}s - lint {r['lint']:.1f}s "
                  f"= {added:.1f}s added; / PDF render {r['c']:.1f}s = {added / r['c']:.2f} (goal <= 0.25); "
                  f"the same per round, median of {r['rounds']} rounds: {r['added_median']:.2f}")
            print(f"  CPU-seconds (median run): (c) {r['cpu_c']:.1f} / (b) {r['cpu_b']:.1f} = "
                  f"{r['cpu_c'] / r['cpu_b']:.2f}; checks add {r['cpu_added']:.1f} = {r['cpu_added'] / r['cpu_c']:.2f} "
                  "of the PDF render's")
            print(f"  deckops check alone (lint + HTML + Chromium) {r['check']:.1f}s (lint alone "
                  f"{r['lint']:.1f}s); / PDF render = {r['check'] / r['c']:.2f}")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main([int(a) for a in sys.argv[1:]] or [6, 20]))
