/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dial on demand. A message whose next hop is a TCP address ("host:port")
 * with no connection waits here while the node's daemon dials it; it goes
 * on when a transport for that peer is attached, and fails when the daemon
 * reports the dial failed or the node's dial timeout passes.
 */
#ifndef _OCKAM_DIAL_H
#define _OCKAM_DIAL_H

#include <linux/list.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>

struct ockam_node;

enum ockam_dial_limits {
	/* Peers being dialed at once per node. */
	OCKAM_DIAL_PENDING_MAX = 64,
	/* Messages waiting for one peer. */
	OCKAM_DIAL_QUEUE_MAX = 256,
	/* Bytes (true size) parked in one node, at least; the budget grows
	 * to two messages of the node's max message size, as a transmit
	 * queue's does.
	 */
	OCKAM_DIAL_BYTES_MIN = 4 << 20,
};

struct ockam_dialer {
	/* Guards @pending, @count and @bytes; taken from softirq. */
	spinlock_t lock;
	struct list_head pending;
	u32 count;
	/* True size of every parked message: charged to no socket when it
	 * came from another node, so the node bounds it.
	 */
	u32 bytes;
};

void ockam_dialer_init(struct ockam_dialer *dialer);
int ockam_dial_enqueue(struct ockam_node *node, const u8 *peer, u32 len,
		       struct sk_buff *skb, bool arrived, bool join);
bool ockam_dial_pending(struct ockam_node *node, const u8 *peer, u32 len);
void ockam_dial_connected(struct ockam_node *node, const u8 *peer, u32 len);
int ockam_dial_failed(struct ockam_node *node, const u8 *peer, u32 len,
		      int err);
void ockam_dialer_flush(struct ockam_node *node);

#endif /* _OCKAM_DIAL_H */
