#!/usr/bin/env bash
# Removes every container, volume, network and image labelled `berth.test-run=<id>` (the run id given as $1, or
# $BERTH_TEST_RUN), and the image registries that run started: the safety net behind each test file's
# own cleanup, for runs killed before their afterAll hooks ran. Other runs' resources (a developer's
# concurrent run) are left alone.
set -uo pipefail
run_id="${1:-${BERTH_TEST_RUN:-}}"
[ -n "$run_id" ] || { echo "[sweep] no run id given" >&2; exit 0; }
# Registries the run started (test/support/registry.ts) and did not purge: stop them, drop their storage.
# An absolute path without "..": registry.sh recognises its process by the config path in its command line.
registries_dir="$(cd "$(dirname "$0")/.." && pwd)/.data/test-registries/$run_id"
if [ -d "$registries_dir" ]; then
  for dir in "$registries_dir"/registry/*/; do
    [ -d "$dir" ] || continue
    BERTH_DATA_DIR="$registries_dir" bash "$(dirname "$0")/registry.sh" purge "$(basename "$dir")" 2>/dev/null &&
      echo "[sweep] stopped test registry on port $(basename "$dir")"
  done
  rm -rf "$registries_dir"
fi
docker info >/dev/null 2>&1 || exit 0
filter="label=berth.test-run=$run_id"
# Host guards remove their iptables rules on SIGTERM; the forced removal below would SIGKILL them and
# leave the rules behind, so they are stopped first.
mapfile -t guards < <(docker ps -q --filter "$filter" --filter label=berth.role=host-guard)
if [ ${#guards[@]} -gt 0 ]; then
  docker stop -t 10 "${guards[@]}" >/dev/null && echo "[sweep] stopped ${#guards[@]} host guard(s)"
fi
mapfile -t containers < <(docker ps -aq --filter "$filter")
if [ ${#containers[@]} -gt 0 ]; then
  docker rm -f "${containers[@]}" >/dev/null && echo "[sweep] removed ${#containers[@]} test container(s)"
fi
mapfile -t volumes < <(docker volume ls -q --filter "$filter")
if [ ${#volumes[@]} -gt 0 ]; then
  docker volume rm -f "${volumes[@]}" >/dev/null && echo "[sweep] removed ${#volumes[@]} test volume(s)"
fi
mapfile -t networks < <(docker network ls -q --filter "$filter")
if [ ${#networks[@]} -gt 0 ]; then
  docker network rm "${networks[@]}" >/dev/null && echo "[sweep] removed ${#networks[@]} test network(s)"
fi
mapfile -t images < <(docker images -q --filter "$filter" | sort -u)
if [ ${#images[@]} -gt 0 ]; then
  docker rmi -f "${images[@]}" >/dev/null && echo "[sweep] removed ${#images[@]} test image(s)"
fi
exit 0
