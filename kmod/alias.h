/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Aliases (named routes): a local address whose messages continue along a
 * stored route. This is how a relay's forward_to_X address works.
 */
#ifndef _OCKAM_ALIAS_H
#define _OCKAM_ALIAS_H

#include <linux/netlink.h>
#include <linux/rcupdate.h>

#include "node.h"

struct ockam_alias {
	struct ockam_endpoint ep;
	struct rcu_head rcu;
	/* The route's addresses, encoded, without the count. */
	u32 hops;
	u32 len;
	u8 route[];
};

static inline struct ockam_alias *ockam_alias_from_ep(struct ockam_endpoint *ep)
{
	return container_of(ep, struct ockam_alias, ep);
}

int ockam_alias_add(struct ockam_node *node, const u8 *name, u32 name_len,
		    const u8 *route, u32 route_len,
		    struct netlink_ext_ack *extack);
int ockam_alias_del(struct ockam_node *node, const u8 *name, u32 name_len);
void ockam_alias_node_exit(struct ockam_node *node);

#endif /* _OCKAM_ALIAS_H */
