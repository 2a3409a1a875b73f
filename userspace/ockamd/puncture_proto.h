/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The UDP puncture messages (Documentation/wire-protocol.rst, "UDP
 * puncture"): what a rendezvous service answers, and what two nodes say to
 * each other to punch a UDP path through their NATs. Each is
 *
 *   u8 version (1), u8 type, u8 id[16], then by type:
 *     QUERY, HEARTBEAT                nothing
 *     ADDRESS, REQUEST, ACCEPT        u8 length, "ip:port" (an IP literal)
 *     REFUSE                          u8 reason
 *
 * and nothing after. The id is the query's nonce (QUERY, ADDRESS, and a
 * rendezvous' REFUSE) or the puncture's token (the others).
 */
#ifndef OCKAMD_PUNCTURE_PROTO_H
#define OCKAMD_PUNCTURE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <ockam/ockam.h>

/* The negotiation service every node with a rendezvous route runs, and
 * the rendezvous service every node runs.
 */
#define PUNCTURE_SERVICE "udp"
#define RENDEZVOUS_SERVICE "rendezvous"

enum puncture_msg_type {
	PUNCTURE_MSG_QUERY = 1,		/* to a rendezvous: my address? */
	PUNCTURE_MSG_ADDRESS = 2,	/* from it: the address it saw */
	PUNCTURE_MSG_REQUEST = 3,	/* initiator: punch; here I am */
	PUNCTURE_MSG_ACCEPT = 4,	/* responder: punching; here I am */
	PUNCTURE_MSG_REFUSE = 5,	/* either: no */
	PUNCTURE_MSG_HEARTBEAT = 6,	/* over the path itself */
};

enum puncture_refusal {
	PUNCTURE_REFUSE_NOT_UDP = 1,	/* the query came over no UDP hop */
	PUNCTURE_REFUSE_DISABLED = 2,	/* the node has no rendezvous */
	PUNCTURE_REFUSE_BUSY = 3,	/* too many punctures at once */
	PUNCTURE_REFUSE_RENDEZVOUS = 4,	/* its rendezvous did not answer */
	PUNCTURE_REFUSE_PLAINTEXT = 5,	/* a request from no channel */
};

enum puncture_proto_limits {
	PUNCTURE_VERSION = 1,
	PUNCTURE_ID_LEN = 16,
	PUNCTURE_HEADER_LEN = 2 + PUNCTURE_ID_LEN,
	/* "[v6 literal]:65535" */
	PUNCTURE_ADDR_MAX = 47 + 2 + 6,
	PUNCTURE_MSG_MAX = PUNCTURE_HEADER_LEN + 1 + PUNCTURE_ADDR_MAX,
};

struct puncture_msg {
	uint8_t type;
	uint8_t id[PUNCTURE_ID_LEN];
	uint8_t reason;				/* REFUSE */
	char addr[PUNCTURE_ADDR_MAX + 1];	/* ADDRESS, REQUEST, ACCEPT */
};

/* @m into @buf (PUNCTURE_MSG_MAX bytes): the length, or -EINVAL. */
ssize_t puncture_msg_encode(const struct puncture_msg *m, uint8_t *buf,
			    size_t size);
/*
 * @len bytes into @m: 0, or -EINVAL (unknown version or type, short or
 * trailing bytes, an address that is not a numeric "ip:port").
 */
int puncture_msg_decode(const uint8_t *buf, size_t len,
			struct puncture_msg *m);

/* Is @text a numeric "a.b.c.d:port" or "[v6]:port" with a port > 0? */
bool puncture_addr_ok(const char *text);

/* A refusal's reason as words, for messages. */
const char *puncture_refusal_text(uint8_t reason);

#endif /* OCKAMD_PUNCTURE_PROTO_H */
