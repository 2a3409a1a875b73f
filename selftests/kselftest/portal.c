// SPDX-License-Identifier: GPL-2.0
/*
 * Portal sessions: attach errors, the PING/PONG set-up, data both ways
 * through two sessions wired to each other over loopback transports,
 * half-close, resets (DISCONNECT, sequence gap, impostor, overrun, PONG
 * timeout, refusal), flow control, detach, and teardown with live
 * sessions. Where a test needs a hostile or slow peer, an AF_OCKAM socket
 * plays the other session and speaks raw portal messages.
 */
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

/* ---- netlink: the portal commands, by hand ---- */

struct pnl {
	struct nl_sock *sk;
	int family;
};

struct preply {
	int err;
	char address[OCKAM_ADDR_VALUE_MAX + 1];
	uint32_t state;
	uint32_t queued;
	uint32_t reason;
	uint64_t cookie;
	uint64_t tx_bytes;
	uint64_t rx_bytes;
	int count;
};

static int pnl_open(struct pnl *n)
{
	n->sk = nl_socket_alloc();
	if (!n->sk || genl_connect(n->sk))
		return -1;
	n->family = genl_ctrl_resolve(n->sk, OCKAM_GENL_NAME);
	return n->family < 0 ? -1 : 0;
}

static void pnl_close(struct pnl *n)
{
	if (n->sk)
		nl_socket_free(n->sk);
	n->sk = NULL;
}

static int pnl_parse(struct nl_msg *m, void *arg)
{
	struct nlattr *top[OCKAM_A_MAX + 1], *tb[OCKAM_PORTAL_A_MAX + 1];
	struct preply *r = arg;

	if (genlmsg_parse(nlmsg_hdr(m), 0, top, OCKAM_A_MAX, NULL) ||
	    !top[OCKAM_A_PORTAL] ||
	    nla_parse_nested(tb, OCKAM_PORTAL_A_MAX, top[OCKAM_A_PORTAL], NULL))
		return NL_SKIP;
	r->count++;
	if (tb[OCKAM_PORTAL_A_ADDRESS])
		snprintf(r->address, sizeof(r->address), "%s",
			 nla_get_string(tb[OCKAM_PORTAL_A_ADDRESS]));
	if (tb[OCKAM_PORTAL_A_STATE])
		r->state = nla_get_u32(tb[OCKAM_PORTAL_A_STATE]);
	if (tb[OCKAM_PORTAL_A_QUEUED])
		r->queued = nla_get_u32(tb[OCKAM_PORTAL_A_QUEUED]);
	if (tb[OCKAM_PORTAL_A_REASON])
		r->reason = nla_get_u32(tb[OCKAM_PORTAL_A_REASON]);
	if (tb[OCKAM_PORTAL_A_COOKIE])
		r->cookie = nla_get_u64(tb[OCKAM_PORTAL_A_COOKIE]);
	if (tb[OCKAM_PORTAL_A_TX_BYTES])
		r->tx_bytes = nla_get_u64(tb[OCKAM_PORTAL_A_TX_BYTES]);
	if (tb[OCKAM_PORTAL_A_RX_BYTES])
		r->rx_bytes = nla_get_u64(tb[OCKAM_PORTAL_A_RX_BYTES]);
	return NL_OK;
}

static int pnl_error(struct sockaddr_nl *nla __attribute__((unused)),
		     struct nlmsgerr *e, void *arg)
{
	((struct preply *)arg)->err = e->error;
	return NL_STOP;
}

static int pnl_done(struct nl_msg *m __attribute__((unused)), void *arg)
{
	((struct preply *)arg)->err = 0;
	return NL_STOP;
}

/* Send @msg (consumed) and collect the reply; returns 0 or -errno. */
static int pnl_request(struct pnl *n, struct nl_msg *msg, struct preply *r)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int ret;

	memset(r, 0, sizeof(*r));
	r->err = 1;
	nl_cb_err(cb, NL_CB_CUSTOM, pnl_error, r);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, pnl_parse, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, pnl_done, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, pnl_done, r);
	ret = nl_send_auto(n->sk, msg);
	nlmsg_free(msg);
	while (ret >= 0 && r->err == 1)
		ret = nl_recvmsgs(n->sk, cb);
	nl_cb_put(cb);
	return r->err == 1 ? -EIO : r->err;
}

struct attach_req {
	int fd;
	uint32_t role;
	const char *route;		/* text form, or NULL: @raw */
	const struct ockam_wire_route *raw;
	const char *identifier;
	uint32_t flags;
	uint32_t window;
	uint32_t timeout;
	uint64_t cookie;
	uint32_t peer_window;		/* outlets: the PING's */
	uint32_t bad_attr;		/* an attribute number to add, if any */
	const char *address;		/* the session's, or NULL: random */
};

static int portal_attach(struct pnl *n, const struct attach_req *q,
			 char *address)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct ockam_wire_route w;
	struct nlattr *nest;
	struct preply r;
	int err;

	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, n->family, 0, 0,
		    OCKAM_CMD_PORTAL_ATTACH, OCKAM_GENL_VERSION);
	nest = nla_nest_start(msg, OCKAM_A_PORTAL);
	nla_put_u32(msg, OCKAM_PORTAL_A_FD, q->fd);
	if (q->role)
		nla_put_u32(msg, OCKAM_PORTAL_A_ROLE, q->role);
	w = q->route ? wire(q->route) : *q->raw;
	nla_put(msg, OCKAM_PORTAL_A_ROUTE, w.len, w.bytes);
	if (q->identifier)
		nla_put_string(msg, OCKAM_PORTAL_A_IDENTIFIER, q->identifier);
	nla_put_u32(msg, OCKAM_PORTAL_A_FLAGS, q->flags);
	if (q->window)
		nla_put_u32(msg, OCKAM_PORTAL_A_WINDOW, q->window);
	if (q->timeout)
		nla_put_u32(msg, OCKAM_PORTAL_A_TIMEOUT, q->timeout);
	nla_put_u64(msg, OCKAM_PORTAL_A_COOKIE, q->cookie);
	if (q->peer_window)
		nla_put_u32(msg, OCKAM_PORTAL_A_PEER_WINDOW, q->peer_window);
	if (q->address)
		nla_put_string(msg, OCKAM_PORTAL_A_ADDRESS, q->address);
	if (q->bad_attr)
		nla_put_u32(msg, q->bad_attr, 0);
	nla_nest_end(msg, nest);
	err = pnl_request(n, msg, &r);
	if (!err && address)
		strcpy(address, r.address);
	return err;
}

static int portal_detach(struct pnl *n, const char *address)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *nest;
	struct preply r;

	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, n->family, 0, 0,
		    OCKAM_CMD_PORTAL_DETACH, OCKAM_GENL_VERSION);
	nest = nla_nest_start(msg, OCKAM_A_PORTAL);
	nla_put_string(msg, OCKAM_PORTAL_A_ADDRESS, address);
	nla_nest_end(msg, nest);
	return pnl_request(n, msg, &r);
}

/* Dump the sessions; the last one's fields end up in @r. */
static int portal_count(struct pnl *n, struct preply *r)
{
	struct nl_msg *msg = nlmsg_alloc();

	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, n->family, 0, NLM_F_DUMP,
		    OCKAM_CMD_PORTAL_GET, OCKAM_GENL_VERSION);
	if (pnl_request(n, msg, r))
		return -1;
	return r->count;
}

/* A socket that hears the events group. */
static int events_open(struct pnl *n)
{
	int grp;

	if (pnl_open(n))
		return -1;
	grp = genl_ctrl_resolve_grp(n->sk, OCKAM_GENL_NAME,
				    OCKAM_GENL_MCGRP_EVENTS);
	nl_socket_disable_seq_check(n->sk);
	return grp < 0 ? -1 : nl_socket_add_membership(n->sk, grp);
}

static int any_seq(struct nl_msg *m __attribute__((unused)),
		   void *arg __attribute__((unused)))
{
	return NL_OK;
}

static int closed_seen(struct nl_msg *m, void *arg)
{
	struct genlmsghdr *g = genlmsg_hdr(nlmsg_hdr(m));

	if (g->cmd == OCKAM_CMD_PORTAL_CLOSED)
		pnl_parse(m, arg);
	return NL_OK;
}

/* Wait up to @ms for a CLOSED event; its reason, or -1. */
static int wait_closed(struct pnl *n, int ms, struct preply *r)
{
	struct pollfd pfd = { .fd = nl_socket_get_fd(n->sk), .events = POLLIN };
	long long end = now_ms() + ms;
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);

	memset(r, 0, sizeof(*r));
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, closed_seen, r);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, any_seq, NULL);
	nl_socket_set_nonblocking(n->sk);
	while (!r->count && now_ms() < end) {
		if (poll(&pfd, 1, 50) > 0)
			nl_recvmsgs(n->sk, cb);
	}
	nl_cb_put(cb);
	return r->count ? (int)r->reason : -1;
}

/* A node counter of the test's own node. */
static uint64_t node_stat_raw(enum ockam_stat stat)
{
	struct ockam_nl *nl;
	uint64_t value;

	if (ockam_nl_open(&nl, NULL))
		return ~0ULL;
	value = node_stat(nl, stat);
	ockam_nl_close(nl);
	return value;
}

/* ---- raw portal messages ---- */

static size_t pm_build(uint8_t *buf, uint8_t type, uint64_t value,
		       const void *data, size_t len)
{
	size_t n = 1, i, width = type == OCKAM_PORTAL_MSG_CREDIT ? 8 :
			       type == OCKAM_PORTAL_MSG_SYNC ? 5 :
			       type == OCKAM_PORTAL_MSG_DISCONNECT ? 0 : 4;

	buf[0] = type;
	for (i = 0; i < width; i++)
		buf[n++] = value >> (8 * i);
	memcpy(buf + n, data, len);
	return n + len;
}

static ssize_t pm_send(int fd, const char *route, uint8_t type,
		       uint64_t value, const void *data, size_t len)
{
	static uint8_t buf[1 + 8 + OCKAM_PORTAL_CHUNK_MAX];

	return send_to(fd, route, buf, pm_build(buf, type, value, data, len));
}

/* Receive one portal message; its return route in text-free form. */
static ssize_t pm_recv(int fd, uint8_t *buf, size_t size,
		       struct ockam_wire_route *ret)
{
	struct sockaddr_ockam sa;
	socklen_t salen = sizeof(sa);
	ssize_t n = recvfrom(fd, buf, size, 0, (struct sockaddr *)&sa, &salen);

	if (n >= 0 && ret) {
		ret->len = sa.som_route_len;
		memcpy(ret->bytes, sa.som_route, sa.som_route_len);
	}
	return n;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Does the next read on @fd fail with ECONNRESET within @ms? */
static bool is_reset(int fd, int ms)
{
	char buf[4096];
	ssize_t n;

	set_rcvtimeo(fd, ms);
	do {
		n = read(fd, buf, sizeof(buf));
	} while (n > 0);
	if (!(n < 0 && errno == ECONNRESET))
		fprintf(stderr, "# is_reset: read %zd (%s)\n", n,
			n < 0 ? strerror(errno) : "EOF");
	return n < 0 && errno == ECONNRESET;
}

/* ---- a fake outlet session in front of an inlet session ---- */

FIXTURE(fake)
{
	struct pnl nl;
	struct pnl ev;
	int svc;		/* the outlet service */
	int peer;		/* the fake outlet session */
	int app;		/* the TCP client of the inlet */
	char inlet[OCKAM_ADDR_VALUE_MAX + 1];
	char route[OCKAM_ADDR_VALUE_MAX + 8];
};

FIXTURE_SETUP(fake)
{
	struct attach_req q = {
		.role = OCKAM_PORTAL_INLET, .route = "0#svc",
		.flags = OCKAM_PORTAL_F_PLAINTEXT, .window = 16384,
		.cookie = 42,
	};
	struct ockam_wire_route ret;
	uint8_t buf[64];
	int server;

	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, pnl_open(&self->nl));
	ASSERT_EQ(0, events_open(&self->ev));
	self->svc = sock_bound("svc");
	self->peer = sock_bound("fake");
	ASSERT_LE(0, self->svc);
	ASSERT_LE(0, self->peer);
	ASSERT_EQ(0, set_rcvtimeo(self->svc, 2000));
	ASSERT_EQ(0, set_rcvtimeo(self->peer, 2000));
	ASSERT_EQ(0, tcp_pair(&self->app, &server));
	q.fd = server;
	ASSERT_EQ(0, portal_attach(&self->nl, &q, self->inlet));
	close(server);
	snprintf(self->route, sizeof(self->route), "0#%s", self->inlet);

	/* The PING, with our window, from the session's address. */
	ASSERT_EQ(5, pm_recv(self->svc, buf, sizeof(buf), &ret));
	ASSERT_EQ(OCKAM_PORTAL_MSG_PING, buf[0]);
	ASSERT_EQ(16384, le32(buf + 1));
	ASSERT_EQ(0, memcmp(ret.bytes, wire(self->route).bytes, ret.len));
}

FIXTURE_TEARDOWN(fake)
{
	close(self->app);
	close(self->svc);
	close(self->peer);
	pnl_close(&self->ev);
	pnl_close(&self->nl);
}

static void fake_open(struct __test_metadata *_metadata,
		      FIXTURE_DATA(fake) *self, uint32_t window)
{
	struct preply r;

	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_PONG,
			     window, NULL, 0));
	ASSERT_TRUE(WAIT_FOR(portal_count(&self->nl, &r) == 1 &&
			     r.state == OCKAM_PORTAL_OPEN, 2000));
}

TEST_F(fake, data_both_ways)
{
	uint8_t buf[256];
	struct preply r;

	fake_open(_metadata, self, 65536);
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_PAYLOAD,
			     0, "hello", 5));
	ASSERT_EQ(0, set_rcvtimeo(self->app, 2000));
	ASSERT_EQ(5, read(self->app, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "hello", 5));

	ASSERT_EQ(3, write(self->app, "abc", 3));
	ASSERT_EQ(8, pm_recv(self->peer, buf, sizeof(buf), NULL));
	ASSERT_EQ(OCKAM_PORTAL_MSG_PAYLOAD, buf[0]);
	ASSERT_EQ(0, le32(buf + 1));
	ASSERT_EQ(0, memcmp(buf + 5, "abc", 3));

	/* Our END: the client sees EOF, and can still write. */
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_END, 1,
			     NULL, 0));
	ASSERT_EQ(0, read(self->app, buf, sizeof(buf)));
	ASSERT_EQ(2, write(self->app, "de", 2));
	ASSERT_EQ(7, pm_recv(self->peer, buf, sizeof(buf), NULL));
	ASSERT_EQ(1, le32(buf + 1));
	/* The client's FIN: END, and the session is done. */
	ASSERT_EQ(0, shutdown(self->app, SHUT_WR));
	ASSERT_EQ(5, pm_recv(self->peer, buf, sizeof(buf), NULL));
	ASSERT_EQ(OCKAM_PORTAL_MSG_END, buf[0]);
	ASSERT_EQ(2, le32(buf + 1));
	ASSERT_EQ(OCKAM_PORTAL_END_CLOSED, wait_closed(&self->ev, 2000, &r));
	ASSERT_EQ(42, r.cookie);
	ASSERT_EQ(5, r.tx_bytes);
	ASSERT_EQ(5, r.rx_bytes);
	ASSERT_EQ(0, portal_count(&self->nl, &r));
}

TEST_F(fake, disconnect_resets_the_client)
{
	struct preply r;

	fake_open(_metadata, self, 65536);
	ASSERT_LT(0, pm_send(self->peer, self->route,
			     OCKAM_PORTAL_MSG_DISCONNECT, 0, NULL, 0));
	ASSERT_TRUE(is_reset(self->app, 2000));
	ASSERT_EQ(OCKAM_PORTAL_END_PEER_RESET,
		  wait_closed(&self->ev, 2000, &r));
}

/*
 * After a message that shows a gap: the client is reset, the end and the
 * node's gap counter say so (it was at @gaps before), and the peer hears
 * of it.
 */
static void expect_gap_reset(struct __test_metadata *_metadata,
			     FIXTURE_DATA(fake) *self, uint64_t gaps)
{
	uint8_t buf[64];
	struct preply r;

	ASSERT_TRUE(is_reset(self->app, 2000));
	ASSERT_EQ(OCKAM_PORTAL_END_GAP, wait_closed(&self->ev, 2000, &r));
	ASSERT_EQ(gaps + 1, node_stat_raw(OCKAM_STAT_PORTAL_GAPS));
	ASSERT_EQ(1, pm_recv(self->peer, buf, sizeof(buf), NULL));
	ASSERT_EQ(OCKAM_PORTAL_MSG_DISCONNECT, buf[0]);
}

/*
 * A message ahead of its turn waits for the one before it; when that
 * one never comes, the hole is a gap once OCKAM_PORTAL_HOLE_MS (1 s)
 * has passed, not before.
 */
TEST_F(fake, sequence_gap_resets)
{
	uint64_t before = node_stat_raw(OCKAM_STAT_PORTAL_GAPS);
	struct preply r;

	fake_open(_metadata, self, 65536);
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_PAYLOAD,
			     1, "x", 1));
	usleep(300 * 1000);
	ASSERT_EQ(1, portal_count(&self->nl, &r));
	ASSERT_EQ(OCKAM_PORTAL_OPEN, r.state);
	expect_gap_reset(_metadata, self, before);
}

/* Over UDP messages overtake one another: the stream comes out in order. */
TEST_F(fake, payload_ahead_waits_for_its_turn)
{
	uint64_t ahead = node_stat_raw(OCKAM_STAT_PORTAL_AHEAD);
	char buf[16] = "";
	size_t got = 0;
	ssize_t n;

	fake_open(_metadata, self, 65536);
	ASSERT_EQ(0, set_rcvtimeo(self->app, 2000));
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_END,
			     3, NULL, 0));
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_PAYLOAD,
			     2, "ef", 2));
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_PAYLOAD,
			     1, "cd", 2));
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_PAYLOAD,
			     0, "ab", 2));
	while (got < 6) {
		n = read(self->app, buf + got, sizeof(buf) - got);
		ASSERT_LT(0, n);
		got += n;
	}
	ASSERT_EQ(0, memcmp(buf, "abcdef", 6));
	/* END came last in turn: the stream ends there, cleanly. */
	ASSERT_EQ(0, read(self->app, buf, sizeof(buf)));
	ASSERT_EQ(ahead + 3, node_stat_raw(OCKAM_STAT_PORTAL_AHEAD));
}

/* A number already taken, or one held twice, is a gap at once. */
TEST_F(fake, payload_behind_resets)
{
	uint64_t before = node_stat_raw(OCKAM_STAT_PORTAL_GAPS);
	char buf[4];

	fake_open(_metadata, self, 65536);
	ASSERT_EQ(0, set_rcvtimeo(self->app, 2000));
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_PAYLOAD,
			     0, "ab", 2));
	ASSERT_EQ(2, read(self->app, buf, sizeof(buf)));
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_PAYLOAD,
			     0, "ab", 2));
	expect_gap_reset(_metadata, self, before);
}

/*
 * Too far ahead to be a message overtaken: lost. How far a message may
 * be ahead is the wire protocol's (wire-protocol.rst, "Portals").
 */
enum { PORTAL_AHEAD_MAX = 256 };

TEST_F(fake, payload_far_ahead_resets)
{
	uint64_t before = node_stat_raw(OCKAM_STAT_PORTAL_GAPS);

	fake_open(_metadata, self, 65536);
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_PAYLOAD,
			     PORTAL_AHEAD_MAX + 1, "x", 1));
	expect_gap_reset(_metadata, self, before);
}

/* value for a SYNC: the number and the flags byte above it. */
static uint64_t sync_value(uint32_t seq, uint8_t flags)
{
	return seq | (uint64_t)flags << 32;
}

/* A SYNC with the next number changes nothing, and asks for nothing. */
TEST_F(fake, sync_in_step_changes_nothing)
{
	uint8_t buf[64];
	struct preply r;

	fake_open(_metadata, self, 65536);
	ASSERT_EQ(0, set_rcvtimeo(self->app, 2000));
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_PAYLOAD,
			     0, "ab", 2));
	ASSERT_EQ(2, read(self->app, buf, sizeof(buf)));
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_SYNC,
			     sync_value(1, 0), NULL, 0));
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_PAYLOAD,
			     1, "cd", 2));
	ASSERT_EQ(2, read(self->app, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "cd", 2));
	set_rcvtimeo(self->peer, 300);
	ASSERT_GT(0, pm_recv(self->peer, buf, sizeof(buf), NULL));
	ASSERT_EQ(1, portal_count(&self->nl, &r));
	ASSERT_EQ(OCKAM_PORTAL_OPEN, r.state);
}

/*
 * A SYNC past the next number: what came before it was lost (in an
 * outage of the channel). The session resets, as for any gap, rather
 * than wait for what will not come.
 */
TEST_F(fake, sync_past_the_next_resets)
{
	uint64_t before = node_stat_raw(OCKAM_STAT_PORTAL_GAPS);

	fake_open(_metadata, self, 65536);
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_PAYLOAD,
			     0, "ab", 2));
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_SYNC,
			     sync_value(2, OCKAM_PORTAL_SYNC_ASK), NULL, 0));
	expect_gap_reset(_metadata, self, before);
}

/*
 * A SYNC that asks: the session says again what it wrote (CREDIT) and
 * which number it sends next (a SYNC that does not ask back), END
 * included.
 */
TEST_F(fake, sync_ask_is_answered)
{
	uint8_t buf[64];

	fake_open(_metadata, self, 65536);
	ASSERT_EQ(0, set_rcvtimeo(self->app, 2000));
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_PAYLOAD,
			     0, "ab", 2));
	ASSERT_EQ(2, read(self->app, buf, sizeof(buf)));
	ASSERT_EQ(3, write(self->app, "xyz", 3));
	ASSERT_EQ(8, pm_recv(self->peer, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, shutdown(self->app, SHUT_WR));
	ASSERT_EQ(5, pm_recv(self->peer, buf, sizeof(buf), NULL));
	ASSERT_EQ(OCKAM_PORTAL_MSG_END, buf[0]);

	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_SYNC,
			     sync_value(1, OCKAM_PORTAL_SYNC_ASK), NULL, 0));
	ASSERT_EQ(9, pm_recv(self->peer, buf, sizeof(buf), NULL));
	ASSERT_EQ(OCKAM_PORTAL_MSG_CREDIT, buf[0]);
	ASSERT_EQ(2, le32(buf + 1));
	ASSERT_EQ(6, pm_recv(self->peer, buf, sizeof(buf), NULL));
	ASSERT_EQ(OCKAM_PORTAL_MSG_SYNC, buf[0]);
	ASSERT_EQ(2, le32(buf + 1));
	ASSERT_EQ(0, buf[5]);
	/* Our own SYNC without the bit asks for nothing. */
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_SYNC,
			     sync_value(1, 0), NULL, 0));
	set_rcvtimeo(self->peer, 300);
	ASSERT_GT(0, pm_recv(self->peer, buf, sizeof(buf), NULL));
}

/* A flag this kernel does not know is not ignored: the SYNC is bad. */
TEST_F(fake, sync_with_an_unknown_flag_resets)
{
	struct preply r;

	fake_open(_metadata, self, 65536);
	ASSERT_LT(0, send_to(self->peer, self->route,
			     "\x06\x00\x00\x00\x00\x02", 6));
	ASSERT_TRUE(is_reset(self->app, 2000));
	ASSERT_EQ(OCKAM_PORTAL_END_BAD_MESSAGE,
		  wait_closed(&self->ev, 2000, &r));
}

TEST_F(fake, impostor_resets)
{
	uint64_t before = node_stat_raw(OCKAM_STAT_PORTAL_IMPOSTORS);
	int other = sock_bound("other");
	struct preply r;

	fake_open(_metadata, self, 65536);
	ASSERT_LT(0, pm_send(other, self->route, OCKAM_PORTAL_MSG_PAYLOAD, 0,
			     "x", 1));
	ASSERT_TRUE(is_reset(self->app, 2000));
	ASSERT_EQ(OCKAM_PORTAL_END_IMPOSTOR, wait_closed(&self->ev, 2000, &r));
	ASSERT_EQ(before + 1, node_stat_raw(OCKAM_STAT_PORTAL_IMPOSTORS));
	close(other);
}

TEST_F(fake, overrun_resets)
{
	static uint8_t big[20000];
	struct preply r;

	fake_open(_metadata, self, 65536);
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_PAYLOAD,
			     0, big, sizeof(big)));
	ASSERT_TRUE(is_reset(self->app, 2000));
	ASSERT_EQ(OCKAM_PORTAL_END_OVERRUN, wait_closed(&self->ev, 2000, &r));
	ASSERT_EQ(1, node_stat_raw(OCKAM_STAT_PORTAL_OVERRUNS));
}

TEST_F(fake, bad_message_resets)
{
	struct preply r;

	fake_open(_metadata, self, 65536);
	ASSERT_LT(0, send_to(self->peer, self->route, "\x09", 1));
	ASSERT_TRUE(is_reset(self->app, 2000));
	ASSERT_EQ(OCKAM_PORTAL_END_BAD_MESSAGE,
		  wait_closed(&self->ev, 2000, &r));
}

/* The inlet sends no more than the window we gave until we credit. */
TEST_F(fake, credit_paces_the_sender)
{
	static uint8_t data[100000], buf[OCKAM_PORTAL_CHUNK_MAX + 16];
	uint32_t got = 0, seq = 0;
	ssize_t n;

	fake_open(_metadata, self, 16384);
	fcntl(self->app, F_SETFL, O_NONBLOCK);
	ASSERT_EQ(sizeof(data), write(self->app, data, sizeof(data)));
	set_rcvtimeo(self->peer, 300);
	while ((n = pm_recv(self->peer, buf, sizeof(buf), NULL)) > 0) {
		ASSERT_EQ(OCKAM_PORTAL_MSG_PAYLOAD, buf[0]);
		ASSERT_EQ(seq++, le32(buf + 1));
		got += n - 5;
	}
	ASSERT_EQ(16384, got);
	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_CREDIT,
			     got, NULL, 0));
	while ((n = pm_recv(self->peer, buf, sizeof(buf), NULL)) > 0) {
		ASSERT_EQ(seq++, le32(buf + 1));
		got += n - 5;
	}
	ASSERT_EQ(2 * 16384, got);
}

/* A client that does not read: the queue stays within the window. */
TEST_F(fake, slow_reader_bounds_the_queue)
{
	static uint8_t chunk[4096];
	uint64_t sent = 0, credited = 0;
	uint8_t buf[64];
	struct preply r;
	uint32_t seq;
	int i, small = 4096;

	ASSERT_EQ(0, setsockopt(self->app, SOL_SOCKET, SO_RCVBUF, &small,
				sizeof(small)));
	fake_open(_metadata, self, 65536);
	set_rcvtimeo(self->peer, 20);
	/* Send as the window allows until the credits stop coming. */
	for (seq = 0, i = 0; i < 25;) {
		if (pm_recv(self->peer, buf, sizeof(buf), NULL) == 9) {
			credited = le32(buf + 1) |
				   (uint64_t)le32(buf + 5) << 32;
			i = 0;
			continue;
		}
		if (sent + sizeof(chunk) - credited > 16384) {
			i++;
			continue;
		}
		ASSERT_LT(0, pm_send(self->peer, self->route,
				     OCKAM_PORTAL_MSG_PAYLOAD, seq++, chunk,
				     sizeof(chunk)));
		sent += sizeof(chunk);
	}
	ASSERT_EQ(1, portal_count(&self->nl, &r));
	ASSERT_GE(16384, r.queued);
	ASSERT_EQ(OCKAM_PORTAL_OPEN, r.state);
	ASSERT_GT(sent, 16384);
	ASSERT_EQ(0, node_stat_raw(OCKAM_STAT_PORTAL_RESETS));
}

/* Before the PONG, nothing else from the outlet's side will do. */
TEST_F(fake, payload_before_pong_resets)
{
	struct preply r;

	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_PAYLOAD,
			     0, "x", 1));
	ASSERT_TRUE(is_reset(self->app, 2000));
	ASSERT_EQ(OCKAM_PORTAL_END_BAD_MESSAGE,
		  wait_closed(&self->ev, 2000, &r));
}

/*
 * A client that resets before the PONG: the outlet may already have
 * connected its target, so the session waits for the PONG to tell the
 * outlet session, rather than vanish and leave it open.
 */
TEST_F(fake, reset_before_pong_reaches_the_outlet)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	uint8_t buf[64];
	struct preply r;

	ASSERT_EQ(0, setsockopt(self->app, SOL_SOCKET, SO_LINGER, &lg,
				sizeof(lg)));
	close(self->app);
	self->app = -1;
	/* Still there, waiting for the PONG. */
	usleep(200 * 1000);
	ASSERT_EQ(1, portal_count(&self->nl, &r));
	ASSERT_EQ(OCKAM_PORTAL_CONNECTING, r.state);

	ASSERT_LT(0, pm_send(self->peer, self->route, OCKAM_PORTAL_MSG_PONG,
			     65536, NULL, 0));
	ASSERT_EQ(1, pm_recv(self->peer, buf, sizeof(buf), NULL));
	ASSERT_EQ(OCKAM_PORTAL_MSG_DISCONNECT, buf[0]);
	ASSERT_EQ(OCKAM_PORTAL_END_RESET, wait_closed(&self->ev, 2000, &r));
	ASSERT_EQ(0, portal_count(&self->nl, &r));
}

TEST_F(fake, refused_by_the_service)
{
	struct preply r;

	ASSERT_LT(0, pm_send(self->svc, self->route,
			     OCKAM_PORTAL_MSG_DISCONNECT, 0, NULL, 0));
	ASSERT_TRUE(is_reset(self->app, 2000));
	ASSERT_EQ(OCKAM_PORTAL_END_REFUSED, wait_closed(&self->ev, 2000, &r));
}

TEST_F(fake, detach)
{
	struct preply r;

	fake_open(_metadata, self, 65536);
	ASSERT_EQ(-ENOENT, portal_detach(&self->nl, "nosuch"));
	ASSERT_EQ(0, portal_detach(&self->nl, self->inlet));
	ASSERT_TRUE(is_reset(self->app, 2000));
	ASSERT_EQ(OCKAM_PORTAL_END_DETACHED, wait_closed(&self->ev, 2000, &r));
	ASSERT_EQ(0, portal_count(&self->nl, &r));
}

TEST_F(fake, ends_with_its_netlink_socket)
{
	struct preply r;

	fake_open(_metadata, self, 65536);
	pnl_close(&self->nl);
	ASSERT_TRUE(is_reset(self->app, 2000));
	ASSERT_EQ(OCKAM_PORTAL_END_OWNER_GONE,
		  wait_closed(&self->ev, 2000, &r));
}

/* ---- set-up without a fixture ---- */

TEST(pong_timeout)
{
	struct attach_req q = {
		.role = OCKAM_PORTAL_INLET, .route = "0#svc",
		.flags = OCKAM_PORTAL_F_PLAINTEXT, .timeout = 200,
	};
	int svc, app, server, reason;
	struct pnl nl, ev;
	struct preply r;

	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, pnl_open(&nl));
	ASSERT_EQ(0, events_open(&ev));
	svc = sock_bound("svc");
	ASSERT_EQ(0, tcp_pair(&app, &server));
	q.fd = server;
	ASSERT_EQ(0, portal_attach(&nl, &q, NULL));
	close(server);
	ASSERT_TRUE(is_reset(app, 3000));
	reason = wait_closed(&ev, 2000, &r);
	ASSERT_EQ(OCKAM_PORTAL_END_TIMEOUT, reason);
	close(app);
	close(svc);
	pnl_close(&ev);
	pnl_close(&nl);
}

static int portal_detach_by(void *n, const char *address)
{
	return portal_detach(n, address);
}

/*
 * A session ends as its attach returns: a thread detaches it by name
 * while, every other pair of rounds, the application resets its
 * connection; inlets and outlets take turns. The attach succeeds, or
 * fails as the socket is no longer connected; either way the session is
 * gone after, and the kernel log stays clean.
 */
TEST(attach_races_a_detach_and_a_reset)
{
	struct attach_req q = {
		.route = "0#svc", .flags = OCKAM_PORTAL_F_PLAINTEXT,
		.address = "race",
	};
	struct detach_race race = {
		.detach = portal_detach_by, .address = "race",
	};
	int round, app, server, svc, err;
	struct pnl nl, other;
	struct preply r;

	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, pnl_open(&nl));
	ASSERT_EQ(0, pnl_open(&other));
	race.ctx = &other;
	/* Where the PINGs and PONGs go; nobody answers them. */
	svc = sock_bound("svc");
	ASSERT_LE(0, svc);
	for (round = 0; round < 60; round++) {
		q.role = round % 2 ? OCKAM_PORTAL_OUTLET : OCKAM_PORTAL_INLET;
		q.peer_window = round % 2 ? 65536 : 0;
		ASSERT_EQ(0, tcp_pair(&app, &server));
		q.fd = server;
		race.reset_fd = round % 4 >= 2 ? app : -1;
		ASSERT_EQ(0, detach_race_start(&race, round));
		err = portal_attach(&nl, &q, NULL);
		detach_race_end(&race, err);
		if (err)
			ASSERT_EQ(-ENOTCONN, err);
		portal_detach(&nl, "race");
		ASSERT_TRUE(WAIT_FOR(portal_count(&nl, &r) == 0, 5000));
		close(server);
		if (race.reset_fd < 0)
			close(app);
	}
	TH_LOG("attach refused %d times; detached as it returned %d times",
	       race.refused, race.undone);
	close(svc);
	pnl_close(&other);
	pnl_close(&nl);
}

TEST(attach_errors)
{
	static const char id[] =
		"I0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct attach_req q = {
		.role = OCKAM_PORTAL_INLET, .route = "0#svc",
		.flags = OCKAM_PORTAL_F_PLAINTEXT,
	};
	int app, server, udp, unconnected, null, svc;
	struct pnl nl;

	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, pnl_open(&nl));
	ASSERT_EQ(0, tcp_pair(&app, &server));
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	unconnected = socket(AF_INET, SOCK_STREAM, 0);
	null = open("/dev/null", O_RDONLY);

	q.fd = 1000;
	ASSERT_EQ(-EBADF, portal_attach(&nl, &q, NULL));
	q.fd = null;
	ASSERT_EQ(-ENOTSOCK, portal_attach(&nl, &q, NULL));
	q.fd = udp;
	ASSERT_EQ(-EPROTOTYPE, portal_attach(&nl, &q, NULL));
	q.fd = unconnected;
	ASSERT_EQ(-ENOTCONN, portal_attach(&nl, &q, NULL));

	q.fd = server;
	q.role = 3;
	ASSERT_EQ(-ERANGE, portal_attach(&nl, &q, NULL));
	q.role = 0;
	ASSERT_EQ(-EINVAL, portal_attach(&nl, &q, NULL));
	q.role = OCKAM_PORTAL_INLET;
	q.flags = 1 << 1;
	ASSERT_EQ(-EINVAL, portal_attach(&nl, &q, NULL));
	q.flags = 0;
	ASSERT_EQ(-EINVAL, portal_attach(&nl, &q, NULL));
	q.identifier = "Inothex";
	ASSERT_EQ(-EINVAL, portal_attach(&nl, &q, NULL));
	q.flags = OCKAM_PORTAL_F_PLAINTEXT;
	q.identifier = id;
	ASSERT_EQ(-EINVAL, portal_attach(&nl, &q, NULL));
	q.identifier = NULL;
	q.window = 100;
	ASSERT_EQ(-ERANGE, portal_attach(&nl, &q, NULL));
	q.window = 0;
	q.bad_attr = OCKAM_PORTAL_A_STATE;
	ASSERT_GT(0, portal_attach(&nl, &q, NULL));
	q.bad_attr = 0;
	q.role = OCKAM_PORTAL_OUTLET;
	q.peer_window = 65536;
	q.timeout = 1000;
	ASSERT_EQ(-EINVAL, portal_attach(&nl, &q, NULL));
	q.timeout = 0;
	q.peer_window = 0;
	ASSERT_EQ(-EINVAL, portal_attach(&nl, &q, NULL));
	q.role = OCKAM_PORTAL_INLET;

	/* A good one (its PING has somewhere to go); the socket is taken. */
	svc = sock_bound("svc");
	ASSERT_LE(0, svc);
	q.identifier = NULL;
	ASSERT_EQ(0, portal_attach(&nl, &q, NULL));
	ASSERT_EQ(-EBUSY, portal_attach(&nl, &q, NULL));
	close(svc);

	close(app);
	close(server);
	close(udp);
	close(unconnected);
	close(null);
	pnl_close(&nl);
}

/* ---- two real sessions, wired through loopback transports ---- */

FIXTURE(wired)
{
	struct pnl nl;
	struct pnl ev;
	int client;	/* the inlet's TCP client */
	int target;	/* the outlet's TCP target */
	char inlet[OCKAM_ADDR_VALUE_MAX + 1];
	char outlet[OCKAM_ADDR_VALUE_MAX + 1];
	/* Owns the transports. */
	struct ockam_nl *onl;
};

FIXTURE_SETUP(wired)
{
	struct attach_req in = {
		.role = OCKAM_PORTAL_INLET, .route = "0#c1 => 0#svc",
		.flags = OCKAM_PORTAL_F_PLAINTEXT, .window = 65536,
	};
	struct attach_req out = {
		.role = OCKAM_PORTAL_OUTLET,
		.flags = OCKAM_PORTAL_F_PLAINTEXT, .window = 131072,
		.peer_window = 65536,
	};
	struct ockam_wire_route ret;
	int a, b, svc, server;
	struct ockam_nl *onl;
	struct preply r;
	uint8_t buf[64];

	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, pnl_open(&self->nl));
	ASSERT_EQ(0, events_open(&self->ev));
	ASSERT_EQ(0, ockam_nl_open(&onl, NULL));
	ASSERT_EQ(0, tcp_pair(&a, &b));
	ASSERT_EQ(0, attach(onl, a, "c1", NULL, 0));
	ASSERT_EQ(0, attach(onl, b, "c2", NULL, 0));
	close(a);
	close(b);
	svc = sock_bound("svc");
	ASSERT_EQ(0, set_rcvtimeo(svc, 2000));

	ASSERT_EQ(0, tcp_pair(&self->client, &server));
	in.fd = server;
	ASSERT_EQ(0, portal_attach(&self->nl, &in, self->inlet));
	close(server);
	ASSERT_EQ(5, pm_recv(svc, buf, sizeof(buf), &ret));
	ASSERT_EQ(OCKAM_PORTAL_MSG_PING, buf[0]);

	/* What ockamd does on a PING: connect the target, attach. */
	ASSERT_EQ(0, tcp_pair(&server, &self->target));
	out.fd = server;
	out.raw = &ret;
	ASSERT_EQ(0, portal_attach(&self->nl, &out, self->outlet));
	close(server);
	close(svc);
	ASSERT_TRUE(WAIT_FOR(portal_count(&self->nl, &r) == 2 &&
			     r.state == OCKAM_PORTAL_OPEN, 2000));
	ASSERT_EQ(0, set_rcvtimeo(self->client, 5000));
	ASSERT_EQ(0, set_rcvtimeo(self->target, 5000));
	self->onl = onl;
}

FIXTURE_TEARDOWN(wired)
{
	close(self->client);
	close(self->target);
	pnl_close(&self->ev);
	pnl_close(&self->nl);
	ockam_nl_close(self->onl);
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 2654435761u >> 13);
}

/* Write @total bytes of the pattern into @fd from a child, then FIN. */
static pid_t writer(int fd, uint64_t total)
{
	static uint8_t buf[65536];
	pid_t pid = fork();
	uint64_t off = 0;
	size_t i, n;
	ssize_t w;

	if (pid)
		return pid;
	while (off < total) {
		n = total - off < sizeof(buf) ? total - off : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = pattern(off + i);
		w = write(fd, buf, n);
		if (w <= 0)
			_exit(1);
		off += w;
	}
	shutdown(fd, SHUT_WR);
	_exit(0);
}

/* Read to EOF from @fd; the count of bytes matching the pattern. */
static uint64_t reader(int fd, uint64_t *bad)
{
	static uint8_t buf[65536];
	uint64_t off = 0;
	ssize_t n, i;

	*bad = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			*bad += buf[i] != pattern(off + i);
		off += n;
	}
	if (n < 0)
		fprintf(stderr, "# reader: %s after %llu bytes\n",
			strerror(errno), (unsigned long long)off);
	return n < 0 ? ~0ULL : off;
}

/* After a stream that came short: say how the sessions ended. */
static void log_ends(struct pnl *ev)
{
	struct preply r;
	int i;

	for (i = 0; i < 2; i++)
		if (wait_closed(ev, 1000, &r) >= 0)
			fprintf(stderr, "# session %s ended: reason %u, %llu bytes sent, %llu written\n",
				r.address, r.reason,
				(unsigned long long)r.tx_bytes,
				(unsigned long long)r.rx_bytes);
}

TEST_F(wired, large_transfer_both_ways_and_half_close)
{
	const uint64_t total = 8 << 20;
	uint64_t bad, got;
	struct preply r;
	int status;
	pid_t pid;

	/* Client to target, then the client's FIN reaches the target. */
	pid = writer(self->client, total);
	got = reader(self->target, &bad);
	if (got != total)
		log_ends(&self->ev);
	ASSERT_EQ(total, got);
	ASSERT_EQ(0, bad);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);

	/* Half-closed: the other way still flows. */
	pid = writer(self->target, total / 2);
	ASSERT_EQ(total / 2, reader(self->client, &bad));
	ASSERT_EQ(0, bad);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);

	ASSERT_EQ(OCKAM_PORTAL_END_CLOSED, wait_closed(&self->ev, 3000, &r));
	ASSERT_TRUE(WAIT_FOR(portal_count(&self->nl, &r) == 0, 3000));
	ASSERT_EQ(0, node_stat_raw(OCKAM_STAT_PORTAL_RESETS));
}

TEST_F(wired, reset_crosses_the_portal)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct preply r;
	int reason;

	ASSERT_EQ(3, write(self->client, "abc", 3));
	/* The client aborts: the target is reset too. */
	ASSERT_EQ(0, setsockopt(self->client, SOL_SOCKET, SO_LINGER, &lg,
				sizeof(lg)));
	close(self->client);
	self->client = -1;
	/* One session saw the reset, the other its DISCONNECT. */
	reason = wait_closed(&self->ev, 3000, &r);
	reason += wait_closed(&self->ev, 3000, &r);
	ASSERT_EQ(OCKAM_PORTAL_END_RESET + OCKAM_PORTAL_END_PEER_RESET, reason);
	ASSERT_TRUE(is_reset(self->target, 3000));
	ASSERT_EQ(2, node_stat_raw(OCKAM_STAT_PORTAL_RESETS));
}

TEST_F(wired, detach_resets_both_clients)
{
	ASSERT_EQ(0, portal_detach(&self->nl, self->outlet));
	ASSERT_TRUE(is_reset(self->target, 3000));
	ASSERT_TRUE(is_reset(self->client, 3000));
}

/* A namespace that goes away with sessions open (and data in flight). */
TEST(node_exit_with_live_sessions)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		struct attach_req q = {
			.role = OCKAM_PORTAL_INLET, .route = "0#svc",
			.flags = OCKAM_PORTAL_F_PLAINTEXT,
		};
		int svc, app, server, i;
		struct pnl nl;

		if (node_fresh() || pnl_open(&nl))
			_exit(1);
		svc = sock_bound("svc");
		for (i = 0; i < 8; i++) {
			if (tcp_pair(&app, &server))
				_exit(1);
			q.fd = server;
			if (portal_attach(&nl, &q, NULL))
				_exit(1);
			if (write(app, "data", 4) != 4)
				_exit(1);
		}
		(void)svc;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
}

TEST_HARNESS_MAIN
