// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Secure channel listeners: the responder side of the handshake.
 *
 * A listener is an AF_OCKAM socket bound to its name ("api" by default).
 * Message 1 arriving there with return route R starts a handshake on a
 * fresh socket Y, which gets a random name when it sends message 2 along
 * R; message 3 comes back to Y. Once the initiator's identity checks
 * out, Y's address becomes the channel's decryptor and the listener
 * tells the initiator the channel is established. At most
 * SECURE_PENDING_MAX handshakes run per listener, each for at most the
 * listener's timeout (SECURE_RESPONDER_TIMEOUT_MS_DEFAULT unless told);
 * of those, at most SECURE_PENDING_PER_SOURCE from one source and
 * SECURE_PENDING_PER_HOP through one first hop
 * (handshake_source.h): a message 1 costs its sender one message and
 * holds a slot for the whole timeout, so without these one peer could
 * keep every slot taken.
 *
 * Everything here is driven by other nodes, so every rejection is
 * counted and its log line rate-limited, and nothing blocks.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "secure.h"
#include "util.h"

struct responder {
	struct responder *next;
	struct secure_listener *listener;
	struct handshake hs;
	/* Where message 1 came from; points into hs.route. */
	struct hs_source source;
};

struct secure_listener {
	struct secure_listener *next;
	char name[OCKAM_NAME_MAX];
	char identity[VAULT_NAME_MAX + 1];
	struct trust_policy policy;
	unsigned int timeout_ms;	/* for message 3 */
	int fd;
	struct responder *pending;
	unsigned int pending_count;
	struct hs_counters counters;
};

/* One message at a time; the daemon has one thread. */
static uint8_t msg_buf[HS_FRAME_MAX];
static struct ockam_wire_route ret_route;

static void responder_free(struct daemon *d, struct responder *r)
{
	struct secure_listener *l = r->listener;

	slist_remove(&l->pending, r);
	l->pending_count--;
	handshake_fini(d, &r->hs);
	free(r);
}

/* Count and log @fail; tell the initiator when @refuse. */
static void responder_fail(struct daemon *d, struct responder *r,
			   enum hs_fail fail, const struct ockam_err *err,
			   bool refuse)
{
	struct secure_listener *l = r->listener;

	l->counters.rejected[fail]++;
	log_warn_limited("secure channel listener %s: handshake on %s failed (%s): %s",
			 l->name, r->hs.address[0] ? r->hs.address : "?",
			 hs_fail_name(fail), ockam_err_msg(err));
	if (refuse)
		handshake_refuse(r->hs.fd, r->hs.route, r->hs.route_len, fail,
				 ockam_err_msg(err));
	responder_free(d, r);
}

static void on_responder_timeout(struct daemon *d, void *ctx)
{
	struct responder *r = ctx;
	struct ockam_err err;

	ockam_err_set(&err, -ETIMEDOUT, "no message 3 within %u ms",
		      r->listener->timeout_ms);
	responder_fail(d, r, HS_FAIL_TIMEOUT, &err, true);
}

/* Message 3: verify the initiator, install the channel, confirm. */
static void responder_finish(struct daemon *d, struct responder *r,
			     const struct hs_frame *f)
{
	struct secure_listener *l = r->listener;
	struct ockam_channel_info ch;
	uint8_t established = HS_ESTABLISHED;
	struct ockam_err err;
	enum hs_fail fail;
	ssize_t sent;

	fail = handshake_read(&r->hs, f, &l->policy, &err);
	if (fail != HS_FAIL_COUNT) {
		responder_fail(d, r, fail, &err, true);
		return;
	}
	if (handshake_install(d, &r->hs, OCKAM_ROLE_RESPONDER, NULL, &ch,
			      &err) < 0) {
		responder_fail(d, r, HS_FAIL_INTERNAL, &err, true);
		return;
	}
	/* Y has become the decryptor: the confirmation leaves from the
	 * listener's own socket.
	 */
	sent = ockam_send_wire(l->fd, &established, 1, r->hs.route,
			       r->hs.route_len, MSG_DONTWAIT);
	if (sent < 0)
		log_warn_limited("secure channel listener %s: cannot confirm channel %s: %s",
				 l->name, ch.encryptor, strerror(-sent));
	l->counters.established++;
	if (!channel_record_add(d, &ch, &r->hs, l->name,
				OCKAM_ROLE_RESPONDER))
		log_err("secure channel %s: out of memory for its record",
			ch.encryptor);
	log_info_limited("secure channel %s established with %s (listener %s, decryptor %s)",
			 ch.encryptor, r->hs.peer, l->name, ch.decryptor);
	responder_free(d, r);
}

/* A rejected message that does not end the handshake. */
static void responder_ignore(struct responder *r, enum hs_fail fail,
			     const char *why)
{
	struct secure_listener *l = r->listener;

	l->counters.rejected[fail]++;
	log_warn_limited("secure channel listener %s: handshake on %s: dropped a message: %s",
			 l->name, r->hs.address, why);
}

/* Handle one message on Y; false when the handshake is over. */
static bool responder_receive(struct daemon *d, struct responder *r)
{
	struct ockam_err err;
	struct hs_frame f;
	ssize_t n;

	n = handshake_recv(r->hs.fd, msg_buf, &ret_route, 0);
	if (n == -EAGAIN)
		return false;
	if (n == -EMSGSIZE) {
		responder_ignore(r, HS_FAIL_MALFORMED,
				 "larger than any handshake message");
		return true;
	}
	if (n < 0) {
		/* The kernel could not deliver message 2. */
		ockam_err_set(&err, n, "message 2 did not arrive: %s",
			      strerror(-n));
		responder_fail(d, r, HS_FAIL_UNREACHABLE, &err, false);
		return false;
	}
	if (hs_frame_parse(msg_buf, n, &f, &err) < 0) {
		if (n && msg_buf[0] == HS_MSG3) {
			responder_fail(d, r, HS_FAIL_MALFORMED, &err, true);
			return false;
		}
		responder_ignore(r, HS_FAIL_MALFORMED, ockam_err_msg(&err));
		return true;
	}
	switch (f.type) {
	case HS_MSG3:
		responder_finish(d, r, &f);
		return false;
	case HS_REFUSED:
		ockam_err_set(&err, -ECONNREFUSED,
			      "refused by the initiator (%s)%s%s",
			      hs_refusal_name(f.reason), f.text[0] ? ": " : "",
			      f.text);
		responder_fail(d, r, HS_FAIL_PEER_REFUSED, &err, false);
		return false;
	default:
		responder_ignore(r, HS_FAIL_UNEXPECTED, hs_type_name(f.type));
		return true;
	}
}

static void on_responder_readable(struct daemon *d, void *ctx, short revents)
{
	struct responder *r = ctx;
	int i;

	(void)revents;
	for (i = 0; i < DAEMON_BATCH; i++)
		if (!responder_receive(d, r))
			break;
}

/*
 * Whether a handshake from @src fits: HS_FAIL_COUNT, or the bound it
 * would break, with the text for the initiator in @err. The listener's
 * bound comes first, then the source's, then the first hop's.
 */
static enum hs_fail listener_admit(const struct secure_listener *l,
				   const struct hs_source *src,
				   struct hs_source_tally *t,
				   struct ockam_err *err)
{
	const struct responder *r;

	for (r = l->pending; r; r = r->next)
		hs_source_tally_add(t, src, &r->source);
	if (l->pending_count >= SECURE_PENDING_MAX) {
		ockam_err_set(err, -EBUSY, "too many pending handshakes");
		return HS_FAIL_BUSY;
	}
	switch (hs_source_check(t)) {
	case HS_SOURCE_FULL:
		ockam_err_set(err, -EBUSY,
			      "too many pending handshakes from your route");
		return HS_FAIL_SOURCE_BUSY;
	case HS_SOURCE_HOP_FULL:
		ockam_err_set(err, -EBUSY,
			      "too many pending handshakes through your connection");
		return HS_FAIL_HOP_BUSY;
	case HS_SOURCE_ADMIT:
		break;
	}
	return HS_FAIL_COUNT;
}

/* Count, log and answer a message 1 that @fail keeps out. */
static void listener_refuse(struct secure_listener *l,
			    const struct ockam_wire_route *route,
			    const struct hs_source *src,
			    const struct hs_source_tally *t, enum hs_fail fail,
			    const struct ockam_err *err)
{
	char hop[HS_SOURCE_HOP_TEXT_MAX];

	l->counters.rejected[fail]++;
	hs_source_hop_text(src, hop);
	log_warn_limited("secure channel listener %s: refused message 1 through %s (%s; %u pending, %u from its source, %u through its first hop): %s",
			 l->name, hop, hs_fail_name(fail), l->pending_count,
			 t->source, t->hop, ockam_err_msg(err));
	handshake_refuse(l->fd, route->bytes, route->len, fail,
			 ockam_err_msg(err));
}

/* Message 1 with return route @route: start a handshake on a new socket. */
static void responder_start(struct daemon *d, struct secure_listener *l,
			    const struct hs_frame *f,
			    const struct ockam_wire_route *route)
{
	struct hs_source_tally tally = { 0 };
	struct hs_source src;
	struct ockam_err err;
	struct responder *r;
	enum hs_fail fail;

	if (hs_source_from_route(&src, route->bytes, route->len) < 0) {
		/* Our kernel encoded it: this does not happen. */
		l->counters.rejected[HS_FAIL_MALFORMED]++;
		log_err_limited("secure channel listener %s: message 1 with a return route that does not decode",
				l->name);
		return;
	}
	fail = listener_admit(l, &src, &tally, &err);
	if (fail != HS_FAIL_COUNT) {
		listener_refuse(l, route, &src, &tally, fail, &err);
		return;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		ockam_err_set(&err, -ENOMEM, "out of memory");
		listener_refuse(l, route, &src, &tally, HS_FAIL_INTERNAL, &err);
		return;
	}
	r->listener = l;
	r->next = l->pending;
	l->pending = r;
	l->pending_count++;
	l->counters.started++;
	fail = HS_FAIL_INTERNAL;
	if (handshake_init(d, &r->hs, NOISE_RESPONDER, l->identity,
			   on_responder_readable, r, &err) < 0 ||
	    handshake_set_route(&r->hs, route->bytes, route->len, &err) < 0)
		goto err_refuse;
	/* The same keys, from the handshake's own copy of the route. */
	hs_source_from_route(&r->source, r->hs.route, r->hs.route_len);
	fail = handshake_read(&r->hs, f, NULL, &err);
	if (fail != HS_FAIL_COUNT)
		goto err_refuse;
	if (handshake_write(&r->hs, HS_MSG2, true, &err) < 0) {
		/* Not from Y, which may not be usable: from the listener. */
		fail = HS_FAIL_UNREACHABLE;
		goto err;
	}
	timer_init(&r->hs.timer, on_responder_timeout, r);
	timer_arm(&d->loop, &r->hs.timer, l->timeout_ms);
	return;

err_refuse:
	handshake_refuse(l->fd, route->bytes, route->len, fail,
			 ockam_err_msg(&err));
err:
	responder_fail(d, r, fail, &err, false);
}

/* Handle one message at the listener; false when there is none. */
static bool listener_receive(struct daemon *d, struct secure_listener *l)
{
	struct ockam_err err;
	struct hs_frame f;
	ssize_t n;

	n = handshake_recv(l->fd, msg_buf, &ret_route, 0);
	if (n == -EAGAIN)
		return false;
	if (n == -EMSGSIZE) {
		l->counters.rejected[HS_FAIL_MALFORMED]++;
		log_warn_limited("secure channel listener %s: dropped a message larger than any handshake message",
				 l->name);
		return true;
	}
	if (n < 0) {
		/* A refusal or confirmation we sent did not arrive. */
		log_info_limited("secure channel listener %s: %s", l->name,
				 strerror(-n));
		return true;
	}
	if (hs_frame_parse(msg_buf, n, &f, &err) < 0) {
		l->counters.rejected[HS_FAIL_MALFORMED]++;
		log_warn_limited("secure channel listener %s: %s", l->name,
				 ockam_err_msg(&err));
		/* Someone attempting a handshake gets told why. */
		if (n && msg_buf[0] == HS_MSG1)
			handshake_refuse(l->fd, ret_route.bytes, ret_route.len,
					 HS_FAIL_MALFORMED, ockam_err_msg(&err));
		return true;
	}
	if (f.type != HS_MSG1) {
		l->counters.rejected[HS_FAIL_UNEXPECTED]++;
		log_warn_limited("secure channel listener %s: dropped %s; a listener takes message 1 only",
				 l->name, hs_type_name(f.type));
		return true;
	}
	responder_start(d, l, &f, &ret_route);
	return true;
}

static void on_listener_readable(struct daemon *d, void *ctx, short revents)
{
	struct secure_listener *l = ctx;
	int i;

	(void)revents;
	for (i = 0; i < DAEMON_BATCH; i++)
		if (!listener_receive(d, l))
			break;
}

static struct secure_listener *listener_by_name(const struct daemon *d,
						const char *name)
{
	struct secure_listener *l;

	for (l = d->secure_listeners; l; l = l->next)
		if (!strcmp(l->name, name))
			return l;
	return NULL;
}

/* Our identity @identity (NULL: the default) must exist. */
static int check_identity(struct daemon *d, const char *identity,
			  struct ockam_err *err)
{
	struct identity *id;

	if (!identity)
		return vault_get_default(d->vault, &id, err);
	return vault_get(d->vault, identity, &id, err);
}

static void listener_free(struct daemon *d, struct secure_listener *l)
{
	while (l->pending)
		responder_free(d, l->pending);
	if (l->fd >= 0) {
		loop_unwatch(&d->loop, l->fd);
		close(l->fd);
	}
	free(l);
}

int secure_listener_create(struct daemon *d, const char *name,
			   const char *identity, const char *authorized,
			   unsigned int timeout_ms, struct ockam_err *err)
{
	struct secure_listener *l, **tail;
	unsigned int count = 0;
	int ret;

	if (!ockam_local_name_ok(name))
		return ockam_err_set(err, -EINVAL,
				     "'%s' is not a local address (1 to %d printable characters, no '/' or '#')",
				     name, OCKAM_ADDR_VALUE_MAX);
	for (tail = &d->secure_listeners; *tail; tail = &(*tail)->next)
		count++;
	if (listener_by_name(d, name))
		return ockam_err_set(err, -EEXIST,
				     "secure channel listener %s exists", name);
	if (count >= SECURE_LISTENERS_MAX)
		return ockam_err_set(err, -ENOSPC,
				     "a node has at most %d secure channel listeners",
				     SECURE_LISTENERS_MAX);
	ret = check_identity(d, identity, err);
	if (ret < 0)
		return ret;
	l = calloc(1, sizeof(*l));
	if (!l)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	l->fd = -1;
	l->timeout_ms = timeout_ms;
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->identity, sizeof(l->identity), "%s",
		 identity ? identity : VAULT_DEFAULT_NAME);
	ret = trust_policy_parse(&l->policy, authorized ? authorized : "",
				 err);
	if (ret < 0)
		goto err_free;
	ret = secure_socket_open(d, l->name, &l->fd, on_listener_readable, l,
				 err);
	if (ret < 0)
		goto err_free;
	*tail = l;
	log_info("secure channel listener %s (identity %s, %u authorized identifiers, %u ms for a handshake)",
		 l->name, l->identity, l->policy.count, l->timeout_ms);
	return 0;

err_free:
	listener_free(d, l);
	return ret;
}

int secure_listener_delete(struct daemon *d, const char *name,
			   struct ockam_err *err)
{
	struct secure_listener *l = listener_by_name(d, name);

	if (!l)
		return ockam_err_set(err, -ENOENT,
				     "no secure channel listener %s", name);
	slist_remove(&d->secure_listeners, l);
	log_info("secure channel listener %s closed (%lu channels established, %u handshakes abandoned)",
		 l->name, l->counters.established, l->pending_count);
	listener_free(d, l);
	return 0;
}

void secure_listeners_close(struct daemon *d)
{
	while (d->secure_listeners) {
		struct secure_listener *l = d->secure_listeners;

		d->secure_listeners = l->next;
		listener_free(d, l);
	}
}

bool secure_listener_uses_identity(const struct daemon *d, const char *identity,
				   const char **listener)
{
	const struct secure_listener *l;

	for (l = d->secure_listeners; l; l = l->next) {
		if (!strcmp(l->identity, identity)) {
			*listener = l->name;
			return true;
		}
	}
	return false;
}

void secure_listeners_status(const struct daemon *d,
			     struct ockam_ctl_writer *w)
{
	const struct secure_listener *l;

	for (l = d->secure_listeners; l; l = l->next) {
		ockam_ctl_record_begin(w);
		ockam_ctl_field(w, "kind", "secure-channel-listener");
		ockam_ctl_field(w, "address", "%s", l->name);
		ockam_ctl_field(w, "identity", "%s", l->identity);
		ockam_ctl_field(w, "pending", "%u", l->pending_count);
		ockam_ctl_field(w, "established", "%lu",
				l->counters.established);
		ockam_ctl_record_end(w);
	}
}

static void listener_record(struct ockam_ctl_writer *w,
			    const struct secure_listener *l)
{
	char authorized[SECURE_AUTHORIZED_MAX * (IDENTIFIER_STR_LEN + 1) + 1];

	trust_policy_format(&l->policy, authorized, sizeof(authorized));
	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "name", "%s", l->name);
	ockam_ctl_field(w, "identity", "%s", l->identity);
	ockam_ctl_field(w, "authorized", "%s", authorized);
	ockam_ctl_field(w, "pending", "%u", l->pending_count);
	ockam_ctl_field(w, "max-pending", "%d", SECURE_PENDING_MAX);
	ockam_ctl_field(w, "max-pending-per-source", "%d",
			SECURE_PENDING_PER_SOURCE);
	ockam_ctl_field(w, "max-pending-per-hop", "%d",
			SECURE_PENDING_PER_HOP);
	ockam_ctl_field(w, "timeout-ms", "%u", l->timeout_ms);
	hs_counters_report(w, &l->counters);
	ockam_ctl_record_end(w);
}

int secure_listeners_report(const struct daemon *d, const char *name,
			    struct ockam_ctl_writer *w, struct ockam_err *err)
{
	const struct secure_listener *l;

	if (name && !listener_by_name(d, name))
		return ockam_err_set(err, -ENOENT,
				     "no secure channel listener %s", name);
	ockam_ctl_reply_ok(w);
	for (l = d->secure_listeners; l; l = l->next)
		if (!name || !strcmp(l->name, name))
			listener_record(w, l);
	return 0;
}
