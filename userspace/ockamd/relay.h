/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Relays (Documentation/ockamd.rst, "Relays").
 *
 *  forwarding.c     the relay node: the forwarding_service socket, which
 *                   turns registrations into kernel aliases forward_to_NAME
 *  relay.c          the registering node: "relay-create", keeping each
 *                   relay registered (channel, registration, backoff)
 *  relay_proto.c    the registration message
 *  forward_table.c  who holds which relay name, and the limits
 *  channel_route.c  the transport a channel goes out on
 */
#ifndef OCKAMD_RELAY_H
#define OCKAMD_RELAY_H

#include "daemon.h"
#include "relay_proto.h"

enum relay_limits {
	/* Relays one node keeps registered elsewhere. */
	RELAYS_MAX = 64,
	/* How long a registration may wait for its answer. */
	RELAY_REGISTER_TIMEOUT_MS = 5000,
	/* How long its channel's handshake may take. */
	RELAY_CHANNEL_TIMEOUT_MS = 10000,
	/* Pause before registering again after a failure or a drop: the
	 * first, doubling up to the most, each drawn at random between
	 * half and all of it.
	 */
	RELAY_RETRY_MS_MIN = 250,
	RELAY_RETRY_MS_MAX = 8000,
};

/* How a relay node forwards to the node that registered (--relay-forward). */
enum relay_forward_mode {
	/* Inside the channel the registration came through, as Ockam does. */
	RELAY_FORWARD_CHANNEL,
	/* Along the path under that channel: the senders' own channels are
	 * not sealed a second time. The channel still carries registrations.
	 */
	RELAY_FORWARD_DIRECT,
};

/* "channel" or "direct" into @mode; -EINVAL for anything else. */
int relay_forward_mode_parse(const char *text, enum relay_forward_mode *mode);
const char *relay_forward_mode_name(enum relay_forward_mode mode);

/*
 * forwarding.c. Registrations are taken from identities in @authorized
 * ("I..,I..", NULL or "" for any identity that comes through a secure
 * channel); relays forward as @mode says.
 */
int forwarding_open(struct daemon *d, const char *authorized,
		    enum relay_forward_mode mode, struct ockam_err *err);
void forwarding_close(struct daemon *d);
void forwarding_on_event(struct daemon *d, const struct ockam_event *ev);
void forwarding_resync(struct daemon *d);
/* One record per relay served, kind "forward". */
void forwarding_report(struct daemon *d, struct ockam_ctl_writer *w);
/* Drop served relay @name ("NAME" or "forward_to_NAME") and its channel. */
int forwarding_delete(struct daemon *d, const char *name,
		      struct ockam_err *err);
/* The "status" record. */
void forwarding_status(struct daemon *d, struct ockam_ctl_writer *w);

/* relay.c */
struct relay_request {
	const char *name;
	const uint8_t *route;		/* encoded, to the relay node */
	size_t route_len;
	const char *identity;		/* ours */
	const char *authorized;		/* whom we accept as the relay node */
};

/*
 * Register @req->name at the node @req->route reaches, and keep it
 * registered; @r (owned from now on) is answered by the first outcome.
 */
void relay_create(struct daemon *d, const struct relay_request *req,
		  struct ctl_request *r);
/* Stop relay @name; -ENOENT when we hold none by that name. */
int relay_delete(struct daemon *d, const char *name, struct ockam_err *err);
void relays_on_event(struct daemon *d, const struct ockam_event *ev);
void relays_resync(struct daemon *d);
void relays_close(struct daemon *d);
/* One record per relay we hold, kind "relay". */
void relays_report(struct daemon *d, struct ockam_ctl_writer *w);

#endif /* OCKAMD_RELAY_H */
