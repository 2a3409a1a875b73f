// SPDX-License-Identifier: GPL-2.0
/*
 * The routing step, after Ockam's rules:
 *
 *  - the first address of the onward route names the next worker;
 *  - a worker that passes a message on pops its own address;
 *  - an alias puts its stored route in place of its own address;
 *  - a transport that receives a message pushes its own address onto the
 *    return route, so a reply retraces the path.
 *
 * Every step only rewrites the header; the payload stays where it is.
 */
#include "alias.h"
#include "channel.h"
#include "dial.h"
#include "message.h"
#include "node.h"
#include "portal.h"
#include "route.h"
#include "socket.h"
#include "tcp.h"
#include "udp.h"

enum {
	/* The header changed; look at the new first address. */
	OCKAM_ROUTE_AGAIN = 1,
};

struct ockam_hop {
	struct ockam_node *node;
	struct sk_buff *skb;
	struct ockam_msg_view msg;
	/* The transport the message arrived on, or NULL for a local one. */
	struct ockam_tcp *from;
	/* An encoded address still to be pushed on the return route: the
	 * transport's or a channel's encryptor's, or NULL.
	 */
	const u8 *push;
	u32 push_len;
	/* Where a channel's encryptor address is encoded to be pushed. */
	u8 channel_self[OCKAM_CHANNEL_SELF_LEN];
	/* The identifier (binary) of the channel the message came out of. */
	const u8 *peer;
	/*
	 * Leading onward addresses this node put there itself (an alias's
	 * route, a channel's route to its peer): this node was told to go
	 * there, whoever sent the message.
	 */
	u32 own_hops;
	unsigned int flags;
	/*
	 * The channel whose frame this is, sealed here and not sent on yet:
	 * its later frames wait until the steps end (ockam_route_steps()).
	 */
	struct ockam_channel *sealed_here;
};

/* Did the message come from another node (directly or parked)? */
static bool ockam_hop_forwarded(const struct ockam_hop *hop)
{
	return hop->from || (hop->flags & OCKAM_ROUTE_F_ARRIVED);
}

static int ockam_hop_drop(struct ockam_hop *hop, enum ockam_stat why, int err)
{
	ockam_stats_inc(hop->node->stats, why);
	if (hop->flags & OCKAM_ROUTE_F_DEFERRED)
		ockam_socket_report_error(hop->skb, -err);
	kfree_skb(hop->skb);
	return err;
}

/*
 * Rewrite the header: when @pop, the first onward address goes and
 * @head (an alias's addresses, or nothing) takes its place; a pending push
 * goes on the return route.
 */
static int ockam_hop_rewrite(struct ockam_hop *hop, bool pop, const u8 *head,
			     u32 head_len, u32 head_hops)
{
	struct ockam_route_parts onward, ret;
	struct ockam_addr_view first;

	ockam_route_parts_from_view(&onward, &hop->msg.onward);
	if (pop && ockam_route_first(&hop->msg.onward, &first) > 0) {
		onward.tail += first.encoded_len;
		onward.tail_len -= first.encoded_len;
		onward.tail_hops--;
	}
	onward.head = head;
	onward.head_len = head_len;
	onward.head_hops = head_hops;

	ockam_route_parts_from_view(&ret, &hop->msg.ret);
	if (hop->push) {
		ret.head = hop->push;
		ret.head_len = hop->push_len;
		ret.head_hops = 1;
		hop->push = NULL;
	}
	return ockam_msg_rewrite(hop->skb, &hop->msg, &onward, &ret);
}

/* Drop for an error from a rewrite, a transport queue or the dialer. */
static int ockam_hop_fail(struct ockam_hop *hop, int err)
{
	switch (err) {
	case -ELOOP:
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_HOP_LIMIT, err);
	case -ECONNRESET:
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_TRANSPORT_DOWN, err);
	case -EHOSTUNREACH:
	case -ETIMEDOUT:
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_UNREACHABLE, err);
	default:
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_BUFFER_FULL, err);
	}
}

static int ockam_route_to_transport(struct ockam_hop *hop, struct ockam_tcp *t)
{
	int err = ockam_hop_rewrite(hop, true, NULL, 0, 0);
	bool committed;

	if (err)
		return ockam_hop_fail(hop, err);
	/* A local sender's frame, sealed after its send() returned. */
	committed = (hop->flags & OCKAM_ROUTE_F_SEALED) &&
		    !ockam_hop_forwarded(hop);
	err = ockam_tcp_xmit(t, hop->skb, hop->from, committed);
	if (err)
		return ockam_hop_fail(hop, err);
	if (ockam_hop_forwarded(hop))
		ockam_stats_inc(hop->node->stats, OCKAM_STAT_FORWARDED);
	return 0;
}

static int ockam_route_to_socket(struct ockam_hop *hop,
				 struct ockam_endpoint *ep)
{
	int err;

	if (hop->push) {
		err = ockam_hop_rewrite(hop, false, NULL, 0, 0);
		if (err)
			return ockam_hop_fail(hop, err);
	}
	ockam_socket_deliver(hop->node, ep, hop->skb, &hop->msg, hop->peer);
	return 0;
}

/*
 * Into a channel: the encryptor's address goes (with any pending push
 * applied, so the peer can answer), and the rest of the message becomes a
 * data frame that starts over along the channel's route.
 */
static int ockam_route_encrypt(struct ockam_hop *hop, struct ockam_channel *ch)
{
	unsigned int flags = 0;
	int err = ockam_hop_rewrite(hop, true, NULL, 0, 0);

	if (err)
		return ockam_hop_fail(hop, err);
	if (ockam_hop_forwarded(hop))
		flags |= OCKAM_ENCRYPT_F_ARRIVED;
	if (hop->flags & (OCKAM_ROUTE_F_OPENED | OCKAM_ROUTE_F_SEALED))
		flags |= OCKAM_ENCRYPT_F_NESTED;
	if (hop->sealed_here)
		flags |= OCKAM_ENCRYPT_F_BEHIND;
	err = ockam_channel_encrypt(ch, &hop->skb, &hop->msg, flags);
	switch (err) {
	case OCKAM_CHANNEL_QUEUED:
		/* It leaves in its turn: ockam_route_sealed(). */
		return 0;
	case 0:
		hop->sealed_here = ch;
		hop->peer = NULL;
		/* The frame's onward route is the channel's, all of it. */
		hop->own_hops = hop->msg.onward.hops;
		return OCKAM_ROUTE_AGAIN;
	case -ENETDOWN:
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_CHANNEL_DOWN, err);
	case -EHOSTUNREACH:
		/* The channel is going: as if it were gone already. */
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_UNKNOWN_ADDRESS,
				      err);
	case -EKEYEXPIRED:
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_KEY_EXPIRED, err);
	case -EMSGSIZE:
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_TOO_BIG, err);
	case -ENOMEM:
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_BUFFER_FULL, err);
	default:
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_BUFFER_FULL, -ENOBUFS);
	}
}

/*
 * The inner message of a frame @ch opened carries on from here, with the
 * local encryptor to be pushed on its return route so replies go back
 * through the channel. The inner route is the peer's word, not ours.
 */
static void ockam_hop_out_of_channel(struct ockam_hop *hop,
				     struct ockam_channel *ch)
{
	if (!hop->msg.onward.hops)
		ockam_channel_keepalive_received(ch, hop->skb, &hop->msg);
	hop->push_len = ockam_channel_self(ch, hop->channel_self);
	hop->push = hop->channel_self;
	hop->peer = ch->peer;
	hop->own_hops = 0;
}

/*
 * A frame from another node is opened by the channel's workers, on every
 * CPU (crypt_queue.c); its inner message comes back in
 * ockam_route_opened(), in the order the frames came. The transport's
 * address goes on the frame's return route first, where route mobility
 * finds it.
 */
static int ockam_route_queue_open(struct ockam_hop *hop,
				  struct ockam_channel *ch)
{
	bool pushed = hop->push;
	int err;

	if (pushed) {
		err = ockam_hop_rewrite(hop, false, NULL, 0, 0);
		if (err)
			return ockam_hop_fail(hop, err);
	}
	ockam_channel_open_queued(ch, hop->skb, hop->from, pushed,
				  hop->flags & OCKAM_ROUTE_F_OPENED);
	hop->skb = NULL;
	return 0;
}

/*
 * Out of a channel: the inner message carries on from here, with the
 * local encryptor to be pushed on its return route so replies go back
 * through the channel. What the frame's own return route said is gone.
 * A frame a local sender handed over is opened here and now.
 */
static int ockam_route_decrypt(struct ockam_hop *hop, struct ockam_channel *ch)
{
	struct ockam_channel_from from = {
		.push = hop->push,
		.push_len = hop->push_len,
	};
	int err;

	if (ockam_hop_forwarded(hop))
		return ockam_route_queue_open(hop, ch);
	err = ockam_channel_decrypt(ch, &hop->skb, &hop->msg, &from);
	switch (err) {
	case 0:
		ockam_hop_out_of_channel(hop, ch);
		return OCKAM_ROUTE_AGAIN;
	case 1:
		/* The peer's close message, consumed. */
		hop->skb = NULL;
		return 0;
	/*
	 * A frame the channel refuses is lost the way a datagram to a full
	 * receiver is: counted, and not reported to whoever sent it, who
	 * is not who the channel trusts.
	 */
	default:
		ockam_hop_drop(hop, ockam_channel_refused_stat(err), err);
		return 0;
	}
}

/*
 * To a portal session: its address must be the last. The session checks
 * the sender against the full return route, the pending push included:
 * the transport or channel the message came out of is part of who sent it.
 */
static int ockam_route_to_portal(struct ockam_hop *hop, struct ockam_portal *p)
{
	struct ockam_portal_from from = {
		.push = hop->push,
		.push_len = hop->push ? hop->push_len : 0,
		.ret = &hop->msg.ret,
		.peer = hop->peer,
	};

	if (hop->msg.onward.hops != 1)
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_UNKNOWN_ADDRESS,
				      -EHOSTUNREACH);
	ockam_portal_receive(p, hop->skb, &hop->msg, &from);
	return 0;
}

static int ockam_route_through_alias(struct ockam_hop *hop,
				     const struct ockam_alias *alias)
{
	int err = ockam_hop_rewrite(hop, true, alias->route, alias->len,
				    alias->hops);

	if (err)
		return ockam_hop_fail(hop, err);
	/* The alias's own address goes, its route comes in front. */
	hop->own_hops = alias->hops + (hop->own_hops ? hop->own_hops - 1 : 0);
	return OCKAM_ROUTE_AGAIN;
}

static int ockam_route_local(struct ockam_hop *hop,
			     const struct ockam_addr_view *first)
{
	struct ockam_endpoint *ep;

	ep = ockam_node_lookup(hop->node, first->value, first->len);
	if (!ep)
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_UNKNOWN_ADDRESS,
				      -EHOSTUNREACH);

	switch (ep->kind) {
	case OCKAM_KIND_SOCKET:
		return ockam_route_to_socket(hop, ep);
	case OCKAM_KIND_ALIAS:
		return ockam_route_through_alias(hop, ockam_alias_from_ep(ep));
	case OCKAM_KIND_TCP:
		return ockam_route_to_transport(hop, ockam_tcp_from_ep(ep));
	case OCKAM_KIND_ENCRYPTOR:
		return ockam_route_encrypt(hop,
					   ockam_channel_from_encryptor(ep));
	case OCKAM_KIND_DECRYPTOR:
		return ockam_route_decrypt(hop,
					   ockam_channel_from_decryptor(ep));
	case OCKAM_KIND_PORTAL:
		return ockam_route_to_portal(hop, ockam_portal_from_ep(ep));
	default:
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_UNKNOWN_ADDRESS,
				      -EHOSTUNREACH);
	}
}

/*
 * A TCP address: use a connection to that peer, or park the message while
 * the daemon dials one. A parked message keeps the TCP address first, so
 * it routes from scratch once the connection is up. While what was parked
 * for a new connection is still being sent on, a message for the same
 * peer waits behind it (it joins the dial) rather than overtake it.
 */
static int ockam_route_tcp_peer(struct ockam_hop *hop,
				const struct ockam_addr_view *first)
{
	u8 peer[OCKAM_ADDR_VALUE_MAX];
	bool join = false;
	struct ockam_tcp *t;
	u32 len = first->len;
	int err;

	t = ockam_tcp_lookup_peer(hop->node, first->value, len);
	if (t) {
		/*
		 * Looked for before joining, not by trying to join: while the
		 * transport is unparking but its dial is gone, a failed join
		 * would route the message again and again.
		 */
		join = !(hop->flags & OCKAM_ROUTE_F_UNPARKED) &&
		       ockam_tcp_unparking(t) &&
		       ockam_dial_pending(hop->node, first->value, len);
		if (!join)
			return ockam_route_to_transport(hop, t);
	}

	/*
	 * Nothing another node sends makes this node connect anywhere it
	 * was not told to: a forwarded message dials only an address this
	 * node's own alias or channel put first, or when the node allows it.
	 */
	if (!join && ockam_hop_forwarded(hop) && !hop->own_hops &&
	    !READ_ONCE(hop->node->dial_forwarded))
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_UNREACHABLE,
				      -EHOSTUNREACH);

	/* @first points into the header, which a rewrite replaces. */
	memcpy(peer, first->value, len);
	if (hop->push) {
		err = ockam_hop_rewrite(hop, false, NULL, 0, 0);
		if (err)
			return ockam_hop_fail(hop, err);
	}
	err = ockam_dial_enqueue(hop->node, peer, len, hop->skb,
				 ockam_hop_forwarded(hop), join);
	if (err == -EAGAIN)
		return OCKAM_ROUTE_AGAIN;
	if (err)
		return ockam_hop_fail(hop, err);
	return 0;
}

/*
 * A UDP address: from the bind that heard from it, or the node's first of
 * its family. A message from another node goes only to an address a bind
 * heard from, or that this node's own alias or channel put first, unless
 * the node allows forwarded dials: a datagram needs no dial, but sending
 * one anywhere a peer says is what the dial rule keeps from happening.
 */
static int ockam_route_udp_peer(struct ockam_hop *hop,
				const struct ockam_addr_view *first)
{
	struct ockam_udp_addr to;
	struct ockam_udp *u;
	bool known;
	int err;

	if (ockam_udp_addr_parse(first->value, first->len, &to))
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_UNREACHABLE,
				      -EHOSTUNREACH);
	u = ockam_udp_select(hop->node, &to, &known);
	if (!u || (!known && ockam_hop_forwarded(hop) && !hop->own_hops &&
		   !READ_ONCE(hop->node->dial_forwarded)))
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_UNREACHABLE,
				      -EHOSTUNREACH);
	err = ockam_hop_rewrite(hop, true, NULL, 0, 0);
	if (err)
		return ockam_hop_fail(hop, err);
	err = ockam_udp_xmit(u, &to, hop->skb);
	if (err)
		return ockam_hop_fail(hop, err);
	if (ockam_hop_forwarded(hop))
		ockam_stats_inc(hop->node->stats, OCKAM_STAT_FORWARDED);
	return 0;
}

static int ockam_route_step(struct ockam_hop *hop)
{
	struct ockam_addr_view first;

	/* Ockam treats a message with nowhere to go as a heartbeat. */
	if (!hop->msg.onward.hops) {
		ockam_stats_inc(hop->node->stats, OCKAM_STAT_HEARTBEATS);
		consume_skb(hop->skb);
		return 0;
	}
	if (ockam_route_first(&hop->msg.onward, &first) < 0)
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_BAD_FRAME, -EBADMSG);

	switch (first.type) {
	case OCKAM_ADDR_LOCAL:
		return ockam_route_local(hop, &first);
	case OCKAM_ADDR_TCP:
		return ockam_route_tcp_peer(hop, &first);
	case OCKAM_ADDR_UDP:
		return ockam_route_udp_peer(hop, &first);
	default:
		/* No transport of that type in this node. */
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_UNREACHABLE,
				      -EAFNOSUPPORT);
	}
}

static int ockam_route_steps(struct ockam_hop *hop)
{
	int steps, ret;

	rcu_read_lock();
	for (steps = 0; steps < OCKAM_LOCAL_STEPS_MAX; steps++) {
		ret = ockam_route_step(hop);
		if (ret != OCKAM_ROUTE_AGAIN)
			break;
	}
	if (ret == OCKAM_ROUTE_AGAIN)
		ret = ockam_hop_drop(hop, OCKAM_STAT_DROP_HOP_LIMIT, -ELOOP);
	/* Sent on or dropped; still under RCU, as when it was found. */
	if (hop->sealed_here)
		ockam_seal_sent_here(hop->sealed_here);
	rcu_read_unlock();
	return ret;
}

/* The header into the linear part, and @hop->msg describing it. */
static int ockam_route_pull(struct ockam_hop *hop)
{
	int ret = ockam_msg_pull(hop->skb, &hop->msg);

	if (ret == -ENOMEM)
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_BUFFER_FULL, ret);
	if (ret)
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_BAD_FRAME, -EBADMSG);
	return 0;
}

static int ockam_route_run(struct ockam_hop *hop)
{
	int ret = ockam_route_pull(hop);

	if (ret)
		return ret;
	/* Each transport hop pushed one return address: that is our TTL. */
	if (hop->push &&
	    hop->msg.ret.hops >= READ_ONCE(hop->node->hop_limit))
		return ockam_hop_drop(hop, OCKAM_STAT_DROP_HOP_LIMIT, -ELOOP);
	return ockam_route_steps(hop);
}

/*
 * Route one message, whose data is exactly an encoded message, that
 * arrived on transport @from (NULL: sent on this node). Consumes @skb.
 * Returns 0 when the message was delivered, sent, parked for a dial,
 * or dropped the way a datagram to a full receiver is; otherwise the errno
 * a local sender should see: -EBADMSG (does not parse), -EHOSTUNREACH (no
 * such local address, nothing to dial with), -EAFNOSUPPORT (address type
 * with no transport), -ELOOP (hop limit or alias loop), -ENOBUFS (a queue
 * is full), -ECONNRESET (the transport is closing), -ENOMEM.
 */
int ockam_route_skb(struct ockam_node *node, struct sk_buff *skb,
		    struct ockam_tcp *from, unsigned int flags)
{
	struct ockam_hop hop = {
		.node = node,
		.skb = skb,
		.from = from,
		.push = from ? from->push : NULL,
		.push_len = from ? from->push_len : 0,
		.flags = flags,
	};

	return ockam_route_run(&hop);
}

/*
 * Route a message that arrived from another node on a transport with no
 * connection of its own (UDP): @push, the sender's encoded address, goes
 * on its return route. Consumes @skb; returns as ockam_route_skb().
 */
int ockam_route_arrived(struct ockam_node *node, struct sk_buff *skb,
			const u8 *push, u32 push_len)
{
	struct ockam_hop hop = {
		.node = node,
		.skb = skb,
		.push = push,
		.push_len = push_len,
		.flags = OCKAM_ROUTE_F_ARRIVED,
	};

	return ockam_route_run(&hop);
}

/*
 * The inner message of a frame from another node that channel @ch opened
 * (crypt_queue.c), in the order the frames came: it carries on as it
 * would have from the decryptor's step, from another node, with the
 * channel's encryptor to be pushed on its return route. Consumes @skb.
 */
void ockam_route_opened(struct ockam_channel *ch, struct sk_buff *skb)
{
	struct ockam_hop hop = {
		.node = ch->node,
		.skb = skb,
		.flags = OCKAM_ROUTE_F_ARRIVED | OCKAM_ROUTE_F_OPENED,
	};

	if (ockam_route_pull(&hop))
		return;
	ockam_hop_out_of_channel(&hop, ch);
	ockam_route_steps(&hop);
}

/*
 * A frame channel @ch sealed off the routing step (seal_queue.c), in
 * counter order: it carries on along the channel's route as it would have
 * from the encryptor's step, a failure reported to the socket that sent
 * it, if one did. @arrived: the message came from another node. Consumes
 * @skb.
 */
void ockam_route_sealed(struct ockam_node *node, struct sk_buff *skb,
			bool arrived)
{
	struct ockam_hop hop = {
		.node = node,
		.skb = skb,
		.flags = OCKAM_ROUTE_F_DEFERRED | OCKAM_ROUTE_F_SEALED |
			 (arrived ? OCKAM_ROUTE_F_ARRIVED : 0),
	};

	if (ockam_route_pull(&hop))
		return;
	/* The frame's onward route is the channel's, all of it. */
	hop.own_hops = hop.msg.onward.hops;
	ockam_route_steps(&hop);
}

/* A frame from another node that its channel refused (ockam_route_decrypt()). */
void ockam_route_refused(struct ockam_node *node, struct sk_buff *skb,
			 int err)
{
	ockam_stats_inc(node->stats, ockam_channel_refused_stat(err));
	kfree_skb(skb);
}
