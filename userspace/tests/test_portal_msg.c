// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The shared portal message codec (kmod/portal_msg.c), exactly as the
 * kernel builds it.
 */
#include <stdint.h>
#include <string.h>

#include "portal_msg.h"
#include "tap.h"

static void round_trip_every_type(void)
{
	static const struct ockam_portal_msg msgs[] = {
		{ .type = OCKAM_PORTAL_MSG_PING, .window = 0x12345678 },
		{ .type = OCKAM_PORTAL_MSG_PONG, .window = 1 },
		{ .type = OCKAM_PORTAL_MSG_DISCONNECT },
		{ .type = OCKAM_PORTAL_MSG_END, .seq = 0xffffffff },
		{ .type = OCKAM_PORTAL_MSG_CREDIT,
		  .consumed = 0x0102030405060708ull },
		{ .type = OCKAM_PORTAL_MSG_SYNC, .seq = 0x01020304 },
		{ .type = OCKAM_PORTAL_MSG_SYNC, .seq = 0,
		  .flags = OCKAM_PORTAL_SYNC_ASK },
	};
	struct ockam_portal_msg out;
	u8 buf[OCKAM_PORTAL_MSG_HEADER_MAX];
	size_t i;
	u32 len;

	for (i = 0; i < ARRAY_SIZE(msgs); i++) {
		len = ockam_portal_msg_encode(buf, &msgs[i]);
		CHECK_INT(len, ockam_portal_msg_header_len(msgs[i].type));
		CHECK_INT(ockam_portal_msg_decode(buf, len, len, &out), 0);
		CHECK_INT(out.type, msgs[i].type);
		CHECK_INT(out.window, msgs[i].window);
		CHECK_INT(out.seq, msgs[i].seq);
		CHECK(out.consumed == msgs[i].consumed);
		CHECK_INT(out.flags, msgs[i].flags);
		/* One byte more or less does not parse. */
		CHECK_INT(ockam_portal_msg_decode(buf, len - 1, len - 1, &out),
			  -EINVAL);
		CHECK_INT(ockam_portal_msg_decode(buf, len, len + 1, &out),
			  -EINVAL);
	}
}

/* Little-endian, as Ockam's BARE integers. */
static void byte_order(void)
{
	static const u8 credit[] = { 5, 1, 2, 3, 4, 5, 6, 7, 8 };
	static const u8 payload[] = { 3, 0x78, 0x56, 0x34, 0x12, 'h', 'i' };
	static const u8 sync[] = { 6, 0x78, 0x56, 0x34, 0x12, 1 };
	struct ockam_portal_msg out;

	CHECK_INT(ockam_portal_msg_decode(credit, sizeof(credit),
					  sizeof(credit), &out), 0);
	CHECK(out.consumed == 0x0807060504030201ull);
	CHECK_INT(ockam_portal_msg_decode(payload, sizeof(payload),
					  sizeof(payload), &out), 0);
	CHECK_INT(out.type, OCKAM_PORTAL_MSG_PAYLOAD);
	CHECK_INT(out.seq, 0x12345678);
	CHECK_INT(out.data_off, 5);
	CHECK_INT(out.data_len, 2);
	CHECK_INT(ockam_portal_msg_decode(sync, sizeof(sync), sizeof(sync),
					  &out), 0);
	CHECK_INT(out.type, OCKAM_PORTAL_MSG_SYNC);
	CHECK_INT(out.seq, 0x12345678);
	CHECK_INT(out.flags, OCKAM_PORTAL_SYNC_ASK);
}

/* Only the header need be in the buffer; the data may be elsewhere. */
static void payload_header_only(void)
{
	static const u8 head[] = { 3, 7, 0, 0, 0 };
	struct ockam_portal_msg out;
	u32 avail;

	CHECK_INT(ockam_portal_msg_decode(head, 5, 5 + OCKAM_PORTAL_CHUNK_MAX,
					  &out), 0);
	CHECK_INT(out.seq, 7);
	CHECK_INT(out.data_len, OCKAM_PORTAL_CHUNK_MAX);
	for (avail = 1; avail < 5; avail++)
		CHECK_INT(ockam_portal_msg_decode(head, avail, 100, &out),
			  -EAGAIN);
	CHECK_INT(ockam_portal_msg_decode(head, 0, 100, &out), -EAGAIN);
}

static void refused(void)
{
	static const u8 empty_payload[] = { 3, 0, 0, 0, 0 };
	static const u8 zero_window[] = { 0, 0, 0, 0, 0 };
	static const u8 unknown[] = { 7 };
	static const u8 padded_disconnect[] = { 2, 0 };
	/* A SYNC flag that does not exist. */
	static const u8 sync_flag[] = { 6, 0, 0, 0, 0, 2 };
	struct ockam_portal_msg out;

	CHECK_INT(ockam_portal_msg_decode(empty_payload, 5, 5, &out), -EINVAL);
	CHECK_INT(ockam_portal_msg_decode(empty_payload, 5,
					  5 + OCKAM_PORTAL_CHUNK_MAX + 1, &out),
		  -EINVAL);
	CHECK_INT(ockam_portal_msg_decode(zero_window, 5, 5, &out), -EINVAL);
	CHECK_INT(ockam_portal_msg_decode(unknown, 1, 1, &out), -EINVAL);
	CHECK_INT(ockam_portal_msg_decode(padded_disconnect, 2, 2, &out),
		  -EINVAL);
	CHECK_INT(ockam_portal_msg_decode(unknown, 0, 0, &out), -EINVAL);
	CHECK_INT(ockam_portal_msg_decode(sync_flag, 6, 6, &out), -EINVAL);
	CHECK_INT(ockam_portal_msg_header_len(7), 0);
}

SUITE(portal_msg_suite, "portal_msg",
      TEST(round_trip_every_type),
      TEST(byte_order),
      TEST(payload_header_only),
      TEST(refused));
