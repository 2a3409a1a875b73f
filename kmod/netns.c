// SPDX-License-Identifier: GPL-2.0
/*
 * A node per network namespace: the pernet operations that make one when
 * a namespace appears and take it apart, kind by kind, when it goes.
 */
#include <net/netns/generic.h>

#include "alias.h"
#include "channel.h"
#include "dial.h"
#include "node.h"
#include "ockam.h"
#include "portal.h"
#include "reserved.h"
#include "tcp.h"
#include "udp.h"

static unsigned int ockam_net_id __read_mostly;

struct ockam_node *ockam_node_get(const struct net *net)
{
	return net_generic(net, ockam_net_id);
}

static int __net_init ockam_netns_net_init(struct net *net)
{
	struct ockam_node *node = ockam_node_get(net);
	int ret;

	node->net = net;
	node->max_message = OCKAM_MAX_MESSAGE_DEFAULT;
	node->hop_limit = OCKAM_HOP_LIMIT_DEFAULT;
	node->dial_timeout_ms = OCKAM_DIAL_TIMEOUT_MS_DEFAULT;
	node->dial_forwarded = OCKAM_DIAL_FORWARDED_DEFAULT;
	node->channel_keepalive_ms = OCKAM_CHANNEL_KEEPALIVE_MS_DEFAULT;
	node->channel_give_up_ms = OCKAM_CHANNEL_GIVE_UP_MS_DEFAULT;
	node->udp_datagram = OCKAM_UDP_DATAGRAM_DEFAULT;
	INIT_LIST_HEAD(&node->udp_binds);
	ockam_liveness_node_init(node);
	ockam_dialer_init(&node->dialer);
	spin_lock_init(&node->throttle_lock);
	INIT_LIST_HEAD(&node->opening_throttled);
	atomic_set(&node->queued_frames, 0);
	atomic_long_set(&node->opening_bytes, 0);

	node->stats = ockam_stats_alloc(OCKAM_STATS_ALL);
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
 * that by ockam_netns_net_exit() no reader can still see the tables.
 */
static void __net_exit ockam_netns_net_pre_exit(struct net *net)
{
	struct ockam_node *node = ockam_node_get(net);

	mutex_lock(&node->lock);
	WRITE_ONCE(node->dying, true);
	mutex_unlock(&node->lock);

	/* Sessions first: their DISCONNECTs leave on the transports. */
	ockam_portal_node_exit(node);
	ockam_tcp_node_exit(node);
	ockam_udp_node_exit(node);
	ockam_dialer_flush(node);
	ockam_channel_node_exit(node);
	ockam_liveness_node_exit(node);
	ockam_alias_node_exit(node);
}

/*
 * Runs after the core's RCU grace period, so nothing can find the node's
 * endpoints any more and queue work for them. Work queued before (a
 * channel's close work, which takes the node's lock) must finish before
 * the node is freed, whether the namespace goes or the module does.
 */
static void __net_exit ockam_netns_net_exit(struct net *net)
{
	struct ockam_node *node = ockam_node_get(net);

	/* Handing on an opened frame may queue close or transmit work. */
	ockam_channel_open_node_exit(node);
	flush_workqueue(ockam_wq);
	ockam_tcp_node_destroy(node);
	ockam_reserved_node_destroy(node);
	ockam_node_table_destroy(node);
	free_percpu(node->stats);
}

static struct pernet_operations ockam_netns_ops = {
	.init = ockam_netns_net_init,
	.pre_exit = ockam_netns_net_pre_exit,
	.exit = ockam_netns_net_exit,
	.id = &ockam_net_id,
	.size = sizeof(struct ockam_node),
};

int ockam_netns_init(void)
{
	return register_pernet_subsys(&ockam_netns_ops);
}

void ockam_netns_exit(void)
{
	unregister_pernet_subsys(&ockam_netns_ops);
}
