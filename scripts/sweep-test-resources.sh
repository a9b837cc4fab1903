#!/usr/bin/env bash
# Removes every container, network and image that carries a `berth.test-run` label: the safety net behind
# each test file's own cleanup, for runs that were killed before their afterAll hooks ran.
set -uo pipefail
docker info >/dev/null 2>&1 || exit 0
containers=$(docker ps -aq --filter label=berth.test-run)
[ -n "$containers" ] && docker rm -f $containers >/dev/null && echo "[sweep] removed $(echo "$containers" | wc -l) test container(s)"
networks=$(docker network ls -q --filter label=berth.test-run)
[ -n "$networks" ] && docker network rm $networks >/dev/null && echo "[sweep] removed $(echo "$networks" | wc -l) test network(s)"
images=$(docker images -q --filter label=berth.test-run | sort -u)
[ -n "$images" ] && docker rmi -f $images >/dev/null && echo "[sweep] removed $(echo "$images" | wc -l) test image(s)"
exit 0
