#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks ("make bench"), run inside the VM with the release module.
# Four nodes in a line, n1 - n2 - n3 - n4, joined by veth. Everything is
# measured in this one run, side by side, and printed as ratios: numbers
# from an emulated CPU mean little on their own.
#
# cipher     the ceiling: ockam_cipher_seal() and ockam_cipher_open()
#            alone on one CPU, 1 KiB and 64 KiB, from the debug build's
#            debugfs file ockam/cipher_ceiling (the image carries that
#            build as /opt/ockam/kmod/ockam-debug.ko; the part swaps it in
#            for the release module and back, first, before the nodes
#            exist); with the secure part, the 1-hop channel's rate as a
#            fraction of the ceiling times the CPUs it can use
# routing    plaintext AF_OCKAM, 64-byte and 64 KiB messages:
#              1 hop   n1 -> n2                    vs  plain TCP n1 -> n2
#              3 hops  n1 -> n2 -> n3 -> n4 (forwarded in the kernel)
#                      vs  a chain of socat TCP relays on n2 and n3
# secure     1 KiB and 64 KiB messages n1 -> n2 through a secure channel,
#            (ChaCha20-Poly1305 from lib/crypto), against an iperf3
#            TCP stream over WireGuard (the same cipher, in the kernel),
#            over stunnel (TLS 1.3, ChaCha20-Poly1305, in userspace) and
#            over plain TCP, all between the same two namespaces, and
#            plaintext AF_OCKAM n1 -> n2; the same through a channel
#            n1 -> n4 over three TCP hops; request/response (64 bytes)
#            through both channels and without them
# handshake  secure channels created per second, one after another, with
#            "ockam secure-channel create" through ockamd
# memory     kernel memory per open secure channel and per bound socket,
#            BENCH_OBJECTS of each, in a node of their own
# portal     iperf3 (one stream, then 4) through a tcp-inlet on n1, a
#            secure channel and a tcp-outlet on n2 to an iperf3 server on
#            n2's loopback, and the same through a relay on n2 (which
#            forwards directly, --relay-forward direct) to an
#            outlet on n3 (which has no listener), against iperf3 over
#            WireGuard, over stunnel and over a plain socat relay between
#            n1 and n2; and new connections per second (connect, one byte
#            there and back, close) through the portal and through stunnel
# recovery   how long a channel's route carries nothing after the TCP
#            connection under it is reset (ss -K), median of
#            BENCH_RECOVERY_RESETS resets, in nodes r1 - r2 - r3 - r4 of
#            their own: a channel r1 -> r2 (1 hop), r1 -> r4 through r2
#            and r3 (each of the three connections reset in turn), and
#            r1 -> r3 through a relay at r2; against the time ockamd takes
#            to create a new channel over the same paths
# udp        1 KiB and 64 KiB messages n1 -> n2 over a UDP hop against the
#            same over a TCP hop; through a secure channel over UDP
#            against iperf3 over WireGuard (whose own transport is UDP)
#            between the same namespaces; and over three hops
#            TCP -> UDP -> TCP (n1 -> n2 -> n3 -> n4) against the all-TCP
#            route
#
# Environment:
#   BENCH_SECONDS     length of one run (3)
#   BENCH_REPEAT      runs per figure, each the median (5)
#   BENCH_REPEAT_RR   the same for request/response figures (3)
#   BENCH_HANDSHAKES  channels created for the handshake rate (100)
#   BENCH_OBJECTS     channels and sockets for the memory figures, one
#                     measurement per count ("10000 100000")
#   BENCH_ONLY        parts to run (default "cipher routing secure handshake
#                     memory portal recovery udp")
#   BENCH_RECOVERY_RESETS  resets per recovery figure (5); a reset after
#                     which nothing comes back within 30 s is a failure
#   BENCH_PERF        names of figures as printed, e.g. "sc-1hop-1024
#                     wireguard-1024": record a system-wide profile during
#                     the first run of each and print where the time went
#                     (the image needs perf: make bench VM_PROGS_EXTRA=perf)

. "${OCKAM_SELFTESTS:-$(dirname "$0")/..}/lib/netns.sh"

require_cmd ockam ockamd ockam-bench ockam-bench-mem socat iperf3 ss

SECONDS_PER_RUN=${BENCH_SECONDS:-3}
REPEAT=${BENCH_REPEAT:-5}
# Request/response figures are the median of this many runs.
REPEAT_RR=${BENCH_REPEAT_RR:-3}
HANDSHAKES=${BENCH_HANDSHAKES:-100}
OBJECTS=${BENCH_OBJECTS:-10000 100000}
ONLY=${BENCH_ONLY:-cipher routing secure handshake memory portal recovery udp}
RESETS=${BENCH_RECOVERY_RESETS:-5}
PERF_KEYS=${BENCH_PERF:-}
SIZES=(64 65536)
SC_SIZES=(1024 65536)
export OCKAM_HOME=$NS_TMP/home

# Ports inside the nodes.
PORT_SINK=5001		# ockam-bench tcp-sink (n2, n4)
PORT_SOCAT=5002		# socat relays (n2, n3)
PORT_IPERF_TCP=5201	# iperf3 servers on n2, one per path
PORT_IPERF_WG=5202
PORT_IPERF_TLS=5203
PORT_TLS=5443		# stunnel: n1's client end, n2's server end
PORT_WG=51820
PORT_UDP=4001		# every node's UDP bind
PORT_IPERF_PORTAL=5204	# iperf3 on n2's and n3's loopback, behind outlets
PORT_ECHO=5005		# ockam-bench tcp-echo on n2
PORT_TLS_ECHO=5444	# stunnel to that echo server
PORT_INLET=6001		# n1's inlets: to n2's outlet,
PORT_INLET_RELAY=6002	# through n2's relay to n3's outlet,
PORT_INLET_ECHO=6003	# to n2's echo outlet
PORT_SOCAT_PORTAL=6004	# n1's plain socat relay to n2's iperf3

want() {
	[[ " $ONLY " == *" $1 "* ]]
}

on() {
	node_exec "$@"
}

# ----------------------------------------------------------------- setup

setup_nodes() {
	node_add n1 n2 n3 n4 || return 1
	link_add n1 n2 10.0.12.1 10.0.12.2 &&
	link_add n2 n3 10.0.23.2 10.0.23.3 &&
	link_add n3 n4 10.0.34.3 10.0.34.4 || return 1
	for n in n1 n2 n3 n4; do
		# Relays at n2 forward along the connection under the
		# registrant's channel: the portal through the relay runs
		# a channel of its own, which would otherwise be sealed twice.
		on "$n" ockam node create "$n" --relay-forward direct \
			--tcp-listener-address 0.0.0.0:4000 >/dev/null || return 1
		wait_tcp_listen "$n" 4000 || return 1
		# The relays dial the next hop of the routes measured.
		on "$n" ockam node set "$n" --dial-forwarded on || return 1
	done
	node_bg n2 ockam-bench sink sink
	node_bg n4 ockam-bench sink sink
}

setup_routing() {
	node_bg n2 ockam-bench tcp-sink $PORT_SINK
	node_bg n4 ockam-bench tcp-sink $PORT_SINK
	node_bg n3 socat -b 65536 TCP-LISTEN:$PORT_SOCAT,reuseaddr,fork \
		TCP:10.0.34.4:$PORT_SINK
	node_bg n2 socat -b 65536 TCP-LISTEN:$PORT_SOCAT,reuseaddr,fork \
		TCP:10.0.23.3:$PORT_SOCAT
	wait_tcp_listen n2 $PORT_SINK && wait_tcp_listen n4 $PORT_SINK &&
	wait_tcp_listen n3 $PORT_SOCAT && wait_tcp_listen n2 $PORT_SOCAT
}

# WireGuard between n1 (10.1.12.1) and n2 (10.1.12.2) over their veth.
setup_wireguard() {
	local d=$NS_TMP/wg n
	mkdir -p "$d" && chmod 700 "$d" || return 1
	for n in n1 n2; do
		(umask 077 && wg genkey >"$d/$n.key") &&
			wg pubkey <"$d/$n.key" >"$d/$n.pub" || return 1
	done
	wg_end n1 10.1.12.1 n2 10.0.12.2 &&
	wg_end n2 10.1.12.2 n1 10.0.12.1
}

# wg_end NODE TUNNEL_ADDR PEER PEER_VETH_ADDR
wg_end() {
	local d=$NS_TMP/wg
	on "$1" ip link add wg0 type wireguard &&
	on "$1" wg set wg0 private-key "$d/$1.key" listen-port $PORT_WG \
		peer "$(cat "$d/$3.pub")" endpoint "$4:$PORT_WG" \
		allowed-ips "${2%.*}.0/24" &&
	on "$1" ip addr add "$2/24" dev wg0 &&
	on "$1" ip link set wg0 up
}

# stunnel: n1 accepts plaintext on 127.0.0.1, carries it in TLS 1.3 with
# ChaCha20-Poly1305 to n2, which hands it to n2's iperf3 server. The
# certificate is made now, self-signed, and n1 checks n2 against it.
setup_stunnel() {
	local d=$NS_TMP/tls
	mkdir -p "$d" && chmod 700 "$d" || return 1
	printf '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = n2\n' \
		>"$d/req.cnf"
	OPENSSL_CONF=$d/req.cnf openssl req -config "$d/req.cnf" -x509 \
		-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-days 2 -keyout "$d/key.pem" -out "$d/cert.pem" \
		>"$d/openssl.log" 2>&1 || { cat "$d/openssl.log"; return 1; }
	cat >"$d/server.conf" <<-EOF
	foreground = yes
	pid =
	syslog = no
	output = $d/server.log
	debug = info
	[bench]
	accept = 10.0.12.2:$PORT_TLS
	connect = 127.0.0.1:$PORT_IPERF_TLS
	cert = $d/cert.pem
	key = $d/key.pem
	sslVersionMin = TLSv1.3
	ciphersuites = TLS_CHACHA20_POLY1305_SHA256
	[echo]
	accept = 10.0.12.2:$PORT_TLS_ECHO
	connect = 127.0.0.1:$PORT_ECHO
	cert = $d/cert.pem
	key = $d/key.pem
	sslVersionMin = TLSv1.3
	ciphersuites = TLS_CHACHA20_POLY1305_SHA256
	EOF
	cat >"$d/client.conf" <<-EOF
	foreground = yes
	pid =
	syslog = no
	output = $d/client.log
	debug = info
	[bench]
	client = yes
	accept = 127.0.0.1:$PORT_TLS
	connect = 10.0.12.2:$PORT_TLS
	CAfile = $d/cert.pem
	verifyPeer = yes
	sslVersionMin = TLSv1.3
	ciphersuites = TLS_CHACHA20_POLY1305_SHA256
	[echo]
	client = yes
	accept = 127.0.0.1:$PORT_TLS_ECHO
	connect = 10.0.12.2:$PORT_TLS_ECHO
	CAfile = $d/cert.pem
	verifyPeer = yes
	sslVersionMin = TLSv1.3
	ciphersuites = TLS_CHACHA20_POLY1305_SHA256
	EOF
	node_bg n2 stunnel "$d/server.conf"
	node_bg n1 stunnel "$d/client.conf"
	wait_tcp_listen n2 $PORT_TLS && wait_tcp_listen n1 $PORT_TLS
}

setup_iperf() {
	local p
	for p in $PORT_IPERF_TCP $PORT_IPERF_WG $PORT_IPERF_TLS; do
		node_bg n2 iperf3 -s -p "$p"
	done
	for p in $PORT_IPERF_TCP $PORT_IPERF_WG $PORT_IPERF_TLS; do
		wait_tcp_listen n2 "$p" || return 1
	done
}

# WireGuard, stunnel and the iperf3 servers, once for the parts that
# compare against them.
PEERS_UP=
setup_peers() {
	[ -n "$PEERS_UP" ] && return 0
	setup_wireguard && setup_stunnel && setup_iperf && PEERS_UP=1
}

# ------------------------------------------------------- secure channels

# sc_create NODE ROUTE: a secure channel from NODE to the listener at
# ROUTE; prints the channel's route (/service/<hex>).
sc_create() {
	ockam secure-channel create --from "$1" --to "$2"
}

route1=/ip4/10.0.12.2/tcp/4000
route3=/ip4/10.0.12.2/tcp/4000/ip4/10.0.23.3/tcp/4000/ip4/10.0.34.4/tcp/4000
udp1=/ip4/10.0.12.2/udp/$PORT_UDP
mixed3=/ip4/10.0.12.2/tcp/4000/ip4/10.0.23.3/udp/$PORT_UDP/ip4/10.0.34.4/tcp/4000

# ------------------------------------------------------------ measuring

# field NAME LINE: a key=value field of a result line.
field() {
	grep -o "$1=[0-9.e+-]*" <<<"$2" | head -n 1 | cut -d= -f2
}

declare -A RESULT

# measure COMMAND...: one run; prints "msgs_per_s mbytes_per_s lost late"
# from the command's result line (lost: messages the sender counted as
# lost; late: those that came after the sink's final count; 0 where it
# counts none). compare calls it through eval.
# shellcheck disable=SC2317
measure() {
	local out
	out=$("$@" 2>&1 | grep '^result')
	[ -n "$out" ] || return 1
	echo "$(field msgs_per_s "$out") $(field mbytes_per_s "$out")" \
		"$(field lost "$out" | grep . || echo 0)" \
		"$(field late "$out" | grep . || echo 0)"
}

# iperf NODE HOST PORT SIZE: one iperf3 TCP stream of SIZE-byte writes
# (IPERF_STREAMS of them in parallel), as a result line; the rate is what
# the server received.
iperf() {
	local bps
	bps=$(on "$1" iperf3 -c "$2" -p "$3" -l "$4" -t "$SECONDS_PER_RUN" -J \
		-P "${IPERF_STREAMS:-1}" \
		2>/dev/null | awk '
		/"sum_received"/ { r = 1 }
		r && /"bits_per_second"/ {
			sub(/.*"bits_per_second":[ \t]*/, ""); sub(/,.*/, "")
			print; exit
		}')
	[ -n "$bps" ] || return 1
	awk -v b="$bps" -v s="$4" 'BEGIN {
		printf "result kind=iperf3 size=%d msgs_per_s=%.1f mbytes_per_s=%.3f\n",
			s, b / 8 / s, b / 8 / 1e6 }'
}

median() {
	sort -n | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }'
}

# Profiles: the first run of each figure BENCH_PERF names is recorded.
declare -A PERF_DONE
perf_start() {
	[[ " $PERF_KEYS " == *" $1 "* ]] && [ -z "${PERF_DONE[$1]:-}" ] ||
		return 0
	PERF_DONE[$1]=1
	if ! command -v perf >/dev/null; then
		echo "  (no perf in the image: make bench VM_PROGS_EXTRA=perf)"
		return 0
	fi
	perf record -a -g -e cpu-clock -o "$NS_TMP/perf.$1.data" \
		-- sleep "$SECONDS_PER_RUN" >/dev/null 2>&1 &
	PERF_PID=$!
}

perf_wait() {
	[ -n "${PERF_PID:-}" ] || return 0
	wait "$PERF_PID"
	PERF_PID=
}

perf_print() {
	local key data
	for key in $PERF_KEYS; do
		data=$NS_TMP/perf.$key.data
		[ -s "$data" ] || continue
		echo
		echo "profile of $key (perf record -a -g -e cpu-clock, its first run)"
		perf report -i "$data" --no-children --sort dso --stdio -g none \
			2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 8
		perf report -i "$data" --no-children --sort sym --stdio -g none \
			2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 40
		echo " including callees: the module, the ciphers, WireGuard, copies"
		perf report -i "$data" --children --sort sym --stdio -g none \
			2>/dev/null | grep -E '\] (ockam_|wg_|chacha|poly1305|copy_user|memcpy|clear_page|memset|tcp_sendmsg|tcp_v4_rcv|kmalloc_reserve)' |
			head -n 40
	done
}

# compare SIZE NAME COMMAND... [-- NAME COMMAND...]...: REPEAT rounds,
# each running every command once in turn so that all see the same
# machine; the median of each kept in RESULT[NAME-SIZE].
compare() {
	local size=$1 cur="" g i r key
	local -a names=() cmds=() runs=()
	shift
	names+=("$1")
	shift
	while [ $# -gt 0 ]; do
		if [ "$1" = -- ]; then
			cmds+=("$cur")
			cur=""
			names+=("$2")
			shift 2
			continue
		fi
		cur+=" $(printf '%q' "$1")"
		shift
	done
	cmds+=("$cur")
	for ((i = 0; i < REPEAT; i++)); do
		for g in "${!names[@]}"; do
			key=${names[g]}-$size
			perf_start "$key"
			r=$(eval "measure ${cmds[g]}") || r="0 0 0 0"
			perf_wait
			runs[g]+="$r"$'\n'
		done
	done
	for g in "${!names[@]}"; do
		report "${names[g]}-$size" "${runs[g]}"
	done
}

# report KEY RUNS: print the runs ("msgs mb lost late" lines), the
# messages lost and late in each where any was, and keep the median.
report() {
	local key=$1 m lost late
	m=$(printf '%s' "$2" | median | cut -d' ' -f1,2)
	RESULT[$key]=$m
	printf '  %-22s median %10s msg/s %9s MB/s   runs:' "$key" $m
	printf ' %s' "$(printf '%s' "$2" | cut -d' ' -f1 | tr '\n' ' ')"
	lost=$(printf '%s' "$2" | awk '{ print $3 + 0 }' | tr '\n' ' ')
	[[ "$lost" =~ [1-9] ]] && printf '  lost: %s' "$lost"
	late=$(printf '%s' "$2" | awk '{ print $4 + 0 }' | tr '\n' ' ')
	[[ "$late" =~ [1-9] ]] && printf '  late: %s' "$late"
	echo
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

# rate KEY: the messages/s of a kept figure.
rate() {
	local r
	read -r r _ <<<"${RESULT[$1]:-0 0}"
	echo "$r"
}

# print_ratio TEXT KEY_A KEY_B [TARGET]
print_ratio() {
	printf '  %-46s %6s   %s\n' "$1" "$(ratio "$(rate "$2")" "$(rate "$3")")" \
		"${4:-}"
}

# ------------------------------------------------------------ the parts

CEILING_KO=/opt/ockam/kmod/ockam-debug.ko
CEILING_FILE=/sys/kernel/debug/ockam/cipher_ceiling

# module_unload: rmmod ockam, a few tries (a socket may still be closing).
module_unload() {
	local i
	for ((i = 0; i < 20; i++)); do
		rmmod ockam 2>/dev/null && return 0
		sleep 0.5
	done
	rmmod ockam
}

# ceiling_read OUT: read the ceiling file REPEAT times into OUT (its lines,
# each read's after the other). Run with the debug build loaded.
ceiling_read() {
	local i
	: >"$1"
	for ((i = 0; i < REPEAT; i++)); do
		cat "$CEILING_FILE" >>"$1" || return 1
	done
}

# The ceiling of a channel's throughput that the cipher sets. One byte
# through a channel is sealed once (by the sender) and opened once (by the
# receiver): 1/S + 1/O CPU-seconds a byte, at S and O the rates of seal
# and open on one CPU, so one CPU doing both moves at most
# H = 1 / (1/S + 1/O) bytes a second. A 1-hop channel n1 -> n2 has one
# sender and one receiver, two stages that may run on two CPUs at once:
# CPUs used is min(2, the VM's CPUs), and the ceiling for the channel is H x that
# many. (With two CPUs, a pipeline's exact bound is min(S, O), at most
# 2H, equal when seal and open cost the same, as they nearly do.)
part_cipher() {
	local out=$NS_TMP/ceiling size op cpus rc=0

	if [ ! -r "$CEILING_KO" ]; then
		echo "cipher: no $CEILING_KO in the image (make bench puts it there)"
		return 1
	fi
	grep -q ' /sys/kernel/debug debugfs ' /proc/mounts ||
		mount -t debugfs debugfs /sys/kernel/debug || return 1
	if ! module_unload; then
		echo "cipher: the release module would not unload"
		return 1
	fi
	# Its dependencies are the release module's, loaded until now.
	# shellcheck disable=SC2046 # one word per module
	modprobe -q -a $(modinfo -F depends "$CEILING_KO" | tr , ' ')
	if insmod "$CEILING_KO"; then
		ceiling_read "$out" || rc=1
		module_unload || rc=1
	else
		rc=1
	fi
	if ! modprobe ockam; then
		echo "cipher: the release module would not load again"
		exit 1
	fi
	if [ $rc != 0 ] || ! grep -q '^open 65536 ' "$out"; then
		echo "cipher: reading $CEILING_FILE failed"
		dmesg | grep -i ockam | tail -n 10
		return 1
	fi
	cpus=$(grep -c '^processor' /proc/cpuinfo)
	[ "$cpus" -gt 2 ] && cpus=2
	echo "cipher ceiling: ockam_cipher_seal and _open alone on one CPU" \
		"(CPU $(awk '$1 == "cpu" { print $2; exit }' "$out")),"
	echo "0.3 s a case, median of $REPEAT reads; msg/s: calls per second"
	for size in "${SC_SIZES[@]}"; do
		echo " buffer size $size bytes"
		for op in seal open; do
			report "cipher-$op-$size" "$(awk -v op="$op" \
				-v size="$size" '$1 == op && $2 == size {
					printf "%.1f %.3f\n", $3 / size, $3 / 1e6
				}' "$out")"
		done
		# Both on one CPU, and the channel's ceiling on CPUs used.
		RESULT[cipher-1cpu-$size]=$(ceiling_combine "$size" 1)
		RESULT[cipher-ceiling-$size]=$(ceiling_combine "$size" "$cpus")
		figure "seal+open, 1 CPU" "cipher-1cpu-$size"
		figure "x $cpus CPUs used" "cipher-ceiling-$size"
	done
	CEILING_CPUS=$cpus
	echo
}

# figure TEXT KEY: a kept figure computed from others, as report prints.
figure() {
	local r mb
	read -r r mb <<<"${RESULT[$2]:-0 0}"
	printf '  %-22s        %10s msg/s %9s MB/s\n' "$1" "$r" "$mb"
}

# ceiling_combine SIZE CPUS: "msgs/s MB/s" of CPUS x 1 / (1/seal + 1/open)
# from the medians kept for SIZE.
ceiling_combine() {
	awk -v s="$(rate "cipher-seal-$1")" -v o="$(rate "cipher-open-$1")" \
		-v size="$1" -v cpus="$2" 'BEGIN {
		h = (s > 0 && o > 0) ? cpus / (1 / s + 1 / o) : 0
		printf "%.1f %.3f\n", h, h * size / 1e6 }'
}

part_routing() {
	local size
	local sink1=$route1/service/sink sink3=$route3/service/sink

	# Warm up: dial every connection and let TCP size its buffers.
	on n1 ockam-bench send "$sink3" 65536 1 >/dev/null 2>&1
	on n1 ockam-bench send "$sink1" 65536 1 >/dev/null 2>&1
	on n1 ockam-bench tcp-send 10.0.12.2:$PORT_SINK 65536 1 >/dev/null 2>&1
	on n1 ockam-bench tcp-send 10.0.12.2:$PORT_SOCAT 65536 1 >/dev/null 2>&1

	echo "routing (plaintext AF_OCKAM)"
	for size in "${SIZES[@]}"; do
		echo " message size $size bytes"
		compare "$size" \
			ockam-1hop on n1 ockam-bench send "$sink1" "$size" \
			"$SECONDS_PER_RUN" -- \
			tcp-1hop on n1 ockam-bench tcp-send \
			10.0.12.2:$PORT_SINK "$size" "$SECONDS_PER_RUN"
		compare "$size" \
			ockam-3hop on n1 ockam-bench send "$sink3" "$size" \
			"$SECONDS_PER_RUN" -- \
			socat-3hop on n1 ockam-bench tcp-send \
			10.0.12.2:$PORT_SOCAT "$size" "$SECONDS_PER_RUN"
	done
	echo " request/response, 64 bytes (one message, one reply, repeat)"
	REPEAT=$REPEAT_RR compare 64 \
		ockam-rr-1hop on n1 ockam-bench rr "$sink1" 64 \
		"$SECONDS_PER_RUN" -- \
		ockam-rr-3hop on n1 ockam-bench rr "$sink3" 64 \
		"$SECONDS_PER_RUN"
	echo
}

# The channels part_secure measures: SC1 to n2, SC3 to n4.
SC1=
SC3=

setup_channels() {
	if ! ockam secure-channel --help >/dev/null 2>&1; then
		echo "secure channels: not in this build"
		return 1
	fi
	SC1=$(sc_create n1 "$route1/service/api") &&
	SC3=$(sc_create n1 "$route3/service/api")
}

part_secure() {
	local size r tls
	local -a cmds=()

	if ! setup_peers; then
		echo "secure: setting up the peers failed"
		node_logs
		return 1
	fi
	setup_channels || SC1=
	# Warm up each path once.
	for r in $SC1 $SC3; do
		on n1 ockam-bench send "$r/service/sink" 65536 1 >/dev/null 2>&1
	done
	iperf n1 10.1.12.2 $PORT_IPERF_WG 65536 >/dev/null
	iperf n1 127.0.0.1 $PORT_TLS 65536 >/dev/null
	tls=$(grep -o 'TLSv1.3 ciphersuite: [A-Z0-9_]*' "$NS_TMP/tls/server.log" |
		head -n 1)
	echo "secure channels (stunnel: ${tls:-ciphersuite not logged};" \
		"WireGuard: $(on n1 wg show wg0 latest-handshakes | awk '$2 > 0 { n++ } END { print n + 0 }') handshake)"
	for size in "${SC_SIZES[@]}"; do
		echo " message size $size bytes"
		cmds=()
		if [ -n "$SC1" ]; then
			cmds+=(sc-1hop on n1 ockam-bench send \
				"$SC1/service/sink" "$size" "$SECONDS_PER_RUN" --)
		fi
		if [ -n "$SC3" ]; then
			cmds+=(sc-3hop on n1 ockam-bench send \
				"$SC3/service/sink" "$size" "$SECONDS_PER_RUN" --)
		fi
		compare "$size" "${cmds[@]}" \
			plain-1hop on n1 ockam-bench send "$route1/service/sink" \
			"$size" "$SECONDS_PER_RUN" -- \
			wireguard iperf n1 10.1.12.2 $PORT_IPERF_WG "$size" -- \
			stunnel iperf n1 127.0.0.1 $PORT_TLS "$size" -- \
			tcp-iperf iperf n1 10.0.12.2 $PORT_IPERF_TCP "$size"
	done
	if [ -n "$SC1" ]; then
		echo " request/response, 64 bytes, through a channel and not"
		REPEAT=$REPEAT_RR compare 64 \
			sc-rr-1hop on n1 ockam-bench rr \
			"$SC1/service/sink" 64 \
			"$SECONDS_PER_RUN" -- \
			plain-rr-1hop on n1 ockam-bench rr \
			"$route1/service/sink" 64 "$SECONDS_PER_RUN" -- \
			sc-rr-3hop on n1 ockam-bench rr "$SC3/service/sink" 64 \
			"$SECONDS_PER_RUN" -- \
			plain-rr-3hop on n1 ockam-bench rr \
			"$route3/service/sink" 64 "$SECONDS_PER_RUN"
	fi
	node_drops
	echo
}

part_handshake() {
	local i ok=0 t0 t1 c0 c1
	local to=$route1/service/api

	ockam secure-channel --help >/dev/null 2>&1 || return 0
	echo "handshakes: $HANDSHAKES channels n1 -> n2, one after another"
	# What any CLI command costs: start, ask ockamd, print.
	c0=$EPOCHREALTIME
	for ((i = 0; i < HANDSHAKES; i++)); do
		ockam node show n1 >/dev/null 2>&1
	done
	c1=$EPOCHREALTIME
	t0=$EPOCHREALTIME
	for ((i = 0; i < HANDSHAKES; i++)); do
		ockam secure-channel create --from n1 --to "$to" >/dev/null 2>&1 &&
			ok=$((ok + 1))
	done
	t1=$EPOCHREALTIME
	awk -v n="$HANDSHAKES" -v ok="$ok" -v t0="$t0" -v t1="$t1" \
		-v c0="$c0" -v c1="$c1" 'BEGIN {
		printf "  %d of %d created in %.2f s: %.1f handshakes/s, %.1f ms each\n",
			ok, n, t1 - t0, ok / (t1 - t0), (t1 - t0) * 1000 / n
		printf "  for scale, \"ockam node show\": %.1f ms each\n",
			(c1 - c0) * 1000 / n }'
	RESULT[handshakes]=$(awk -v ok="$ok" -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "%.1f 0", ok / (t1 - t0) }')
	echo
}

# ---------------------------------------------------------------- portals

# n2 serves iperf3 and an echo server on its loopback only, each behind a
# tcp-outlet; n3 does the same for iperf3 and registers a relay at n2,
# which it dials (n3's listener is not used). n1's inlets reach them
# through secure channels; socat on n1 is the unencrypted relay.
setup_portals() {
	local via=$route1/service/forward_to_n3

	node_bg n2 iperf3 -s -B 127.0.0.1 -p $PORT_IPERF_PORTAL
	node_bg n3 iperf3 -s -B 127.0.0.1 -p $PORT_IPERF_PORTAL
	node_bg n2 ockam-bench tcp-echo $PORT_ECHO
	node_bg n1 socat -b 65536 \
		TCP-LISTEN:$PORT_SOCAT_PORTAL,bind=127.0.0.1,reuseaddr,fork \
		TCP:10.0.12.2:$PORT_IPERF_TCP
	wait_tcp_listen n2 $PORT_IPERF_PORTAL &&
	wait_tcp_listen n3 $PORT_IPERF_PORTAL &&
	wait_tcp_listen n2 $PORT_ECHO &&
	wait_tcp_listen n1 $PORT_SOCAT_PORTAL || return 1
	ockam tcp-outlet create --at n2 \
		--to 127.0.0.1:$PORT_IPERF_PORTAL >/dev/null &&
	ockam tcp-outlet create --at n2 --from echo_outlet \
		--to 127.0.0.1:$PORT_ECHO >/dev/null &&
	ockam tcp-outlet create --at n3 \
		--to 127.0.0.1:$PORT_IPERF_PORTAL >/dev/null &&
	ockam relay create n3 --at /ip4/10.0.23.2/tcp/4000 --to n3 \
		>/dev/null &&
	ockam tcp-inlet create --at n1 --from 127.0.0.1:$PORT_INLET \
		--to "$route1/secure/api/service/outlet" >/dev/null &&
	ockam tcp-inlet create --at n1 --from 127.0.0.1:$PORT_INLET_RELAY \
		--to "$via/secure/api/service/outlet" >/dev/null &&
	ockam tcp-inlet create --at n1 --from 127.0.0.1:$PORT_INLET_ECHO \
		--to "$route1/secure/api/service/echo_outlet" >/dev/null
}

part_portal() {
	local streams

	if ! ockam tcp-inlet --help >/dev/null 2>&1; then
		echo "portals: not in this build"
		return 1
	fi
	if ! setup_peers || ! setup_portals; then
		echo "portal: setting up failed"
		node_logs
		return 1
	fi
	# Warm up each path once: channels, relay, TCP buffers.
	iperf n1 127.0.0.1 $PORT_INLET 65536 >/dev/null
	iperf n1 127.0.0.1 $PORT_INLET_RELAY 65536 >/dev/null
	echo "portals (iperf3, 64 KiB writes)"
	for streams in 1 4; do
		echo " $streams stream(s)"
		IPERF_STREAMS=$streams compare "x$streams" \
			portal-1hop iperf n1 127.0.0.1 $PORT_INLET 65536 -- \
			portal-relay iperf n1 127.0.0.1 $PORT_INLET_RELAY 65536 -- \
			p-wireguard iperf n1 10.1.12.2 $PORT_IPERF_WG 65536 -- \
			p-stunnel iperf n1 127.0.0.1 $PORT_TLS 65536 -- \
			p-socat iperf n1 127.0.0.1 $PORT_SOCAT_PORTAL 65536
	done
	echo " new connections (connect, one byte there and back, close)"
	compare 1 \
		portal-connect on n1 ockam-bench tcp-connect \
		127.0.0.1:$PORT_INLET_ECHO "$SECONDS_PER_RUN" -- \
		stunnel-connect on n1 ockam-bench tcp-connect \
		127.0.0.1:$PORT_TLS_ECHO "$SECONDS_PER_RUN" -- \
		tcp-connect on n1 ockam-bench tcp-connect \
		10.0.12.2:$PORT_ECHO "$SECONDS_PER_RUN"
	echo
}

# ms_each KEY: milliseconds per operation of a kept rate.
ms_each() {
	awk -v r="$(rate "$1")" 'BEGIN { if (r > 0) printf "%.1f", 1000 / r; else print "n/a" }'
}

print_portal_ratios() {
	local x
	for x in x1 x4; do
		print_ratio "portal ${x#x} stream(s): 1 hop / WireGuard" \
			"portal-1hop-$x" "p-wireguard-$x" '>= 1.0'
		print_ratio "portal ${x#x} stream(s): 1 hop / stunnel" \
			"portal-1hop-$x" "p-stunnel-$x" '>= 2'
		print_ratio "portal ${x#x} stream(s): relay (direct) / 1 hop" \
			"portal-relay-$x" "portal-1hop-$x" '>= 0.9'
		print_ratio "portal ${x#x} stream(s): 1 hop / socat relay" \
			"portal-1hop-$x" "p-socat-$x"
	done
	print_ratio "portal new connections/s / stunnel's" \
		portal-connect-1 stunnel-connect-1
	printf '  %-46s %6s   (stunnel %s ms, plain TCP %s ms)\n' \
		"portal time to first byte, ms" "$(ms_each portal-connect-1)" \
		"$(ms_each stunnel-connect-1)" "$(ms_each tcp-connect-1)"
}

part_memory() {
	local out count
	node_add n5 || return 1
	for count in $OBJECTS; do
		echo "memory: $count of each in a node of their own" \
			"(/proc/meminfo Slab + Percpu + VmallocUsed)"
		out=$(on n5 ockam-bench-mem sockets "$count" 2>&1)
		mem_lines "bound socket" "$out" "mem-socket-$count"
		out=$(on n5 ockam-bench-mem channels "$count" 2>&1)
		mem_lines "channel" "$out" "mem-channel-$count"
	done
	echo
}

# mem_lines WHAT OUTPUT KEY: both rounds of one kind; the first is kept
# in RESULT[KEY] (bytes, 0).
mem_lines() {
	local line round
	if ! grep -q '^result' <<<"$2"; then
		printf '  %-15s failed: %s\n' "$1" "$2"
		return
	fi
	while read -r line; do
		round=$(field round "$line")
		[ "$round" = 1 ] && RESULT[$3]="$(field bytes_per "$line") 0"
		printf '  %-15s %6s bytes each, %s (slab %s, percpu %s, vmalloc %s; %s left after closing all)\n' \
			"$1" "$(field bytes_per "$line")" \
			"$([ "$round" = 1 ] && echo "first round " || echo "second round")" \
			"$(field slab "$line")" "$(field percpu "$line")" \
			"$(field vmalloc "$line")" "$(field left_after_close "$line")"
		printf '  %-15s grew most: %s\n' "" \
			"$(grep -o 'caches=.*' <<<"$line" | cut -d= -f2)"
	done < <(grep '^result' <<<"$2")
}

# ---------------------------------------------------------------- recovery

# Nodes of their own, r1 - r2 - r3 - r4 on 10.9.x.0/24 with default
# keepalives, so that the channels the other parts left on n1 do not
# recover along with each reset. r2 keeps a relay for r3 (forwarding
# directly, as on n2); sinks on r2, r3 and r4 answer the probe.
RECOVERY_LIMIT_S=30	# a reset not recovered by then is a failure
PROBE_MS=5		# the probe's request interval
R2=/ip4/10.9.12.2/tcp/4000
R2_FROM_R3=/ip4/10.9.23.2/tcp/4000
R3HOP=$R2/ip4/10.9.23.3/tcp/4000/ip4/10.9.34.4/tcp/4000
RRELAY=$R2/service/forward_to_r3

RECOVERY_SINKS=()
setup_recovery() {
	local n
	node_add r1 r2 r3 r4 || return 1
	link_add r1 r2 10.9.12.1 10.9.12.2 &&
	link_add r2 r3 10.9.23.2 10.9.23.3 &&
	link_add r3 r4 10.9.34.3 10.9.34.4 || return 1
	for n in r1 r2 r3 r4; do
		on "$n" ockam node create "$n" --relay-forward direct \
			--tcp-listener-address 0.0.0.0:4000 >/dev/null &&
		wait_tcp_listen "$n" 4000 &&
		on "$n" ockam node set "$n" --dial-forwarded on || return 1
	done
	for n in r2 r3 r4; do
		node_bg "$n" ockam-bench sink sink
		RECOVERY_SINKS+=("$NS_TMP/$n.$NODE_BG_PID.log")
	done
	ockam relay create r3 --at "$R2_FROM_R3" --to r3 >/dev/null
}

# created_ms CHANNEL: how long r1's daemon took to create CHANNEL, from
# the request to the installed channel, as its log says.
created_ms() {
	grep "secure channel ${1#/service/} established with " \
		"$OCKAM_HOME/nodes/r1/log" | tail -n 1 |
		sed -n 's/.* in \([0-9]*\) ms$/\1/p'
}

# keep_ms KEY RUNS: print the runs (ms, one a line) and keep the median
# in RESULT[KEY] ("ms 0", so that print_ratio divides them).
keep_ms() {
	local key=$1 m=n/a
	[ -n "$2" ] && m=$(printf '%s' "$2" | median)
	RESULT[$key]="${m/n\/a/0} 0"
	printf '  %-22s median %10s ms   runs: %s\n' "$key" "$m" \
		"$(printf '%s' "$2" | tr '\n' ' ')"
}

# new_channels KEY ROUTE: RESETS channels r1 -> ROUTE, one after
# another, each over a new first connection (r1's are reset before), as
# a recovery dials one, and each deleted again; the daemon's time for
# each (from the request to the installed channel, its log) in
# RESULT[KEY], and the CLI's wall time in RESULT[KEY-cli].
new_channels() {
	local i ch t0 t1 ms daemon="" cli=""
	for ((i = 0; i < RESETS; i++)); do
		on r1 ss -HK state established dst 10.9.12.2 dport = :4000 \
			>/dev/null
		t0=$EPOCHREALTIME
		ch=$(ockam secure-channel create --from r1 --to "$2/service/api" \
			--timeout 20s 2>/dev/null)
		t1=$EPOCHREALTIME
		[ -n "$ch" ] || continue
		ms=$(created_ms "$ch")
		[ -n "$ms" ] && daemon+="$ms"$'\n'
		cli+="$(awk -v a="$t0" -v b="$t1" \
			'BEGIN { printf "%.0f", (b - a) * 1000 }')"$'\n'
		ockam secure-channel delete "$ch" --at r1 >/dev/null 2>&1
	done
	keep_ms "$1" "$daemon"
	keep_ms "$1-cli" "$cli"
}

# probe_after OUT T: the probe's output has a reply received after T (ms).
# shellcheck disable=SC2317 # called through wait_until
probe_after() {
	awk -v t="$2" '$1 == "reply" && $4 > t { f = 1; exit }
		END { exit !f }' "$1"
}

# probe_replies OUT N: the probe has N replies.
# shellcheck disable=SC2317 # called through wait_until
probe_replies() {
	[ "$(grep -c '^reply ' "$1")" -ge "$2" ]
}

# outage OUT T0 T1: the longest time without a reply from T0 (just
# before the reset) to the first reply after T1 (the reset done): from
# the last reply before the reset, or T0, to the first after it; and how
# many requests sent from the last reply before T0 to that first one got
# no reply by then. Prints "MS LOST".
outage() {
	awk -v t0="$2" -v t1="$3" '$1 != "reply" { next }
		$4 < t0 { prev = $4; first = $2; next }
		{
			g = $4 - (prev < t0 ? t0 : prev)
			if (g > max) max = g
			prev = $4
			got[$2] = 1
			if ($4 > t1) {
				for (s = first + 1; s < $2; s++)
					lost += !got[s]
				printf "%.0f %d\n", max, lost
				exit
			}
		}' "$1"
}

# recovery_once ROUTE NODE FILTER: probe r1 -> ROUTE/service/sink, reset
# NODE's TCP connections that FILTER (ss syntax) picks once replies flow,
# and print how long the route carried nothing and the requests lost
# (outage); fails, saying why, when
# there was nothing to reset or no reply came back within
# RECOVERY_LIMIT_S.
recovery_once() {
	local route=$1 node=$2 filter=$3 out pid t0 t1 killed rc=0
	node_bg r1 ockam-bench probe "$route/service/sink" $PROBE_MS \
		$((RECOVERY_LIMIT_S + 30))
	pid=$NODE_BG_PID
	out=$NS_TMP/r1.$pid.log
	if ! wait_until 20 probe_replies "$out" 20; then
		node_stop "$pid"
		echo "no replies before the reset"
		return 1
	fi
	t0=$(awk -v t="$EPOCHREALTIME" 'BEGIN { printf "%.1f", t * 1000 }')
	# shellcheck disable=SC2086 # FILTER is several words
	killed=$(on "$node" ss -HK state established $filter | wc -l)
	t1=$(awk -v t="$EPOCHREALTIME" 'BEGIN { printf "%.1f", t * 1000 }')
	if [ "$killed" = 0 ]; then
		echo "no connection to reset on $node ($filter)"
		rc=1
	elif ! wait_until "$RECOVERY_LIMIT_S" probe_after "$out" "$t1"; then
		echo "no reply within $RECOVERY_LIMIT_S s"
		rc=1
	else
		outage "$out" "$t0" "$t1"
	fi
	node_stop "$pid"
	return $rc
}

# recovery_diag CHANNEL: what a failed reset left, indented: the
# channel at r1, the channels and TCP connections of every node, the
# end of each daemon's log, whether the sinks are alive and what they
# said.
recovery_diag() {
	local n f
	for f in "${RECOVERY_SINKS[@]}"; do
		f=${f##*/}
		f=${f%.log}
		echo "    sink ${f%%.*} (pid ${f#*.}):" \
			"$(cut -d' ' -f3 "/proc/${f#*.}/stat" 2>/dev/null || echo gone)"
		tail -n 3 "$NS_TMP/$f.log" | sed 's/^/      /'
	done
	echo "    r1: $(ockam secure-channel show "$1" --at r1 -j 2>&1 | tr -d '\n')"
	for n in r1 r2 r3 r4; do
		echo "    $n channels:"
		ockam secure-channel list --at "$n" 2>&1 | sed 's/^/      /'
		echo "    $n connections:"
		on "$n" ss -Htn state established | sed 's/^/      /'
		echo "    $n log:"
		tail -n 12 "$OCKAM_HOME/nodes/$n/log" | sed 's/^/      /'
	done
}

# recoveries KEY ROUTE NODE FILTER: RESETS of recovery_once; the median
# in RESULT[KEY].
recoveries() {
	local i r ok="" lost="" failed=0
	for ((i = 0; i < RESETS; i++)); do
		if r=$(recovery_once "$2" "$3" "$4"); then
			ok+="${r% *}"$'\n'
			lost+=" ${r#* }"
		else
			failed=$((failed + 1))
			printf '  %-22s reset %d failed: %s\n' "$1" $((i + 1)) "$r"
			recovery_diag "$2"
		fi
		sleep 1
	done
	keep_ms "$1" "$ok"
	printf '  %-22s requests lost:%s\n' "" "$lost"
	[ $failed = 0 ] || printf '  %-22s %d of %d resets failed\n' "$1" \
		"$failed" "$RESETS"
	[ $failed = 0 ]
}

part_recovery() {
	local ch rc=0 ka

	if ! setup_recovery; then
		echo "recovery: setting up failed"
		node_logs
		return 1
	fi
	ka=$(ockam node show r1 -j | grep -o '"channel_keepalive_ms": *[0-9]*' |
		grep -o '[0-9]*$')
	RECOVERY_KEEPALIVE_MS=${ka:-0}
	echo "recovery: the longest time without a reply to a request every" \
		"$PROBE_MS ms once ss -K"
	echo "resets a TCP connection under the channel, median of $RESETS" \
		"resets (keepalive $RECOVERY_KEEPALIVE_MS ms);"
	echo "new channels over a new first connection: ockamd's time from" \
		"request to installed"
	echo "channel (its log) and the CLI's wall time, median of $RESETS"

	echo " 1 hop r1 -> r2, reset on r1"
	new_channels new-channel-1hop "$R2"
	ch=$(ockam secure-channel create --from r1 --to "$R2/service/api" \
		--timeout 20s) || rc=1
	[ -n "$ch" ] && { recoveries recovery-1hop "$ch" r1 \
		"dst 10.9.12.2 dport = :4000" || rc=1; }
	[ -n "$ch" ] && ockam secure-channel delete "$ch" --at r1 >/dev/null

	echo " 3 hops r1 -> r2 -> r3 -> r4, each connection reset in turn"
	new_channels new-channel-3hop "$R3HOP"
	ch=$(ockam secure-channel create --from r1 --to "$R3HOP/service/api" \
		--timeout 20s) || rc=1
	if [ -n "$ch" ]; then
		recoveries recovery-3hop "$ch" r1 \
			"dst 10.9.12.2 dport = :4000" || rc=1
		recoveries recovery-3hop-2nd "$ch" r2 \
			"dst 10.9.23.3 dport = :4000" || rc=1
		recoveries recovery-3hop-3rd "$ch" r3 \
			"dst 10.9.34.4 dport = :4000" || rc=1
		ockam secure-channel delete "$ch" --at r1 >/dev/null
	fi

	echo " relay: r1 -> r3 through r2's relay, reset on r1"
	new_channels new-channel-relay "$RRELAY"
	ch=$(ockam secure-channel create --from r1 --to "$RRELAY/service/api" \
		--timeout 20s) || rc=1
	[ -n "$ch" ] && { recoveries recovery-relay "$ch" r1 \
		"dst 10.9.12.2 dport = :4000" || rc=1; }
	echo
	[ $rc = 0 ] || node_logs
	return $rc
}

# print_recovery_ratios: each recovery against the budget the target sets
# (one keepalive interval plus one handshake over the same path: the
# daemon's new-channel time) and against a new channel.
# ------------------------------------------------------------------ UDP

SCU=

setup_udp() {
	local n
	for n in n1 n2 n3 n4; do
		on "$n" ockam udp-bind create "0.0.0.0:$PORT_UDP" --at "$n" \
			>/dev/null || return 1
	done
	# A datagram transport: what a burst overflows is lost, so the
	# backlog a veth feeds is made deep enough for the senders' windows.
	sysctl -qw net.core.netdev_max_backlog=16384
	SCU=$(sc_create n1 "$udp1/service/api")
}

part_udp() {
	local size r

	if ! setup_peers || ! setup_udp || [ -z "$SCU" ]; then
		echo "udp: setting up failed"
		node_logs
		return 1
	fi
	for r in "$udp1" "$SCU" "$mixed3" "$route1" "$route3"; do
		on n1 ockam-bench send "$r/service/sink" 65536 1 >/dev/null 2>&1
	done
	echo "UDP (a bind on every node; 1 hop n1 -> n2, 3 hops TCP -> UDP -> TCP)"
	for size in "${SC_SIZES[@]}"; do
		echo " message size $size bytes"
		compare "$size" \
			udp-1hop on n1 ockam-bench send "$udp1/service/sink" \
			"$size" "$SECONDS_PER_RUN" -- \
			tcp-hop on n1 ockam-bench send "$route1/service/sink" \
			"$size" "$SECONDS_PER_RUN" -- \
			sc-udp on n1 ockam-bench send "$SCU/service/sink" \
			"$size" "$SECONDS_PER_RUN" -- \
			wg-udp iperf n1 10.1.12.2 $PORT_IPERF_WG "$size" -- \
			mixed-3hop on n1 ockam-bench send "$mixed3/service/sink" \
			"$size" "$SECONDS_PER_RUN" -- \
			tcp-3hop on n1 ockam-bench send "$route3/service/sink" \
			"$size" "$SECONDS_PER_RUN"
	done
	echo " UDP counters on n2 after the runs:"
	on n2 ockam udp-bind list --at n2 | sed 's/^/   /'
	node_drops
	echo
}

# Where a path lost anything since the last call: each node's drop
# counters, its kernel's UDP receive errors and the backlog drops, where
# they grew; a run's "lost" counts are what its sender found missing.
declare -A DROPS_SEEN
node_drops() {
	local n key value d dropped=0
	echo " drops on the nodes during the part (none listed: none):"
	{
		for n in n1 n2 n3 n4; do
			on "$n" ockam node show "$n" |
				awk -v n="$n" '$1 ~ /^drop-/ { print n, $1, $2 }'
			on "$n" awk -v n="$n" '/^Udp:/ && !h { split($0, k); h = 1; next }
				/^Udp:/ { for (i = 2; i <= NF; i++)
					if (k[i] ~ /Errors$/)
						print n, "udp-" k[i], $i }' /proc/net/snmp
		done
		while read -r _ d _; do
			dropped=$((dropped + 16#$d))
		done </proc/net/softnet_stat
		echo all backlog-drops "$dropped"
	} | {
		while read -r n key value; do
			d=$((value - ${DROPS_SEEN[$n $key]:-0}))
			[ "$d" -gt 0 ] && echo "   $n $key $d"
			echo "$n $key $value" >&3
		done
	} 3>"$NS_TMP/drops.seen"
	while read -r n key value; do
		DROPS_SEEN[$n $key]=$value
	done <"$NS_TMP/drops.seen"
}

print_udp_ratios() {
	local size
	for size in "${SC_SIZES[@]}"; do
		print_ratio "UDP hop / TCP hop, $size B" \
			"udp-1hop-$size" "tcp-hop-$size"
		print_ratio "channel over UDP / WireGuard, $size B" \
			"sc-udp-$size" "wg-udp-$size" '>= 1.0'
		print_ratio "TCP->UDP->TCP / all-TCP 3 hops, $size B" \
			"mixed-3hop-$size" "tcp-3hop-$size" '>= 0.9'
	done
}

print_recovery_ratios() {
	local path new
	for path in 1hop 3hop 3hop-2nd 3hop-3rd relay; do
		new=new-channel-${path%%-*}
		printf '  %-46s %6s   %s\n' \
			"recovery $path / (keepalive + handshake)" \
			"$(awk -v r="$(rate "recovery-$path")" \
			-v k="$RECOVERY_KEEPALIVE_MS" -v h="$(rate "$new")" \
			'BEGIN { if (k + h > 0) printf "%.4f", r / (k + h)
				else print "n/a" }')" '< 1.0'
		print_ratio "recovery $path / new channel" "recovery-$path" \
			"$new"
	done
}

print_ratios() {
	local size
	echo "ratios (same run)                                         target"
	if want routing; then
		for size in "${SIZES[@]}"; do
			print_ratio "routing 1 hop  $size B: AF_OCKAM / TCP" \
				"ockam-1hop-$size" "tcp-1hop-$size" \
				"$([ "$size" = 65536 ] && echo '>= 0.80')"
			print_ratio "routing 3 hops $size B: AF_OCKAM / socat" \
				"ockam-3hop-$size" "socat-3hop-$size" \
				"$([ "$size" = 65536 ] && echo '>= 1.50')"
		done
	fi
	want portal && print_portal_ratios
	want udp && [ -n "$SCU" ] && print_udp_ratios
	want recovery && [ -n "${RECOVERY_KEEPALIVE_MS:-}" ] &&
		print_recovery_ratios
	want secure && [ -n "$SC1" ] || return 0
	print_ratio "channel 64 KiB / WireGuard" \
		sc-1hop-65536 wireguard-65536 '>= 1.0'
	print_ratio "channel 64 KiB / stunnel" \
		sc-1hop-65536 stunnel-65536 '>= 2'
	print_ratio "channel 1 KiB / WireGuard" \
		sc-1hop-1024 wireguard-1024 '>= 0.8'
	print_ratio "channel 1 KiB / stunnel" sc-1hop-1024 stunnel-1024
	print_ratio "channel 64 KiB / plaintext AF_OCKAM" \
		sc-1hop-65536 plain-1hop-65536
	print_ratio "channel 1 KiB / plaintext AF_OCKAM" \
		sc-1hop-1024 plain-1hop-1024
	print_ratio "channel 64 KiB / TCP (iperf3)" \
		sc-1hop-65536 tcp-iperf-65536
	print_ratio "channel 1 KiB / TCP (iperf3)" sc-1hop-1024 tcp-iperf-1024
	for size in "${SC_SIZES[@]}"; do
		print_ratio "channel $size B: 3 hops / 1 hop" \
			"sc-3hop-$size" "sc-1hop-$size"
		print_ratio "plaintext AF_OCKAM $size B / WireGuard" \
			"plain-1hop-$size" "wireguard-$size"
		print_ratio "WireGuard $size B / TCP (iperf3)" \
			"wireguard-$size" "tcp-iperf-$size"
		print_ratio "stunnel $size B / TCP (iperf3)" \
			"stunnel-$size" "tcp-iperf-$size"
	done
	print_ratio "request/response: channel / plaintext, 1 hop" \
		sc-rr-1hop-64 plain-rr-1hop-64
	print_ratio "request/response: channel / plaintext, 3 hops" \
		sc-rr-3hop-64 plain-rr-3hop-64
	want cipher && [ -n "${CEILING_CPUS:-}" ] || return 0
	print_ratio "channel 64 KiB / (cipher ceiling x $CEILING_CPUS CPUs)" \
		sc-1hop-65536 cipher-ceiling-65536 '>= 0.6'
	print_ratio "channel 1 KiB / (cipher ceiling x $CEILING_CPUS CPUs)" \
		sc-1hop-1024 cipher-ceiling-1024
}

# ------------------------------------------------------------------ run

BENCH_START=$EPOCHSECONDS
echo "Each figure: median of $REPEAT runs of $SECONDS_PER_RUN s, alternating"
echo "with its peers; 2 vCPUs under TCG emulation. A message of SIZE bytes"
echo "is an AF_OCKAM message or, for a TCP stream, a SIZE-byte write."
echo
status=0
# First: it swaps the module out and back, which needs no node to exist.
want cipher && { part_cipher || status=1; }
if ! setup_nodes || { want routing && ! setup_routing; }; then
	echo "bench: setup failed"
	node_logs
	exit 1
fi
want routing && { part_routing || status=1; }
want secure && { part_secure || status=1; }
want handshake && { part_handshake || status=1; }
want memory && { part_memory || status=1; }
want portal && { part_portal || status=1; }
want recovery && { part_recovery || status=1; }
want udp && { part_udp || status=1; }
print_ratios
perf_print
echo
echo "bench: $((EPOCHSECONDS - BENCH_START)) s"

for n in n1 n2 n3 n4 r1 r2 r3 r4; do
	[[ " ${NS_NODES[*]} " == *" $n "* ]] &&
		on "$n" ockam node delete "$n" >/dev/null 2>&1
done
exit $status
