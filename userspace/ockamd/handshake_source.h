/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Where a handshake's message 1 comes from, as far as a listener can
 * tell: from its return route, the route message 2 goes back along. A
 * listener bounds its pending handshakes per source as well as in all
 * (secure_listener.c), so that one peer sending message 1 after message
 * 1 cannot keep the listener busy for everyone. This part needs no
 * sockets or keys, so it is unit tested on its own.
 *
 * A return route reads, first hop first,
 *
 *   [hop, ..., initiator's handshake socket]
 *
 * Two keys are taken from it:
 *
 *   hop     The first address: the transport connection (or the secure
 *           channel's encryptor) message 1 arrived through, which this
 *           node's kernel pushed. A remote peer cannot forge it.
 *   source  Every address but the last: the path to the initiator's
 *           node. The last one, the initiator's handshake socket, has a
 *           fresh random name for every handshake, so it is left out.
 *
 * Everything after the first hop was written by whoever sent message 1:
 * a peer can put a different made-up address in each message 1 and so
 * look like any number of sources. The source bound therefore keeps an
 * honest but eager node to its share, and the hop bound is what holds
 * against a forger: however its routes read, it has the connections it
 * has.
 *
 * An initiator on this node sends from its own socket: the route is that
 * socket's address alone, the source is empty, and every initiator on
 * the node shares it.
 */
#ifndef OCKAMD_HANDSHAKE_SOURCE_H
#define OCKAMD_HANDSHAKE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hs_source_limits {
	/* Pending handshakes per listener whose message 1 came through
	 * one first hop: a connection, or a channel's encryptor.
	 */
	SECURE_PENDING_PER_HOP = 16,
	/* Pending handshakes per listener from one source. */
	SECURE_PENDING_PER_SOURCE = 4,
};

/* The two keys, as runs of an encoded return route's address bytes. */
struct hs_source {
	const uint8_t *addrs;	/* the first address, after the count */
	size_t hop_len;		/* bytes of the first address */
	size_t source_len;	/* bytes of every address but the last */
	unsigned int hops;	/* addresses in the whole route */
};

/*
 * The keys of the encoded route @route of @len bytes into @src, which
 * points into @route: 0, or -EINVAL when @route does not decode. The
 * keys of an empty route are empty.
 */
int hs_source_from_route(struct hs_source *src, const uint8_t *route,
			 size_t len);

bool hs_source_same_hop(const struct hs_source *a, const struct hs_source *b);
bool hs_source_same_source(const struct hs_source *a,
			   const struct hs_source *b);

/* How many pending handshakes share a new one's keys. */
struct hs_source_tally {
	unsigned int hop;
	unsigned int source;
};

/* Count pending handshake @pending towards new handshake @src. */
void hs_source_tally_add(struct hs_source_tally *t,
			 const struct hs_source *src,
			 const struct hs_source *pending);

enum hs_source_verdict {
	HS_SOURCE_ADMIT,
	HS_SOURCE_FULL,		/* SECURE_PENDING_PER_SOURCE reached */
	HS_SOURCE_HOP_FULL,	/* SECURE_PENDING_PER_HOP reached */
};

/*
 * Whether one more handshake fits beside those counted in @t. A source
 * at its bound is named first: it is the narrower cause.
 */
enum hs_source_verdict hs_source_check(const struct hs_source_tally *t);

enum { HS_SOURCE_HOP_TEXT_MAX = 4 + 255 + 1 };

/*
 * The first hop of @src for a log line: "TYPE#VALUE", bytes of the value
 * outside 0x21..0x7e as '?', or "-" for an empty route.
 */
void hs_source_hop_text(const struct hs_source *src,
			char buf[HS_SOURCE_HOP_TEXT_MAX]);

#endif /* OCKAMD_HANDSHAKE_SOURCE_H */
