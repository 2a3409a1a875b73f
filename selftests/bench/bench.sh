#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks ("make bench"), run inside the VM with the release module.
# Four nodes in a line, n1 - n2 - n3 - n4, joined by veth. Everything is
# measured in this one run, side by side, and printed as ratios: numbers
# from an emulated CPU mean little on their own.
#
#   1 hop    AF_OCKAM n1 -> n2          vs  plain TCP n1 -> n2
#   3 hops   AF_OCKAM n1 -> n2 -> n3 -> n4 (forwarded in the kernel)
#            vs  a chain of socat TCP relays on n2 and n3
#
# for 64-byte and 64 KiB messages. BENCH_SECONDS sets each run's length.

. "${OCKAM_SELFTESTS:-$(dirname "$0")/..}/lib/netns.sh"

require_cmd ockam ockamd ockam-bench socat

SECONDS_PER_RUN=${BENCH_SECONDS:-3}
# Each figure is the median of this many runs, interleaved with the peer's.
REPEAT=${BENCH_REPEAT:-5}
SIZES=(64 65536)
export OCKAM_HOME=$NS_TMP/home

setup() {
	node_add n1 n2 n3 n4 || return 1
	link_add n1 n2 10.0.12.1 10.0.12.2 &&
	link_add n2 n3 10.0.23.2 10.0.23.3 &&
	link_add n3 n4 10.0.34.3 10.0.34.4 || return 1
	for n in n1 n2 n3 n4; do
		node_exec "$n" ockam node create "$n" \
			--tcp-listener-address 0.0.0.0:4000 >/dev/null || return 1
		wait_tcp_listen "$n" 4000 || return 1
	done
	node_bg n2 ockam-bench sink sink
	node_bg n4 ockam-bench sink sink
	node_bg n2 ockam-bench tcp-sink 5001
	node_bg n4 ockam-bench tcp-sink 5001
	node_bg n3 socat -b 65536 TCP-LISTEN:5002,reuseaddr,fork \
		TCP:10.0.34.4:5001
	node_bg n2 socat -b 65536 TCP-LISTEN:5002,reuseaddr,fork \
		TCP:10.0.23.3:5002
	wait_tcp_listen n2 5001 && wait_tcp_listen n4 5001 &&
	wait_tcp_listen n3 5002 && wait_tcp_listen n2 5002
}

# field NAME LINE: a key=value field of a result line.
field() {
	grep -o "$1=[0-9.]*" <<<"$2" | head -n 1 | cut -d= -f2
}

declare -A RESULT

# measure COMMAND...: one run from n1; prints "msgs_per_s mbytes_per_s".
measure() {
	local out
	out=$(node_exec n1 "$@" 2>&1 | grep '^result')
	[ -n "$out" ] || return 1
	echo "$(field msgs_per_s "$out") $(field mbytes_per_s "$out")"
}

median() {
	sort -n | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }'
}

# compare SIZE NAME_A CMD_A... -- NAME_B CMD_B...: REPEAT runs of each,
# alternating, and the median of each kept in RESULT.
compare() {
	local size=$1 name_a=$2 i r
	local -a cmd_a=() cmd_b=()
	shift 2
	while [ "$1" != -- ]; do cmd_a+=("$1"); shift; done
	shift
	local name_b=$1
	shift
	cmd_b=("$@")
	local -a runs_a=() runs_b=()
	for ((i = 0; i < REPEAT; i++)); do
		r=$(measure "${cmd_a[@]}") || r="0 0"
		runs_a+=("$r")
		r=$(measure "${cmd_b[@]}") || r="0 0"
		runs_b+=("$r")
	done
	report "$name_a-$size" "${runs_a[@]}"
	report "$name_b-$size" "${runs_b[@]}"
}

# report KEY "msgs mb"...: print the runs and keep the median.
report() {
	local key=$1 m
	shift
	m=$(printf '%s\n' "$@" | median)
	RESULT[$key]=$m
	printf '  %-18s median %10s msg/s %9s MB/s   runs:' "$key" $m
	printf ' %s' "$(printf '%s\n' "$@" | cut -d' ' -f1 | tr '\n' ' ')"
	echo
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

route1=/ip4/10.0.12.2/tcp/4000/service/sink
route3=/ip4/10.0.12.2/tcp/4000/ip4/10.0.23.3/tcp/4000/ip4/10.0.34.4/tcp/4000/service/sink

if ! setup; then
	echo "bench: setup failed"
	node_logs
	exit 1
fi

# Warm up: dial every connection and let TCP size its buffers.
for route in "$route3" "$route1"; do
	node_exec n1 ockam-bench send "$route" 65536 1 >/dev/null 2>&1
done
node_exec n1 ockam-bench tcp-send 10.0.12.2:5001 65536 1 >/dev/null 2>&1
node_exec n1 ockam-bench tcp-send 10.0.12.2:5002 65536 1 >/dev/null 2>&1

echo "Each figure: median of $REPEAT runs of $SECONDS_PER_RUN s, alternating"
echo "with its peer; 2 vCPUs under TCG emulation."
for size in "${SIZES[@]}"; do
	echo "message size $size bytes"
	compare "$size" ockam-1hop ockam-bench send "$route1" "$size" \
		"$SECONDS_PER_RUN" -- tcp-1hop ockam-bench tcp-send \
		10.0.12.2:5001 "$size" "$SECONDS_PER_RUN"
	compare "$size" ockam-3hop ockam-bench send "$route3" "$size" \
		"$SECONDS_PER_RUN" -- socat-3hop ockam-bench tcp-send \
		10.0.12.2:5002 "$size" "$SECONDS_PER_RUN"
done

echo
echo "request/response, 64 bytes (one message, one reply)"
r1=$(measure ockam-bench rr "$route1" 64 "$SECONDS_PER_RUN") || r1="0 0"
r3=$(measure ockam-bench rr "$route3" 64 "$SECONDS_PER_RUN") || r3="0 0"
printf '  %-18s %10s msg/s\n' ockam-rr-1hop "${r1%% *}" ockam-rr-3hop "${r3%% *}"
echo
echo "ratios (same run)                        target"
for size in "${SIZES[@]}"; do
	read -r o1 _ <<<"${RESULT[ockam-1hop-$size]}"
	read -r t1 _ <<<"${RESULT[tcp-1hop-$size]}"
	read -r o3 _ <<<"${RESULT[ockam-3hop-$size]}"
	read -r s3 _ <<<"${RESULT[socat-3hop-$size]}"
	printf '  1 hop  %6s B: AF_OCKAM / TCP         %6s   %s\n' "$size" \
		"$(ratio "$o1" "$t1")" "$([ "$size" = 65536 ] && echo '>= 0.80')"
	printf '  3 hops %6s B: AF_OCKAM / socat chain %6s   %s\n' "$size" \
		"$(ratio "$o3" "$s3")" "$([ "$size" = 65536 ] && echo '>= 1.50')"
done

for n in n1 n2 n3 n4; do
	node_exec "$n" ockam node delete "$n" >/dev/null 2>&1
done
exit 0
