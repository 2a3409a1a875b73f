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

# tcp_hop NODE: the MultiAddr of NODE's TCP listener (port 4000).
tcp_hop() {
	echo "/ip4/$(addr_of "$1")/tcp/4000"
}

# route_to NODE SERVICE: from n1 through every node up to NODE (nodes
# named n1, n2, ... in a line), then SERVICE there.
route_to() {
	local last=${1#n} route="" i
	for ((i = 2; i <= last; i++)); do
		route+=$(tcp_hop "n$i")
	done
	echo "$route/service/$2"
}

# json_number KEY: a number field of a one-line JSON document on stdin.
json_number() {
	grep -o "\"$1\": *[0-9]*" | head -n 1 | grep -o '[0-9]*$'
}
