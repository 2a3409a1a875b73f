#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The names of the VM's tests, one a line, in the order /init runs them
# (kselftests, then netns tests): kselftest/NAME for each
# selftests/kselftest/NAME.c, netns/NAME for each selftests/netns/NAME.sh.
# With arguments, only the names that match one of those shell patterns
# (the patterns of run-vm.sh --tests). With --share I/N first, only every
# Nth of those names from the Ith on (I from 0): the share of one of N VMs
# the names are dealt out to in turn.
#
#   selftests/vm/list-tests.sh 'kselftest/*' netns/portal
#   selftests/vm/list-tests.sh --share 1/2

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
share=0/1
if [ "${1:-}" = --share ]; then
	share=$2
	shift 2
fi
[ $# -gt 0 ] || set -- '*'
i=0
for t in kselftest/*.c netns/*.sh; do
	name=${t%.*}
	for pat in "$@"; do
		# shellcheck disable=SC2254 # pattern match is intended
		case $name in $pat) ;; *) continue ;; esac
		[ $((i % ${share#*/})) != "${share%/*}" ] || echo "$name"
		i=$((i + 1))
		break
	done
done
