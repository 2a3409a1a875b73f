// SPDX-License-Identifier: GPL-2.0
/*
 * Opening a channel's frames on every CPU, and handing on what they carry
 * in the order the frames came in.
 *
 * A frame from another node reaches its decryptor in the receive path of
 * a transport, usually a softirq on the CPU that received it (over a veth
 * or loopback, the CPU that sent it). Opened there, one busy channel opens
 * on one CPU at a time. So the decryptor's step only queues the frame: on
 * its channel's list, in arrival order, and on the worker of another
 * online CPU, round robin, as WireGuard's decryption does. Workers verify
 * and decrypt frames in parallel; whoever finishes the frame at the head
 * of the list takes every verified frame from the head, one context at a
 * time (ch->delivering): its counter goes into the replay window then,
 * and what it carries is handed on. So the window sees counters in the
 * order the frames came, as WireGuard's counter check after decryption
 * does, and the inner messages leave in that order, whichever CPU opened
 * them: a worker that falls behind the others delays the frames after
 * its own, and never has them refused as too old when it gets there.
 * The window trails the frames being verified by as many as are on the
 * list, and takes that into account (crypt.c, ockam_rx_in_reach()).
 *
 * Bounds: a channel hands frames to workers while its list holds less
 * than OCKAM_OPEN_DELEGATE_BYTES and its node's lists
 * OCKAM_OPEN_NODE_BYTES; past that the receive path opens the frame
 * itself (still behind the others on the list, so order holds), which
 * slows it to the workers' pace instead of letting memory grow. A frame
 * that would take a channel's list past OCKAM_OPEN_QUEUE_BYTES, which only
 * frames opened here while a worker still has the head can do, is dropped
 * and counted, as for a full queue.
 *
 * A long list costs memory and latency. So a TCP transport whose frame
 * leaves a channel's list past OCKAM_OPEN_PAUSE_FRAMES or
 * OCKAM_OPEN_PAUSE_BYTES stops reading, as it does for a full queue
 * (tcp.c), until the list is back under the RESUME marks; TCP's flow
 * control then slows the sender. A datagram can only be taken or lost:
 * frames that came over UDP are not held back.
 */
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/llist.h>
#include <linux/percpu.h>

#include "channel.h"
#include "route.h"
#include "tcp.h"

enum ockam_open_limits {
	/* Below these (truesize) a channel's next frame goes to a worker. */
	OCKAM_OPEN_DELEGATE_BYTES = 4 << 20,
	OCKAM_OPEN_NODE_BYTES = 64 << 20,
	/* What a channel's list may hold at all. */
	OCKAM_OPEN_QUEUE_BYTES = 16 << 20,
	/* Past these a TCP transport that adds a frame pauses... */
	OCKAM_OPEN_PAUSE_FRAMES = OCKAM_REPLAY_WINDOW / 2,
	OCKAM_OPEN_PAUSE_BYTES = OCKAM_OPEN_QUEUE_BYTES / 2,
	/* ...until the list is back under both of these. */
	OCKAM_OPEN_RESUME_FRAMES = OCKAM_REPLAY_WINDOW / 4,
	OCKAM_OPEN_RESUME_BYTES = OCKAM_OPEN_QUEUE_BYTES / 4,
};

enum ockam_open_state {
	OCKAM_OPEN_QUEUED,
	/* Verified, its plaintext in @out: to be taken in its turn. */
	OCKAM_OPEN_VERIFIED,
	/* Opened: hand on the inner message, @out. */
	OCKAM_OPEN_DONE,
	/* The peer's goodbye: nothing to hand on. */
	OCKAM_OPEN_CONSUMED,
	/* Refused for @err. */
	OCKAM_OPEN_REFUSED,
};

/* A frame being opened; lives in its skb->cb. */
struct ockam_open_cb {
	/* On a worker's list. */
	struct llist_node node;
	struct ockam_channel *ch;
	/* What the frame became: itself, or a new buffer (crypt.c). */
	struct sk_buff *out;
	int err;
	struct ockam_frame_verified verified;
	/* What the frame counts for on its channel's list and node. */
	u32 charged;
	u8 state;
	/* The frame came out of a transport, whose address is the first of
	 * its return route (route mobility needs to know).
	 */
	bool pushed;
};

struct ockam_open_worker {
	struct llist_head frames;
	struct work_struct work;
};

static DEFINE_PER_CPU(struct ockam_open_worker, ockam_open_workers);
/* Where each CPU sent the last frame it queued. */
static DEFINE_PER_CPU(unsigned int, ockam_crypt_last_cpu);
/* The workers of both directions (this file's and seal_queue.c's). */
struct workqueue_struct *ockam_crypt_wq;

static struct ockam_open_cb *ockam_open_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct ockam_open_cb) > sizeof(skb->cb));
	return (struct ockam_open_cb *)skb->cb;
}

static struct sk_buff *ockam_open_skb(struct ockam_open_cb *cb)
{
	return container_of((void *)cb, struct sk_buff, cb);
}

/* ------------------------------------------- the channel's list, a ring */

static void ockam_open_append(struct ockam_channel *ch, struct sk_buff *skb)
{
	lockdep_assert_held(&ch->rx.lock);
	ockam_ring_append(&ch->rx.opening, skb);
	ch->rx.opening_frames++;
}

/* Is the list so long that a TCP transport adding to it should pause? */
static bool ockam_open_long(const struct ockam_channel *ch)
{
	lockdep_assert_held(&ch->rx.lock);
	return ch->rx.opening_frames > OCKAM_OPEN_PAUSE_FRAMES ||
	       ch->rx.opening_bytes > OCKAM_OPEN_PAUSE_BYTES;
}

/* Is it short enough again for the transports it paused to go on? */
static bool ockam_open_short(const struct ockam_channel *ch)
{
	lockdep_assert_held(&ch->rx.lock);
	return ch->rx.opening_frames <= OCKAM_OPEN_RESUME_FRAMES &&
	       ch->rx.opening_bytes <= OCKAM_OPEN_RESUME_BYTES;
}

/*
 * The first frame, when it is finished: taken off the list. @*resume: the
 * list just came back under the resume marks.
 */
static struct sk_buff *ockam_open_take_finished(struct ockam_channel *ch,
						bool *resume)
{
	struct sk_buff *first = ockam_ring_first(ch->rx.opening);
	bool was_short;

	lockdep_assert_held(&ch->rx.lock);
	if (!first || ockam_open_cb(first)->state == OCKAM_OPEN_QUEUED)
		return NULL;
	was_short = ockam_open_short(ch);
	ockam_ring_pop(&ch->rx.opening, first);
	ch->rx.opening_frames--;
	ch->rx.opening_bytes -= ockam_open_cb(first)->charged;
	*resume = !was_short && ockam_open_short(ch);
	return first;
}

/* --------------------------------------------------------- handing on */

/* The frame's source, split off its return route again (see @pushed). */
static void ockam_open_from(const struct ockam_open_cb *cb,
			    struct ockam_msg_view *msg,
			    struct ockam_channel_from *from)
{
	struct ockam_addr_view first;

	*from = (struct ockam_channel_from){};
	if (!cb->pushed || ockam_route_first(&msg->ret, &first) <= 0)
		return;
	from->push = msg->ret.addrs;
	from->push_len = first.encoded_len;
	msg->ret.addrs += first.encoded_len;
	msg->ret.len -= first.encoded_len;
	msg->ret.hops--;
}

/* What opening the frame of @cb came to: @err, as ockam_channel_open(). */
static void ockam_open_result(struct ockam_open_cb *cb, int err,
			      struct sk_buff *out)
{
	cb->out = out;
	cb->err = err;
	cb->state = err == 1 ? OCKAM_OPEN_CONSUMED :
		    err ? OCKAM_OPEN_REFUSED : OCKAM_OPEN_DONE;
}

/*
 * Take the verified frame @in, its plaintext in @plain, in its turn:
 * after every frame that came before it, so that the window sees counters
 * in the order they came, whichever CPU verified them. Returns as
 * ockam_channel_open_take().
 */
static int ockam_open_take_turn(struct ockam_channel *ch, struct sk_buff *in,
				struct sk_buff *plain,
				const struct ockam_frame_verified *verified,
				struct sk_buff **out)
{
	struct ockam_channel_from from;
	struct ockam_msg_view msg;
	int err;

	*out = NULL;
	err = ockam_msg_pull(in, &msg);
	if (err) {
		if (plain != in)
			kfree_skb(plain);
		return err == -ENOMEM ? err : -EBADMSG;
	}
	ockam_open_from(ockam_open_cb(in), &msg, &from);
	rcu_read_lock();
	err = ockam_channel_open_take(ch, in, plain, &msg, &from, verified,
				      out);
	rcu_read_unlock();
	return err;
}

/* What became of the frame @skb, in its turn. */
static void ockam_open_hand_on(struct ockam_channel *ch, struct sk_buff *skb)
{
	struct ockam_open_cb *cb = ockam_open_cb(skb);
	struct sk_buff *out;
	int err;

	if (cb->state == OCKAM_OPEN_VERIFIED) {
		err = ockam_open_take_turn(ch, skb, cb->out, &cb->verified,
					   &out);
		ockam_open_result(cb, err, out);
	}
	out = cb->out;
	switch (cb->state) {
	case OCKAM_OPEN_DONE:
		if (out != skb)
			consume_skb(skb);
		ockam_route_opened(ch, out);
		break;
	case OCKAM_OPEN_CONSUMED:
		if (out != skb)
			consume_skb(out);
		consume_skb(skb);
		break;
	default:
		ockam_route_refused(ch->node, skb, cb->err);
		break;
	}
}

/*
 * Hand on the finished frames at the head of @ch's list, one context at a
 * time. The caller holds a frame of the list (and so a reference on the
 * channel and a count on its node) until it is handed on here.
 */
static void ockam_open_deliver(struct ockam_channel *ch)
{
	struct ockam_node *node = ch->node;
	struct sk_buff *skb;
	bool resume = false;
	u32 charged;

	refcount_inc(&ch->refs);
	atomic_inc(&node->queued_frames);
	for (;;) {
		spin_lock_bh(&ch->rx.lock);
		skb = ockam_open_take_finished(ch, &resume);
		if (!skb)
			ch->delivering = false;
		spin_unlock_bh(&ch->rx.lock);
		if (!skb)
			break;
		if (resume)
			ockam_tcp_unthrottle_opening(node);

		charged = ockam_open_cb(skb)->charged;
		atomic_long_sub(charged, &node->opening_bytes);
		ockam_open_hand_on(ch, skb);
		ockam_channel_put(ch);
		atomic_dec(&node->queued_frames);
	}
	ockam_channel_put(ch);
	/* Last: the node may go once no frame of it is left. */
	atomic_dec(&node->queued_frames);
}

/* ------------------------------------------------------------ opening */

/*
 * Verify one queued frame, on whichever CPU this is, and hand on whatever
 * is ready unless another context already does.
 */
static void ockam_open_one(struct ockam_channel *ch, struct sk_buff *in)
{
	struct ockam_open_cb *cb = ockam_open_cb(in);
	struct ockam_frame_verified verified;
	struct ockam_msg_view msg;
	struct sk_buff *out = NULL;
	bool deliver = false;
	int err;

	err = ockam_msg_pull(in, &msg);
	if (!err) {
		rcu_read_lock();
		err = ockam_channel_open_verify(ch, in, &msg, &out, &verified);
		rcu_read_unlock();
	} else if (err != -ENOMEM) {
		err = -EBADMSG;
	}

	spin_lock_bh(&ch->rx.lock);
	if (err) {
		ockam_open_result(cb, err, NULL);
	} else {
		cb->out = out;
		cb->verified = verified;
		cb->state = OCKAM_OPEN_VERIFIED;
	}
	if (!ch->delivering) {
		ch->delivering = true;
		deliver = true;
	}
	spin_unlock_bh(&ch->rx.lock);

	if (deliver)
		ockam_open_deliver(ch);
}

static void ockam_open_work(struct work_struct *work)
{
	struct ockam_open_worker *w = container_of(work,
						   struct ockam_open_worker,
						   work);
	struct llist_node *frames = llist_del_all(&w->frames);
	struct ockam_open_cb *cb, *next;

	frames = llist_reverse_order(frames);
	llist_for_each_entry_safe(cb, next, frames, node) {
		ockam_open_one(cb->ch, ockam_open_skb(cb));
		cond_resched();
	}
}

/*
 * The next online CPU, round robin from where this CPU sent its last
 * frame, leaving out this one while there is another: it goes on
 * receiving, or sending. Bottom halves are off, so this is one CPU
 * throughout.
 */
unsigned int ockam_crypt_next_cpu(void)
{
	unsigned int self = smp_processor_id(), cpu;
	unsigned int *last = this_cpu_ptr(&ockam_crypt_last_cpu);
	int tries = 2;

	cpu = *last;
	do {
		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
	} while (cpu == self && --tries);
	*last = cpu;
	return cpu;
}

/*
 * @from's frame left @ch's list long: pause @from until the list is
 * short again. The list may have got there already, before @from was on
 * its node's list for ockam_open_deliver() to resume it: look again once
 * it is. The caller holds a reference on @ch.
 */
static void ockam_open_throttle(struct ockam_channel *ch,
				struct ockam_tcp *from)
{
	bool resume;

	if (!ockam_tcp_throttle_opening(from))
		return;
	spin_lock_bh(&ch->rx.lock);
	resume = ockam_open_short(ch);
	spin_unlock_bh(&ch->rx.lock);
	if (resume)
		ockam_tcp_unthrottle_opening(ch->node);
}

/*
 * Queue @skb, a frame from another node whose header is linear, for
 * opening. @from: the TCP transport it came on, from whose receive path
 * this is called, or NULL. @pushed: the address of the transport it came
 * out of is the first of its return route. @nested: it came out of
 * another channel's frame, where this context hands on what a channel
 * opened; it then goes to a worker, never opened here, so that nesting
 * never recurses. Consumes @skb. Under RCU.
 */
void ockam_channel_open_queued(struct ockam_channel *ch, struct sk_buff *skb,
			       struct ockam_tcp *from, bool pushed,
			       bool nested)
{
	struct ockam_open_cb *cb = ockam_open_cb(skb);
	struct ockam_node *node = ch->node;
	u32 size = skb->truesize;
	struct ockam_open_worker *w;
	bool delegate, full, throttle = false;
	unsigned int cpu = 0;

	if (!refcount_inc_not_zero(&ch->refs)) {
		ockam_route_refused(node, skb, -ENETDOWN);
		return;
	}
	*cb = (struct ockam_open_cb){
		.ch = ch,
		.charged = size,
		.pushed = pushed,
		.state = OCKAM_OPEN_QUEUED,
	};

	spin_lock_bh(&ch->rx.lock);
	delegate = ch->rx.opening_bytes + size <= OCKAM_OPEN_DELEGATE_BYTES &&
		   atomic_long_read(&node->opening_bytes) + size <=
			OCKAM_OPEN_NODE_BYTES;
	full = ch->rx.opening_bytes + size > OCKAM_OPEN_QUEUE_BYTES ||
	       (nested && !delegate);
	/* With one CPU a worker only adds a hop; a nested frame still takes it. */
	delegate = delegate && (nested || num_online_cpus() > 1);
	if (!full) {
		ockam_open_append(ch, skb);
		ch->rx.opening_bytes += size;
		atomic_long_add(size, &node->opening_bytes);
		atomic_inc(&node->queued_frames);
		if (delegate)
			cpu = ockam_crypt_next_cpu();
		/* The frame's reference may go before we look again. */
		throttle = from && ockam_open_long(ch);
		if (throttle)
			refcount_inc(&ch->refs);
	}
	spin_unlock_bh(&ch->rx.lock);

	if (full) {
		ockam_stats_inc(ch->stats, OCKAM_STAT_DROP_BUFFER_FULL);
		ockam_route_refused(node, skb, -ENOBUFS);
		ockam_channel_put(ch);
		return;
	}
	if (!delegate) {
		ockam_open_one(ch, skb);
	} else {
		w = per_cpu_ptr(&ockam_open_workers, cpu);
		llist_add(&cb->node, &w->frames);
		queue_work_on(cpu, ockam_crypt_wq, &w->work);
	}
	if (throttle) {
		ockam_open_throttle(ch, from);
		ockam_channel_put(ch);
	}
}

/*
 * Before the node goes: every frame it queued, to be opened or sealed
 * (seal_queue.c counts there too), has been handed on or dropped, and no
 * context is handing on any more.
 */
void ockam_channel_open_node_exit(struct ockam_node *node)
{
	while (atomic_read(&node->queued_frames)) {
		flush_workqueue(ockam_crypt_wq);
		if (atomic_read(&node->queued_frames))
			usleep_range(500, 1000);
	}
}

int ockam_crypt_queue_init(void)
{
	unsigned int cpu;

	/* Like WireGuard's: bound to each CPU, and it may run in reclaim. */
	ockam_crypt_wq = alloc_workqueue("ockam_crypt",
					 WQ_CPU_INTENSIVE | WQ_MEM_RECLAIM, 0);
	if (!ockam_crypt_wq)
		return -ENOMEM;
	if (ockam_seal_queue_init()) {
		destroy_workqueue(ockam_crypt_wq);
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu) {
		struct ockam_open_worker *w = per_cpu_ptr(&ockam_open_workers,
							  cpu);

		init_llist_head(&w->frames);
		INIT_WORK(&w->work, ockam_open_work);
	}
	return 0;
}

/* After every node went: nothing is queued any more. */
void ockam_crypt_queue_uninit(void)
{
	destroy_workqueue(ockam_crypt_wq);
	ockam_seal_queue_uninit();
}
