#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Secure channels between real nodes: six nodes in a line, n1 - n2 - ...
# - n6, each with ockamd and a TCP listener on its address towards the
# node before it (n1 on 10.0.12.1), so /node/n2 is reachable from n1 and
# longer routes name each TCP hop. Channels over 1, 3 and 5 TCP hops with
# replies, a channel inside a channel, 16 channels at once (more than
# the 4 a listener takes from one node at a time: the daemon asks again),
# Ockam's piping, list/show/delete at either end, identities that are not
# authorized or whose attestation expired (both sides refuse, no channel
# in either kernel), and no address left behind once channels close.
#
#   make vm-run SCRIPT=selftests/netns/secure_channel.sh

lib=${OCKAM_SELFTESTS:-$(cd "$(dirname "$0")/.." && pwd)}/lib
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ockam.sh
. "$lib/ockam.sh"

require_cmd ockam ockamd ockam-mitm ockam-bench

export OCKAM_HOME=$NS_TMP/home
NODES=(n1 n2 n3 n4 n5 n6)

trap 'daemon_logs "${NODES[@]}"; ns_cleanup' EXIT

listen_addr() {
	if [ "$1" = n1 ]; then echo 10.0.12.1; else addr_of "$1"; fi
}

# A string field of a one-line JSON document on stdin.
json_string() {
	grep -o "\"$1\": *\"[^\"]*\"" | head -n 1 | sed 's/.*: *"\(.*\)"$/\1/'
}

# The kernel's channel dump on NODE, one line per channel.
kernel_channels() {
	node_exec "$1" ockam-mitm channels
}

# NODE's addresses other than its TCP connections, sorted.
local_addresses() {
	node_exec "$1" ockam-mitm addresses | grep -v ' tcp$' | sort
}

channel_count() {
	kernel_channels "$1" | grep -c '^encryptor='
}

# A field of the channel whose FIELD=VALUE on NODE: field_of NODE KEY VALUE WANT
field_of() {
	kernel_channels "$1" | awk -v k="$2=$3" -v w="$4=" '
		{ hit = 0; for (i = 1; i <= NF; i++) if ($i == k) hit = 1 }
		hit { for (i = 1; i <= NF; i++) if (index($i, w) == 1)
			print substr($i, length(w) + 1) }'
}

# create FROM OPTIONS...: the route secure-channel create prints; its
# error output in $NS_TMP/create.err.
create() {
	local from=$1
	shift
	ockam secure-channel create --from "$from" --timeout 20s "$@" \
		2>"$NS_TMP/create.err"
}

# refused DESCRIPTION FROM OPTIONS...: create fails with status 1 and one
# "error: " line, which goes to $NS_TMP/create.err and the diagnostics.
refused() {
	local desc=$1
	shift
	expect_status "$desc" 1 create_loud "$@"
	tap_diag "$(cat "$NS_TMP/create.err")"
}
create_loud() {
	local from=$1 rc
	shift
	ockam secure-channel create --from "$from" --timeout 20s "$@" \
		2>"$NS_TMP/create.err"
	rc=$?
	cat "$NS_TMP/create.err" >&2
	return $rc
}

send() {
	ockam message send "$1" --from n1 --timeout 10s --to "$2" 2>&1
}

listener_counter() {
	ockam secure-channel-listener show "$2" --at "$1" -j | json_number "$3"
}

setup() {
	local n
	node_add "${NODES[@]}" || return 1
	link_line "${NODES[@]}" || return 1
	for n in "${NODES[@]}"; do
		node_exec "$n" ockam node create "$n" \
			--tcp-listener-address "$(listen_addr "$n"):4000" || return 1
		wait_tcp_listen "$n" 4000 || return 1
		# The relays dial the next hop for the routes below.
		node_exec "$n" ockam node set "$n" --dial-forwarded on ||
			return 1
	done
}

if ! setup; then
	tap_fail "six nodes with ockamd" "$(node_logs)"
	tap_done
fi
tap_ok "six nodes with ockamd"

declare -A ID BASE
for n in "${NODES[@]}"; do
	ID[$n]=$(ockam identity show --at "$n" 2>&1)
	BASE[$n]=$(local_addresses "$n")
done
ids_ok=0
for n in "${NODES[@]}"; do
	[[ ${ID[$n]} =~ ^I[0-9a-f]{64}$ ]] || ids_ok=1
done
tap_result $ids_ok "identity show: each node's default identity is I and 64 hex digits"
tap_check "the six identities differ" \
	test "$(printf '%s\n' "${ID[@]}" | sort -u | wc -l)" = 6

# ------------------------------------------------------------- 1 hop

ch1=$(create n1 --to /node/n2/service/api)
if [[ $ch1 =~ ^/service/[0-9a-f]{32}$ ]]; then
	tap_ok "1 hop: secure-channel create prints /service/<encryptor>"
else
	tap_fail "1 hop: secure-channel create prints /service/<encryptor>" \
		"got '$ch1'" "$(cat "$NS_TMP/create.err")"
fi
expect_output "1 hop: message send through the channel is answered" HELLO \
	send hello "$ch1/service/uppercase"
tap_expect_eq "1 hop: the reply came back through the channel" \
	"$ch1/service/echo" \
	"$(ockam message send x -j --from n1 --to "$ch1/service/echo" | json_string return_route)"
enc1=${ch1#/service/}
tap_expect_eq "n1's kernel: an initiator channel whose peer is n2" \
	"initiator ${ID[n2]}" \
	"$(field_of n1 encryptor "$enc1" role) $(field_of n1 encryptor "$enc1" identifier)"
dec2=$(ockam secure-channel show "$ch1" --at n1 -j | json_string peer_route)
dec2=${dec2##*/}
tap_expect_eq "n2's kernel: a responder channel whose peer is n1" \
	"responder ${ID[n1]}" \
	"$(field_of n2 decryptor "$dec2" role) $(field_of n2 decryptor "$dec2" identifier)"
# Messages each end sealed and opened, less the keepalives the other end
# sent (a slow kernel may pass a keepalive interval here): the counts
# settle once a keepalive in flight has been opened.
counted_1hop() {
	local k1 k2

	k1=$(ockam node show n1 -j | json_number keepalives)
	k2=$(ockam node show n2 -j | json_number keepalives)
	echo "$(field_of n1 encryptor "$enc1" encrypted)" \
		"$(($(field_of n1 encryptor "$enc1" decrypted) - k2))" \
		"$(($(field_of n2 decryptor "$dec2" decrypted) - k1))" \
		"$(field_of n2 decryptor "$dec2" encrypted)"
}
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(counted_1hop)" = "2 2 2 2" ] && break
	sleep 0.3
done
tap_expect_eq "both ends counted the two messages and replies" "2 2 2 2" \
	"$(counted_1hop)"

# ------------------------------------------------- 3 and 5 hops

ch3=$(create n1 --to "$(route_to n4 api)")
tap_check "3 hops: secure-channel create n1 -> n4" \
	test -n "$ch3" -a "$(field_of n1 encryptor "${ch3#/service/}" identifier)" = "${ID[n4]}"
fwd_before=$(ockam node show n3 -j | json_number forwarded)
expect_output "3 hops: uppercase on n4 through the channel" "THREE HOPS" \
	send "three hops" "$ch3/service/uppercase"
ch5=$(create n1 --to "$(route_to n6 api)")
tap_check "5 hops: secure-channel create n1 -> n6" \
	test -n "$ch5" -a "$(field_of n1 encryptor "${ch5#/service/}" identifier)" = "${ID[n6]}"
expect_output "5 hops: uppercase on n6 through the channel" "FIVE HOPS" \
	send "five hops" "$ch5/service/uppercase"
tap_check "the relays forwarded frames they hold no channel for" \
	test "$(ockam node show n3 -j | json_number forwarded)" -gt "$fwd_before" \
	-a "$(channel_count n3)" = 0 -a "$(channel_count n5)" = 0

# ------------------------------------------------ a burst, nothing lost

# n1 sends 1 KiB messages through the 3-hop channel for 3 s, as fast as
# the sink acknowledges them. TCP loses nothing, and neither may the
# channel: n4 opens its frames on every CPU, each committing its counter
# to the window when it verifies, and the TCP transport that brings them
# stops reading while the channel has half a window of them, so that no
# frame's CPU falls a whole window behind another's.
n4_drops() {
	ockam node show n4 -j |
		grep -o '"drop_\(replay\|buffer_full\)": *[0-9]*' | tr -d ' ' |
		sort | tr '\n' ' '
}
node_bg n4 ockam-bench sink bench
bench_sink=$NODE_BG_PID
wait_until 5 bash -c "ip netns exec $(ns n4) ockam-mitm addresses | grep -qw bench" ||
	tap_diag "ockam-bench's sink is not bound on n4 yet"
drops_before=$(n4_drops)
burst=$(node_exec n1 ockam-bench send "$ch3/service/bench" 1024 3 2>&1)
tap_diag "$burst"
tap_expect_eq "3 hops: a 3 s burst of 1 KiB messages lost none" 0 \
	"$(grep '^result' <<<"$burst" | grep -o 'lost=[0-9]*' | cut -d= -f2)"
tap_expect_eq "  n4 refused none to its window and dropped none as full" \
	"$drops_before" "$(n4_drops)"
# Before the "wait" for the channels created at once below.
node_stop "$bench_sink"

# ---------------------------------------------- a channel in a channel

outer_before=$(field_of n1 encryptor "${ch3#/service/}" encrypted)
inner=$(create n1 --to "$ch3$(tcp_hop n5)$(tcp_hop n6)/service/api")
tap_check "a channel n1 -> n6 inside the channel n1 -> n4" \
	test -n "$inner" -a "$(field_of n1 encryptor "${inner#/service/}" identifier)" = "${ID[n6]}"
expect_output "through both channels to n6" NESTED \
	send nested "$inner/service/uppercase"
outer_after=$(field_of n1 encryptor "${ch3#/service/}" encrypted)
tap_check "the inner channel's frames went through the outer one" \
	test "$((outer_after - outer_before))" -ge 3
# n6's end of the inner channel answers into the outer channel's n4 end.
dec4=$(ockam secure-channel show "$ch3" --at n1 -j | json_string peer_route)
enc4=$(field_of n4 decryptor "${dec4##*/}" encryptor)
tap_expect_eq "n6's end of the inner channel routes back through n4's end of the outer" \
	1 "$(ockam secure-channel list --at n6 | grep -c "/service/$enc4/service/")"

# ------------------------------------------------------ Ockam's piping

out=$(node_exec n1 bash -c 'ockam secure-channel create --to /node/n2/service/api |
	ockam message send hello --to -/service/uppercase' 2>&1)
tap_expect_eq "secure-channel create --to /node/n2/service/api | message send hello --to -/service/uppercase" \
	HELLO "$out"

# ------------------------------------------------- many channels at once

# More than n2's listener takes from one node at once (4): the rest are
# refused as busy, and n1's daemon sends their message 1 again.
n2_before=$(channel_count n2)
source_busy=$(listener_counter n2 api rejected_source_busy)
for i in $(seq 1 16); do
	ockam secure-channel create --from n1 --timeout 20s \
		--to /node/n2/service/api >"$NS_TMP/many.$i" 2>&1 &
done
wait
ok=0
declare -a many
for i in $(seq 1 16); do
	r=$(cat "$NS_TMP/many.$i")
	if [[ $r =~ ^/service/[0-9a-f]{32}$ ]]; then
		many+=("$r")
	else
		tap_diag "create $i: $r"
	fi
done
tap_expect_eq "16 channels n1 -> n2 created at once" 16 \
	"$(printf '%s\n' "${many[@]}" | sort -u | wc -l)"
tap_expect_eq "n2's kernel holds 16 more channels" $((n2_before + 16)) \
	"$(channel_count n2)"
tap_diag "n2's listener refused $(($(listener_counter n2 api rejected_source_busy) - source_busy)) of their messages 1 as busy for a while"
for r in "${many[@]}"; do
	tail=${r: -6}
	got=$(send "via $tail" "$r/service/uppercase")
	[ "$got" = "VIA ${tail^^}" ] || { ok=1; tap_diag "$r: $got"; }
done
tap_result $ok "each of the 16 carries its own messages"

# ------------------------------------------------- list, show, delete

tap_check "secure-channel list shows the channel" \
	bash -c "ockam secure-channel list --at n1 | grep -q '^$ch1 *initiator *${ID[n2]} '"
tap_check "secure-channel list -j too" \
	bash -c "ockam secure-channel list --at n1 -j | grep -q '\"route\": *\"$ch1\"'"
show=$(ockam secure-channel show "$ch1" --at n1 2>&1)
tap_check "secure-channel show: route, role, peer and counters" \
	bash -c "grep -q '^Secure channel $ch1\$' <<<'$show' &&
		grep -q '^  role  *initiator\$' <<<'$show' &&
		grep -q '^  peer  *${ID[n2]}\$' <<<'$show' &&
		grep -q 'encrypted  *2\$' <<<'$show'"
expect_output "secure-channel delete" "Secure channel $enc1 deleted" \
	ockam secure-channel delete "$ch1" --at n1
tap_expect_eq "n1's kernel no longer has it" "" \
	"$(field_of n1 encryptor "$enc1" decryptor)"
peer_gone() {
	[ -z "$(field_of n2 decryptor "$dec2" encryptor)" ]
}
tap_check "n2's end closed too" wait_until 5 peer_gone
expect_status "sending into the deleted channel fails" 1 \
	ockam message send x --from n1 --timeout 2s --to "$ch1/service/echo"
expect_status "deleting it again fails" 1 \
	ockam secure-channel delete "$ch1" --at n1
expect_status "show of a deleted channel fails" 1 \
	ockam secure-channel show "$ch1" --at n1

# The responder closes one of the 16: the initiator's end goes too.
victim=${many[0]}
vdec=$(ockam secure-channel show "$victim" --at n1 -j | json_string peer_route)
venc=$(field_of n2 decryptor "${vdec##*/}" encryptor)
tap_check "secure-channel delete at the responder" \
	ockam secure-channel delete "/service/$venc" --at n2
initiator_gone() {
	[ -z "$(field_of n1 encryptor "${victim#/service/}" decryptor)" ]
}
tap_check "the initiator's end closed too" wait_until 5 initiator_gone
expect_output "the other 15 still work" "STILL" \
	send still "${many[1]}/service/uppercase"

# ------------------------------------------ identities and trust policy

count_pair() {
	echo "$(channel_count n1) $(channel_count n2)"
}
pair_before=$(count_pair)

refused_before=$(listener_counter n2 api rejected_peer_refused)
refused "initiator --authorized another identity: refused" \
	n1 --to /node/n2/service/api --authorized "${ID[n4]}"
tap_check "  with a clear error" \
	grep -q "identity ${ID[n2]} is not authorized" "$NS_TMP/create.err"
tap_expect_eq "  and the listener counts the refusal" $((refused_before + 1)) \
	"$(listener_counter n2 api rejected_peer_refused)"
tap_expect_eq "  and no channel in either kernel" "$pair_before" "$(count_pair)"

tap_check "listener strict on n2 accepting only n4" \
	ockam secure-channel-listener create strict --at n2 --authorized "${ID[n4]}"
refused "listener --authorized another identity: refused" \
	n1 --to /node/n2/service/strict
tap_check "  with a clear error" \
	grep -q "refused.*identity ${ID[n1]} is not authorized" "$NS_TMP/create.err"
tap_expect_eq "  and the listener counts it as unauthorized" 1 \
	"$(listener_counter n2 strict rejected_unauthorized)"
tap_expect_eq "  and no channel in either kernel" "$pair_before" "$(count_pair)"

ok_ch=$(create n1 --to /node/n2/service/api --authorized "${ID[n3]}" \
	--authorized "${ID[n2]}")
tap_check "initiator --authorized with the listener's identity among others" \
	test -n "$ok_ch"
tap_check "listener strict2 accepting n1" \
	ockam secure-channel-listener create strict2 --at n2 --authorized "${ID[n1]}"
ok_ch2=$(create n1 --to /node/n2/service/strict2)
tap_check "listener --authorized with the initiator's identity" test -n "$ok_ch2"
expect_output "  and the channel works" OK send ok "$ok_ch2/service/uppercase"

tap_check "listener patient on n2, handshakes waiting 2m" \
	ockam secure-channel-listener create patient --at n2 --timeout 2m
tap_expect_eq "  it shows its timeout" 120000 \
	"$(listener_counter n2 patient timeout_ms)"
tap_expect_eq "  and api keeps the default" 10000 \
	"$(listener_counter n2 api timeout_ms)"
tap_check_fails "listener --timeout 50ms: refused" \
	ockam secure-channel-listener create hasty --at n2 --timeout 50ms
tap_check "  with a clear error" bash -c \
	"ockam secure-channel-listener create hasty --at n2 --timeout 11m 2>&1 |
		grep -q -- '--timeout takes a duration from 100ms to 600s'"
tap_check_fails "  and no listener hasty" \
	ockam secure-channel-listener show hasty --at n2

ockam identity create alice --at n1 >/dev/null
alice=$(ockam identity show alice --at n1)
tap_check "identity create alice on n1" bash -c "[[ '$alice' =~ ^I[0-9a-f]{64}\$ ]]"
tap_check "listener for_alice on n2 accepting alice only" \
	ockam secure-channel-listener create for_alice --at n2 --authorized "$alice"
refused "n1's default identity is not alice" \
	n1 --to /node/n2/service/for_alice
ch_alice=$(create n1 --to /node/n2/service/for_alice --identity alice)
tap_check "secure-channel create --identity alice" test -n "$ch_alice"
tap_expect_eq "  n2's kernel names alice as the peer" 1 \
	"$(kernel_channels n2 | grep -c "identifier=$alice ")"

# --------------------------------------------------- expired attestation

pair_before=$(count_pair)
tap_check "identity stale on n1, attestation expired an hour ago" \
	ockam identity create stale --at n1 --attestation-ttl -3600
expired_before=$(listener_counter n2 api rejected_expired)
refused "an initiator with an expired attestation is refused" \
	n1 --to /node/n2/service/api --identity stale
tap_check "  with a clear error" \
	grep -q "refused.*attestation of $(ockam identity show stale --at n1) expired" \
	"$NS_TMP/create.err"
tap_expect_eq "  the listener counts it as expired" $((expired_before + 1)) \
	"$(listener_counter n2 api rejected_expired)"
tap_expect_eq "  and no channel in either kernel" "$pair_before" "$(count_pair)"

tap_check "identity stale on n2 and a listener answering with it" \
	bash -c "ockam identity create stale --at n2 --attestation-ttl -3600 &&
		ockam secure-channel-listener create old --at n2 --identity stale"
refused "a responder with an expired attestation is refused" \
	n1 --to /node/n2/service/old
tap_check "  with a clear error" \
	grep -q "attestation of $(ockam identity show stale --at n2) expired" \
	"$NS_TMP/create.err"
tap_expect_eq "  the listener hears it was refused" 1 \
	"$(listener_counter n2 old rejected_peer_refused)"
tap_expect_eq "  and no channel in either kernel" "$pair_before" "$(count_pair)"

# Within the 60 s of clock drift allowed, an attestation still counts.
tap_check "identity recent on n1, attestation expired 20 s ago" \
	ockam identity create recent --at n1 --attestation-ttl -20
ch_recent=$(create n1 --to /node/n2/service/api --identity recent)
tap_check "  accepted within the allowed clock drift" test -n "$ch_recent"

# ----------------------------------------------- nothing left behind

# The inner channel first: its close message travels through the outer.
ockam secure-channel delete "$inner" --at n1 >/dev/null ||
	tap_diag "delete $inner failed"
for enc in $(kernel_channels n1 | sed -n 's/^encryptor=\([^ ]*\) .*/\1/p'); do
	ockam secure-channel delete "$enc" --at n1 >/dev/null ||
		tap_diag "delete $enc failed"
done
for l in strict strict2 patient for_alice old; do
	ockam secure-channel-listener delete "$l" --at n2 >/dev/null ||
		tap_diag "listener delete $l failed"
done
tap_expect_eq "every channel deleted on n1" 0 "$(channel_count n1)"
all_closed() {
	local n
	for n in n2 n4 n6; do
		[ "$(channel_count "$n")" = 0 ] || return 1
	done
}
if wait_until 10 all_closed; then
	tap_ok "and closed at the other ends (n2, n4, n6)"
else
	tap_fail "and closed at the other ends (n2, n4, n6)" \
		"n2: $(kernel_channels n2)" "n4: $(kernel_channels n4)" \
		"n6: $(kernel_channels n6)"
fi
for n in n1 n2 n4 n6; do
	now=$(local_addresses "$n")
	if [ "$now" = "${BASE[$n]}" ]; then
		tap_ok "$n has the addresses it started with (TCP connections aside)"
	else
		tap_fail "$n has the addresses it started with (TCP connections aside)" \
			"at the start:" "${BASE[$n]}" "now:" "$now"
	fi
done
tap_expect_eq "secure-channel list is empty" "[]" \
	"$(ockam secure-channel list --at n2 -j | tr -d ' \n')"

# ------------------------------------------------ a node that goes away

# Its daemon owns its channels: deleting the node closes them and tells
# their peers.
no_channels() {
	[ "$(channel_count "$1")" = 0 ]
}
ch=$(create n3 --to /node/n4/service/api)
expect_output "a channel n3 -> n4" THREE \
	ockam message send three --from n3 --to "$ch/service/uppercase"
tap_check "node delete n4" ockam node delete n4
tap_check "n3's end closes when n4 is deleted" wait_until 5 no_channels n3
# A daemon that dies without closing its channels (SIGKILL) says no
# goodbye: the peer keeps its end, recovering. Once the daemon is back
# (the same identity, no keys), a new handshake puts new keys behind the
# same channel address, and whoever used it goes on.
ch=$(create n1 --to /node/n2/service/api)
expect_output "a channel n1 -> n2" ONE \
	ockam message send one --from n1 --to "$ch/service/uppercase"
pid=$(ockam node show n2 -j | json_number pid)
kill -9 "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
channel_json() {
	ockam secure-channel show "$ch" --at n1 -j
}
tap_check "n1's end stays when n2's daemon is killed, recovering" \
	wait_until 10 bash -c "ockam secure-channel show '$ch' --at n1 -j |
	grep -q '\"state\": *\"recovering\"'"
tap_check "n2's daemon starts again" \
	node_exec n2 ockam node create n2 \
	--tcp-listener-address "$(listen_addr n2):4000"
same_channel_works() {
	[ "$(ockam message send again --from n1 --timeout 3s \
		--to "$ch/service/uppercase" 2>/dev/null)" = AGAIN ]
}
tap_check "the same channel address works again" wait_until 40 same_channel_works
tap_check "through a new handshake, its keys behind that address" \
	test "$(channel_json | json_number handshakes)" -ge 1
tap_diag "n1's end: $(channel_json | tr -d '\n' | cut -c1-400)"

tap_check "node delete --all" ockam node delete --all
tap_done
