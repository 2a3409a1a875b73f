// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Ockam's default services, as bound AF_OCKAM sockets: "echo" answers with
 * the payload it got, "uppercase" with the payload in ASCII upper case.
 * A reply is one send to the message's return route.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "util.h"

struct service {
	const char *name;
	void (*transform)(uint8_t *buf, size_t len);
	int fd;
	unsigned long handled;
	unsigned long dropped;
};

static void echo_transform(uint8_t *buf, size_t len)
{
	(void)buf;
	(void)len;
}

static void uppercase_transform(uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] >= 'a' && buf[i] <= 'z')
			buf[i] -= 'a' - 'A';
}

static const struct service service_table[] = {
	{ .name = "echo", .transform = echo_transform },
	{ .name = "uppercase", .transform = uppercase_transform },
};

enum { SERVICE_COUNT = ARRAY_SIZE(service_table) };

/* Grow the payload buffer after a message that did not fit. */
static void grow_buffer(struct daemon *d, size_t want)
{
	uint8_t *grown;

	if (want > OCKAM_MAX_MESSAGE_MAX)
		want = OCKAM_MAX_MESSAGE_MAX;
	if (want <= d->msgbuf_size)
		return;
	grown = realloc(d->msgbuf, want);
	if (!grown)
		return;
	d->msgbuf = grown;
	d->msgbuf_size = want;
}

/* Answer one queued message; false when the queue is empty. */
static bool serve_one(struct daemon *d, struct service *s)
{
	static struct ockam_wire_route ret;
	ssize_t n, sent;
	int flags = 0;

	n = ockam_recv(s->fd, d->msgbuf, d->msgbuf_size,
		       MSG_DONTWAIT | MSG_TRUNC, &ret, &flags);
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return false;
	/* Every message may come from another node: the warnings about
	 * them are rate-limited.
	 */
	if (n < 0) {
		s->dropped++;
		log_warn_limited("service %s: receive: %s", s->name,
				 strerror(-n));
		return true;
	}
	if (flags & MSG_TRUNC) {
		s->dropped++;
		log_warn_limited("service %s: dropped a %zd-byte payload larger than its %zu-byte buffer",
				 s->name, n, d->msgbuf_size);
		grow_buffer(d, n);
		return true;
	}
	s->transform(d->msgbuf, n);
	sent = ockam_send_wire(s->fd, d->msgbuf, n, ret.bytes, ret.len,
			       MSG_DONTWAIT);
	if (sent < 0) {
		s->dropped++;
		log_warn_limited("service %s: reply: %s", s->name,
				 strerror(-sent));
		return true;
	}
	s->handled++;
	return true;
}

static void on_service_readable(struct daemon *d, void *ctx, short revents)
{
	struct service *s = ctx;
	int i;

	(void)revents;
	for (i = 0; i < DAEMON_BATCH; i++)
		if (!serve_one(d, s))
			break;
}

int services_open(struct daemon *d, struct ockam_err *err)
{
	size_t i;
	int ret;

	d->msgbuf = malloc(d->msgbuf_size);
	if (!d->msgbuf)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	d->services = calloc(SERVICE_COUNT, sizeof(*d->services));
	if (!d->services)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < SERVICE_COUNT; i++) {
		d->services[i] = service_table[i];
		d->services[i].fd = -1;
	}

	for (i = 0; i < SERVICE_COUNT; i++) {
		struct service *s = &d->services[i];

		ret = ockam_socket(SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (ret < 0)
			return ockam_err_set(err, ret,
					     "cannot open an AF_OCKAM socket (family %d): %s",
					     ockam_family(), strerror(-ret));
		s->fd = ret;
		ret = kernel_reserve(d, s->name, err);
		if (ret < 0)
			return ret;
		ret = ockam_bind(s->fd, s->name);
		if (ret < 0)
			return ockam_err_set(err, ret,
					     "cannot bind service %s: %s%s",
					     s->name, strerror(-ret),
					     ret == -EADDRINUSE ?
					     " (another node in this network namespace?)" : "");
		/* Return routes longer than a sockaddr come as a cmsg. */
		ret = ockam_set_recvroute(s->fd, true);
		if (ret < 0)
			return ockam_err_set(err, ret,
					     "service %s: OCKAM_SO_RECVROUTE: %s",
					     s->name, strerror(-ret));
		ret = loop_watch(&d->loop, s->fd, POLLIN, on_service_readable,
				 s);
		if (ret < 0)
			return ockam_err_set(err, ret, "out of memory");
		log_info("service %s is up", s->name);
	}
	return 0;
}

void services_close(struct daemon *d)
{
	size_t i;

	if (d->services) {
		for (i = 0; i < SERVICE_COUNT; i++) {
			if (d->services[i].fd < 0)
				continue;
			loop_unwatch(&d->loop, d->services[i].fd);
			close(d->services[i].fd);
		}
		free(d->services);
		d->services = NULL;
	}
	free(d->msgbuf);
	d->msgbuf = NULL;
}

void services_report(struct daemon *d, struct ockam_ctl_writer *w)
{
	size_t i;

	for (i = 0; d->services && i < SERVICE_COUNT; i++) {
		ockam_ctl_record_begin(w);
		ockam_ctl_field(w, "kind", "service");
		ockam_ctl_field(w, "address", "%s", d->services[i].name);
		ockam_ctl_field(w, "handled", "%lu", d->services[i].handled);
		ockam_ctl_field(w, "dropped", "%lu", d->services[i].dropped);
		ockam_ctl_record_end(w);
	}
}
