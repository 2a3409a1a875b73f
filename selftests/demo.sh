#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo ("make demo"), run inside the VM: three nodes, n1 - n2 - n3,
# each a network namespace with its own ockamd. A message from n1 crosses
# n2 to a service on n3 and the reply comes back the same way, forwarded
# by the kernel on n2; then a secure channel from n1 to n3 through n2
# carries the same request end-to-end encrypted, so n2 only ever sees
# ciphertext. Every command is printed as a user would type it in that
# node's shell.

. "${OCKAM_SELFTESTS:-$(dirname "$0")}/lib/netns.sh"

export OCKAM_HOME=$NS_TMP/home

# run NODE COMMAND...: show it, then run it in NODE.
run() {
	local node=$1
	shift
	printf '\n%s$ %s\n' "$node" "$*"
	node_exec "$node" "$@"
}

step() {
	printf '\n# %s\n' "$*"
}

step "Three network namespaces joined by veth: n1 - n2 - n3"
node_add n1 n2 n3
link_add n1 n2 10.0.12.1 10.0.12.2
link_add n2 n3 10.0.23.2 10.0.23.3
echo "n1 10.0.12.1 | 10.0.12.2 n2 10.0.23.2 | 10.0.23.3 n3"

step "A node in each: ockamd, with a TCP listener"
run n1 ockam node create n1
run n2 ockam node create n2 --tcp-listener-address 10.0.12.2:4000
run n3 ockam node create n3 --tcp-listener-address 10.0.23.3:4000
wait_tcp_listen n2 4000 && wait_tcp_listen n3 4000

step "n2 relays over a connection it is told to make (peers cannot make it dial)"
run n2 ockam tcp-connection create --from n2 --to 10.0.23.3:4000

step "From n1: through n2 to the uppercase service on n3"
run n1 ockam message send hello --from n1 \
	--to /ip4/10.0.12.2/tcp/4000/ip4/10.0.23.3/tcp/4000/service/uppercase

step "n1 dialed n2 on demand, the kernel asking ockamd; n2 used its connection"
run n1 ockam tcp-connection list --from n1
run n2 ockam tcp-connection list --from n2

step "A relay: an alias on n2 that continues to n3"
run n2 ockam route add forward_to_n3 /ip4/10.0.23.3/tcp/4000 --at n2
run n2 ockam route list --at n2
run n1 ockam message send "hello again" --from n1 \
	--to /node/n2/service/forward_to_n3/service/echo

step "n2 forwarded both messages and both replies in the kernel"
run n2 ockam node show n2

step "Identities: each node's default identity (Ed25519), in its vault"
run n1 ockam identity show --at n1
run n3 ockam identity show --at n3

step "A secure channel from n1 to n3's listener \"api\", through n2"
echo "(Noise XX in the two ockamds; then the kernels encrypt every message)"
printf '\nn1$ %s\n' "ockam secure-channel create --from n1 --to /node/n2/service/forward_to_n3/service/api | ockam message send hello --from n1 --to -/service/uppercase"
node_exec n1 ockam secure-channel create --from n1 \
	--to /node/n2/service/forward_to_n3/service/api |
	node_exec n1 ockam message send hello --from n1 --to -/service/uppercase

step "The channel at both ends: counters, and who is at the other end"
run n1 ockam secure-channel list --at n1
run n3 ockam secure-channel list --at n3

step "n2 relayed the channel's frames without being able to read them"
run n2 ockam node show n2

step "Clean up"
for n in n1 n2 n3; do
	run "$n" ockam node delete "$n"
done
