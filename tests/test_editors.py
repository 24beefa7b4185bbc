"""The editor set-ups of docs/editors.md against the real server. VS Code itself cannot be downloaded here, so the
extension (editors/vscode) is checked at the protocol level: the server it starts answers `initialize` with what
the extension relies on (its commands, hover, quick fixes, incremental sync). Neovim runs headless where it is
installed (Debian's 0.7 here: the core LSP client with the same command, file type and root as the
nvim-lspconfig snippet) and must show the deck's positioned finding."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("pygls")
import pytest_lsp  # noqa: E402
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from conftest import ROOT  # noqa: E402
from deckops import files  # noqa: E402

VSCODE = ROOT / "editors" / "vscode"
DOCS = ROOT / "docs" / "editors.md"


@pytest_lsp.fixture(scope="module", loop_scope="module",
                    config=ClientServerConfig(server_command=[sys.executable, "-m", "deckops", "lsp"]))
async def client(lsp_client: LanguageClient):
    yield


@pytest.mark.asyncio(loop_scope="module")
async def test_the_vscode_extension_gets_what_it_relies_on(client: LanguageClient):
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    assert manifest["contributes"]["configuration"]["properties"]["deckops.command"]["default"] == ["deckops", "lsp"]
    assert "onLanguage:markdown" in manifest["activationEvents"]
    source = (VSCODE / "extension.js").read_text(encoding="utf-8")
    # each palette command sends the server's command of the same stem (deckops.checkDeck -> deckops.check)
    palette = {c["command"] for c in manifest["contributes"]["commands"]}
    sent = {f"deckops.{m}" for m in re.findall(r'run\("(\w+)"', source)}
    assert {p.removesuffix("Deck") for p in palette} == sent

    result = await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=ROOT.as_uri()))
    caps = result.capabilities
    assert set(caps.execute_command_provider.commands) == sent
    assert caps.hover_provider and caps.code_action_provider
    sync = caps.text_document_sync
    assert (sync.change if hasattr(sync, "change") else sync) == types.TextDocumentSyncKind.Incremental
    await client.shutdown_session()


@pytest.mark.skipif(shutil.which("node") is None, reason="no Node.js")
def test_the_vscode_extension_is_valid_javascript():
    subprocess.run(["node", "--check", str(VSCODE / "extension.js")], check=True, timeout=60)


NVIM_INIT = """
local client_id = vim.lsp.start_client({
  name = "deckops",
  cmd = { os.getenv("DECKOPS_BIN"), "-m", "deckops", "lsp" },
  root_dir = vim.fn.getcwd(),
})
vim.cmd("edit deck.md")
vim.lsp.buf_attach_client(0, client_id)
vim.wait(240000, function() return #vim.diagnostic.get(0) > 0 end, 200)
local f = io.open(os.getenv("DECKOPS_NVIM_OUT"), "w")
for _, d in ipairs(vim.diagnostic.get(0)) do
  f:write(string.format("%d:%d %s\\n", d.lnum + 1, d.col + 1, tostring(d.code)))
end
f:close()
vim.cmd("qa!")
"""


@pytest.mark.skipif(shutil.which("nvim") is None, reason="Neovim is not installed (apt-get install neovim)")
def test_neovim_shows_the_finding(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "deck.md").write_text("---\nmarp: true\npagniate: true\n---\n\n# Title\n", encoding="utf-8")
    (tmp_path / "init.lua").write_text(NVIM_INIT, encoding="utf-8")
    out = tmp_path / "out.txt"
    env = {**os.environ, "DECKOPS_BIN": sys.executable, "DECKOPS_NVIM_OUT": str(out),
           "DECKOPS_CACHE": str(files.cache_home()),  # (the XDG_CACHE_HOME below is Neovim's, not deckops')
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CACHE_HOME": str(tmp_path / "xdg-cache")}
    subprocess.run(["nvim", "--headless", "-u", "init.lua"], cwd=tmp_path, env=env, timeout=300, check=True,
                   stdin=subprocess.DEVNULL, capture_output=True)
    assert out.read_text(encoding="utf-8").splitlines() == ["3:1 D102"]


def test_the_docs_name_the_commands_the_tests_use():
    text = DOCS.read_text(encoding="utf-8")
    for needle in ("deckops lsp", "editors/vscode", "nvim-lspconfig", "languages.toml", "deckops.check",
                   "deckops.rehearse"):
        assert needle in text, needle
