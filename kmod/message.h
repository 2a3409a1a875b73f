/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Routing messages in socket buffers.
 *
 * Inside the module a message is an skb whose data is exactly one encoded
 * TransportMessage: version, onward route, return route, payload. The
 * header (everything before the payload) is kept linear so the codec can
 * read it in place; the payload stays wherever it already is (page
 * fragments, a strparser frag list), so forwarding never copies it. A hop
 * rewrites only the header: it pulls the old one and pushes the new one
 * into the headroom.
 */
#ifndef _OCKAM_MESSAGE_H
#define _OCKAM_MESSAGE_H

#include <linux/skbuff.h>
#include <net/sock.h>

#include "codec.h"

enum ockam_message_limits {
	/* Header bytes a rewrite builds on the stack before falling back to
	 * the heap.
	 */
	OCKAM_HEADER_STACK = 192,
	/* Header bytes to make linear before the first decode attempt. */
	OCKAM_HEADER_PULL = 256,
	/* Payload bytes a send keeps in the linear area; larger payloads go
	 * to page fragments, which TCP can send without copying.
	 */
	OCKAM_LINEAR_PAYLOAD_MAX = 1024,
	/* Paged bytes one skb holds; longer messages chain more skbs on the
	 * frag list.
	 */
	OCKAM_SKB_PAGED_MAX = MAX_SKB_FRAGS << PAGE_SHIFT,
	/* Room every local message keeps so a secure channel can seal it
	 * where it is: the frame's counter and type and a short route to
	 * the peer in front, the tag behind.
	 */
	OCKAM_SEAL_HEADROOM = 128,
	OCKAM_SEAL_TAILROOM = 16,
	/* Data the module allocates itself stays linear up to this size
	 * (a slab object rather than a whole page per message).
	 */
	OCKAM_ATOMIC_LINEAR_MAX = 3072,
	/* An identifier without its "I", in binary. */
	OCKAM_IDENTIFIER_BYTES = (OCKAM_IDENTIFIER_LEN - 1) / 2,
};

/*
 * What recvmsg() needs, recorded when a message is queued to a socket.
 * Offsets fit 16 bits because a header is at most OCKAM_HEADER_MAX bytes;
 * that leaves room for the peer identifier of a secure channel, which is
 * kept in binary (OCKAM_CMSG_IDENTITY spells it out).
 */
struct ockam_rx_cb {
	u16 header_len;
	/* The encoded return route, count included. */
	u16 ret_off;
	u16 ret_len;
	/* The onward route after the receiving socket's own address. */
	u16 onward_off;
	u16 onward_len;
	u8 onward_hops;
	/* @peer holds the identifier of the channel the message came
	 * through.
	 */
	u8 has_peer;
	u8 peer[OCKAM_IDENTIFIER_BYTES];
};

static inline struct ockam_rx_cb *ockam_rx_cb(struct sk_buff *skb)
{
	sock_skb_cb_check_size(sizeof(struct ockam_rx_cb));
	return (struct ockam_rx_cb *)skb->cb;
}

int ockam_msg_trim_head(struct sk_buff *skb, u32 len);
int ockam_msg_pull(struct sk_buff *skb, struct ockam_msg_view *msg);
int ockam_msg_rewrite(struct sk_buff *skb, struct ockam_msg_view *msg,
		      const struct ockam_route_parts *onward,
		      const struct ockam_route_parts *ret);
struct sk_buff *ockam_msg_alloc(struct sock *sk, u32 header_len,
				size_t payload_len, bool noblock, int *err);
struct sk_buff *ockam_msg_alloc_gfp(u32 headroom, size_t len, gfp_t gfp,
				    int *err);

/* For the receive path and others that may not sleep. */
static inline struct sk_buff *ockam_msg_alloc_atomic(u32 headroom,
						     size_t len, int *err)
{
	return ockam_msg_alloc_gfp(headroom, len, GFP_ATOMIC, err);
}

int ockam_msg_copy(struct sk_buff *to, u32 to_off, struct sk_buff *from,
		   u32 from_off, u32 len);
void ockam_msg_record_rx(struct sk_buff *skb, const struct ockam_msg_view *msg,
			 const u8 *peer);
bool ockam_msg_private(struct sk_buff *skb);

#endif /* _OCKAM_MESSAGE_H */
