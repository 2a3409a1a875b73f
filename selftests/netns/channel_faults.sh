#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Secure channels through faults further away than their first hop.
# Four nodes in a line, n1 - n2 - n3 - n4, each with ockamd listening on
# 0.0.0.0:4000; n2 and n3 forward in the kernel and dial the next hop
# (--dial-forwarded on); n1 sends a keepalive after 500 ms of silence,
# so a channel whose peer went quiet is recovering after 1.5 s. In each
# case a client on n1 sends numbered messages through one channel to the
# echo service at its other end, the fault comes once the first echoes
# are back, and the same channel route must carry echoes again: the
# time from the fault to the first echo of a message sent after it is
# printed (and from the fault's end, for one that lasts), and the
# messages lost meanwhile; none may come back changed or twice. The
# client stops once five messages sent after the fault are echoed.
#
#   - a channel n1 -> n4 over three TCP hops: each of the three
#     connections under it reset in turn (ss -K), the first from n1's
#     side, the others from the far side;
#   - the link n2 - n3 drops every packet (netem loss 100%) for 3 s, six
#     keepalive intervals: the channel goes recovering (peer-silent) and
#     comes back on the same route once the link carries packets again;
#   - n4's daemon, the channel's responder, is killed (SIGKILL: no
#     CLOSE, its keys are gone) and started again: the channel comes
#     back through a new handshake, its keys behind the same encryptor;
#   - n3 registers relay n3 at n2, and n1 opens a channel to n3 through
#     /service/forward_to_n3 on n2; n2's daemon, the relay, is killed
#     and started again: n3 registers again and the channel comes back.
#
# Run in the VM:
#
#   make vm-tests VM_ARGS="--tests 'netns/channel_faults'"

lib=${OCKAM_SELFTESTS:-$(cd "$(dirname "$0")/.." && pwd)}/lib
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ockam.sh
. "$lib/ockam.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/channel.sh
. "$lib/channel.sh"

require_cmd ockam ockamd ss tc
require_module sch_netem
export OCKAM_HOME=$NS_TMP/home
NODES=(n1 n2 n3 n4)

trap 'daemon_logs "${NODES[@]}"; ns_cleanup' EXIT

# Each node's options, for starting its daemon again after a kill.
declare -A OPTS=([n1]="--channel-keepalive 500ms" [n2]="" [n3]="" [n4]="")
RUNS=0
# When the fault began, if not when its function was called, and when a
# fault that lasts (a blackhole, a restart) ended; set by the fault.
FAULT_START=
FAULT_END=

# node_start NODE: NODE's daemon with its options; n2 and n3 dial the
# next hop of the messages they forward.
node_start() {
	# shellcheck disable=SC2086 # the options are words
	node_exec "$1" ockam node create "$1" \
		--tcp-listener-address 0.0.0.0:4000 ${OPTS[$1]} >/dev/null &&
	wait_tcp_listen "$1" 4000 || return 1
	case $1 in
	n2 | n3) node_exec "$1" ockam node set "$1" --dial-forwarded on ;;
	esac
}

# daemon_restart DESC NODE: SIGKILL to NODE's daemon, then a new one,
# with the same options; the fault begins with the kill.
daemon_restart() {
	local pid
	pid=$(ockam node show "$2" -j | json_number pid)
	FAULT_START=$(now_ms)
	tap_check "$1: $2's daemon killed (SIGKILL)" kill -KILL "$pid"
	wait_until 10 pid_gone "$pid"
	tap_check "$1: $2's daemon started again" node_start "$2"
	FAULT_END=$(now_ms)
}

# reset NODE PEER_ADDR: ss -K every TCP connection of NODE's to
# PEER_ADDR; fails when there was none.
reset() {
	node_exec "$1" ss -K -H -t dst "$2" | grep -q .
}

# back_or_done MS OUT PID: 5 echoes of messages sent at MS or later, or
# the client PID sent all it had to.
back_or_done() {
	echoed_after "$1" 5 "$2" || pid_gone "$3"
}

# stream_fault DESC CHANNEL COUNT FAULT...: the client sends messages
# from n1 through CHANNEL; once 5 echoes are back FAULT runs (in this
# shell: it reports its own checks). Then the echoes must come back
# through the same channel: once 5 of messages sent after the fault (its
# end, for one that lasts) are back, the client stops. COUNT bounds the
# messages, a recovery that never comes included.
stream_fault() {
	local desc=$1 ch=$2 count=$3 out stop pid t0
	shift 3
	RUNS=$((RUNS + 1))
	out=$NS_TMP/client.$RUNS
	stop=$NS_TMP/client.$RUNS.stop
	: >"$out"
	client n1 "$ch" "$out" "$count" "$stop" &
	pid=$!
	if ! wait_until 30 at_least_echoed 5 "$out"; then
		tap_fail "$desc: the first echoes come back" "$(cat "$out")"
	fi
	FAULT_START=
	FAULT_END=
	t0=$(now_ms)
	"$@"
	t0=${FAULT_START:-$t0}
	wait_until 300 back_or_done "${FAULT_END:-$t0}" "$out" "$pid" || true
	: >"$stop"
	if ! wait_until 60 pid_gone "$pid"; then
		tap_fail "$desc: the client ends" "$(tail -n 5 "$out")"
		kill "$pid"
	fi
	wait "$pid"
	stream_verdict "$desc" "$out" "$(sent "$out")" "$ch" "$t0" "$FAULT_END"
	tap_diag "$desc: route sets $(channel_number n1 "$ch" route_sets), handshakes $(channel_number n1 "$ch" handshakes)"
}

# ----------------------------------------------------------------- setup
setup() {
	local n
	node_add "${NODES[@]}" || return 1
	link_line "${NODES[@]}" || return 1
	for n in "${NODES[@]}"; do
		node_start "$n" || return 1
	done
}
if ! setup; then
	tap_fail "four nodes with ockamd" "$(node_logs)"
	tap_done
fi
tap_ok "four nodes with ockamd"
tap_check "n1's kernel has n1's keepalive" \
	bash -c "ockam node show n1 -j | grep -q '\"channel_keepalive_ms\": *500'"

CH=$(ockam secure-channel create --from n1 --to "$(route_to n4 api)" \
	--timeout 20s)
if ! [[ $CH =~ ^/service/[0-9a-f]{32}$ ]]; then
	tap_fail "secure-channel create n1 -> n4 over three TCP hops" "got '$CH'"
	tap_done
fi
tap_ok "secure-channel create n1 -> n4 over three TCP hops"
expect_output "n1 reaches n4's echo through the channel" first \
	ockam message send first --from n1 --timeout 5s --to "$CH/service/echo"

# ------------------------------------------- each connection reset in turn
fault_reset() {
	tap_check "$1: ss -K resets it mid-stream" reset "$2" "$3"
}
stream_fault "n1 - n2 reset on n1" "$CH" 30 \
	fault_reset "n1 - n2 reset on n1" n1 "$(addr_of n2)"
stream_fault "n2 - n3 reset on n3" "$CH" 30 \
	fault_reset "n2 - n3 reset on n3" n3 10.0.23.2
stream_fault "n3 - n4 reset on n4" "$CH" 30 \
	fault_reset "n3 - n4 reset on n4" n4 10.0.34.3
tap_diag "n1's daemon: $(grep "secure channel ${CH#/service/} .* is " \
	"$OCKAM_HOME/nodes/n1/log" | sed 's/.* is //' | tr '\n' ' ')"

# --------------------------------------------------- a link blackholed
silent() {
	[ "$(channel_state n1 "$CH")" = "recovering peer-silent" ]
}
fault_blackhole() {
	local start
	start=$(now_ms)
	tap_check "blackhole: n2 - n3 drops every packet both ways (netem loss 100%)" \
		bash -c "tc -n '$(ns n2)' qdisc add dev to-n3 root netem loss 100% &&
		tc -n '$(ns n3)' qdisc add dev to-n2 root netem loss 100%"
	tap_check "blackhole: n1's channel goes recovering, its peer silent" \
		wait_until 5 silent
	sleep "$(awk -v e=$(($(now_ms) - start)) 'BEGIN { r = (3000 - e) / 1000; print (r > 0 ? r : 0) }')"
	tap_check "blackhole: after 3 s the link carries packets again" \
		bash -c "tc -n '$(ns n2)' qdisc del dev to-n3 root;
		tc -n '$(ns n3)' qdisc del dev to-n2 root"
	FAULT_END=$(now_ms)
}
stream_fault "blackhole" "$CH" 40 fault_blackhole

# ------------------------------------------- the responder's daemon dies
fault_responder() {
	daemon_restart responder n4
}
handshakes=$(channel_number n1 "$CH" handshakes)
stream_fault "responder restarted" "$CH" 60 fault_responder
tap_check "responder restarted: through a new handshake" \
	test "$(channel_number n1 "$CH" handshakes)" -gt "$handshakes"

# ----------------------------------------------- the relay node restarts
out=$(node_exec n3 ockam relay create n3 --at /ip4/10.0.23.2/tcp/4000 \
	--to n3 2>&1)
tap_expect_eq "n3 registers relay n3 at n2" "/service/forward_to_n3" "$out"
RELAYED=$(tcp_hop n2)/service/forward_to_n3
CHR=$(ockam secure-channel create --from n1 --to "$RELAYED/service/api" \
	--timeout 20s)
tap_check "secure-channel create n1 -> n3 through the relay" \
	test "$(ockam secure-channel show "$CHR" --at n1 -j | json_string peer)" = \
	"$(ockam identity show --at n3)"
relay_regs_more() {
	[ "$(ockam relay show n3 --at n3 -j | json_number registrations)" -gt "$1" ]
}
fault_relay() {
	local regs
	regs=$(ockam relay show n3 --at n3 -j | json_number registrations)
	daemon_restart relay n2
	tap_check "relay: n3 registers again at the new daemon" \
		wait_until 30 relay_regs_more "$regs"
}
stream_fault "relay restarted" "$CHR" 60 fault_relay

tap_check "node delete --all" ockam node delete --all
tap_done
