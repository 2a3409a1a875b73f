// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Relays this node holds at other nodes ("relay-create"). Each one opens a
 * secure channel to the relay node's "api" listener along the route it
 * was given (the kernel dials the connection, so this node needs no TCP
 * listener), sends the registration through it to "forwarding_service"
 * and waits for the answer. Then it watches: when the channel closes or
 * the transport under it goes down, it starts over after a pause that
 * doubles up to RELAY_RETRY_MS_MAX, drawn at random between half and all
 * of it, so that many relays cut off together do not return together.
 *
 *   OPENING --channel--> REGISTERING --answer--> UP
 *      ^                                          |
 *      +--------- WAITING <---- drop/failure -----+
 *
 * The create request is answered by the first outcome; a relay whose
 * first registration fails is not kept.
 */
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoff.h"
#include "log.h"
#include "relay.h"
#include "secure.h"
#include "util.h"

enum relay_state {
	RELAY_OPENING,
	RELAY_REGISTERING,
	RELAY_UP,
	RELAY_WAITING,
};

static const char *const relay_state_names[] = {
	[RELAY_OPENING] = "opening",
	[RELAY_REGISTERING] = "registering",
	[RELAY_UP] = "up",
	[RELAY_WAITING] = "down",
};

struct relay {
	struct relay *next;
	char name[OCKAM_NAME_MAX];
	char *at;			/* the route, as text, for messages */
	struct ockam_wire_route route;	/* to the relay node */
	char identity[VAULT_NAME_MAX + 1];
	struct trust_policy policy;
	enum relay_state state;
	struct initiator *init;		/* while OPENING */
	int fd;				/* while REGISTERING */
	char encryptor[OCKAM_NAME_MAX];	/* from REGISTERING on */
	char transport[OCKAM_NAME_MAX];
	char peer[IDENTIFIER_STR_LEN + 1];
	char remote[OCKAM_NAME_MAX];	/* the alias, once registered */
	struct timer timer;
	struct backoff backoff;
	unsigned long retries;		/* since it was last up */
	unsigned long registrations;
	time_t since;			/* of the current state */
	struct ctl_request *request;	/* until the first outcome */
};

static void relay_start(struct daemon *d, struct relay *rl);

static struct relay *relay_find(struct daemon *d, const char *name)
{
	struct relay *rl;

	for (rl = d->relays; rl; rl = rl->next)
		if (!strcmp(rl->name, name))
			return rl;
	return NULL;
}

static void relay_set_state(struct relay *rl, enum relay_state state)
{
	rl->state = state;
	rl->since = time(NULL);
}

/* Stop what the current attempt holds; close its channel if asked. */
static void relay_reset(struct daemon *d, struct relay *rl, bool close_channel)
{
	struct ockam_err err;

	timer_cancel(&d->loop, &rl->timer);
	if (rl->init) {
		secure_channel_abort(d, rl->init);
		rl->init = NULL;
	}
	if (rl->fd >= 0) {
		loop_unwatch(&d->loop, rl->fd);
		close(rl->fd);
		rl->fd = -1;
	}
	if (close_channel && rl->encryptor[0] &&
	    channel_delete(d, rl->encryptor, &err) < 0 &&
	    err.code != -ENOENT)
		log_warn("relay %s: %s", rl->name, ockam_err_msg(&err));
	rl->encryptor[0] = '\0';
	rl->transport[0] = '\0';
}

static void relay_free(struct daemon *d, struct relay *rl)
{
	relay_reset(d, rl, true);
	if (rl->request)
		ctl_request_cancel(d, rl->request);
	slist_remove(&d->relays, rl);
	free(rl->at);
	free(rl);
}

static void relay_answer(struct daemon *d, struct relay *rl)
{
	struct ockam_ctl_writer *w = ctl_reply(rl->request);

	ockam_ctl_reply_ok(w);
	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "name", "%s", rl->name);
	ockam_ctl_field(w, "remote", "%s", rl->remote);
	ockam_ctl_field(w, "peer", "%s", rl->peer);
	ockam_ctl_field(w, "channel", "%s", rl->encryptor);
	ockam_ctl_record_end(w);
	ctl_request_finish(d, rl->request);
	rl->request = NULL;
}

/*
 * The attempt failed (@why) or the relay dropped: the first time that
 * ends the relay and answers the client; afterwards it tries again.
 */
static void relay_fail(struct daemon *d, struct relay *rl, int errnum,
		       const char *why, bool close_channel)
{
	uint64_t pause;

	relay_reset(d, rl, close_channel);
	if (rl->request) {
		log_warn("relay %s at %s: %s", rl->name, rl->at, why);
		ockam_ctl_reply_error(ctl_reply(rl->request), errnum,
				      "relay %s at %s: %s", rl->name, rl->at,
				      why);
		ctl_request_finish(d, rl->request);
		rl->request = NULL;
		relay_free(d, rl);
		return;
	}
	pause = backoff_next(&rl->backoff);
	log_info_limited("relay %s at %s is down (%s); registering again in %llu ms",
			 rl->name, rl->at, why, (unsigned long long)pause);
	if (rl->state == RELAY_UP)
		rl->retries = 0;
	relay_set_state(rl, RELAY_WAITING);
	timer_arm(&d->loop, &rl->timer, pause);
}

/* The answer from forwarding_service, through our channel. */
static void relay_on_answer(struct daemon *d, struct relay *rl,
			    const uint8_t *buf, size_t len)
{
	char text[RELAY_STRING_MAX + 1];
	struct ockam_err err;

	if (relay_string_decode(buf, len, text, &err) < 0) {
		relay_fail(d, rl, EPROTO, ockam_err_msg(&err), true);
		return;
	}
	if (!relay_reply_matches(rl->name, text)) {
		/* A refusal from an older peer may be any text. */
		relay_fail(d, rl, strncmp(text, RELAY_ERROR_PREFIX,
					  strlen(RELAY_ERROR_PREFIX)) ?
			   EPROTO : EACCES, text, true);
		return;
	}
	timer_cancel(&d->loop, &rl->timer);
	loop_unwatch(&d->loop, rl->fd);
	close(rl->fd);
	rl->fd = -1;
	snprintf(rl->remote, sizeof(rl->remote), "%s", text);
	backoff_reset(&rl->backoff);
	rl->registrations++;
	relay_set_state(rl, RELAY_UP);
	log_info("relay %s registered at %s as %s (channel %s, after %lu retries)",
		 rl->name, rl->at, rl->remote, rl->encryptor, rl->retries);
	if (rl->request)
		relay_answer(d, rl);
}

/* Did this come out of our channel's decryptor? */
static bool from_our_channel(const struct relay *rl,
			     const struct ockam_wire_route *ret)
{
	static struct ockam_route rt;

	return ockam_route_from_wire(&rt, ret->bytes, ret->len, NULL) == 0 &&
	       rt.hops && rt.addr[0].type == OCKAM_ADDR_LOCAL &&
	       !strcmp(rt.addr[0].value, rl->encryptor);
}

static void on_relay_readable(struct daemon *d, void *ctx, short revents)
{
	static struct ockam_wire_route ret;
	struct relay *rl = ctx;
	uint8_t buf[RELAY_MSG_MAX];
	int flags = 0, i;
	ssize_t n;

	(void)revents;
	for (i = 0; i < DAEMON_BATCH && rl->fd >= 0; i++) {
		n = ockam_recv(rl->fd, buf, sizeof(buf), MSG_DONTWAIT, &ret,
			       &flags);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n < 0) {
			relay_fail(d, rl, -n, strerror(-n), true);
			return;
		}
		if ((flags & MSG_TRUNC) || !from_our_channel(rl, &ret)) {
			log_warn_limited("relay %s: dropped a message that is not the answer",
					 rl->name);
			continue;
		}
		relay_on_answer(d, rl, buf, n);
		return;
	}
}

static void on_relay_timer(struct daemon *d, void *ctx)
{
	struct relay *rl = ctx;
	char why[64];

	if (rl->state == RELAY_WAITING) {
		rl->retries++;
		relay_start(d, rl);
		return;
	}
	snprintf(why, sizeof(why), "no answer to the registration within %d ms",
		 RELAY_REGISTER_TIMEOUT_MS);
	relay_fail(d, rl, ETIMEDOUT, why, true);
}

/* Send the registration along [encryptor, forwarding_service]. */
static int relay_register(struct daemon *d, struct relay *rl,
			  struct ockam_err *err)
{
	static struct ockam_route rt;
	uint8_t buf[RELAY_MSG_MAX];
	ssize_t len;
	int ret;

	ret = ockam_socket(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (ret < 0)
		return ockam_err_set(err, ret, "AF_OCKAM socket: %s",
				     strerror(-ret));
	rl->fd = ret;
	ret = ockam_set_recvroute(rl->fd, true);
	if (ret == 0)
		ret = loop_watch(&d->loop, rl->fd, POLLIN, on_relay_readable,
				 rl);
	if (ret < 0)
		return ockam_err_set(err, ret, "relay socket: %s",
				     strerror(-ret));
	ockam_route_init(&rt);
	if (ockam_route_push(&rt, OCKAM_ADDR_LOCAL, rl->encryptor,
			     strlen(rl->encryptor), err) < 0 ||
	    ockam_route_push(&rt, OCKAM_ADDR_LOCAL, RELAY_SERVICE,
			     strlen(RELAY_SERVICE), err) < 0)
		return err->code;
	len = relay_string_encode(rl->name, strlen(rl->name), buf,
				  sizeof(buf));
	if (len >= 0)
		len = ockam_send_route(rl->fd, buf, len, &rt, MSG_DONTWAIT);
	if (len < 0)
		return ockam_err_set(err, len, "sending the registration: %s",
				     strerror(-len));
	timer_arm(&d->loop, &rl->timer, RELAY_REGISTER_TIMEOUT_MS);
	return 0;
}

static void on_relay_channel(struct daemon *d, void *owner,
			     const struct ockam_channel_info *ch,
			     const struct ockam_err *err)
{
	struct relay *rl = owner;
	struct ockam_err e;

	rl->init = NULL;
	if (!ch) {
		relay_fail(d, rl, -err->code, ockam_err_msg(err), false);
		return;
	}
	snprintf(rl->encryptor, sizeof(rl->encryptor), "%s", ch->encryptor);
	snprintf(rl->peer, sizeof(rl->peer), "%s", ch->identifier);
	if (channel_first_hop(d, rl->encryptor, rl->transport, &e) < 0 ||
	    relay_register(d, rl, &e) < 0) {
		relay_fail(d, rl, -e.code, ockam_err_msg(&e), true);
		return;
	}
	relay_set_state(rl, RELAY_REGISTERING);
}

/* A channel to the relay node's api listener. */
static void relay_start(struct daemon *d, struct relay *rl)
{
	static struct ockam_route rt;
	static uint8_t wire[OCKAM_ROUTE_BYTES_MAX];
	struct secure_channel_request req = {
		.identity = rl->identity,
		.policy = rl->policy,
		.timeout_ms = RELAY_CHANNEL_TIMEOUT_MS,
		.route = wire,
		.answer_route = true,
	};
	struct ockam_err err;
	ssize_t len;

	relay_set_state(rl, RELAY_OPENING);
	if (ockam_route_from_wire(&rt, rl->route.bytes, rl->route.len,
				  &err) < 0 ||
	    ockam_route_push(&rt, OCKAM_ADDR_LOCAL, SECURE_DEFAULT_LISTENER,
			     strlen(SECURE_DEFAULT_LISTENER), &err) < 0) {
		relay_fail(d, rl, EINVAL, ockam_err_msg(&err), false);
		return;
	}
	len = ockam_route_to_wire(&rt, wire, sizeof(wire));
	if (len < 0) {
		relay_fail(d, rl, -len, "the route is too long", false);
		return;
	}
	req.route_len = len;
	if (secure_channel_open(d, &req, on_relay_channel, rl, &rl->init,
				&err) < 0)
		relay_fail(d, rl, -err.code, ockam_err_msg(&err), false);
}

static void reply_error_now(struct daemon *d, struct ctl_request *r,
			    int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void reply_error_now(struct daemon *d, struct ctl_request *r,
			    int errnum, const char *fmt, ...)
{
	char msg[OCKAM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ockam_ctl_reply_error(ctl_reply(r), errnum, "%s", msg);
	ctl_request_finish(d, r);
}

static unsigned int relay_count(const struct daemon *d)
{
	const struct relay *rl;
	unsigned int n = 0;

	for (rl = d->relays; rl; rl = rl->next)
		n++;
	return n;
}

void relay_create(struct daemon *d, const struct relay_request *req,
		  struct ctl_request *r)
{
	struct ockam_err err;
	struct relay *rl;

	if (!relay_name_ok(req->name))
		return reply_error_now(d, r, EINVAL, "'%s' is not a relay name",
				       req->name);
	if (relay_find(d, req->name))
		return reply_error_now(d, r, EEXIST,
				       "this node already holds relay %s",
				       req->name);
	if (relay_count(d) >= RELAYS_MAX)
		return reply_error_now(d, r, ENOSPC, "%s",
				       "this node holds as many relays as it may");
	rl = calloc(1, sizeof(*rl));
	if (!rl)
		return reply_error_now(d, r, ENOMEM, "%s", "out of memory");
	if (trust_policy_parse(&rl->policy, req->authorized ?
			       req->authorized : "", &err) < 0) {
		free(rl);
		return reply_error_now(d, r, EINVAL, "%s", ockam_err_msg(&err));
	}
	snprintf(rl->name, sizeof(rl->name), "%s", req->name);
	snprintf(rl->identity, sizeof(rl->identity), "%s", req->identity);
	memcpy(rl->route.bytes, req->route, req->route_len);
	rl->route.len = req->route_len;
	rl->fd = -1;
	backoff_init(&rl->backoff, RELAY_RETRY_MS_MIN, RELAY_RETRY_MS_MAX);
	rl->request = r;
	timer_init(&rl->timer, on_relay_timer, rl);
	rl->next = d->relays;
	d->relays = rl;
	rl->at = route_text_dup(req->route, req->route_len);
	if (!rl->at) {
		relay_fail(d, rl, ENOMEM, "out of memory", false);
		return;
	}
	relay_start(d, rl);
}

int relay_delete(struct daemon *d, const char *name, struct ockam_err *err)
{
	struct relay *rl = relay_find(d, name);

	if (!rl)
		return ockam_err_set(err, -ENOENT, "no relay %s", name);
	log_info("relay %s at %s deleted", rl->name, rl->at);
	/* Closing the channel makes the relay node drop the alias. */
	relay_free(d, rl);
	return 0;
}

void relays_on_event(struct daemon *d, const struct ockam_event *ev)
{
	struct relay *rl, *next;
	char why[OCKAM_NAME_MAX + 64];

	for (rl = d->relays; rl; rl = next) {
		next = rl->next;
		if (!rl->encryptor[0])
			continue;
		if (ev->cmd == OCKAM_CMD_CHANNEL_CLOSED &&
		    !strcmp(ev->address, rl->encryptor)) {
			snprintf(why, sizeof(why), "its channel closed (%s)",
				 ockam_close_reason_name(ev->reason));
			relay_fail(d, rl, ECONNRESET, why, false);
		} else if (ev->cmd == OCKAM_CMD_TRANSPORT_DOWN &&
			   rl->transport[0] &&
			   !strcmp(ev->address, rl->transport)) {
			snprintf(why, sizeof(why), "its transport went down (%s)",
				 ockam_down_reason_name(ev->reason));
			relay_fail(d, rl, ECONNRESET, why, true);
		}
	}
}

void relays_resync(struct daemon *d)
{
	struct relay *rl, *next;

	for (rl = d->relays; rl; rl = next) {
		next = rl->next;
		if (rl->encryptor[0] && !channel_exists(d, rl->encryptor))
			relay_fail(d, rl, ECONNRESET, "its channel is gone",
				   false);
	}
}

void relays_close(struct daemon *d)
{
	while (d->relays)
		relay_free(d, d->relays);
}

void relays_report(struct daemon *d, struct ockam_ctl_writer *w)
{
	const struct relay *rl;

	for (rl = d->relays; rl; rl = rl->next) {
		ockam_ctl_record_begin(w);
		ockam_ctl_field(w, "kind", "relay");
		ockam_ctl_field(w, "name", "%s", rl->name);
		ockam_ctl_field(w, "at", "%s", rl->at);
		ockam_ctl_field(w, "state", "%s", relay_state_names[rl->state]);
		ockam_ctl_field(w, "since", "%lld", (long long)rl->since);
		ockam_ctl_field(w, "retries", "%lu", rl->retries);
		ockam_ctl_field(w, "registrations", "%lu", rl->registrations);
		ockam_ctl_field(w, "remote", "%s",
				rl->remote[0] ? rl->remote : "-");
		ockam_ctl_field(w, "peer", "%s", rl->peer[0] ? rl->peer : "-");
		ockam_ctl_field(w, "channel", "%s",
				rl->encryptor[0] ? rl->encryptor : "-");
		ockam_ctl_record_end(w);
	}
}
