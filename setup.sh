#!/usr/bin/env bash
# Install everything deckops and the talk need on a fresh Debian machine; safe to run again.
# venv + Python deps, npm ci (the pinned marp-cli), Chromium from apt when no Chrome/Chromium is found,
# poppler-utils (pdftoppm, used to look at PDFs).
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '\n== %s\n' "$*"; }

need_apt=()
if [ -z "${CHROME_PATH:-}" ] && ! command -v chromium >/dev/null && ! command -v google-chrome >/dev/null; then
  need_apt+=(chromium)
fi
command -v pdftoppm >/dev/null || need_apt+=(poppler-utils)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

say "Python venv (.venv) and deckops with test extras"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

say "npm ci (pinned @marp-team/marp-cli)"
if [ ! -x node_modules/.bin/marp ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi

say "ready: $(.venv/bin/deckops --version), marp-cli $(node_modules/.bin/marp --version 2>/dev/null | head -1)"
