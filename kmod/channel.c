// SPDX-License-Identifier: GPL-2.0
/*
 * Secure channel lifecycle: installing the keys ockamd hands over, closing
 * (by request, by the peer, with the owning netlink socket or the node),
 * and freeing with every key wiped.
 *
 * The node's table holds one reference, taken at install and dropped when
 * both addresses are unhashed; the data path runs under RCU and takes
 * none. Freeing waits a grace period for it.
 */
#include <linux/file.h>
#include <linux/slab.h>

#include "channel.h"
#include "netlink.h"
#include "ockam.h"
#include "route.h"
#include "socket.h"

static struct kmem_cache *ockam_channel_cache;

int ockam_channel_init(void)
{
	ockam_channel_cache = KMEM_CACHE(ockam_channel, SLAB_ACCOUNT);
	return ockam_channel_cache ? 0 : -ENOMEM;
}

/* After rcu_barrier(): no channel is left, nor waiting to be freed. */
void ockam_channel_uninit(void)
{
	kmem_cache_destroy(ockam_channel_cache);
}

/* Wipe and free what ockam_channel_alloc() made, in any state. */
static void ockam_channel_destroy(struct ockam_channel *ch)
{
	/* Each frame being opened or sealed holds a reference. */
	WARN_ON_ONCE(ch->rx.opening || ch->tx.sealing);
	ockam_channel_keys_wipe(ch);
	free_percpu(ch->stats);
	ockam_channel_path_free(ch);
	kmem_cache_free(ockam_channel_cache, ch);
}

static void ockam_channel_free(struct rcu_head *rcu)
{
	ockam_channel_destroy(container_of(rcu, struct ockam_channel, rcu));
}

void ockam_channel_put(struct ockam_channel *ch)
{
	if (refcount_dec_and_test(&ch->refs))
		call_rcu(&ch->rcu, ockam_channel_free);
}

/* Under the node's lock: take both addresses out; false if already out. */
static bool ockam_channel_unhash(struct ockam_channel *ch)
{
	lockdep_assert_held(&ch->node->lock);
	if (ch->dead)
		return false;
	ch->dead = true;
	ockam_node_remove(ch->node, &ch->encryptor);
	if (!ch->rekeying)
		ockam_node_remove(ch->node, &ch->decryptor);
	return true;
}

/*
 * Tell the peer when the channel was closed on purpose, and drop the
 * table's reference. A daemon that goes without closing its channels (it
 * crashed, or was killed) is an outage, not a goodbye: its peers keep
 * their ends and recover them once it is back, with a new handshake
 * behind the same address.
 */
static void ockam_channel_finish(struct ockam_channel *ch,
				 enum ockam_channel_close_reason reason)
{
	if (reason == OCKAM_CLOSE_DELETED)
		ockam_channel_send_close(ch);
	ockam_netlink_channel_closed(ch, reason);
	/* Sessions through it have nowhere to go. */
	ockam_liveness_portals(ch->node);
	ockam_channel_put(ch);
}

/*
 * Queued by the data path with a reference on the channel. It takes the
 * node's lock, so the node must outlive it: ockam_netns_net_exit() flushes
 * the workqueue before the node goes (a close message may arrive just
 * before the namespace's last socket closes, or the module unloads).
 */
static void ockam_channel_close_work(struct work_struct *work)
{
	struct ockam_channel *ch = container_of(work, struct ockam_channel,
						close_work);
	bool unhashed;

	mutex_lock(&ch->node->lock);
	unhashed = ockam_channel_unhash(ch);
	mutex_unlock(&ch->node->lock);
	if (unhashed)
		ockam_channel_finish(ch, OCKAM_CLOSE_PEER);
	ockam_channel_put(ch);
}

/* The decryptor opened a close message: tear down from process context. */
void ockam_channel_peer_closed(struct ockam_channel *ch)
{
	if (!refcount_inc_not_zero(&ch->refs))
		return;
	if (!queue_work(ockam_wq, &ch->close_work))
		ockam_channel_put(ch);
}

/* An identifier as the kernel keeps it: "I" and 64 hex digits, in binary. */
static int ockam_channel_parse_peer(u8 out[OCKAM_IDENTIFIER_BYTES],
				    const char *id)
{
	if (strlen(id) != OCKAM_IDENTIFIER_LEN || id[0] != 'I')
		return -EINVAL;
	return hex2bin(out, id + 1, OCKAM_IDENTIFIER_BYTES);
}

static struct ockam_channel *
ockam_channel_alloc(struct ockam_node *node,
		    const struct ockam_channel_params *p,
		    struct netlink_ext_ack *extack)
{
	struct ockam_channel_path *path;
	struct ockam_route_view rt;
	struct ockam_channel *ch;
	int err;

	err = ockam_channel_route_parse(p->route, p->route_len, &rt, extack);
	if (err)
		return ERR_PTR(err);
	ch = kmem_cache_zalloc(ockam_channel_cache, GFP_KERNEL);
	if (!ch)
		return ERR_PTR(-ENOMEM);
	err = ockam_channel_parse_peer(ch->peer, p->identifier);
	if (err) {
		NL_SET_ERR_MSG(extack, "identifier is not \"I\" and 64 hex digits");
		goto err_free;
	}
	err = -ENOMEM;
	ch->stats = ockam_stats_alloc(OCKAM_STATS_CHANNEL);
	path = ockam_channel_path_alloc(rt.addrs, rt.len, rt.hops,
					GFP_KERNEL_ACCOUNT);
	RCU_INIT_POINTER(ch->path, path);
	if (!ch->stats || !path)
		goto err_free;

	ch->node = node;
	refcount_set(&ch->refs, 1);
	INIT_WORK(&ch->close_work, ockam_channel_close_work);
	ch->owner_portid = p->owner_portid;
	ch->role = p->role;
	ch->encryptor.kind = OCKAM_KIND_ENCRYPTOR;
	ch->decryptor.kind = OCKAM_KIND_DECRYPTOR;
	ockam_channel_keys_init(ch, p->tx_key, p->rx_key, 0);
	ockam_channel_live_init(ch);
	return ch;

err_free:
	ockam_channel_destroy(ch);
	return ERR_PTR(err);
}

/*
 * Under the node's lock, once the handshake socket's entry is gone: the
 * encryptor gets a fresh random name, the decryptor the socket's.
 */
static int ockam_channel_install(struct ockam_node *node, const u8 *name,
				 u32 len, void *arg)
{
	struct ockam_channel *ch = arg;
	int err;

	lockdep_assert_held(&node->lock);
	err = ockam_node_insert_random(node, &ch->encryptor);
	if (err)
		return err;
	memcpy(ch->decryptor.name, name, len);
	ch->decryptor.name_len = len;
	err = ockam_node_insert(node, &ch->decryptor);
	if (err) {
		ockam_node_remove(node, &ch->encryptor);
		return err;
	}
	/*
	 * The table's reference, taken before the node lock is dropped: from
	 * then on a close message can unhash the channel and drop this
	 * reference while the caller still holds its own.
	 */
	refcount_inc(&ch->refs);
	return 0;
}

/* Messages that reached the handshake socket after the handshake. */
static void ockam_channel_reroute(struct ockam_node *node,
				  struct sk_buff_head *queued)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(queued)))
		ockam_route_skb(node, skb, NULL, OCKAM_ROUTE_F_ARRIVED);
}

/*
 * Install a channel. Returns it with a reference for the caller, who
 * reports its addresses, or an ERR_PTR. The caller's reference is the one
 * the channel is born with: the channel is reachable, and may be closed
 * by its peer, as soon as its decryptor is in the table, which is before
 * ockam_socket_hand_over() returns.
 */
struct ockam_channel *ockam_channel_add(struct ockam_node *node,
					const struct ockam_channel_params *p,
					struct netlink_ext_ack *extack)
{
	struct sk_buff_head queued;
	struct ockam_channel *ch;
	struct socket *sock;
	int err;

	ch = ockam_channel_alloc(node, p, extack);
	if (IS_ERR(ch))
		return ch;
	sock = sockfd_lookup(p->fd, &err);
	if (!sock) {
		NL_SET_ERR_MSG(extack, "not a socket");
		goto err_free;
	}
	__skb_queue_head_init(&queued);
	err = ockam_socket_hand_over(sock, node, ockam_channel_install, ch,
				     &queued);
	sockfd_put(sock);
	if (err == -EADDRINUSE || err == -ENODEV || err == -ENOMEM) {
		NL_SET_ERR_MSG(extack, "cannot add the channel's addresses");
		goto err_free;
	}
	if (err) {
		NL_SET_ERR_MSG(extack, "not a bound AF_OCKAM socket of this node");
		goto err_free;
	}
	ockam_channel_reroute(node, &queued);
	ockam_liveness_kick(node);
	return ch;

err_free:
	ockam_channel_put(ch);
	return ERR_PTR(err);
}

/* What a re-key brings: the new decryptor's socket, keys and route. */
struct ockam_channel_rekey {
	struct ockam_channel *ch;
	const struct ockam_channel_params *p;
	struct ockam_channel_path *path;
	/* The decryptor's name before, to go back to. */
	u8 old_name[OCKAM_ADDR_VALUE_MAX];
	u8 old_len;
};

/*
 * Under the node's lock, once the new handshake socket's entry is gone:
 * the decryptor takes its name and the channel the new keys and route.
 */
static int ockam_channel_reinstall(struct ockam_node *node, const u8 *name,
				   u32 len, void *arg)
{
	struct ockam_channel_rekey *rk = arg;
	struct ockam_channel *ch = rk->ch;
	int err;

	lockdep_assert_held(&node->lock);
	if (ch->dead)
		return -ENOENT;
	rk->old_len = ch->decryptor.name_len;
	memcpy(rk->old_name, ch->decryptor.name, rk->old_len);
	memcpy(ch->decryptor.name, name, len);
	ch->decryptor.name_len = len;
	err = ockam_node_insert(node, &ch->decryptor);
	if (err) {
		memcpy(ch->decryptor.name, rk->old_name, rk->old_len);
		ch->decryptor.name_len = rk->old_len;
		return err;
	}
	ch->rekeying = false;
	ockam_channel_keys_reset(ch, rk->p->tx_key, rk->p->rx_key);
	spin_lock_bh(&ch->rx.lock);
	ockam_channel_path_swap(ch, rk->path);
	spin_unlock_bh(&ch->rx.lock);
	rk->path = NULL;
	return 0;
}

/*
 * Take the decryptor out of the table, and wait until no reader can be
 * on it: its name is about to change. -EBUSY while another re-key runs.
 */
static int ockam_channel_take_decryptor(struct ockam_channel *ch)
{
	struct ockam_node *node = ch->node;
	int err = 0;

	mutex_lock(&node->lock);
	if (ch->dead)
		err = -ENOENT;
	else if (ch->rekeying)
		err = -EBUSY;
	else
		ockam_node_remove(node, &ch->decryptor);
	ch->rekeying |= !err;
	mutex_unlock(&node->lock);
	if (!err)
		synchronize_rcu_expedited();
	return err;
}

/* A re-key failed before the new decryptor went in: put the old one back. */
static void ockam_channel_return_decryptor(struct ockam_channel *ch)
{
	struct ockam_node *node = ch->node;
	bool orphan = false;

	mutex_lock(&node->lock);
	if (ch->rekeying && !ch->dead) {
		orphan = ockam_node_insert(node, &ch->decryptor);
		ch->rekeying = false;
	}
	mutex_unlock(&node->lock);
	/* Without memory for the table: the channel cannot be heard. */
	if (orphan)
		ockam_channel_del(node, ch->encryptor.name,
				  ch->encryptor.name_len);
}

static int ockam_channel_rekey_check(struct ockam_channel *ch,
				     const struct ockam_channel_params *p,
				     struct netlink_ext_ack *extack)
{
	u8 peer[OCKAM_IDENTIFIER_BYTES];

	if (ockam_channel_parse_peer(peer, p->identifier)) {
		NL_SET_ERR_MSG(extack, "identifier is not \"I\" and 64 hex digits");
		return -EINVAL;
	}
	if (memcmp(peer, ch->peer, sizeof(peer))) {
		NL_SET_ERR_MSG(extack,
			       "another identity needs a channel of its own");
		return -EPERM;
	}
	return 0;
}

/*
 * OCKAM_CMD_CHANNEL_SET with keys: the peer lost the channel, and the
 * daemon ran a new handshake with the same identity. Its keys go behind
 * the same encryptor, so whoever holds the channel's address goes on
 * using it; the new handshake socket's address becomes the decryptor.
 */
int ockam_channel_rekey(struct ockam_node *node, const u8 *name, u32 len,
			const struct ockam_channel_params *p,
			struct netlink_ext_ack *extack)
{
	struct ockam_channel_rekey rk = { .p = p };
	struct sk_buff_head queued;
	struct ockam_route_view rt;
	struct socket *sock;
	int err;

	err = ockam_channel_route_parse(p->route, p->route_len, &rt, extack);
	if (err)
		return err;
	rk.ch = ockam_channel_find(node, name, len);
	if (!rk.ch) {
		NL_SET_ERR_MSG(extack, "no channel has that encryptor address");
		return -ENOENT;
	}
	err = ockam_channel_rekey_check(rk.ch, p, extack);
	if (err)
		goto out;
	err = -ENOMEM;
	rk.path = ockam_channel_path_alloc(rt.addrs, rt.len, rt.hops,
					   GFP_KERNEL_ACCOUNT);
	if (!rk.path)
		goto out;
	sock = sockfd_lookup(p->fd, &err);
	if (!sock) {
		NL_SET_ERR_MSG(extack, "not a socket");
		goto out;
	}
	err = ockam_channel_take_decryptor(rk.ch);
	if (!err) {
		__skb_queue_head_init(&queued);
		err = ockam_socket_hand_over(sock, node,
					     ockam_channel_reinstall, &rk,
					     &queued);
		if (err)
			ockam_channel_return_decryptor(rk.ch);
	}
	sockfd_put(sock);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot take over the handshake socket");
		goto out;
	}
	ockam_channel_reroute(node, &queued);
	ockam_channel_change(rk.ch, OCKAM_CHANNEL_UP, OCKAM_STATE_R_REKEYED);
	ockam_channel_heard(rk.ch);
out:
	kfree(rk.path);
	ockam_channel_put(rk.ch);
	return err;
}

int ockam_channel_del(struct ockam_node *node, const u8 *name, u32 len)
{
	struct ockam_channel *ch = NULL;
	struct ockam_endpoint *ep;

	mutex_lock(&node->lock);
	rcu_read_lock();
	ep = ockam_node_lookup(node, name, len);
	rcu_read_unlock();
	/* The node lock keeps @ep in the table until we remove it. */
	if (ep && ep->kind == OCKAM_KIND_ENCRYPTOR) {
		ch = ockam_channel_from_encryptor(ep);
		ockam_channel_unhash(ch);
	}
	mutex_unlock(&node->lock);
	if (!ch)
		return -ENOENT;
	ockam_channel_finish(ch, OCKAM_CLOSE_DELETED);
	return 0;
}

/*
 * Unhash the channels @match picks, then finish them outside the lock
 * (finishing routes a close message, which may take the lock).
 */
static void ockam_channel_close_matching(struct ockam_node *node,
					 bool (*match)(struct ockam_channel *,
						       u32),
					 u32 arg,
					 enum ockam_channel_close_reason why)
{
	struct ockam_endpoint *ep, *tmp;
	struct ockam_channel *ch, *next;
	LIST_HEAD(closing);

	mutex_lock(&node->lock);
	list_for_each_entry_safe(ep, tmp,
				 ockam_node_list(node, OCKAM_KIND_ENCRYPTOR),
				 list) {
		ch = ockam_channel_from_encryptor(ep);
		if (!match(ch, arg))
			continue;
		if (ockam_channel_unhash(ch))
			list_add_tail(&ch->closing, &closing);
	}
	mutex_unlock(&node->lock);

	list_for_each_entry_safe(ch, next, &closing, closing)
		ockam_channel_finish(ch, why);
}

static bool ockam_channel_owned_by(struct ockam_channel *ch, u32 portid)
{
	return ch->owner_portid == portid;
}

static bool ockam_channel_any(struct ockam_channel *ch, u32 unused)
{
	return true;
}

void ockam_channel_owner_gone(struct ockam_node *node, u32 portid)
{
	ockam_channel_close_matching(node, ockam_channel_owned_by, portid,
				     OCKAM_CLOSE_OWNER_GONE);
}

void ockam_channel_node_exit(struct ockam_node *node)
{
	ockam_channel_close_matching(node, ockam_channel_any, 0,
				     OCKAM_CLOSE_NODE_EXIT);
}
