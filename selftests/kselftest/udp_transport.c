// SPDX-License-Identifier: GPL-2.0
/*
 * UDP transport: attaching and detaching binds, messages between sockets
 * of one node over its own binds, the datagram size, a hostile peer that
 * sends hand-made datagrams at a bind (reassembly, its limits and its
 * counters), and the rule that keeps forwarded messages from going to
 * UDP addresses nobody asked for.
 */
#include <netinet/udp.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

/* The node's reassembly limits (kmod/udp.h). */
enum {
	PARTIALS_PER_PEER = 16,
	REASM_TIMEOUT_MS = 5000,
	REASM_PEER_MIN = 4 << 20,
	REASM_NODE_MIN = 32 << 20,
	MAX_MESSAGE_DEFAULT = 1 << 20,
};

/* A UDP socket bound to loopback of @family, its port in *@port. */
static int udp_bound(int family, bool v6only, uint16_t *port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = family == AF_INET ? sizeof(*sin) : sizeof(*sin6);
	int fd = socket(family, SOCK_DGRAM, 0), on = v6only;

	if (fd < 0)
		return -1;
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		sin6->sin6_family = AF_INET6;
		/* Bound to ::1 a socket is IPv6-only whatever it asked. */
		sin6->sin6_addr = v6only ? in6addr_loopback : in6addr_any;
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)))
			goto fail;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len))
		goto fail;
	*port = ntohs(family == AF_INET ? sin->sin_port : sin6->sin6_port);
	return fd;
fail:
	close(fd);
	return -1;
}

/* A UDP socket bound to 127.0.0.1:@port. */
static int udp_port(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A bound IPv4 UDP socket attached as @name, its descriptor closed. */
static int udp_attached(struct ockam_nl *nl, const char *name, uint16_t *port)
{
	int fd = udp_bound(AF_INET, false, port), err;

	if (fd < 0)
		return -errno;
	err = ockam_nl_udp_attach(nl, fd, name, NULL, NULL);
	close(fd);
	return err;
}

/* The bind at @name, copied to @out; false when there is none. */
static bool bind_get(struct ockam_nl *nl, const char *name,
		     struct ockam_udp_info *out)
{
	struct ockam_udp_info *list;
	size_t count, i;
	bool found = false;

	if (ockam_nl_udp_list(nl, &list, &count, NULL))
		return false;
	for (i = 0; i < count; i++) {
		if (!strcmp(list[i].address, name)) {
			*out = list[i];
			found = true;
		}
	}
	free(list);
	return found;
}

static long long bind_stat(struct ockam_nl *nl, const char *name,
			   enum ockam_stat stat)
{
	struct ockam_udp_info info;

	return bind_get(nl, name, &info) ? (long long)info.stats.value[stat] : -1;
}

static long long bind_reasm(struct ockam_nl *nl, const char *name)
{
	struct ockam_udp_info info;

	return bind_get(nl, name, &info) ? (long long)info.reasm_bytes : -1;
}

static long long bind_peers(struct ockam_nl *nl, const char *name)
{
	struct ockam_udp_info info;

	return bind_get(nl, name, &info) ? (long long)info.peers : -1;
}

static size_t bind_count(struct ockam_nl *nl)
{
	struct ockam_udp_info *list;
	size_t count;

	if (ockam_nl_udp_list(nl, &list, &count, NULL))
		return ~(size_t)0;
	free(list);
	return count;
}

static size_t uleb128_len(size_t v)
{
	size_t n = 1;

	while (v >>= 7)
		n++;
	return n;
}

/* An encoded routed message: version, onward and return route, payload. */
static size_t build_msg(uint8_t *buf, const char *onward, const char *ret,
			const void *payload, size_t len)
{
	struct ockam_wire_route o = wire(onward), r = wire(ret);
	size_t n = 0, v = len;

	buf[n++] = OCKAM_MESSAGE_VERSION;
	memcpy(buf + n, o.bytes, o.len);
	n += o.len;
	memcpy(buf + n, r.bytes, r.len);
	n += r.len;
	do {
		buf[n] = v & 0x7f;
		if (v >> 7)
			buf[n] |= 0x80;
		n++;
	} while ((v >>= 7));
	memcpy(buf + n, payload, len);
	return n + len;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static uint32_t get_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

/* One datagram to 127.0.0.1:@port: a header as given, then @len bytes. */
static int send_raw(int fd, uint16_t port, const uint8_t hdr4[4],
		    uint32_t message, uint32_t offset, uint32_t total,
		    const void *bytes, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint8_t *d = malloc(OCKAM_UDP_HEADER_LEN + len);
	ssize_t n;

	if (!d)
		return -1;
	memcpy(d, hdr4, 4);
	put_be32(d + 4, message);
	put_be32(d + 8, offset);
	put_be32(d + 12, total);
	if (len)
		memcpy(d + OCKAM_UDP_HEADER_LEN, bytes, len);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	n = sendto(fd, d, OCKAM_UDP_HEADER_LEN + len, 0,
		   (struct sockaddr *)&sin, sizeof(sin));
	free(d);
	return n == (ssize_t)(OCKAM_UDP_HEADER_LEN + len) ? 0 : -1;
}

static const uint8_t good_hdr[4] = { OCKAM_UDP_VERSION, 0, 0, 0 };

/* Fragment [@offset, @offset + @len) of message @msg (@total bytes). */
static int send_frag(int fd, uint16_t port, uint32_t message,
		     const uint8_t *msg, uint32_t total, uint32_t offset,
		     uint32_t len)
{
	return send_raw(fd, port, good_hdr, message, offset, total,
			msg + offset, len);
}

/* One datagram of a batch: a fragment of a message, or a bad header. */
struct batch_part {
	uint32_t message;
	uint32_t offset;
	uint32_t len;
	bool bad;
};

/*
 * The datagrams in @parts, of @step bytes each but the last, to
 * 127.0.0.1:@port in one send with UDP_SEGMENT: one packet that the
 * bind's socket gets whole. The fragments are of @msg, @total bytes.
 */
static int send_batch(int fd, uint16_t port, const uint8_t *msg,
		      uint32_t total, uint16_t step,
		      const struct batch_part *parts, int n)
{
	static const uint8_t bad_hdr[4] = { OCKAM_UDP_VERSION + 1, 0, 0, 0 };
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		.sin_port = htons(port),
	};
	char control[CMSG_SPACE(sizeof(uint16_t))] = { 0 };
	struct iovec iov;
	struct msghdr mh = {
		.msg_name = &sin, .msg_namelen = sizeof(sin),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	uint8_t *buf = calloc(n, step), *d = buf;
	ssize_t sent;
	int i;

	if (!buf)
		return -1;
	for (i = 0; i < n; i++) {
		memcpy(d, parts[i].bad ? bad_hdr : good_hdr, 4);
		put_be32(d + 4, parts[i].message);
		put_be32(d + 8, parts[i].offset);
		put_be32(d + 12, total);
		memcpy(d + OCKAM_UDP_HEADER_LEN, msg + parts[i].offset,
		       parts[i].len);
		d += OCKAM_UDP_HEADER_LEN + parts[i].len;
	}
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	memcpy(CMSG_DATA(cm), &step, sizeof(step));
	iov.iov_base = buf;
	iov.iov_len = d - buf;
	sent = sendmsg(fd, &mh, 0);
	free(buf);
	return sent == (ssize_t)iov.iov_len ? 0 : -1;
}

/*
 * Message @message of @msg cut in datagrams of @step bytes, from
 * fragment @first to before @end (all when @end is 0), into @parts.
 */
static int batch_run(struct batch_part *parts, uint32_t message,
		     uint32_t total, uint16_t step, int first, int end)
{
	uint32_t chunk = step - OCKAM_UDP_HEADER_LEN, offset;
	int n = 0, i = 0;

	for (offset = 0; offset < total; offset += chunk, i++) {
		if (i < first || (end && i >= end))
			continue;
		parts[n].message = message;
		parts[n].offset = offset;
		parts[n].len = total - offset < chunk ? total - offset : chunk;
		parts[n++].bad = false;
	}
	return n;
}

/*
 * Receive one message on @fd: @len bytes equal to @expect and, unless
 * @ret is NULL, that return route. 0, -errno, -EBADMSG (other bytes) or
 * -EDESTADDRREQ (another return route).
 */
static int recv_bytes(int fd, const void *expect, size_t len, const char *ret,
		      int flags)
{
	struct sockaddr_ockam sa;
	socklen_t salen = sizeof(sa);
	struct ockam_wire_route w;
	char *buf = malloc(len + 1);
	ssize_t n;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	n = recvfrom(fd, buf, len + 1, flags, (struct sockaddr *)&sa, &salen);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len || memcmp(buf, expect, len))
		err = -EBADMSG;
	free(buf);
	if (err || !ret)
		return err;
	w = wire(ret);
	if (sa.som_route_len != w.len || memcmp(sa.som_route, w.bytes, w.len))
		return -EDESTADDRREQ;
	return 0;
}

/* Is there nothing to read on @fd within @ms? */
static bool quiet(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 0;
}

static void fill(uint8_t *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)((i * 131 + seed) ^ (i >> 8));
}

static int set_rcvbuf(int fd, int size)
{
	return setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
}

/* ---- attach and detach ---- */

FIXTURE(attach)
{
	struct ockam_nl *nl;
};

FIXTURE_SETUP(attach)
{
	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, ockam_nl_open(&self->nl, NULL));
}

FIXTURE_TEARDOWN(attach)
{
	ockam_nl_close(self->nl);
}

static int udp_detach(void *nl, const char *address)
{
	return ockam_nl_udp_detach(nl, address, NULL);
}

/*
 * A bind is detached by name, from another thread, as its attach
 * returns: the attach succeeds, and one of the two detaches finds it.
 */
TEST_F(attach, attach_races_a_detach)
{
	struct detach_race race = {
		.detach = udp_detach, .address = "race", .reset_fd = -1,
	};
	struct ockam_udp_info info;
	int round, fd, err;
	struct ockam_nl *other;
	uint16_t port;

	ASSERT_EQ(0, ockam_nl_open(&other, NULL));
	race.ctx = other;
	for (round = 0; round < 60; round++) {
		fd = udp_bound(AF_INET, false, &port);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, detach_race_start(&race, round));
		err = ockam_nl_udp_attach(self->nl, fd, "race", &info, NULL);
		detach_race_end(&race, err);
		ASSERT_EQ(0, err);
		if (!race.detached)
			ASSERT_EQ(0, ockam_nl_udp_detach(self->nl, "race",
							 NULL));
		EXPECT_EQ(0, bind_count(self->nl));
		close(fd);
	}
	TH_LOG("detached as it returned %d times of 60", race.undone);
	ockam_nl_close(other);
}

TEST_F(attach, named_and_random_list_and_detach)
{
	struct ockam_udp_info info, got;
	char local[64];
	uint16_t p1, p2;
	int fd1 = udp_bound(AF_INET, false, &p1);
	int fd2 = udp_bound(AF_INET, false, &p2);

	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ockam_nl_udp_attach(self->nl, fd1, "u1", &info, NULL));
	EXPECT_STREQ("u1", info.address);
	snprintf(local, sizeof(local), "127.0.0.1:%u", p1);
	EXPECT_STREQ(local, info.local);
	EXPECT_EQ(0, info.peers);
	EXPECT_EQ(0, info.reasm_bytes);

	ASSERT_EQ(0, ockam_nl_udp_attach(self->nl, fd2, NULL, &info, NULL));
	ASSERT_NE(0, strlen(info.address));
	EXPECT_EQ(2, bind_count(self->nl));
	ASSERT_TRUE(bind_get(self->nl, info.address, &got));
	snprintf(local, sizeof(local), "127.0.0.1:%u", p2);
	EXPECT_STREQ(local, got.local);
	ASSERT_TRUE(bind_get(self->nl, "u1", &got));

	/* A bind is an address of the node like any other. */
	EXPECT_EQ(-1, sock_bound("u1"));
	EXPECT_EQ(EADDRINUSE, errno);

	ASSERT_EQ(0, ockam_nl_udp_detach(self->nl, "u1", NULL));
	EXPECT_FALSE(bind_get(self->nl, "u1", &got));
	EXPECT_EQ(1, bind_count(self->nl));
	EXPECT_EQ(-ENOENT, ockam_nl_udp_detach(self->nl, "u1", NULL));
	EXPECT_EQ(-ENOENT, ockam_nl_udp_detach(self->nl, "nobody", NULL));
	{
		int a = sock_bound("a");

		/* An address, but not a bind's. */
		ASSERT_LE(0, a);
		EXPECT_EQ(-ENOENT, ockam_nl_udp_detach(self->nl, "a", NULL));
		close(a);
	}
	ASSERT_EQ(0, ockam_nl_udp_detach(self->nl, info.address, NULL));
	EXPECT_EQ(0, bind_count(self->nl));
	close(fd1);
	close(fd2);
}

TEST_F(attach, ipv6_needs_v6only)
{
	struct ockam_udp_info info;
	char local[64];
	uint16_t p1, p2;
	int fd1 = udp_bound(AF_INET6, true, &p1);
	int fd2 = udp_bound(AF_INET6, false, &p2);

	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-EINVAL, ockam_nl_udp_attach(self->nl, fd2, "v6", &info,
					       NULL));
	EXPECT_EQ(0, bind_count(self->nl));
	ASSERT_EQ(0, ockam_nl_udp_attach(self->nl, fd1, "v6", &info, NULL));
	snprintf(local, sizeof(local), "[::1]:%u", p1);
	EXPECT_STREQ(local, info.local);
	close(fd1);
	close(fd2);
}

TEST_F(attach, refusals)
{
	struct ockam_err err;
	uint16_t port, p2;
	int tcp = socket(AF_INET, SOCK_STREAM, 0);
	int unbound = socket(AF_INET, SOCK_DGRAM, 0);
	int fd = udp_bound(AF_INET, false, &port);
	int fd2 = udp_bound(AF_INET, false, &p2);
	int pipefd[2], a = sock_bound("a");

	ASSERT_LE(0, tcp);
	ASSERT_LE(0, unbound);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_EQ(-EBADF, ockam_nl_udp_attach(self->nl, 999, NULL, NULL, NULL));
	EXPECT_EQ(-ENOTSOCK, ockam_nl_udp_attach(self->nl, pipefd[0], NULL,
						 NULL, NULL));
	EXPECT_EQ(-EPROTOTYPE, ockam_nl_udp_attach(self->nl, tcp, NULL, NULL,
						   NULL));
	EXPECT_EQ(-EPROTOTYPE, ockam_nl_udp_attach(self->nl, a, NULL, NULL,
						   NULL));
	EXPECT_EQ(-EDESTADDRREQ, ockam_nl_udp_attach(self->nl, unbound, NULL,
						     NULL, &err));
	EXPECT_EQ(-EINVAL, ockam_nl_udp_attach(self->nl, fd, "bad/name", NULL,
					       NULL));
	ASSERT_EQ(0, ockam_nl_udp_attach(self->nl, fd, "u1", NULL, NULL));
	/* The same socket again, under any name. */
	EXPECT_EQ(-EBUSY, ockam_nl_udp_attach(self->nl, fd, "u2", NULL, &err));
	EXPECT_EQ(-EBUSY, ockam_nl_udp_attach(self->nl, fd, NULL, NULL, NULL));
	/* Names in use: a bind's, a socket's. */
	EXPECT_EQ(-EADDRINUSE, ockam_nl_udp_attach(self->nl, fd2, "u1", NULL,
						   NULL));
	EXPECT_EQ(-EADDRINUSE, ockam_nl_udp_attach(self->nl, fd2, "a", NULL,
						   NULL));
	EXPECT_EQ(1, bind_count(self->nl));
	/* After all that, the socket is still free to attach. */
	EXPECT_EQ(0, ockam_nl_udp_attach(self->nl, fd2, "u2", NULL, NULL));
	EXPECT_EQ(2, bind_count(self->nl));
	close(tcp);
	close(unbound);
	close(fd);
	close(fd2);
	close(a);
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST_F(attach, bind_dies_with_its_netlink_socket)
{
	struct ockam_nl *owner;
	uint16_t port;

	ASSERT_EQ(0, ockam_nl_open(&owner, NULL));
	ASSERT_EQ(0, udp_attached(owner, "owned", &port));
	ASSERT_EQ(0, udp_attached(self->nl, "mine", &port));
	EXPECT_EQ(2, bind_count(self->nl));
	ockam_nl_close(owner);
	EXPECT_TRUE(WAIT_FOR(bind_count(self->nl) == 1, 3000));
	EXPECT_EQ(-ENOENT, ockam_nl_udp_detach(self->nl, "owned", NULL));
	EXPECT_EQ(0, ockam_nl_udp_detach(self->nl, "mine", NULL));
}

/* Detached, the socket is a plain UDP socket again, and may come back. */
TEST_F(attach, detached_socket_is_plain_again)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint16_t port, pp;
	int fd = udp_bound(AF_INET, false, &port);
	int peer = udp_bound(AF_INET, false, &pp);
	char buf[8];

	ASSERT_LE(0, fd);
	ASSERT_LE(0, peer);
	ASSERT_EQ(0, ockam_nl_udp_attach(self->nl, fd, "u1", NULL, NULL));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(port);
	/* Attached: the bind takes every datagram, the socket sees none. */
	ASSERT_EQ(5, sendto(peer, "hello", 5, 0, (struct sockaddr *)&to,
			    sizeof(to)));
	EXPECT_TRUE(WAIT_FOR(bind_stat(self->nl, "u1",
				       OCKAM_STAT_DROP_BAD_FRAME) == 1, 3000));
	EXPECT_TRUE(quiet(fd, 100));
	ASSERT_EQ(0, ockam_nl_udp_detach(self->nl, "u1", NULL));
	ASSERT_EQ(5, sendto(peer, "again", 5, 0, (struct sockaddr *)&to,
			    sizeof(to)));
	ASSERT_EQ(0, set_rcvtimeo(fd, 5000));
	ASSERT_EQ(5, recv(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "again", 5));
	EXPECT_EQ(0, ockam_nl_udp_attach(self->nl, fd, "u1", NULL, NULL));
	close(fd);
	close(peer);
}

/* ---- two binds of one node, and two sockets ---- */

FIXTURE(udp)
{
	struct ockam_nl *nl;
	int a;
	int b;
	uint16_t p1;	/* bind "u1" */
	uint16_t p2;	/* bind "u2" */
};

FIXTURE_SETUP(udp)
{
	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, ockam_nl_open(&self->nl, NULL));
	/* The descriptors are closed: the binds keep their sockets. */
	ASSERT_EQ(0, udp_attached(self->nl, "u1", &self->p1));
	ASSERT_EQ(0, udp_attached(self->nl, "u2", &self->p2));
	self->a = sock_bound("a");
	self->b = sock_bound("b");
	ASSERT_LE(0, self->a);
	ASSERT_LE(0, self->b);
	ASSERT_EQ(0, set_rcvtimeo(self->a, 5000));
	ASSERT_EQ(0, set_rcvtimeo(self->b, 5000));
}

FIXTURE_TEARDOWN(udp)
{
	close(self->a);
	close(self->b);
	ockam_nl_close(self->nl);
}

TEST_F(udp, roundtrip_with_return_route_and_counters)
{
	char route[128], ret[128];
	struct ockam_udp_info u1, u2;
	struct sockaddr_ockam from;
	socklen_t fromlen = sizeof(from);
	char buf[16];

	snprintf(route, sizeof(route), "2#127.0.0.1:%u => 0#b", self->p2);
	ASSERT_EQ(4, send_to(self->a, route, "ping", 4));
	ASSERT_EQ(4, recvfrom(self->b, buf, sizeof(buf), 0,
			      (struct sockaddr *)&from, &fromlen));
	EXPECT_EQ(0, memcmp(buf, "ping", 4));
	/* It left from u1, the first bind, which pushed nothing: u2 pushed
	 * where it came from.
	 */
	snprintf(ret, sizeof(ret), "2#127.0.0.1:%u => 0#a", self->p1);
	{
		struct ockam_wire_route w = wire(ret);

		ASSERT_EQ(w.len, from.som_route_len);
		EXPECT_EQ(0, memcmp(w.bytes, from.som_route, w.len));
	}
	/* The reply leaves from u2, which heard from u1. */
	ASSERT_EQ(4, sendto(self->b, "pong", 4, 0, (struct sockaddr *)&from,
			    fromlen));
	snprintf(ret, sizeof(ret), "2#127.0.0.1:%u => 0#b", self->p2);
	EXPECT_EQ(0, recv_expect(self->a, "pong", ret, 0));

	ASSERT_TRUE(bind_get(self->nl, "u1", &u1));
	ASSERT_TRUE(bind_get(self->nl, "u2", &u2));
	EXPECT_EQ(1, u1.stats.value[OCKAM_STAT_TX_MESSAGES]);
	EXPECT_EQ(1, u1.stats.value[OCKAM_STAT_RX_MESSAGES]);
	EXPECT_EQ(1, u2.stats.value[OCKAM_STAT_TX_MESSAGES]);
	EXPECT_EQ(1, u2.stats.value[OCKAM_STAT_RX_MESSAGES]);
	EXPECT_EQ(u1.stats.value[OCKAM_STAT_TX_BYTES],
		  u2.stats.value[OCKAM_STAT_RX_BYTES]);
	EXPECT_EQ(u2.stats.value[OCKAM_STAT_TX_BYTES],
		  u1.stats.value[OCKAM_STAT_RX_BYTES]);
	EXPECT_EQ(1, u1.peers);
	EXPECT_EQ(1, u2.peers);
	EXPECT_EQ(0, u1.reasm_bytes);
	EXPECT_EQ(2, node_stat(self->nl, OCKAM_STAT_DELIVERED));
	EXPECT_EQ(2, node_stat(self->nl, OCKAM_STAT_RX_MESSAGES));
	EXPECT_EQ(2, node_stat(self->nl, OCKAM_STAT_TX_MESSAGES));
	EXPECT_EQ(0, node_stat(self->nl, OCKAM_STAT_UDP_REASSEMBLED));
}

TEST_F(udp, to_its_own_bind)
{
	char route[128], ret[128];

	snprintf(route, sizeof(route), "2#127.0.0.1:%u => 0#b", self->p1);
	snprintf(ret, sizeof(ret), "2#127.0.0.1:%u => 0#a", self->p1);
	ASSERT_EQ(1, send_to(self->a, route, "x", 1));
	EXPECT_EQ(0, recv_expect(self->b, "x", ret, 0));
	EXPECT_EQ(1, bind_peers(self->nl, "u1"));
	EXPECT_EQ(0, bind_peers(self->nl, "u2"));
}

/* u1 -> u2 -> back to u1: u2 heard from u1, so it sends from itself. */
TEST_F(udp, through_both_and_back)
{
	char route[128], ret[128];

	snprintf(route, sizeof(route),
		 "2#127.0.0.1:%u => 2#127.0.0.1:%u => 0#b", self->p2, self->p1);
	snprintf(ret, sizeof(ret), "2#127.0.0.1:%u => 2#127.0.0.1:%u => 0#a",
		 self->p2, self->p1);
	ASSERT_EQ(1, send_to(self->a, route, "y", 1));
	EXPECT_EQ(0, recv_expect(self->b, "y", ret, 0));
	EXPECT_EQ(1, node_stat(self->nl, OCKAM_STAT_FORWARDED));
	EXPECT_EQ(1, bind_stat(self->nl, "u2", OCKAM_STAT_TX_MESSAGES));
}

TEST(ipv6_binds)
{
	uint8_t *big = malloc(100000);
	struct ockam_nl *nl;
	char route[128], ret[128];
	uint16_t p1, p2;
	int fd1, fd2, a, b;

	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, ockam_nl_open(&nl, NULL));
	fd1 = udp_bound(AF_INET6, true, &p1);
	fd2 = udp_bound(AF_INET6, true, &p2);
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ockam_nl_udp_attach(nl, fd1, "v1", NULL, NULL));
	ASSERT_EQ(0, ockam_nl_udp_attach(nl, fd2, "v2", NULL, NULL));
	close(fd1);
	close(fd2);
	a = sock_bound("a");
	b = sock_bound("b");
	ASSERT_EQ(0, set_rcvtimeo(a, 5000));
	ASSERT_EQ(0, set_rcvtimeo(b, 5000));
	snprintf(route, sizeof(route), "2#[::1]:%u => 0#b", p2);
	snprintf(ret, sizeof(ret), "2#[::1]:%u => 0#a", p1);
	ASSERT_EQ(2, send_to(a, route, "v6", 2));
	EXPECT_EQ(0, recv_expect(b, "v6", ret, 0));
	ASSERT_EQ(5, send_to(b, ret, "reply", 5));
	snprintf(ret, sizeof(ret), "2#[::1]:%u => 0#b", p2);
	EXPECT_EQ(0, recv_expect(a, "reply", ret, 0));
	/* 100 KB: batches of datagrams through IPv6 (one full, one not). */
	ASSERT_TRUE(big);
	fill(big, 100000, 6);
	ASSERT_EQ(100000, send_to(a, ret, big, 100000));
	EXPECT_EQ(0, recv_bytes(b, big, 100000, NULL, 0));
	free(big);
	/* No IPv4 bind: an IPv4 address is unreachable. */
	EXPECT_EQ(-1, send_to(a, "2#127.0.0.1:9 => 0#b", "x", 1));
	EXPECT_EQ(EHOSTUNREACH, errno);
	close(a);
	close(b);
	ockam_nl_close(nl);
}

/* ---- the datagram size ---- */

TEST_F(udp, datagram_size_setting_and_bounds)
{
	struct ockam_node_settings set = { 0 };
	struct ockam_node_info info;

	ASSERT_EQ(0, ockam_nl_node_get(self->nl, &info, NULL));
	EXPECT_EQ(OCKAM_UDP_DATAGRAM_DEFAULT, info.udp_datagram);
	set.udp_datagram = OCKAM_UDP_DATAGRAM_MIN - 1;
	EXPECT_EQ(-ERANGE, ockam_nl_node_set(self->nl, &set, NULL));
	set.udp_datagram = OCKAM_UDP_DATAGRAM_MAX + 1;
	EXPECT_EQ(-ERANGE, ockam_nl_node_set(self->nl, &set, NULL));
	/* Zero, which libockam takes for "leave it", sent as it is. */
	EXPECT_NE(0, raw_request(OCKAM_CMD_NODE_SET, OCKAM_A_NODE,
				 OCKAM_NODE_A_UDP_DATAGRAM, 0));
	ASSERT_EQ(0, ockam_nl_node_get(self->nl, &info, NULL));
	EXPECT_EQ(OCKAM_UDP_DATAGRAM_DEFAULT, info.udp_datagram);
	set.udp_datagram = OCKAM_UDP_DATAGRAM_MIN;
	ASSERT_EQ(0, ockam_nl_node_set(self->nl, &set, NULL));
	ASSERT_EQ(0, ockam_nl_node_get(self->nl, &info, NULL));
	EXPECT_EQ(OCKAM_UDP_DATAGRAM_MIN, info.udp_datagram);
	set.udp_datagram = OCKAM_UDP_DATAGRAM_MAX;
	ASSERT_EQ(0, ockam_nl_node_set(self->nl, &set, NULL));
	ASSERT_EQ(0, ockam_nl_node_get(self->nl, &info, NULL));
	EXPECT_EQ(OCKAM_UDP_DATAGRAM_MAX, info.udp_datagram);
}

/* The encoded length of a message from "a" along @route with @len bytes. */
static size_t wire_len(struct ockam_nl *nl, int a, const char *route,
		       size_t len)
{
	long long before = bind_stat(nl, "u1", OCKAM_STAT_TX_BYTES);
	char *p = calloc(1, len + 1);

	if (!p || send_to(a, route, p, len) != (ssize_t)len) {
		free(p);
		return 0;
	}
	free(p);
	return bind_stat(nl, "u1", OCKAM_STAT_TX_BYTES) - before;
}

/* The payload length that makes a message of @total bytes on the wire. */
static size_t payload_for(size_t fixed, size_t total)
{
	size_t ul, p;

	for (ul = 1; ul <= 4; ul++) {
		p = total - fixed - ul;
		if (uleb128_len(p) == ul)
			return p;
	}
	return 0;
}

struct dgram {
	uint8_t *bytes;
	size_t len;
};

/* Read @want datagrams from @fd (within 10 s), then make sure no more came. */
static int capture(int fd, struct dgram *out, int want, size_t max)
{
	int got = 0;
	ssize_t n;

	while (got < want) {
		if (quiet(fd, 10000))
			return got;
		out[got].bytes = malloc(max);
		n = recv(fd, out[got].bytes, max, MSG_DONTWAIT);
		if (n < 0)
			return got;
		out[got++].len = n;
	}
	return quiet(fd, 50) ? got : got + 1;
}

/*
 * Messages of exactly k datagrams and one byte more, sent to a plain UDP
 * socket: each datagram's header and size as wire.h says; then the same
 * datagrams, in reverse order, from that socket to u2, and straight from
 * one bind to the other: the same bytes arrive.
 */
TEST_F_TIMEOUT(udp, messages_of_k_datagrams, 120)
{
	struct ockam_node_settings set = { .udp_datagram = 512 };
	const uint32_t chunk = 512 - OCKAM_UDP_HEADER_LEN;
	static const uint32_t totals[][2] = {
		/* message bytes, datagrams */
		{ chunk, 1 }, { chunk + 1, 2 }, { 2 * chunk, 2 },
		{ 2 * chunk + 1, 3 }, { 7 * chunk, 7 }, { 7 * chunk + 1, 8 },
	};
	char route[128], direct[128], ret[128];
	struct dgram d[16];
	uint16_t cport;
	int cap = udp_bound(AF_INET, false, &cport);
	size_t fixed, i;
	uint8_t *payload = malloc(8 * chunk);
	int k, n;

	ASSERT_LE(0, cap);
	ASSERT_TRUE(payload);
	ASSERT_EQ(0, set_rcvbuf(cap, 4 << 20));
	ASSERT_EQ(0, ockam_nl_node_set(self->nl, &set, NULL));
	snprintf(route, sizeof(route), "2#127.0.0.1:%u => 0#b", cport);
	snprintf(direct, sizeof(direct), "2#127.0.0.1:%u => 0#b", self->p2);
	snprintf(ret, sizeof(ret), "2#127.0.0.1:%u => 0#a", cport);
	/* The message's bytes around the payload, less its length's. */
	fixed = wire_len(self->nl, self->a, route, 1) - 2;
	ASSERT_LT(0, fixed);
	ASSERT_EQ(1, capture(cap, d, 1, 65536));
	free(d[0].bytes);

	for (i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) {
		uint32_t total = totals[i][0], want = totals[i][1], msgno;
		size_t plen = payload_for(fixed, total);

		TH_LOG("message of %u bytes", total);
		ASSERT_LT(0, plen);
		fill(payload, plen, i);
		ASSERT_EQ(plen, send_to(self->a, route, payload, plen));
		n = capture(cap, d, want, 65536);
		ASSERT_EQ(want, n);
		msgno = get_be32(d[0].bytes + 4);
		for (k = 0; k < n; k++) {
			uint32_t last = total - (want - 1) * chunk;

			EXPECT_EQ(OCKAM_UDP_VERSION, d[k].bytes[0]);
			EXPECT_EQ(0, d[k].bytes[1] | d[k].bytes[2] |
				  d[k].bytes[3]);
			EXPECT_EQ(msgno, get_be32(d[k].bytes + 4));
			EXPECT_EQ(k * chunk, get_be32(d[k].bytes + 8));
			EXPECT_EQ(total, get_be32(d[k].bytes + 12));
			EXPECT_EQ(OCKAM_UDP_HEADER_LEN +
				  ((uint32_t)k == want - 1 ? last : chunk),
				  d[k].len);
		}
		/* Played back to u2 backwards. */
		for (k = n - 1; k >= 0; k--) {
			struct sockaddr_in sin = { .sin_family = AF_INET };

			sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			sin.sin_port = htons(self->p2);
			ASSERT_EQ(d[k].len, sendto(cap, d[k].bytes, d[k].len, 0,
						   (struct sockaddr *)&sin,
						   sizeof(sin)));
			free(d[k].bytes);
		}
		EXPECT_EQ(0, recv_bytes(self->b, payload, plen, ret, 0));
		/* And from bind to bind. */
		ASSERT_EQ(plen, send_to(self->a, direct, payload, plen));
		EXPECT_EQ(0, recv_bytes(self->b, payload, plen, NULL, 0));
	}
	/* Every message of two or more datagrams, twice. */
	EXPECT_EQ(10, bind_stat(self->nl, "u2", OCKAM_STAT_UDP_REASSEMBLED));
	EXPECT_EQ(0, bind_stat(self->nl, "u2", OCKAM_STAT_UDP_DUPLICATES));
	EXPECT_EQ(0, bind_reasm(self->nl, "u2"));
	close(cap);
	free(payload);
}

/*
 * The largest message a local sender may send (its UDP hop counts), in
 * datagrams of the default and of the largest size.
 */
TEST_F_TIMEOUT(udp, the_largest_message, 120)
{
	static const uint32_t sizes[] = { OCKAM_UDP_DATAGRAM_DEFAULT,
					  OCKAM_UDP_DATAGRAM_MAX };
	struct ockam_node_settings set = { 0 };
	char route[128], value[64];
	size_t fixed, plen, i;
	uint8_t *payload = malloc(MAX_MESSAGE_DEFAULT);

	ASSERT_TRUE(payload);
	ASSERT_EQ(0, set_rcvbuf(self->b, 8 << 20));
	snprintf(value, sizeof(value), "127.0.0.1:%u", self->p2);
	snprintf(route, sizeof(route), "2#%s => 0#b", value);
	fixed = wire_len(self->nl, self->a, route, 1) - 2;
	ASSERT_EQ(0, recv_bytes(self->b, "", 1, NULL, 0));
	/* The UDP hop: type, length, value. */
	plen = payload_for(fixed + 2 + strlen(value), MAX_MESSAGE_DEFAULT);
	ASSERT_LT(MAX_MESSAGE_DEFAULT - 100, plen);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		set.udp_datagram = sizes[i];
		ASSERT_EQ(0, ockam_nl_node_set(self->nl, &set, NULL));
		fill(payload, plen, sizes[i]);
		ASSERT_EQ(plen, send_to(self->a, route, payload, plen));
		EXPECT_EQ(0, recv_bytes(self->b, payload, plen, NULL, 0));
	}
	EXPECT_EQ(2, bind_stat(self->nl, "u2", OCKAM_STAT_UDP_REASSEMBLED));
	EXPECT_EQ(0, bind_reasm(self->nl, "u2"));
	/* One byte more does not leave the socket. */
	EXPECT_EQ(-1, send_to(self->a, route, payload, plen + 1));
	EXPECT_EQ(EMSGSIZE, errno);
	free(payload);
}

/*
 * A batch carries up to 60 KiB of datagrams whatever the layout of the
 * message's pages: a local sender's message is in page fragments that
 * the datagrams refer to, two or three fragment slots each, so a batch
 * that needs more slots than one skb has chains skbs. The receiving bind
 * takes each batch whole.
 */
TEST_F(udp, a_batch_holds_60_kib_of_datagrams)
{
	const uint32_t datagram = OCKAM_UDP_DATAGRAM_DEFAULT;
	const uint32_t chunk = datagram - OCKAM_UDP_HEADER_LEN;
	const uint32_t per_batch = (60 << 10) / datagram;
	static const uint32_t cases[][3] = {
		/* datagrams, bytes past them, batches */
		{ 43, 0, 1 }, { 43, 1, 1 }, { 44, 1, 2 }, { 2, 0, 1 },
	};
	struct ockam_node_settings set = { .udp_datagram = datagram };
	long long batches;
	char route[128];
	uint8_t *payload;
	size_t fixed, plen, i;

	ASSERT_EQ(43, per_batch);
	payload = malloc(per_batch * chunk + 2 * chunk);
	ASSERT_TRUE(payload);
	ASSERT_EQ(0, set_rcvbuf(self->b, 4 << 20));
	ASSERT_EQ(0, ockam_nl_node_set(self->nl, &set, NULL));
	snprintf(route, sizeof(route), "2#127.0.0.1:%u => 0#b", self->p2);
	fixed = wire_len(self->nl, self->a, route, 1) - 2;
	ASSERT_LT(0, fixed);
	ASSERT_EQ(0, recv_bytes(self->b, "", 1, NULL, 0));
	batches = bind_stat(self->nl, "u2", OCKAM_STAT_UDP_BATCHES);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t total = cases[i][0] * chunk + cases[i][1];

		TH_LOG("message of %u bytes", total);
		plen = payload_for(fixed, total);
		ASSERT_LT(0, plen);
		fill(payload, plen, i);
		ASSERT_EQ(plen, send_to(self->a, route, payload, plen));
		EXPECT_EQ(0, recv_bytes(self->b, payload, plen, NULL, 0));
		batches += cases[i][2];
		EXPECT_EQ(batches, bind_stat(self->nl, "u2",
					     OCKAM_STAT_UDP_BATCHES));
	}
	EXPECT_EQ(4, bind_stat(self->nl, "u2", OCKAM_STAT_UDP_REASSEMBLED));
	EXPECT_EQ(0, bind_stat(self->nl, "u2", OCKAM_STAT_DROP_BAD_FRAME));
	EXPECT_EQ(0, bind_reasm(self->nl, "u2"));
	free(payload);
}

/* ---- a peer that sends datagrams made by hand ---- */

/*
 * A bind reads its socket's queue in softirq, where busy polling has no
 * place; the owner of the file may still ask for it, and is not obeyed.
 */
TEST(a_bind_does_not_busy_poll)
{
	struct ockam_nl *nl;
	uint16_t port, peer_port;
	int fd, peer, b, usec = 50;
	socklen_t len = sizeof(usec);
	uint8_t small[64];
	size_t n;

	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, ockam_nl_open(&nl, NULL));
	fd = udp_bound(AF_INET, false, &port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ockam_nl_udp_attach(nl, fd, "u1", NULL, NULL));
	if (setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &usec, sizeof(usec)))
		SKIP(return, "no busy polling in this kernel");
	b = sock_bound("b");
	ASSERT_LE(0, b);
	ASSERT_EQ(0, set_rcvtimeo(b, 5000));
	peer = udp_bound(AF_INET, false, &peer_port);
	ASSERT_LE(0, peer);
	n = build_msg(small, "0#b", "0#peer", "hello", 5);
	ASSERT_EQ(0, send_frag(peer, port, 1, small, n, 0, n));
	EXPECT_EQ(0, recv_bytes(b, "hello", 5, NULL, 0));
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &usec, &len));
	EXPECT_EQ(0, usec);
	close(peer);
	close(b);
	close(fd);
	ockam_nl_close(nl);
}

FIXTURE(raw)
{
	struct ockam_nl *nl;
	int b;
	int peer;		/* a plain UDP socket */
	uint16_t port;		/* bind "u1" */
	uint16_t peer_port;
	char ret[64];		/* the return route a message from peer gets */
	uint8_t msg[2048];	/* [0#b], [0#peer], some payload */
	uint32_t len;
	uint8_t *payload;
	uint32_t payload_len;
};

FIXTURE_SETUP(raw)
{
	uint8_t payload[1500];

	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, ockam_nl_open(&self->nl, NULL));
	ASSERT_EQ(0, udp_attached(self->nl, "u1", &self->port));
	self->b = sock_bound("b");
	ASSERT_LE(0, self->b);
	ASSERT_EQ(0, set_rcvtimeo(self->b, 5000));
	self->peer = udp_bound(AF_INET, false, &self->peer_port);
	ASSERT_LE(0, self->peer);
	snprintf(self->ret, sizeof(self->ret), "2#127.0.0.1:%u => 0#peer",
		 self->peer_port);
	fill(payload, sizeof(payload), 7);
	self->len = build_msg(self->msg, "0#b", "0#peer", payload,
			      sizeof(payload));
	self->payload_len = sizeof(payload);
	self->payload = self->msg + self->len - sizeof(payload);
}

FIXTURE_TEARDOWN(raw)
{
	close(self->b);
	close(self->peer);
	ockam_nl_close(self->nl);
}

static long long raw_stat(FIXTURE_DATA(raw) *self, enum ockam_stat stat)
{
	return bind_stat(self->nl, "u1", stat);
}

/* Is the fixture's message delivered to b, once? */
static bool delivered_once(FIXTURE_DATA(raw) *self)
{
	return !recv_bytes(self->b, self->payload, self->payload_len,
			   self->ret, 0) &&
	       quiet(self->b, 50);
}

TEST_F(raw, single_datagram_message)
{
	uint8_t small[64];
	size_t n = build_msg(small, "0#b", "0#peer", "hello", 5);

	ASSERT_EQ(0, send_frag(self->peer, self->port, 1, small, n, 0, n));
	EXPECT_EQ(0, recv_expect(self->b, "hello", self->ret, 0));
	/* The whole fixture message in one datagram. */
	ASSERT_EQ(0, send_frag(self->peer, self->port, 2, self->msg, self->len,
			       0, self->len));
	EXPECT_TRUE(delivered_once(self));
	EXPECT_EQ(2, raw_stat(self, OCKAM_STAT_RX_MESSAGES));
	EXPECT_EQ(0, raw_stat(self, OCKAM_STAT_UDP_REASSEMBLED));
	EXPECT_EQ(1, bind_peers(self->nl, "u1"));
}

TEST_F(raw, fragments_in_reverse_order)
{
	uint32_t step = 100, off;
	int k;

	for (k = (self->len - 1) / step; k >= 0; k--) {
		off = k * step;
		ASSERT_EQ(0, send_frag(self->peer, self->port, 7, self->msg,
				       self->len, off,
				       off + step > self->len ? self->len - off
							      : step));
	}
	EXPECT_TRUE(delivered_once(self));
	EXPECT_EQ(1, raw_stat(self, OCKAM_STAT_UDP_REASSEMBLED));
	EXPECT_EQ(0, raw_stat(self, OCKAM_STAT_UDP_DUPLICATES));
	EXPECT_EQ(0, bind_reasm(self->nl, "u1"));
}

TEST_F(raw, fragments_shuffled_of_uneven_sizes)
{
	uint32_t start[64], size[64], off = 0;
	unsigned int seed = 12345, round;
	int n = 0, i, j;

	/* Sizes 1 to 97 bytes, a fixed pseudo-random sequence. */
	while (off < self->len) {
		seed = seed * 1103515245 + 12345;
		start[n] = off;
		size[n] = 1 + (seed >> 16) % 97;
		if (off + size[n] > self->len)
			size[n] = self->len - off;
		off += size[n++];
		ASSERT_GT(64, n);
	}
	for (round = 0; round < 3; round++) {
		for (i = n - 1; i > 0; i--) {
			uint32_t t;

			seed = seed * 1103515245 + 12345;
			j = (seed >> 16) % (i + 1);
			t = start[i], start[i] = start[j], start[j] = t;
			t = size[i], size[i] = size[j], size[j] = t;
		}
		for (i = 0; i < n; i++)
			ASSERT_EQ(0, send_frag(self->peer, self->port,
					       100 + round, self->msg,
					       self->len, start[i], size[i]));
		EXPECT_TRUE(delivered_once(self));
	}
	EXPECT_EQ(3, raw_stat(self, OCKAM_STAT_UDP_REASSEMBLED));
	EXPECT_EQ(0, bind_reasm(self->nl, "u1"));
}

/* Two messages of one peer, their fragments interleaved. */
TEST_F(raw, interleaved_messages)
{
	uint32_t half = self->len / 2;

	ASSERT_EQ(0, send_frag(self->peer, self->port, 1, self->msg, self->len,
			       half, self->len - half));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 2, self->msg, self->len,
			       0, half));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 1, self->msg, self->len,
			       0, half));
	EXPECT_TRUE(delivered_once(self));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 2, self->msg, self->len,
			       half, self->len - half));
	EXPECT_TRUE(delivered_once(self));
	EXPECT_EQ(2, raw_stat(self, OCKAM_STAT_UDP_REASSEMBLED));
}

TEST_F(raw, batch_of_one_messages_fragments_is_taken_whole)
{
	const uint16_t step = OCKAM_UDP_HEADER_LEN + 256;
	struct batch_part parts[16];
	int n;

	/* All of it, in order, in one batch. */
	n = batch_run(parts, 20, self->len, step, 0, 0);
	ASSERT_LT(2, n);
	ASSERT_EQ(0, send_batch(self->peer, self->port, self->msg, self->len,
				step, parts, n));
	EXPECT_TRUE(delivered_once(self));
	EXPECT_EQ(1, raw_stat(self, OCKAM_STAT_UDP_BATCHES));
	EXPECT_EQ(1, raw_stat(self, OCKAM_STAT_UDP_REASSEMBLED));
	/* In two batches, the second half first. */
	n = batch_run(parts, 21, self->len, step, 3, 0);
	ASSERT_EQ(0, send_batch(self->peer, self->port, self->msg, self->len,
				step, parts, n));
	ASSERT_TRUE(WAIT_FOR(bind_reasm(self->nl, "u1") > 0, 3000));
	n = batch_run(parts, 21, self->len, step, 0, 3);
	ASSERT_EQ(0, send_batch(self->peer, self->port, self->msg, self->len,
				step, parts, n));
	EXPECT_TRUE(delivered_once(self));
	EXPECT_EQ(3, raw_stat(self, OCKAM_STAT_UDP_BATCHES));
	EXPECT_EQ(2, raw_stat(self, OCKAM_STAT_UDP_REASSEMBLED));
	/* A batch short of the last datagram, which comes alone. */
	n = batch_run(parts, 22, self->len, step, 0, 0);
	ASSERT_EQ(0, send_batch(self->peer, self->port, self->msg, self->len,
				step, parts, n - 1));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 22, self->msg,
			       self->len, parts[n - 1].offset,
			       parts[n - 1].len));
	EXPECT_TRUE(delivered_once(self));
	EXPECT_EQ(0, bind_reasm(self->nl, "u1"));
	EXPECT_EQ(0, raw_stat(self, OCKAM_STAT_DROP_BAD_FRAME));
	EXPECT_EQ(4, raw_stat(self, OCKAM_STAT_UDP_BATCHES));
	EXPECT_EQ(4, node_stat(self->nl, OCKAM_STAT_UDP_BATCHES));
}

TEST_F(raw, batch_of_other_datagrams_is_taken_one_by_one)
{
	const uint16_t step = OCKAM_UDP_HEADER_LEN + 256;
	struct batch_part parts[16];
	int n;

	/* Message 30's first fragment, a bad datagram, its second. */
	n = batch_run(parts, 30, self->len, step, 0, 0);
	parts[2] = parts[1];
	parts[1].bad = true;
	ASSERT_EQ(0, send_batch(self->peer, self->port, self->msg, self->len,
				step, parts, 3));
	ASSERT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_DROP_BAD_FRAME) == 1,
			     3000));
	EXPECT_TRUE(quiet(self->b, 50));
	/* The rest, with a fragment of message 31 between. */
	n = batch_run(parts, 30, self->len, step, 2, 0);
	parts[n] = parts[n - 1];
	parts[n - 1] = parts[0];
	parts[n - 1].message = 31;
	ASSERT_EQ(0, send_batch(self->peer, self->port, self->msg, self->len,
				step, parts, n + 1));
	EXPECT_TRUE(delivered_once(self));
	EXPECT_EQ(0, raw_stat(self, OCKAM_STAT_UDP_BATCHES));
	EXPECT_EQ(1, raw_stat(self, OCKAM_STAT_UDP_REASSEMBLED));
	EXPECT_EQ(1, raw_stat(self, OCKAM_STAT_DROP_BAD_FRAME));
	/* Message 31 waits for the rest. */
	EXPECT_LT(0, bind_reasm(self->nl, "u1"));
}

TEST_F(raw, duplicate_fragment)
{
	uint32_t half = self->len / 2;

	ASSERT_EQ(0, send_frag(self->peer, self->port, 3, self->msg, self->len,
			       0, half));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 3, self->msg, self->len,
			       0, half));
	ASSERT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_UDP_DUPLICATES) == 1,
			     3000));
	/* Bytes all held, inside one fragment, are a duplicate too. */
	ASSERT_EQ(0, send_frag(self->peer, self->port, 3, self->msg, self->len,
			       10, half - 20));
	ASSERT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_UDP_DUPLICATES) == 2,
			     3000));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 3, self->msg, self->len,
			       half, self->len - half));
	EXPECT_TRUE(delivered_once(self));
	/* A duplicate of the last fragment after the message is done starts
	 * a new one, which never finishes.
	 */
	EXPECT_EQ(2, raw_stat(self, OCKAM_STAT_UDP_DUPLICATES));
	EXPECT_EQ(1, raw_stat(self, OCKAM_STAT_UDP_REASSEMBLED));
	EXPECT_EQ(2, node_stat(self->nl, OCKAM_STAT_UDP_DUPLICATES));
	EXPECT_EQ(0, raw_stat(self, OCKAM_STAT_DROP_OVERLAP));
	EXPECT_EQ(0, bind_reasm(self->nl, "u1"));
}

TEST_F(raw, fragment_across_two_held_ones_is_a_duplicate)
{
	uint32_t third = self->len / 3;

	ASSERT_EQ(0, send_frag(self->peer, self->port, 9, self->msg, self->len,
			       0, third));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 9, self->msg, self->len,
			       third, third));
	/* Across the seam of two held fragments, no gap between them. */
	ASSERT_EQ(0, send_frag(self->peer, self->port, 9, self->msg, self->len,
			       third / 2, third));
	ASSERT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_UDP_DUPLICATES) == 1,
			     3000));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 9, self->msg, self->len,
			       2 * third, self->len - 2 * third));
	EXPECT_TRUE(delivered_once(self));
	EXPECT_EQ(0, raw_stat(self, OCKAM_STAT_DROP_OVERLAP));
	/* Across a gap it brings new bytes: it overlaps. */
	ASSERT_EQ(0, send_frag(self->peer, self->port, 10, self->msg,
			       self->len, 0, third));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 10, self->msg,
			       self->len, 2 * third, third));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 10, self->msg,
			       self->len, third / 2, 2 * third));
	ASSERT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_DROP_OVERLAP) == 1,
			     3000));
	EXPECT_EQ(0, bind_reasm(self->nl, "u1"));
}

TEST_F(raw, overlapping_fragment_loses_the_message)
{
	ASSERT_EQ(0, send_frag(self->peer, self->port, 4, self->msg, self->len,
			       0, 100));
	ASSERT_TRUE(WAIT_FOR(bind_reasm(self->nl, "u1") > 0, 3000));
	/* Starts inside the first. */
	ASSERT_EQ(0, send_frag(self->peer, self->port, 4, self->msg, self->len,
			       50, 100));
	ASSERT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_DROP_OVERLAP) == 1,
			     3000));
	EXPECT_EQ(0, bind_reasm(self->nl, "u1"));
	/* Same start, longer; and one that covers a held one. */
	ASSERT_EQ(0, send_frag(self->peer, self->port, 5, self->msg, self->len,
			       100, 100));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 5, self->msg, self->len,
			       100, 150));
	ASSERT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_DROP_OVERLAP) == 2,
			     3000));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 6, self->msg, self->len,
			       100, 100));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 6, self->msg, self->len,
			       0, 300));
	ASSERT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_DROP_OVERLAP) == 3,
			     3000));
	EXPECT_EQ(0, bind_reasm(self->nl, "u1"));
	/* The rest of message 4 alone makes nothing. */
	ASSERT_EQ(0, send_frag(self->peer, self->port, 4, self->msg, self->len,
			       100, self->len - 100));
	EXPECT_TRUE(quiet(self->b, 200));
	EXPECT_EQ(0, raw_stat(self, OCKAM_STAT_UDP_REASSEMBLED));
	EXPECT_EQ(3, node_stat(self->nl, OCKAM_STAT_DROP_OVERLAP));
}

TEST_F(raw, fragment_with_another_length)
{
	ASSERT_EQ(0, send_frag(self->peer, self->port, 8, self->msg, self->len,
			       0, 100));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 8, self->msg,
			       self->len + 1, 100, 100));
	ASSERT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_DROP_OVERLAP) == 1,
			     3000));
	EXPECT_EQ(0, bind_reasm(self->nl, "u1"));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 8, self->msg, self->len,
			       100, self->len - 100));
	EXPECT_TRUE(quiet(self->b, 200));
	/* Other messages are not disturbed. */
	ASSERT_EQ(0, send_frag(self->peer, self->port, 9, self->msg, self->len,
			       0, self->len));
	EXPECT_TRUE(delivered_once(self));
}

TEST_F(raw, bad_headers)
{
	static const uint8_t version2[4] = { 2, 0, 0, 0 };
	static const uint8_t version0[4] = { 0, 0, 0, 0 };
	static const uint8_t flags[4] = { 1, 1, 0, 0 };
	static const uint8_t reserved[4] = { 1, 0, 0, 1 };
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint32_t len = self->len;
	long long bad = 0;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(self->port);
#define EXPECT_BAD(send)						\
	do {								\
		ASSERT_EQ(0, send);					\
		bad++;							\
		EXPECT_TRUE(WAIT_FOR(raw_stat(self,			\
				     OCKAM_STAT_DROP_BAD_FRAME) == bad,	\
				     3000));				\
	} while (0)
	EXPECT_BAD(send_raw(self->peer, self->port, version2, 1, 0, len,
			    self->msg, len));
	EXPECT_BAD(send_raw(self->peer, self->port, version0, 1, 0, len,
			    self->msg, len));
	EXPECT_BAD(send_raw(self->peer, self->port, flags, 1, 0, len,
			    self->msg, len));
	EXPECT_BAD(send_raw(self->peer, self->port, reserved, 1, 0, len,
			    self->msg, len));
	/* An empty fragment. */
	EXPECT_BAD(send_raw(self->peer, self->port, good_hdr, 1, 0, len,
			    self->msg, 0));
	/* At the length, past it, and running over it. */
	EXPECT_BAD(send_raw(self->peer, self->port, good_hdr, 1, len, len,
			    self->msg, 1));
	EXPECT_BAD(send_raw(self->peer, self->port, good_hdr, 1, len + 10, len,
			    self->msg, 1));
	EXPECT_BAD(send_raw(self->peer, self->port, good_hdr, 1, len - 10, len,
			    self->msg, 11));
	EXPECT_BAD(send_raw(self->peer, self->port, good_hdr, 1, 0, len,
			    self->msg, len + 1));
	EXPECT_BAD(send_raw(self->peer, self->port, good_hdr, 1, 0xffffff00,
			    len, self->msg, 0x200));
	/* A length of 0. */
	EXPECT_BAD(send_raw(self->peer, self->port, good_hdr, 1, 0, 0,
			    self->msg, 1));
	/* Shorter than a header, and empty. */
	EXPECT_BAD(sendto(self->peer, good_hdr, 4, 0, (struct sockaddr *)&to,
			  sizeof(to)) == 4 ? 0 : -1);
	EXPECT_BAD(sendto(self->peer, "", 0, 0, (struct sockaddr *)&to,
			  sizeof(to)) == 0 ? 0 : -1);
	/* A message that does not parse, in one datagram. */
	EXPECT_BAD(send_raw(self->peer, self->port, good_hdr, 1, 0, 3,
			    "\x01\x05\x00", 3));
#undef EXPECT_BAD
	EXPECT_EQ(bad, node_stat(self->nl, OCKAM_STAT_DROP_BAD_FRAME));
	EXPECT_EQ(0, bind_reasm(self->nl, "u1"));
	EXPECT_TRUE(quiet(self->b, 50));
	/* The bind still works. */
	ASSERT_EQ(0, send_frag(self->peer, self->port, 2, self->msg, self->len,
			       0, self->len));
	EXPECT_TRUE(delivered_once(self));
}

/* A message of exactly the node's max message, from a peer. */
TEST_F(raw, the_largest_message_from_a_peer)
{
	enum { FRAG = 65000 };
	uint8_t head[64];
	size_t fixed = build_msg(head, "0#b", "0#peer", "", 0) - 1;
	size_t plen = payload_for(fixed, MAX_MESSAGE_DEFAULT), len;
	uint8_t *payload = malloc(plen), *msg = malloc(MAX_MESSAGE_DEFAULT);
	uint32_t off;

	ASSERT_TRUE(payload && msg);
	ASSERT_EQ(0, set_rcvbuf(self->b, 8 << 20));
	fill(payload, plen, 3);
	len = build_msg(msg, "0#b", "0#peer", payload, plen);
	ASSERT_EQ(MAX_MESSAGE_DEFAULT, len);
	for (off = 0; off < len; off += FRAG)
		ASSERT_EQ(0, send_frag(self->peer, self->port, 9, msg, len, off,
				       len - off < FRAG ? len - off : FRAG));
	EXPECT_EQ(0, recv_bytes(self->b, payload, plen, self->ret, 0));
	EXPECT_EQ(1, raw_stat(self, OCKAM_STAT_UDP_REASSEMBLED));
	EXPECT_EQ(0, bind_reasm(self->nl, "u1"));
	free(payload);
	free(msg);
}

TEST_F(raw, the_largest_message_in_batches)
{
	/* Datagrams of 1400 bytes, 40 to a batch: 56000 bytes each. */
	enum { STEP = 1400, PER_BATCH = 40 };
	uint32_t chunk = STEP - OCKAM_UDP_HEADER_LEN;
	uint8_t head[64];
	size_t fixed = build_msg(head, "0#b", "0#peer", "", 0) - 1;
	size_t plen = payload_for(fixed, MAX_MESSAGE_DEFAULT), len;
	uint8_t *payload = malloc(plen), *msg = malloc(MAX_MESSAGE_DEFAULT);
	struct batch_part parts[PER_BATCH];
	int first, n, batches = 0;

	ASSERT_TRUE(payload && msg);
	ASSERT_EQ(0, set_rcvbuf(self->b, 8 << 20));
	fill(payload, plen, 5);
	len = build_msg(msg, "0#b", "0#peer", payload, plen);
	ASSERT_EQ(MAX_MESSAGE_DEFAULT, len);
	/* Pieces are charged by the page: the whole message must fit. */
	for (first = 0; (uint32_t)first * chunk < len; first += PER_BATCH) {
		n = batch_run(parts, 12, len, STEP, first, first + PER_BATCH);
		ASSERT_EQ(0, send_batch(self->peer, self->port, msg, len, STEP,
					parts, n));
		batches++;
	}
	EXPECT_EQ(0, recv_bytes(self->b, payload, plen, self->ret, 0));
	EXPECT_EQ(batches, raw_stat(self, OCKAM_STAT_UDP_BATCHES));
	EXPECT_EQ(1, raw_stat(self, OCKAM_STAT_UDP_REASSEMBLED));
	EXPECT_EQ(0, raw_stat(self, OCKAM_STAT_DROP_REASM_MEMORY));
	EXPECT_EQ(0, bind_reasm(self->nl, "u1"));
	free(payload);
	free(msg);
}

TEST_F(raw, message_over_the_maximum)
{
	struct ockam_node_settings set = { .max_message = 8192 };

	ASSERT_EQ(0, send_raw(self->peer, self->port, good_hdr, 1, 0,
			      MAX_MESSAGE_DEFAULT + 1, self->msg, 100));
	EXPECT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_DROP_TOO_BIG) == 1,
			     3000));
	ASSERT_EQ(0, send_raw(self->peer, self->port, good_hdr, 1, 0,
			      0xffffffff, self->msg, 100));
	EXPECT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_DROP_TOO_BIG) == 2,
			     3000));
	/* The node's setting, not a constant. */
	ASSERT_EQ(0, ockam_nl_node_set(self->nl, &set, NULL));
	ASSERT_EQ(0, send_raw(self->peer, self->port, good_hdr, 1, 0, 8193,
			      self->msg, 100));
	EXPECT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_DROP_TOO_BIG) == 3,
			     3000));
	EXPECT_EQ(0, bind_reasm(self->nl, "u1"));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 2, self->msg, self->len,
			       0, 1000));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 2, self->msg, self->len,
			       1000, self->len - 1000));
	EXPECT_TRUE(delivered_once(self));
}

/* The 17th unfinished message of a peer pushes out its oldest. */
TEST_F(raw, too_many_unfinished_messages)
{
	uint32_t half = self->len / 2, m;

	for (m = 1; m <= PARTIALS_PER_PEER + 1; m++)
		ASSERT_EQ(0, send_frag(self->peer, self->port, m, self->msg,
				       self->len, 0, half));
	ASSERT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_DROP_INCOMPLETE) == 1,
			     3000));
	/* Messages 2 to 17 are all there... */
	for (m = 2; m <= PARTIALS_PER_PEER + 1; m++) {
		ASSERT_EQ(0, send_frag(self->peer, self->port, m, self->msg,
				       self->len, half, self->len - half));
		EXPECT_TRUE(delivered_once(self));
	}
	EXPECT_EQ(0, bind_reasm(self->nl, "u1"));
	/* ... message 1 is not. */
	ASSERT_EQ(0, send_frag(self->peer, self->port, 1, self->msg, self->len,
			       half, self->len - half));
	EXPECT_TRUE(quiet(self->b, 200));
	EXPECT_LT(0, bind_reasm(self->nl, "u1"));
	EXPECT_EQ(PARTIALS_PER_PEER, raw_stat(self, OCKAM_STAT_UDP_REASSEMBLED));
	EXPECT_EQ(1, raw_stat(self, OCKAM_STAT_DROP_INCOMPLETE));
	EXPECT_EQ(1, node_stat(self->nl, OCKAM_STAT_DROP_INCOMPLETE));

	/* Another peer has 16 of its own. */
	{
		uint16_t port2;
		int peer2 = udp_bound(AF_INET, false, &port2);

		ASSERT_LE(0, peer2);
		for (m = 1; m <= PARTIALS_PER_PEER; m++)
			ASSERT_EQ(0, send_frag(peer2, self->port, m, self->msg,
					       self->len, 0, half));
		usleep(100000);
		EXPECT_EQ(1, raw_stat(self, OCKAM_STAT_DROP_INCOMPLETE));
		close(peer2);
	}
}

/*
 * Many big unfinished messages: per peer, then from many peers, until
 * the node's limit. What the bind holds stays under both, and it frees
 * everything when detached: a new bind can hold as much again.
 */
TEST_F_TIMEOUT(raw, reassembly_memory_is_bounded, 150)
{
	enum { PEERS = 12, FRAGS = 6, FRAG = 60000 };
	uint8_t *big = calloc(1, FRAG);
	int peers[PEERS], p, m, f;
	uint16_t port;
	long long held, drops;

	ASSERT_TRUE(big);
	for (p = 0; p < PEERS; p++) {
		peers[p] = udp_bound(AF_INET, false, &port);
		ASSERT_LE(0, peers[p]);
	}
	/* One peer: 16 messages of 6 fragments, over its share. */
	for (m = 1; m <= PARTIALS_PER_PEER; m++)
		for (f = 0; f < FRAGS; f++)
			ASSERT_EQ(0, send_raw(peers[0], self->port, good_hdr, m,
					      f * FRAG, MAX_MESSAGE_DEFAULT,
					      big, FRAG));
	ASSERT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_DROP_REASM_MEMORY) > 0,
			     5000));
	held = bind_reasm(self->nl, "u1");
	TH_LOG("one peer: %lld bytes held, %lld dropped for memory", held,
	       raw_stat(self, OCKAM_STAT_DROP_REASM_MEMORY));
	EXPECT_GE(REASM_PEER_MIN, held);
	EXPECT_LT(REASM_PEER_MIN / 2, held);

	/* All of them: the node's limit. */
	for (p = 1; p < PEERS; p++) {
		for (m = 1; m <= PARTIALS_PER_PEER; m++)
			for (f = 0; f < FRAGS; f++)
				ASSERT_EQ(0, send_raw(peers[p], self->port,
						      good_hdr, m, f * FRAG,
						      MAX_MESSAGE_DEFAULT, big,
						      FRAG));
		held = bind_reasm(self->nl, "u1");
		ASSERT_GE(REASM_NODE_MIN, held);
	}
	drops = raw_stat(self, OCKAM_STAT_DROP_REASM_MEMORY);
	TH_LOG("%d peers: %lld bytes held, %lld dropped for memory", PEERS,
	       held, drops);
	EXPECT_LT(REASM_NODE_MIN / 2, held);
	EXPECT_LT(PEERS, drops);
	EXPECT_EQ(drops, node_stat(self->nl, OCKAM_STAT_DROP_REASM_MEMORY));
	EXPECT_EQ(PEERS, bind_peers(self->nl, "u1"));

	/* Detached, every unfinished message is counted and let go. */
	ASSERT_EQ(0, ockam_nl_udp_detach(self->nl, "u1", NULL));
	EXPECT_TRUE(WAIT_FOR(node_stat(self->nl, OCKAM_STAT_DROP_INCOMPLETE) >
			     (unsigned long long)PEERS, 5000));
	ASSERT_EQ(0, udp_attached(self->nl, "u1", &self->port));
	for (p = 0; p < PEERS; p++)
		for (m = 1; m <= PARTIALS_PER_PEER; m++)
			for (f = 0; f < 3; f++)
				ASSERT_EQ(0, send_raw(peers[p], self->port,
						      good_hdr, m, f * FRAG,
						      MAX_MESSAGE_DEFAULT, big,
						      FRAG));
	held = bind_reasm(self->nl, "u1");
	TH_LOG("a new bind: %lld bytes held", held);
	EXPECT_LT(REASM_NODE_MIN / 2, held);
	EXPECT_GE(REASM_NODE_MIN, held);
	for (p = 0; p < PEERS; p++)
		close(peers[p]);
	free(big);
}

/*
 * A duplicate takes no memory: with the peer's share full it is still
 * only a duplicate, and loses no message. A new fragment does not fit.
 */
TEST_F(raw, duplicate_when_the_share_is_full)
{
	enum { FRAG = 60000, PER_MESSAGE = 16 };
	uint8_t *big = calloc(1, FRAG);
	long long one, held;
	uint32_t m = 1, f = 1;

	ASSERT_TRUE(big);
	ASSERT_EQ(0, send_raw(self->peer, self->port, good_hdr, m, 0,
			      MAX_MESSAGE_DEFAULT, big, FRAG));
	ASSERT_TRUE(WAIT_FOR(bind_reasm(self->nl, "u1") > 0, 3000));
	/* What one fragment costs; they all cost the same. */
	one = held = bind_reasm(self->nl, "u1");
	while (REASM_PEER_MIN - held >= one) {
		if (f == PER_MESSAGE) {
			m++;
			f = 0;
		}
		ASSERT_EQ(0, send_raw(self->peer, self->port, good_hdr, m,
				      f * FRAG, MAX_MESSAGE_DEFAULT, big,
				      FRAG));
		f++;
		ASSERT_TRUE(WAIT_FOR(bind_reasm(self->nl, "u1") == held + one,
				     3000));
		held += one;
	}
	TH_LOG("%lld bytes held in %u messages, %lld a fragment", held, m,
	       one);
	EXPECT_EQ(0, raw_stat(self, OCKAM_STAT_DROP_REASM_MEMORY));
	ASSERT_EQ(0, send_raw(self->peer, self->port, good_hdr, 1, 0,
			      MAX_MESSAGE_DEFAULT, big, FRAG));
	EXPECT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_UDP_DUPLICATES) == 1,
			     3000));
	EXPECT_EQ(0, raw_stat(self, OCKAM_STAT_DROP_REASM_MEMORY));
	EXPECT_EQ(held, bind_reasm(self->nl, "u1"));
	/* Something new does not fit: its message goes. */
	ASSERT_EQ(0, send_raw(self->peer, self->port, good_hdr, m + 1, 0,
			      MAX_MESSAGE_DEFAULT, big, FRAG));
	EXPECT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_DROP_REASM_MEMORY) == 1,
			     3000));
	EXPECT_EQ(held, bind_reasm(self->nl, "u1"));
	free(big);
}

TEST_F_TIMEOUT(raw, unfinished_message_times_out, 60)
{
	uint32_t half = self->len / 2;
	long long start = now_ms(), took;

	ASSERT_EQ(0, send_frag(self->peer, self->port, 1, self->msg, self->len,
			       0, half));
	ASSERT_TRUE(WAIT_FOR(bind_reasm(self->nl, "u1") > 0, 3000));
	ASSERT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_DROP_REASM_TIMEOUT) == 1,
			     30000));
	took = now_ms() - start;
	TH_LOG("given up after %lld ms", took);
	EXPECT_LE(REASM_TIMEOUT_MS - 100, took);
	EXPECT_EQ(0, bind_reasm(self->nl, "u1"));
	EXPECT_EQ(1, node_stat(self->nl, OCKAM_STAT_DROP_REASM_TIMEOUT));
	/* Its other half now starts a message of its own. */
	ASSERT_EQ(0, send_frag(self->peer, self->port, 1, self->msg, self->len,
			       half, self->len - half));
	EXPECT_TRUE(quiet(self->b, 200));
	/* A message finished in time is not touched by the sweep. */
	ASSERT_EQ(0, send_frag(self->peer, self->port, 2, self->msg, self->len,
			       0, half));
	ASSERT_EQ(0, send_frag(self->peer, self->port, 2, self->msg, self->len,
			       half, self->len - half));
	EXPECT_TRUE(delivered_once(self));
	ASSERT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_DROP_REASM_TIMEOUT) == 2,
			     30000));
	EXPECT_EQ(0, bind_reasm(self->nl, "u1"));
}

TEST_F(raw, detach_with_unfinished_messages)
{
	uint32_t half = self->len / 2, m;
	uint16_t port2;
	int peer2 = udp_bound(AF_INET, false, &port2);

	ASSERT_LE(0, peer2);
	for (m = 1; m <= 3; m++) {
		ASSERT_EQ(0, send_frag(self->peer, self->port, m, self->msg,
				       self->len, 0, half));
		ASSERT_EQ(0, send_frag(peer2, self->port, m, self->msg,
				       self->len, half, self->len - half));
	}
	ASSERT_TRUE(WAIT_FOR(bind_reasm(self->nl, "u1") > 0, 3000));
	ASSERT_EQ(0, ockam_nl_udp_detach(self->nl, "u1", NULL));
	EXPECT_TRUE(WAIT_FOR(node_stat(self->nl, OCKAM_STAT_DROP_INCOMPLETE) ==
			     6, 5000));
	EXPECT_EQ(0, node_stat(self->nl, OCKAM_STAT_UDP_REASSEMBLED));
	close(peer2);
}

/* The owner going takes a bind with unfinished messages along. */
TEST_F(raw, owner_closes_with_unfinished_messages)
{
	struct ockam_nl *owner;
	uint16_t port;
	uint32_t half = self->len / 2;

	ASSERT_EQ(0, ockam_nl_open(&owner, NULL));
	ASSERT_EQ(0, udp_attached(owner, "owned", &port));
	ASSERT_EQ(0, send_frag(self->peer, port, 1, self->msg, self->len, 0,
			       half));
	ASSERT_TRUE(WAIT_FOR(bind_reasm(self->nl, "owned") > 0, 3000));
	ockam_nl_close(owner);
	EXPECT_TRUE(WAIT_FOR(node_stat(self->nl, OCKAM_STAT_DROP_INCOMPLETE) ==
			     1, 5000));
	EXPECT_EQ(-1, bind_peers(self->nl, "owned"));
}

/* A message that came over UDP goes on to a local socket, an alias... */
TEST_F(raw, reply_along_the_return_route)
{
	uint8_t small[64], buf[256];
	size_t n = build_msg(small, "0#b", "0#peer", "ask", 3);
	struct sockaddr_ockam from;
	socklen_t fromlen = sizeof(from);
	ssize_t got;
	uint8_t *body;

	ASSERT_EQ(0, send_frag(self->peer, self->port, 1, small, n, 0, n));
	ASSERT_EQ(3, recvfrom(self->b, buf, sizeof(buf), 0,
			      (struct sockaddr *)&from, &fromlen));
	ASSERT_EQ(6, sendto(self->b, "answer", 6, 0, (struct sockaddr *)&from,
			    fromlen));
	/* The reply reaches the peer's socket as one datagram. */
	ASSERT_FALSE(quiet(self->peer, 5000));
	got = recv(self->peer, buf, sizeof(buf), 0);
	ASSERT_LT(OCKAM_UDP_HEADER_LEN, got);
	EXPECT_EQ(OCKAM_UDP_VERSION, buf[0]);
	EXPECT_EQ(0, get_be32(buf + 8));
	EXPECT_EQ(got - OCKAM_UDP_HEADER_LEN, get_be32(buf + 12));
	/* [0#peer], [0#b], "answer" */
	body = buf + OCKAM_UDP_HEADER_LEN;
	n = build_msg(small, "0#peer", "0#b", "answer", 6);
	ASSERT_EQ(n, got - OCKAM_UDP_HEADER_LEN);
	EXPECT_EQ(0, memcmp(small, body, n));
	EXPECT_EQ(1, raw_stat(self, OCKAM_STAT_TX_MESSAGES));
}

/* Every address a bind hears from takes an entry, up to 4096. */
TEST_F_TIMEOUT(raw, peer_table_is_bounded, 120)
{
	enum { PEERS_MAX = 4096, FIRST_PORT = 20000 };
	static const uint8_t heartbeat[] = { OCKAM_MESSAGE_VERSION, 0, 0, 0 };
	uint32_t half = self->len / 2;
	uint16_t port;
	char ret[64];
	int fd, i;

	for (i = 0; i < PEERS_MAX; i++) {
		fd = udp_port(FIRST_PORT + i);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, send_frag(fd, self->port, 1, heartbeat,
				       sizeof(heartbeat), 0,
				       sizeof(heartbeat)));
		close(fd);
	}
	ASSERT_TRUE(WAIT_FOR(node_stat(self->nl, OCKAM_STAT_HEARTBEATS) ==
			     PEERS_MAX, 10000));
	EXPECT_EQ(PEERS_MAX, bind_peers(self->nl, "u1"));

	/* One more: its whole messages still arrive, with its address... */
	port = FIRST_PORT + PEERS_MAX;
	fd = udp_port(port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, send_frag(fd, self->port, 1, self->msg, self->len, 0,
			       self->len));
	snprintf(ret, sizeof(ret), "2#127.0.0.1:%u => 0#peer", port);
	EXPECT_EQ(0, recv_bytes(self->b, self->payload, self->payload_len, ret,
				0));
	/* ... but there is nowhere to keep its fragments. */
	ASSERT_EQ(0, send_frag(fd, self->port, 2, self->msg, self->len, 0,
			       half));
	EXPECT_TRUE(WAIT_FOR(raw_stat(self, OCKAM_STAT_DROP_REASM_MEMORY) == 1,
			     3000));
	EXPECT_EQ(0, bind_reasm(self->nl, "u1"));
	EXPECT_EQ(PEERS_MAX, bind_peers(self->nl, "u1"));
	close(fd);

	/* A known peer's are kept. */
	fd = udp_port(FIRST_PORT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, send_frag(fd, self->port, 3, self->msg, self->len, 0,
			       half));
	ASSERT_EQ(0, send_frag(fd, self->port, 3, self->msg, self->len, half,
			       self->len - half));
	snprintf(ret, sizeof(ret), "2#127.0.0.1:%u => 0#peer", FIRST_PORT);
	EXPECT_EQ(0, recv_bytes(self->b, self->payload, self->payload_len, ret,
				0));
	close(fd);
}

/* ---- datagrams larger than the path: IP fragments ---- */

static int lo_mtu(int mtu)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ret;

	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_mtu = mtu;
	ret = ioctl(fd, SIOCSIFMTU, &ifr);
	close(fd);
	return ret;
}

/* @len bytes to loopback of @family, port @port. */
static int sendto_lo(int fd, int family, uint16_t port, const void *buf,
		     size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	ssize_t n;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	sin6.sin6_addr = in6addr_loopback;
	sin6.sin6_port = htons(port);
	if (family == AF_INET)
		n = sendto(fd, buf, len, 0, (struct sockaddr *)&sin,
			   sizeof(sin));
	else
		n = sendto(fd, buf, len, 0, (struct sockaddr *)&sin6,
			   sizeof(sin6));
	return n == (ssize_t)len ? 0 : -1;
}

/*
 * With loopback's MTU at 1500, the node's datagrams of the largest size
 * leave in IP fragments (a batch, and a message that goes as its own
 * datagram), and a peer's arrive put together by IP: a whole message in
 * one, and a message in two.
 */
static void ip_fragments(struct __test_metadata *_metadata, int family)
{
	struct ockam_node_settings set = { .udp_datagram = OCKAM_UDP_DATAGRAM_MAX };
	const char *host = family == AF_INET ? "127.0.0.1" : "[::1]";
	size_t big = 200000, plen = 30000, len, half;
	uint8_t *payload = malloc(big), *msg = malloc(plen + 64);
	uint8_t *d = malloc(OCKAM_UDP_HEADER_LEN + plen + 64);
	char route[128], ret[128];
	struct ockam_nl *nl;
	uint16_t p1, p2, pp;
	int fd1, fd2, peer, a, b;

	ASSERT_TRUE(payload && msg && d);
	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, lo_mtu(1500));
	ASSERT_EQ(0, ockam_nl_open(&nl, NULL));
	fd1 = udp_bound(family, true, &p1);
	fd2 = udp_bound(family, true, &p2);
	peer = udp_bound(family, true, &pp);
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	ASSERT_LE(0, peer);
	ASSERT_EQ(0, ockam_nl_udp_attach(nl, fd1, "u1", NULL, NULL));
	ASSERT_EQ(0, ockam_nl_udp_attach(nl, fd2, "u2", NULL, NULL));
	close(fd1);
	close(fd2);
	a = sock_bound("a");
	b = sock_bound("b");
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, set_rcvtimeo(b, 5000));
	ASSERT_EQ(0, set_rcvbuf(b, 8 << 20));
	ASSERT_EQ(0, ockam_nl_node_set(nl, &set, NULL));

	/* From bind to bind: 4 datagrams of 64 KiB, each in IP fragments. */
	fill(payload, big, family);
	snprintf(route, sizeof(route), "2#%s:%u => 0#b", host, p2);
	snprintf(ret, sizeof(ret), "2#%s:%u => 0#a", host, p1);
	ASSERT_EQ(big, send_to(a, route, payload, big));
	EXPECT_EQ(0, recv_bytes(b, payload, big, ret, 0));
	/* One datagram of 30000 bytes, the socket's message itself. */
	ASSERT_EQ(plen, send_to(a, route, payload, plen));
	EXPECT_EQ(0, recv_bytes(b, payload, plen, ret, 0));

	/* From a peer: one datagram of 30000 bytes... */
	snprintf(ret, sizeof(ret), "2#%s:%u => 0#peer", host, pp);
	len = build_msg(msg, "0#b", "0#peer", payload, plen);
	memcpy(d, good_hdr, 4);
	put_be32(d + 4, 1);
	put_be32(d + 8, 0);
	put_be32(d + 12, len);
	memcpy(d + OCKAM_UDP_HEADER_LEN, msg, len);
	ASSERT_EQ(0, sendto_lo(peer, family, p2, d, OCKAM_UDP_HEADER_LEN + len));
	EXPECT_EQ(0, recv_bytes(b, payload, plen, ret, 0));
	/* ... and the same message in two. */
	half = len / 2;
	put_be32(d + 4, 2);
	ASSERT_EQ(0, sendto_lo(peer, family, p2, d, OCKAM_UDP_HEADER_LEN + half));
	put_be32(d + 8, half);
	memcpy(d + OCKAM_UDP_HEADER_LEN, msg + half, len - half);
	ASSERT_EQ(0, sendto_lo(peer, family, p2, d,
			       OCKAM_UDP_HEADER_LEN + len - half));
	EXPECT_EQ(0, recv_bytes(b, payload, plen, ret, 0));
	EXPECT_EQ(2, bind_stat(nl, "u2", OCKAM_STAT_UDP_REASSEMBLED));
	EXPECT_EQ(0, bind_reasm(nl, "u2"));
	close(a);
	close(b);
	close(peer);
	ockam_nl_close(nl);
	free(payload);
	free(msg);
	free(d);
}

TEST(ipv4_fragments)
{
	ip_fragments(_metadata, AF_INET);
}

TEST(ipv6_fragments)
{
	ip_fragments(_metadata, AF_INET6);
}

/* ---- where forwarded messages may go ---- */

TEST_F(udp, forwarded_messages_go_only_where_heard_from)
{
	uint64_t unreachable = node_stat(self->nl, OCKAM_STAT_DROP_UNREACHABLE);
	struct ockam_node_settings set = { .set_dial_forwarded = true };
	char route[128], ret[128];
	uint8_t buf[256], small[64];
	uint16_t px, py;
	int x = udp_bound(AF_INET, false, &px);
	int y = udp_bound(AF_INET, false, &py);
	size_t n;

	ASSERT_LE(0, x);
	ASSERT_LE(0, y);
	/* In over u2, on to an address nobody heard from: dropped. */
	snprintf(route, sizeof(route), "2#127.0.0.1:%u => 2#127.0.0.1:%u => 0#b",
		 self->p2, px);
	ASSERT_EQ(1, send_to(self->a, route, "1", 1));
	EXPECT_TRUE(WAIT_FOR(node_stat(self->nl, OCKAM_STAT_DROP_UNREACHABLE) ==
			     unreachable + 1, 3000));
	EXPECT_TRUE(quiet(x, 200));
	EXPECT_EQ(0, node_stat(self->nl, OCKAM_STAT_FORWARDED));

	/* Once x has spoken to u2, u2 may answer it. */
	n = build_msg(small, "0#b", "0#x", "hi", 2);
	ASSERT_EQ(0, send_frag(x, self->p2, 1, small, n, 0, n));
	snprintf(ret, sizeof(ret), "2#127.0.0.1:%u => 0#x", px);
	EXPECT_EQ(0, recv_expect(self->b, "hi", ret, 0));
	ASSERT_EQ(1, send_to(self->a, route, "2", 1));
	ASSERT_FALSE(quiet(x, 5000));
	ASSERT_LT(OCKAM_UDP_HEADER_LEN, recv(x, buf, sizeof(buf), 0));
	EXPECT_EQ(1, node_stat(self->nl, OCKAM_STAT_FORWARDED));
	EXPECT_EQ(unreachable + 1,
		  node_stat(self->nl, OCKAM_STAT_DROP_UNREACHABLE));

	/* A bind heard from counts the same: u1 -> u2 -> u1. */
	snprintf(route, sizeof(route), "2#127.0.0.1:%u => 2#127.0.0.1:%u => 0#b",
		 self->p2, self->p1);
	ASSERT_EQ(1, send_to(self->a, route, "3", 1));
	EXPECT_EQ(0, recv_expect(self->b, "3", NULL, 0));

	/* y, never heard from, once the node allows forwarded dials. */
	snprintf(route, sizeof(route), "2#127.0.0.1:%u => 2#127.0.0.1:%u => 0#b",
		 self->p2, py);
	ASSERT_EQ(1, send_to(self->a, route, "4", 1));
	EXPECT_TRUE(WAIT_FOR(node_stat(self->nl, OCKAM_STAT_DROP_UNREACHABLE) ==
			     unreachable + 2, 3000));
	EXPECT_TRUE(quiet(y, 200));
	set.dial_forwarded = true;
	ASSERT_EQ(0, ockam_nl_node_set(self->nl, &set, NULL));
	ASSERT_EQ(1, send_to(self->a, route, "5", 1));
	ASSERT_FALSE(quiet(y, 5000));
	ASSERT_LT(OCKAM_UDP_HEADER_LEN, recv(y, buf, sizeof(buf), 0));
	/* A local sender may always send anywhere. */
	set.dial_forwarded = false;
	ASSERT_EQ(0, ockam_nl_node_set(self->nl, &set, NULL));
	snprintf(route, sizeof(route), "2#127.0.0.1:%u => 0#b", py);
	ASSERT_EQ(1, send_to(self->a, route, "6", 1));
	ASSERT_FALSE(quiet(y, 5000));
	ASSERT_LT(OCKAM_UDP_HEADER_LEN, recv(y, buf, sizeof(buf), 0));
	EXPECT_EQ(unreachable + 2,
		  node_stat(self->nl, OCKAM_STAT_DROP_UNREACHABLE));
	close(x);
	close(y);
}

/* Addresses the kernel does not parse: an error, and nothing else. */
TEST_F(udp, unparseable_addresses)
{
	static const char *const bad[] = {
		"2#localhost:5000 => 0#b", "2#127.0.0.1 => 0#b",
		"2#127.0.0.1: => 0#b", "2#127.0.0.1:0 => 0#b",
		"2#127.0.0.1:65536 => 0#b", "2#127.0.0.1:5x => 0#b",
		"2#127.0.0.1:123456 => 0#b", "2#:5000 => 0#b",
		"2#[::1]5000 => 0#b", "2#[::1 => 0#b", "2#[zz]:1 => 0#b",
		"2#1.2.3.4.5:6 => 0#b",
		"2#[ => 0#b", "2#] => 0#b", "2#: => 0#b",
		/* Well formed, but no IPv6 bind. */
		"2#[::1]:5000 => 0#b",
	};
	uint64_t unreachable = node_stat(self->nl, OCKAM_STAT_DROP_UNREACHABLE);
	char route[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		TH_LOG("%s", bad[i]);
		EXPECT_EQ(-1, send_to(self->a, bad[i], "x", 1));
		EXPECT_EQ(EHOSTUNREACH, errno);
	}
	EXPECT_EQ(unreachable + i,
		  node_stat(self->nl, OCKAM_STAT_DROP_UNREACHABLE));
	EXPECT_EQ(0, node_stat(self->nl, OCKAM_STAT_TX_MESSAGES));
	/* Forwarded from another node, the same. */
	snprintf(route, sizeof(route), "2#127.0.0.1:%u => 2#localhost:5000",
		 self->p2);
	ASSERT_EQ(1, send_to(self->a, route, "x", 1));
	EXPECT_TRUE(WAIT_FOR(node_stat(self->nl, OCKAM_STAT_DROP_UNREACHABLE) ==
			     unreachable + i + 1, 3000));
	/* Everything still works. */
	snprintf(route, sizeof(route), "2#127.0.0.1:%u => 0#b", self->p2);
	ASSERT_EQ(1, send_to(self->a, route, "y", 1));
	EXPECT_EQ(0, recv_expect(self->b, "y", NULL, 0));
}

TEST_HARNESS_MAIN
