#!/usr/bin/env bash
# Runs a private image registry on this machine (Debian's `docker-registry`, the CNCF distribution
# registry), for Berth's BERTH_REGISTRY: images then move between pool hosts by push and pull instead of
# save → load. Bound to 127.0.0.1 only, with deletes enabled (Berth deletes an app's images from it).
# Every Docker Engine trusts a plain-http registry on 127.0.0.0/8, so the engines on this machine (the
# local one and scripts/pool-hosts.sh's) can use it as is. See docs/hosts.md.
#
# Usage: scripts/registry.sh install       install the package if missing (nothing started)
#        scripts/registry.sh start [PORT]   start one on 127.0.0.1:PORT (default 5000), installing the
#                                          package if needed; prints its address (127.0.0.1:PORT) on stdout
#        scripts/registry.sh status [PORT]  exit 0 when it answers, 1 otherwise
#        scripts/registry.sh stop [PORT]    stop it (its images stay on disk)
#        scripts/registry.sh purge [PORT]   stop it and delete its storage
# Env:   BERTH_DATA_DIR   config, storage and log go to $BERTH_DATA_DIR/registry/PORT (default .data)
set -euo pipefail

readonly WAIT_SECONDS=30
readonly BINARY=/usr/bin/docker-registry

log() { printf '[registry] %s\n' "$*" >&2; }
die() { printf '[registry] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  printf 'usage: %s install | start|status|stop|purge [PORT]\n' "$0" >&2
  exit 2
}

command=${1:-}
port=${2:-5000}
[[ "$port" =~ ^[0-9]+$ ]] && (( port > 0 && port < 65536 )) || usage

data_dir=${BERTH_DATA_DIR:-.data}
case "$data_dir" in /*) ;; *) data_dir="$PWD/$data_dir" ;; esac
readonly dir="$data_dir/registry/$port"
readonly pidfile="$dir/registry.pid"
readonly address="127.0.0.1:$port"

answers() { curl -fsS --max-time 2 "http://$address/v2/" >/dev/null 2>&1; }

# The pid in our pidfile, only while that process is still a registry serving our config.
our_pid() {
  local pid
  [[ -r "$pidfile" ]] || return 1
  pid=$(<"$pidfile")
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$dir/config.yml" || return 1
  printf '%s' "$pid"
}

install_package() {
  command -v curl >/dev/null 2>&1 || need_apt curl
  [[ -x "$BINARY" ]] && return 0
  need_apt docker-registry
}

# apt-get install, as root on a Debian-family system, with one `apt-get update` retry for stale lists.
need_apt() {
  local package=$1
  [[ "$(id -u)" -eq 0 ]] || die "$package is missing; install Debian's $package package as root"
  command -v apt-get >/dev/null 2>&1 || die "$package is missing and this is not a Debian-family system"
  log "installing Debian's $package package"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$package" >&2 ||
    { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$package" >&2; } ||
    die "apt-get could not install $package"
}

start() {
  if answers; then
    our_pid >/dev/null || die "something else already answers on $address"
    log "already running on $address"
    printf '%s\n' "$address"
    return 0
  fi
  install_package
  mkdir -p "$dir/storage"
  # The package's own config listens on every interface and points htpasswd at a directory; this one is
  # loopback only, anonymous, and allows deletes.
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  fields:
    service: berth-registry
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: $address
  headers:
    X-Content-Type-Options: [nosniff]
EOF
  log "starting $BINARY on $address (log: $dir/registry.log)"
  setsid "$BINARY" serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 </dev/null &
  printf '%s' "$!" >"$pidfile"
  local waited=0
  until answers; do
    if ! our_pid >/dev/null; then
      tail -n 20 "$dir/registry.log" >&2 || true
      die "the registry exited at once"
    fi
    (( waited++ < WAIT_SECONDS * 5 )) || die "no answer on $address after ${WAIT_SECONDS}s"
    sleep 0.2
  done
  log "ready on $address"
  printf '%s\n' "$address"
}

stop() {
  local pid
  if pid=$(our_pid); then
    log "stopping the registry on $address (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  else
    log "no registry of ours on $address"
  fi
  rm -f "$pidfile"
}

case "$command" in
  install) install_package; log "$("$BINARY" --version 2>/dev/null || echo "$BINARY")" ;;
  start) start ;;
  status) answers && our_pid >/dev/null && log "running on $address" || { log "not running on $address"; exit 1; } ;;
  stop) stop ;;
  purge) stop; rm -rf "$dir"; log "deleted $dir" ;;
  *) usage ;;
esac
