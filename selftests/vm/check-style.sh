#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Style checks as TAP: checkpatch.pl --strict on every module source and
# the uapi header (one line per file), then "make module-w1" (one line).
# checkpatch.pl, spelling.txt and const_structs.checkpatch come from the
# kernel source tarball (selftests/vm/deps.sh puts them in build/checkpatch;
# checkpatch finds the other two next to itself).

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 1
BUILD=${BUILD:-$repo/build}
if [ -z "${KVER:-}" ]; then
	KVER=$("$here/kver.sh")
	KDIR=/lib/modules/$KVER/build
fi
KDIR=${KDIR:-/lib/modules/$KVER/build}
export KVER KDIR BUILD

checkpatch=$BUILD/checkpatch/checkpatch.pl
n=0
failed=0

result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

shopt -s nullglob
files=(kmod/*.c kmod/*.h kmod/selftest/*.c kmod/selftest/*.h uapi/linux/*.h)
for f in "${files[@]}"; do
	out=$(perl "$checkpatch" --strict --no-tree --show-types --color=never \
		-f "$f" 2>&1)
	rc=$?
	result $rc "checkpatch $f"
	[ $rc = 0 ] || head -n 80 <<<"$out" | sed "s/^/# /"
done

mkdir -p "$BUILD"
out=$(make --no-print-directory module-w1 2>&1)
rc=$?
result $rc "W=1 module build (make module-w1)"
if [ $rc != 0 ]; then
	{ grep -E -A3 'warning:|error:' <<<"$out" || tail -n 30 <<<"$out"; } |
		head -n 80 | sed 's/^/# /'
fi

echo "1..$n"
[ $failed = 0 ]
