/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Secure channels: the kernel's half. ockamd runs the handshake and hands
 * over two keys; the node then owns an encryptor address (plaintext in,
 * data frames out along the route to the peer's decryptor) and a decryptor
 * address (data frames in, the inner message routed on with our encryptor
 * pushed on its return route). uapi/linux/ockam.h describes the frame.
 */
#ifndef _OCKAM_CHANNEL_H
#define _OCKAM_CHANNEL_H

#include <linux/netlink.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "cipher.h"
#include "codec.h"
#include "frame.h"
#include "message.h"
#include "node.h"
#include "ratchet.h"
#include "replay.h"

struct ockam_tcp;

enum ockam_channel_sizes {
	/* The encryptor's address, encoded: a type byte, the length in one
	 * ULEB byte, and the random name every encryptor gets.
	 */
	OCKAM_CHANNEL_SELF_LEN = 1 + 1 + OCKAM_RANDOM_NAME_LEN,
};

struct ockam_channel_tx {
	/* Guards the key, the counter and the frames being sealed. */
	spinlock_t lock;
	u8 key[OCKAM_KEY_LEN];
	/* A context hands on the sealed frames at the head of @sealing. */
	bool delivering;
	/*
	 * A frame sealed by its sender has not been sent on yet: nothing
	 * on @sealing may leave before it (ockam_seal_sent_here()).
	 */
	bool direct;
	/* The next counter to send; the key has had counter / 32 REKEYs. */
	u64 counter;
	/*
	 * Frames waiting for their turn to leave, in counter order
	 * (seal_queue.c): a ring through skb->next, this the last frame and
	 * its ->next the first; NULL when there is none.
	 */
	struct sk_buff *sealing;
};

struct ockam_channel_rx {
	/* Guards the window, the keys and the frames being opened. */
	spinlock_t lock;
	/* The truesize of the frames on @opening. */
	u32 opening_bytes;
	struct ockam_replay replay;
	struct ockam_ratchet ratchet;
	/*
	 * jiffies before which no frame may restart the window from
	 * further ahead than it reaches (crypt.c), and the number of the
	 * keys, which a new handshake moves on: such a frame restarts it
	 * only under the keys it was checked with.
	 */
	unsigned long leap_after;
	u32 keys_gen;
	/* How many frames are on @opening. */
	u32 opening_frames;
	/*
	 * Frames from other nodes being opened, in arrival order
	 * (crypt_queue.c): a ring through skb->next, this the last frame
	 * and its ->next the first; NULL when there is none.
	 */
	struct sk_buff *opening;
};

/*
 * The route to the peer's decryptor: addresses, count apart. Replaced
 * whole (OCKAM_CMD_CHANNEL_SET, or the responder following its peer to a
 * new return route) under the receive lock, and read under RCU by the
 * data path, so a frame is sealed with one route or the other.
 */
struct ockam_channel_path {
	struct rcu_head rcu;
	u32 len;
	u32 hops;
	u8 addrs[];
};

/* Whether the peer is still there; see liveness.c. */
struct ockam_channel_live {
	/* jiffies of the last frame sealed and of the peer's last
	 * authenticated frame. Lockless: READ_ONCE()/WRITE_ONCE().
	 */
	unsigned long last_tx;
	unsigned long last_rx;
	/* Written under the receive lock, read locklessly. */
	unsigned long since;
	u8 state;
	u8 reason;
	/* New return routes adopted; under the receive lock. */
	u32 route_moves;
};

struct ockam_channel {
	struct ockam_endpoint encryptor;
	struct ockam_endpoint decryptor;
	struct ockam_node *node;
	refcount_t refs;
	/* The netlink socket that added the channel. */
	u32 owner_portid;
	union {
		/* On a list of channels being closed together, which is
		 * done with the channel before it drops its reference.
		 */
		struct list_head closing;
		/* Frees the channel a grace period after the last
		 * reference.
		 */
		struct rcu_head rcu;
	};
	/* Tears the channel down when the peer closed it. */
	struct work_struct close_work;
	u8 role;
	/* Unhashed; under the node's lock. */
	bool dead;
	/* A re-key has the decryptor out of the table; under the node's
	 * lock.
	 */
	bool rekeying;
	/* A context hands on the opened frames at the head of rx.opening;
	 * under rx.lock (kept here, where the object has room for it).
	 */
	bool delivering;
	u8 peer[OCKAM_IDENTIFIER_BYTES];
	struct ockam_stats __percpu *stats;
	/*
	 * The sender's fields, then the receiver's, with @path and @live
	 * between them: tx.lock and rx.lock are more than a cache line apart
	 * wherever the cache places the object, live.last_tx is next to the
	 * sender's counter and live.last_rx next to the receiver's lock.
	 */
	struct ockam_channel_tx tx;
	/* A separate allocation, so that every channel is the same size and
	 * comes from a cache of its own.
	 */
	struct ockam_channel_path __rcu *path;
	struct ockam_channel_live live;
	/* The lock also guards @path's and @live's changes. */
	struct ockam_channel_rx rx;
};

/*
 * The frames a channel is opening or sealing, in the order they are to be
 * handed on: a ring through skb->next, @*last the last frame and its
 * ->next the first; NULL when there is none. The caller holds the lock
 * that guards the ring.
 */
static inline void ockam_ring_append(struct sk_buff **last,
				     struct sk_buff *skb)
{
	skb->next = *last ? (*last)->next : skb;
	if (*last)
		(*last)->next = skb;
	*last = skb;
}

static inline struct sk_buff *ockam_ring_first(struct sk_buff *last)
{
	return last ? last->next : NULL;
}

/* Take the first frame, @first, off the ring. */
static inline void ockam_ring_pop(struct sk_buff **last,
				  struct sk_buff *first)
{
	if (first == *last)
		*last = NULL;
	else
		(*last)->next = first->next;
	skb_mark_not_on_list(first);
}

/*
 * The encryptor's address, encoded into @buf, as it goes on the return
 * route of what comes out of the channel. Encoded when needed rather than
 * kept: the channel object has no room for it.
 */
static inline u32 ockam_channel_self(const struct ockam_channel *ch,
				     u8 buf[OCKAM_CHANNEL_SELF_LEN])
{
	/* Every encryptor has a random name (ockam_channel_install()). */
	BUILD_BUG_ON(OCKAM_RANDOM_NAME_LEN >= 0x80);
	return ockam_endpoint_encode(&ch->encryptor, buf);
}

static inline struct ockam_channel *
ockam_channel_from_encryptor(struct ockam_endpoint *ep)
{
	return container_of(ep, struct ockam_channel, encryptor);
}

static inline struct ockam_channel *
ockam_channel_from_decryptor(struct ockam_endpoint *ep)
{
	return container_of(ep, struct ockam_channel, decryptor);
}

struct ockam_channel_params {
	int fd;
	const u8 *tx_key;
	const u8 *rx_key;
	const u8 *route;
	u32 route_len;
	const char *identifier;
	u32 role;
	u32 owner_portid;
};

/* channel.c: lifecycle */
int ockam_channel_init(void);
void ockam_channel_uninit(void);
struct ockam_channel *ockam_channel_add(struct ockam_node *node,
					const struct ockam_channel_params *p,
					struct netlink_ext_ack *extack);
int ockam_channel_rekey(struct ockam_node *node, const u8 *name, u32 len,
			const struct ockam_channel_params *p,
			struct netlink_ext_ack *extack);
int ockam_channel_del(struct ockam_node *node, const u8 *name, u32 len);
void ockam_channel_put(struct ockam_channel *ch);
void ockam_channel_owner_gone(struct ockam_node *node, u32 portid);
void ockam_channel_node_exit(struct ockam_node *node);
/* From the data path (any context): the peer said goodbye. */
void ockam_channel_peer_closed(struct ockam_channel *ch);

/* Where a frame came from, for route mobility. */
struct ockam_channel_from {
	/* The address of the transport (or outer channel) it came out of,
	 * not yet on the return route, or NULL.
	 */
	const u8 *push;
	u32 push_len;
};

/*
 * What verifying a frame found, kept until the frame's turn to be taken
 * (crypt.c, crypt_queue.c).
 */
struct ockam_frame_verified {
	/* The generation of the keys it was verified under. */
	u32 keys_gen;
	/* It restarted the window, and so was taken when it verified. */
	bool taken;
	/* ...with no higher counter before it. */
	bool newest;
};

/*
 * What a frame the channel refused for @err counts as: on the channel and
 * on its node, and not reported to whoever sent it, who is not who the
 * channel trusts.
 */
static inline enum ockam_stat ockam_channel_refused_stat(int err)
{
	switch (err) {
	case -EALREADY:
		return OCKAM_STAT_DROP_REPLAY;
	case -EKEYREJECTED:
		return OCKAM_STAT_DROP_AUTH;
	case -EBADMSG:
		return OCKAM_STAT_DROP_BAD_FRAME;
	case -ENETDOWN:
		return OCKAM_STAT_DROP_CHANNEL_DOWN;
	default:
		return OCKAM_STAT_DROP_BUFFER_FULL;
	}
}

enum ockam_channel_encrypt_flags {
	/* The message came from another node. */
	OCKAM_ENCRYPT_F_ARRIVED = 1 << 0,
	/* This context hands on what a channel opened or sealed: the frame
	 * goes to a worker, never sealed and handed on here, so that channels
	 * inside channels never recurse.
	 */
	OCKAM_ENCRYPT_F_NESTED = 1 << 1,
	/* This context is sending on a frame another channel sealed for it
	 * (OCKAM_SEAL_HERE): this one takes its place on the list.
	 */
	OCKAM_ENCRYPT_F_BEHIND = 1 << 2,
};

enum {
	/* ockam_channel_encrypt(): the frame leaves later, in its turn. */
	OCKAM_CHANNEL_QUEUED = 1,
};

/* crypt.c: the data path */
int ockam_channel_encrypt(struct ockam_channel *ch, struct sk_buff **pskb,
			  struct ockam_msg_view *msg, unsigned int flags);
int ockam_channel_seal_body(struct sk_buff *skb, u32 body_off, u32 body_len,
			    const u8 *key);
int ockam_channel_decrypt(struct ockam_channel *ch, struct sk_buff **pskb,
			  struct ockam_msg_view *msg,
			  const struct ockam_channel_from *from);
int ockam_channel_open_verify(struct ockam_channel *ch, struct sk_buff *in,
			      const struct ockam_msg_view *msg,
			      struct sk_buff **out,
			      struct ockam_frame_verified *v);
int ockam_channel_open_take(struct ockam_channel *ch, struct sk_buff *in,
			    struct sk_buff *plain, struct ockam_msg_view *msg,
			    const struct ockam_channel_from *from,
			    const struct ockam_frame_verified *v,
			    struct sk_buff **out);
int ockam_channel_send_close(struct ockam_channel *ch);
int ockam_channel_send_keepalive(struct ockam_channel *ch, bool ask);

/* crypt_queue.c: opening on every CPU, in order */
extern struct workqueue_struct *ockam_crypt_wq;
unsigned int ockam_crypt_next_cpu(void);
int ockam_crypt_queue_init(void);
void ockam_crypt_queue_uninit(void);
void ockam_channel_open_queued(struct ockam_channel *ch, struct sk_buff *skb,
			       struct ockam_tcp *from, bool pushed,
			       bool nested);
void ockam_channel_open_node_exit(struct ockam_node *node);

/* seal_queue.c: sealing on every CPU, leaving in counter order */
int ockam_seal_queue_init(void);
void ockam_seal_queue_uninit(void);
/* What becomes of a frame that took its counter. */
enum ockam_seal_how {
	/*
	 * Nothing waits before it: sealed and sent on by the caller, which
	 * then calls ockam_seal_sent_here(); until then, the frames after it
	 * wait.
	 */
	OCKAM_SEAL_HERE,
	/* In the channel's order: sealed by the caller, then settled. */
	OCKAM_SEAL_LISTED,
	/* In the channel's order and on a worker: the queue owns it. */
	OCKAM_SEAL_DELEGATED,
};

int ockam_seal_enqueue(struct ockam_channel *ch, struct sk_buff *frame,
		       const u8 *key, u32 body_off, unsigned int flags);
void ockam_seal_settle(struct ockam_channel *ch, struct sk_buff *frame,
		       int err);
void ockam_seal_sent_here(struct ockam_channel *ch);

/* channel_path.c: the route to the peer */
struct ockam_channel_path *ockam_channel_path_alloc(const u8 *addrs, u32 len,
						    u32 hops, gfp_t gfp);
void ockam_channel_path_free(struct ockam_channel *ch);
void ockam_channel_path_swap(struct ockam_channel *ch,
			     struct ockam_channel_path *path);
struct ockam_channel *ockam_channel_find(struct ockam_node *node,
					 const u8 *name, u32 len);
int ockam_channel_set_route(struct ockam_node *node, const u8 *name,
			    u32 name_len, const u8 *route, u32 route_len,
			    struct netlink_ext_ack *extack);
void ockam_channel_follow(struct ockam_channel *ch,
			  const struct ockam_channel_from *from,
			  const struct ockam_route_view *ret, bool whole);
bool ockam_channel_route_starts_with(struct ockam_channel *ch,
				     const struct ockam_tcp *t);
int ockam_channel_route_parse(const u8 *route, u32 len,
			      struct ockam_route_view *rt,
			      struct netlink_ext_ack *extack);

/* liveness.c: states, keepalives, giving up */
void ockam_channel_live_init(struct ockam_channel *ch);
void ockam_channel_heard(struct ockam_channel *ch);
void ockam_channel_sent(struct ockam_channel *ch);
void ockam_channel_change(struct ockam_channel *ch,
			  enum ockam_channel_state to,
			  enum ockam_channel_state_reason why);
void ockam_channel_keepalive(struct ockam_channel *ch, bool ask);
void ockam_channel_keepalive_received(struct ockam_channel *ch,
				      struct sk_buff *skb,
				      const struct ockam_msg_view *msg);
void ockam_channel_transport_down(struct ockam_node *node,
				  const struct ockam_tcp *t);
void ockam_liveness_node_init(struct ockam_node *node);
void ockam_liveness_kick(struct ockam_node *node);
void ockam_liveness_settings_changed(struct ockam_node *node);
void ockam_liveness_portals(struct ockam_node *node);
void ockam_liveness_node_exit(struct ockam_node *node);
void ockam_channel_keys_init(struct ockam_channel *ch, const u8 *tx_key,
			     const u8 *rx_key, u64 tx_counter);
void ockam_channel_keys_wipe(struct ockam_channel *ch);
void ockam_channel_keys_reset(struct ockam_channel *ch, const u8 *tx_key,
			      const u8 *rx_key);

#endif /* _OCKAM_CHANNEL_H */
