#!/usr/bin/env bash
# Builds Berth's two base images offline, in seconds, from files already on this machine:
#   berth/node-runtime:local  the machine's node + npm, dash, a few coreutils, CA bundle
#   berth/haproxy:local       the machine's haproxy (Debian package), dash
#   berth/host-guard:local    the machine's iptables (nf_tables backend) and its extensions, dash,
#                             sleep and libs/hosts/host-guard.sh: Berth's network policy on a host
#
# Why not `docker pull node` / `FROM haproxy`: Berth must work with no registry at all (CI and
# air-gapped operators), so each image is one layer made with `docker import` from a root
# filesystem assembled here: the binaries, exactly the shared libraries `ldd` lists for them
# (same paths, plus the dynamic loader), and the few /etc files they read.
#
# Each image carries the label berth.base.source = sha256 of what went into it (paths, sizes,
# mtimes and versions of the inputs, and this script). A rerun whose fingerprint matches skips
# the build, so calling this from every test run costs well under a second.
#
# Usage: scripts/build-base-images.sh [--force]
# Env:   BERTH_NODE_IMAGE     (default berth/node-runtime:local)
#        BERTH_HAPROXY_IMAGE  (default berth/haproxy:local)
#        BERTH_HOST_GUARD_IMAGE (default berth/host-guard:local)
#        DOCKER_HOST          build on another engine (the docker CLI reads it)
#        BERTH_VERIFY_REGISTRY=0  skip the HTTPS-to-registry.npmjs.org check, for engines whose
#                             containers have no outbound network (e.g. scripts/pool-hosts.sh hosts)
set -euo pipefail

NODE_IMAGE=${BERTH_NODE_IMAGE:-berth/node-runtime:local}
HAPROXY_IMAGE=${BERTH_HAPROXY_IMAGE:-berth/haproxy:local}
GUARD_IMAGE=${BERTH_HOST_GUARD_IMAGE:-berth/host-guard:local}
readonly NODE_IMAGE HAPROXY_IMAGE GUARD_IMAGE
readonly APP_UID=10001 HAPROXY_UID=10002
readonly CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
# npm lifecycle scripts run through sh and commonly call these; each costs ~100 KB.
readonly COREUTILS=(env cat ls mkdir rm cp mv)

force=0
case "${1:-}" in
  '') ;;
  --force) force=1 ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

log() { printf '[base-images] %s\n' "$*"; }
die() { printf '[base-images] ERROR: %s\n' "$*" >&2; exit 1; }

self=$(readlink -f "${BASH_SOURCE[0]}")

server=$(timeout 20 docker info --format '{{.ServerVersion}}' 2>/dev/null) || server=""
[[ -n "$server" ]] ||
  die "docker does not answer at ${DOCKER_HOST:-the default socket}; run scripts/docker-bootstrap.sh first"

work=$(mktemp -d -t berth-base-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Shared libraries of a binary, as ldd resolves them on this machine: "lib => /path (addr)" lines
# give /path, the loader appears as a bare "/path (addr)" line; the vDSO has no file at all.
shared_libs() {
  ldd "$1" | awk '
    $2 == "=>" && $3 ~ /^\// { print $3; next }
    $1 ~ /^\// { print $1 }
  '
}

# The full list of "destination<TAB>source" files of an image, for both the fingerprint and the
# build. Libraries keep their paths; binaries go where the image's PATH expects them.
node_manifest() {
  local node_bin npm_dir bin libs=()
  node_bin=$(readlink -f "$(command -v node)")
  printf '/usr/local/bin/node\t%s\n' "$node_bin"
  printf '/bin/dash\t%s\n' "$(readlink -f "$(command -v dash)")"
  for bin in "${COREUTILS[@]}"; do
    # env must be at /usr/bin/env for npm's "#!/usr/bin/env node" shebang; the rest live in /bin.
    if [[ "$bin" == env ]]; then
      printf '/usr/bin/env\t%s\n' "$(readlink -f "$(command -v env)")"
    else
      printf '/bin/%s\t%s\n' "$bin" "$(readlink -f "$(command -v "$bin")")"
    fi
  done
  printf '%s\t%s\n' "$CA_BUNDLE" "$(readlink -f "$CA_BUNDLE")"
  npm_dir=$(npm_package_dir)
  printf '/usr/local/lib/node_modules/npm\t%s\n' "$npm_dir"
  for bin in "$node_bin" "$(command -v dash)" "${COREUTILS[@]}"; do
    mapfile -t -O "${#libs[@]}" libs < <(shared_libs "$(readlink -f "$(command -v "$bin")")")
  done
  printf '%s\n' "${libs[@]}" | sort -u | while read -r lib; do printf '%s\t%s\n' "$lib" "$(readlink -f "$lib")"; done
}

haproxy_manifest() {
  local haproxy_bin
  haproxy_bin=$(readlink -f "$(command -v haproxy)")
  printf '/usr/sbin/haproxy\t%s\n' "$haproxy_bin"
  printf '/bin/dash\t%s\n' "$(readlink -f "$(command -v dash)")"
  printf '%s\t%s\n' "$CA_BUNDLE" "$(readlink -f "$CA_BUNDLE")"
  { shared_libs "$haproxy_bin"; shared_libs "$(readlink -f "$(command -v dash)")"; } | sort -u |
    while read -r lib; do printf '%s\t%s\n' "$lib" "$(readlink -f "$lib")"; done
}

# iptables through its nf_tables multi-call binary (the name it is called by picks the tool), the
# extension modules it loads by name at run time (matches and targets), and the guard program.
readonly XTABLES_DIR=/usr/lib/x86_64-linux-gnu/xtables
guard_program() { printf '%s/../libs/hosts/host-guard.sh' "$(dirname "$self")"; }
guard_manifest() {
  local multi lib
  multi=$(readlink -f "$(command -v xtables-nft-multi)")
  printf '/usr/sbin/xtables-nft-multi\t%s\n' "$multi"
  printf '/bin/dash\t%s\n' "$(readlink -f "$(command -v dash)")"
  printf '/bin/sleep\t%s\n' "$(readlink -f "$(command -v sleep)")"
  printf '/usr/local/bin/host-guard\t%s\n' "$(readlink -f "$(guard_program)")"
  printf '%s\t%s\n' "$XTABLES_DIR" "$(readlink -f "$XTABLES_DIR")"
  [[ -r /etc/protocols ]] && printf '/etc/protocols\t%s\n' "$(readlink -f /etc/protocols)"
  {
    shared_libs "$multi"
    shared_libs "$(readlink -f "$(command -v dash)")"
    shared_libs "$(readlink -f "$(command -v sleep)")"
    for lib in "$XTABLES_DIR"/*.so; do shared_libs "$lib"; done
  } | sort -u | while read -r lib; do printf '%s\t%s\n' "$lib" "$(readlink -f "$lib")"; done
}

# npm is a directory of JavaScript, found from the `npm` on PATH (usually a symlink into it).
npm_package_dir() {
  local npm_cli dir
  npm_cli=$(readlink -f "$(command -v npm)") || return 1
  dir=$(dirname "$(dirname "$npm_cli")")
  [[ -f "$dir/package.json" && -f "$dir/bin/npm-cli.js" ]] || die "cannot find npm's package dir from $npm_cli"
  printf '%s\n' "$dir"
}

# Read from package.json: `npm --version` costs a node start-up (~0.2 s) on every rerun.
npm_version() {
  sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$(npm_package_dir)/package.json" | head -n 1
}

# What decides whether an image is current: its manifest with each source's size and mtime
# (a package upgrade changes them), the tool versions, and this script's own text (a layout change).
fingerprint() {
  local manifest=$1 versions=$2
  {
    printf '%s\n' "$versions"
    sha256sum "$self" | cut -d' ' -f1
    while IFS=$'\t' read -r dest src; do
      printf '%s\t%s\t%s\n' "$dest" "$src" "$(stat -L -c '%s %Y' "$src")"
    done <<<"$manifest"
  } | sha256sum | cut -d' ' -f1
}

current_label() {
  docker image inspect --format '{{index .Config.Labels "berth.base.source"}}' "$1" 2>/dev/null || true
}

# Copies every manifest entry into the staging root: files dereferenced (a library may be a
# symlink on the host), directories recursively.
stage_manifest() {
  local root=$1 manifest=$2 dest src
  while IFS=$'\t' read -r dest src; do
    mkdir -p "$root$(dirname "$dest")"
    if [[ -d "$src" ]]; then
      cp -a "$src" "$root$dest"
    else
      cp -L --preserve=mode "$src" "$root$dest"
    fi
  done <<<"$manifest"
}

# One tarball, owners set explicitly so the result does not depend on who runs this (root or
# a member of the docker group): everything is 0:0 except the listed user-owned directories,
# which are appended from a second staging tree with that user's ids.
make_rootfs_tar() {
  local root=$1 owned=$2 uid=$3 out=$4
  shift 4
  tar --numeric-owner --owner=0 --group=0 --sort=name -C "$root" -cf "$out" .
  if (($# > 0)); then
    tar --numeric-owner --owner="$uid" --group="$uid" --no-recursion -C "$owned" -rf "$out" "$@"
  fi
}

import_image() {
  local tarball=$1 image=$2 source=$3
  shift 3
  docker import \
    --change "LABEL berth.base=true" \
    --change "LABEL berth.base.source=$source" \
    "$@" "$tarball" "$image" >/dev/null
}

build_node_image() {
  local manifest=$1 source=$2 root="$work/node/root" owned="$work/node/owned"
  mkdir -p "$root" "$owned"
  stage_manifest "$root" "$manifest"
  ln -s dash "$root/bin/sh"
  mkdir -p "$root/usr/local/bin"
  # Symlinks, as in the official node image: node resolves them, so npm finds its own lib/.
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  write_etc "$root" "app:x:$APP_UID:$APP_UID:app:/home/app:/bin/sh" "app:x:$APP_UID:"
  mkdir -m 1777 "$root/tmp"
  mkdir -p "$root/home" "$root/proc" "$root/sys" "$root/dev" "$root/run"
  mkdir -p "$owned/app" "$owned/home/app"
  make_rootfs_tar "$root" "$owned" "$APP_UID" "$work/node.tar" ./app ./home/app
  import_image "$work/node.tar" "$NODE_IMAGE" "$source" \
    --change "ENV PATH=/usr/local/bin:/usr/bin:/bin" \
    --change "ENV NODE_EXTRA_CA_CERTS=$CA_BUNDLE" \
    --change "ENV SSL_CERT_FILE=$CA_BUNDLE" \
    --change "ENV NPM_CONFIG_UPDATE_NOTIFIER=false" \
    --change "WORKDIR /app" \
    --change 'CMD ["node"]'
  # NPM_CONFIG_UPDATE_NOTIFIER: otherwise every npm run in a build or a container asks the
  # registry for a newer npm. No USER: the platform picks the uid per container (and builds need root for npm ci layers).
}

build_haproxy_image() {
  local manifest=$1 source=$2 root="$work/haproxy/root"
  mkdir -p "$root"
  stage_manifest "$root" "$manifest"
  ln -s dash "$root/bin/sh"
  write_etc "$root" "haproxy:x:$HAPROXY_UID:$HAPROXY_UID:haproxy:/var/lib/haproxy:/bin/sh" "haproxy:x:$HAPROXY_UID:"
  mkdir -m 1777 "$root/tmp"
  mkdir -p "$root/usr/local/etc/haproxy" "$root/var/lib/haproxy" "$root/run" \
    "$root/proc" "$root/sys" "$root/dev"
  make_rootfs_tar "$root" "" "" "$work/haproxy.tar"
  import_image "$work/haproxy.tar" "$HAPROXY_IMAGE" "$source" \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV SSL_CERT_FILE=$CA_BUNDLE" \
    --change 'CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]'
  # `docker import` refuses STOPSIGNAL, so the platform sets StopSignal=SIGUSR1 (HAProxy's soft
  # stop, which lets open connections finish) on each load-balancer container instead.
}

build_guard_image() {
  local manifest=$1 source=$2 root="$work/guard/root" tool
  mkdir -p "$root"
  stage_manifest "$root" "$manifest"
  chmod 0755 "$root/usr/local/bin/host-guard"
  ln -s dash "$root/bin/sh"
  for tool in iptables iptables-restore iptables-save; do ln -s xtables-nft-multi "$root/usr/sbin/$tool"; done
  write_etc "$root" "nobody:x:65534:65534:nobody:/nonexistent:/bin/sh" "nogroup:x:65534:"
  mkdir -m 1777 "$root/tmp"
  mkdir -p "$root/run" "$root/proc" "$root/sys" "$root/dev"
  make_rootfs_tar "$root" "" "" "$work/guard.tar"
  import_image "$work/guard.tar" "$GUARD_IMAGE" "$source" \
    --change "ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV XTABLES_LIBDIR=$XTABLES_DIR" \
    --change 'CMD ["/usr/local/bin/host-guard"]'
}

# passwd/group with root plus one unprivileged account; nsswitch so glibc reads only files and
# DNS (there is no nscd or systemd in the image to ask).
write_etc() {
  local root=$1 user_line=$2 group_line=$3
  mkdir -p "$root/etc"
  printf 'root:x:0:0:root:/root:/bin/sh\n%s\n' "$user_line" >"$root/etc/passwd"
  printf 'root:x:0:\n%s\n' "$group_line" >"$root/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
}

# Removing a freshly built image that fails its check makes the next run rebuild it instead of
# skipping on a matching label.
verify_or_remove() {
  local image=$1 what=$2 expected=$3
  shift 3
  local out
  if out=$(timeout 120 docker run --rm "$@" 2>&1) && [[ "$out" == *"$expected"* ]]; then
    log "  ok: $what -> $(printf '%s\n' "$out" | grep -F -m 1 -- "$expected")"
    return 0
  fi
  printf '%s\n' "$out" | tail -n 20 >&2
  docker rmi "$image" >/dev/null 2>&1 || true
  die "$image failed the check: $what (image removed)${check_hint:+; $check_hint}"
}

verify_node_image() {
  local version
  version=$(node --version)
  verify_or_remove "$NODE_IMAGE" "node runs as uid $APP_UID in 128 MB" "$version" \
    --memory 128m --user "$APP_UID" "$NODE_IMAGE" node -e 'console.log(process.version)'
  verify_or_remove "$NODE_IMAGE" "npm runs as uid $APP_UID" "$(npm_version)" \
    --user "$APP_UID" -e HOME=/tmp "$NODE_IMAGE" npm --version
  verify_or_remove "$NODE_IMAGE" "sh and coreutils" "ok" \
    --user "$APP_UID" "$NODE_IMAGE" sh -c 'cd /app && mkdir d && cp /etc/passwd d/p && mv d/p d/q && cat d/q >/dev/null && ls d >/dev/null && rm -r d && env >/dev/null && echo ok'
  if [[ "${BERTH_VERIFY_REGISTRY:-1}" == 0 ]]; then
    log "  skipped: HTTPS to registry.npmjs.org (BERTH_VERIFY_REGISTRY=0)"
  else
    # Proves the CA bundle and DNS work inside the image: npm install in a build needs both.
    # The 20 s limit is inside node: killing `docker run` from outside would leave the
    # container running.
    check_hint="if this engine's containers have no route to the internet, rerun with BERTH_VERIFY_REGISTRY=0" \
      verify_or_remove "$NODE_IMAGE" "HTTPS to registry.npmjs.org" "200" \
      "$NODE_IMAGE" node -e "require('https').get('https://registry.npmjs.org/express',r=>{console.log(r.statusCode);r.resume()}).on('error',e=>{console.error(e.message);process.exit(1)}).setTimeout(20000,()=>{console.error('no answer within 20 s');process.exit(1)})"
  fi
}

verify_haproxy_image() {
  verify_or_remove "$HAPROXY_IMAGE" "haproxy -v" "HAProxy version" "$HAPROXY_IMAGE" haproxy -v
  # A config check as the unprivileged user catches missing libraries that -v never loads.
  verify_or_remove "$HAPROXY_IMAGE" "haproxy -c as uid $HAPROXY_UID" "Configuration file is valid" \
    --user "$HAPROXY_UID" "$HAPROXY_IMAGE" sh -c \
    'printf "defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 5s\nfrontend f\n bind 127.0.0.1:8080\n default_backend b\nbackend b\n server s1 127.0.0.1:3000\n" >/tmp/h.cfg && haproxy -c -f /tmp/h.cfg'
}

# Lists the filter table as the guard runs (host network, only CAP_NET_ADMIN/NET_RAW, read-only
# root): reads rules, changes nothing. Catches a missing library or extension module.
verify_guard_image() {
  verify_or_remove "$GUARD_IMAGE" "iptables -S INPUT in the host's namespace" "-P INPUT" \
    --network host --cap-drop ALL --cap-add NET_ADMIN --cap-add NET_RAW --read-only "$GUARD_IMAGE" \
    iptables -w -S INPUT
}

# Installs haproxy from Debian when missing: it is where the image's binary comes from.
ensure_haproxy() {
  command -v haproxy >/dev/null 2>&1 && return 0
  [[ "$(id -u)" -eq 0 && -r /etc/debian_version ]] ||
    die "haproxy is not installed; install it (Debian: apt-get install -y haproxy) and rerun"
  log "haproxy is not installed; installing it with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get install -y haproxy ||
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y haproxy; }
}

build_if_stale() {
  local image=$1 kind=$2 manifest=$3 versions=$4 source current started old_id new_id
  source=$(fingerprint "$manifest" "$versions")
  current=$(current_label "$image")
  old_id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  if ((force == 0)) && [[ "$current" == "$source" ]]; then
    log "$image is up to date (source ${source:0:12}); skipping"
    return 0
  fi
  if [[ -z "$current" ]]; then
    log "$image: building (source ${source:0:12})"
  else
    log "$image: rebuilding (source ${current:0:12} -> ${source:0:12})"
  fi
  started=$SECONDS
  "build_${kind}_image" "$manifest" "$source"
  log "  imported $image ($(docker image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
  "verify_${kind}_image"
  # The replaced image is now an untagged 100 MB layer; drop it unless something still uses it
  # (a container or another tag, in which case rmi refuses and that is fine).
  new_id=$(docker image inspect --format '{{.Id}}' "$image")
  if [[ -n "$old_id" && "$old_id" != "$new_id" ]]; then
    if docker rmi "$old_id" >/dev/null 2>&1; then
      old_id=${old_id#sha256:}
      log "  removed the previous image ${old_id:0:12}"
    fi
  fi
  log "$image: done in $((SECONDS - started))s"
}

command -v node >/dev/null 2>&1 || die "node is not installed on this machine"
command -v npm >/dev/null 2>&1 || die "npm is not installed on this machine"
command -v dash >/dev/null 2>&1 || die "dash is not installed on this machine"
[[ -r "$CA_BUNDLE" ]] || die "$CA_BUNDLE is missing (Debian: apt-get install -y ca-certificates)"
ensure_haproxy

log "engine: ${DOCKER_HOST:-default socket} (server $server)"
node_list=$(node_manifest)
build_if_stale "$NODE_IMAGE" node "$node_list" "node $(node --version) npm $(npm_version)"
haproxy_list=$(haproxy_manifest)
build_if_stale "$HAPROXY_IMAGE" haproxy "$haproxy_list" "$(haproxy -v | head -n 1)"
# Without iptables here there is no guard image: Berth still runs, and each host reports its network
# policy as failed (image unavailable) until the image reaches it.
if command -v xtables-nft-multi >/dev/null 2>&1 && [[ -d "$XTABLES_DIR" ]]; then
  guard_list=$(guard_manifest)
  build_if_stale "$GUARD_IMAGE" guard "$guard_list" "$(xtables-nft-multi iptables --version) $(sha256sum "$(guard_program)" | cut -d' ' -f1)"
else
  log "WARNING: no iptables (nf_tables) here (Debian: apt-get install -y iptables); $GUARD_IMAGE not built"
fi
