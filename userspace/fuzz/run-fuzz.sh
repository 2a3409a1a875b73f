#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The long fuzz run ("make fuzz"): every target for a fixed number of
# executions from a fixed seed, JOBS targets at a time, then a table of
# executions, crashes and speed per target.
#
#   run-fuzz.sh DIR EXECS SEED JOBS NAME...
#
# Target NAME is DIR/fuzz_NAME. It reads its checked-in seeds
# (userspace/fuzz/seeds-NAME) and its own corpus, DIR/corpus-NAME, where
# it keeps what it finds for the next run; its log is DIR/logs/NAME.log
# and a crash, leak, timeout or out-of-memory input goes to
# DIR/crashes-NAME/. A target passes when it ran EXECS inputs and left no
# such input. Each run adds a line to DIR/history, from which the
# cumulative executions per target are printed; the targets that took
# longest last time start first.
#
# The last line is "N passed, N failed"; the exit status is 0 only when
# every target passed.

set -u
if [ $# -lt 5 ]; then
	echo "usage: $0 DIR EXECS SEED JOBS NAME..." >&2
	exit 2
fi
dir=$1 execs=$2 seed=$3 jobs=$4
shift 4
seeds=$(cd "$(dirname "$0")" && pwd)
history=$dir/history
mkdir -p "$dir/logs"

now() {
	echo "$EPOCHREALTIME"
}

seconds() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

# Executions per second from N, START and END.
rate() {
	awk -v n="$1" -v a="$2" -v b="$3" \
		'BEGIN { printf "%.0f", (b > a ? n / (b - a) : 0) }'
}

# Names, the slowest of the last run first (unknown ones first of all).
order() {
	local name secs
	for name in "$@"; do
		secs=$(awk -v n="$name" '
			{ for (i = 4; i <= NF; i++) {
				split($i, f, "[=/]")
				if (f[1] == n) s = f[4]
			} }
			END { print s == "" ? 1e9 : s }' "$history" 2>/dev/null)
		echo "${secs:-1e9} $name"
	done | sort -gr -k1,1 | awk '{ print $2 }'
}

# One target, in the background: its status file says how it ended.
run_one() {
	local name=$1 start rc
	local crashes=$dir/crashes-$name corpus=$dir/corpus-$name

	mkdir -p "$crashes" "$corpus"
	touch "$dir/logs/$name.stamp"
	start=$(now)
	"$dir/fuzz_$name" -runs="$execs" -seed="$seed" -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$crashes/" \
		"$corpus" "$seeds/seeds-$name" >"$dir/logs/$name.log" 2>&1
	rc=$?
	echo "$rc $start $(now)" >"$dir/logs/$name.status"
	echo "  fuzz_$name finished (exit $rc)"
}

# Executions: the final "Done N runs", or the last "#N" stats line.
executions() {
	local log=$1 n
	n=$(grep -aoE '^Done [0-9]+ runs' "$log" | tail -n 1 | awk '{ print $2 }')
	[ -n "$n" ] || n=$(grep -aoE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
	echo "${n:-0}"
}

crash_count() {
	find "$dir/crashes-$1" -maxdepth 1 -type f \
		\( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
		-o -name 'oom-*' \) -newer "$dir/logs/$1.stamp" | wc -l
}

echo "fuzz: $# targets, $execs executions each, seed $seed, $jobs at a time"
t0=$(now)
running=0
for name in $(order "$@"); do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	rm -f "$dir/logs/$name.status"
	echo "  fuzz_$name started"
	run_one "$name" &
	running=$((running + 1))
done
wait
t1=$(now)

passed=0 failed=0 total_execs=0 total_crashes=0
line="$(date -u +%Y-%m-%dT%H:%M:%SZ) seed=$seed execs=$execs"
echo
printf '%-12s %12s %8s %9s %12s\n' target executions crashes seconds 'execs/s'
for name in "$@"; do
	read -r rc start end <"$dir/logs/$name.status" 2>/dev/null ||
		{ rc=1 start=0 end=0; }
	n=$(executions "$dir/logs/$name.log")
	c=$(crash_count "$name")
	secs=$(seconds "$start" "$end")
	rate=$(rate "$n" "$start" "$end")
	printf '%-12s %12s %8s %9s %12s\n' "$name" "$n" "$c" "$secs" "$rate"
	if [ "$rc" -eq 0 ] && [ "$c" -eq 0 ] && [ "$n" -ge "$execs" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "    fuzz_$name: see $dir/logs/$name.log"
	fi
	total_execs=$((total_execs + n))
	total_crashes=$((total_crashes + c))
	line="$line $name=$n/$c/$secs"
done
secs=$(seconds "$t0" "$t1")
rate=$(rate "$total_execs" "$t0" "$t1")
printf '%-12s %12s %8s %9s %12s\n' total "$total_execs" "$total_crashes" \
	"$secs" "$rate"
echo "$line" >>"$history"

echo
echo "cumulative executions (crashes) over $(wc -l <"$history") runs in $history:"
awk '{ for (i = 4; i <= NF; i++) {
		split($i, f, "[=/]")
		e[f[1]] += f[2]
		c[f[1]] += f[3]
	} }
	END { for (n in e) printf "  %-12s %15.0f (%d)\n", n, e[n], c[n] }' \
	"$history" | sort

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
