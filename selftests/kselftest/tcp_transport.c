// SPDX-License-Identifier: GPL-2.0
/*
 * TCP transport: attach, framing, forwarding, dial on demand, teardown,
 * and a hostile peer that speaks raw bytes at an attached connection.
 * Both ends of a loopback connection live in the test's own node.
 */
#include <pthread.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

/* ---- events, for tests that play the daemon ---- */

struct events_seen {
	int count;
	struct ockam_event last;
};

static void record_event(const struct ockam_event *ev, void *arg)
{
	struct events_seen *seen = arg;

	seen->count++;
	seen->last = *ev;
}

/* Wait up to @ms for an event with command @cmd. */
static int wait_event(struct ockam_events *ev, uint8_t cmd, int ms,
		      struct ockam_event *out)
{
	long long end = now_ms() + ms;
	struct events_seen seen;
	struct pollfd pfd = { .fd = ockam_events_fd(ev), .events = POLLIN };

	while (now_ms() < end) {
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		memset(&seen, 0, sizeof(seen));
		if (ockam_events_read(ev, record_event, &seen, NULL) < 0)
			return -EIO;
		if (seen.count && seen.last.cmd == cmd) {
			*out = seen.last;
			return 0;
		}
	}
	return -ETIMEDOUT;
}

/* ---- a pair of attached transports: c1 (client end), c2 (server end) ---- */

FIXTURE(pair)
{
	struct ockam_nl *nl;
	int a;
	int b;
	int client;	/* a duplicate of c1's socket, for killing it */
};

FIXTURE_SETUP(pair)
{
	int client, server;

	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, ockam_nl_open(&self->nl, NULL));
	ASSERT_EQ(0, tcp_pair(&client, &server));
	ASSERT_EQ(0, attach(self->nl, client, "c1", NULL, 0));
	ASSERT_EQ(0, attach(self->nl, server, "c2", NULL, 0));
	self->client = client;
	close(server);
	self->a = sock_bound("a");
	self->b = sock_bound("b");
	ASSERT_LE(0, self->a);
	ASSERT_LE(0, self->b);
	ASSERT_EQ(0, set_rcvtimeo(self->b, 5000));
	ASSERT_EQ(0, set_rcvtimeo(self->a, 5000));
}

FIXTURE_TEARDOWN(pair)
{
	close(self->a);
	close(self->b);
	close(self->client);
	ockam_nl_close(self->nl);
}

TEST_F(pair, roundtrip_with_return_route)
{
	struct sockaddr_ockam from;
	socklen_t fromlen = sizeof(from);
	struct ockam_wire_route w = wire("0#c2 => 0#a");
	char buf[16];

	ASSERT_EQ(4, send_to(self->a, "0#c1 => 0#b", "ping", 4));
	ASSERT_EQ(4, recvfrom(self->b, buf, sizeof(buf), 0,
			      (struct sockaddr *)&from, &fromlen));
	/* c1 popped itself; c2 pushed itself on arrival. */
	ASSERT_EQ(w.len, from.som_route_len);
	EXPECT_EQ(0, memcmp(w.bytes, from.som_route, w.len));
	ASSERT_EQ(4, sendto(self->b, "pong", 4, 0, (struct sockaddr *)&from,
			    fromlen));
	EXPECT_EQ(0, recv_expect(self->a, "pong", "0#c1 => 0#b", 0));
}

/* Counter @stat of the transport at local address @name, or -1. */
static long long transport_stat(struct ockam_nl *nl, const char *name,
				enum ockam_stat stat)
{
	struct ockam_transport_info *list;
	long long value = -1;
	size_t count, i;

	if (ockam_nl_transport_list(nl, &list, &count, NULL))
		return -1;
	for (i = 0; i < count; i++)
		if (!strcmp(list[i].address, name))
			value = list[i].stats.value[stat];
	free(list);
	return value;
}

TEST_F(pair, transport_listing_and_counters)
{
	struct ockam_transport_info *list;
	size_t count, i;
	int found = 0;

	ASSERT_EQ(4, send_to(self->a, "0#c1 => 0#b", "ping", 4));
	ASSERT_EQ(0, recv_expect(self->b, "ping", NULL, 0));
	/*
	 * The sender's transmit work counts a message after TCP took it, so
	 * the receiver may hold it a moment before the count moves.
	 */
	ASSERT_TRUE(WAIT_FOR(transport_stat(self->nl, "c1",
					    OCKAM_STAT_TX_MESSAGES) == 1,
			     2000));
	ASSERT_EQ(0, ockam_nl_transport_list(self->nl, &list, &count, NULL));
	ASSERT_EQ(2, count);
	for (i = 0; i < count; i++) {
		EXPECT_EQ(OCKAM_KIND_TCP, list[i].kind);
		EXPECT_EQ(0, strncmp(list[i].local, "127.0.0.1:", 10));
		EXPECT_EQ(0, strncmp(list[i].peer, "127.0.0.1:", 10));
		if (!strcmp(list[i].address, "c1")) {
			EXPECT_EQ(1, list[i].stats.value[OCKAM_STAT_TX_MESSAGES]);
			found |= 1;
		}
		if (!strcmp(list[i].address, "c2")) {
			EXPECT_EQ(1, list[i].stats.value[OCKAM_STAT_RX_MESSAGES]);
			found |= 2;
		}
	}
	EXPECT_EQ(3, found);
	free(list);
	EXPECT_EQ(1, node_stat(self->nl, OCKAM_STAT_DELIVERED));
}

TEST_F(pair, large_and_many_messages_in_order)
{
	size_t big = 512 * 1024, i;
	char *out = malloc(big), *in = malloc(big);
	char small[32];
	int size = 8 << 20, n;

	ASSERT_TRUE(out && in);
	ASSERT_EQ(0, setsockopt(self->b, SOL_SOCKET, SO_RCVBUFFORCE, &size,
				sizeof(size)));
	for (i = 0; i < big; i++)
		out[i] = i ^ (i >> 9);
	ASSERT_EQ(big, send_to(self->a, "0#c1 => 0#b", out, big));
	ASSERT_EQ(big, recv(self->b, in, big, 0));
	EXPECT_EQ(0, memcmp(in, out, big));

	for (n = 0; n < 3000; n++) {
		snprintf(small, sizeof(small), "m%05d", n);
		ASSERT_EQ(6, send_to(self->a, "0#c1 => 0#b", small, 6));
		if (n % 100 == 99) {
			int k;

			for (k = n - 99; k <= n; k++) {
				snprintf(small, sizeof(small), "m%05d", k);
				ASSERT_EQ(0, recv_expect(self->b, small, NULL, 0));
			}
		}
	}
	free(out);
	free(in);
}

TEST_F(pair, hop_limit)
{
	struct ockam_node_settings set = { .hop_limit = 3 };
	uint64_t before = node_stat(self->nl, OCKAM_STAT_DROP_HOP_LIMIT);
	char buf[4];

	ASSERT_EQ(0, ockam_nl_node_set(self->nl, &set, NULL));
	/* Two transport hops fit ... */
	ASSERT_EQ(1, send_to(self->a, "0#c1 => 0#c2 => 0#b", "x", 1));
	EXPECT_EQ(0, recv_expect(self->b, "x", "0#c1 => 0#c2 => 0#a", 0));
	/* ... a third arrival is one too many. */
	ASSERT_EQ(1, send_to(self->a, "0#c1 => 0#c2 => 0#c1 => 0#b", "y", 1));
	EXPECT_TRUE(WAIT_FOR(node_stat(self->nl, OCKAM_STAT_DROP_HOP_LIMIT) ==
			     before + 1, 2000));
	EXPECT_EQ(-1, recv(self->b, buf, sizeof(buf), MSG_DONTWAIT));
}

TEST_F(pair, forwarded_messages_may_be_kept_from_dialing)
{
	uint64_t unreachable = node_stat(self->nl, OCKAM_STAT_DROP_UNREACHABLE);
	struct ockam_events *events;
	struct ockam_event ev;

	ASSERT_EQ(0, ockam_events_open(&events, NULL));
	/* Allowed, then forbidden again: the setting takes both ways. */
	ASSERT_EQ(0, raw_request(OCKAM_CMD_NODE_SET, OCKAM_A_NODE,
				 OCKAM_NODE_A_DIAL_FORWARDED, 1));
	ASSERT_EQ(0, raw_request(OCKAM_CMD_NODE_SET, OCKAM_A_NODE,
				 OCKAM_NODE_A_DIAL_FORWARDED, 0));
	/* Arrives on c2 with a TCP address next: dropped, nothing dialed. */
	ASSERT_EQ(1, send_to(self->a, "0#c1 => 1#127.0.0.1:9 => 0#b", "x", 1));
	EXPECT_TRUE(WAIT_FOR(node_stat(self->nl, OCKAM_STAT_DROP_UNREACHABLE) ==
			     unreachable + 1, 2000));
	EXPECT_EQ(0, node_stat(self->nl, OCKAM_STAT_DIALS));
	/* A local sender still gets its dial. */
	ASSERT_EQ(1, send_to(self->a, "1#127.0.0.1:9 => 0#b", "x", 1));
	ASSERT_EQ(0, wait_event(events, OCKAM_CMD_DIAL_REQUEST, 2000, &ev));
	EXPECT_EQ(1, node_stat(self->nl, OCKAM_STAT_DIALS));
	ockam_events_close(events);
}

TEST_F(pair, detach_closes_both_ends)
{
	struct ockam_event ev;
	struct ockam_events *events;

	ASSERT_EQ(0, ockam_events_open(&events, NULL));
	ASSERT_EQ(0, ockam_nl_transport_detach(self->nl, "c1", NULL));
	EXPECT_FALSE(has_transport(self->nl, "c1"));
	EXPECT_EQ(-ENOENT, ockam_nl_transport_detach(self->nl, "c1", NULL));
	ASSERT_EQ(0, wait_event(events, OCKAM_CMD_TRANSPORT_DOWN, 2000, &ev));
	/* The peer end sees the connection close and goes too. */
	EXPECT_TRUE(WAIT_FOR(!has_transport(self->nl, "c2"), 3000));
	EXPECT_EQ(-1, send_to(self->a, "0#c1 => 0#b", "x", 1));
	EXPECT_EQ(EHOSTUNREACH, errno);
	ockam_events_close(events);
}

TEST_F(pair, transport_dies_with_its_netlink_socket)
{
	struct ockam_nl *owner;
	int client, server;

	ASSERT_EQ(0, ockam_nl_open(&owner, NULL));
	ASSERT_EQ(0, tcp_pair(&client, &server));
	ASSERT_EQ(0, attach(owner, client, "owned1", NULL,
			    OCKAM_TRANSPORT_F_OUTGOING));
	ASSERT_EQ(0, attach(owner, server, "owned2", NULL, 0));
	close(client);
	close(server);
	EXPECT_TRUE(has_transport(self->nl, "owned1"));
	ockam_nl_close(owner);
	EXPECT_TRUE(WAIT_FOR(!has_transport(self->nl, "owned1") &&
			     !has_transport(self->nl, "owned2"), 3000));
	/* Those of other netlink sockets stay. */
	EXPECT_TRUE(has_transport(self->nl, "c1"));
}

TEST_F(pair, attach_errors)
{
	struct ockam_transport_info info;
	struct ockam_err err;
	int udp = socket(AF_INET, SOCK_DGRAM, 0);
	uint16_t port;
	int lfd = tcp_listener(&port);
	int client, server, pipefd[2];

	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_EQ(-EBADF, ockam_nl_transport_attach(self->nl, 999, NULL, NULL,
						    0, &info, NULL));
	EXPECT_EQ(-ENOTSOCK, ockam_nl_transport_attach(self->nl, pipefd[0],
						       NULL, NULL, 0, &info,
						       NULL));
	EXPECT_EQ(-EPROTOTYPE, ockam_nl_transport_attach(self->nl, udp, NULL,
							 NULL, 0, &info, NULL));
	EXPECT_EQ(-ENOTCONN, ockam_nl_transport_attach(self->nl, lfd, NULL,
						       NULL, 0, &info, NULL));
	/* c1's socket is already attached. */
	EXPECT_EQ(-EBUSY, ockam_nl_transport_attach(self->nl, self->client,
						    NULL, NULL, 0, &info,
						    &err));
	ASSERT_EQ(0, tcp_pair(&client, &server));
	EXPECT_EQ(-EADDRINUSE, attach(self->nl, client, "c1", NULL, 0));
	EXPECT_EQ(-EADDRINUSE, attach(self->nl, client, "a", NULL, 0));
	EXPECT_EQ(-EINVAL, attach(self->nl, client, "bad/name", NULL, 0));
	EXPECT_EQ(-EINVAL, attach(self->nl, client, NULL, "bad peer", 0));
	/* After all that, the socket is still free to attach. */
	EXPECT_EQ(0, attach(self->nl, client, NULL, NULL, 0));
	close(client);
	close(server);
	close(udp);
	close(lfd);
	close(pipefd[0]);
	close(pipefd[1]);
}

/*
 * Whoever still holds an attached socket's descriptor cannot put kTLS (or
 * any other upper layer protocol) on it: both would read one receive
 * queue, and the ULP would keep our callbacks to call after we are gone.
 */
TEST_F(pair, attached_socket_refuses_an_upper_layer)
{
	char ulp[32] = "";
	socklen_t len = sizeof(ulp);
	int client, server;

	EXPECT_EQ(-1, setsockopt(self->client, SOL_TCP, TCP_ULP, "tls", 3));
	EXPECT_EQ(EEXIST, errno);
	ASSERT_EQ(0, getsockopt(self->client, SOL_TCP, TCP_ULP, ulp, &len));
	EXPECT_STREQ("ockam", ulp);
	/* The transport still works. */
	ASSERT_EQ(1, send_to(self->a, "0#c1 => 0#b", "x", 1));
	EXPECT_EQ(0, recv_expect(self->b, "x", "0#c2 => 0#a", 0));

	/* A socket that already has one is refused, and left as it was. */
	ASSERT_EQ(0, tcp_pair(&client, &server));
	ASSERT_EQ(0, setsockopt(client, SOL_TCP, TCP_ULP, "tls", 3));
	EXPECT_EQ(-EBUSY, attach(self->nl, client, "tlsd", NULL, 0));
	len = sizeof(ulp);
	ASSERT_EQ(0, getsockopt(client, SOL_TCP, TCP_ULP, ulp, &len));
	EXPECT_STREQ("tls", ulp);

	/* Detached, the slot is given back with the socket. */
	ASSERT_EQ(0, ockam_nl_transport_detach(self->nl, "c1", NULL));
	len = sizeof(ulp);
	ASSERT_EQ(0, getsockopt(self->client, SOL_TCP, TCP_ULP, ulp, &len));
	EXPECT_EQ(0, len);
	close(client);
	close(server);
}

/* A peer cannot make a node connect anywhere unless the node allows it. */
TEST_F(pair, forwarded_messages_do_not_dial_by_default)
{
	uint64_t unreachable = node_stat(self->nl, OCKAM_STAT_DROP_UNREACHABLE);
	struct ockam_node_info info;
	struct ockam_events *events;
	struct ockam_event ev;
	struct ockam_route rt;

	ASSERT_EQ(0, ockam_nl_node_get(self->nl, &info, NULL));
	EXPECT_FALSE(info.dial_forwarded);
	/* Someone listens, so a dial could be asked for: it is not. */
	ASSERT_EQ(0, ockam_events_open(&events, NULL));
	ASSERT_EQ(1, send_to(self->a, "0#c1 => 1#127.0.0.1:9 => 0#b", "x", 1));
	EXPECT_TRUE(WAIT_FOR(node_stat(self->nl, OCKAM_STAT_DROP_UNREACHABLE) ==
			     unreachable + 1, 2000));
	EXPECT_EQ(0, node_stat(self->nl, OCKAM_STAT_DIALS));

	/* Where this node's own alias leads, it was told to go. */
	ASSERT_EQ(0, ockam_route_parse(&rt, "1#127.0.0.1:9 => 0#b", NULL, NULL,
				       NULL));
	ASSERT_EQ(0, ockam_nl_alias_add(self->nl, "fwd", &rt, NULL));
	ASSERT_EQ(1, send_to(self->a, "0#c1 => 0#fwd", "x", 1));
	ASSERT_EQ(0, wait_event(events, OCKAM_CMD_DIAL_REQUEST, 2000, &ev));
	EXPECT_STREQ("127.0.0.1:9", ev.peer);
	EXPECT_EQ(1, node_stat(self->nl, OCKAM_STAT_DIALS));
	/* Back out over a transport and in again, the rest is the peer's. */
	ASSERT_EQ(0, ockam_route_parse(&rt, "0#c1", NULL, NULL, NULL));
	ASSERT_EQ(0, ockam_nl_alias_add(self->nl, "loop", &rt, NULL));
	ASSERT_EQ(1, send_to(self->a, "0#c1 => 0#loop => 1#127.0.0.2:9 => 0#b",
			     "x", 1));
	EXPECT_TRUE(WAIT_FOR(node_stat(self->nl, OCKAM_STAT_DROP_UNREACHABLE) ==
			     unreachable + 2, 2000));
	EXPECT_EQ(1, node_stat(self->nl, OCKAM_STAT_DIALS));
	ockam_events_close(events);
}

TEST_F(pair, connection_killed_mid_stream)
{
	char payload[2048] = { 0 }, buf[4096];
	int client, server, i, got = 0;

	/* Queue more than the connection can take at once, then kill it. */
	for (i = 0; i < 200; i++)
		if (send_to(self->a, "0#c1 => 0#b", payload,
			    sizeof(payload)) < 0)
			break;
	ASSERT_EQ(0, shutdown(self->client, SHUT_RDWR));
	EXPECT_TRUE(WAIT_FOR(!has_transport(self->nl, "c1") &&
			     !has_transport(self->nl, "c2"), 3000));
	while (recv(self->b, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		got++;
	EXPECT_GE(200, got);
	/* Senders hear about it: first that queued messages were lost, then
	 * that the address is gone.
	 */
	if (send_to(self->a, "0#c1 => 0#b", "x", 1) == -1 && errno == ECONNRESET)
		ASSERT_EQ(-1, send_to(self->a, "0#c1 => 0#b", "x", 1));
	EXPECT_EQ(EHOSTUNREACH, errno);
	/* No word of a loss comes once the address is gone. */
	usleep(200 * 1000);
	ASSERT_EQ(-1, send_to(self->a, "0#c1 => 0#b", "x", 1));
	EXPECT_EQ(EHOSTUNREACH, errno);

	/* ... and the route works again once the connection is back. */
	ASSERT_EQ(0, tcp_pair(&client, &server));
	ASSERT_EQ(0, attach(self->nl, client, "c1", NULL, 0));
	ASSERT_EQ(0, attach(self->nl, server, "c2", NULL, 0));
	close(client);
	close(server);
	ASSERT_EQ(5, send_to(self->a, "0#c1 => 0#b", "again", 5));
	EXPECT_EQ(0, recv_expect(self->b, "again", "0#c2 => 0#a", 0));
}

/* ---- dial on demand, with the test as the daemon ---- */

FIXTURE(dial)
{
	struct ockam_nl *nl;
	struct ockam_events *events;
	int lfd;
	uint16_t port;
	char peer[32];
	char route[64];
	int a;
	int b;
};

FIXTURE_SETUP(dial)
{
	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, ockam_nl_open(&self->nl, NULL));
	ASSERT_EQ(0, ockam_events_open(&self->events, NULL));
	self->lfd = tcp_listener(&self->port);
	ASSERT_LE(0, self->lfd);
	snprintf(self->peer, sizeof(self->peer), "127.0.0.1:%u", self->port);
	snprintf(self->route, sizeof(self->route), "1#%s => 0#b", self->peer);
	self->a = sock_bound("a");
	self->b = sock_bound("b");
	ASSERT_EQ(0, set_rcvtimeo(self->b, 5000));
}

FIXTURE_TEARDOWN(dial)
{
	close(self->a);
	close(self->b);
	close(self->lfd);
	ockam_events_close(self->events);
	ockam_nl_close(self->nl);
}

TEST_F(dial, message_waits_for_the_connection)
{
	struct ockam_event ev;
	int client, server, i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(2, send_to(self->a, self->route, "hi", 2));
	ASSERT_EQ(0, wait_event(self->events, OCKAM_CMD_DIAL_REQUEST, 2000,
				&ev));
	EXPECT_STREQ(self->peer, ev.peer);
	EXPECT_EQ(1, node_stat(self->nl, OCKAM_STAT_DIALS));

	client = tcp_connect(self->port);
	server = accept(self->lfd, NULL, NULL);
	ASSERT_EQ(0, attach(self->nl, server, "in", NULL, 0));
	ASSERT_EQ(0, attach(self->nl, client, "out", self->peer,
			    OCKAM_TRANSPORT_F_OUTGOING));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, recv_expect(self->b, "hi", "0#in => 0#a", 0));

	/* The connection is reused: no second dial. */
	ASSERT_EQ(2, send_to(self->a, self->route, "hi", 2));
	EXPECT_EQ(0, recv_expect(self->b, "hi", "0#in => 0#a", 0));
	EXPECT_EQ(1, node_stat(self->nl, OCKAM_STAT_DIALS));
	close(client);
	close(server);
}

TEST_F(dial, failed_dial_reaches_the_sender)
{
	struct ockam_event ev;
	char buf[4];

	ASSERT_EQ(2, send_to(self->a, self->route, "hi", 2));
	ASSERT_EQ(0, wait_event(self->events, OCKAM_CMD_DIAL_REQUEST, 2000,
				&ev));
	ASSERT_EQ(0, ockam_nl_dial_failed(self->nl, ev.peer, ECONNREFUSED,
					  NULL));
	/* Reported like an ICMP error on UDP: on the next call. */
	EXPECT_EQ(-1, recv(self->a, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(ECONNREFUSED, errno);
	EXPECT_EQ(1, node_stat(self->nl, OCKAM_STAT_DROP_UNREACHABLE));
}

TEST_F(dial, dial_times_out)
{
	struct ockam_node_settings set = { .dial_timeout_ms = 200 };
	struct ockam_event ev;
	char buf[4];

	ASSERT_EQ(0, ockam_nl_node_set(self->nl, &set, NULL));
	ASSERT_EQ(2, send_to(self->a, self->route, "hi", 2));
	ASSERT_EQ(0, wait_event(self->events, OCKAM_CMD_DIAL_REQUEST, 2000,
				&ev));
	ASSERT_EQ(0, set_rcvtimeo(self->a, 2000));
	EXPECT_EQ(-1, recv(self->a, buf, sizeof(buf), 0));
	EXPECT_EQ(ETIMEDOUT, errno);
}

TEST_F(dial, queue_for_one_peer_is_bounded)
{
	struct ockam_event ev;
	int sndbuf = 1 << 20, i, sent = 0;

	/*
	 * Parked messages are charged to the sender's buffer: room for 300
	 * whatever an skb's truesize (on 6.12, 238 fill the default
	 * 208 KiB), so that the per-peer bound is what refuses one.
	 */
	ASSERT_EQ(0, setsockopt(self->a, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
				sizeof(sndbuf)));
	for (i = 0; i < 300; i++) {
		if (send_to(self->a, self->route, "q", 1) != 1)
			break;
		sent++;
	}
	/* 256 wait for the dial; the next one is refused at once. */
	EXPECT_EQ(256, sent);
	EXPECT_EQ(ENOBUFS, errno);
	ASSERT_EQ(0, wait_event(self->events, OCKAM_CMD_DIAL_REQUEST, 2000,
				&ev));
	EXPECT_EQ(1, node_stat(self->nl, OCKAM_STAT_DIALS));
}

/*
 * Parked messages are bounded in bytes per node, not only in count: a
 * peer's messages are charged to no socket. The budget is that of one
 * transmit queue, 4 MiB at the default max message of 1 MiB.
 */
TEST_F(dial, parked_bytes_are_bounded_per_node)
{
	size_t size = 1000 * 1000, budget = 4 << 20;
	uint64_t full = node_stat(self->nl, OCKAM_STAT_DROP_BUFFER_FULL);
	int sndbuf = 64 << 20, i, sent = 0, other;
	char *payload = calloc(1, size), route[64];

	ASSERT_NE(NULL, payload);
	/* Root may charge this one socket far past the budget. */
	ASSERT_EQ(0, setsockopt(self->a, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
				sizeof(sndbuf)));
	for (i = 0; i < 16; i++) {
		snprintf(route, sizeof(route), "1#127.0.0.1:%d => 0#b",
			 1000 + i);
		if (send_to(self->a, route, payload, size) != (ssize_t)size)
			break;
		sent++;
	}
	EXPECT_EQ(ENOBUFS, errno);
	EXPECT_LE(2, sent);
	EXPECT_GE(budget / size, (size_t)sent);
	/* Full in bytes: a peer already being dialed takes no more either. */
	EXPECT_EQ(-1, send_to(self->a, "1#127.0.0.1:1000 => 0#b", payload,
			      size));
	EXPECT_EQ(ENOBUFS, errno);
	EXPECT_LE(full + 2, node_stat(self->nl, OCKAM_STAT_DROP_BUFFER_FULL));
	/* A dial that fails gives its bytes back (and tells @a). */
	ASSERT_EQ(0, ockam_nl_dial_failed(self->nl, "127.0.0.1:1000",
					  ECONNREFUSED, NULL));
	other = sock_bound(NULL);
	EXPECT_EQ(size, send_to(other, self->route, payload, size));
	close(other);
	free(payload);
}

/* One sender's numbered messages, sent while its peer is being dialed. */
struct dial_sender {
	int fd;
	const char *route;
	uint32_t from;
	uint32_t to;
	int err;
	/* Sends refused as the dial's queue was full. */
	uint32_t refused;
};

static void *send_numbered(void *arg)
{
	struct dial_sender *d = arg;
	uint32_t n;

	for (n = d->from; n < d->to; n++) {
		/* A full queue refuses a message: send it again. */
		while (send_to(d->fd, d->route, &n, sizeof(n)) < 0) {
			if (errno != ENOBUFS) {
				d->err = errno;
				return NULL;
			}
			__atomic_add_fetch(&d->refused, 1, __ATOMIC_RELAXED);
			sched_yield();
		}
	}
	return NULL;
}

/*
 * What a sender parked for a dial goes first: a message it sends while
 * the connection comes up (the transport published, the parked ones not
 * yet routed) waits behind them instead of taking the new transport
 * before them.
 */
TEST_F(dial, parked_messages_are_not_overtaken)
{
	enum { PARKED = 200, TOTAL = 3000 };
	struct dial_sender d = { .fd = self->a, .route = self->route,
				 .from = PARKED, .to = TOTAL };
	int buf = 16 << 20, client, server;
	uint32_t n, expect = 0;
	struct ockam_event ev;
	pthread_t thread;

	/*
	 * Room for every message at both ends: the sender's buffer is not
	 * what holds it back (parked messages are charged to it), the
	 * dial's queue is, which it retries at once.
	 */
	ASSERT_EQ(0, setsockopt(self->a, SOL_SOCKET, SO_SNDBUFFORCE, &buf,
				sizeof(buf)));
	ASSERT_EQ(0, setsockopt(self->b, SOL_SOCKET, SO_RCVBUFFORCE, &buf,
				sizeof(buf)));
	for (n = 0; n < PARKED; n++)
		ASSERT_EQ(sizeof(n), send_to(self->a, self->route, &n,
					     sizeof(n)));
	ASSERT_EQ(0, wait_event(self->events, OCKAM_CMD_DIAL_REQUEST, 2000,
				&ev));
	/*
	 * The sender goes on, and is already refused by the full queue
	 * (256), when the connection is attached.
	 */
	ASSERT_EQ(0, pthread_create(&thread, NULL, send_numbered, &d));
	ASSERT_TRUE(WAIT_FOR(__atomic_load_n(&d.refused, __ATOMIC_RELAXED),
			     5000));
	client = tcp_connect(self->port);
	server = accept(self->lfd, NULL, NULL);
	ASSERT_EQ(0, attach(self->nl, server, "in", NULL, 0));
	ASSERT_EQ(0, attach(self->nl, client, "out", self->peer,
			    OCKAM_TRANSPORT_F_OUTGOING));
	while (expect < TOTAL && recv(self->b, &n, sizeof(n), 0) == sizeof(n)) {
		if (n != expect)
			break;
		expect++;
	}
	pthread_join(thread, NULL);
	EXPECT_EQ(0, d.err);
	/* Every message, in the order sent. */
	EXPECT_EQ(TOTAL, expect) {
		TH_LOG("message %u came where %u was due", n, expect);
	}
	EXPECT_EQ(1, node_stat(self->nl, OCKAM_STAT_DIALS));
	close(client);
	close(server);
}

/* ---- IPv6 ---- */

static int tcp6_pair(int *client, int *server)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t len = sizeof(sin6);
	int lfd = socket(AF_INET6, SOCK_STREAM, 0);

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin6, sizeof(sin6)) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&sin6, &len))
		return -1;
	*client = socket(AF_INET6, SOCK_STREAM, 0);
	if (connect(*client, (struct sockaddr *)&sin6, sizeof(sin6)))
		return -1;
	*server = accept(lfd, NULL, NULL);
	close(lfd);
	return *server < 0 ? -1 : 0;
}

TEST(ipv6_transport)
{
	struct ockam_transport_info info;
	struct ockam_nl *nl;
	int client, server, a, b;

	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, ockam_nl_open(&nl, NULL));
	ASSERT_EQ(0, tcp6_pair(&client, &server));
	ASSERT_EQ(0, ockam_nl_transport_attach(nl, client, "c6", NULL, 0,
					       &info, NULL));
	EXPECT_EQ(0, strncmp(info.peer, "[::1]:", 6));
	EXPECT_EQ(0, strncmp(info.local, "[::1]:", 6));
	ASSERT_EQ(0, attach(nl, server, "s6", NULL, 0));
	a = sock_bound("a");
	b = sock_bound("b");
	ASSERT_EQ(0, set_rcvtimeo(b, 5000));
	ASSERT_EQ(2, send_to(a, "0#c6 => 0#b", "v6", 2));
	EXPECT_EQ(0, recv_expect(b, "v6", "0#s6 => 0#a", 0));
	close(a);
	close(b);
	close(client);
	close(server);
	ockam_nl_close(nl);
}

/* ---- a hostile peer: raw bytes at an attached connection ---- */

FIXTURE(raw)
{
	struct ockam_nl *nl;
	int peer;	/* our raw end of the connection */
	int b;
};

FIXTURE_SETUP(raw)
{
	int server;
	char version;

	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, ockam_nl_open(&self->nl, NULL));
	ASSERT_EQ(0, tcp_pair(&self->peer, &server));
	ASSERT_EQ(0, attach(self->nl, server, "srv", NULL, 0));
	close(server);
	self->b = sock_bound("b");
	ASSERT_EQ(0, set_rcvtimeo(self->b, 3000));
	/* The kernel speaks first: its version byte. */
	ASSERT_EQ(1, recv(self->peer, &version, 1, 0));
	ASSERT_EQ(OCKAM_TCP_VERSION, version);
}

FIXTURE_TEARDOWN(raw)
{
	close(self->b);
	close(self->peer);
	ockam_nl_close(self->nl);
}

/* A frame: u32 big-endian length, then @len bytes. */
static int send_frame(int fd, const void *msg, uint32_t len)
{
	uint32_t be = htonl(len);

	if (send(fd, &be, 4, MSG_MORE) != 4)
		return -1;
	return send(fd, msg, len, 0) == (ssize_t)len ? 0 : -1;
}

/* The message for "onward [0#b], return [0#peer], payload": */
static size_t good_message(unsigned char *buf, const char *payload)
{
	size_t len = strlen(payload);

	memcpy(buf, "\x01" "\x01\x00\x01" "b" "\x01\x00\x04" "peer", 12);
	buf[12] = len;
	memcpy(buf + 13, payload, len);
	return 13 + len;
}

/* Is the connection closed from the kernel's side? */
static bool peer_sees_close(int fd)
{
	char buf[64];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		if (poll(&pfd, 1, 3000) != 1)
			return false;
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			return true;
	}
}

static void expect_dropped(struct __test_metadata *_metadata,
			   FIXTURE_DATA(raw) *self, enum ockam_stat stat,
			   const void *bytes, size_t len, bool framed)
{
	uint64_t before = node_stat(self->nl, stat);

	if (framed) {
		ASSERT_EQ(0, send_frame(self->peer, bytes, len));
	} else {
		ASSERT_EQ(len, send(self->peer, bytes, len, 0));
	}
	EXPECT_TRUE(peer_sees_close(self->peer));
	EXPECT_TRUE(WAIT_FOR(!has_transport(self->nl, "srv"), 3000));
	EXPECT_EQ(before + 1, node_stat(self->nl, stat));
}

TEST_F(raw, good_message_and_reply)
{
	unsigned char msg[64], reply[64];
	struct sockaddr_ockam from;
	socklen_t fromlen = sizeof(from);
	static const unsigned char expect[] = {
		0, 0, 0, 16,
		0x01, 0x01, 0x00, 0x04, 'p', 'e', 'e', 'r',
		0x01, 0x00, 0x01, 'b',
		0x03, 'a', 'c', 'k',
	};
	char buf[8];

	ASSERT_EQ(1, send(self->peer, "\x01", 1, 0));
	ASSERT_EQ(0, send_frame(self->peer, msg, good_message(msg, "hello")));
	ASSERT_EQ(5, recvfrom(self->b, buf, sizeof(buf), 0,
			      (struct sockaddr *)&from, &fromlen));
	ASSERT_EQ(3, sendto(self->b, "ack", 3, 0, (struct sockaddr *)&from,
			    fromlen));
	/* srv popped itself: the peer gets onward [0#peer], return [0#b]. */
	ASSERT_EQ(sizeof(expect), recv(self->peer, reply, sizeof(expect),
				       MSG_WAITALL));
	EXPECT_EQ(0, memcmp(expect, reply, sizeof(expect))) {
		size_t i;

		for (i = 0; i < sizeof(expect); i++)
			TH_LOG("byte %zu: expected %02x, got %02x", i,
			       expect[i], reply[i]);
	}
}

TEST_F(raw, frame_split_at_every_byte)
{
	unsigned char msg[64], frame[68];
	size_t len = good_message(msg, "slow"), i;
	uint32_t be = htonl(len);

	memcpy(frame, &be, 4);
	memcpy(frame + 4, msg, len);
	ASSERT_EQ(1, send(self->peer, "\x01", 1, 0));
	for (i = 0; i < len + 4; i++) {
		ASSERT_EQ(1, send(self->peer, frame + i, 1, 0));
		usleep(2000);
	}
	EXPECT_EQ(0, recv_expect(self->b, "slow", "0#srv => 0#peer", 0));
}

TEST_F(raw, bad_version_byte)
{
	expect_dropped(_metadata, self, OCKAM_STAT_DROP_BAD_FRAME, "\x02", 1,
		       false);
}

TEST_F(raw, length_over_the_maximum)
{
	static const unsigned char huge[] = { 0x01, 0x7f, 0xff, 0xff, 0xff };

	expect_dropped(_metadata, self, OCKAM_STAT_DROP_TOO_BIG, huge,
		       sizeof(huge), false);
}

TEST_F(raw, text_instead_of_frames)
{
	static const char http[] = "\x01GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	expect_dropped(_metadata, self, OCKAM_STAT_DROP_TOO_BIG, http,
		       sizeof(http) - 1, false);
}

TEST_F(raw, zero_length_frame)
{
	static const unsigned char zero[] = { 0x01, 0, 0, 0, 0 };

	expect_dropped(_metadata, self, OCKAM_STAT_DROP_BAD_FRAME, zero,
		       sizeof(zero), false);
}

TEST_F(raw, truncated_uleb128)
{
	ASSERT_EQ(1, send(self->peer, "\x01", 1, 0));
	expect_dropped(_metadata, self, OCKAM_STAT_DROP_BAD_FRAME,
		       "\x01\x01\x00\x85", 4, true);
}

TEST_F(raw, overlong_uleb128)
{
	ASSERT_EQ(1, send(self->peer, "\x01", 1, 0));
	expect_dropped(_metadata, self, OCKAM_STAT_DROP_BAD_FRAME,
		       "\x01\x01\x00\x81\x80\x80\x80\x80\x00" "b", 10, true);
}

TEST_F(raw, non_minimal_uleb128)
{
	ASSERT_EQ(1, send(self->peer, "\x01", 1, 0));
	expect_dropped(_metadata, self, OCKAM_STAT_DROP_BAD_FRAME,
		       "\x01\x81\x00\x00\x01" "b" "\x00\x00", 8, true);
}

TEST_F(raw, absurd_route)
{
	unsigned char msg[256] = { 0x01, 65 };
	int i;

	for (i = 0; i < 65; i++) {
		msg[2 + 3 * i] = 0;
		msg[3 + 3 * i] = 1;
		msg[4 + 3 * i] = 'b';
	}
	msg[2 + 3 * 65] = 0;
	msg[3 + 3 * 65] = 0;
	ASSERT_EQ(1, send(self->peer, "\x01", 1, 0));
	expect_dropped(_metadata, self, OCKAM_STAT_DROP_BAD_FRAME, msg,
		       4 + 3 * 65, true);
}

TEST_F(raw, payload_length_mismatch)
{
	ASSERT_EQ(1, send(self->peer, "\x01", 1, 0));
	expect_dropped(_metadata, self, OCKAM_STAT_DROP_BAD_FRAME,
		       "\x01\x01\x00\x01" "b" "\x00\x05" "abc", 10, true);
}

TEST_F(raw, heartbeat_and_unknown_address_keep_the_connection)
{
	unsigned char msg[64];
	uint64_t beats = node_stat(self->nl, OCKAM_STAT_HEARTBEATS);
	uint64_t unknown = node_stat(self->nl, OCKAM_STAT_DROP_UNKNOWN_ADDRESS);

	ASSERT_EQ(1, send(self->peer, "\x01", 1, 0));
	/* Nowhere to go: Ockam's heartbeat. */
	ASSERT_EQ(0, send_frame(self->peer, "\x01\x00\x00\x00", 4));
	/* A local address nobody has. */
	ASSERT_EQ(0, send_frame(self->peer, "\x01\x01\x00\x01" "z" "\x00\x00",
				7));
	/* A transport type this node has no transport for. */
	ASSERT_EQ(0, send_frame(self->peer, "\x01\x01\x07\x01" "z" "\x00\x00",
				7));
	ASSERT_EQ(0, send_frame(self->peer, msg, good_message(msg, "still")));
	EXPECT_EQ(0, recv_expect(self->b, "still", "0#srv => 0#peer", 0));
	EXPECT_EQ(beats + 1, node_stat(self->nl, OCKAM_STAT_HEARTBEATS));
	EXPECT_EQ(unknown + 1,
		  node_stat(self->nl, OCKAM_STAT_DROP_UNKNOWN_ADDRESS));
	EXPECT_TRUE(has_transport(self->nl, "srv"));
}

/*
 * More messages than one receive run routes (OCKAM_TCP_RX_BUDGET, 256),
 * small enough that they reach the node in one or two segments.
 */
enum { BACKLOG = 3000 };

/* The version byte, then @n framed messages for b: "m00000" on. */
static size_t backlog(unsigned char *buf, int n)
{
	unsigned char msg[64];
	char payload[16];
	size_t len = 1, mlen;
	uint32_t be;
	int i;

	buf[0] = OCKAM_TCP_VERSION;
	for (i = 0; i < n; i++) {
		snprintf(payload, sizeof(payload), "m%05d", i);
		mlen = good_message(msg, payload);
		be = htonl(mlen);
		memcpy(buf + len, &be, 4);
		memcpy(buf + len + 4, msg, mlen);
		len += 4 + mlen;
	}
	return len;
}

/* Send backlog() in one write, and make room for it at b. */
static void send_backlog(struct __test_metadata *_metadata,
			 FIXTURE_DATA(raw) *self)
{
	unsigned char *buf = malloc(BACKLOG * 32);
	int size = 16 << 20;
	size_t len;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, setsockopt(self->b, SOL_SOCKET, SO_RCVBUFFORCE, &size,
				sizeof(size)));
	/* The whole backlog in one TCP write: segments as large as can be. */
	ASSERT_EQ(0, setsockopt(self->peer, SOL_SOCKET, SO_SNDBUFFORCE, &size,
				sizeof(size)));
	len = backlog(buf, BACKLOG);
	EXPECT_EQ(len, send(self->peer, buf, len, 0));
	free(buf);
}

/* The messages of backlog(), every one, in order, at @fd. */
static void expect_backlog(struct __test_metadata *_metadata, int fd, int n)
{
	char payload[16];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(payload, sizeof(payload), "m%05d", i);
		ASSERT_EQ(0, recv_expect(fd, payload, "0#srv => 0#peer", 0))
			TH_LOG("message %d of %d", i, n);
	}
}

/*
 * A run of the strparser stops after 256 messages, so that a peer's
 * backlog does not hold the CPU in softirq; a work item starts the next.
 * Nothing is lost or reordered at the cuts, and rx-deferred counts them.
 */
TEST_F(raw, a_backlog_is_routed_in_runs_in_order)
{
	long long deferred = transport_stat(self->nl, "srv",
					    OCKAM_STAT_RX_DEFERRED);

	ASSERT_LE(0, deferred);
	send_backlog(_metadata, self);
	expect_backlog(_metadata, self->b, BACKLOG);
	deferred = transport_stat(self->nl, "srv", OCKAM_STAT_RX_DEFERRED) -
		   deferred;
	/* Each cut takes a full run; the first segment alone has ~2800. */
	EXPECT_LE(1, deferred);
	EXPECT_GE(BACKLOG / 256, deferred);
	EXPECT_TRUE(has_transport(self->nl, "srv"));
}

/*
 * Everything sent before the close still arrives, even a backlog that
 * takes several runs: the close work reads on, run after run, after the
 * FIN.
 */
TEST_F(raw, peer_closes_after_sending)
{
	send_backlog(_metadata, self);
	close(self->peer);
	self->peer = -1;
	expect_backlog(_metadata, self->b, BACKLOG);
	EXPECT_TRUE(WAIT_FOR(!has_transport(self->nl, "srv"), 3000));
}

/*
 * Send message after message on the non-blocking @fd along @route, each
 * made by @fill (message @seq into @buf, its length returned), until none
 * has gone for a second: everything between here and the far end is
 * full. Returns how many went, or -1 on an error other than EAGAIN.
 */
static long send_until_full(int fd, const char *route, unsigned char *buf,
			    size_t (*fill)(unsigned int seq, unsigned char *buf))
{
	long long idle_since = 0;
	unsigned int sent = 0;
	size_t len;

	for (;;) {
		len = fill(sent, buf);
		if (send_to(fd, route, buf, len) == (ssize_t)len) {
			sent++;
			idle_since = 0;
			continue;
		}
		if (errno != EAGAIN)
			return -1;
		if (!idle_since)
			idle_since = now_ms();
		else if (now_ms() - idle_since > 1000)
			return sent;
		usleep(20000);
	}
}

/* 64 KiB of zeros, as the buffer already holds them. */
static size_t zeros_64k(unsigned int seq, unsigned char *buf)
{
	(void)seq;
	(void)buf;
	return 64 * 1024;
}

/*
 * The peer closes with messages for it still queued here: their sender
 * hears of the loss (ECONNRESET) by the time the address is gone, and of
 * nothing after; a late word of it would fail a send on the next
 * connection. Here the address goes while the close work routes the
 * peer's backlog, which takes a while.
 */
TEST_F(raw, lost_messages_are_reported_before_the_address_goes)
{
	unsigned char *payload = calloc(1, 64 * 1024);
	int a = sock_bound("a"), sndbuf = 1 << 20;

	ASSERT_TRUE(payload);
	ASSERT_EQ(0, fcntl(a, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, setsockopt(a, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
				sizeof(sndbuf)));
	/* The peer reads nothing: TCP fills, then the transport's queue. */
	ASSERT_LT(0, send_until_full(a, "0#srv => 0#x", payload, zeros_64k));
	free(payload);

	send_backlog(_metadata, self);
	ASSERT_EQ(0, shutdown(self->peer, SHUT_WR));
	ASSERT_TRUE(WAIT_FOR(!has_transport(self->nl, "srv"), 10000));
	EXPECT_EQ(-1, send_to(a, "0#srv => 0#x", "x", 1));
	EXPECT_EQ(ECONNRESET, errno);
	usleep(200 * 1000);
	EXPECT_EQ(-1, send_to(a, "0#srv => 0#x", "x", 1));
	EXPECT_EQ(EHOSTUNREACH, errno);
	expect_backlog(_metadata, self->b, BACKLOG);
	close(a);
}

/*
 * A relay whose next hop stops reading must not drop: it pauses the
 * connection feeding it, TCP pushes back to the sender, and the sender
 * blocks. Everything sent arrives once the far end reads again.
 */
TEST(relay_backpressure_loses_nothing)
{
	struct ockam_nl *nl;
	int c1, c2, c3, far, a, sndbuf = 65536;
	size_t size = 64 * 1024, got = 0;
	unsigned char *payload = calloc(1, size);
	char *buf = malloc(2 * size);
	uint32_t frame;
	long sent;
	char version;

	ASSERT_TRUE(payload && buf);
	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, ockam_nl_open(&nl, NULL));
	ASSERT_EQ(0, tcp_pair(&c1, &c2));
	ASSERT_EQ(0, tcp_pair(&c3, &far));
	ASSERT_EQ(0, attach(nl, c1, "c1", NULL, 0));
	ASSERT_EQ(0, attach(nl, c2, "c2", NULL, 0));
	ASSERT_EQ(0, attach(nl, c3, "c3", NULL, 0));
	a = sock_bound("a");
	ASSERT_EQ(0, fcntl(a, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, setsockopt(a, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				sizeof(sndbuf)));

	sent = send_until_full(a, "0#c1 => 0#c3 => 0#x", payload, zeros_64k);
	ASSERT_LT(0, sent);
	EXPECT_EQ(0, node_stat(nl, OCKAM_STAT_DROP_BUFFER_FULL));

	/* Now read: every message is there, in one piece. */
	ASSERT_EQ(0, set_rcvtimeo(far, 5000));
	ASSERT_EQ(1, recv(far, &version, 1, MSG_WAITALL));
	while (got < (size_t)sent) {
		ASSERT_EQ(4, recv(far, &frame, 4, MSG_WAITALL));
		frame = ntohl(frame);
		ASSERT_LT(size, frame);
		ASSERT_GT(2 * size, frame);
		ASSERT_EQ(frame, recv(far, buf, frame, MSG_WAITALL));
		got++;
	}
	EXPECT_EQ((size_t)sent, got);
	EXPECT_EQ(0, node_stat(nl, OCKAM_STAT_DROP_BUFFER_FULL));
	close(a);
	close(far);
	ockam_nl_close(nl);
	free(payload);
	free(buf);
}

/*
 * A fresh node with a transport "c3" over a TCP connection whose other
 * end, @far, the test reads as a raw peer would. With @tcp_buf, both
 * ends' TCP buffers that far (bytes) at most, so that what does not fit
 * waits in the transport's own queue. 0, or -1.
 */
static int node_with_far_end(struct ockam_nl **nl, int *far, int tcp_buf)
{
	int c3;

	if (node_fresh() || ockam_nl_open(nl, NULL) || tcp_pair(&c3, far))
		return -1;
	if (tcp_buf &&
	    (setsockopt(c3, SOL_SOCKET, SO_SNDBUF, &tcp_buf, sizeof(tcp_buf)) ||
	     setsockopt(*far, SOL_SOCKET, SO_RCVBUF, &tcp_buf,
			sizeof(tcp_buf))))
		return -1;
	if (attach(*nl, c3, "c3", NULL, 0))
		return -1;
	/* The version byte comes first, then the frames. */
	return set_rcvtimeo(*far, 5000);
}

/* The next frame at @far into @buf: its length, or -1. */
static long far_frame(int far, unsigned char *buf, size_t cap)
{
	uint32_t frame;

	if (recv(far, &frame, 4, MSG_WAITALL) != 4)
		return -1;
	frame = ntohl(frame);
	if (frame > cap || recv(far, buf, frame, MSG_WAITALL) != frame)
		return -1;
	return frame;
}

/* Message @seq of small_messages_survive_partial_writes: its length. */
static size_t partial_len(unsigned int seq)
{
	/* Linear messages of every size to 1024 bytes, and paged ones. */
	static const size_t sizes[] = {
		1, 1024, 17, 700, 1000, 5000, 64, 1023, 300, 1500, 2, 999,
	};

	return sizes[seq % (sizeof(sizes) / sizeof(sizes[0]))];
}

/* ... and its bytes: the sequence number, then a pattern of it. */
static void partial_fill(unsigned int seq, unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(seq * 131 + i * 7);
	if (len >= sizeof(seq))
		memcpy(buf, &seq, sizeof(seq));
}

static size_t partial_message(unsigned int seq, unsigned char *buf)
{
	size_t len = partial_len(seq);

	partial_fill(seq, buf, len);
	return len;
}

/*
 * Small messages go to TCP in batches, one write for several; a write TCP
 * takes only part of ends a batch anywhere, inside a message or between
 * two, and the next run goes on from there. Fill the connection until TCP
 * takes nothing more, with messages of many sizes (some paged, sent on
 * their own), then read: every message arrives whole and in order.
 */
TEST(small_messages_survive_partial_writes)
{
	unsigned char *out = malloc(8192), *in = malloc(8192);
	struct ockam_nl *nl;
	unsigned int got;
	long sent, frame;
	int far, a;
	char version;
	size_t len;

	ASSERT_TRUE(out && in);
	ASSERT_EQ(0, node_with_far_end(&nl, &far, 0));
	a = sock_bound("a");
	ASSERT_EQ(0, fcntl(a, F_SETFL, O_NONBLOCK));

	sent = send_until_full(a, "0#c3 => 0#x", out, partial_message);
	ASSERT_LT(1000, sent);

	ASSERT_EQ(1, recv(far, &version, 1, MSG_WAITALL));
	for (got = 0; got < (unsigned int)sent; got++) {
		frame = far_frame(far, in, 8192);
		len = partial_len(got);
		ASSERT_LT((long)len, frame);
		partial_fill(got, out, len);
		ASSERT_EQ(0, memcmp(in + frame - len, out, len)) {
			TH_LOG("message %u of %ld", got, sent);
		}
	}
	EXPECT_EQ(0, node_stat(nl, OCKAM_STAT_DROP_BUFFER_FULL));
	close(a);
	close(far);
	ockam_nl_close(nl);
	free(out);
	free(in);
}

/* 1 KiB of zeros, as the buffer already holds them. */
static size_t zeros_1k(unsigned int seq, unsigned char *buf)
{
	(void)seq;
	(void)buf;
	return 1024;
}

/* A ULEB128 at @*p, before @end; @*p moves past it. -1 when cut short. */
static long long far_uleb(const unsigned char **p, const unsigned char *end)
{
	long long v = 0;
	int shift;

	for (shift = 0; *p < end && shift < 35; shift += 7) {
		v |= (long long)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80))
			return v;
	}
	return -1;
}

/* Past an encoded route at @p: where it ends, or NULL. */
static const unsigned char *far_skip_route(const unsigned char *p,
					   const unsigned char *end)
{
	long long hops = far_uleb(&p, end), len;

	if (hops < 0)
		return NULL;
	while (hops--) {
		/* Each address: its type byte, then its value's length. */
		if (p++ >= end)
			return NULL;
		len = far_uleb(&p, end);
		if (len < 0 || len > end - p)
			return NULL;
		p += len;
	}
	return p;
}

/*
 * The channel counter of a frame @far_frame() read: the first 8 bytes of
 * the message's payload, past its version byte and both routes. -1 when
 * the frame is malformed.
 */
static long long far_counter(const unsigned char *frame, size_t len)
{
	const unsigned char *p = frame + 1, *end = frame + len;
	long long counter = 0;
	int i;

	p = far_skip_route(p, end);
	if (p)
		p = far_skip_route(p, end);
	if (!p || far_uleb(&p, end) < 8 || end - p < 8)
		return -1;
	for (i = 0; i < 8; i++)
		counter = counter << 8 | p[i];
	return counter;
}

/*
 * A channel on @nl's node whose route to its peer is the connection to
 * the far end ("0#c3 => 0#y"), with a fixed key; its addresses in @info.
 */
static int far_channel(struct ockam_nl *nl, struct ockam_channel_info *info)
{
	struct ockam_wire_route onward = wire("0#c3 => 0#y");
	char identifier[OCKAM_IDENTIFIER_LEN + 1];
	uint8_t key[OCKAM_KEY_LEN];
	struct ockam_channel_params p = {
		.tx_key = key, .rx_key = key,
		.route = onward.bytes, .route_len = onward.len,
		.identifier = identifier, .role = OCKAM_ROLE_INITIATOR,
	};
	int i;

	identifier[0] = 'I';
	memset(identifier + 1, 'a', OCKAM_IDENTIFIER_LEN - 1);
	identifier[OCKAM_IDENTIFIER_LEN] = '\0';
	for (i = 0; i < OCKAM_KEY_LEN; i++)
		key[i] = i * 11 + 3;
	p.fd = sock_bound("hs");
	if (p.fd < 0)
		return -1;
	return ockam_nl_channel_add(nl, &p, info, NULL) ? -1 : 0;
}

/*
 * A local socket's frames are sealed after its send() returned, so a full
 * TCP queue cannot refuse them any more: they must wait, not be lost.
 * With small TCP buffers and a send buffer half as large again as the
 * queue's limit, the sender fills the connection until it gets EAGAIN
 * (never ENOBUFS), nothing is dropped, and the far end reads every
 * frame, counters 0, 1, 2 ... in order.
 */
TEST(channel_frames_wait_for_a_full_connection)
{
	unsigned char *out = calloc(1, 8192), *in = malloc(8192);
	struct ockam_channel_info info;
	int far, a, sndbuf = 6 << 20;
	char route[320], version;
	struct ockam_nl *nl;
	unsigned int got;
	long sent, frame;

	ASSERT_TRUE(out && in);
	ASSERT_EQ(0, node_with_far_end(&nl, &far, 64 << 10));
	ASSERT_EQ(0, far_channel(nl, &info));

	a = sock_bound("a");
	ASSERT_EQ(0, fcntl(a, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, setsockopt(a, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
				sizeof(sndbuf)));
	snprintf(route, sizeof(route), "0#%s => 0#x", info.encryptor);
	sent = send_until_full(a, route, out, zeros_1k);
	ASSERT_LT(1000, sent);
	EXPECT_EQ(0, node_stat(nl, OCKAM_STAT_DROP_BUFFER_FULL));

	ASSERT_EQ(1, recv(far, &version, 1, MSG_WAITALL));
	for (got = 0; got < (unsigned int)sent; got++) {
		frame = far_frame(far, in, 8192);
		ASSERT_LT(1024, frame);
		ASSERT_EQ(got, far_counter(in, frame));
	}
	EXPECT_EQ(0, node_stat(nl, OCKAM_STAT_DROP_BUFFER_FULL));
	close(a);
	close(far);
	ockam_nl_close(nl);
	free(out);
	free(in);
}

/* A frame with onward route @onward, an empty return route, @len bytes. */
static size_t relay_frame(unsigned char *buf, const char *onward, size_t len)
{
	struct ockam_wire_route w = wire(onward);
	size_t n = 4, v = len;
	uint32_t be;

	buf[n++] = 1;
	memcpy(buf + n, w.bytes, w.len);
	n += w.len;
	buf[n++] = 0;
	do {
		buf[n] = v & 0x7f;
		if (v >> 7)
			buf[n] |= 0x80;
		n++;
	} while ((v >>= 7));
	memset(buf + n, 'r', len);
	be = htonl(n - 4 + len);
	memcpy(buf, &be, 4);
	return n + len;
}

/*
 * The socket's messages, one at a time; the far end's, until it is done,
 * with no more than INTO_WINDOW of them not read back yet (@read): a
 * backlog of small messages in the connection's receive queue is all
 * taken in one softirq run, long enough on a debug kernel under
 * emulation to set off the soft-lockup watchdog.
 */
struct into_channel {
	const char *route;
	int socket, far;
	unsigned int mine, theirs;
	volatile unsigned int read;
	volatile bool done;
};

enum {
	INTO_MINE = 300,
	INTO_MINE_LEN = 1024,
	INTO_THEIRS_LEN = 8,
	INTO_WINDOW = 64,
};

static void *into_channel_from_socket(void *arg)
{
	struct into_channel *c = arg;
	unsigned char buf[INTO_MINE_LEN] = { 0 };

	for (c->mine = 0; c->mine < INTO_MINE; c->mine++) {
		if (send_to(c->socket, c->route, buf, sizeof(buf)) !=
		    sizeof(buf))
			break;
		/* Long enough for the list to empty behind each frame. */
		usleep(300);
	}
	c->done = true;
	return NULL;
}

static void *into_channel_from_far(void *arg)
{
	struct into_channel *c = arg;
	unsigned char buf[320];
	size_t len = relay_frame(buf, c->route, INTO_THEIRS_LEN);
	long long since;

	for (c->theirs = 0; !c->done; c->theirs++) {
		/* A dropped frame never comes back: wait a while, not for ever. */
		since = now_ms();
		while (c->theirs - c->read >= INTO_WINDOW && !c->done &&
		       now_ms() - since < 1000)
			usleep(50);
		if (send(c->far, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
			break;
	}
	return NULL;
}

/*
 * A local socket's frames are sealed by workers and leave from whichever
 * context seals the first of them; a message from another node is sealed
 * where it arrives, and sent on at once when nothing is ahead of it.
 * "Nothing ahead" must include a frame the sending context took off the
 * list and has not sent yet. The far end keeps small messages going into
 * a channel (INTO_WINDOW unread) while a local socket sends one now and
 * then, each of whose frames leaves just as the list empties: the far end
 * must read every frame in counter order, every one of the socket's, and
 * all of its own but those a full queue dropped (and counted).
 */
TEST(frames_from_here_and_from_a_peer_leave_in_counter_order)
{
	unsigned char *in = malloc(8192);
	unsigned int got = 0, mine = 0, behind = 0;
	struct ockam_channel_info info;
	long long counter, last = -1;
	struct into_channel c = {};
	pthread_t tm, tt;
	char route[320], version;
	struct ockam_nl *nl;
	int far, a;
	long frame;

	ASSERT_TRUE(in);
	ASSERT_EQ(0, node_with_far_end(&nl, &far, 0));
	ASSERT_EQ(0, far_channel(nl, &info));
	ASSERT_EQ(1, recv(far, &version, 1, MSG_WAITALL));
	ASSERT_EQ(1, send(far, "\x01", 1, 0));
	ASSERT_EQ(0, set_rcvtimeo(far, 2000));
	a = sock_bound("a");
	ASSERT_LE(0, a);
	snprintf(route, sizeof(route), "0#%s => 0#x", info.encryptor);
	c = (struct into_channel){ .route = route, .socket = a, .far = far };
	ASSERT_EQ(0, pthread_create(&tt, NULL, into_channel_from_far, &c));
	ASSERT_EQ(0, pthread_create(&tm, NULL, into_channel_from_socket, &c));

	/* Until nothing came for the receive timeout. */
	while ((frame = far_frame(far, in, 8192)) > 0) {
		counter = far_counter(in, frame);
		ASSERT_LE(0, counter);
		if (counter <= last && !behind++)
			TH_LOG("frame %u: counter %lld after %lld", got,
			       counter, last);
		last = counter;
		mine += frame > INTO_MINE_LEN;
		got++;
		c.read = got - mine;
	}
	pthread_join(tm, NULL);
	pthread_join(tt, NULL);
	TH_LOG("%u frames, %u of the socket's and %u of %u from the far end",
	       got, mine, got - mine, c.theirs);
	EXPECT_EQ(0, behind);
	EXPECT_EQ(INTO_MINE, c.mine);
	EXPECT_EQ(INTO_MINE, mine);
	EXPECT_EQ(c.theirs, got - mine +
		  node_stat(nl, OCKAM_STAT_DROP_BUFFER_FULL));
	close(a);
	close(far);
	ockam_nl_close(nl);
	free(in);
}

/*
 * The relay's inbound connection closes while it is paused for a full
 * outbound queue: its close work routes what the peer sent last into that
 * queue again. It must not be paused (linked) again, or it would be freed
 * still on the outbound's list, and the outbound's resume walks freed
 * memory once the far end reads (KASAN on the debug kernel).
 */
TEST(relay_inbound_closes_while_throttled)
{
	size_t size = 64 * 1024, frame_len, sent = 0, got = 0;
	struct timeval tv = { .tv_sec = 3 };
	unsigned char *frame = malloc(size + 64);
	char *buf = malloc(size + 64), version;
	const enum ockam_stat rx = OCKAM_STAT_RX_MESSAGES;
	int peer, in, out, far, small = 4096;
	struct ockam_nl *nl;
	uint32_t len;
	int a;

	ASSERT_TRUE(frame && buf);
	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, ockam_nl_open(&nl, NULL));
	ASSERT_EQ(0, tcp_pair(&peer, &in));
	ASSERT_EQ(0, tcp_pair(&out, &far));
	/* A small send buffer after the relay, so its own queue fills. */
	ASSERT_EQ(0, setsockopt(out, SOL_SOCKET, SO_SNDBUF, &small,
				sizeof(small)));
	ASSERT_EQ(0, attach(nl, in, "in", NULL, 0));
	ASSERT_EQ(0, attach(nl, out, "out", NULL, 0));
	close(in);
	close(out);
	ASSERT_EQ(1, recv(peer, &version, 1, 0));
	ASSERT_EQ(1, send(peer, "\x01", 1, 0));
	ASSERT_EQ(0, setsockopt(peer, SOL_SOCKET, SO_SNDTIMEO, &tv,
				sizeof(tv)));

	/*
	 * One frame at a time until the relay stops taking them off "in":
	 * it has paused "in". That cannot be before out's queue holds half
	 * its 4 MiB limit (32 frames, more with what the far end's receive
	 * buffer takes); until then every frame is read, however slowly.
	 * The receive buffer of "in" (at least a max message) still has
	 * room for one more frame and the FIN behind it.
	 */
	frame_len = relay_frame(frame, "0#out => 0#x", size);
	for (;;) {
		ASSERT_EQ(frame_len, send(peer, frame, frame_len,
					  MSG_NOSIGNAL));
		sent++;
		if (sent < 32) {
			ASSERT_TRUE(WAIT_FOR(transport_stat(nl, "in", rx) ==
					     (long long)sent, 10000));
			continue;
		}
		if (!WAIT_FOR(transport_stat(nl, "in", rx) == (long long)sent,
			      2000))
			break;
		ASSERT_GT(100, sent);
	}
	ASSERT_EQ(frame_len, send(peer, frame, frame_len, MSG_NOSIGNAL));
	sent++;
	/* The peer's last word: "in" closes and drains into "out". */
	ASSERT_EQ(0, shutdown(peer, SHUT_WR));
	EXPECT_TRUE(WAIT_FOR(!has_transport(nl, "in"), 5000));
	/* Let its memory be freed before "out" resumes anyone. */
	usleep(200000);

	/* The far end reads: every frame is whole; "out" keeps working. */
	ASSERT_EQ(0, set_rcvtimeo(far, 3000));
	ASSERT_EQ(1, recv(far, &version, 1, MSG_WAITALL));
	while (got < sent && recv(far, &len, 4, MSG_WAITALL) == 4) {
		len = ntohl(len);
		ASSERT_GE(size + 64, len);
		ASSERT_EQ(len, recv(far, buf, len, MSG_WAITALL));
		got++;
	}
	EXPECT_LT(0, got);
	a = sock_bound("a");
	ASSERT_EQ(5, send_to(a, "0#out => 0#x", "after", 5));
	ASSERT_EQ(4, recv(far, &len, 4, MSG_WAITALL));
	EXPECT_TRUE(has_transport(nl, "out"));
	close(a);
	close(peer);
	close(far);
	ockam_nl_close(nl);
	free(frame);
	free(buf);
}

static int transport_detach(void *nl, const char *address)
{
	return ockam_nl_transport_detach(nl, address, NULL);
}

/*
 * A transport closes as its attach returns: a thread detaches it by name
 * while its peer, every other round, resets the connection. The attach
 * succeeds, or fails as the socket is no longer connected; either way
 * the transport is gone after, and the kernel log stays clean.
 */
TEST(attach_races_a_detach_and_a_reset)
{
	struct detach_race race = {
		.detach = transport_detach, .address = "race",
	};
	int round, client, server, err;
	struct ockam_nl *nl, *other;

	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, ockam_nl_open(&nl, NULL));
	ASSERT_EQ(0, ockam_nl_open(&other, NULL));
	race.ctx = other;
	for (round = 0; round < 60; round++) {
		ASSERT_EQ(0, tcp_pair(&client, &server));
		/* Something to read at once: the peer's version byte. */
		ASSERT_EQ(1, send(server, "\x01", 1, 0));
		race.reset_fd = round % 2 ? server : -1;
		ASSERT_EQ(0, detach_race_start(&race, round));
		err = attach(nl, client, "race", NULL, 0);
		detach_race_end(&race, err);
		if (err)
			ASSERT_EQ(-ENOTCONN, err);
		ockam_nl_transport_detach(nl, "race", NULL);
		ASSERT_TRUE(WAIT_FOR(!has_transport(nl, "race"), 5000));
		close(client);
		if (race.reset_fd < 0)
			close(server);
	}
	TH_LOG("attach refused %d times; detached as it returned %d times",
	       race.refused, race.undone);
	ockam_nl_close(other);
	ockam_nl_close(nl);
}

TEST_HARNESS_MAIN
