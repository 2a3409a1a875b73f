// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tcp-inlet: a TCP listener whose every accepted connection becomes an
 * inlet portal session. When the inlet's route goes through a secure
 * channel listener, the inlet keeps a channel to it and sends along
 * [encryptor, the rest of the route]; the session accepts only what
 * comes back out of that channel. The channel outlives the connections
 * under it (channel_recovery.c): while it recovers, sessions that send
 * lose their bytes and are reset, the others go on, and new clients are
 * attached to it. A channel that was closed, or that gave up, is opened
 * again for the next client; clients that arrive while it is being
 * opened wait for it, and are reset if it cannot be.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "portal.h"
#include "util.h"

struct inlet {
	struct portal_base base;
	struct inlet *next;
	char address[OCKAM_HOSTPORT_MAX + 1];	/* as bound */
	int fd;
	struct accept_pause pause;
	struct ockam_wire_route secure;	/* to the channel listener; len 0:
					 * no channel
					 */
	struct ockam_wire_route outlet;	/* to the outlet service */
	struct trust_policy trust;
	unsigned long max_sessions;
	/* The channel: its encryptor and peer once it is up. */
	char encryptor[OCKAM_NAME_MAX];
	char peer[IDENTIFIER_STR_LEN + 1];
	struct initiator *opening;
	unsigned long channels_opened;
	/* Clients waiting for the channel. */
	int *waiting;
	unsigned long nwaiting;
};

/* Close a client's connection with a reset: it was not served. */
static void reset_client(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void refuse_client(struct inlet *in, int fd, enum portal_refusal why,
			  const char *detail)
{
	in->base.counters.refused[why]++;
	log_warn_limited("inlet %s: reset a client (%s): %s", in->address,
			 portal_refusal_name(why), detail);
	reset_client(fd);
}

/* Whether the inlet's channel is still open (the daemon forgets a
 * channel when the kernel reports it closed).
 */
static bool channel_open(struct daemon *d, const struct inlet *in)
{
	const struct channel_record *rec;

	if (!in->encryptor[0])
		return false;
	for (rec = d->channels; rec; rec = rec->next)
		if (!strcmp(rec->encryptor, in->encryptor))
			return true;
	return false;
}

/* The session's route: [encryptor, outlet route...] or the outlet route. */
static int session_route(const struct inlet *in, struct ockam_wire_route *out,
			 struct ockam_err *err)
{
	static struct ockam_route rt, rest;
	ssize_t len;
	int ret;

	ockam_route_init(&rt);
	if (in->secure.len) {
		ret = ockam_route_push(&rt, OCKAM_ADDR_LOCAL, in->encryptor,
				       strlen(in->encryptor), err);
		if (ret < 0)
			return ret;
	}
	ret = ockam_route_from_wire(&rest, in->outlet.bytes, in->outlet.len,
				    err);
	if (ret == 0)
		ret = ockam_route_append(&rt, &rest, err);
	if (ret < 0)
		return ret;
	len = ockam_route_to_wire(&rt, out->bytes, sizeof(out->bytes));
	if (len < 0)
		return ockam_err_set(err, len, "the session's route is too long");
	out->len = len;
	return 0;
}

static void attach_client(struct daemon *d, struct inlet *in, int fd)
{
	struct ockam_wire_route route;
	struct ockam_portal_params p = {
		.fd = fd,
		.role = OCKAM_PORTAL_INLET,
		.identifier = in->secure.len ? in->peer : NULL,
		.flags = in->secure.len ? 0 : OCKAM_PORTAL_F_PLAINTEXT,
	};
	struct ockam_err err;

	if (session_route(in, &route, &err) == 0) {
		p.route = route.bytes;
		p.route_len = route.len;
	}
	if (!p.route || portal_attach(d, &in->base, &p, &err) < 0) {
		refuse_client(in, fd, PORTAL_REFUSE_ATTACH, ockam_err_msg(&err));
		return;
	}
	/* The kernel holds its own reference now. */
	close(fd);
}

/* The channel is up (@ch) or failed (@err): serve the waiting clients. */
static void on_channel(struct daemon *d, void *owner,
		       const struct ockam_channel_info *ch,
		       const struct ockam_err *err)
{
	struct inlet *in = owner;
	unsigned long i;

	in->opening = NULL;
	if (ch) {
		snprintf(in->encryptor, sizeof(in->encryptor), "%s",
			 ch->encryptor);
		snprintf(in->peer, sizeof(in->peer), "%s", ch->identifier);
		in->channels_opened++;
		log_info("inlet %s: secure channel %s to %s", in->address,
			 in->encryptor, in->peer);
	} else {
		log_warn("inlet %s: no secure channel: %s", in->address,
			 ockam_err_msg(err));
	}
	for (i = 0; i < in->nwaiting; i++) {
		if (ch)
			attach_client(d, in, in->waiting[i]);
		else
			refuse_client(in, in->waiting[i],
				      PORTAL_REFUSE_CHANNEL,
				      ockam_err_msg(err));
	}
	in->nwaiting = 0;
}

static int open_channel(struct daemon *d, struct inlet *in,
			struct ockam_err *err)
{
	struct secure_channel_request req = {
		.route = in->secure.bytes,
		.route_len = in->secure.len,
		.identity = VAULT_DEFAULT_NAME,
		.policy = in->trust,
		.timeout_ms = SECURE_TIMEOUT_MS_DEFAULT,
	};
	in->encryptor[0] = '\0';
	return secure_channel_open(d, &req, on_channel, in, &in->opening,
				   err);
}

/* A client for a channel that is not up: it waits for one. */
static void wait_for_channel(struct daemon *d, struct inlet *in, int fd)
{
	struct ockam_err err;

	in->waiting[in->nwaiting++] = fd;
	if (in->opening || open_channel(d, in, &err) == 0)
		return;
	in->nwaiting--;
	refuse_client(in, fd, PORTAL_REFUSE_CHANNEL, ockam_err_msg(&err));
}

static void serve_client(struct daemon *d, struct inlet *in, int fd)
{
	int one = 1;

	in->base.counters.accepted++;
	if (in->base.counters.active + in->nwaiting >= in->max_sessions) {
		refuse_client(in, fd, PORTAL_REFUSE_LIMIT, "too many sessions");
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (in->secure.len && !channel_open(d, in))
		wait_for_channel(d, in, fd);
	else
		attach_client(d, in, fd);
}

static void on_inlet_acceptable(struct daemon *d, void *ctx, short revents)
{
	struct inlet *in = ctx;
	int i, err;

	(void)revents;
	for (i = 0; i < DAEMON_BATCH; i++) {
		int fd = accept4(in->fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0) {
			serve_client(d, in, fd);
			continue;
		}
		err = errno;
		if (err == EAGAIN || err == EINTR || err == ECONNABORTED)
			return;
		log_err_limited("inlet %s: accept: %s", in->address,
				strerror(err));
		accept_pause(&d->loop, &in->pause, err);
		return;
	}
}

static void inlet_free(struct daemon *d, struct inlet *in)
{
	unsigned long i;

	if (in->opening)
		secure_channel_abort(d, in->opening);
	for (i = 0; i < in->nwaiting; i++)
		reset_client(in->waiting[i]);
	if (in->fd >= 0) {
		accept_pause_cancel(&d->loop, &in->pause);
		loop_unwatch(&d->loop, in->fd);
		close(in->fd);
	}
	portal_base_remove(d, &in->base);
	free(in->waiting);
	free(in);
}

static struct inlet *inlet_find(struct daemon *d, const char *address)
{
	struct inlet *in;

	for (in = d->inlets; in; in = in->next)
		if (!strcmp(in->address, address))
			return in;
	return NULL;
}

/* An encoded route as MultiAddr text (or plain), for records. */
static void route_field(struct ockam_ctl_writer *w, const char *key,
			const struct ockam_wire_route *wr)
{
	static struct ockam_route rt;
	static char text[OCKAM_ROUTE_TEXT_MAX];

	if (!wr->len || ockam_route_from_wire(&rt, wr->bytes, wr->len,
					      NULL) < 0 ||
	    ockam_route_format_any(&rt, text, sizeof(text)) < 0)
		snprintf(text, sizeof(text), "-");
	ockam_ctl_field(w, key, "%s", text);
}

static void inlet_record(struct daemon *d, struct ockam_ctl_writer *w,
			 const struct inlet *in)
{
	char trust[SECURE_AUTHORIZED_MAX * (IDENTIFIER_STR_LEN + 1) + 8];
	bool up = in->secure.len && channel_open(d, in);

	trust_policy_format(&in->trust, trust, sizeof(trust));
	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "address", "%s", in->address);
	route_field(w, "secure", &in->secure);
	route_field(w, "outlet", &in->outlet);
	ockam_ctl_field(w, "authorized", "%s", trust);
	ockam_ctl_field(w, "max-sessions", "%lu", in->max_sessions);
	ockam_ctl_field(w, "channel", "%s", up ? in->encryptor : "-");
	ockam_ctl_field(w, "peer", "%s", up ? in->peer : "-");
	ockam_ctl_field(w, "channels-opened", "%lu", in->channels_opened);
	ockam_ctl_field(w, "waiting", "%lu", in->nwaiting);
	portal_counters_report(w, &in->base.counters);
	ockam_ctl_record_end(w);
}

static int inlet_listen(struct daemon *d, struct inlet *in, const char *from,
			struct ockam_err *err)
{
	char host[OCKAM_HOST_MAX + 1];
	uint16_t port;
	int ret;

	ret = ockam_hostport_split(from, host, sizeof(host), &port, true, err);
	if (ret == 0)
		ret = bound_socket(host, port, SOCK_STREAM, &in->fd,
				   in->address, sizeof(in->address), err);
	if (ret < 0)
		return ret;
	accept_pause_init(&in->pause, in->fd);
	ret = loop_watch(&d->loop, in->fd, POLLIN, on_inlet_acceptable, in);
	if (ret < 0)
		return ockam_err_set(err, ret, "out of memory");
	return 0;
}

static int inlet_init(struct inlet *in, const struct inlet_request *req,
		      struct ockam_err *err)
{
	if (req->outlet_len > sizeof(in->outlet.bytes) ||
	    req->secure_len > sizeof(in->secure.bytes))
		return ockam_err_set(err, -EMSGSIZE, "route too long");
	memcpy(in->outlet.bytes, req->outlet, req->outlet_len);
	in->outlet.len = req->outlet_len;
	if (req->secure)
		memcpy(in->secure.bytes, req->secure, req->secure_len);
	in->secure.len = req->secure ? req->secure_len : 0;
	in->trust = req->trust;
	in->max_sessions = req->max_sessions;
	in->waiting = calloc(req->max_sessions, sizeof(*in->waiting));
	if (!in->waiting)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

/*
 * The inlet's channel is lost (@why): close it, which resets the sessions
 * still using it, so that the next client opens a new one along the
 * inlet's route.
 */
static void inlet_drop_channel(struct daemon *d, struct inlet *in,
			       const char *why)
{
	struct ockam_err err;

	log_info("inlet %s: secure channel %s lost: %s", in->address,
		 in->encryptor, why);
	if (channel_delete(d, in->encryptor, &err) < 0 && err.code != -ENOENT)
		log_warn("inlet %s: %s", in->address, ockam_err_msg(&err));
	in->encryptor[0] = '\0';
}

/*
 * A channel changed state. Recovering is the channel's business: the
 * inlet keeps it. One that gave up is replaced for the next client.
 */
void inlets_on_channel_state(struct daemon *d, const struct ockam_event *ev)
{
	struct inlet *in;

	if (ev->state != OCKAM_CHANNEL_DOWN)
		return;
	for (in = d->inlets; in; in = in->next)
		if (in->encryptor[0] && !strcmp(in->encryptor, ev->address))
			inlet_drop_channel(d, in, "it gave up recovering");
}

int inlet_create(struct daemon *d, const struct inlet_request *req,
		 struct ockam_ctl_writer *w, struct ockam_err *err)
{
	unsigned int count = 0;
	struct inlet *in;
	int ret;

	for (in = d->inlets; in; in = in->next)
		count++;
	if (count >= PORTALS_MAX)
		return ockam_err_set(err, -ENOSPC,
				     "a node has at most %d inlets", PORTALS_MAX);
	in = calloc(1, sizeof(*in));
	if (!in)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	in->fd = -1;
	portal_base_add(d, &in->base, "inlet", in->address);
	ret = inlet_init(in, req, err);
	if (ret == 0)
		ret = inlet_listen(d, in, req->from, err);
	if (ret < 0) {
		inlet_free(d, in);
		return ret;
	}
	in->next = d->inlets;
	d->inlets = in;
	log_info("inlet on %s%s", in->address,
		 in->secure.len ? " through a secure channel" : " (plaintext)");
	ockam_ctl_reply_ok(w);
	inlet_record(d, w, in);
	return 0;
}

int inlet_delete(struct daemon *d, const char *address, struct ockam_err *err)
{
	struct inlet *in = inlet_find(d, address);

	if (!in)
		return ockam_err_set(err, -ENOENT, "no inlet on %s", address);
	slist_remove(&d->inlets, in);
	log_info("inlet on %s closed (%lu sessions attached)", in->address,
		 in->base.counters.attached);
	inlet_free(d, in);
	return 0;
}

int inlets_report(struct daemon *d, const char *address,
		  struct ockam_ctl_writer *w, struct ockam_err *err)
{
	const struct inlet *in;

	if (address && !inlet_find(d, address))
		return ockam_err_set(err, -ENOENT, "no inlet on %s", address);
	ockam_ctl_reply_ok(w);
	for (in = d->inlets; in; in = in->next)
		if (!address || !strcmp(in->address, address))
			inlet_record(d, w, in);
	return 0;
}

void inlets_close(struct daemon *d)
{
	while (d->inlets) {
		struct inlet *in = d->inlets;

		d->inlets = in->next;
		inlet_free(d, in);
	}
}
