# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Numbered messages through a secure channel while something breaks
# under it, for the channel recovery tests. Source it after netns.sh and
# ockam.sh. The client sends COUNT messages (default 40), waiting WAIT
# (default 1s) for each echo; a fault test runs it in the background,
# breaks something once the first echoes came, and reads its output with
# echoed, corrupt, duplicates and first_after:
#
#   : >"$out"
#   client n1 "$CH" "$out" &
#   pid=$!
#   wait_until 20 at_least_echoed 5 "$out"
#   t0=$(now_ms)
#   node_exec a ss -K state established '( dport = :4000 )'
#   wait_until 120 pid_gone "$pid"
#   first_after "$out" "$t0"     # when the first echo after the fault came

COUNT=${COUNT:-40}
WAIT=${WAIT:-1s}

# now_ms: wall-clock milliseconds (busybox date has no %N).
now_ms() {
	echo $((${EPOCHREALTIME/./} / 1000))
}

# A string field of a one-line JSON document on stdin.
json_string() {
	grep -o "\"$1\": *\"[^\"]*\"" | head -n 1 | sed 's/.*: *"\(.*\)"$/\1/'
}

# channel_state NODE CHANNEL: "STATE REASON" as secure-channel show says.
channel_state() {
	local json
	json=$(ockam secure-channel show "$2" --at "$1" -j) || return 1
	echo "$(json_string state <<<"$json") $(json_string state_reason <<<"$json")"
}

# state_is NODE CHANNEL STATE: the channel is in STATE.
state_is() {
	[ "$(channel_state "$1" "$2" | cut -d' ' -f1)" = "$3" ]
}

# channel_number NODE CHANNEL KEY: a number field of secure-channel show.
channel_number() {
	ockam secure-channel show "$2" --at "$1" -j | json_number "$3"
}

# client NODE CHANNEL OUT [COUNT [STOP]]: COUNT numbered messages
# through CHANNEL to the echo service, one after another, or fewer once
# the file STOP exists; a line "I SENT MS REPLY" each into OUT (REPLY
# empty when none came within WAIT), SENT when the message went, MS when
# the answer came. A send refused at once (the channel has no route yet)
# waits a little before the next, so that COUNT messages span a
# recovery.
client() {
	local i reply start count=${4:-$COUNT} stop=${5:-}
	for ((i = 1; i <= count; i++)); do
		[ -n "$stop" ] && [ -e "$stop" ] && break
		start=$(now_ms)
		reply=$(ockam message send "m$i" --from "$1" --timeout "$WAIT" \
			--to "$2/service/echo" 2>/dev/null)
		echo "$i $start $(now_ms) $reply" >>"$3"
		if [ -z "$reply" ] && [ $(($(now_ms) - start)) -lt 200 ]; then
			sleep 0.2
		fi
	done
}

# sent OUT: how many messages the client of OUT sent.
sent() {
	wc -l <"$1"
}

# echoed_after MS N OUT: N or more echoes of messages sent at MS or later.
echoed_after() {
	[ "$(awk -v t="$1" 'NF == 4 && $2 >= t' "$3" | wc -l)" -ge "$2" ]
}

# echoed OUT: how many lines of OUT have an echo.
echoed() {
	awk 'NF == 4' "$1" | wc -l
}

# at_least_echoed N OUT: N or more echoes in OUT.
at_least_echoed() {
	[ "$(echoed "$2")" -ge "$1" ]
}

# corrupt OUT: lines whose echo is not the message sent.
corrupt() {
	awk 'NF == 4 && $4 != "m" $1' "$1"
}

# duplicates OUT: echoes that came back more than once.
duplicates() {
	awk 'NF == 4 { print $4 }' "$1" | sort | uniq -d
}

# first_after OUT MS: when the first echo of a message sent after MS
# came, or nothing.
first_after() {
	awk -v t="$2" 'NF == 4 && $2 >= t { print $3; exit }' "$1"
}

# pid_gone PID: the process ended.
pid_gone() {
	! kill -0 "$1" 2>/dev/null
}

# stream_verdict DESC OUT COUNT CH T0 [T1]: the client of OUT (COUNT
# messages from n1 through CH) ran through a fault that began at T0 (and
# ended at T1): when messages flowed again, how many were lost (into
# LOST), nothing changed or duplicated, and CH works and is up again.
stream_verdict() {
	local desc=$1 out=$2 count=$3 ch=$4 t0=$5 t1=${6:-} first
	first=$(first_after "$out" "$t0")
	LOST=$((count - $(echoed "$out")))
	if [ -n "$first" ]; then
		tap_diag "$desc: messages flowed again $((first - t0)) ms after the fault began${t1:+, $((first - t1)) ms after it ended}"
		tap_ok "$desc: echoes come back through the same channel"
	else
		tap_fail "$desc: echoes come back through the same channel" \
			"$(tail -n 8 "$out")"
	fi
	tap_diag "$desc: $LOST of $count messages lost"
	tap_expect_eq "$desc: no echo differs from its message" "" \
		"$(corrupt "$out")"
	tap_expect_eq "$desc: no echo came back twice" "" "$(duplicates "$out")"
	expect_output "$desc: the channel's route $ch works again" again \
		ockam message send again --from n1 --timeout 5s \
		--to "$ch/service/echo"
	tap_check "$desc: secure-channel show: up" \
		wait_until 5 state_is n1 "$ch" up
}
