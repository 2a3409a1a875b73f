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
for f in "${files[@]}"; do
	ignore=()
	if [ "$f" = kmod/compat.h ]; then
		ignore=(--ignore "LINUX_VERSION_CODE,CONSTANT_COMPARISON")
	fi
	out=$(perl "$checkpatch" --strict --no-tree --show-types --color=never \
		"${ignore[@]}" -f "$f" 2>&1)
	rc=$?
	tap_result $rc "checkpatch $f"
	[ $rc = 0 ] || tap_diag "$(head -n 80 <<<"$out")"
done

for f in Documentation/*.rst; do
	out=$(python3 -m docutils --halt=warning --report=warning "$f" \
		/dev/null 2>&1)
	rc=$?
	tap_result $rc "docutils $f"
	[ $rc = 0 ] || tap_diag "$(head -n 20 <<<"$out")"
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
