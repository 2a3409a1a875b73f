// SPDX-License-Identifier: GPL-2.0
/*
 * Self-tests for the node's address table: insert, duplicate, lookup of
 * near misses, random names, removal and the generation counter.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "../node.h"
#include "selftest.h"

enum { TABLE_ENTRIES = 3 };

static bool __init lookup_is(struct ockam_node *node, const char *name,
			     struct ockam_endpoint *expect)
{
	struct ockam_endpoint *ep;

	rcu_read_lock();
	ep = ockam_node_lookup(node, name, strlen(name));
	rcu_read_unlock();
	return ep == expect;
}

static bool __init random_name_ok(const struct ockam_endpoint *ep)
{
	int i;

	if (ep->name_len != OCKAM_RANDOM_NAME_LEN)
		return false;
	for (i = 0; i < ep->name_len; i++) {
		if (!isxdigit(ep->name[i]) || isupper(ep->name[i]))
			return false;
	}
	return true;
}

static bool __init run(struct ockam_node *node, struct ockam_endpoint *ep)
{
	bool ok;

	if (ockam_endpoint_set_name(&ep[0], "echo", 4) ||
	    ockam_endpoint_set_name(&ep[1], "echo", 4) ||
	    ockam_endpoint_set_name(&ep[2], "a/b", 3) != -EINVAL ||
	    ockam_endpoint_set_name(&ep[2], "", 0) != -EINVAL)
		return false;

	mutex_lock(&node->lock);
	ok = !ockam_node_insert(node, &ep[0]) &&
	     ockam_node_insert(node, &ep[1]) == -EADDRINUSE &&
	     !ockam_endpoint_set_name(&ep[1], "echo2", 5) &&
	     !ockam_node_insert(node, &ep[1]) &&
	     !ockam_node_insert_random(node, &ep[2]) &&
	     random_name_ok(&ep[2]) &&
	     node->address_count == TABLE_ENTRIES && node->generation == 3;
	mutex_unlock(&node->lock);

	ok = ok && lookup_is(node, "echo", &ep[0]) &&
	     lookup_is(node, "echo2", &ep[1]) && lookup_is(node, "ech", NULL) &&
	     lookup_is(node, "echo22", NULL);

	mutex_lock(&node->lock);
	ockam_node_remove(node, &ep[0]);
	ockam_node_remove(node, &ep[1]);
	ockam_node_remove(node, &ep[2]);
	ok = ok && !node->address_count &&
	     list_empty(ockam_node_list(node, OCKAM_KIND_UNSPEC));
	mutex_unlock(&node->lock);
	return ok && lookup_is(node, "echo", NULL);
}

bool __init ockam_table_selftest(void)
{
	struct ockam_endpoint *ep;
	struct ockam_node *node;
	bool ok = false;

	node = kzalloc(sizeof(*node), GFP_KERNEL);
	ep = kcalloc(TABLE_ENTRIES, sizeof(*ep), GFP_KERNEL);
	if (node && ep && !ockam_node_table_init(node)) {
		ok = run(node, ep);
		ockam_node_table_destroy(node);
	}
	kfree(ep);
	kfree(node);
	pr_info("table self-tests: %s\n", ok ? "pass" : "fail");
	return ok;
}
