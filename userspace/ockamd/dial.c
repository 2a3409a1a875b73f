// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Outgoing TCP connections: resolve, then a non-blocking connect() to each
 * address in turn until one answers or the deadline passes. Name lookups
 * block the loop, so they happen only for dials an operator asked for.
 */
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

/* OS keepalive on outgoing connections, as Ockam's TCP transport sets it. */
enum keepalive {
	KEEPALIVE_IDLE_S = 300,
	KEEPALIVE_INTERVAL_S = 75,
	KEEPALIVE_COUNT = 2,
};

struct dial {
	char peer[OCKAM_NAME_MAX];
	struct addrinfo *res;
	struct addrinfo *next;		/* the address to try after this one */
	int fd;
	int last_err;
	struct timer deadline;
	dial_done_fn done;
	void *owner;
};

static void dial_free(struct daemon *d, struct dial *dial)
{
	timer_cancel(&d->loop, &dial->deadline);
	if (dial->fd >= 0) {
		loop_unwatch(&d->loop, dial->fd);
		close(dial->fd);
	}
	freeaddrinfo(dial->res);
	free(dial);
}

/* Hand the outcome to the owner, after freeing the dial. */
static void dial_finish(struct daemon *d, struct dial *dial, int fd, int err)
{
	dial_done_fn done = dial->done;
	void *owner = dial->owner;

	if (fd >= 0) {
		loop_unwatch(&d->loop, dial->fd);
		dial->fd = -1;
	}
	dial_free(d, dial);
	done(d, owner, fd, err);
}

static void tune_connected(const char *peer, int fd)
{
	int one = 1, idle = KEEPALIVE_IDLE_S, intvl = KEEPALIVE_INTERVAL_S;
	int cnt = KEEPALIVE_COUNT, flags;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl,
		       sizeof(intvl)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) < 0)
		log_warn("dial %s: socket options: %s", peer, strerror(errno));
	/* The kernel takes the socket over; give it a plain blocking one. */
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

static void on_connect_ready(struct daemon *d, void *ctx, short revents);

/* Start connecting to the next address; 0 while one is in progress. */
static int try_next(struct daemon *d, struct dial *dial)
{
	while (dial->next) {
		struct addrinfo *ai = dial->next;
		int fd;

		dial->next = ai->ai_next;
		fd = socket(ai->ai_family,
			    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			dial->last_err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
		    errno != EINPROGRESS) {
			dial->last_err = errno;
			close(fd);
			continue;
		}
		/* Even an immediate success reports through POLLOUT, so
		 * the owner always hears back from the loop.
		 */
		if (loop_watch(&d->loop, fd, POLLOUT, on_connect_ready,
			       dial) < 0) {
			dial->last_err = ENOMEM;
			close(fd);
			continue;
		}
		dial->fd = fd;
		return 0;
	}
	return -dial->last_err;
}

static void on_connect_ready(struct daemon *d, void *ctx, short revents)
{
	struct dial *dial = ctx;
	socklen_t len = sizeof(int);
	int soerr = 0;

	(void)revents;
	if (getsockopt(dial->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	if (!soerr) {
		int fd = dial->fd;

		tune_connected(dial->peer, fd);
		dial_finish(d, dial, fd, 0);
		return;
	}
	log_debug("dial %s: %s", dial->peer, strerror(soerr));
	dial->last_err = soerr;
	loop_unwatch(&d->loop, dial->fd);
	close(dial->fd);
	dial->fd = -1;
	if (try_next(d, dial) < 0)
		dial_finish(d, dial, -1, dial->last_err);
}

static void on_deadline(struct daemon *d, void *ctx)
{
	struct dial *dial = ctx;

	dial_finish(d, dial, -1, ETIMEDOUT);
}

/*
 * getaddrinfo()'s failures as errno values, which the kernel hands to the
 * senders waiting for the dial and the CLI prints.
 */
static int gai_errno(int gai, int saved_errno)
{
	switch (gai) {
	case EAI_SYSTEM:
		return saved_errno ? -saved_errno : -EIO;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_MEMORY:
		return -ENOMEM;
	default:
		/* EAI_NONAME, EAI_FAIL, EAI_NODATA...: nowhere to go. */
		return -EHOSTUNREACH;
	}
}

static int resolve(const char *peer, const char *host, uint16_t port,
		   enum dial_mode mode, struct addrinfo **res,
		   struct ockam_err *err)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV,
	};
	char serv[8];
	int ret;

	if (mode == DIAL_NUMERIC_HOST)
		hints.ai_flags |= AI_NUMERICHOST;
	snprintf(serv, sizeof(serv), "%u", port);
	errno = 0;
	ret = getaddrinfo(host, serv, &hints, res);
	if (!ret)
		return 0;
	if (ret == EAI_NONAME && mode == DIAL_NUMERIC_HOST)
		return ockam_err_set(err, -EHOSTUNREACH,
				     "cannot dial %s on demand: host names are looked up only for 'tcp-connection create'",
				     peer);
	return ockam_err_set(err, gai_errno(ret, errno), "cannot resolve %s: %s",
			     host, ret == EAI_SYSTEM ? strerror(errno) :
						       gai_strerror(ret));
}

int dial_start(struct daemon *d, const char *peer, enum dial_mode mode,
	       unsigned int timeout_ms, dial_done_fn done, void *owner,
	       struct dial **out, struct ockam_err *err)
{
	char host[OCKAM_HOST_MAX + 1];
	struct dial *dial;
	uint16_t port;
	int ret;

	ret = ockam_hostport_split(peer, host, sizeof(host), &port, false, err);
	if (ret < 0)
		return ret;
	dial = calloc(1, sizeof(*dial));
	if (!dial)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	snprintf(dial->peer, sizeof(dial->peer), "%s", peer);
	dial->fd = -1;
	dial->last_err = EHOSTUNREACH;
	dial->done = done;
	dial->owner = owner;
	timer_init(&dial->deadline, on_deadline, dial);

	ret = resolve(peer, host, port, mode, &dial->res, err);
	if (ret < 0) {
		free(dial);
		return ret;
	}
	dial->next = dial->res;
	ret = try_next(d, dial);
	if (ret < 0) {
		ockam_err_set(err, ret, "cannot connect to %s: %s", peer,
			      strerror(-ret));
		dial_free(d, dial);
		return ret;
	}
	timer_arm(&d->loop, &dial->deadline, timeout_ms);
	*out = dial;
	return 0;
}

void dial_cancel(struct daemon *d, struct dial *dial)
{
	if (dial)
		dial_free(d, dial);
}
