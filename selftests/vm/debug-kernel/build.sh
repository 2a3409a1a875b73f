#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or find in the cache) the debug lane's kernel: Debian's
# linux-source-6.12 configured from x86_64 allnoconfig plus kernel.config
# (what the VM and the tests need) and checkers.config (KASAN, UBSAN,
# kmemleak, lockdep, ...).
#
# The build directory is keyed by a hash of both fragments, this script,
# the source version and the compiler, so a second run with nothing
# changed only prints where the kernel is. The first build's time is
# printed and kept in build-time.
#
# Output (stdout): shell assignments for the rest of the lane,
#   DEBUG_KERNEL_KVER=6.12.N-ockam-debug  kernel release
#   DEBUG_KERNEL_IMAGE=.../bzImage        what QEMU boots
#   DEBUG_KERNEL_KDIR=...                 for out-of-tree module builds
#   DEBUG_KERNEL_MODDIR=.../lib/modules/R its module tree (modules.builtin)
# Progress and the build log's tail on failure go to stderr.
#
# Environment: BUILD (default <repo>/build), DEBUG_KERNEL_JOBS (nproc).

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
BUILD=${BUILD:-$repo/build}
top=$BUILD/debug-kernel
series=6.12
package=linux-source-$series
tarball=/usr/src/$package.tar.xz
jobs=${DEBUG_KERNEL_JOBS:-$(nproc 2>/dev/null || echo 2)}

log() { echo "debug-kernel: $*" >&2; }
die() { log "$*"; exit 1; }

[ -r "$tarball" ] || die "$tarball missing (package $package)"

source_version=$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null ||
	stat -c %Y "$tarball")
key=$({
	cat "$here/kernel.config" "$here/checkers.config" "${BASH_SOURCE[0]}"
	echo "source $source_version"
	${CC:-gcc} --version | head -n1
} | sha256sum | cut -c1-16)
obj=$top/$key
src=$top/src-$source_version

emit() {
	local krel
	krel=$(cat "$obj/kernel.release")
	echo "DEBUG_KERNEL_KVER=$krel"
	echo "DEBUG_KERNEL_IMAGE=$obj/bzImage"
	echo "DEBUG_KERNEL_KDIR=$obj/tree"
	echo "DEBUG_KERNEL_MODDIR=$obj/modroot/lib/modules/$krel"
}

if [ -e "$obj/complete" ]; then
	log "cached: $obj ($(cat "$obj/kernel.release"), first built in $(cat "$obj/build-time"))"
	emit
	exit 0
fi

start=$(date +%s)
mkdir -p "$top"
if [ ! -e "$src/.extracted" ]; then
	log "extracting $tarball"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.extracted"
	mv "$src.tmp" "$src"
fi

rm -rf "$obj"
mkdir -p "$obj/tree"
buildlog=$obj/build.log
kmake() {
	make -C "$src" O="$obj/tree" ARCH=x86_64 -j"$jobs" "$@" >>"$buildlog" 2>&1 ||
		{ tail -n 40 "$buildlog" >&2; die "make $* failed (log: $buildlog)"; }
}

log "configuring in $obj/tree"
kmake allnoconfig
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj/tree" "$obj/tree/.config" \
	"$here/kernel.config" "$here/checkers.config" >>"$buildlog" 2>&1 ||
	die "merge_config failed (log: $buildlog)"
kmake olddefconfig

# Every option the fragments set must have survived olddefconfig: a
# checker silently dropped by a missing dependency would make a green
# lane meaningless.
missing=$(grep -hE '^(CONFIG_[A-Z0-9_]+=|# CONFIG_[A-Z0-9_]+ is not set)' \
	"$here/kernel.config" "$here/checkers.config" | while read -r line; do
	case $line in
	"# "*)
		opt=${line#\# }
		opt=${opt%% *}
		! grep -q "^$opt=" "$obj/tree/.config" || echo "$opt (wanted off)"
		;;
	*)
		grep -qxF "$line" "$obj/tree/.config" || echo "$line"
		;;
	esac
done)
[ -z "$missing" ] || die "options not in the final config: $(echo "$missing" | tr '\n' ' ')"

log "building with $jobs jobs (log: $buildlog)"
kmake bzImage modules
kmake INSTALL_MOD_PATH="$obj/modroot" modules_install
cp "$obj/tree/arch/x86/boot/bzImage" "$obj/bzImage"
cp "$obj/tree/include/config/kernel.release" "$obj/kernel.release"
elapsed=$(($(date +%s) - start))
echo "${elapsed}s" >"$obj/build-time"
touch "$obj/complete"
log "built $(cat "$obj/kernel.release") in ${elapsed}s"
# Only one keyed build is kept.
for old in "$top"/*/; do
	old=${old%/}
	case ${old##*/} in "$key"|src-*) continue ;; esac
	rm -rf "$old"
done
emit
