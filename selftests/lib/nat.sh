# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Two private networks behind NAT routers, and the public network between
# them, for the NAT traversal tests. Source it after netns.sh and
# ockam.sh, then call nat_world with a masquerade flavour:
#
#   h1 10.1.0.2 - 10.1.0.1 r1 198.51.100.1 ---+
#                                              inet (198.51.100.2,
#   h3 10.3.0.2 - 10.3.0.1 r2 203.0.113.1 ----+       203.0.113.2)
#
# inet is the public network and hosts node n2 (TCP listener 4000, UDP
# bind 4001): the relay and the rendezvous. h1 hosts n1 and h3 hosts n3,
# each with a UDP bind on port 5000 and no listener reachable from
# outside. r1 and r2 are what a home router is: masquerade on the way
# out, and a firewall that lets in only what belongs to a connection from
# inside (dropped before connection tracking confirms it, so a stray
# datagram leaves no mapping behind that the next one out would clash
# with). NAT_RANDOM=1 adds "fully-random": every new flow gets a random
# port, so what the rendezvous saw is not what the peer will see.

N1_RENDEZVOUS=/ip4/198.51.100.2/udp/4001
N3_RENDEZVOUS=/ip4/203.0.113.2/udp/4001
N1_RELAY=/ip4/198.51.100.2/tcp/4000/service/forward_to_n3
N3_RELAY=/ip4/203.0.113.2/tcp/4000

# nat_router NODE LAN: masquerade out of to-inet, stateful firewall.
nat_router() {
	local r=$1 lan=$2 random=""
	[ "${NAT_RANDOM:-0}" = 1 ] && random=" fully-random"
	node_exec "$r" sysctl -qw net.ipv4.ip_forward=1 || return 1
	node_exec "$r" nft -f - <<-EOF_NFT
	table ip nat {
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "to-inet" masquerade$random
		}
	}
	table inet filter {
		chain input {
			type filter hook input priority filter; policy drop;
			iifname "lo" accept
			iifname "$lan" accept
			ct state established,related accept
		}
		chain forward {
			type filter hook forward priority filter; policy drop;
			ct state established,related accept
			iifname "$lan" oifname "to-inet" accept
		}
	}
	EOF_NFT
}

# nat_block_udp ROUTER / nat_unblock_udp ROUTER: drop every UDP datagram
# the router forwards (both ways), or stop.
nat_block_udp() {
	node_exec "$1" nft -f - <<-'EOF_NFT'
	table inet block {
		chain forward {
			type filter hook forward priority filter - 10; policy accept;
			meta l4proto udp drop
		}
	}
	EOF_NFT
}

nat_unblock_udp() {
	node_exec "$1" nft delete table inet block
}

# nat_world: the namespaces, links, routers and the three nodes.
nat_world() {
	node_add inet r1 r2 h1 h3 || return 1
	link_add r1 inet 198.51.100.1 198.51.100.2 &&
	link_add r2 inet 203.0.113.1 203.0.113.2 &&
	link_add h1 r1 10.1.0.2 10.1.0.1 &&
	link_add h3 r2 10.3.0.2 10.3.0.1 || return 1
	ip -n "$(ns h1)" route add default via 10.1.0.1 &&
	ip -n "$(ns h3)" route add default via 10.3.0.1 &&
	ip -n "$(ns r1)" route add default via 198.51.100.2 &&
	ip -n "$(ns r2)" route add default via 203.0.113.2 || return 1
	node_exec inet sysctl -qw net.ipv4.ip_forward=1 &&
	nat_router r1 to-h1 && nat_router r2 to-h3 || return 1
	node_exec inet ockam node create n2 \
		--tcp-listener-address 0.0.0.0:4000 --udp-bind 0.0.0.0:4001 &&
	node_exec h1 ockam node create n1 --udp-bind 0.0.0.0:5000 &&
	node_exec h3 ockam node create n3 --udp-bind 0.0.0.0:5000 \
		--rendezvous "$N3_RENDEZVOUS" || return 1
}

# nat_serve_page MIB: a random page of MIB MiB, "big", from httpd on
# h3's loopback port 8080, and iperf3 -s on port 5201 if there is one.
nat_serve_page() {
	local www=$NS_TMP/www
	mkdir -p "$www"
	head -c $(($1 << 20)) /dev/urandom >"$www/big"
	NAT_PAGE_SUM=$(sha256sum <"$www/big" | cut -d' ' -f1)
	node_bg h3 busybox httpd -f -p 127.0.0.1:8080 -h "$www"
	command -v iperf3 >/dev/null && node_bg h3 iperf3 -s -B 127.0.0.1 -p 5201
	wait_tcp_listen h3 8080
}

# nat_page_ok INLET: n1 fetches the page through INLET, intact.
nat_page_ok() {
	[ "$(node_exec h1 busybox wget -q -O - "http://$1/big" |
		sha256sum | cut -d' ' -f1)" = "$NAT_PAGE_SUM" ]
}

# nat_bind_rx NODE: messages NODE's UDP bind received.
nat_bind_rx() {
	ockam udp-bind list --at "$1" -j | json_number rx_messages
}

# nat_inlet_udp INLET: the inlet's "udp" state (up, punching, down, ...).
nat_inlet_udp() {
	ockam tcp-inlet show "$1" --at n1 -j | grep -o '"udp":"[^"]*"' |
		cut -d'"' -f4
}

# nat_inlet_up INLET: its UDP path and the channel over it are up.
nat_inlet_up() {
	[ "$(nat_inlet_udp "$1")" = up ]
}
