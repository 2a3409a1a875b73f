// SPDX-License-Identifier: GPL-2.0
/*
 * Writing skbs into a locked TCP socket without copying their pages: the
 * transmit path of TCP transports and of portal sessions. See stream.h.
 */
#include <linux/highmem.h>
#include <net/tcp.h>

#include "compat.h"
#include "stream.h"

int ockam_stream_send_kvecs(struct sock *sk, struct kvec *kv, size_t n,
			    size_t len, int flags)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | flags };

	return kernel_sendmsg_locked(sk, &msg, kv, n, len);
}

int ockam_stream_send_kvec(struct sock *sk, void *data, size_t len, int flags)
{
	struct kvec kv = { .iov_base = data, .iov_len = len };

	return ockam_stream_send_kvecs(sk, &kv, 1, len, flags);
}

static int ockam_stream_send_page(struct sock *sk, struct page *page,
				  u32 offset, u32 len, int flags)
{
	void *vaddr;
	int ret;

	if (sendpage_ok(page))
		return ockam_sendpage_locked(sk, page, offset, len,
					     MSG_DONTWAIT | flags);
	/* TCP must not hold references to slab pages: copy those. */
	page += offset >> PAGE_SHIFT;
	offset &= ~PAGE_MASK;
	len = min_t(u32, len, PAGE_SIZE - offset);
	vaddr = kmap_local_page(page);
	ret = ockam_stream_send_kvec(sk, vaddr + offset, len, flags | MSG_MORE);
	kunmap_local(vaddr);
	return ret;
}

/* MSG_MORE on every piece but the very last, so TCP builds full segments. */
static int ockam_tx_flags(const struct ockam_tx_cursor *c, u32 n)
{
	return (n < c->len || c->more) ? MSG_MORE : 0;
}

/* Account for a write of @n bytes that returned @ret. */
static int ockam_tx_advance(struct ockam_tx_cursor *c, int ret, u32 n)
{
	if (ret < 0)
		return ret;
	c->done += ret;
	c->offset += ret;
	c->len -= ret;
	return ret < n ? -EAGAIN : 0;
}

/*
 * Send what @c has left of @skb: its linear part, its page fragments
 * (without copying them), then its frag list. Stops at the first short
 * write with -EAGAIN.
 */
int ockam_stream_send_range(struct sock *sk, struct sk_buff *skb,
			    struct ockam_tx_cursor *c)
{
	struct ockam_tx_cursor sub;
	struct sk_buff *frag_skb;
	u32 pos, end, n;
	int i, ret;

	end = skb_headlen(skb);
	if (c->offset < end && c->len) {
		n = min(c->len, end - c->offset);
		ret = ockam_stream_send_kvec(sk, skb->data + c->offset, n,
					     ockam_tx_flags(c, n));
		ret = ockam_tx_advance(c, ret, n);
		if (ret)
			return ret;
	}
	pos = end;

	for (i = 0; i < skb_shinfo(skb)->nr_frags && c->len; i++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];

		end = pos + skb_frag_size(frag);
		if (c->offset < end) {
			n = min(c->len, end - c->offset);
			ret = ockam_stream_send_page(sk, skb_frag_page(frag),
						     skb_frag_off(frag) +
						     c->offset - pos,
						     n, ockam_tx_flags(c, n));
			ret = ockam_tx_advance(c, ret, n);
			if (ret)
				return ret;
		}
		pos = end;
	}

	skb_walk_frags(skb, frag_skb) {
		if (!c->len)
			break;
		end = pos + frag_skb->len;
		if (c->offset < end) {
			n = min(c->len, end - c->offset);
			sub = (struct ockam_tx_cursor) {
				.offset = c->offset - pos,
				.len = n,
				.more = n < c->len || c->more,
			};
			ret = ockam_stream_send_range(sk, frag_skb, &sub);
			c->done += sub.done;
			c->offset += sub.done;
			c->len -= sub.done;
			if (ret)
				return ret;
		}
		pos = end;
	}
	return 0;
}
