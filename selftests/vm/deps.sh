#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing AF_OCKAM needs, Debian's cloud kernels
# of every supported series (selftests/vm/kver.sh --list) with their
# headers among it, then unpack the few files taken from Debian's
# linux-source-6.1 tarball:
#
#   build/ksft/kselftest.h, build/ksft/kselftest_harness.h
#   build/checkpatch/checkpatch.pl, spelling.txt, const_structs.checkpatch
#
# Idempotent and quick when everything is in place: one dpkg-query call and
# two file-time comparisons. apt-get runs only for packages that are missing.
#
# Environment:
#   BUILD            build directory (default: <repo>/build)
#   OCKAM_DEPS_EXTRA extra Debian packages to make sure of
#   OCKAM_NO_APT=1   never run apt-get; report what is missing and fail

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$repo/build}

# Debian packages. Grouped by what needs them.
packages=(
	# module build against the Debian cloud kernels: bookworm's own 6.1
	# (the others are installed below, by name)
	make gcc libc6-dev bc
	linux-image-cloud-amd64 linux-headers-cloud-amd64
	# the module's DKMS definition is checked with dkms build
	dkms
	# kselftest_harness.h and checkpatch.pl come from the 6.1 source
	linux-source-6.1 xz-utils tar perl
	# the debug-kernel lane builds a kernel from the 6.12 source
	linux-source-6.12 flex bison libelf-dev
	# userspace: libockam, ockamd, ockam; fuzzing with libFuzzer
	libnl-3-dev libnl-genl-3-dev libsodium-dev pkg-config
	# the Noise test-vector runner (noise-vectors, unit tests) reads JSON
	libjansson-dev
	clang libclang-rt-14-dev llvm
	# the VM's memcheck pass (libc6-dbg: the loader's symbols, which
	# memcheck needs) and the sanitizers' symbolizer there (addr2line)
	valgrind libc6-dbg binutils
	# the VM: emulator, initramfs tools, programs copied into it
	qemu-system-x86 busybox-static kmod cpio gzip
	bash procps coreutils findutils grep sed util-linux file
	iproute2 socat iperf3 wireguard-tools stunnel4 openssl ethtool
	nftables
	# scripts and the netlink spec check; the documentation's markup
	python3 python3-yaml python3-docutils
)
# shellcheck disable=SC2206 # word splitting is intended
packages+=(${OCKAM_DEPS_EXTRA:-})

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n "$@"
	else
		echo "deps: need root (or sudo) to run: $*" >&2
		return 1
	fi
}

# Print the packages among "$@" that are not fully installed.
missing_packages() {
	local installed p
	installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" \
		2>/dev/null | awk '$2 == "ii" { print $1 }' || true)
	for p in "$@"; do
		if ! grep -qxF -- "$p" <<<"$installed"; then
			echo "$p"
		fi
	done
}

apt_updated=0
apt_install() {
	[ $# -gt 0 ] || return 0
	if [ "${OCKAM_NO_APT:-0}" = 1 ]; then
		echo "deps: missing packages (OCKAM_NO_APT=1): $*" >&2
		return 1
	fi
	echo "deps: installing: $*" >&2
	export DEBIAN_FRONTEND=noninteractive
	local aptopts=(-y -q --no-install-recommends
		-o Dpkg::Options::=--force-confdef
		-o Dpkg::Options::=--force-confold
		-o DPkg::Lock::Timeout=300)
	if [ "$apt_updated" = 0 ]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get -q update </dev/null >&2
		apt_updated=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install "${aptopts[@]}" "$@" </dev/null >&2
}

mapfile -t missing < <(missing_packages "${packages[@]}")
apt_install "${missing[@]}"

# newest_image SERIES: the newest linux-image-SERIES.N+deb12-cloud-amd64
# that apt knows (Debian 12's builds of newer kernels, e.g. 6.12 LTS from
# bookworm-security), chosen by name so that a newer point release is
# taken when there is one.
newest_image() {
	local re out
	re="^linux-image-${1//./\\.}\\.[0-9]+\\+deb12-cloud-amd64\$"
	out=$(apt-cache search --names-only "$re" 2>/dev/null | awk '{ print $1 }')
	if [ -z "$out" ] && [ "$apt_updated" = 0 ] && [ "${OCKAM_NO_APT:-0}" != 1 ]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get -q update </dev/null >&2
		apt_updated=1
		out=$(apt-cache search --names-only "$re" 2>/dev/null | awk '{ print $1 }')
	fi
	sort -V <<<"$out" | tail -n1
}

# Each kernel series: its newest release in /lib/modules, with the headers
# of exactly that release (the module is built against them and must match
# the kernel the VM boots: MODVERSIONS) and a readable image. A series with
# no kernel installed gets the newest image apt has and its headers.
for series in $("$here/kver.sh" --list); do
	kver=$(KVER='' KSERIES=$series "$here/kver.sh")
	if [ -z "$kver" ]; then
		image=$(newest_image "$series")
		if [ -z "$image" ]; then
			echo "deps: no $series kernel installed, and apt has no" \
				"linux-image-$series.*+deb12-cloud-amd64" >&2
			exit 1
		fi
		apt_install "$image" "linux-headers-${image#linux-image-}"
		kver=$(KVER='' KSERIES=$series "$here/kver.sh")
		if [ -z "$kver" ]; then
			echo "deps: $image installed no $series kernel in /lib/modules" >&2
			exit 1
		fi
	fi
	if [ ! -e "/lib/modules/$kver/build/Makefile" ]; then
		mapfile -t missing < <(missing_packages "linux-headers-$kver")
		apt_install "${missing[@]}"
	fi
	if [ ! -r "/boot/vmlinuz-$kver" ]; then
		echo "deps: /boot/vmlinuz-$kver is missing or unreadable" >&2
		exit 1
	fi
done

# Files from the kernel source tarball. One tar pass extracts all of them;
# skipped while every file is present and newer than the tarball.
tarball=/usr/src/linux-source-6.1.tar.xz
ksft_dir=$BUILD/ksft
cp_dir=$BUILD/checkpatch
wanted=(
	"$ksft_dir/kselftest.h"
	"$ksft_dir/kselftest_harness.h"
	"$cp_dir/checkpatch.pl"
	"$cp_dir/spelling.txt"
	"$cp_dir/const_structs.checkpatch"
)
fresh=1
for f in "${wanted[@]}"; do
	if [ ! -s "$f" ] || [ "$tarball" -nt "$f" ]; then
		fresh=0
		break
	fi
done
if [ "$fresh" = 0 ]; then
	[ -r "$tarball" ] || { echo "deps: $tarball not found" >&2; exit 1; }
	echo "deps: extracting kselftest headers and checkpatch from $tarball" >&2
	mkdir -p "$BUILD"
	tmp=$(mktemp -d "$BUILD/.ksrc.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	tar -xJf "$tarball" -C "$tmp" --wildcards --no-wildcards-match-slash \
		'*/tools/testing/selftests/kselftest.h' \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/scripts/checkpatch.pl' \
		'*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	src=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n1)
	mkdir -p "$ksft_dir" "$cp_dir"
	cp "$src/tools/testing/selftests/kselftest.h" \
	   "$src/tools/testing/selftests/kselftest_harness.h" "$ksft_dir/"
	cp "$src/scripts/checkpatch.pl" "$src/scripts/spelling.txt" \
	   "$src/scripts/const_structs.checkpatch" "$cp_dir/"
	chmod +x "$cp_dir/checkpatch.pl"
	# Newer than the tarball from now on, so the next run skips this.
	touch "${wanted[@]}"
fi
