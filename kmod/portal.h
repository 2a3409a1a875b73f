/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Portal sessions: one end of a TCP connection carried between two nodes
 * as portal messages (wire.h). uapi/linux/ockam.h (PORTALS) has the
 * interface, Documentation/wire-protocol.rst the protocol.
 */
#ifndef _OCKAM_PORTAL_H
#define _OCKAM_PORTAL_H

#include <linux/kref.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "codec.h"
#include "message.h"
#include "node.h"
#include "sockhook.h"

enum ockam_portal_bounds {
	/*
	 * The windows of a node's sessions, together, at most: each session
	 * keeps at most 4 x its window + OCKAM_PORTAL_RX_SLACK of received
	 * data queued (see portal.c), so this bounds what peers can make a
	 * node hold to 1 GiB plus the slack per session. Attaching past it
	 * fails with ENOBUFS.
	 */
	OCKAM_PORTAL_NODE_WINDOWS = 256 << 20,
	OCKAM_PORTAL_RX_SLACK = 64 << 10,
	/*
	 * How long a session that asked with SYNC waits for the answer: the
	 * peer's work answers at once, so one that does not come means the
	 * peer session is gone (its DISCONNECT lost in the outage).
	 */
	OCKAM_PORTAL_SYNC_WAIT_MS = 5000,
	/*
	 * Over UDP one message may overtake another (datagrams sent from
	 * two CPUs, or reordered on the way). A PAYLOAD or END up to this
	 * many numbers ahead waits, within the session's memory bound, for
	 * those before it; a hole not filled in OCKAM_PORTAL_HOLE_MS is a
	 * loss, and a gap.
	 */
	OCKAM_PORTAL_AHEAD_MAX = 256,
	OCKAM_PORTAL_HOLE_MS = 1000,
};

enum ockam_portal_bits {
	/* Set once, by whoever first decides the session must end. */
	OCKAM_PORTAL_ENDING,
	/*
	 * Our channel is back after an outage (ockam_portal_node_refresh()):
	 * send CREDIT again, due or not, and a SYNC that asks for the peer's.
	 */
	OCKAM_PORTAL_REFRESH,
	/* The peer's SYNC asked for ours: CREDIT again, and SYNC. */
	OCKAM_PORTAL_ANSWER,
	/*
	 * Our SYNC asked, and the peer has not answered yet: the timer
	 * ends the session if no answer comes (its session is gone).
	 */
	OCKAM_PORTAL_SYNCING,
	/*
	 * What we sent could not leave: the channel under the session is
	 * recovering. The session ends once the channel is up again, so
	 * that its DISCONNECT reaches the peer, or once it is down or gone.
	 */
	OCKAM_PORTAL_LOST,
};

struct ockam_portal {
	struct ockam_endpoint ep;
	struct ockam_node *node;
	struct socket *sock;
	struct ockam_sock_hooks saved;

	/* Set at attach; constant after. */
	enum ockam_portal_role role;
	u32 flags;
	u32 window;
	u32 timeout_ms;
	u64 cookie;
	u32 owner_portid;
	u8 peer_id[OCKAM_IDENTIFIER_BYTES];
	/* Inlet: the route the PING went along, addresses without count. */
	u8 *ping_route;
	u32 ping_len;
	u32 ping_hops;
	/* Our address, encoded: the return route of what we send. */
	u32 self_len;
	u8 self[OCKAM_ADDR_ENCODED_MAX];

	/*
	 * What the receive path (any context) shares with the work item.
	 * @peer_route is set once (an outlet's at attach, an inlet's by the
	 * PONG) and constant after; @dead says no work may be queued any more.
	 */
	spinlock_t lock;
	enum ockam_portal_state state;
	bool dead;
	u8 *peer_route;
	u32 peer_len;
	u32 peer_hops;
	u32 peer_window;
	/* The peer's last CREDIT; what we sent it, in stream bytes. */
	u64 peer_consumed;
	u64 tx_sent;
	/* Receiving: the next sequence number, stream bytes so far, END. */
	u32 rx_seq;
	u64 rx_received;
	bool rx_ended;
	/* The CREDIT we last sent: the peer may send up to this + window. */
	u64 rx_credited;
	/* Data to write to our socket, and what it costs. */
	struct sk_buff_head rx_queue;
	struct sk_buff *rx_coalesce;
	u32 rx_queued;
	u32 rx_truesize;
	/* Messages that came ahead of their turn, by number; their cost. */
	struct sk_buff_head rx_ahead;
	u32 ahead_truesize;

	/* The work item's alone. */
	struct sk_buff *rx_cur;
	u32 rx_sent;
	u32 tx_seq;
	bool tx_ended;
	bool shut_wr;
	/* Read locklessly by dumps. */
	u64 rx_written;
	struct work_struct work;

	unsigned long bits;
	enum ockam_portal_end_reason reason;
	int err;
	struct delayed_work timeout;
	/* Armed while a message waits for one before it. */
	struct delayed_work hole;
	struct work_struct close_work;
	struct kref refs;
	struct rcu_work free_work;
	/* In the node's table; under the node's lock. */
	bool published;
};

struct ockam_portal_attach {
	int fd;
	const char *address;
	enum ockam_portal_role role;
	const u8 *route;
	u32 route_len;
	const char *identifier;
	u32 flags;
	u32 window;
	u32 timeout_ms;
	u64 cookie;
	/* Outlet: the window in the inlet's PING. */
	u32 peer_window;
	u32 owner_portid;
};

/* Where a message for a session came from: see route.c. */
struct ockam_portal_from {
	/* An address still to go on the return route (transport, channel). */
	const u8 *push;
	u32 push_len;
	const struct ockam_route_view *ret;
	/* The identifier (binary) of the channel it came out of, or NULL. */
	const u8 *peer;
};

static inline struct ockam_portal *ockam_portal_from_ep(struct ockam_endpoint *ep)
{
	return container_of(ep, struct ockam_portal, ep);
}

void ockam_portal_receive(struct ockam_portal *p, struct sk_buff *skb,
			  const struct ockam_msg_view *msg,
			  const struct ockam_portal_from *from);

int ockam_portal_attach(struct ockam_node *node,
			const struct ockam_portal_attach *req,
			struct netlink_ext_ack *extack,
			struct ockam_portal **out);
int ockam_portal_detach(struct ockam_node *node, const u8 *name, u32 len);
void ockam_portal_put(struct ockam_portal *p);
void ockam_portal_owner_gone(struct ockam_node *node, u32 portid);
void ockam_portal_node_refresh(struct ockam_node *node);
void ockam_portal_node_exit(struct ockam_node *node);

#endif /* _OCKAM_PORTAL_H */
