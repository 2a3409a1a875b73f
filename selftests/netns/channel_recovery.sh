#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Secure channels outlive their transports. n1 (in a) opens a channel to
# n2 (in b) with "ockam secure-channel create"; a client on n1 sends
# numbered messages through the channel to n2's echo service while the
# TCP connection under the channel is reset (ss -K), once on n1's side
# and once on n2's. The channel keeps its route (the same encryptor
# address): n1's daemon gives it a new route over a fresh connection and
# n2 adopts the new return route from n1's next authenticated frame. No
# echo comes back twice or changed; the ones lost meanwhile are counted,
# and the time until the first echo after the reset is printed.
#
# Then keepalives: n3 (in c, --channel-keepalive 200ms --channel-give-up
# 3s) opens a channel to n2, and n2's link to c drops every packet
# (netem loss 100%). n3's channel hears nothing for three keepalive
# intervals (recovering, peer-silent), gives up (down, gave-up) and
# refuses to send (ENETDOWN); once the link carries packets again it
# comes back. Run in the VM:
#
#   make vm-tests VM_ARGS="--tests 'netns/channel_recovery'"

lib=${OCKAM_SELFTESTS:-$(cd "$(dirname "$0")/.." && pwd)}/lib
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ockam.sh
. "$lib/ockam.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/channel.sh
. "$lib/channel.sh"

require_cmd ockam ockamd ss tc
export OCKAM_HOME=$NS_TMP/home

trap 'daemon_logs n1 n2 n3; ns_cleanup' EXIT

N2_FROM_N1=/ip4/10.0.12.2/tcp/4000
N2_FROM_N3=/ip4/10.0.23.2/tcp/4000

# responder_moves NODE: route moves of NODE's (only) channel.
responder_moves() {
	ockam secure-channel list --at "$1" -j | json_number route_moves
}

# reset_mid_stream SIDE DESC: run the client, reset the connection under
# the channel on SIDE's node after the first echoes, and check the
# stream came back through the same channel.
reset_mid_stream() {
	local side=$1 desc=$2 out=$NS_TMP/client-$1 pid kill_at
	local filter moves_before
	moves_before=$(responder_moves n2)
	: >"$out"
	client n1 "$CH" "$out" &
	pid=$!
	wait_until 20 at_least_echoed 5 "$out"
	if [ "$side" = a ]; then
		filter='( dport = :4000 )'
	else
		filter='( sport = :4000 )'
	fi
	kill_at=$(now_ms)
	tap_check "$desc: ss -K resets the connection under the channel" \
		node_exec "$side" ss -K state established "$filter"
	wait_until 120 pid_gone "$pid"
	wait "$pid"
	stream_verdict "$desc" "$out" "$COUNT" "$CH" "$kill_at"
	tap_check "$desc: some messages were echoed, and fewer lost than half" \
		test "$LOST" -lt $((COUNT / 2))
	tap_check "$desc: n2's end adopted a new return route (route moves $moves_before -> $(responder_moves n2))" \
		test "$(responder_moves n2)" -gt "$moves_before"
}

# ----------------------------------------------------------------- setup
node_add a b c
link_add a b 10.0.12.1 10.0.12.2
link_add b c 10.0.23.2 10.0.23.3
tap_check "node create n1" node_exec a ockam node create n1
tap_check "node create n2" \
	node_exec b ockam node create n2 --tcp-listener-address 0.0.0.0:4000
tap_check "node create n3 --channel-keepalive 200ms --channel-give-up 3s" \
	node_exec c ockam node create n3 --channel-keepalive 200ms \
	--channel-give-up 3s
expect_status "--channel-keepalive takes 0 or 100ms and more" 2 \
	ockam node create n9 --channel-keepalive 50ms
tap_check "n3's kernel has n3's channel timing" \
	bash -c "ockam node show n3 -j | grep -q '\"channel_keepalive_ms\": *200' &&
	ockam node show n3 -j | grep -q '\"channel_give_up_ms\": *3000'"
wait_tcp_listen b 4000

CH=$(ockam secure-channel create --from n1 --to "$N2_FROM_N1/service/api" \
	--timeout 20s)
if ! [[ $CH =~ ^/service/[0-9a-f]{32}$ ]]; then
	tap_fail "secure-channel create n1 -> n2" "got '$CH'"
	tap_done
fi
tap_ok "secure-channel create n1 -> n2"
tap_expect_eq "secure-channel show: up since it was installed" \
	"up installed" "$(channel_state n1 "$CH")"
tap_check "secure-channel list shows the state" \
	bash -c "ockam secure-channel list --at n1 | grep -q '^$CH .* up  *installed '"

# --------------------------------------------------- transport resets
reset_mid_stream a "reset on the initiator's side"
reset_mid_stream b "reset on the responder's side"
tap_check "n1's daemon logged the channel recovering and up again" \
	bash -c "grep -q 'secure channel ${CH#/service/} .* is recovering (route-down)' \
	'$OCKAM_HOME/nodes/n1/log' &&
	grep -q 'secure channel ${CH#/service/} .* is up' '$OCKAM_HOME/nodes/n1/log'"

# ------------------------------------------------------------ keepalives
CH3=$(ockam secure-channel create --from n3 --to "$N2_FROM_N3/service/api" \
	--timeout 20s)
tap_check "secure-channel create n3 -> n2" \
	test -n "$CH3" -a "$(channel_state n3 "$CH3")" = "up installed"
expect_output "n3 reaches n2's echo through its channel" ka \
	ockam message send ka --from n3 --timeout 5s --to "$CH3/service/echo"
tap_check "n3's channel sends keepalives while nothing else goes" \
	wait_until 5 bash -c "[ \"\$(ockam node show n3 -j |
	grep -o '\"keepalives\": *[0-9]*' | grep -o '[0-9]*$')\" -ge 2 ]"

tap_check "n2's link to n3 drops every packet (netem loss 100%)" \
	node_exec b tc qdisc add dev to-c root netem loss 100%
tap_check "n3's channel goes recovering: the peer is silent" \
	wait_until 5 grep -q \
	"secure channel ${CH3#/service/} .* is recovering (peer-silent)" \
	"$OCKAM_HOME/nodes/n3/log"
tap_check "then down: n3 gave up after 3 s" \
	wait_until 10 state_is n3 "$CH3" down
tap_expect_eq "secure-channel show: down (gave-up)" "down gave-up" \
	"$(channel_state n3 "$CH3")"
out=$(ockam message send down --from n3 --timeout 2s \
	--to "$CH3/service/echo" 2>&1)
tap_check_fails "a message into the down channel is refused" \
	ockam message send down --from n3 --timeout 2s --to "$CH3/service/echo"
tap_check "... with ENETDOWN" grep -q "Network is down" <<<"$out"

tap_check "the link carries packets again" \
	node_exec b tc qdisc del dev to-c root
tap_check "n3's channel comes back" wait_until 20 state_is n3 "$CH3" up
expect_output "n3 reaches n2's echo through the same channel again" back \
	ockam message send back --from n3 --timeout 5s --to "$CH3/service/echo"

tap_done
