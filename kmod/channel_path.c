// SPDX-License-Identifier: GPL-2.0
/*
 * A secure channel's route to its peer's decryptor, and how it changes
 * while the channel lives: the daemon gives a new one when the old one
 * broke (OCKAM_CMD_CHANNEL_SET), and a responder follows its initiator to
 * the return route of the newest authenticated frame, as Ockam's
 * responder does (route mobility). A frame that does not verify, or that
 * is not the newest, never moves it: only the peer, by sending, decides
 * where its answers go.
 */
#include <linux/slab.h>

#include "channel.h"
#include "tcp.h"

struct ockam_channel_path *ockam_channel_path_alloc(const u8 *addrs, u32 len,
						    u32 hops, gfp_t gfp)
{
	struct ockam_channel_path *path;

	path = kmalloc(struct_size(path, addrs, len), gfp);
	if (!path)
		return NULL;
	path->len = len;
	path->hops = hops;
	memcpy(path->addrs, addrs, len);
	return path;
}

/* The channel is being freed: nobody reads the path any more. */
void ockam_channel_path_free(struct ockam_channel *ch)
{
	kfree(rcu_dereference_protected(ch->path, true));
}

/* Under the receive lock: @path replaces the channel's. */
void ockam_channel_path_swap(struct ockam_channel *ch,
			     struct ockam_channel_path *path)
{
	struct ockam_channel_path *old;

	lockdep_assert_held(&ch->rx.lock);
	old = rcu_dereference_protected(ch->path,
					lockdep_is_held(&ch->rx.lock));
	rcu_assign_pointer(ch->path, path);
	kfree_rcu(old, rcu);
}

/* A local name no node can have would make a channel that never works. */
static bool ockam_channel_route_names_valid(struct ockam_route_view *rt)
{
	struct ockam_route_view rest = *rt;
	struct ockam_addr_view addr;

	while (ockam_route_first(&rest, &addr) > 0) {
		if (addr.type == OCKAM_ADDR_LOCAL &&
		    !ockam_local_name_valid(addr.value, addr.len))
			return false;
		ockam_route_skip(&rest, &addr);
	}
	return true;
}

/* A route a channel can take: it parses, is not empty, and can be used. */
int ockam_channel_route_parse(const u8 *route, u32 len,
			      struct ockam_route_view *rt,
			      struct netlink_ext_ack *extack)
{
	int err = ockam_route_decode(route, len, rt);

	if (err != len || !rt->hops) {
		NL_SET_ERR_MSG(extack, "route does not parse or is empty");
		return -EINVAL;
	}
	if (!ockam_channel_route_names_valid(rt)) {
		NL_SET_ERR_MSG(extack, "route has an invalid local address");
		return -EINVAL;
	}
	return 0;
}

/* The channel whose encryptor is @name, with a reference, or NULL. */
struct ockam_channel *ockam_channel_find(struct ockam_node *node,
					 const u8 *name, u32 len)
{
	struct ockam_channel *ch = NULL;
	struct ockam_endpoint *ep;

	rcu_read_lock();
	ep = ockam_node_lookup(node, name, len);
	if (ep && ep->kind == OCKAM_KIND_ENCRYPTOR) {
		ch = ockam_channel_from_encryptor(ep);
		if (!refcount_inc_not_zero(&ch->refs))
			ch = NULL;
	}
	rcu_read_unlock();
	return ch;
}

/*
 * OCKAM_CMD_CHANNEL_SET: the daemon found a new way to the peer. The
 * keys, counters and addresses stay; a keepalive asks the peer to answer
 * along the new route, which is how a responder learns it too.
 */
int ockam_channel_set_route(struct ockam_node *node, const u8 *name,
			    u32 name_len, const u8 *route, u32 route_len,
			    struct netlink_ext_ack *extack)
{
	struct ockam_channel_path *path;
	struct ockam_route_view rt;
	struct ockam_channel *ch;
	int err;

	err = ockam_channel_route_parse(route, route_len, &rt, extack);
	if (err)
		return err;
	ch = ockam_channel_find(node, name, name_len);
	if (!ch) {
		NL_SET_ERR_MSG(extack, "no channel has that encryptor address");
		return -ENOENT;
	}
	path = ockam_channel_path_alloc(rt.addrs, rt.len, rt.hops,
					GFP_KERNEL_ACCOUNT);
	if (!path) {
		ockam_channel_put(ch);
		return -ENOMEM;
	}
	spin_lock_bh(&ch->rx.lock);
	ockam_channel_path_swap(ch, path);
	spin_unlock_bh(&ch->rx.lock);

	ockam_channel_change(ch, OCKAM_CHANNEL_RECOVERING,
			     OCKAM_STATE_R_ROUTE_SET);
	ockam_channel_keepalive(ch, true);
	ockam_channel_put(ch);
	return 0;
}

/* The last address of @path (the peer's decryptor), as a route of one. */
static void ockam_channel_path_last(const struct ockam_channel_path *path,
				    struct ockam_route_view *last)
{
	struct ockam_addr_view addr;

	last->addrs = path->addrs;
	last->len = path->len;
	last->hops = path->hops;
	while (last->hops > 1 && ockam_route_first(last, &addr) > 0)
		ockam_route_skip(last, &addr);
}

/* Is @path exactly @from's push, then @ret, then @tail (or nothing)? */
static bool ockam_channel_path_is(const struct ockam_channel_path *path,
				  const struct ockam_channel_from *from,
				  const struct ockam_route_view *ret,
				  const struct ockam_route_view *tail)
{
	u32 tail_len = tail ? tail->len : 0, tail_hops = tail ? tail->hops : 0;

	return path->len == from->push_len + ret->len + tail_len &&
	       path->hops == 1 + ret->hops + tail_hops &&
	       !memcmp(path->addrs, from->push, from->push_len) &&
	       !memcmp(path->addrs + from->push_len, ret->addrs, ret->len);
}

static struct ockam_channel_path *
ockam_channel_path_build(const struct ockam_channel_from *from,
			 const struct ockam_route_view *ret,
			 const struct ockam_route_view *tail)
{
	u32 tail_len = tail ? tail->len : 0;
	u32 len = from->push_len + ret->len + tail_len;
	struct ockam_channel_path *path;

	path = kmalloc(struct_size(path, addrs, len), GFP_ATOMIC);
	if (!path)
		return NULL;
	path->len = len;
	path->hops = 1 + ret->hops + (tail ? tail->hops : 0);
	memcpy(path->addrs, from->push, from->push_len);
	memcpy(path->addrs + from->push_len, ret->addrs, ret->len);
	if (tail)
		memcpy(path->addrs + from->push_len + ret->len, tail->addrs,
		       tail_len);
	return path;
}

/*
 * Does the frame's return route give a new way back (then with @tail
 * after it, unless @whole)? A keepalive that asks carries a whole route back
 * (the sender puts its decryptor's address there, and each transport on
 * the way pushes its own). Any other frame's return route stops short
 * of the decryptor, which the current route's last address supplies --
 * but only where the two have the same length: one hop per hop each way,
 * as kernels forward. A hop that answers for the rest of the route from
 * an address of its own (a userspace relay) makes a shorter way back
 * whose last address is that hop's; that route is kept as it is.
 */
static bool ockam_channel_way_back(const struct ockam_channel_path *old,
				   const struct ockam_channel_from *from,
				   const struct ockam_route_view *ret,
				   bool whole, struct ockam_route_view *tail)
{
	if (whole)
		return ret->hops && !ockam_channel_path_is(old, from, ret, NULL);
	ockam_channel_path_last(old, tail);
	return 1 + ret->hops + 1 == old->hops &&
	       !ockam_channel_path_is(old, from, ret, tail);
}

/*
 * The responder's step, for the newest authentic frame (crypt.c), @whole
 * when it is a keepalive that asks: answers go back the way it came (the
 * transport's push, then its return route) to the same decryptor. Under
 * RCU, in any context; a frame that cannot be followed (no memory, too
 * many hops, no way back) leaves the route as it was.
 *
 * Only a frame that came straight off a transport (or out of an outer
 * channel) is followed, so the new route starts with that transport:
 * this node's next step is a connection it already has, and whatever the
 * rest of the return route says -- a relay on the way may have written
 * it -- is for other nodes to route. No peer can make this node dial.
 */
void ockam_channel_follow(struct ockam_channel *ch,
			  const struct ockam_channel_from *from,
			  const struct ockam_route_view *ret, bool whole)
{
	struct ockam_channel_path *old, *path;
	struct ockam_route_view tail;

	if (ch->role != OCKAM_ROLE_RESPONDER || !from->push ||
	    1 + ret->hops + 1 > OCKAM_ROUTE_HOPS_MAX)
		return;
	/* Most frames come the way the last one did: no lock for them. */
	if (!ockam_channel_way_back(rcu_dereference(ch->path), from, ret,
				    whole, &tail))
		return;
	spin_lock_bh(&ch->rx.lock);
	old = rcu_dereference_protected(ch->path,
					lockdep_is_held(&ch->rx.lock));
	if (ockam_channel_way_back(old, from, ret, whole, &tail)) {
		path = ockam_channel_path_build(from, ret,
						whole ? NULL : &tail);
		if (path) {
			ockam_channel_path_swap(ch, path);
			ch->live.route_moves++;
		}
	}
	spin_unlock_bh(&ch->rx.lock);
}

/*
 * Does the channel's route start at transport @t, which went down: by
 * its local address, or by the TCP address of its peer? Even when
 * another connection to that peer is up already (a send dialed it at
 * once), the peer's answers came back over this one, and it must hear
 * that they now take another way. Under RCU.
 */
bool ockam_channel_route_starts_with(struct ockam_channel *ch,
				     const struct ockam_tcp *t)
{
	const struct ockam_channel_path *path = rcu_dereference(ch->path);
	struct ockam_route_view rt = {
		.addrs = path->addrs, .len = path->len, .hops = path->hops,
	};
	struct ockam_addr_view first;

	if (ockam_route_first(&rt, &first) <= 0)
		return false;
	if (first.type == OCKAM_ADDR_LOCAL)
		return first.len == t->ep.name_len &&
		       !memcmp(first.value, t->ep.name, first.len);
	if (first.type == OCKAM_ADDR_TCP)
		return first.len == t->peer_len &&
		       !memcmp(first.value, t->peer, first.len);
	return false;
}
