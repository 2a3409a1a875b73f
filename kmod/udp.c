// SPDX-License-Identifier: GPL-2.0
/*
 * UDP transport.
 *
 * Userspace binds a UDP socket and hands it over with OCKAM_CMD_UDP_ATTACH.
 * With the socket locked and under sk_callback_lock we claim sk_user_data
 * (refusing a socket another kernel user holds, as L2TP does), then take
 * its data_ready: the UDP receive path queues each datagram on the socket
 * and calls ockam_udp_data_ready(), in softirq, which takes everything
 * queued. The kernel keeps its own file reference.
 *
 * Why the queue and not an encap_rcv hook, as L2TP and WireGuard have: a
 * node sends a message's datagrams as UDP GSO batches, and a
 * socket with encap_rcv gets every batch cut into datagrams first
 * (udp_unexpected_gso() spares only tunnel GSO types), a new skb each.
 * A socket that accepts SKB_GSO_UDP_L4 gets the batch whole in its
 * queue: a batch of one message's consecutive fragments goes to
 * reassembly in a few pieces that refer to its pages, with no copy and
 * no skb per datagram. The queue costs a lock and a memory charge per
 * datagram, which the batches more than pay back (performance.rst).
 *
 * A bind has no peer of its own: it sends to any UDP address and hears
 * from anyone. It remembers the addresses it heard from (its peers):
 * their unfinished messages are kept per peer (udp_reasm.c), a reply to
 * one leaves from the bind that heard it (so it passes back through the
 * same NAT mapping), and a message from another node may go to a peer but
 * not, unless the node allows forwarded dials, to an address no bind has
 * heard from. Peers not heard from for OCKAM_UDP_PEER_IDLE_MS are
 * forgotten.
 *
 * Sending splits a message into datagrams of the node's datagram size,
 * up to 60 KiB of them at a time in one UDP GSO batch that refers to the
 * message's pages (udp_batch.c), and hands them to the IP layer with
 * udp_tunnel_xmit_skb() (as WireGuard does), in whatever context the
 * routing step runs in; nothing queues, so a full device queue loses
 * datagrams the way UDP does.
 *
 * Closing is one work item: unpublish the address and leave the node's
 * list, give the socket back its own data_ready (dropping what is left in
 * its queue, which came while it was ours), and free after an
 * RCU grace period, when no receiver or sender can hold the bind: then the
 * unfinished messages go (counted as incomplete) and the socket's file
 * reference is dropped.
 */
#include <linux/ctype.h>
#include <linux/inet.h>
#include <linux/file.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/ipv6_stubs.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>

#include "message.h"
#include "ockam.h"
#include "route.h"
#include "sockhook.h"
#include "udp.h"

enum {
	/* How often the sweep looks at idle peers when nothing is
	 * unfinished.
	 */
	OCKAM_UDP_SWEEP_IDLE_MS = 10000,
	/* ... and at unfinished messages. */
	OCKAM_UDP_SWEEP_REASM_MS = 500,
};

static const struct rhashtable_params ockam_udp_peer_params = {
	.head_offset = offsetof(struct ockam_udp_peer, hash_node),
	.key_offset = offsetof(struct ockam_udp_peer, addr),
	.key_len = sizeof(struct ockam_udp_addr),
	.automatic_shrinking = true,
};

/* ---- addresses ---- */

/* 1 to 65535 in decimal digits only: no sign, no leading zero. */
static int ockam_udp_port_parse(const char *s, u32 len, __be16 *port)
{
	u32 value = 0, i;

	if (!len || len > 5 || s[0] == '0')
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (!isdigit(s[i]))
			return -EINVAL;
		value = value * 10 + s[i] - '0';
	}
	if (value > U16_MAX)
		return -EINVAL;
	*port = htons(value);
	return 0;
}

/*
 * A UDP address value: numeric "a.b.c.d:port" or "[IPv6]:port". The
 * kernel resolves no names: whoever builds the route does.
 */
int ockam_udp_addr_parse(const u8 *value, u32 len, struct ockam_udp_addr *addr)
{
	const char *s = (const char *)value, *stop = s + len, *end;

	memset(addr, 0, sizeof(*addr));
	if (len && s[0] == '[') {
		if (!in6_pton(s + 1, len - 1, addr->v6.s6_addr, ']', &end) ||
		    end + 1 >= stop || *end != ']' || end[1] != ':')
			return -EINVAL;
		end += 2;
		addr->family = AF_INET6;
	} else {
		if (!in4_pton(s, len, (u8 *)&addr->v4, ':', &end) ||
		    end >= stop || *end != ':')
			return -EINVAL;
		end++;
		addr->family = AF_INET;
	}
	return ockam_udp_port_parse(end, stop - end, &addr->port);
}

static int ockam_udp_addr_print(const struct ockam_udp_addr *addr, char *buf,
				size_t size)
{
	if (addr->family == AF_INET)
		return snprintf(buf, size, "%pI4:%u", &addr->v4,
				ntohs(addr->port));
	return snprintf(buf, size, "[%pI6c]:%u", &addr->v6, ntohs(addr->port));
}

/* Where a datagram came from. */
static void ockam_udp_source(const struct sk_buff *skb,
			     struct ockam_udp_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	addr->port = udp_hdr(skb)->source;
	if (skb->protocol == htons(ETH_P_IP)) {
		addr->family = AF_INET;
		addr->v4 = ip_hdr(skb)->saddr;
	} else {
		addr->family = AF_INET6;
		addr->v6 = ipv6_hdr(skb)->saddr;
	}
}

/* @addr as a route address, type OCKAM_ADDR_UDP, into @buf. */
static u32 ockam_udp_addr_encode(const struct ockam_udp_addr *addr,
				 u8 buf[OCKAM_UDP_PUSH_MAX])
{
	char hostport[OCKAM_UDP_HOSTPORT_MAX];
	int len = ockam_udp_addr_print(addr, hostport, sizeof(hostport));

	return ockam_addr_encode(buf, OCKAM_ADDR_UDP, (const u8 *)hostport,
				 len);
}

/* ---- peers ---- */

static void ockam_udp_sweep_soon(struct ockam_udp *u, unsigned int ms)
{
	/* A sweep already due keeps its time; it re-arms itself. */
	queue_delayed_work(ockam_wq, &u->sweep, msecs_to_jiffies(ms));
}

static struct ockam_udp_peer *ockam_udp_peer_new(struct ockam_udp *u,
						 const struct ockam_udp_addr *a)
{
	struct ockam_udp_peer *peer, *old;

	if (READ_ONCE(u->peer_count) >= OCKAM_UDP_PEERS_MAX)
		return NULL;
	peer = kzalloc(sizeof(*peer), GFP_ATOMIC);
	if (!peer)
		return NULL;
	peer->addr = *a;
	peer->last_heard = jiffies;
	INIT_LIST_HEAD(&peer->partials);
	peer->push_len = ockam_udp_addr_encode(a, peer->push);

	spin_lock_bh(&u->lock);
	old = NULL;
	if (u->peer_count < OCKAM_UDP_PEERS_MAX)
		old = rhashtable_lookup_get_insert_fast(&u->peers,
							&peer->hash_node,
							ockam_udp_peer_params);
	else
		old = ERR_PTR(-ENOSPC);
	if (!old)
		WRITE_ONCE(u->peer_count, u->peer_count + 1);
	spin_unlock_bh(&u->lock);

	if (old) {
		kfree(peer);
		return IS_ERR(old) ? NULL : old;
	}
	ockam_udp_sweep_soon(u, OCKAM_UDP_SWEEP_IDLE_MS);
	return peer;
}

/* The peer at @a, made if new; NULL when the bind remembers no more. */
static struct ockam_udp_peer *ockam_udp_peer_get(struct ockam_udp *u,
						 const struct ockam_udp_addr *a)
{
	struct ockam_udp_peer *peer;
	unsigned long now = jiffies;

	peer = rhashtable_lookup(&u->peers, a, ockam_udp_peer_params);
	if (!peer)
		return ockam_udp_peer_new(u, a);
	if (READ_ONCE(peer->last_heard) != now)
		WRITE_ONCE(peer->last_heard, now);
	return peer;
}

static bool ockam_udp_peer_idle(const struct ockam_udp_peer *peer,
				unsigned long now)
{
	return time_after(now, READ_ONCE(peer->last_heard) +
			       msecs_to_jiffies(OCKAM_UDP_PEER_IDLE_MS));
}

static void ockam_udp_peer_remove(struct ockam_udp *u,
				  struct ockam_udp_peer *peer)
{
	lockdep_assert_held(&u->lock);
	rhashtable_remove_fast(&u->peers, &peer->hash_node,
			       ockam_udp_peer_params);
	peer->gone = true;
	WRITE_ONCE(u->peer_count, u->peer_count - 1);
	kfree_rcu(peer, rcu);
}

/* Forget the peers not heard from lately that hold nothing unfinished. */
static void ockam_udp_forget_idle(struct ockam_udp *u, unsigned long now)
{
	struct rhashtable_iter iter;
	struct ockam_udp_peer *peer;

	rhashtable_walk_enter(&u->peers, &iter);
	rhashtable_walk_start(&iter);
	while ((peer = rhashtable_walk_next(&iter))) {
		if (IS_ERR(peer))
			continue;
		if (!ockam_udp_peer_idle(peer, now))
			continue;
		spin_lock_bh(&u->lock);
		/* The walk may show a peer twice. */
		if (!peer->gone && !peer->partial_count)
			ockam_udp_peer_remove(u, peer);
		spin_unlock_bh(&u->lock);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

static void ockam_udp_sweep(struct work_struct *work)
{
	struct ockam_udp *u = container_of(to_delayed_work(work),
					   struct ockam_udp, sweep);
	unsigned long now = jiffies;

	ockam_udp_forget_idle(u, now);
	if (ockam_udp_reasm_expire(u, now))
		ockam_udp_sweep_soon(u, OCKAM_UDP_SWEEP_REASM_MS);
	else if (READ_ONCE(u->peer_count))
		ockam_udp_sweep_soon(u, OCKAM_UDP_SWEEP_IDLE_MS);
}

u32 ockam_udp_peer_count(struct ockam_udp *u)
{
	return READ_ONCE(u->peer_count);
}

/*
 * The bind a message to @to leaves from: of those that heard from @to
 * (*@known), the one that heard from it last, so that a reply goes back
 * through the NAT mapping the peer last used; or else the node's first
 * bind of @to's family. Under RCU.
 */
struct ockam_udp *ockam_udp_select(struct ockam_node *node,
				   const struct ockam_udp_addr *to, bool *known)
{
	struct ockam_udp *u, *first = NULL, *best = NULL;
	struct ockam_udp_peer *peer;
	unsigned long heard = 0;

	list_for_each_entry_rcu(u, &node->udp_binds, bind_node) {
		if (u->family != to->family)
			continue;
		if (!first)
			first = u;
		peer = rhashtable_lookup(&u->peers, to, ockam_udp_peer_params);
		if (peer && (!best ||
			     time_after(READ_ONCE(peer->last_heard), heard))) {
			best = u;
			heard = READ_ONCE(peer->last_heard);
		}
	}
	*known = best;
	return best ?: first;
}

/* ---- transmit ---- */

static struct dst_entry *ockam_udp_route(struct ockam_udp *u,
					 const struct ockam_udp_addr *to,
					 struct flowi *fl)
{
	struct sock *sk = u->sock->sk;
	struct rtable *rt;

	memset(fl, 0, sizeof(*fl));
	if (to->family == AF_INET) {
		fl->u.ip4.daddr = to->v4;
		fl->u.ip4.saddr = inet_sk(sk)->inet_saddr;
		fl->u.ip4.fl4_dport = to->port;
		fl->u.ip4.fl4_sport = inet_sk(sk)->inet_sport;
		fl->u.ip4.flowi4_proto = IPPROTO_UDP;
		fl->u.ip4.flowi4_oif = READ_ONCE(sk->sk_bound_dev_if);
		fl->u.ip4.flowi4_mark = READ_ONCE(sk->sk_mark);
		rt = ip_route_output_flow(sock_net(sk), &fl->u.ip4, sk);
		return IS_ERR(rt) ? ERR_CAST(rt) : &rt->dst;
	}
#if IS_ENABLED(CONFIG_IPV6)
	fl->u.ip6.daddr = to->v6;
	fl->u.ip6.saddr = sk->sk_v6_rcv_saddr;
	fl->u.ip6.fl6_dport = to->port;
	fl->u.ip6.fl6_sport = inet_sk(sk)->inet_sport;
	fl->u.ip6.flowi6_proto = IPPROTO_UDP;
	fl->u.ip6.flowi6_oif = READ_ONCE(sk->sk_bound_dev_if);
	fl->u.ip6.flowi6_mark = READ_ONCE(sk->sk_mark);
	return ipv6_stub->ipv6_dst_lookup_flow(sock_net(sk), sk, &fl->u.ip6,
					       NULL);
#else
	return ERR_PTR(-EAFNOSUPPORT);
#endif
}

/* Hand a datagram or a batch to IP; it takes a reference to @dst of its own. */
static void ockam_udp_send(struct ockam_udp *u, struct sk_buff *skb,
			   struct dst_entry *dst, const struct flowi *fl,
			   const struct ockam_udp_addr *to)
{
	struct sock *sk = u->sock->sk;
	__be16 sport = inet_sk(sk)->inet_sport;

	dst_hold(dst);
	if (to->family == AF_INET) {
		udp_tunnel_xmit_skb((struct rtable *)dst, sk, skb,
				    fl->u.ip4.saddr, fl->u.ip4.daddr, 0,
				    ip4_dst_hoplimit(dst), 0, sport, to->port,
				    false, false);
		return;
	}
#if IS_ENABLED(CONFIG_IPV6)
	{
		struct in6_addr saddr = fl->u.ip6.saddr, daddr = to->v6;

		/*
		 * No router fragments IPv6: a datagram over the path MTU
		 * is split here, by us, or lost. The IPv6 output path
		 * splits one only with ignore_df set (a UDP socket's own
		 * sends get it from ip6_append_data()), else it answers
		 * itself "packet too big" and drops it: a node whose
		 * datagram size is over the MTU sent nothing at all.
		 * The socket's IPV6_MTU_DISCOVER decides, as for its own.
		 */
		skb->ignore_df = ip6_sk_ignore_df(sk);
		/*
		 * No tunnel device: the device argument is the tunnel's,
		 * whose per-CPU tstats ip6tunnel_xmit() counts the datagram
		 * in. The output device has none (6.1 writes through
		 * whatever its union holds: past loopback's lstats, into
		 * the next per-CPU allocation).
		 */
		udp_tunnel6_xmit_skb(dst, sk, skb, NULL, &saddr, &daddr,
				     0, ip6_dst_hoplimit(dst), 0, sport,
				     to->port, false);
	}
#endif
}

/*
 * Send the message in @skb to @to from @u, in as many datagrams as it
 * takes, batched. Consumes @skb on success; on failure the caller still
 * owns it: -EHOSTUNREACH (no route to @to), -ENOBUFS.
 */
int ockam_udp_xmit(struct ockam_udp *u, const struct ockam_udp_addr *to,
		   struct sk_buff *skb)
{
	u32 message = (u32)atomic_inc_return(&u->next_message);
	u32 len = skb->len, offset, sent;
	struct ockam_udp_batcher b;
	struct sk_buff *out;
	struct dst_entry *dst;
	struct flowi fl;
	bool whole = false;
	int err = 0;

	local_bh_disable();
	dst = ockam_udp_route(u, to, &fl);
	if (IS_ERR(dst)) {
		err = -EHOSTUNREACH;
		goto out;
	}
	ockam_udp_batcher_init(&b, skb, message,
			       READ_ONCE(u->node->udp_datagram));
	whole = ockam_udp_batcher_whole(&b);
	if (whole)
		ockam_udp_send(u, skb, dst, &fl, to);
	for (offset = whole ? len : 0; offset < len; offset += sent) {
		out = ockam_udp_batcher_next(&b, offset, &sent);
		if (!out) {
			err = -ENOBUFS;
			break;
		}
		ockam_udp_send(u, out, dst, &fl, to);
	}
	ockam_udp_batcher_done(&b);
	dst_release(dst);
out:
	local_bh_enable();
	if (err)
		return err;
	ockam_stats_inc(u->stats, OCKAM_STAT_TX_MESSAGES);
	ockam_stats_add(u->stats, OCKAM_STAT_TX_BYTES, len);
	ockam_stats_inc(u->node->stats, OCKAM_STAT_TX_MESSAGES);
	ockam_stats_add(u->node->stats, OCKAM_STAT_TX_BYTES, len);
	if (!whole)
		consume_skb(skb);
	return 0;
}

/* ---- receive ---- */

static void ockam_udp_count(struct ockam_udp *u, enum ockam_stat why)
{
	ockam_stats_inc(u->stats, why);
	ockam_stats_inc(u->node->stats, why);
}

/* A whole message from @from (its peer, if remembered) goes on. */
static void ockam_udp_deliver(struct ockam_udp *u, struct sk_buff *skb,
			      const struct ockam_udp_addr *from,
			      const struct ockam_udp_peer *peer)
{
	u8 buf[OCKAM_UDP_PUSH_MAX];
	const u8 *push = buf;
	u32 push_len, len = skb->len;

	/* A peer's push stays until a grace period after it is forgotten. */
	if (peer) {
		push = peer->push;
		push_len = peer->push_len;
	} else {
		push_len = ockam_udp_addr_encode(from, buf);
	}
	ockam_stats_inc(u->stats, OCKAM_STAT_RX_MESSAGES);
	ockam_stats_add(u->stats, OCKAM_STAT_RX_BYTES, len);
	ockam_stats_inc(u->node->stats, OCKAM_STAT_RX_MESSAGES);
	ockam_stats_add(u->node->stats, OCKAM_STAT_RX_BYTES, len);
	if (ockam_route_arrived(u->node, skb, push, push_len) == -EBADMSG)
		ockam_stats_inc(u->stats, OCKAM_STAT_DROP_BAD_FRAME);
}

/* Decode the header of the @len-byte datagram at @offset of @skb. */
static int ockam_udp_header_at(struct ockam_udp *u, const struct sk_buff *skb,
			       u32 offset, u32 len,
			       struct ockam_udp_header *hdr)
{
	u8 buf[OCKAM_UDP_HEADER_LEN];

	if (len < sizeof(buf) || skb_copy_bits(skb, offset, buf, sizeof(buf)))
		return -EBADMSG;
	return ockam_udp_header_decode(buf, len,
				       READ_ONCE(u->node->max_message), hdr);
}

static void ockam_udp_count_bad(struct ockam_udp *u, int err)
{
	ockam_udp_count(u, err == -EMSGSIZE ? OCKAM_STAT_DROP_TOO_BIG :
					      OCKAM_STAT_DROP_BAD_FRAME);
}

/*
 * A message's fragment from @from: the whole message goes on, or the
 * fragment to reassembly. Consumes @skb, the fragment's bytes only.
 */
static void ockam_udp_fragment(struct ockam_udp *u, struct sk_buff *skb,
			       const struct ockam_udp_header *hdr,
			       const struct ockam_udp_addr *from,
			       struct ockam_udp_peer *peer)
{
	/* Any checksum covered headers that are gone. */
	skb->ip_summed = CHECKSUM_NONE;
	if (hdr->fragment_len != hdr->length) {
		if (!peer) {
			ockam_udp_count(u, OCKAM_STAT_DROP_REASM_MEMORY);
			kfree_skb(skb);
			return;
		}
		skb = ockam_udp_reasm_add(u, peer, skb, hdr);
		if (!skb)
			return;
	}
	ockam_udp_deliver(u, skb, from, peer);
}

/* One datagram from @from, our header first. Consumes @skb. */
static void ockam_udp_datagram_rcv(struct ockam_udp *u, struct sk_buff *skb,
				   const struct ockam_udp_addr *from)
{
	struct ockam_udp_header hdr;
	struct ockam_udp_peer *peer;
	int err;

	err = ockam_udp_header_at(u, skb, 0, skb->len, &hdr);
	if (err) {
		ockam_udp_count_bad(u, err);
		goto drop;
	}
	peer = ockam_udp_peer_get(u, from);
	if (ockam_msg_trim_head(skb, OCKAM_UDP_HEADER_LEN)) {
		ockam_udp_count(u, OCKAM_STAT_DROP_BUFFER_FULL);
		goto drop;
	}
	ockam_udp_fragment(u, skb, &hdr, from, peer);
	return;

drop:
	kfree_skb(skb);
}

/* Bytes only in page fragments that can be referred to. */
static bool ockam_udp_pages_only(struct sk_buff *skb)
{
	return !skb_headlen(skb) && ockam_udp_pages_referable(skb);
}

/*
 * Whether all of @skb's bytes are in page fragments that can be referred
 * to: its own, then those of the skbs of its frag_list (as our sender
 * chains them when a batch's datagrams need more than one skb's slots).
 */
static bool ockam_udp_batch_in_pages(struct sk_buff *skb)
{
	struct sk_buff *part;

	if (!ockam_udp_pages_only(skb))
		return false;
	skb_walk_frags(skb, part) {
		if (!ockam_udp_pages_only(part) || skb_has_frag_list(part))
			return false;
	}
	return true;
}

/*
 * Whether the batch in @skb (datagrams of @step bytes, the last maybe
 * fewer) is consecutive fragments of one message and nothing else, all
 * in page fragments that can be referred to: then @run is the first
 * one's header (its message, length and offset).
 */
static bool ockam_udp_batch_is_run(struct ockam_udp *u, struct sk_buff *skb,
				   u32 step, struct ockam_udp_header *run)
{
	struct ockam_udp_header hdr;
	u32 offset, next = 0;

	if (!ockam_udp_batch_in_pages(skb))
		return false;
	for (offset = 0; offset < skb->len; offset += step) {
		if (ockam_udp_header_at(u, skb, offset,
					min(step, skb->len - offset), &hdr))
			return false;
		if (!offset)
			*run = hdr;
		else if (hdr.message != run->message ||
			 hdr.length != run->length || hdr.offset != next)
			return false;
		next = hdr.offset + hdr.fragment_len;
	}
	return true;
}

/* Where a run's bytes are read from its batch's page fragments. */
struct ockam_udp_cursor {
	const struct sk_buff *batch;
	/*
	 * The skb whose fragments are being read: the batch, then each of
	 * its frag_list. The fragment of it the next byte is in, and the
	 * batch offset that fragment starts at.
	 */
	const struct sk_buff *skb;
	u32 frag;
	u32 frag_start;
	/*
	 * The last allocation (a compound page's head) a piece refers to,
	 * charged to it once: a sender's page fragments may be carved out
	 * of one 32 KiB compound page, each a reference to a subpage.
	 */
	const struct page *charged;
};

/*
 * The fragment the next byte is in: past the last of an skb's own, the
 * first of the next skb of the chain. NULL past the end of the batch.
 */
static const skb_frag_t *ockam_udp_cursor_frag(struct ockam_udp_cursor *c)
{
	while (c->skb && c->frag == skb_shinfo(c->skb)->nr_frags) {
		c->skb = c->skb == c->batch ? skb_shinfo(c->batch)->frag_list :
					      c->skb->next;
		c->frag = 0;
	}
	return c->skb ? &skb_shinfo(c->skb)->frags[c->frag] : NULL;
}

/*
 * Make @piece refer to up to @len bytes of the batch from @offset (on or
 * after the cursor), as far as its fragment slots go; nothing is copied.
 * Returns the bytes added.
 */
static u32 ockam_udp_piece_add(struct sk_buff *piece,
			       struct ockam_udp_cursor *c, u32 offset, u32 len)
{
	struct skb_shared_info *to = skb_shinfo(piece);
	u32 added = 0, size, start, n, page_off;
	struct page *page, *head;
	const skb_frag_t *f;

	while (added < len && (f = ockam_udp_cursor_frag(c))) {
		size = skb_frag_size(f);
		if (offset + added >= c->frag_start + size)
			goto next;
		start = offset + added - c->frag_start;
		n = min(size - start, len - added);
		page = skb_frag_page(f);
		page_off = skb_frag_off(f) + start;
		if (skb_can_coalesce(piece, to->nr_frags, page, page_off)) {
			skb_frag_size_add(&to->frags[to->nr_frags - 1], n);
		} else {
			if (to->nr_frags == MAX_SKB_FRAGS)
				break;
			get_page(page);
			skb_fill_page_desc(piece, to->nr_frags, page, page_off,
					   n);
			/* What the reference keeps from being freed. */
			head = compound_head(page);
			if (head != c->charged)
				piece->truesize += page_size(head);
			c->charged = head;
		}
		piece->len += n;
		piece->data_len += n;
		added += n;
		/* The rest of this fragment is the next datagram's. */
		if (start + n < size)
			break;
next:
		c->frag++;
		c->frag_start += size;
	}
	return added;
}

/*
 * A piece of a run, @hdr->offset its place in the message, to reassembly;
 * the whole message goes on if the piece finished it.
 */
static void ockam_udp_piece_done(struct ockam_udp *u, struct sk_buff *piece,
				 struct ockam_udp_header *hdr,
				 const struct ockam_udp_addr *from,
				 struct ockam_udp_peer *peer)
{
	struct ockam_udp_header at = *hdr;

	at.fragment_len = piece->len;
	hdr->offset += piece->len;
	/* All of it, from the datagrams of one batch. */
	if (at.fragment_len == at.length)
		ockam_udp_count(u, OCKAM_STAT_UDP_REASSEMBLED);
	ockam_udp_fragment(u, piece, &at, from, peer);
}

/*
 * The run of fragments in @batch, @step bytes a datagram, goes to
 * reassembly in a few pieces that refer to the batch's pages without the
 * datagrams' headers: as many pieces as it takes fragment slots, not one
 * per datagram. Consumes @batch.
 */
static void ockam_udp_run_rcv(struct ockam_udp *u, struct sk_buff *batch,
			      u32 step, const struct ockam_udp_header *run,
			      const struct ockam_udp_addr *from,
			      struct ockam_udp_peer *peer)
{
	struct ockam_udp_cursor c = { .batch = batch, .skb = batch };
	struct ockam_udp_header hdr = *run;
	struct sk_buff *piece = NULL;
	u32 offset, pos, end, n;

	for (offset = 0; offset < batch->len; offset += step) {
		end = min(offset + step, batch->len);
		for (pos = offset + OCKAM_UDP_HEADER_LEN; pos < end; pos += n) {
			if (!piece) {
				piece = alloc_skb(0, GFP_ATOMIC);
				if (!piece)
					goto fail;
				c.charged = NULL;
			}
			n = ockam_udp_piece_add(piece, &c, pos, end - pos);
			if (pos + n == end)
				continue;
			/* Its fragment slots are used: on to the next. */
			if (!piece->len)
				goto fail;
			ockam_udp_piece_done(u, piece, &hdr, from, peer);
			piece = NULL;
		}
	}
	if (piece)
		ockam_udp_piece_done(u, piece, &hdr, from, peer);
	consume_skb(batch);
	return;

fail:
	/* What reassembly holds of the message times out. */
	kfree_skb(piece);
	ockam_udp_count(u, OCKAM_STAT_DROP_BUFFER_FULL);
	kfree_skb(batch);
}

/* A batch that is not one run: each of its datagrams on its own, copied. */
static void ockam_udp_batch_split(struct ockam_udp *u, struct sk_buff *batch,
				  u32 step, const struct ockam_udp_addr *from)
{
	struct sk_buff *skb;
	u32 offset, len;

	for (offset = 0; offset < batch->len; offset += step) {
		len = min(step, batch->len - offset);
		skb = alloc_skb(len, GFP_ATOMIC);
		if (!skb) {
			ockam_udp_count(u, OCKAM_STAT_DROP_BUFFER_FULL);
			continue;
		}
		if (skb_copy_bits(batch, offset, skb_put(skb, len), len)) {
			kfree_skb(skb);
			ockam_udp_count(u, OCKAM_STAT_DROP_BAD_FRAME);
			continue;
		}
		ockam_udp_datagram_rcv(u, skb, from);
	}
	consume_skb(batch);
}

/* Batches as a UDP_SEGMENT send or GRO makes them, and no other kind. */
static bool ockam_udp_batch_ok(const struct sk_buff *skb)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);

	return shinfo->gso_type & SKB_GSO_UDP_L4 &&
	       !(shinfo->gso_type & ~(SKB_GSO_UDP_L4 | SKB_GSO_DODGY)) &&
	       skb->len <= shinfo->gso_size * UDP_MAX_SEGMENTS;
}

/*
 * A datagram or a batch of datagrams from the socket's queue, with
 * skb->data past the UDP header. Consumes @skb.
 */
static void ockam_udp_rcv(struct ockam_udp *u, struct sk_buff *skb)
{
	struct ockam_udp_header run;
	struct ockam_udp_addr from;
	u32 step;

	/* The queue kept its own state where the device pointer was. */
	skb->dev = NULL;
	if (udp_lib_checksum_complete(skb)) {
		ockam_udp_count(u, OCKAM_STAT_DROP_BAD_FRAME);
		kfree_skb(skb);
		return;
	}
	ockam_udp_source(skb, &from);
	step = skb_shinfo(skb)->gso_size;
	if (!skb_is_gso(skb) || skb->len <= step) {
		skb_gso_reset(skb);
		ockam_udp_datagram_rcv(u, skb, &from);
		return;
	}
	if (!ockam_udp_batch_ok(skb)) {
		ockam_udp_count(u, OCKAM_STAT_DROP_BAD_FRAME);
		kfree_skb(skb);
		return;
	}
	if (!ockam_udp_batch_is_run(u, skb, step, &run)) {
		ockam_udp_batch_split(u, skb, step, &from);
		return;
	}
	ockam_udp_count(u, OCKAM_STAT_UDP_BATCHES);
	ockam_udp_run_rcv(u, skb, step, &run, &from,
			  ockam_udp_peer_get(u, &from));
}

/* Busy polling is for a reader in process context, not for us. */
static void ockam_udp_no_busy_poll(struct sock *sk)
{
#ifdef CONFIG_NET_RX_BUSY_POLL
	if (unlikely(READ_ONCE(sk->sk_ll_usec)))
		WRITE_ONCE(sk->sk_ll_usec, 0);
#endif
}

/*
 * The socket's data_ready: called by the UDP receive path, in softirq
 * under RCU, right after it queued a datagram or a batch. Everything
 * queued is ours, taken at once: nobody else reads the socket.
 */
static void ockam_udp_data_ready(struct sock *sk)
{
	struct ockam_udp *u = rcu_dereference_sk_user_data(sk);
	struct sk_buff *skb;
	int err;

	if (unlikely(!u))
		return;
	local_bh_disable();
	for (;;) {
		/*
		 * skb_recv_udp() busy polls when it finds the queue empty
		 * and the socket asks for it, which must not happen in
		 * softirq; the owner of the file may set SO_BUSY_POLL.
		 */
		ockam_udp_no_busy_poll(sk);
		skb = skb_recv_udp(sk, MSG_DONTWAIT, &err);
		if (skb)
			ockam_udp_rcv(u, skb);
		else if (err == -EAGAIN)
			break;
		/* Else a socket error, now cleared; the queue is still there. */
	}
	local_bh_enable();
}

/* ---- attach and close ---- */

static void ockam_udp_close_work(struct work_struct *work);

static void ockam_udp_free_peer(void *ptr, void *arg)
{
	kfree(ptr);
}

static void ockam_udp_free_work(struct work_struct *work)
{
	struct ockam_udp *u = container_of(to_rcu_work(work), struct ockam_udp,
					   free_work);
	struct rhashtable_iter iter;
	struct ockam_udp_peer *peer;

	/* No receiver can reach the bind now: nothing re-arms the sweep. */
	cancel_delayed_work_sync(&u->sweep);
	rhashtable_walk_enter(&u->peers, &iter);
	rhashtable_walk_start(&iter);
	while ((peer = rhashtable_walk_next(&iter))) {
		if (IS_ERR(peer))
			continue;
		spin_lock_bh(&u->lock);
		ockam_udp_reasm_forget(u, peer, OCKAM_STAT_DROP_INCOMPLETE);
		spin_unlock_bh(&u->lock);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	WARN_ON_ONCE(!list_empty(&u->partials) || u->reasm_bytes);
	rhashtable_free_and_destroy(&u->peers, ockam_udp_free_peer, NULL);
	if (u->sock)
		sockfd_put(u->sock);
	free_percpu(u->stats);
	kfree(u);
}

static void ockam_udp_release(struct kref *refs)
{
	struct ockam_udp *u = container_of(refs, struct ockam_udp, refs);

	/* Receivers and senders may still hold it under RCU. */
	queue_rcu_work(ockam_wq, &u->free_work);
}

void ockam_udp_put(struct ockam_udp *u)
{
	kref_put(&u->refs, ockam_udp_release);
}

static void ockam_udp_close(struct ockam_udp *u)
{
	if (test_and_set_bit(OCKAM_UDP_CLOSING, &u->state))
		return;
	queue_work(ockam_wq, &u->close_work);
}

static struct ockam_udp *ockam_udp_alloc(struct ockam_node *node,
					 struct socket *sock,
					 const struct ockam_udp_attach *req,
					 struct netlink_ext_ack *extack,
					 int *err)
{
	struct sockaddr_storage ss;
	struct ockam_udp *u;

	*err = -ENOMEM;
	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return NULL;
	u->stats = ockam_stats_alloc(OCKAM_STATS_ALL);
	if (!u->stats)
		goto fail;
	*err = rhashtable_init(&u->peers, &ockam_udp_peer_params);
	if (*err)
		goto fail;
	u->node = node;
	u->sock = sock;
	u->family = sock->sk->sk_family;
	u->ep.kind = OCKAM_KIND_UDP;
	u->owner_portid = req->owner_portid;
	atomic_set(&u->next_message, get_random_u32());
	spin_lock_init(&u->lock);
	INIT_LIST_HEAD(&u->partials);
	INIT_DELAYED_WORK(&u->sweep, ockam_udp_sweep);
	INIT_WORK(&u->close_work, ockam_udp_close_work);
	INIT_RCU_WORK(&u->free_work, ockam_udp_free_work);
	kref_init(&u->refs);

	if (kernel_getsockname(sock, (struct sockaddr *)&ss) < 0)
		strscpy(u->local, "?", sizeof(u->local));
	else
		snprintf(u->local, sizeof(u->local), "%pISpc", &ss);
	if (req->address &&
	    ockam_endpoint_set_name(&u->ep, (const u8 *)req->address,
				    strlen(req->address))) {
		NL_SET_ERR_MSG(extack, "invalid local address");
		*err = -EINVAL;
		rhashtable_destroy(&u->peers);
		goto fail;
	}
	return u;

fail:
	free_percpu(u->stats);
	kfree(u);
	return NULL;
}

/* A bind takes over only a bound socket that nobody else encapsulates. */
static int ockam_udp_claim(struct ockam_udp *u, struct sock *sk,
			   struct netlink_ext_ack *extack)
{
	sock_owned_by_me(sk);
	if (!inet_sk(sk)->inet_num) {
		NL_SET_ERR_MSG(extack, "socket is not bound");
		return -EDESTADDRREQ;
	}
	if (sk->sk_family == AF_INET6 && !ipv6_only_sock(sk)) {
		NL_SET_ERR_MSG(extack, "an IPv6 socket must be IPV6_V6ONLY");
		return -EINVAL;
	}
	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data || READ_ONCE(udp_sk(sk)->encap_type)) {
		write_unlock_bh(&sk->sk_callback_lock);
		NL_SET_ERR_MSG(extack, "socket is in use by another kernel user");
		return -EBUSY;
	}
	rcu_assign_sk_user_data(sk, u);
	u->saved_data_ready = sk->sk_data_ready;
	u->saved_accept_l4 = udp_test_bit(ACCEPT_L4, sk);
	write_unlock_bh(&sk->sk_callback_lock);
	return 0;
}

/*
 * From now on the socket's queue is ours: batches stay whole in it, and
 * whatever is queued comes to ockam_udp_data_ready(). Socket locked.
 */
static void ockam_udp_start_reading(struct ockam_udp *u, struct sock *sk)
{
	sock_owned_by_me(sk);
	write_lock_bh(&sk->sk_callback_lock);
	udp_set_bit(ACCEPT_L4, sk);
	WRITE_ONCE(sk->sk_data_ready, ockam_udp_data_ready);
	write_unlock_bh(&sk->sk_callback_lock);
	/* What came before the bind did is read now, not at the next. */
	rcu_read_lock();
	ockam_udp_data_ready(sk);
	rcu_read_unlock();
}

/*
 * Back to a plain UDP socket; socket locked. What is left in its queue,
 * if we read it, came while it was ours: batches a plain reader could not
 * tell apart from datagrams.
 */
static void ockam_udp_unclaim(struct ockam_udp *u, struct sock *sk)
{
	struct sk_buff *skb;
	bool reading;
	int err;

	sock_owned_by_me(sk);
	write_lock_bh(&sk->sk_callback_lock);
	reading = sk->sk_data_ready == ockam_udp_data_ready;
	WRITE_ONCE(sk->sk_data_ready, u->saved_data_ready);
	if (!u->saved_accept_l4)
		udp_clear_bit(ACCEPT_L4, sk);
	rcu_assign_sk_user_data(sk, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	while (reading &&
	       ((skb = skb_recv_udp(sk, MSG_DONTWAIT, &err)) || err != -EAGAIN))
		kfree_skb(skb);
}

static int ockam_udp_publish(struct ockam_udp *u, bool named)
{
	struct ockam_node *node = u->node;
	int err;

	mutex_lock(&node->lock);
	if (named)
		err = ockam_node_insert(node, &u->ep);
	else
		err = ockam_node_insert_random(node, &u->ep);
	if (!err) {
		list_add_tail_rcu(&u->bind_node, &node->udp_binds);
		u->published = true;
	}
	mutex_unlock(&node->lock);
	return err;
}

static void ockam_udp_unpublish(struct ockam_udp *u)
{
	struct ockam_node *node = u->node;

	mutex_lock(&node->lock);
	if (u->published) {
		list_del_rcu(&u->bind_node);
		ockam_node_remove(node, &u->ep);
		u->published = false;
	}
	mutex_unlock(&node->lock);
}

/* Everything with the socket locked, as L2TP registers a tunnel. */
static int ockam_udp_take_over(struct ockam_udp *u, bool named,
			       struct netlink_ext_ack *extack)
{
	struct sock *sk = u->sock->sk;
	int err;

	lock_sock(sk);
	err = ockam_udp_claim(u, sk, extack);
	if (err)
		goto out;
	err = ockam_udp_publish(u, named);
	if (err) {
		if (err == -EADDRINUSE)
			NL_SET_ERR_MSG(extack, "local address already in use");
		else
			NL_SET_ERR_MSG(extack, "cannot add the UDP bind");
		ockam_udp_unclaim(u, sk);
		goto out;
	}
	ockam_udp_start_reading(u, sk);
out:
	release_sock(sk);
	return err;
}

/*
 * On success *@out holds a reference for the caller, who must drop it with
 * ockam_udp_put(): the bind may close as soon as we return.
 */
int ockam_udp_attach(struct ockam_node *node,
		     const struct ockam_udp_attach *req,
		     struct netlink_ext_ack *extack, struct ockam_udp **out)
{
	struct socket *sock;
	struct ockam_udp *u;
	int err;

	sock = ockam_sock_lookup(req->fd, node->net, IPPROTO_UDP, extack);
	if (IS_ERR(sock))
		return PTR_ERR(sock);
	u = ockam_udp_alloc(node, sock, req, extack, &err);
	if (!u)
		goto err_put;
	/* The caller's, before a detach can drop the bind's own one. */
	kref_get(&u->refs);
	err = ockam_udp_take_over(u, !!req->address, extack);
	if (err) {
		rhashtable_destroy(&u->peers);
		free_percpu(u->stats);
		kfree(u);
		goto err_put;
	}
	*out = u;
	return 0;

err_put:
	sockfd_put(sock);
	return err;
}

static void ockam_udp_close_work(struct work_struct *work)
{
	struct ockam_udp *u = container_of(work, struct ockam_udp, close_work);
	struct sock *sk = u->sock->sk;

	ockam_udp_unpublish(u);
	lock_sock(sk);
	ockam_udp_unclaim(u, sk);
	release_sock(sk);
	ockam_udp_put(u);
}

int ockam_udp_detach(struct ockam_node *node, const u8 *name, u32 len)
{
	struct ockam_endpoint *ep;
	struct ockam_udp *u = NULL;

	mutex_lock(&node->lock);
	rcu_read_lock();
	ep = ockam_node_lookup(node, name, len);
	rcu_read_unlock();
	if (ep && ep->kind == OCKAM_KIND_UDP) {
		u = ockam_udp_from_ep(ep);
		kref_get(&u->refs);
		ockam_udp_close(u);
	}
	mutex_unlock(&node->lock);
	if (!u)
		return -ENOENT;
	flush_work(&u->close_work);
	ockam_udp_put(u);
	return 0;
}

void ockam_udp_owner_gone(struct ockam_node *node, u32 portid)
{
	struct ockam_endpoint *ep;
	struct ockam_udp *u;

	mutex_lock(&node->lock);
	list_for_each_entry(ep, ockam_node_list(node, OCKAM_KIND_UDP), list) {
		u = ockam_udp_from_ep(ep);
		if (u->owner_portid == portid)
			ockam_udp_close(u);
	}
	mutex_unlock(&node->lock);
}

/* Close every bind and wait for each to be gone from the node. */
void ockam_udp_node_exit(struct ockam_node *node)
{
	struct ockam_endpoint *ep;
	struct ockam_udp *u;
	bool closed = false;

	for (;;) {
		u = NULL;
		mutex_lock(&node->lock);
		ep = list_first_entry_or_null(ockam_node_list(node,
							      OCKAM_KIND_UDP),
					      struct ockam_endpoint, list);
		if (ep) {
			u = ockam_udp_from_ep(ep);
			kref_get(&u->refs);
			ockam_udp_close(u);
		}
		mutex_unlock(&node->lock);
		if (!u)
			break;
		flush_work(&u->close_work);
		ockam_udp_put(u);
		closed = true;
	}
	/*
	 * A bind is still here only when the module goes (its socket holds
	 * the namespace otherwise). Its free work, queued after a grace
	 * period, gives up its unfinished messages on the node's counters
	 * and reassembly total: it must be on the work queue before
	 * ockam_netns_net_exit() flushes that and frees the node, and
	 * the core's synchronize_rcu() in between does not wait for
	 * callbacks queued before it to run: rcu_barrier() does.
	 */
	if (closed)
		rcu_barrier();
}
