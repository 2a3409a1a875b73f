#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo ("make demo"), run inside the VM: three nodes, n1 - n2 - n3,
# each a network namespace with its own ockamd. A message from n1 crosses
# n2 to a service on n3 and the reply comes back the same way, forwarded
# by the kernel on n2; then a secure channel from n1 to n3 through n2
# carries the same request end-to-end encrypted, so n2 only ever sees
# ciphertext, and the channel outlives a reset of the connection under
# it. Last, Ockam's portal picture: a web server on n4's
# loopback, n4 reachable by no one but registered as a relay at n2 over
# the connection it dialed, and a web client on n1 fetching its page
# through a tcp-inlet, the relay and a secure channel to n4's tcp-outlet,
# the bytes carried and encrypted by the kernels. Then the same behind
# two NATs: n1 and n3 each behind a masquerading router punch a UDP path
# through a rendezvous on n2, and the web client's next page comes over
# it instead of the relay. Every command is printed as a user would type
# it in that node's shell.

. "${OCKAM_SELFTESTS:-$(dirname "$0")}/lib/netns.sh"
. "${OCKAM_SELFTESTS:-$(dirname "$0")}/lib/ockam.sh"
. "${OCKAM_SELFTESTS:-$(dirname "$0")}/lib/nat.sh"

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

step "The channel outlives the connection under it: n1's connection is reset"
ch=$(node_exec n1 ockam secure-channel list --at n1 -j |
	grep -o '"encryptor": *"[0-9a-f]*"' | head -n 1 | grep -o '[0-9a-f]\{32\}')
run n1 ss -K state established '( dport = :4000 )'
echo "(ockamd gives the channel a new route over a new connection; n3"
echo " answers along the route n1's next frame came by)"
channel_up() {
	node_exec n1 ockam secure-channel show "/service/$ch" --at n1 -j |
		grep -q '"state": *"up"'
}
wait_until 10 channel_up
run n1 ockam message send "same channel" --from n1 --timeout 10s \
	--to "/service/$ch/service/uppercase"
run n1 ockam secure-channel show "/service/$ch" --at n1

step "Routes may cross transports: UDP binds on n2 and n3"
run n2 ockam udp-bind create 10.0.23.2:4001 --at n2
run n3 ockam udp-bind create 10.0.23.3:4001 --at n3
echo "(a peer's message makes n2 send to a UDP address only once n2 heard"
echo " from it, as it makes n2 use a TCP connection only if n2 has one)"
run n3 ockam message send "hello n2" --from n3 \
	--to /ip4/10.0.23.2/udp/4001/service/echo

step "From n1: TCP to n2, UDP to n3, and the reply back the same way"
run n1 ockam message send "over tcp and udp" --from n1 \
	--to /ip4/10.0.12.2/tcp/4000/ip4/10.0.23.3/udp/4001/service/uppercase
run n2 ockam udp-bind list --at n2

step "Portals through a relay: n4 serves a web page on its own loopback only"
echo "(n4 is reached from n2 only; it has no listener anyone else can reach)"
node_add n4
link_add n2 n4 10.0.24.2 10.0.24.4
run n4 ockam node create n4
www=$NS_TMP/www
mkdir -p "$www"
echo "<h1>Hello from n4, which no one can connect to</h1>" >"$www/index.html"
node_bg n4 busybox httpd -f -p 127.0.0.1:8080 -h "$www"
wait_tcp_listen n4 8080
run n4 ockam tcp-outlet create --at n4 --to 127.0.0.1:8080

step "n4 dials n2 and registers forward_to_n4 there, through a secure channel"
run n2 ockam tcp-listener create 10.0.24.2:4000 --at n2
wait_tcp_listen n2 4000
run n4 ockam relay create n4 --at /ip4/10.0.24.2/tcp/4000 --to n4
run n2 ockam relay list --at n2

step "n1: a TCP inlet whose connections go, end-to-end encrypted, to n4's outlet"
run n1 ockam tcp-inlet create --at n1 --from 127.0.0.1:7000 \
	--to /node/n2/service/forward_to_n4/secure/api/service/outlet

step "An unmodified web client on n1 fetches n4's page"
run n1 busybox wget -q -O - http://127.0.0.1:7000/

step "The kernels moved the bytes: sessions at both ends, ciphertext at n2"
run n1 ockam tcp-inlet list --at n1
run n4 ockam tcp-outlet list --at n4
run n2 ockam node show n2

step "Clean up"
for n in n1 n2 n3 n4; do
	run "$n" ockam node delete "$n"
done

step "Behind NATs: n1 and n3 each behind a router that masquerades, n2 public"
nat_world
cat <<'EOF_PICTURE'
h1: n1 10.1.0.2 -- r1 (NAT) 198.51.100.1 --+-- 198.51.100.2 inet: n2
h3: n3 10.3.0.2 -- r2 (NAT) 203.0.113.1 ---+-- 203.0.113.2  (relay, rendezvous)
EOF_PICTURE
run r1 nft list chain ip nat postrouting
echo "(n3 was created with --rendezvous $N3_RENDEZVOUS, so that it can answer"
echo " punctures; n1 and n3 have UDP binds on port 5000 and no listener)"
www3=$NS_TMP/www3
mkdir -p "$www3"
echo "<h1>Hello from n3, behind a NAT, over a punched UDP path</h1>" \
	>"$www3/index.html"
node_bg h3 busybox httpd -f -p 127.0.0.1:8080 -h "$www3"
wait_tcp_listen h3 8080
run h3 ockam tcp-outlet create --at n3 --to 127.0.0.1:8080
run h3 ockam relay create n3 --at "$N3_RELAY" --to n3

step "n1: an inlet through the relay that also punches a UDP path to n3"
run h1 ockam tcp-inlet create --at n1 --from 127.0.0.1:7000 \
	--to "$N1_RELAY/secure/api/service/outlet" \
	--udp --rendezvous "$N1_RENDEZVOUS"
echo "(both learn their public address from n2's rendezvous service, swap"
echo " them through the secure channel, and send heartbeats until one gets"
echo " through each NAT; then a second channel goes over the path)"
wait_until 30 nat_inlet_up 127.0.0.1:7000
run h1 ockam tcp-inlet show 127.0.0.1:7000 --at n1

step "The web client's page now comes straight from n3, over UDP"
run h1 busybox wget -q -O - http://127.0.0.1:7000/
run h1 ockam udp-bind list --at n1
run h3 ockam node show n3

step "Clean up"
ockam node delete --all
