/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A node is one network namespace. It owns the table of local addresses
 * (workers): bound sockets, transport connections, aliases and channel
 * ends, each an ockam_endpoint embedded in its owner. Lookups run under
 * RCU from any context; every change takes the node's mutex and bumps its
 * generation so netlink dumps can flag themselves inconsistent. Each kind
 * of endpoint also has a list of its own, for dumps and teardown. This
 * file knows nothing of the kinds' owners: netns.c ties them together.
 */
#ifndef _OCKAM_NODE_H
#define _OCKAM_NODE_H

#include <linux/jhash.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rhashtable.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "../uapi/linux/ockam.h"
#include "dial.h"
#include "stats.h"

/* A name that need not be NUL-terminated, as an rhashtable lookup key. */
struct ockam_name {
	const u8 *name;
	u32 len;
};

static inline u32 ockam_name_hash(const void *data, u32 len, u32 seed)
{
	const struct ockam_name *key = data;

	return jhash(key->name, key->len, seed);
}

static inline bool ockam_name_eq(const struct ockam_name *key, const u8 *name,
				 u32 len)
{
	return key->len == len && !memcmp(key->name, name, len);
}

struct ockam_endpoint {
	struct rhash_head hash_node;
	/* In the node's list of its kind; under the node's lock. */
	struct list_head list;
	enum ockam_endpoint_kind kind;
	u8 name_len;
	u8 name[OCKAM_ADDR_VALUE_MAX];
};

struct ockam_node {
	struct net *net;
	/* Serialises table changes and configuration. */
	struct mutex lock;
	struct rhashtable table;
	/* TCP transports by the "host:port" they reach; see tcp.c. */
	struct rhltable peers;
	/* The endpoints of each kind, in insertion order. Under @lock. */
	struct list_head lists[__OCKAM_KIND_MAX];
	u32 address_count;
	u32 generation;
	/* Refuse new endpoints once the namespace is going away. */
	bool dying;
	/* Names only an admin may bind; see reserved.c. Under @lock. */
	struct list_head reserved;
	u32 reserved_count;
	/* The windows of the portal sessions; see portal.h. Under @lock. */
	u64 portal_windows;
	/* Settings, read without the lock. */
	u32 max_message;
	u32 hop_limit;
	u32 dial_timeout_ms;
	u32 dial_forwarded;
	u32 channel_keepalive_ms;
	u32 channel_give_up_ms;
	u32 udp_datagram;
	/* The UDP binds, for senders under RCU; changed under @lock. */
	struct list_head udp_binds;
	/* Memory all binds' unfinished messages hold (udp_reasm.c). */
	atomic_t udp_reasm_bytes;
	/* Keepalives, silence and giving up, for every channel; see
	 * liveness.c.
	 */
	struct delayed_work channel_sweep;
	/* Portal sessions say their CREDIT again after a channel's outage. */
	struct work_struct portal_refresh;
	struct ockam_stats __percpu *stats;
	struct ockam_dialer dialer;
	/* Guards the backpressure links between transports; see tcp.c. */
	spinlock_t throttle_lock;
	/* Transports paused until its channels open their frames. */
	struct list_head opening_throttled;
	/* Frames of its channels being opened or sealed off the routing
	 * step (crypt_queue.c, seal_queue.c), and the truesize of those
	 * being opened.
	 */
	atomic_t queued_frames;
	atomic_long_t opening_bytes;
};

/* A new node's settings (OCKAM_CMD_NODE_SET changes them). */
enum ockam_node_defaults {
	OCKAM_MAX_MESSAGE_DEFAULT = 1 << 20,
	OCKAM_HOP_LIMIT_DEFAULT = 32,
	OCKAM_DIAL_TIMEOUT_MS_DEFAULT = 5000,
	/* Messages from other nodes do not make this node dial: a peer could
	 * otherwise make it connect anywhere, loopback included.
	 */
	OCKAM_DIAL_FORWARDED_DEFAULT = 0,
	/* No keepalives unless asked for: a node's daemon turns them on,
	 * as Ockam's session layer pings; a program using the kernel alone
	 * sees no traffic it did not send.
	 */
	OCKAM_CHANNEL_KEEPALIVE_MS_DEFAULT = 0,
	OCKAM_CHANNEL_GIVE_UP_MS_DEFAULT = 300000,
};

struct ockam_node *ockam_node_get(const struct net *net);

struct ockam_endpoint *ockam_node_lookup(struct ockam_node *node,
					 const u8 *name, u32 len);
int ockam_node_insert(struct ockam_node *node, struct ockam_endpoint *ep);
int ockam_node_insert_random(struct ockam_node *node,
			     struct ockam_endpoint *ep);
void ockam_node_remove(struct ockam_node *node, struct ockam_endpoint *ep);

int ockam_endpoint_set_name(struct ockam_endpoint *ep, const u8 *name,
			    u32 len);
u32 ockam_endpoint_encode(const struct ockam_endpoint *ep, u8 *buf);

/* The node's endpoints of @kind; under the node's lock. */
static inline struct list_head *ockam_node_list(struct ockam_node *node,
						enum ockam_endpoint_kind kind)
{
	lockdep_assert_held(&node->lock);
	return &node->lists[kind];
}

int ockam_node_table_init(struct ockam_node *node);
void ockam_node_table_destroy(struct ockam_node *node);

/* netns.c: a node per network namespace. */
int ockam_netns_init(void);
void ockam_netns_exit(void);

#endif /* _OCKAM_NODE_H */
