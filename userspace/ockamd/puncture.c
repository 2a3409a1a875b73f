// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The negotiation service "udp": UDP hole punching, both roles
 * (puncture.h; the messages in puncture_proto.h).
 *
 * Initiator: QUERY its rendezvous for its own public address, send
 * REQUEST (token, that address) through the secure channel it shares
 * with the peer, and on ACCEPT (the peer's public address) send a
 * HEARTBEAT there every second. Responder: on a REQUEST that came out of
 * a secure channel, QUERY its own rendezvous, answer ACCEPT along the
 * request's return route and send heartbeats to the initiator's address.
 * Either side's path is open when a heartbeat with the token arrives over
 * UDP; the address it came from is the peer's from then on (a NAT may
 * show another port than the rendezvous saw). Heartbeats go on every
 * second; an open path that hears none for PUNCTURE_IDLE_MS is dropped.
 *
 * Everything here can be caused from the network, so it is bounded: a
 * request needs a secure channel and a rendezvous route on this node,
 * there are at most PUNCTURES_MAX punctures at once and PUNCTURES_PER_PEER
 * for one peer identity, and one that has not opened
 * PUNCTURE_OPEN_TIMEOUT_MS after it began punching is dropped: a peer
 * that names someone else's address makes this node send there at most
 * PUNCTURES_PER_PEER small heartbeats a second, each for ten seconds.
 * Tokens are 16 random bytes, compared in constant time.
 */
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "puncture.h"
#include "util.h"

enum puncture_role {
	PUNCTURE_INITIATOR,
	PUNCTURE_RESPONDER,
};

enum puncture_state {
	PUNCTURE_QUERYING,	/* asking the rendezvous */
	PUNCTURE_NEGOTIATING,	/* initiator: REQUEST sent */
	PUNCTURE_PUNCHING,	/* heartbeats sent, none heard */
	PUNCTURE_OPEN,		/* heartbeats heard */
};

enum { PUNCTURE_QUERY_TRIES = 5 };

struct puncture {
	struct puncture *next;
	enum puncture_role role;
	enum puncture_state state;
	uint8_t token[PUNCTURE_ID_LEN];
	uint8_t nonce[PUNCTURE_ID_LEN];		/* of the rendezvous query */
	char identifier[IDENTIFIER_STR_LEN + 1];	/* the peer's */
	char own[PUNCTURE_ADDR_MAX + 1];	/* as the rendezvous saw us */
	char peer[PUNCTURE_ADDR_MAX + 1];	/* as told, then as heard */
	struct ockam_wire_route rendezvous;
	/* Initiator: [encryptor, "udp"]. Responder: the request's return
	 * route, for ACCEPT and REFUSE.
	 */
	struct ockam_wire_route negotiate;
	struct timer tick;
	unsigned int queries;
	uint64_t deadline_ms;
	uint64_t heard_ms;
	unsigned long heartbeats_heard;
	puncture_fn fn;
	void *owner;
};

struct punctures {
	int fd;				/* bound to "udp" */
	struct ockam_wire_route rendezvous;	/* ours; len 0: none */
	struct puncture *list;
	unsigned int count;
	unsigned long opened, failed, closed, refused, ignored;
};

static const char *const state_names[] = {
	[PUNCTURE_QUERYING] = "querying",
	[PUNCTURE_NEGOTIATING] = "negotiating",
	[PUNCTURE_PUNCHING] = "punching",
	[PUNCTURE_OPEN] = "open",
};

const char *puncture_state_name(const struct puncture *p)
{
	return state_names[p->state];
}

size_t punctures_rendezvous(struct daemon *d, const uint8_t **route)
{
	*route = d->punctures->rendezvous.bytes;
	return d->punctures->rendezvous.len;
}

static void send_msg(struct daemon *d, const struct ockam_wire_route *to,
		     const struct puncture_msg *m)
{
	uint8_t buf[PUNCTURE_MSG_MAX];
	ssize_t len = puncture_msg_encode(m, buf, sizeof(buf));

	if (len >= 0)
		len = ockam_send_wire(d->punctures->fd, buf, len, to->bytes,
				      to->len, MSG_DONTWAIT);
	if (len < 0)
		log_warn_limited("udp puncture: send: %s", strerror(-len));
}

static void send_typed(struct daemon *d, const struct ockam_wire_route *to,
		       uint8_t type, const uint8_t *id, const char *addr)
{
	struct puncture_msg m = { .type = type };

	memcpy(m.id, id, PUNCTURE_ID_LEN);
	if (addr)
		snprintf(m.addr, sizeof(m.addr), "%s", addr);
	send_msg(d, to, &m);
}

static void send_refuse(struct daemon *d, const struct ockam_wire_route *to,
			const uint8_t *id, uint8_t reason)
{
	struct puncture_msg m = { .type = PUNCTURE_MSG_REFUSE,
				  .reason = reason };

	memcpy(m.id, id, PUNCTURE_ID_LEN);
	send_msg(d, to, &m);
}

int puncture_path_route(const char *addr, const char *name,
			struct ockam_wire_route *out, struct ockam_err *err)
{
	static struct ockam_route rt;
	ssize_t len;
	int ret;

	ockam_route_init(&rt);
	ret = ockam_route_push(&rt, OCKAM_ADDR_UDP, addr, strlen(addr), err);
	if (ret == 0)
		ret = ockam_route_push(&rt, OCKAM_ADDR_LOCAL, name,
				       strlen(name), err);
	if (ret < 0)
		return ret;
	len = ockam_route_to_wire(&rt, out->bytes, sizeof(out->bytes));
	if (len < 0)
		return ockam_err_set(err, len, "route too long");
	out->len = len;
	return 0;
}

int puncture_listener_name(const uint8_t *route, size_t len, char *name,
			   struct ockam_err *err)
{
	static struct ockam_route rt;
	const struct ockam_addr *last;
	int ret;

	ret = ockam_route_from_wire(&rt, route, len, err);
	if (ret < 0)
		return ret;
	last = rt.hops ? &rt.addr[rt.hops - 1] : NULL;
	if (!last || last->type != OCKAM_ADDR_LOCAL)
		return ockam_err_set(err, -EINVAL,
				     "the route does not end at a secure channel listener");
	memcpy(name, last->value, last->len + 1);
	return 0;
}

static void send_heartbeat(struct daemon *d, struct puncture *p)
{
	struct ockam_wire_route to;
	struct ockam_err err;

	if (puncture_path_route(p->peer, PUNCTURE_SERVICE, &to, &err) < 0) {
		log_warn_limited("udp puncture: %s", ockam_err_msg(&err));
		return;
	}
	send_typed(d, &to, PUNCTURE_MSG_HEARTBEAT, p->token, NULL);
}

static void send_query(struct daemon *d, struct puncture *p)
{
	p->queries++;
	send_typed(d, &p->rendezvous, PUNCTURE_MSG_QUERY, p->nonce, NULL);
}

static void puncture_free(struct daemon *d, struct puncture *p)
{
	timer_cancel(&d->loop, &p->tick);
	slist_remove(&d->punctures->list, p);
	d->punctures->count--;
	sodium_memzero(p->token, sizeof(p->token));
	free(p);
}

/* @p failed (before it opened) or closed (after): tell whom it concerns. */
static void puncture_end(struct daemon *d, struct puncture *p,
			 uint8_t refusal, const char *why)
{
	puncture_fn fn = p->fn;
	void *owner = p->owner;
	char reason[128];

	if (p->state == PUNCTURE_OPEN)
		d->punctures->closed++;
	else
		d->punctures->failed++;
	log_info("udp puncture with %s (%s): %s", p->peer[0] ? p->peer : "?",
		 p->role == PUNCTURE_INITIATOR ? "initiator" : "responder",
		 why);
	if (p->role == PUNCTURE_RESPONDER && refusal)
		send_refuse(d, &p->negotiate, p->token, refusal);
	snprintf(reason, sizeof(reason), "%s", why);
	puncture_free(d, p);
	if (fn)
		fn(d, owner, NULL, reason);
}

static void on_tick(struct daemon *d, void *ctx)
{
	struct puncture *p = ctx;
	uint64_t now = loop_now_ms();

	switch (p->state) {
	case PUNCTURE_QUERYING:
		if (p->queries >= PUNCTURE_QUERY_TRIES) {
			puncture_end(d, p, PUNCTURE_REFUSE_RENDEZVOUS,
				     "the rendezvous did not answer");
			return;
		}
		send_query(d, p);
		break;
	case PUNCTURE_NEGOTIATING:
		if (now >= p->deadline_ms) {
			puncture_end(d, p, 0, "the peer did not answer the request");
			return;
		}
		send_typed(d, &p->negotiate, PUNCTURE_MSG_REQUEST, p->token,
			   p->own);
		break;
	case PUNCTURE_PUNCHING:
		if (now >= p->deadline_ms) {
			puncture_end(d, p, 0, "no heartbeat got through");
			return;
		}
		send_heartbeat(d, p);
		break;
	case PUNCTURE_OPEN:
		if (now - p->heard_ms >= PUNCTURE_IDLE_MS) {
			puncture_end(d, p, 0, "heartbeats stopped");
			return;
		}
		send_heartbeat(d, p);
		break;
	}
	timer_arm(&d->loop, &p->tick, PUNCTURE_HEARTBEAT_MS);
}

static struct puncture *puncture_new(struct daemon *d, enum puncture_role role,
				     const uint8_t *rendezvous, size_t len,
				     struct ockam_err *err)
{
	struct puncture *p;

	if (d->punctures->count >= PUNCTURES_MAX) {
		ockam_err_set(err, -EBUSY, "a node has at most %d punctures",
			      PUNCTURES_MAX);
		return NULL;
	}
	if (len > sizeof(p->rendezvous.bytes)) {
		ockam_err_set(err, -EMSGSIZE, "route too long");
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		ockam_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	p->role = role;
	p->state = PUNCTURE_QUERYING;
	randombytes_buf(p->nonce, sizeof(p->nonce));
	memcpy(p->rendezvous.bytes, rendezvous, len);
	p->rendezvous.len = len;
	p->deadline_ms = loop_now_ms() + PUNCTURE_OPEN_TIMEOUT_MS;
	timer_init(&p->tick, on_tick, p);
	p->next = d->punctures->list;
	d->punctures->list = p;
	d->punctures->count++;
	send_query(d, p);
	timer_arm(&d->loop, &p->tick, PUNCTURE_HEARTBEAT_MS);
	return p;
}

int puncture_start(struct daemon *d, const struct puncture_request *req,
		   puncture_fn fn, void *owner, struct puncture **out,
		   struct ockam_err *err)
{
	static struct ockam_route rt;
	struct puncture *p;
	ssize_t len;
	int ret;

	if (!req->rendezvous_len)
		return ockam_err_set(err, -EINVAL, "no rendezvous route");
	ockam_route_init(&rt);
	ret = ockam_route_push(&rt, OCKAM_ADDR_LOCAL, req->encryptor,
			       strlen(req->encryptor), err);
	if (ret == 0)
		ret = ockam_route_push(&rt, OCKAM_ADDR_LOCAL, PUNCTURE_SERVICE,
				       strlen(PUNCTURE_SERVICE), err);
	if (ret < 0)
		return ret;
	p = puncture_new(d, PUNCTURE_INITIATOR, req->rendezvous,
			 req->rendezvous_len, err);
	if (!p)
		return err->code;
	len = ockam_route_to_wire(&rt, p->negotiate.bytes,
				  sizeof(p->negotiate.bytes));
	p->negotiate.len = len > 0 ? len : 0;
	randombytes_buf(p->token, sizeof(p->token));
	snprintf(p->identifier, sizeof(p->identifier), "%s", req->identifier);
	p->fn = fn;
	p->owner = owner;
	*out = p;
	return 0;
}

void puncture_stop(struct daemon *d, struct puncture *p)
{
	puncture_free(d, p);
}

/* The puncture whose token (@by_token) or query nonce is @id, if any. */
static struct puncture *find(struct daemon *d, const uint8_t *id,
			     bool by_token)
{
	struct puncture *p;

	for (p = d->punctures->list; p; p = p->next)
		if (!sodium_memcmp(by_token ? p->token : p->nonce, id,
				   PUNCTURE_ID_LEN))
			return p;
	return NULL;
}

static void start_punching(struct daemon *d, struct puncture *p)
{
	p->state = PUNCTURE_PUNCHING;
	p->deadline_ms = loop_now_ms() + PUNCTURE_OPEN_TIMEOUT_MS;
	send_heartbeat(d, p);
}

/* The rendezvous answered with our public address. */
static void on_address(struct daemon *d, const struct puncture_msg *m)
{
	struct puncture *p = find(d, m->id, false);

	if (!p || p->state != PUNCTURE_QUERYING) {
		d->punctures->ignored++;
		return;
	}
	snprintf(p->own, sizeof(p->own), "%s", m->addr);
	if (p->role == PUNCTURE_RESPONDER) {
		send_typed(d, &p->negotiate, PUNCTURE_MSG_ACCEPT, p->token,
			   p->own);
		start_punching(d, p);
		return;
	}
	p->state = PUNCTURE_NEGOTIATING;
	send_typed(d, &p->negotiate, PUNCTURE_MSG_REQUEST, p->token, p->own);
}

/* The punctures @identifier asked this node for. */
static unsigned int responder_count(struct daemon *d, const char *identifier)
{
	const struct puncture *p;
	unsigned int n = 0;

	for (p = d->punctures->list; p; p = p->next)
		if (p->role == PUNCTURE_RESPONDER &&
		    !strcmp(p->identifier, identifier))
			n++;
	return n;
}

static void on_request(struct daemon *d, const struct puncture_msg *m,
		       const struct ockam_wire_route *ret,
		       const char *identifier)
{
	struct puncture *p = find(d, m->id, true);
	struct ockam_err err;

	if (p) {
		/* A retransmission: answer again once we know our address. */
		if (p->role == PUNCTURE_RESPONDER &&
		    !strcmp(p->identifier, identifier) &&
		    p->state != PUNCTURE_QUERYING)
			send_typed(d, &p->negotiate, PUNCTURE_MSG_ACCEPT,
				   p->token, p->own);
		return;
	}
	if (!d->punctures->rendezvous.len) {
		d->punctures->refused++;
		send_refuse(d, ret, m->id, PUNCTURE_REFUSE_DISABLED);
		return;
	}
	if (responder_count(d, identifier) >= PUNCTURES_PER_PEER) {
		d->punctures->refused++;
		send_refuse(d, ret, m->id, PUNCTURE_REFUSE_BUSY);
		return;
	}
	p = puncture_new(d, PUNCTURE_RESPONDER, d->punctures->rendezvous.bytes,
			 d->punctures->rendezvous.len, &err);
	if (!p) {
		d->punctures->refused++;
		send_refuse(d, ret, m->id, PUNCTURE_REFUSE_BUSY);
		return;
	}
	memcpy(p->token, m->id, PUNCTURE_ID_LEN);
	snprintf(p->identifier, sizeof(p->identifier), "%s", identifier);
	snprintf(p->peer, sizeof(p->peer), "%s", m->addr);
	p->negotiate = *ret;
	log_info("udp puncture requested by %s from %s", identifier, p->peer);
}

static void on_accept(struct daemon *d, const struct puncture_msg *m,
		      const char *identifier)
{
	struct puncture *p = find(d, m->id, true);

	if (!p || p->role != PUNCTURE_INITIATOR ||
	    p->state != PUNCTURE_NEGOTIATING ||
	    strcmp(p->identifier, identifier)) {
		d->punctures->ignored++;
		return;
	}
	snprintf(p->peer, sizeof(p->peer), "%s", m->addr);
	start_punching(d, p);
}

static void on_refuse(struct daemon *d, const struct puncture_msg *m,
		      const char *identifier)
{
	struct puncture *p = find(d, m->id, false);

	/* A rendezvous' refusal answers a query; a peer's, a request. */
	if (p && p->state == PUNCTURE_QUERYING) {
		puncture_end(d, p, PUNCTURE_REFUSE_RENDEZVOUS,
			     puncture_refusal_text(m->reason));
		return;
	}
	p = find(d, m->id, true);
	if (!p || p->role != PUNCTURE_INITIATOR ||
	    p->state != PUNCTURE_NEGOTIATING ||
	    strcmp(p->identifier, identifier)) {
		d->punctures->ignored++;
		return;
	}
	puncture_end(d, p, 0, puncture_refusal_text(m->reason));
}

static void on_heartbeat(struct daemon *d, const struct puncture_msg *m,
			 const struct ockam_wire_route *ret)
{
	struct puncture *p = find(d, m->id, true);
	const char *from = puncture_udp_source(ret);

	if (!p || !from || p->state < PUNCTURE_PUNCHING) {
		d->punctures->ignored++;
		return;
	}
	p->heard_ms = loop_now_ms();
	p->heartbeats_heard++;
	if (p->state == PUNCTURE_OPEN)
		return;
	snprintf(p->peer, sizeof(p->peer), "%.*s", PUNCTURE_ADDR_MAX, from);
	p->state = PUNCTURE_OPEN;
	d->punctures->opened++;
	log_info("udp path to %s open (%s)", p->peer,
		 p->role == PUNCTURE_INITIATOR ? "initiator" : "responder");
	/* The peer need not wait a second to hear that we hear it. */
	send_heartbeat(d, p);
	if (p->fn)
		p->fn(d, p->owner, p->peer, NULL);
}

static bool serve_one(struct daemon *d)
{
	static struct ockam_wire_route ret;
	char identifier[OCKAM_IDENTIFIER_LEN + 1];
	uint8_t buf[PUNCTURE_MSG_MAX + 1];
	struct puncture_msg m;
	ssize_t n;
	int flags = 0;

	n = ockam_recv_identity(d->punctures->fd, buf, sizeof(buf),
				MSG_DONTWAIT, &ret, identifier, &flags);
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return false;
	if (n < 0 || (flags & MSG_TRUNC) ||
	    puncture_msg_decode(buf, n, &m) < 0) {
		d->punctures->ignored++;
		return true;
	}
	switch (m.type) {
	case PUNCTURE_MSG_ADDRESS:
		on_address(d, &m);
		break;
	case PUNCTURE_MSG_REQUEST:
		/* Only a peer who proved who it is may make us send. */
		if (!identifier[0]) {
			d->punctures->refused++;
			break;
		}
		on_request(d, &m, &ret, identifier);
		break;
	case PUNCTURE_MSG_ACCEPT:
		on_accept(d, &m, identifier);
		break;
	case PUNCTURE_MSG_REFUSE:
		on_refuse(d, &m, identifier);
		break;
	case PUNCTURE_MSG_HEARTBEAT:
		on_heartbeat(d, &m, &ret);
		break;
	default:
		d->punctures->ignored++;
		break;
	}
	return true;
}

static void on_readable(struct daemon *d, void *ctx, short revents)
{
	int i;

	(void)ctx;
	(void)revents;
	for (i = 0; i < DAEMON_BATCH; i++)
		if (!serve_one(d))
			break;
}

int puncture_rendezvous_route(const uint8_t *route, size_t len,
			      struct ockam_wire_route *out,
			      struct ockam_err *err)
{
	static struct ockam_route rt;
	ssize_t n;
	int ret;

	ret = ockam_route_from_wire(&rt, route, len, err);
	if (ret < 0)
		return ret;
	if (!rt.hops || rt.addr[0].type != OCKAM_ADDR_UDP)
		return ockam_err_set(err, -EINVAL,
				     "a rendezvous route starts with a UDP address (/ip4/A/udp/P)");
	if (rt.addr[rt.hops - 1].type != OCKAM_ADDR_LOCAL) {
		ret = ockam_route_push(&rt, OCKAM_ADDR_LOCAL,
				       RENDEZVOUS_SERVICE,
				       strlen(RENDEZVOUS_SERVICE), err);
		if (ret < 0)
			return ret;
	}
	n = ockam_route_to_wire(&rt, out->bytes, sizeof(out->bytes));
	if (n < 0)
		return ockam_err_set(err, n, "the rendezvous route is too long");
	out->len = n;
	return 0;
}

/* The daemon's --rendezvous, MultiAddr text, into @ps. */
static int parse_rendezvous(struct punctures *ps, const char *text,
			    struct ockam_err *err)
{
	static struct ockam_route rt;
	uint8_t wire[OCKAM_ROUTE_BYTES_MAX];
	ssize_t len;
	int ret;

	if (!text || !text[0])
		return 0;
	ret = ockam_route_parse(&rt, text, NULL, NULL, err);
	if (ret == 0)
		ret = ockam_route_resolve_udp(&rt, err);
	if (ret < 0)
		return ret;
	len = ockam_route_to_wire(&rt, wire, sizeof(wire));
	if (len < 0)
		return ockam_err_set(err, len, "--rendezvous: route too long");
	ret = puncture_rendezvous_route(wire, len, &ps->rendezvous, err);
	if (ret < 0)
		return ockam_err_set(err, ret, "--rendezvous: %s",
				     ockam_err_msg(err));
	return 0;
}

int punctures_open(struct daemon *d, const char *rendezvous,
		   struct ockam_err *err)
{
	struct punctures *ps;
	int ret;

	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	ps->fd = -1;
	d->punctures = ps;
	ret = parse_rendezvous(ps, rendezvous, err);
	if (ret < 0)
		return ret;
	ret = ockam_socket(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (ret < 0)
		return ockam_err_set(err, ret, "AF_OCKAM socket: %s",
				     strerror(-ret));
	ps->fd = ret;
	ret = kernel_reserve(d, PUNCTURE_SERVICE, err);
	if (ret == 0)
		ret = ockam_bind(ps->fd, PUNCTURE_SERVICE);
	if (ret == 0)
		ret = ockam_set_recvroute(ps->fd, true);
	if (ret == 0)
		ret = ockam_set_recvidentity(ps->fd, true);
	if (ret == 0)
		ret = loop_watch(&d->loop, ps->fd, POLLIN, on_readable, NULL);
	if (ret < 0)
		return err->code ? err->code :
		       ockam_err_set(err, ret, "service %s: %s",
				     PUNCTURE_SERVICE, strerror(-ret));
	log_info("service %s is up%s", PUNCTURE_SERVICE,
		 ps->rendezvous.len ? " (answering punctures)" : "");
	return rendezvous_open(d, err);
}

void punctures_close(struct daemon *d)
{
	struct punctures *ps = d->punctures;

	if (!ps)
		return;
	rendezvous_close(d);
	while (ps->list)
		puncture_free(d, ps->list);
	if (ps->fd >= 0) {
		loop_unwatch(&d->loop, ps->fd);
		close(ps->fd);
	}
	free(ps);
	d->punctures = NULL;
}

void punctures_report(struct daemon *d, struct ockam_ctl_writer *w)
{
	const struct punctures *ps = d->punctures;
	const struct puncture *p;
	uint64_t now = loop_now_ms();

	if (!ps)
		return;
	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "kind", "service");
	ockam_ctl_field(w, "address", PUNCTURE_SERVICE);
	ockam_ctl_field(w, "rendezvous", "%s",
			ps->rendezvous.len ? "yes" : "no");
	/* As every service: paths opened, and what came to nothing. */
	ockam_ctl_field(w, "handled", "%lu", ps->opened);
	ockam_ctl_field(w, "dropped", "%lu",
			ps->failed + ps->refused + ps->ignored);
	ockam_ctl_field(w, "opened", "%lu", ps->opened);
	ockam_ctl_field(w, "failed", "%lu", ps->failed);
	ockam_ctl_field(w, "closed", "%lu", ps->closed);
	ockam_ctl_field(w, "refused", "%lu", ps->refused);
	ockam_ctl_field(w, "ignored", "%lu", ps->ignored);
	ockam_ctl_record_end(w);
	rendezvous_report(d, w);
	for (p = ps->list; p; p = p->next) {
		ockam_ctl_record_begin(w);
		ockam_ctl_field(w, "kind", "puncture");
		ockam_ctl_field(w, "role", "%s",
				p->role == PUNCTURE_INITIATOR ?
				"initiator" : "responder");
		ockam_ctl_field(w, "state", "%s", puncture_state_name(p));
		ockam_ctl_field(w, "peer", "%s", p->peer[0] ? p->peer : "-");
		ockam_ctl_field(w, "public", "%s", p->own[0] ? p->own : "-");
		ockam_ctl_field(w, "identity", "%s", p->identifier);
		ockam_ctl_field(w, "heartbeats", "%lu", p->heartbeats_heard);
		ockam_ctl_field(w, "heard-ms-ago", "%llu",
				p->heard_ms ? (unsigned long long)
				(now - p->heard_ms) : 0ULL);
		ockam_ctl_record_end(w);
	}
}
