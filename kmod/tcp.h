/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP transport: a connected TCP socket handed over by userspace, carrying
 * routing messages framed by a u32 big-endian length after one version
 * byte each way.
 */
#ifndef _OCKAM_TCP_H
#define _OCKAM_TCP_H

#include <linux/kref.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/strparser.h>

#include "codec.h"
#include "node.h"
#include "sockhook.h"

enum ockam_tcp_limits {
	/* Length of "host:port" strings we print for a socket. */
	OCKAM_HOSTPORT_MAX = 64,
	/* Bytes queued for sending on one connection, at least. */
	OCKAM_TCP_TXQ_MIN = 4 << 20,
	/* Messages one receive run routes before the rest waits for rx_work. */
	OCKAM_TCP_RX_BUDGET = 256,
};

enum ockam_tcp_state_bits {
	/* Set once, by whoever first decides the transport must go. */
	OCKAM_TCP_CLOSING,
};

struct ockam_tcp {
	struct ockam_endpoint ep;
	struct rhlist_head peer_node;
	struct ockam_node *node;
	struct socket *sock;
	struct strparser strp;
	struct ockam_sock_hooks saved;

	/* Messages to send. The queue lock also guards @tx_bytes, @dead and
	 * @tx_blocked (TCP's send buffer is full; write_space resumes).
	 */
	struct sk_buff_head tx_queue;
	u32 tx_bytes;
	bool dead;
	bool tx_blocked;
	/* Transmit work only. */
	u32 tx_sent;
	bool tx_version_sent;
	struct work_struct tx_work;

	/* Strparser context only. */
	bool rx_version_seen;
	/* Under the socket's lock (its spinlock, or ownership): messages
	 * routed in the current receive run, and whether a run stopped at
	 * the budget and left its strparser paused for @rx_work.
	 */
	u32 rx_run;
	bool rx_yielded;
	struct work_struct rx_work;

	/* Backpressure, under the node's throttle_lock: inbound transports
	 * we paused because our queue passed its high watermark, and what
	 * paused us, if anything: a transport whose queue did, or our node,
	 * whose channels had too many of our frames to open (its
	 * opening_throttled list; crypt_queue.c).
	 */
	struct list_head throttled;
	struct list_head throttle_node;
	const void *throttled_by;

	unsigned long state;
	enum ockam_down_reason down_reason;
	int down_errno;
	struct work_struct close_work;
	struct kref refs;
	struct rcu_work free_work;

	/* In the node's tables; under the node lock. */
	bool published;
	/*
	 * What was parked for the peer may still be routed again, to this
	 * transport (ockam_dial_connected()): a message for the peer checks
	 * whether it waits behind that. True when published, false for
	 * good once ockam_tcp_attach() has sent it all on.
	 */
	bool unparking;
	u32 flags;
	u32 owner_portid;
	u8 peer_len;
	char peer[OCKAM_ADDR_VALUE_MAX + 1];
	char local[OCKAM_HOSTPORT_MAX];
	/* Our address, encoded, as pushed on return routes. */
	u32 push_len;
	u8 push[OCKAM_ADDR_ENCODED_MAX];
	struct ockam_stats __percpu *stats;
};

struct ockam_tcp_attach {
	int fd;
	const char *address;
	const char *peer;
	/* In the node's tables; under the node lock. */
	bool published;
	u32 flags;
	u32 owner_portid;
};

static inline struct ockam_tcp *ockam_tcp_from_ep(struct ockam_endpoint *ep)
{
	return container_of(ep, struct ockam_tcp, ep);
}

struct ockam_tcp *ockam_tcp_lookup_peer(struct ockam_node *node,
					const u8 *peer, u32 len);

/*
 * Has @t, just found by a lookup, possibly not yet sent on what was parked
 * for its peer? Once false, everything parked is in its queue.
 */
static inline bool ockam_tcp_unparking(const struct ockam_tcp *t)
{
	/* Pairs with the release in ockam_tcp_attach(). */
	return smp_load_acquire(&t->unparking);
}

int ockam_tcp_xmit(struct ockam_tcp *t, struct sk_buff *skb,
		   struct ockam_tcp *from, bool committed);
bool ockam_tcp_throttle_opening(struct ockam_tcp *from);
void ockam_tcp_unthrottle_opening(struct ockam_node *node);

int ockam_tcp_attach(struct ockam_node *node,
		     const struct ockam_tcp_attach *req,
		     struct netlink_ext_ack *extack, struct ockam_tcp **out);
int ockam_tcp_detach(struct ockam_node *node, const u8 *name, u32 len);
void ockam_tcp_put(struct ockam_tcp *t);
void ockam_tcp_owner_gone(struct ockam_node *node, u32 portid);
void ockam_tcp_node_resize(struct ockam_node *node);

int ockam_tcp_node_init(struct ockam_node *node);
void ockam_tcp_node_exit(struct ockam_node *node);
void ockam_tcp_node_destroy(struct ockam_node *node);

#endif /* _OCKAM_TCP_H */
