// SPDX-License-Identifier: GPL-2.0
/*
 * Routing messages in socket buffers: make headers readable, rewrite them
 * at each hop, and allocate messages for local senders.
 */
#include <linux/slab.h>

#include "compat.h"
#include "message.h"
#include "udp.h"

/*
 * Drop the first @len bytes of @skb without copying the rest. A strparser
 * hands us each message as a clone of the TCP segment it starts in, with
 * an offset; pulling that offset would copy every earlier message in the
 * segment, so trim the shared fragments instead.
 */
static u32 ockam_skb_own_len(struct sk_buff *skb)
{
	u32 len = skb_headlen(skb);
	int i;

	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++)
		len += skb_frag_size(&skb_shinfo(skb)->frags[i]);
	return len;
}

int ockam_msg_trim_head(struct sk_buff *skb, u32 len)
{
	struct skb_shared_info *shinfo;
	u32 paged, size;
	int i, kept;

	if (len <= skb_headlen(skb)) {
		__skb_pull(skb, len);
		return 0;
	}
	/* Reaching into the frag list is rare: let the core copy. */
	if (len >= ockam_skb_own_len(skb))
		return pskb_pull(skb, len) ? 0 : -ENOMEM;
	if (skb_unclone(skb, GFP_ATOMIC))
		return -ENOMEM;

	paged = len - skb_headlen(skb);
	__skb_pull(skb, skb_headlen(skb));
	shinfo = skb_shinfo(skb);
	for (i = 0, kept = 0; i < shinfo->nr_frags; i++) {
		size = skb_frag_size(&shinfo->frags[i]);
		if (paged >= size) {
			skb_frag_unref(skb, i);
			paged -= size;
			skb->data_len -= size;
			skb->len -= size;
			continue;
		}
		if (paged) {
			skb_frag_off_add(&shinfo->frags[i], paged);
			skb_frag_size_sub(&shinfo->frags[i], paged);
			skb->data_len -= paged;
			skb->len -= paged;
			paged = 0;
		}
		shinfo->frags[kept++] = shinfo->frags[i];
	}
	shinfo->nr_frags = kept;
	return 0;
}

/*
 * Make the whole header linear and decode it. Headers are usually short,
 * so start with a small pull and grow it only when the decoder says the
 * header goes on. Returns -EINVAL for a message that does not parse.
 */
int ockam_msg_pull(struct sk_buff *skb, struct ockam_msg_view *msg)
{
	u32 limit = min_t(u32, skb->len, OCKAM_HEADER_MAX);
	u32 want = min_t(u32, limit, OCKAM_HEADER_PULL);
	int ret;

	for (;;) {
		if (!pskb_may_pull(skb, want))
			return -ENOMEM;
		ret = ockam_msg_decode(skb->data, skb_headlen(skb), skb->len,
				       msg);
		if (ret != -EAGAIN)
			return ret;
		if (want >= limit)
			return -EINVAL;
		want = min_t(u32, want * 2, limit);
	}
}

/*
 * Replace the header with one built from @onward and @ret, which may point
 * into the old header. The payload does not move. On success @msg
 * describes the new header.
 */
int ockam_msg_rewrite(struct sk_buff *skb, struct ockam_msg_view *msg,
		      const struct ockam_route_parts *onward,
		      const struct ockam_route_parts *ret)
{
	u8 stack[OCKAM_HEADER_STACK];
	u8 *buf = stack;
	u32 len;
	int err;

	if (onward->head_hops + onward->tail_hops > OCKAM_ROUTE_HOPS_MAX ||
	    ret->head_hops + ret->tail_hops > OCKAM_ROUTE_HOPS_MAX)
		return -ELOOP;

	len = ockam_header_len(onward, ret, msg->payload_len);
	if (len > sizeof(stack)) {
		buf = kmalloc(len, GFP_ATOMIC);
		if (!buf)
			return -ENOMEM;
	}
	ockam_header_encode(buf, onward, ret, msg->payload_len);

	__skb_pull(skb, msg->header_len);
	err = skb_cow_head(skb, len + OCKAM_TCP_FRAME_LEN);
	if (!err) {
		memcpy(__skb_push(skb, len), buf, len);
		err = ockam_msg_decode(skb->data, skb_headlen(skb), skb->len,
				       msg);
	}
	if (buf != stack)
		kfree(buf);
	return err;
}

/*
 * Chain @paged more bytes of page fragments onto @skb's frag list, charged
 * to @sk's send buffer when there is one.
 */
static int ockam_msg_extend(struct sock *sk, struct sk_buff *skb,
			    size_t paged, gfp_t gfp)
{
	struct sk_buff **tail = &skb_shinfo(skb)->frag_list;
	int err;

	while (paged) {
		size_t chunk = min_t(size_t, paged, OCKAM_SKB_PAGED_MAX);
		struct sk_buff *frag;

		frag = alloc_skb_with_frags(0, chunk, PAGE_ALLOC_COSTLY_ORDER,
					    &err, gfp);
		if (!frag)
			return err;
		frag->len = chunk;
		frag->data_len = chunk;
		*tail = frag;
		tail = &frag->next;

		skb->len += chunk;
		skb->data_len += chunk;
		/* The head's destructor uncharges the whole chain. */
		skb->truesize += frag->truesize;
		if (sk)
			refcount_add(frag->truesize, &sk->sk_wmem_alloc);
		paged -= chunk;
	}
	return 0;
}

/* How a message of @len bytes is split: head, first skb's pages, rest. */
struct ockam_msg_shape {
	size_t linear;
	size_t first;
	size_t rest;
};

static struct ockam_msg_shape ockam_msg_shape(size_t len, size_t linear_max)
{
	struct ockam_msg_shape shape = {};

	if (len <= linear_max)
		shape.linear = len;
	shape.first = min_t(size_t, len - shape.linear, OCKAM_SKB_PAGED_MAX);
	shape.rest = len - shape.linear - shape.first;
	return shape;
}

/*
 * Give a fresh @skb its data: @headroom before skb->data, the linear part,
 * the page fragments alloc_skb_with_frags() made, and more skbs on the
 * frag list for the rest. Frees @skb on failure.
 */
static struct sk_buff *ockam_msg_fill(struct sock *sk, struct sk_buff *skb,
				      u32 headroom,
				      const struct ockam_msg_shape *shape,
				      gfp_t gfp, int *err)
{
	skb_reserve(skb, headroom);
	skb_put(skb, shape->linear);
	skb->len += shape->first;
	skb->data_len = shape->first;

	*err = ockam_msg_extend(sk, skb, shape->rest, gfp);
	if (*err) {
		kfree_skb(skb);
		return NULL;
	}
	return skb;
}

/*
 * Headroom of a local message with @header_len bytes of header and
 * @linear bytes of linear payload: the header, a channel's frame, and what
 * a transport puts in front: TCP's framing always, and a datagram's
 * headers, so that the message can go to UDP as it is, where its linear
 * payload (the copy that saves) is longer than that room and the head's
 * allocation has the room anyway once rounded up. Elsewhere such a
 * message is copied into its datagram: no message takes a bigger
 * allocation for it.
 */
static u32 ockam_msg_headroom(u32 header_len, size_t linear)
{
	u32 base = header_len + OCKAM_SEAL_HEADROOM + OCKAM_TCP_FRAME_LEN;
	u32 more = OCKAM_UDP_SEND_HEADROOM - OCKAM_TCP_FRAME_LEN;
	size_t rest = linear + OCKAM_SEAL_TAILROOM;

	if (linear <= more ||
	    kmalloc_size_roundup(SKB_HEAD_ALIGN(base + more + rest)) >
	    kmalloc_size_roundup(SKB_HEAD_ALIGN(base + rest)))
		return base;
	return base + more;
}

/*
 * A message for @sk to send: headroom for @header_len bytes of header and
 * what comes in front of it (ockam_msg_headroom()), and @payload_len bytes
 * of payload space, skb->data at the payload. Waits for send buffer room
 * like any datagram socket; a message bigger than one skb is charged as a
 * whole once that room exists.
 */
struct sk_buff *ockam_msg_alloc(struct sock *sk, u32 header_len,
				size_t payload_len, bool noblock, int *err)
{
	struct ockam_msg_shape shape =
		ockam_msg_shape(payload_len, OCKAM_LINEAR_PAYLOAD_MAX);
	u32 headroom = ockam_msg_headroom(header_len, shape.linear);
	struct sk_buff *skb;

	skb = sock_alloc_send_pskb(sk, headroom + shape.linear +
				   OCKAM_SEAL_TAILROOM, shape.first, noblock,
				   err, PAGE_ALLOC_COSTLY_ORDER);
	if (!skb)
		return NULL;
	return ockam_msg_fill(sk, skb, headroom, &shape, sk->sk_allocation,
			      err);
}

/*
 * A message the module makes itself, allocated with @gfp (GFP_ATOMIC where
 * it may not sleep): @headroom bytes before skb->data, then @len bytes of
 * data, linear when short and in page fragments otherwise. Charged to no
 * socket.
 */
struct sk_buff *ockam_msg_alloc_gfp(u32 headroom, size_t len, gfp_t gfp,
				    int *err)
{
	struct ockam_msg_shape shape =
		ockam_msg_shape(len, OCKAM_ATOMIC_LINEAR_MAX);
	struct sk_buff *skb;

	skb = alloc_skb_with_frags(headroom + shape.linear, shape.first,
				   PAGE_ALLOC_COSTLY_ORDER, err, gfp);
	if (!skb)
		return NULL;
	return ockam_msg_fill(NULL, skb, headroom, &shape, gfp, err);
}

/* Copy @len bytes between two messages, wherever their bytes are. */
int ockam_msg_copy(struct sk_buff *to, u32 to_off, struct sk_buff *from,
		   u32 from_off, u32 len)
{
	struct skb_seq_state seq;
	u32 done = 0, chunk;
	const u8 *data;
	int err;

	if (!len)
		return 0;
	skb_prepare_seq_read(from, from_off, from_off + len, &seq);
	while ((chunk = skb_seq_read(done, &data, &seq)) != 0) {
		chunk = min(chunk, len - done);
		err = skb_store_bits(to, to_off + done, data, chunk);
		if (err) {
			skb_abort_seq_read(&seq);
			return err;
		}
		done += chunk;
		if (done == len) {
			skb_abort_seq_read(&seq);
			break;
		}
	}
	return done == len ? 0 : -EFAULT;
}

/* Every page of @skb's fragments is @skb's alone. */
static bool ockam_msg_pages_private(struct sk_buff *skb)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);
	int i;

	if (skb_cloned(skb) || skb_zcopy(skb) || skb_has_shared_frag(skb))
		return false;
	for (i = 0; i < shinfo->nr_frags; i++) {
		if (page_count(skb_frag_page(&shinfo->frags[i])) != 1)
			return false;
	}
	return true;
}

/*
 * May the module write anywhere in @skb's buffers, the unused rest of its
 * pages included? Only when no other skb, socket queue or retransmit
 * queue shares them: a message that came in over TCP shares its pages
 * with the receive queue and with the frames behind it (and, over a veth,
 * with the sender's retransmit queue), and writing there corrupts them;
 * skb_cloned() alone does not tell. A page referenced by @skb only
 * (count 1) is @skb's to write, all of it.
 */
bool ockam_msg_private(struct sk_buff *skb)
{
	struct sk_buff *frag;

	if (!ockam_msg_pages_private(skb))
		return false;
	skb_walk_frags(skb, frag) {
		if (!ockam_msg_pages_private(frag))
			return false;
	}
	return true;
}

/* Remember where recvmsg() finds the routes and payload of @skb. */
void ockam_msg_record_rx(struct sk_buff *skb, const struct ockam_msg_view *msg,
			 const u8 *peer)
{
	struct ockam_rx_cb *cb = ockam_rx_cb(skb);
	struct ockam_route_view rest = msg->onward;
	u32 count_len = ockam_uleb_len(msg->ret.hops);
	struct ockam_addr_view self;

	BUILD_BUG_ON(OCKAM_HEADER_MAX > U16_MAX);
	cb->header_len = msg->header_len;
	cb->ret_off = msg->ret.addrs - skb->data - count_len;
	cb->ret_len = msg->ret.len + count_len;

	if (ockam_route_first(&rest, &self) > 0)
		ockam_route_skip(&rest, &self);
	cb->onward_off = rest.addrs - skb->data;
	cb->onward_len = rest.len;
	cb->onward_hops = rest.hops;
	cb->has_peer = !!peer;
	if (peer)
		memcpy(cb->peer, peer, OCKAM_IDENTIFIER_BYTES);
}
