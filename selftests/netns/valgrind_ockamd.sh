#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ockamd under valgrind's memcheck through a whole life: two nodes, n1
# with its ockamd as usual and vg with the release ockamd under valgrind.
# Secure channels both ways (vg answering n1's handshake, then vg
# initiating one to n1) with messages through them; handshakes vg refuses
# as initiator and as responder; a second identity and a listener that
# presents it; listings, a TCP listener and an alias added and removed;
# every channel deleted, and vg stopped with SIGTERM while two control
# requests (handshakes nothing answers) are pending. Its memcheck report
# must show no error and no block definitely, indirectly or possibly lost.
#
# valgrind cannot run a program built with AddressSanitizer, so this takes
# the release ockamd ($OCKAMD_VALGRIND, else /opt/ockam/bin/ockamd in the
# VM, else the ockamd on PATH) whatever the VM put first on PATH. Only
# valgrind's default suppressions apply: libsodium's guarded allocations,
# CPU feature probing and getrandom() raise nothing under memcheck.
#
#   make vm-run SCRIPT=selftests/netns/valgrind_ockamd.sh

lib=${OCKAM_SELFTESTS:-$(cd "$(dirname "$0")/.." && pwd)}/lib
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ockam.sh
. "$lib/ockam.sh"

require_cmd ockam ockamd valgrind

daemon=${OCKAMD_VALGRIND:-/opt/ockam/bin/ockamd}
[ -x "$daemon" ] || daemon=$(command -v ockamd)
if grep -q __asan_init "$daemon" 2>/dev/null; then
	tap_skip_all "$daemon is built with AddressSanitizer; valgrind needs the release build"
fi

export OCKAM_HOME=$NS_TMP/home
vg_log=$NS_TMP/memcheck.log
# Everything valgrind does is slow, more so under an emulated CPU: each
# step waits up to this long; five times as long on the debug lane's
# kernel, whose checkers slow every system call valgrind makes.
SLOW=60
case $(uname -r) in
*-ockam-debug) SLOW=300 ;;
esac

# slow_wait SECONDS COMMAND...: wait_until, polling every half second so
# as to leave the CPUs to valgrind.
slow_wait() {
	wait_every "$1" 5 "${@:2}"
}

# The daemons' logs and memcheck's report, when something failed.
trap '[ "$TAP_FAILED" = 0 ] || { daemon_logs n1 vg; node_logs; }; ns_cleanup' EXIT

node_add n1 vg || tap_skip_all "cannot add network namespaces"
link_add n1 vg 10.0.12.1 10.0.12.2

tap_check "n1: node create" \
	node_exec n1 ockam node create n1 --tcp-listener-address 10.0.12.1:4000

start=$SECONDS
node_bg vg valgrind --tool=memcheck --leak-check=full \
	--show-leak-kinds=definite,indirect,possible \
	--errors-for-leak-kinds=definite,indirect,possible \
	--error-exitcode=99 --track-fds=no --num-callers=30 \
	--log-file="$vg_log" \
	"$daemon" --node vg --tcp-listener-address 10.0.12.2:4000 --foreground
vg_pid=$NODE_BG_PID

vg_ready() {
	ockam node show vg -j | grep -q '"status": *"running"'
}
if ! tap_check "vg: ockamd under valgrind is up" slow_wait $SLOW vg_ready; then
	tap_diag "$(cat "$vg_log" 2>/dev/null)"
	tap_done
fi
tap_diag "vg up after $((SECONDS - start)) s"
# vg dials n1 itself for the reverse channel: give the kernel's wait for
# that dial room.
tap_check "vg: node set --dial-timeout 60s" ockam node set vg --dial-timeout 60s

create() {
	ockam secure-channel create --timeout ${SLOW}s "$@"
}

# -------------------------------------------- vg answers a handshake

t=$SECONDS
ch1=$(create --from n1 --to /node/vg/service/api)
if tap_check "n1 -> vg: secure-channel create" \
	test -n "$ch1" -a "${ch1#/service/}" != "$ch1"; then
	tap_diag "handshake took $((SECONDS - t)) s"
fi
for m in one two three; do
	expect_output "n1 -> vg: uppercase answers '$m' through the channel" \
		"${m^^}" ockam message send "$m" --from n1 --timeout ${SLOW}s \
		--to "$ch1/service/uppercase"
done
tap_check "vg: secure-channel list shows n1's channel" \
	bash -c "ockam secure-channel list --at vg | grep -q \"\$(ockam identity show --at n1)\""

# --------------------------------------------- vg starts a handshake

t=$SECONDS
ch2=$(create --from vg --to /node/n1/service/api)
if tap_check "vg -> n1: secure-channel create" \
	test -n "$ch2" -a "${ch2#/service/}" != "$ch2"; then
	tap_diag "handshake took $((SECONDS - t)) s"
fi
for m in four five; do
	expect_output "vg -> n1: uppercase answers '$m' through the channel" \
		"${m^^}" ockam message send "$m" --from vg --timeout ${SLOW}s \
		--to "$ch2/service/uppercase"
done

# --------------------- handshakes vg refuses, another identity, the rest

nobody=I$(printf '%064d' 0)
expect_status "vg as initiator refuses a peer it is told not to trust" 1 \
	create --from vg --to /node/n1/service/api --authorized "$nobody"
tap_check "vg: secure-channel-listener create strict (trusts nobody here)" \
	ockam secure-channel-listener create strict --authorized "$nobody" --at vg
expect_status "vg as responder refuses n1" 1 \
	create --from n1 --to /node/vg/service/strict

tap_check "vg: identity create other" ockam identity create other --at vg
tap_check "vg: secure-channel-listener create alt (identity other, trusts n1)" \
	ockam secure-channel-listener create alt --identity other \
	--authorized "$(ockam identity show --at n1)" --at vg
ch3=$(create --from n1 --to /node/vg/service/alt \
	--authorized "$(ockam identity show other --at vg)")
expect_output "n1 -> vg's other identity: a channel that works" SIX \
	ockam message send six --from n1 --timeout ${SLOW}s \
	--to "$ch3/service/uppercase"

# shellcheck disable=SC2016 # expanded by the inner bash
tap_check "vg: the listings" bash -c '
	ockam node show vg -j && ockam identity list --at vg &&
	ockam tcp-connection list --from vg && ockam tcp-listener list --at vg &&
	ockam secure-channel-listener list --at vg &&
	ockam secure-channel-listener show alt --at vg &&
	ockam secure-channel show "$0" --at vg && ockam route list --at vg' "$ch2"
tap_check "vg: tcp-listener create and delete" bash -c '
	ockam tcp-listener create 10.0.12.2:4001 --at vg &&
	ockam tcp-listener delete 10.0.12.2:4001 --at vg'
# shellcheck disable=SC2016 # expanded by the inner bash
tap_check "vg: route add, used, deleted" bash -c '
	ockam route add up /service/uppercase --at vg &&
	[ "$(ockam message send seven --from n1 --timeout "$1"s \
		--to "$0/service/up")" = SEVEN ] &&
	ockam route delete up --at vg' "$ch1" "$SLOW"

# ------------------------------------------------------- teardown

tap_check "n1: secure-channel delete (vg's end closes too)" \
	ockam secure-channel delete "$ch1" --at n1
tap_check "n1: secure-channel delete of the one to vg's other identity" \
	ockam secure-channel delete "$ch3" --at n1
tap_check "vg: secure-channel-listener delete, identity delete" bash -c '
	ockam secure-channel-listener delete alt --at vg &&
	ockam secure-channel-listener delete strict --at vg &&
	ockam identity delete other --at vg'
tap_check "vg: secure-channel delete" \
	ockam secure-channel delete "$ch2" --at vg
no_channels() {
	local out
	out=$(ockam secure-channel list --at vg) &&
		! grep -q '^/service/' <<<"$out"
}
tap_check "vg: no channel left" slow_wait $SLOW no_channels

# Two handshakes nothing answers (n1 has no /service/nowhere): their two
# control requests are pending at once, each with its own reply, when vg
# stops; the daemon must free both.
pending_pids=()
for i in 1 2; do
	create --from vg --to /node/n1/service/nowhere \
		>"$NS_TMP/pending.$i" 2>&1 &
	pending_pids+=($!)
done
two_pending() {
	printf status | socat -t "$SLOW" - \
		"unix-connect:$OCKAM_HOME/nodes/vg/control.sock,type=5" |
		grep -q '^kind=secure-channel-initiator pending=2 '
}
tap_check "vg: two secure-channel create requests pending at once" \
	slow_wait $SLOW two_pending

t=$SECONDS
kill -TERM "$vg_pid"
# The exit status is valgrind's: 99 for an error or a leak it counts.
gone() {
	! kill -0 "$vg_pid"
}
if slow_wait $SLOW gone; then
	wait "$vg_pid"
	rc=$?
	tap_expect_eq "vg: ockamd exits 0 on SIGTERM under valgrind" 0 "$rc"
	tap_diag "exit and leak check took $((SECONDS - t)) s; $((SECONDS - start)) s under valgrind"
else
	tap_fail "vg: ockamd exits 0 on SIGTERM under valgrind" \
		"still running after ${SLOW} s"
	kill -KILL "$vg_pid"
fi

# Their clients see the daemon close the connection without answering.
for i in 1 2; do
	wait "${pending_pids[$((i - 1))]}"
	rc=$?
	if [ "$rc" = 1 ] && grep -q 'without answering' "$NS_TMP/pending.$i"; then
		tap_ok "pending request $i: the client is told the daemon stopped"
	else
		tap_fail "pending request $i: the client is told the daemon stopped" \
			"status $rc: $(cat "$NS_TMP/pending.$i")"
	fi
done

summary=$(grep -E 'ERROR SUMMARY|(definitely|indirectly|possibly) lost:|in use at exit' "$vg_log")
tap_diag "$summary"
if grep -q 'ERROR SUMMARY: 0 errors' "$vg_log"; then
	tap_ok "memcheck: no errors"
else
	tap_fail "memcheck: no errors" "$(head -n 150 "$vg_log")"
fi
if grep -q 'ERROR SUMMARY' "$vg_log" &&
   ! grep -Eq '(definitely|indirectly|possibly) lost: [1-9]' "$vg_log"; then
	tap_ok "memcheck: nothing lost"
else
	tap_fail "memcheck: nothing lost" "$(grep -A 30 -E 'lost in loss record' "$vg_log" | head -n 150)"
fi

tap_check "n1: node delete" ockam node delete n1
tap_done
