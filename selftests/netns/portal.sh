#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Portals between two nodes: n1 (namespace a) has the inlets, n2
# (namespace b) the outlets, whose targets listen on b's loopback only, so
# nothing but the portal reaches them from a. Real programs at both ends:
# busybox httpd and wget, socat, iperf3. Run in the VM:
#
#   make vm-tests VM_ARGS="--tests 'netns/portal*'"

lib=${OCKAM_SELFTESTS:-$(cd "$(dirname "$0")/.." && pwd)}/lib
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ockam.sh
. "$lib/ockam.sh"

require_cmd ockam ockamd ockam-bench ockam-stress busybox socat sha256sum
export OCKAM_HOME=$NS_TMP/home
node_add a b
link_add a b 10.0.12.1 10.0.12.2

trap 'daemon_logs n1 n2; ns_cleanup' EXIT

# now_ms: wall-clock milliseconds (busybox date has no %N).
now_ms() {
	echo $((${EPOCHREALTIME/./} / 1000))
}

pid_gone() {
	! kill -0 "$1" 2>/dev/null
}

# outlet_count NAME KEY: a counter of outlet NAME on n2.
outlet_count() {
	ockam tcp-outlet show "$1" --at n2 -j | json_number "$2"
}

# inlet_count ADDRESS KEY: a counter of the inlet at ADDRESS on n1.
inlet_count() {
	ockam tcp-inlet show "$1" --at n1 -j | json_number "$2"
}

# at_least N COMMAND...: COMMAND prints a number of N or more.
at_least() {
	local want=$1 got
	shift
	got=$("$@") && [ -n "$got" ] && [ "$got" -ge "$want" ]
}

# through PORT: a connection to the inlet on n1's port PORT; stdin is
# sent, then the write side shut; prints what came back.
through() {
	node_exec a socat -t 10 - "TCP:127.0.0.1:$1"
}

# The targets, on b's loopback.
www=$NS_TMP/www
mkdir -p "$www"
head -c $((4 << 20)) /dev/urandom >"$www/big"
head -c 20000 /dev/urandom >"$www/small"
big_sum=$(sha256sum <"$www/big" | cut -d' ' -f1)
small_sum=$(sha256sum <"$www/small" | cut -d' ' -f1)
node_bg b busybox httpd -f -p 127.0.0.1:8080 -h "$www"
node_bg b socat TCP-LISTEN:7000,bind=127.0.0.1,reuseaddr,fork \
	SYSTEM:'wc -c'
# An endless stream, whose connection the test resets (ss -K).
node_bg b socat TCP-LISTEN:7100,bind=127.0.0.1,reuseaddr,fork \
	SYSTEM:'cat /dev/zero'
# A target that reads nothing: its client's writes back up.
node_bg b socat TCP-LISTEN:7200,bind=127.0.0.1,reuseaddr,fork \
	SYSTEM:'sleep 60'
# An echo, whose answer the test has lost in an outage.
node_bg b socat TCP-LISTEN:7300,bind=127.0.0.1,reuseaddr,fork PIPE
if ! wait_tcp_listen b 8080 || ! wait_tcp_listen b 7000 ||
	! wait_tcp_listen b 7100 || ! wait_tcp_listen b 7200 ||
	! wait_tcp_listen b 7300; then
	tap_skip_all "the test servers did not start"
fi

tap_check "node create n1" \
	node_exec a ockam node create n1 --tcp-listener-address 10.0.12.1:4000
tap_check "node create n2" \
	node_exec b ockam node create n2 --tcp-listener-address 10.0.12.2:4000
tap_check_fails "n1 cannot reach the web server on n2 directly" \
	node_exec a timeout 2 busybox wget -q -O /dev/null http://10.0.12.2:8080/small

expect_output "tcp-outlet create prints the outlet's route" "/service/outlet" \
	ockam tcp-outlet create --at n2 --to 127.0.0.1:8080
expect_output "tcp-inlet create prints the inlet's address" "127.0.0.1:6000" \
	ockam tcp-inlet create --at n1 --from 127.0.0.1:6000 \
	--to /node/n2/secure/api/service/outlet
expect_status "an outlet name is taken once" 1 \
	ockam tcp-outlet create --at n2 --to 127.0.0.1:8080
expect_status "an inlet needs --to" 2 \
	ockam tcp-inlet create --at n1 --from 127.0.0.1:6001
expect_status "an outlet target is an IP address" 1 \
	ockam tcp-outlet create --at n2 --from named --to localhost:8080

# Bulk data: 4 MiB through a secure channel, byte for byte.
tap_expect_eq "4 MiB download through the portal has the right checksum" \
	"$big_sum" \
	"$(node_exec a busybox wget -q -O - http://127.0.0.1:6000/big |
	   sha256sum | cut -d' ' -f1)"
tap_check "the inlet went through a secure channel to n2's identity" \
	bash -c "ockam tcp-inlet show 127.0.0.1:6000 --at n1 -j |
	grep -q \"\\\"peer\\\":\\\"$(ockam identity show --at n2)\\\"\""

# Many sessions at once.
many() {
	local i pids=() ok=0
	for i in $(seq 1 24); do
		node_exec a busybox wget -q -O "$NS_TMP/many.$i" \
			http://127.0.0.1:6000/small &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	for i in $(seq 1 24); do
		[ "$(sha256sum <"$NS_TMP/many.$i" | cut -d' ' -f1)" = \
		  "$small_sum" ] && ok=$((ok + 1))
	done
	[ $ok = 24 ]
}
tap_check "24 concurrent downloads all arrive intact" many
none_active() {
	[ "$(outlet_count outlet active)" = 0 ] &&
	[ "$(inlet_count 127.0.0.1:6000 active)" = 0 ]
}
tap_check "every session ended and was counted" wait_until 10 none_active
tap_check "the outlet attached at least 25 sessions" \
	at_least 25 outlet_count outlet attached

# Half-close: the server answers only once the client's side has ended.
tap_check "tcp-outlet create wc --to 127.0.0.1:7000" \
	ockam tcp-outlet create --at n2 --from wc --to 127.0.0.1:7000
tap_check "tcp-inlet create 127.0.0.1:6700 to wc" \
	ockam tcp-inlet create --at n1 --from 127.0.0.1:6700 \
	--to /node/n2/secure/api/service/wc
tap_expect_eq "half-close: the client's end reaches the server, the answer comes back" \
	"100000" "$(head -c 100000 /dev/zero | through 6700 | tr -d ' ')"

# iperf3 both ways, when the image has it.
if command -v iperf3 >/dev/null; then
	node_bg b iperf3 -s -B 127.0.0.1 -p 5201
	wait_tcp_listen b 5201
	tap_check "tcp-outlet create iperf --to 127.0.0.1:5201" \
		ockam tcp-outlet create --at n2 --from iperf --to 127.0.0.1:5201
	tap_check "tcp-inlet create 127.0.0.1:6201 to iperf" \
		ockam tcp-inlet create --at n1 --from 127.0.0.1:6201 \
		--to /node/n2/secure/api/service/iperf
	tap_check "iperf3 through the portal, client to server" \
		node_exec a iperf3 -c 127.0.0.1 -p 6201 -t 2
	tap_check "iperf3 through the portal, server to client (-R)" \
		node_exec a iperf3 -c 127.0.0.1 -p 6201 -t 2 -R
else
	tap_skip "iperf3" "not in the image"
fi

# The connection under the inlets' channels is reset: the channels
# recover over a new connection (the daemon dials it again), and each
# inlet's next client is served through the same channel.
small_ok() {
	[ "$(node_exec a busybox wget -q -O - http://127.0.0.1:6000/small |
		sha256sum | cut -d' ' -f1)" = "$small_sum" ]
}
opened=$(inlet_count 127.0.0.1:6000 channels_opened)
node_exec a ss -K state established '( dport = :4000 )' >/dev/null
tap_check "after its connection was reset, the inlet serves its next client" \
	wait_until 15 small_ok
tap_expect_eq "through the same channel, recovered" "$opened" \
	"$(inlet_count 127.0.0.1:6000 channels_opened)"

# The same under a long download: 32 MiB, reset once 4 MiB arrived. The
# download must end whole (the right checksum) or in an error, never
# with other bytes and never hanging; the next one is whole. (What the
# outlet had in flight is lost in the reset; when that was its whole
# window, only the SYNC each session sends once its channel is back
# shows the loss: without it, both ends would wait for good.)
head -c $((32 << 20)) /dev/urandom >"$www/huge"
huge_sum=$(sha256sum <"$www/huge" | cut -d' ' -f1)
# download NAME: the huge file through the inlet into $NS_TMP/NAME, its
# status into $NS_TMP/NAME.status.
download() {
	node_exec a timeout 120 busybox wget -q -O "$NS_TMP/$1" \
		http://127.0.0.1:6000/huge 2>"$NS_TMP/$1.err"
	echo $? >"$NS_TMP/$1.status"
}
# reset_under: the connection under the inlet's channel reset (ss -K).
reset_under() {
	node_exec a ss -K -H state established '( dport = :4000 )' | grep -q .
}
size_of() {
	stat -c %s "$1" 2>/dev/null || echo 0
}
# bytes_at_least FILE N: FILE has N bytes or more.
bytes_at_least() {
	[ "$(size_of "$1")" -ge "$2" ]
}
# download_watch NAME: until the download ends, or its file has not
# grown for 15 s (stalled: return 1).
download_watch() {
	local size last=-1 still=0
	while [ ! -s "$NS_TMP/$1.status" ]; do
		size=$(size_of "$NS_TMP/$1")
		if [ "$size" = "$last" ]; then
			still=$((still + 1))
			[ "$still" -lt 150 ] || return 1
		else
			still=0
			last=$size
		fi
		sleep 0.1
	done
}
download_started=$(now_ms)
download during &
dl=$!
if wait_until 60 bytes_at_least "$NS_TMP/during" $((4 << 20)); then
	reset_at=$(now_ms)
	tap_check "mid-download ($(size_of "$NS_TMP/during") bytes in), ss -K resets the connection under the channel" \
		reset_under
else
	tap_fail "the download got 4 MiB within 60 s" \
		"$(cat "$NS_TMP/during.err" 2>/dev/null)"
fi
stalled=0
if ! download_watch during; then
	stalled=1
	tap_diag "the download stalled at $(size_of "$NS_TMP/during") bytes:" \
		"inlet: $(ockam tcp-inlet show 127.0.0.1:6000 --at n1 -j | tr -d '\n')" \
		"outlet: $(ockam tcp-outlet show outlet --at n2 -j | tr -d '\n')" \
		"n1's channels: $(ockam secure-channel list --at n1 -j | tr -d '\n')" \
		"a: $(node_exec a ss -tnio)" "b: $(node_exec b ss -tnio)"
	daemon_logs n1 n2
	# The wget, whose status the background shell then writes.
	pkill -P "$dl"
fi
wait_until 10 test -s "$NS_TMP/during.status"
wait_until 5 pid_gone "$dl"
wait "$dl" 2>/dev/null
status=$(cat "$NS_TMP/during.status" 2>/dev/null)
tap_diag "the download ended with status ${status:-none} after $(($(now_ms) - download_started)) ms ($(($(now_ms) - ${reset_at:-0})) ms after the reset), $(size_of "$NS_TMP/during") bytes: $(cat "$NS_TMP/during.err" 2>/dev/null)"
if [ "$stalled" = 1 ]; then
	tap_fail "the download through the reset completed or failed, without hanging" \
		"it stalled for 15 s (status ${status:-none})"
elif [ "$status" = 0 ]; then
	tap_expect_eq "the download through the reset completed, with the right checksum" \
		"$huge_sum" "$(sha256sum <"$NS_TMP/during" | cut -d' ' -f1)"
elif [ -n "$status" ] && [ "$status" -lt 124 ]; then
	tap_ok "the download through the reset failed with an error (status $status)"
else
	# 124 or a signal: timeout ended it.
	tap_fail "the download through the reset completed or failed, without hanging" \
		"status ${status:-none}"
fi
rm -f "$NS_TMP/during"
tap_check "after it, the inlet serves its next client" wait_until 15 small_ok
download after
tap_expect_eq "a new 32 MiB download completes, with the right checksum" \
	"0 $huge_sum" \
	"$(cat "$NS_TMP/after.status") $(sha256sum <"$NS_TMP/after" | cut -d' ' -f1)"
rm -f "$NS_TMP/after" "$www/huge"

# Messages lost in an outage with nothing after them to show it. b
# drops everything towards a (netem) until a resets the connection under
# the channel (ss -K), and what b had not had acked goes with it; then
# the channel recovers. Without more, each client below would wait for
# good.
tap_check "tcp-outlet create answer --to 127.0.0.1:7300" \
	ockam tcp-outlet create --at n2 --from answer --to 127.0.0.1:7300
tap_check "tcp-inlet create 127.0.0.1:6300 to answer" \
	ockam tcp-inlet create --at n1 --from 127.0.0.1:6300 \
	--to /node/n2/secure/api/service/answer
# echo_client NAME: through the echo inlet, a line and its echo; then,
# once $NS_TMP/NAME.go exists, a 2001-byte line. What became of its echo
# goes into $NS_TMP/NAME.result: "echo", "reset", "timeout" or an error.
echo_client() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	node_exec a bash -c '
		exec 3<>/dev/tcp/127.0.0.1/6300 || exit 1
		echo one >&3
		if ! read -r -t 10 line <&3 || [ "$line" != one ]; then
			echo "no first echo" >"$1.result"
			exit 1
		fi
		touch "$1.ready"
		while [ ! -e "$1.go" ]; do sleep 0.1; done
		printf "%02000d\n" 2 >&3
		if read -r -t 30 line <&3 2>"$1.err"; then
			r="echo"
		elif [ $? -gt 128 ]; then
			r=timeout
		elif grep -q "reset by peer" "$1.err"; then
			r=reset
		else
			r="error: $(cat "$1.err")"
		fi
		echo "$r" >"$1.result"' _ "$NS_TMP/$1"
}
# b_send_q: the bytes b has sent on n1's connection and not had acked.
b_send_q() {
	node_exec b ss -Htn state established '( sport = :4000 )' |
		awk '{ q += ($1 ~ /^[0-9]+$/) ? $2 : $3 } END { print q + 0 }'
}
# outage NAME HOW: echo_client NAME gets its first answer; b drops
# everything towards a; HOW runs (it loses something on b, and returns
# once b has sent it); a resets the connection; b sends again. NAME's
# client must then be reset, not left waiting.
outage() {
	local name=$1 how=$2 pid
	echo_client "$name" &
	pid=$!
	if wait_until 15 test -e "$NS_TMP/$name.ready"; then
		tap_ok "$name: a client of the echo gets its first answer"
	else
		tap_fail "$name: a client of the echo gets its first answer" \
			"$(cat "$NS_TMP/$name.result" 2>/dev/null)"
	fi
	node_exec b tc qdisc add dev to-a root netem loss 100%
	tap_check "$name: what b sends towards a is lost" "$how" "$name"
	reset_under
	node_exec b tc qdisc del dev to-a root
	tap_check "$name: the waiting client is reset, not left waiting" \
		wait_until 40 grep -qx reset "$NS_TMP/$name.result"
	tap_diag "$name: the client: $(cat "$NS_TMP/$name.result" 2>/dev/null)"
	wait "$pid" 2>/dev/null
}
# The answer: the echo answers 2001 bytes, which wait in b's send queue.
# Once the channel is back, the sessions' SYNCs show the gap.
lose_answer() {
	touch "$NS_TMP/$1.go"
	wait_until 10 at_least 2001 b_send_q
}
outage lost-answer lose_answer
# The outlet session's DISCONNECT: the echo's connection is reset on b,
# so the outlet session ends, and its DISCONNECT waits in b's send
# queue; the client asks again, into a session that is gone. Once the
# channel is back, the inlet session's SYNC gets no answer, and it ends.
lose_disconnect() {
	local before
	before=$(outlet_count answer ended_reset)
	node_exec b ss -K state established '( sport = :7300 )' >/dev/null &&
	wait_until 10 at_least $((before + 1)) outlet_count answer ended_reset &&
	wait_until 10 at_least 1 b_send_q &&
	touch "$NS_TMP/$1.go"
}
outage lost-disconnect lose_disconnect
tap_expect_eq "the echo inlet's next client gets its answer" "three" \
	"$(echo three | through 6300)"

# A target that refuses: the client's connection is closed, nothing comes.
tap_check "tcp-outlet create closed --to 127.0.0.1:9 (nobody listens)" \
	ockam tcp-outlet create --at n2 --from closed --to 127.0.0.1:9 \
	--connect-timeout 2s
tap_check "tcp-inlet create 127.0.0.1:6009 to closed" \
	ockam tcp-inlet create --at n1 --from 127.0.0.1:6009 \
	--to /node/n2/secure/api/service/closed
tap_expect_eq "a refused target closes the client's connection" "" \
	"$(echo hello | through 6009)"
tap_check "the outlet counted the refused connect" \
	wait_until 10 at_least 1 outlet_count closed refused_connect
tap_check "the inlet session ended as refused" \
	wait_until 10 at_least 1 inlet_count 127.0.0.1:6009 ended_refused

# An outlet for another identity refuses n1.
other=I0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
tap_check "tcp-outlet create picky --authorized someone else" \
	ockam tcp-outlet create --at n2 --from picky --to 127.0.0.1:8080 \
	--authorized "$other"
tap_check "tcp-inlet create 127.0.0.1:6010 to picky" \
	ockam tcp-inlet create --at n1 --from 127.0.0.1:6010 \
	--to /node/n2/secure/api/service/picky
tap_check_fails "an identity the outlet does not list gets nothing" \
	node_exec a timeout 5 busybox wget -q -O /dev/null http://127.0.0.1:6010/small
tap_check "the outlet counted it unauthorized" \
	wait_until 10 at_least 1 outlet_count picky refused_unauthorized
tap_expect_eq "and attached nothing" "0" "$(outlet_count picky attached)"

# Plaintext: refused by default, served with --allow-plaintext.
tap_check "tcp-inlet create 127.0.0.1:6011, no secure channel" \
	ockam tcp-inlet create --at n1 --from 127.0.0.1:6011 \
	--to /node/n2/service/outlet
tap_check_fails "a plaintext session is refused" \
	node_exec a timeout 5 busybox wget -q -O /dev/null http://127.0.0.1:6011/small
tap_check "the outlet counted it as plaintext" \
	wait_until 10 at_least 1 outlet_count outlet refused_plaintext
tap_check "tcp-outlet create open --allow-plaintext" \
	ockam tcp-outlet create --at n2 --from open --to 127.0.0.1:8080 \
	--allow-plaintext
tap_check "tcp-inlet create 127.0.0.1:6012 to open, no secure channel" \
	ockam tcp-inlet create --at n1 --from 127.0.0.1:6012 \
	--to /node/n2/service/open
tap_expect_eq "with --allow-plaintext the download works" "$small_sum" \
	"$(node_exec a busybox wget -q -O - http://127.0.0.1:6012/small |
	   sha256sum | cut -d' ' -f1)"

# A target that resets mid-stream: both sessions end, counted as resets.
tap_check "tcp-outlet create resetter --to 127.0.0.1:7100" \
	ockam tcp-outlet create --at n2 --from resetter --to 127.0.0.1:7100
tap_check "tcp-inlet create 127.0.0.1:6100 to resetter" \
	ockam tcp-inlet create --at n1 --from 127.0.0.1:6100 \
	--to /node/n2/secure/api/service/resetter
# The target's connection is reset mid-stream (ss -K in its namespace):
# the client's must be reset too, not ended as if the stream were whole.
(
	node_exec a ockam-bench tcp-recv 127.0.0.1:6100 >"$NS_TMP/reset.out" \
		2>&1
	echo $? >"$NS_TMP/reset.status"
) &
reset_client=$!
wait_until 10 at_least 1 outlet_count resetter active
sleep 1
node_exec b ss -K state established '( sport = :7100 )' >/dev/null
wait_until 10 test -s "$NS_TMP/reset.status"
kill "$reset_client" 2>/dev/null
wait "$reset_client" 2>/dev/null
tap_check "the client's connection was reset, not ended ($(cat "$NS_TMP/reset.out"))" \
	grep -q "end=Connection reset by peer" "$NS_TMP/reset.out"
tap_check "the outlet session ended in a reset" \
	wait_until 10 at_least 1 outlet_count resetter ended_reset
tap_check "the inlet session ended as reset by its peer" \
	wait_until 10 at_least 1 inlet_count 127.0.0.1:6100 ended_peer_reset

# The same while the client is still writing: the reset may reach its
# send first, which takes the socket's error; its next recv then returns
# 0. ockam-stress stream must count that as the reset it is, not as an
# end after a stream cut short.
tap_check "tcp-outlet create stuck --to 127.0.0.1:7200" \
	ockam tcp-outlet create --at n2 --from stuck --to 127.0.0.1:7200
tap_check "tcp-inlet create 127.0.0.1:6200 to stuck" \
	ockam tcp-inlet create --at n1 --from 127.0.0.1:6200 \
	--to /node/n2/secure/api/service/stuck
(
	node_exec a ockam-stress stream --to 127.0.0.1:6200 \
		--bytes $((64 << 20)) --wait 30 >"$NS_TMP/stuck.out" 2>&1
	echo $? >"$NS_TMP/stuck.status"
) &
stuck_client=$!
wait_until 10 at_least 1 outlet_count stuck active
sleep 1
node_exec b ss -K state established '( sport = :7200 )' >/dev/null
wait_until 20 test -s "$NS_TMP/stuck.status"
kill "$stuck_client" 2>/dev/null
wait "$stuck_client" 2>/dev/null
tap_check "a writing client's connection is reset, and seen as one ($(cat "$NS_TMP/stuck.out"))" \
	bash -c "[ \"\$(cat '$NS_TMP/stuck.status')\" = 0 ] &&
	grep -q '^stream: reset after 0 of' '$NS_TMP/stuck.out'"

# Listing and deleting.
tap_check "tcp-outlet list shows every outlet" \
	bash -c "[ \"\$(ockam tcp-outlet list --at n2 -j | grep -o '\"name\":' | wc -l)\" = 9 ]"
tap_check "tcp-inlet delete 127.0.0.1:6000" \
	ockam tcp-inlet delete 127.0.0.1:6000 --at n1
tap_check_fails "nothing listens at the deleted inlet" \
	node_exec a socat -T 1 /dev/null TCP:127.0.0.1:6000
tap_check "tcp-outlet delete outlet" \
	ockam tcp-outlet delete outlet --at n2
expect_status "deleting it again: no such outlet" 1 \
	ockam tcp-outlet delete outlet --at n2

tap_check "node delete --all" ockam node delete --all
tap_done
