#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test VM under QEMU (TCG) and report what happened.
#
#   run-vm.sh [--mode tests]            every kselftest and netns test; TAP
#   run-vm.sh --mode script --script F  run F under bash; its output and status
#   run-vm.sh --mode shell              interactive shell on this terminal
#
# Options:
#   --timeout SEC       kill the VM after SEC seconds (default: $VM_TIMEOUT,
#                       else 900 for tests and scripts; none for the shell)
#   --test-timeout SEC  per-test limit inside the VM (default: 180)
#   --tests PATTERNS    run only tests whose names match one of these
#                       shell patterns, e.g. 'netns/* kselftest/socket'
#   --variant NAME      project layer $VM_DIR/project-NAME.cpio.gz
#                       (default: $VM_VARIANT, else debug)
#   --no-module         do not load ockam.ko (for work on the harness)
#   --userspace san|release  ockam and ockamd under ASan+UBSan, or the
#                       release builds (default: $VM_USERSPACE, else san in
#                       tests mode and release in the others)
#   --san-tests PATTERNS  with san in tests mode: only the tests matching
#                       these patterns use the sanitized builds, the others
#                       the release ones (default: every test)
#   --append ARGS       more kernel command line arguments
#   --env VAR=VALUE     exported to the script and tests (repeatable)
#
# Environment: KVER or KSERIES (the kernel: selftests/vm/kver.sh), BUILD,
# VM_DIR (default $BUILD/vm-SERIES, e.g. build/vm-6.12), VM_KERNEL
# (default /boot/vmlinuz-$KVER), VM_MEM (2G), VM_SMP (2), QEMU
# (qemu-system-x86_64), and the defaults above.
#
# The kernel log (ttyS0) goes to console.log, the test or script output
# (ttyS1) to output.log and the VM's status lines (ttyS2) to control.log,
# in $VM_DIR/runs/<mode>-<time>/ ($VM_DIR/last points to the latest).
# A run fails if the kernel log has a line matching kernel-log-patterns,
# if the VM does not finish in time, or if a test fails.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$repo/build}
KVER=$("$here/kver.sh")
VM_DIR=${VM_DIR:-$BUILD/vm-$(KVER=$KVER "$here/kver.sh" --series)}

mode=tests
script=
timeout=${VM_TIMEOUT:-}
test_timeout=${VM_TEST_TIMEOUT:-180}
tests=${VM_TESTS:-}
san_tests=
variant=${VM_VARIANT:-debug}
nomodule=${VM_NO_MODULE:-0}
append=${VM_APPEND:-}
userspace=${VM_USERSPACE:-}
envs=()

usage() {
	sed -n '4,29s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--mode) mode=$2; shift 2 ;;
	--script) script=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--test-timeout) test_timeout=$2; shift 2 ;;
	--tests) tests=$2; shift 2 ;;
	--san-tests) san_tests=$2; shift 2 ;;
	--variant) variant=$2; shift 2 ;;
	--no-module) nomodule=1; shift ;;
	--userspace) userspace=$2; shift 2 ;;
	--append) append="$append $2"; shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	-h|--help) usage ;;
	*) echo "run-vm: unknown argument '$1'" >&2; usage ;;
	esac
done

case $mode in
tests) : "${timeout:=900}" ;;
script)
	: "${timeout:=900}"
	[ -n "$script" ] || { echo "run-vm: --mode script needs --script FILE" >&2; exit 2; }
	[ -r "$script" ] || { echo "run-vm: cannot read $script" >&2; exit 2; }
	;;
shell) : "${timeout:=0}" ;;
*) echo "run-vm: unknown mode '$mode'" >&2; usage ;;
esac

kernel=${VM_KERNEL:-/boot/vmlinuz-$KVER}
qemu=${QEMU:-qemu-system-x86_64}
base=$VM_DIR/base.cpio.gz
project=$VM_DIR/project-$variant.cpio.gz
for f in "$kernel" "$base" "$project"; do
	if [ ! -r "$f" ]; then
		echo "run-vm: $f missing (run 'make deps initramfs')" >&2
		exit 2
	fi
done
command -v "$qemu" >/dev/null || { echo "run-vm: $qemu not installed" >&2; exit 2; }

# Run directory; keep the ten newest.
mkdir -p "$VM_DIR/runs"
run=$(mktemp -d "$VM_DIR/runs/$mode-$(date +%Y%m%d-%H%M%S)-XXXX")
ln -sfn "runs/${run##*/}" "$VM_DIR/last"
# shellcheck disable=SC2012 # names are ours, no odd characters
ls -1dt "$VM_DIR"/runs/*/ 2>/dev/null | tail -n +11 | xargs -r rm -rf

# The run layer: /vm/script and /vm/env.
mkdir -p "$run/root/vm"
if [ -n "$script" ]; then
	install -m 0755 "$script" "$run/root/vm/script"
fi
{
	printf 'VM_TESTS=%q\n' "$tests"
	printf 'VM_SAN_TESTS=%q\n' "$san_tests"
	for e in "${envs[@]}"; do
		printf 'export %q=%q\n' "${e%%=*}" "${e#*=}"
	done
} >"$run/root/vm/env"
(cd "$run/root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) >"$run/run.cpio"

# Concatenate the layers, each padded to four bytes.
pad4() {
	local n
	n=$(stat -c %s "$1")
	head -c $(((4 - n % 4) % 4)) /dev/zero
}
{
	for f in "$base" "$project" "$run/run.cpio"; do
		cat "$f"
		pad4 "$f"
	done
} >"$run/initrd.img"
rm -rf "$run/root" "$run/run.cpio"

cmdline="console=ttyS0,115200 panic=-1 printk.devkmsg=on mitigations=off"
cmdline="$cmdline ockamvm.mode=$mode ockamvm.timeout=$test_timeout"
[ "$nomodule" = 1 ] && cmdline="$cmdline ockamvm.nomodule=1"
case $userspace in
'') ;;
san|release) cmdline="$cmdline ockamvm.userspace=$userspace" ;;
*) echo "run-vm: --userspace san or release, not '$userspace'" >&2; exit 2 ;;
esac
# On a terminal, only warnings and worse interrupt the shell.
[ "$mode" = shell ] && cmdline="$cmdline loglevel=5"
cmdline="$cmdline $append"

qemu_args=(
	-accel tcg -cpu max -smp "${VM_SMP:-2}" -m "${VM_MEM:-2G}"
	-nodefaults -no-user-config -display none -no-reboot
	-kernel "$kernel" -initrd "$run/initrd.img" -append "$cmdline"
)
: >"$run/console.log"
: >"$run/output.log"
: >"$run/control.log"
if [ "$mode" = shell ]; then
	qemu_args+=(-serial mon:stdio)
else
	qemu_args+=(-monitor none -serial "file:$run/console.log")
fi
qemu_args+=(-serial "file:$run/output.log" -serial "file:$run/control.log")

printf '%q ' "$qemu" "${qemu_args[@]}" >"$run/qemu.cmd"
echo >>"$run/qemu.cmd"

started=$(date +%s.%N)
if [ "$mode" = shell ]; then
	set +e
	if [ "$timeout" -gt 0 ]; then
		timeout --foreground "$timeout" "$qemu" "${qemu_args[@]}"
	else
		"$qemu" "${qemu_args[@]}"
	fi
	rc=$?
	rm -f "$run/initrd.img"
	exit $rc
fi

qpid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One boot: the VM's exit status in qrc.
boot_once() {
	: >"$run/console.log"
	: >"$run/output.log"
	: >"$run/control.log"
	timeout --kill-after=10 "$timeout" "$qemu" "${qemu_args[@]}" \
		</dev/null >"$run/qemu.log" 2>&1 &
	qpid=$!
	# Stream the output channel while the VM runs.
	tail -n +1 -s 0.2 -f --pid="$qpid" "$run/output.log" | sed -u 's/\r$//'
	set +e
	wait "$qpid"
	qrc=$?
	set -e
	qpid=
}

# A kernel that dies before /init has run nothing of the project's: the
# module is loaded by /init. Debian's 6.12 kernel, under TCG, has been
# seen to take an int3 Oops while patching its own text during boot, and
# QEMU exits at once on the panic. Such a boot is tried again, up to
# VM_BOOT_TRIES boots in all (3), its console log kept as
# console-bootN.log and the retry said on stderr. A VM that hangs
# (timeout) is not booted again.
boot_tries=${VM_BOOT_TRIES:-3}
boot=1
while :; do
	boot_once
	grep -q '^OCKAMVM-BOOTED' "$run/control.log" && break
	case $qrc in 124 | 137) break ;; esac
	[ "$boot" -lt "$boot_tries" ] || break
	mv "$run/console.log" "$run/console-boot$boot.log"
	echo "vm: the kernel stopped before /init on boot $boot" \
		"(${run#"$repo"/}/console-boot$boot.log): booting again" >&2
	boot=$((boot + 1))
done
rm -f "$run/initrd.img"
elapsed=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

ctl=$(tr -d '\r' <"$run/control.log")
booted=$(sed -n 's/^OCKAMVM-BOOTED \([0-9.]*\).*/\1/p' <<<"$ctl" | head -n1)
result=$(sed -n 's/^OCKAMVM-RESULT //p' <<<"$ctl" | tail -n1)

# What went wrong at VM level, one line each.
problems=()
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	problems+=("timed out after ${timeout}s and was killed")
elif [ "$qrc" != 0 ]; then
	problems+=("qemu exited with status $qrc: $(tail -n 3 "$run/qemu.log" | tr '\n' ' ')")
fi
if [ -z "$booted" ]; then
	problems+=("never reached /init")
elif [ -z "$result" ]; then
	problems+=("did not report a result (crash, panic or hang)")
fi

# Kernel log lines matching a pattern, with context and the test that was
# running ("ockam-vm: begin NAME" markers written by init).
patterns=$run/patterns
grep -Ev '^(#|$)' "$here/kernel-log-patterns" >"$patterns"
tr -d '\r' <"$run/console.log" >"$run/console.txt"
kernel_report() {
	local lines n shown=0 upto=0 during
	lines=$(grep -nE -f "$patterns" "$run/console.txt" | cut -d: -f1) || true
	[ -n "$lines" ] || return 0
	for n in $lines; do
		# A match inside the excerpt already shown is part of that report.
		[ "$n" -gt "$upto" ] || continue
		if [ $shown -ge 5 ]; then
			echo "(more in ${run#"$repo"/}/console.log)"
			break
		fi
		during=$(head -n "$n" "$run/console.txt" |
			sed -n 's/.*ockam-vm: begin \(.*\)/\1/p' | tail -n1)
		upto=$((n + 30))
		echo "console.log:$n (during ${during:-boot}):"
		sed -n "$n,${upto}p" "$run/console.txt"
		shown=$((shown + 1))
	done
	return 1
}
kernel_ok=1
kreport=$(kernel_report) || kernel_ok=0

console_tail() {
	echo "last lines of $run/console.log:"
	tail -n 25 "$run/console.txt"
}

summary="# vm: mode $mode, /init after ${booted:-?}s, total ${elapsed}s, logs in ${run#"$repo"/}"

if [ "$mode" = tests ]; then
	out=$(tr -d '\r' <"$run/output.log")
	# Nothing at all when the VM never reached /init.
	n=$(grep -Eo '^(not )?ok [0-9]+' <<<"$out" | awk '{ print $NF }' |
		sort -n | tail -n1) || true
	n=${n:-0}
	failed=$(grep -c '^not ok' <<<"$out") || true
	n=$((n + 1))
	if [ ${#problems[@]} -eq 0 ]; then
		echo "ok $n vm: boot, run every test, power off"
	else
		echo "not ok $n vm: boot, run every test, power off"
		printf '%s\n' "${problems[@]}" | sed 's/^/# /'
		console_tail | sed 's/^/# /'
		failed=$((failed + 1))
	fi
	n=$((n + 1))
	if [ $kernel_ok = 1 ]; then
		echo "ok $n vm: kernel log clean"
	else
		echo "not ok $n vm: kernel log clean"
		# shellcheck disable=SC2001 # every line of a multi-line text
		sed 's/^/# /' <<<"$kreport"
		failed=$((failed + 1))
	fi
	echo "1..$n"
	echo "$summary"
	[ "$failed" = 0 ]
	exit $?
fi

# Script mode: the script's status, unless the VM or the kernel failed.
status=$(sed -n 's/.*status=\([0-9]*\).*/\1/p' <<<"$result")
rc=${status:-1}
if [ ${#problems[@]} -gt 0 ]; then
	{
		printf 'vm: %s\n' "${problems[@]}"
		console_tail
	} >&2
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		rc=124
	fi
	[ "$rc" != 0 ] || rc=1
fi
if [ $kernel_ok = 0 ]; then
	{
		echo "vm: the kernel log has warnings or errors:"
		echo "$kreport"
	} >&2
	[ "$rc" != 0 ] || rc=1
fi
echo "$summary, script status ${status:-none}" >&2
exit "$rc"
