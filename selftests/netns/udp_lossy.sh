#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# A secure channel over a UDP hop that loses, duplicates and reorders
# datagrams (netem on n1's link to n2). UDP adds no reliability: what is
# lost stays lost. What the test holds the channel to is the rest:
#
#   - nothing that comes out is corrupted: every payload is one n1 sent;
#   - nothing comes out twice: a duplicated datagram is a replay to the
#     channel, or a duplicate fragment to the reassembly, and is counted;
#   - messages of two datagrams whose other half was lost are given up
#     and counted when the reassembly time runs out;
#   - once the link is clean again, everything arrives, even after more
#     frames were lost in a row than the channel's window reaches.
#
# A node hands a message's datagrams to IP as one UDP GSO batch, and netem
# takes a batch as one packet: it loses, duplicates and delays a message's
# datagrams together. It corrupts one datagram of a batch, though, and the
# receiver's UDP checksum drops that one: that is how a message here loses
# some of its datagrams and not all, as on a real link.
#
# Run in the VM:
#
#   make vm-run SCRIPT=selftests/netns/udp_lossy.sh

lib=${OCKAM_SELFTESTS:-$(cd "$(dirname "$0")/.." && pwd)}/lib
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ockam.sh
. "$lib/ockam.sh"

require_cmd ockam ockamd ockam-mitm tc
require_module sch_netem

export OCKAM_HOME=$NS_TMP/home
SMALL=300
LONG=100
# A 300-byte prefix: with 256-byte datagrams, each such message (with the
# channel's and the route's overhead) takes two.
PREFIX=$(head -c 300 /dev/zero | tr '\0' 'L')

trap 'daemon_logs n1 n2; ns_cleanup' EXIT

stat() {
	ockam node show "$1" -j | json_number "$2"
}

sink_payloads() {
	sed -n 's/^msg id=[^ ]* len=[0-9]* data=//p' "$SINK_LOG"
}

sink_count() {
	grep -c '^msg ' "$SINK_LOG"
}

# at_least N COMMAND...: COMMAND prints a number >= N.
at_least() {
	local n=$1
	shift
	[ "$("$@")" -ge "$n" ]
}

# settled: the sink's count did not change for two seconds.
settled() {
	local a b
	a=$(sink_count)
	sleep 2
	b=$(sink_count)
	[ "$a" = "$b" ]
}

# sent_payloads: every payload n1 sent, one a line.
sent_payloads() {
	local i
	for ((i = 1; i <= SMALL; i++)); do
		echo "s$i"
	done
	for ((i = 1; i <= LONG; i++)); do
		echo "$PREFIX$i"
	done
}

setup() {
	node_add n1 n2 && link_add n1 n2 10.0.12.1 10.0.12.2 &&
	node_exec n1 ockam node create n1 --udp-bind 10.0.12.1:4001 &&
	node_exec n2 ockam node create n2 --udp-bind 10.0.12.2:4001 ||
		return 1
	node_bg n2 ockam-mitm sink sink
	SINK_LOG=$NS_TMP/n2.$NODE_BG_PID.log
	wait_until 5 grep -q '^sink at sink' "$SINK_LOG" || return 1
	CH=$(ockam secure-channel create --from n1 \
		--to /ip4/10.0.12.2/udp/4001/service/api) && [ -n "$CH" ]
}

if ! setup; then
	tap_fail "a secure channel n1 -> n2 over UDP, a sink on n2" \
		"$(node_logs)"
	tap_done
fi
tap_ok "a secure channel n1 -> n2 over UDP, a sink on n2"

tap_check "5 messages through the clean link" \
	node_exec n1 ockam-mitm send "$CH/service/sink" clean 5
wait_until 10 at_least 5 sink_count
tap_expect_eq "  all 5 arrived" 5 "$(sink_count)"
tap_check "n1 sends datagrams of 256 bytes" \
	ockam node set n1 --udp-datagram 256

tap_check "n1's link loses 10%, duplicates 10%, reorders 25%, corrupts 10%" \
	tc -n "$(ns n1)" qdisc add dev to-n2 root netem delay 10ms \
	reorder 25% 50% loss 10% duplicate 10% corrupt 10%
before=$(sink_count)
replays=$(stat n2 drop_replay)
dups=$(stat n2 udp_duplicates)
node_exec n1 ockam-mitm send "$CH/service/sink" s $SMALL >/dev/null
node_exec n1 ockam-mitm send "$CH/service/sink" "$PREFIX" $LONG >/dev/null
wait_until 60 settled
got=$(sink_payloads | tail -n +$((before + 1)))
received=$(grep -c . <<<"$got")
lost=$((SMALL + LONG - received))
tap_diag "received $received of $((SMALL + LONG)), lost $lost"

tap_expect_eq "nothing came out twice" "" "$(sort <<<"$got" | uniq -d | head -n 5)"
tap_expect_eq "everything that came out is what n1 sent" "" \
	"$(grep -vxF -f <(sent_payloads) <<<"$got" | head -n 5)"
tap_check "some were lost, and most arrived ($received)" \
	test "$lost" -gt 0 -a "$received" -ge $(((SMALL + LONG) / 2))
tap_check "duplicated datagrams were counted (replays or duplicate fragments)" \
	test $(($(stat n2 drop_replay) - replays + $(stat n2 udp_duplicates) - dups)) -gt 0
tap_check "two-datagram messages that lost one were given up after 5 s" \
	wait_until 15 at_least 1 stat n2 drop_reasm_timeout
tap_check "  and n2 holds nothing unfinished" \
	wait_until 15 bash -c "ockam udp-bind list --at n2 -j |
	grep -q '\"reasm_bytes\": *0'"

tap_check "the link is clean again" tc -n "$(ns n1)" qdisc del dev to-n2 root
before=$(sink_count)
node_exec n1 ockam-mitm send "$CH/service/sink" after $SMALL >/dev/null
wait_until 30 at_least $((before + SMALL)) sink_count
tap_expect_eq "  all $SMALL arrived through the same channel" \
	$((before + SMALL)) "$(sink_count)"

# More frames lost in a row than the channel's window (1024) reaches:
# the first one after the gap is further ahead than the window, and
# restarts it once its tag verifies, instead of leaving every later frame
# too far ahead.
tap_check "n1's link loses everything" \
	tc -n "$(ns n1)" qdisc add dev to-n2 root netem loss 100%
node_exec n1 ockam-mitm send "$CH/service/sink" gone 1500 >/dev/null
tap_check "  1500 messages sent into it; the link is clean again" \
	tc -n "$(ns n1)" qdisc del dev to-n2 root
before=$(sink_count)
node_exec n1 ockam-mitm send "$CH/service/sink" back 5 >/dev/null
wait_until 30 at_least $((before + 5)) sink_count
tap_expect_eq "  all 5 after the gap arrived through the same channel" \
	$((before + 5)) "$(sink_count)"
tap_expect_eq "  none of the 1500 did" "" "$(sink_payloads | grep '^gone' | head -n 1)"

tap_check "node delete --all" ockam node delete --all
tap_done
