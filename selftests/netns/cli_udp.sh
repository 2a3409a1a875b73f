#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# UDP binds through the command line: three nodes in a line, a - b - c,
# each with a UDP bind at port 5000 next to its TCP listener at 4000.
# Messages cross UDP hops, routes mix UDP and TCP hops either way, a
# message longer than a datagram arrives in pieces and is put back
# together, and an IPv6 bind works. Run in the VM:
#
#   make vm-run SCRIPT=selftests/netns/cli_udp.sh

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

# udp_json NODE: its UDP binds, as JSON on one line.
udp_json() {
	ockam udp-bind list --at "$1" -j
}

# udp_stat NODE KEY: counter KEY of the node (its kernel counters).
udp_stat() {
	ockam node show "$1" -j | json_number "$2"
}
# For the checks that run them in "bash -c".
export -f udp_json udp_stat json_number

tap_check "node create n1 --udp-bind" \
	node_exec a ockam node create n1 --tcp-listener-address 10.0.12.1:4000 \
	--udp-bind 10.0.12.1:5000
tap_check "node create n2 with a wildcard UDP bind" \
	node_exec b ockam node create n2 --tcp-listener-address 0.0.0.0:4000 \
	--udp-bind 0.0.0.0:5000
tap_check "node create n3 --udp-bind" \
	node_exec c ockam node create n3 --tcp-listener-address 10.0.23.3:4000 \
	--udp-bind 10.0.23.3:5000
tap_check "the bind is a bound UDP socket" wait_udp_bound b 5000

# --------------------------------------------------- udp-bind commands
tap_check "udp-bind list shows the bind with its local address" \
	bash -c "udp_json n1 | grep -q '^\[{\"address\":\"10.0.12.1:5000\",\"name\":\"[^\"]\+\",\"peers\":0,'"
expect_output "udp-bind create with port 0 shows the port bound" "ok" \
	bash -c "ockam udp-bind create 127.0.0.1:0 --at n1 |
	grep -q '^UDP bind at 127.0.0.1:[1-9][0-9]* (local address [^ ]*)$' && echo ok"
port=$(udp_json n1 | grep -o '"127.0.0.1:[0-9]*"' | tr -d '"' | cut -d: -f2)
tap_check "the new bind is listed" test -n "$port"
expect_status "the same address twice is refused" 1 \
	ockam udp-bind create "127.0.0.1:$port" --at n1
expect_output "udp-bind delete" "UDP bind at 127.0.0.1:$port deleted" \
	ockam udp-bind delete "127.0.0.1:$port" --at n1
tap_check "and it is gone" \
	bash -c "! udp_json n1 | grep -q '127.0.0.1:'"
expect_status "deleting it again fails" 1 \
	ockam udp-bind delete "127.0.0.1:$port" --at n1
expect_status "a bad address is a usage error" 2 \
	ockam udp-bind create 10.0.12:1 --at n1
tap_check "node show lists the bind and the datagram size" \
	bash -c "ockam node show n1 | grep -q '^  UDP bind  *10.0.12.1:5000 ' &&
	ockam node show n1 | grep -q '^  UDP  *datagrams of 1400 bytes$'"

# ------------------------------------------------------- one UDP hop
expect_output "n1 -> n2 over UDP, echo" "over udp" \
	ockam message send "over udp" --from n1 \
	--to /ip4/10.0.12.2/udp/5000/service/echo
tap_check "n2 heard from one peer; n1 sent and received one message" \
	bash -c "udp_json n2 | grep -q '\"peers\":1,' &&
	udp_json n1 | grep -q '\"rx_messages\":1,\"tx_messages\":1,'"

# A peer's message cannot make n2 send UDP to an address it has not heard
# from, as it cannot make it dial: dropped, counted.
tap_check "n2 does not send to an unheard UDP address for a peer" \
	bash -c "! ockam message send lost --from n1 --timeout 2s \
	--to /ip4/10.0.12.2/udp/5000/ip4/10.0.23.3/udp/5000/service/echo"
tap_check "n2 counted it unreachable" \
	bash -c "[ \"\$(udp_stat n2 drop_unreachable)\" -ge 1 ]"
tap_check "node set n2 and n3 --dial-forwarded on" \
	bash -c "ockam node set n2 --dial-forwarded on &&
	ockam node set n3 --dial-forwarded on"
expect_output "n1 -> n2 -> n3 over UDP twice" "TWO UDP HOPS" \
	ockam message send "two udp hops" --from n1 \
	--to /ip4/10.0.12.2/udp/5000/ip4/10.0.23.3/udp/5000/service/uppercase

# ------------------------------------------------ mixed routes, 3 hops
expect_output "TCP -> UDP -> TCP, n1 -> n2 -> n3 -> n2" "tcp udp tcp" \
	ockam message send "tcp udp tcp" --from n1 --to \
	/ip4/10.0.12.2/tcp/4000/ip4/10.0.23.3/udp/5000/ip4/10.0.23.2/tcp/4000/service/echo
expect_output "UDP -> TCP -> UDP, n1 -> n2 -> n3 -> n2" "udp tcp udp" \
	ockam message send "udp tcp udp" --from n1 --to \
	/ip4/10.0.12.2/udp/5000/ip4/10.0.23.3/tcp/4000/ip4/10.0.23.2/udp/5000/service/echo
# The reply's return route names UDP hops by the sender's address, the
# TCP hop by its connection's local address.
tap_check "the return route names the UDP hops by address" \
	bash -c "ockam message send x -j --from n1 --to \
	/ip4/10.0.12.2/udp/5000/ip4/10.0.23.3/tcp/4000/ip4/10.0.23.2/udp/5000/service/echo |
	grep -q '\"return_route\":\"/ip4/10.0.12.2/udp/5000/service/[0-9a-f]*/ip4/10.0.23.2/udp/5000/service/echo\"'"

# -------------------------------------------- longer than one datagram
big=$(head -c 5000 /dev/zero | tr '\0' x)
before=$(udp_stat n3 udp_reassembled)
expect_output "5000 bytes over two UDP hops, in pieces each way" \
	"$(tr x X <<<"$big")" \
	ockam message send "$big" --from n1 \
	--to /ip4/10.0.12.2/udp/5000/ip4/10.0.23.3/udp/5000/service/uppercase
tap_check "n3 put the message together from datagrams" \
	bash -c "[ \"\$(udp_stat n3 udp_reassembled)\" -gt ${before:-0} ]"
tap_check "n2's bind counted reassembled messages" \
	bash -c "udp_json n2 | grep -q '\"reassembled\":[1-9]'"
tap_check "node set n1 --udp-datagram 256, shown" \
	bash -c "ockam node set n1 --udp-datagram 256 &&
	ockam node show n1 -j | grep -q '\"udp_datagram\":256,'"
expect_output "5000 bytes in 256-byte datagrams" "$big" \
	ockam message send "$big" --from n1 \
	--to /ip4/10.0.12.2/udp/5000/service/echo
expect_status "--udp-datagram below 256 is a usage error" 2 \
	ockam node set n1 --udp-datagram 255
tap_check "nothing was lost to reassembly" \
	bash -c "for n in n1 n2 n3; do
	ockam node show \$n -j | grep -q '\"drop_overlap\":0,\"drop_reasm_timeout\":0,\"drop_reasm_memory\":0' || exit 1
	done"

# --------------------------------------------------------------- IPv6
expect_output "udp-bind create [::1]:5001 (IPv6 only)" \
	"UDP bind at [::1]:5001" \
	bash -c "ockam udp-bind create [::1]:5001 --at n1 | cut -d' ' -f1-4"
expect_output "n1 -> itself over IPv6 UDP" "v6" \
	ockam message send v6 --from n1 --to /ip6/::1/udp/5001/service/echo
expect_output "udp-bind delete [::1]:5001" "UDP bind at [::1]:5001 deleted" \
	ockam udp-bind delete "[::1]:5001" --at n1

tap_check "node delete --all" ockam node delete --all
tap_done
