#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Runs the userspace unit tests, the noise-vectors program on the Noise
# test vectors and a bounded, seeded run of each fuzzer, and prints them
# as one TAP stream. (spec_check.py is a stage of its own in
# selftests/run-tests.sh.)
#
#   run-unit.sh UNIT_BIN FUZZ_RUNS WORKDIR FUZZ_BIN...
#
# Each fuzzer fuzz_NAME starts from userspace/fuzz/seeds-NAME and runs
# FUZZ_RUNS_NAME times when that is set, else FUZZ_RUNS. NOISE_VECTORS
# (default: bin/noise-vectors of the build) runs on every *.json in
# NOISE_VECTORS_DIR (default: ../shared/vectors next to the repository);
# no vectors there is a failure.

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

# The standard Noise test vectors live outside the repository.
vectors_bin=${NOISE_VECTORS:-$(cd "$(dirname "$unit_bin")/../.." && pwd)/bin/noise-vectors}
vectors_dir=${NOISE_VECTORS_DIR:-$top/../shared/vectors}
vectors=("$vectors_dir"/*.json)
if [ ! -f "${vectors[0]}" ]; then
	result fail "noise-vectors: no test vectors (*.json) in $vectors_dir"
elif out=$("$vectors_bin" "${vectors[@]}" 2>&1); then
	result ok "noise-vectors: $(tail -n 1 <<<"$out")"
else
	result fail "noise-vectors: $(tail -n 1 <<<"$out")"
	sed 's/^/# /' <<<"$out"
fi

# Short deterministic fuzz runs: fixed seed, fixed run count, fresh corpus.
# Each fuzzer is one process on one CPU: as many run at once as there are
# CPUs, and their results follow in the order given.
fuzz_one() {
	local fuzz_bin=$1 runs=$2 name=$3 corpus
	corpus=$workdir/corpus-unit-$name
	rm -rf "$corpus"
	mkdir -p "$corpus"
	"$fuzz_bin" -seed=1 -runs="$runs" -timeout=10 "$corpus" \
		"$top/userspace/fuzz/seeds-$name" >"$workdir/fuzz-$name.log" 2>&1
}

fuzz_jobs=$(nproc 2>/dev/null || echo 1)
fuzz_pids=() fuzz_names=() fuzz_runs_each=()
for fuzz_bin in "$@"; do
	name=${fuzz_bin##*/fuzz_}
	runs_var=FUZZ_RUNS_$name
	fuzz_names+=("$name")
	fuzz_runs_each+=("${!runs_var:-$fuzz_runs}")
	while [ "$(jobs -rp | wc -l)" -ge "$fuzz_jobs" ]; do
		wait -n
	done
	fuzz_one "$fuzz_bin" "${fuzz_runs_each[-1]}" "$name" &
	fuzz_pids+=($!)
done
# wait PID still gives the status of a job "wait -n" reaped above.
for i in "${!fuzz_pids[@]}"; do
	name=${fuzz_names[i]} runs=${fuzz_runs_each[i]}
	if wait "${fuzz_pids[i]}"; then
		result ok "fuzz: $name, $runs runs"
	else
		result fail "fuzz: $name, $runs runs (see $workdir/fuzz-$name.log)"
		tail -n 30 "$workdir/fuzz-$name.log" | sed 's/^/# /'
	fi
done

echo "1..$n"
echo "# userspace: $((n - failed)) of $n passed"
[ $failed -eq 0 ]
