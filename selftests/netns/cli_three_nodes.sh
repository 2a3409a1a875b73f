#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Three nodes in a line, a - b - c, with no IP route from a to c: messages
# from n1 reach n3 because n2 forwards them, over the connection to n3 it
# was told to make (by default a peer cannot make a relay dial), and
# replies find their way back along the return route. Run in the VM:
#
#   make vm-run SCRIPT=selftests/netns/cli_three_nodes.sh

lib=${OCKAM_SELFTESTS:-$(cd "$(dirname "$0")/.." && pwd)}/lib
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ockam.sh
. "$lib/ockam.sh"

require_cmd ockam ockamd
export OCKAM_HOME=$NS_TMP/home
node_add a b c
link_add a b 10.0.12.1 10.0.12.2
link_add b c 10.0.23.2 10.0.23.3

trap 'daemon_logs n1 n2 n3; ns_cleanup' EXIT

tap_check "node create n1" \
	node_exec a ockam node create n1 --tcp-listener-address 10.0.12.1:4000
tap_check "node create n2" \
	node_exec b ockam node create n2 --tcp-listener-address 0.0.0.0:4000
tap_check "node create n3" \
	node_exec c ockam node create n3 --tcp-listener-address 10.0.23.3:4000
tap_check_fails "n1 cannot reach n3 over IP" \
	node_exec a ping -c1 -W1 10.0.23.3

# A peer's message cannot make n2 dial anywhere: dropped, counted.
tap_check "n2 does not dial for a forwarded message by default" \
	bash -c "! ockam message send lost --from n1 --timeout 2s \
	--to /ip4/10.0.12.2/tcp/4000/ip4/10.0.23.3/tcp/4000/service/echo"
tap_check "n2 counted it unreachable and dialed nothing" \
	bash -c "ockam node show n2 -j | grep -q '\"drop_unreachable\":1,' &&
	ockam node show n2 -j | grep -q '\"dials\":0,'"
tap_check "n2: tcp-connection create 10.0.23.3:4000" \
	ockam tcp-connection create --from n2 --to 10.0.23.3:4000
expect_output "n1 -> n2 -> n3 uppercase" "THREE HOPS" \
	ockam message send "three hops" --from n1 \
	--to /ip4/10.0.12.2/tcp/4000/ip4/10.0.23.3/tcp/4000/service/uppercase
tap_check "n2 forwarded over the connection it was told to make" \
	bash -c "ockam tcp-connection list --from n2 -j | grep -q '\"peer\":\"10.0.23.3:4000\",\"local\":\"[^\"]*\",\"outgoing\":true'"
tap_check "n2 counted forwarded messages" \
	bash -c "ockam node show n2 -j | grep -q '\"forwarded\":[1-9]'"

# A relay-style alias on n2: n1 only needs to know the name.
tap_check "route add to_n3 on n2" \
	ockam route add to_n3 /ip4/10.0.23.3/tcp/4000 --at n2
expect_output "n1 -> n2's alias -> n3 echo" "relayed" \
	ockam message send relayed --from n1 \
	--to /ip4/10.0.12.2/tcp/4000/service/to_n3/service/echo
# The other way, n2 has no connection to n1's listener: let n2 and n3
# dial for forwarded messages (every peer here is trusted that far).
tap_check "node set n2 and n3 --dial-forwarded on" \
	bash -c "ockam node set n2 --dial-forwarded on &&
	ockam node set n3 --dial-forwarded on"
expect_output "and back the other way, n3 -> n2 -> n1" "REVERSE" \
	ockam message send reverse --from n3 \
	--to /ip4/10.0.23.2/tcp/4000/ip4/10.0.12.1/tcp/4000/service/uppercase

# n1 -> n2 -> n3 -> n2: echo on n2 sees a return route of four addresses
# (137 bytes), too long for a sockaddr, and answers along it.
expect_output "echo answers along a 137-byte return route" "long way back" \
	ockam message send "long way back" --from n1 --to \
	/ip4/10.0.12.2/tcp/4000/ip4/10.0.23.3/tcp/4000/ip4/10.0.23.2/tcp/4000/service/echo
tap_check "the return route comes back in JSON" \
	bash -c "ockam message send x -j --from n1 --to \
	/ip4/10.0.12.2/tcp/4000/ip4/10.0.23.3/tcp/4000/ip4/10.0.23.2/tcp/4000/service/echo |
	grep -q '\"return_route\":\"/service/[0-9a-f]*/service/[0-9a-f]*/service/[0-9a-f]*/service/echo\"'"

tap_check "node delete --all" ockam node delete --all
tap_done
