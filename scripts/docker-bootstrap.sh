#!/usr/bin/env bash
# Makes sure a Docker Engine answers on this machine, installing and starting one if needed.
#
# Berth's e2e tests and one-machine trials need a real Docker Engine, but a fresh CI machine has
# none and usually no systemd to start one, so this script installs Debian's docker.io and runs
# dockerd itself, detached, logging under the data dir.
#
# Usage: scripts/docker-bootstrap.sh
# Env:   BERTH_DATA_DIR   where dockerd.log goes (default .data, relative to the current
#                         directory, like the api's own data dir)
#        DOCKER_HOST      honoured when checking; this script only ever starts the local engine
# Exit:  0 when `docker info` answers, 1 otherwise (with the reason and the tail of the log).
set -euo pipefail

readonly WAIT_SECONDS=90
readonly DEFAULT_SOCKET=unix:///var/run/docker.sock
readonly PIDFILE=/var/run/docker.pid

log() { printf '[docker-bootstrap] %s\n' "$*"; }
die() { printf '[docker-bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

# A hung daemon can leave `docker info` blocked forever on the socket, so every probe has a deadline.
docker_answers() {
  local version
  command -v docker >/dev/null 2>&1 || return 1
  version=$(timeout 10 docker info --format '{{.ServerVersion}}' 2>/dev/null) || return 1
  [[ -n "$version" ]]
}

server_version() { timeout 10 docker info --format '{{.ServerVersion}}' 2>/dev/null || true; }

if docker_answers; then
  log "docker already answers (server $(server_version) at ${DOCKER_HOST:-$DEFAULT_SOCKET}); nothing to do"
  exit 0
fi

# Starting a local daemon cannot fix an unreachable remote engine, so say so instead of pretending.
if [[ -n "${DOCKER_HOST:-}" && "$DOCKER_HOST" != "$DEFAULT_SOCKET" && "$DOCKER_HOST" != unix:///run/docker.sock ]]; then
  die "DOCKER_HOST=$DOCKER_HOST does not answer; this script only starts the local engine (unset DOCKER_HOST to use it)"
fi

if [[ "$(id -u)" -ne 0 ]]; then
  cat >&2 <<'EOF'
[docker-bootstrap] docker does not answer and this script is not running as root.
  Either run it as root (sudo scripts/docker-bootstrap.sh), or install and start Docker yourself
  (https://docs.docker.com/engine/install/) and add your user to the `docker` group
  (sudo usermod -aG docker "$USER", then log in again).
EOF
  exit 1
fi

if [[ ! -r /etc/debian_version ]] || ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<'EOF'
[docker-bootstrap] docker does not answer and this is not a Debian-family system, so this script
  cannot install it. Install Docker Engine for your distribution
  (https://docs.docker.com/engine/install/), start it, then check with `docker info`.
EOF
  exit 1
fi

data_dir=${BERTH_DATA_DIR:-.data}
mkdir -p "$data_dir"
data_dir=$(cd "$data_dir" && pwd -P)
daemon_log="$data_dir/dockerd.log"

# Two runs at once (e.g. parallel CI steps) must not both apt-get or both start dockerd: the
# second waits here, then finds docker answering. fd 9 is closed for dockerd below so the
# long-lived daemon never keeps holding this lock.
exec 9>"$data_dir/docker-bootstrap.lock"
if ! flock -n 9; then
  log "another docker-bootstrap is running; waiting for it"
  flock 9
fi
if docker_answers; then
  log "docker answers now (server $(server_version)); nothing to do"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  log "docker.io is not installed; installing it with apt-get (this takes a minute)"
  apt-get update
  # noninteractive: CI has no terminal to answer debconf questions.
  DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io
  log "docker.io installed: $(dockerd --version)"
fi

# The package's init script may already have started dockerd during the install; dockerd also
# refuses to start while its pidfile names a live process, and a pid that was reused by an
# unrelated process after a crash looks live. So: a live dockerd means wait for it, anything
# else in the pidfile is stale and goes.
running_pid=""
if [[ -s "$PIDFILE" ]]; then
  pid=$(tr -dc '0-9' <"$PIDFILE")
  if [[ -n "$pid" && -r "/proc/$pid/comm" && "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]]; then
    running_pid=$pid
    log "dockerd is already running (pid $pid) but not answering yet; waiting for it"
  else
    log "removing stale $PIDFILE (pid ${pid:-none} is not a running dockerd)"
    rm -f "$PIDFILE"
  fi
fi

if [[ -z "$running_pid" ]]; then
  log "starting dockerd in the background (log: $daemon_log)"
  printf '\n--- %s docker-bootstrap starts dockerd ---\n' "$(date -u +%FT%TZ)" >>"$daemon_log"
  # setsid + nohup: the daemon must outlive this script and the CI step's session and
  # must not get its SIGHUP; stdin from /dev/null so it never holds the caller's terminal.
  setsid nohup dockerd >>"$daemon_log" 2>&1 </dev/null 9>&- &
  running_pid=$!
fi

# Shows why dockerd is not answering. A dockerd started by the package's init script logs to
# /var/log/docker.log instead of ours.
show_logs() {
  local f
  for f in "$daemon_log" /var/log/docker.log; do
    [[ -s "$f" ]] || continue
    log "last lines of $f:" >&2
    tail -n 30 "$f" >&2 || true
  done
}

printf '[docker-bootstrap] waiting up to %ss for docker to answer ' "$WAIT_SECONDS"
deadline=$((SECONDS + WAIT_SECONDS))
while ! docker_answers; do
  if ! kill -0 "$running_pid" 2>/dev/null; then
    printf '\n'
    show_logs
    die "dockerd (pid $running_pid) exited without answering"
  fi
  if ((SECONDS >= deadline)); then
    printf '\n'
    show_logs
    die "dockerd (pid $running_pid) did not answer within ${WAIT_SECONDS}s"
  fi
  printf '.'
  sleep 1
done
printf ' ready\n'
log "docker answers (server $(server_version), dockerd pid $running_pid)"
