// SPDX-License-Identifier: GPL-2.0
/*
 * Cutting a message into datagrams for the UDP transport, and handing
 * them to IP in batches.
 *
 * A batch is one skb of UDP GSO (SKB_GSO_UDP_L4): each datagram's payload
 * (our header, then its fragment of the message) gso_size after the last,
 * all in page fragments. IP, netfilter and the devices carry it as one
 * packet as far as they can; where it must be (a device without UDP
 * segmentation offload) it is cut into its datagrams by page reference.
 *
 * The message's own pages are referred to, not copied: a datagram is a
 * fragment holding its header, then fragments that refer to the message
 * pages its bytes are in. Only the headers, and bytes of the message that
 * are in an skb's linear part, are copied, into a scratch page the whole
 * message shares. A receiver on the same machine (a veth, loopback) sees
 * the message's bytes where they were, back to back across datagrams, so
 * its pieces of the message take a few fragment slots, and the TCP hop
 * after it sends full segments. Nobody writes the referred pages while
 * they are shared: a node writes a message in place only when every page
 * of it has no other reference (ockam_msg_private()).
 *
 * A message whose pages come from a page pool or are a user's, lent for
 * zero-copy, is copied instead, into scratch pages: the former hold
 * references of their own kind on some kernels, the latter must be
 * given back when the sender is told so.
 *
 * A datagram takes two or three fragment slots, so one skb's slots hold
 * about eight. A datagram that does not fit in what is left of them is
 * taken back out and begins a new skb chained on the batch's frag_list:
 * a batch is 60 KiB of datagrams, in one skb and as many as its slots
 * take after it, each holding whole datagrams. IP and veths carry the
 * chain as one packet; a device without frag lists gets it cut, along
 * the skbs where they hold as many datagrams each (skb_segment()), or
 * else into datagrams.
 *
 * A message that fits one datagram and that a local socket of this node
 * sent goes as it is, our header pushed in front, into the room sendmsg()
 * leaves where that costs no memory (ockam_msg_alloc()). A message from
 * elsewhere carries state of the packet it arrived in (GSO, checksum,
 * tunnel marks) that IP would take for its own, so it is copied.
 */
#include <net/udp.h>

#include "codec.h"
#include "socket.h"
#include "udp.h"

enum {
	/*
	 * A batch's datagrams, headers included, at most: under IP's 64 KiB
	 * packet.
	 */
	OCKAM_UDP_BATCH_BYTES = 60 << 10,
};

/* Datagrams of a message that go to IP together, in one batch. */
static u32 ockam_udp_batch_max(u32 datagram)
{
	return clamp_t(u32, OCKAM_UDP_BATCH_BYTES / datagram, 1,
		       UDP_MAX_SEGMENTS);
}

/*
 * Whether the pages of @skb (not its frag_list) may be referred to: by a
 * batch sent here, or by the pieces a received batch goes to reassembly in.
 */
bool ockam_udp_pages_referable(struct sk_buff *skb)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);
	int i;

	if (skb->pp_recycle || skb_zcopy(skb))
		return false;
	/* Device memory has no struct page to refer to. */
	for (i = 0; i < shinfo->nr_frags; i++) {
		if (!skb_frag_page(&shinfo->frags[i]))
			return false;
	}
	return true;
}

static bool ockam_udp_msg_referable(struct sk_buff *msg)
{
	struct sk_buff *frag;

	if (!ockam_udp_pages_referable(msg))
		return false;
	skb_walk_frags(msg, frag) {
		if (!ockam_udp_pages_referable(frag))
			return false;
	}
	return true;
}

void ockam_udp_batcher_init(struct ockam_udp_batcher *b, struct sk_buff *msg,
			    u32 message, u32 datagram)
{
	*b = (struct ockam_udp_batcher) {
		.msg = msg,
		.message = message,
		.chunk = datagram - OCKAM_UDP_HEADER_LEN,
		.batch_max = ockam_udp_batch_max(datagram),
		.refer = ockam_udp_msg_referable(msg),
	};
}

/*
 * Make @b's message its own datagram, when it fits one and a local
 * socket made it (nothing of a received packet's state on it) and is not
 * shared: our header goes in front, and the sender's charge is dropped
 * now, as when a copy is sent, because IP takes skb->sk for a socket of
 * its own family (IPv6 fragmentation reads it as one). False, with the
 * message as it was, when it must be copied.
 */
bool ockam_udp_batcher_whole(struct ockam_udp_batcher *b)
{
	struct sk_buff *msg = b->msg;
	u32 len = msg->len;

	if (len > b->chunk || skb_shared(msg) || skb_is_gso(msg) ||
	    !ockam_socket_sent(msg) ||
	    skb_cow_head(msg, OCKAM_UDP_SEND_HEADROOM))
		return false;
	skb_orphan(msg);
	ockam_udp_header_encode(__skb_push(msg, OCKAM_UDP_HEADER_LEN),
				b->message, 0, len);
	return true;
}

void ockam_udp_batcher_done(struct ockam_udp_batcher *b)
{
	if (b->scratch)
		put_page(b->scratch);
	b->scratch = NULL;
}

/*
 * Append @len bytes to @skb in the scratch page: from @buf, or when that
 * is NULL from the message at @offset. Bytes that follow the last ones
 * appended there extend the fragment that holds them.
 */
static int ockam_udp_scratch_put(struct ockam_udp_batcher *b,
				 struct sk_buff *skb, const u8 *buf, u32 offset,
				 u32 len)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);
	u32 n;
	u8 *to;

	for (; len; len -= n, offset += n) {
		if (!b->scratch || b->scratch_used == PAGE_SIZE) {
			ockam_udp_batcher_done(b);
			b->scratch = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
			if (!b->scratch)
				return -ENOMEM;
			b->scratch_used = 0;
		}
		n = min_t(u32, len, PAGE_SIZE - b->scratch_used);
		if (!skb_can_coalesce(skb, shinfo->nr_frags, b->scratch,
				      b->scratch_used)) {
			if (shinfo->nr_frags == MAX_SKB_FRAGS)
				return -EMSGSIZE;
			get_page(b->scratch);
			skb_fill_page_desc(skb, shinfo->nr_frags, b->scratch,
					   b->scratch_used, 0);
		}
		to = page_address(b->scratch) + b->scratch_used;
		if (buf) {
			memcpy(to, buf, n);
			buf += n;
		} else if (skb_copy_bits(b->msg, offset, to, n)) {
			return -EFAULT;
		}
		skb_frag_size_add(&shinfo->frags[shinfo->nr_frags - 1], n);
		skb->len += n;
		skb->data_len += n;
		skb->truesize += n;
		b->scratch_used += n;
	}
	return 0;
}

/* Append @len bytes of @page from @off to @skb, by reference. */
static int ockam_udp_page_put(struct sk_buff *skb, struct page *page, u32 off,
			      u32 len)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);

	if (skb_can_coalesce(skb, shinfo->nr_frags, page, off)) {
		skb_frag_size_add(&shinfo->frags[shinfo->nr_frags - 1], len);
	} else {
		if (shinfo->nr_frags == MAX_SKB_FRAGS)
			return -EMSGSIZE;
		get_page(page);
		skb_fill_page_desc(skb, shinfo->nr_frags, page, off, len);
	}
	skb->len += len;
	skb->data_len += len;
	/* As splice and sendfile charge the pages they send. */
	skb->truesize += len;
	return 0;
}

/*
 * Append bytes [@offset, @offset + @len) of @from (the message or a skb
 * of its frag_list) to @skb: its page fragments by reference, its linear
 * bytes copied.
 */
static int ockam_udp_refer(struct ockam_udp_batcher *b, struct sk_buff *skb,
			   const struct sk_buff *from, u32 offset, u32 len)
{
	const struct skb_shared_info *shinfo = skb_shinfo(from);
	u32 start = skb_headlen(from), end, n;
	const struct sk_buff *next;
	const skb_frag_t *f;
	int i, err;

	if (offset < start) {
		n = min(start - offset, len);
		err = ockam_udp_scratch_put(b, skb, from->data + offset, 0, n);
		if (err)
			return err;
		offset += n;
		len -= n;
	}
	for (i = 0; len && i < shinfo->nr_frags; i++, start = end) {
		f = &shinfo->frags[i];
		end = start + skb_frag_size(f);
		if (offset >= end)
			continue;
		n = min(end - offset, len);
		err = ockam_udp_page_put(skb, skb_frag_page(f),
					 skb_frag_off(f) + offset - start, n);
		if (err)
			return err;
		offset += n;
		len -= n;
	}
	skb_walk_frags(from, next) {
		if (!len)
			break;
		end = start + next->len;
		if (offset < end) {
			n = min(end - offset, len);
			err = ockam_udp_refer(b, skb, next, offset - start, n);
			if (err)
				return err;
			offset += n;
			len -= n;
		}
		start = end;
	}
	return len ? -EFAULT : 0;
}

/* What a batch was before a datagram was added, to take it back out. */
struct ockam_udp_batch_mark {
	u32 nr_frags;
	u32 last_size;
	u32 len;
	u32 truesize;
};

static void ockam_udp_batch_mark(const struct sk_buff *skb,
				 struct ockam_udp_batch_mark *m)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);

	m->nr_frags = shinfo->nr_frags;
	m->last_size = m->nr_frags ?
		skb_frag_size(&shinfo->frags[m->nr_frags - 1]) : 0;
	m->len = skb->len;
	m->truesize = skb->truesize;
}

static void ockam_udp_batch_rewind(struct sk_buff *skb,
				   const struct ockam_udp_batch_mark *m)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);

	while (shinfo->nr_frags > m->nr_frags)
		put_page(skb_frag_page(&shinfo->frags[--shinfo->nr_frags]));
	if (m->nr_frags)
		skb_frag_size_set(&shinfo->frags[m->nr_frags - 1],
				  m->last_size);
	/* A batch has no linear bytes. */
	skb->len = m->len;
	skb->data_len = m->len;
	skb->truesize = m->truesize;
}

/* Append the datagram of the message's bytes [@offset, @offset + @len). */
static int ockam_udp_batch_add(struct ockam_udp_batcher *b,
			       struct sk_buff *skb, u32 offset, u32 len)
{
	u8 hdr[OCKAM_UDP_HEADER_LEN];
	int err;

	ockam_udp_header_encode(hdr, b->message, offset, b->msg->len);
	err = ockam_udp_scratch_put(b, skb, hdr, 0, sizeof(hdr));
	if (err)
		return err;
	if (b->refer)
		return ockam_udp_refer(b, skb, b->msg, offset, len);
	return ockam_udp_scratch_put(b, skb, NULL, offset, len);
}

/*
 * Append the datagram of the message's bytes [@offset, @offset + @len) to
 * @batch: into *@tail, the skb whose fragment slots are being filled (the
 * batch itself, then each skb of its frag_list), or, when they run out,
 * into a new skb chained after it. A datagram is never split between two
 * skbs of the chain, so each holds whole datagrams.
 */
static int ockam_udp_batch_put(struct ockam_udp_batcher *b,
			       struct sk_buff *batch, struct sk_buff **tail,
			       u32 offset, u32 len)
{
	struct ockam_udp_batch_mark mark;
	struct sk_buff *skb = *tail;
	int err;

	ockam_udp_batch_mark(skb, &mark);
	err = ockam_udp_batch_add(b, skb, offset, len);
	if (err) {
		ockam_udp_batch_rewind(skb, &mark);
		/* What an empty skb cannot hold, a new one cannot either. */
		if (err != -EMSGSIZE || !skb->len)
			return err;
		skb = alloc_skb(0, GFP_ATOMIC);
		/* The batch ends here, as when it is full. */
		if (!skb)
			return -EMSGSIZE;
		err = ockam_udp_batch_add(b, skb, offset, len);
		if (err) {
			kfree_skb(skb);
			return err;
		}
		if (b->refer)
			skb_shinfo(skb)->flags |= SKBFL_SHARED_FRAG;
		if (*tail == batch)
			skb_shinfo(batch)->frag_list = skb;
		else
			(*tail)->next = skb;
		*tail = skb;
		/* The new skb holds all of the datagram, and its own cost. */
		mark.len = 0;
		mark.truesize = 0;
	}
	if (skb != batch) {
		batch->len += skb->len - mark.len;
		batch->data_len += skb->len - mark.len;
		batch->truesize += skb->truesize - mark.truesize;
	}
	return 0;
}

/*
 * The message's datagrams from @offset, as many as fit, as one batch.
 * NULL when fewer than two do: one datagram is not a batch.
 */
static struct sk_buff *ockam_udp_batch(struct ockam_udp_batcher *b,
				       u32 offset, u32 *sent)
{
	struct sk_buff *skb, *tail;
	u32 count, done, n;
	int err = 0;

	skb = alloc_skb(OCKAM_UDP_HEADROOM, GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reserve(skb, OCKAM_UDP_HEADROOM);
	tail = skb;
	for (count = 0, done = 0; count < b->batch_max &&
	     offset + done < b->msg->len; count++, done += n) {
		n = min(b->chunk, b->msg->len - offset - done);
		err = ockam_udp_batch_put(b, skb, &tail, offset + done, n);
		if (err)
			break;
	}
	if (count < 2 || (err && err != -EMSGSIZE)) {
		kfree_skb(skb);
		return NULL;
	}
	skb_shinfo(skb)->gso_size = OCKAM_UDP_HEADER_LEN + b->chunk;
	skb_shinfo(skb)->gso_type = SKB_GSO_UDP_L4;
	skb_shinfo(skb)->gso_segs = count;
	/* Shared with the message, and whatever else refers to its pages. */
	if (b->refer)
		skb_shinfo(skb)->flags |= SKBFL_SHARED_FRAG;
	/*
	 * As a UDP socket's UDP_SEGMENT sends: the UDP header, pushed in
	 * front, takes the pseudo-header sum, and segmentation finishes
	 * each datagram's checksum.
	 */
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_headroom(skb) - sizeof(struct udphdr);
	skb->csum_offset = offsetof(struct udphdr, check);
	*sent = done;
	return skb;
}

/* Bytes [@offset, @offset + @len) of the message, in a datagram, copied. */
static struct sk_buff *ockam_udp_datagram(struct ockam_udp_batcher *b,
					  u32 offset, u32 len)
{
	struct sk_buff *skb;

	skb = alloc_skb(OCKAM_UDP_HEADROOM + OCKAM_UDP_HEADER_LEN + len,
			GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reserve(skb, OCKAM_UDP_HEADROOM);
	ockam_udp_header_encode(skb_put(skb, OCKAM_UDP_HEADER_LEN), b->message,
				offset, b->msg->len);
	if (skb_copy_bits(b->msg, offset, skb_put(skb, len), len)) {
		kfree_skb(skb);
		return NULL;
	}
	return skb;
}

/*
 * The message's next datagrams, from @offset: a batch, or one datagram
 * (the last, or one that fits no batch, or when no page is to be had
 * for one). Sets @sent to the message bytes it holds; NULL when there is
 * no memory.
 */
struct sk_buff *ockam_udp_batcher_next(struct ockam_udp_batcher *b, u32 offset,
				       u32 *sent)
{
	struct sk_buff *skb = NULL;

	if (b->msg->len - offset > b->chunk && b->batch_max > 1)
		skb = ockam_udp_batch(b, offset, sent);
	if (!skb) {
		*sent = min(b->chunk, b->msg->len - offset);
		skb = ockam_udp_datagram(b, offset, *sent);
	}
	return skb;
}
