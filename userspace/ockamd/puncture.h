/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * UDP hole punching (Documentation/architecture.rst, "NAT traversal"):
 * two nodes behind NATs learn their public UDP addresses from a
 * rendezvous service, tell each other through a secure channel they
 * already share (over a relay), and both send heartbeats to the other's
 * address until one gets through; heartbeats then keep the NATs' mappings
 * open, and the path is dropped when they stop.
 *
 *  puncture_proto.c  the messages
 *  rendezvous.c      the rendezvous service every node runs
 *  puncture.c        the negotiation service "udp", both roles
 *  udp_channel.c     secure-channel create --udp: a channel over the path
 * The inlet (inlet.c) uses punctures for tcp-inlet create --udp.
 */
#ifndef OCKAMD_PUNCTURE_H
#define OCKAMD_PUNCTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "puncture_proto.h"
#include "secure.h"

enum puncture_timing {
	/* Heartbeats, and the rendezvous query's and the request's
	 * retransmissions.
	 */
	PUNCTURE_HEARTBEAT_MS = 1000,
	/* From the request to the first heartbeat heard: else it failed. */
	PUNCTURE_OPEN_TIMEOUT_MS = 10000,
	/* An open path with nothing heard for this long is dropped. */
	PUNCTURE_IDLE_MS = 10000,
	/* Punctures under way or open per node, both roles together... */
	PUNCTURES_MAX = 64,
	/* ...and those one peer identity asked this node for. */
	PUNCTURES_PER_PEER = 16,
};

struct puncture;

/*
 * The outcome of a puncture this node asked for: @peer ("ip:port", where
 * the other node's heartbeats come from) when the path opened; NULL and
 * @why when it failed or, once open, closed. The puncture is freed after
 * a NULL call.
 */
typedef void (*puncture_fn)(struct daemon *d, void *owner, const char *peer,
			    const char *why);

struct puncture_request {
	const uint8_t *rendezvous;	/* encoded route to a rendezvous */
	size_t rendezvous_len;
	/* The secure channel to the peer: [encryptor, "udp"] carries the
	 * request, and the answer must come back out of it from
	 * @identifier.
	 */
	const char *encryptor;
	const char *identifier;
};

/* Open the "udp" and "rendezvous" services; @rendezvous ("" or NULL:
 * none) is the route this node uses to answer punctures.
 */
int punctures_open(struct daemon *d, const char *rendezvous,
		   struct ockam_err *err);
void punctures_close(struct daemon *d);
/* The node's rendezvous route, encoded; its length (0: none). */
size_t punctures_rendezvous(struct daemon *d, const uint8_t **route);

int puncture_start(struct daemon *d, const struct puncture_request *req,
		   puncture_fn fn, void *owner, struct puncture **out,
		   struct ockam_err *err);
/* Forget @p, without a callback. */
void puncture_stop(struct daemon *d, struct puncture *p);
/* "querying", "negotiating", "punching", "open". */
const char *puncture_state_name(const struct puncture *p);

/*
 * rendezvous.c: the service, opened and closed with the punctures. And
 * where a message came from over UDP: the first hop of its return route
 * @ret when that is a UDP address, else NULL (a static buffer).
 */
const char *puncture_udp_source(const struct ockam_wire_route *ret);
int rendezvous_open(struct daemon *d, struct ockam_err *err);
void rendezvous_close(struct daemon *d);
void rendezvous_report(struct daemon *d, struct ockam_ctl_writer *w);

/*
 * A route to a rendezvous, checked and completed: it must start with a
 * UDP address (what the rendezvous sees is the mapping of that hop), and
 * gets /service/rendezvous when it ends at a transport address.
 */
int puncture_rendezvous_route(const uint8_t *route, size_t len,
			      struct ockam_wire_route *out,
			      struct ockam_err *err);

/* One "kind=puncture" record per puncture, and the service's counters. */
void punctures_report(struct daemon *d, struct ockam_ctl_writer *w);

/*
 * udp_channel.c: a secure channel over a path punched with the peer at
 * the end of @req->route (a listener reached through a relay): a channel
 * along that route carries the puncture, then the handshake runs again
 * over [the peer's UDP address, the listener], and the first channel is
 * closed. Answers @r with the second channel, or the failure.
 */
void udp_channel_create(struct daemon *d, struct ctl_request *r,
			const struct secure_channel_request *req,
			const uint8_t *rendezvous, size_t rendezvous_len);
/* A CHANNEL_CLOSED event: a channel over a path stops its puncture. */
void udp_channels_on_closed(struct daemon *d, const struct ockam_event *ev);
void udp_channels_close(struct daemon *d);

/*
 * The name of the listener a route to a secure channel listener ends
 * with, into @name (OCKAM_NAME_MAX): the local address of its last hop.
 */
int puncture_listener_name(const uint8_t *route, size_t len, char *name,
			   struct ockam_err *err);
/* [UDP @addr, local @name], encoded, into @out: a path's listener, or
 * the peer's "udp" service for heartbeats.
 */
int puncture_path_route(const char *addr, const char *name,
			struct ockam_wire_route *out, struct ockam_err *err);

#endif /* OCKAMD_PUNCTURE_H */
