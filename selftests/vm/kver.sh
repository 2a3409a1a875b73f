#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The kernels AF_OCKAM is built for and tested on: Debian 12's cloud
# kernels, named by series (major.minor). Documentation/install.rst says
# how one is added; selftests/vm/deps.sh installs them.
#
#   kver.sh            the kernel release the module is built for and the
#                      VM boots: $KVER when set, else the newest
#                      *-cloud-amd64 of series $KSERIES (default: the
#                      first supported series) in /lib/modules
#   kver.sh --series   the series of that release: major.minor of $KVER
#                      when set, else $KSERIES or the default
#   kver.sh --list     every supported series, oldest first
#   kver.sh --install  the kernel "make install" builds for when KVER is
#                      not given: the running kernel if its headers are
#                      installed, else the newest installed *-cloud-amd64
#
# Prints nothing (and exits 0) when no such kernel is installed.

supported="6.1 6.12"
default=${supported%% *}

# newest PATTERN: the newest release in /lib/modules matching PATTERN (ERE).
newest() {
	# shellcheck disable=SC2010 # kernel release names are plain
	ls /lib/modules 2>/dev/null | grep -E -- "$1" | sort -V | tail -n1
}

# series RELEASE: its major.minor.
series() {
	echo "$1" | cut -d. -f1,2
}

case ${1:-} in
'')
	if [ -n "${KVER:-}" ]; then
		echo "$KVER"
	else
		s=${KSERIES:-$default}
		newest "^$(echo "$s" | sed 's/\./\\./g')\.[0-9].*-cloud-amd64\$"
	fi
	;;
--series)
	if [ -n "${KVER:-}" ]; then
		series "$KVER"
	else
		echo "${KSERIES:-$default}"
	fi
	;;
--list)
	for s in $supported; do
		echo "$s"
	done
	;;
--install)
	r=$(uname -r)
	if [ -e "/lib/modules/$r/build/Makefile" ]; then
		echo "$r"
	else
		newest '-cloud-amd64$'
	fi
	;;
*)
	echo "usage: kver.sh [--series|--list|--install]" >&2
	exit 2
	;;
esac
