// The benchdsl extension: starts `benchdsl lsp` for .bench files and restarts it when its settings change.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const config = vscode.workspace.getConfiguration("benchdsl");
  return {
    command: config.get("server.path", "benchdsl"),
    args: config.get("server.args", ["lsp"]),
  };
}

async function start(context) {
  client = new LanguageClient("benchdsl", "benchdsl", serverOptions(), {
    // The server registers its own file watchers (rules and panels changed outside the editor).
    documentSelector: [{ scheme: "file", language: "bench" }],
  });
  try {
    await client.start();
  } catch (err) {
    const command = serverOptions().command;
    vscode.window.showErrorMessage(
      `benchdsl: could not start \`${command} lsp\` (${err.message || err}). ` +
        "Install it with pip install 'benchdsl[lsp]' and set benchdsl.server.path to the benchdsl command."
    );
  }
}

async function activate(context) {
  await start(context);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("benchdsl.server")) {
        if (client) {
          await client.stop().catch(() => undefined);
        }
        await start(context);
      }
    })
  );
}

async function deactivate() {
  if (client) {
    await client.stop();
  }
}

module.exports = { activate, deactivate };
