# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# TAP output for shell tests. Source it, report each check, end with
# tap_done:
#
#   . "$(dirname "$0")/../lib/tap.sh"
#   tap_check "bind a name" ockam-test-helper bind n1
#   tap_expect_eq "one alias listed" 1 "$(count_aliases)"
#   tap_done
#
# Lines are "ok N - description" / "not ok N - description", diagnostics
# "# ...". The VM harness renumbers them into the run's TAP and prefixes
# the test's name.

TAP_N=0
TAP_FAILED=0

tap_diag() {
	local line
	printf '%s\n' "$@" | while IFS= read -r line; do
		echo "# $line"
	done
}

tap_ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1"
}

# tap_fail DESCRIPTION [DIAGNOSTIC...]
tap_fail() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	shift
	[ $# -eq 0 ] || tap_diag "$@"
}

# tap_skip DESCRIPTION REASON
tap_skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP ${2:-}"
}

# tap_result STATUS DESCRIPTION: ok when STATUS is 0.
tap_result() {
	if [ "$1" = 0 ]; then
		tap_ok "$2"
	else
		tap_fail "$2" "status $1"
	fi
}

# tap_check DESCRIPTION COMMAND...: ok when COMMAND succeeds; its output is
# shown only on failure.
tap_check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "command: $*" "status: $rc" "$out"
	fi
	return $rc
}

# tap_check_fails DESCRIPTION COMMAND...: ok when COMMAND fails.
tap_check_fails() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc != 0 ]; then
		tap_ok "$desc"
		return 0
	fi
	tap_fail "$desc" "command: $*" "succeeded but should have failed" "$out"
	return 1
}

# tap_expect_eq DESCRIPTION EXPECTED ACTUAL
tap_expect_eq() {
	if [ "$2" = "$3" ]; then
		tap_ok "$1"
	else
		tap_fail "$1" "expected: $2" "actual:   $3"
	fi
}

# tap_skip_all REASON: nothing can run here (a missing tool, say).
# Exit status 4 is kselftest's "skip".
tap_skip_all() {
	echo "1..0 # SKIP $1"
	exit 4
}

# tap_done: the plan, and the exit status (1 when anything failed).
tap_done() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" = 0 ] || exit 1
	exit 0
}
