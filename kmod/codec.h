/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Ockam routing message codec.
 *
 * This file and codec.c are built unchanged into the kernel module and into
 * libockam, so the parser that faces the network is the one userspace
 * unit tests and fuzzers exercise. They use nothing but fixed-width types,
 * memcpy() and errno values, and never allocate.
 *
 * Encoding (Documentation/wire-protocol.rst):
 *
 *   message = u8 version, route onward, route return, bytes payload
 *   route   = uleb128 count, address{count}
 *   address = u8 type, bytes value
 *   bytes   = uleb128 length, u8{length}
 *
 * On TCP, after one version byte each way, every message is a frame:
 *
 *   frame   = u32be length, message (length bytes, 1 to max_message)
 */
#ifndef _OCKAM_CODEC_H
#define _OCKAM_CODEC_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <linux/types.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
#endif

#include "../uapi/linux/ockam.h"
#include "wire.h"

enum ockam_codec_limits {
	/* A u32 needs at most 5 ULEB128 groups. */
	OCKAM_ULEB_MAX = 5,
	/* Bytes an encoded address takes at most: type, length, value. */
	OCKAM_ADDR_ENCODED_MAX = 1 + 2 + OCKAM_ADDR_VALUE_MAX,
	/* Bytes a message header (everything before the payload) takes at
	 * most: version, two full routes, payload length.
	 */
	OCKAM_HEADER_MAX = 1 + 2 * OCKAM_ROUTE_BYTES_MAX + OCKAM_ULEB_MAX,
	/* The u32 big-endian length that frames a message on TCP. */
	OCKAM_TCP_FRAME_LEN = 4,
};

/* One address inside an encoded route; @value points into the buffer. */
struct ockam_addr_view {
	u8 type;
	u8 len;
	const u8 *value;
	u32 encoded_len;
};

/* An encoded route without its count: @hops addresses in @len bytes. */
struct ockam_route_view {
	const u8 *addrs;
	u32 len;
	u32 hops;
};

/* A parsed message. The payload is the last @payload_len bytes, starting
 * @header_len bytes into the message.
 */
struct ockam_msg_view {
	struct ockam_route_view onward;
	struct ockam_route_view ret;
	u32 header_len;
	u32 payload_len;
};

/*
 * A route to encode, as two runs of already-encoded addresses: @head first,
 * then @tail. Hop processing never re-encodes an address: popping is a tail
 * that starts one address later, pushing is a one-address head.
 */
struct ockam_route_parts {
	const u8 *head;
	u32 head_len;
	u32 head_hops;
	const u8 *tail;
	u32 tail_len;
	u32 tail_hops;
};

int ockam_uleb_decode(const u8 *buf, u32 avail, u32 *value);
u32 ockam_uleb_len(u32 value);
u32 ockam_uleb_encode(u8 *buf, u32 value);

int ockam_addr_decode(const u8 *buf, u32 avail, struct ockam_addr_view *addr);
u32 ockam_addr_encoded_len(u32 value_len);
u32 ockam_addr_encode(u8 *buf, u8 type, const u8 *value, u32 value_len);

int ockam_route_decode(const u8 *buf, u32 avail, struct ockam_route_view *rt);
int ockam_route_first(const struct ockam_route_view *rt,
		      struct ockam_addr_view *addr);
void ockam_route_skip(struct ockam_route_view *rt,
		      const struct ockam_addr_view *first);
u32 ockam_route_parts_len(const struct ockam_route_parts *parts);
u32 ockam_route_parts_encode(u8 *buf, const struct ockam_route_parts *parts);
void ockam_route_parts_from_view(struct ockam_route_parts *parts,
				 const struct ockam_route_view *rt);

int ockam_msg_decode(const u8 *buf, u32 avail, u32 total,
		     struct ockam_msg_view *msg);
u32 ockam_header_len(const struct ockam_route_parts *onward,
		     const struct ockam_route_parts *ret, u32 payload_len);
u32 ockam_header_encode(u8 *buf, const struct ockam_route_parts *onward,
			const struct ockam_route_parts *ret, u32 payload_len);

bool ockam_local_name_valid(const u8 *name, u32 len);

/* A UDP datagram's header (wire.h), decoded. */
struct ockam_udp_header {
	u32 message;
	u32 offset;
	u32 length;
	/* Bytes of the message in this datagram. */
	u32 fragment_len;
};

int ockam_udp_header_decode(const u8 *buf, u32 datagram_len, u32 max_message,
			    struct ockam_udp_header *hdr);
void ockam_udp_header_encode(u8 buf[OCKAM_UDP_HEADER_LEN], u32 message,
			     u32 offset, u32 length);

int ockam_tcp_msg_len(const u8 prefix[OCKAM_TCP_FRAME_LEN], u32 max_message,
		      u32 *len);

#endif /* _OCKAM_CODEC_H */
