#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug-kernel lane ("make check-debug"): every kselftest and netns
# test, in the VM, on a kernel that reports memory errors (KASAN), undefined
# behaviour (UBSAN), leaks (kmemleak), lock and RCU misuse (lockdep),
# sleeping in atomic context and object-lifetime bugs. Any such report, or
# any WARN, fails the lane: the VM's kernel-log-patterns match them after
# every test and on the whole console log, and the VM ends with a kmemleak
# scan after the module is unloaded.
#
# Steps, as TAP:
#   1. the kernel (selftests/vm/debug-kernel/build.sh: cached by config
#      and source version; the first build's time is printed)
#   2. ockam.ko, with its in-module self-tests, built against that kernel
#   3. the userspace programs and test binaries (shared with "make test")
#   4. the VM image for that kernel, in $BUILD/vm-debug-kernel
#   5. the tests themselves, in DEBUG_VMS VMs side by side (their TAP
#      follows, numbered on)
#
# With DEBUG_SCRIPT=FILE, step 5 runs FILE in the VM's script mode instead
# ("make stress-debug" runs the stress lane this way) and the lane's status
# is the script's (a kernel report fails it all the same).
#
# Environment: BUILD; DEBUG_TESTS (shell patterns naming the tests, default
# every one: 'kselftest/* netns/*'); DEBUG_VMS (VMs side by side, default
# 1); DEBUG_TEST_TIMEOUT (per test in the VM, default
# 900 s: the checkers slow everything down several times), DEBUG_VM_TIMEOUT
# (each VM run, default 4800 s), VM_ARGS (more run-vm.sh arguments).

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 1
BUILD=${BUILD:-$repo/build}
export BUILD
jobs=$(nproc 2>/dev/null || echo 2)
logdir=$BUILD/debug-lane
mkdir -p "$logdir"

n=0
failed=0

# step NAME LOG COMMAND...: one TAP line for a build step; its log's tail
# as diagnostics when it fails.
step() {
	local name=$1 log=$2 start rc
	shift 2
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	n=$((n + 1))
	if [ $rc = 0 ]; then
		echo "ok $n - debug lane: $name ($(($(date +%s) - start))s)"
	else
		failed=$((failed + 1))
		echo "not ok $n - debug lane: $name (status $rc)"
		tail -n 40 "$log" | sed 's/^/# /'
	fi
	return $rc
}

finish() {
	echo "1..$n"
	[ $failed = 0 ]
	exit $?
}

step "kernel" "$logdir/kernel.log" \
	sh -c "'$here/debug-kernel/build.sh' >'$logdir/kernel.env'" || finish
sed 's/^/# /' "$logdir/kernel.log"
# shellcheck disable=SC1091 # written just above
. "$logdir/kernel.env"

# The module is built in a directory of its own, like "make module-debug",
# so the objects for Debian's kernels are left alone.
module_dir=$BUILD/kmod-debug-kernel
step "ockam.ko for $DEBUG_KERNEL_KVER" "$logdir/module.log" \
	make --no-print-directory module-debug KDIR="$DEBUG_KERNEL_KDIR" \
	MODULE_DEBUG_DIR="$module_dir" || finish

step "userspace and test programs" "$logdir/userspace.log" \
	make --no-print-directory -j"$jobs" userspace userspace-san \
	kselftests-bins || finish

vm_dir=$BUILD/vm-debug-kernel
export VM_DIR=$vm_dir KVER=$DEBUG_KERNEL_KVER VM_MODDIR=$DEBUG_KERNEL_MODDIR
export VM_KERNEL=$DEBUG_KERNEL_IMAGE
# This kernel has no ACPI: it finds the other CPUs in the firmware's MP
# table, which lists the first CPU of each socket only. One socket per
# CPU, so that the lane runs on every CPU -smp gives, as the worker paths
# that open frames on other CPUs need (a topology given in VM_SMP stays).
smp=${VM_SMP:-2}
[[ $smp == *,* ]] || smp="$smp,sockets=$smp,cores=1,threads=1"
export VM_SMP=$smp
step "VM image" "$logdir/initramfs.log" \
	env VM_VARIANT=debug OCKAM_KO="$module_dir/kmod/ockam.ko" \
	"$here/mkinitramfs.sh" base project || finish

vm_args=()
eval "vm_args=(${VM_ARGS:-})"
if [ -n "${DEBUG_SCRIPT:-}" ]; then
	"$here/run-vm.sh" --mode script --variant debug \
		--timeout "${DEBUG_VM_TIMEOUT:-4800}" --script "$DEBUG_SCRIPT" \
		"${vm_args[@]}"
	rc=$?
	n=$((n + 1))
	if [ $rc = 0 ]; then
		echo "ok $n - debug lane: ${DEBUG_SCRIPT##*/}"
	else
		echo "not ok $n - debug lane: ${DEBUG_SCRIPT##*/} (status $rc)"
	fi
	exit $rc
fi

# The tests are dealt out, in turn, to DEBUG_VMS VMs (default 1) that run
# side by side: a VM keeps about one CPU busy, so two halve the lane's
# time on two CPUs, but every step of a test then takes about twice as
# long, and the lane is kept at the timing it is known to pass at.
# Every VM loads and unloads the module and ends with its own kmemleak
# scan; their TAP follows, renumbered after the steps above, in VM order.
read -ra patterns < <(tr '\n\t' '  ' <<<"${DEBUG_TESTS:-kselftest/* netns/*}")
mapfile -t selected < <("$here/list-tests.sh" "${patterns[@]}")
if [ ${#selected[@]} = 0 ]; then
	echo "not ok $((n + 1)) - debug lane: DEBUG_TESTS='${DEBUG_TESTS:-}' names no test"
	echo "1..$((n + 1))"
	exit 1
fi
vms=${DEBUG_VMS:-1}
[ "$vms" -le ${#selected[@]} ] || vms=${#selected[@]}
groups=()
for ((i = 0; i < vms; i++)); do
	groups[i]=$("$here/list-tests.sh" --share "$i/$vms" "${patterns[@]}" | tr '\n' ' ')
done
pids=()
for i in "${!groups[@]}"; do
	"$here/run-vm.sh" --mode tests --variant debug \
		--test-timeout "${DEBUG_TEST_TIMEOUT:-900}" \
		--timeout "${DEBUG_VM_TIMEOUT:-4800}" "${vm_args[@]}" \
		--tests "${groups[i]% }" >"$logdir/vm$i.log" 2>&1 &
	pids[i]=$!
done
rc=0
for i in "${!groups[@]}"; do
	wait "${pids[i]}" || rc=1
	echo "# ---- debug VM $((i + 1)) of $vms: ${groups[i]% }"
	while IFS= read -r line; do
		case $line in
		"ok "[0-9]*|"not ok "[0-9]*)
			st=${line%% [0-9]*}
			rest=${line#"$st "}
			rest=${rest#*[0-9] }
			n=$((n + 1))
			echo "$st $n $rest"
			;;
		1..*) ;;
		*) echo "$line" ;;
		esac
	done <"$logdir/vm$i.log"
done
echo "1..$n"
exit $rc
