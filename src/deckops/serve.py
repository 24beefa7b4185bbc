"""`deckops serve`: watch slides/, images/, themes/; re-lint and re-render on change; live preview on 127.0.0.1."""
from __future__ import annotations

import json
import mimetypes
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .config import Config
from .errors import UsageError
from .proc import ToolError

WATCHED = ("slides", "images", "themes")
# polls the version and reloads the page (keeping the #slide) when a rebuild finished
RELOAD = b"""<script>(()=>{let v=null;setInterval(async()=>{try{const r=await fetch('/__deckops__/version');
const n=(await r.json()).version;if(v!==null&&n!==v)location.reload();v=n}catch(e){}},700)})()</script>"""


class State:
    """The decks being served, their last rebuild and a version number the pages poll."""

    def __init__(self, decks: list[Path], config: Config, out: Path):
        self.decks, self.config, self.out = decks, config, out
        self.version = 0
        self.lock = threading.Lock()

    def rebuild(self) -> None:
        """Lint (results to the terminal) and re-render HTML; a failure is shown, the server keeps going."""
        from .decks import lint_decks
        from .render import render
        from .report.text import render as text_report

        diags = lint_decks(self.decks, self.config)
        try:
            diags += render(self.decks, self.config, self.out, ["html"], label="re-rendering").diags
        except (ToolError, UsageError) as exc:
            print(f"deckops serve: render failed: {exc}", file=sys.stderr)
        sys.stdout.write(text_report(diags, len(self.decks)))
        sys.stdout.flush()
        with self.lock:
            self.version += 1

    def page_for(self, url_path: str) -> Path | None:
        """The rendered HTML served at the deck's own place (/slides/talk.html), so relative images resolve."""
        for deck in self.decks:
            rel = deck.resolve().with_suffix(".html").relative_to(self.config.root.resolve())
            if url_path == "/" + rel.as_posix():
                return self.out / (deck.stem + ".html")
        return None


def make_handler(state: State):
    root = state.config.root.resolve()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            path = unquote(urlsplit(self.path).path)
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


def run(args, config: Config) -> int:
    import watchfiles

    from .decks import collect_decks
    from .render import out_dir

    decks = collect_decks(args.decks, config)
    outside = [d for d in decks if not d.resolve().is_relative_to(config.root.resolve())]
    if outside:
        raise UsageError(f"{outside[0]}: deckops serve previews decks inside the repository ({config.root}) only")
    state = State(decks, config, out_dir(args, config))
    state.rebuild()
    try:
        server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state))
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}; try --port") from None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"deckops serve: http://127.0.0.1:{server.server_address[1]}/ (^C to stop)", file=sys.stderr, flush=True)
    try:
        for _changes in watchfiles.watch(*watch_dirs(state), watch_filter=_not_output(state.out),
                                         debounce=300, raise_interrupt=False):
            state.rebuild()
    finally:
        server.shutdown()
    return 0


def _not_output(out: Path):
    """Ignore our own writes (when the output folder is inside a watched one) and editor temp files."""
    out = out.resolve()

    def keep(_change, path: str) -> bool:
        p = Path(path)
        return not p.is_relative_to(out) and not p.name.startswith((".", "#")) and not p.name.endswith("~")

    return keep
