// SPDX-License-Identifier: GPL-2.0
/*
 * TCP transport.
 *
 * Userspace connects or accepts a TCP socket and hands it over with
 * OCKAM_CMD_TRANSPORT_ATTACH. We take it over the way KCM does
 * (sockhook.c): with the socket locked and under sk_callback_lock, claim
 * sk_user_data (refusing a socket another kernel user holds) and swap in
 * our data_ready, write_space and state_change callbacks, taking the ULP
 * slot so nobody stacks kTLS on it; a strparser cuts the byte stream
 * into messages. The whole take-over, including publishing the transport's
 * address, happens with the socket locked, so no callback can see a
 * half-attached transport. The kernel keeps its own file reference.
 *
 * Receive runs in the strparser's context (softirq, or its work item while
 * the socket is busy) and routes each message at once, a bounded number
 * per run: the rest waits in TCP's queue for the next run, in process
 * context. Transmit is a work item that drains a bounded queue with the
 * socket locked; it stops when TCP's send buffer is full and write_space
 * restarts it.
 *
 * A relay forwards without copying, so it could take messages in faster
 * than the next connection drains them. Instead of dropping in transit,
 * the inbound transport that pushes a queue past its high watermark is
 * paused (its strparser stops reading, so TCP's window closes on the
 * previous hop) until the queue falls below the low watermark.
 *
 * Closing is one work item, run once, whoever asks first: unpublish the
 * address, read what the peer sent before a clean close, give the socket
 * its callbacks back, stop the parser and the transmit work, drop what was
 * queued (telling local senders), shut the connection down, tell userspace,
 * and free after an RCU grace period.
 */
#include <linux/jhash.h>
#include <linux/slab.h>
#include <net/tcp.h>

#include "channel.h"
#include "compat.h"
#include "message.h"
#include "netlink.h"
#include "ockam.h"
#include "route.h"
#include "socket.h"
#include "sockhook.h"
#include "stream.h"
#include "tcp.h"

enum {
	/* Messages one transmit run sends before letting others run. */
	OCKAM_TCP_TX_BUDGET = 64,
	/* Linear messages handed to TCP in one call. */
	OCKAM_TCP_TX_BATCH = 16,
};

static u32 ockam_peer_obj_hash(const void *data, u32 len, u32 seed)
{
	const struct ockam_tcp *t = data;

	return jhash(t->peer, t->peer_len, seed);
}

static int ockam_peer_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct ockam_tcp *t = obj;

	return !ockam_name_eq(arg->key, t->peer, t->peer_len);
}

static const struct rhashtable_params ockam_peer_params = {
	.head_offset = offsetof(struct ockam_tcp, peer_node),
	.hashfn = ockam_name_hash,
	.obj_hashfn = ockam_peer_obj_hash,
	.obj_cmpfn = ockam_peer_cmp,
	.automatic_shrinking = true,
};

struct ockam_tcp *ockam_tcp_lookup_peer(struct ockam_node *node,
					const u8 *peer, u32 len)
{
	struct ockam_name key = { .name = peer, .len = len };
	struct rhlist_head *list, *pos;
	struct ockam_tcp *t;

	list = rhltable_lookup(&node->peers, &key, ockam_peer_params);
	rhl_for_each_entry_rcu(t, pos, list, peer_node) {
		if (!READ_ONCE(t->dead))
			return t;
	}
	return NULL;
}

static void ockam_tcp_close(struct ockam_tcp *t, enum ockam_down_reason reason,
			    int err)
{
	if (test_and_set_bit(OCKAM_TCP_CLOSING, &t->state))
		return;
	t->down_reason = reason;
	t->down_errno = err;
	queue_work(ockam_wq, &t->close_work);
}

/* ---- backpressure ---- */

static u32 ockam_tcp_txq_limit(const struct ockam_tcp *t)
{
	return max_t(u32, OCKAM_TCP_TXQ_MIN,
		     2 * READ_ONCE(t->node->max_message));
}

/*
 * Pause @from and link it on @paused, the list of @by, which resumes it;
 * false when something already paused it, or it is closing. Called from
 * @from's receive path, which holds @from's socket lock as strp_pause()
 * wants.
 *
 * A closing @from is never linked: its close work unlinks it once, under
 * the node's throttle_lock, and then still routes what its peer sent
 * before the close (the drain), which comes back here. Linking it again
 * would leave it on a list after it is freed. OCKAM_TCP_CLOSING is set
 * before the close work is queued, so once the unlink has taken the lock,
 * every later caller sees the bit.
 */
static bool ockam_tcp_pause(struct ockam_tcp *from, const void *by,
			    struct list_head *paused)
{
	lockdep_assert_held(&from->node->throttle_lock);
	if (from->throttled_by || test_bit(OCKAM_TCP_CLOSING, &from->state))
		return false;
	strp_pause(&from->strp);
	from->throttled_by = by;
	list_add_tail(&from->throttle_node, paused);
	return true;
}

/*
 * Pause @from, whose message just filled @t's queue past the high
 * watermark. Called with @t's queue lock held, so @t's transmit work sees
 * the link when it next checks the queue.
 */
static void ockam_tcp_throttle(struct ockam_tcp *t, struct ockam_tcp *from)
{
	lockdep_assert_held(&t->tx_queue.lock);
	spin_lock(&t->node->throttle_lock);
	ockam_tcp_pause(from, t, &t->throttled);
	spin_unlock(&t->node->throttle_lock);
}

/* Resume everyone on @paused, unless they are closing. */
static void ockam_tcp_resume(struct ockam_node *node, struct list_head *paused)
{
	struct ockam_tcp *from, *tmp;

	lockdep_assert_held(&node->throttle_lock);
	list_for_each_entry_safe(from, tmp, paused, throttle_node) {
		list_del_init(&from->throttle_node);
		from->throttled_by = NULL;
		if (!test_bit(OCKAM_TCP_CLOSING, &from->state))
			strp_unpause(&from->strp);
	}
}

/* Resume everyone @t paused. */
static void ockam_tcp_unthrottle(struct ockam_tcp *t)
{
	spin_lock(&t->node->throttle_lock);
	ockam_tcp_resume(t->node, &t->throttled);
	spin_unlock(&t->node->throttle_lock);
}

/*
 * Pause @from, whose frame just left one of its node's channels with more
 * frames to open than it may have (crypt_queue.c), until the node's
 * channels caught up: ockam_tcp_unthrottle_opening(). Returns as
 * ockam_tcp_pause().
 */
bool ockam_tcp_throttle_opening(struct ockam_tcp *from)
{
	struct ockam_node *node = from->node;
	bool paused;

	spin_lock_bh(&node->throttle_lock);
	paused = ockam_tcp_pause(from, node, &node->opening_throttled);
	spin_unlock_bh(&node->throttle_lock);
	return paused;
}

/* Resume every transport that @node's channels paused. */
void ockam_tcp_unthrottle_opening(struct ockam_node *node)
{
	spin_lock_bh(&node->throttle_lock);
	ockam_tcp_resume(node, &node->opening_throttled);
	spin_unlock_bh(&node->throttle_lock);
}

/*
 * @t is closing: stop waiting on anyone, and let everyone go. A clean
 * close still reads what the peer sent, so it must not stay paused.
 */
static void ockam_tcp_unlink_throttles(struct ockam_tcp *t)
{
	bool was_paused = false;

	spin_lock_bh(&t->node->throttle_lock);
	if (t->throttled_by) {
		list_del_init(&t->throttle_node);
		t->throttled_by = NULL;
		was_paused = true;
	}
	spin_unlock_bh(&t->node->throttle_lock);
	if (was_paused && t->down_reason == OCKAM_DOWN_CLOSED)
		strp_unpause(&t->strp);
	local_bh_disable();
	ockam_tcp_unthrottle(t);
	local_bh_enable();
}

/* ---- transmit ---- */

/*
 * Queue @skb, an encoded message, for @t's peer. -ENOBUFS when the queue
 * is past its limit, unless @committed: a frame a channel sealed off the
 * routing step for a local sender, whose send() already returned. It is
 * not lost to a full queue but goes over the limit, by what its sender
 * may have in flight (a socket's send buffer, a portal's window).
 */
int ockam_tcp_xmit(struct ockam_tcp *t, struct sk_buff *skb,
		   struct ockam_tcp *from, bool committed)
{
	u32 limit = ockam_tcp_txq_limit(t);
	u32 len = skb->len;
	int err = 0;

	if (skb_cow_head(skb, OCKAM_TCP_FRAME_LEN))
		return -ENOMEM;
	put_unaligned_be32(len, __skb_push(skb, OCKAM_TCP_FRAME_LEN));

	spin_lock_bh(&t->tx_queue.lock);
	if (t->dead) {
		err = -ECONNRESET;
	} else if (!committed && t->tx_bytes + skb->len > limit) {
		err = -ENOBUFS;
	} else {
		__skb_queue_tail(&t->tx_queue, skb);
		t->tx_bytes += skb->len;
		if (!t->tx_blocked)
			queue_work(ockam_tx_wq, &t->tx_work);
		if (from && from != t && t->tx_bytes >= limit / 2)
			ockam_tcp_throttle(t, from);
	}
	spin_unlock_bh(&t->tx_queue.lock);
	if (err)
		__skb_pull(skb, OCKAM_TCP_FRAME_LEN);
	return err;
}

static int ockam_tcp_send_version(struct ockam_tcp *t, struct sock *sk)
{
	u8 version = OCKAM_TCP_VERSION;
	int ret;

	if (t->tx_version_sent)
		return 0;
	ret = ockam_stream_send_kvec(sk, &version, 1,
				     skb_queue_empty_lockless(&t->tx_queue) ?
				     0 : MSG_MORE);
	if (ret < 0)
		return ret;
	t->tx_version_sent = true;
	return 0;
}

static void ockam_tcp_count_tx(struct ockam_tcp *t, u32 bytes)
{
	ockam_stats_inc(t->stats, OCKAM_STAT_TX_MESSAGES);
	ockam_stats_add(t->stats, OCKAM_STAT_TX_BYTES, bytes);
	ockam_stats_inc(t->node->stats, OCKAM_STAT_TX_MESSAGES);
	ockam_stats_add(t->node->stats, OCKAM_STAT_TX_BYTES, bytes);
}

/*
 * A batch of up to @max messages from the head of the queue, each
 * entirely in its linear part, as one write: small messages then cost
 * TCP one call a batch instead of one each. The queue's head is only
 * ever taken off by the transmit work, and purged once it is cancelled,
 * so the messages stay put while the lock is dropped. Returns how many
 * there are (0 when the head is not linear), their bytes in @*total, and
 * in @*more whether a message follows them (with none, the head).
 */
static u32 ockam_tcp_gather(struct ockam_tcp *t, struct kvec *kv, u32 max,
			    size_t *total, bool *more)
{
	struct sk_buff *skb;
	u32 n = 0, off = t->tx_sent;

	lockdep_assert_held(&t->tx_queue.lock);
	*total = 0;
	*more = false;
	skb_queue_walk(&t->tx_queue, skb) {
		if (n == max || skb_is_nonlinear(skb)) {
			*more = n || !skb_queue_is_last(&t->tx_queue, skb);
			break;
		}
		kv[n].iov_base = skb->data + off;
		kv[n].iov_len = skb->len - off;
		*total += kv[n].iov_len;
		off = 0;
		n++;
	}
	return n;
}

/*
 * Take the messages of which TCP took all (@sent bytes from the head, the
 * head's @tx_sent before them) off the queue into @done; the rest of a
 * message TCP took part of is remembered in @tx_sent.
 */
static void ockam_tcp_sent(struct ockam_tcp *t, size_t sent,
			   struct sk_buff_head *done)
{
	struct sk_buff *skb;
	u32 left;

	spin_lock_bh(&t->tx_queue.lock);
	while ((skb = skb_peek(&t->tx_queue))) {
		left = skb->len - t->tx_sent;
		if (sent < left) {
			t->tx_sent += sent;
			break;
		}
		sent -= left;
		t->tx_sent = 0;
		__skb_unlink(skb, &t->tx_queue);
		t->tx_bytes -= skb->len;
		__skb_queue_tail(done, skb);
		if (!sent)
			break;
	}
	if (!list_empty(&t->throttled) &&
	    t->tx_bytes <= ockam_tcp_txq_limit(t) / 4)
		ockam_tcp_unthrottle(t);
	spin_unlock_bh(&t->tx_queue.lock);
}

static void ockam_tcp_done(struct ockam_tcp *t, struct sk_buff_head *done)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(done))) {
		ockam_tcp_count_tx(t, skb->len - OCKAM_TCP_FRAME_LEN);
		consume_skb(skb);
	}
}

/* Send the batch ockam_tcp_gather() made; as ockam_tcp_send_one(). */
static int ockam_tcp_send_batch(struct sock *sk, struct kvec *kv, u32 n,
				size_t total, bool more, size_t *sent)
{
	int ret;

	ret = ockam_stream_send_kvecs(sk, kv, n, total, more ? MSG_MORE : 0);
	*sent = ret > 0 ? ret : 0;
	if (ret < 0)
		return ret;
	return *sent < total ? -EAGAIN : 0;
}

/*
 * Send @skb, the message at the head of the queue, from where TCP stopped
 * last time (@tx_sent), whatever its shape. The bytes TCP took go in
 * @*sent; returns 0, -EAGAIN when TCP took less, or an errno.
 */
static int ockam_tcp_send_one(struct ockam_tcp *t, struct sock *sk,
			      struct sk_buff *skb, bool more, size_t *sent)
{
	struct ockam_tx_cursor c = {
		.offset = t->tx_sent,
		.len = skb->len - t->tx_sent,
		.more = more,
	};
	int ret;

	ret = ockam_stream_send_range(sk, skb, &c);
	*sent = c.done;
	return ret;
}

/* Returns 0 when the queue is empty, -EAGAIN when TCP is full. */
static int ockam_tcp_send_queue(struct ockam_tcp *t, struct sock *sk)
{
	struct kvec kv[OCKAM_TCP_TX_BATCH];
	struct sk_buff_head done;
	struct sk_buff *skb;
	int budget, ret;
	size_t total, sent;
	bool more;
	u32 n;

	__skb_queue_head_init(&done);
	for (budget = OCKAM_TCP_TX_BUDGET; budget > 0; budget -= n) {
		spin_lock_bh(&t->tx_queue.lock);
		skb = t->dead ? NULL : skb_peek(&t->tx_queue);
		n = skb ? ockam_tcp_gather(t, kv,
					   min_t(u32, budget, OCKAM_TCP_TX_BATCH),
					   &total, &more) : 0;
		spin_unlock_bh(&t->tx_queue.lock);
		if (!skb)
			return 0;

		if (n) {
			ret = ockam_tcp_send_batch(sk, kv, n, total, more, &sent);
		} else {
			n = 1;
			ret = ockam_tcp_send_one(t, sk, skb, more, &sent);
		}
		ockam_tcp_sent(t, sent, &done);
		ockam_tcp_done(t, &done);
		if (ret)
			return ret;
	}
	/* Out of budget: run again later rather than hold the socket. */
	queue_work(ockam_tx_wq, &t->tx_work);
	return 0;
}

static void ockam_tcp_tx_work(struct work_struct *work)
{
	struct ockam_tcp *t = container_of(work, struct ockam_tcp, tx_work);
	struct sock *sk = t->sock->sk;
	int err;

	lock_sock(sk);
	err = ockam_tcp_send_version(t, sk);
	if (!err)
		err = ockam_tcp_send_queue(t, sk);
	if (err == -EAGAIN) {
		/* write_space runs from release_sock() at the earliest, so it
		 * sees this flag.
		 */
		spin_lock_bh(&t->tx_queue.lock);
		t->tx_blocked = true;
		spin_unlock_bh(&t->tx_queue.lock);
	}
	release_sock(sk);
	if (err && err != -EAGAIN)
		ockam_tcp_close(t, OCKAM_DOWN_ERROR, -err);
}

/* ---- receive ---- */

/*
 * For good: paused ends the strparser's current read loop, and stopped
 * keeps backpressure's unpause from starting another.
 */
static void ockam_tcp_stop_reading(struct strparser *strp)
{
	strp_pause(strp);
	strp_stop(strp);
}

static int ockam_tcp_parse(struct strparser *strp, struct sk_buff *skb)
{
	struct ockam_tcp *t = container_of(strp, struct ockam_tcp, strp);
	struct strp_msg *rxm = strp_msg(skb);
	u8 prefix[OCKAM_TCP_FRAME_LEN];
	u32 len;
	int err;

	/* The peer's version byte is a message of its own. */
	if (unlikely(!t->rx_version_seen))
		return 1;
	if (skb->len - rxm->offset < OCKAM_TCP_FRAME_LEN)
		return 0;
	if (skb_copy_bits(skb, rxm->offset, prefix, sizeof(prefix)))
		return -EBADMSG;
	/* The decision is codec.c's, which the stream fuzzer runs. */
	err = ockam_tcp_msg_len(prefix, READ_ONCE(t->node->max_message), &len);
	if (err)
		return err;
	return OCKAM_TCP_FRAME_LEN + len;
}

static void ockam_tcp_fail(struct ockam_tcp *t, enum ockam_stat why,
			   enum ockam_down_reason reason, int err)
{
	ockam_stats_inc(t->stats, why);
	ockam_stats_inc(t->node->stats, why);
	ockam_tcp_close(t, reason, err);
}

static void ockam_tcp_rcv_version(struct ockam_tcp *t, struct sk_buff *skb,
				  u32 offset)
{
	u8 version = 0;

	skb_copy_bits(skb, offset, &version, 1);
	consume_skb(skb);
	if (version != OCKAM_TCP_VERSION) {
		ockam_tcp_fail(t, OCKAM_STAT_DROP_BAD_FRAME,
			       OCKAM_DOWN_BAD_VERSION, EPROTO);
		ockam_tcp_stop_reading(&t->strp);
		return;
	}
	t->rx_version_seen = true;
}

/*
 * One strparser run reads all that TCP holds for us. In softirq, with
 * the socket locked, that can be a peer's whole backlog of small
 * messages, up to the receive buffer (some 150 000 of them): long enough
 * to keep the CPU from everyone else, and on a slow machine to set off
 * the soft-lockup watchdog. So a run routes OCKAM_TCP_RX_BUDGET messages
 * at most, then pauses, as backpressure does: the rest stays in TCP's
 * queue, in order, until rx_work lets the strparser go on in its own work
 * item.
 */
static void ockam_tcp_rx_budget(struct ockam_tcp *t)
{
	if (++t->rx_run < OCKAM_TCP_RX_BUDGET)
		return;
	strp_pause(&t->strp);
	t->rx_yielded = true;
	ockam_stats_inc(t->stats, OCKAM_STAT_RX_DEFERRED);
	ockam_stats_inc(t->node->stats, OCKAM_STAT_RX_DEFERRED);
	queue_work(ockam_wq, &t->rx_work);
}

/*
 * Give a strparser that its budget paused a new run; false if the budget
 * did not pause it. Whether it may go on at once is the caller's choice:
 * backpressure may hold it paused still.
 */
static bool ockam_tcp_rx_rearm(struct ockam_tcp *t)
{
	sock_owned_by_me(t->sock->sk);
	if (!t->rx_yielded)
		return false;
	t->rx_yielded = false;
	t->rx_run = 0;
	return true;
}

static void ockam_tcp_rx_work(struct work_struct *work)
{
	struct ockam_tcp *t = container_of(work, struct ockam_tcp, rx_work);
	struct sock *sk = t->sock->sk;

	lock_sock(sk);
	/* A closing transport's reads are its close work's (the drain). */
	if (!test_bit(OCKAM_TCP_CLOSING, &t->state) && ockam_tcp_rx_rearm(t)) {
		spin_lock_bh(&t->node->throttle_lock);
		if (!t->throttled_by)
			strp_unpause(&t->strp);
		spin_unlock_bh(&t->node->throttle_lock);
	}
	release_sock(sk);
}

static void ockam_tcp_rcv(struct strparser *strp, struct sk_buff *skb)
{
	struct ockam_tcp *t = container_of(strp, struct ockam_tcp, strp);
	struct strp_msg *rxm = strp_msg(skb);
	u32 offset = rxm->offset, len = rxm->full_len;
	int err;

	if (unlikely(!t->rx_version_seen)) {
		ockam_tcp_rcv_version(t, skb, offset);
		return;
	}
	if (ockam_msg_trim_head(skb, offset + OCKAM_TCP_FRAME_LEN) ||
	    pskb_trim(skb, len - OCKAM_TCP_FRAME_LEN)) {
		kfree_skb(skb);
		ockam_stats_inc(t->node->stats, OCKAM_STAT_DROP_BUFFER_FULL);
		return;
	}
	len -= OCKAM_TCP_FRAME_LEN;
	ockam_stats_inc(t->stats, OCKAM_STAT_RX_MESSAGES);
	ockam_stats_add(t->stats, OCKAM_STAT_RX_BYTES, len);
	ockam_stats_inc(t->node->stats, OCKAM_STAT_RX_MESSAGES);
	ockam_stats_add(t->node->stats, OCKAM_STAT_RX_BYTES, len);

	err = ockam_route_skb(t->node, skb, t, 0);
	if (err == -EBADMSG) {
		/* A peer that sends garbage loses its connection. */
		ockam_stats_inc(t->stats, OCKAM_STAT_DROP_BAD_FRAME);
		ockam_tcp_close(t, OCKAM_DOWN_BAD_FRAME, EBADMSG);
		ockam_tcp_stop_reading(strp);
		return;
	}
	ockam_tcp_rx_budget(t);
}

/*
 * After a parse error the strparser may still be handed the rest of the
 * segment it was reading: count the error once and parse nothing more.
 */
static void ockam_tcp_abort(struct strparser *strp, int err)
{
	struct ockam_tcp *t = container_of(strp, struct ockam_tcp, strp);

	if (strp->stopped)
		return;
	ockam_tcp_stop_reading(strp);
	if (err == -EMSGSIZE)
		ockam_tcp_fail(t, OCKAM_STAT_DROP_TOO_BIG, OCKAM_DOWN_TOO_BIG,
			       EMSGSIZE);
	else
		ockam_tcp_fail(t, OCKAM_STAT_DROP_BAD_FRAME,
			       OCKAM_DOWN_BAD_FRAME, -err);
}

/* ---- socket callbacks, under sk_callback_lock ---- */

static void ockam_tcp_data_ready(struct sock *sk)
{
	struct ockam_tcp *t;

	read_lock_bh(&sk->sk_callback_lock);
	t = ockam_sock_owner(sk);
	if (likely(t)) {
		/*
		 * A run in softirq starts here. With the socket owned, the
		 * strparser's work item reads instead, and this must leave
		 * its count alone.
		 */
		if (!sock_owned_by_user_nocheck(sk))
			t->rx_run = 0;
		strp_data_ready(&t->strp);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void ockam_tcp_write_space(struct sock *sk)
{
	struct ockam_tcp *t;

	read_lock_bh(&sk->sk_callback_lock);
	t = ockam_sock_owner(sk);
	if (likely(t) && sk_stream_is_writeable(sk)) {
		clear_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		spin_lock_bh(&t->tx_queue.lock);
		if (t->tx_blocked) {
			t->tx_blocked = false;
			queue_work(ockam_tx_wq, &t->tx_work);
		}
		spin_unlock_bh(&t->tx_queue.lock);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void ockam_tcp_state_change(struct sock *sk)
{
	struct ockam_tcp *t;
	int err;

	read_lock_bh(&sk->sk_callback_lock);
	t = ockam_sock_owner(sk);
	if (likely(t) && sk->sk_state != TCP_ESTABLISHED) {
		err = READ_ONCE(sk->sk_err);
		if (err)
			ockam_tcp_close(t, OCKAM_DOWN_ERROR, err);
		else
			ockam_tcp_close(t, OCKAM_DOWN_CLOSED, 0);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

/* ---- attach and close ---- */

static void ockam_tcp_close_work(struct work_struct *work);

static void ockam_tcp_free_work(struct work_struct *work)
{
	struct ockam_tcp *t = container_of(to_rcu_work(work), struct ockam_tcp,
					   free_work);

	free_percpu(t->stats);
	kfree(t);
}

static void ockam_tcp_release(struct kref *refs)
{
	struct ockam_tcp *t = container_of(refs, struct ockam_tcp, refs);

	/* Softirq readers may still hold it from a table lookup. */
	queue_rcu_work(ockam_wq, &t->free_work);
}

void ockam_tcp_put(struct ockam_tcp *t)
{
	kref_put(&t->refs, ockam_tcp_release);
}

static void ockam_tcp_hostport(struct socket *sock, bool peer, char *buf,
			       size_t size)
{
	struct sockaddr_storage ss;
	int ret;

	if (peer)
		ret = kernel_getpeername(sock, (struct sockaddr *)&ss);
	else
		ret = kernel_getsockname(sock, (struct sockaddr *)&ss);
	if (ret < 0)
		strscpy(buf, "?", size);
	else
		snprintf(buf, size, "%pISpc", &ss);
}

static struct ockam_tcp *ockam_tcp_alloc(struct ockam_node *node,
					 struct socket *sock,
					 const struct ockam_tcp_attach *req,
					 struct netlink_ext_ack *extack,
					 int *err)
{
	struct ockam_tcp *t;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		goto nomem;
	t->stats = ockam_stats_alloc(OCKAM_STATS_ALL);
	if (!t->stats)
		goto nomem;
	t->node = node;
	t->sock = sock;
	t->ep.kind = OCKAM_KIND_TCP;
	t->flags = req->flags;
	t->owner_portid = req->owner_portid;
	skb_queue_head_init(&t->tx_queue);
	INIT_LIST_HEAD(&t->throttled);
	INIT_LIST_HEAD(&t->throttle_node);
	INIT_WORK(&t->tx_work, ockam_tcp_tx_work);
	INIT_WORK(&t->rx_work, ockam_tcp_rx_work);
	INIT_WORK(&t->close_work, ockam_tcp_close_work);
	INIT_RCU_WORK(&t->free_work, ockam_tcp_free_work);
	kref_init(&t->refs);

	*err = -EINVAL;
	if (req->address &&
	    ockam_endpoint_set_name(&t->ep, (const u8 *)req->address,
				    strlen(req->address))) {
		NL_SET_ERR_MSG(extack, "invalid local address");
		goto fail;
	}
	if (req->peer) {
		t->peer_len = strlen(req->peer);
		if (!ockam_local_name_valid((const u8 *)req->peer,
					    t->peer_len)) {
			NL_SET_ERR_MSG(extack, "invalid peer");
			goto fail;
		}
		memcpy(t->peer, req->peer, t->peer_len);
	} else {
		ockam_tcp_hostport(sock, true, t->peer, sizeof(t->peer));
		t->peer_len = strlen(t->peer);
	}
	ockam_tcp_hostport(sock, false, t->local, sizeof(t->local));
	t->unparking = true;
	return t;

nomem:
	*err = -ENOMEM;
fail:
	if (t)
		free_percpu(t->stats);
	kfree(t);
	return NULL;
}

/* strparser refuses messages longer than the TCP receive buffer. */
static void ockam_tcp_fit_rcvbuf(struct sock *sk, u32 max_message)
{
	int need = max_message + OCKAM_TCP_FRAME_LEN;

	if (READ_ONCE(sk->sk_rcvbuf) < need)
		WRITE_ONCE(sk->sk_rcvbuf, need);
}

static int ockam_tcp_publish(struct ockam_tcp *t, bool named)
{
	struct ockam_node *node = t->node;
	int err;

	mutex_lock(&node->lock);
	if (named)
		err = ockam_node_insert(node, &t->ep);
	else
		err = ockam_node_insert_random(node, &t->ep);
	if (err)
		goto out;
	err = rhltable_insert(&node->peers, &t->peer_node, ockam_peer_params);
	if (err) {
		ockam_node_remove(node, &t->ep);
		goto out;
	}
	t->push_len = ockam_endpoint_encode(&t->ep, t->push);
	t->published = true;
out:
	mutex_unlock(&node->lock);
	return err;
}

static void ockam_tcp_unpublish(struct ockam_tcp *t)
{
	struct ockam_node *node = t->node;

	mutex_lock(&node->lock);
	if (t->published) {
		rhltable_remove(&node->peers, &t->peer_node, ockam_peer_params);
		ockam_node_remove(node, &t->ep);
		t->published = false;
	}
	mutex_unlock(&node->lock);
}

/* A transport takes over only an established connection. */
static int ockam_tcp_claim(struct ockam_tcp *t, struct sock *sk,
			   struct netlink_ext_ack *extack)
{
	static const struct ockam_sock_hooks hooks = {
		.data_ready = ockam_tcp_data_ready,
		.write_space = ockam_tcp_write_space,
		.state_change = ockam_tcp_state_change,
	};

	return ockam_sock_claim(sk, t, TCPF_ESTABLISHED, &hooks, &t->saved,
				extack);
}

/* Everything with the socket locked: no callback runs meanwhile. */
static int ockam_tcp_take_over(struct ockam_tcp *t, bool named,
			       struct netlink_ext_ack *extack)
{
	static const struct strp_callbacks cb = {
		.parse_msg = ockam_tcp_parse,
		.rcv_msg = ockam_tcp_rcv,
		.abort_parser = ockam_tcp_abort,
	};
	struct sock *sk = t->sock->sk;
	int err;

	err = strp_init(&t->strp, sk, &cb);
	if (err)
		return err;

	lock_sock(sk);
	err = ockam_tcp_claim(t, sk, extack);
	if (err)
		goto out;
	err = ockam_tcp_publish(t, named);
	if (err) {
		if (err == -EADDRINUSE)
			NL_SET_ERR_MSG(extack, "local address already in use");
		else
			NL_SET_ERR_MSG(extack, "cannot add the transport");
		ockam_sock_restore(sk, &t->saved);
		goto out;
	}
	ockam_tcp_fit_rcvbuf(sk, READ_ONCE(t->node->max_message));
	/*
	 * The first runs: the version byte out, what already arrived in.
	 * Queued before the socket is released, as the close work gives it
	 * back and cancels both with the socket locked: queued later, they
	 * could run after a close that the peer's reset or a detach started
	 * as soon as the address was published.
	 */
	queue_work(ockam_tx_wq, &t->tx_work);
	strp_check_rcv(&t->strp);
out:
	release_sock(sk);
	if (err) {
		strp_stop(&t->strp);
		strp_done(&t->strp);
	}
	return err;
}

/*
 * On success *@out holds a reference for the caller, who must drop it with
 * ockam_tcp_put(): the transport may close as soon as we return.
 */
int ockam_tcp_attach(struct ockam_node *node,
		     const struct ockam_tcp_attach *req,
		     struct netlink_ext_ack *extack, struct ockam_tcp **out)
{
	struct socket *sock;
	struct ockam_tcp *t;
	int err;

	sock = ockam_sock_lookup(req->fd, node->net, IPPROTO_TCP,
				 extack);
	if (IS_ERR(sock))
		return PTR_ERR(sock);
	t = ockam_tcp_alloc(node, sock, req, extack, &err);
	if (!t)
		goto err_put;

	/*
	 * The caller's reference, taken before the transport is published:
	 * a close may drop the transport's own one at any time after.
	 */
	kref_get(&t->refs);
	err = ockam_tcp_take_over(t, !!req->address, extack);
	if (err) {
		free_percpu(t->stats);
		kfree(t);
		goto err_put;
	}

	*out = t;
	ockam_dial_connected(node, t->peer, t->peer_len);
	/* Pairs with ockam_tcp_unparking(): all of it is in our queue. */
	smp_store_release(&t->unparking, false);
	return 0;

err_put:
	sockfd_put(sock);
	return err;
}

/*
 * Route what the peer sent before it closed, so no message is lost: run
 * after run, as the budget cuts them (rx_work leaves a closing transport's
 * strparser to us).
 */
static void ockam_tcp_drain(struct ockam_tcp *t)
{
	struct sock *sk = t->sock->sk;
	bool more;

	do {
		strp_check_rcv(&t->strp);
		flush_work(&t->strp.work);
		cancel_work_sync(&t->rx_work);
		lock_sock(sk);
		more = ockam_tcp_rx_rearm(t);
		if (more)
			strp_unpause(&t->strp);
		release_sock(sk);
		cond_resched();
	} while (more);
}

static void ockam_tcp_give_back(struct ockam_tcp *t, struct sock *sk)
{
	lock_sock(sk);
	ockam_sock_restore(sk, &t->saved);
	strp_stop(&t->strp);
	release_sock(sk);
	strp_done(&t->strp);
}

static void ockam_tcp_purge(struct ockam_tcp *t)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&t->tx_queue))) {
		ockam_stats_inc(t->node->stats, OCKAM_STAT_DROP_TRANSPORT_DOWN);
		ockam_socket_report_error(skb, ECONNRESET);
		kfree_skb(skb);
	}
	t->tx_bytes = 0;
}

static void ockam_tcp_close_work(struct work_struct *work)
{
	struct ockam_tcp *t = container_of(work, struct ockam_tcp, close_work);
	struct sock *sk = t->sock->sk;

	/*
	 * A connection closed on purpose sends what it already holds first
	 * (as far as TCP takes it without waiting): the last messages of a
	 * daemon going away are often the close messages of its channels.
	 */
	if (t->down_reason == OCKAM_DOWN_DETACHED ||
	    t->down_reason == OCKAM_DOWN_OWNER_GONE)
		flush_work(&t->tx_work);

	spin_lock_bh(&t->tx_queue.lock);
	/* Read locklessly by peer lookups; everyone else takes the lock. */
	WRITE_ONCE(t->dead, true);
	spin_unlock_bh(&t->tx_queue.lock);

	ockam_tcp_unlink_throttles(t);
	/*
	 * Senders of what is still queued hear of the loss before the
	 * address goes: one that then finds it gone knows nothing it sent
	 * is still on its way. A dead transport's transmit work touches no
	 * message, so one that write_space queues from here on is harmless.
	 */
	cancel_work_sync(&t->tx_work);
	ockam_tcp_purge(t);
	ockam_tcp_unpublish(t);
	if (t->down_reason == OCKAM_DOWN_CLOSED)
		ockam_tcp_drain(t);
	ockam_tcp_give_back(t, sk);
	/*
	 * Only a receive run queues rx_work, and write_space tx_work: none
	 * runs after the give-back.
	 */
	cancel_work_sync(&t->rx_work);
	cancel_work_sync(&t->tx_work);

	kernel_sock_shutdown(t->sock, SHUT_RDWR);
	ockam_channel_transport_down(t->node, t);
	ockam_netlink_transport_down(t->node, t);
	sockfd_put(t->sock);
	t->sock = NULL;
	ockam_tcp_put(t);
}

int ockam_tcp_detach(struct ockam_node *node, const u8 *name, u32 len)
{
	struct ockam_endpoint *ep;
	struct ockam_tcp *t = NULL;

	mutex_lock(&node->lock);
	rcu_read_lock();
	ep = ockam_node_lookup(node, name, len);
	rcu_read_unlock();
	if (ep && ep->kind == OCKAM_KIND_TCP) {
		t = ockam_tcp_from_ep(ep);
		kref_get(&t->refs);
		ockam_tcp_close(t, OCKAM_DOWN_DETACHED, 0);
	}
	mutex_unlock(&node->lock);
	if (!t)
		return -ENOENT;
	flush_work(&t->close_work);
	ockam_tcp_put(t);
	return 0;
}

void ockam_tcp_owner_gone(struct ockam_node *node, u32 portid)
{
	struct ockam_endpoint *ep;
	struct ockam_tcp *t;

	mutex_lock(&node->lock);
	list_for_each_entry(ep, ockam_node_list(node, OCKAM_KIND_TCP), list) {
		t = ockam_tcp_from_ep(ep);
		if (t->owner_portid == portid)
			ockam_tcp_close(t, OCKAM_DOWN_OWNER_GONE, 0);
	}
	mutex_unlock(&node->lock);
}

void ockam_tcp_node_resize(struct ockam_node *node)
{
	u32 max_message = READ_ONCE(node->max_message);
	struct ockam_endpoint *ep;

	mutex_lock(&node->lock);
	list_for_each_entry(ep, ockam_node_list(node, OCKAM_KIND_TCP), list)
		ockam_tcp_fit_rcvbuf(ockam_tcp_from_ep(ep)->sock->sk,
				     max_message);
	mutex_unlock(&node->lock);
}

int ockam_tcp_node_init(struct ockam_node *node)
{
	return rhltable_init(&node->peers, &ockam_peer_params);
}

/* Close every transport and wait for each to be gone. */
void ockam_tcp_node_exit(struct ockam_node *node)
{
	struct ockam_endpoint *ep;
	struct list_head *transports;
	struct ockam_tcp *t;

	for (;;) {
		t = NULL;
		mutex_lock(&node->lock);
		transports = ockam_node_list(node, OCKAM_KIND_TCP);
		ep = list_first_entry_or_null(transports, struct ockam_endpoint,
					      list);
		if (ep) {
			t = ockam_tcp_from_ep(ep);
			kref_get(&t->refs);
			ockam_tcp_close(t, OCKAM_DOWN_NODE_EXIT, 0);
		}
		mutex_unlock(&node->lock);
		if (!t)
			return;
		flush_work(&t->close_work);
		ockam_tcp_put(t);
	}
}

void ockam_tcp_node_destroy(struct ockam_node *node)
{
	rhltable_destroy(&node->peers);
}
