// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The control socket: AF_UNIX SOCK_SEQPACKET in the node's directory,
 * speaking the protocol of Documentation/ockamd.rst. A request is parsed
 * with ockam_ctl_request_parse() and answered by one handler; a handler
 * that must wait (a dial) answers later through ctl_reply_later(), and the
 * client is not read meanwhile.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "control_args.h"
#include "daemon.h"
#include "log.h"
#include "secure.h"
#include "util.h"

struct ctl_client {
	struct ctl_client *next;
	int fd;
	uint64_t id;
	bool waiting;			/* a deferred reply is due */
};

/* Replies are built one at a time; the daemon has one thread. */
static struct ockam_ctl_writer writer;

struct ockam_ctl_writer *ctl_writer(void)
{
	return &writer;
}

struct ctl_verb {
	const char *verb;
	unsigned int min_args;
	unsigned int max_args;
	const char *usage;
	/* Returns false when the reply will come later. */
	bool (*handle)(struct daemon *d, struct ctl_client *c,
		       const struct ockam_ctl_request *req,
		       struct ockam_ctl_writer *w);
	/*
	 * Instead of @handle, for the requests that delete what their one
	 * argument names: all they answer is "ok" or the error.
	 */
	int (*remove)(struct daemon *d, const char *name,
		      struct ockam_err *err);
};

static bool handle_status(struct daemon *d, struct ctl_client *c,
			  const struct ockam_ctl_request *req,
			  struct ockam_ctl_writer *w)
{
	const struct listener *l = NULL;

	(void)c;
	(void)req;
	ockam_ctl_reply_ok(w);
	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "kind", "node");
	ockam_ctl_field(w, "name", "%s", d->name);
	ockam_ctl_field(w, "pid", "%d", (int)getpid());
	ockam_ctl_field(w, "version", "%s", OCKAM_VERSION);
	ockam_ctl_field(w, "started", "%lld", (long long)d->started);
	ockam_ctl_field(w, "netns", "%llu", (unsigned long long)d->netns_inode);
	ockam_ctl_field(w, "family", "%d", ockam_family());
	ockam_ctl_record_end(w);
	while ((l = listener_next(d, l))) {
		ockam_ctl_record_begin(w);
		ockam_ctl_field(w, "kind", "listener");
		ockam_ctl_field(w, "address", "%s", listener_address(l));
		ockam_ctl_field(w, "accepted", "%lu", listener_accepted(l));
		ockam_ctl_record_end(w);
	}
	conns_report(d, w);
	services_report(d, w);
	secure_listeners_status(d, w);
	initiators_report(d, w);
	return true;
}

static void listener_record(struct ockam_ctl_writer *w,
			    const struct listener *l)
{
	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "address", "%s", listener_address(l));
	ockam_ctl_field(w, "accepted", "%lu", listener_accepted(l));
	ockam_ctl_record_end(w);
}

static bool reply_err(struct ockam_ctl_writer *w, const struct ockam_err *err)
{
	ockam_ctl_reply_error(w, -err->code, "%s", ockam_err_msg(err));
	return true;
}

/* "ok", or the error @err describes; for requests that return nothing. */
static bool reply_result(struct ockam_ctl_writer *w, int ret,
			 const struct ockam_err *err)
{
	if (ret < 0)
		return reply_err(w, err);
	ockam_ctl_reply_ok(w);
	return true;
}

static bool handle_listener_create(struct daemon *d, struct ctl_client *c,
				   const struct ockam_ctl_request *req,
				   struct ockam_ctl_writer *w)
{
	struct listener *l;
	struct ockam_err err;

	(void)c;
	if (listener_create(d, req->argv[0], &l, &err) < 0)
		return reply_err(w, &err);
	ockam_ctl_reply_ok(w);
	listener_record(w, l);
	return true;
}

static bool handle_listener_list(struct daemon *d, struct ctl_client *c,
				 const struct ockam_ctl_request *req,
				 struct ockam_ctl_writer *w)
{
	const struct listener *l = NULL;

	(void)c;
	(void)req;
	ockam_ctl_reply_ok(w);
	while ((l = listener_next(d, l)))
		listener_record(w, l);
	return true;
}

static bool handle_connection_create(struct daemon *d, struct ctl_client *c,
				     const struct ockam_ctl_request *req,
				     struct ockam_ctl_writer *w)
{
	(void)w;
	c->waiting = true;
	loop_set_events(&d->loop, c->fd, 0);
	conn_create(d, req->argv[0], c->id);
	return false;
}

/* ------------------------------------------------------ request options */

/* ----------------------------------------------------------- identities */

/* Attestation lifetimes the request takes: a century either way. */
#define ATTESTATION_TTL_LIMIT (100LL * 365 * 24 * 3600)

static bool handle_identity_create(struct daemon *d, struct ctl_client *c,
				   const struct ockam_ctl_request *req,
				   struct ockam_ctl_writer *w)
{
	static const char *const keys[] = { "attestation-ttl", NULL };
	const char *values[ARRAY_SIZE(keys)];
	long long ttl = 0;
	struct ockam_err err;

	(void)c;
	if (ctl_parse_options(req, 1, keys, values, &err) < 0)
		return reply_err(w, &err);
	if (values[0] && ctl_parse_number(values[0], "attestation-ttl",
				      -ATTESTATION_TTL_LIMIT,
				      ATTESTATION_TTL_LIMIT, &ttl, &err) < 0)
		return reply_err(w, &err);
	if (values[0] && !ttl) {
		ockam_err_set(&err, -EINVAL, "attestation-ttl 0 is no lifetime");
		return reply_err(w, &err);
	}
	if (identity_create_request(d, req->argv[0], ttl, w, &err) < 0)
		return reply_err(w, &err);
	return true;
}

static bool handle_identity_show(struct daemon *d, struct ctl_client *c,
				 const struct ockam_ctl_request *req,
				 struct ockam_ctl_writer *w)
{
	struct ockam_err err;

	(void)c;
	if (identity_show_request(d, req->argc ? req->argv[0] : NULL, w,
				  &err) < 0)
		return reply_err(w, &err);
	return true;
}

static bool handle_identity_list(struct daemon *d, struct ctl_client *c,
				 const struct ockam_ctl_request *req,
				 struct ockam_ctl_writer *w)
{
	struct ockam_err err;

	(void)c;
	(void)req;
	if (identity_list_request(d, w, &err) < 0)
		return reply_err(w, &err);
	return true;
}

/* ------------------------------------------------------ secure channels */

static bool handle_sc_listener_create(struct daemon *d, struct ctl_client *c,
				      const struct ockam_ctl_request *req,
				      struct ockam_ctl_writer *w)
{
	static const char *const keys[] = { "identity", "authorized", NULL };
	const char *values[ARRAY_SIZE(keys)];
	struct ockam_err err;

	(void)c;
	if (ctl_parse_options(req, 1, keys, values, &err) < 0 ||
	    secure_listener_create(d, req->argv[0], values[0], values[1],
				   &err) < 0 ||
	    secure_listeners_report(d, req->argv[0], w, &err) < 0)
		return reply_err(w, &err);
	return true;
}

static bool handle_sc_listener_list(struct daemon *d, struct ctl_client *c,
				    const struct ockam_ctl_request *req,
				    struct ockam_ctl_writer *w)
{
	struct ockam_err err;

	(void)c;
	if (secure_listeners_report(d, req->argc ? req->argv[0] : NULL, w,
				    &err) < 0)
		return reply_err(w, &err);
	return true;
}

static bool handle_sc_create(struct daemon *d, struct ctl_client *c,
			     const struct ockam_ctl_request *req,
			     struct ockam_ctl_writer *w)
{
	static const char *const keys[] = {
		"identity", "authorized", "timeout", NULL,
	};
	static uint8_t route[OCKAM_ROUTE_BYTES_MAX];
	static struct secure_channel_request sc;
	const char *values[ARRAY_SIZE(keys)];
	long long timeout = SECURE_TIMEOUT_MS_DEFAULT;
	struct ockam_err err;

	memset(&sc, 0, sizeof(sc));
	if (ctl_parse_route(req->argv[0], route, &sc.route_len, &err) < 0 ||
	    ctl_parse_options(req, 1, keys, values, &err) < 0 ||
	    trust_policy_parse(&sc.policy, values[1] ? values[1] : "",
			       &err) < 0 ||
	    (values[2] && ctl_parse_number(values[2], "timeout", 1,
				       SECURE_TIMEOUT_MS_MAX, &timeout,
				       &err) < 0))
		return reply_err(w, &err);
	sc.route = route;
	sc.identity = values[0] ? values[0] : VAULT_DEFAULT_NAME;
	sc.timeout_ms = timeout;
	c->waiting = true;
	loop_set_events(&d->loop, c->fd, 0);
	secure_channel_create(d, c->id, &sc);
	return false;
}

static bool handle_sc_list(struct daemon *d, struct ctl_client *c,
			   const struct ockam_ctl_request *req,
			   struct ockam_ctl_writer *w)
{
	(void)c;
	(void)req;
	channels_report(d, w);
	return true;
}

static const struct ctl_verb verbs[] = {
	{ "status", 0, 0, "status", .handle = handle_status },
	{ "tcp-listener-create", 1, 1, "tcp-listener-create HOST:PORT",
	  .handle = handle_listener_create },
	{ "tcp-listener-list", 0, 0, "tcp-listener-list",
	  .handle = handle_listener_list },
	{ "tcp-listener-delete", 1, 1, "tcp-listener-delete HOST:PORT",
	  .remove = listener_delete },
	{ "tcp-connection-create", 1, 1, "tcp-connection-create HOST:PORT",
	  .handle = handle_connection_create },
	{ "tcp-connection-delete", 1, 1, "tcp-connection-delete ADDRESS",
	  .remove = conn_delete },
	{ "identity-create", 1, 2,
	  "identity-create NAME [attestation-ttl=SECONDS]",
	  .handle = handle_identity_create },
	{ "identity-show", 0, 1, "identity-show [NAME]",
	  .handle = handle_identity_show },
	{ "identity-list", 0, 0, "identity-list",
	  .handle = handle_identity_list },
	{ "identity-delete", 1, 1, "identity-delete NAME",
	  .remove = identity_delete_request },
	{ "secure-channel-listener-create", 1, 3,
	  "secure-channel-listener-create NAME [identity=NAME] [authorized=ID,...]",
	  .handle = handle_sc_listener_create },
	{ "secure-channel-listener-list", 0, 1,
	  "secure-channel-listener-list [NAME]",
	  .handle = handle_sc_listener_list },
	{ "secure-channel-listener-delete", 1, 1,
	  "secure-channel-listener-delete NAME",
	  .remove = secure_listener_delete },
	{ "secure-channel-create", 1, 4,
	  "secure-channel-create ROUTE-HEX [identity=NAME] [authorized=ID,...] [timeout=MS]",
	  .handle = handle_sc_create },
	{ "secure-channel-list", 0, 0, "secure-channel-list",
	  .handle = handle_sc_list },
	{ "secure-channel-delete", 1, 1, "secure-channel-delete ENCRYPTOR",
	  .remove = channel_delete },
};

static void client_close(struct daemon *d, struct ctl_client *c)
{
	slist_remove(&d->clients, c);
	loop_unwatch(&d->loop, c->fd);
	close(c->fd);
	d->client_count--;
	free(c);
}

static bool client_send(struct daemon *d, struct ctl_client *c,
			struct ockam_ctl_writer *w)
{
	ssize_t len = ockam_ctl_reply_finish(w);

	/* An overflowing reply was replaced by an error that fits. */
	if (len < 0)
		len = w->len;
	if (send(c->fd, w->buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		log_warn("control: cannot reply: %s", strerror(errno));
		client_close(d, c);
		return false;
	}
	return true;
}

bool ctl_reply_later(struct daemon *d, uint64_t client_id,
		     struct ockam_ctl_writer *w)
{
	struct ctl_client *c;

	for (c = d->clients; c; c = c->next)
		if (c->id == client_id)
			break;
	if (!c || !c->waiting)
		return false;
	c->waiting = false;
	if (!client_send(d, c, w))
		return false;
	loop_set_events(&d->loop, c->fd, POLLIN);
	return true;
}

static void handle_request(struct daemon *d, struct ctl_client *c,
			   const char *buf, size_t len)
{
	/* 64 KiB each: static, as the daemon has one thread. */
	static struct ockam_ctl_request req;
	struct ockam_err err;
	const struct ctl_verb *v = NULL;
	size_t i;

	if (ockam_ctl_request_parse(&req, buf, len, &err) < 0) {
		reply_err(&writer, &err);
		client_send(d, c, &writer);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(verbs) && !v; i++)
		if (!strcmp(verbs[i].verb, req.verb))
			v = &verbs[i];
	if (!v) {
		ockam_ctl_reply_error(&writer, EOPNOTSUPP, "unknown request '%s'",
				      req.verb);
	} else if (req.argc < v->min_args || req.argc > v->max_args) {
		ockam_ctl_reply_error(&writer, EINVAL, "usage: %s", v->usage);
	} else {
		log_debug("control: %s", req.verb);
		if (v->remove)
			reply_result(&writer, v->remove(d, req.argv[0], &err),
				     &err);
		else if (!v->handle(d, c, &req, &writer))
			return;
	}
	client_send(d, c, &writer);
}

static void on_client_readable(struct daemon *d, void *ctx, short revents)
{
	static char buf[OCKAM_CTL_REQUEST_MAX + 1];
	struct ctl_client *c = ctx;
	ssize_t n;

	if (c->waiting) {
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
		ockam_ctl_reply_error(&writer, EBUSY,
				      "too many control clients (%d)",
				      CTL_CLIENTS_MAX);
		send(fd, writer.buf, writer.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || loop_watch(&d->loop, fd, POLLIN, on_client_readable, c) < 0) {
		free(c);
		close(fd);
		return;
	}
	c->fd = fd;
	c->id = ++d->next_client_id;
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
