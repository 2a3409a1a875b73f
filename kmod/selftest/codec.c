// SPDX-License-Identifier: GPL-2.0
/*
 * Self-tests for the routing message codec: ULEB128 edge cases, a message
 * of known bytes, every truncation of it, and each malformation class.
 */
#include <linux/kernel.h>
#include <linux/string.h>

#include "../codec.h"
#include "selftest.h"

struct uleb_vector {
	u8 bytes[6];
	u32 len;
	int expect;	/* bytes consumed, or -errno */
	u32 value;
};

static const struct uleb_vector uleb_vectors[] __initconst = {
	{ { 0x00 }, 1, 1, 0 },
	{ { 0x7f }, 1, 1, 127 },
	{ { 0x80, 0x01 }, 2, 2, 128 },
	{ { 0xff, 0x7f }, 2, 2, 16383 },
	{ { 0x80, 0x80, 0x01 }, 3, 3, 16384 },
	{ { 0xff, 0xff, 0xff, 0xff, 0x0f }, 5, 5, 0xffffffff },
	/* Non-minimal: a redundant zero group. */
	{ { 0x80, 0x00 }, 2, -EINVAL, 0 },
	{ { 0xff, 0x80, 0x00 }, 3, -EINVAL, 0 },
	/* More than 32 bits. */
	{ { 0xff, 0xff, 0xff, 0xff, 0x1f }, 5, -EINVAL, 0 },
	{ { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, 6, -EINVAL, 0 },
	/* Stops early. */
	{ { 0x81 }, 1, -EAGAIN, 0 },
	{ { 0 }, 0, -EAGAIN, 0 },
};

/* onward [0#echo], return [0#app], payload "hi" */
static const u8 message[] __initconst = {
	0x01,
	0x01, 0x00, 0x04, 'e', 'c', 'h', 'o',
	0x01, 0x00, 0x03, 'a', 'p', 'p',
	0x02, 'h', 'i',
};

static bool __init test_uleb(void)
{
	u8 buf[OCKAM_ULEB_MAX];
	unsigned int i;
	u32 value;
	int ret;

	for (i = 0; i < ARRAY_SIZE(uleb_vectors); i++) {
		const struct uleb_vector *v = &uleb_vectors[i];

		ret = ockam_uleb_decode(v->bytes, v->len, &value);
		if (ret != v->expect || (ret > 0 && value != v->value)) {
			pr_err("codec self-test: uleb vector %u\n", i);
			return false;
		}
		if (ret > 0 && (ockam_uleb_encode(buf, value) != ret ||
				ockam_uleb_len(value) != ret ||
				memcmp(buf, v->bytes, ret))) {
			pr_err("codec self-test: uleb encode %u\n", i);
			return false;
		}
	}
	return true;
}

static bool __init test_message(void)
{
	struct ockam_msg_view msg;
	struct ockam_addr_view addr;
	u32 i;

	if (ockam_msg_decode(message, sizeof(message), sizeof(message), &msg) ||
	    msg.onward.hops != 1 || msg.ret.hops != 1 ||
	    msg.payload_len != 2 || msg.header_len != sizeof(message) - 2)
		return false;
	if (ockam_route_first(&msg.onward, &addr) != 6 ||
	    addr.type != OCKAM_ADDR_LOCAL || addr.len != 4 ||
	    memcmp(addr.value, "echo", 4))
		return false;

	/* Every shorter view of the same message asks for more bytes; every
	 * message that really ends early is invalid.
	 */
	for (i = 0; i < msg.header_len; i++) {
		if (ockam_msg_decode(message, i, sizeof(message), &msg) !=
		    -EAGAIN)
			return false;
	}
	for (i = 0; i < sizeof(message); i++) {
		if (ockam_msg_decode(message, i, i, &msg) != -EINVAL)
			return false;
	}
	return true;
}

static bool __init decode_fails(const u8 *bytes, u32 len)
{
	struct ockam_msg_view msg;

	return ockam_msg_decode(bytes, len, len, &msg) == -EINVAL;
}

static bool __init test_malformed(void)
{
	static const u8 wrong_version[] __initconst = { 2, 0, 0, 0 };
	static const u8 trailing[] __initconst = { 1, 0, 0, 1, 'x', 'y' };
	static const u8 short_payload[] __initconst = { 1, 0, 0, 3, 'x' };
	static const u8 too_many_hops[] __initconst = { 1, 65, 0 };
	static const u8 addr_too_long[] __initconst = { 1, 1, 0, 0x80, 0x02 };
	static const u8 empty[] __initconst = { 1, 0, 0, 0 };
	struct ockam_msg_view msg;

	if (ockam_msg_decode(empty, sizeof(empty), sizeof(empty), &msg) ||
	    msg.onward.hops || msg.payload_len)
		return false;
	return decode_fails(wrong_version, sizeof(wrong_version)) &&
	       decode_fails(trailing, sizeof(trailing)) &&
	       decode_fails(short_payload, sizeof(short_payload)) &&
	       decode_fails(too_many_hops, sizeof(too_many_hops)) &&
	       decode_fails(addr_too_long, sizeof(addr_too_long));
}

/* Pop the first hop and push a return address, as a transport does. */
static bool __init test_rewrite(void)
{
	static const u8 expect[] __initconst = {
		0x01,
		0x00,
		0x02, 0x00, 0x01, 't', 0x00, 0x03, 'a', 'p', 'p',
		0x02, 'h', 'i',
	};
	struct ockam_route_parts onward, ret;
	struct ockam_addr_view first;
	struct ockam_msg_view msg;
	u8 push[8], out[32];
	u32 len;

	if (ockam_msg_decode(message, sizeof(message), sizeof(message), &msg))
		return false;
	ockam_route_first(&msg.onward, &first);
	ockam_route_skip(&msg.onward, &first);
	ockam_route_parts_from_view(&onward, &msg.onward);
	ockam_route_parts_from_view(&ret, &msg.ret);
	ret.head = push;
	ret.head_len = ockam_addr_encode(push, OCKAM_ADDR_LOCAL, "t", 1);
	ret.head_hops = 1;

	len = ockam_header_len(&onward, &ret, msg.payload_len);
	if (len + msg.payload_len != sizeof(expect) ||
	    ockam_header_encode(out, &onward, &ret, msg.payload_len) != len)
		return false;
	memcpy(out + len, message + msg.header_len, msg.payload_len);
	return !memcmp(out, expect, sizeof(expect));
}

static bool __init test_names(void)
{
	static const char * const bad[] __initconst = {
		"", "a/b", "a#b", "sp ace", "tab\t",
	};
	char longest[OCKAM_ADDR_VALUE_MAX + 1];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (ockam_local_name_valid(bad[i], strlen(bad[i])))
			return false;
	}
	memset(longest, 'x', sizeof(longest));
	return ockam_local_name_valid("forward_to_n3", 13) &&
	       ockam_local_name_valid(longest, OCKAM_ADDR_VALUE_MAX) &&
	       !ockam_local_name_valid(longest, sizeof(longest));
}

bool __init ockam_codec_selftest(void)
{
	bool ok = test_uleb() && test_message() && test_malformed() &&
		  test_rewrite() && test_names();

	pr_info("codec self-tests: %s\n", ok ? "pass" : "fail");
	return ok;
}
