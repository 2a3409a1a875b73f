// SPDX-License-Identifier: GPL-2.0
/*
 * Dial on demand: messages waiting for a connection to a TCP peer.
 *
 * The first message for a peer with no transport creates a pending dial,
 * multicasts OCKAM_CMD_DIAL_REQUEST to the node's daemon and starts a
 * timer. Later messages for that peer join the queue. The dial ends one of
 * three ways: a transport for the peer is attached (the queue is routed
 * again, now finding it), the daemon reports OCKAM_CMD_DIAL_FAILED, or the
 * timer fires; in the last two the messages are dropped and counted and
 * their local senders get the error on their next call, as UDP reports an
 * ICMP error.
 *
 * The transport is in the table before its queue has been routed again:
 * a message for the peer routed meanwhile joins the queue too (the dial is
 * kept, marked draining, until its queue is empty), so nothing a sender
 * sent later overtakes what it parked.
 *
 * What waits is bounded three ways: peers being dialed, messages per peer,
 * and bytes per node (the same budget as one transmit queue). A message
 * that came from another node is charged to no socket, so without the
 * byte budget a peer could park gigabytes here.
 */
#include <linux/slab.h>
#include <linux/timer.h>

#include "dial.h"
#include "netlink.h"
#include "node.h"
#include "route.h"
#include "socket.h"
#include "tcp.h"

/* A parked message remembers whether it came in on a transport. */
struct ockam_dial_cb {
	bool arrived;
};

static struct ockam_dial_cb *ockam_dial_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct ockam_dial_cb) > sizeof(skb->cb));
	return (struct ockam_dial_cb *)skb->cb;
}

struct ockam_dial {
	struct list_head list;
	struct ockam_node *node;
	struct sk_buff_head queue;
	/* True size of @queue, charged to the dialer's budget. */
	u32 bytes;
	/*
	 * Its transport is attached and its queue being routed again, by
	 * ockam_dial_connected(), which owns it: nothing else unlinks it.
	 */
	bool draining;
	/* What the timer tells senders: ETIMEDOUT unless set before. */
	int err;
	struct timer_list timer;
	u8 peer_len;
	u8 peer[OCKAM_ADDR_VALUE_MAX];
};

void ockam_dialer_init(struct ockam_dialer *dialer)
{
	spin_lock_init(&dialer->lock);
	INIT_LIST_HEAD(&dialer->pending);
	dialer->count = 0;
	dialer->bytes = 0;
}

/* Under the dialer's lock: @dial leaves the pending list, and its bytes
 * the budget; whoever unlinks it owns it.
 */
static void ockam_dial_unlink(struct ockam_dialer *dialer,
			      struct ockam_dial *dial)
{
	lockdep_assert_held(&dialer->lock);
	list_del_init(&dial->list);
	dialer->count--;
	dialer->bytes -= dial->bytes;
}

static u32 ockam_dial_budget(const struct ockam_node *node)
{
	return max_t(u32, OCKAM_DIAL_BYTES_MIN,
		     2 * READ_ONCE(node->max_message));
}

static bool ockam_dial_is_for(const struct ockam_dial *dial, const u8 *peer,
			      u32 len)
{
	return dial->peer_len == len && !memcmp(dial->peer, peer, len);
}

/* The dial for @peer still waiting for its connection. */
static struct ockam_dial *ockam_dial_find(struct ockam_dialer *dialer,
					  const u8 *peer, u32 len)
{
	struct ockam_dial *dial;

	lockdep_assert_held(&dialer->lock);
	list_for_each_entry(dial, &dialer->pending, list) {
		if (!dial->draining && ockam_dial_is_for(dial, peer, len))
			return dial;
	}
	return NULL;
}

/*
 * The dial for @peer that a message routed now waits behind, waiting or
 * draining: the newest, whose messages were parked last.
 */
static struct ockam_dial *ockam_dial_last(struct ockam_dialer *dialer,
					  const u8 *peer, u32 len)
{
	struct ockam_dial *dial;

	lockdep_assert_held(&dialer->lock);
	list_for_each_entry_reverse(dial, &dialer->pending, list) {
		if (ockam_dial_is_for(dial, peer, len))
			return dial;
	}
	return NULL;
}

/*
 * Does a message for @peer, which has a transport that came up just now
 * (ockam_tcp_unparking()), wait behind messages parked for it?
 */
bool ockam_dial_pending(struct ockam_node *node, const u8 *peer, u32 len)
{
	struct ockam_dialer *dialer = &node->dialer;
	bool pending;

	spin_lock_bh(&dialer->lock);
	pending = ockam_dial_last(dialer, peer, len);
	spin_unlock_bh(&dialer->lock);
	return pending;
}

/* Unlink the pending dial for @peer, if any; the caller then owns it. */
static struct ockam_dial *ockam_dial_claim(struct ockam_node *node,
					   const u8 *peer, u32 len)
{
	struct ockam_dialer *dialer = &node->dialer;
	struct ockam_dial *dial;

	spin_lock_bh(&dialer->lock);
	dial = ockam_dial_find(dialer, peer, len);
	if (dial)
		ockam_dial_unlink(dialer, dial);
	spin_unlock_bh(&dialer->lock);
	return dial;
}

static void ockam_dial_fail_queue(struct ockam_dial *dial, int err)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&dial->queue))) {
		ockam_stats_inc(dial->node->stats, OCKAM_STAT_DROP_UNREACHABLE);
		ockam_socket_report_error(skb, err);
		kfree_skb(skb);
	}
}

static void ockam_dial_expire(struct timer_list *timer)
{
	struct ockam_dial *dial = from_timer(dial, timer, timer);
	struct ockam_dialer *dialer = &dial->node->dialer;
	bool mine = false;

	spin_lock_bh(&dialer->lock);
	/*
	 * Whoever unlinked it first owns it (and waits for us to finish);
	 * a draining one is ockam_dial_connected()'s.
	 */
	if (!list_empty(&dial->list) && !dial->draining) {
		ockam_dial_unlink(dialer, dial);
		mine = true;
	}
	spin_unlock_bh(&dialer->lock);
	if (!mine)
		return;
	ockam_dial_fail_queue(dial, dial->err ?: ETIMEDOUT);
	kfree(dial);
}

/*
 * The request for @peer's dial never reached a daemon: fail what waits
 * now. From any context, so through the timer, which already owns the
 * freeing in softirq.
 */
static void ockam_dial_abort(struct ockam_node *node, const u8 *peer,
			     u32 len)
{
	struct ockam_dialer *dialer = &node->dialer;
	struct ockam_dial *dial;

	spin_lock_bh(&dialer->lock);
	dial = ockam_dial_find(dialer, peer, len);
	if (dial) {
		dial->err = EHOSTUNREACH;
		mod_timer(&dial->timer, jiffies);
	}
	spin_unlock_bh(&dialer->lock);
}

/*
 * Under the dialer's lock: a pending dial for @peer. The request to the
 * daemon is the caller's to send, once the lock is dropped (a netlink
 * multicast allocates and takes locks of its own).
 */
static struct ockam_dial *ockam_dial_start(struct ockam_node *node,
					   const u8 *peer, u32 len, int *err)
{
	struct ockam_dialer *dialer = &node->dialer;
	struct ockam_dial *dial;

	lockdep_assert_held(&dialer->lock);
	if (dialer->count >= OCKAM_DIAL_PENDING_MAX) {
		*err = -ENOBUFS;
		return NULL;
	}
	/* Nobody to dial for us: fail now rather than at the timeout. */
	if (!ockam_netlink_dial_wanted(node)) {
		*err = -EHOSTUNREACH;
		return NULL;
	}
	dial = kzalloc(sizeof(*dial), GFP_ATOMIC);
	if (!dial) {
		*err = -ENOMEM;
		return NULL;
	}
	dial->node = node;
	skb_queue_head_init(&dial->queue);
	timer_setup(&dial->timer, ockam_dial_expire, 0);
	memcpy(dial->peer, peer, len);
	dial->peer_len = len;

	ockam_stats_inc(node->stats, OCKAM_STAT_DIALS);
	list_add_tail(&dial->list, &dialer->pending);
	dialer->count++;
	mod_timer(&dial->timer, jiffies +
		  msecs_to_jiffies(READ_ONCE(node->dial_timeout_ms)));
	return dial;
}

/*
 * Park @skb until @peer is connected, or when @join (@peer has a
 * transport) behind what was parked for it. Takes @skb on success.
 * Returns -EAGAIN when a transport for @peer appeared meanwhile, or when
 * @join and nothing waits for it any more: route again.
 */
int ockam_dial_enqueue(struct ockam_node *node, const u8 *peer, u32 len,
		       struct sk_buff *skb, bool arrived, bool join)
{
	struct ockam_dialer *dialer = &node->dialer;
	struct ockam_dial *dial;
	bool started = false;
	int err = 0;

	spin_lock_bh(&dialer->lock);
	if (join) {
		dial = ockam_dial_last(dialer, peer, len);
		if (!dial) {
			err = -EAGAIN;
			goto out;
		}
	} else {
		/*
		 * ockam_dial_connected() runs after the transport is in the
		 * table, under this lock: check again here so no message is
		 * stranded.
		 */
		if (ockam_tcp_lookup_peer(node, peer, len)) {
			err = -EAGAIN;
			goto out;
		}
		dial = ockam_dial_find(dialer, peer, len);
	}
	if (dialer->bytes + skb->truesize > ockam_dial_budget(node)) {
		err = -ENOBUFS;
		goto out;
	}
	if (!dial) {
		dial = ockam_dial_start(node, peer, len, &err);
		if (!dial)
			goto out;
		started = true;
	}
	if (skb_queue_len(&dial->queue) >= OCKAM_DIAL_QUEUE_MAX) {
		err = -ENOBUFS;
		goto out;
	}
	ockam_dial_cb(skb)->arrived = arrived;
	__skb_queue_tail(&dial->queue, skb);
	dial->bytes += skb->truesize;
	dialer->bytes += skb->truesize;
out:
	spin_unlock_bh(&dialer->lock);
	/*
	 * The daemon left, or the request could not be made, since the
	 * check: what waits fails now (its senders are told), not at the
	 * timeout.
	 */
	if (started && ockam_netlink_dial_request(node, peer, len))
		ockam_dial_abort(node, peer, len);
	return err;
}

/*
 * The next message of a draining dial, in the order they were parked or
 * joined; when none is left, the dial leaves the list and the caller
 * frees it.
 */
static struct sk_buff *ockam_dial_next(struct ockam_dialer *dialer,
				       struct ockam_dial *dial)
{
	struct sk_buff *skb;

	spin_lock_bh(&dialer->lock);
	skb = __skb_dequeue(&dial->queue);
	if (skb) {
		dial->bytes -= skb->truesize;
		dialer->bytes -= skb->truesize;
	} else {
		ockam_dial_unlink(dialer, dial);
	}
	spin_unlock_bh(&dialer->lock);
	return skb;
}

/*
 * A transport for @peer is up (it is in the table already): send what
 * waited for it, and what joins it meanwhile, in order.
 */
void ockam_dial_connected(struct ockam_node *node, const u8 *peer, u32 len)
{
	struct ockam_dialer *dialer = &node->dialer;
	struct ockam_dial *dial;
	struct sk_buff *skb;

	spin_lock_bh(&dialer->lock);
	dial = ockam_dial_find(dialer, peer, len);
	if (dial)
		dial->draining = true;
	spin_unlock_bh(&dialer->lock);
	if (!dial)
		return;
	del_timer_sync(&dial->timer);
	while ((skb = ockam_dial_next(dialer, dial)))
		ockam_route_skb(node, skb, NULL, OCKAM_ROUTE_F_DEFERRED |
				OCKAM_ROUTE_F_UNPARKED |
				(ockam_dial_cb(skb)->arrived ?
				 OCKAM_ROUTE_F_ARRIVED : 0));
	kfree(dial);
}

int ockam_dial_failed(struct ockam_node *node, const u8 *peer, u32 len,
		      int err)
{
	struct ockam_dial *dial = ockam_dial_claim(node, peer, len);

	if (!dial)
		return -ENOENT;
	del_timer_sync(&dial->timer);
	ockam_dial_fail_queue(dial, err);
	kfree(dial);
	return 0;
}

void ockam_dialer_flush(struct ockam_node *node)
{
	struct ockam_dialer *dialer = &node->dialer;
	struct ockam_dial *dial;

	for (;;) {
		spin_lock_bh(&dialer->lock);
		/*
		 * A draining one belongs to an attach, whose netlink socket
		 * holds the namespace: none is left by the time it goes.
		 */
		list_for_each_entry(dial, &dialer->pending, list) {
			if (!dial->draining)
				break;
		}
		if (list_entry_is_head(dial, &dialer->pending, list))
			dial = NULL;
		else
			ockam_dial_unlink(dialer, dial);
		spin_unlock_bh(&dialer->lock);
		if (!dial)
			return;
		del_timer_sync(&dial->timer);
		ockam_dial_fail_queue(dial, ENETDOWN);
		kfree(dial);
	}
}
