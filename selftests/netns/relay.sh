#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Relays: n1 - n2 - c, where n3 (in c) has no TCP listener and n1 has no
# IP route to it. n3 registers relay "n3" at n2 (ockam relay create),
# over a connection n3 dials and a secure channel to n2's api listener;
# n1 then reaches n3's services through /service/forward_to_n3 on n2,
# in plaintext and through a secure channel of its own to n3 that n2
# cannot read. n2 takes registrations only from identities it was told
# to, and does not hand a name to a second identity. When the relay's
# connection is cut, or n2's daemon dies and starts again, n3 registers
# again by itself; and the same with n2 forwarding along the connection
# under n3's channel (--relay-forward direct). Run in the VM:
#
#   make vm-tests VM_ARGS="--tests 'netns/relay*'"

lib=${OCKAM_SELFTESTS:-$(cd "$(dirname "$0")/.." && pwd)}/lib
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ockam.sh
. "$lib/ockam.sh"

require_cmd ockam ockamd ss
export OCKAM_HOME=$NS_TMP/home
node_add a b c
link_add a b 10.0.12.1 10.0.12.2
link_add b c 10.0.23.2 10.0.23.3

trap 'daemon_logs n1 n2 n3; ns_cleanup' EXIT

N2_FROM_N1=/ip4/10.0.12.2/tcp/4000
N2_FROM_N3=/ip4/10.0.23.2/tcp/4000
RELAYED=$N2_FROM_N1/service/forward_to_n3

# now_ms: wall-clock milliseconds (busybox date has no %N).
now_ms() {
	echo $((${EPOCHREALTIME/./} / 1000))
}

# relay_state NODE NAME: the state "relay show" reports.
relay_state() {
	ockam relay show "$2" --at "$1" -j | grep -o '"state":"[a-z]*"' |
		cut -d'"' -f4
}

# relay_field NODE NAME KEY: a number field of "relay show".
relay_field() {
	ockam relay show "$2" --at "$1" -j | json_number "$3"
}

echo_via_relay() {
	[ "$(ockam message send "$1" --from n1 --timeout 2s \
		--to "$RELAYED/service/echo" 2>/dev/null)" = "$1" ]
}

# The checks below run some of these in "bash -c".
export NS_PREFIX RELAYED
export -f ns node_exec relay_state relay_field echo_via_relay json_number

tap_check "node create n1" \
	node_exec a ockam node create n1 --tcp-listener-address 10.0.12.1:4000
tap_check "node create n3" node_exec c ockam node create n3
listener=$(ockam tcp-listener list --at n3 -j | grep -o '"address":"[^"]*"' |
	cut -d'"' -f4)
tap_check "n3 deletes its only TCP listener" \
	ockam tcp-listener delete "$listener" --at n3
tap_expect_eq "n3 has no TCP listener left" "" "$(node_exec c ss -Htln)"
id1=$(ockam identity show --at n1)
id3=$(ockam identity show --at n3)
tap_check "identity intruder on n1" ockam identity create intruder --at n1
id_intruder=$(ockam identity show intruder --at n1)
tap_check "node create n2, relays only for n1's and n3's identities" \
	node_exec b ockam node create n2 --tcp-listener-address 0.0.0.0:4000 \
	--relay-authorized "$id1" --relay-authorized "$id3"
expect_status "--relay-authorized takes identifiers only" 2 \
	ockam node create n9 --relay-authorized nobody

# ---------------------------------------------------------------- create
out=$(ockam relay create n3 --at "$N2_FROM_N3" --to n3 2>&1)
tap_expect_eq "relay create n3 at n2" "/service/forward_to_n3" "$out"
tap_expect_eq "n3 shows the relay up" "up" "$(relay_state n3 n3)"
tap_check "n3's relay JSON names n2's identity and the remote address" \
	bash -c "ockam relay show n3 --at n3 -j | grep -q '\"remote\":\"forward_to_n3\"' &&
	ockam relay show n3 --at n3 -j | grep -q '\"peer\":\"$(ockam identity show --at n2)\"'"
tap_check "n2 serves forward_to_n3 for n3's identity" \
	bash -c "ockam relay list --at n2 -j | grep -q '\"address\":\"forward_to_n3\",\"owner\":\"$id3\"'"
tap_check "n2's alias forward_to_n3 is in its kernel" \
	bash -c "ockam route list --at n2 | grep -q '^forward_to_n3 '"

# ------------------------------------------------------------- messages
expect_output "n1 -> forward_to_n3 -> n3 echo" "through the relay" \
	ockam message send "through the relay" --from n1 \
	--to "$RELAYED/service/echo"
expect_output "n1 -> forward_to_n3 -> n3 uppercase" "RELAYED" \
	ockam message send relayed --from n1 --to "$RELAYED/service/uppercase"
tap_check "n3 still has no TCP listener (it dialed n2)" \
	bash -c "! node_exec c ss -Htln | grep -q ."

sc=$(ockam secure-channel create --from n1 --to "$RELAYED/service/api" \
	-j 2>&1)
tap_check "secure channel n1 -> n3 through the relay" \
	grep -q "\"peer\":\"$id3\"" <<<"$sc"
enc=$(grep -o '"encryptor":"[^"]*"' <<<"$sc" | cut -d'"' -f4)
expect_output "n1 -> channel -> n3 echo, inside the relay's channel" \
	"end to end" ockam message send "end to end" --from n1 \
	--to "/service/$enc/service/echo"
tap_check "n2 holds no channel with n1: it forwards ciphertext only" \
	bash -c "! ockam secure-channel list --at n2 -j | grep -q '$id1'"

# ---------------------------------------------------------- refusals
expect_status "an identity n2 does not authorize is refused" 1 \
	ockam relay create other --at "$N2_FROM_N1" --to n1 \
	--identity intruder
tap_check "the refusal says why" \
	bash -c "ockam relay create other2 --at '$N2_FROM_N1' --to n1 \
	--identity intruder 2>&1 | grep -q 'may not register relays'"
tap_check "n2 made no alias for it" \
	bash -c "! ockam route list --at n2 | grep -q '^forward_to_other'"
expect_status "a name held by another identity is refused" 1 \
	ockam relay create n3 --at "$N2_FROM_N1" --to n1
tap_check "the refusal says it is held" \
	bash -c "ockam relay create n3 --at '$N2_FROM_N1' --to n1 2>&1 |
	grep -q 'held by another identity'"
tap_check "n1 keeps no relay after its refusals" \
	bash -c "! ockam relay list --at n1 -j | grep -q '\"name\"'"
expect_output "forward_to_n3 still goes to n3" "still n3" \
	ockam message send "still n3" --from n1 --to "$RELAYED/service/echo"
tap_check "n1 may register a name of its own" \
	ockam relay create n1 --at "$N2_FROM_N1" --to n1
expect_output "n3 reaches n1 through forward_to_n1" "N1 VIA RELAY" \
	ockam message send "n1 via relay" --from n3 \
	--to "$N2_FROM_N3/service/forward_to_n1/service/uppercase"
tap_check "relay delete n1 (registering side)" ockam relay delete n1 --at n1
tap_check "n2 dropped forward_to_n1 when its channel closed" \
	wait_until 5 bash -c "! ockam route list --at n2 | grep -q '^forward_to_n1 '"

# ---------------------------------------------------------- recovery
regs=$(relay_field n3 n3 registrations)
start=$(now_ms)
node_exec c ss -K dst 10.0.23.2 dport = 4000 >/dev/null 2>&1
if ! wait_until 3 bash -c "[ \"\$(ockam relay show n3 --at n3 -j |
		json_number registrations)\" != $regs ]"; then
	# No SOCK_DESTROY in this kernel: cut it by detaching the transport.
	tap_diag "ss -K did not cut the connection; detaching the transport instead"
	start=$(now_ms)
	addr=$(ockam tcp-connection list --from n3 -j |
		grep -o '"address":"[^"]*"' | head -n 1 | cut -d'"' -f4)
	ockam tcp-connection delete "$addr" --from n3 >/dev/null 2>&1
fi
tap_check "the relay comes back by itself" \
	wait_until 20 bash -c "[ \"\$(ockam relay show n3 --at n3 -j |
	json_number registrations)\" -gt $regs ] && echo_via_relay again"
took=$(($(now_ms) - start))
tap_diag "relay n3 was back after $took ms (retries: $(relay_field n3 n3 retries))"
expect_output "messages flow through forward_to_n3 again" "again" \
	ockam message send again --from n1 --to "$RELAYED/service/echo"
tap_check "n3's relay is up, with its retry count" \
	bash -c "[ \"\$(relay_state n3 n3)\" = up ] &&
	ockam relay show n3 --at n3 -j | grep -q '\"retries\":[0-9]'"
tap_check "n2 serves forward_to_n3 once" \
	bash -c "[ \$(ockam relay list --at n2 -j | grep -o forward_to_n3 | wc -l) = 1 ]"

# --------------------------------------------- the relay node restarts
# n2's daemon dies (SIGKILL) and a new one starts: the old one's alias
# forward_to_n3 stays in the kernel, pointing into a channel that closed
# with it. The new daemon removes it, and n3 registers again by itself.
regs=$(relay_field n3 n3 registrations)
pid=$(ockam node show n2 -j | json_number pid)
kill -KILL "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
tap_check "n2's daemon started again after SIGKILL" \
	node_exec b ockam node create n2 --tcp-listener-address 0.0.0.0:4000 \
	--relay-authorized "$id1" --relay-authorized "$id3"
tap_check "the relay comes back after n2's daemon restarts" \
	wait_until 20 bash -c "[ \"\$(ockam relay show n3 --at n3 -j |
	json_number registrations)\" -gt $regs ] && echo_via_relay restarted"
tap_diag "relay n3 at n2: $(ockam relay show n3 --at n3 -j)"

# ------------------------------------------- direct forwarding at n2
# n2 starts again with --relay-forward direct: forward_to_n3 then leads
# along the connection under n3's channel rather than into the channel,
# so n1's channel to n3 is sealed once, not twice. The channel n3 opened
# still carries the registrations and still ends the alias.
expect_status "--relay-forward takes channel or direct only" 2 \
	ockam node create n9 --relay-forward sideways
regs=$(relay_field n3 n3 registrations)
tap_check "node delete n2" ockam node delete n2
tap_check "node create n2 --relay-forward direct" \
	node_exec b ockam node create n2 --tcp-listener-address 0.0.0.0:4000 \
	--relay-authorized "$id1" --relay-authorized "$id3" \
	--relay-forward direct
tap_check "the relay comes back, forwarded directly" \
	wait_until 20 bash -c "[ \"\$(ockam relay show n3 --at n3 -j |
	json_number registrations)\" -gt $regs ] && echo_via_relay direct"
served=$(ockam relay show forward_to_n3 --at n2 -j)
tap_diag "n2 serves: $served"
fwd_channel=$(grep -o '"channel":"[^"]*"' <<<"$served" | cut -d'"' -f4)
fwd_transport=$(grep -o '"transport":"[^"]*"' <<<"$served" | cut -d'"' -f4)
tap_check "n2 says it forwards forward_to_n3 directly" \
	grep -q '"forward":"direct"' <<<"$served"
fwd_route=$(ockam route list --at n2 | awk '$1 == "forward_to_n3" { print $2 }')
tap_diag "forward_to_n3 -> $fwd_route"
tap_expect_eq "forward_to_n3 leads along the transport, not into channel $fwd_channel" \
	"/service/$fwd_transport" "$fwd_route"
sc=$(ockam secure-channel create --from n1 --to "$RELAYED/service/api" \
	-j 2>&1)
enc=$(grep -o '"encryptor":"[^"]*"' <<<"$sc" | cut -d'"' -f4)
expect_output "n1 -> channel -> n3 echo, forwarded directly" \
	"end to end, once" ockam message send "end to end, once" --from n1 \
	--to "/service/$enc/service/echo"
regs=$(relay_field n3 n3 registrations)
node_exec c ss -K dst 10.0.23.2 dport = 4000 >/dev/null 2>&1 ||
	ockam tcp-connection delete "$(ockam tcp-connection list --from n3 -j |
		grep -o '"address":"[^"]*"' | head -n 1 | cut -d'"' -f4)" \
		--from n3 >/dev/null 2>&1
tap_check "a direct relay comes back after its connection is cut" \
	wait_until 20 bash -c "[ \"\$(ockam relay show n3 --at n3 -j |
	json_number registrations)\" -gt $regs ] && echo_via_relay recut"
tap_check "n2 dropped the old route with its transport" \
	bash -c "! ockam route list --at n2 | grep -q '/service/$fwd_transport\$'"

# ------------------------------------------------------------- delete
tap_check "relay delete n3 (registering side)" ockam relay delete n3 --at n3
tap_check "n2 dropped forward_to_n3" \
	wait_until 5 bash -c "! ockam relay list --at n2 -j | grep -q forward_to_n3"
tap_check "forward_to_n3 reaches nothing now" \
	bash -c "! echo_via_relay gone"
expect_status "relay show of a deleted relay fails" 1 \
	ockam relay show n3 --at n3

tap_check "node delete --all" ockam node delete --all
tap_done
