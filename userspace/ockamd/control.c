// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The control socket: AF_UNIX SOCK_SEQPACKET in the node's directory,
 * speaking the protocol of Documentation/ockamd.rst. Each request that
 * arrives becomes a struct ctl_request, which carries its reply and whom
 * it is for; ctl_dispatch() (control_verbs.c) hands it to the verb's
 * handler. A handler answers at once, or keeps the request and finishes
 * it later (a dial, a handshake): each request has its own reply, so any
 * number may be pending, one per client, since a client is not read
 * again until its reply has gone.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "util.h"

struct ctl_client {
	struct ctl_client *next;
	int fd;
	/* The request being answered; the client is not read meanwhile. */
	struct ctl_request *pending;
};

struct ctl_request {
	/*
	 * Who gets the reply: the connection, not its descriptor, whose
	 * number another client may get once this one has gone. NULL
	 * from then on, and the reply is dropped.
	 */
	struct ctl_client *client;
	struct ockam_ctl_writer reply;
};

/* Said to a client whose request cannot even get a struct ctl_request. */
static const char reply_enomem[] = "error 12 out of memory\n";

struct ockam_ctl_writer *ctl_reply(struct ctl_request *r)
{
	return &r->reply;
}

static struct ctl_request *request_new(struct ctl_client *c)
{
	struct ctl_request *r = malloc(sizeof(*r));

	if (!r)
		return NULL;
	r->client = c;
	/* What a handler that forgot to answer would send. */
	ockam_ctl_reply_error(&r->reply, EIO, "the request got no reply");
	return r;
}

static void client_close(struct daemon *d, struct ctl_client *c)
{
	/* Its pending request stays with its handler, answering nobody. */
	if (c->pending)
		c->pending->client = NULL;
	slist_remove(&d->clients, c);
	loop_unwatch(&d->loop, c->fd);
	close(c->fd);
	d->client_count--;
	free(c);
}

/* Send @r's reply, if its client is still there, and read that again. */
static bool request_send(struct daemon *d, struct ctl_request *r)
{
	struct ctl_client *c = r->client;
	ssize_t len;

	if (!c)
		return false;
	c->pending = NULL;
	r->client = NULL;
	len = ockam_ctl_reply_finish(&r->reply);
	/* An overflowing reply was replaced by an error that fits. */
	if (len < 0)
		len = r->reply.len;
	if (send(c->fd, r->reply.buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		log_warn("control: cannot reply: %s", strerror(errno));
		client_close(d, c);
		return false;
	}
	loop_set_events(&d->loop, c->fd, POLLIN);
	return true;
}

bool ctl_request_finish(struct daemon *d, struct ctl_request *r)
{
	bool sent = request_send(d, r);

	free(r);
	return sent;
}

void ctl_request_cancel(struct daemon *d, struct ctl_request *r)
{
	ockam_ctl_reply_error(&r->reply, ECANCELED,
			      "the daemon gave up on the request");
	ctl_request_finish(d, r);
}

static void handle_request(struct daemon *d, struct ctl_client *c,
			   const char *buf, size_t len)
{
	/* 64 KiB: static, as the daemon has one thread. */
	static struct ockam_ctl_request msg;
	struct ctl_request *r = request_new(c);
	struct ockam_err err;

	if (!r) {
		send(c->fd, reply_enomem, sizeof(reply_enomem) - 1,
		     MSG_NOSIGNAL | MSG_DONTWAIT);
		return;
	}
	/*
	 * Not read again until the reply is sent: set before the handler
	 * runs, since one that answers later may also answer (and the
	 * client go) before it returns.
	 */
	c->pending = r;
	loop_set_events(&d->loop, c->fd, 0);
	if (ockam_ctl_request_parse(&msg, buf, len, &err) < 0)
		ockam_ctl_reply_error(&r->reply, -err.code, "%s",
				      ockam_err_msg(&err));
	else if (ctl_dispatch(d, r, &msg) == CTL_REPLY_LATER)
		return;		/* @r, and maybe @c, are not ours now */
	ctl_request_finish(d, r);
}

static void on_client_readable(struct daemon *d, void *ctx, short revents)
{
	static char buf[OCKAM_CTL_REQUEST_MAX + 1];
	struct ctl_client *c = ctx;
	ssize_t n;

	if (c->pending) {
		/* Only a hang-up wakes us while a reply is pending. */
		if (revents & (POLLHUP | POLLERR))
			client_close(d, c);
		return;
	}
	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(d, c);
		return;
	}
	handle_request(d, c, buf, n);
}

/* One client too many: tell it why, and close. */
static void refuse_client(int fd)
{
	struct ockam_ctl_writer *w = malloc(sizeof(*w));

	if (w) {
		ockam_ctl_reply_error(w, EBUSY, "too many control clients (%d)",
				      CTL_CLIENTS_MAX);
		send(fd, w->buf, w->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		free(w);
	}
	close(fd);
}

static void on_ctl_acceptable(struct daemon *d, void *ctx, short revents)
{
	struct ctl_client *c;
	int fd;

	(void)ctx;
	(void)revents;
	fd = accept4(d->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		if (err == EAGAIN || err == EINTR || err == ECONNABORTED)
			return;
		log_warn_limited("control: accept: %s", strerror(err));
		accept_pause(&d->loop, &d->ctl_pause, err);
		return;
	}
	if (d->client_count >= CTL_CLIENTS_MAX) {
		refuse_client(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || loop_watch(&d->loop, fd, POLLIN, on_client_readable, c) < 0) {
		free(c);
		close(fd);
		return;
	}
	c->fd = fd;
	c->next = d->clients;
	d->clients = c;
	d->client_count++;
}

int ctl_open(struct daemon *d, struct ockam_err *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t mask;
	int n, fd;

	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", d->dir,
		     OCKAM_NODE_CONTROL_FILE);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
		return ockam_err_set(err, -ENAMETOOLONG,
				     "control socket path %s/%s is longer than %zu bytes; use a shorter OCKAM_HOME",
				     d->dir, OCKAM_NODE_CONTROL_FILE,
				     sizeof(sun.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ockam_err_set(err, -errno, "control socket: %s",
				     strerror(errno));
	/* We hold the node lock, so whatever is there is stale. */
	unlinkat(d->dir_fd, OCKAM_NODE_CONTROL_FILE, 0);
	/*
	 * bind() creates the socket file, and never through a symbolic
	 * link; the umask gives it mode 0600 from the start, where a
	 * chmod() afterwards would follow a link put there meanwhile.
	 */
	mask = umask(0177);
	n = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(mask);
	if (n < 0 || listen(fd, CTL_BACKLOG) < 0) {
		n = -errno;
		close(fd);
		return ockam_err_set(err, n, "control socket %s: %s",
				     sun.sun_path, strerror(-n));
	}
	if (loop_watch(&d->loop, fd, POLLIN, on_ctl_acceptable, NULL) < 0) {
		close(fd);
		return ockam_err_set(err, -ENOMEM, "out of memory");
	}
	accept_pause_init(&d->ctl_pause, fd);
	d->ctl_fd = fd;
	return 0;
}

void ctl_close(struct daemon *d)
{
	while (d->clients)
		client_close(d, d->clients);
	if (d->ctl_fd >= 0) {
		accept_pause_cancel(&d->loop, &d->ctl_pause);
		loop_unwatch(&d->loop, d->ctl_fd);
		close(d->ctl_fd);
		d->ctl_fd = -1;
		unlinkat(d->dir_fd, OCKAM_NODE_CONTROL_FILE, 0);
	}
}
