#!/usr/bin/env bash
# Builds groupgate's container image and checks that it serves, with Debian's buildah and no
# container daemon or registry: run as root from anywhere in the repository.
#
#   sudo scripts/container-smoke.sh
#
# 1. When no local image is tagged node:20-bookworm-slim (the Containerfile's base), it makes one:
#    a Debian bookworm root file system from debootstrap (minbase, from the mirror this machine's
#    apt uses) with this machine's Node 20 and npm under /usr/local, as in the official image.
#    The root file system is cached in $GROUPGATE_SMOKE_CACHE (default /var/cache/groupgate-smoke)
#    and the image stays in buildah's storage, so a second run skips this step.
# 2. Builds the Containerfile into groupgate:smoke (buildah bud --isolation chroot --format docker
#    --layers; npm inside the build must reach the npm registry).
# 3. Runs the image's ENTRYPOINT and CMD in a buildah container (chroot isolation, the host's
#    network) on a loopback port with a fresh data directory as the /data volume, waits for
#    /healthz to answer 200, runs the image's HEALTHCHECK command, and checks the server runs as
#    the image's non-root user and writes its database into the volume.
# 4. Prints the image size, then stops the server (SIGTERM) and removes its container.
#
# Environment: SMOKE_PORT (default 38080), SMOKE_TIMEOUT seconds for /healthz (default 180),
# GROUPGATE_SMOKE_CACHE. Needs: buildah, debootstrap (only for step 1), Node 20 on the host.
set -euo pipefail

cd "$(dirname "$0")/.."
BASE=docker.io/library/node:20-bookworm-slim
IMAGE=localhost/groupgate:smoke
PORT=${SMOKE_PORT:-38080}
TIMEOUT=${SMOKE_TIMEOUT:-180}
CACHE=${GROUPGATE_SMOKE_CACHE:-/var/cache/groupgate-smoke}

say() { printf '\n==> %s\n' "$*"; }
fail() {
  printf '\nFAIL: %s\n' "$*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || fail "run as root (buildah's chroot isolation needs it)"
command -v buildah >/dev/null || fail "buildah is not installed (apt-get install buildah)"

# The Debian mirror this machine's apt uses (deb822 .sources files first, then sources.list).
debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && / bookworm( |$)/ { print u; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  if [ -z "$uri" ]; then
    uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
  fi
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

prepare_base() {
  if buildah inspect --type image "$BASE" >/dev/null 2>&1; then
    say "base image $BASE: present"
    return
  fi
  local node npm_cli npm_dir headers version rootfs mirror
  node=$(readlink -f "$(command -v node)") || fail "node is not installed"
  version=$("$node" -p 'process.versions.node')
  [ "${version%%.*}" = 20 ] || fail "the base image needs Node 20; this machine has $version"
  npm_cli=$(readlink -f "$(command -v npm)") || fail "npm is not installed"
  npm_dir=$(dirname "$(dirname "$npm_cli")") # .../node_modules/npm
  [ -f "$npm_dir/package.json" ] || fail "cannot find npm's directory (from $npm_cli)"
  headers=$(dirname "$(dirname "$node")")/include/node
  [ -f "$headers/node_api.h" ] || fail "Node's headers are not in $headers (node-gyp needs them to build better-sqlite3)"

  rootfs=$CACHE/bookworm-minbase
  if [ ! -f "$rootfs/.complete" ]; then
    command -v debootstrap >/dev/null || fail "debootstrap is not installed (apt-get install debootstrap)"
    mirror=$(debian_mirror)
    say "debootstrap --variant=minbase bookworm from $mirror (cached in $rootfs)"
    rm -rf "$rootfs"
    mkdir -p "$CACHE"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror"
    # What the official slim image leaves out: downloaded packages and package lists.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    : >"$rootfs/etc/resolv.conf"
    touch "$rootfs/.complete"
  else
    say "debootstrap root file system: cached in $rootfs"
  fi

  say "committing $BASE: that root file system with Node $version from $node and npm from $npm_dir"
  local mnt
  base_ctr=$(buildah from scratch)
  mnt=$(buildah mount "$base_ctr")
  tar -C "$rootfs" --exclude=./.complete -cf - . | tar -C "$mnt" -xpf -
  install -D -m 755 "$node" "$mnt/usr/local/bin/node"
  mkdir -p "$mnt/usr/local/lib/node_modules" "$mnt/usr/local/include"
  cp -a "$npm_dir" "$mnt/usr/local/lib/node_modules/npm"
  cp -a "$headers" "$mnt/usr/local/include/node"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
  chroot "$mnt" /usr/bin/env -i /usr/local/bin/node -e 'process.exit(0)' || fail "Node does not start in the debootstrap root (a missing library?)"
  buildah umount "$base_ctr" >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$version" --cmd node --created-by "scripts/container-smoke.sh" "$base_ctr"
  buildah commit --quiet --format docker --rm "$base_ctr" "$BASE" >/dev/null
  base_ctr=""
  say "base image $BASE: made"
}

base_ctr=""
server_pid=""
run_job=""
ctr=""
data=""
cleanup() {
  local status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -TERM "$server_pid" 2>/dev/null || true; fi
  if [ -n "$run_job" ]; then
    for _ in $(seq 1 20); do kill -0 "$run_job" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$run_job" 2>/dev/null && kill -KILL "$run_job" 2>/dev/null
    wait "$run_job" 2>/dev/null || true
  fi
  [ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1
  [ -n "$base_ctr" ] && buildah rm "$base_ctr" >/dev/null 2>&1
  [ -n "$data" ] && rm -rf "$data"
  exit "$status"
}
trap cleanup EXIT

prepare_base

# npm inside the build trusts what Node on this machine trusts: a TLS-inspecting proxy's CA bundle
# (NODE_EXTRA_CA_CERTS, else the system bundle) goes in as a build secret, not into the image.
secret=()
ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
[ -f "$ca" ] && secret=(--secret "id=ca,src=$ca")
say "buildah bud --isolation chroot --format docker --layers ${secret[*]} -t $IMAGE -f Containerfile ."
previous=$(buildah images --quiet --no-trunc "$IMAGE" 2>/dev/null || true)
started=$(date +%s)
buildah bud --isolation chroot --format docker --layers "${secret[@]}" -t "$IMAGE" -f Containerfile .
say "built in $(($(date +%s) - started)) s"
# The image this build replaced, if any (its build cache stays: buildah rmi --prune removes that).
current=$(buildah images --quiet --no-trunc "$IMAGE")
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then buildah rmi "$previous" >/dev/null 2>&1 || true; fi

# The image's configuration (its Docker config): what it runs, as whom, its health check.
inspect=$(buildah inspect --type image "$IMAGE")
# config EXPR: evaluates EXPR on the config `c`; an array is printed as NUL-terminated words.
config() {
  printf '%s' "$inspect" | node -e '
    let s = "";
    process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const c = JSON.parse(s).Docker.config;
      const v = new Function("c", "return " + process.argv[1])(c);
      if (Array.isArray(v)) for (const w of v) process.stdout.write(w + "\0");
      else if (v !== undefined && v !== null) process.stdout.write(String(v));
    });' "$1"
}
mapfile -d '' command < <(config '[...(c.Entrypoint ?? []), ...(c.Cmd ?? [])]')
mapfile -d '' health < <(config 'c.Healthcheck?.Test ?? []')
image_user=$(config 'c.User')
data_dir=$(config '(c.Env ?? []).find((e) => e.startsWith("GROUPGATE_DATA_DIR="))?.split("=")[1]')
[ "${#command[@]}" -gt 0 ] || fail "the image has no ENTRYPOINT or CMD"
[ -n "$image_user" ] && [ "$image_user" != root ] && [ "$image_user" != 0 ] || fail "the image runs as root (USER is '${image_user}')"
[ "${health[0]:-}" = CMD ] || fail "the image has no exec-form HEALTHCHECK (was it built with --format docker?)"
[ "$(config '(c.Env ?? []).includes("GROUPGATE_HOST=0.0.0.0")')" = true ] || fail "the image does not listen on 0.0.0.0 (GROUPGATE_HOST)"
[ -n "$data_dir" ] && [ "$(config "Object.keys(c.Volumes ?? {}).includes('$data_dir')")" = true ] || fail "GROUPGATE_DATA_DIR ($data_dir) is not a volume"
say "image: runs '${command[*]}' as $image_user; volume $data_dir; health check '${health[*]:1}'"

if ss -Hltn "sport = :$PORT" | grep -q .; then fail "port $PORT is in use (set SMOKE_PORT)"; fi
data=$(mktemp -d /tmp/groupgate-smoke-data.XXXXXX)
ctr=$(buildah from --quiet "$IMAGE")
# buildah run mounts the image's VOLUME over a --volume at the same path (seen with buildah 1.28):
# this working container forgets the VOLUME, and the fresh directory stands in for it.
buildah config --volume "$data_dir-" "$ctr"
mnt=$(buildah mount "$ctr")
uid=$(chroot "$mnt" id -u "$image_user")
buildah umount "$ctr" >/dev/null
chown "$uid" "$data"
chmod 700 "$data"

# On the host's network (chroot isolation), so on loopback here; in a real container runtime the
# image's GROUPGATE_HOST=0.0.0.0 applies.
say "running the image on 127.0.0.1:$PORT (as the image's user, $image_user)"
log=$(mktemp /tmp/groupgate-smoke-log.XXXXXX)
buildah run --isolation chroot --volume "$data:$data_dir" \
  --env GROUPGATE_HOST=127.0.0.1 --env GROUPGATE_PORT="$PORT" --env GROUPGATE_LOG_LEVEL=warn \
  "$ctr" -- "${command[@]}" >"$log" 2>&1 &
run_job=$!

deadline=$(($(date +%s) + TIMEOUT))
code=""
while [ "$(date +%s)" -lt "$deadline" ]; do
  kill -0 "$run_job" 2>/dev/null || {
    cat "$log"
    fail "the server exited before answering /healthz"
  }
  code=$(node -e 'fetch(process.argv[1]).then((r) => console.log(r.status), () => console.log(0))' "http://127.0.0.1:$PORT/healthz")
  [ "$code" = 200 ] && break
  sleep 1
done
[ "$code" = 200 ] || {
  cat "$log"
  fail "/healthz did not answer 200 within ${TIMEOUT}s (last: $code)"
}
say "/healthz answered 200 after $((TIMEOUT - (deadline - $(date +%s)))) s"

server_pid=$(ss -Hltnp "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)
[ -n "$server_pid" ] || fail "cannot find the process listening on $PORT"
server_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$server_pid/status")
[ "$server_uid" = "$uid" ] && [ "$server_uid" != 0 ] || fail "the server runs as uid $server_uid, not $image_user ($uid)"
[ "$(readlink "/proc/$server_pid/root")" != / ] || fail "the server is not inside the container's root"
say "server: pid $server_pid, uid $server_uid ($image_user), in the container's root $(readlink "/proc/$server_pid/root")"

[ -f "$data/groupgate.db" ] || fail "no groupgate.db in the data volume"
[ "$(stat -c %u "$data/groupgate.db")" = "$uid" ] || fail "groupgate.db is not owned by $image_user"
say "data volume: $(cd "$data" && ls | tr '\n' ' ')(owned by $image_user)"

buildah run --isolation chroot --env GROUPGATE_PORT="$PORT" "$ctr" -- "${health[@]:1}" || fail "the image's HEALTHCHECK command failed"
say "HEALTHCHECK command: exit 0"

say "image size"
for image in "$IMAGE" "$BASE"; do buildah images --format '{{.Name}}:{{.Tag}}  {{.Size}}' "$image"; done

kill -TERM "$server_pid"
for _ in $(seq 1 30); do kill -0 "$run_job" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$run_job" 2>/dev/null; then fail "the server did not stop within 15 s of SIGTERM"; fi
wait "$run_job" && status=0 || status=$?
[ "$status" = 0 ] || {
  cat "$log"
  fail "the server exited with status $status after SIGTERM"
}
rm -f "$log"
say "stopped on SIGTERM (exit 0)"
printf '\nPASS: container smoke test\n'
