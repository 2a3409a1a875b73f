// SPDX-License-Identifier: GPL-2.0
/*
 * Putting a message back together from its UDP datagrams.
 *
 * An unfinished message (a partial) belongs to the peer that sends it and
 * is known by the sender's message number. Its fragments are kept in
 * offset order, each an skb holding only the fragment's bytes; a fragment
 * may come in any order. One whose bytes are all held already is a
 * duplicate and is ignored: held bytes may have come in one piece for
 * several datagrams (a batch, udp.c), so a repeated datagram need not
 * match a held fragment's bounds. One that overlaps held bytes and brings
 * new ones, or gives the message another length, loses the whole message:
 * the receiver cannot tell which sender is lying (RFC 5722 takes the same
 * line for IPv6). Content is not compared: a secure channel's tag is what
 * tells a forged message.
 *
 * When the fragments cover the message, they are chained behind the first
 * into one skb (its frag_list) and the message goes on, without a copy.
 *
 * What partials may hold is bounded three ways, by true size: per peer,
 * per node (all binds), and in count per peer (a newer message pushes out
 * the peer's oldest); and in time, by OCKAM_UDP_REASM_TIMEOUT_MS from the
 * first fragment. Every partial given up is counted by why.
 *
 * Everything here runs under the bind's lock.
 */
#include <linux/slab.h>
#include <net/dst.h>

#include "ockam.h"
#include "udp.h"

struct ockam_udp_partial {
	/* In the bind's list, oldest first, and in the peer's. */
	struct list_head bind_node;
	struct list_head peer_node;
	struct ockam_udp_peer *peer;
	u32 message;
	u32 length;
	/* Message bytes held, and the true size of the skbs holding them. */
	u32 received;
	u32 truesize;
	unsigned long started;
	/* Fragments in offset order, linked by skb->next; @last is the one
	 * with the highest offset, where in-order fragments go.
	 */
	struct sk_buff *frags;
	struct sk_buff *last;
};

/* A held fragment's offset in the message, in its control buffer. */
struct ockam_udp_frag_cb {
	u32 offset;
};

static inline struct ockam_udp_frag_cb *ockam_frag_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct ockam_udp_frag_cb) >
		     sizeof_field(struct sk_buff, cb));
	return (struct ockam_udp_frag_cb *)skb->cb;
}

static u32 ockam_frag_end(struct sk_buff *skb)
{
	return ockam_frag_cb(skb)->offset + skb->len;
}

static u32 ockam_udp_peer_budget(const struct ockam_node *node)
{
	return max_t(u32, OCKAM_UDP_REASM_PEER_MIN,
		     4 * READ_ONCE(node->max_message));
}

static u32 ockam_udp_node_budget(const struct ockam_node *node)
{
	return max_t(u32, OCKAM_UDP_REASM_NODE_MIN,
		     8 * READ_ONCE(node->max_message));
}

static void ockam_udp_reasm_count(struct ockam_udp *u, enum ockam_stat why)
{
	ockam_stats_inc(u->stats, why);
	ockam_stats_inc(u->node->stats, why);
}

/* Take @p off every list and give back what it was charged. */
static void ockam_udp_partial_unlink(struct ockam_udp *u,
				     struct ockam_udp_partial *p)
{
	lockdep_assert_held(&u->lock);
	list_del(&p->bind_node);
	list_del(&p->peer_node);
	p->peer->partial_count--;
	p->peer->reasm_bytes -= p->truesize;
	WRITE_ONCE(u->reasm_bytes, u->reasm_bytes - p->truesize);
	atomic_sub(p->truesize, &u->node->udp_reasm_bytes);
}

static void ockam_udp_partial_drop(struct ockam_udp *u,
				   struct ockam_udp_partial *p,
				   enum ockam_stat why)
{
	ockam_udp_partial_unlink(u, p);
	kfree_skb_list(p->frags);
	kfree(p);
	ockam_udp_reasm_count(u, why);
}

static struct ockam_udp_partial *
ockam_udp_partial_find(struct ockam_udp_peer *peer, u32 message)
{
	struct ockam_udp_partial *p;

	list_for_each_entry(p, &peer->partials, peer_node)
		if (p->message == message)
			return p;
	return NULL;
}

static struct ockam_udp_partial *
ockam_udp_partial_new(struct ockam_udp *u, struct ockam_udp_peer *peer,
		      const struct ockam_udp_header *hdr)
{
	struct ockam_udp_partial *p;

	if (peer->partial_count >= OCKAM_UDP_PARTIALS_PER_PEER)
		ockam_udp_partial_drop(u, list_first_entry(&peer->partials,
							   struct ockam_udp_partial,
							   peer_node),
				       OCKAM_STAT_DROP_INCOMPLETE);
	p = kzalloc(sizeof(*p), GFP_ATOMIC);
	if (!p)
		return NULL;
	p->peer = peer;
	p->message = hdr->message;
	p->length = hdr->length;
	p->started = jiffies;
	list_add_tail(&p->bind_node, &u->partials);
	list_add_tail(&p->peer_node, &peer->partials);
	peer->partial_count++;
	return p;
}

enum ockam_frag_place {
	OCKAM_FRAG_ADDED,
	OCKAM_FRAG_DUPLICATE,
	OCKAM_FRAG_OVERLAP,
};

/*
 * Are bytes [@offset, @end) all held, from @f (the first fragment that
 * ends past @offset) on, without a gap?
 */
static bool ockam_udp_frag_held(struct sk_buff *f, u32 offset, u32 end)
{
	if (ockam_frag_cb(f)->offset > offset)
		return false;
	while (ockam_frag_end(f) < end) {
		if (!f->next || ockam_frag_cb(f->next)->offset != ockam_frag_end(f))
			return false;
		f = f->next;
	}
	return true;
}

/*
 * Where @len bytes at @offset go among @p's fragments: after *@prev (NULL:
 * first) and before *@next.
 */
static enum ockam_frag_place ockam_udp_frag_find(struct ockam_udp_partial *p,
						 u32 offset, u32 len,
						 struct sk_buff **prev,
						 struct sk_buff **next)
{
	u32 end = offset + len;

	*prev = NULL;
	*next = p->frags;
	if (p->last && offset >= ockam_frag_end(p->last)) {
		*prev = p->last;
		*next = NULL;
	}
	while (*next && ockam_frag_end(*next) <= offset) {
		*prev = *next;
		*next = (*next)->next;
	}
	/* @next is the first fragment that ends past @offset. */
	if (!*next || ockam_frag_cb(*next)->offset >= end)
		return OCKAM_FRAG_ADDED;
	return ockam_udp_frag_held(*next, offset, end) ? OCKAM_FRAG_DUPLICATE :
							 OCKAM_FRAG_OVERLAP;
}

static void ockam_udp_frag_link(struct ockam_udp_partial *p,
				struct sk_buff *skb, u32 offset,
				struct sk_buff *prev, struct sk_buff *next)
{
	ockam_frag_cb(skb)->offset = offset;
	skb->next = next;
	if (prev)
		prev->next = skb;
	else
		p->frags = skb;
	if (!next)
		p->last = skb;
}

/* Would @truesize more fit the peer's and the node's budgets? */
static bool ockam_udp_reasm_fits(struct ockam_udp *u,
				 const struct ockam_udp_peer *peer,
				 u32 truesize)
{
	return peer->reasm_bytes + truesize <= ockam_udp_peer_budget(u->node) &&
	       atomic_read(&u->node->udp_reasm_bytes) + truesize <=
	       ockam_udp_node_budget(u->node);
}

static void ockam_udp_charge(struct ockam_udp *u, struct ockam_udp_partial *p,
			     u32 truesize)
{
	p->truesize += truesize;
	p->peer->reasm_bytes += truesize;
	WRITE_ONCE(u->reasm_bytes, u->reasm_bytes + truesize);
	atomic_add(truesize, &u->node->udp_reasm_bytes);
}

/* The whole message: the fragments chained behind the first. */
static struct sk_buff *ockam_udp_partial_finish(struct ockam_udp *u,
						struct ockam_udp_partial *p)
{
	struct sk_buff *head = p->frags, *rest = head->next, *f;

	ockam_udp_partial_unlink(u, p);
	kfree(p);
	head->next = NULL;
	if (rest && skb_unclone(head, GFP_ATOMIC)) {
		kfree_skb(head);
		kfree_skb_list(rest);
		ockam_udp_reasm_count(u, OCKAM_STAT_DROP_BUFFER_FULL);
		return NULL;
	}
	skb_shinfo(head)->frag_list = rest;
	for (f = rest; f; f = f->next) {
		head->len += f->len;
		head->data_len += f->len;
		head->truesize += f->truesize;
	}
	ockam_udp_reasm_count(u, OCKAM_STAT_UDP_REASSEMBLED);
	return head;
}

/*
 * A fragment is held for seconds: it keeps no route, no conntrack entry
 * and no owner, and a frag_list of its own would not chain.
 */
static int ockam_udp_frag_detach(struct sk_buff *skb)
{
	skb_orphan(skb);
	skb_dst_drop(skb);
	nf_reset_ct(skb);
	if (skb_has_frag_list(skb) && skb_linearize(skb))
		return -ENOMEM;
	return 0;
}

/*
 * Add the fragment in @skb (its bytes only, described by @hdr) from @peer.
 * Returns the whole message when this fragment finished it; otherwise NULL,
 * the fragment held or dropped and counted.
 */
struct sk_buff *ockam_udp_reasm_add(struct ockam_udp *u,
				    struct ockam_udp_peer *peer,
				    struct sk_buff *skb,
				    const struct ockam_udp_header *hdr)
{
	struct sk_buff *done = NULL, *prev, *next;
	struct ockam_udp_partial *p;
	enum ockam_stat why;

	if (ockam_udp_frag_detach(skb)) {
		ockam_udp_reasm_count(u, OCKAM_STAT_DROP_BUFFER_FULL);
		goto drop;
	}
	spin_lock_bh(&u->lock);
	if (peer->gone) {
		ockam_udp_reasm_count(u, OCKAM_STAT_DROP_INCOMPLETE);
		goto unlock_drop;
	}
	p = ockam_udp_partial_find(peer, hdr->message);
	if (p && p->length != hdr->length) {
		ockam_udp_partial_drop(u, p, OCKAM_STAT_DROP_OVERLAP);
		goto unlock_drop;
	}
	if (!p) {
		/* The first partial brings the sweep forward; while any
		 * are left, it comes back often.
		 */
		if (list_empty(&u->partials))
			mod_delayed_work(ockam_wq, &u->sweep,
					 msecs_to_jiffies(OCKAM_UDP_REASM_TIMEOUT_MS));
		p = ockam_udp_partial_new(u, peer, hdr);
		if (!p) {
			ockam_udp_reasm_count(u, OCKAM_STAT_DROP_REASM_MEMORY);
			goto unlock_drop;
		}
	}
	switch (ockam_udp_frag_find(p, hdr->offset, skb->len, &prev, &next)) {
	case OCKAM_FRAG_DUPLICATE:
		spin_unlock_bh(&u->lock);
		ockam_udp_reasm_count(u, OCKAM_STAT_UDP_DUPLICATES);
		consume_skb(skb);
		return NULL;
	case OCKAM_FRAG_OVERLAP:
		why = OCKAM_STAT_DROP_OVERLAP;
		goto lose_message;
	case OCKAM_FRAG_ADDED:
		break;
	}
	/* Only what is kept must fit: a duplicate, freed, loses nothing. */
	if (!ockam_udp_reasm_fits(u, peer, skb->truesize)) {
		why = OCKAM_STAT_DROP_REASM_MEMORY;
		goto lose_message;
	}
	ockam_udp_frag_link(p, skb, hdr->offset, prev, next);
	ockam_udp_charge(u, p, skb->truesize);
	p->received += skb->len;
	if (p->received == p->length)
		done = ockam_udp_partial_finish(u, p);
	spin_unlock_bh(&u->lock);
	return done;

lose_message:
	ockam_udp_partial_drop(u, p, why);
unlock_drop:
	spin_unlock_bh(&u->lock);
drop:
	kfree_skb(skb);
	return NULL;
}

/*
 * Give up the partials older than the reassembly time. Returns whether
 * any are left, for the sweep to come back.
 */
bool ockam_udp_reasm_expire(struct ockam_udp *u, unsigned long now)
{
	unsigned long timeout = msecs_to_jiffies(OCKAM_UDP_REASM_TIMEOUT_MS);
	struct ockam_udp_partial *p, *tmp;
	bool left;

	spin_lock_bh(&u->lock);
	list_for_each_entry_safe(p, tmp, &u->partials, bind_node) {
		if (time_before(now, p->started + timeout))
			break;
		ockam_udp_partial_drop(u, p, OCKAM_STAT_DROP_REASM_TIMEOUT);
	}
	left = !list_empty(&u->partials);
	spin_unlock_bh(&u->lock);
	return left;
}

/* Give up every partial of @peer, counted as @why. */
void ockam_udp_reasm_forget(struct ockam_udp *u, struct ockam_udp_peer *peer,
			    enum ockam_stat why)
{
	struct ockam_udp_partial *p, *tmp;

	lockdep_assert_held(&u->lock);
	list_for_each_entry_safe(p, tmp, &peer->partials, peer_node)
		ockam_udp_partial_drop(u, p, why);
}
