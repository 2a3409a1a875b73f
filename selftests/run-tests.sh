#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The driver behind "make test". Runs the stages below in order, prints
# all their output, counts their TAP result lines and ends with one line:
#
#   N passed, N failed            (", N skipped" follows when N > 0)
#
# Exits 0 only when nothing failed. A stage that exits non-zero without a
# "not ok" line, or prints no result at all, counts as one failure.
#
# Stages:
#   build       make module-debug, userspace, userspace-san (ockam and
#               ockamd under ASan+UBSan), kselftests-bins; the initramfs
#   userspace   make userspace-test: unit tests, fuzz smoke run (host)
#   spec        python3 userspace/tests/spec_check.py (host)
#   vm          every kselftest and netns test in the QEMU VM
#   style       make check-style: checkpatch --strict, W=1 build
#   debug       the debug-kernel lane (selftests/vm/check-debug.sh); not a
#               default stage: "make check-debug" runs it alone
#
# Environment: OCKAM_STAGES (default "build userspace spec vm style") picks
# stages; STAGE_TIMEOUT (default 1200 s) limits each host stage; VM_ARGS
# is passed to run-vm.sh.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo" || exit 1
BUILD=${BUILD:-$repo/build}
# The top Makefile fixes KVER when it starts, which may be before deps.sh
# installed the kernel; look again.
if [ -z "${KVER:-}" ]; then
	KVER=$(selftests/vm/kver.sh)
	KDIR=/lib/modules/$KVER/build
fi
KDIR=${KDIR:-/lib/modules/$KVER/build}
export KVER KDIR BUILD

stages=${OCKAM_STAGES:-build userspace spec vm style}
stage_timeout=${STAGE_TIMEOUT:-1200}
jobs=$(nproc 2>/dev/null || echo 2)
make_cmd=(make --no-print-directory -j"$jobs")

logdir=$BUILD/test-logs
mkdir -p "$logdir"

total_pass=0
total_fail=0
total_skip=0
summary=()

# count FILE: "pass fail skip" over the file's TAP result lines.
count() {
	awk '
		/^ok([ \t]|$)/ {
			if ($0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) s++; else p++
			next
		}
		/^not ok([ \t]|$)/ {
			if ($0 ~ /#[ \t]*[Tt][Oo][Dd][Oo]/) s++; else f++
		}
		END { printf "%d %d %d\n", p, f, s }
	' "$1"
}

# stage NAME COMMAND...: run, print and count.
stage() {
	local name=$1 log=$logdir/$1.log start rc pass fail skip elapsed
	shift
	echo "# ==== $name: $*"
	start=$(date +%s)
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	elapsed=$(($(date +%s) - start))
	read -r pass fail skip < <(count "$log")
	if [ "$rc" != 0 ] && [ "$fail" = 0 ]; then
		echo "not ok - $name: exited with status $rc without a failing test"
		fail=$((fail + 1))
	elif [ "$rc" = 0 ] && [ $((pass + fail + skip)) = 0 ]; then
		echo "not ok - $name: printed no test results"
		fail=$((fail + 1))
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
	summary+=("$(printf '# %-10s %4d passed %4d failed %4d skipped %6ds' \
		"$name" "$pass" "$fail" "$skip" "$elapsed")")
	echo "# ==== $name: $pass passed, $fail failed, $skip skipped in ${elapsed}s"
	return "$rc"
}

# A skipped stage is reported, not counted.
skip_stage() {
	echo "# ==== $1: skipped ($2)"
	summary+=("$(printf '# %-10s skipped: %s' "$1" "$2")")
}

# Build steps as TAP, each with its output folded into comments on failure.
build_stage() {
	local n=0 failed=0 step out rc
	for step in module-debug userspace userspace-san kselftests-bins initramfs; do
		n=$((n + 1))
		if [ "$step" = initramfs ]; then
			out=$(selftests/vm/mkinitramfs.sh base project 2>&1)
		else
			out=$(timeout -k 10 "$stage_timeout" "${make_cmd[@]}" "$step" 2>&1)
		fi
		rc=$?
		if [ $rc = 0 ]; then
			echo "ok $n - build: $step"
		else
			echo "not ok $n - build: $step (status $rc)"
			failed=1
		fi
		if [ $rc != 0 ] || [ "${V:-0}" = 1 ]; then
			tail -n 40 <<<"$out" | sed 's/^/# /'
		fi
	done
	return $failed
}

vm_ready=0
for s in $stages; do
	case $s in
	build)
		stage build build_stage
		[ -s "$BUILD/vm/base.cpio.gz" ] && [ -s "$BUILD/vm/project-debug.cpio.gz" ] &&
			vm_ready=1
		;;
	userspace)
		if grep -qE '^userspace-test[[:space:]]*:' userspace/userspace.mk 2>/dev/null; then
			stage userspace timeout -k 10 "$stage_timeout" \
				"${make_cmd[@]}" userspace-test
		else
			skip_stage userspace "no userspace-test target yet"
		fi
		;;
	spec)
		if [ -f userspace/tests/spec_check.py ]; then
			stage spec timeout -k 10 "$stage_timeout" \
				python3 userspace/tests/spec_check.py
		else
			skip_stage spec "no userspace/tests/spec_check.py yet"
		fi
		;;
	vm)
		if [ $vm_ready = 1 ] || [ "${stages%%build*}" = "$stages" ]; then
			# VM_ARGS is shell words, quotes included.
			vm_args=()
			eval "vm_args=(${VM_ARGS:-})"
			stage vm selftests/vm/run-vm.sh --mode tests "${vm_args[@]}"
		else
			echo "not ok - vm: not run, the initramfs could not be built"
			total_fail=$((total_fail + 1))
			summary+=("# vm         not run: no initramfs")
		fi
		;;
	style)
		stage style timeout -k 10 "$stage_timeout" "${make_cmd[@]}" check-style
		;;
	debug)
		stage debug selftests/vm/check-debug.sh
		;;
	*)
		echo "run-tests: unknown stage '$s'" >&2
		exit 2
		;;
	esac
done

echo "# ==== summary (logs in ${logdir#"$repo"/})"
printf '%s\n' "${summary[@]}"
if [ "$total_skip" -gt 0 ]; then
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
	echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" = 0 ]
