"""The live preview behind `deckops serve`: watch slides/, images/, themes/; re-lint and re-render on change; serve
on 127.0.0.1. It reports through the callbacks it is given and prints nothing itself."""
from __future__ import annotations

import json
import logging
import mimetypes
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, unquote, urlsplit

from .config import Config
from .errors import UsageError
from .proc import ToolError

log = logging.getLogger(__name__)  # notes for the user: the commands layer shows them on stderr

WATCHED = ("slides", "images", "themes")
# waits (long poll) for the next version and reloads the page, keeping the #slide: reload at once after a rebuild
RELOAD = b"""<script>(async()=>{let v=null;for(;;){try{const r=await fetch('/__deckops__/wait?v='+(v??''));
const n=(await r.json()).version;if(v!==null&&n!==v){location.reload();return}v=n}catch(e){
await new Promise(f=>setTimeout(f,1000))}}})()</script>"""
LONG_POLL = 25.0  # seconds a /__deckops__/wait request is held when nothing changes


class State:
    """The decks being served, their findings, the live marp-cli and a version number the pages poll."""

    def __init__(self, decks: list[Path], config: Config, out: Path):
        self.decks, self.config, self.out = decks, config, out
        self.version = 0
        self.lock = threading.Condition()
        self.findings: dict[Path, list] = {}  # deck -> its lint and render findings
        self.live = None

    def start(self, tmp: Path) -> list:
        """Lint every deck and start the live renderer; every finding."""
        from .render.live import LiveHtml

        self.live = LiveHtml(self.config, self.out, tmp)
        self._lint(self.decks)
        self._add(self._render(lambda: self.live.start(self.decks)))
        self._bump()
        return self.all_findings()

    def changed(self, paths: set[Path]) -> tuple[list, str]:
        """Handle one batch of saved files: (the new findings, the one-line summary). The page is told to
        reload as soon as the HTML is out; lint runs meanwhile (a deck) or after (an image)."""
        start = time.monotonic()
        decks = [d for d in self.decks if d.resolve() in paths]
        before = {d: self.findings.get(d, []) for d in self.decks}
        if any(p.suffix.lower() == ".css" for p in paths):  # a theme: marp-cli restarts with the new set
            what, linted = "theme", self.decks
            refused = self._render(lambda: self.live.start(self.decks))
        elif decks:
            what, linted = ", ".join(_rel(d, self.config.root) for d in decks), decks
            waits = [self.live.begin(d) for d in decks]  # marp-cli renders them while they are linted
            linting = threading.Thread(target=self._lint, args=(decks,))
            linting.start()
            refused = [d for finish in waits for d in self._render(finish)]
            self._bump()
            linting.join()
            linted = []
        else:  # an image: nothing to re-render (pages load it from the repo); its decks' findings may change
            what, linted, refused = ", ".join(sorted(_rel(p, self.config.root) for p in paths)), self.decks, []
        if linted:
            self._lint(linted)
            self._bump()
        self._add(refused)
        new = [f for d in self.decks for f in self.findings.get(d, []) if f not in before.get(d, [])]
        return new, self._summary(what, time.monotonic() - start, decks)

    def _lint(self, decks: list[Path]) -> None:
        """(One at a time. Every lint of the process keeps the decks' slides for the next: a save redoes the
        slides edited, as in the language server and the lint daemon; lint/session.py.)"""
        from .lint import keep_between_runs, lint_files

        session = keep_between_runs()
        for d in decks:
            self.findings[d] = list(lint_files([d], self.config))
        if session.due():
            session.full_collection()

    def _render(self, call) -> list:
        """Run one render step and return its D304 findings; a failure is shown, serving goes on."""
        try:
            return list(call() or [])
        except (ToolError, UsageError) as exc:
            log.info(f"deckops serve: render failed: {exc}")
            return []

    def _add(self, diags: list) -> None:
        """Render's refusals join their deck's findings, after the one finding filter (config select/ignore/
        severity, inline disables), unless lint named the same cause (code and position)."""
        from .findings import apply

        for diag in apply(diags, self.config):
            deck = next((d for d in self.decks if str(d) == diag.pos.path), None)
            known = {(f.code, f.pos) for f in self.findings.get(deck, [])}
            if deck is not None and (diag.code, diag.pos) not in known:
                self.findings[deck].append(diag)

    def _bump(self) -> None:
        with self.lock:
            self.version += 1
            self.lock.notify_all()

    def wait_version(self, seen: str) -> int:
        """The version once it differs from `seen` (what a page has), or after LONG_POLL seconds."""
        with self.lock:
            self.lock.wait_for(lambda: str(self.version) != seen, timeout=LONG_POLL)
            return self.version

    def all_findings(self) -> list:
        return [f for d in self.decks for f in self.findings.get(d, [])]

    def _summary(self, what: str, seconds: float, decks: list[Path]) -> str:
        mine = [f for d in decks for f in self.findings.get(d, [])]
        scope = f"{_counts(mine)} in it; " if decks else ""
        return (f"{time.strftime('%H:%M:%S')} reload #{self.version}: {what} changed, {seconds:.2f} s; "
                f"{scope}{_counts(self.all_findings())} in {len(self.decks)} deck{'s' * (len(self.decks) != 1)}")

    def page_for(self, url_path: str) -> Path | None:
        """The rendered HTML served at the deck's own place (/slides/talk.html), so relative images resolve."""
        for deck in self.decks:
            rel = deck.resolve().with_suffix(".html").relative_to(self.config.root.resolve())
            if url_path == "/" + rel.as_posix():
                return self.out / (deck.stem + ".html")
        return None


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _counts(diags) -> str:
    n = {s: sum(d.severity == s for d in diags) for s in ("error", "warning")}
    return f"{n['error']} error{'s' * (n['error'] != 1)}, {n['warning']} warning{'s' * (n['warning'] != 1)}"


def make_handler(state: State):
    root = state.config.root.resolve()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            url = urlsplit(self.path)
            path = unquote(url.path)
            if path == "/__deckops__/wait":
                seen = parse_qs(url.query).get("v", [""])[0]
                return self._send(json.dumps({"version": state.wait_version(seen)}).encode(), "application/json")
            if path == "/__deckops__/version":
                return self._send(json.dumps({"version": state.version}).encode(), "application/json")
            if path == "/":
                return self._send(_index(state), "text/html; charset=utf-8")
            page = state.page_for(path)
            if page is not None and page.is_file():
                html = page.read_bytes().replace(b"</body>", RELOAD + b"</body>", 1)
                return self._send(html, "text/html; charset=utf-8")
            target = (root / path.lstrip("/")).resolve()
            if not _servable(target, root):
                return self.send_error(HTTPStatus.NOT_FOUND)
            ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            return self._send(target.read_bytes(), ctype)

        def _send(self, body: bytes, ctype: str):
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # the terminal shows lint results, not access logs
            pass

    return Handler


def _servable(target: Path, root: Path) -> bool:
    """Only files inside the repo root, never under .git or dot-folders."""
    try:
        rel = target.relative_to(root)
    except ValueError:
        return False
    return target.is_file() and not any(part.startswith(".") for part in rel.parts)


def _index(state: State) -> bytes:
    root = state.config.root.resolve()
    links = "".join(f'<li><a href="/{d.resolve().with_suffix(".html").relative_to(root).as_posix()}">{d.name}</a></li>'
                    for d in state.decks)
    return f"<!doctype html><title>deckops serve</title><h1>Decks</h1><ul>{links}</ul>".encode()


def watch_dirs(state: State) -> list[Path]:
    dirs = {state.config.root / d for d in WATCHED} | {d.resolve().parent for d in state.decks}
    return sorted(d for d in dirs if d.is_dir())


def serve(state: State, port: int, watchfiles, ready: Callable[[str], None],
          changed: Callable[[list, str], None]) -> None:
    """Serve the preview until ^C: `ready(url)` once the watches are in place, `changed(new findings, summary)`
    after each batch of saved files."""
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(state))
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}; try --port") from None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # yield_on_timeout: the first (empty) batch comes once the watches are in place, so a save made right after
    # the URL is shown is seen
    changes = watchfiles.watch(*watch_dirs(state), watch_filter=_not_output(state.out), debounce=50, step=20,
                               rust_timeout=1000, yield_on_timeout=True, raise_interrupt=True)
    try:
        next(changes)
        ready(f"http://127.0.0.1:{server.server_address[1]}/")
        for batch in changes:
            if batch:
                changed(*state.changed({Path(p).resolve() for _c, p in batch}))
    finally:
        server.shutdown()


def _not_output(out: Path):
    """Ignore our own writes (when the output folder is inside a watched one) and editor temp files."""
    out = out.resolve()

    def keep(_change, path: str) -> bool:
        p = Path(path)
        return not p.is_relative_to(out) and not p.name.startswith((".", "#")) and not p.name.endswith("~")

    return keep
