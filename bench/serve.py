#!/usr/bin/env python3
"""Save-to-reload of `deckops serve` against `marp --watch` on the same 20-slide deck, in the same run.

marp --watch (the peer, no sandbox, no lint): from the save until its HTML holds the new text. deckops serve:
from the save until a page waiting on /__deckops__/wait (what the preview page does) is told to reload, and the
HTML it then loads holds the new text; that includes lint of the deck and the sandboxed marp-cli. Median of
--saves saves each, the two interleaved. Goals: deckops <= 1.5x marp --watch and <= 1.0 s.
Usage: .venv/bin/python bench/serve.py [--saves 7] [--slides 20]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARP = ROOT / "node_modules" / ".bin" / "marp"
LOGO = ROOT / "tests" / "data" / "clean" / "images" / "logo.svg"


def deck(slides: int, mark: str) -> str:
    parts = [f"---\nmarp: true\npaginate: true\n---\n\n# Debugging pods ({mark})\n\n![w:160 The logo](../images/logo.svg)\n"]
    for s in range(2, slides + 1):
        parts.append(f"## Step {s}\n\n- look at the events of step {s}\n- then the logs\n\n```bash\n"
                     f"$ kubectl get pods -n demo-{s}\nNAME  READY\napp   1/1\n```\n")
    return "\n---\n\n".join(parts) + "\n"


def save(path: Path, text: str) -> float:
    tmp = path.with_name(".bench.swap")
    tmp.write_text(text)
    start = time.monotonic()
    os.replace(tmp, path)  # what editors that write atomically do
    return start


def wait_for(pred, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise TimeoutError("no reload")
        time.sleep(0.005)


def contains(path: Path, mark: str) -> bool:
    try:
        return mark.encode() in path.read_bytes()
    except OSError:
        return False


class Peer:
    """marp --watch on its own copy of the repo."""

    def __init__(self, repo: Path):
        self.repo = repo
        self.proc = subprocess.Popen([str(MARP), "--no-stdin", "--no-config-file", "--watch", "-I", "slides", "-o",
                                      "out"], cwd=repo, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: (repo / "out" / "talk.html").is_file())

    def one(self, slides: int, mark: str) -> float:
        start = save(self.repo / "slides" / "talk.md", deck(slides, mark))
        wait_for(lambda: contains(self.repo / "out" / "talk.html", mark))
        return time.monotonic() - start

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


class Serve:
    def __init__(self, repo: Path):
        self.repo, self.log = repo, repo.parent / "serve.log"
        with open(self.log, "w") as fh:
            self.proc = subprocess.Popen([sys.executable, "-m", "deckops", "serve", "--port", "0"], cwd=repo,
                                         stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                         env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT / "src")},
                                         start_new_session=True)
        wait_for(lambda: re.search(r"127\.0\.0\.1:(\d+)/", self.log.read_text()))
        self.base = "http://127.0.0.1:" + re.search(r"127\.0\.0\.1:(\d+)/", self.log.read_text()).group(1)

    def _get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.base + path, timeout=120) as r:
            return r.read()

    def one(self, slides: int, mark: str) -> float:
        seen = json.loads(self._get("/__deckops__/version"))["version"]
        told = {}
        waiter = threading.Thread(target=lambda: told.update(json.loads(self._get(f"/__deckops__/wait?v={seen}"))))
        waiter.start()  # the preview page, waiting for the next version
        time.sleep(0.2)  # let the page's request arrive first, as it would have long before the save
        start = save(self.repo / "slides" / "talk.md", deck(slides, mark))
        waiter.join(120)
        elapsed = time.monotonic() - start
        assert told.get("version", seen) > seen and mark.encode() in self._get("/slides/talk.html"), "stale page"
        return elapsed

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGINT)
        self.proc.wait(60)


def make_repo(base: Path, name: str, slides: int) -> Path:
    repo = base / name
    for d in ("slides", "images", ".git"):
        (repo / d).mkdir(parents=True)
    shutil.copy(LOGO, repo / "images" / "logo.svg")
    (repo / "slides" / "talk.md").write_text(deck(slides, "start"))
    return repo


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--saves", type=int, default=7)
    ap.add_argument("--slides", type=int, default=20)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="deckops-serve-") as tmp:
        peer = Peer(make_repo(Path(tmp), "peer", opts.slides))
        serve = Serve(make_repo(Path(tmp), "serve", opts.slides))
        times = {"marp --watch": [], "deckops serve": []}
        try:
            for k in range(opts.saves + 1):  # the first save of each warms up (not counted)
                for name, tool in (("marp --watch", peer), ("deckops serve", serve)):
                    t = tool.one(opts.slides, f"save-{k}")
                    if k:
                        times[name].append(t)
        finally:
            peer.stop()
            serve.stop()
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["deckops serve"] / med["marp --watch"]
    print(f"{opts.slides}-slide deck, median of {opts.saves} saves (save -> reload)")
    for name, values in times.items():
        print(f"  {name:<14} {med[name]:.3f} s   (min {min(values):.3f}, max {max(values):.3f})")
    print(f"  deckops serve = {ratio:.2f}x marp --watch (goal <= 1.5x: {'met' if ratio <= 1.5 else 'MISSED'}); "
          f"{med['deckops serve']:.3f} s (goal <= 1.0 s: {'met' if med['deckops serve'] <= 1.0 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
