#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Routes that cross TCP and UDP hops in any order, forwarded in the
# kernel. Six nodes in a line, n1 - n2 - ... - n6, each with a TCP
# listener (port 4000) and a UDP bind (port 4001); the five hops n1 -> n6
# alternate UDP, TCP, UDP, TCP, UDP:
#
#   - a peer's message does not make a relay send to a UDP address it
#     never heard from (the rule forwarded TCP dials follow), until the
#     relay heard from it or allows forwarded dials;
#   - replies come back the whole way, both ways, and a message of several
#     datagrams is put back together at every UDP hop;
#   - a secure channel n1 -> n6 over the mixed route, and a channel inside
#     it.
#
# Run in the VM:
#
#   make vm-run SCRIPT=selftests/netns/udp_routes.sh

lib=${OCKAM_SELFTESTS:-$(cd "$(dirname "$0")/.." && pwd)}/lib
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ockam.sh
. "$lib/ockam.sh"

require_cmd ockam ockamd

export OCKAM_HOME=$NS_TMP/home
NODES=(n1 n2 n3 n4 n5 n6)

trap 'daemon_logs "${NODES[@]}"; ns_cleanup' EXIT

# udp_hop NODE: the MultiAddr of NODE's UDP bind, on its link towards the
# node before it (n1: towards n2).
udp_hop() {
	if [ "$1" = n1 ]; then
		echo /ip4/10.0.12.1/udp/4001
	else
		echo "/ip4/$(addr_of "$1")/udp/4001"
	fi
}

# stat NODE NAME: a node counter.
stat() {
	ockam node show "$1" -j | json_number "$2"
}

# The five hops n1 -> n6, and the five back.
FIVE=$(udp_hop n2)$(tcp_hop n3)$(udp_hop n4)$(tcp_hop n5)$(udp_hop n6)
BACK=/ip4/10.0.56.5/udp/4001/ip4/10.0.45.4/tcp/4000/ip4/10.0.34.3/udp/4001
BACK=$BACK/ip4/10.0.23.2/tcp/4000$(udp_hop n1)

setup() {
	local n
	node_add "${NODES[@]}" && link_line "${NODES[@]}" || return 1
	for n in "${NODES[@]}"; do
		node_exec "$n" ockam node create "$n" \
			--tcp-listener-address 0.0.0.0:4000 \
			--udp-bind 0.0.0.0:4001 || return 1
	done
}

if ! setup; then
	tap_fail "six nodes, each with a TCP listener and a UDP bind" \
		"$(node_logs)"
	tap_done
fi
tap_ok "six nodes, each with a TCP listener and a UDP bind"

tap_check "udp-bind list shows n2's bind" \
	bash -c "ockam udp-bind list --at n2 | grep -q '0.0.0.0:4001'"
expect_output "one UDP hop n1 -> n2, and the reply" "ONE HOP" \
	ockam message send "one hop" --from n1 --to "$(udp_hop n2)/service/uppercase"

# n2 heard from n1's bind, not from n3's: a message from n1 that n2
# should send on to n3 over UDP is dropped, as a forwarded dial is.
before=$(stat n2 drop_unreachable)
tap_check "a relay does not send to a UDP address it never heard from" \
	bash -c "! ockam message send lost --from n1 --timeout 2s \
	--to $(tcp_hop n2)$(udp_hop n3)/service/echo"
tap_check "  counted unreachable on n2" \
	test "$(stat n2 drop_unreachable)" -gt "$before"
expect_output "n3 -> n2 over UDP (n2 hears from n3)" "heard" \
	ockam message send heard --from n3 --to /ip4/10.0.23.2/udp/4001/service/echo
expect_output "now n2 forwards TCP -> UDP to n3, and the reply comes back" \
	"FORWARDED" ockam message send forwarded --from n1 \
	--to "$(tcp_hop n2)$(udp_hop n3)/service/uppercase"

for n in n2 n3 n4 n5; do
	ockam node set "$n" --dial-forwarded on || tap_fail "node set $n"
done
expect_output "five hops UDP, TCP, UDP, TCP, UDP n1 -> n6, and back" \
	"FIVE HOPS" ockam message send "five hops" --from n1 \
	--to "$FIVE/service/uppercase"
expect_output "five hops the other way, n6 -> n1" "REVERSE" \
	ockam message send reverse --from n6 --to "$BACK/service/uppercase"

big=$(head -c 6000 /dev/zero | tr '\0' 'u')
expect_output "6000 bytes there and back, in datagrams at every UDP hop" \
	"${big^^}" ockam message send "$big" --from n1 \
	--to "$FIVE/service/uppercase"
tap_check "  n6 put messages together from several datagrams" \
	test "$(stat n6 udp_reassembled)" -gt 0
tap_expect_eq "  n2 gave up nothing it was putting together" "0 0 0" \
	"$(stat n2 drop_reasm_timeout) $(stat n2 drop_overlap) $(stat n2 drop_incomplete)"

# A message of 60000 bytes is 44 datagrams at every UDP hop: a batch of
# 43 (60 KiB, in chained skbs, as its datagrams refer to the message's
# pages) and one alone. The receiving binds take batches whole; where a
# device cannot carry a batch, IP cuts it, and the pieces are put
# together as any others.
huge=$(head -c 60000 /dev/zero | tr '\0' 'h')
batches2=$(stat n2 udp_batches)
batches4=$(stat n4 udp_batches)
expect_output "60000 bytes there and back, in batches at every UDP hop" \
	"${huge^^}" ockam message send "$huge" --from n1 \
	--to "$FIVE/service/uppercase"
tap_expect_eq "  one batch into n2, one into n4" "1 1" \
	"$(($(stat n2 udp_batches) - batches2)) $(($(stat n4 udp_batches) - batches4))"
# n1's link cannot segment UDP, n3's cannot carry a chain of skbs.
tap_check "  devices without UDP segmentation or frag lists" \
	bash -c "ip netns exec $(ns n1) ethtool -K to-n2 tx-udp-segmentation off &&
	ip netns exec $(ns n3) ethtool -K to-n4 tx-scatter-gather-fraglist off"
batches2=$(stat n2 udp_batches)
batches4=$(stat n4 udp_batches)
reasm2=$(stat n2 udp_reassembled)
reasm4=$(stat n4 udp_reassembled)
expect_output "  60000 bytes there and back, batches cut by IP" "${huge^^}" \
	ockam message send "$huge" --from n1 --to "$FIVE/service/uppercase"
# Without UDP segmentation every batch is cut into datagrams; without
# frag lists IP cuts a chain into datagrams, or into batches along its
# skbs when those hold equal numbers of datagrams: not whole.
tap_expect_eq "  n2 got no batch; n2 and n4 put the message together" \
	"0 1 1" "$(($(stat n2 udp_batches) - batches2)) \
$(($(stat n2 udp_reassembled) - reasm2)) $(($(stat n4 udp_reassembled) - reasm4))"
tap_check "  n4 had no chain whole" \
	test "$(($(stat n4 udp_batches) - batches4))" -ne 1
tap_expect_eq "  nothing dropped on n2 or n4" "0 0" \
	"$(stat n2 drop_bad_frame) $(stat n4 drop_bad_frame)"

CH=$(ockam secure-channel create --from n1 --to "$FIVE/service/api")
tap_check "a secure channel n1 -> n6 over the mixed route" test -n "$CH"
expect_output "  a message through it" "THROUGH THE CHANNEL" \
	ockam message send "through the channel" --from n1 \
	--to "$CH/service/uppercase"
expect_output "  6000 bytes through it" "${big^^}" \
	ockam message send "$big" --from n1 --to "$CH/service/uppercase"
INNER=$(ockam secure-channel create --from n1 --to "$CH/service/api")
tap_check "a channel n1 -> n6 inside that channel" test -n "$INNER"
expect_output "  a message through both" "NESTED" \
	ockam message send nested --from n1 --to "$INNER/service/uppercase"

tap_check "udp-bind delete on n6" ockam udp-bind delete 0.0.0.0:4001 --at n6
tap_check "  then n6 is not reached over UDP" \
	bash -c "! ockam message send gone --from n5 --timeout 2s \
	--to /ip4/10.0.56.6/udp/4001/service/echo"

tap_check "node delete --all" ockam node delete --all
tap_done
