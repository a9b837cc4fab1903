#!/usr/bin/env bash
# Starts Berth on this machine: dependencies, Docker Engine (installed when absent), offline base images,
# build, then the API (which starts embedded PostgreSQL unless DATABASE_URL is set and runs migrations).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
if [ "${BERTH_SKIP_DOCKER:-}" != "1" ]; then
  bash scripts/docker-bootstrap.sh
  bash scripts/build-base-images.sh
fi
echo "[up] building…"
npm run --silent build
echo "[up] starting the API…"
exec node dist/apps/api/src/main.js
