"""`deckops lsp` end to end (pytest-lsp: the real server in a subprocess over stdio): a deck with known defects
gets positioned diagnostics with code, rule name and docs link; an edit gets the update; a quick fix applied to
the text removes its finding; hover shows a directive's effective value and where it was set; the findings are
the CLI's."""
from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("pygls")
import pytest_lsp  # noqa: E402
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from conftest import ROOT  # noqa: E402
from deckops.config import load as load_config  # noqa: E402
from deckops.lint import lint_files  # noqa: E402

pytestmark = pytest.mark.asyncio(loop_scope="module")

CACHE = tempfile.mkdtemp(prefix="deckops-lsp-test-cache-")
DECK = """---
marp: true
pagniate: true
footer: talk
---

# Debugging pods

![bg Left](images/missing.png)

# Second title on the same slide

---

<!-- _footer: special -->

## Slide two

Pods recieve the text here.
"""


@pytest_lsp.fixture(scope="module", loop_scope="module",
                    config=ClientServerConfig(server_command=[sys.executable, "-m", "deckops", "lsp"],
                                              server_env={**os.environ, "DECKOPS_CACHE": CACHE}))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(capabilities=client_capabilities("visual-studio-code"),
                                                               root_uri=ROOT.as_uri()))
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("talk")
    (root / ".git").mkdir()
    (root / "deck.md").write_text(DECK, encoding="utf-8")
    return root


async def _open(client: LanguageClient, path: Path, text: str) -> list[types.Diagnostic]:
    uri = path.as_uri()
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="markdown", version=1, text=text)))
    return await _diagnostics(client, uri)


async def _diagnostics(client: LanguageClient, uri: str, timeout: float = 300) -> list[types.Diagnostic]:
    async def wait():
        while uri not in client.diagnostics:
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        return client.diagnostics[uri]
    return await asyncio.wait_for(wait(), timeout)


def _where(diags) -> list[tuple[str, int, int]]:
    return sorted((d.code, d.range.start.line + 1, d.range.start.character + 1) for d in diags)


async def test_open_edit_fix(client: LanguageClient, repo: Path):
    path = repo / "deck.md"
    diags = await _open(client, path, DECK)
    where = _where(diags)
    assert ("D102", 3, 1) in where  # pagniate
    assert ("D202", 11, 1) in where  # the second h1
    assert ("D702", 9, 1) in where  # `Left`
    assert ("D301", 9, 1) in where
    d102 = next(d for d in diags if d.code == "D102")
    assert d102.severity == types.DiagnosticSeverity.Error and d102.source == "deckops"
    assert d102.message.startswith("unknown-directive: unknown directive `pagniate`")
    assert d102.range.end.character == len("pagniate:")
    assert d102.code_description is None or d102.code_description.href.endswith("rules.md#d102")

    # the CLI says the same of the same text
    cli = lint_files([path], load_config(repo, None), results=False)
    assert where == sorted((d.code, d.line, d.col) for d in cli)

    # an edit (the missing image's line removed) -> an update without D301/D702, for that version
    uri = path.as_uri()
    client.diagnostics.pop(uri)
    edited = DECK.replace("![bg Left](images/missing.png)\n", "")
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangeWholeDocument(text=edited)]))
    after = _where(await _diagnostics(client, uri))
    assert ("D301", 9, 1) not in after and ("D702", 9, 1) not in after
    assert ("D202", 10, 1) in after  # moved up one line

    # quick fix for the directive typo: rename to paginate
    d102 = next(d for d in client.diagnostics[uri] if d.code == "D102")
    acts = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri), d102.range, types.CodeActionContext(diagnostics=[d102])))
    assert [a.title for a in acts] == ["Rename to `paginate`"]
    (edit,) = acts[0].edit.changes[uri]
    lines = edited.split("\n")
    line = lines[edit.range.start.line]
    lines[edit.range.start.line] = line[:edit.range.start.character] + edit.new_text + line[edit.range.end.character:]
    fixed = "\n".join(lines)
    assert "paginate: true" in fixed
    client.diagnostics.pop(uri)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        [types.TextDocumentContentChangeWholeDocument(text=fixed)]))
    assert "D102" not in [c for c, _, _ in _where(await _diagnostics(client, uri))]

    # the slide-break fix inserts `---` before the second h1
    d202 = next(d for d in client.diagnostics[uri] if d.code == "D202")
    acts = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri), d202.range, types.CodeActionContext(diagnostics=[d202])))
    (edit,) = acts[0].edit.changes[uri]
    assert (edit.range.start.line, edit.range.start.character, edit.new_text) == (9, 0, "---\n\n")


async def test_hover_shows_the_effective_value_and_where_it_was_set(client: LanguageClient, repo: Path):
    path = repo / "hover.md"
    text = DECK.replace("pagniate", "paginate")
    path.write_text(text, encoding="utf-8")
    await _open(client, path, text)
    uri = path.as_uri()
    spot = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri),
                                                                     types.Position(14, 6)))
    assert "**footer**" in spot.contents.value and "`special`" in spot.contents.value
    assert "line 15" in spot.contents.value and "this slide only" in spot.contents.value
    front = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri),
                                                                     types.Position(3, 1)))
    assert "`talk`" in front.contents.value and "line 4 (front matter" in front.contents.value
    none = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri),
                                                                    types.Position(6, 3)))
    assert none is None


async def test_spelling_and_image_keyword_fixes(client: LanguageClient, repo: Path):
    path = repo / "fixes.md"
    diags = await _open(client, path, DECK)
    uri = path.as_uri()
    titles = {}
    for code in ("D503", "D702"):
        d = next(d for d in diags if d.code == code)
        acts = await client.text_document_code_action_async(types.CodeActionParams(
            types.TextDocumentIdentifier(uri), d.range, types.CodeActionContext(diagnostics=[d])))
        titles[code] = [a.title for a in acts]
    assert titles["D702"] == ["Write `left`"]
    assert 'Change to "receive"' in titles["D503"]


REHEARSED = """---
marp: true
---

# A demo

```console
$ echo hello
goodbye
```
"""


async def _rehearsed(client: LanguageClient, path: Path, with_uri: bool) -> str:
    """Open REHEARSED at `path`, run deckops.rehearse --no-cluster on it (its URI as the first argument, or none,
    as Helix sends), and check the stale output came back as a D801 at its command; the URI."""
    path.write_text(REHEARSED, encoding="utf-8")
    await _open(client, path, REHEARSED)
    uri = path.as_uri()
    client.diagnostics.pop(uri)
    result = await asyncio.wait_for(client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="deckops.rehearse", arguments=[uri, "--no-cluster"] if with_uri else ["--no-cluster"])), 600)
    assert result["findings"] == 1, result
    diags = await _diagnostics(client, uri)
    assert [(d.code, d.range.start.line + 1) for d in diags if d.code.startswith("D8")] == [("D801", 8)]
    return uri


async def test_rehearse_command_brings_its_findings_back_as_diagnostics(client: LanguageClient, repo: Path):
    """The real `deckops rehearse --no-cluster` on the saved deck: the stale output is a D801 at its command."""
    uri = await _rehearsed(client, repo / "demo.md", with_uri=True)
    # an edit clears them (they described the saved text)
    client.diagnostics.pop(uri)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangeWholeDocument(text=REHEARSED.replace("goodbye", "hello"))]))
    assert not [d for d in await _diagnostics(client, uri) if d.code.startswith("D8")]


async def test_a_command_without_a_uri_is_for_the_deck_last_opened(client: LanguageClient, repo: Path):
    """Helix's `:lsp-workspace-command deckops.rehearse` sends no arguments (its log showed pygls refusing the
    call): the command runs on the deck last opened or edited, and arguments that are no URI go to the command."""
    await _rehearsed(client, repo / "helix.md", with_uri=False)


async def test_an_edit_is_linted_as_the_new_text(client: LanguageClient, repo: Path):
    """Rules memoise per deck path within a run; the server must not carry that over to the next edit."""
    path = repo / "typing.md"
    text = "---\nmarp: true\n---\n\n# Pods\n\nPods receive traffic.\n"
    assert not [d for d in await _open(client, path, text) if d.code == "D503"]
    uri = path.as_uri()
    client.diagnostics.pop(uri)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangeWholeDocument(text=text.replace("receive", "recieve"))]))
    assert [(d.code, d.range.start.line + 1) for d in await _diagnostics(client, uri) if d.code == "D503"] == \
        [("D503", 7)]


def _row(code, name, severity, line, col, message, hint) -> tuple:
    return (code, name, severity, line, col, message, hint)


async def test_four_ways_agree_on_the_corpus(client: LanguageClient, tmp_path, monkeypatch):
    """The corpus linted as the CLI does, replayed from the result cache, incrementally (each deck linted after an
    edited text of it with the same chunk parser and the run caches the server carries from one lint to the
    next: unchanged slides' model and per-slide rule results reused), and by the server after the same edit:
    the same findings, field for field."""
    from deckops import deck as deck_mod
    from deckops import files
    from deckops.lint import lint_bytes
    from deckops.lint.session import CARRIED
    from test_lint_cache import CORPUS

    monkeypatch.setattr(files, "CACHE_HOME", tmp_path / "cache")
    cli, replay, incremental, served = [], [], [], []
    reused = 0
    for path in CORPUS:
        config = load_config(path.parent, None)
        cli += [_row(d.code, d.name, d.severity, d.line, d.col, d.message, d.hint)
                for d in lint_files([path], config, results=False)]
        lint_files([path], config)
        replay += [_row(d.code, d.name, d.severity, d.line, d.col, d.message, d.hint)
                   for d in lint_files([path], config)]
        data = path.read_bytes()
        edited = data.replace(b"\n\n", b" edited\n\n", 3)  # (the lines stay in place: later slides are reused)
        parser, run = deck_mod.chunk_parser(), {}
        lint_bytes(edited, str(path), config, run, {}, None, parser)
        carried = {k: v for k, v in run.items() if k[0] in CARRIED}
        incremental += [_row(d.code, d.name, d.severity, d.line, d.col, d.message, d.hint)
                        for d in lint_bytes(data, str(path), config, carried, {}, None, parser)]
        reused += parser.reused
        await _open(client, path, edited.decode("utf-8"))
        uri = path.as_uri()
        client.diagnostics.pop(uri, None)
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [types.TextDocumentContentChangeWholeDocument(text=data.decode("utf-8"))]))
        for d in await _diagnostics(client, uri):
            f = d.data
            served.append(_row(d.code, f["name"], {1: "error", 2: "warning", 3: "info"}[d.severity], f["line"],
                               f["col"], f["message"], f["hint"]))
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(path.as_uri())))
    assert len(cli) > 50 and reused > 10  # (slides of the corpus reused after the edit)
    assert replay == cli
    assert incremental == cli
    assert served == cli


async def test_the_config_is_the_clis_and_read_again(client: LanguageClient, tmp_path):
    """deckops.toml beside the deck applies as in the CLI; an edit to it applies at the next change."""
    (tmp_path / ".git").mkdir()
    path = tmp_path / "deck.md"
    assert "D102" in [d.code for d in await _open(client, path, DECK)]
    (tmp_path / "deckops.toml").write_text('ignore = ["unknown-directive"]\n', encoding="utf-8")
    uri = path.as_uri()
    client.diagnostics.pop(uri)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangeWholeDocument(text=DECK + "\n")]))
    codes = [d.code for d in await _diagnostics(client, uri)]
    assert "D102" not in codes and "D202" in codes
