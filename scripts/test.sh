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
# The e2e files that start no container run beside the others, as a run of their own (own PostgreSQL).
SIDE_RUN="${BERTH_TEST_RUN}s"
# test/tenant-networks.e2e-spec.ts (64 tenants' builds and networks, the longest file by far) runs beside
# the Docker band too: it takes subnets from a pool of its own (10.62.0.0/16), outside every other file's.
NETWORKS_RUN="${BERTH_TEST_RUN}n"
sweep() {
  bash scripts/sweep-test-resources.sh "$BERTH_TEST_RUN" || true
  bash scripts/sweep-test-resources.sh "$SIDE_RUN" || true
  bash scripts/sweep-test-resources.sh "$NETWORKS_RUN" || true
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
# Files that use the API and PostgreSQL but no Docker: one band of their own, in parallel with the Docker
# band (its own run id, so its own PostgreSQL server and database). A file left off this list runs in the
# Docker band, which is always safe.
NO_DOCKER_E2E=(
  test/audit-events.e2e-spec.ts test/authorization-matrix.e2e-spec.ts test/build-queue.e2e-spec.ts
  test/database.e2e-spec.ts test/embedded-database.e2e-spec.ts test/errors.e2e-spec.ts test/fuzz.e2e-spec.ts
  test/identity.e2e-spec.ts test/logs/build-follow-slot.e2e-spec.ts test/logs/log-stream-protocol.e2e-spec.ts
  test/logs/stream-revocation.e2e-spec.ts test/metering/egress-ledger.e2e-spec.ts
  test/metering/usage-api.e2e-spec.ts test/openapi.e2e-spec.ts test/read-budget.e2e-spec.ts test/change-budget.e2e-spec.ts
)
NETWORKS_E2E=(test/tenant-networks.e2e-spec.ts)
ignore_pattern="$(printf '%s|' "${NO_DOCKER_E2E[@]}" "${NETWORKS_E2E[@]}")"
# band <name> <run id> <files...>: one jest process of its own (own run id, so its own PostgreSQL), in the
# background, its output kept for the end.
band_pids=()
band_names=()
band() {
  local name="$1" run_id="$2"
  shift 2
  BERTH_TEST_RUN="$run_id" NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects e2e --runInBand \
    --ci --forceExit --json --outputFile=".data/jest-e2e-$name.json" --runTestsByPath "$@" \
    > ".data/jest-e2e-$name.log" 2>&1 &
  band_pids+=($!)
  band_names+=("$name")
}
band side "$SIDE_RUN" "${NO_DOCKER_E2E[@]}"
band networks "$NETWORKS_RUN" "${NETWORKS_E2E[@]}"
failed=()
NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects e2e --runInBand --ci --forceExit \
  --json --outputFile=.data/jest-e2e.json --testPathIgnorePatterns "${ignore_pattern%|}" || failed+=("Docker band exit $?")
for i in "${!band_pids[@]}"; do
  code=0
  wait "${band_pids[$i]}" || code=$?
  echo "[test] e2e band '${band_names[$i]}' (run beside the Docker band):"
  cat ".data/jest-e2e-${band_names[$i]}.log"
  (( code == 0 )) || failed+=("band ${band_names[$i]} exit $code")
done
if (( ${#failed[@]} > 0 )); then
  echo "[test] e2e failed (${failed[*]})" >&2
  exit 1
fi
step "done"
# One closing line for every run, in the plain form CI reads.
node -e '
  const runs = [".data/jest-unit.json", ".data/jest-medium.json", ".data/jest-e2e.json", ".data/jest-e2e-side.json", ".data/jest-e2e-networks.json"].map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
  const sum = (k) => runs.reduce((n, r) => n + r[k], 0);
  console.log(`${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed`);
'
