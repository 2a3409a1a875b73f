// SPDX-License-Identifier: GPL-2.0
/*
 * Per-namespace node state and its table of local addresses.
 */
#include <linux/random.h>
#include <linux/slab.h>
#include <net/netns/generic.h>

#include "alias.h"
#include "channel.h"
#include "codec.h"
#include "node.h"
#include "ockam.h"
#include "reserved.h"
#include "tcp.h"

static unsigned int ockam_net_id __read_mostly;

static u32 ockam_endpoint_hash(const void *data, u32 len, u32 seed)
{
	const struct ockam_endpoint *ep = data;

	return jhash(ep->name, ep->name_len, seed);
}

static int ockam_endpoint_cmp(struct rhashtable_compare_arg *arg,
			      const void *obj)
{
	const struct ockam_name *key = arg->key;
	const struct ockam_endpoint *ep = obj;

	return !ockam_name_eq(key, ep->name, ep->name_len);
}

static const struct rhashtable_params ockam_table_params = {
	.head_offset = offsetof(struct ockam_endpoint, hash_node),
	.hashfn = ockam_name_hash,
	.obj_hashfn = ockam_endpoint_hash,
	.obj_cmpfn = ockam_endpoint_cmp,
	.automatic_shrinking = true,
};

struct ockam_node *ockam_node_get(const struct net *net)
{
	return net_generic(net, ockam_net_id);
}

struct ockam_endpoint *ockam_node_lookup(struct ockam_node *node,
					 const u8 *name, u32 len)
{
	struct ockam_name key = { .name = name, .len = len };

	return rhashtable_lookup(&node->table, &key, ockam_table_params);
}

int ockam_endpoint_set_name(struct ockam_endpoint *ep, const u8 *name,
			    u32 len)
{
	if (!ockam_local_name_valid(name, len))
		return -EINVAL;
	memcpy(ep->name, name, len);
	ep->name_len = len;
	return 0;
}

/* The endpoint's address as it appears in a route: type LOCAL, its name. */
u32 ockam_endpoint_encode(const struct ockam_endpoint *ep, u8 *buf)
{
	return ockam_addr_encode(buf, OCKAM_ADDR_LOCAL, ep->name, ep->name_len);
}

int ockam_node_insert(struct ockam_node *node, struct ockam_endpoint *ep)
{
	struct ockam_name key = { .name = ep->name, .len = ep->name_len };
	int ret;

	lockdep_assert_held(&node->lock);
	if (node->dying)
		return -ENODEV;
	ret = rhashtable_lookup_insert_key(&node->table, &key, &ep->hash_node,
					   ockam_table_params);
	if (ret == -EEXIST)
		return -EADDRINUSE;
	if (ret)
		return ret;
	list_add_tail(&ep->list, &node->endpoints);
	node->address_count++;
	node->generation++;
	return 0;
}

/* Ockam's form for generated addresses: 16 random bytes in hex. */
int ockam_node_insert_random(struct ockam_node *node,
			     struct ockam_endpoint *ep)
{
	u8 raw[OCKAM_RANDOM_NAME_LEN / 2];
	int tries, ret = -EADDRINUSE;

	for (tries = 0; tries < 8 && ret == -EADDRINUSE; tries++) {
		get_random_bytes(raw, sizeof(raw));
		bin2hex(ep->name, raw, sizeof(raw));
		ep->name_len = OCKAM_RANDOM_NAME_LEN;
		ret = ockam_node_insert(node, ep);
	}
	return ret;
}

void ockam_node_remove(struct ockam_node *node, struct ockam_endpoint *ep)
{
	lockdep_assert_held(&node->lock);
	rhashtable_remove_fast(&node->table, &ep->hash_node,
			       ockam_table_params);
	list_del(&ep->list);
	node->address_count--;
	node->generation++;
}

int ockam_node_table_init(struct ockam_node *node)
{
	mutex_init(&node->lock);
	INIT_LIST_HEAD(&node->endpoints);
	return rhashtable_init(&node->table, &ockam_table_params);
}

void ockam_node_table_destroy(struct ockam_node *node)
{
	rhashtable_destroy(&node->table);
}

struct ockam_stats __percpu *ockam_stats_alloc(void)
{
	struct ockam_stats __percpu *stats;
	int cpu;

	stats = alloc_percpu(struct ockam_stats);
	if (!stats)
		return NULL;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(stats, cpu)->syncp);
	return stats;
}

void ockam_stats_read(struct ockam_stats __percpu *stats,
		      u64 sum[__OCKAM_STAT_MAX])
{
	u64 one[__OCKAM_STAT_MAX];
	unsigned int start;
	int cpu, i;

	memset(sum, 0, sizeof(one));
	for_each_possible_cpu(cpu) {
		const struct ockam_stats *s = per_cpu_ptr(stats, cpu);

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < __OCKAM_STAT_MAX; i++)
				one[i] = u64_stats_read(&s->count[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < __OCKAM_STAT_MAX; i++)
			sum[i] += one[i];
	}
}

static int __net_init ockam_node_net_init(struct net *net)
{
	struct ockam_node *node = ockam_node_get(net);
	int ret;

	node->net = net;
	node->max_message = OCKAM_MAX_MESSAGE_DEFAULT;
	node->hop_limit = OCKAM_HOP_LIMIT_DEFAULT;
	node->dial_timeout_ms = OCKAM_DIAL_TIMEOUT_MS_DEFAULT;
	node->dial_forwarded = OCKAM_DIAL_FORWARDED_DEFAULT;
	ockam_dialer_init(&node->dialer);
	spin_lock_init(&node->throttle_lock);

	node->stats = ockam_stats_alloc();
	if (!node->stats)
		return -ENOMEM;
	ret = ockam_node_table_init(node);
	if (ret)
		goto err_stats;
	ret = ockam_reserved_node_init(node);
	if (ret)
		goto err_table;
	ret = ockam_tcp_node_init(node);
	if (ret)
		goto err_reserved;
	return 0;

err_reserved:
	ockam_reserved_node_destroy(node);
err_table:
	ockam_node_table_destroy(node);
err_stats:
	free_percpu(node->stats);
	return ret;
}

/*
 * Runs before the core's RCU grace period: unhash and close everything, so
 * that by ockam_node_net_exit() no reader can still see the tables.
 */
static void __net_exit ockam_node_net_pre_exit(struct net *net)
{
	struct ockam_node *node = ockam_node_get(net);

	mutex_lock(&node->lock);
	WRITE_ONCE(node->dying, true);
	mutex_unlock(&node->lock);

	ockam_tcp_node_exit(node);
	ockam_dialer_flush(node);
	ockam_channel_node_exit(node);
	ockam_alias_node_exit(node);
}

/*
 * Runs after the core's RCU grace period, so nothing can find the node's
 * endpoints any more and queue work for them. Work queued before (a
 * channel's close work, which takes the node's lock) must finish before
 * the node is freed, whether the namespace goes or the module does.
 */
static void __net_exit ockam_node_net_exit(struct net *net)
{
	struct ockam_node *node = ockam_node_get(net);

	flush_workqueue(ockam_wq);
	ockam_tcp_node_destroy(node);
	ockam_reserved_node_destroy(node);
	ockam_node_table_destroy(node);
	free_percpu(node->stats);
}

static struct pernet_operations ockam_node_net_ops = {
	.init = ockam_node_net_init,
	.pre_exit = ockam_node_net_pre_exit,
	.exit = ockam_node_net_exit,
	.id = &ockam_net_id,
	.size = sizeof(struct ockam_node),
};

int ockam_node_module_init(void)
{
	return register_pernet_subsys(&ockam_node_net_ops);
}

void ockam_node_module_exit(void)
{
	unregister_pernet_subsys(&ockam_node_net_ops);
}
