#!/usr/bin/env bash
# Runs extra Docker Engines on this machine that act as extra hosts of a Berth pool, so the
# scheduler, host failure handling and image moves can be tested (and tried by operators) on one
# machine. See docs/hosts.md.
#
# Usage: scripts/pool-hosts.sh start N   start hosts h1..hN (1 <= N <= 9); prints one endpoint per
#                                        line on stdout (unix:///run/berth-hosts/hI.sock), all
#                                        progress on stderr
#        scripts/pool-hosts.sh status    one line per known host; exit 1 if one does not answer
#        scripts/pool-hosts.sh stop      stop every host started here and remove its bridges
# Env:   BERTH_DATA_DIR  engine state goes to $BERTH_DATA_DIR/hosts/hI (default .data, relative to
#                        the current directory, like the api's own data dir)
#
# All engines share this machine's kernel, network namespace and iptables, which is why each one
# gets its own bridge and address pool and none of them may touch iptables (see start_host).
# The main dockerd (/var/run/docker.sock) is never signalled or reconfigured by this script.
set -euo pipefail

readonly MAX_HOSTS=9
readonly SOCKET_DIR=/run/berth-hosts
readonly WAIT_SECONDS=60
readonly STOP_SECONDS=60
readonly FW_CHAIN=BERTH-POOL-HOSTS
# pid of each dockerd this run started, by host number, to notice one that exits at once.
declare -a started_pids=()

log() { printf '[pool-hosts] %s\n' "$*" >&2; }
die() { printf '[pool-hosts] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  printf 'usage: %s start N | stop | status   (1 <= N <= %s)\n' "$0" "$MAX_HOSTS" >&2
  exit 2
}

data_dir=${BERTH_DATA_DIR:-.data}
case "$data_dir" in /*) ;; *) data_dir="$PWD/$data_dir" ;; esac
readonly hosts_dir="$data_dir/hosts"

# Per-host names and addresses. Host i gets 10.19i.0.0/24 on its default bridge and allocates
# user-defined networks (one per tenant in Berth) from 10.2i.0.0/16: neither overlaps another
# host, docker0 (172.17.0.0/16) or the main engine's default pools (172.17-31.x, 192.168.x).
host_dir() { printf '%s/h%s' "$hosts_dir" "$1"; }
host_socket() { printf '%s/h%s.sock' "$SOCKET_DIR" "$1"; }
host_endpoint() { printf 'unix://%s' "$(host_socket "$1")"; }
host_pidfile() { printf '%s/dockerd.pid' "$(host_dir "$1")"; }
host_bridge() { printf 'berth-br%s' "$1"; }
host_bridge_addr() { printf '10.19%s.0.1/24' "$1"; }
host_pool() { printf '10.2%s.0.0/16' "$1"; }
# Berth gives tenant networks explicit subnets from its own pool (BERTH_TENANT_SUBNETS, default
# 10.64.0.0/10), on every host: the hosts' --default-address-pool only serves other networks.
tenant_pool() { printf '%s' "${BERTH_TENANT_SUBNETS:-10.64.0.0/10}"; }

# dockerd and its containerd put unix sockets under the exec root (up to ~35 more characters,
# e.g. containerd/containerd.sock.ttrpc) and the kernel caps socket paths at 108 bytes, so a
# deep checkout gets its exec root on /run instead of under the data dir.
host_exec_root() {
  local preferred
  preferred="$(host_dir "$1")/exec"
  if ((${#preferred} <= 64)); then
    printf '%s' "$preferred"
  else
    printf '%s/h%s.exec' "$SOCKET_DIR" "$1"
  fi
}

# The pid in a host's pidfile, only if that process is a dockerd serving this host's socket: a
# pid reused after a crash (possibly by the main dockerd) must never be signalled.
host_pid() {
  local pidfile pid cmdline
  pidfile=$(host_pidfile "$1")
  [[ -s "$pidfile" ]] || return 1
  pid=$(tr -dc '0-9' <"$pidfile")
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ "$cmdline" == dockerd* && "$cmdline" == *" -H $(host_endpoint "$1") "* ]] || return 1
  printf '%s' "$pid"
}

host_version() {
  timeout 10 docker -H "$(host_endpoint "$1")" info --format '{{.ServerVersion}}' 2>/dev/null
}

host_answers() {
  local version
  version=$(host_version "$1") && [[ -n "$version" ]]
}

# Hosts that have state here (started at least once), as numbers, ascending.
known_hosts() {
  local d
  for d in "$hosts_dir"/h[1-9]; do
    [[ -d "$d" ]] && printf '%s\n' "${d##*/h}"
  done
  return 0
}

require_root() {
  [[ "$(id -u)" -eq 0 ]] || die "must run as root: it creates bridges and runs dockerd"
  local cmd
  for cmd in dockerd docker ip; do
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd is missing (run scripts/docker-bootstrap.sh; ip is in iproute2)"
  done
}

# Serialises start/stop so two test runs cannot start the same host twice.
take_lock() {
  mkdir -p "$hosts_dir"
  exec 9>"$hosts_dir/.lock"
  if ! flock -n 9; then
    log "another pool-hosts.sh is running; waiting for it"
    flock 9
  fi
}

# The host's own bridge, made before dockerd starts: with --bridge NAME dockerd uses it as is.
# (`--bridge none` is not an option: it makes dockerd delete docker0, the main engine's bridge.)
ensure_bridge() {
  local i=$1 bridge addr other
  bridge=$(host_bridge "$i")
  addr=$(host_bridge_addr "$i")
  other=$(ip -o -4 addr show to "${addr%.1/24}.0/24" | awk -v b="$bridge" '$2 != b { print $2 }' | head -n 1)
  [[ -z "$other" ]] || die "$addr is already used by interface $other; cannot create $bridge"
  if ! ip link show dev "$bridge" >/dev/null 2>&1; then
    ip link add name "$bridge" type bridge
  fi
  if ! ip -o -4 addr show dev "$bridge" | grep -qF " ${addr} "; then
    ip addr add "$addr" dev "$bridge"
  fi
  ip link set dev "$bridge" up
}

# With the main engine running, bridged packets go through iptables (br_netfilter) and meet its
# FORWARD DROP policy, so containers of a pool host could not talk to each other even on one
# network. Accept only bridged packets (same network) from the pool hosts' ranges: traffic routed
# between two networks is dropped, which keeps tenants' networks apart as on a real host.
# Own chain, jumped to from FORWARD, so stop removes exactly what start added.
ensure_firewall() {
  command -v iptables >/dev/null 2>&1 || return 0
  iptables -w -n -L "$FW_CHAIN" >/dev/null 2>&1 || iptables -w -N "$FW_CHAIN"
  # Checked rule by rule rather than flushed and refilled: hosts already running keep working
  # while another start runs.
  local i src dst
  for ((i = 1; i <= MAX_HOSTS; i++)); do
    fw_rule -s "$(host_bridge_addr "$i" | sed 's/\.1\/24$/.0\/24/')" -m physdev --physdev-is-bridged -j ACCEPT
    fw_rule -s "$(host_pool "$i")" -m physdev --physdev-is-bridged -j ACCEPT
  done
  fw_rule -s "$(tenant_pool)" -m physdev --physdev-is-bridged -j ACCEPT
  # Routed traffic between any two pool networks (two tenants, or two hosts) is dropped even if
  # the main engine is not running to set the DROP policy: separate hosts cannot reach each
  # other's container addresses either.
  for src in 10.21.0.0-10.29.255.255 10.191.0.0-10.199.255.255; do
    for dst in 10.21.0.0-10.29.255.255 10.191.0.0-10.199.255.255; do
      fw_rule -m iprange --src-range "$src" --dst-range "$dst" -j DROP
    done
    fw_rule -s "$(tenant_pool)" -m iprange --dst-range "$src" -j DROP
    fw_rule -m iprange --src-range "$src" -d "$(tenant_pool)" -j DROP
  done
  fw_rule -s "$(tenant_pool)" -d "$(tenant_pool)" -j DROP
  iptables -w -C FORWARD -j "$FW_CHAIN" 2>/dev/null || iptables -w -I FORWARD 1 -j "$FW_CHAIN"
}

fw_rule() {
  iptables -w -C "$FW_CHAIN" "$@" 2>/dev/null || iptables -w -A "$FW_CHAIN" "$@"
}

remove_firewall() {
  command -v iptables >/dev/null 2>&1 || return 0
  while iptables -w -D FORWARD -j "$FW_CHAIN" 2>/dev/null; do :; done
  if iptables -w -n -L "$FW_CHAIN" >/dev/null 2>&1; then
    iptables -w -F "$FW_CHAIN"
    iptables -w -X "$FW_CHAIN"
  fi
}

# The containerd that a host's dockerd started, if it outlived it (dockerd was killed or crashed).
# It is ours only if it runs from this host's exec root. A new dockerd would adopt it if it
# still runs, and fail to start if it then dies a moment later, so it goes before a start too.
stop_leftover_containerd() {
  local i=$1 exec_root pidfile cpid deadline
  exec_root=$(host_exec_root "$i")
  pidfile="$exec_root/containerd/containerd.pid"
  [[ -s "$pidfile" ]] || return 0
  cpid=$(tr -dc '0-9' <"$pidfile")
  if [[ -n "$cpid" && -r "/proc/$cpid/cmdline" ]] &&
    tr '\0' ' ' <"/proc/$cpid/cmdline" | grep -qF -- "$exec_root/containerd/"; then
    log "h$i: stopping its leftover containerd (pid $cpid)"
    kill -TERM "$cpid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while kill -0 "$cpid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -KILL "$cpid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

start_host() {
  local i=$1 dir exec_root log_file pidfile
  dir=$(host_dir "$i")
  exec_root=$(host_exec_root "$i")
  pidfile=$(host_pidfile "$i")
  log_file="$dir/dockerd.log"
  mkdir -p "$dir/root" "$exec_root" "$SOCKET_DIR"
  # An own config file: otherwise dockerd reads /etc/docker/daemon.json, meant for the main
  # engine, and a "hosts" or "bridge" key there would clash with the flags below.
  # live-restore only while starting: dockerd 20.10, when it restarts on a data root that has a
  # default "bridge" network and --default-address-pool is set, deletes the interface named
  # docker0 unless live-restore is on; that is the MAIN engine's bridge, and every container on
  # it loses its network. finish_start turns live-restore off again once the engine answers,
  # so stopping a pool host still stops its containers, like shutting a real host down.
  printf '{ "live-restore": true }\n' >"$dir/daemon.json"
  rm -f "$pidfile"
  stop_leftover_containerd "$i"
  ensure_bridge "$i"
  printf '\n--- %s pool-hosts.sh starts h%s ---\n' "$(date -u +%FT%TZ)" "$i" >>"$log_file"
  log "h$i: starting dockerd (bridge $(host_bridge "$i") $(host_bridge_addr "$i"), networks from $(host_pool "$i"), log $log_file)"
  # --iptables=false/--ip-masq=false: every engine here shares one iptables, and each dockerd
  #   rewrites the DOCKER chains as if it were alone; only the main engine may own them. Pool
  #   hosts' containers therefore have no NAT to the outside, which tests do not need.
  # --containerd-namespace: if a system containerd runs, all engines share it; separate
  #   namespaces keep each engine from seeing (and cleaning up) the others' containers.
  # setsid/nohup: the engine must outlive this script and the test process that called it.
  setsid nohup dockerd \
    --config-file "$dir/daemon.json" \
    --data-root "$dir/root" \
    --exec-root "$exec_root" \
    --pidfile "$pidfile" \
    -H "$(host_endpoint "$i")" \
    --iptables=false \
    --ip-masq=false \
    --bridge "$(host_bridge "$i")" \
    --default-address-pool "base=$(host_pool "$i"),size=24" \
    --containerd-namespace "berth-h$i" \
    --containerd-plugins-namespace "berth-h$i-plugins" \
    >>"$log_file" 2>&1 </dev/null 9>&- &
  started_pids[i]=$!
}

# Second half of the live-restore dance in start_host: the risky start-up is over, so reload
# the engine's config (SIGHUP) with live-restore off and check that it took.
finish_start() {
  local i=$1 pid deadline
  pid=$(host_pid "$i") || die "h$i: dockerd answers but its pidfile does not name it"
  [[ "$(docker -H "$(host_endpoint "$i")" info --format '{{.LiveRestoreEnabled}}')" == false ]] && return 0
  printf '{ "live-restore": false }\n' >"$(host_dir "$i")/daemon.json"
  kill -HUP "$pid"
  deadline=$((SECONDS + 10))
  until [[ "$(docker -H "$(host_endpoint "$i")" info --format '{{.LiveRestoreEnabled}}')" == false ]]; do
    ((SECONDS < deadline)) || die "h$i: dockerd did not reload its config (live-restore still on)"
    sleep 0.2
  done
}

wait_for_hosts() {
  local deadline=$((SECONDS + WAIT_SECONDS)) i pending=("$@") still
  while ((${#pending[@]} > 0)); do
    still=()
    for i in "${pending[@]}"; do
      if host_answers "$i"; then
        finish_start "$i"
        log "h$i: ready at $(host_endpoint "$i") (pid $(host_pid "$i" || echo '?'))"
      elif [[ -n "${started_pids[i]:-}" ]] && ! kill -0 "${started_pids[i]}" 2>/dev/null; then
        log "h$i: dockerd exited; last lines of $(host_dir "$i")/dockerd.log:"
        tail -n 20 "$(host_dir "$i")/dockerd.log" >&2 || true
        die "pool host h$i did not start"
      else
        still+=("$i")
      fi
    done
    pending=("${still[@]+"${still[@]}"}")
    ((${#pending[@]} > 0)) || break
    if ((SECONDS >= deadline)); then
      for i in "${pending[@]}"; do
        log "h$i did not answer within ${WAIT_SECONDS}s; last lines of $(host_dir "$i")/dockerd.log:"
        tail -n 20 "$(host_dir "$i")/dockerd.log" >&2 || true
      done
      die "pool hosts ${pending[*]} are not ready (stop them with: $0 stop)"
    fi
    sleep 1
  done
}

cmd_start() {
  local n=${1:-} i waiting=()
  [[ "$n" =~ ^[1-9]$ ]] || usage
  require_root
  take_lock
  local had_docker0=0
  if ip link show dev docker0 >/dev/null 2>&1; then had_docker0=1; fi
  for ((i = 1; i <= n; i++)); do
    if host_pid "$i" >/dev/null; then
      if host_answers "$i"; then
        log "h$i: already running at $(host_endpoint "$i")"
        continue
      fi
      log "h$i: dockerd is running but not answering yet; waiting for it"
    else
      start_host "$i"
    fi
    waiting+=("$i")
  done
  ensure_firewall
  wait_for_hosts "${waiting[@]+"${waiting[@]}"}"
  # Guard for the docker0 problem described in start_host: say so loudly if it ever comes back.
  if ((had_docker0)) && ! ip link show dev docker0 >/dev/null 2>&1; then
    die "docker0 (the main engine's bridge) disappeared while starting pool hosts; restart the main dockerd to recreate it"
  fi
  for i in $(known_hosts); do
    if ((i > n)) && host_pid "$i" >/dev/null; then
      log "note: h$i is also running (not asked for; '$0 stop' stops all)"
    fi
  done
  for ((i = 1; i <= n; i++)); do
    host_endpoint "$i"
    printf '\n'
  done
}

# Waits for a signalled dockerd to exit; SIGKILL after STOP_SECONDS (dockerd first stops its
# containers, each with its own stop timeout, so a slow one can hold it up).
wait_for_exit() {
  local i=$1 pid=$2 deadline=$3
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "h$i: dockerd did not exit within ${STOP_SECONDS}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      return 0
    fi
    sleep 0.2
  done
}

# Everything a stopped host leaves on the machine, except its state under the data dir.
clean_up_host() {
  local i=$1 target
  stop_leftover_containerd "$i"
  # dockerd bind-mounts its data root onto itself (to make it a shared mount) and mounts container
  # filesystems and network namespaces below its roots; a killed dockerd leaves all of that
  # mounted, and the host dir could then not be deleted. Deepest first; only our own paths.
  while read -r target; do
    umount "$target" 2>/dev/null || log "h$i: could not unmount $target"
  done < <(findmnt -rn -o TARGET | awk -v d="$(host_dir "$i")/" -v e="$(host_exec_root "$i")/" \
    'index($0 "/", d) == 1 || index($0 "/", e) == 1' | sort -r)
  rm -f "$(host_socket "$i")" "$(host_pidfile "$i")"
  # Bridges of the host's user-defined networks (br-<id>, addressed from its pool) outlive
  # dockerd; the engine recreates them from its state when it starts again.
  local prefix iface
  prefix="10.2$i."
  for iface in $(ip -o -4 addr show | awk -v p="$prefix" 'index($4, p) == 1 && $2 ~ /^br-/ { print $2 }' | sort -u); do
    if ip link delete dev "$iface" type bridge 2>/dev/null; then
      log "h$i: removed network bridge $iface"
    fi
  done
  if ip link show dev "$(host_bridge "$i")" >/dev/null 2>&1; then
    ip link delete dev "$(host_bridge "$i")" type bridge
    log "h$i: removed bridge $(host_bridge "$i")"
  fi
}

cmd_stop() {
  local i stopped=0 bridge
  require_root
  take_lock
  local -a pids=()
  # Signal every host first and wait afterwards: each dockerd needs ~2 s to shut down.
  for i in $(known_hosts); do
    if pids[i]=$(host_pid "$i"); then
      log "h$i: stopping dockerd (pid ${pids[i]}); it stops its containers first"
      kill -TERM "${pids[i]}"
      stopped=$((stopped + 1))
    else
      unset 'pids[i]'
    fi
  done
  local deadline=$((SECONDS + STOP_SECONDS))
  for i in "${!pids[@]}"; do
    wait_for_exit "$i" "${pids[i]}" "$deadline"
  done
  for i in $(known_hosts); do
    clean_up_host "$i"
  done
  # Bridges left by a run whose data dir was deleted since.
  for bridge in $(ip -o link show type bridge | awk -F': ' '{ print $2 }' | sed 's/@.*//' | grep -E '^berth-br[1-9]$' || true); do
    ip link delete dev "$bridge" type bridge
    log "removed leftover bridge $bridge"
  done
  remove_orphan_tenant_bridges
  remove_firewall
  log "stopped $stopped pool host(s); state kept in $hosts_dir (delete it for empty hosts)"
}

# Bridges of tenant networks (addressed from Berth's tenant pool) whose engine is gone: dockerd leaves
# them behind, and a network made later on the same subnet would then share its route. Only bridges
# no running engine (the main one, a pool host still answering) names as one of its networks.
remove_orphan_tenant_bridges() {
  local known iface i
  known=$(timeout 10 docker network ls -q 2>/dev/null || true)
  for i in $(known_hosts); do
    if host_answers "$i"; then
      known+=$'\n'$(timeout 10 docker -H "$(host_endpoint "$i")" network ls -q 2>/dev/null || true)
    fi
  done
  for iface in $(ip -o -4 addr show to "$(tenant_pool)" | awk '$2 ~ /^br-[0-9a-f]+$/ { print $2 }' | sort -u); do
    grep -qx "${iface#br-}" <<<"$known" && continue
    if ip link delete dev "$iface" type bridge 2>/dev/null; then
      log "removed bridge $iface of a stopped host's tenant network"
    fi
  done
}

cmd_status() {
  local i pid version rc=0 any=0
  for i in $(known_hosts); do
    any=1
    if pid=$(host_pid "$i"); then
      if version=$(host_version "$i") && [[ -n "$version" ]]; then
        printf 'h%s\t%s\trunning\tpid %s\tdocker %s\n' "$i" "$(host_endpoint "$i")" "$pid" "$version"
      else
        printf 'h%s\t%s\tnot answering\tpid %s\n' "$i" "$(host_endpoint "$i")" "$pid"
        rc=1
      fi
    else
      printf 'h%s\t%s\tstopped\n' "$i" "$(host_endpoint "$i")"
      rc=1
    fi
  done
  ((any)) || log "no pool hosts have been started from $hosts_dir"
  return "$rc"
}

case "${1:-}" in
  start) [[ $# -eq 2 ]] || usage; cmd_start "$2" ;;
  stop) [[ $# -eq 1 ]] || usage; cmd_stop ;;
  status) [[ $# -eq 1 ]] || usage; cmd_status ;;
  *) usage ;;
esac
