#!/usr/bin/env bash
# A two-host Docker Swarm on one machine, for tests and the benchmark of mooring across hosts. The two engines are
# those of second-engine.sh (NAME-1 and NAME-2, each in its own network namespace mooring-NAME-i, with its own
# hostname NAME-i); here each namespace gets an eth0, one end of a veth pair whose other end is on a bridge this
# script creates, with an address from $MOORING_SWARM_SUBNET (default 198.18.0, a benchmarking range no engine
# uses for its own networks). The bridge has no address on the host: the nodes reach each other and nothing
# else. NAME-1 is the manager (`swarm init --advertise-addr`), NAME-2 joins it as a worker. Needs root.
#
#   swarm.sh start NAME   starts what is not running (an engine killed is started again, and is still a member)
#                         and prints, per node, "NAME-i unix:///…/docker.sock ADDRESS manager|worker"
#   swarm.sh stop NAME    removes the engines (and their containers, namespaces, directories), the bridge and
#                         the firewall rule; stopping what is already gone succeeds
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
subnet="${MOORING_SWARM_SUBNET:-198.18.0}"
root="${MOORING_ENGINES_DIR:-/tmp/mooring-engines}"

fail() { echo "swarm: $*" >&2; exit 1; }
usage() { fail "usage: $0 start NAME | stop NAME"; }

# Interface names are at most 15 characters, and NAME may be 31: a digest of NAME names the bridge and its ports.
links_of() {
  local digest
  digest=$(printf '%s' "$1" | md5sum | cut -c1-8)
  bridge="msw$digest"
  port_prefix="msw${digest}p"
}

node_docker() { docker -H "unix://$root/$1/docker.sock" "${@:2}"; }

# The rule that lets the nodes talk across the bridge: Docker's FORWARD policy drops bridged traffic when
# br_netfilter is loaded, and DOCKER-USER is the chain Docker leaves to the host's own rules.
rule() { echo "-i $bridge -o $bridge -j ACCEPT"; }
chain() { if iptables -n -L DOCKER-USER >/dev/null 2>&1; then echo DOCKER-USER; else echo FORWARD; fi; }

wire() {
  local name="$1" i netns port
  ip link show "$bridge" >/dev/null 2>&1 || { ip link add "$bridge" type bridge; ip link set "$bridge" up; }
  # shellcheck disable=SC2046
  iptables -C "$(chain)" $(rule) 2>/dev/null || iptables -I "$(chain)" $(rule)
  for i in 1 2; do
    netns="mooring-$name-$i" port="$port_prefix$i"
    if [ ! -e "/var/run/netns/$netns" ]; then
      ip netns add "$netns"
      ip netns exec "$netns" ip link set lo up
    fi
    ip netns exec "$netns" ip link show eth0 >/dev/null 2>&1 && continue
    ip link delete "$port" 2>/dev/null || true
    ip link add "$port" type veth peer name "${port}n"
    ip link set "${port}n" netns "$netns"
    ip netns exec "$netns" ip link set "${port}n" name eth0
    ip netns exec "$netns" ip addr add "$subnet.$i/24" dev eth0
    ip netns exec "$netns" ip link set eth0 up
    ip link set "$port" master "$bridge"
    ip link set "$port" up
  done
}

swarm_state() { node_docker "$1" info --format '{{.Swarm.LocalNodeState}}'; }

# A restarted member rejoins by itself; wait for that rather than join it twice.
wait_active() {
  local engine="$1"
  for _ in $(seq 1 300); do
    [ "$(swarm_state "$engine")" = active ] && return 0
    sleep 0.1
  done
  fail "$engine is not an active swarm member after 30 s (state: $(swarm_state "$engine"))"
}

form_swarm() {
  local name="$1" token
  if [ "$(swarm_state "$name-1")" = inactive ]; then
    node_docker "$name-1" swarm init --advertise-addr "$subnet.1" --listen-addr "$subnet.1:2377" >/dev/null
  fi
  wait_active "$name-1"
  if [ "$(swarm_state "$name-2")" = inactive ]; then
    token=$(node_docker "$name-1" swarm join-token -q worker)
    node_docker "$name-2" swarm join --token "$token" --advertise-addr "$subnet.2" --listen-addr "$subnet.2:2377" "$subnet.1:2377" >/dev/null
  fi
  wait_active "$name-2"
}

start() {
  local name="$1"
  links_of "$name"
  wire "$name"
  bash "$here/second-engine.sh" start "$name" 2 >/dev/null
  form_swarm "$name"
  echo "$name-1 unix://$root/$name-1/docker.sock $subnet.1 manager"
  echo "$name-2 unix://$root/$name-2/docker.sock $subnet.2 worker"
}

stop() {
  local name="$1"
  links_of "$name"
  # The engines first: their namespaces take the veth pairs with them.
  bash "$here/second-engine.sh" stop "$name"
  ip link delete "$port_prefix"1 2>/dev/null || true
  ip link delete "$port_prefix"2 2>/dev/null || true
  ip link delete "$bridge" 2>/dev/null || true
  local table
  for table in DOCKER-USER FORWARD; do
    # shellcheck disable=SC2046
    while iptables -C "$table" $(rule) 2>/dev/null; do iptables -D "$table" $(rule); done
  done
}

[ $# -eq 2 ] || usage
[[ "$2" =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,28}$ ]] || fail "expected a name of letters, digits, '_', '.', '-' (at most 29), got '$2'"
[ "$(id -u)" -eq 0 ] || fail "a swarm of engines needs root"
case "$1" in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
