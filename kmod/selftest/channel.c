// SPDX-License-Identifier: GPL-2.0
/*
 * Self-tests for secure channels: Noise REKEY against known answers, the
 * replay window, a data frame sealed and opened (its bytes against a
 * known answer), tampering and replay refused, keys wiped, and a channel
 * that runs out of counters (no netlink request can start one there).
 * The known answers were computed with an independent ChaCha20-Poly1305
 * implementation.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "../channel.h"
#include "selftest.h"

enum { TEST_COUNTER = 33 };

/* k = 00 01 .. 1f; REKEY(k) and REKEY(REKEY(REKEY(k))). */
static const u8 key0[OCKAM_KEY_LEN] __initconst = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

static const u8 key1[OCKAM_KEY_LEN] __initconst = {
	0x50, 0x83, 0x55, 0x43, 0xa2, 0x05, 0xb2, 0x2c,
	0x93, 0x23, 0xf2, 0x02, 0x2b, 0xc4, 0xf6, 0x7d,
	0x83, 0x8f, 0x90, 0xe6, 0x1d, 0x5c, 0xcf, 0x33,
	0xc4, 0x51, 0x3e, 0x01, 0xf8, 0x5b, 0x50, 0x42,
};

static const u8 key3[OCKAM_KEY_LEN] __initconst = {
	0x83, 0xa2, 0x72, 0xa7, 0x0e, 0xc6, 0x74, 0xe1,
	0x61, 0x67, 0xca, 0x92, 0x7f, 0x65, 0x56, 0x22,
	0x5f, 0x00, 0x40, 0x3c, 0xcf, 0x78, 0x42, 0x02,
	0xea, 0x42, 0x1e, 0xec, 0x62, 0x50, 0xd3, 0x59,
};

/* Onward [0#echo], return [], payload "hi". */
static const u8 inner[] __initconst = {
	0x01, 0x01, 0x00, 0x04, 'e', 'c', 'h', 'o', 0x00, 0x02, 'h', 'i',
};

/* Counter 33 (epoch 1, key1): type 0 and @inner, then the tag. */
static const u8 sealed[] __initconst = {
	0x86, 0x8e, 0x69, 0xf2, 0xec, 0x49, 0xbd, 0xce, 0x0e, 0xc5, 0xd3,
	0x75, 0x3e, 0x7c, 0x58, 0xb1, 0x55, 0x59, 0x4b, 0xdc, 0xd4, 0xe6,
	0xe1, 0xdc, 0x0b, 0x7e, 0xf7, 0xb1, 0x8f,
};

static bool __init test_rekey(void)
{
	u8 k[OCKAM_KEY_LEN];
	bool ok;

	memcpy(k, key0, sizeof(k));
	ockam_cipher_rekey(k);
	ok = !memcmp(k, key1, sizeof(k));
	ockam_cipher_rekey(k);
	ockam_cipher_rekey(k);
	ok = ok && !memcmp(k, key3, sizeof(k));
	memzero_explicit(k, sizeof(k));
	return ok;
}

static bool __init test_replay(void)
{
	struct ockam_replay r;
	u64 c;

	ockam_replay_init(&r);
	if (ockam_replay_commit(&r, 5) || ockam_replay_commit(&r, 5) !=
	    OCKAM_REPLAY_DUPLICATE)
		return false;
	/* Behind, inside the window: once each. */
	for (c = 0; c < 5; c++) {
		if (ockam_replay_commit(&r, c) ||
		    ockam_replay_check(&r, c) != OCKAM_REPLAY_DUPLICATE)
			return false;
	}
	if (ockam_replay_check(&r, 6 + OCKAM_REPLAY_WINDOW) !=
	    OCKAM_REPLAY_TOO_NEW ||
	    ockam_replay_commit(&r, 5 + OCKAM_REPLAY_WINDOW))
		return false;
	/* The window moved on: 6 is its back edge, 5 fell out. */
	if (ockam_replay_check(&r, 5) != OCKAM_REPLAY_TOO_OLD ||
	    ockam_replay_check(&r, 6) != OCKAM_REPLAY_OK ||
	    ockam_replay_check(&r, 5 + OCKAM_REPLAY_WINDOW) !=
	    OCKAM_REPLAY_DUPLICATE)
		return false;
	/* Near the end of the counter space. */
	r.next = OCKAM_COUNTER_LIMIT - 1;
	memset(r.seen, 0, sizeof(r.seen));
	return ockam_replay_check(&r, OCKAM_COUNTER_LIMIT) ==
	       OCKAM_REPLAY_TOO_NEW &&
	       !ockam_replay_commit(&r, OCKAM_COUNTER_LIMIT - 1) &&
	       ockam_replay_check(&r, OCKAM_COUNTER_LIMIT - 1) ==
	       OCKAM_REPLAY_DUPLICATE;
}

/* Frames in these tests never leave the node. */
static const struct ockam_channel_from test_local __initconst;

struct test_pair {
	struct ockam_node node;
	struct ockam_channel *a;
	struct ockam_channel *b;
};

static struct ockam_channel *__init test_channel(struct ockam_node *node)
{
	static const u8 route[] __initconst = { 0x00, 0x04, 'p', 'e', 'e', 'r' };
	struct ockam_channel *ch;

	ch = kzalloc(sizeof(*ch), GFP_KERNEL);
	if (!ch)
		return NULL;
	ch->node = node;
	ch->stats = ockam_stats_alloc(OCKAM_STATS_CHANNEL);
	RCU_INIT_POINTER(ch->path, ockam_channel_path_alloc(route,
							    sizeof(route), 1,
							    GFP_KERNEL));
	if (!ch->stats || !rcu_access_pointer(ch->path)) {
		free_percpu(ch->stats);
		ockam_channel_path_free(ch);
		kfree(ch);
		return NULL;
	}
	ockam_channel_live_init(ch);
	return ch;
}

static void __init test_channel_free(struct ockam_channel *ch)
{
	if (!ch)
		return;
	ockam_channel_keys_wipe(ch);
	free_percpu(ch->stats);
	ockam_channel_path_free(ch);
	kfree_sensitive(ch);
}

/*
 * Seal as the encryptor's step does; the frame goes nowhere, so the
 * channel's later frames need not wait for it.
 */
static int __init test_encrypt(struct ockam_channel *a, struct sk_buff **pskb,
			       struct ockam_msg_view *msg)
{
	int err = ockam_channel_encrypt(a, pskb, msg, 0);

	if (!err)
		ockam_seal_sent_here(a);
	return err;
}

/* The sealed frame of @inner from @a, checked against the known answer. */
static struct sk_buff *__init test_seal(struct ockam_channel *a,
					struct ockam_msg_view *msg)
{
	struct sk_buff *skb;
	__be64 counter;
	u8 body[sizeof(sealed)];
	int err;

	skb = ockam_msg_alloc_atomic(64, sizeof(inner), &err);
	if (!skb)
		return NULL;
	err = skb_store_bits(skb, 0, inner, sizeof(inner));
	if (!err)
		err = test_encrypt(a, &skb, msg);
	if (err || msg->payload_len != sizeof(counter) + sizeof(sealed) ||
	    skb_copy_bits(skb, msg->header_len, &counter, sizeof(counter)) ||
	    skb_copy_bits(skb, msg->header_len + sizeof(counter), body,
			  sizeof(body)) ||
	    be64_to_cpu(counter) != TEST_COUNTER ||
	    memcmp(body, sealed, sizeof(body))) {
		kfree_skb(skb);
		return NULL;
	}
	return skb;
}

/*
 * Open a copy of @frame with @b, or with @shared a clone (which must be
 * opened into a new buffer, leaving @frame as it was); 0 only if it
 * yields @inner.
 */
static int __init test_open(struct ockam_channel *b, struct sk_buff *frame,
			    int flip_bit, bool shared)
{
	struct sk_buff *skb = shared ? skb_clone(frame, GFP_KERNEL) :
				       skb_copy(frame, GFP_KERNEL);
	struct ockam_msg_view msg;
	u8 out[sizeof(inner)];
	int err;

	if (!skb)
		return -ENOMEM;
	err = ockam_msg_pull(skb, &msg);
	if (!err && flip_bit >= 0 && !shared) {
		u8 *p = skb->data + msg.header_len + flip_bit / 8;

		*p ^= 1 << (flip_bit % 8);
	}
	if (!err)
		err = ockam_channel_decrypt(b, &skb, &msg, &test_local);
	if (!err && (skb->len != sizeof(inner) ||
		     skb_copy_bits(skb, 0, out, sizeof(out)) ||
		     memcmp(out, inner, sizeof(out))))
		err = -EINVAL;
	kfree_skb(skb);
	return err;
}

/* Is @frame still the known answer's ciphertext? */
static bool __init test_frame_intact(struct sk_buff *frame)
{
	u8 body[sizeof(sealed)];

	return !skb_copy_bits(frame, frame->len - sizeof(body), body,
			      sizeof(body)) &&
	       !memcmp(body, sealed, sizeof(body));
}

static bool __init test_frames(struct test_pair *t)
{
	u32 bits = 8 * (sizeof(u64) + sizeof(sealed));
	struct ockam_msg_view msg;
	struct sk_buff *frame;
	bool ok = true;
	u32 bit;

	/* @a sends at counter 33 with key1; @b derives it from key0. */
	ockam_channel_keys_init(t->a, key1, key0, TEST_COUNTER);
	ockam_channel_keys_init(t->b, key3, key0, 0);
	frame = test_seal(t->a, &msg);
	if (!frame)
		return false;
	for (bit = 0; bit < bits && ok; bit++)
		ok = test_open(t->b, frame, bit, false) < 0;
	/* A frame whose bytes are shared is opened into a copy... */
	ok = ok && !test_open(t->b, frame, -1, true) &&
	     test_frame_intact(frame) &&
	     test_open(t->b, frame, -1, false) == -EALREADY;
	/* ...one that is the channel's alone, where it is. */
	ockam_channel_keys_init(t->b, key3, key0, 0);
	ok = ok && !test_open(t->b, frame, -1, false) &&
	     test_open(t->b, frame, -1, false) == -EALREADY &&
	     t->b->rx.replay.next == TEST_COUNTER + 1 &&
	     t->a->tx.counter == TEST_COUNTER + 1;
	kfree_skb(frame);

	ockam_channel_keys_wipe(t->b);
	return ok && !memchr_inv(&t->b->rx.ratchet, 0, sizeof(t->b->rx.ratchet)) &&
	       !memchr_inv(t->b->tx.key, 0, sizeof(t->b->tx.key));
}

/* Seal @inner with @a; the frame's counter in *@counter. */
static int __init test_seal_counter(struct ockam_channel *a, u64 *counter)
{
	struct ockam_msg_view msg;
	struct sk_buff *skb;
	__be64 be;
	int err;

	skb = ockam_msg_alloc_atomic(64, sizeof(inner), &err);
	if (!skb)
		return err;
	err = skb_store_bits(skb, 0, inner, sizeof(inner));
	if (!err)
		err = test_encrypt(a, &skb, &msg);
	if (!err)
		err = skb_copy_bits(skb, msg.header_len, &be, sizeof(be));
	if (!err)
		*counter = be64_to_cpu(be);
	kfree_skb(skb);
	return err;
}

/*
 * The last two counters go out under the key given; the limit itself,
 * Noise's REKEY nonce, never does: sends fail with EKEYEXPIRED and are
 * counted, and the channel cannot even send its close message.
 */
static bool __init test_exhaustion(struct test_pair *t)
{
	u64 c1 = 0, c2 = 0, c3 = 0;

	ockam_channel_keys_init(t->a, key1, key0, OCKAM_COUNTER_LIMIT - 2);
	if (test_seal_counter(t->a, &c1) || test_seal_counter(t->a, &c2) ||
	    c1 != OCKAM_COUNTER_LIMIT - 2 || c2 != OCKAM_COUNTER_LIMIT - 1)
		return false;
	if (test_seal_counter(t->a, &c3) != -EKEYEXPIRED ||
	    t->a->tx.counter != OCKAM_COUNTER_LIMIT)
		return false;
	return ockam_channel_send_close(t->a) == -EKEYEXPIRED;
}

static bool __init test_data_path(void)
{
	struct test_pair *t = kzalloc(sizeof(*t), GFP_KERNEL);
	bool ok = false;

	if (!t)
		return false;
	t->node.max_message = OCKAM_MAX_MESSAGE_DEFAULT;
	t->node.stats = ockam_stats_alloc(OCKAM_STATS_ALL);
	t->a = test_channel(&t->node);
	t->b = test_channel(&t->node);
	if (t->node.stats && t->a && t->b)
		ok = test_frames(t) && test_exhaustion(t);
	test_channel_free(t->a);
	test_channel_free(t->b);
	free_percpu(t->node.stats);
	kfree(t);
	return ok;
}

bool __init ockam_channel_selftest(void)
{
	bool ok = true;

	if (!test_rekey()) {
		pr_err("channel self-test: rekey\n");
		ok = false;
	}
	if (!test_replay()) {
		pr_err("channel self-test: replay window\n");
		ok = false;
	}
	if (!test_data_path()) {
		pr_err("channel self-test: frames\n");
		ok = false;
	}
	pr_info("channel self-tests: %s\n", ok ? "pass" : "fail");
	return ok;
}
