// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Outgoing connections.
 *
 * Persistent ones ("tcp-connection create") keep their local address for
 * life: when the transport goes down the daemon re-dials with backoff and
 * attaches the new socket under the same address, so routes that name it
 * keep working. A deliberate detach ends them.
 *
 * On-demand ones answer the kernel's DIAL_REQUEST: dial, attach with the
 * peer string exactly as the kernel sent it (that is how the kernel finds
 * the messages waiting for it), or report DIAL_FAILED. They are not
 * re-dialed: the next message for that peer asks again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "daemon.h"
#include "log.h"
#include "util.h"

enum conn_state {
	CONN_DIALING,
	CONN_UP,
	CONN_WAITING,		/* down, re-dial timer armed */
};

static const char *const state_names[] = {
	[CONN_DIALING] = "dialing",
	[CONN_UP] = "up",
	[CONN_WAITING] = "waiting",
};

struct conn {
	struct conn *next;
	char peer[OCKAM_NAME_MAX];
	char address[OCKAM_NAME_MAX];	/* "" until first attached */
	char local[OCKAM_NAME_MAX];
	enum conn_state state;
	time_t since;			/* in this state since */
	struct backoff backoff;
	unsigned long redials;		/* attempts since it was last up */
	unsigned long reconnects;	/* times it came back */
	struct dial *dial;
	struct timer retry;
	/* The create request, until the first outcome answers it. */
	struct ctl_request *request;
};

struct demand {
	struct demand *next;
	char peer[OCKAM_NAME_MAX];
	struct dial *dial;
};

static void conn_remove(struct daemon *d, struct conn *c)
{
	slist_remove(&d->conns, c);
	timer_cancel(&d->loop, &c->retry);
	dial_cancel(d, c->dial);
	/* Still dialing for the first time: only at shutdown. */
	if (c->request)
		ctl_request_cancel(d, c->request);
	free(c);
}

static void reply_error(struct daemon *d, struct ctl_request *r, int errnum,
			const char *msg)
{
	ockam_ctl_reply_error(ctl_reply(r), errnum, "%s", msg);
	ctl_request_finish(d, r);
}

static void conn_dial_done(struct daemon *d, void *owner, int fd, int err);

static void conn_set_state(struct conn *c, enum conn_state state)
{
	if (c->state != state)
		c->since = time(NULL);
	c->state = state;
}

static void conn_schedule_retry(struct daemon *d, struct conn *c)
{
	unsigned int pause = backoff_next(&c->backoff);

	conn_set_state(c, CONN_WAITING);
	log_info("connection %s to %s: re-dialing in %u ms", c->address,
		 c->peer, pause);
	timer_arm(&d->loop, &c->retry, pause);
}

static void conn_redial(struct daemon *d, void *ctx)
{
	struct conn *c = ctx;
	struct ockam_err err;

	timer_cancel(&d->loop, &c->retry);
	conn_set_state(c, CONN_DIALING);
	c->redials++;
	if (dial_start(d, c->peer, DIAL_MAY_RESOLVE, kernel_dial_timeout_ms(d),
		       conn_dial_done, c, &c->dial, &err) < 0) {
		log_warn("connection %s: %s", c->address, ockam_err_msg(&err));
		conn_schedule_retry(d, c);
	}
}

static void conn_dial_done(struct daemon *d, void *owner, int fd, int err)
{
	struct conn *c = owner;
	struct ockam_transport_info info;
	struct ockam_err e;
	bool first = !c->address[0];
	int ret;

	c->dial = NULL;
	if (fd < 0) {
		ockam_err_set(&e, -err, "cannot connect to %s: %s", c->peer,
			      strerror(err));
		goto failed;
	}
	ret = kernel_attach(d, fd, first ? NULL : c->address, c->peer,
			    OCKAM_TRANSPORT_F_OUTGOING,
			    &info, &e);
	close(fd);
	if (ret < 0)
		goto failed;

	if (first)
		snprintf(c->address, sizeof(c->address), "%s", info.address);
	snprintf(c->local, sizeof(c->local), "%s", info.local);
	conn_set_state(c, CONN_UP);
	backoff_reset(&c->backoff);
	if (first) {
		struct ockam_ctl_writer *w = ctl_reply(c->request);

		log_info("connection %s to %s established", c->address,
			 c->peer);
		ockam_ctl_reply_ok(w);
		ockam_ctl_record_begin(w);
		ockam_ctl_field(w, "address", "%s", c->address);
		ockam_ctl_field(w, "peer", "%s", c->peer);
		ockam_ctl_field(w, "local", "%s", c->local[0] ? c->local : "-");
		ockam_ctl_record_end(w);
		ctl_request_finish(d, c->request);
		c->request = NULL;
	} else {
		log_info("connection %s to %s re-established after %lu attempts",
			 c->address, c->peer, c->redials);
		c->redials = 0;
		c->reconnects++;
	}
	return;

failed:
	if (first) {
		log_warn("%s", ockam_err_msg(&e));
		reply_error(d, c->request, -e.code, ockam_err_msg(&e));
		c->request = NULL;
		conn_remove(d, c);
		return;
	}
	log_warn("connection %s: %s", c->address, ockam_err_msg(&e));
	conn_schedule_retry(d, c);
}

void conn_create(struct daemon *d, const char *peer, struct ctl_request *r)
{
	struct ockam_err err;
	struct conn *c;

	c = calloc(1, sizeof(*c));
	if (!c) {
		reply_error(d, r, ENOMEM, "out of memory");
		return;
	}
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->state = CONN_DIALING;
	c->since = time(NULL);
	backoff_init(&c->backoff, REDIAL_FIRST_MS, REDIAL_MAX_MS);
	timer_init(&c->retry, conn_redial, c);
	if (dial_start(d, peer, DIAL_MAY_RESOLVE, kernel_dial_timeout_ms(d),
		       conn_dial_done, c, &c->dial, &err) < 0) {
		log_warn("%s", ockam_err_msg(&err));
		reply_error(d, r, -err.code, ockam_err_msg(&err));
		free(c);
		return;
	}
	c->request = r;
	c->next = d->conns;
	d->conns = c;
}

static struct conn *conn_by_address(struct daemon *d, const char *address)
{
	struct conn *c;

	for (c = d->conns; c; c = c->next)
		if (c->address[0] && !strcmp(c->address, address))
			return c;
	return NULL;
}

int conn_delete(struct daemon *d, const char *address,
		struct ockam_err *err)
{
	struct conn *c = conn_by_address(d, address);
	int ret = 0;

	if (c) {
		if (c->state == CONN_UP) {
			ret = ockam_nl_transport_detach(d->nl, address, err);
			/* Already gone is what we wanted. */
			if (ret == -ENOENT)
				ret = 0;
		}
		log_info("connection %s to %s deleted", c->address, c->peer);
		conn_remove(d, c);
		return ret;
	}
	/* Not one we dial: an accepted or on-demand transport. */
	return ockam_nl_transport_detach(d->nl, address, err);
}

/* ------------------------------------------------------------ on demand */

static void demand_remove(struct daemon *d, struct demand *dm)
{
	slist_remove(&d->demands, dm);
	dial_cancel(d, dm->dial);
	free(dm);
}

/*
 * Tell the kernel, and the log: @why explains @errnum when given. Other
 * nodes can cause any number of these, hence the rate limits.
 */
static void report_dial_failed(struct daemon *d, const char *peer, int errnum,
			       const struct ockam_err *why)
{
	struct ockam_err err;
	int ret;

	log_warn_limited("dial request for %s failed: %s", peer,
			 why ? ockam_err_msg(why) : strerror(errnum));
	ret = ockam_nl_dial_failed(d->nl, peer, errnum, &err);
	/* The kernel's own dial timer may have fired first. */
	if (ret == -ENOENT)
		log_debug("%s", ockam_err_msg(&err));
	else if (ret < 0)
		log_err_limited("%s", ockam_err_msg(&err));
}

static void demand_dial_done(struct daemon *d, void *owner, int fd, int err)
{
	struct demand *dm = owner;
	struct ockam_transport_info info;
	struct ockam_err e;

	dm->dial = NULL;
	if (fd < 0) {
		report_dial_failed(d, dm->peer, err, NULL);
	} else {
		if (kernel_attach(d, fd, NULL, dm->peer,
				  OCKAM_TRANSPORT_F_OUTGOING, &info, &e) < 0)
			report_dial_failed(d, dm->peer, -e.code, &e);
		close(fd);
	}
	demand_remove(d, dm);
}

static void on_dial_request(struct daemon *d, const char *peer)
{
	struct ockam_err err;
	struct demand *dm;
	struct conn *c;

	if (!peer[0]) {
		log_warn_limited("dial request without a peer");
		return;
	}
	/* A persistent connection to that peer that is down: now is the
	 * time to re-dial it; its attach satisfies the request.
	 */
	for (c = d->conns; c; c = c->next) {
		if (strcmp(c->peer, peer))
			continue;
		if (c->state == CONN_WAITING) {
			conn_redial(d, c);
			return;
		}
		if (c->state == CONN_DIALING)
			return;
	}
	for (dm = d->demands; dm; dm = dm->next)
		if (!strcmp(dm->peer, peer))
			return;

	dm = calloc(1, sizeof(*dm));
	if (!dm) {
		report_dial_failed(d, peer, ENOMEM, NULL);
		return;
	}
	snprintf(dm->peer, sizeof(dm->peer), "%s", peer);
	/* The peer string may come from another node: no name lookups. */
	if (dial_start(d, peer, DIAL_NUMERIC_HOST, kernel_dial_timeout_ms(d),
		       demand_dial_done, dm, &dm->dial, &err) < 0) {
		free(dm);
		report_dial_failed(d, peer, -err.code, &err);
		return;
	}
	dm->next = d->demands;
	d->demands = dm;
}

/* --------------------------------------------------------------- events */

static void conn_went_down(struct daemon *d, struct conn *c, uint32_t reason)
{
	if (reason == OCKAM_DOWN_DETACHED || reason == OCKAM_DOWN_NODE_EXIT) {
		log_info("connection %s to %s was %s; not re-dialing",
			 c->address, c->peer,
			 reason == OCKAM_DOWN_DETACHED ? "detached" :
							 "ended with the node");
		conn_remove(d, c);
		return;
	}
	conn_schedule_retry(d, c);
}

void conn_on_event(struct daemon *d, const struct ockam_event *ev)
{
	struct conn *c;

	if (ev->cmd == OCKAM_CMD_DIAL_REQUEST) {
		on_dial_request(d, ev->peer);
		return;
	}
	c = conn_by_address(d, ev->address);
	if (c && c->state == CONN_UP)
		conn_went_down(d, c, ev->reason);
}

void conn_resync(struct daemon *d)
{
	struct ockam_transport_info *list;
	struct ockam_err err;
	struct conn *c, *next;
	size_t count, i;

	if (ockam_nl_transport_list(d->nl, &list, &count, &err) < 0) {
		log_err("%s", ockam_err_msg(&err));
		return;
	}
	for (c = d->conns; c; c = next) {
		bool present = false;

		next = c->next;
		if (c->state != CONN_UP)
			continue;
		for (i = 0; i < count && !present; i++)
			present = !strcmp(list[i].address, c->address);
		if (!present) {
			log_info("connection %s to %s is gone", c->address,
				 c->peer);
			conn_went_down(d, c, OCKAM_DOWN_UNSPEC);
		}
	}
	free(list);
}

void conns_report(struct daemon *d, struct ockam_ctl_writer *w)
{
	struct conn *c;

	for (c = d->conns; c; c = c->next) {
		ockam_ctl_record_begin(w);
		ockam_ctl_field(w, "kind", "connection");
		ockam_ctl_field(w, "address", "%s",
				c->address[0] ? c->address : "-");
		ockam_ctl_field(w, "peer", "%s", c->peer);
		ockam_ctl_field(w, "state", "%s", state_names[c->state]);
		ockam_ctl_field(w, "redials", "%lu", c->redials);
		ockam_ctl_field(w, "reconnects", "%lu", c->reconnects);
		ockam_ctl_field(w, "since", "%lld", (long long)c->since);
		ockam_ctl_record_end(w);
	}
}

void conns_close(struct daemon *d)
{
	while (d->conns)
		conn_remove(d, d->conns);
	while (d->demands)
		demand_remove(d, d->demands);
}
