"""The pygls wiring: open/change -> debounced lint on one worker thread -> publishDiagnostics; hover; code
actions; the commands deckops.check and deckops.rehearse, which run the real stages outside the edit loop."""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
import sys
import tempfile
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from .. import __version__
from .. import config as config_mod
from ..config import Config, ConfigError
from ..diagnostic import Diagnostic, Pos
from ..errors import UsageError
from ..lint.session import Session
from . import actions, convert, hover

DEBOUNCE = 0.05  # seconds of quiet after a keystroke before the lint starts (a newer keystroke restarts it)
STAGE_TIMEOUT = 1800  # deckops.check / deckops.rehearse: real renders, browsers and clusters
_MARP = re.compile(r"\A\ufeff?---[ \t]*\n(?:.*\n)*?[ \t]*marp[ \t]*:[ \t]*true\b")


class DeckServer(LanguageServer):
    def __init__(self):
        super().__init__("deckops", __version__)
        self.lint_pool = concurrent.futures.ThreadPoolExecutor(1, "deckops-lint")  # rules share one cache
        self.stage_pool = concurrent.futures.ThreadPoolExecutor(1, "deckops-stage")
        # per uri: the deck's chunk parser, and lint's caches kept across edits (kubectl help, shellcheck results,
        # per-slide results); used on the lint thread only
        self.session = Session()
        self.memory: dict = {}  # replayed findings of recent texts (resultcache, in memory)
        self.pending: dict[str, asyncio.Task] = {}
        self.findings: dict[str, list[Diagnostic]] = {}  # lint's, per uri
        self.stage_findings: dict[str, list[Diagnostic]] = {}  # from deckops.check / rehearse, until an edit
        self.decks: dict[str, tuple[str, object]] = {}  # uri -> (text, Deck) of the last parse
        self.last_uri: str | None = None  # the deck last opened, edited, hovered or fixed: a command's default


SERVER = DeckServer()


def _config(path: Path) -> Config:
    """The config the CLI would use for this deck (nearest deckops.toml / pyproject.toml), read at every lint (a
    millisecond): an edit to the config file applies at the next keystroke, as at the next `deckops lint`."""
    return config_mod.load(path.parent, None)


def is_deck(path: Path, text: str, config: Config) -> bool:
    """Marp decks only: `marp: true` in the front matter, any deck but a README in a repository with a deckops
    config (as `deckops lint FOLDER` reads them), or a Markdown file under the repository's slides/."""
    if _MARP.match(text) or (config.source != "<defaults>" and path.name.lower() != "readme.md"):
        return True
    try:
        path.resolve().relative_to((config.root / "slides").resolve())
        return True
    except ValueError:
        return False


def lint_text(uri: str, path: Path, text: str) -> list[Diagnostic]:
    """The CLI's lint of this text as if saved at `path` (same config, rules, inline disables)."""
    config = _config(path)
    if not is_deck(path, text, config):
        return []

    def keep(deck):
        SERVER.decks[uri] = (text, deck)

    return SERVER.session.lint_bytes(text.encode("utf-8", "surrogatepass"), str(path), config, SERVER.memory, keep,
                                     uri)


def full_collection() -> None:
    SERVER.session.full_collection()


def publish(uri: str, version: int | None = None) -> None:
    doc = SERVER.workspace.get_text_document(uri)
    lines = doc.source.split("\n")
    diags = [convert.to_lsp(d, lines) for d in (*SERVER.findings.get(uri, ()), *SERVER.stage_findings.get(uri, ()))]
    SERVER.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diags,
                                                                            version=version))


async def relint(uri: str, delay: float) -> None:
    await asyncio.sleep(delay)
    doc = SERVER.workspace.get_text_document(uri)
    if not uri.startswith("file:"):
        return
    version, text = doc.version, doc.source
    try:
        found = await asyncio.get_running_loop().run_in_executor(SERVER.lint_pool, lint_text, uri, Path(doc.path),
                                                                 text)
    except (ConfigError, UsageError) as exc:
        SERVER.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"deckops: {exc}"))
        found = [Diagnostic("D000", "config-error", "error", Pos(doc.path, 1, 1), str(exc))]
    except Exception as exc:  # noqa: BLE001 - the editor gets a finding, the server keeps serving
        found = [Diagnostic("D000", "internal-error", "error", Pos(doc.path, 1, 1),
                            f"deckops lsp could not lint this deck: {type(exc).__name__}: {exc}",
                            "please report this with the deck that triggers it")]
    if SERVER.workspace.get_text_document(uri).version != version:
        return  # a newer keystroke's lint follows
    SERVER.findings[uri] = found
    publish(uri, version)
    if SERVER.session.due():
        SERVER.session.lints = 0
        SERVER.lint_pool.submit(full_collection)  # before the next lint, on the lint thread


def schedule(uri: str, delay: float) -> None:
    old = SERVER.pending.pop(uri, None)
    if old is not None:
        old.cancel()
    SERVER.pending[uri] = asyncio.ensure_future(relint(uri, delay))


@SERVER.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: DeckServer, params: types.DidOpenTextDocumentParams) -> None:
    SERVER.last_uri = params.text_document.uri
    schedule(params.text_document.uri, 0)


@SERVER.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: DeckServer, params: types.DidChangeTextDocumentParams) -> None:
    SERVER.stage_findings.pop(params.text_document.uri, None)  # they described the text before this edit
    SERVER.last_uri = params.text_document.uri
    schedule(params.text_document.uri, DEBOUNCE)


@SERVER.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: DeckServer, params: types.DidSaveTextDocumentParams) -> None:
    schedule(params.text_document.uri, 0)  # files beside it may have changed too (a new image)


@SERVER.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: DeckServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    for table in (SERVER.findings, SERVER.stage_findings, SERVER.decks):
        table.pop(uri, None)
    # its parser and its slides' kept rule results, on the lint thread (the only one that touches the session
    # during a lint)
    SERVER.lint_pool.submit(SERVER.session.forget, uri)
    if SERVER.last_uri == uri:
        SERVER.last_uri = None
    SERVER.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _deck(uri: str):
    """The model of the document's current text (parsed here when the lint was replayed without a parse)."""
    from .. import deck as deck_mod

    doc = SERVER.workspace.get_text_document(uri)
    text, deck = SERVER.decks.get(uri, (None, None))
    if text != doc.source:
        deck = deck_mod.parse(doc.source.encode("utf-8", "surrogatepass"), doc.path)
        SERVER.decks[uri] = (doc.source, deck)
    return deck


@SERVER.feature(types.TEXT_DOCUMENT_HOVER)
def on_hover(ls: DeckServer, params: types.HoverParams) -> types.Hover | None:
    SERVER.last_uri = params.text_document.uri
    text = hover.hover_text(_deck(params.text_document.uri), params.position.line + 1, params.position.character + 1)
    if text is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


@SERVER.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
def code_actions(ls: DeckServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = SERVER.last_uri = params.text_document.uri
    lines = SERVER.workspace.get_text_document(uri).source.split("\n")
    out = []
    for diag in params.context.diagnostics:
        if diag.source != "deckops" or not isinstance(diag.data, dict) or not isinstance(diag.code, str):
            continue
        for fix in actions.fixes(diag.code, diag.data, lines):
            start = types.Position(fix.line - 1, fix.col - 1)
            end = types.Position(fix.line - 1, fix.col - 1 + len(fix.old))
            edit = types.WorkspaceEdit(changes={uri: [types.TextEdit(types.Range(start, end), fix.new)]})
            out.append(types.CodeAction(title=fix.title, kind=types.CodeActionKind.QuickFix, diagnostics=[diag],
                                        edit=edit, is_preferred=len(out) == 0))
    return out


# --- the slow stages, as commands ------------------------------------------------------------------------

def _stage_command(stage: str, path: Path, extra: list[str], out: Path) -> list[str]:
    argv = [sys.executable, "-m", "deckops", stage, *extra]
    if stage == "check":
        return [*argv, "--format", "json", "--output", str(out / "findings.json"), "--out", str(out / "dist"),
                str(path)]
    return [*argv, "--findings", str(out / "findings.json"), str(path)]


def _findings(out: Path) -> list[Diagnostic]:
    """The stage's findings, in lint's JSON format (check --format json, rehearse --findings)."""
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return [Diagnostic.from_dict(r) for r in doc["diagnostics"]]


def run_stage(stage: str, path: Path, extra: list[str]) -> tuple[list[Diagnostic], str]:
    """The real `deckops check|rehearse` on the saved file; its findings on this deck, and its last line."""
    from .. import proc
    from ..lint.catalogue import catalogue

    with tempfile.TemporaryDirectory(prefix=f"deckops-lsp-{stage}-") as tmp:
        out = Path(tmp)
        res = proc.run(_stage_command(stage, path, extra, out), cwd=_config(path).root, timeout=STAGE_TIMEOUT,
                       check=False)
        try:
            found = _findings(out)
        except (OSError, ValueError, KeyError, TypeError):
            found = []
        tail = (res.stdout + res.stderr).strip().splitlines()
        # lint's findings are already shown (from the text being edited): only the stage's own come back
        stages = {e.code for e in catalogue().values() if e.stage != "lint"}
        mine = [d for d in found if Path(d.path).resolve() == path.resolve() and d.code in stages]
        return mine, f"deckops {stage}: exit {res.returncode}" + (f": {tail[-1]}" if tail else "")


def _target(arguments: tuple) -> tuple[str | None, tuple]:
    """The deck a command is for: its first argument when that is a URI (VS Code and Neovim
    send it), else the deck last opened, edited, hovered or fixed (Helix's `:lsp-workspace-command` sends no
    arguments); the rest go to the command line."""
    if arguments and isinstance(arguments[0], str) and "://" in arguments[0]:
        return arguments[0], arguments[1:]
    return SERVER.last_uri, arguments


async def _stage(stage: str, arguments: tuple) -> dict:
    uri, extra = _target(arguments)
    if uri is None:
        message = f"deckops.{stage}: no deck is open: open a Marp deck first (or pass its URI)"
        SERVER.window_show_message(types.ShowMessageParams(types.MessageType.Error, message))
        return {"findings": 0, "summary": message}
    doc = SERVER.workspace.get_text_document(uri)
    found, summary = await asyncio.get_running_loop().run_in_executor(
        SERVER.stage_pool, run_stage, stage, Path(doc.path), [str(a) for a in extra])
    SERVER.stage_findings[uri] = found
    publish(uri, doc.version)
    SERVER.window_show_message(types.ShowMessageParams(types.MessageType.Info, summary))
    return {"findings": len(found), "summary": summary}


@SERVER.command("deckops.check")
async def check(ls: DeckServer, *arguments) -> dict:
    """Render the saved deck and check it in Chromium; the findings come back as diagnostics."""
    return await _stage("check", arguments)


@SERVER.command("deckops.rehearse")
async def rehearse(ls: DeckServer, *arguments) -> dict:
    """Run the saved deck's snippets (extra arguments go to `deckops rehearse`, e.g. --no-cluster)."""
    return await _stage("rehearse", arguments)


def main() -> int:
    SERVER.start_io()
    return 0
