#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Two nodes in two network namespaces joined by a veth pair: dial on
# demand, persistent connections and their re-dial, aliases across nodes,
# piped routes, and dial failures. Run in the test VM:
#
#   make vm-run SCRIPT=selftests/netns/cli_two_nodes.sh

lib=${OCKAM_SELFTESTS:-$(cd "$(dirname "$0")/.." && pwd)}/lib
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ockam.sh
. "$lib/ockam.sh"

require_cmd ockam ockamd
export OCKAM_HOME=$NS_TMP/home
node_add a b
link_add a b 10.0.1.1 10.0.1.2

trap 'daemon_logs n1 n2; ns_cleanup' EXIT

# transports NODE FIELD: one value of FIELD per transport of NODE.
transports() {
	ockam tcp-connection list --from "$1" -j |
		grep -o "\"$2\":\"[^\"]*\"" | cut -d'"' -f4
}

tap_check "node create n1 in a" \
	node_exec a ockam node create n1 --tcp-listener-address 10.0.1.1:4000
tap_check "node create n2 in b" \
	node_exec b ockam node create n2 --tcp-listener-address 10.0.1.2:4000

# Dial on demand: the kernel asks n1's daemon to connect.
expect_output "n1 -> /node/n2/service/uppercase" "HELLO" \
	ockam message send hello --from n1 --to /node/n2/service/uppercase
expect_output "n1 -> /ip4/10.0.1.2/tcp/4000/service/echo" "hi" \
	ockam message send hi --from n1 --to /ip4/10.0.1.2/tcp/4000/service/echo
expect_output "n1 has one outgoing transport to 10.0.1.2:4000" "10.0.1.2:4000" \
	transports n1 peer
tap_check "it is marked outgoing" \
	bash -c "ockam tcp-connection list --from n1 -j | grep -q '\"outgoing\":true'"
expect_output "n2 accepted one transport" 1 \
	bash -c "ockam tcp-connection list --from n2 -j | grep -o '\"outgoing\":false' | wc -l"
expect_output "n2 -> n1 the other way" "BACK" \
	ockam message send back --from n2 --to /node/n1/service/uppercase
expect_output "a piped route: echo /node/n2 | ... --to -/service/uppercase" \
	"PIPED" bash -c "echo /node/n2 | ockam message send piped --from n1 --to -/service/uppercase"

# A persistent connection.
route=$(ockam tcp-connection create --from n1 --to 10.0.1.2:4000 2>&1)
tap_check "tcp-connection create prints a route ($route)" \
	grep -Eq '^/service/[0-9a-f]{32}$' <<<"$route"
addr=${route#/service/}
expect_output "message along the connection's route" "via conn" \
	ockam message send "via conn" --from n1 --to "$route/service/echo"
tap_check "tcp-connection create --to /node/n2 works too" \
	ockam tcp-connection create --from n1 --to /node/n2
expect_output "node show lists the connection as up" "up" \
	bash -c "ockam node show n1 -j | grep -o '\"address\":\"$addr\",\"peer\":\"10.0.1.2:4000\",\"state\":\"[a-z]*\"' | cut -d'\"' -f12"
shown=$(ockam tcp-connection show "$addr" --from n1 -j)
tap_check "tcp-connection show: up, persistent, never re-dialed" \
	bash -c "grep -q '\"persistent\":true,\"state\":\"up\"' <<<'$shown' &&
	grep -q '\"redials\":0,\"reconnects\":0' <<<'$shown'"
tap_check "tcp-connection show (text) names the peer" \
	bash -c "ockam tcp-connection show '$addr' --from n1 | grep -q '^peer  *10.0.1.2:4000$'"
expect_status "tcp-connection show of an unknown address fails" 1 \
	ockam tcp-connection show 0123456789abcdef0123456789abcdef --from n1

# An alias on n1 for a service of n2.
tap_check "route add remote_up" \
	ockam route add remote_up "$route/service/uppercase" --at n1
expect_output "message via the alias" "REMOTE" \
	ockam message send remote --from n1 --to /service/remote_up

# Cut the connection from n2's side: n1 re-dials under the same address.
local_end=$(ockam tcp-connection list --from n1 -j |
	grep -o "{\"address\":\"$addr\",\"peer\":\"[^\"]*\",\"local\":\"[^\"]*\"" |
	cut -d'"' -f12)
far=$(ockam tcp-connection list --from n2 -j |
	grep -o "{\"address\":\"[0-9a-f]*\",\"peer\":\"$local_end\"" | cut -d'"' -f4)
tap_check "n2 sees the connection from $local_end as $far" test -n "$far"
tap_check "n2 closes it" ockam tcp-connection delete "$far" --from n2
tap_check "n1 re-dials it under the same address" \
	wait_until 10 bash -c "ockam tcp-connection list --from n1 -j | grep -q '\"address\":\"$addr\"' &&
		[ \"\$(ockam tcp-connection list --from n1 -j |
		grep -o '{\"address\":\"$addr\",\"peer\":\"[^\"]*\",\"local\":\"[^\"]*\"' |
		cut -d'\"' -f12)\" != '$local_end' ]"
expect_output "the old route works again" "again" \
	ockam message send again --from n1 --to "$route/service/echo"
expect_output "and so does the alias" "ALIAS AGAIN" \
	ockam message send "alias again" --from n1 --to /service/remote_up
tap_check "tcp-connection show counts the reconnection" \
	bash -c "ockam tcp-connection show '$addr' --from n1 -j |
	grep -q '\"state\":\"up\",.*\"reconnects\":1'"

# Deleting it ends it for good.
tap_check "tcp-connection delete $addr" \
	ockam tcp-connection delete "$addr" --from n1
sleep 1.5
tap_check "it is gone and not re-dialed" \
	bash -c "! ockam tcp-connection list --from n1 -j | grep -q '\"address\":\"$addr\"'"
expect_status "sending along it now fails" 1 \
	ockam message send x --from n1 --to "$route/service/echo" --timeout 2s

# A persistent connection whose peer stops listening: shown while down,
# with its re-dials, and back once the listener is.
tap_check "n2 listens on 10.0.1.2:4001 too" \
	ockam tcp-listener create 10.0.1.2:4001 --at n2
route2=$(ockam tcp-connection create --from n1 --to 10.0.1.2:4001 2>&1)
addr2=${route2#/service/}
tap_check "n2 stops listening on 4001" \
	ockam tcp-listener delete 10.0.1.2:4001 --at n2
far2=$(ockam tcp-connection list --from n2 -j |
	grep -o '{"address":"[0-9a-f]*","peer":"[^"]*","local":"10.0.1.2:4001"' |
	cut -d'"' -f4)
tap_check "n2 closes the connection on 4001" \
	ockam tcp-connection delete "$far2" --from n2
tap_check "tcp-connection show: down, with re-dials, while nothing listens" \
	wait_until 10 bash -c "ockam tcp-connection show '$addr2' --from n1 -j |
	grep -Eq '\"state\":\"(waiting|dialing)\",\"since\":[0-9]+,\"redials\":[1-9]'"
tap_diag "$(ockam tcp-connection show "$addr2" --from n1)"
tap_check "n2 listens on 4001 again" \
	ockam tcp-listener create 10.0.1.2:4001 --at n2
tap_check "the connection comes back by itself" \
	wait_until 15 bash -c "ockam tcp-connection show '$addr2' --from n1 -j |
	grep -q '\"state\":\"up\",.*\"redials\":0,\"reconnects\":1'"
expect_output "and carries messages" "back on 4001" \
	ockam message send "back on 4001" --from n1 --to "$route2/service/echo"
tap_check "tcp-connection delete $addr2" \
	ockam tcp-connection delete "$addr2" --from n1

# Dial failures come back as errors, not timeouts.
out=$(ockam message send x --from n1 --to /ip4/10.0.1.2/tcp/9/service/echo --timeout 8s 2>&1)
rc=$?
tap_check "refused dial: exit 1 with the reason ($out)" \
	bash -c "[ $rc = 1 ] && grep -q 'refused' <<<'$out'"
expect_status "tcp-connection create to a closed port fails" 1 \
	ockam tcp-connection create --from n1 --to 10.0.1.2:9

tap_check "node delete n2" ockam node delete n2
expect_status "n2 is gone: sending there fails" 1 \
	ockam message send x --from n1 --to /ip4/10.0.1.2/tcp/4000/service/echo --timeout 8s
tap_check "node delete n1" ockam node delete n1
tap_done
