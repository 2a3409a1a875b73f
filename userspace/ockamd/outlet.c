// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tcp-outlet: an AF_OCKAM socket bound at the outlet's name answers each
 * PING. One that its policy admits makes the daemon connect to the
 * target (non-blocking, with a deadline); once connected, the socket goes
 * to the kernel as an outlet session whose route is the PING's return
 * route, and the kernel answers with PONG. Anything else is answered
 * with DISCONNECT along that route, counted and logged.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wire.h>

#include "log.h"
#include "portal.h"
#include "util.h"

/* A PING is 5 bytes; room for a little more tells a longer one apart. */
enum { OUTLET_RECV_MAX = 64 };

struct outlet_connect;

struct outlet {
	struct portal_base base;
	struct outlet *next;
	char name[OCKAM_NAME_MAX];
	char target[OCKAM_HOSTPORT_MAX + 1];
	struct outlet_policy policy;
	unsigned int connect_timeout_ms;
	int fd;
	struct outlet_connect *connects;	/* dials in progress */
	unsigned long connecting;
};

/* One admitted PING whose target connection is being made. */
struct outlet_connect {
	struct outlet_connect *next;
	struct outlet *outlet;
	struct dial *dial;
	struct ockam_wire_route route;		/* the PING's return route */
	char identifier[OCKAM_IDENTIFIER_LEN + 1];	/* "" for plaintext */
	uint32_t peer_window;
};

/* Tell the inlet session no: DISCONNECT along the PING's return route. */
static void outlet_refuse(struct outlet *o, const struct ockam_wire_route *rt,
			  enum portal_refusal why, const char *detail)
{
	static const uint8_t disconnect = OCKAM_PORTAL_MSG_DISCONNECT;
	ssize_t sent;

	o->base.counters.refused[why]++;
	log_warn_limited("outlet %s: refused a session (%s)%s%s", o->name,
			 portal_refusal_name(why), detail ? ": " : "",
			 detail ? detail : "");
	sent = ockam_send_wire(o->fd, &disconnect, sizeof(disconnect),
			       rt->bytes, rt->len, MSG_DONTWAIT);
	if (sent < 0)
		log_warn_limited("outlet %s: cannot send DISCONNECT: %s",
				 o->name, strerror(-sent));
}

static void connect_free(struct outlet_connect *c)
{
	struct outlet *o = c->outlet;

	slist_remove(&o->connects, c);
	o->connecting--;
	free(c);
}

static void attach_connected(struct daemon *d, struct outlet_connect *c,
			     int fd)
{
	struct outlet *o = c->outlet;
	struct ockam_portal_params p = {
		.fd = fd,
		.role = OCKAM_PORTAL_OUTLET,
		.route = c->route.bytes,
		.route_len = c->route.len,
		.identifier = c->identifier[0] ? c->identifier : NULL,
		.flags = c->identifier[0] ? 0 : OCKAM_PORTAL_F_PLAINTEXT,
		.peer_window = c->peer_window,
	};
	struct ockam_err err;

	if (portal_attach(d, &o->base, &p, &err) < 0)
		outlet_refuse(o, &c->route, PORTAL_REFUSE_ATTACH,
			      ockam_err_msg(&err));
	close(fd);
}

static void on_target_connected(struct daemon *d, void *owner, int fd,
				int err)
{
	struct outlet_connect *c = owner;

	if (fd >= 0)
		attach_connected(d, c, fd);
	else
		outlet_refuse(c->outlet, &c->route,
			      err == ETIMEDOUT ? PORTAL_REFUSE_TIMEOUT :
						 PORTAL_REFUSE_CONNECT,
			      strerror(err));
	connect_free(c);
}

/* An admitted PING: connect to the target. */
static void outlet_connect(struct daemon *d, struct outlet *o,
			   const struct ockam_wire_route *rt,
			   const char *identifier, uint32_t window)
{
	struct outlet_connect *c = calloc(1, sizeof(*c));
	struct ockam_err err;

	if (!c) {
		outlet_refuse(o, rt, PORTAL_REFUSE_CONNECT, "out of memory");
		return;
	}
	c->outlet = o;
	c->route = *rt;
	snprintf(c->identifier, sizeof(c->identifier), "%s", identifier);
	c->peer_window = window;
	c->next = o->connects;
	o->connects = c;
	o->connecting++;
	if (dial_start(d, o->target, DIAL_NUMERIC_HOST, o->connect_timeout_ms,
		       on_target_connected, c, &c->dial, &err) < 0) {
		outlet_refuse(o, rt, PORTAL_REFUSE_CONNECT,
			      ockam_err_msg(&err));
		connect_free(c);
	}
}

/* Handle one queued message; false when there is none. */
static bool outlet_receive(struct daemon *d, struct outlet *o)
{
	static struct ockam_wire_route rt;
	char identifier[OCKAM_IDENTIFIER_LEN + 1];
	uint8_t buf[OUTLET_RECV_MAX];
	enum portal_refusal verdict;
	uint32_t window;
	ssize_t n;

	n = ockam_recv_identity(o->fd, buf, sizeof(buf), MSG_DONTWAIT, &rt,
				identifier, NULL);
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return false;
	if (n < 0) {
		log_warn_limited("outlet %s: receive: %s", o->name,
				 strerror(-n));
		return true;
	}
	o->base.counters.accepted++;
	/* Not a PING: nothing to answer, since no inlet session waits. */
	if (portal_ping_parse(buf, n, &window) < 0) {
		o->base.counters.refused[PORTAL_REFUSE_MALFORMED]++;
		log_warn_limited("outlet %s: dropped a %zd-byte message that is not a PING",
				 o->name, n);
		return true;
	}
	verdict = outlet_admit(&o->policy, identifier,
			       o->base.counters.active + o->connecting);
	if (verdict != PORTAL_ADMITTED)
		outlet_refuse(o, &rt, verdict,
			      identifier[0] ? identifier : "no secure channel");
	else
		outlet_connect(d, o, &rt, identifier, window);
	return true;
}

static void on_outlet_readable(struct daemon *d, void *ctx, short revents)
{
	struct outlet *o = ctx;
	int i;

	(void)revents;
	for (i = 0; i < DAEMON_BATCH; i++)
		if (!outlet_receive(d, o))
			break;
}

static int outlet_open_socket(struct daemon *d, struct outlet *o,
			      struct ockam_err *err)
{
	int ret = ockam_socket(SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (ret < 0)
		return ockam_err_set(err, ret, "cannot open an AF_OCKAM socket: %s",
				     strerror(-ret));
	o->fd = ret;
	ret = kernel_reserve(d, o->name, err);
	if (ret < 0)
		return ret;
	ret = ockam_bind(o->fd, o->name);
	if (ret < 0)
		return ockam_err_set(err, ret, "cannot bind outlet %s: %s",
				     o->name, strerror(-ret));
	ret = ockam_set_recvroute(o->fd, true);
	if (ret == 0)
		ret = ockam_set_recvidentity(o->fd, true);
	if (ret < 0)
		return ockam_err_set(err, ret, "outlet %s: socket options: %s",
				     o->name, strerror(-ret));
	ret = loop_watch(&d->loop, o->fd, POLLIN, on_outlet_readable, o);
	if (ret < 0)
		return ockam_err_set(err, ret, "out of memory");
	return 0;
}

static void outlet_free(struct daemon *d, struct outlet *o)
{
	while (o->connects) {
		dial_cancel(d, o->connects->dial);
		connect_free(o->connects);
	}
	if (o->fd >= 0) {
		loop_unwatch(&d->loop, o->fd);
		close(o->fd);
	}
	portal_base_remove(d, &o->base);
	free(o);
}

static struct outlet *outlet_find(struct daemon *d, const char *name)
{
	struct outlet *o;

	for (o = d->outlets; o; o = o->next)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

/* The target must be an IP literal: a lookup would stall the daemon. */
static int check_target(const char *target, struct ockam_err *err)
{
	char host[OCKAM_HOST_MAX + 1];
	uint8_t addr[16];
	uint16_t port;
	int ret;

	ret = ockam_hostport_split(target, host, sizeof(host), &port, false,
				   err);
	if (ret < 0)
		return ret;
	if (inet_pton(AF_INET, host, addr) != 1 &&
	    inet_pton(AF_INET6, host, addr) != 1)
		return ockam_err_set(err, -EINVAL,
				     "outlet target %s: the host must be an IP address",
				     target);
	return 0;
}

static void outlet_record(struct ockam_ctl_writer *w, const struct outlet *o)
{
	char trust[SECURE_AUTHORIZED_MAX * (IDENTIFIER_STR_LEN + 1) + 8];

	trust_policy_format(&o->policy.trust, trust, sizeof(trust));
	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "name", "%s", o->name);
	ockam_ctl_field(w, "to", "%s", o->target);
	ockam_ctl_field(w, "authorized", "%s", trust);
	ockam_ctl_field(w, "allow-plaintext", "%d", o->policy.allow_plaintext);
	ockam_ctl_field(w, "max-sessions", "%lu", o->policy.max_sessions);
	ockam_ctl_field(w, "connect-timeout-ms", "%u", o->connect_timeout_ms);
	ockam_ctl_field(w, "connecting", "%lu", o->connecting);
	portal_counters_report(w, &o->base.counters);
	ockam_ctl_record_end(w);
}

int outlet_create(struct daemon *d, const struct outlet_request *req,
		  struct ockam_ctl_writer *w, struct ockam_err *err)
{
	unsigned int count = 0;
	struct outlet *o;
	int ret;

	if (!ockam_local_name_ok(req->name))
		return ockam_err_set(err, -EINVAL,
				     "'%s' is not a local address", req->name);
	ret = check_target(req->target, err);
	if (ret < 0)
		return ret;
	if (outlet_find(d, req->name))
		return ockam_err_set(err, -EEXIST, "outlet %s exists",
				     req->name);
	for (o = d->outlets; o; o = o->next)
		count++;
	if (count >= PORTALS_MAX)
		return ockam_err_set(err, -ENOSPC,
				     "a node has at most %d outlets", PORTALS_MAX);
	o = calloc(1, sizeof(*o));
	if (!o)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	snprintf(o->name, sizeof(o->name), "%s", req->name);
	snprintf(o->target, sizeof(o->target), "%s", req->target);
	o->policy = req->policy;
	o->connect_timeout_ms = req->connect_timeout_ms;
	o->fd = -1;
	portal_base_add(d, &o->base, "outlet", o->name);
	ret = outlet_open_socket(d, o, err);
	if (ret < 0) {
		outlet_free(d, o);
		return ret;
	}
	o->next = d->outlets;
	d->outlets = o;
	log_info("outlet %s to %s (%s%s)", o->name, o->target,
		 o->policy.trust.count ? "listed identities" : "any identity",
		 o->policy.allow_plaintext ? ", plaintext allowed" : "");
	ockam_ctl_reply_ok(w);
	outlet_record(w, o);
	return 0;
}

int outlet_delete(struct daemon *d, const char *name, struct ockam_err *err)
{
	struct outlet *o = outlet_find(d, name);

	if (!o)
		return ockam_err_set(err, -ENOENT, "no outlet %s", name);
	slist_remove(&d->outlets, o);
	log_info("outlet %s closed (%lu sessions attached)", o->name,
		 o->base.counters.attached);
	outlet_free(d, o);
	return 0;
}

int outlets_report(struct daemon *d, const char *name,
		   struct ockam_ctl_writer *w, struct ockam_err *err)
{
	const struct outlet *o;

	if (name && !outlet_find(d, name))
		return ockam_err_set(err, -ENOENT, "no outlet %s", name);
	ockam_ctl_reply_ok(w);
	for (o = d->outlets; o; o = o->next)
		if (!name || !strcmp(o->name, name))
			outlet_record(w, o);
	return 0;
}

void outlets_close(struct daemon *d)
{
	while (d->outlets) {
		struct outlet *o = d->outlets;

		d->outlets = o->next;
		outlet_free(d, o);
	}
}
