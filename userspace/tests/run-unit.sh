#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Runs the userspace unit tests and a bounded, seeded codec fuzz run, and
# prints them as one TAP stream. (spec_check.py is a stage of its own in
# selftests/run-tests.sh.)
#
#   run-unit.sh UNIT_BIN FUZZ_RUNS WORKDIR FUZZ_BIN...
#
# Each fuzzer fuzz_NAME starts from userspace/fuzz/seeds-NAME.

set -u
unit_bin=$1 fuzz_runs=$2 workdir=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

n=0
failed=0

# Print a producer's TAP lines with one running count across producers.
renumber() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*)
			n=$((n + 1))
			echo "ok $n - ${line#* - }"
			;;
		"not ok "*)
			n=$((n + 1))
			failed=$((failed + 1))
			echo "not ok $n - ${line#* - }"
			;;
		1..*) ;;
		*) echo "$line" ;;
		esac
	done
}

result() {
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
	fi
}

mkdir -p "$workdir"
log=$workdir/unit.log

# Unit tests (ASan + UBSan). A crash ends the binary early: say so.
"$unit_bin" >"$log" 2>&1
rc=$?
before=$failed
renumber <"$log"
if [ $rc -ne 0 ] && [ $failed -eq $before ]; then
	result fail "unit test binary exited with status $rc"
fi

# Short deterministic fuzz runs: fixed seed, fixed run count, fresh corpus.
for fuzz_bin in "$@"; do
	name=${fuzz_bin##*/fuzz_}
	corpus=$workdir/corpus-unit-$name
	rm -rf "$corpus"
	mkdir -p "$corpus"
	if "$fuzz_bin" -seed=1 -runs="$fuzz_runs" -timeout=10 "$corpus" \
		"$top/userspace/fuzz/seeds-$name" >"$workdir/fuzz-$name.log" 2>&1; then
		result ok "fuzz: $name, $fuzz_runs runs"
	else
		result fail "fuzz: $name, $fuzz_runs runs (see $workdir/fuzz-$name.log)"
		tail -n 30 "$workdir/fuzz-$name.log" | sed 's/^/# /'
	fi
done

echo "1..$n"
echo "# userspace: $((n - failed)) of $n passed"
[ $failed -eq 0 ]
