// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The shared routing codec (kmod/codec.c), exactly as the kernel builds it.
 */
#include <stdint.h>
#include <string.h>

#include "codec.h"
#include "tap.h"

static void uleb_round_trip(void)
{
	static const u32 values[] = {
		0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff, 0x200000,
		0xfffffff, 0x10000000, 0xffffffff,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(values); i++) {
		u8 buf[OCKAM_ULEB_MAX];
		u32 len = ockam_uleb_encode(buf, values[i]), out = 0;

		CHECK_INT(len, ockam_uleb_len(values[i]));
		CHECK_INT(ockam_uleb_decode(buf, len, &out), len);
		CHECK_INT(out, values[i]);
		/* Every shorter prefix asks for more bytes. */
		for (u32 avail = 0; avail < len; avail++)
			CHECK_INT(ockam_uleb_decode(buf, avail, &out), -EAGAIN);
	}
}

static void uleb_non_minimal(void)
{
	static const u8 zero_pad[] = { 0x80, 0x00 };
	static const u8 one_pad[] = { 0x81, 0x00 };
	static const u8 long_pad[] = { 0xff, 0x80, 0x00 };
	u32 out;

	CHECK_INT(ockam_uleb_decode(zero_pad, sizeof(zero_pad), &out), -EINVAL);
	CHECK_INT(ockam_uleb_decode(one_pad, sizeof(one_pad), &out), -EINVAL);
	CHECK_INT(ockam_uleb_decode(long_pad, sizeof(long_pad), &out), -EINVAL);
}

static void uleb_over_32_bits(void)
{
	static const u8 max[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
	static const u8 bit32[] = { 0xff, 0xff, 0xff, 0xff, 0x10 };
	static const u8 six_groups[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
	u32 out = 0;

	CHECK_INT(ockam_uleb_decode(max, sizeof(max), &out), 5);
	CHECK_INT(out, 0xffffffffu);
	CHECK_INT(ockam_uleb_decode(bit32, sizeof(bit32), &out), -EINVAL);
	CHECK_INT(ockam_uleb_decode(six_groups, sizeof(six_groups), &out),
		  -EINVAL);
}

/* [0#echo, 1#10.0.0.2:4000] encoded by hand. */
static const u8 sample_route[] = {
	2,
	0, 4, 'e', 'c', 'h', 'o',
	1, 13, '1', '0', '.', '0', '.', '0', '.', '2', ':', '4', '0', '0', '0',
};

static void route_decode_walk(void)
{
	struct ockam_route_view rt;
	struct ockam_addr_view addr;

	CHECK_INT(ockam_route_decode(sample_route, sizeof(sample_route), &rt),
		  sizeof(sample_route));
	CHECK_INT(rt.hops, 2);
	CHECK_INT(rt.len, sizeof(sample_route) - 1);
	CHECK_INT(ockam_route_first(&rt, &addr), 6);
	CHECK_INT(addr.type, OCKAM_ADDR_LOCAL);
	CHECK_INT(addr.len, 4);
	CHECK(!memcmp(addr.value, "echo", 4));
	ockam_route_skip(&rt, &addr);
	CHECK_INT(ockam_route_first(&rt, &addr), 15);
	CHECK_INT(addr.type, OCKAM_ADDR_TCP);
	CHECK(!memcmp(addr.value, "10.0.0.2:4000", 13));
	ockam_route_skip(&rt, &addr);
	CHECK_INT(rt.hops, 0);
	CHECK_INT(rt.len, 0);
	CHECK_INT(ockam_route_first(&rt, &addr), -ENOENT);
}

static void route_truncated_every_byte(void)
{
	struct ockam_route_view rt;
	u32 avail;

	for (avail = 0; avail < sizeof(sample_route); avail++)
		CHECK_INT(ockam_route_decode(sample_route, avail, &rt), -EAGAIN);
}

static void route_trailing_bytes(void)
{
	u8 buf[sizeof(sample_route) + 3];
	struct ockam_route_view rt;

	memcpy(buf, sample_route, sizeof(sample_route));
	memset(buf + sizeof(sample_route), 0xaa, 3);
	/* The decoder says how much it used; the rest is the caller's. */
	CHECK_INT(ockam_route_decode(buf, sizeof(buf), &rt),
		  sizeof(sample_route));
}

static void route_too_many_hops(void)
{
	u8 buf[1 + (OCKAM_ROUTE_HOPS_MAX + 1) * 3];
	struct ockam_route_view rt;
	u32 i, pos;

	for (u32 hops = OCKAM_ROUTE_HOPS_MAX; hops <= OCKAM_ROUTE_HOPS_MAX + 1;
	     hops++) {
		pos = ockam_uleb_encode(buf, hops);
		for (i = 0; i < hops; i++)
			pos += ockam_addr_encode(buf + pos, 0, (const u8 *)"a", 1);
		CHECK_INT(ockam_route_decode(buf, pos, &rt),
			  hops > OCKAM_ROUTE_HOPS_MAX ? -EINVAL : (int)pos);
	}
	/* The count alone is enough to refuse. */
	buf[0] = OCKAM_ROUTE_HOPS_MAX + 1;
	CHECK_INT(ockam_route_decode(buf, 1, &rt), -EINVAL);
	/* Non-minimal count. */
	buf[0] = 0x81;
	buf[1] = 0x00;
	CHECK_INT(ockam_route_decode(buf, 2, &rt), -EINVAL);
}

static void address_too_long(void)
{
	u8 buf[4 + 256], value[OCKAM_ADDR_VALUE_MAX];
	struct ockam_addr_view addr;
	u32 len;

	memset(buf, 'x', sizeof(buf));
	memset(value, 'v', sizeof(value));
	len = ockam_addr_encode(buf, 0, value, OCKAM_ADDR_VALUE_MAX);
	CHECK_INT(len, 1 + 2 + OCKAM_ADDR_VALUE_MAX);
	CHECK_INT(ockam_addr_encoded_len(OCKAM_ADDR_VALUE_MAX), len);
	CHECK_INT(ockam_addr_decode(buf, len, &addr), len);
	CHECK_INT(addr.len, OCKAM_ADDR_VALUE_MAX);

	buf[0] = 0;
	ockam_uleb_encode(buf + 1, OCKAM_ADDR_VALUE_MAX + 1);
	CHECK_INT(ockam_addr_decode(buf, sizeof(buf), &addr), -EINVAL);
	/* Decided from the length alone, before the value arrives. */
	CHECK_INT(ockam_addr_decode(buf, 3, &addr), -EINVAL);
}

/* Build version, onward, return, payload into @buf; returns the length. */
static u32 build_message(u8 *buf, const char *payload)
{
	struct ockam_route_view onward, ret;
	struct ockam_route_parts on_parts, ret_parts;
	u32 plen = strlen(payload), hlen;

	ockam_route_decode(sample_route, sizeof(sample_route), &onward);
	/* The return route is the first address of the sample. */
	ret.addrs = sample_route + 1;
	ret.len = 6;
	ret.hops = 1;
	ockam_route_parts_from_view(&on_parts, &onward);
	ockam_route_parts_from_view(&ret_parts, &ret);
	hlen = ockam_header_encode(buf, &on_parts, &ret_parts, plen);
	CHECK_INT(hlen, ockam_header_len(&on_parts, &ret_parts, plen));
	memcpy(buf + hlen, payload, plen);
	return hlen + plen;
}

static void message_round_trip(void)
{
	u8 buf[256];
	struct ockam_msg_view msg;
	struct ockam_addr_view addr;
	u32 total = build_message(buf, "hello");

	CHECK_INT(buf[0], OCKAM_MESSAGE_VERSION);
	CHECK_INT(ockam_msg_decode(buf, total, total, &msg), 0);
	CHECK_INT(msg.onward.hops, 2);
	CHECK_INT(msg.ret.hops, 1);
	CHECK_INT(msg.payload_len, 5);
	CHECK_INT(msg.header_len + msg.payload_len, total);
	CHECK(!memcmp(buf + msg.header_len, "hello", 5));
	CHECK(ockam_route_first(&msg.ret, &addr) > 0);
	CHECK(!memcmp(addr.value, "echo", 4));
	/* The header alone is enough to decode when the total is known. */
	CHECK_INT(ockam_msg_decode(buf, msg.header_len, total, &msg), 0);
}

static void message_truncated_every_byte(void)
{
	u8 buf[256];
	struct ockam_msg_view msg;
	u32 total = build_message(buf, "hello"), header, avail;

	CHECK_INT(ockam_msg_decode(buf, total, total, &msg), 0);
	header = msg.header_len;
	for (avail = 0; avail < header; avail++) {
		/* More of the message is coming: ask for it. */
		CHECK_INT(ockam_msg_decode(buf, avail, total, &msg), -EAGAIN);
		/* The message really ends here: it is broken. */
		CHECK_INT(ockam_msg_decode(buf, avail, avail, &msg), -EINVAL);
	}
}

static void message_payload_mismatch(void)
{
	u8 buf[256];
	struct ockam_msg_view msg;
	u32 total = build_message(buf, "hello");

	/* Trailing bytes after the declared payload. */
	buf[total] = 'X';
	CHECK_INT(ockam_msg_decode(buf, total + 1, total + 1, &msg), -EINVAL);
	/* Payload shorter than declared. */
	CHECK_INT(ockam_msg_decode(buf, total - 1, total - 1, &msg), -EINVAL);
	/* An empty payload is fine. */
	total = build_message(buf, "");
	CHECK_INT(ockam_msg_decode(buf, total, total, &msg), 0);
	CHECK_INT(msg.payload_len, 0);
}

static void message_wrong_version(void)
{
	u8 buf[256];
	struct ockam_msg_view msg;
	u32 total = build_message(buf, "hi");

	buf[0] = 2;
	CHECK_INT(ockam_msg_decode(buf, total, total, &msg), -EINVAL);
	buf[0] = 0;
	CHECK_INT(ockam_msg_decode(buf, total, total, &msg), -EINVAL);
	/* Refused from the first byte, even when more is coming. */
	CHECK_INT(ockam_msg_decode(buf, 1, total, &msg), -EINVAL);
	CHECK_INT(ockam_msg_decode(buf, 0, 0, &msg), -EINVAL);
	CHECK_INT(ockam_msg_decode(buf, 0, 10, &msg), -EAGAIN);
}

static void message_bad_routes(void)
{
	u8 buf[16] = { OCKAM_MESSAGE_VERSION, OCKAM_ROUTE_HOPS_MAX + 1 };
	struct ockam_msg_view msg;

	CHECK_INT(ockam_msg_decode(buf, 2, 100, &msg), -EINVAL);
	/* Address length over the maximum inside the return route. */
	buf[1] = 0;
	buf[2] = 1;
	buf[3] = 0;
	buf[4] = 0x80;
	buf[5] = 0x02;
	CHECK_INT(ockam_msg_decode(buf, 6, 100, &msg), -EINVAL);
	/* Non-minimal payload length. */
	buf[2] = 0;
	buf[3] = 0x80;
	buf[4] = 0x00;
	CHECK_INT(ockam_msg_decode(buf, 5, 5, &msg), -EINVAL);
}

static void route_parts_concatenate(void)
{
	u8 head[8], out[64];
	struct ockam_route_view tail, rt;
	struct ockam_route_parts parts;
	struct ockam_addr_view addr;
	u32 len;

	ockam_route_decode(sample_route, sizeof(sample_route), &tail);
	ockam_route_parts_from_view(&parts, &tail);
	parts.head = head;
	parts.head_len = ockam_addr_encode(head, 0, (const u8 *)"me", 2);
	parts.head_hops = 1;
	len = ockam_route_parts_encode(out, &parts);
	CHECK_INT(len, ockam_route_parts_len(&parts));
	CHECK_INT(ockam_route_decode(out, len, &rt), len);
	CHECK_INT(rt.hops, 3);
	CHECK(ockam_route_first(&rt, &addr) > 0);
	CHECK(addr.len == 2 && !memcmp(addr.value, "me", 2));
}

static void local_names(void)
{
	char long_name[OCKAM_ADDR_VALUE_MAX + 1];

	CHECK(ockam_local_name_valid((const u8 *)"echo", 4));
	CHECK(ockam_local_name_valid((const u8 *)"a.b-c_d~!", 9));
	CHECK(!ockam_local_name_valid((const u8 *)"", 0));
	CHECK(!ockam_local_name_valid((const u8 *)"a/b", 3));
	CHECK(!ockam_local_name_valid((const u8 *)"a#b", 3));
	CHECK(!ockam_local_name_valid((const u8 *)"a b", 3));
	CHECK(!ockam_local_name_valid((const u8 *)"a\x7f", 2));
	CHECK(!ockam_local_name_valid((const u8 *)"a\x80", 2));
	memset(long_name, 'x', sizeof(long_name));
	CHECK(ockam_local_name_valid((const u8 *)long_name,
				     OCKAM_ADDR_VALUE_MAX));
	CHECK(!ockam_local_name_valid((const u8 *)long_name,
				      OCKAM_ADDR_VALUE_MAX + 1));
}

/* A datagram: the header for (message, offset, length), then @frag. */
static u32 udp_datagram(u8 *buf, u32 message, u32 offset, u32 length,
			const char *frag)
{
	u32 n = strlen(frag);

	ockam_udp_header_encode(buf, message, offset, length);
	memcpy(buf + OCKAM_UDP_HEADER_LEN, frag, n);
	return OCKAM_UDP_HEADER_LEN + n;
}

static void udp_header_layout(void)
{
	static const u8 want[OCKAM_UDP_HEADER_LEN] = {
		1, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef,
		0, 0, 0x05, 0x78, 0, 0x01, 0x00, 0x00,
	};
	u8 buf[OCKAM_UDP_HEADER_LEN];

	ockam_udp_header_encode(buf, 0xdeadbeef, 1400, 65536);
	CHECK(!memcmp(buf, want, sizeof(want)));
}

static void udp_decode_fragments(void)
{
	struct ockam_udp_header hdr;
	u8 buf[64];
	u32 len;

	/* The whole message in one datagram. */
	len = udp_datagram(buf, 7, 0, 5, "hello");
	CHECK_INT(ockam_udp_header_decode(buf, len, 4096, &hdr), 0);
	CHECK_INT(hdr.message, 7);
	CHECK_INT(hdr.offset, 0);
	CHECK_INT(hdr.length, 5);
	CHECK_INT(hdr.fragment_len, 5);
	/* First, middle and last of a 12-byte message. */
	len = udp_datagram(buf, 8, 0, 12, "abcd");
	CHECK_INT(ockam_udp_header_decode(buf, len, 4096, &hdr), 0);
	CHECK_INT(hdr.fragment_len, 4);
	len = udp_datagram(buf, 8, 4, 12, "efgh");
	CHECK_INT(ockam_udp_header_decode(buf, len, 4096, &hdr), 0);
	CHECK_INT(hdr.offset, 4);
	len = udp_datagram(buf, 8, 8, 12, "ijkl");
	CHECK_INT(ockam_udp_header_decode(buf, len, 4096, &hdr), 0);
	CHECK_INT(hdr.offset + hdr.fragment_len, hdr.length);
	/* The message number wraps: any value is one. */
	len = udp_datagram(buf, 0xffffffff, 0, 1, "x");
	CHECK_INT(ockam_udp_header_decode(buf, len, 4096, &hdr), 0);
	CHECK_INT(hdr.message, 0xffffffff);
}

static void udp_decode_refuses(void)
{
	struct ockam_udp_header hdr;
	u8 buf[64];
	u32 len, i;

	/* Shorter than the header, every length of it. */
	len = udp_datagram(buf, 1, 0, 4, "abcd");
	for (i = 0; i < OCKAM_UDP_HEADER_LEN; i++)
		CHECK_INT(ockam_udp_header_decode(buf, i, 4096, &hdr),
			  -EBADMSG);
	/* The header alone: an empty fragment. */
	CHECK_INT(ockam_udp_header_decode(buf, OCKAM_UDP_HEADER_LEN, 4096,
					  &hdr), -EBADMSG);
	/* Another version. */
	buf[0] = 2;
	CHECK_INT(ockam_udp_header_decode(buf, len, 4096, &hdr), -EPROTO);
	buf[0] = 0;
	CHECK_INT(ockam_udp_header_decode(buf, len, 4096, &hdr), -EPROTO);
	/* Any flag or reserved bit. */
	for (i = 1; i < 4; i++) {
		len = udp_datagram(buf, 1, 0, 4, "abcd");
		buf[i] = 0x80;
		CHECK_INT(ockam_udp_header_decode(buf, len, 4096, &hdr),
			  -EBADMSG);
	}
	/* An offset at or past the length. */
	len = udp_datagram(buf, 1, 4, 4, "abcd");
	CHECK_INT(ockam_udp_header_decode(buf, len, 4096, &hdr), -EBADMSG);
	len = udp_datagram(buf, 1, 0xffffffff, 4, "abcd");
	CHECK_INT(ockam_udp_header_decode(buf, len, 4096, &hdr), -EBADMSG);
	/* A fragment that ends past the length, and one that would wrap. */
	len = udp_datagram(buf, 1, 2, 5, "abcd");
	CHECK_INT(ockam_udp_header_decode(buf, len, 4096, &hdr), -EBADMSG);
	len = udp_datagram(buf, 1, 0xfffffffe, 0xffffffff, "abcd");
	CHECK_INT(ockam_udp_header_decode(buf, len, 0xffffffff, &hdr),
		  -EMSGSIZE);
	/* A zero length. */
	len = udp_datagram(buf, 1, 0, 0, "a");
	CHECK_INT(ockam_udp_header_decode(buf, len, 4096, &hdr), -EBADMSG);
}

static void udp_decode_limits(void)
{
	struct ockam_udp_header hdr;
	u8 buf[64];
	u32 len;

	/* Exactly the node's max message, and one more. */
	len = udp_datagram(buf, 1, 0, 4096, "abcd");
	CHECK_INT(ockam_udp_header_decode(buf, len, 4096, &hdr), 0);
	len = udp_datagram(buf, 1, 0, 4097, "abcd");
	CHECK_INT(ockam_udp_header_decode(buf, len, 4096, &hdr), -EMSGSIZE);
	/* Whatever the caller says, never past OCKAM_MAX_MESSAGE_MAX. */
	len = udp_datagram(buf, 1, 0, OCKAM_MAX_MESSAGE_MAX, "abcd");
	CHECK_INT(ockam_udp_header_decode(buf, len, 0xffffffff, &hdr), 0);
	len = udp_datagram(buf, 1, 0, OCKAM_MAX_MESSAGE_MAX + 1, "abcd");
	CHECK_INT(ockam_udp_header_decode(buf, len, 0xffffffff, &hdr),
		  -EMSGSIZE);
	/* Too big is said before a bad offset. */
	len = udp_datagram(buf, 1, 5000, 4097, "abcd");
	CHECK_INT(ockam_udp_header_decode(buf, len, 4096, &hdr), -EMSGSIZE);
}

static void udp_round_trip(void)
{
	static const u32 values[][3] = {
		{ 0, 0, 1 }, { 1, 0, 1400 }, { 0x80000000, 1384, 2768 },
		{ 0xffffffff, OCKAM_MAX_MESSAGE_MAX - 1, OCKAM_MAX_MESSAGE_MAX },
	};
	struct ockam_udp_header hdr;
	u8 buf[OCKAM_UDP_HEADER_LEN + 1];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(values); i++) {
		ockam_udp_header_encode(buf, values[i][0], values[i][1],
					values[i][2]);
		buf[OCKAM_UDP_HEADER_LEN] = 'x';
		CHECK_INT(ockam_udp_header_decode(buf, sizeof(buf),
						  OCKAM_MAX_MESSAGE_MAX, &hdr),
			  0);
		CHECK_INT(hdr.message, values[i][0]);
		CHECK_INT(hdr.offset, values[i][1]);
		CHECK_INT(hdr.length, values[i][2]);
		CHECK_INT(hdr.fragment_len, 1);
	}
}

SUITE(codec_suite, "codec",
      TEST(uleb_round_trip),
      TEST(uleb_non_minimal),
      TEST(uleb_over_32_bits),
      TEST(route_decode_walk),
      TEST(route_truncated_every_byte),
      TEST(route_trailing_bytes),
      TEST(route_too_many_hops),
      TEST(address_too_long),
      TEST(message_round_trip),
      TEST(message_truncated_every_byte),
      TEST(message_payload_mismatch),
      TEST(message_wrong_version),
      TEST(message_bad_routes),
      TEST(route_parts_concatenate),
      TEST(local_names),
      TEST(udp_header_layout),
      TEST(udp_decode_fragments),
      TEST(udp_decode_refuses),
      TEST(udp_decode_limits),
      TEST(udp_round_trip));
