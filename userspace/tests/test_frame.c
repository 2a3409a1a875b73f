// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The secure channel frame layout and receive window shared with the
 * module (kmod/frame.c, kmod/replay.c).
 */
#include "frame.h"
#include "replay.h"
#include "tap.h"

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

SUITE(frame_suite, "frame",
      TEST(counter_round_trip),
      TEST(types),
      TEST(window_in_order_and_reordered),
      TEST(window_edges),
      TEST(window_end_of_counters));
