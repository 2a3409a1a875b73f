#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# NAT traversal by UDP hole punching, through real address translation
# (lib/nat.sh: n1 and n3 each behind a masquerading router with a
# stateful firewall, n2 on the public network between them). n3 serves
# a web site and an iperf3 server on its loopback and registers relay
# "n3" at n2; n1's tcp-inlet --udp reaches n3's outlet through the relay
# and a secure channel, punches a UDP path to n3 through n2's rendezvous,
# and opens a second channel over it for new sessions:
#
#   - the path opens, and a web client's and iperf3's traffic cross it,
#     not the relay;
#   - a session opened on the relay route before the path was up goes on
#     after the inlet switched;
#   - when the routers drop UDP, heartbeats stop, the path is dropped and
#     new sessions use the relay route again; once UDP passes again the
#     path is punched again;
#   - secure-channel create --udp gives a channel over a punched path;
#   - nothing reaches n1 or n3 from outside that they did not ask for.
#
# Run in the VM:
#
#   make vm-tests VM_ARGS="--tests 'netns/udp_nat*'"

lib=${OCKAM_SELFTESTS:-$(cd "$(dirname "$0")/.." && pwd)}/lib
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ockam.sh
. "$lib/ockam.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/nat.sh
. "$lib/nat.sh"

require_cmd ockam ockamd busybox nft socat sha256sum
export OCKAM_HOME=$NS_TMP/home

trap 'daemon_logs n1 n2 n3; ns_cleanup' EXIT

INLET=127.0.0.1:6000
ECHO_INLET=127.0.0.1:6100
IPERF_INLET=127.0.0.1:6201
TO=$N1_RELAY/secure/api/service

tap_check "two private networks behind NAT routers, n2 between them" nat_world

node_bg h3 socat TCP-LISTEN:7000,bind=127.0.0.1,reuseaddr,fork EXEC:cat
nat_serve_page 3 && wait_tcp_listen h3 7000 ||
	tap_skip_all "the servers did not start"

big_ok() {
	nat_page_ok "$INLET"
}

for n in n1 n3; do
	listener=$(ockam tcp-listener list --at "$n" -j |
		grep -o '"address":"[^"]*"' | cut -d'"' -f4)
	ockam tcp-listener delete "$listener" --at "$n" >/dev/null
done
tap_expect_eq "n1 and n3 listen on no TCP port" "" \
	"$(node_exec h1 ss -Htln; node_exec h3 ss -Htln |
	   grep -v -e 127.0.0.1:8080 -e 127.0.0.1:7000 -e 127.0.0.1:5201)"
tap_check_fails "from the public network, n3's router accepts no connection" \
	node_exec inet timeout 3 socat -u /dev/null TCP:203.0.113.1:8080,connect-timeout=2
rx=$(nat_bind_rx n3)
tap_check_fails "a message from n2 to n3's public UDP address does not get in" \
	ockam message send hi --from n2 \
	--to /ip4/203.0.113.1/udp/5000/service/echo --timeout 3s
tap_expect_eq "n3's UDP bind received nothing" "$rx" "$(nat_bind_rx n3)"

# The puncture messages (wire-protocol.rst, "UDP puncture"), by hand.
ID=000102030405060708090a0b0c0d0e0f
hex() {
	printf '%s' "$1" | od -An -tx1 | tr -d ' \n'
}
tap_expect_eq "the rendezvous tells n1 the address its datagrams come from" \
	"0102${ID}11$(hex 198.51.100.1:5000)" \
	"$(ockam message send "0101$ID" --hex --from n1 --timeout 5s \
	   --to "$N1_RENDEZVOUS/service/rendezvous")"
tap_expect_eq "a query that did not come over UDP is refused (reason 1)" \
	"0105${ID}01" \
	"$(ockam message send "0101$ID" --hex --from n1 --timeout 5s \
	   --to /ip4/198.51.100.2/tcp/4000/service/rendezvous)"

tap_check "tcp-outlet create on n3 to its web server" \
	ockam tcp-outlet create --at n3 --to 127.0.0.1:8080
tap_check "tcp-outlet create echo on n3" \
	ockam tcp-outlet create --at n3 --from echo_outlet --to 127.0.0.1:7000
tap_check "relay create n3 at n2" \
	ockam relay create n3 --at "$N3_RELAY" --to n3

udp_dropped() {
	ockam node show n3 -j | grep -o '"address":"udp","handled":[0-9]*,"dropped":[0-9]*' |
		json_number dropped
}
dropped=$(udp_dropped)
tap_check_fails "a puncture request from no secure channel gets no answer" \
	ockam message send "0103${ID}0c$(hex 192.0.2.9:9)" --hex --from n1 \
	--timeout 2s --to "$N1_RELAY/service/udp"
tap_expect_eq "n3 counted it and punches nothing" "$((dropped + 1)) 0" \
	"$(udp_dropped) $(ockam node show n3 -j | grep -c '"role":"responder"')"

# Session A starts on the relay route while the routers drop UDP (the
# puncture cannot open); the path is punched once they stop.
nat_block_udp r1
tap_check "tcp-inlet create --udp for the echo outlet" \
	ockam tcp-inlet create --at n1 --from "$ECHO_INLET" --to "$TO/echo_outlet" \
	--udp --rendezvous "$N1_RENDEZVOUS"
coproc SESSION_A { node_exec h1 socat - "TCP:$ECHO_INLET"; }
echo "before" >&"${SESSION_A[1]}"
read -r -t 20 line <&"${SESSION_A[0]}"
tap_expect_eq "session A is served over the relay while no UDP passes" \
	before "$line"
tap_expect_eq "the inlet has no UDP path" \
	yes "$([ "$(nat_inlet_udp "$ECHO_INLET")" != up ] && echo yes)"
nat_unblock_udp r1
tap_check "once UDP passes, the inlet punches a path to n3" \
	wait_until 40 nat_inlet_up "$ECHO_INLET"
tap_expect_eq "session B is served over the path" "after" \
	"$(echo after | node_exec h1 timeout 10 socat - "TCP:$ECHO_INLET,shut-down")"
echo "still" >&"${SESSION_A[1]}"
read -r -t 20 line <&"${SESSION_A[0]}"
tap_expect_eq "session A goes on over the relay after the switch" \
	still "$line"
exec {SESSION_A[1]}>&-

tap_check "tcp-inlet create --udp for the web server" \
	ockam tcp-inlet create --at n1 --from "$INLET" --to "$TO/outlet" \
	--udp --rendezvous "$N1_RENDEZVOUS"
tap_check "its path is punched" wait_until 30 nat_inlet_up "$INLET"
rx1=$(nat_bind_rx n1)
rx3=$(nat_bind_rx n3)
tap_check "a 3 MiB page from n3 arrives intact" big_ok
# A PAYLOAD carries at most 48 KiB: 3 MiB take at least 64 messages.
tap_check "it came over UDP: n1's bind received the page's messages" \
	test "$(nat_bind_rx n1)" -ge $((rx1 + 64))
tap_check "and n3's the requests" test "$(nat_bind_rx n3)" -gt "$rx3"
tap_expect_eq "n1 sees n3 at its router's public address" 203.0.113.1:5000 \
	"$(ockam tcp-inlet show "$INLET" --at n1 -j |
	   grep -o '"udp_peer":"[^"]*"' | cut -d'"' -f4)"

if command -v iperf3 >/dev/null; then
	tap_check "tcp-outlet create iperf on n3" \
		ockam tcp-outlet create --at n3 --from iperf --to 127.0.0.1:5201
	tap_check "tcp-inlet create --udp --no-tcp-fallback for it" \
		ockam tcp-inlet create --at n1 --from "$IPERF_INLET" \
		--to "$TO/iperf" --udp --no-tcp-fallback \
		--rendezvous "$N1_RENDEZVOUS"
	tap_check "iperf3 over the punched path, client to server" \
		node_exec h1 iperf3 -c 127.0.0.1 -p 6201 -t 2
	tap_check "iperf3 over the punched path, server to client (-R)" \
		node_exec h1 iperf3 -c 127.0.0.1 -p 6201 -t 2 -R
else
	tap_skip "iperf3" "not in the image"
fi

# The routers drop UDP: heartbeats stop, the path goes, the relay route
# carries new sessions; then it is punched again.
nat_block_udp r2
path_gone() {
	! nat_inlet_up "$INLET"
}
tap_check "with UDP dropped, the path is dropped within 15 s" \
	wait_until 20 path_gone
tap_check "new sessions go over the relay route meanwhile" big_ok
failed_once() {
	[ "$(ockam tcp-inlet show "$INLET" --at n1 -j |
	     json_number punctures_failed)" -ge 1 ]
}
tap_check "the inlet punches again, and fails while UDP is dropped" \
	wait_until 40 failed_once
nat_unblock_udp r2
tap_check "once UDP passes again, the path is punched again" \
	wait_until 60 nat_inlet_up "$INLET"
tap_check "and carries new sessions" big_ok

# A channel over a punched path, by itself.
out=$(ockam secure-channel create --from n1 --to "$N1_RELAY/service/api" \
	--udp --rendezvous "$N1_RENDEZVOUS" 2>&1)
case $out in
/service/*) tap_ok "secure-channel create --udp" ;;
*) tap_fail "secure-channel create --udp" "$out" ;;
esac
tap_expect_eq "a message through it comes back in upper case" HELLO \
	"$(ockam message send hello --from n1 --to "$out/service/uppercase" --timeout 10s)"
tap_check "n3 opened paths as responder for each" test \
	"$(ockam node show n3 -j | grep -o '"address":"udp","handled":[0-9]*' |
	   json_number handled)" -ge 4

tap_check "node delete --all" ockam node delete --all
tap_done
