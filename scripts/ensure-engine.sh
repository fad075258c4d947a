#!/usr/bin/env bash
# Makes sure a Docker engine answers and that the local test image exists.
# These machines reach no image registry, so the image is imported from busybox-static.
# With MOORING_SKIP_ENGINE=1 it does nothing (for machines where tests that need the engine are not run).
#   --test-tools   also promtool (Debian's prometheus), which the tests use to check the metrics file, and
#                  docker-compose, the reference client of the Compose conformance tests
#   --bench-tools  also docker-compose, a contender in the benchmark
set -euo pipefail

want_promtool=0 want_compose=0
for arg in "$@"; do
  case "$arg" in
    --test-tools) want_promtool=1 want_compose=1 ;;
    --bench-tools) want_promtool=1 want_compose=1 ;;
    *) echo "ensure-engine: unknown option $arg" >&2; exit 2 ;;
  esac
done

image="${MOORING_TEST_IMAGE:-mooring/busybox:latest}"
log="${MOORING_DOCKERD_LOG:-/var/log/mooring-dockerd.log}"

[ "${MOORING_SKIP_ENGINE:-}" = 1 ] && exit 0

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

fail() { echo "ensure-engine: $*" >&2; exit 1; }

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  [ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || missing+=(busybox-static)
  [ "$want_promtool" = 1 ] && ! command -v promtool >/dev/null && missing+=(prometheus)
  [ "$want_compose" = 1 ] && ! command -v docker-compose >/dev/null && missing+=(docker-compose)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || fail "no Docker engine answers and ${missing[*]} is missing; install it (as root: apt-get install ${missing[*]}) or set DOCKER_HOST"
  command -v apt-get >/dev/null || fail "no Docker engine answers and this is not a Debian-like system; start one or set DOCKER_HOST"
  echo "ensure-engine: installing ${missing[*]}" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

start_dockerd() {
  [ "$(id -u)" -eq 0 ] || fail "no Docker engine answers; start dockerd or set DOCKER_HOST (starting it needs root)"
  [ -n "${DOCKER_HOST:-}" ] && fail "DOCKER_HOST=$DOCKER_HOST does not answer"
  echo "ensure-engine: starting dockerd (log: $log)" >&2
  # setsid: the engine must outlive the npm script that started it.
  setsid nohup dockerd >"$log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    engine_answers && return 0
    sleep 1
  done
  tail -20 "$log" >&2 || true
  fail "dockerd did not answer within 60 s"
}

ensure_image() {
  docker image inspect "$image" >/dev/null 2>&1 && return 0
  local busybox rootfs
  busybox=$(command -v busybox) || fail "busybox-static is needed to build $image"
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' RETURN
  mkdir -p "$rootfs"/{bin,sbin,etc,tmp,www,root,var/www}
  cp "$busybox" "$rootfs/bin/busybox"
  for applet in $("$busybox" --list); do
    [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  echo 'mooring test page' >"$rootfs/www/index.html"
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/bin:/sbin' \
    --change 'CMD ["sh"]' \
    - "$image" >/dev/null
  echo "ensure-engine: built $image" >&2
}

if ! engine_answers; then
  install_packages
  start_dockerd
else
  install_packages
fi
ensure_image
