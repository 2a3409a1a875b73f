#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The names of the VM's tests, one a line, in the order /init runs them
# (kselftests, then netns tests): kselftest/NAME for each
# selftests/kselftest/NAME.c, netns/NAME for each selftests/netns/NAME.sh.
# With arguments, only the names that match one of those shell patterns
# (the patterns of run-vm.sh --tests).
#
#   selftests/vm/list-tests.sh 'kselftest/*' netns/portal

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -gt 0 ] || set -- '*'
for t in kselftest/*.c netns/*.sh; do
	name=${t%.*}
	for pat in "$@"; do
		# shellcheck disable=SC2254 # pattern match is intended
		case $name in $pat) echo "$name"; break ;; esac
	done
done
