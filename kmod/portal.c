// SPDX-License-Identifier: GPL-2.0
/*
 * Portal sessions.
 *
 * ockamd hands over a connected TCP socket with OCKAM_CMD_PORTAL_ATTACH.
 * We take it over as tcp.c takes a transport's, through sockhook.c: with
 * the socket locked and under sk_callback_lock, claim sk_user_data and
 * swap in callbacks, which do nothing but queue the session's work item.
 *
 * The work item (on ockam_tx_wq, so one at a time) does everything that
 * touches the socket, with it locked: it writes what the peer sent into
 * the socket through the page-reference path of stream.c, shuts the
 * socket's write side once the peer's END is written, sends CREDIT, and
 * reads the socket, as far as the peer's window allows, into PAYLOADs
 * (END at the end of the stream) routed along the peer route.
 *
 * The receive path (route.c; softirq or process context, under RCU)
 * checks the sender, the sequence number and the window, queues PAYLOAD
 * data on the session and queues the work. It never touches the socket.
 * A PAYLOAD or END that comes ahead of its turn (over UDP, messages
 * overtake one another) waits on a list sorted by number until the ones
 * before it arrive; the hole work ends the session with a gap when one
 * does not come in time.
 * Its data sits in the queue as at most about twice the bytes it
 * carries: short PAYLOADs are copied together into small buffers, long
 * ones are kept, or copied when their skb costs far more than their
 * bytes. The queue is bounded by the window the peer was given (the
 * OVERRUN check), so by 4 x window + OCKAM_PORTAL_RX_SLACK in all.
 *
 * Ending is one work item, run once, whoever decides first: unpublish the
 * address, mark the session dead under its lock (so nothing queues the
 * work again), give the socket its callbacks back, wait for the work, tell
 * the peer (DISCONNECT) unless the end was clean or the peer's, reset our
 * TCP connection unless the end was clean, tell userspace, and free after
 * an RCU grace period, since the receive path may still hold the session.
 */
#include <crypto/algapi.h>
#include <linux/slab.h>
#include <net/tcp.h>

#include "channel.h"
#include "compat.h"
#include "message.h"
#include "netlink.h"
#include "ockam.h"
#include "portal.h"
#include "portal_msg.h"
#include "route.h"
#include "sockhook.h"
#include "stream.h"
#include "tcp.h"

enum {
	/* PAYLOAD data up to this long is copied into a shared buffer. */
	OCKAM_PORTAL_COALESCE_MAX = 2048,
	/* The shared buffers: one page each, with the skb's overhead. */
	OCKAM_PORTAL_COALESCE_SIZE = SKB_WITH_OVERHEAD(PAGE_SIZE),
	/* Queued skbs one work run writes before letting others run. */
	OCKAM_PORTAL_TX_BUDGET = 64,
};

static void ockam_portal_close_work(struct work_struct *work);

/* What the receive path may queue for a session, in skb truesize. */
static u32 ockam_portal_rx_limit(const struct ockam_portal *p)
{
	return 4 * p->window + OCKAM_PORTAL_RX_SLACK;
}

static void ockam_portal_count_end(struct ockam_portal *p,
				   enum ockam_portal_end_reason reason)
{
	struct ockam_stats __percpu *stats = p->node->stats;

	if (reason == OCKAM_PORTAL_END_CLOSED)
		return;
	ockam_stats_inc(stats, OCKAM_STAT_PORTAL_RESETS);
	if (reason == OCKAM_PORTAL_END_GAP)
		ockam_stats_inc(stats, OCKAM_STAT_PORTAL_GAPS);
	else if (reason == OCKAM_PORTAL_END_IMPOSTOR)
		ockam_stats_inc(stats, OCKAM_STAT_PORTAL_IMPOSTORS);
	else if (reason == OCKAM_PORTAL_END_OVERRUN)
		ockam_stats_inc(stats, OCKAM_STAT_PORTAL_OVERRUNS);
}

/* End the session, from any context; the first reason given wins. */
static void ockam_portal_end(struct ockam_portal *p,
			     enum ockam_portal_end_reason reason, int err)
{
	if (test_and_set_bit(OCKAM_PORTAL_ENDING, &p->bits))
		return;
	p->reason = reason;
	p->err = err;
	ockam_portal_count_end(p, reason);
	queue_work(ockam_wq, &p->close_work);
}

static void __ockam_portal_kick(struct ockam_portal *p)
{
	lockdep_assert_held(&p->lock);
	if (!p->dead)
		queue_work(ockam_tx_wq, &p->work);
}

/* Have the work run, unless the session is past that. */
static void ockam_portal_kick(struct ockam_portal *p)
{
	spin_lock_bh(&p->lock);
	__ockam_portal_kick(p);
	spin_unlock_bh(&p->lock);
}

/* ---- sending ---- */

/*
 * Route a portal message of @hdr_len bytes of @hdr, then @n bytes of @src
 * from @off, along @route (@hops addresses, no count) with our address as
 * the return route. Process context.
 */
static int ockam_portal_send(struct ockam_portal *p, const u8 *route,
			     u32 route_len, u32 hops, const u8 *hdr,
			     u32 hdr_len, struct sk_buff *src, u32 off, u32 n)
{
	struct ockam_route_parts onward = {
		.tail = route, .tail_len = route_len, .tail_hops = hops,
	};
	struct ockam_route_parts ret = {
		.head = p->self, .head_len = p->self_len, .head_hops = 1,
	};
	u32 len = hdr_len + n, header_len;
	struct sk_buff *skb;
	int err;

	header_len = ockam_header_len(&onward, &ret, len);
	if (header_len + len > READ_ONCE(p->node->max_message))
		return -EMSGSIZE;
	/* Process context: a session waits for memory rather than fail. */
	skb = ockam_msg_alloc_gfp(header_len + OCKAM_TCP_FRAME_LEN +
				  OCKAM_SEAL_HEADROOM, len, GFP_KERNEL, &err);
	if (!skb)
		return err;
	err = skb_store_bits(skb, 0, hdr, hdr_len);
	if (!err && n)
		err = ockam_msg_copy(skb, hdr_len, src, off, n);
	if (err) {
		kfree_skb(skb);
		return err;
	}
	ockam_header_encode(__skb_push(skb, header_len), &onward, &ret, len);
	return ockam_route_skb(p->node, skb, NULL, 0);
}

/* A message without data to the peer session; the work's or the end's. */
static int ockam_portal_send_peer(struct ockam_portal *p,
				  const struct ockam_portal_msg *pm)
{
	u8 hdr[OCKAM_PORTAL_MSG_HEADER_MAX];
	u32 hdr_len = ockam_portal_msg_encode(hdr, pm);

	return ockam_portal_send(p, p->peer_route, p->peer_len, p->peer_hops,
				 hdr, hdr_len, NULL, 0, 0);
}

/* The most stream bytes one PAYLOAD along the peer route may carry. */
static u32 ockam_portal_chunk(struct ockam_portal *p)
{
	struct ockam_route_parts onward = {
		.tail = p->peer_route, .tail_len = p->peer_len,
		.tail_hops = p->peer_hops,
	};
	struct ockam_route_parts ret = {
		.head = p->self, .head_len = p->self_len, .head_hops = 1,
	};
	u32 max = READ_ONCE(p->node->max_message);
	u32 over = ockam_header_len(&onward, &ret, OCKAM_PORTAL_CHUNK_MAX) +
		   1 + 4;

	if (over >= max)
		return 0;
	return min_t(u32, OCKAM_PORTAL_CHUNK_MAX, max - over);
}

struct ockam_portal_reader {
	struct ockam_portal *p;
	u32 chunk;
};

/* tcp_read_sock()'s actor: one PAYLOAD per call, within the credit. */
static int ockam_portal_read_actor(read_descriptor_t *desc,
				   struct sk_buff *skb, unsigned int offset,
				   size_t len)
{
	struct ockam_portal_reader *r = desc->arg.data;
	struct ockam_portal *p = r->p;
	struct ockam_portal_msg pm = {
		.type = OCKAM_PORTAL_MSG_PAYLOAD, .seq = p->tx_seq,
	};
	u8 hdr[OCKAM_PORTAL_MSG_HEADER_MAX];
	u32 n = min_t(size_t, min_t(size_t, len, desc->count), r->chunk);
	int err;

	if (!n)
		return 0;
	/*
	 * Counted before it goes: the peer may write it and send its CREDIT
	 * before the routing returns. A failure ends the session anyway.
	 */
	spin_lock_bh(&p->lock);
	p->tx_sent += n;
	spin_unlock_bh(&p->lock);
	err = ockam_portal_send(p, p->peer_route, p->peer_len, p->peer_hops,
				hdr, ockam_portal_msg_encode(hdr, &pm), skb,
				offset, n);
	if (err) {
		desc->error = err;
		return 0;
	}
	p->tx_seq++;
	desc->count -= n;
	return n;
}

/* Read the socket into PAYLOADs as far as the peer's window allows. */
static int ockam_portal_read(struct ockam_portal *p, struct sock *sk)
{
	struct ockam_portal_reader r = { .p = p };
	read_descriptor_t desc = { .arg.data = &r };
	struct ockam_portal_msg pm = { .type = OCKAM_PORTAL_MSG_END };
	u64 in_flight;
	int err;

	spin_lock_bh(&p->lock);
	in_flight = p->tx_sent - p->peer_consumed;
	if (in_flight < p->peer_window)
		desc.count = p->peer_window - in_flight;
	spin_unlock_bh(&p->lock);

	if (desc.count && !skb_queue_empty(&sk->sk_receive_queue)) {
		r.chunk = ockam_portal_chunk(p);
		if (!r.chunk)
			return -EMSGSIZE;
		tcp_read_sock(sk, &desc, ockam_portal_read_actor);
		if (desc.error)
			return desc.error;
	}
	if ((READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) &&
	    skb_queue_empty(&sk->sk_receive_queue)) {
		pm.seq = p->tx_seq;
		err = ockam_portal_send_peer(p, &pm);
		if (err)
			return err;
		p->tx_seq++;
		p->tx_ended = true;
	}
	return 0;
}

/* ---- writing what the peer sent ---- */

/* Returns 0 when the queue is empty, -EAGAIN when TCP is full. */
static int ockam_portal_write(struct ockam_portal *p, struct sock *sk)
{
	struct ockam_tx_cursor c;
	struct sk_buff *skb;
	int budget, ret;

	for (budget = OCKAM_PORTAL_TX_BUDGET; budget; budget--) {
		spin_lock_bh(&p->lock);
		if (!p->rx_cur) {
			p->rx_cur = __skb_dequeue(&p->rx_queue);
			if (p->rx_cur == p->rx_coalesce)
				p->rx_coalesce = NULL;
			p->rx_sent = 0;
		}
		skb = p->rx_cur;
		c = (struct ockam_tx_cursor) {
			.more = !skb_queue_empty(&p->rx_queue),
		};
		spin_unlock_bh(&p->lock);
		if (!skb)
			return 0;

		c.offset = p->rx_sent;
		c.len = skb->len - p->rx_sent;
		ret = ockam_stream_send_range(sk, skb, &c);
		p->rx_sent += c.done;
		WRITE_ONCE(p->rx_written, p->rx_written + c.done);
		if (ret)
			return ret;

		spin_lock_bh(&p->lock);
		p->rx_queued -= skb->len;
		p->rx_truesize -= skb->truesize;
		p->rx_cur = NULL;
		spin_unlock_bh(&p->lock);
		consume_skb(skb);
	}
	ockam_portal_kick(p);
	return 0;
}

/*
 * Tell the peer what we wrote once a quarter of its window is free, or
 * @again. The window moves before the CREDIT goes: the peer may answer
 * it with data that arrives before the send returns, and that data must
 * not count as an overrun. A CREDIT that cannot be sent ends the session
 * anyway.
 */
static int ockam_portal_credit(struct ockam_portal *p, bool again)
{
	struct ockam_portal_msg pm = {
		.type = OCKAM_PORTAL_MSG_CREDIT, .consumed = p->rx_written,
	};

	if (!again &&
	    p->rx_written - READ_ONCE(p->rx_credited) < p->window / 4)
		return 0;
	spin_lock_bh(&p->lock);
	WRITE_ONCE(p->rx_credited, pm.consumed);
	spin_unlock_bh(&p->lock);
	return ockam_portal_send_peer(p, &pm);
}

/*
 * After an outage, ours (REFRESH) or the peer's (ANSWER), say again what
 * we wrote, and which message we send next. A CREDIT lost in the outage
 * would leave a peer that had sent all its window waiting for it; a
 * PAYLOAD or END of ours lost in it, with nothing after it to show the
 * gap, would leave the peer waiting for that: its SYNC shows the gap.
 * The work sends SYNC before any PAYLOAD it reads next, so the number is
 * the next the peer must see. Only the side whose channel came back asks
 * for an answer, so SYNCs do not bounce.
 */
static int ockam_portal_resync(struct ockam_portal *p)
{
	struct ockam_portal_msg pm = {
		.type = OCKAM_PORTAL_MSG_SYNC, .seq = p->tx_seq,
	};
	bool refresh = test_and_clear_bit(OCKAM_PORTAL_REFRESH, &p->bits);
	bool answer = test_and_clear_bit(OCKAM_PORTAL_ANSWER, &p->bits);
	int err;

	if (!refresh && !answer)
		return 0;
	err = ockam_portal_credit(p, true);
	if (err)
		return err;
	if (refresh) {
		pm.flags = OCKAM_PORTAL_SYNC_ASK;
		/* Before it goes: the answer may come before the send returns. */
		set_bit(OCKAM_PORTAL_SYNCING, &p->bits);
		mod_delayed_work(ockam_wq, &p->timeout,
				 msecs_to_jiffies(OCKAM_PORTAL_SYNC_WAIT_MS));
	}
	return ockam_portal_send_peer(p, &pm);
}

enum {
	/* The route starts with something else than a channel's address. */
	OCKAM_PORTAL_NO_CHANNEL = __OCKAM_CHANNEL_STATE_MAX,
};

/*
 * The state of the channel the session's route starts with (enum
 * ockam_channel_state); 0 when its address is gone from the node, and
 * OCKAM_PORTAL_NO_CHANNEL when the route starts with no channel. The
 * peer route is set once the session is open.
 */
static u8 ockam_portal_channel_state(struct ockam_portal *p)
{
	struct ockam_route_view rt = {
		.addrs = p->peer_route, .len = p->peer_len,
		.hops = p->peer_hops,
	};
	u8 state = OCKAM_PORTAL_NO_CHANNEL;
	struct ockam_addr_view first;
	struct ockam_endpoint *ep;

	if ((p->flags & OCKAM_PORTAL_F_PLAINTEXT) || !p->peer_route ||
	    ockam_route_first(&rt, &first) <= 0 ||
	    first.type != OCKAM_ADDR_LOCAL)
		return state;
	rcu_read_lock();
	ep = ockam_node_lookup(p->node, first.value, first.len);
	if (!ep)
		state = 0;
	else if (ep->kind == OCKAM_KIND_ENCRYPTOR)
		state = READ_ONCE(ockam_channel_from_encryptor(ep)->live.state);
	rcu_read_unlock();
	return state;
}

/* Is a channel in @state one that the session should wait for? */
static bool ockam_portal_channel_live(u8 state)
{
	/*
	 * Up, with a route that just failed: the transport under it is
	 * closing, and the channel is about to say so.
	 */
	return state == OCKAM_CHANNEL_RECOVERING || state == OCKAM_CHANNEL_UP;
}

/*
 * The latest the stopped session waits: while the channel recovers, a
 * second past the time it would give up at (the walk for its return or
 * its giving up ends the session first); while it still says UP, a
 * second, for the transport under it to finish closing -- or, if the
 * channel was back already, to end now with a DISCONNECT that goes.
 */
static void ockam_portal_lost_timer(struct ockam_portal *p)
{
	unsigned long wait = HZ;

	if (ockam_portal_channel_state(p) == OCKAM_CHANNEL_RECOVERING)
		wait += msecs_to_jiffies(READ_ONCE(p->node->channel_give_up_ms));
	mod_delayed_work(ockam_wq, &p->timeout, wait);
}

/*
 * What we sent could not leave (@err). A channel that is recovering will
 * say when it is back: the session stops until then and ends on that
 * walk, so that its DISCONNECT gets through (ockam_portal_node_refresh()),
 * or when its timer says (ockam_portal_lost_timer()). False when the
 * session must end now. The walk may run just as the bit goes up: either
 * it sees the bit, or we see the state it walked for (and the session
 * ends twice, which it does once).
 */
static bool ockam_portal_wait_for_channel(struct ockam_portal *p, int err)
{
	/*
	 * No route (the channel's transport is gone), or the transport
	 * died under the send: what else fails will not get better.
	 */
	if (err != -EHOSTUNREACH && err != -ECONNRESET)
		return false;
	if (!ockam_portal_channel_live(ockam_portal_channel_state(p)))
		return false;
	set_bit(OCKAM_PORTAL_LOST, &p->bits);
	/* Pairs with the channel's state change before its walk is queued. */
	smp_mb__after_atomic();
	if (!ockam_portal_channel_live(ockam_portal_channel_state(p)))
		return false;
	ockam_portal_lost_timer(p);
	return true;
}

/* Has everything the peer sent before its END been written? */
static bool ockam_portal_rx_done(struct ockam_portal *p)
{
	bool done;

	spin_lock_bh(&p->lock);
	done = p->rx_ended && !p->rx_cur && skb_queue_empty(&p->rx_queue);
	spin_unlock_bh(&p->lock);
	return done;
}

static void ockam_portal_work(struct work_struct *work)
{
	struct ockam_portal *p = container_of(work, struct ockam_portal, work);
	struct sock *sk = p->sock->sk;
	bool shut = false;
	int err;

	if (test_bit(OCKAM_PORTAL_ENDING, &p->bits) ||
	    test_bit(OCKAM_PORTAL_LOST, &p->bits))
		return;
	/* Pairs with the release in ockam_portal_open(): the peer route. */
	if (smp_load_acquire(&p->state) != OCKAM_PORTAL_OPEN)
		return;

	lock_sock(sk);
	/* A reset also shuts the socket down: it must not pass for a FIN. */
	err = READ_ONCE(sk->sk_err);
	if (err)
		goto reset;
	err = ockam_portal_write(p, sk);
	if (err == -EAGAIN)
		err = 0;
	if (err) {
		err = -err;
		goto reset;
	}
	if (!p->shut_wr && ockam_portal_rx_done(p))
		shut = true;
	err = ockam_portal_resync(p);
	if (!err)
		err = ockam_portal_credit(p, false);
	if (!err && !p->tx_ended)
		err = ockam_portal_read(p, sk);
	if (err) {
		release_sock(sk);
		if (!ockam_portal_wait_for_channel(p, err))
			ockam_portal_end(p, OCKAM_PORTAL_END_UNREACHABLE, -err);
		return;
	}
	err = READ_ONCE(sk->sk_err);
	if (err)
		goto reset;
	release_sock(sk);

	if (shut) {
		/* The peer's stream ended: so does ours towards our client. */
		kernel_sock_shutdown(p->sock, SHUT_WR);
		p->shut_wr = true;
	}
	if (p->shut_wr && p->tx_ended)
		ockam_portal_end(p, OCKAM_PORTAL_END_CLOSED, 0);
	return;

reset:
	release_sock(sk);
	ockam_portal_end(p, OCKAM_PORTAL_END_RESET, err);
}

static void ockam_portal_timeout(struct work_struct *work)
{
	struct ockam_portal *p = container_of(to_delayed_work(work),
					      struct ockam_portal, timeout);
	bool recovering;

	if (READ_ONCE(p->state) == OCKAM_PORTAL_CONNECTING) {
		ockam_portal_end(p, OCKAM_PORTAL_END_TIMEOUT, ETIMEDOUT);
		return;
	}
	recovering = ockam_portal_channel_state(p) == OCKAM_CHANNEL_RECOVERING;
	if (test_bit(OCKAM_PORTAL_LOST, &p->bits)) {
		if (recovering)
			ockam_portal_lost_timer(p);
		else
			ockam_portal_end(p, OCKAM_PORTAL_END_UNREACHABLE,
					 EHOSTUNREACH);
	} else if (test_bit(OCKAM_PORTAL_SYNCING, &p->bits) && !recovering) {
		/*
		 * No answer to our SYNC. While the channel recovers, none can
		 * come: the walk for its return asks again, and re-arms.
		 */
		ockam_portal_end(p, OCKAM_PORTAL_END_UNREACHABLE, EHOSTUNREACH);
	}
}

/* ---- receiving ---- */

/* Is the message's return route, pending push included, @addrs? */
static bool ockam_portal_route_is(const struct ockam_portal_from *from,
				  const u8 *addrs, u32 len, u32 hops)
{
	u32 push_hops = from->push ? 1 : 0;

	if (from->push_len + from->ret->len != len ||
	    push_hops + from->ret->hops != hops)
		return false;
	if (from->push_len && memcmp(addrs, from->push, from->push_len))
		return false;
	return !memcmp(addrs + from->push_len, from->ret->addrs,
		       from->ret->len);
}

/*
 * The first address of a message's return route, pending push included,
 * in @first; the addresses after it in @rest. False if there is none.
 */
static bool ockam_portal_from_split(const struct ockam_portal_from *from,
				    struct ockam_addr_view *first,
				    struct ockam_route_view *rest)
{
	struct ockam_route_view head;

	*rest = *from->ret;
	if (from->push) {
		head = (struct ockam_route_view) {
			.addrs = from->push, .len = from->push_len, .hops = 1,
		};
		return ockam_route_first(&head, first) > 0;
	}
	if (ockam_route_first(rest, first) <= 0)
		return false;
	rest->addrs += first->encoded_len;
	rest->len -= first->encoded_len;
	rest->hops--;
	return true;
}

/*
 * Is @theirs, where a message came from, the hop @ours names? The same
 * address; or, for a TCP address that this node dialed, the transport to
 * that peer, which pushes its local name rather than the peer's. Under
 * RCU, as all of receiving is.
 */
static bool ockam_portal_hop_is(const struct ockam_portal *p,
				const struct ockam_addr_view *ours,
				const struct ockam_addr_view *theirs)
{
	struct ockam_endpoint *ep;
	struct ockam_tcp *t;

	if (ours->type == theirs->type)
		return ours->len == theirs->len &&
		       !memcmp(ours->value, theirs->value, ours->len);
	if (ours->type != OCKAM_ADDR_TCP || theirs->type != OCKAM_ADDR_LOCAL)
		return false;
	ep = ockam_node_lookup(p->node, theirs->value, theirs->len);
	if (!ep || ep->kind != OCKAM_KIND_TCP)
		return false;
	t = ockam_tcp_from_ep(ep);
	return t->peer_len == ours->len &&
	       !memcmp(t->peer, ours->value, ours->len);
}

/*
 * Did a message come back out of the hop the PING went into? Its return
 * route must start with that hop, then be @tail_hops addresses long
 * (with @tail, if given, as those addresses).
 */
static bool ockam_portal_from_ping_hop(const struct ockam_portal *p,
				       const struct ockam_portal_from *from,
				       const u8 *tail, u32 tail_len,
				       u32 tail_hops)
{
	struct ockam_route_view ping = {
		.addrs = p->ping_route, .len = p->ping_len,
		.hops = p->ping_hops,
	};
	struct ockam_addr_view ours, theirs;
	struct ockam_route_view rest;

	if (ockam_route_first(&ping, &ours) <= 0 ||
	    !ockam_portal_from_split(from, &theirs, &rest) ||
	    !ockam_portal_hop_is(p, &ours, &theirs) || rest.hops != tail_hops)
		return false;
	return !tail || (rest.len == tail_len &&
			 !memcmp(rest.addrs, tail, tail_len));
}

/* Is the message from the outlet service the PING went to? */
static bool ockam_portal_from_service(const struct ockam_portal *p,
				      const struct ockam_portal_from *from)
{
	struct ockam_route_view ping = {
		.addrs = p->ping_route, .len = p->ping_len,
		.hops = p->ping_hops,
	};
	struct ockam_addr_view first;

	if (ockam_route_first(&ping, &first) <= 0)
		return false;
	if (p->ping_hops == 1)
		return ockam_portal_from_ping_hop(p, from, NULL, 0, 0);
	return ockam_portal_from_ping_hop(p, from,
					  p->ping_route + first.encoded_len,
					  p->ping_len - first.encoded_len,
					  p->ping_hops - 1);
}

/*
 * Did a would-be PONG come out of the hop the PING went into, with a
 * session behind it? For a PING to a local outlet, the PONG is from a
 * local session alone.
 */
static bool ockam_portal_first_hop_is(const struct ockam_portal *p,
				      const struct ockam_portal_from *from)
{
	u32 hops = (from->push ? 1 : 0) + from->ret->hops;

	if (p->ping_hops == 1)
		return hops == 1;
	return hops >= 2 &&
	       ockam_portal_from_ping_hop(p, from, NULL, 0, hops - 1);
}

static bool ockam_portal_identity_ok(const struct ockam_portal *p,
				     const struct ockam_portal_from *from)
{
	if (p->flags & OCKAM_PORTAL_F_PLAINTEXT)
		return true;
	return from->peer &&
	       !crypto_memneq(from->peer, p->peer_id, OCKAM_IDENTIFIER_BYTES);
}

/* The PONG's return route becomes the peer route. */
static int ockam_portal_open(struct ockam_portal *p,
			     const struct ockam_portal_from *from,
			     const struct ockam_portal_msg *pm)
{
	u32 len = from->push_len + from->ret->len;
	u8 *route;

	lockdep_assert_held(&p->lock);
	route = kmalloc(len, GFP_ATOMIC);
	if (!route)
		return -ENOMEM;
	if (from->push_len)
		memcpy(route, from->push, from->push_len);
	memcpy(route + from->push_len, from->ret->addrs, from->ret->len);
	p->peer_route = route;
	p->peer_len = len;
	p->peer_hops = (from->push ? 1 : 0) + from->ret->hops;
	p->peer_window = min_t(u32, pm->window, OCKAM_PORTAL_WINDOW_MAX);
	/* The work reads the peer route once it sees OPEN. */
	smp_store_release(&p->state, OCKAM_PORTAL_OPEN);
	__ockam_portal_kick(p);
	return 0;
}

/*
 * An inlet waiting for its PONG: it may come only out of the hop the PING
 * went into; a DISCONNECT from the outlet service itself is a refusal.
 */
static enum ockam_portal_end_reason
ockam_portal_rcv_connecting(struct ockam_portal *p,
			    const struct ockam_portal_from *from,
			    const struct ockam_portal_msg *pm, int decoded)
{
	bool service = ockam_portal_from_service(p, from);

	if (!ockam_portal_identity_ok(p, from) ||
	    (!service && !ockam_portal_first_hop_is(p, from)))
		return OCKAM_PORTAL_END_IMPOSTOR;
	if (decoded)
		return OCKAM_PORTAL_END_BAD_MESSAGE;
	if (pm->type == OCKAM_PORTAL_MSG_DISCONNECT)
		return service ? OCKAM_PORTAL_END_REFUSED :
				 OCKAM_PORTAL_END_PEER_RESET;
	if (service || pm->type != OCKAM_PORTAL_MSG_PONG)
		return OCKAM_PORTAL_END_BAD_MESSAGE;
	if (ockam_portal_open(p, from, pm))
		return OCKAM_PORTAL_END_RESET;
	return OCKAM_PORTAL_END_UNSPEC;
}

/* Is @skb's data (all of it) worth keeping as it is? */
static bool ockam_portal_skb_thrifty(const struct sk_buff *skb)
{
	return skb->truesize <= 2 * skb->len + 1024;
}

/*
 * Queue @len bytes of PAYLOAD data at @off in @skb. Consumes @skb. Short
 * data is copied into a shared page-sized buffer; long data keeps its
 * skb unless that costs more than about twice the bytes.
 */
static int ockam_portal_queue(struct ockam_portal *p, struct sk_buff *skb,
			      u32 off, u32 len)
{
	struct sk_buff *tail = p->rx_coalesce, *copy;
	int err;

	lockdep_assert_held(&p->lock);
	if (len <= OCKAM_PORTAL_COALESCE_MAX) {
		if (!tail || skb_tailroom(tail) < len) {
			tail = alloc_skb(OCKAM_PORTAL_COALESCE_SIZE, GFP_ATOMIC);
			if (!tail)
				goto nomem;
			__skb_queue_tail(&p->rx_queue, tail);
			p->rx_coalesce = tail;
			p->rx_truesize += tail->truesize;
		}
		err = skb_copy_bits(skb, off, skb_put(tail, len), len);
		consume_skb(skb);
		p->rx_queued += len;
		return err;
	}

	/* A local sender's buffer space is free once the data is here. */
	skb_orphan(skb);
	if (ockam_msg_trim_head(skb, off) || skb->len != len)
		goto nomem;
	if (!ockam_portal_skb_thrifty(skb)) {
		copy = ockam_msg_alloc_atomic(0, len, &err);
		if (copy && ockam_msg_copy(copy, 0, skb, 0, len)) {
			kfree_skb(copy);
			copy = NULL;
		}
		/*
		 * Without memory for a copy, keep the data where it is if the
		 * session's bound allows: a reset would lose the stream.
		 */
		if (!copy && p->rx_truesize + skb->truesize >
			     ockam_portal_rx_limit(p))
			goto nomem;
		if (copy) {
			consume_skb(skb);
			skb = copy;
		}
	}
	__skb_queue_tail(&p->rx_queue, skb);
	/* Whatever comes next must not be copied in front of this. */
	p->rx_coalesce = NULL;
	p->rx_queued += len;
	p->rx_truesize += skb->truesize;
	return 0;

nomem:
	kfree_skb(skb);
	return -ENOMEM;
}

/* What a message that came ahead of its turn waits with. */
struct ockam_portal_ahead_cb {
	struct ockam_portal_msg pm;
	u32 off;
};

static struct ockam_portal_ahead_cb *ockam_portal_ahead_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct ockam_portal_ahead_cb) > sizeof(skb->cb));
	return (struct ockam_portal_ahead_cb *)skb->cb;
}

static enum ockam_portal_end_reason
ockam_portal_rcv_payload(struct ockam_portal *p, struct sk_buff **pskb,
			 u32 off, const struct ockam_portal_msg *pm)
{
	struct sk_buff *skb = *pskb;

	lockdep_assert_held(&p->lock);
	/* Its turn: ockam_portal_rcv_numbered() or _held() saw to that. */
	if (p->rx_ended)
		return OCKAM_PORTAL_END_BAD_MESSAGE;
	if (p->rx_received + pm->data_len - p->rx_credited > p->window)
		return OCKAM_PORTAL_END_OVERRUN;
	*pskb = NULL;
	if (ockam_portal_queue(p, skb, off + pm->data_off, pm->data_len))
		return OCKAM_PORTAL_END_RESET;
	/* Cannot happen within the window; the bound holds regardless. */
	if (p->rx_truesize > ockam_portal_rx_limit(p))
		return OCKAM_PORTAL_END_OVERRUN;
	p->rx_seq++;
	p->rx_received += pm->data_len;
	__ockam_portal_kick(p);
	return OCKAM_PORTAL_END_UNSPEC;
}

/* PAYLOAD or END @pm, whose turn it is. */
static enum ockam_portal_end_reason
ockam_portal_rcv_in_turn(struct ockam_portal *p, struct sk_buff **pskb,
			 u32 off, const struct ockam_portal_msg *pm)
{
	lockdep_assert_held(&p->lock);
	if (pm->type == OCKAM_PORTAL_MSG_PAYLOAD)
		return ockam_portal_rcv_payload(p, pskb, off, pm);
	if (p->rx_ended)
		return OCKAM_PORTAL_END_BAD_MESSAGE;
	p->rx_seq++;
	p->rx_ended = true;
	__ockam_portal_kick(p);
	return OCKAM_PORTAL_END_UNSPEC;
}

/*
 * PAYLOAD or END @pm, ahead of its turn: keep it, in number order, for
 * when those before it have come. One behind its turn (a number taken
 * already), too far ahead, or twice, is a gap; what waits counts against
 * the session's bound as what is queued does.
 */
static enum ockam_portal_end_reason
ockam_portal_hold(struct ockam_portal *p, struct sk_buff **pskb, u32 off,
		  const struct ockam_portal_msg *pm)
{
	u32 ahead = pm->seq - p->rx_seq;
	struct sk_buff *skb = *pskb, *pos;
	struct ockam_portal_ahead_cb *cb;

	lockdep_assert_held(&p->lock);
	if (ahead > OCKAM_PORTAL_AHEAD_MAX ||
	    skb_queue_len(&p->rx_ahead) >= OCKAM_PORTAL_AHEAD_MAX)
		return OCKAM_PORTAL_END_GAP;
	if (p->rx_truesize + p->ahead_truesize + skb->truesize >
	    ockam_portal_rx_limit(p))
		return OCKAM_PORTAL_END_OVERRUN;
	skb_queue_walk(&p->rx_ahead, pos) {
		u32 held = ockam_portal_ahead_cb(pos)->pm.seq - p->rx_seq;

		if (held == ahead)
			return OCKAM_PORTAL_END_GAP;
		if (held > ahead)
			break;
	}
	*pskb = NULL;
	skb_orphan(skb);
	cb = ockam_portal_ahead_cb(skb);
	cb->pm = *pm;
	cb->off = off;
	__skb_queue_before(&p->rx_ahead, pos, skb);
	p->ahead_truesize += skb->truesize;
	queue_delayed_work(ockam_wq, &p->hole,
			   msecs_to_jiffies(OCKAM_PORTAL_HOLE_MS));
	ockam_stats_inc(p->node->stats, OCKAM_STAT_PORTAL_AHEAD);
	return OCKAM_PORTAL_END_UNSPEC;
}

/* Take the held messages whose turn has come. */
static enum ockam_portal_end_reason
ockam_portal_rcv_held(struct ockam_portal *p)
{
	enum ockam_portal_end_reason why = OCKAM_PORTAL_END_UNSPEC;
	struct ockam_portal_ahead_cb held;
	struct sk_buff *skb;
	bool taken = false;

	lockdep_assert_held(&p->lock);
	while (why == OCKAM_PORTAL_END_UNSPEC &&
	       (skb = skb_peek(&p->rx_ahead)) &&
	       ockam_portal_ahead_cb(skb)->pm.seq == p->rx_seq) {
		held = *ockam_portal_ahead_cb(skb);
		__skb_unlink(skb, &p->rx_ahead);
		p->ahead_truesize -= skb->truesize;
		why = ockam_portal_rcv_in_turn(p, &skb, held.off, &held.pm);
		kfree_skb(skb);
		taken = true;
	}
	/* The wait starts again for the next hole, if there is one. */
	if (skb_queue_empty(&p->rx_ahead))
		cancel_delayed_work(&p->hole);
	else if (taken)
		mod_delayed_work(ockam_wq, &p->hole,
				 msecs_to_jiffies(OCKAM_PORTAL_HOLE_MS));
	return why;
}

/* PAYLOAD or END: now, or when its turn comes. */
static enum ockam_portal_end_reason
ockam_portal_rcv_numbered(struct ockam_portal *p, struct sk_buff **pskb,
			  u32 off, const struct ockam_portal_msg *pm)
{
	enum ockam_portal_end_reason why;

	lockdep_assert_held(&p->lock);
	if (pm->seq != p->rx_seq)
		return ockam_portal_hold(p, pskb, off, pm);
	why = ockam_portal_rcv_in_turn(p, pskb, off, pm);
	if (why == OCKAM_PORTAL_END_UNSPEC && !skb_queue_empty(&p->rx_ahead))
		why = ockam_portal_rcv_held(p);
	return why;
}

/* A hole nothing filled in time: what it held was lost. */
static void ockam_portal_hole(struct work_struct *work)
{
	struct ockam_portal *p = container_of(to_delayed_work(work),
					      struct ockam_portal, hole);
	bool lost;

	spin_lock_bh(&p->lock);
	lost = !p->dead && !skb_queue_empty(&p->rx_ahead);
	spin_unlock_bh(&p->lock);
	if (lost)
		ockam_portal_end(p, OCKAM_PORTAL_END_GAP, 0);
}

/* A message from the peer session, checked to be from it. */
static enum ockam_portal_end_reason
ockam_portal_rcv_open(struct ockam_portal *p, struct sk_buff **pskb, u32 off,
		      const struct ockam_portal_msg *pm)
{
	lockdep_assert_held(&p->lock);
	switch (pm->type) {
	case OCKAM_PORTAL_MSG_DISCONNECT:
		return OCKAM_PORTAL_END_PEER_RESET;
	case OCKAM_PORTAL_MSG_PAYLOAD:
	case OCKAM_PORTAL_MSG_END:
		return ockam_portal_rcv_numbered(p, pskb, off, pm);
	case OCKAM_PORTAL_MSG_SYNC:
		/* Another number: messages were lost in an outage. */
		if (pm->seq != p->rx_seq)
			return OCKAM_PORTAL_END_GAP;
		/* Any SYNC of the peer's says its session is there. */
		clear_bit(OCKAM_PORTAL_SYNCING, &p->bits);
		if (pm->flags & OCKAM_PORTAL_SYNC_ASK) {
			set_bit(OCKAM_PORTAL_ANSWER, &p->bits);
			__ockam_portal_kick(p);
		}
		return OCKAM_PORTAL_END_UNSPEC;
	case OCKAM_PORTAL_MSG_CREDIT:
		if (pm->consumed > p->tx_sent)
			return OCKAM_PORTAL_END_BAD_MESSAGE;
		if (pm->consumed > p->peer_consumed) {
			p->peer_consumed = pm->consumed;
			__ockam_portal_kick(p);
		}
		return OCKAM_PORTAL_END_UNSPEC;
	default:
		/* PING and PONG have no place in a session. */
		return OCKAM_PORTAL_END_BAD_MESSAGE;
	}
}

/*
 * A message routed to the session's address (route.c, under RCU, any
 * context); @msg describes @skb, the whole routed message. Consumes @skb.
 * Whatever is wrong with it ends the session: see uapi/linux/ockam.h.
 */
void ockam_portal_receive(struct ockam_portal *p, struct sk_buff *skb,
			  const struct ockam_msg_view *msg,
			  const struct ockam_portal_from *from)
{
	enum ockam_portal_end_reason why;
	u8 head[OCKAM_PORTAL_MSG_HEADER_MAX];
	u32 avail = min_t(u32, msg->payload_len, sizeof(head));
	struct ockam_portal_msg pm;
	int decoded;

	if (skb_copy_bits(skb, msg->header_len, head, avail)) {
		kfree_skb(skb);
		return;
	}
	decoded = ockam_portal_msg_decode(head, avail, msg->payload_len, &pm);

	spin_lock_bh(&p->lock);
	if (p->dead || test_bit(OCKAM_PORTAL_ENDING, &p->bits))
		why = OCKAM_PORTAL_END_UNSPEC;
	else if (!p->peer_route)
		why = ockam_portal_rcv_connecting(p, from, &pm, decoded);
	else if (!ockam_portal_identity_ok(p, from) ||
		 !ockam_portal_route_is(from, p->peer_route, p->peer_len,
					p->peer_hops))
		why = OCKAM_PORTAL_END_IMPOSTOR;
	else if (decoded)
		why = OCKAM_PORTAL_END_BAD_MESSAGE;
	else
		why = ockam_portal_rcv_open(p, &skb, msg->header_len, &pm);
	spin_unlock_bh(&p->lock);

	if (why == OCKAM_PORTAL_END_RESET)
		ockam_portal_end(p, why, ENOMEM);
	else if (why != OCKAM_PORTAL_END_UNSPEC)
		ockam_portal_end(p, why, 0);
	if (skb)
		consume_skb(skb);
}

/* ---- socket callbacks, under sk_callback_lock ---- */

static void ockam_portal_data_ready(struct sock *sk)
{
	struct ockam_portal *p;

	read_lock_bh(&sk->sk_callback_lock);
	p = ockam_sock_owner(sk);
	if (likely(p))
		ockam_portal_kick(p);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void ockam_portal_write_space(struct sock *sk)
{
	struct ockam_portal *p;

	read_lock_bh(&sk->sk_callback_lock);
	p = ockam_sock_owner(sk);
	if (likely(p) && sk_stream_is_writeable(sk)) {
		clear_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		ockam_portal_kick(p);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

/*
 * A FIN, or the end of our own FIN's handshake, is the work's to see; an
 * error (RST included) ends an open session at once. An inlet still
 * waiting for its PONG does not know the peer session yet, which the
 * outlet may already have connected: the PONG (whose work sees the error
 * and sends DISCONNECT) or the timeout ends it instead.
 */
static void ockam_portal_state_change(struct sock *sk)
{
	struct ockam_portal *p;
	int err;

	read_lock_bh(&sk->sk_callback_lock);
	p = ockam_sock_owner(sk);
	if (likely(p)) {
		err = READ_ONCE(sk->sk_err);
		if (err && READ_ONCE(p->state) == OCKAM_PORTAL_OPEN)
			ockam_portal_end(p, OCKAM_PORTAL_END_RESET, err);
		else
			ockam_portal_kick(p);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

/* ---- attach and end ---- */

static void ockam_portal_free_work(struct work_struct *work)
{
	struct ockam_portal *p = container_of(to_rcu_work(work),
					      struct ockam_portal, free_work);

	kfree(p->peer_route);
	kfree(p->ping_route);
	kfree(p);
}

static void ockam_portal_release(struct kref *refs)
{
	struct ockam_portal *p = container_of(refs, struct ockam_portal, refs);

	/* The receive path may still hold it from a table lookup. */
	queue_rcu_work(ockam_wq, &p->free_work);
}

void ockam_portal_put(struct ockam_portal *p)
{
	kref_put(&p->refs, ockam_portal_release);
}

static int ockam_portal_params(struct ockam_portal *p,
			       const struct ockam_portal_attach *req,
			       struct netlink_ext_ack *extack)
{
	struct ockam_route_view rt;
	u8 **route;
	int ret;

	if (req->address &&
	    ockam_endpoint_set_name(&p->ep, (const u8 *)req->address,
				    strlen(req->address))) {
		NL_SET_ERR_MSG(extack, "invalid local address");
		return -EINVAL;
	}
	ret = ockam_route_decode(req->route, req->route_len, &rt);
	if (ret < 0 || ret != req->route_len || !rt.hops) {
		NL_SET_ERR_MSG(extack, "invalid route");
		return -EINVAL;
	}
	if (!(req->flags & OCKAM_PORTAL_F_PLAINTEXT)) {
		if (!req->identifier ||
		    strlen(req->identifier) != OCKAM_IDENTIFIER_LEN ||
		    req->identifier[0] != 'I' ||
		    hex2bin(p->peer_id, req->identifier + 1,
			    OCKAM_IDENTIFIER_BYTES)) {
			NL_SET_ERR_MSG(extack,
				       "an identifier is needed without PLAINTEXT");
			return -EINVAL;
		}
	} else if (req->identifier) {
		NL_SET_ERR_MSG(extack, "PLAINTEXT takes no identifier");
		return -EINVAL;
	}

	route = req->role == OCKAM_PORTAL_INLET ? &p->ping_route :
						  &p->peer_route;
	*route = kmemdup(rt.addrs, rt.len, GFP_KERNEL);
	if (!*route)
		return -ENOMEM;
	if (req->role == OCKAM_PORTAL_INLET) {
		p->ping_len = rt.len;
		p->ping_hops = rt.hops;
	} else {
		p->peer_len = rt.len;
		p->peer_hops = rt.hops;
		p->peer_window = min_t(u32, req->peer_window,
				       OCKAM_PORTAL_WINDOW_MAX);
	}
	return 0;
}

static struct ockam_portal *
ockam_portal_alloc(struct ockam_node *node, struct socket *sock,
		   const struct ockam_portal_attach *req,
		   struct netlink_ext_ack *extack, int *err)
{
	struct ockam_portal *p;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	p->node = node;
	p->sock = sock;
	p->ep.kind = OCKAM_KIND_PORTAL;
	p->role = req->role;
	p->flags = req->flags;
	p->window = req->window;
	p->timeout_ms = req->timeout_ms;
	p->cookie = req->cookie;
	p->owner_portid = req->owner_portid;
	p->state = OCKAM_PORTAL_CONNECTING;
	spin_lock_init(&p->lock);
	__skb_queue_head_init(&p->rx_queue);
	__skb_queue_head_init(&p->rx_ahead);
	INIT_WORK(&p->work, ockam_portal_work);
	INIT_WORK(&p->close_work, ockam_portal_close_work);
	INIT_DELAYED_WORK(&p->timeout, ockam_portal_timeout);
	INIT_DELAYED_WORK(&p->hole, ockam_portal_hole);
	INIT_RCU_WORK(&p->free_work, ockam_portal_free_work);
	kref_init(&p->refs);

	*err = ockam_portal_params(p, req, extack);
	if (*err) {
		kfree(p->ping_route);
		kfree(p->peer_route);
		kfree(p);
		return NULL;
	}
	return p;
}

/* Into the node's table, within the node's budget of windows. */
static int ockam_portal_publish(struct ockam_portal *p, bool named,
				struct netlink_ext_ack *extack)
{
	struct ockam_node *node = p->node;
	int err;

	mutex_lock(&node->lock);
	if (node->portal_windows + p->window > OCKAM_PORTAL_NODE_WINDOWS) {
		NL_SET_ERR_MSG(extack, "the node's portal windows are all taken");
		err = -ENOBUFS;
		goto out;
	}
	if (named)
		err = ockam_node_insert(node, &p->ep);
	else
		err = ockam_node_insert_random(node, &p->ep);
	if (err) {
		if (err == -EADDRINUSE)
			NL_SET_ERR_MSG(extack, "local address already in use");
		else
			NL_SET_ERR_MSG(extack, "cannot add the session");
		goto out;
	}
	node->portal_windows += p->window;
	p->self_len = ockam_endpoint_encode(&p->ep, p->self);
	p->published = true;
out:
	mutex_unlock(&node->lock);
	return err;
}

static void ockam_portal_unpublish(struct ockam_portal *p)
{
	struct ockam_node *node = p->node;

	mutex_lock(&node->lock);
	if (p->published) {
		ockam_node_remove(node, &p->ep);
		node->portal_windows -= p->window;
		p->published = false;
	}
	mutex_unlock(&node->lock);
}

static int ockam_portal_claim(struct ockam_portal *p, struct sock *sk,
			      struct netlink_ext_ack *extack)
{
	static const struct ockam_sock_hooks hooks = {
		.data_ready = ockam_portal_data_ready,
		.write_space = ockam_portal_write_space,
		.state_change = ockam_portal_state_change,
	};

	/*
	 * A client may have sent its request and its FIN before the daemon
	 * got to attach it (HTTP/1.0, "nc -N"): that stream is half-closed,
	 * not over, and its END goes after its bytes.
	 */
	return ockam_sock_claim(sk, p, TCPF_ESTABLISHED | TCPF_CLOSE_WAIT,
				&hooks, &p->saved, extack);
}

/* Claim and publish with the socket locked: no callback runs meanwhile. */
static int ockam_portal_take_over(struct ockam_portal *p, bool named,
				  struct netlink_ext_ack *extack)
{
	struct sock *sk = p->sock->sk;
	int err;

	lock_sock(sk);
	err = ockam_portal_claim(p, sk, extack);
	if (!err) {
		err = ockam_portal_publish(p, named, extack);
		if (err)
			ockam_sock_restore(sk, &p->saved);
	}
	release_sock(sk);
	return err;
}

/* The first message: PING to the outlet service, or PONG to the inlet. */
static int ockam_portal_hello(struct ockam_portal *p)
{
	struct ockam_portal_msg pm = { .window = p->window };
	u8 hdr[OCKAM_PORTAL_MSG_HEADER_MAX];
	int err;

	if (p->role == OCKAM_PORTAL_INLET) {
		pm.type = OCKAM_PORTAL_MSG_PING;
		return ockam_portal_send(p, p->ping_route, p->ping_len,
					 p->ping_hops, hdr,
					 ockam_portal_msg_encode(hdr, &pm),
					 NULL, 0, 0);
	}
	pm.type = OCKAM_PORTAL_MSG_PONG;
	err = ockam_portal_send_peer(p, &pm);
	if (err)
		return err;
	/* Only now may PAYLOADs follow it. */
	smp_store_release(&p->state, OCKAM_PORTAL_OPEN);
	return 0;
}

/*
 * On success *@out holds a reference for the caller, who must drop it with
 * ockam_portal_put(): the session may end as soon as we return.
 */
int ockam_portal_attach(struct ockam_node *node,
			const struct ockam_portal_attach *req,
			struct netlink_ext_ack *extack,
			struct ockam_portal **out)
{
	struct ockam_portal *p;
	struct socket *sock;
	int err;

	sock = ockam_sock_lookup(req->fd, node->net, IPPROTO_TCP,
				 extack);
	if (IS_ERR(sock))
		return PTR_ERR(sock);
	p = ockam_portal_alloc(node, sock, req, extack, &err);
	if (!p)
		goto err_put;

	/* Armed before anyone can end the session, which cancels it. */
	if (p->role == OCKAM_PORTAL_INLET)
		queue_delayed_work(ockam_wq, &p->timeout,
				   msecs_to_jiffies(p->timeout_ms));
	/* The caller's, before a detach can drop the session's own one. */
	kref_get(&p->refs);
	err = ockam_portal_take_over(p, !!req->address, extack);
	if (err) {
		cancel_delayed_work_sync(&p->timeout);
		kfree(p->ping_route);
		kfree(p->peer_route);
		kfree(p);
		goto err_put;
	}
	ockam_stats_inc(node->stats, OCKAM_STAT_PORTAL_SESSIONS);

	*out = p;
	/*
	 * A session that a detach or a reset ended already says nothing:
	 * its PING or PONG would open a peer session that hears no more.
	 */
	if (test_bit(OCKAM_PORTAL_ENDING, &p->bits))
		return 0;
	err = ockam_portal_hello(p);
	if (err)
		ockam_portal_end(p, OCKAM_PORTAL_END_UNREACHABLE, -err);
	else
		ockam_portal_kick(p);
	return 0;

err_put:
	sockfd_put(sock);
	return err;
}

static void ockam_portal_purge(struct ockam_portal *p)
{
	__skb_queue_purge(&p->rx_queue);
	__skb_queue_purge(&p->rx_ahead);
	p->ahead_truesize = 0;
	kfree_skb(p->rx_cur);
	p->rx_cur = NULL;
	p->rx_coalesce = NULL;
	p->rx_queued = 0;
	p->rx_truesize = 0;
}

/* Does the peer session need telling that this one is gone? */
static bool ockam_portal_tell_peer(const struct ockam_portal *p)
{
	switch (p->reason) {
	case OCKAM_PORTAL_END_CLOSED:
	case OCKAM_PORTAL_END_PEER_RESET:
	case OCKAM_PORTAL_END_REFUSED:
		return false;
	default:
		return p->peer_route && p->state == OCKAM_PORTAL_OPEN;
	}
}

static void ockam_portal_close_work(struct work_struct *work)
{
	struct ockam_portal *p = container_of(work, struct ockam_portal,
					      close_work);
	struct ockam_portal_msg pm = { .type = OCKAM_PORTAL_MSG_DISCONNECT };
	struct sock *sk = p->sock->sk;

	cancel_delayed_work_sync(&p->timeout);
	ockam_portal_unpublish(p);
	spin_lock_bh(&p->lock);
	p->dead = true;
	spin_unlock_bh(&p->lock);

	lock_sock(sk);
	ockam_sock_restore(sk, &p->saved);
	release_sock(sk);
	cancel_work_sync(&p->work);
	/* The work may have armed it again to wait for its channel. */
	cancel_delayed_work_sync(&p->timeout);
	/* Armed only under the lock by a session not dead: not again. */
	cancel_delayed_work_sync(&p->hole);

	if (ockam_portal_tell_peer(p))
		ockam_portal_send_peer(p, &pm);
	if (p->reason != OCKAM_PORTAL_END_CLOSED)
		tcp_abort(sk, ECONNRESET);
	WRITE_ONCE(p->state, OCKAM_PORTAL_CLOSING);
	ockam_portal_purge(p);

	ockam_netlink_portal_closed(p);
	sockfd_put(p->sock);
	p->sock = NULL;
	ockam_portal_put(p);
}

int ockam_portal_detach(struct ockam_node *node, const u8 *name, u32 len)
{
	struct ockam_portal *p = NULL;
	struct ockam_endpoint *ep;

	mutex_lock(&node->lock);
	rcu_read_lock();
	ep = ockam_node_lookup(node, name, len);
	rcu_read_unlock();
	if (ep && ep->kind == OCKAM_KIND_PORTAL) {
		p = ockam_portal_from_ep(ep);
		kref_get(&p->refs);
		ockam_portal_end(p, OCKAM_PORTAL_END_DETACHED, 0);
	}
	mutex_unlock(&node->lock);
	if (!p)
		return -ENOENT;
	flush_work(&p->close_work);
	ockam_portal_put(p);
	return 0;
}

/*
 * A channel of the node came back after an outage, gave up, or closed
 * (liveness.c, channel.c). For each open session through a channel:
 *
 *  - it is back: messages sent meanwhile may be lost. The session says
 *    again what it has written and which message it sends next, and asks
 *    the peer to do the same (ockam_portal_resync()): a lost CREDIT is
 *    made good (at a peer that had it, a repeat changes nothing), a lost
 *    PAYLOAD or END shows as a gap, which resets the session rather than
 *    leave both ends waiting. A session that could not send meanwhile
 *    (LOST) ends now, so that its DISCONNECT gets through;
 *  - it is down or gone: the session ends, its peer out of reach.
 */
void ockam_portal_node_refresh(struct ockam_node *node)
{
	struct ockam_endpoint *ep;
	struct ockam_portal *p;
	u8 state;

	mutex_lock(&node->lock);
	list_for_each_entry(ep, ockam_node_list(node, OCKAM_KIND_PORTAL),
			    list) {
		p = ockam_portal_from_ep(ep);
		/* Pairs with the release in ockam_portal_open(). */
		if (smp_load_acquire(&p->state) != OCKAM_PORTAL_OPEN ||
		    (p->flags & OCKAM_PORTAL_F_PLAINTEXT))
			continue;
		state = ockam_portal_channel_state(p);
		if (state == OCKAM_CHANNEL_RECOVERING ||
		    state == OCKAM_PORTAL_NO_CHANNEL)
			continue;
		if (state != OCKAM_CHANNEL_UP ||
		    test_bit(OCKAM_PORTAL_LOST, &p->bits)) {
			ockam_portal_end(p, OCKAM_PORTAL_END_UNREACHABLE,
					 EHOSTUNREACH);
			continue;
		}
		set_bit(OCKAM_PORTAL_REFRESH, &p->bits);
		ockam_portal_kick(p);
	}
	mutex_unlock(&node->lock);
}

void ockam_portal_owner_gone(struct ockam_node *node, u32 portid)
{
	struct ockam_endpoint *ep;
	struct ockam_portal *p;

	mutex_lock(&node->lock);
	list_for_each_entry(ep, ockam_node_list(node, OCKAM_KIND_PORTAL),
			    list) {
		p = ockam_portal_from_ep(ep);
		if (p->owner_portid == portid)
			ockam_portal_end(p, OCKAM_PORTAL_END_OWNER_GONE, 0);
	}
	mutex_unlock(&node->lock);
}

/* End every session and wait for each to be gone. */
void ockam_portal_node_exit(struct ockam_node *node)
{
	struct ockam_endpoint *ep;
	struct ockam_portal *p;

	for (;;) {
		p = NULL;
		mutex_lock(&node->lock);
		ep = list_first_entry_or_null(ockam_node_list(node,
							      OCKAM_KIND_PORTAL),
					      struct ockam_endpoint, list);
		if (ep) {
			p = ockam_portal_from_ep(ep);
			kref_get(&p->refs);
			ockam_portal_end(p, OCKAM_PORTAL_END_NODE_EXIT, 0);
		}
		mutex_unlock(&node->lock);
		if (!p)
			return;
		flush_work(&p->close_work);
		ockam_portal_put(p);
	}
}
