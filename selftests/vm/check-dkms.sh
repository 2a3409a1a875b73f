#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module's DKMS definition (dkms.conf), checked as TAP: the sources
# "make dkms-install" would copy to /usr/src, then "dkms add" and "dkms
# build" for each kernel's headers (OCKAM_KERNELS, default every
# supported series), each build checked for an ockam.ko made for that
# kernel. Nothing is installed and the module is never loaded: everything
# happens in a scratch DKMS tree, $BUILD/dkms (--dkmstree, --sourcetree),
# where the module signing key DKMS makes on its first build goes too, so
# the machine's /var/lib/dkms and /usr/src are left alone.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 1
BUILD=${BUILD:-$repo/build}
kernels=${OCKAM_KERNELS:-$("$here/kver.sh" --list | tr '\n' ' ')}
scratch=$BUILD/dkms
. "$repo/selftests/lib/tap.sh"

if ! command -v dkms >/dev/null 2>&1; then
	tap_fail "dkms installed (selftests/vm/deps.sh installs it)"
	tap_done
fi
version=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' dkms.conf)
rm -rf "$scratch"
mkdir -p "$scratch/tree" "$scratch/src"
# framework.conf's signing settings, for this run only.
export mok_signing_key=$scratch/mok.key mok_certificate=$scratch/mok.pub
dkms=(dkms --dkmstree "$scratch/tree" --sourcetree "$scratch/src")

out=$( {
	make --no-print-directory dkms-source DKMS_SOURCE_TREE="$scratch/src" &&
	"${dkms[@]}" add -m ockam -v "$version"
} 2>&1)
rc=$?
tap_result $rc "dkms add ockam/$version"
if [ $rc != 0 ]; then
	tap_diag "$(tail -n 30 <<<"$out")"
	tap_done
fi

for k in $kernels; do
	kver=$(KVER='' KSERIES=$k "$here/kver.sh")
	if [ -z "$kver" ]; then
		tap_fail "dkms build for $k" \
			"no $k kernel in /lib/modules (selftests/vm/deps.sh installs it)"
		continue
	fi
	start=$(date +%s)
	out=$("${dkms[@]}" build -m ockam -v "$version" -k "$kver" 2>&1)
	rc=$?
	dir=$scratch/tree/ockam/$version/$kver/x86_64/module
	ko=$(find "$dir" -name 'ockam.ko*' 2>/dev/null | head -n1)
	if [ $rc = 0 ] && [ -z "$ko" ]; then
		out="$out"$'\n'"no ockam.ko in $dir"
		rc=1
	elif [ $rc = 0 ]; then
		vermagic=$(modinfo -F vermagic "$ko" 2>&1)
		if [ "${vermagic%% *}" != "$kver" ]; then
			out="$out"$'\n'"$ko is for '${vermagic%% *}'"
			rc=1
		fi
	fi
	tap_result $rc "dkms build for $kver"
	tap_diag "$(($(date +%s) - start)) s"
	if [ $rc != 0 ]; then
		{
			tail -n 20 <<<"$out"
			log=$scratch/tree/ockam/$version/build/make.log
			[ -r "$log" ] && tail -n 30 "$log"
		} | sed 's/^/# /'
	fi
done
tap_done
