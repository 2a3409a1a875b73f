# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Checks for tests that drive the ockam command line and ockamd. Source
# it after netns.sh (or tap.sh).

# expect_status DESCRIPTION STATUS COMMAND...: exactly that exit status,
# and for failures an "error: ..." line on stderr (one line for a runtime
# error; a usage error adds a pointer to --help).
expect_status() {
	local desc=$1 want=$2 out rc
	shift 2
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = "$want" ] && { [ "$want" = 0 ] ||
		{ grep -q '^error: ' <<<"$out" &&
		  { [ "$want" != 1 ] || [ "$(wc -l <<<"$out")" = 1 ]; }; }; }; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "command: $*" "status $rc, expected $want" "$out"
	fi
}

# expect_output DESCRIPTION EXPECTED COMMAND...: COMMAND prints EXPECTED
# (stdout and stderr together).
expect_output() {
	local desc=$1 want=$2 out
	shift 2
	out=$("$@" 2>&1)
	tap_expect_eq "$desc" "$want" "$out"
}

# daemon_logs NODE...: the tail of each node's ockamd log, as diagnostics.
daemon_logs() {
	local n
	for n in "$@"; do
		[ -f "$OCKAM_HOME/nodes/$n/log" ] || continue
		tap_diag "---- $n log" "$(tail -n 40 "$OCKAM_HOME/nodes/$n/log")"
	done
}
