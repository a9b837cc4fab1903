#!/bin/sh
# Berth's host guard: keeps Berth's network policy in this host's iptables (docs/architecture.md,
# "Network policy"). It runs in the host's network namespace (network_mode host, CAP_NET_ADMIN and
# CAP_NET_RAW only) in the image berth/host-guard:local (scripts/build-base-images.sh).
#
# A constant program: what it varies on comes from env and is checked again here, so only digits,
# dots and slashes ever reach iptables, and nothing is evaluated as shell.
#   BERTH_GUARD_ID        8 lowercase hex digits naming this guard's chains
#                         (BERTH-EGRESS-<id>, BERTH-INPUT-<id>), so guards of several Berth hosts that
#                         share one kernel (scripts/pool-hosts.sh) never touch each other's rules
#   BERTH_GUARD_POOL      the tenant subnet pool, an IPv4 CIDR (BERTH_TENANT_SUBNETS)
#   BERTH_GUARD_DENY      more denied IPv4 CIDRs, space-separated, may be empty (BERTH_EGRESS_DENY)
#   BERTH_GUARD_INTERVAL  seconds between checks (default 5)
#
# Rules (source = the pool only; the host's own traffic is never matched):
#   BERTH-EGRESS-<id>, jumped to first from DOCKER-USER (Docker keeps that chain first in FORWARD),
#   or from FORWARD when the engine runs with --iptables=false and there is no DOCKER-USER:
#     replies, bridged traffic (one tenant network is one bridge) and DNS to the host's resolvers pass;
#     169.254.0.0/16, the pool itself (routed: another tenant's network) and the deny list are dropped.
#   BERTH-INPUT-<id>, jumped to first from INPUT: replies and DNS to the host's resolvers pass,
#     everything else to the host's own addresses (bridge gateways, every interface) is dropped.
# Each apply replaces both chains in one iptables-restore --noflush transaction (Berth's chains only).
# Every BERTH_GUARD_INTERVAL seconds the guard compares the rules with what it last applied and
# applies again when they differ or a jump is gone (Docker recreates DOCKER-USER when it restarts).
# SIGTERM (docker stop) removes the jumps and both chains, then exits 0.
#
# Output: one line per event, read by Berth (libs/hosts/host-guard-status.ts):
#   "host-guard: applied ...", "host-guard: failed: <reason>", "host-guard: removed".
set -u

fail() {
  printf 'host-guard: failed: %s\n' "$*"
}

is_cidr() {
  case $1 in
    *[!0-9./]* | */*/* | *..* | .* | *./*) return 1 ;;
    [0-9]*.[0-9]*.[0-9]*.[0-9]*/[0-9]*) return 0 ;;
    *) return 1 ;;
  esac
}

is_ipv4() {
  case $1 in
    *[!0-9.]* | *..* | .* | *.) return 1 ;;
    [0-9]*.[0-9]*.[0-9]*.[0-9]*) return 0 ;;
    *) return 1 ;;
  esac
}

id=${BERTH_GUARD_ID:-}
pool=${BERTH_GUARD_POOL:-}
deny=${BERTH_GUARD_DENY:-}
interval=${BERTH_GUARD_INTERVAL:-5}
case $id in
  [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;;
  *) fail "BERTH_GUARD_ID is not 8 lowercase hex digits"; exit 2 ;;
esac
is_cidr "$pool" || { fail "BERTH_GUARD_POOL is not an IPv4 CIDR"; exit 2; }
for cidr in $deny; do
  is_cidr "$cidr" || { fail "BERTH_GUARD_DENY holds something that is not an IPv4 CIDR"; exit 2; }
done
case $interval in
  '' | *[!0-9]* | 0) fail "BERTH_GUARD_INTERVAL is not a positive number of seconds"; exit 2 ;;
esac

egress=BERTH-EGRESS-$id
input=BERTH-INPUT-$id

# DNS: Docker's embedded resolver (127.0.0.11 in a container) sends queries for a non-loopback
# upstream from inside the container's namespace, so they leave with the container's address. A
# host-network container gets a copy of the host's resolv.conf: its IPv4 nameservers stay reachable
# on port 53 even when they are link-local, in the deny list or on the host itself.
resolvers=
if [ -r /etc/resolv.conf ]; then
  while read -r key value _rest; do
    if [ "$key" = nameserver ] && is_ipv4 "$value"; then resolvers="$resolvers $value"; fi
  done </etc/resolv.conf
fi

hook_chain() {
  if iptables -w -n -L DOCKER-USER >/dev/null 2>&1; then echo DOCKER-USER; else echo FORWARD; fi
}

rules() {
  printf '*filter\n:%s - [0:0]\n:%s - [0:0]\n' "$egress" "$input"
  printf -- '-A %s -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN\n' "$egress"
  printf -- '-A %s -m physdev --physdev-is-bridged -j RETURN\n' "$egress"
  for ns in $resolvers; do
    printf -- '-A %s -d %s/32 -p udp --dport 53 -j RETURN\n' "$egress" "$ns"
    printf -- '-A %s -d %s/32 -p tcp --dport 53 -j RETURN\n' "$egress" "$ns"
  done
  printf -- '-A %s -d 169.254.0.0/16 -j DROP\n' "$egress"
  printf -- '-A %s -d %s -j DROP\n' "$egress" "$pool"
  for cidr in $deny; do printf -- '-A %s -d %s -j DROP\n' "$egress" "$cidr"; done
  printf -- '-A %s -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN\n' "$input"
  for ns in $resolvers; do
    printf -- '-A %s -d %s/32 -p udp --dport 53 -j RETURN\n' "$input" "$ns"
    printf -- '-A %s -d %s/32 -p tcp --dport 53 -j RETURN\n' "$input" "$ns"
  done
  printf -- '-A %s -j DROP\n' "$input"
  # Jumps only where missing: a restore cannot say "if absent", so ask first (same transaction
  # for the chains and the jumps either way).
  if ! iptables -w -C "$1" -s "$pool" -j "$egress" 2>/dev/null; then
    printf -- '-I %s 1 -s %s -j %s\n' "$1" "$pool" "$egress"
  fi
  if ! iptables -w -C INPUT -s "$pool" -j "$input" 2>/dev/null; then
    printf -- '-I INPUT 1 -s %s -j %s\n' "$pool" "$input"
  fi
  printf 'COMMIT\n'
}

current() {
  iptables -w -S "$egress" 2>/dev/null
  iptables -w -S "$input" 2>/dev/null
}

applied=
hook=
apply() {
  local_hook=$(hook_chain)
  # The engine gained or lost DOCKER-USER since the last apply: the old jump goes.
  if [ -n "$hook" ] && [ "$hook" != "$local_hook" ]; then
    while iptables -w -D "$hook" -s "$pool" -j "$egress" 2>/dev/null; do :; done
  fi
  if out=$(rules "$local_hook" | iptables-restore -w --noflush 2>&1); then
    hook=$local_hook
    applied=$(current)
    printf 'host-guard: applied (jump from %s and INPUT; pool %s; deny%s; dns%s)\n' \
      "$hook" "$pool" "${deny:+ $deny}" "${resolvers:- none}"
  else
    applied=
    fail "$(printf '%s' "$out" | tr '\n' ' ')"
  fi
}

intact() {
  [ -n "$applied" ] &&
    [ "$(hook_chain)" = "$hook" ] &&
    iptables -w -C "$hook" -s "$pool" -j "$egress" 2>/dev/null &&
    iptables -w -C INPUT -s "$pool" -j "$input" 2>/dev/null &&
    [ "$(current)" = "$applied" ]
}

remove() {
  for chain in DOCKER-USER FORWARD; do
    while iptables -w -D "$chain" -s "$pool" -j "$egress" 2>/dev/null; do :; done
  done
  while iptables -w -D INPUT -s "$pool" -j "$input" 2>/dev/null; do :; done
  for chain in "$egress" "$input"; do
    iptables -w -F "$chain" 2>/dev/null
    iptables -w -X "$chain" 2>/dev/null
  done
  printf 'host-guard: removed\n'
}

trap 'remove; exit 0' TERM INT
apply
while :; do
  sleep "$interval" &
  wait $!
  intact || apply
done
