// SPDX-License-Identifier: GPL-2.0
/*
 * Reserved names. A node starts with Ockam's well-known service names
 * reserved, so they are safe before any daemon runs; the daemon reserves
 * the names of the listeners and services it adds (OCKAM_CMD_RESERVED_ADD)
 * before it binds them. A reservation outlives the daemon: a daemon that
 * restarts finds its names still its own. The list is short and only
 * read by bind() and netlink, under the node's lock.
 */
#include <linux/capability.h>
#include <linux/slab.h>

#include "codec.h"
#include "node.h"
#include "reserved.h"

/* Ockam's default service addresses, and ours. */
static const char *const ockam_reserved_defaults[] = {
	"api",				/* secure channel listener */
	"echo",
	"uppercase",
	"forwarding_service",		/* relays */
	"static_forwarding_service",
	"outlet",			/* TCP portal outlet */
	"rendezvous",			/* UDP hole punching */
};

static struct ockam_reserved *ockam_reserved_find(struct ockam_node *node,
						  const u8 *name, u32 len)
{
	struct ockam_reserved *r;

	lockdep_assert_held(&node->lock);
	list_for_each_entry(r, &node->reserved, list) {
		if (r->len == len && !memcmp(r->name, name, len))
			return r;
	}
	return NULL;
}

static int ockam_reserved_insert(struct ockam_node *node, const u8 *name,
				 u32 len)
{
	struct ockam_reserved *r;

	lockdep_assert_held(&node->lock);
	if (ockam_reserved_find(node, name, len))
		return -EEXIST;
	if (node->reserved_count >= OCKAM_RESERVED_MAX)
		return -ENOSPC;
	r = kmalloc(struct_size(r, name, len), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->len = len;
	memcpy(r->name, name, len);
	list_add_tail(&r->list, &node->reserved);
	node->reserved_count++;
	node->generation++;
	return 0;
}

int ockam_reserved_add(struct ockam_node *node, const u8 *name, u32 len,
		       struct netlink_ext_ack *extack)
{
	int err;

	if (!ockam_local_name_valid(name, len)) {
		NL_SET_ERR_MSG(extack, "invalid local address");
		return -EINVAL;
	}
	mutex_lock(&node->lock);
	err = ockam_reserved_insert(node, name, len);
	mutex_unlock(&node->lock);
	if (err == -EEXIST)
		NL_SET_ERR_MSG(extack, "name is already reserved");
	else if (err == -ENOSPC)
		NL_SET_ERR_MSG(extack, "node has reserved as many names as it may");
	return err;
}

int ockam_reserved_del(struct ockam_node *node, const u8 *name, u32 len)
{
	struct ockam_reserved *r;

	mutex_lock(&node->lock);
	r = ockam_reserved_find(node, name, len);
	if (r) {
		list_del(&r->list);
		node->reserved_count--;
		node->generation++;
	}
	mutex_unlock(&node->lock);
	kfree(r);
	return r ? 0 : -ENOENT;
}

/*
 * Under the node's lock, from bind(): may the calling task take @name?
 * The capability is asked for only when the name is reserved, so that
 * ordinary binds leave no trace in the audit log.
 */
int ockam_reserved_check_bind(struct ockam_node *node, const u8 *name,
			      u32 len)
{
	lockdep_assert_held(&node->lock);
	if (!ockam_reserved_find(node, name, len))
		return 0;
	return ns_capable(node->net->user_ns, CAP_NET_ADMIN) ? 0 : -EACCES;
}

int ockam_reserved_node_init(struct ockam_node *node)
{
	const char *name;
	int i, err = 0;

	INIT_LIST_HEAD(&node->reserved);
	node->reserved_count = 0;
	mutex_lock(&node->lock);
	for (i = 0; i < ARRAY_SIZE(ockam_reserved_defaults) && !err; i++) {
		name = ockam_reserved_defaults[i];
		err = ockam_reserved_insert(node, (const u8 *)name,
					    strlen(name));
	}
	mutex_unlock(&node->lock);
	if (err)
		ockam_reserved_node_destroy(node);
	return err;
}

void ockam_reserved_node_destroy(struct ockam_node *node)
{
	struct ockam_reserved *r, *tmp;

	list_for_each_entry_safe(r, tmp, &node->reserved, list)
		kfree(r);
	INIT_LIST_HEAD(&node->reserved);
	node->reserved_count = 0;
}
