#!/usr/bin/env bash
# The whole test suite, from a fresh clone: dependencies, a Docker Engine and the offline base images,
# then type-check, lint, unit tests, medium tests (real PostgreSQL, fake engine) and e2e tests on real
# PostgreSQL and real Docker.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
step() { echo; echo "[test] $* ($(( $(date +%s) - start ))s)"; }

step "dependencies"
bash scripts/ensure-deps.sh
step "docker engine"
bash scripts/docker-bootstrap.sh
step "base images"
bash scripts/build-base-images.sh
step "image registry (Debian's docker-registry, for the BERTH_REGISTRY tests)"
bash scripts/registry.sh install
step "chromium (the dashboard's browser test)"
if [[ ! -x /usr/bin/chromium ]]; then
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "[test] /usr/bin/chromium is missing: run 'sudo apt-get install -y chromium' (the dashboard test needs it)" >&2
    exit 1
  fi
  echo "[test] /usr/bin/chromium is missing; installing Debian's chromium with apt-get (a minute or two)"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
  echo "[test] $(/usr/bin/chromium --version 2>/dev/null | tail -1) installed"
else
  echo "[test] $(/usr/bin/chromium --version 2>/dev/null | tail -1)"
fi

step "pebble (the ACME test CA of test/ingress/acme.e2e-spec.ts)"
if [[ ! -x /usr/bin/pebble ]]; then
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "[test] /usr/bin/pebble is missing: run 'sudo apt-get install -y pebble' (the ACME test needs it)" >&2
    exit 1
  fi
  echo "[test] /usr/bin/pebble is missing; installing Debian's pebble with apt-get"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y pebble
fi
echo "[test] pebble $(dpkg-query -W -f='${Version}' pebble 2>/dev/null)"

# Whatever happens below, no container, network or image made by this test run survives it.
BERTH_TEST_RUN="t$(date +%s)$$"
export BERTH_TEST_RUN
sweep() {
  bash scripts/sweep-test-resources.sh "$BERTH_TEST_RUN" || true
}
trap sweep EXIT

step "type-check and build"
npx tsc -p tsconfig.json --noEmit
npm run --silent build
step "lint"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
# The rooms: entries only, no folder cycle, Docker only in libs/engine, fakes only in tests (.dependency-cruiser.cjs).
npx depcruise --config .dependency-cruiser.cjs libs apps packages test bench scripts migrations
# The committed spec against Redocly's recommended rules (redocly.yaml): 0 errors.
npx redocly lint --format=stylish
mkdir -p .data
step "unit tests"
NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects unit --ci --json --outputFile=.data/jest-unit.json
step "medium tests (services and the reconciler on real PostgreSQL, FakeEngine, no Docker)"
NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects medium --runInBand --ci --json --outputFile=.data/jest-medium.json
step "e2e tests (real PostgreSQL, real Docker)"
NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects e2e --runInBand --ci --forceExit --json --outputFile=.data/jest-e2e.json
step "done"
# One closing line for the three runs, in the plain form CI reads.
node -e '
  const runs = [".data/jest-unit.json", ".data/jest-medium.json", ".data/jest-e2e.json"].map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
  const sum = (k) => runs.reduce((n, r) => n + r[k], 0);
  console.log(`${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed`);
'
