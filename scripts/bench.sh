#!/usr/bin/env bash
# `npm run bench [-- --quick] [-- --only deploy,density]`: builds, makes sure the offline base images
# exist, then runs every benchmark against its raw Docker baseline (bench/run.ts). Needs a running
# Docker Engine (scripts/docker-bootstrap.sh) and network access to registry.npmjs.org for the cold
# deploy's `npm install`. Writes bench/results/latest.json; methods are in bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
bash scripts/build-base-images.sh
exec node dist/bench/run.js "$@"
