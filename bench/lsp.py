"""Keystroke-to-diagnostics latency of `deckops lsp`, through the real server over stdio, on the 200- and 2,000-slide
decks of bench/lint_scale.py.

Per size: open the deck (the first lint, cold), then type: one character per keystroke into a line of prose in
the middle slide (an incremental didChange, as editors send), waiting after each for the publishDiagnostics of
that document version. The latency includes the server's debounce (lsp/server.py DEBOUNCE) and the lint.
Prints median and 90th percentile over --keys keystrokes, and the server's CPU time per keystroke (the steadier
figure on a shared machine). Goals: <= 150 ms at 200 slides, <= 500 ms at 2,000.
Usage: .venv/bin/python bench/lsp.py [--keys N]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

from lint_scale import generate  # noqa: E402
from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

GOALS = {200: 0.150, 2000: 0.500}
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """The server's CPU time so far, with its finished children's (bash -n, kubectl): /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / TICK


class Client(LanguageClient):
    def __init__(self):
        super().__init__("deckops-bench", "1")
        self.published: dict[int | None, float] = {}
        self.event = asyncio.Event()


async def _wait(client: Client, version: int, timeout: float = 600) -> float:
    deadline = time.monotonic() + timeout
    while version not in client.published:
        client.event.clear()
        await asyncio.wait_for(client.event.wait(), max(deadline - time.monotonic(), 0.001))
    return client.published[version]


async def measure(deck: Path, keys: int, env: dict) -> tuple[float, list[float], list[float]]:
    client = Client()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams):
        client.published[params.version] = time.monotonic()
        client.event.set()

    await client.start_io(sys.executable, "-m", "deckops", "lsp", env=env, cwd=str(deck.parent))
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(),
                                                         root_uri=deck.parent.as_uri()))
    client.initialized(types.InitializedParams())
    uri, text = deck.as_uri(), deck.read_text(encoding="utf-8")
    started = time.monotonic()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="markdown", version=1, text=text)))
    first = await _wait(client, 1) - started
    lines = text.split("\n")
    target = next(i for i in range(len(lines) // 2, len(lines)) if lines[i].startswith("- Kubernetes schedules"))
    col = len(lines[target])
    latencies, cpu = [], []
    pid = client._server.pid
    for k in range(keys):
        version = k + 2
        before = cpu_seconds(pid)
        sent = time.monotonic()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangePartial(
                range=types.Range(types.Position(target, col + k), types.Position(target, col + k)),
                text="s" if k % 2 == 0 else " ")]))
        latencies.append(await _wait(client, version) - sent)
        cpu.append(cpu_seconds(pid) - before)
        await asyncio.sleep(0.2)  # a typist's pause: every keystroke gets its own lint
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return first, latencies, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keys", type=int, default=20, help="keystrokes per deck (default: 20)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="deckops-bench-lsp-") as tmp:
        folder = Path(tmp)
        (folder / ".git").mkdir()
        env = {**os.environ, "DECKOPS_CACHE": str(folder / "cache")}
        for n, goal in GOALS.items():
            deck = generate(folder, n)
            first, lat, cpu = asyncio.run(measure(deck, args.keys, env))
            med, p90 = statistics.median(lat), sorted(lat)[int(0.9 * (len(lat) - 1))]
            print(f"{n:>5} slides: open -> diagnostics {first:.2f}s; keystroke -> diagnostics median "
                  f"{med * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms over {len(lat)} keys "
                  f"(server CPU per keystroke: median {statistics.median(cpu) * 1000:.0f} ms); "
                  f"goal <= {goal * 1000:.0f} ms: {'met' if med <= goal else 'NOT met'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
