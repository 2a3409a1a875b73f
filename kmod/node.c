// SPDX-License-Identifier: GPL-2.0
/*
 * A node's table of local addresses, its lists per kind and its counters.
 */
#include <linux/random.h>
#include <linux/slab.h>

#include "codec.h"
#include "node.h"

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
	list_add_tail(&ep->list, ockam_node_list(node, ep->kind));
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
	int kind;

	mutex_init(&node->lock);
	for (kind = 0; kind < __OCKAM_KIND_MAX; kind++)
		INIT_LIST_HEAD(&node->lists[kind]);
	return rhashtable_init(&node->table, &ockam_table_params);
}

void ockam_node_table_destroy(struct ockam_node *node)
{
	rhashtable_destroy(&node->table);
}

struct ockam_stats __percpu *ockam_stats_alloc(unsigned int n)
{
	struct ockam_stats __percpu *stats;
	int cpu;

	stats = __alloc_percpu(struct_size_t(struct ockam_stats, count, n),
			       __alignof__(struct ockam_stats));
	if (!stats)
		return NULL;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(stats, cpu)->syncp);
	return stats;
}

void ockam_stats_read(struct ockam_stats __percpu *stats, unsigned int n,
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
			for (i = 0; i < n; i++)
				one[i] = u64_stats_read(&s->count[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < n; i++)
			sum[i] += one[i];
	}
}
