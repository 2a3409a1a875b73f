#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Routing across nodes with ockamd and the ockam command line: six nodes
# in a line, n1 - n2 - n3 - n4 - n5 - n6, each a network namespace with a
# TCP listener on 0.0.0.0:4000. Messages go 1, 3 and 5 TCP hops out,
# connections are dialed on demand (the relays are told they may dial for
# forwarded messages; off is the default), replies come back along the return
# route, aliases forward, a killed connection is re-dialed, and a node
# that goes away is an error for senders until it comes back.

lib=${OCKAM_SELFTESTS:-$(cd "$(dirname "$0")/.." && pwd)}/lib
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ockam.sh
. "$lib/ockam.sh"

require_cmd ockam ockamd

export OCKAM_HOME=$NS_TMP/home
NODES=(n1 n2 n3 n4 n5 n6)

forwarded() {
	node_exec "$1" ockam node show "$1" -j | json_number forwarded
}

setup() {
	local n
	node_add "${NODES[@]}" || return 1
	link_line "${NODES[@]}" || return 1
	for n in "${NODES[@]}"; do
		node_exec "$n" ockam node create "$n" \
			--tcp-listener-address 0.0.0.0:4000 || return 1
		wait_tcp_listen "$n" 4000 || return 1
		# Off by default: every peer here is trusted to make it dial.
		node_exec "$n" ockam node show "$n" -j |
			grep -q '"dial_forwarded": *false' || return 1
		node_exec "$n" ockam node set "$n" --dial-forwarded on || return 1
	done
}

send() {
	node_exec n1 ockam message send "$1" --from n1 --timeout 10s --to "$2"
}

expect_reply() {
	local desc=$1 msg=$2 route=$3 want=$4 got
	got=$(send "$msg" "$route" 2>&1)
	tap_expect_eq "$desc" "$want" "$got"
}

if ! setup; then
	tap_fail "six nodes with ockamd" "$(node_logs)"
	tap_done
fi
tap_ok "six nodes with ockamd"

expect_reply "one hop: echo on n2" hello "$(route_to n2 echo)" hello
expect_reply "three hops: uppercase on n4" hello "$(route_to n4 uppercase)" \
	HELLO
expect_reply "five hops: uppercase on n6" "five hops" \
	"$(route_to n6 uppercase)" "FIVE HOPS"

# The relays forwarded in the kernel; their daemons saw nothing.
fwd=$(forwarded n3)
if [ -n "$fwd" ] && [ "$fwd" -ge 2 ]; then
	tap_ok "n3 forwarded the five-hop message both ways"
else
	tap_fail "n3 forwarded the five-hop message both ways" "forwarded=$fwd"
fi

# Connections were dialed on demand and are reused.
conns=$(node_exec n2 ockam tcp-connection list --from n2 -j |
	grep -c '"peer": *"10.0.23.3:4000"')
tap_expect_eq "n2 dialed n3 once" 1 "$conns"
expect_reply "the dialed connection is reused" again \
	"$(route_to n4 echo)" again
conns=$(node_exec n2 ockam tcp-connection list --from n2 -j |
	grep -c '"peer": *"10.0.23.3:4000"')
tap_expect_eq "still one connection from n2 to n3" 1 "$conns"

# An alias on n2: forward_to_n4 continues along a route to n4.
tap_check "alias forward_to_n4 on n2" \
	node_exec n2 ockam route add forward_to_n4 \
	"$(tcp_hop n3)$(tcp_hop n4)" --at n2
tap_check "route list shows it" \
	bash -c "OCKAM_HOME=$OCKAM_HOME ip netns exec $(ns n2) ockam route list --at n2 | grep -q forward_to_n4"
expect_reply "through the alias" relay \
	"$(tcp_hop n2)/service/forward_to_n4/service/uppercase" RELAY
tap_check "route delete" node_exec n2 ockam route delete forward_to_n4 --at n2
tap_check_fails "the deleted alias no longer routes" \
	node_exec n1 ockam message send x --from n1 --timeout 2s \
	--to "$(tcp_hop n2)/service/forward_to_n4/service/echo"

# A managed connection, piped into message send as Ockam does.
out=$(node_exec n1 ockam tcp-connection create --to "$(addr_of n2):4000" \
	--from n1 | node_exec n1 ockam message send piped --from n1 \
	--timeout 10s --to -/service/echo 2>&1)
tap_expect_eq "tcp-connection create | message send --to -/..." piped "$out"

# Kill the connection n2 -> n3 from n3's side: n2's daemon re-dials it
# on the next message.
peer_addr=$(node_exec n3 ockam tcp-connection list --from n3 |
	awk '$2 ~ /^10\.0\.23\.2:/ { print $1; exit }')
if [ -n "$peer_addr" ]; then
	tap_check "n3 drops its connection from n2" \
		node_exec n3 ockam tcp-connection delete "$peer_addr" --from n3
else
	tap_fail "n3 drops its connection from n2" "no connection from n2 on n3"
fi
expect_reply "a new connection is dialed after the old one died" redial \
	"$(route_to n4 uppercase)" REDIAL

# A node that goes away is an error for the sender, not a hang...
tap_check "node delete n4" node_exec n4 ockam node delete n4
tap_check_fails "sending to the deleted node fails" \
	node_exec n1 ockam message send gone --from n1 --timeout 3s \
	--to "$(route_to n4 echo)"
# ... until it comes back.
tap_check "node create n4 again" node_exec n4 ockam node create n4 \
	--tcp-listener-address 0.0.0.0:4000
wait_tcp_listen n4 4000
expect_reply "n4 is reachable again" back "$(route_to n4 echo)" back

# A relay dials for forwarded messages only while it is allowed to: back
# to n1's own listener through n2, before and after n2 says no.
back_to_n1="$(tcp_hop n2)/ip4/10.0.12.1/tcp/4000/service/echo"
expect_reply "n2 dials n1's listener for a forwarded message" around \
	"$back_to_n1" around
tap_check "node set n2 --dial-forwarded off" \
	node_exec n2 ockam node set n2 --dial-forwarded off
tap_check "node show says so" bash -c \
	"ip netns exec $(ns n2) env OCKAM_HOME=$OCKAM_HOME ockam node show n2 -j | grep -q '\"dial_forwarded\": *false'"
tap_check "n2 closes its connection to n1's listener" node_exec n2 ockam tcp-connection \
	delete "$(node_exec n2 ockam tcp-connection list --from n2 |
		awk '$2 == "10.0.12.1:4000" { print $1; exit }')" --from n2
tap_check_fails "a forwarded message that needs a dial is dropped" \
	node_exec n1 ockam message send x --from n1 --timeout 2s --to "$back_to_n1"
tap_check "node set n2 --dial-forwarded on" \
	node_exec n2 ockam node set n2 --dial-forwarded on

# Many messages in a row arrive, in order.
ok=1
for i in $(seq 1 30); do
	got=$(send "m$i" "$(route_to n6 echo)" 2>&1)
	[ "$got" = "m$i" ] || { ok=0; tap_diag "message $i: $got"; break; }
done
tap_result $((1 - ok)) "30 messages over five hops, each answered"

for n in "${NODES[@]}"; do
	node_exec "$n" ockam node delete "$n" >/dev/null 2>&1
done
# Each daemon's connections close with it (the kernel ties a transport
# to the netlink socket that attached it).
no_transports() {
	[ "$(node_exec n3 ockam tcp-connection list -j | tr -d ' \n')" = "[]" ]
}
tap_check "every transport closed with its daemon" wait_until 5 no_transports

[ "$TAP_FAILED" = 0 ] || node_logs
tap_done
