#!/usr/bin/env bash
# Runs extra Docker engines beside the host's, for tests that break an engine (stop, kill, SIGSTOP it) or need
# several hosts. Engine NAME-i lives in its own network namespace (mooring-NAME-i: its own docker0 and iptables
# rules, so it never fights the host engine's) and has its own hostname, NAME-i, with its own data root, exec root (and so its own containerd),
# pid file and socket, all under $MOORING_ENGINES_DIR/NAME-i (default /tmp/mooring-engines). Needs root.
#
#   second-engine.sh start NAME [COUNT]   starts engines NAME-1..NAME-COUNT (default 1) that are not running,
#                                         waits until each answers and has the test image; prints, per engine,
#                                         "NAME-i unix:///…/docker.sock PID". Starting a killed engine again
#                                         reuses its data, as a host's engine restarting would.
#   second-engine.sh pid NAME-i           the pid of that engine's dockerd (empty when it is not running)
#   second-engine.sh stop NAME            removes every container of engines NAME-*, stops them (and their
#                                         containerd and shims), removes their cgroups, network namespaces and
#                                         directories
set -euo pipefail

root="${MOORING_ENGINES_DIR:-/tmp/mooring-engines}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

fail() { echo "second-engine: $*" >&2; exit 1; }
usage() { fail "usage: $0 start NAME [COUNT] | pid NAME-i | stop NAME"; }

valid_name() { [[ "$1" =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,30}$ ]] || fail "expected a name of letters, digits, '_', '.', '-' (at most 31), got '$1'"; }

# The pid in a pid file, when that process is alive.
live_pid() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 0
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
  return 0
}

engine_pid() { live_pid "$root/$1/docker.pid"; }

answers() { docker -H "unix://$root/$1/docker.sock" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

launch() {
  local engine="$1" dir="$root/$1"
  # A dockerd killed with SIGKILL leaves its socket and pid file (and its containerd goes with it).
  rm -f "$dir/docker.sock" "$dir/docker.pid"
  # nsenter, not `ip netns exec`: that one remounts /sys, which hides the cgroup mounts dockerd needs.
  # Its own hostname too (a UTS namespace), as a host has: Swarm names its nodes after it.
  setsid nsenter --net="/var/run/netns/mooring-$engine" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$engine" dockerd \
    --host "unix://$dir/docker.sock" \
    --data-root "$dir/data" \
    --exec-root "$dir/exec" \
    --pidfile "$dir/docker.pid" \
    --cgroup-parent "mooring-$engine" \
    --userland-proxy=false \
    --shutdown-timeout 2 \
    >>"$dir/dockerd.log" 2>&1 </dev/null &
}

start_one() {
  local engine="$1" dir="$root/$1" netns="mooring-$1"
  mkdir -p "$dir"
  if [ ! -e "/var/run/netns/$netns" ]; then
    ip netns add "$netns"
    ip netns exec "$netns" ip link set lo up
  fi
  local launched=0
  for _ in $(seq 1 600); do
    answers "$engine" && break
    # A dockerd just killed may take a moment to go; its successor starts once it has.
    if [ "$launched" = 0 ] && [ -z "$(engine_pid "$engine")" ]; then
      launch "$engine"
      launched=1
    fi
    sleep 0.1
  done
  answers "$engine" || { tail -20 "$dir/dockerd.log" >&2; fail "engine $engine did not answer within 60 s (log: $dir/dockerd.log)"; }
  DOCKER_HOST="unix://$dir/docker.sock" bash "$here/ensure-engine.sh"
  echo "$engine unix://$dir/docker.sock $(engine_pid "$engine")"
}

# Processes whose command line names `path`: what is left of an engine (its containerd, the shims) after its dockerd went.
pids_using() {
  # One grep over every command line (a process each would take minutes on a loaded machine); processes come and go meanwhile.
  { grep -lasF -- "$1" /proc/[0-9]*/cmdline 2>/dev/null || true; } | cut -d/ -f3
}

stop_one() {
  local engine="$1" dir="$root/$1" netns="mooring-$1" pid containers leftovers
  pid=$(engine_pid "$engine")
  if [ -n "$pid" ]; then
    kill -CONT "$pid" 2>/dev/null || true
    if answers "$engine"; then
      containers=$(docker -H "unix://$dir/docker.sock" ps -aq)
      # shellcheck disable=SC2086
      [ -n "$containers" ] && docker -H "unix://$dir/docker.sock" rm -f $containers >/dev/null 2>&1 || true
    fi
    kill -TERM "$pid" 2>/dev/null || true
    timeout 20 bash -c "while kill -0 $pid 2>/dev/null; do sleep 0.1; done" || kill -KILL "$pid" 2>/dev/null || true
  fi
  leftovers=$(pids_using "$dir/exec" | tr '\n' ' ')
  if [ -n "$leftovers" ]; then
    # shellcheck disable=SC2086
    kill -KILL $leftovers 2>/dev/null || true
    # shellcheck disable=SC2086
    timeout 10 bash -c "for p in $leftovers; do while kill -0 \$p 2>/dev/null; do sleep 0.1; done; done" || true
  fi
  local cgroup
  for cgroup in /sys/fs/cgroup/*/"mooring-$engine" /sys/fs/cgroup/"mooring-$engine"; do
    [ -d "$cgroup" ] || continue
    # Processes of containers the engine lost track of (a killed engine leaves them behind), then the cgroups.
    { find "$cgroup" -name cgroup.procs -exec cat {} + 2>/dev/null || true; } | xargs -r kill -KILL 2>/dev/null || true
    for _ in $(seq 1 50); do
      find "$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null && break
      sleep 0.1
    done
  done
  if [ -e "/var/run/netns/$netns" ]; then
    umount -l "/var/run/netns/$netns" 2>/dev/null || true
    ip netns delete "$netns" 2>/dev/null || rm -f "/var/run/netns/$netns"
  fi
  # Mounts the engine made (overlay layers, shm, its netns files) go before its files do; a container still
  # being torn down may mount or hold one a moment longer.
  for _ in $(seq 1 50); do
    { grep -oE " $dir/[^ ]+ " /proc/self/mounts || true; } | sort -r | while read -r mount; do umount -l "$mount" 2>/dev/null || true; done
    rm -rf "$dir" 2>/dev/null && return 0
    sleep 0.2
  done
  rm -rf "$dir"
}

command="${1:-}"
case "$command" in
  start)
    [ $# -ge 2 ] && [ $# -le 3 ] || usage
    valid_name "$2"
    count="${3:-1}"
    [[ "$count" =~ ^[1-9][0-9]*$ ]] || fail "expected COUNT to be a whole number >= 1, got '$count'"
    [ "$(id -u)" -eq 0 ] || fail "starting an engine needs root"
    # The engines start at once (each mostly waits for its dockerd), and print in order.
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    pids=()
    for i in $(seq 1 "$count"); do
      start_one "$2-$i" >"$out/$i" &
      pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    for i in $(seq 1 "$count"); do cat "$out/$i"; done
    ;;
  pid)
    [ $# -eq 2 ] || usage
    valid_name "$2"
    engine_pid "$2"
    ;;
  stop)
    [ $# -eq 2 ] || usage
    valid_name "$2"
    # At once, as they start.
    pids=()
    for dir in "$root/$2"-[0-9]*; do
      [ -d "$dir" ] || continue
      stop_one "$(basename "$dir")" &
      pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    rmdir "$root" 2>/dev/null || true
    ;;
  *) usage ;;
esac
