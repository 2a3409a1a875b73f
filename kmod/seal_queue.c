// SPDX-License-Identifier: GPL-2.0
/*
 * Sealing a channel's frames on every CPU, and sending them on in counter
 * order.
 *
 * A local socket's message is sealed where it is sent otherwise: one busy
 * sender seals on one CPU at a time. So its frame takes its counter, and
 * its place on the channel's list, under the send lock, and goes to the
 * worker of another online CPU, round robin, as WireGuard's encryption
 * does; the sender goes on with its next message. Whoever seals the frame
 * at the head of the list sends on every sealed frame from the head, one
 * context at a time (ch->tx.delivering), so frames leave in counter order
 * whichever CPU sealed them.
 *
 * A frame that may not wait for a worker -- any other sender's: a
 * portal's, a keepalive, a message from another node -- is sealed where
 * it is sent. It is sent on at once, so that its sender hears of a
 * failure at once, as before, only when nothing is ahead of it: no frame
 * on the list, none taken off it and still being handed on, and no other
 * frame sealed where it was sent and not sent on yet (ch->tx.direct, which
 * holds the frames after it back until ockam_seal_sent_here()).
 * Otherwise it takes its place on the list.
 *
 * What waits is bounded by what sent it: a socket's frames are charged
 * to its send buffer until they leave the node; a frame sealed where it
 * is sent waits only for the frames before it. A frame that comes out of
 * a channel (opened, or sealed and sent on from here) and goes into
 * another goes to a worker, never sealed and sent on in the context that
 * handed it on, so that channels inside channels never recurse; when no
 * worker has room it is dropped and counted.
 *
 * A worker's queue is a ring of frames (ptr_ring): a frame's control
 * block holds its key, and has no room left for a link.
 */
#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <linux/ptr_ring.h>

#include "channel.h"
#include "route.h"
#include "socket.h"

enum ockam_seal_limits {
	/* Frames one CPU's worker may have waiting, as WireGuard's. */
	OCKAM_SEAL_RING = 1024,
	/*
	 * Past these bytes waiting for a worker, a sender seals its frame
	 * itself (still in its place on the list): a row of small frames,
	 * or one large one, per worker. Measured: on two CPUs, handing every
	 * frame over made 64 KiB messages slower than sealing them in the
	 * sender, as one CPU sealed while the other waited; with the bound,
	 * both sizes gained (Documentation/performance.rst).
	 */
	OCKAM_SEAL_WORKER_BYTES = 32 << 10,
};

enum ockam_seal_state {
	OCKAM_SEAL_WAITING,
	OCKAM_SEAL_SEALED,
	OCKAM_SEAL_FAILED,
};

/* A frame waiting for its turn; lives in its skb->cb. */
struct ockam_seal_cb {
	struct ockam_channel *ch;
	/* A delegated frame's key, until a worker sealed it. */
	u8 key[OCKAM_KEY_LEN];
	/* Where its type byte is (see ockam_channel_seal_body()). */
	u32 body_off;
	u8 state;
	/* The message came from another node. */
	bool arrived;
	s16 err;
};

struct ockam_seal_worker {
	struct ptr_ring frames;
	/* The bytes of the frames given to it and not sealed yet. */
	atomic_t pending;
	struct work_struct work;
};

static DEFINE_PER_CPU(struct ockam_seal_worker, ockam_seal_workers);

static struct ockam_seal_cb *ockam_seal_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct ockam_seal_cb) > sizeof(skb->cb));
	return (struct ockam_seal_cb *)skb->cb;
}

/* ------------------------------------------- the channel's list, a ring */

static void ockam_seal_append(struct ockam_channel *ch, struct sk_buff *skb)
{
	lockdep_assert_held(&ch->tx.lock);
	ockam_ring_append(&ch->tx.sealing, skb);
}

/* The first frame, when it is sealed or failed and may leave. */
static struct sk_buff *ockam_seal_first_finished(struct ockam_channel *ch)
{
	struct sk_buff *first = ockam_ring_first(ch->tx.sealing);

	lockdep_assert_held(&ch->tx.lock);
	if (!first || ch->tx.direct ||
	    ockam_seal_cb(first)->state == OCKAM_SEAL_WAITING)
		return NULL;
	return first;
}

/* ... taken off the list. */
static struct sk_buff *ockam_seal_take_finished(struct ockam_channel *ch)
{
	struct sk_buff *first = ockam_seal_first_finished(ch);

	if (first)
		ockam_ring_pop(&ch->tx.sealing, first);
	return first;
}

/* ------------------------------------------------------ sending it on */

static void ockam_seal_hand_on(struct ockam_channel *ch, struct sk_buff *skb)
{
	struct ockam_seal_cb *cb = ockam_seal_cb(skb);

	if (cb->state == OCKAM_SEAL_SEALED) {
		ockam_route_sealed(ch->node, skb, cb->arrived);
		return;
	}
	/* Its counter is spent; the peer's window takes the gap. */
	ockam_stats_inc(ch->stats, OCKAM_STAT_DROP_BUFFER_FULL);
	ockam_stats_inc(ch->node->stats, OCKAM_STAT_DROP_BUFFER_FULL);
	ockam_socket_report_error(skb, -cb->err);
	kfree_skb(skb);
}

/*
 * Send on the finished frames at the head of @ch's list, one context at a
 * time. The caller holds a frame of the list (and so a reference on the
 * channel and a count on its node) until it is sent on here.
 */
static void ockam_seal_deliver(struct ockam_channel *ch)
{
	struct ockam_node *node = ch->node;
	struct sk_buff *skb;

	refcount_inc(&ch->refs);
	atomic_inc(&node->queued_frames);
	for (;;) {
		spin_lock_bh(&ch->tx.lock);
		skb = ockam_seal_take_finished(ch);
		if (!skb)
			ch->tx.delivering = false;
		spin_unlock_bh(&ch->tx.lock);
		if (!skb)
			break;

		ockam_seal_hand_on(ch, skb);
		ockam_channel_put(ch);
		atomic_dec(&node->queued_frames);
	}
	ockam_channel_put(ch);
	/* Last: the node may go once no frame of it is left. */
	atomic_dec(&node->queued_frames);
}

/*
 * Something changed that may let the head of @ch's list leave: true when
 * it may and no other context sends frames on, and this one is to.
 */
static bool ockam_seal_claim_delivery(struct ockam_channel *ch)
{
	lockdep_assert_held(&ch->tx.lock);
	if (ch->tx.delivering || !ockam_seal_first_finished(ch))
		return false;
	ch->tx.delivering = true;
	return true;
}

/*
 * @frame, on @ch's list, is sealed (@err 0) or failed: send on whatever
 * is ready unless another context already does.
 */
void ockam_seal_settle(struct ockam_channel *ch, struct sk_buff *frame,
		       int err)
{
	struct ockam_seal_cb *cb = ockam_seal_cb(frame);
	bool deliver;

	spin_lock_bh(&ch->tx.lock);
	cb->err = err;
	cb->state = err ? OCKAM_SEAL_FAILED : OCKAM_SEAL_SEALED;
	deliver = ockam_seal_claim_delivery(ch);
	spin_unlock_bh(&ch->tx.lock);

	if (deliver)
		ockam_seal_deliver(ch);
}

/*
 * The frame @ch let its sender seal (OCKAM_SEAL_HERE) was sent on, or
 * dropped: the frames after it may leave now.
 */
void ockam_seal_sent_here(struct ockam_channel *ch)
{
	bool deliver;

	spin_lock_bh(&ch->tx.lock);
	WARN_ON_ONCE(!ch->tx.direct);
	ch->tx.direct = false;
	deliver = ockam_seal_claim_delivery(ch);
	spin_unlock_bh(&ch->tx.lock);

	if (deliver)
		ockam_seal_deliver(ch);
}

/* ------------------------------------------------------------ sealing */

static void ockam_seal_one(struct ockam_seal_worker *w, struct sk_buff *frame)
{
	struct ockam_seal_cb *cb = ockam_seal_cb(frame);
	struct ockam_channel *ch = cb->ch;
	int err;

	err = ockam_channel_seal_body(frame, cb->body_off,
				      frame->len - cb->body_off -
				      OCKAM_TAG_LEN, cb->key);
	memzero_explicit(cb->key, sizeof(cb->key));
	atomic_sub(frame->len, &w->pending);
	ockam_seal_settle(ch, frame, err ? -ENOMEM : 0);
}

static void ockam_seal_work(struct work_struct *work)
{
	struct ockam_seal_worker *w = container_of(work,
						   struct ockam_seal_worker,
						   work);
	struct sk_buff *frame;

	while ((frame = ptr_ring_consume_bh(&w->frames))) {
		ockam_seal_one(w, frame);
		cond_resched();
	}
}

/*
 * Hand @frame, with its key, to the next worker; false when that one has
 * enough to do already (a nested frame takes it anyway) or its ring is
 * full.
 */
static bool ockam_seal_delegate(struct sk_buff *frame, const u8 *key,
				bool nested)
{
	struct ockam_seal_cb *cb = ockam_seal_cb(frame);
	unsigned int cpu = ockam_crypt_next_cpu();
	struct ockam_seal_worker *w = per_cpu_ptr(&ockam_seal_workers, cpu);

	if (!nested && atomic_read(&w->pending) >= OCKAM_SEAL_WORKER_BYTES)
		return false;
	atomic_add(frame->len, &w->pending);
	memcpy(cb->key, key, sizeof(cb->key));
	if (ptr_ring_produce(&w->frames, frame)) {
		atomic_sub(frame->len, &w->pending);
		memzero_explicit(cb->key, sizeof(cb->key));
		return false;
	}
	queue_work_on(cpu, ockam_crypt_wq, &w->work);
	return true;
}

/*
 * Under the send lock, with @frame's counter written and @key the one to
 * seal it with: its place in the order frames leave. A local socket's
 * frame goes to a worker while more than one CPU is online, and a nested
 * one (OCKAM_ENCRYPT_F_NESTED) always; any other frame is sealed by the
 * caller, and waits on the list only when a frame before it has not left
 * yet, or when the caller is still to send on another channel's frame
 * (OCKAM_ENCRYPT_F_BEHIND). Returns enum ockam_seal_how, -ENOBUFS (a
 * nested frame no worker has room for), or -EHOSTUNREACH (the channel is
 * going).
 */
int ockam_seal_enqueue(struct ockam_channel *ch, struct sk_buff *frame,
		       const u8 *key, u32 body_off, unsigned int flags)
{
	bool nested = flags & OCKAM_ENCRYPT_F_NESTED;
	bool delegate = nested || (ockam_socket_sent(frame) &&
				   num_online_cpus() > 1);
	struct ockam_seal_cb *cb = ockam_seal_cb(frame);
	int how = OCKAM_SEAL_LISTED;

	lockdep_assert_held(&ch->tx.lock);
	/*
	 * Not while a context hands frames on: the last one it took off the
	 * list may not have left yet, and this one would overtake it. Nor
	 * while another frame sealed by its sender has not left.
	 */
	if (!delegate && !(flags & OCKAM_ENCRYPT_F_BEHIND) &&
	    !ch->tx.sealing && !ch->tx.delivering && !ch->tx.direct) {
		ch->tx.direct = true;
		return OCKAM_SEAL_HERE;
	}
	/*
	 * Going: its address has left the node's table, so say what a
	 * sender a moment later hears (ENETDOWN is for a channel that gave
	 * up on its peer).
	 */
	if (!refcount_inc_not_zero(&ch->refs))
		return -EHOSTUNREACH;
	*cb = (struct ockam_seal_cb){
		.ch = ch,
		.body_off = body_off,
		.state = OCKAM_SEAL_WAITING,
		.arrived = flags & OCKAM_ENCRYPT_F_ARRIVED,
	};
	if (delegate) {
		if (ockam_seal_delegate(frame, key, nested)) {
			how = OCKAM_SEAL_DELEGATED;
		} else if (nested) {
			ockam_channel_put(ch);
			return -ENOBUFS;
		}
	}
	ockam_seal_append(ch, frame);
	atomic_inc(&ch->node->queued_frames);
	return how;
}

/*
 * After every node went, and the workqueue with it: every ring is empty.
 * Also undoes a failed ockam_seal_queue_init(): a ring it did not reach
 * is still zeroed, with nothing to free.
 */
void ockam_seal_queue_uninit(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		ptr_ring_cleanup(&per_cpu_ptr(&ockam_seal_workers, cpu)->frames,
				 NULL);
}

int ockam_seal_queue_init(void)
{
	unsigned int cpu;
	int err;

	for_each_possible_cpu(cpu) {
		struct ockam_seal_worker *w = per_cpu_ptr(&ockam_seal_workers,
							  cpu);

		err = ptr_ring_init(&w->frames, OCKAM_SEAL_RING, GFP_KERNEL);
		if (err) {
			ockam_seal_queue_uninit();
			return err;
		}
		INIT_WORK(&w->work, ockam_seal_work);
	}
	return 0;
}
