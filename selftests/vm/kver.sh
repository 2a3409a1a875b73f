#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel release the module is built for and the VM boots: $KVER
# when set, else the newest *-cloud-amd64 in /lib/modules (the top
# Makefile's choice).
if [ -n "${KVER:-}" ]; then
	echo "$KVER"
	exit 0
fi
# shellcheck disable=SC2010 # kernel release names are plain
ls /lib/modules 2>/dev/null | grep -- '-cloud-amd64$' | sort -V | tail -n1
