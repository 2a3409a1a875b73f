// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The secure channel frame layout, receive window and receive keys shared
 * with the module (kmod/frame.c, kmod/replay.c, kmod/ratchet.c).
 */
#include <string.h>

#include "../ockamd/noise.h"
#include "frame.h"
#include "ratchet.h"
#include "replay.h"
#include "tap.h"

static unsigned long rekeys_done;

/* The module's REKEY is lib/crypto's; ockamd's is the same function. */
void ockam_cipher_rekey(u8 key[OCKAM_KEY_LEN])
{
	rekeys_done++;
	noise_rekey(key);
}

static const u8 epoch0_key[OCKAM_KEY_LEN] = { 0x0c, 0xa1, 0x70 };

/* Epoch @epoch's key, the long way: REKEY @epoch times from epoch 0's. */
static void key_of(u64 epoch, u8 key[OCKAM_KEY_LEN])
{
	memcpy(key, epoch0_key, OCKAM_KEY_LEN);
	while (epoch--)
		ockam_cipher_rekey(key);
}

static bool ratchet_gives(struct ockam_ratchet *r, u64 epoch)
{
	u8 want[OCKAM_KEY_LEN], got[OCKAM_KEY_LEN];

	key_of(epoch, want);
	memset(got, 0, sizeof(got));
	return !ockam_ratchet_key(r, epoch, got) &&
	       !memcmp(want, got, sizeof(got));
}

/* REKEYs the ratchet spent on @epoch's key, or -1 for a wrong key. */
static long ratchet_cost(struct ockam_ratchet *r, u64 epoch)
{
	u8 want[OCKAM_KEY_LEN], got[OCKAM_KEY_LEN];
	unsigned long before;

	key_of(epoch, want);
	before = rekeys_done;
	if (ockam_ratchet_key(r, epoch, got) || memcmp(want, got, sizeof(got)))
		return -1;
	return (long)(rekeys_done - before);
}

static void counter_round_trip(void)
{
	u8 frame[OCKAM_FRAME_OVERHEAD] = { 0 };
	u64 counter = 0;

	ockam_frame_put_counter(frame, 0x0102030405060708ull);
	CHECK_INT(frame[0], 1);
	CHECK_INT(frame[7], 8);
	CHECK_INT(ockam_frame_counter(frame, sizeof(frame), &counter),
		  OCKAM_FRAME_OVERHEAD - OCKAM_COUNTER_LEN);
	CHECK(counter == 0x0102030405060708ull);
	CHECK_INT(ockam_frame_counter(frame, sizeof(frame) - 1, &counter),
		  -EINVAL);
}

static void types(void)
{
	CHECK_INT(ockam_frame_check_type(OCKAM_CHANNEL_MSG_PAYLOAD, 1), 0);
	CHECK_INT(ockam_frame_check_type(OCKAM_CHANNEL_MSG_PAYLOAD, 0), -EINVAL);
	CHECK_INT(ockam_frame_check_type(OCKAM_CHANNEL_MSG_CLOSE, 0), 0);
	CHECK_INT(ockam_frame_check_type(OCKAM_CHANNEL_MSG_CLOSE, 1), -EINVAL);
	CHECK_INT(ockam_frame_check_type(1, 0), -EINVAL);
	CHECK_INT(ockam_frame_check_type(255, 9), -EINVAL);
}

static void window_in_order_and_reordered(void)
{
	struct ockam_replay r;
	u64 c;

	ockam_replay_init(&r);
	CHECK_INT(ockam_replay_check(&r, OCKAM_REPLAY_WINDOW),
		  OCKAM_REPLAY_TOO_NEW);
	for (c = 0; c < 3 * OCKAM_REPLAY_WINDOW; c += 2)
		CHECK_INT(ockam_replay_commit(&r, c), OCKAM_REPLAY_OK);
	/* The odd ones, late but inside the window, once each. */
	for (c = 2 * OCKAM_REPLAY_WINDOW + 1; c < 3 * OCKAM_REPLAY_WINDOW;
	     c += 2) {
		CHECK_INT(ockam_replay_commit(&r, c), OCKAM_REPLAY_OK);
		CHECK_INT(ockam_replay_commit(&r, c), OCKAM_REPLAY_DUPLICATE);
	}
	CHECK_INT(ockam_replay_check(&r, 2 * OCKAM_REPLAY_WINDOW - 1),
		  OCKAM_REPLAY_TOO_OLD);
}

static void window_edges(void)
{
	struct ockam_replay r;
	u64 h = 5000;

	ockam_replay_init(&r);
	CHECK_INT(ockam_replay_commit(&r, h), OCKAM_REPLAY_TOO_NEW);
	CHECK_INT(ockam_replay_commit(&r, 1000), OCKAM_REPLAY_OK);
	CHECK_INT(ockam_replay_commit(&r, 2024), OCKAM_REPLAY_OK);
	h = 2024;
	/* Accepted: h - 1023 .. h + 1024. */
	CHECK_INT(ockam_replay_check(&r, h - OCKAM_REPLAY_WINDOW + 1),
		  OCKAM_REPLAY_OK);
	CHECK_INT(ockam_replay_check(&r, h - OCKAM_REPLAY_WINDOW),
		  OCKAM_REPLAY_TOO_OLD);
	CHECK_INT(ockam_replay_check(&r, h + OCKAM_REPLAY_WINDOW),
		  OCKAM_REPLAY_OK);
	CHECK_INT(ockam_replay_check(&r, h + OCKAM_REPLAY_WINDOW + 1),
		  OCKAM_REPLAY_TOO_NEW);
}

static void window_end_of_counters(void)
{
	struct ockam_replay r;

	ockam_replay_init(&r);
	r.next = OCKAM_COUNTER_LIMIT - 2;
	/* 2^64 - 1 is Noise's, never a frame's. */
	CHECK_INT(ockam_replay_commit(&r, OCKAM_COUNTER_LIMIT),
		  OCKAM_REPLAY_TOO_NEW);
	CHECK_INT(ockam_replay_commit(&r, OCKAM_COUNTER_LIMIT - 1),
		  OCKAM_REPLAY_OK);
	CHECK(r.next == OCKAM_COUNTER_LIMIT);
	CHECK_INT(ockam_replay_commit(&r, OCKAM_COUNTER_LIMIT - 1),
		  OCKAM_REPLAY_DUPLICATE);
	CHECK_INT(ockam_replay_check(&r, OCKAM_COUNTER_LIMIT - 2),
		  OCKAM_REPLAY_OK);
}

static void ratchet_in_order_and_back(void)
{
	struct ockam_ratchet r;
	u64 e;

	ockam_ratchet_init(&r, epoch0_key);
	for (e = 0; e < 5; e++)
		CHECK(ratchet_gives(&r, e));
	CHECK(r.hi == 4 && r.lo == 0);
	/* Reordered across the last rekey, then further back: derived. */
	CHECK(ratchet_gives(&r, 3));
	CHECK(ratchet_gives(&r, 1));
	CHECK(ratchet_gives(&r, 0));
	CHECK(r.hi == 4);
	/* Far ahead in one go, then each epoch on the way. */
	CHECK(ratchet_gives(&r, 40));
	for (e = 0; e <= 40; e++)
		CHECK(ratchet_gives(&r, e));
}

static void ratchet_forgets(void)
{
	u8 zero[OCKAM_KEY_LEN] = { 0 }, key[OCKAM_KEY_LEN];
	struct ockam_ratchet r;

	ockam_ratchet_init(&r, epoch0_key);
	CHECK(ratchet_gives(&r, 10));
	ockam_ratchet_forget(&r, 6);
	CHECK(r.lo == 6);
	CHECK_INT(ockam_ratchet_key(&r, 5, key), -EALREADY);
	CHECK(ratchet_gives(&r, 6));
	CHECK(ratchet_gives(&r, 8));
	/* Never back, and never past the newest key. */
	ockam_ratchet_forget(&r, 2);
	CHECK(r.lo == 6);
	ockam_ratchet_forget(&r, 9);
	CHECK(r.lo == 9 && ratchet_gives(&r, 9) && ratchet_gives(&r, 10));
	ockam_ratchet_forget(&r, 50);
	CHECK(r.lo == 10 && r.hi == 10);
	CHECK(!memcmp(r.prev_key, zero, sizeof(zero)));
	CHECK_INT(ockam_ratchet_key(&r, 9, key), -EALREADY);
	CHECK(ratchet_gives(&r, 10));
	CHECK(ratchet_gives(&r, 12) && ratchet_gives(&r, 11));
	ockam_ratchet_wipe(&r);
	CHECK(!memcmp(r.lo_key, zero, sizeof(zero)) &&
	      !memcmp(r.prev_key, zero, sizeof(zero)) &&
	      !memcmp(r.hi_key, zero, sizeof(zero)));
}

/*
 * Two openers: one has begun epoch 50's frames while another is still
 * at epoch 20's. The second derives from the oldest key once, then from
 * the key it derived last.
 */
static void ratchet_memo_follows_a_lagging_opener(void)
{
	u8 zero[OCKAM_KEY_LEN] = { 0 };
	struct ockam_ratchet r;

	ockam_ratchet_init(&r, epoch0_key);
	CHECK(ratchet_gives(&r, 50));
	ockam_ratchet_forget(&r, 10);
	CHECK_INT(ratchet_cost(&r, 20), 10);
	CHECK_INT(ratchet_cost(&r, 20), 0);
	CHECK_INT(ratchet_cost(&r, 21), 1);
	CHECK_INT(ratchet_cost(&r, 24), 3);
	/* The newest keys are where they were. */
	CHECK_INT(ratchet_cost(&r, 49), 0);
	CHECK_INT(ratchet_cost(&r, 50), 0);
	CHECK_INT(ratchet_cost(&r, 10), 0);
	/* Behind the memo: from the oldest key again. */
	CHECK_INT(ratchet_cost(&r, 15), 5);
	CHECK_INT(ratchet_cost(&r, 16), 1);
	/* The window left it behind: wiped, and not used. */
	ockam_ratchet_forget(&r, 17);
	CHECK(!memcmp(r.memo_key, zero, sizeof(zero)));
	CHECK_INT(ratchet_cost(&r, 18), 1);
	ockam_ratchet_wipe(&r);
	CHECK(!memcmp(r.memo_key, zero, sizeof(zero)));
}

/*
 * A frame further ahead than the window: its key peeked without turning
 * the ratchet, and once it verified, the window and the keys restart
 * there, nothing before it kept.
 */
static void window_and_keys_leap_ahead(void)
{
	u8 want[OCKAM_KEY_LEN], got[OCKAM_KEY_LEN], zero[OCKAM_KEY_LEN] = { 0 };
	u64 far = 5000 * (u64)OCKAM_REKEY_INTERVAL + 7;
	struct ockam_replay w;
	struct ockam_ratchet r;

	ockam_replay_init(&w);
	ockam_ratchet_init(&r, epoch0_key);
	CHECK_INT(ockam_replay_commit(&w, 3), OCKAM_REPLAY_OK);
	CHECK(ratchet_gives(&r, 2));
	CHECK_INT(ockam_replay_check(&w, far), OCKAM_REPLAY_TOO_NEW);

	key_of(far / OCKAM_REKEY_INTERVAL, want);
	ockam_ratchet_peek(&r, far / OCKAM_REKEY_INTERVAL, got);
	CHECK(!memcmp(want, got, sizeof(got)));
	/* Peeking changed nothing. */
	CHECK_INT(r.hi, 2);
	CHECK(ratchet_gives(&r, 1));

	ockam_replay_leap(&w, far);
	ockam_ratchet_leap(&r, far / OCKAM_REKEY_INTERVAL, got);
	CHECK_INT(w.next, far + 1);
	CHECK_INT(ockam_replay_check(&w, far), OCKAM_REPLAY_DUPLICATE);
	CHECK_INT(ockam_replay_check(&w, far - 1), OCKAM_REPLAY_OK);
	CHECK_INT(ockam_replay_check(&w, 3), OCKAM_REPLAY_TOO_OLD);
	CHECK_INT(ockam_replay_check(&w, far + 1), OCKAM_REPLAY_OK);
	CHECK(!memcmp(r.prev_key, zero, sizeof(zero)));
	CHECK(!memcmp(r.memo_key, zero, sizeof(zero)));
	/* The old epochs' keys are gone; the new one and after are there. */
	memset(got, 0, sizeof(got));
	CHECK_INT(ockam_ratchet_key(&r, 2, got), -EALREADY);
	CHECK(ratchet_gives(&r, far / OCKAM_REKEY_INTERVAL));
	CHECK(ratchet_gives(&r, far / OCKAM_REKEY_INTERVAL + 1));
	/* Never backwards. */
	ockam_ratchet_leap(&r, 3, epoch0_key);
	CHECK(ratchet_gives(&r, far / OCKAM_REKEY_INTERVAL + 1));
	ockam_ratchet_wipe(&r);
}

SUITE(frame_suite, "frame",
      TEST(counter_round_trip),
      TEST(types),
      TEST(window_in_order_and_reordered),
      TEST(window_edges),
      TEST(window_end_of_counters),
      TEST(ratchet_in_order_and_back),
      TEST(ratchet_forgets),
      TEST(ratchet_memo_follows_a_lagging_opener),
      TEST(window_and_keys_leap_ahead));
