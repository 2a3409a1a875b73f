/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The routing step: what a node does with a message, given the first
 * address of its onward route. Shared by local senders, transports and the
 * dialer.
 */
#ifndef _OCKAM_ROUTE_H
#define _OCKAM_ROUTE_H

#include <linux/skbuff.h>

struct ockam_channel;
struct ockam_node;
struct ockam_tcp;

enum ockam_route_flags {
	/* The sender's send() already returned: report a failure to its
	 * socket as an asynchronous error.
	 */
	OCKAM_ROUTE_F_DEFERRED = 1 << 0,
	/* The message came in on a transport before it was parked: count it
	 * as forwarded when it leaves on one.
	 */
	OCKAM_ROUTE_F_ARRIVED = 1 << 1,
	/* The message came out of a frame opened off the routing step
	 * (crypt_queue.c): a frame inside it is queued, never opened here.
	 */
	OCKAM_ROUTE_F_OPENED = 1 << 2,
	/* The message is a frame sealed off the routing step
	 * (seal_queue.c): a message into a channel from here is queued.
	 */
	OCKAM_ROUTE_F_SEALED = 1 << 3,
	/* The message waited for a dial that is now being sent on
	 * (ockam_dial_connected()): it takes the connection, where a later
	 * one waits behind it.
	 */
	OCKAM_ROUTE_F_UNPARKED = 1 << 4,
};

enum ockam_route_limits {
	/* Local addresses (aliases) one message may pass through on one
	 * node before it is taken for a loop.
	 */
	OCKAM_LOCAL_STEPS_MAX = 16,
};

int ockam_route_skb(struct ockam_node *node, struct sk_buff *skb,
		    struct ockam_tcp *from, unsigned int flags);
int ockam_route_arrived(struct ockam_node *node, struct sk_buff *skb,
			const u8 *push, u32 push_len);
void ockam_route_opened(struct ockam_channel *ch, struct sk_buff *skb);
void ockam_route_sealed(struct ockam_node *node, struct sk_buff *skb,
			bool arrived);
void ockam_route_refused(struct ockam_node *node, struct sk_buff *skb,
			 int err);

#endif /* _OCKAM_ROUTE_H */
