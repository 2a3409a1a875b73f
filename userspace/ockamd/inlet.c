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
 *
 * With --udp the inlet also punches a UDP path to the outlet's node
 * (puncture.h), through that channel, and opens a second channel over
 * the path, to the same listener and identity: new clients go through
 * it once it is up. Until then, and whenever the path is lost, they use
 * the first channel (the relay route), unless the inlet was created
 * with --no-tcp-fallback: they then wait for the path, and are reset if
 * a puncture fails. Sessions stay on the channel they started on; a
 * failed or lost path is punched again after a pause that grows.
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
#include "puncture.h"
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
	/* Clients waiting for the channel (or, without fallback, for the
	 * channel over the UDP path).
	 */
	int *waiting;
	unsigned long nwaiting;
	/* --udp: the puncture, its path and the channel over it. */
	bool udp;
	bool fallback;
	struct ockam_wire_route rendezvous;
	char listener[OCKAM_NAME_MAX];	/* the peer's, at the secure route's end */
	struct puncture *punch;
	struct timer punch_retry;
	unsigned int retry_ms;
	char udp_peer[PUNCTURE_ADDR_MAX + 1];	/* "": no path */
	char udp_encryptor[OCKAM_NAME_MAX];	/* "": no channel over it */
	struct initiator *udp_opening;
	unsigned long punctures_opened;
	unsigned long punctures_failed;
	unsigned long udp_channels_opened;
};

enum inlet_udp_timing {
	/* Pauses before punching again, doubling from the first. */
	INLET_PUNCH_RETRY_FIRST_MS = 2000,
	INLET_PUNCH_RETRY_MAX_MS = 30000,
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

/* Whether a channel of the inlet's is still open (the daemon forgets a
 * channel when the kernel reports it closed).
 */
static bool channel_known(struct daemon *d, const char *encryptor)
{
	const struct channel_record *rec;

	if (!encryptor[0])
		return false;
	for (rec = d->channels; rec; rec = rec->next)
		if (!strcmp(rec->encryptor, encryptor))
			return true;
	return false;
}

static bool channel_open(struct daemon *d, const struct inlet *in)
{
	return channel_known(d, in->encryptor);
}

/* Whether new sessions can go over the punched path. */
static bool udp_ready(struct daemon *d, const struct inlet *in)
{
	return in->udp && channel_known(d, in->udp_encryptor);
}

/* The session's route: [encryptor, outlet route...] or the outlet route. */
static int session_route(struct daemon *d, const struct inlet *in,
			 struct ockam_wire_route *out, struct ockam_err *err)
{
	static struct ockam_route rt, rest;
	const char *encryptor = udp_ready(d, in) ? in->udp_encryptor :
				in->encryptor;
	ssize_t len;
	int ret;

	ockam_route_init(&rt);
	if (in->secure.len) {
		ret = ockam_route_push(&rt, OCKAM_ADDR_LOCAL, encryptor,
				       strlen(encryptor), err);
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

	if (session_route(d, in, &route, &err) == 0) {
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

static void punch_start(struct daemon *d, struct inlet *in);
static void punch_retry_later(struct daemon *d, struct inlet *in);

/* Serve (@ok) or reset every waiting client. */
static void serve_waiting(struct daemon *d, struct inlet *in, bool ok,
			  const char *why)
{
	unsigned long i;

	for (i = 0; i < in->nwaiting; i++) {
		if (ok)
			attach_client(d, in, in->waiting[i]);
		else
			refuse_client(in, in->waiting[i],
				      PORTAL_REFUSE_CHANNEL, why);
	}
	in->nwaiting = 0;
}

/* The channel is up (@ch) or failed (@err): serve the waiting clients. */
static void on_channel(struct daemon *d, void *owner,
		       const struct ockam_channel_info *ch,
		       const struct ockam_err *err)
{
	struct inlet *in = owner;

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
	if (in->udp && !in->punch && !in->udp_peer[0]) {
		if (ch)
			punch_start(d, in);
		else
			punch_retry_later(d, in);
	}
	/* Without fallback, clients wait for the path, not for this. */
	if (in->udp && !in->fallback && ch)
		return;
	serve_waiting(d, in, ch, ch ? NULL : ockam_err_msg(err));
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

/* ------------------------------------------------------ the UDP path */

/* Stop punching, and stop opening a channel over the path. */
static void udp_path_stop(struct daemon *d, struct inlet *in)
{
	if (in->punch)
		puncture_stop(d, in->punch);
	in->punch = NULL;
	if (in->udp_opening)
		secure_channel_abort(d, in->udp_opening);
	in->udp_opening = NULL;
}

/* Forget the path and its channel (closing it resets its sessions). */
static void udp_path_drop(struct daemon *d, struct inlet *in, const char *why)
{
	struct ockam_err err;

	udp_path_stop(d, in);
	if (in->udp_encryptor[0] &&
	    channel_delete(d, in->udp_encryptor, &err) < 0 &&
	    err.code != -ENOENT)
		log_warn("inlet %s: %s", in->address, ockam_err_msg(&err));
	if (in->udp_peer[0])
		log_info("inlet %s: UDP path to %s dropped (%s); new sessions use %s",
			 in->address, in->udp_peer, why,
			 in->fallback ? "the relay route" : "nothing until it is back");
	in->udp_encryptor[0] = '\0';
	in->udp_peer[0] = '\0';
}

/* A puncture failed, or the path or its channel was lost. */
static void udp_path_failed(struct daemon *d, struct inlet *in,
			    const char *why)
{
	udp_path_drop(d, in, why);
	if (!in->fallback)
		serve_waiting(d, in, false, why);
	punch_retry_later(d, in);
}

static void on_punch_retry(struct daemon *d, void *ctx)
{
	struct inlet *in = ctx;

	if (!channel_open(d, in)) {
		if (!in->opening) {
			struct ockam_err err;

			if (open_channel(d, in, &err) < 0) {
				log_warn("inlet %s: %s", in->address,
					 ockam_err_msg(&err));
				punch_retry_later(d, in);
			}
		}
		return;	/* on_channel() punches */
	}
	punch_start(d, in);
}

static void punch_retry_later(struct daemon *d, struct inlet *in)
{
	if (!in->retry_ms)
		in->retry_ms = INLET_PUNCH_RETRY_FIRST_MS;
	timer_arm(&d->loop, &in->punch_retry, in->retry_ms);
	in->retry_ms *= 2;
	if (in->retry_ms > INLET_PUNCH_RETRY_MAX_MS)
		in->retry_ms = INLET_PUNCH_RETRY_MAX_MS;
}

static void on_udp_channel(struct daemon *d, void *owner,
			   const struct ockam_channel_info *ch,
			   const struct ockam_err *err)
{
	struct inlet *in = owner;

	in->udp_opening = NULL;
	if (!ch) {
		log_warn("inlet %s: no secure channel over the UDP path to %s: %s",
			 in->address, in->udp_peer, ockam_err_msg(err));
		in->punctures_failed++;
		udp_path_failed(d, in, ockam_err_msg(err));
		return;
	}
	snprintf(in->udp_encryptor, sizeof(in->udp_encryptor), "%s",
		 ch->encryptor);
	in->udp_channels_opened++;
	in->retry_ms = 0;
	log_info("inlet %s: new sessions go over the UDP path to %s (secure channel %s)",
		 in->address, in->udp_peer, in->udp_encryptor);
	serve_waiting(d, in, true, NULL);
}

/* The path is open (@peer) or failed or closed (@why). */
static void on_punch(struct daemon *d, void *owner, const char *peer,
		     const char *why)
{
	struct secure_channel_request req = {
		.identity = VAULT_DEFAULT_NAME,
		.timeout_ms = SECURE_TIMEOUT_MS_DEFAULT,
	};
	struct ockam_wire_route route;
	struct inlet *in = owner;
	struct ockam_err err;

	if (!peer) {
		in->punch = NULL;
		if (!in->udp_peer[0])
			in->punctures_failed++;
		log_info("inlet %s: UDP puncture: %s", in->address, why);
		udp_path_failed(d, in, why);
		return;
	}
	in->punctures_opened++;
	snprintf(in->udp_peer, sizeof(in->udp_peer), "%s", peer);
	/* The same listener, and only the identity the relay channel
	 * reached: whoever answers at the punched address must prove it.
	 */
	if (puncture_path_route(peer, in->listener, &route, &err) < 0 ||
	    trust_policy_parse(&req.policy, in->peer, &err) < 0) {
		udp_path_failed(d, in, ockam_err_msg(&err));
		return;
	}
	req.route = route.bytes;
	req.route_len = route.len;
	if (secure_channel_open(d, &req, on_udp_channel, in, &in->udp_opening,
				&err) < 0)
		udp_path_failed(d, in, ockam_err_msg(&err));
}

static void punch_start(struct daemon *d, struct inlet *in)
{
	struct puncture_request req = {
		.rendezvous = in->rendezvous.bytes,
		.rendezvous_len = in->rendezvous.len,
		.encryptor = in->encryptor,
		.identifier = in->peer,
	};
	struct ockam_err err;

	if (in->punch || in->udp_peer[0])
		return;
	if (puncture_start(d, &req, on_punch, in, &in->punch, &err) < 0) {
		in->punctures_failed++;
		log_warn("inlet %s: UDP puncture: %s", in->address,
			 ockam_err_msg(&err));
		udp_path_failed(d, in, ockam_err_msg(&err));
	}
}

/* A client that waits for the channel over the UDP path. */
static void wait_for_udp(struct inlet *in, int fd)
{
	in->waiting[in->nwaiting++] = fd;
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
	if (udp_ready(d, in))
		attach_client(d, in, fd);
	else if (in->udp && !in->fallback)
		wait_for_udp(in, fd);
	else if (in->secure.len && !channel_open(d, in))
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
	/* Sessions stay, on either channel, as after any inlet's end. */
	if (in->udp) {
		timer_cancel(&d->loop, &in->punch_retry);
		udp_path_stop(d, in);
	}
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

/* --udp: where the path stands, and its counters. */
static void inlet_udp_fields(struct daemon *d, struct ockam_ctl_writer *w,
			     const struct inlet *in)
{
	const char *state = "off";

	if (in->udp)
		state = udp_ready(d, in) ? "up" :
			in->punch ? puncture_state_name(in->punch) :
			in->udp_opening ? "handshake" : "down";
	ockam_ctl_field(w, "udp", "%s", state);
	if (!in->udp)
		return;
	ockam_ctl_field(w, "fallback", "%s", in->fallback ? "yes" : "no");
	ockam_ctl_field(w, "udp-peer", "%s", in->udp_peer[0] ? in->udp_peer : "-");
	ockam_ctl_field(w, "udp-channel", "%s",
			udp_ready(d, in) ? in->udp_encryptor : "-");
	ockam_ctl_field(w, "punctures-opened", "%lu", in->punctures_opened);
	ockam_ctl_field(w, "punctures-failed", "%lu", in->punctures_failed);
	ockam_ctl_field(w, "udp-channels-opened", "%lu",
			in->udp_channels_opened);
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
	inlet_udp_fields(d, w, in);
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

static int inlet_udp_init(struct daemon *d, struct inlet *in,
			  const struct inlet_request *req,
			  struct ockam_err *err)
{
	const uint8_t *rendezvous = req->rendezvous;
	size_t len = req->rendezvous_len;
	int ret;

	if (!req->secure)
		return ockam_err_set(err, -EINVAL,
				     "--udp needs a route through a secure channel (/secure/NAME)");
	if (!len)
		len = punctures_rendezvous(d, &rendezvous);
	if (!len)
		return ockam_err_set(err, -EINVAL,
				     "--udp needs --rendezvous ROUTE, or a node created with one");
	ret = puncture_rendezvous_route(rendezvous, len, &in->rendezvous, err);
	if (ret == 0)
		ret = puncture_listener_name(in->secure.bytes, in->secure.len,
					     in->listener, err);
	if (ret < 0)
		return ret;
	in->udp = true;
	in->fallback = req->fallback;
	timer_init(&in->punch_retry, on_punch_retry, in);
	return 0;
}

static int inlet_init(struct daemon *d, struct inlet *in,
		      const struct inlet_request *req, struct ockam_err *err)
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
	if (req->udp) {
		int ret = inlet_udp_init(d, in, req, err);

		if (ret < 0)
			return ret;
	}
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
	for (in = d->inlets; in; in = in->next) {
		if (in->encryptor[0] && !strcmp(in->encryptor, ev->address))
			inlet_drop_channel(d, in, "it gave up recovering");
		if (in->udp_encryptor[0] &&
		    !strcmp(in->udp_encryptor, ev->address))
			udp_path_failed(d, in, "its secure channel gave up");
	}
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
	ret = inlet_init(d, in, req, err);
	if (ret == 0)
		ret = inlet_listen(d, in, req->from, err);
	if (ret < 0) {
		inlet_free(d, in);
		return ret;
	}
	in->next = d->inlets;
	d->inlets = in;
	log_info("inlet on %s%s%s", in->address,
		 in->secure.len ? " through a secure channel" : " (plaintext)",
		 in->udp ? ", over a punched UDP path when there is one" : "");
	/* The path is punched through the channel: open it now. */
	if (in->udp)
		on_punch_retry(d, in);
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
