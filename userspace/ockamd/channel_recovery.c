// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Channels outlive their transports. The kernel keeps a channel whose
 * route's first transport went down, or whose peer stopped answering its
 * keepalives, RECOVERING, and tells us (CHANNEL_STATE). A channel we
 * initiated knows how it first reached the peer: the route the operator
 * gave, to the peer's listener. The same path, ending at the peer's
 * decryptor instead, reaches the same channel again over a fresh
 * connection (a TCP first hop is dialed on demand), so the daemon gives
 * the kernel that route at once and again after jittered pauses while the
 * channel stays RECOVERING; the peer adopts the new return route from
 * our first authenticated frame, and the channel is UP again with its
 * keys, counters and addresses.
 *
 * When new routes do not bring the peer back, the peer may have lost
 * the channel (its daemon restarted: the keys are gone). After
 * RECOVERY_ROUTES_FIRST routes and RECOVERY_REHANDSHAKE_MS (next_pause()
 * has a retry fall due then), a new handshake runs along the creation
 * route, with our identity and accepting only the channel's peer, and
 * its keys go behind the same encryptor (OCKAM_CMD_CHANNEL_SET with
 * keys): whoever holds the channel's address goes on using it. It runs
 * again, one at a time, while the channel stays RECOVERING.
 *
 * The pause matters: a handshake abandoned because the channel came
 * back meanwhile holds a slot of the peer's listener until its own
 * timeout (Noise XX has no way to say "never mind"), and a few of them
 * from one node fill the listener's share for that node, so that its
 * next new channel is refused busy. Routes alone bring back every
 * channel whose peer still has it; they need a dial (a lost SYN costs a
 * second) and a round trip, which the pause leaves them.
 *
 * A responder cannot dial its initiator: once its channel is DOWN it only
 * holds keys nobody uses, so it is deleted. The initiator's channel is
 * DOWN by then too (its give-up time is its node's, but it heard nothing
 * either), and whoever uses it opens a new one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "recovery_route.h"
#include "secure.h"

enum recovery_limits {
	/* The first pause is a few round trips and a dial; the longest
	 * keeps an unreachable peer's node from being dialed more often
	 * than the re-dials of a persistent connection.
	 */
	RECOVERY_FIRST_MS = 500,
	RECOVERY_MAX_MS = 10000,
	/* New routes to try, and how long to recover, before a new
	 * handshake.
	 */
	RECOVERY_ROUTES_FIRST = 2,
	RECOVERY_REHANDSHAKE_MS = 3000,
};

static void on_rekeyed(struct daemon *d, void *owner,
		       const struct ockam_channel_info *ch,
		       const struct ockam_err *err)
{
	struct channel_record *rec = owner;

	(void)d;
	rec->rehandshake = NULL;
	if (ch) {
		rec->rekeys++;
		return;
	}
	/* The next pause tries again, while the channel recovers. */
	log_warn_limited("secure channel %s: no new handshake with %s: %s",
			 rec->encryptor, rec->peer, ockam_err_msg(err));
}

/* A new handshake with the channel's peer, for new keys behind it. */
static void rehandshake_start(struct daemon *d, struct channel_record *rec)
{
	struct secure_channel_request req = {
		.route = rec->origin,
		.route_len = rec->origin_len,
		.identity = rec->identity,
		.timeout_ms = SECURE_TIMEOUT_MS_DEFAULT,
		.rekey = rec->encryptor,
	};
	struct ockam_err err;

	if (trust_policy_parse(&req.policy, rec->peer, &err) < 0 ||
	    secure_channel_open(d, &req, on_rekeyed, rec, &rec->rehandshake,
				&err) < 0) {
		rec->rehandshake = NULL;
		log_warn_limited("secure channel %s: %s", rec->encryptor,
				 ockam_err_msg(&err));
		return;
	}
	log_info_limited("secure channel %s: a new handshake with %s",
			 rec->encryptor, rec->peer);
}

/* The route to give @rec now, encoded into @wire; its length or -errno. */
static ssize_t next_route(struct daemon *d, const struct channel_record *rec,
			  uint8_t *wire, size_t size, struct ockam_err *err)
{
	/* About 16 KiB each; the daemon has one thread. */
	static struct ockam_route origin, current, next;
	ssize_t n;
	int ret;

	ret = ockam_route_from_wire(&origin, rec->origin, rec->origin_len,
				    err);
	if (ret == 0)
		ret = channel_route(d, rec->encryptor, &current, err);
	if (ret == 0)
		ret = recovery_route(&origin, &current, &next, err);
	if (ret < 0)
		return ret;
	n = ockam_route_to_wire(&next, wire, size);
	if (n < 0)
		return ockam_err_set(err, n, "the new route is too long");
	return n;
}

/* Give @rec's channel a new route; -ENOENT once the kernel has no such. */
static int set_route(struct daemon *d, struct channel_record *rec,
		     struct ockam_err *err)
{
	static uint8_t wire[OCKAM_ROUTE_BYTES_MAX];
	ssize_t n = next_route(d, rec, wire, sizeof(wire), err);
	char *text;
	int ret;

	if (n < 0)
		return n;
	ret = ockam_nl_channel_set_route(d->nl, rec->encryptor, wire, n, err);
	if (ret < 0)
		return ret;
	rec->route_sets++;
	text = route_text_dup(wire, n);
	log_info_limited("secure channel %s with %s: trying route %s",
			 rec->encryptor, rec->peer, text ? text : "?");
	free(text);
	return 0;
}

/*
 * The pause before the next route: the backoff's, but the first new
 * handshake is due RECOVERY_REHANDSHAKE_MS into the recovery, not at
 * whichever pause ends after that.
 */
static unsigned int next_pause(struct channel_record *rec)
{
	uint64_t due = rec->recovery_since_ms + RECOVERY_REHANDSHAKE_MS;
	uint64_t now = loop_now_ms();
	unsigned int pause = backoff_next(&rec->backoff);

	if (now < due && now + pause > due)
		pause = due - now;
	return pause;
}

static void on_retry(struct daemon *d, void *ctx)
{
	struct channel_record *rec = ctx;
	struct ockam_err err;
	int ret;

	if (!rec->recovering || rec->state != OCKAM_CHANNEL_RECOVERING) {
		channel_recovery_stop(d, rec);
		return;
	}
	ret = set_route(d, rec, &err);
	if (ret == -ENOENT) {
		/* Gone: its CHANNEL_CLOSED event drops the record. */
		channel_recovery_stop(d, rec);
		return;
	}
	if (ret < 0)
		log_warn_limited("secure channel %s: %s", rec->encryptor,
				 ockam_err_msg(&err));
	if (++rec->recovery_routes >= RECOVERY_ROUTES_FIRST &&
	    loop_now_ms() - rec->recovery_since_ms >= RECOVERY_REHANDSHAKE_MS &&
	    !rec->rehandshake)
		rehandshake_start(d, rec);
	timer_arm(&d->loop, &rec->retry, next_pause(rec));
}

int channel_recovery_start(struct daemon *d, struct channel_record *rec,
			   struct ockam_err *err)
{
	int ret;

	if (!rec->origin)
		return ockam_err_set(err, -EOPNOTSUPP,
				     "secure channel %s: only the initiator can give it a new route",
				     rec->encryptor);
	channel_recovery_stop(d, rec);
	ret = set_route(d, rec, err);
	if (ret == -ENOENT)
		return ret;
	/* A route that failed now may work after a pause. */
	if (ret < 0)
		log_warn_limited("secure channel %s: %s", rec->encryptor,
				 ockam_err_msg(err));
	timer_init(&rec->retry, on_retry, rec);
	backoff_init(&rec->backoff, RECOVERY_FIRST_MS, RECOVERY_MAX_MS);
	rec->recovery_routes = 1;
	rec->recovery_since_ms = loop_now_ms();
	rec->recovering = true;
	timer_arm(&d->loop, &rec->retry, next_pause(rec));
	return 0;
}

void channel_recovery_stop(struct daemon *d, struct channel_record *rec)
{
	if (rec->rehandshake) {
		secure_channel_abort(d, rec->rehandshake);
		rec->rehandshake = NULL;
	}
	if (!rec->recovering)
		return;
	timer_cancel(&d->loop, &rec->retry);
	rec->recovering = false;
}

/* Lost its way (not our own CHANNEL_SET): worth a new route. */
static bool needs_route(const struct channel_record *rec)
{
	return rec->state == OCKAM_CHANNEL_RECOVERING && rec->origin &&
	       (rec->state_reason == OCKAM_STATE_R_ROUTE_DOWN ||
		rec->state_reason == OCKAM_STATE_R_PEER_SILENT);
}

static void responder_down(struct daemon *d, struct channel_record *rec)
{
	char encryptor[OCKAM_NAME_MAX];
	struct ockam_err err;

	snprintf(encryptor, sizeof(encryptor), "%s", rec->encryptor);
	/* Frees @rec. */
	if (channel_delete(d, encryptor, &err) < 0 && err.code != -ENOENT)
		log_warn("secure channel %s: %s", encryptor,
			 ockam_err_msg(&err));
}

void channel_recovery_update(struct daemon *d, struct channel_record *rec,
			     uint32_t state, uint32_t reason)
{
	struct ockam_err err;

	rec->state = state;
	rec->state_reason = reason;
	if (state == OCKAM_CHANNEL_RECOVERING) {
		if (!rec->recovering && needs_route(rec) &&
		    channel_recovery_start(d, rec, &err) < 0 &&
		    err.code != -ENOENT)
			log_warn_limited("%s", ockam_err_msg(&err));
		return;
	}
	channel_recovery_stop(d, rec);
	if (state == OCKAM_CHANNEL_DOWN && rec->role == OCKAM_ROLE_RESPONDER)
		responder_down(d, rec);
}

void channel_recovery_on_event(struct daemon *d, const struct ockam_event *ev)
{
	struct channel_record *rec = channel_record_find(d, ev->address);

	if (!rec)
		return;
	/* Peers and networks cause these at will: rate-limited. */
	log_info_limited("secure channel %s with %s is %s (%s)",
			 rec->encryptor, rec->peer,
			 ockam_channel_state_name(ev->state),
			 ockam_channel_state_reason_name(ev->reason));
	channel_recovery_update(d, rec, ev->state, ev->reason);
}
