#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An attacker in the middle of a secure channel: n1 - n2 - n3, where n2
# runs ockam-mitm, a relay every message of the channel passes through
# (the handshake too: the route is n1 -> n2's relay -> n3's listener). The
# test tells the relay what to do to the next frames: flip bits in the
# counter, the ciphertext and the tag, replay, swap, reverse, hold back
# past the replay window, drop, truncate, and tamper with the handshake.
# A sink on n3 logs every message that comes out of the channel; at the
# end its log must hold exactly what n1 sent and the attacker did not
# destroy, each message once, every one from n1's identity.
#
# Last, a flood of handshakes at a listener of n3's: n1 sends message 1
# after message 1 through n2 (one source), and a forger on n2 writes
# messages 1 with made-up return routes on a TCP connection of its own
# (one first hop). Each gets its per-source or per-hop share of the
# listener's slots and no more, and a channel from n2 is still made
# meanwhile. Then a listener with a 1 s --timeout: its slots come free.
#
#   make vm-run SCRIPT=selftests/netns/secure_channel_attack.sh

lib=${OCKAM_SELFTESTS:-$(cd "$(dirname "$0")/.." && pwd)}/lib
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ockam.sh
. "$lib/ockam.sh"

require_cmd ockam ockamd ockam-mitm

export OCKAM_HOME=$NS_TMP/home
NODES=(n1 n2 n3)
VIA=/ip4/10.0.12.2/tcp/4000/service/mitm/ip4/10.0.23.3/tcp/4000

trap 'daemon_logs "${NODES[@]}"; relay_log; ns_cleanup' EXIT

relay_log() {
	[ -n "${RELAY_LOG:-}" ] && [ -f "$RELAY_LOG" ] || return 0
	tap_diag "---- relay log (last 40 lines)" "$(tail -n 40 "$RELAY_LOG")"
}

# ctl RULE: tell the relay; prints its answer.
ctl() {
	ockam message send "$1" --from n2 --timeout 5s --to /service/mitm-ctl 2>&1
}

# rule RULE: ctl, as a TAP diagnostic; fails unless the relay said ok.
rule() {
	local out
	out=$(ctl "$1")
	[[ $out == ok* ]] || { tap_diag "relay: $1: $out"; return 1; }
}

# n3's end of the channel: one of its counters.
n3_stat() {
	node_exec n3 ockam-mitm channels |
		awk -v k="$1=" -v id="identifier=$ID1" '
			{ hit = 0; for (i = 1; i <= NF; i++) if ($i == id) hit = 1 }
			hit { for (i = 1; i <= NF; i++) if (index($i, k) == 1)
				print substr($i, length(k) + 1) }'
}

refused() {
	echo $(($(n3_stat drop_auth) + $(n3_stat drop_replay)))
}

# What came out of the channel on n3, one payload a line, in order.
sink_payloads() {
	sed -n 's/^msg id=[^ ]* len=[0-9]* data=//p' "$SINK_LOG"
}

sink_count() {
	grep -c '^msg ' "$SINK_LOG"
}

# send PREFIX COUNT: PREFIX1 .. PREFIXCOUNT from n1 through the channel.
SENT=()
send() {
	local i
	node_exec n1 ockam-mitm send "$CH/service/sink" "$1" "$2" >/dev/null ||
		return 1
	for ((i = 1; i <= $2; i++)); do
		SENT+=("$1$i")
	done
}

# Payloads that must never come out (destroyed or refused).
LOST=()

# only_in A B: the lines of A that B lacks, on one line (at most 20).
only_in() {
	grep -vxF -f <(printf '%s\n' "$2") <<<"$1" | head -n 20 | tr '\n' ' '
}

# at_least N COMMAND...: COMMAND prints a number >= N (for wait_until,
# which runs its command again each time).
at_least() {
	local n=$1
	shift
	[ "$("$@")" -ge "$n" ]
}

wait_sink() {
	wait_until "${2:-20}" at_least "$1" sink_count
}

wait_refused() {
	wait_until 10 at_least "$1" refused
}

setup() {
	node_add "${NODES[@]}" &&
	link_add n1 n2 10.0.12.1 10.0.12.2 &&
	link_add n2 n3 10.0.23.2 10.0.23.3 &&
	# The relay's rules act on the next frames that pass: a keepalive
	# passing at the wrong moment would take a rule meant for a message
	# or a handshake, so the channel's two ends send none.
	node_exec n1 ockam node create n1 --tcp-listener-address 10.0.12.1:4000 \
		--channel-keepalive 0 &&
	node_exec n2 ockam node create n2 --tcp-listener-address 0.0.0.0:4000 &&
	node_exec n3 ockam node create n3 --tcp-listener-address 10.0.23.3:4000 \
		--channel-keepalive 0 ||
		return 1
	node_bg n2 ockam-mitm relay mitm --control mitm-ctl
	RELAY_LOG=$NS_TMP/n2.$NODE_BG_PID.log
	node_bg n3 ockam-mitm sink sink
	SINK_LOG=$NS_TMP/n3.$NODE_BG_PID.log
	wait_until 5 grep -q '^relay at mitm' "$RELAY_LOG" &&
	wait_until 5 grep -q '^sink at sink' "$SINK_LOG"
}

if ! setup; then
	tap_fail "three nodes, a relay on n2 and a sink on n3" "$(node_logs)"
	tap_done
fi
tap_ok "three nodes, a relay on n2 and a sink on n3"
ID1=$(ockam identity show --at n1)

expect_output "the relay is transparent: echo on n3 answers through it" \
	"through" ockam message send through --from n1 --timeout 10s \
	--to "$VIA/service/echo"

CH=$(ockam secure-channel create --from n1 --timeout 20s --to "$VIA/service/api" 2>&1)
if [[ $CH =~ ^/service/[0-9a-f]{32}$ ]]; then
	tap_ok "a secure channel n1 -> n3 through the relay"
else
	tap_fail "a secure channel n1 -> n3 through the relay" "$CH"
	tap_done
fi
tap_expect_eq "n3's end names n1 as the peer" 1 \
	"$(node_exec n3 ockam-mitm channels | grep -c "identifier=$ID1 ")"
stats=$(ctl stats)
tap_check "the handshake went through the relay both ways" \
	bash -c "[[ '$stats' =~ ab=([0-9]+)\ ba=([1-9]) ]] && [ \${BASH_REMATCH[1]} -ge 2 ]"
expect_output "message send through the channel and the relay" "HELLO" \
	ockam message send hello --from n1 --timeout 10s --to "$CH/service/uppercase"

send base 5
tap_check "5 messages through the channel and the relay to the sink" wait_sink 5

# ----------------------------------------------------------- bit flips

# Bits of the frame: 0 is the top bit of the counter, 63 its lowest, 64
# the ciphertext's first, -1 the tag's last.
before=$(refused)
n=0
for bit in 0 7 56 63 64 70 100 200 -128 -64 -1; do
	n=$((n + 1))
	rule "flip +1 $bit" || break
	send "flip${bit}_" 1
	LOST+=("flip${bit}_1")
	wait_refused $((before + n)) ||
		tap_diag "flip of bit $bit: refused $(refused), expected $((before + n))"
done
tap_expect_eq "every flipped frame refused and counted on n3" \
	"$((before + 11))" "$(refused)"
tap_check "the relay flipped 11 bits" \
	test "$(grep -c 'flipped bit' "$RELAY_LOG")" = 11
count=$(sink_count)
send after_flips 1
tap_check "the channel still works: forgeries did not move the window" \
	wait_sink $((count + 1))

# ------------------------------------------------------------- replays

before=$(n3_stat drop_replay)
rule "replay +1"
send replayed_now 1
rule "replay +1 +3"
send replayed_later 3
wait_sink $((count + 5))
wait_until 10 at_least $((before + 2)) n3_stat drop_replay
tap_expect_eq "two replayed frames refused as replays" $((before + 2)) \
	"$(n3_stat drop_replay)"
tap_expect_eq "the relay replayed two" 2 \
	"$(grep -c ': replayed ->' "$RELAY_LOG")"

# --------------------------------------------------------- reordering

count=$(sink_count)
rule "swap +1"
send swapped 2
rule "reverse +1 20"
send reversed 20
tap_check "22 reordered frames all accepted" wait_sink $((count + 22))
tap_expect_eq "  the swapped pair arrived swapped" "swapped2 swapped1" \
	"$(sink_payloads | grep '^swapped' | tr '\n' ' ' | sed 's/ $//')"
want=
for ((i = 20; i >= 1; i--)); do
	want+="reversed$i "
done
tap_expect_eq "  the reversed run arrived reversed" "$want" \
	"$(sink_payloads | grep '^reversed' | tr '\n' ' ')"

# One frame held back 300 frames: inside the window, still accepted.
count=$(sink_count)
rule "hold +1 +300"
send held 300
tap_check "a frame 299 behind the newest is accepted" wait_sink $((count + 300)) 60
tap_expect_eq "  and arrived last" held1 "$(sink_payloads | tail -n 1)"

# One held back 1100 frames: behind the window (1023), refused.
count=$(sink_count)
before=$(n3_stat drop_replay)
rule "hold +1 +1100"
send late 1100
LOST+=(late1)
wait_sink $((count + 1099)) 90
wait_until 10 at_least $((before + 1)) n3_stat drop_replay
tap_expect_eq "a frame 1099 behind the newest is refused as a replay" \
	$((before + 1)) "$(n3_stat drop_replay)"
tap_expect_eq "  the other 1099 arrived" $((count + 1099)) "$(sink_count)"

# ------------------------------------------------- drops and truncation

count=$(sink_count)
rule "drop +1"
send dropped 2
LOST+=(dropped1)
wait_sink $((count + 1))
before=$(n3_stat drop_bad_frame)
rule "truncate +1 20"
send truncated 1
LOST+=(truncated1)
wait_until 10 at_least $((before + 1)) n3_stat drop_bad_frame
tap_expect_eq "a truncated frame is refused as malformed" $((before + 1)) \
	"$(n3_stat drop_bad_frame)"
send last 1
wait_sink $((count + 2))

# --------------------------------------------------- the handshake

channels_before="$(node_exec n1 ockam-mitm channels | wc -l) $(node_exec n3 ockam-mitm channels | wc -l)"
for r in "flip +1 100" "flip ba +1 300" "flip +2 -1" "drop ba +1"; do
	rule "$r"
	expect_status "a handshake with '$r' fails" 1 \
		ockam secure-channel create --from n1 --timeout 5s \
		--to "$VIA/service/api"
	ctl clear >/dev/null
done
tap_expect_eq "no channel from the tampered handshakes in either kernel" \
	"$channels_before" \
	"$(node_exec n1 ockam-mitm channels | wc -l) $(node_exec n3 ockam-mitm channels | wc -l)"
expect_output "the channel is still fine" "STILL" \
	ockam message send still --from n1 --timeout 10s --to "$CH/service/uppercase"

# --------------------------------------- nothing but what was sent

wait_sink $((${#SENT[@]} - ${#LOST[@]})) 30
expected=$(printf '%s\n' "${SENT[@]}" | grep -vxF -f <(printf '%s\n' "${LOST[@]}") | sort)
got=$(sink_payloads | sort)
if [ "$expected" = "$got" ]; then
	tap_ok "the sink got exactly what n1 sent, less what was destroyed, each once"
else
	tap_fail "the sink got exactly what n1 sent, less what was destroyed, each once" \
		"missing: $(only_in "$expected" "$got")" \
		"extra:   $(only_in "$got" "$expected")"
fi
tap_expect_eq "every message came from n1's identity" 0 \
	"$(grep '^msg ' "$SINK_LOG" | grep -vc "^msg id=$ID1 ")"
tap_diag "relay: $(ctl stats)"

# ------------------------------------------------ a flood of message 1

# Bounds of ockamd's listeners (ockamd.rst, "Secure channels").
PER_SOURCE=4
PER_HOP=16
FLOOD=20
FORGED=40
# The floods run until stopped (at most this long), at a listener whose
# handshakes wait longer still: none of their slots comes free while
# the test looks, however slow the machine, so each is counted once.
FLOOD_SECONDS=240
FLOODED_TIMEOUT=5m
# n3 from n1 through n2, no relay.
N3_VIA_N2=/ip4/10.0.12.2/tcp/4000/ip4/10.0.23.3/tcp/4000

# listener_number NAME KEY: a number of n3's listener NAME.
listener_number() {
	ockam secure-channel-listener show "$1" --at n3 -j | json_number "$2"
}

# pending_is NAME N: listener NAME holds N handshakes.
pending_is() {
	[ "$(listener_number "$1" pending)" = "$2" ]
}

# answers LOG: what the first burst of a flood got, "msg2=N refused=N busy=N".
answers() {
	sed -n 's/^burst answered: //p' "$1"
}

# flood_field LOG KEY: a number of the flood's closing line.
flood_field() {
	grep '^flood:' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# The tampered handshakes above may have left some waiting for message 3.
tap_check "n3's listener api has no handshake pending" wait_until 15 pending_is api 0
tap_check "listener flooded on n3, handshakes waiting $FLOODED_TIMEOUT" \
	ockam secure-channel-listener create flooded --at n3 \
	--timeout "$FLOODED_TIMEOUT"

# n1: an ordinary node, message 1 from sockets of its own along the
# route through n2 (no relay), 20 at once, then one every 100 ms. At n3
# they all have the source [n3's connection from n2, n2's from n1].
node_bg n1 ockam-mitm hs-flood \
	"$N3_VIA_N2/service/flooded" \
	"$FLOOD" "$FLOOD_SECONDS"
FLOOD_PID=$NODE_BG_PID
FLOOD_LOG=$NS_TMP/n1.$FLOOD_PID.log
# n2: a forger with its own TCP connection to n3, each message 1 from
# another made-up source.
node_bg n2 ockam-mitm hs-forge 10.0.23.3:4000 flooded "$FORGED" \
	"$FLOOD_SECONDS"
FORGE_PID=$NODE_BG_PID
FORGE_LOG=$NS_TMP/n2.$FORGE_PID.log
wait_until 30 grep -q '^burst answered' "$FLOOD_LOG"
wait_until 30 grep -q '^burst answered' "$FORGE_LOG"
tap_expect_eq "one source flooding gets $PER_SOURCE slots, the rest refused busy" \
	"msg2=$PER_SOURCE refused=$((FLOOD - PER_SOURCE)) busy=$((FLOOD - PER_SOURCE))" \
	"$(answers "$FLOOD_LOG")"
tap_check "  told why" grep -q '^refusal: .*from your route' "$FLOOD_LOG"
tap_expect_eq "forged sources through one connection get $PER_HOP slots, the rest refused busy" \
	"msg2=$PER_HOP refused=$((FORGED - PER_HOP)) busy=$((FORGED - PER_HOP))" \
	"$(answers "$FORGE_LOG")"
tap_check "  told why" grep -q '^refusal: .*through your connection' "$FORGE_LOG"
tap_expect_eq "n3's listener holds the floods' $((PER_SOURCE + PER_HOP)) handshakes" \
	$((PER_SOURCE + PER_HOP)) "$(listener_number flooded pending)"

# Meanwhile n2's own daemon, through the same connection as n1's flood.
CH2=$(ockam secure-channel create --from n2 --timeout 20s \
	--to /ip4/10.0.23.3/tcp/4000/service/flooded 2>&1)
if [[ $CH2 =~ ^/service/[0-9a-f]{32}$ ]]; then
	tap_ok "a secure channel n2 -> n3 while the floods hold their slots"
else
	tap_fail "a secure channel n2 -> n3 while the floods hold their slots" "$CH2"
fi
tap_check "  the flood was still on when it was up" \
	bash -c "! grep -q '^flood:' '$FLOOD_LOG'"
tap_expect_eq "  and the floods still held their slots" \
	$((PER_SOURCE + PER_HOP)) "$(listener_number flooded pending)"
expect_output "  a message through it" "FLOODED" \
	ockam message send flooded --from n2 --timeout 10s --to "$CH2/service/uppercase"

node_stop "$FLOOD_PID"
node_stop "$FORGE_PID"
tap_diag "n1: $(grep '^flood:' "$FLOOD_LOG")" "n2: $(grep '^flood:' "$FORGE_LOG")"
tap_expect_eq "over the whole flood one source got $PER_SOURCE slots" \
	"$PER_SOURCE" "$(flood_field "$FLOOD_LOG" msg2)"
refused_n1=$(flood_field "$FLOOD_LOG" refused)
tap_check "  and kept being refused ($refused_n1 times)" \
	test "${refused_n1:-0}" -gt $((FLOOD - PER_SOURCE))
tap_check "n3 counts each of those as source-busy" test \
	"$(listener_number flooded rejected_source_busy)" -ge "${refused_n1:-0}"
tap_expect_eq "n3 counts the forger's as hop-busy" $((FORGED - PER_HOP)) \
	"$(listener_number flooded rejected_hop_busy)"
tap_expect_eq "  and no handshake of theirs timed out" 0 \
	"$(listener_number flooded rejected_timeout)"

# A listener whose handshakes wait 1 s: the same flood gets one slot
# after another as they time out, each counted once as a timeout.
tap_check "listener brief on n3, handshakes waiting 1s" \
	ockam secure-channel-listener create brief --at n3 --timeout 1s
tap_expect_eq "  it shows its timeout" 1000 "$(listener_number brief timeout_ms)"
node_bg n1 ockam-mitm hs-flood \
	"$N3_VIA_N2/service/brief" \
	"$PER_SOURCE" "$FLOOD_SECONDS"
BRIEF_PID=$NODE_BG_PID
brief_started_more() {
	[ "$(listener_number brief started)" -gt "$PER_SOURCE" ]
}
tap_check "  a flood from one source gets more than $PER_SOURCE slots over time" \
	wait_until 60 brief_started_more
node_stop "$BRIEF_PID"
tap_check "  once it stops, every slot comes free" wait_until 30 pending_is brief 0
# From one snapshot, and again until it holds: a message 1 still on its
# way when the flood stopped starts one more handshake, which then times
# out too.
brief_all_timed_out() {
	local j
	j=$(ockam secure-channel-listener show brief --at n3 -j)
	[ "$(json_number pending <<<"$j")" = 0 ] &&
		[ "$(json_number started <<<"$j")" = \
			"$(json_number rejected_timeout <<<"$j")" ]
}
if wait_until 10 brief_all_timed_out; then
	tap_ok "  each as a timeout"
else
	tap_fail "  each as a timeout" \
		"$(ockam secure-channel-listener show brief --at n3)"
fi

tap_check "node delete --all" ockam node delete --all
tap_done
