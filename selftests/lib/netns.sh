# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Nodes (network namespaces) joined by veth pairs, for multi-node shell
# tests. Source it (it sources tap.sh too):
#
#   . "$(dirname "$0")/../lib/netns.sh"
#   require_cmd ockam ockamd socat
#   node_add n1 n2 n3
#   link_add n1 n2 10.0.12.1 10.0.12.2
#   link_add n2 n3 10.0.23.2 10.0.23.3
#   node_bg n3 ockamd --node n3 --tcp-listener-address 10.0.23.3:4000 --foreground
#   wait_tcp_listen n3 4000
#   tap_check "message crosses n1 -> n2 -> n3" node_exec n1 ockam message send ...
#   tap_done
#
# Namespace names get a per-run prefix ($NS_PREFIX) so that leftovers of
# one test cannot collide with the next; "ns NAME" prints the full name for
# commands such as "ip -n". Everything added here is removed on exit:
# background processes are stopped and the namespaces deleted.
#
# Call iproute2 as "ip" from bash (these helpers do): PATH finds
# /usr/sbin/ip. Under busybox sh the name "ip" would run busybox's applet.

# shellcheck source-path=SCRIPTDIR source=tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

NS_PREFIX=${NS_PREFIX:-ot$$-}
NS_TMP=${NS_TMP:-$(mktemp -d "${TMPDIR:-/tmp}/ockam-netns.XXXXXX")}
NS_NODES=()
NS_PIDS=()

ns() {
	echo "$NS_PREFIX$1"
}

# node_add NAME...: a namespace each, loopback up.
node_add() {
	local n
	for n in "$@"; do
		ip netns add "$(ns "$n")" || return 1
		NS_NODES+=("$n")
		ip -n "$(ns "$n")" link set lo up || return 1
	done
}

# node_exec NAME COMMAND...: run COMMAND inside node NAME.
node_exec() {
	local n=$1
	shift
	ip netns exec "$(ns "$n")" "$@"
}

# node_bg NAME COMMAND...: start COMMAND in the background inside NAME;
# its output goes to $NS_TMP/NAME.<pid>.log. Sets NODE_BG_PID.
node_bg() {
	local n=$1
	shift
	# The process opens its log itself, so the name is right from the
	# first byte: "ip netns exec" and "exec" keep the pid $! reports.
	# shellcheck disable=SC2016 # expanded by the inner bash
	ip netns exec "$(ns "$n")" bash -c 'exec "$@" >"$0.$$.log" 2>&1' \
		"$NS_TMP/$n" "$@" </dev/null &
	NODE_BG_PID=$!
	NS_PIDS+=("$NODE_BG_PID")
}

# node_stop PID: stop one background process started by node_bg.
node_stop() {
	kill "$1" 2>/dev/null || return 0
	local i
	for i in $(seq 1 20); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
}

# link_add A B ADDR_A ADDR_B [PREFIXLEN]: a veth pair between nodes A and
# B, named "to-B" in A and "to-A" in B, with IPv4 addresses, up.
link_add() {
	local a=$1 b=$2 ip_a=$3 ip_b=$4 len=${5:-24}
	ip link add "to-$b" netns "$(ns "$a")" type veth \
		peer name "to-$a" netns "$(ns "$b")" || return 1
	ip -n "$(ns "$a")" addr add "$ip_a/$len" dev "to-$b" &&
	ip -n "$(ns "$b")" addr add "$ip_b/$len" dev "to-$a" &&
	ip -n "$(ns "$a")" link set "to-$b" up &&
	ip -n "$(ns "$b")" link set "to-$a" up
}

# link_line NODE...: join the nodes in a line, each to the next, the
# link between the i-th and the next on 10.0.<i><i+1>.0/24 (the i-th node
# on .<i>, the next on .<i+1>).
link_line() {
	local nodes=("$@") i
	for ((i = 1; i < ${#nodes[@]}; i++)); do
		link_add "${nodes[i - 1]}" "${nodes[i]}" "10.0.$i$((i + 1)).$i" \
			"10.0.$i$((i + 1)).$((i + 1))" || return 1
	done
}

# addr_of NODE: for nodes n1, n2, ... in a line, each link between n(K-1)
# and nK being the subnet 10.0.(K-1)K.0/24 with host K at .K, the address
# of nK on its link towards n(K-1): 10.0.(K-1)K.K (addr_of n3: 10.0.23.3).
addr_of() {
	local n=${1#n}
	echo "10.0.$((n - 1))$n.$n"
}

# route_add NODE DEST VIA: an IPv4 route inside NODE.
route_add() {
	ip -n "$(ns "$1")" route add "$2" via "$3"
}

# wait_every SECONDS TENTHS COMMAND...: retry COMMAND every TENTHS tenths
# of a second until it succeeds; fails after SECONDS.
wait_every() {
	local limit=$(($1 * 10 / $2)) step=$2 i=0
	shift 2
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt $limit ] || return 1
		sleep "$((step / 10)).$((step % 10))"
	done
}

# wait_until SECONDS COMMAND...: retry COMMAND every 0.1 s until it
# succeeds; fails after SECONDS.
wait_until() {
	wait_every "$1" 1 "${@:2}"
}

_tcp_listening() {
	ip netns exec "$(ns "$1")" ss -Htln "sport = :$2" | grep -q .
}

_udp_bound() {
	ip netns exec "$(ns "$1")" ss -Huan "sport = :$2" | grep -q .
}

# wait_tcp_listen NODE PORT [SECONDS]: until something listens on PORT.
wait_tcp_listen() {
	wait_until "${3:-10}" _tcp_listening "$1" "$2"
}

# wait_udp_bound NODE PORT [SECONDS]: until a UDP socket is bound to PORT.
wait_udp_bound() {
	wait_until "${3:-10}" _udp_bound "$1" "$2"
}

# require_cmd COMMAND...: skip the whole test when one is missing.
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || tap_skip_all "'$c' is not installed"
	done
}

# require_module NAME...: load kernel modules or skip the whole test.
require_module() {
	local m
	for m in "$@"; do
		[ -d "/sys/module/$m" ] || modprobe "$m" 2>/dev/null ||
			tap_skip_all "kernel module '$m' is not available"
	done
}

# node_logs: the background processes' output, as TAP diagnostics.
node_logs() {
	local f
	for f in "$NS_TMP"/*.log; do
		[ -s "$f" ] || continue
		tap_diag "---- ${f##*/}"
		tap_diag "$(tail -n 50 "$f")"
	done
}

ns_cleanup() {
	local p n
	for p in "${NS_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${NS_PIDS[@]}"; do
		node_stop "$p"
	done
	for n in "${NS_NODES[@]}"; do
		ip netns pids "$(ns "$n")" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$(ns "$n")" 2>/dev/null
	done
	rm -rf "$NS_TMP"
}
trap ns_cleanup EXIT
