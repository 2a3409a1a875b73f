// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Secure channels we initiate ("secure-channel-create").
 *
 * The handshake runs on a fresh AF_OCKAM socket X: message 1 goes along
 * the route the operator gave, which ends at a secure channel listener;
 * message 2 comes back with a return route R2 ending at the responder's
 * socket Y. Once the responder's identity checks out, message 3 goes
 * along R2, and the channel is installed on X (which becomes the
 * decryptor) when the responder confirms that it installed its side, or
 * when the channel's first data frame shows it did. The control client
 * gets its reply then, or when the handshake fails or times out; either
 * way no keys reach the kernel unless both sides accepted.
 *
 * A listener refuses message 1 as "busy" while it has as many handshakes
 * pending as it takes, in all or from our node (secure_listener.c): a
 * node that opens many channels at once meets that. Message 1 then goes
 * again, with a fresh handshake, after a pause that grows, until the
 * client's timeout.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "recovery_route.h"
#include "secure.h"
#include "util.h"

enum initiator_limits {
	/*
	 * After a busy refusal message 1 goes again after this long,
	 * doubling up to the most, plus as much again at random, so that
	 * the initiators a listener turned away together do not come back
	 * together. A handshake holds a slot for a round trip and some
	 * cryptography: the first pause is already a few of those.
	 */
	INITIATOR_RETRY_MS_MIN = 100,
	INITIATOR_RETRY_MS_MAX = 1600,
};

struct initiator {
	struct initiator *next;
	struct handshake hs;
	bool sent_msg3;			/* waiting for the confirmation */
	bool retrying;			/* waiting to send message 1 again */
	unsigned int retry_ms;		/* the next pause before that */
	uint64_t deadline_ms;		/* CLOCK_MONOTONIC: the client's */
	uint64_t started_ms;		/* CLOCK_MONOTONIC: the request came */
	/* The create request: finished on the outcome, or cancelled. */
	struct ctl_request *request;
	/* Or, for the daemon's own channels, what to call instead. */
	secure_channel_done_fn done;
	void *owner;
	struct trust_policy policy;
	unsigned int timeout_ms;
	char *to;			/* the route, as text, for messages */
	/* The channel to re-key (its encryptor), or "": a new channel. */
	char rekey[OCKAM_NAME_MAX];
	bool answer_route;		/* see secure_channel_request */
	/* The route, encoded: the channel's record keeps it to find the
	 * peer again (channel_recovery.c).
	 */
	uint8_t *origin;
	size_t origin_len;
};

static struct hs_counters initiated;
/* Messages 1 sent again after a busy refusal. */
static unsigned long busy_retries;

/* One message at a time; the daemon has one thread. */
static uint8_t msg_buf[HS_FRAME_MAX];
static struct ockam_wire_route ret_route;

static void initiator_free(struct daemon *d, struct initiator *i)
{
	/* Not answered yet: the daemon is stopping. */
	if (i->request)
		ctl_request_cancel(d, i->request);
	slist_remove(&d->initiators, i);
	handshake_fini(d, &i->hs);
	free(i->to);
	free(i->origin);
	free(i);
}

/* Free @i, then tell its owner the outcome. */
static void initiator_done(struct daemon *d, struct initiator *i,
			   const struct ockam_channel_info *ch,
			   const struct ockam_err *err)
{
	secure_channel_done_fn done = i->done;
	struct ockam_err copy;
	void *owner = i->owner;

	if (err)
		copy = *err;
	initiator_free(d, i);
	done(d, owner, ch, err ? &copy : NULL);
}

/* Count @fail, answer the client with @errnum and @err, and give up. */
static void initiator_fail(struct daemon *d, struct initiator *i,
			   enum hs_fail fail, int errnum,
			   const struct ockam_err *err)
{
	initiated.rejected[fail]++;
	log_warn("secure channel to %s failed (%s): %s", i->to,
		 hs_fail_name(fail), ockam_err_msg(err));
	if (i->done) {
		initiator_done(d, i, NULL, err);
		return;
	}
	ockam_ctl_reply_error(ctl_reply(i->request), errnum,
			      "secure channel to %s: %s", i->to,
			      ockam_err_msg(err));
	ctl_request_finish(d, i->request);
	i->request = NULL;
	initiator_free(d, i);
}

/* A failure the responder should hear about: refuse along R2 first. */
static void initiator_refuse(struct daemon *d, struct initiator *i,
			     enum hs_fail fail, const struct ockam_err *err)
{
	handshake_refuse(i->hs.fd, i->hs.route, i->hs.route_len, fail,
			 ockam_err_msg(err));
	initiator_fail(d, i, fail, hs_fail_errno(fail), err);
}

/* What is left of the client's timeout, in ms. */
static uint64_t time_left(const struct initiator *i)
{
	uint64_t now = loop_now_ms();

	return now < i->deadline_ms ? i->deadline_ms - now : 0;
}

/* Message 1, from a fresh handshake; the timer waits for the answer. */
static void initiator_resend(struct daemon *d, struct initiator *i)
{
	struct ockam_err err;

	i->retrying = false;
	if (handshake_restart(d, &i->hs, NOISE_INITIATOR, &err) < 0) {
		initiator_fail(d, i, HS_FAIL_INTERNAL, -err.code, &err);
		return;
	}
	if (handshake_write(&i->hs, HS_MSG1, false, &err) < 0) {
		initiator_fail(d, i, HS_FAIL_UNREACHABLE, -err.code, &err);
		return;
	}
	busy_retries++;
	timer_arm(&d->loop, &i->hs.timer, time_left(i));
}

/*
 * The listener refused message 1 as busy: try again later, if the
 * client's timeout leaves time for it. False when it does not.
 */
static bool initiator_retry_later(struct daemon *d, struct initiator *i,
				  const struct hs_frame *f)
{
	uint64_t pause = i->retry_ms + randombytes_uniform(i->retry_ms + 1);

	if (pause >= time_left(i))
		return false;
	log_info_limited("secure channel to %s: the listener is busy (%s); trying again in %llu ms",
			 i->to, f->text[0] ? f->text : "no reason given",
			 (unsigned long long)pause);
	i->retry_ms = i->retry_ms * 2 > INITIATOR_RETRY_MS_MAX ?
		      INITIATOR_RETRY_MS_MAX : i->retry_ms * 2;
	i->retrying = true;
	timer_arm(&d->loop, &i->hs.timer, pause);
	return true;
}

static void on_initiator_timeout(struct daemon *d, void *ctx)
{
	struct initiator *i = ctx;
	struct ockam_err err;

	if (i->retrying) {
		initiator_resend(d, i);
		return;
	}
	if (!i->sent_msg3) {
		ockam_err_set(&err, -ETIMEDOUT,
			      "no answer to message 1 within %u ms",
			      i->timeout_ms);
		initiator_fail(d, i, HS_FAIL_TIMEOUT, ETIMEDOUT, &err);
		return;
	}
	ockam_err_set(&err, -ETIMEDOUT,
		      "the responder did not confirm message 3 within %u ms",
		      i->timeout_ms);
	initiator_refuse(d, i, HS_FAIL_TIMEOUT, &err);
}

/*
 * The route the channel is installed with: the path the operator gave,
 * ending at the responder's socket instead of its listener, rather than
 * the way message 2 came back. Both reach the peer; the first names what
 * outlives a connection (TCP hosts and ports, aliases, which the kernels
 * dial or follow again), the second the connections themselves by their
 * local addresses, so a connection reset anywhere along the first costs
 * the channel nothing but its peer's next answer (channel_recovery.c).
 * When a hop on the way answers for the rest of the route from an
 * address of its own, the answer's route is all there is.
 */
static int initiator_route(struct initiator *i, struct ockam_err *err)
{
	/* About 16 KiB each; the daemon has one thread. */
	static struct ockam_route origin, answer, given;
	static uint8_t wire[OCKAM_ROUTE_BYTES_MAX];
	ssize_t n;
	int ret;

	if (i->answer_route)
		return 0;
	ret = ockam_route_from_wire(&origin, i->origin, i->origin_len, err);
	if (ret == 0)
		ret = ockam_route_from_wire(&answer, i->hs.route,
					    i->hs.route_len, err);
	if (ret == 0)
		ret = recovery_route(&origin, &answer, &given, err);
	/* Something on the way answers for the rest: keep its answer. */
	if (ret == -EPROTO) {
		ockam_err_clear(err);
		return 0;
	}
	if (ret < 0)
		return ret;
	n = ockam_route_to_wire(&given, wire, sizeof(wire));
	if (n < 0)
		return ockam_err_set(err, n, "the channel's route is too long");
	return handshake_set_route(&i->hs, wire, n, err);
}

/* A re-key is the daemon's own: its record and owner carry on. */
static void initiator_rekeyed(struct daemon *d, struct initiator *i,
			      struct ockam_channel_info *ch)
{
	struct channel_record *rec = channel_record_find(d, i->rekey);

	if (rec)
		snprintf(rec->decryptor, sizeof(rec->decryptor), "%s",
			 ch->decryptor);
	snprintf(ch->identifier, sizeof(ch->identifier), "%s", i->hs.peer);
	log_info("secure channel %s: new keys from a new handshake with %s through %s (decryptor %s) in %llu ms",
		 ch->encryptor, i->hs.peer, i->to, ch->decryptor,
		 (unsigned long long)(loop_now_ms() - i->started_ms));
	initiator_done(d, i, ch, NULL);
}

/* Both sides accepted: install the channel and answer the client. */
static void initiator_install(struct daemon *d, struct initiator *i)
{
	struct ockam_ctl_writer *w;
	struct ockam_channel_info ch;
	struct channel_record *rec;
	struct ockam_err err;
	bool sent;

	if (initiator_route(i, &err) < 0 ||
	    handshake_install(d, &i->hs, OCKAM_ROLE_INITIATOR,
			      i->rekey[0] ? i->rekey : NULL, &ch, &err) < 0) {
		initiator_fail(d, i, HS_FAIL_INTERNAL, -err.code, &err);
		return;
	}
	initiated.established++;
	if (i->rekey[0]) {
		initiator_rekeyed(d, i, &ch);
		return;
	}
	rec = channel_record_add(d, &ch, &i->hs, "", OCKAM_ROLE_INITIATOR);
	if (rec) {
		rec->origin = i->origin;
		rec->origin_len = i->origin_len;
		i->origin = NULL;
	} else {
		log_err("secure channel %s: out of memory for its record",
			ch.encryptor);
	}
	log_info("secure channel %s established with %s through %s (decryptor %s) in %llu ms",
		 ch.encryptor, i->hs.peer, i->to, ch.decryptor,
		 (unsigned long long)(loop_now_ms() - i->started_ms));
	if (i->done) {
		snprintf(ch.identifier, sizeof(ch.identifier), "%s",
			 i->hs.peer);
		initiator_done(d, i, &ch, NULL);
		return;
	}
	w = ctl_reply(i->request);
	ockam_ctl_reply_ok(w);
	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "encryptor", "%s", ch.encryptor);
	ockam_ctl_field(w, "decryptor", "%s", ch.decryptor);
	ockam_ctl_field(w, "peer", "%s", i->hs.peer);
	ockam_ctl_field(w, "identity", "%s", i->hs.identity);
	ockam_ctl_record_end(w);
	sent = ctl_request_finish(d, i->request);
	i->request = NULL;
	if (!sent) {
		/* Nobody is left to learn its address: close it again. */
		log_warn("secure channel %s: the client went away; closing it",
			 ch.encryptor);
		if (ockam_nl_channel_del(d->nl, ch.encryptor, &err) < 0)
			log_err("%s", ockam_err_msg(&err));
	}
	initiator_free(d, i);
}

/* Message 2: verify the responder and answer with message 3. */
static bool initiator_on_msg2(struct daemon *d, struct initiator *i,
			      const struct hs_frame *f)
{
	struct ockam_err err;
	enum hs_fail fail;

	/* From now on our messages go to the responder's socket Y. */
	if (handshake_set_route(&i->hs, ret_route.bytes, ret_route.len,
				&err) < 0) {
		initiator_fail(d, i, HS_FAIL_INTERNAL, ENOMEM, &err);
		return false;
	}
	fail = handshake_read(&i->hs, f, &i->policy, &err);
	if (fail != HS_FAIL_COUNT) {
		initiator_refuse(d, i, fail, &err);
		return false;
	}
	if (handshake_write(&i->hs, HS_MSG3, true, &err) < 0) {
		initiator_fail(d, i, HS_FAIL_UNREACHABLE, -err.code, &err);
		return false;
	}
	i->sent_msg3 = true;
	return true;
}

/* A rejected message that does not end the handshake. */
static void initiator_ignore(struct initiator *i, enum hs_fail fail,
			     const char *why)
{
	initiated.rejected[fail]++;
	log_warn_limited("secure channel to %s: dropped a message on %s: %s",
			 i->to, i->hs.address, why);
}

/*
 * After message 3 a message that is not a handshake message can only be
 * the channel's first data frame (its counter's top byte comes first):
 * the responder has installed its side. It stays queued, and passes to
 * the decryptor with the socket's address.
 */
static bool next_is_data(struct initiator *i)
{
	ssize_t n = handshake_recv(i->hs.fd, msg_buf, &ret_route, MSG_PEEK);

	return n > 0 && !hs_type_known(msg_buf[0]);
}

/* Handle one message on X; false when there is none or we are done. */
static bool initiator_receive(struct daemon *d, struct initiator *i)
{
	struct ockam_err err;
	struct hs_frame f;
	ssize_t n;

	if (i->sent_msg3 && next_is_data(i)) {
		initiator_install(d, i);
		return false;
	}
	n = handshake_recv(i->hs.fd, msg_buf, &ret_route, 0);
	if (n == -EAGAIN)
		return false;
	if (n == -EMSGSIZE) {
		initiator_ignore(i, HS_FAIL_MALFORMED,
				 "larger than any handshake message");
		return true;
	}
	if (n < 0) {
		ockam_err_set(&err, n, "%s: %s",
			      i->sent_msg3 ? "message 3 did not arrive" :
					     "message 1 did not arrive",
			      strerror(-n));
		initiator_fail(d, i, HS_FAIL_UNREACHABLE, -n, &err);
		return false;
	}
	if (hs_frame_parse(msg_buf, n, &f, &err) < 0) {
		if (n && msg_buf[0] == HS_MSG2 && !i->sent_msg3 &&
		    !i->retrying) {
			handshake_set_route(&i->hs, ret_route.bytes,
					    ret_route.len, NULL);
			initiator_refuse(d, i, HS_FAIL_MALFORMED, &err);
			return false;
		}
		initiator_ignore(i, HS_FAIL_MALFORMED, ockam_err_msg(&err));
		return true;
	}
	if (i->retrying) {
		/* No handshake is under way: message 1 was refused. */
		initiator_ignore(i, HS_FAIL_UNEXPECTED, hs_type_name(f.type));
		return true;
	}
	if (f.type == HS_REFUSED) {
		/* Before message 2 only the listener refuses: busy is for
		 * now, not for good.
		 */
		if (f.reason == HS_REFUSE_BUSY && !i->sent_msg3 &&
		    initiator_retry_later(d, i, &f))
			return false;
		ockam_err_set(&err, -ECONNREFUSED,
			      "refused by the responder (%s)%s%s",
			      hs_refusal_name(f.reason), f.text[0] ? ": " : "",
			      f.text);
		initiator_fail(d, i, HS_FAIL_PEER_REFUSED, ECONNREFUSED, &err);
		return false;
	}
	if (f.type == HS_MSG2 && !i->sent_msg3)
		return initiator_on_msg2(d, i, &f);
	if (f.type == HS_ESTABLISHED && i->sent_msg3) {
		initiator_install(d, i);
		return false;
	}
	initiator_ignore(i, HS_FAIL_UNEXPECTED, hs_type_name(f.type));
	return true;
}

static void on_initiator_readable(struct daemon *d, void *ctx, short revents)
{
	struct initiator *i = ctx;
	int n;

	(void)revents;
	for (n = 0; n < DAEMON_BATCH; n++)
		if (!initiator_receive(d, i))
			break;
}

char *route_text_dup(const uint8_t *route, size_t len)
{
	static struct ockam_route rt;
	static char text[OCKAM_ROUTE_TEXT_MAX];

	if (ockam_route_from_wire(&rt, route, len, NULL) < 0 ||
	    ockam_route_format_any(&rt, text, sizeof(text)) < 0)
		snprintf(text, sizeof(text), "(unprintable route)");
	return strdup(text);
}

static void reply_error_now(struct daemon *d, struct ctl_request *r,
			    int errnum, const struct ockam_err *err)
{
	ockam_ctl_reply_error(ctl_reply(r), errnum, "%s", ockam_err_msg(err));
	ctl_request_finish(d, r);
}

/*
 * A new initiator for @req, with the handshake set up and message 1 sent;
 * it answers its request or its owner from then on. NULL, with @err,
 * when it fails first (a send that failed counts as unreachable).
 */
static struct initiator *initiator_start(struct daemon *d,
					 const struct secure_channel_request *req,
					 struct ockam_err *err)
{
	struct initiator *i = calloc(1, sizeof(*i));
	char why[OCKAM_ERR_MSG_MAX];
	int ret;

	if (!i) {
		ockam_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	i->timeout_ms = req->timeout_ms;
	i->started_ms = loop_now_ms();
	i->deadline_ms = i->started_ms + req->timeout_ms;
	i->retry_ms = INITIATOR_RETRY_MS_MIN;
	i->policy = req->policy;
	i->hs.fd = -1;
	if (req->rekey)
		snprintf(i->rekey, sizeof(i->rekey), "%s", req->rekey);
	i->answer_route = req->answer_route;
	i->to = route_text_dup(req->route, req->route_len);
	i->origin = malloc(req->route_len ? req->route_len : 1);
	if (i->origin) {
		memcpy(i->origin, req->route, req->route_len);
		i->origin_len = req->route_len;
	}
	i->next = d->initiators;
	d->initiators = i;
	if (!i->to || !i->origin) {
		ockam_err_set(err, -ENOMEM, "out of memory");
		goto err_free;
	}
	ret = handshake_init(d, &i->hs, NOISE_INITIATOR, req->identity,
			     on_initiator_readable, i, err);
	if (ret == 0)
		ret = handshake_set_route(&i->hs, req->route, req->route_len,
					  err);
	if (ret < 0)
		goto err_free;
	initiated.started++;
	ret = handshake_write(&i->hs, HS_MSG1, false, err);
	if (ret < 0) {
		initiated.rejected[HS_FAIL_UNREACHABLE]++;
		log_warn("secure channel to %s failed (%s): %s", i->to,
			 hs_fail_name(HS_FAIL_UNREACHABLE), ockam_err_msg(err));
		snprintf(why, sizeof(why), "%s", ockam_err_msg(err));
		ockam_err_set(err, ret, "secure channel to %s: %s", i->to, why);
		goto err_free;
	}
	timer_init(&i->hs.timer, on_initiator_timeout, i);
	timer_arm(&d->loop, &i->hs.timer, i->timeout_ms);
	return i;

err_free:
	initiator_free(d, i);
	return NULL;
}

void secure_channel_create(struct daemon *d, struct ctl_request *r,
			   const struct secure_channel_request *req)
{
	struct ockam_err err;
	struct initiator *i = initiator_start(d, req, &err);

	if (!i) {
		reply_error_now(d, r, -err.code, &err);
		return;
	}
	i->request = r;
}

int secure_channel_open(struct daemon *d,
			const struct secure_channel_request *req,
			secure_channel_done_fn done, void *owner,
			struct initiator **out, struct ockam_err *err)
{
	struct initiator *i = initiator_start(d, req, err);

	if (!i)
		return err->code;
	i->done = done;
	i->owner = owner;
	*out = i;
	return 0;
}

void secure_channel_abort(struct daemon *d, struct initiator *i)
{
	initiator_free(d, i);
}

void initiators_close(struct daemon *d)
{
	while (d->initiators)
		initiator_free(d, d->initiators);
}

void initiators_report(struct daemon *d, struct ockam_ctl_writer *w)
{
	const struct initiator *i;
	unsigned int pending = 0;

	for (i = d->initiators; i; i = i->next)
		pending++;
	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "kind", "secure-channel-initiator");
	ockam_ctl_field(w, "pending", "%u", pending);
	ockam_ctl_field(w, "busy-retries", "%lu", busy_retries);
	hs_counters_report(w, &initiated);
	ockam_ctl_record_end(w);
}
