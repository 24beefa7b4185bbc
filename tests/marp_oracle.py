"""Marp's own answer for the conformance tests: one long-lived Node process running tests/oracle/marp_model.js
(the pinned marp-core from node_modules), asked one deck at a time over a pipe."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "oracle" / "marp_model.js"
MARP_CORE = ROOT / "node_modules" / "@marp-team" / "marp-core"


class Oracle:
    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None or not MARP_CORE.is_dir():
            raise RuntimeError("the conformance oracle needs node and node_modules (./setup.sh installs both)")
        self.proc = subprocess.Popen([node, str(SCRIPT), str(ROOT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, encoding="utf-8", bufsize=1)
        self.asked = 0

    def model(self, text: str) -> dict:
        self.asked += 1
        self.proc.stdin.write(json.dumps({"id": self.asked, "text": text}) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        assert answer["id"] == self.asked
        if "error" in answer:
            raise AssertionError(f"marp-core failed on this input: {answer['error']}")
        return answer["deck"]

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def deckops_model(text: str) -> dict:
    from deckops import deck
    from deckops.report.model import deck_data

    data = deck_data(deck.parse(text))
    data.pop("path")
    return data


def disagreement(text: str, marp: dict, ours: dict) -> str | None:
    """None when deckops reads the deck as Marp does; else both answers, slide by slide, and the input."""
    if marp == ours:
        return None
    lines = [f"input: {text!r}"]
    if marp["front_matter"] != ours["front_matter"]:
        lines.append(f"front matter: marp {marp['front_matter']} deckops {ours['front_matter']}")
    if len(marp["slides"]) != len(ours["slides"]):
        lines.append(f"slides: marp {len(marp['slides'])} deckops {len(ours['slides'])}")
    for m, o in zip(marp["slides"], ours["slides"]):
        for key in m:
            if m[key] != o.get(key):
                lines.append(f"slide {m['number']} {key}: marp {m[key]!r} deckops {o.get(key)!r}")
    return "\n".join(lines)
