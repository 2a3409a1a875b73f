#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# One node in its own network namespace: the life cycle of ockamd driven
# by the ockam CLI, the default services, listeners, aliases, output
# formats and exit codes. Run in the test VM:
#
#   make vm-run SCRIPT=selftests/netns/cli_node.sh

lib=${OCKAM_SELFTESTS:-$(cd "$(dirname "$0")/.." && pwd)}/lib
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ockam.sh
. "$lib/ockam.sh"

require_cmd ockam ockamd
export OCKAM_HOME=$NS_TMP/home
node_add a

# in_a COMMAND...: run an ockam command inside namespace a.
in_a() {
	node_exec a "$@"
}
export -f in_a node_exec ns
export NS_PREFIX

tap_check "node create n1" in_a ockam node create n1 || daemon_logs n1
pid=$(cat "$OCKAM_HOME/nodes/n1/pid" 2>/dev/null)
tap_check "ockamd runs in namespace a" test -n "$pid" -a -d "/proc/$pid"
tap_expect_eq "registry directory is private" "700" \
	"$(stat -c %a "$OCKAM_HOME/nodes/n1")"
tap_expect_eq "pid file is private" "600" \
	"$(stat -c %a "$OCKAM_HOME/nodes/n1/pid")"
tap_check "control socket exists" test -S "$OCKAM_HOME/nodes/n1/control.sock"
listener=$(head -n 1 "$OCKAM_HOME/nodes/n1/listeners" 2>/dev/null)
tap_check "default listener on 127.0.0.1 with a real port ($listener)" \
	grep -Eq '^127\.0\.0\.1:[1-9][0-9]*$' <<<"$listener"
port=${listener##*:}
tap_check "something listens on port $port" wait_tcp_listen a "$port" 5

expect_output "node list shows n1 running" "n1 running $pid $listener" \
	bash -c "ockam node list | awk 'NR == 2 { print \$1, \$2, \$3, \$4 }'"
tap_check "node list -j" \
	bash -c "ockam node list -j | grep -q '^\\[{\"name\":\"n1\",\"status\":\"running\",\"pid\":$pid,'"

# The default services, from inside the node's namespace.
expect_output "echo service" "hello" \
	in_a ockam message send hello --to /service/echo
expect_output "uppercase service" "HELLO, WORLD" \
	in_a ockam message send "hello, world" --to /service/uppercase
expect_output "--from n1 enters the node's namespace" "HI" \
	ockam message send hi --from n1 --to /service/uppercase
expect_output "--from /node/n1 works too" "hi" \
	ockam message send hi --from /node/n1 --to /service/echo
expect_output "--hex in and out" "00ff41" \
	ockam message send 00ff41 --hex --from n1 --to /service/echo
expect_output "plain route form" "X" \
	ockam message send x --from n1 --to "0#uppercase"
expect_output "message send -j" '{"payload":"ab","hex":"6162",' \
	bash -c "ockam message send ab -j --from n1 --to /service/echo | cut -c1-29"
big=$(head -c 60000 /dev/zero | tr '\0' a)
expect_output "a 60000-byte message comes back whole" 60000 \
	bash -c "ockam message send $big --from n1 --to /service/echo | tr -d '\n' | wc -c"
# Over TCP to the node itself: dial on demand through its own listener.
expect_output "echo through the node's own TCP listener" "loop" \
	ockam message send loop --from n1 --to "/node/n1/service/echo"

# A dial on demand never looks a name up (any node could make the daemon
# wait on DNS that way); a connection an operator asks for may.
out=$(ockam message send x --from n1 --timeout 5s \
	--to "/dnsaddr/localhost/tcp/$port/service/echo" 2>&1)
rc=$?
tap_check "on-demand dial to a host name fails: EHOSTUNREACH ($out)" \
	bash -c "[ $rc = 1 ] && grep -q 'No route to host' <<<'$out'"
tap_check "and the daemon logged why" \
	grep -q "host names are looked up only for 'tcp-connection create'" \
	"$OCKAM_HOME/nodes/n1/log"
by_name=$(ockam tcp-connection create --from n1 --to "localhost:$port" 2>&1)
tap_check "tcp-connection create resolves a host name ($by_name)" \
	grep -Eq '^/service/[0-9a-f]{32}$' <<<"$by_name"
expect_output "messages go along that connection" "BY NAME" \
	ockam message send "by name" --from n1 --to "$by_name/service/uppercase"
expect_status "a number spelled as a DNS name is refused: exit 2" 2 \
	ockam message send x --from n1 --to /dnsaddr/127.1/tcp/1/service/echo

# Aliases.
tap_check "route add" ockam route add up /service/uppercase --at n1
expect_output "message through the alias" "VIA ALIAS" \
	ockam message send "via alias" --from n1 --to /service/up
expect_output "route list" "up /service/uppercase" \
	bash -c "ockam route list --at n1 | awk 'NR == 2 { print \$1, \$2 }'"
expect_status "route add of a name in use fails" 1 \
	ockam route add up /service/echo --at n1
# An onward route longer than a sockaddr holds goes in a control message.
long=$(printf 'l%.0s' $(seq 1 150))
tap_check "route add with a 150-character name" \
	ockam route add "$long" /service/uppercase --at n1
expect_output "message along a 160-byte route" "LONG ROUTE" \
	ockam message send "long route" --from n1 --to "/service/$long"
tap_check "route delete" ockam route delete up --at n1
expect_status "route delete of a missing alias fails" 1 \
	ockam route delete up --at n1

# Listeners through the daemon.
tap_check "tcp-listener create 127.0.0.1:0" \
	ockam tcp-listener create 127.0.0.1:0 --at n1
expect_output "two listeners listed" 2 \
	bash -c "ockam tcp-listener list --at n1 -j | grep -o '\"address\":' | wc -l"
second=$(sed -n 2p "$OCKAM_HOME/nodes/n1/listeners")
tap_check "tcp-listener delete $second" \
	ockam tcp-listener delete "$second" --at n1
expect_output "one listener left in the registry" 1 \
	bash -c "wc -l <'$OCKAM_HOME/nodes/n1/listeners'"
expect_status "deleting it again fails" 1 \
	ockam tcp-listener delete "$second" --at n1

tap_check "node show" ockam node show n1
tap_check "node show -j has services and kernel counters" \
	bash -c "ockam node show n1 -j | grep '\"services\":\\[{\"address\":\"echo\"' | grep -q '\"delivered\":[1-9]'"
tap_check "node show without a name finds the namespace's node" \
	in_a ockam node show

# Errors and exit codes.
expect_status "unknown service: no reply, exit 1" 1 \
	ockam message send x --from n1 --to /service/nobody --timeout 1s
expect_status "bad route: usage error, exit 2" 2 \
	ockam message send x --from n1 --to /ip4/1.2.3/tcp/1
expect_status "unknown option: exit 2" 2 ockam node list --bogus
expect_status "output that cannot be written: exit 1" 1 \
	bash -c "ockam node list >/dev/full"
expect_status "unknown node: exit 1" 1 \
	ockam message send x --from nobody --to /service/echo
expect_status "second node create n1: exit 1" 1 in_a ockam node create n1
expect_status "another node in the same namespace: exit 1" 1 \
	in_a ockam node create n2
tap_check "the refused node left nothing behind" \
	test ! -e "$OCKAM_HOME/nodes/n2"

# A daemon that dies takes its transports with it, and the node can be
# created again over its stale files.
tap_check "the node has transports (from the TCP loop above)" \
	bash -c "ockam tcp-connection list --from n1 -j | grep -q '\"address\"'"
kill -KILL "$pid"
tap_check "ockamd killed: the node is listed as stopped" \
	wait_until 5 bash -c "ockam node list | grep -q '^n1 *stopped'"
tap_check "its transports closed with it" \
	wait_until 5 bash -c "[ \"\$(in_a ockam tcp-connection list -j)\" = '[]' ]"
tap_check "node create n1 again" in_a ockam node create n1
pid=$(cat "$OCKAM_HOME/nodes/n1/pid" 2>/dev/null)
expect_output "the new daemon answers" "AGAIN" \
	ockam message send again --from n1 --to /service/uppercase

# In the foreground, until SIGTERM.
node_exec a ockam node create fg --foreground >"$NS_TMP/fg.out" 2>&1 &
expect_status "a second node in a's namespace is refused, even in the foreground" 0 \
	wait_until 5 grep -q "already runs in this network namespace" "$NS_TMP/fg.out"

tap_check "node delete n1" ockam node delete n1
tap_check "ockamd exited" wait_until 5 bash -c "! kill -0 $pid"
node_add b
node_exec b ockam node create fg --foreground >"$NS_TMP/fg.out" 2>&1 &
tap_check "foreground node answers" \
	wait_until 5 ockam message send fg --from fg --to /service/echo
tap_check "it logs to the terminal too" grep -q "node fg ready" "$NS_TMP/fg.out"
# "ip netns exec" may fork: signal the daemon itself.
fg_pid=$(cat "$OCKAM_HOME/nodes/fg/pid")
kill -TERM "$fg_pid"
tap_check "SIGTERM stops it" wait_until 5 bash -c "! kill -0 $fg_pid"
tap_check "and it removed its pid file" test ! -e "$OCKAM_HOME/nodes/fg/pid"
tap_check "after logging why" grep -q "signal 15: stopping" "$NS_TMP/fg.out"
tap_check "node delete fg cleans up the stopped node" ockam node delete fg
tap_check "registry directory removed" test ! -e "$OCKAM_HOME/nodes/n1"
expect_status "node show of a deleted node: exit 1" 1 ockam node show n1

node_add c

# A relative OCKAM_HOME names the same registry after ockamd leaves the
# directory it was started in.
tap_check "node create with a relative OCKAM_HOME" \
	bash -c "cd '$NS_TMP' && OCKAM_HOME=rel node_exec c ockam node create r1"
tap_check "its state is where the relative path said" \
	test -S "$NS_TMP/rel/nodes/r1/control.sock"
expect_output "and it answers" "RELATIVE" \
	env OCKAM_HOME="$NS_TMP/rel" ockam message send relative --from r1 \
	--to /service/uppercase
tap_check "node delete r1" env OCKAM_HOME="$NS_TMP/rel" ockam node delete r1

# The pid file is for people: the registry asks the lock, so a stale pid
# file names nobody who gets signalled.
tap_check "node create k" node_exec c ockam node create k
k_pid=$(cat "$OCKAM_HOME/nodes/k/pid" 2>/dev/null)
kill -KILL "$k_pid"
tap_check "k killed: listed as stopped" \
	wait_until 5 bash -c "ockam node list | grep -q '^k *stopped'"
sleep 300 &
sleeper=$!
echo "$sleeper" >"$OCKAM_HOME/nodes/k/pid"
tap_check "node delete k" ockam node delete k
tap_check "left alone the process its stale pid file named" kill -0 "$sleeper"
kill "$sleeper"
tap_check "and removed its directory" test ! -e "$OCKAM_HOME/nodes/k"

# Two creates of one node at once: one wins, and the loser leaves the
# winner's directory alone.
node_exec c ockam node create x >"$NS_TMP/x1.out" 2>&1 &
x1=$!
node_exec c ockam node create x >"$NS_TMP/x2.out" 2>&1 &
x2=$!
wait "$x1"
r1=$?
wait "$x2"
r2=$?
tap_check "two 'node create x' at once: one succeeds (status $r1 and $r2)" \
	test $((r1 + r2)) = 1
expect_output "the winner answers" "RACE" \
	ockam message send race --from x --to /service/uppercase
tap_check "node delete x" ockam node delete x

# The daemon often runs as root: it refuses state others could tamper with.
mkdir -m 0777 "$OCKAM_HOME/nodes/open"
out=$(node_exec c ockam node create open 2>&1)
rc=$?
tap_check "a node directory others may write to is refused ($out)" \
	bash -c "[ $rc = 1 ] && grep -q 'writable by group or others' <<<'$out'"
tap_check "and left as it was" test -d "$OCKAM_HOME/nodes/open"
expect_status "node delete refuses it too" 1 ockam node delete open

node_logs
tap_done
