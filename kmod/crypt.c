// SPDX-License-Identifier: GPL-2.0
/*
 * The secure channel data path: sealing a message into a data frame and
 * opening one, with the key ratchet and the replay window. Runs in any
 * context, in the routing step, under RCU.
 *
 *   frame     = u64be counter, ciphertext, tag
 *   plaintext = u8 type, body (an encoded message for PAYLOAD)
 *
 * The sender takes its counter and key under a lock and encrypts outside
 * it, so senders on several CPUs encrypt in parallel. The receiver checks
 * the counter, decrypts, and only then takes the counter into the window:
 * a forged frame never moves it. Opening is two steps, verifying and
 * taking, so that frames opened on several CPUs at once are verified in
 * parallel and taken in the order they came (crypt_queue.c).
 */
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "channel.h"
#include "frame.h"
#include "route.h"
#include "socket.h"

enum {
	/* Scatterlist entries kept on the stack; more are allocated. */
	OCKAM_SG_STACK = 8,
	/*
	 * A frame at most this far ahead of the window may restart it, one
	 * every OCKAM_RX_LEAP_MS at most: checking it costs a REKEY per
	 * epoch it is ahead (up to 1024), before its tag is known to be
	 * good.
	 */
	OCKAM_RX_LEAP_MAX = 1 << 15,
	OCKAM_RX_LEAP_MS = 1000,
	/*
	 * How far the window may trail the frames being opened, at most:
	 * see ockam_rx_in_reach().
	 */
	OCKAM_RX_TRAIL_MAX = 4 * OCKAM_REPLAY_WINDOW,
};

/* A scatterlist that fits @skb, or NULL. */
static struct scatterlist *ockam_sg_alloc(struct sk_buff *skb,
					  struct scatterlist *stack)
{
	u32 n = 1 + skb_shinfo(skb)->nr_frags;
	struct sk_buff *frag;

	skb_walk_frags(skb, frag)
		n += 1 + skb_shinfo(frag)->nr_frags;
	if (n <= OCKAM_SG_STACK) {
		sg_init_table(stack, n);
		return stack;
	}
	stack = kmalloc_array(n, sizeof(*stack), GFP_ATOMIC);
	if (stack)
		sg_init_table(stack, n);
	return stack;
}

static void ockam_sg_free(struct scatterlist *sg, struct scatterlist *stack)
{
	if (sg != stack)
		kfree(sg);
}

/* Successes count on the channel and on its node. */
static void ockam_channel_count(struct ockam_channel *ch, enum ockam_stat msgs,
				enum ockam_stat bytes, u32 len)
{
	ockam_stats_inc(ch->stats, msgs);
	ockam_stats_add(ch->stats, bytes, len);
	ockam_stats_inc(ch->node->stats, msgs);
	ockam_stats_add(ch->node->stats, bytes, len);
}

/* ------------------------------------------------------------ keys */

void ockam_channel_keys_init(struct ockam_channel *ch, const u8 *tx_key,
			     const u8 *rx_key, u64 tx_counter)
{
	spin_lock_init(&ch->tx.lock);
	memcpy(ch->tx.key, tx_key, OCKAM_KEY_LEN);
	ch->tx.counter = tx_counter;

	spin_lock_init(&ch->rx.lock);
	ockam_replay_init(&ch->rx.replay);
	ockam_ratchet_init(&ch->rx.ratchet, rx_key);
	ch->rx.leap_after = jiffies;
}

void ockam_channel_keys_wipe(struct ockam_channel *ch)
{
	memzero_explicit(ch->tx.key, sizeof(ch->tx.key));
	ockam_ratchet_wipe(&ch->rx.ratchet);
}

/*
 * A new handshake's keys for a live channel: both directions start over
 * at counter 0 under their new key (so no nonce repeats), the old keys
 * are wiped, and the window forgets the old counters.
 */
void ockam_channel_keys_reset(struct ockam_channel *ch, const u8 *tx_key,
			      const u8 *rx_key)
{
	spin_lock_bh(&ch->tx.lock);
	memcpy(ch->tx.key, tx_key, OCKAM_KEY_LEN);
	ch->tx.counter = 0;
	spin_unlock_bh(&ch->tx.lock);

	spin_lock_bh(&ch->rx.lock);
	ockam_ratchet_wipe(&ch->rx.ratchet);
	ockam_replay_init(&ch->rx.replay);
	ockam_ratchet_init(&ch->rx.ratchet, rx_key);
	ch->rx.keys_gen++;
	spin_unlock_bh(&ch->rx.lock);
}

/*
 * The key and counter for the next frame, @frame, laid out but for its
 * counter, whose body starts @body_off bytes in. The counter is written
 * into the frame here, and the frame takes its place in the order frames
 * leave when it must (seal_queue.c), all under the lock: frames of one
 * channel leave in counter order. Returns how the frame goes on
 * (enum ockam_seal_how), or an errno. The key moves on (REKEY) as soon
 * as its last message has its copy: the old key is overwritten at once
 * rather than when the next message comes, however late that is.
 */
static int ockam_tx_next(struct ockam_channel *ch, struct sk_buff *frame,
			 u32 body_off, unsigned int flags, u8 *key)
{
	struct ockam_channel_tx *tx = &ch->tx;
	u8 head[OCKAM_COUNTER_LEN];
	int how;

	spin_lock_bh(&tx->lock);
	if (tx->counter >= OCKAM_COUNTER_LIMIT) {
		how = -EKEYEXPIRED;
		goto out;
	}
	ockam_frame_put_counter(head, tx->counter);
	how = skb_store_bits(frame, body_off - OCKAM_COUNTER_LEN, head,
			     sizeof(head));
	if (!how)
		how = ockam_seal_enqueue(ch, frame, tx->key, body_off, flags);
	if (how < 0)
		goto out;
	if (how != OCKAM_SEAL_DELEGATED)
		memcpy(key, tx->key, OCKAM_KEY_LEN);
	if (ockam_epoch_ends(tx->counter))
		ockam_cipher_rekey(tx->key);
	tx->counter++;
out:
	spin_unlock_bh(&tx->lock);
	return how;
}

static int ockam_replay_errno(enum ockam_replay_verdict verdict)
{
	return verdict == OCKAM_REPLAY_OK ? 0 : -EALREADY;
}

/* What opening a frame takes from the window and keeps until it commits. */
struct ockam_rx_ticket {
	u8 key[OCKAM_KEY_LEN];
	/* The frame is further ahead than the window: see ockam_rx_leaps(). */
	bool leap;
	u32 keys_gen;
};

/*
 * May the frame of @counter, further ahead than the window reaches, be
 * checked, and restart the window there if its tag verifies? Refusing it
 * for good would end the channel, since every frame after it is further
 * ahead still: that happens when more than a window of frames in a row
 * is lost (over UDP), or refused while the frames before them were still
 * being opened on another CPU. Checking one costs a REKEY per epoch it is
 * ahead, so a frame further than OCKAM_RX_LEAP_MAX never is, and one
 * frame per OCKAM_RX_LEAP_MS at most, forged or not.
 */
static bool ockam_rx_leaps(struct ockam_channel_rx *rx, u64 counter)
{
	lockdep_assert_held(&rx->lock);
	if (counter >= OCKAM_COUNTER_LIMIT ||
	    counter - rx->replay.next >= OCKAM_RX_LEAP_MAX ||
	    time_before(jiffies, rx->leap_after))
		return false;
	rx->leap_after = jiffies + msecs_to_jiffies(OCKAM_RX_LEAP_MS);
	return true;
}

/*
 * Is the frame of @counter, further ahead than the window reaches, only
 * ahead of frames still being opened? A frame's counter is taken in its
 * turn, after every frame that came before it, so the window trails the
 * frames on the opening list by as many as are on it (up to
 * OCKAM_RX_TRAIL_MAX): such a frame is checked with its key, as one
 * inside the window is, and taken or refused in its turn.
 */
static bool ockam_rx_in_reach(const struct ockam_channel_rx *rx, u64 counter)
{
	u32 trail = min_t(u32, rx->opening_frames, OCKAM_RX_TRAIL_MAX);

	lockdep_assert_held(&rx->lock);
	return counter < OCKAM_COUNTER_LIMIT &&
	       counter - rx->replay.next < OCKAM_REPLAY_WINDOW + trail;
}

/* A frame's key, if its counter may be accepted. */
static int ockam_rx_begin(struct ockam_channel_rx *rx, u64 counter,
			  struct ockam_rx_ticket *t)
{
	u64 epoch = counter / OCKAM_REKEY_INTERVAL;
	enum ockam_replay_verdict verdict;
	struct ockam_ratchet from;
	int err = 0;

	spin_lock_bh(&rx->lock);
	verdict = ockam_replay_check(&rx->replay, counter);
	if (verdict == OCKAM_REPLAY_TOO_NEW && ockam_rx_in_reach(rx, counter))
		verdict = OCKAM_REPLAY_OK;
	t->leap = verdict == OCKAM_REPLAY_TOO_NEW &&
		  ockam_rx_leaps(rx, counter);
	t->keys_gen = rx->keys_gen;
	if (t->leap) {
		from.hi = rx->ratchet.hi;
		memcpy(from.hi_key, rx->ratchet.hi_key, OCKAM_KEY_LEN);
	} else {
		err = ockam_replay_errno(verdict);
		if (!err)
			err = ockam_ratchet_key(&rx->ratchet, epoch, t->key);
	}
	spin_unlock_bh(&rx->lock);
	/* Up to a thousand REKEYs: not under the lock. */
	if (t->leap) {
		ockam_ratchet_peek(&from, epoch, t->key);
		memzero_explicit(from.hi_key, OCKAM_KEY_LEN);
	}
	return err;
}

/*
 * The frame verified: accept its counter, unless another copy won, and
 * let the keys follow the window. @newest: no higher counter came before.
 */
static int ockam_rx_commit(struct ockam_channel_rx *rx, u64 counter,
			   const struct ockam_rx_ticket *t, bool *newest)
{
	enum ockam_replay_verdict verdict;
	int err;

	spin_lock_bh(&rx->lock);
	*newest = counter >= rx->replay.next;
	verdict = ockam_replay_check(&rx->replay, counter);
	if (verdict == OCKAM_REPLAY_TOO_NEW && t->leap &&
	    t->keys_gen == rx->keys_gen) {
		ockam_replay_leap(&rx->replay, counter);
		ockam_ratchet_leap(&rx->ratchet, counter / OCKAM_REKEY_INTERVAL,
				   t->key);
		verdict = OCKAM_REPLAY_OK;
	} else {
		verdict = ockam_replay_commit(&rx->replay, counter);
	}
	err = ockam_replay_errno(verdict);
	if (!err)
		ockam_ratchet_commit(&rx->ratchet, counter, rx->replay.next);
	spin_unlock_bh(&rx->lock);
	return err;
}

/*
 * The frame of @counter, verified under the keys of generation @keys_gen,
 * in its turn: take its counter unless it was taken before, fell behind
 * the window or came under keys a new handshake replaced. One further
 * ahead than the window (more than a window of frames before it were
 * lost) restarts the window there: it verified, and every counter the
 * restart forgets is one the window never took. @newest: no higher
 * counter came before.
 */
static int ockam_rx_take(struct ockam_channel_rx *rx, u64 counter,
			 u32 keys_gen, bool *newest)
{
	enum ockam_replay_verdict verdict = OCKAM_REPLAY_TOO_OLD;

	spin_lock_bh(&rx->lock);
	*newest = counter >= rx->replay.next;
	if (keys_gen != rx->keys_gen)
		goto out;
	verdict = ockam_replay_check(&rx->replay, counter);
	if (verdict == OCKAM_REPLAY_TOO_NEW) {
		ockam_replay_leap(&rx->replay, counter);
		verdict = OCKAM_REPLAY_OK;
	} else {
		verdict = ockam_replay_commit(&rx->replay, counter);
	}
	if (verdict == OCKAM_REPLAY_OK)
		ockam_ratchet_commit(&rx->ratchet, counter, rx->replay.next);
out:
	spin_unlock_bh(&rx->lock);
	return ockam_replay_errno(verdict);
}

/* ---------------------------------------------------------- sealing */

/*
 * Encrypt the @body_len bytes (type byte and body) at @body_off in
 * @frame, where they are, behind the counter the frame carries; the tag
 * goes into the OCKAM_TAG_LEN bytes after them. Any context.
 */
int ockam_channel_seal_body(struct sk_buff *frame, u32 body_off, u32 body_len,
			    const u8 *key)
{
	struct scatterlist stack[OCKAM_SG_STACK], *sg;
	u8 head[OCKAM_COUNTER_LEN];
	u64 counter;
	int err;

	err = skb_copy_bits(frame, body_off - OCKAM_COUNTER_LEN, head,
			    sizeof(head));
	if (err)
		return err;
	ockam_frame_counter(head, OCKAM_FRAME_OVERHEAD, &counter);
	sg = ockam_sg_alloc(frame, stack);
	if (!sg)
		return -ENOMEM;
	err = skb_to_sgvec(frame, sg, body_off, body_len + OCKAM_TAG_LEN);
	if (err > 0)
		err = ockam_cipher_seal(key, counter, sg, body_len);
	ockam_sg_free(sg, stack);
	return err < 0 ? err : 0;
}

/* The channel's route as the onward route of its frames; under RCU. */
static void ockam_channel_onward(struct ockam_channel *ch,
				 struct ockam_route_parts *onward)
{
	const struct ockam_channel_path *path = rcu_dereference(ch->path);

	*onward = (struct ockam_route_parts){
		.tail = path->addrs,
		.tail_len = path->len,
		.tail_hops = path->hops,
	};
}

/*
 * Seal @frame, laid out but for its counter and tag, whose @body_len
 * bytes of type and body start @body_off bytes in: here, or on a worker
 * (seal_queue.c). Returns 0 when it is sealed and the caller sends it on,
 * then calls ockam_seal_sent_here(); OCKAM_CHANNEL_QUEUED when it leaves
 * later in its turn (the queue owns it); or an errno: before a counter
 * was taken, with @frame as it was; -ENOMEM after, with @frame half
 * sealed.
 */
static int ockam_seal_frame(struct ockam_channel *ch, struct sk_buff *frame,
			    u32 body_off, u32 body_len, unsigned int flags)
{
	u8 key[OCKAM_KEY_LEN];
	int how, err;

	how = ockam_tx_next(ch, frame, body_off, flags, key);
	if (how < 0 || how == OCKAM_SEAL_DELEGATED)
		return how < 0 ? how : OCKAM_CHANNEL_QUEUED;
	err = ockam_channel_seal_body(frame, body_off, body_len, key);
	memzero_explicit(key, sizeof(key));
	if (err)
		err = -ENOMEM;
	if (how == OCKAM_SEAL_HERE) {
		/* Dropped: it no longer holds up the frames after it. */
		if (err)
			ockam_seal_sent_here(ch);
		return err;
	}
	ockam_seal_settle(ch, frame, err);
	return OCKAM_CHANNEL_QUEUED;
}

/*
 * A data frame of @type whose body is @in (NULL: empty), as a message
 * along the channel's route with the return route @back (NULL: empty),
 * in a new buffer charged to whoever sent @in: sealed, as
 * ockam_seal_frame() returns it in @*how, or NULL for an errno in @*how.
 * Consumes nothing. Under RCU.
 */
static struct sk_buff *ockam_seal_copy(struct ockam_channel *ch, u8 type,
				       struct sk_buff *in,
				       const struct ockam_route_parts *back,
				       unsigned int flags, int *how)
{
	struct ockam_route_parts onward, ret = back ? *back :
					(struct ockam_route_parts){};
	u32 len = in ? in->len : 0, frame = OCKAM_FRAME_OVERHEAD + len;
	struct sk_buff *out;
	u32 header_len;
	int err;

	ockam_channel_onward(ch, &onward);
	header_len = ockam_header_len(&onward, &ret, frame);
	if (header_len + frame > READ_ONCE(ch->node->max_message)) {
		*how = -EMSGSIZE;
		return NULL;
	}
	out = ockam_msg_alloc_atomic(header_len + OCKAM_TCP_FRAME_LEN, frame,
				     &err);
	if (!out)
		goto err;
	if (in)
		ockam_socket_charge(out, in);
	err = skb_store_bits(out, OCKAM_FRAME_TYPE_OFF, &type, 1);
	if (!err && in)
		err = ockam_msg_copy(out, OCKAM_FRAME_TYPE_OFF + 1, in, 0, len);
	if (err)
		goto err_free;
	ockam_header_encode(__skb_push(out, header_len), &onward, &ret, frame);

	err = ockam_seal_frame(ch, out, header_len + OCKAM_FRAME_TYPE_OFF,
			       1 + len, flags);
	if (err < 0)
		goto err_free;
	*how = err;
	return out;

err_free:
	kfree_skb(out);
err:
	*how = err;
	return NULL;
}

/*
 * Room for the tag behind @skb's data, inside memory it already owns: the
 * linear tail, or the rest of the page its last fragment sits in. Only for
 * a private message (ockam_msg_private()): a fragment of a message that
 * came in over TCP shares its page with the receive queue and with the
 * next frames of the same segment.
 */
static bool ockam_seal_tail_room(struct sk_buff *skb)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);
	struct page *page, *head;
	skb_frag_t *frag;
	size_t end;

	if (!skb_is_nonlinear(skb)) {
		if (skb_tailroom(skb) < OCKAM_TAG_LEN)
			return false;
		__skb_put(skb, OCKAM_TAG_LEN);
		return true;
	}
	if (skb_has_frag_list(skb) || !shinfo->nr_frags)
		return false;
	frag = &shinfo->frags[shinfo->nr_frags - 1];
	page = skb_frag_page(frag);
	head = compound_head(page);
	end = (page - head) * PAGE_SIZE + skb_frag_off(frag) +
	      skb_frag_size(frag);
	if (end + OCKAM_TAG_LEN > page_size(head))
		return false;
	skb_frag_size_add(frag, OCKAM_TAG_LEN);
	skb->len += OCKAM_TAG_LEN;
	skb->data_len += OCKAM_TAG_LEN;
	return true;
}

/*
 * Seal @skb where it is, when it is ours alone (ockam_msg_private()) and
 * has the room (a local sender's message does: see OCKAM_SEAL_HEADROOM):
 * no new buffer, no copy. Returns as ockam_seal_frame(), or -EAGAIN,
 * with @skb as it was, when it cannot be done here. Under RCU.
 */
static int ockam_seal_in_place(struct ockam_channel *ch, struct sk_buff *skb,
			       unsigned int flags)
{
	u32 len = skb->len, frame = OCKAM_FRAME_OVERHEAD + len;
	struct ockam_route_parts onward, ret = {};
	u32 header_len;
	int err;

	ockam_channel_onward(ch, &onward);
	header_len = ockam_header_len(&onward, &ret, frame);
	if (header_len + frame > READ_ONCE(ch->node->max_message))
		return -EMSGSIZE;
	if (!ockam_msg_private(skb) ||
	    skb_headroom(skb) < header_len + OCKAM_COUNTER_LEN + 1 +
				OCKAM_TCP_FRAME_LEN ||
	    !ockam_seal_tail_room(skb))
		return -EAGAIN;

	*(u8 *)__skb_push(skb, 1) = OCKAM_CHANNEL_MSG_PAYLOAD;
	__skb_push(skb, OCKAM_COUNTER_LEN);
	ockam_header_encode(__skb_push(skb, header_len), &onward, &ret, frame);
	err = ockam_seal_frame(ch, skb, header_len + OCKAM_FRAME_TYPE_OFF,
			       1 + len, flags);
	/* No counter taken: as it was, for the copy or the caller. */
	if (err < 0 && err != -ENOMEM) {
		__skb_pull(skb, header_len + OCKAM_FRAME_TYPE_OFF + 1);
		pskb_trim(skb, len);
	}
	return err;
}

static enum ockam_stat ockam_seal_drop_stat(int err)
{
	switch (err) {
	case -EKEYEXPIRED:
		return OCKAM_STAT_DROP_KEY_EXPIRED;
	case -EMSGSIZE:
		return OCKAM_STAT_DROP_TOO_BIG;
	case -ENETDOWN:
	case -EHOSTUNREACH:
		return OCKAM_STAT_DROP_CHANNEL_DOWN;
	default:
		return OCKAM_STAT_DROP_BUFFER_FULL;
	}
}

/*
 * The encryptor's step. @*pskb is a message whose onward route no longer
 * holds the encryptor; it becomes the payload of a data frame, in place
 * or in a new buffer. @flags: enum ockam_channel_encrypt_flags. Returns 0
 * with @*pskb the frame and @msg describing it, to be sent on by the
 * caller, which then calls ockam_seal_sent_here(); OCKAM_CHANNEL_QUEUED
 * when the frame leaves later, in its turn (seal_queue.c), @*pskb
 * consumed; or an errno, with @*pskb untouched unless it was -ENOMEM.
 */
int ockam_channel_encrypt(struct ockam_channel *ch, struct sk_buff **pskb,
			  struct ockam_msg_view *msg, unsigned int flags)
{
	struct sk_buff *in = *pskb, *out = NULL;
	u32 len = in->len;
	int err;

	/* It gave up: say so, rather than send into a route that failed. */
	if (READ_ONCE(ch->live.state) == OCKAM_CHANNEL_DOWN)
		return -ENETDOWN;
	rcu_read_lock();
	err = ockam_seal_in_place(ch, in, flags);
	if (err == -EAGAIN)
		out = ockam_seal_copy(ch, OCKAM_CHANNEL_MSG_PAYLOAD, in, NULL,
				      flags, &err);
	rcu_read_unlock();
	if (err < 0) {
		ockam_stats_inc(ch->stats, ockam_seal_drop_stat(err));
		return err;
	}
	if (out) {
		consume_skb(in);
		*pskb = out;
	}
	ockam_channel_sent(ch);
	ockam_channel_count(ch, OCKAM_STAT_ENCRYPTED, OCKAM_STAT_ENCRYPTED_BYTES,
			    len);
	if (err == OCKAM_CHANNEL_QUEUED) {
		*pskb = NULL;
		return err;
	}
	err = ockam_msg_decode((*pskb)->data, skb_headlen(*pskb),
			       (*pskb)->len, msg);
	/* The caller drops it: nothing waits for it to be sent on. */
	if (err)
		ockam_seal_sent_here(ch);
	return err;
}

/*
 * A frame of @type with the body @in and the return route @back (see
 * ockam_seal_copy()), sent along the channel's route, in its turn.
 */
static int ockam_channel_send(struct ockam_channel *ch, u8 type,
			      struct sk_buff *in,
			      const struct ockam_route_parts *back)
{
	struct sk_buff *out;
	int how;

	rcu_read_lock();
	out = ockam_seal_copy(ch, type, in, back, 0, &how);
	rcu_read_unlock();
	if (!out)
		return how;
	if (how != OCKAM_CHANNEL_QUEUED) {
		ockam_route_skb(ch->node, out, NULL, 0);
		ockam_seal_sent_here(ch);
	}
	return 0;
}

/* The goodbye a channel sends when it closes. */
int ockam_channel_send_close(struct ockam_channel *ch)
{
	return ockam_channel_send(ch, OCKAM_CHANNEL_MSG_CLOSE, NULL, NULL);
}

/*
 * A keepalive (see liveness.c): a PAYLOAD frame of a message with empty
 * routes, whose payload asks for an answer when @ask. A frame that asks
 * carries our decryptor's address as its return route, so that what
 * reaches the peer is a whole route back to us (route mobility).
 */
int ockam_channel_send_keepalive(struct ockam_channel *ch, bool ask)
{
	static const u8 ask_byte = OCKAM_KEEPALIVE_ASK;
	struct ockam_route_parts none = {}, back = {};
	u8 inner[8], self[OCKAM_ADDR_ENCODED_MAX];
	struct sk_buff *in;
	u32 len;
	int err;

	if (ask) {
		back.head = self;
		back.head_len = ockam_endpoint_encode(&ch->decryptor, self);
		back.head_hops = 1;
	}

	len = ockam_header_encode(inner, &none, &none, ask);
	if (ask)
		inner[len++] = ask_byte;
	in = ockam_msg_alloc_atomic(0, len, &err);
	if (!in)
		return err;
	err = skb_store_bits(in, 0, inner, len);
	if (!err)
		err = ockam_channel_send(ch, OCKAM_CHANNEL_MSG_PAYLOAD, in,
					 &back);
	kfree_skb(in);
	return err;
}

/* ---------------------------------------------------------- opening */

/* Decrypt the @len bytes (tag included) at @off in @skb, where they are. */
static int ockam_open_at(struct sk_buff *skb, u32 off, u32 len, const u8 *key,
			 u64 counter)
{
	struct scatterlist stack[OCKAM_SG_STACK], *sg;
	int err;

	sg = ockam_sg_alloc(skb, stack);
	if (!sg)
		return -ENOMEM;
	err = skb_to_sgvec(skb, sg, off, len);
	if (err > 0)
		err = ockam_cipher_open(key, counter, sg, len);
	ockam_sg_free(sg, stack);
	return err < 0 ? err : 0;
}

/*
 * Where the plaintext of the @len bytes at @off in @in will be: @in itself
 * when it is ours alone (a frame that never left the node), otherwise a
 * copy, since a frame that came in over TCP shares its pages with the
 * receive queue, the frames behind it and, over a veth or loopback, the
 * sender's retransmit queue. @*off is where the bytes are in what it
 * returns.
 */
static struct sk_buff *ockam_open_buffer(struct ockam_channel *ch,
					 struct sk_buff *in, u32 *off, u32 len,
					 int *err)
{
	struct sk_buff *out;

	if (ockam_msg_private(in))
		return in;
	/* Room for the encryptor's address on the inner return route. */
	out = ockam_msg_alloc_atomic(OCKAM_CHANNEL_SELF_LEN + OCKAM_ULEB_MAX +
				     OCKAM_TCP_FRAME_LEN, len, err);
	if (!out)
		return NULL;
	*err = ockam_msg_copy(out, 0, in, *off, len);
	if (*err) {
		kfree_skb(out);
		return NULL;
	}
	*off = 0;
	return out;
}

/*
 * Is the decrypted frame at @off (@len bytes, tag included) a keepalive
 * that asks for an answer (see liveness.c)? Its plaintext is exactly a
 * PAYLOAD of the message with empty routes and the one byte "ask".
 */
static bool ockam_frame_asks(struct sk_buff *skb, u32 off, u32 len)
{
	static const u8 ask[] = {
		OCKAM_CHANNEL_MSG_PAYLOAD, OCKAM_MESSAGE_VERSION, 0, 0, 1,
		OCKAM_KEEPALIVE_ASK,
	};
	u8 plain[sizeof(ask)];

	return len == sizeof(ask) + OCKAM_TAG_LEN &&
	       !skb_copy_bits(skb, off, plain, sizeof(plain)) &&
	       !memcmp(plain, ask, sizeof(ask));
}

/* The counter of the frame in @in and the length of what follows it. */
static int ockam_open_counter(struct sk_buff *in,
			      const struct ockam_msg_view *msg, u64 *counter)
{
	u8 head[OCKAM_COUNTER_LEN];

	if (msg->payload_len < sizeof(head) ||
	    skb_copy_bits(in, msg->header_len, head, sizeof(head)))
		return -EBADMSG;
	return ockam_frame_counter(head, msg->payload_len, counter) < 0 ?
	       -EBADMSG : msg->payload_len - OCKAM_COUNTER_LEN;
}

/*
 * Verify and decrypt the frame in @in. The plaintext, tag behind, is in
 * @in itself, where the ciphertext was, or in a new message of its own
 * (see ockam_open_buffer()); @in's header and counter stay as they were.
 * On an error after decrypting in place, @in holds garbage and is only
 * fit to be dropped. A frame that restarts the window (ockam_rx_leaps())
 * is taken here, with the key it was checked under; any other is taken in
 * its turn by ockam_open_take(). Under RCU.
 */
static struct sk_buff *ockam_open_verify(struct ockam_channel *ch,
					 struct sk_buff *in,
					 const struct ockam_msg_view *msg,
					 struct ockam_frame_verified *v,
					 int *err)
{
	u32 off = msg->header_len + OCKAM_COUNTER_LEN;
	struct ockam_rx_ticket ticket;
	struct sk_buff *out;
	bool newest = false;
	u64 counter;
	int len;

	*v = (struct ockam_frame_verified){};
	len = ockam_open_counter(in, msg, &counter);
	*err = len < 0 ? len : ockam_rx_begin(&ch->rx, counter, &ticket);
	if (*err)
		return NULL;
	v->keys_gen = ticket.keys_gen;
	out = ockam_open_buffer(ch, in, &off, len, err);
	if (out) {
		*err = ockam_open_at(out, off, len, ticket.key, counter);
		if (*err == -EBADMSG)
			*err = -EKEYREJECTED;
		if (!*err && ticket.leap) {
			*err = ockam_rx_commit(&ch->rx, counter, &ticket,
					       &newest);
			v->taken = true;
			v->newest = newest;
		}
	}
	memzero_explicit(ticket.key, sizeof(ticket.key));
	if (!*err)
		return out;
	if (out && out != in)
		kfree_skb(out);
	return NULL;
}

/*
 * The verified frame @in, its plaintext in @out, which came from @from:
 * take its counter, unless verifying did, and strip @out down to the
 * plaintext. Consumes @out on an error. Under RCU.
 */
static int ockam_open_take(struct ockam_channel *ch, struct sk_buff *in,
			   struct sk_buff *out,
			   const struct ockam_msg_view *msg,
			   const struct ockam_channel_from *from,
			   const struct ockam_frame_verified *v)
{
	u32 off = out == in ? msg->header_len + OCKAM_COUNTER_LEN : 0;
	bool newest = v->newest;
	u64 counter;
	int len, err;

	len = ockam_open_counter(in, msg, &counter);
	err = len < 0 ? len : 0;
	if (!err && !v->taken)
		err = ockam_rx_take(&ch->rx, counter, v->keys_gen, &newest);
	if (err)
		goto err_free;
	/* Authentic: the peer is there, and the outer header still intact. */
	ockam_channel_heard(ch);
	if (newest)
		ockam_channel_follow(ch, from, &msg->ret,
				     ockam_frame_asks(out, off, len));
	/* The frame's header and counter before, the tag behind. */
	err = ockam_msg_trim_head(out, off);
	if (!err)
		err = pskb_trim(out, len - OCKAM_TAG_LEN);
	if (!err)
		return 0;

err_free:
	if (out != in)
		kfree_skb(out);
	return err;
}

/*
 * The plaintext in @skb, taken: what it carries. Returns as
 * ockam_channel_open(); consumes @skb (unless it is @in) on an error.
 */
static int ockam_open_inner(struct ockam_channel *ch, struct sk_buff *in,
			    struct sk_buff *skb, struct ockam_msg_view *msg,
			    struct sk_buff **out)
{
	u8 type;
	int err = -EBADMSG;

	if (skb_copy_bits(skb, 0, &type, 1) || ockam_msg_trim_head(skb, 1) ||
	    ockam_frame_check_type(type, skb->len))
		goto drop;

	switch (type) {
	case OCKAM_CHANNEL_MSG_CLOSE:
		*out = skb;
		ockam_channel_peer_closed(ch);
		return 1;
	case OCKAM_CHANNEL_MSG_PAYLOAD:
		err = ockam_msg_pull(skb, msg);
		if (err)
			goto drop;
		break;
	default:
		goto drop;
	}
	*out = skb;
	ockam_channel_count(ch, OCKAM_STAT_DECRYPTED, OCKAM_STAT_DECRYPTED_BYTES,
			    skb->len);
	return 0;

drop:
	if (skb != in)
		kfree_skb(skb);
	return err == -ENOMEM ? err : -EBADMSG;
}

static int ockam_open_refused(struct ockam_channel *ch, int err)
{
	ockam_stats_inc(ch->stats, ockam_channel_refused_stat(err));
	return err;
}

/*
 * The first step of opening the frame @in (described by @msg): verify and
 * decrypt it into @*out, @in itself or a new buffer, or refuse it with an
 * errno as ockam_channel_open() does. What it found goes to
 * ockam_channel_open_take(), in the frame's turn. Under RCU.
 */
int ockam_channel_open_verify(struct ockam_channel *ch, struct sk_buff *in,
			      const struct ockam_msg_view *msg,
			      struct sk_buff **out,
			      struct ockam_frame_verified *v)
{
	int err;

	*out = ockam_open_verify(ch, in, msg, v, &err);
	return *out ? 0 : ockam_open_refused(ch, err);
}

/*
 * The second: take the verified frame @in, its plaintext in @plain, which
 * came from @from, and see what it carries. Returns and leaves @*out as
 * ockam_channel_open(); @plain is consumed, or is @*out, or is @in.
 * Under RCU.
 */
int ockam_channel_open_take(struct ockam_channel *ch, struct sk_buff *in,
			    struct sk_buff *plain, struct ockam_msg_view *msg,
			    const struct ockam_channel_from *from,
			    const struct ockam_frame_verified *v,
			    struct sk_buff **out)
{
	int err;

	*out = NULL;
	err = ockam_open_take(ch, in, plain, msg, from, v);
	if (!err)
		err = ockam_open_inner(ch, in, plain, msg, out);
	return err < 0 ? ockam_open_refused(ch, err) : err;
}

/*
 * Open the frame @in (described by @msg), both steps at once. Returns 0
 * with @*out the inner message and @msg describing it; 1 when the frame
 * was the peer's goodbye (the channel is closing; @*out is only to be
 * consumed); or an errno with @*out NULL: -EBADMSG (not a frame),
 * -EALREADY (counter seen or outside the window), -EKEYREJECTED (tag did
 * not verify), -ENOMEM. @*out is @in itself or a new buffer; either way
 * @in stays the caller's, its bytes garbled when it was decrypted in
 * place and refused. Under RCU.
 */
static int ockam_channel_open(struct ockam_channel *ch, struct sk_buff *in,
			      struct ockam_msg_view *msg,
			      const struct ockam_channel_from *from,
			      struct sk_buff **out)
{
	struct ockam_frame_verified v;
	struct sk_buff *plain;
	int err;

	*out = NULL;
	err = ockam_channel_open_verify(ch, in, msg, &plain, &v);
	if (err)
		return err;
	return ockam_channel_open_take(ch, in, plain, msg, from, &v, out);
}

/*
 * The decryptor's step, where the routing step stands (see
 * ockam_channel_open()): @*pskb becomes the inner message, or NULL after
 * the peer's goodbye; on an error it is still the caller's to drop.
 */
int ockam_channel_decrypt(struct ockam_channel *ch, struct sk_buff **pskb,
			  struct ockam_msg_view *msg,
			  const struct ockam_channel_from *from)
{
	struct sk_buff *out;
	int err;

	err = ockam_channel_open(ch, *pskb, msg, from, &out);
	if (err < 0)
		return err;
	if (out != *pskb)
		consume_skb(*pskb);
	*pskb = out;
	if (err == 1) {
		consume_skb(out);
		*pskb = NULL;
	}
	return err;
}
