// deckops for VS Code: starts `deckops lsp` (stdio) for Markdown files; the server decides which are Marp decks.
// The commands run the real stages on the saved file; their findings come back as diagnostics.
"use strict";
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const settings = vscode.workspace.getConfiguration("deckops");
  const [command, ...args] = settings.get("command", ["deckops", "lsp"]);
  client = new LanguageClient(
    "deckops",
    "deckops",
    // stdio without `transport`: TransportKind.stdio would make vscode-languageclient append `--stdio`, which
    // `deckops lsp` rejects (exit 2; seen in code-server 4.139.1, docs/editors.md)
    { command, args },
    { documentSelector: [{ scheme: "file", language: "markdown" }] },
  );
  const run = (name, extra) => async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== "markdown") {
      vscode.window.showWarningMessage(`deckops: open a Marp deck to run ${name}`);
      return;
    }
    await editor.document.save();
    await client.sendRequest("workspace/executeCommand", {
      command: `deckops.${name}`,
      arguments: [editor.document.uri.toString(), ...extra()],
    });
  };
  // palette commands of their own: the client registers the server's deckops.check/deckops.rehearse itself
  // (they take the document's URI); these add the active document and save it first
  context.subscriptions.push(
    vscode.commands.registerCommand("deckops.checkDeck", run("check", () => [])),
    vscode.commands.registerCommand("deckops.rehearseDeck",
      run("rehearse", () => vscode.workspace.getConfiguration("deckops").get("rehearseArguments", []))),
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
