#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Style checks as TAP: checkpatch.pl --strict on every module source and
# the uapi header (one line per file), every Documentation/*.rst through
# docutils with warnings as errors (a malformed table or an unclosed
# literal renders as garbage, silently), then "make module-w1" for each
# kernel (one line each; OCKAM_KERNELS, default every supported series).
# checkpatch.pl, spelling.txt and const_structs.checkpatch come from the
# kernel source tarball (selftests/vm/deps.sh puts them in build/checkpatch;
# checkpatch finds the other two next to itself).
#
# kmod/compat.h is where the module's kernel version checks belong, so
# checkpatch's warnings about LINUX_VERSION_CODE (and about its constant on
# the left of a comparison) are ignored there, and only there.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 1
BUILD=${BUILD:-$repo/build}
export BUILD
kernels=${OCKAM_KERNELS:-$("$here/kver.sh" --list | tr '\n' ' ')}

checkpatch=$BUILD/checkpatch/checkpatch.pl
. "$repo/selftests/lib/tap.sh"

shopt -s nullglob
files=()
for f in kmod/*.c kmod/*.h kmod/selftest/*.c kmod/selftest/*.h uapi/linux/*.h; do
	# Kbuild writes ockam.mod.c next to the sources ("make module").
	case $f in *.mod.c) continue ;; esac
	files+=("$f")
done
# checkpatch.pl and docutils are one process on one CPU each: as many
# run at once as there are CPUs, each into a file of its own, and the
# results follow in order.
out_dir=$(mktemp -d)
trap 'rm -rf "$out_dir"' EXIT
jobs=$(nproc 2>/dev/null || echo 1)

# in_turn OUT COMMAND...: COMMAND in the background, its output into
# OUT and its status into OUT.rc, once fewer than $jobs run.
in_turn() {
	local out=$1
	shift
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	{ "$@" >"$out" 2>&1; echo $? >"$out.rc"; } &
}

# shellcheck disable=SC2317 # run through in_turn
checkpatch_one() {
	local ignore=()
	if [ "$1" = kmod/compat.h ]; then
		ignore=(--ignore "LINUX_VERSION_CODE,CONSTANT_COMPARISON")
	fi
	perl "$checkpatch" --strict --no-tree --show-types --color=never \
		"${ignore[@]}" -f "$1"
}

docs=(Documentation/*.rst)
for i in "${!files[@]}"; do
	in_turn "$out_dir/checkpatch.$i" checkpatch_one "${files[i]}"
done
for i in "${!docs[@]}"; do
	in_turn "$out_dir/docutils.$i" python3 -m docutils --halt=warning \
		--report=warning "${docs[i]}" /dev/null
done
wait
for i in "${!files[@]}"; do
	rc=$(cat "$out_dir/checkpatch.$i.rc")
	tap_result "$rc" "checkpatch ${files[i]}"
	[ "$rc" = 0 ] || tap_diag "$(head -n 80 "$out_dir/checkpatch.$i")"
done
for i in "${!docs[@]}"; do
	rc=$(cat "$out_dir/docutils.$i.rc")
	tap_result "$rc" "docutils ${docs[i]}"
	[ "$rc" = 0 ] || tap_diag "$(head -n 20 "$out_dir/docutils.$i")"
done

mkdir -p "$BUILD"
for k in $kernels; do
	kver=$(KVER='' KSERIES=$k "$here/kver.sh")
	if [ -z "$kver" ]; then
		tap_fail "W=1 module build for $k (make module-w1)" \
			"no $k kernel in /lib/modules (selftests/vm/deps.sh installs it)"
		continue
	fi
	# Called from a make recipe, but not as a sub-make: it gets no
	# jobserver, so it says how many jobs itself.
	out=$(make --no-print-directory -j"$(nproc)" module-w1 KSERIES="$k" \
		KVER="$kver" KDIR="/lib/modules/$kver/build" 2>&1)
	rc=$?
	tap_result $rc "W=1 module build for $kver (make module-w1)"
	if [ $rc != 0 ]; then
		tap_diag "$({ grep -E -A3 'warning:|error:' <<<"$out" ||
			tail -n 30 <<<"$out"; } | head -n 80)"
	fi
done
tap_done
