#!/usr/bin/env bash
# Installs the versions package-lock.json pins (a few seconds when node_modules is already in sync).
# Not `npm ci`: npm 11 writes lockfiles without other platforms' optional packages (e.g. unrs-resolver's
# bindings) and then `npm ci` refuses its own lockfile; `npm install` installs the locked versions all the same.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "[deps] npm install (locked versions)…"
npm install --no-audit --no-fund --loglevel=error
