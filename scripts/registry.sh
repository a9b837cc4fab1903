#!/usr/bin/env bash
# Runs a private image registry on this machine (Debian's `docker-registry`, the CNCF distribution
# registry), for Berth's BERTH_REGISTRY: images then move between pool hosts by push and pull instead of
# save → load. Bound to 127.0.0.1 only (tenant containers cannot reach the host's loopback), with deletes
# enabled (Berth deletes an app's images from it), and no anonymous access: `auth: token` with Berth as
# the token service. The script makes the token signing key (EC P-256, mode 0600) and its self-signed
# certificate, which the registry trusts; give the key to Berth (BERTH_REGISTRY_TOKEN_KEY). Every Docker
# Engine trusts a plain-http registry on 127.0.0.0/8, so the engines on this machine (the local one and
# scripts/pool-hosts.sh's) can use it as is. See docs/hosts.md.
#
# Usage: scripts/registry.sh install          install the packages if missing (nothing started)
#        scripts/registry.sh start [PORT]      start one on 127.0.0.1:PORT (default 5000), installing the
#                                             package if needed; prints its address (127.0.0.1:PORT) on stdout
#        scripts/registry.sh token-key [PORT]  prints the path of its token signing key (BERTH_REGISTRY_TOKEN_KEY)
#        scripts/registry.sh status [PORT]     exit 0 when it answers, 1 otherwise
#        scripts/registry.sh stop [PORT]       stop it (its images and key stay on disk)
#        scripts/registry.sh purge [PORT]      stop it and delete its storage and key
# Env:   BERTH_DATA_DIR   config, key, storage and log go to $BERTH_DATA_DIR/registry/PORT (default .data)
#        BERTH_REGISTRY_REALM   where docker clients are sent for tokens: Berth's GET /v1/registry/token
#                               (default http://127.0.0.1:3000/v1/registry/token)
#        BERTH_REGISTRY_SERVICE, BERTH_REGISTRY_TOKEN_ISSUER   names the tokens carry (defaults
#                               berth-registry and berth, as in Berth's own defaults)
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
readonly token_key="$dir/token.key"
readonly token_cert="$dir/token.crt"
readonly realm=${BERTH_REGISTRY_REALM:-http://127.0.0.1:3000/v1/registry/token}
readonly service=${BERTH_REGISTRY_SERVICE:-berth-registry}
readonly issuer=${BERTH_REGISTRY_TOKEN_ISSUER:-berth}

# Its API answers (401 without a token is an answer: it is there, and wants credentials).
answers() {
  local code
  code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 2 "http://$address/v2/" 2>/dev/null) || return 1
  [[ "$code" == 200 || "$code" == 401 ]]
}

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
  command -v openssl >/dev/null 2>&1 || need_apt openssl
  [[ -x "$BINARY" ]] && return 0
  need_apt docker-registry
}

# The key Berth signs registry tokens with, and the certificate the registry trusts; made once, kept
# across restarts (a new key would void the tokens Berth holds the old one for).
ensure_token_key() {
  [[ -s "$token_key" && -s "$token_cert" ]] && return 0
  log "making the token signing key $token_key"
  (umask 077 && openssl ecparam -genkey -name prime256v1 -noout -out "$token_key.tmp") >&2
  openssl req -x509 -new -key "$token_key.tmp" -subj "/CN=$issuer registry token signer" -days 3650 \
    -out "$token_cert.tmp" >&2 2>/dev/null || die "openssl could not make the token certificate"
  mv "$token_key.tmp" "$token_key"
  mv "$token_cert.tmp" "$token_cert"
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
  ensure_token_key
  # The package's own config listens on every interface and points htpasswd at a directory; this one is
  # loopback only, takes only tokens signed with our key, and allows deletes.
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
auth:
  token:
    realm: $realm
    service: $service
    issuer: $issuer
    rootcertbundle: $token_cert
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
  log "ready on $address; Berth signs its tokens with BERTH_REGISTRY_TOKEN_KEY=$token_key"
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
  token-key) [[ -s "$token_key" ]] || die "no token key yet: run start first"; printf '%s\n' "$token_key" ;;
  status) answers && our_pid >/dev/null && log "running on $address" || { log "not running on $address"; exit 1; } ;;
  stop) stop ;;
  purge) stop; rm -rf "$dir"; log "deleted $dir" ;;
  *) usage ;;
esac
