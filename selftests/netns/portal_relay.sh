#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Ockam's portal picture, by the command line alone: n3 (in c) serves a
# web site and an iperf3 server on its own loopback and has no TCP
# listener at all; it registers relay "n3" at n2 over a connection it
# dials. n1 has a tcp-inlet whose route goes through n2's forward_to_n3
# and a secure channel from n1 to n3, to n3's tcp-outlets. A web client
# and iperf3 on n1 use the inlet as if the servers were local; n2 only
# ever forwards ciphertext of that channel. The relay's connection is
# then killed: n3 registers again, and the inlet's channel, which
# outlives the connection, carries its next client. Run in the VM:
#
#   make vm-tests VM_ARGS="--tests 'netns/portal_relay*'"

lib=${OCKAM_SELFTESTS:-$(cd "$(dirname "$0")/.." && pwd)}/lib
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ockam.sh
. "$lib/ockam.sh"

require_cmd ockam ockamd busybox ss sha256sum
export OCKAM_HOME=$NS_TMP/home
node_add a b c
link_add a b 10.0.12.1 10.0.12.2
link_add b c 10.0.23.2 10.0.23.3

trap 'daemon_logs n1 n2 n3; ns_cleanup' EXIT

INLET=127.0.0.1:6000
IPERF_INLET=127.0.0.1:6201

# The site, on c's loopback only.
www=$NS_TMP/www
mkdir -p "$www"
head -c $((3 << 20)) /dev/urandom >"$www/big"
big_sum=$(sha256sum <"$www/big" | cut -d' ' -f1)
node_bg c busybox httpd -f -p 127.0.0.1:8080 -h "$www"
command -v iperf3 >/dev/null && node_bg c iperf3 -s -B 127.0.0.1 -p 5201
wait_tcp_listen c 8080 || tap_skip_all "the web server did not start"

# big_ok: n1 fetches the big file through the inlet, intact.
big_ok() {
	[ "$(node_exec a busybox wget -q -O - "http://$INLET/big" |
		sha256sum | cut -d' ' -f1)" = "$big_sum" ]
}

inlet_count() {
	ockam tcp-inlet show "$INLET" --at n1 -j | json_number "$1"
}

tap_check "node create n1" node_exec a ockam node create n1
tap_check "node create n2" \
	node_exec b ockam node create n2 --tcp-listener-address 10.0.12.2:4000
tap_check "n2 listens on its link to n3 too" \
	ockam tcp-listener create 10.0.23.2:4000 --at n2
tap_check "node create n3" node_exec c ockam node create n3
listener=$(ockam tcp-listener list --at n3 -j | grep -o '"address":"[^"]*"' |
	cut -d'"' -f4)
tap_check "n3 deletes its only TCP listener" \
	ockam tcp-listener delete "$listener" --at n3
tap_expect_eq "n3 listens on nothing but its web and iperf3 servers' loopback" \
	"" "$(node_exec c ss -Htln | grep -v -e '127.0.0.1:8080' -e '127.0.0.1:5201')"
tap_check_fails "n1 cannot reach n3's web server" \
	node_exec a timeout 3 busybox wget -q -O /dev/null http://10.0.23.3:8080/big

tap_check "tcp-outlet create on n3 to its web server" \
	ockam tcp-outlet create --at n3 --to 127.0.0.1:8080
tap_check "relay create n3 at n2, over a connection n3 dials" \
	ockam relay create n3 --at /ip4/10.0.23.2/tcp/4000 --to n3
tap_check "tcp-inlet create on n1 through forward_to_n3 and a channel to n3" \
	ockam tcp-inlet create --at n1 --from "$INLET" \
	--to /node/n2/service/forward_to_n3/secure/api/service/outlet

tap_check "a 3 MiB page from n3, through the relay, arrives intact" big_ok
id3=$(ockam identity show --at n3)
tap_expect_eq "the inlet's channel ends at n3's identity" "$id3" \
	"$(ockam tcp-inlet show "$INLET" --at n1 -j | grep -o '"peer":"[^"]*"' |
	   cut -d'"' -f4)"
id1=$(ockam identity show --at n1)
tap_check_fails "n2 holds no channel with n1: it forwards n1's ciphertext" \
	bash -c "ockam secure-channel list --at n2 -j | grep -q '$id1'"

# Many sessions at once, each through the same channel.
pids=()
for i in 1 2 3 4 5 6 7 8; do
	(big_ok && touch "$NS_TMP/ok.$i") &
	pids+=($!)
done
wait "${pids[@]}"
tap_expect_eq "8 concurrent downloads through the relay arrive intact" 8 \
	"$(find "$NS_TMP" -maxdepth 1 -name 'ok.*' | wc -l)"

if command -v iperf3 >/dev/null; then
	tap_check "tcp-outlet create iperf on n3" \
		ockam tcp-outlet create --at n3 --from iperf --to 127.0.0.1:5201
	tap_check "tcp-inlet create for it on n1" \
		ockam tcp-inlet create --at n1 --from "$IPERF_INLET" \
		--to /node/n2/service/forward_to_n3/secure/api/service/iperf
	tap_check "iperf3 through the relay, client to server" \
		node_exec a iperf3 -c 127.0.0.1 -p 6201 -t 2
	tap_check "iperf3 through the relay, server to client (-R)" \
		node_exec a iperf3 -c 127.0.0.1 -p 6201 -t 2 -R
else
	tap_skip "iperf3" "not in the image"
fi

# The relay's connection is killed from n3's side: n3 registers again
# over a new one. The inlet's channel from n1 to n3 goes on: n1's next
# frame reaches n3 through the new registration, and n3 answers along
# the route that frame came by.
opened=$(inlet_count channels_opened)
node_exec c ss -K state established '( dport = :4000 )' >/dev/null
tap_check "relay n3 is up again" \
	wait_until 20 bash -c "ockam relay show n3 --at n3 -j | grep -q '\"state\":\"up\"'"
tap_check "after the relay came back, a 3 MiB page arrives intact" \
	wait_until 30 big_ok
tap_expect_eq "through the same channel" "$opened" \
	"$(inlet_count channels_opened)"

tap_check "node delete --all" ockam node delete --all
tap_done
