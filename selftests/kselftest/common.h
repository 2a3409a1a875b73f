/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the AF_OCKAM kselftests: a fresh node (network
 * namespace) per test, sockets bound to names, routes written in the plain
 * text form ("0#b", "1#127.0.0.1:4000 => 0#echo"), and a TCP connection
 * inside the node with both ends attached as transports.
 */
#ifndef OCKAM_KSELFTEST_COMMON_H
#define OCKAM_KSELFTEST_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <ockam/ockam.h>

#include "wire.h"

/* A new network namespace with loopback up: a node of our own. */
static inline int node_fresh(void)
{
	struct ifreq ifr = { 0 };
	int fd, ret = -1;

	if (unshare(CLONE_NEWNET))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

/* Encode a plain-form route; aborts the test program on a bad literal. */
static inline struct ockam_wire_route wire(const char *text)
{
	struct ockam_wire_route w = { 0 };
	struct ockam_route *rt = calloc(1, sizeof(*rt));
	ssize_t len;

	if (!rt || ockam_route_parse(rt, text, NULL, NULL, NULL)) {
		fprintf(stderr, "bad route literal '%s'\n", text);
		abort();
	}
	len = ockam_route_to_wire(rt, w.bytes, sizeof(w.bytes));
	free(rt);
	if (len < 0)
		abort();
	w.len = len;
	return w;
}

static inline socklen_t sa_route(struct sockaddr_ockam *sa, const char *text)
{
	struct ockam_wire_route w = wire(text);

	memset(sa, 0, sizeof(*sa));
	sa->som_family = ockam_family();
	sa->som_route_len = w.len;
	memcpy(sa->som_route, w.bytes, w.len);
	return sizeof(*sa);
}

/* An AF_OCKAM socket bound to @name (random when NULL). */
static inline int sock_bound(const char *name)
{
	int fd = socket(ockam_family(), SOCK_DGRAM, 0);

	if (fd >= 0 && name && ockam_bind(fd, name)) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline ssize_t send_to(int fd, const char *route, const void *buf,
			      size_t len)
{
	struct sockaddr_ockam sa;
	socklen_t salen = sa_route(&sa, route);

	return sendto(fd, buf, len, 0, (struct sockaddr *)&sa, salen);
}

/* Receive and check the payload and return route (plain text form). */
static inline int recv_expect(int fd, const char *payload, const char *ret,
			      int flags)
{
	struct sockaddr_ockam sa;
	socklen_t salen = sizeof(sa);
	struct ockam_wire_route w;
	char buf[4096];
	ssize_t n;

	n = recvfrom(fd, buf, sizeof(buf), flags, (struct sockaddr *)&sa,
		     &salen);
	if (n < 0)
		return -errno;
	if ((size_t)n != strlen(payload) || memcmp(buf, payload, n))
		return -EBADMSG;
	if (!ret)
		return 0;
	w = wire(ret);
	if (sa.som_route_len != w.len || memcmp(sa.som_route, w.bytes, w.len))
		return -EDESTADDRREQ;
	return 0;
}

static inline int set_rcvtimeo(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };

	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* A listening TCP socket on 127.0.0.1, port in *@port. */
static inline int tcp_listener(uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(fd, 16) || getsockname(fd, (struct sockaddr *)&sin, &len))
		return -1;
	*port = ntohs(sin.sin_port);
	return fd;
}

static inline int tcp_connect(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* A connected pair over loopback: *@client and *@server. */
static inline int tcp_pair(int *client, int *server)
{
	uint16_t port;
	int lfd = tcp_listener(&port);

	if (lfd < 0)
		return -1;
	*client = tcp_connect(port);
	*server = *client < 0 ? -1 : accept(lfd, NULL, NULL);
	close(lfd);
	return *server < 0 ? -1 : 0;
}

static inline int attach(struct ockam_nl *nl, int fd, const char *name,
			 const char *peer, uint32_t flags)
{
	struct ockam_transport_info info;

	return ockam_nl_transport_attach(nl, fd, name, peer, flags, &info,
					 NULL);
}

static inline uint64_t node_stat(struct ockam_nl *nl, enum ockam_stat stat)
{
	struct ockam_node_info info;

	if (ockam_nl_node_get(nl, &info, NULL))
		return ~0ULL;
	return info.stats.value[stat];
}

/*
 * A raw request with one u32 attribute, inside top-level nest @nest (0: at
 * the top level), for what libockam does not send. Returns 0 on success or
 * libnl's negative error.
 */
static inline int raw_request(uint8_t cmd, int nest, int attr, uint32_t value)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *start = NULL;
	int family, err = -NLE_NOMEM;

	if (!sk || !msg || genl_connect(sk))
		goto out;
	family = genl_ctrl_resolve(sk, OCKAM_GENL_NAME);
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_REQUEST,
		    cmd, OCKAM_GENL_VERSION);
	if (nest)
		start = nla_nest_start(msg, nest);
	nla_put_u32(msg, attr, value);
	if (start)
		nla_nest_end(msg, start);
	err = nl_send_sync(sk, msg);
	msg = NULL;
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	return err;
}

/* Wait up to @ms for @cond to hold, polling every 10 ms. */
#define WAIT_FOR(cond, ms) ({						\
	long long __end = now_ms() + (ms);				\
	while (!(cond) && now_ms() < __end)				\
		usleep(10000);						\
	(cond);								\
})

/* Does the node have a transport at @name? */
static inline bool has_transport(struct ockam_nl *nl, const char *name)
{
	struct ockam_transport_info *list;
	bool found = false;
	size_t i, count;

	if (ockam_nl_transport_list(nl, &list, &count, NULL))
		return false;
	for (i = 0; i < count; i++)
		found |= !strcmp(list[i].address, name);
	free(list);
	return found;
}

/*
 * ---- a close racing an attach ----
 *
 * An attached socket's address is published before the attach returns,
 * and from then on anyone may end it: a detach by name, its peer's reset.
 * detach_race_start() has a thread do both as the caller attaches;
 * detach_race_end() waits for it. Whatever wins, the object must be freed
 * once and nothing of it run after its close: on the debug kernel a late
 * work item or a reference taken on a freed object shows in the kernel
 * log, which every test run checks.
 */
struct detach_race {
	pthread_barrier_t go;
	pthread_t thread;
	int (*detach)(void *ctx, const char *address);
	void *ctx;
	const char *address;
	int reset_fd;	/* a TCP socket to reset first, or -1 */
	int reset_after_us;	/* when, after the start */
	int detached;	/* did the thread's detach find it? */
	/* Over all rounds: attaches refused; attaches the thread undid. */
	int refused;
	int undone;
};

/* Enough detach attempts to outlast an attach on the slowest kernel. */
enum { DETACH_RACE_TRIES = 300 };

static inline void *detach_race_thread(void *arg)
{
	struct detach_race *r = arg;
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	int i;

	pthread_barrier_wait(&r->go);
	if (r->reset_fd >= 0) {
		usleep(r->reset_after_us);
		setsockopt(r->reset_fd, SOL_SOCKET, SO_LINGER, &reset,
			   sizeof(reset));
		close(r->reset_fd);
	}
	for (i = 0; i < DETACH_RACE_TRIES && !r->detached; i++)
		r->detached = !r->detach(r->ctx, r->address);
	return NULL;
}

/* Round @round: the reset comes sooner or later than the take-over. */
static inline int detach_race_start(struct detach_race *r, int round)
{
	r->detached = 0;
	r->reset_after_us = (round % 15) * 100;
	if (pthread_barrier_init(&r->go, NULL, 2))
		return -1;
	if (pthread_create(&r->thread, NULL, detach_race_thread, r)) {
		pthread_barrier_destroy(&r->go);
		return -1;
	}
	pthread_barrier_wait(&r->go);
	return 0;
}

/* After the attach, which returned @err. */
static inline void detach_race_end(struct detach_race *r, int err)
{
	pthread_join(r->thread, NULL);
	pthread_barrier_destroy(&r->go);
	r->refused += !!err;
	r->undone += !err && r->detached;
}

#endif /* OCKAM_KSELFTEST_COMMON_H */
