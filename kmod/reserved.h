/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reserved names: local addresses of a node's own services and listeners
 * ("api", "echo", ...) that only a process with CAP_NET_ADMIN in the
 * node's user namespace may bind, as only CAP_NET_BIND_SERVICE binds a
 * port below 1024. Without them any local user could bind "api" before
 * the daemon and receive what peers meant for it.
 */
#ifndef _OCKAM_RESERVED_H
#define _OCKAM_RESERVED_H

#include <linux/list.h>
#include <linux/netlink.h>

struct ockam_node;

enum ockam_reserved_limits {
	/* Names one node may reserve, defaults included. */
	OCKAM_RESERVED_MAX = 256,
};

struct ockam_reserved {
	struct list_head list;
	u8 len;
	u8 name[];
};

int ockam_reserved_node_init(struct ockam_node *node);
void ockam_reserved_node_destroy(struct ockam_node *node);

int ockam_reserved_add(struct ockam_node *node, const u8 *name, u32 len,
		       struct netlink_ext_ack *extack);
int ockam_reserved_del(struct ockam_node *node, const u8 *name, u32 len);
int ockam_reserved_check_bind(struct ockam_node *node, const u8 *name,
			      u32 len);

#endif /* _OCKAM_RESERVED_H */
