/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Portal messages (kmod/wire.h, Documentation/wire-protocol.rst): the
 * payload of a routed message between two portal sessions. Portable like
 * codec.h: built unchanged into the kernel module and into libockam, so
 * the parser that faces the network is the one the unit tests and the
 * fuzzer exercise. Fixed-width types, no allocation.
 */
#ifndef _OCKAM_PORTAL_MSG_H
#define _OCKAM_PORTAL_MSG_H

#include "codec.h"

/* A decoded portal message; which fields hold depends on @type. */
struct ockam_portal_msg {
	enum ockam_portal_msg_type type;
	u32 window;		/* PING, PONG */
	u32 seq;		/* PAYLOAD, END, SYNC */
	u8 flags;		/* SYNC: enum ockam_portal_sync_flags */
	u64 consumed;		/* CREDIT */
	/* PAYLOAD: the stream bytes, @data_len from @data_off. */
	u32 data_off;
	u32 data_len;
};

int ockam_portal_msg_decode(const u8 *buf, u32 avail, u32 total,
			    struct ockam_portal_msg *msg);
u32 ockam_portal_msg_header_len(enum ockam_portal_msg_type type);
u32 ockam_portal_msg_encode(u8 *buf, const struct ockam_portal_msg *msg);

#endif /* _OCKAM_PORTAL_MSG_H */
