/* SPDX-License-Identifier: GPL-2.0 */
/*
 * UDP transport: a bound UDP socket handed over by userspace, through
 * which the node sends messages to UDP addresses and receives them from
 * anyone, each message in one or more datagrams (wire.h).
 */
#ifndef _OCKAM_UDP_H
#define _OCKAM_UDP_H

#include <linux/in6.h>
#include <linux/kref.h>
#include <linux/netlink.h>
#include <linux/rhashtable-types.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/ipv6.h>
#include <net/udp.h>

#include "codec.h"
#include "node.h"

enum ockam_udp_limits {
	/* Room in front of a datagram for the UDP, IP and link headers. */
	OCKAM_UDP_HEADROOM = MAX_HEADER + sizeof(struct ipv6hdr) +
			     sizeof(struct udphdr),
	/* Before a message that goes as its own datagram: ours too. */
	OCKAM_UDP_SEND_HEADROOM = OCKAM_UDP_HEADROOM + OCKAM_UDP_HEADER_LEN,
	/* Addresses one bind remembers having heard from. */
	OCKAM_UDP_PEERS_MAX = 4096,
	/* A peer not heard from for this long is forgotten (a NAT's UDP
	 * mapping lasts about as long).
	 */
	OCKAM_UDP_PEER_IDLE_MS = 180000,
	/* Unfinished messages from one peer; a newer one pushes the oldest
	 * out.
	 */
	OCKAM_UDP_PARTIALS_PER_PEER = 16,
	/* An unfinished message is given up this long after its first
	 * fragment.
	 */
	OCKAM_UDP_REASM_TIMEOUT_MS = 5000,
	/* Memory (true size) the unfinished messages of one peer, and of
	 * all binds of a node, may hold at least; both grow with the node's
	 * max message (4 and 8 times it): a fragment's true size is two to
	 * three times its bytes.
	 */
	OCKAM_UDP_REASM_PEER_MIN = 4 << 20,
	OCKAM_UDP_REASM_NODE_MIN = 32 << 20,
	/* "[IPv6]:port" */
	OCKAM_UDP_HOSTPORT_MAX = 56,
	/* A peer's address encoded as a route address (type, length). */
	OCKAM_UDP_PUSH_MAX = 2 + OCKAM_UDP_HOSTPORT_MAX,
};

/* A message being cut into datagrams (udp_batch.c). */
struct ockam_udp_batcher {
	struct sk_buff *msg;
	/* Its number on the wire, and the bytes of it a datagram carries. */
	u32 message;
	u32 chunk;
	/* Datagrams a batch may hold. */
	u32 batch_max;
	/* Its page fragments are referred to, not copied. */
	bool refer;
	/* Where headers and linear bytes are copied; our reference. */
	struct page *scratch;
	u32 scratch_used;
};

/* A UDP address, the key of a bind's peer table: unused bytes are 0. */
struct ockam_udp_addr {
	sa_family_t family;
	__be16 port;
	union {
		__be32 v4;
		struct in6_addr v6;
	};
};

struct ockam_udp_peer {
	struct rhash_head hash_node;
	struct ockam_udp_addr addr;
	/* jiffies; written only when it changes, so receivers on several
	 * CPUs do not bounce the line.
	 */
	unsigned long last_heard;
	/* Under the bind's lock: the peer's unfinished messages, and
	 * whether the peer left the table (a receiver that found it just
	 * before must not give it new ones).
	 */
	struct list_head partials;
	u32 partial_count;
	u32 reasm_bytes;
	bool gone;
	/* Its address as pushed on return routes: immutable. */
	u8 push_len;
	u8 push[OCKAM_UDP_PUSH_MAX];
	struct rcu_head rcu;
};

enum ockam_udp_state_bits {
	/* Set once, by whoever first decides the bind must go. */
	OCKAM_UDP_CLOSING,
};

struct ockam_udp {
	struct ockam_endpoint ep;
	/* In the node's udp_binds, for senders under RCU. */
	struct list_head bind_node;
	struct ockam_node *node;
	struct socket *sock;
	sa_family_t family;
	/* The number of the next message sent (wire.h). */
	atomic_t next_message;

	struct rhashtable peers;
	/*
	 * Guards inserting and removing peers, @peer_count, and all of
	 * reassembly: @partials (oldest first), @reasm_bytes and each peer's
	 * share. Taken in softirq.
	 */
	spinlock_t lock;
	u32 peer_count;
	struct list_head partials;
	u32 reasm_bytes;
	/* Gives up old unfinished messages and forgets idle peers. */
	struct delayed_work sweep;

	unsigned long state;
	struct work_struct close_work;
	struct kref refs;
	struct rcu_work free_work;

	/* The socket's own, given back when the bind closes. */
	void (*saved_data_ready)(struct sock *sk);
	bool saved_accept_l4;

	/* In the node's tables; under the node lock. */
	bool published;
	u32 owner_portid;
	char local[OCKAM_UDP_HOSTPORT_MAX];
	struct ockam_stats __percpu *stats;
};

struct ockam_udp_attach {
	int fd;
	const char *address;
	u32 owner_portid;
};

static inline struct ockam_udp *ockam_udp_from_ep(struct ockam_endpoint *ep)
{
	return container_of(ep, struct ockam_udp, ep);
}

/* udp.c */
int ockam_udp_addr_parse(const u8 *value, u32 len, struct ockam_udp_addr *addr);
struct ockam_udp *ockam_udp_select(struct ockam_node *node,
				   const struct ockam_udp_addr *to, bool *known);
int ockam_udp_xmit(struct ockam_udp *u, const struct ockam_udp_addr *to,
		   struct sk_buff *skb);
u32 ockam_udp_peer_count(struct ockam_udp *u);

int ockam_udp_attach(struct ockam_node *node,
		     const struct ockam_udp_attach *req,
		     struct netlink_ext_ack *extack, struct ockam_udp **out);
int ockam_udp_detach(struct ockam_node *node, const u8 *name, u32 len);
void ockam_udp_put(struct ockam_udp *u);
void ockam_udp_owner_gone(struct ockam_node *node, u32 portid);
void ockam_udp_node_exit(struct ockam_node *node);

/* udp_reasm.c */
struct sk_buff *ockam_udp_reasm_add(struct ockam_udp *u,
				    struct ockam_udp_peer *peer,
				    struct sk_buff *skb,
				    const struct ockam_udp_header *hdr);
bool ockam_udp_reasm_expire(struct ockam_udp *u, unsigned long now);
void ockam_udp_reasm_forget(struct ockam_udp *u, struct ockam_udp_peer *peer,
			    enum ockam_stat why);

void ockam_udp_batcher_init(struct ockam_udp_batcher *b, struct sk_buff *msg,
			    u32 message, u32 datagram);
struct sk_buff *ockam_udp_batcher_next(struct ockam_udp_batcher *b, u32 offset,
				       u32 *sent);
bool ockam_udp_batcher_whole(struct ockam_udp_batcher *b);
void ockam_udp_batcher_done(struct ockam_udp_batcher *b);
bool ockam_udp_pages_referable(struct sk_buff *skb);

#endif /* _OCKAM_UDP_H */
