"""Lint time at 200 and 2,000 slides: deckops against rumdl (a Rust linter, pinned from PyPI, run without its
cache) and markdownlint-cli2 on the same files, in the same run.

deckops is timed five ways: "unchanged" (the deck linted before: the result cache replays it), "one slide
edited" (a word added to one line of the middle slide before each run: a full lint in a fresh process with the
tools' caches warm), the same two with `deckops lint --daemon` (the lint daemon, started before and given the
deck once, keeps its slides: an edit redoes the slide edited; CPU time is the client's plus the daemon's, read
from /proc), and "empty caches" (each run from a fresh cache folder, as in a CI job without a cache). Each figure is the best
of --repeat runs, the tools interleaved; wall time, and the child's CPU time (this machine is shared: CPU is the
steadier figure). Goals at 2,000 slides, against rumdl: unchanged <= 1.0x, one slide edited (daemon) <= 2x,
empty caches <= 4x; and 10x slides <= 11x time.
Usage: .venv/bin/python bench/lint_scale.py [--repeat N]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from deckops import proc  # noqa: E402

SIZES = (200, 2000)
LOGO = ROOT / "tests" / "data" / "clean" / "images" / "logo.svg"
MARKDOWNLINT = ROOT / "node_modules" / ".bin" / "markdownlint-cli2"
RUMDL = Path(sys.executable).parent / "rumdl"  # the test extra pins it (pyproject.toml)
# deckops / rumdl at 2,000 slides. One slide edited is the daemon's case: a fresh process parses all 2,000
# slides again (its figure is printed beside it, with no goal: ~15x on 2026-11-29)
GOALS = {"unchanged": 1.0, "one slide edited, daemon": 2.0, "empty caches": 4.0}

FRONT = """---
marp: true
theme: gaia
paginate: true
size: 16:9
header: 'Scale test'
footer: 'deckops bench'
---
"""

SLIDE = """
# Slide {i}: debugging workload {i}

- Kubernetes schedules the pods of deployment web-{i} on nodes
- Inspektor Gadget and mirrord help to see what happens inside
- Use `kubectl get pods -n demo-{i}` to list them

![Diagram of workload {i}](images/logo.svg)
"""

CONSOLE = """
```console
$ kubectl get pods -n demo-{i} -o wide
NAME        READY   STATUS    RESTARTS   AGE
web-{i}     1/1     Running   0          5s
$ kubectl logs web-{i} -n demo-{i} --tail 20 \\
>   --timestamps
2024-01-01T00:00:00Z started (pid {i})
```
"""

BASH = """
```bash
for pod in $(kubectl get pods -n "demo-{i}" -o name); do
  kubectl describe "$pod" -n "demo-{i}" | grep -i events
done
```
"""

YAML = """
```yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{i}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web-{i}
  template:
    metadata:
      labels:
        app: web-{i}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: 80
```
"""


def slide(i: int) -> str:
    parts = ["\n---\n" if i > 1 else ""]
    if i % 10 == 0:
        parts.append("\n<!-- _class: lead -->\n<!-- backgroundColor: #fff -->\n")
    parts.append(SLIDE.format(i=i))
    parts.append(CONSOLE.format(i=i) if i % 2 else "")
    parts.append(BASH.format(i=i) if i % 3 == 0 else "")
    parts.append(YAML.format(i=i) if i % 5 == 0 else "")
    return "".join(parts)


def generate(folder: Path, slides: int) -> Path:
    (folder / "images").mkdir(parents=True, exist_ok=True)
    shutil.copy(LOGO, folder / "images" / "logo.svg")
    deck = folder / f"deck-{slides}.md"
    deck.write_text(FRONT + "".join(slide(i) for i in range(1, slides + 1)), encoding="utf-8")
    return deck


def once(argv: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) for one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    res = proc.run(argv, cwd=cwd, env=env, timeout=900, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode not in (0, 1):
        raise SystemExit(f"{argv[0]} failed ({res.returncode}):\n{res.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def edit_one_slide(deck: Path, n: int, run: int) -> None:
    """A word added to a line of the middle slide: a new text (no result to replay), the same tools' work."""
    lines = deck.read_text(encoding="utf-8").split("\n")
    target = next(i for i in range(len(lines) // 2, len(lines)) if lines[i].startswith("- Kubernetes schedules"))
    lines[target] += f" edit{run}"
    deck.write_text("\n".join(lines), encoding="utf-8")


def measure(deck: Path, n: int, cwd: Path, env: dict, repeat: int) -> dict[str, dict]:
    """Best wall and CPU time per tool and case, the runs interleaved (a busy machine slows all alike)."""
    ours = [sys.executable, "-m", "deckops", "lint", "--no-hints", deck.name]
    peers = {"rumdl": [str(RUMDL), "check", "--no-cache", deck.name], "markdownlint-cli2": [str(MARKDOWNLINT), deck.name]}
    out: dict[str, dict] = {}

    def keep(name: str, wall: float, cpu: float) -> None:
        best = out.setdefault(name, {"wall": float("inf"), "cpu": float("inf")})
        best["wall"], best["cpu"] = min(best["wall"], wall), min(best["cpu"], cpu)

    # the daemon's own cache folder: it must not replay what the in-process runs stored (nor they its results)
    denv = {**env, "DECKOPS_CACHE": f"{env['DECKOPS_CACHE']}-daemon"}
    relayed = [*ours[:4], "--daemon", *ours[4:]]
    once(ours, cwd, env)  # fills the shared caches (kubectl help, shellcheck) for the warm runs
    proc.run([sys.executable, "-m", "deckops", "daemon", "start", "--idle", "600"], cwd=cwd, env=denv, timeout=120)
    pid = int(_daemon_status(denv)["pid"])
    once(relayed, cwd, denv)  # the daemon's first lint of the deck: a full one, its slides kept from here on
    try:
        for r in range(repeat):
            edit_one_slide(deck, n, r)
            keep("one slide edited", *once(ours, cwd, env))
            keep("one slide edited, daemon", *once_relayed(relayed, cwd, denv, pid))
            keep("unchanged", *once(ours, cwd, env))  # the same text again: replayed
            keep("unchanged, daemon", *once_relayed(relayed, cwd, denv, pid))
            _finish_round(keep, peers, cwd, env, ours, r)
    finally:
        proc.run([sys.executable, "-m", "deckops", "daemon", "stop"], cwd=cwd, env=denv, timeout=120, check=False)
    return out


def _finish_round(keep, peers: dict, cwd: Path, env: dict, ours: list, r: int) -> None:
    for name, argv in peers.items():
        keep(name, *once(argv, cwd, env))
    fresh = {**env, "DECKOPS_CACHE": f"{env['DECKOPS_CACHE']}-cold-{r}"}
    keep("empty caches", *once(ours, cwd, fresh))


def shellcheck_floor(deck: Path, cwd: Path, env: dict) -> tuple[int, float, float]:
    """(blocks, wall, CPU) of shellcheck alone on the deck's distinct shell blocks, as deckops sends them (one
    call, its arguments): what no cache-less lint of the deck can go below while it shellchecks every block."""
    from deckops import deck as deck_mod
    from deckops.config import load
    from deckops.lint import snippets
    from deckops.lint.engine import Context

    ctx = Context(deck_mod.load(deck), load(deck.parent), {})
    texts = sorted({s.text for s in snippets.shell_scripts(ctx) if s.bash and not snippets.plain_commands(s.text)})
    binary = snippets.shellcheck_binary()
    with tempfile.TemporaryDirectory(prefix="deckops-bench-sc-") as tmp:
        names = snippets._write_blocks(Path(tmp), list(enumerate(texts)))  # (the very files deckops writes)
        argv = [binary, "--format=json1", "--shell=bash", "--exclude=" + ",".join(snippets.SHELLCHECK_EXCLUDE),
                *names]
        best = min((once(argv, Path(tmp), env) for _ in range(2)), key=lambda t: t[1])
    return len(texts), *best


def _daemon_status(env: dict) -> dict:
    from deckops import relay

    return relay.ask(relay.address(env), {"ping": True}, timeout=60)


def _cpu_of(pid: int) -> float:
    """utime + stime of a process that is not our child (the daemon), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def once_relayed(argv: list[str], cwd: Path, env: dict, pid: int) -> tuple[float, float]:
    """once() through the daemon: the wall time of the client, and the CPU time of client and daemon together
    (the daemon does the lint; counting only the client would hide it)."""
    before = _cpu_of(pid)
    wall, cpu = once(argv, cwd, env)
    return wall, cpu + _cpu_of(pid) - before


CASES = ("unchanged", "unchanged, daemon", "one slide edited", "one slide edited, daemon", "empty caches")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per tool, case and size (best is kept)")
    args = ap.parse_args()
    for tool, hint in ((MARKDOWNLINT, "run `npm ci` first"), (RUMDL, "pip install 'deckops[test]' (rumdl)")):
        if not tool.exists():
            print(f"{tool.name} missing: {hint}", file=sys.stderr)
            return 2
    results: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="deckops-bench-") as tmp:
        folder = Path(tmp)
        (folder / ".git").mkdir()  # the repo root for deckops' path checks
        for n in SIZES:
            # Python keeps deckops' bytecode as an installed copy does (in the temp dir, not in the checkout),
            # even where PYTHONDONTWRITEBYTECODE is set (this sandbox)
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env |= {"NO_COLOR": "1", "DECKOPS_CACHE": str(folder / f"cache-{n}"),
                    "PYTHONPYCACHEPREFIX": str(folder / "pycache")}
            deck = generate(folder, n)
            lines = deck.read_text().count("\n")
            m = results[n] = measure(deck, n, folder, env, args.repeat)
            rumdl, mdl = m["rumdl"], m["markdownlint-cli2"]
            print(f"{n:>5} slides ({lines:,} lines): rumdl {rumdl['wall']:.2f}s (CPU {rumdl['cpu']:.2f}s)  "
                  f"markdownlint-cli2 {mdl['wall']:.2f}s (CPU {mdl['cpu']:.2f}s)", flush=True)
            for case in CASES:
                c = m[case]
                print(f"      deckops {case:<25} {c['wall']:6.2f}s  {c['wall'] / rumdl['wall']:5.2f}x rumdl  "
                      f"{c['wall'] / mdl['wall']:5.2f}x markdownlint-cli2  |  CPU {c['cpu']:.2f}s "
                      f"{c['cpu'] / rumdl['cpu']:5.2f}x rumdl", flush=True)
    small, big = results[SIZES[0]], results[SIZES[1]]
    factor = SIZES[1] // SIZES[0]
    grow = big["one slide edited"]["wall"] / small["one slide edited"]["wall"]
    print(f"scaling {factor}x slides: deckops (one slide edited) {grow:.1f}x time, rumdl "
          f"{big['rumdl']['wall'] / small['rumdl']['wall']:.1f}x, markdownlint-cli2 "
          f"{big['markdownlint-cli2']['wall'] / small['markdownlint-cli2']['wall']:.1f}x")
    deck = Path(tempfile.gettempdir()) / "deckops-bench-floor"
    deck.mkdir(exist_ok=True)
    blocks, sc_wall, sc_cpu = shellcheck_floor(generate(deck, SIZES[1]), deck, os.environ.copy())
    rumdl = big["rumdl"]
    print(f"floor for empty caches at {SIZES[1]} slides: shellcheck alone on the deck's {blocks} distinct shell "
          f"blocks {sc_wall:.2f}s wall, CPU {sc_cpu:.2f}s = {sc_cpu / rumdl['cpu']:.1f}x rumdl's CPU; even split "
          f"over both cores {sc_cpu / 2:.2f}s = {sc_cpu / 2 / rumdl['wall']:.1f}x rumdl's wall (goal "
          f"{GOALS['empty caches']:.0f}x)")
    shutil.rmtree(deck, ignore_errors=True)
    for case, goal in GOALS.items():
        ratio = big[case]["wall"] / big["rumdl"]["wall"]
        cpu = big[case]["cpu"] / big["rumdl"]["cpu"]
        print(f"goal {case} <= {goal:.1f}x rumdl at {SIZES[1]} slides: {'met' if ratio <= goal else 'NOT met'} "
              f"({ratio:.2f}x wall, {cpu:.2f}x CPU)")
    print(f"goal {factor}x slides <= {factor * 1.1:.0f}x time: {'met' if grow <= factor * 1.1 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
