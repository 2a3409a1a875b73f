#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# NAT traversal where it cannot work: both routers masquerade with
# "fully-random" port mapping (lib/nat.sh), so the port a router gave a
# node's datagrams to the rendezvous is not the one it gives them to the
# peer, and no heartbeat gets through. The relay route must carry the
# traffic:
#
#   - tcp-inlet --udp: a web client's page and iperf3 arrive, over the
#     relay; the inlet counts failed punctures and keeps trying;
#   - tcp-inlet --udp --no-tcp-fallback: clients are reset, not served
#     some other way, when the puncture fails;
#   - secure-channel create --udp fails with the reason.
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

require_cmd ockam ockamd busybox nft sha256sum
export OCKAM_HOME=$NS_TMP/home
export NAT_RANDOM=1

trap 'daemon_logs n1 n2 n3; ns_cleanup' EXIT

INLET=127.0.0.1:6000
STRICT_INLET=127.0.0.1:6001
IPERF_INLET=127.0.0.1:6201
TO=$N1_RELAY/secure/api/service

tap_check "two private networks behind fully-random NAT routers" nat_world

nat_serve_page 1 || tap_skip_all "the web server did not start"

inlet_number() {
	ockam tcp-inlet show "$1" --at n1 -j | json_number "$2"
}

# failed_at_least INLET N: the inlet counted N failed punctures.
failed_at_least() {
	[ "$(inlet_number "$1" punctures_failed)" -ge "$2" ]
}

tap_check "tcp-outlet create on n3 to its web server" \
	ockam tcp-outlet create --at n3 --to 127.0.0.1:8080
tap_check "relay create n3 at n2" \
	ockam relay create n3 --at "$N3_RELAY" --to n3
tap_check "tcp-inlet create --udp" \
	ockam tcp-inlet create --at n1 --from "$INLET" --to "$TO/outlet" \
	--udp --rendezvous "$N1_RENDEZVOUS"
tap_check "tcp-inlet create --udp --no-tcp-fallback" \
	ockam tcp-inlet create --at n1 --from "$STRICT_INLET" --to "$TO/outlet" \
	--udp --no-tcp-fallback --rendezvous "$N1_RENDEZVOUS"

# A puncture takes 10 s to fail: the three that must, side by side.
(node_exec h1 timeout 60 busybox wget -q -O /dev/null \
	"http://$STRICT_INLET/big" 2>/dev/null
 echo $? >"$NS_TMP/strict.rc") &
strict_pid=$!
(ockam secure-channel create --from n1 --to "$N1_RELAY/service/api" \
	--udp --rendezvous "$N1_RENDEZVOUS" >"$NS_TMP/sc.out" 2>&1
 echo $? >"$NS_TMP/sc.rc") &
sc_pid=$!

tap_check "a page arrives intact, over the relay" nat_page_ok "$INLET"
if command -v iperf3 >/dev/null; then
	tap_check "tcp-outlet create iperf on n3" \
		ockam tcp-outlet create --at n3 --from iperf --to 127.0.0.1:5201
	tap_check "tcp-inlet create --udp for it" \
		ockam tcp-inlet create --at n1 --from "$IPERF_INLET" \
		--to "$TO/iperf" --udp --rendezvous "$N1_RENDEZVOUS"
	tap_check "iperf3 through the fallback, client to server" \
		node_exec h1 iperf3 -c 127.0.0.1 -p 6201 -t 2
	tap_check "iperf3 through the fallback, server to client (-R)" \
		node_exec h1 iperf3 -c 127.0.0.1 -p 6201 -t 2 -R
else
	tap_skip "iperf3" "not in the image"
fi

tap_check "the puncture fails: no heartbeat gets through" \
	wait_until 40 failed_at_least "$INLET" 1
tap_expect_eq "the inlet never had a path" 0 \
	"$(inlet_number "$INLET" punctures_opened)"
rx=$(nat_bind_rx n1)
tap_check "after the failure, a page still arrives intact" nat_page_ok "$INLET"
tap_check "not over UDP: n1's bind received almost nothing meanwhile" \
	test "$(nat_bind_rx n1)" -lt $((rx + 100))

wait "$strict_pid" "$sc_pid"
tap_check "without fallback, a client is reset when the puncture fails" \
	test "$(cat "$NS_TMP/strict.rc")" != 0
tap_check "and counted as refused for want of a channel" test \
	"$(ockam tcp-inlet show "$STRICT_INLET" --at n1 -j |
	   grep -o '"refused_channel":[0-9]*' | grep -o '[0-9]*$')" -ge 1
tap_expect_eq "secure-channel create --udp fails when no path can be punched" \
	"1 error: secure channel over UDP: no heartbeat got through" \
	"$(cat "$NS_TMP/sc.rc") $(cat "$NS_TMP/sc.out")"
# What n1 holds are the inlets' channels through the relay, no other.
tap_expect_eq "and leaves no channel behind on n1" \
	"$(ockam tcp-inlet list --at n1 -j | grep -o '"channel":"[0-9a-f]*"' | wc -l)" \
	"$(ockam secure-channel list --at n1 -j | grep -o '"encryptor"' | wc -l)"

tap_check "node delete --all" ockam node delete --all
tap_done
