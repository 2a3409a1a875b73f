// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * TCP listeners. Every accepted connection goes straight to the kernel as
 * an owned transport; the daemon keeps no descriptor for it.
 */
#include <fcntl.h>
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

struct listener {
	struct listener *next;
	int fd;
	char address[OCKAM_HOSTPORT_MAX + 1];	/* as bound */
	unsigned long accepted;
	struct accept_pause pause;		/* after EMFILE */
};

const char *listener_address(const struct listener *l)
{
	return l->address;
}

unsigned long listener_accepted(const struct listener *l)
{
	return l->accepted;
}

const struct listener *listener_next(const struct daemon *d,
				     const struct listener *l)
{
	return l ? l->next : d->listeners;
}

static void attach_accepted(struct daemon *d, struct listener *l, int fd)
{
	struct ockam_transport_info info;
	struct ockam_err err;
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		log_warn_limited("listener %s: TCP_NODELAY: %s", l->address,
				 strerror(errno));
	if (kernel_attach(d, fd, NULL, NULL, 0, &info, &err) >= 0)
		l->accepted++;
	else if (err.code == -ENOTCONN || err.code == -ECONNRESET)
		/* The peer went away between connecting and now: its loss. */
		log_info_limited("listener %s: peer gone before the kernel took the connection",
				 l->address);
	else
		log_err_limited("listener %s: cannot hand the connection to the kernel: %s",
				l->address, ockam_err_msg(&err));
	/* The kernel holds its own reference now. */
	close(fd);
}

static void on_acceptable(struct daemon *d, void *ctx, short revents)
{
	struct listener *l = ctx;
	int i, err;

	(void)revents;
	for (i = 0; i < DAEMON_BATCH; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0) {
			attach_accepted(d, l, fd);
			continue;
		}
		err = errno;
		if (err == EAGAIN || err == EINTR || err == ECONNABORTED)
			return;
		log_err_limited("listener %s: accept: %s", l->address,
				strerror(err));
		accept_pause(&d->loop, &l->pause, err);
		return;
	}
}

int listeners_save(struct daemon *d, struct ockam_err *err)
{
	char buf[OCKAM_LISTENERS_MAX * (OCKAM_HOSTPORT_MAX + 1) + 1];
	const struct listener *l;
	size_t len = 0;

	for (l = d->listeners; l; l = l->next)
		len += snprintf(buf + len, sizeof(buf) - len, "%s\n",
				l->address);
	return ockam_write_file_atomicat(d->dir_fd, OCKAM_NODE_LISTENERS_FILE,
					 buf, len, err);
}

static void listener_free(struct daemon *d, struct listener *l)
{
	accept_pause_cancel(&d->loop, &l->pause);
	loop_unwatch(&d->loop, l->fd);
	close(l->fd);
	free(l);
}

int listener_create(struct daemon *d, const char *hostport,
		    struct listener **out, struct ockam_err *err)
{
	char host[OCKAM_HOST_MAX + 1];
	struct listener *l, **tail;
	unsigned int count = 0;
	uint16_t port;
	int ret;

	ret = ockam_hostport_split(hostport, host, sizeof(host), &port, true,
				   err);
	if (ret < 0)
		return ret;
	for (tail = &d->listeners; *tail; tail = &(*tail)->next)
		count++;
	if (count >= OCKAM_LISTENERS_MAX)
		return ockam_err_set(err, -ENOSPC,
				     "a node has at most %d TCP listeners",
				     OCKAM_LISTENERS_MAX);
	l = calloc(1, sizeof(*l));
	if (!l)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	ret = bound_socket(host, port, SOCK_STREAM, &l->fd, l->address,
			   sizeof(l->address), err);
	if (ret < 0) {
		free(l);
		return ret;
	}
	accept_pause_init(&l->pause, l->fd);
	ret = loop_watch(&d->loop, l->fd, POLLIN, on_acceptable, l);
	if (ret < 0) {
		close(l->fd);
		free(l);
		return ockam_err_set(err, ret, "out of memory");
	}
	*tail = l;
	ret = listeners_save(d, err);
	if (ret < 0) {
		*tail = NULL;
		listener_free(d, l);
		return ret;
	}
	log_info("TCP listener on %s", l->address);
	if (out)
		*out = l;
	return 0;
}

int listener_delete(struct daemon *d, const char *address,
		    struct ockam_err *err)
{
	struct listener **pp, *l;

	for (pp = &d->listeners; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->address, address))
			break;
	l = *pp;
	if (!l)
		return ockam_err_set(err, -ENOENT, "no TCP listener at %s",
				     address);
	*pp = l->next;
	log_info("TCP listener on %s closed (%lu connections accepted)",
		 l->address, l->accepted);
	listener_free(d, l);
	return listeners_save(d, err);
}

void listeners_close(struct daemon *d)
{
	while (d->listeners) {
		struct listener *l = d->listeners;

		d->listeners = l->next;
		listener_free(d, l);
	}
}
