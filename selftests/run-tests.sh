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
# Stages (S: each kernel series, 6.1 and 6.12; selftests/vm/kver.sh):
#   build       make module-debug for each kernel, userspace, userspace-san
#               (ockam and ockamd under ASan+UBSan), kselftests-bins; the
#               initramfs for each kernel
#   userspace   make userspace-test: unit tests, fuzz smoke run (host)
#   spec        python3 userspace/tests/spec_check.py (host)
#   vm-S        in the QEMU VM, booting Debian's S kernel ("vm" names
#               every vm-S stage): every kselftest, and S's share of the
#               netns tests (vm_tests below); the VM stages run side by
#               side (vm_stages below)
#   style       make check-style: checkpatch --strict, a W=1 build for
#               each kernel
#   dkms        make check-dkms: "dkms build" for each kernel's headers,
#               in a scratch DKMS tree (host)
#   debug       the debug-kernel lane (selftests/vm/check-debug.sh); not a
#               default stage: "make check-debug" runs it alone
#
# Environment: OCKAM_KERNELS (default: every supported series) picks the
# kernels; OCKAM_STAGES (default "build userspace spec vm style dkms")
# picks stages; STAGE_TIMEOUT (default 1200 s) limits each host stage;
# VM_ARGS is passed to run-vm.sh; OCKAM_VM_ALL: vm_tests below;
# OCKAM_VM_JOBS, VM_TIMEOUT and VM_TEST_TIMEOUT: vm_stages below. KVER,
# KSERIES and KDIR are ignored: each kernel's release is the newest
# installed of its series.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo" || exit 1
BUILD=${BUILD:-$repo/build}
export BUILD
# Every kernel is named explicitly below; the top Makefile's choice of one
# (which it fixes when it starts, maybe before deps.sh installed it) is
# not wanted here.
unset KVER KSERIES KDIR

kernels=${OCKAM_KERNELS:-$(selftests/vm/kver.sh --list | tr '\n' ' ')}
export OCKAM_KERNELS=$kernels
stages=
for s in ${OCKAM_STAGES:-build userspace spec vm style dkms}; do
	if [ "$s" = vm ]; then
		for k in $kernels; do
			stages="$stages vm-$k"
		done
	else
		stages="$stages $s"
	fi
done
stage_timeout=${STAGE_TIMEOUT:-1200}
jobs=$(nproc 2>/dev/null || echo 2)
make_cmd=(make --no-print-directory -j"$jobs")

# The kernels the build stage builds for: those of the VM stages chosen,
# or all of them.
build_kernels=
for s in $stages; do
	case $s in vm-*) build_kernels="$build_kernels ${s#vm-}" ;; esac
done
build_kernels=${build_kernels:-$kernels}

# kver SERIES: the release of that series (empty if none is installed).
kver() {
	KSERIES=$1 selftests/vm/kver.sh
}

# kenv SERIES: the make variables that name that kernel.
kenv() {
	local r
	r=$(kver "$1")
	echo "KSERIES=$1 KVER=$r KDIR=/lib/modules/$r/build"
}

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

# tally NAME LOG RC ELAPSED: count a finished stage's TAP into the totals
# and the summary.
tally() {
	local name=$1 log=$2 rc=$3 elapsed=$4 pass fail skip
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
}

# stage NAME COMMAND...: run, print and count.
stage() {
	local name=$1 log=$logdir/$1.log start rc
	shift
	echo "# ==== $name: $*"
	start=$(date +%s)
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	tally "$name" "$log" "$rc" $(($(date +%s) - start))
	return "$rc"
}

# A skipped stage is reported, not counted.
skip_stage() {
	echo "# ==== $1: skipped ($2)"
	summary+=("$(printf '# %-10s skipped: %s' "$1" "$2")")
}

# Build steps as TAP, each with its output folded into comments on failure.
# A step with a kernel series after it ("module-debug 6.12") is for that
# kernel.
build_stage() {
	local n=0 failed=0 step k steps=() out rc
	for k in $build_kernels; do
		steps+=("module-debug $k")
	done
	steps+=(userspace userspace-san kselftests-bins)
	for k in $build_kernels; do
		steps+=("initramfs $k")
	done
	for step in "${steps[@]}"; do
		n=$((n + 1))
		k=${step#* }
		if [ "$k" != "$step" ] && [ -z "$(kver "$k")" ]; then
			out="no $k kernel in /lib/modules (selftests/vm/deps.sh installs it)"
			rc=1
		elif [ "${step% *}" = initramfs ]; then
			out=$(KSERIES=$k selftests/vm/mkinitramfs.sh base project 2>&1)
			rc=$?
		elif [ "$k" != "$step" ]; then
			# shellcheck disable=SC2046 # kenv prints words
			out=$(timeout -k 10 "$stage_timeout" "${make_cmd[@]}" \
				"${step% *}" $(kenv "$k") 2>&1)
			rc=$?
		else
			out=$(timeout -k 10 "$stage_timeout" "${make_cmd[@]}" "$step" 2>&1)
			rc=$?
		fi
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

# vm_ready SERIES: the VM images for SERIES are there (or the build stage,
# which makes them, did not run: then the VM stage builds them itself).
vm_ready() {
	[ $build_ran = 0 ] || { [ -s "$BUILD/vm-$1/base.cpio.gz" ] &&
		[ -s "$BUILD/vm-$1/project-debug.cpio.gz" ]; }
}

# vm_start STAGE: run STAGE's VM in the background, its output into the
# stage's log, its status and duration into LOG.status.
vm_start() {
	local s=$1 log=$logdir/$1.log vm_args=()
	# VM_ARGS is shell words, quotes included; what it says wins.
	eval "vm_args=(${VM_ARGS:-})"
	(
		start=$(date +%s)
		env KSERIES="${s#vm-}" selftests/vm/run-vm.sh --mode tests \
			--timeout "${VM_TIMEOUT:-2400}" \
			--test-timeout "${VM_TEST_TIMEOUT:-300}" \
			--tests "$(vm_tests "${s#vm-}")" \
			--userspace san --san-tests "$(san_tests "${s#vm-}")" \
			"${vm_args[@]}" >"$log" 2>&1
		echo "$? $(($(date +%s) - start))" >"$log.status"
	) &
}

# share SERIES PATTERN...: the tests matching PATTERN that fall to
# SERIES' VM when they are dealt out in turn to the kernels of the run.
share() {
	local k nk=0 mine=0
	for k in $kernels; do
		[ "$k" != "$1" ] || mine=$nk
		nk=$((nk + 1))
	done
	shift
	selftests/vm/list-tests.sh --share "$mine/$nk" "$@" | tr '\n' ' '
}

# vm_tests SERIES: the tests SERIES' VM runs. Every kselftest runs on
# every kernel: they drive the module's socket, netlink, transport,
# channel and portal APIs, which is where the kernels differ. The netns
# tests (daemons, the CLI and real programs on top of those APIs) are
# dealt out to the kernels, each run once, unless OCKAM_VM_ALL=1 runs
# every test on every kernel. A --tests in VM_ARGS comes later and wins.
vm_tests() {
	if [ "${OCKAM_VM_ALL:-0}" = 1 ]; then
		echo '*'
	else
		echo "kselftest/* $(share "$1" 'netns/*')"
	fi
}

# san_tests SERIES: the tests that run ockam and ockamd under ASan+UBSan
# on SERIES' VM. They are the same programs on every kernel, and four
# times slower to start, so each test runs under them on one kernel: the
# kselftests and the netns tests dealt out as above (so every netns test
# a VM runs is under them, unless OCKAM_VM_ALL=1).
san_tests() {
	echo "$(share "$1" 'kselftest/*') $(share "$1" 'netns/*')"
}

# vm_stages: every VM stage of the run. A VM keeps about one CPU busy
# (its tests are mostly one process at a time), so up to OCKAM_VM_JOBS
# of them (default: the CPUs, at most 2) run side by side; each one's
# output is printed whole, in stage order, once it has ended. For the
# sharing, a test may take VM_TEST_TIMEOUT (300 s) and a VM VM_TIMEOUT
# (2400 s).
vm_stages() {
	local s vm_jobs running=0 pending=() rc elapsed log
	vm_jobs=${OCKAM_VM_JOBS:-$((jobs < 2 ? 1 : 2))}
	for s in $stages; do
		case $s in vm-*) ;; *) continue ;; esac
		if ! vm_ready "${s#vm-}"; then
			echo "not ok - $s: not run, the initramfs could not be built"
			total_fail=$((total_fail + 1))
			summary+=("$(printf '# %-10s not run: no initramfs' "$s")")
			continue
		fi
		rm -f "$logdir/$s.log.status"
		if [ $running -ge "$vm_jobs" ]; then
			wait -n
			running=$((running - 1))
		fi
		vm_start "$s"
		running=$((running + 1))
		pending+=("$s")
	done
	[ ${#pending[@]} = 0 ] ||
		echo "# ==== ${pending[*]}: $vm_jobs at a time; each one's output follows when it ends"
	for s in "${pending[@]}"; do
		log=$logdir/$s.log
		while [ ! -s "$log.status" ]; do
			sleep 2
		done
		read -r rc elapsed <"$log.status"
		echo "# ==== $s: KSERIES=${s#vm-} selftests/vm/run-vm.sh --mode tests"
		cat "$log"
		tally "$s" "$log" "$rc" "$elapsed"
	done
	wait
}

build_ran=0
vm_ran=0
for s in $stages; do
	case $s in
	build)
		stage build build_stage
		build_ran=1
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
	vm-*)
		[ $vm_ran = 1 ] || vm_stages
		vm_ran=1
		;;
	style)
		stage style timeout -k 10 "$stage_timeout" "${make_cmd[@]}" check-style
		;;
	dkms)
		stage dkms timeout -k 10 "$stage_timeout" "${make_cmd[@]}" check-dkms
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
