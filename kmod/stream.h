/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writing skbs into a locked TCP socket: page fragments go by reference
 * (TCP takes a reference to the page rather than a copy), the linear part
 * and slab-backed fragments are copied. Every write is MSG_DONTWAIT; a
 * short write stops with -EAGAIN and the cursor says where to resume.
 */
#ifndef _OCKAM_STREAM_H
#define _OCKAM_STREAM_H

#include <linux/skbuff.h>
#include <net/sock.h>

/* How far a transmit has got through one skb. */
struct ockam_tx_cursor {
	u32 offset;	/* from the start of the skb */
	u32 len;	/* bytes still to send */
	u32 done;	/* bytes sent */
	bool more;	/* data follows the skb: keep MSG_MORE to the end */
};

int ockam_stream_send_kvec(struct sock *sk, void *data, size_t len, int flags);
/* @n buffers of @len bytes in all, in one write. */
int ockam_stream_send_kvecs(struct sock *sk, struct kvec *kv, size_t n,
			    size_t len, int flags);
int ockam_stream_send_range(struct sock *sk, struct sk_buff *skb,
			    struct ockam_tx_cursor *c);

#endif /* _OCKAM_STREAM_H */
