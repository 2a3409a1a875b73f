// SPDX-License-Identifier: GPL-2.0
/*
 * Aliases: named routes in the node's address table.
 */
#include <linux/slab.h>

#include "alias.h"
#include "codec.h"

int ockam_alias_add(struct ockam_node *node, const u8 *name, u32 name_len,
		    const u8 *route, u32 route_len,
		    struct netlink_ext_ack *extack)
{
	struct ockam_route_view rt;
	struct ockam_alias *alias;
	int ret;

	ret = ockam_route_decode(route, route_len, &rt);
	if (ret != route_len || !rt.hops) {
		NL_SET_ERR_MSG(extack, "route does not parse or is empty");
		return -EINVAL;
	}

	alias = kzalloc(struct_size(alias, route, rt.len), GFP_KERNEL);
	if (!alias)
		return -ENOMEM;
	alias->ep.kind = OCKAM_KIND_ALIAS;
	ret = ockam_endpoint_set_name(&alias->ep, name, name_len);
	if (ret) {
		NL_SET_ERR_MSG(extack, "invalid local address");
		goto err_free;
	}
	memcpy(alias->route, rt.addrs, rt.len);
	alias->len = rt.len;
	alias->hops = rt.hops;

	mutex_lock(&node->lock);
	ret = ockam_node_insert(node, &alias->ep);
	mutex_unlock(&node->lock);
	if (ret == -EADDRINUSE) {
		NL_SET_ERR_MSG(extack, "local address already in use");
		ret = -EEXIST;
	}
	if (ret)
		goto err_free;
	return 0;

err_free:
	kfree(alias);
	return ret;
}

int ockam_alias_del(struct ockam_node *node, const u8 *name, u32 name_len)
{
	struct ockam_endpoint *ep;
	int ret = -ENOENT;

	mutex_lock(&node->lock);
	rcu_read_lock();
	ep = ockam_node_lookup(node, name, name_len);
	rcu_read_unlock();
	/* The node lock keeps @ep in the table until we remove it. */
	if (ep && ep->kind == OCKAM_KIND_ALIAS) {
		ockam_node_remove(node, ep);
		kfree_rcu(ockam_alias_from_ep(ep), rcu);
		ret = 0;
	}
	mutex_unlock(&node->lock);
	return ret;
}

void ockam_alias_node_exit(struct ockam_node *node)
{
	struct ockam_endpoint *ep, *tmp;

	mutex_lock(&node->lock);
	list_for_each_entry_safe(ep, tmp, ockam_node_list(node, OCKAM_KIND_ALIAS),
				 list) {
		ockam_node_remove(node, ep);
		kfree_rcu(ockam_alias_from_ep(ep), rcu);
	}
	mutex_unlock(&node->lock);
}
