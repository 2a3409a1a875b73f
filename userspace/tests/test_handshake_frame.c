// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Secure-channel handshake framing: every message type at its exact
 * layout, the sizes each type allows, and refusals.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../ockamd/handshake_frame.h"
#include "tap.h"

static uint8_t buf[HS_FRAME_MAX + 1];

/* A message of @type with a body of @len bytes of 0xab. */
static size_t message(uint8_t type, size_t len)
{
	buf[0] = type;
	memset(buf + 1, 0xab, len);
	return len + 1;
}

static void message_sizes(void)
{
	struct hs_frame f;
	struct ockam_err err;

	CHECK_INT(hs_frame_parse(buf, message(HS_MSG1, 32), &f, &err), 0);
	CHECK_INT(f.type, HS_MSG1);
	CHECK_INT(f.body_len, 32);
	CHECK(f.body == buf + 1);
	/* Message 1 is e alone: one byte more or less is malformed. */
	CHECK_INT(hs_frame_parse(buf, message(HS_MSG1, 31), &f, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "message 1 of 31 bytes");
	CHECK_INT(hs_frame_parse(buf, message(HS_MSG1, 33), &f, &err), -EBADMSG);

	/* e (32), encrypted s (48), the payload's tag (16). */
	CHECK_INT(hs_frame_parse(buf, message(HS_MSG2, 96), &f, &err), 0);
	CHECK_INT(hs_frame_parse(buf, message(HS_MSG2, 600), &f, &err), 0);
	CHECK_INT(hs_frame_parse(buf, message(HS_MSG2, 95), &f, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "truncated");

	/* Encrypted s (48), the payload's tag (16). */
	CHECK_INT(hs_frame_parse(buf, message(HS_MSG3, 64), &f, &err), 0);
	CHECK_INT(hs_frame_parse(buf, message(HS_MSG3, 63), &f, &err), -EBADMSG);

	CHECK_INT(hs_frame_parse(buf, message(HS_ESTABLISHED, 0), &f, &err), 0);
	CHECK_INT(f.type, HS_ESTABLISHED);
	CHECK_INT(hs_frame_parse(buf, message(HS_ESTABLISHED, 1), &f, &err),
		  -EBADMSG);

	/* The largest Noise message, and one byte past it. */
	CHECK_INT(hs_frame_parse(buf, message(HS_MSG2, HS_NOISE_MSG_MAX), &f,
				 &err), 0);
	CHECK_INT(hs_frame_parse(buf, message(HS_MSG2, HS_NOISE_MSG_MAX + 1),
				 &f, &err), -EBADMSG);
}

static void unknown_and_empty(void)
{
	struct hs_frame f;
	struct ockam_err err;
	unsigned int type;

	CHECK_INT(hs_frame_parse(buf, 0, &f, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "empty");
	for (type = 0; type < 256; type++) {
		bool known = type == HS_MSG1 || type == HS_MSG2 ||
			     type == HS_MSG3 || type == HS_ESTABLISHED ||
			     type == HS_REFUSED;

		CHECK_INT(hs_type_known(type), known);
		if (known)
			continue;
		CHECK_INT(hs_frame_parse(buf, message(type, 40), &f, &err),
			  -EBADMSG);
		CHECK_CONTAINS(err.msg, "unknown handshake message type");
	}
	/* A data frame's first byte is its counter's top byte: never a
	 * handshake type.
	 */
	CHECK(!hs_type_known(0));
	CHECK_STR(hs_type_name(HS_MSG3), "message 3");
	CHECK_STR(hs_type_name(0x42), "unknown");
}

static void refusals(void)
{
	uint8_t out[HS_REFUSED_MAX];
	struct hs_frame f;
	struct ockam_err err;
	size_t len;

	len = hs_refused_build(HS_REFUSE_UNAUTHORIZED, "not you", out);
	CHECK_INT(len, 9);
	CHECK_INT(out[0], 0x7f);
	CHECK_INT(out[1], 6);
	CHECK(!memcmp(out + 2, "not you", 7));
	CHECK_INT(hs_frame_parse(out, len, &f, &err), 0);
	CHECK_INT(f.type, HS_REFUSED);
	CHECK_INT(f.reason, HS_REFUSE_UNAUTHORIZED);
	CHECK_STR(f.text, "not you");
	CHECK_STR(hs_refusal_name(f.reason), "unauthorized");

	/* No text at all is fine; no reason is not. */
	len = hs_refused_build(HS_REFUSE_BUSY, NULL, out);
	CHECK_INT(len, 2);
	CHECK_INT(hs_frame_parse(out, len, &f, &err), 0);
	CHECK_STR(f.text, "");
	CHECK_INT(hs_frame_parse(out, 1, &f, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "without a reason");

	/* Control bytes are replaced when building and refused when
	 * parsing.
	 */
	len = hs_refused_build(HS_REFUSE_INTERNAL, "a\nb", out);
	CHECK(!memcmp(out + 2, "a?b", 3));
	out[3] = '\n';
	CHECK_INT(hs_frame_parse(out, len, &f, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "byte 0x0a");

	/* A code from a later version still parses, by number. */
	out[0] = HS_REFUSED;
	out[1] = 200;
	CHECK_INT(hs_frame_parse(out, 2, &f, &err), 0);
	CHECK_INT(f.reason, 200);
	CHECK_STR(hs_refusal_name(200), "unknown");
}

/* @n bytes of @c, then @tail, in a buffer of the tests. */
static const char *text_of(size_t n, char c, const char *tail)
{
	static char text[HS_REFUSED_TEXT_MAX * 2];

	memset(text, c, n);
	snprintf(text + n, sizeof(text) - n, "%s", tail);
	return text;
}

/* Build a refusal of @text; the text it carries, as parsed back. */
static const char *round_trip(const char *text)
{
	static struct hs_frame f;
	static uint8_t out[HS_REFUSED_MAX];
	struct ockam_err err;
	size_t len = hs_refused_build(HS_REFUSE_INTERNAL, text, out);

	CHECK(len >= 2 && len <= HS_REFUSED_MAX);
	CHECK_INT(hs_frame_parse(out, len, &f, &err), 0);
	CHECK_INT(strlen(f.text), len - 2);
	return f.text;
}

/* The sender cuts to the limit that the parser enforces. */
static void refusal_text_limit(void)
{
	struct hs_frame f;
	struct ockam_err err;
	const char *text;

	CHECK_INT(HS_REFUSED_TEXT_MAX, 192);
	/* Exactly the limit: sent whole. */
	text = round_trip(text_of(HS_REFUSED_TEXT_MAX, 'x', ""));
	CHECK_INT(strlen(text), HS_REFUSED_TEXT_MAX);
	CHECK(!strstr(text, HS_REFUSED_CUT));
	/* One more: cut to the limit, ending in "..." to say so. */
	text = round_trip(text_of(HS_REFUSED_TEXT_MAX, 'x', "y"));
	CHECK_INT(strlen(text), HS_REFUSED_TEXT_MAX);
	CHECK_STR(text + HS_REFUSED_TEXT_MAX - 4, "x...");
	text = round_trip(text_of(300, 'x', ""));
	CHECK_INT(strlen(text), HS_REFUSED_TEXT_MAX);
	CHECK_STR(text + HS_REFUSED_TEXT_MAX - 3, HS_REFUSED_CUT);

	/* The parser takes the limit and refuses a byte more. */
	buf[0] = HS_REFUSED;
	buf[1] = HS_REFUSE_BUSY;
	memset(buf + 2, 'y', HS_REFUSED_TEXT_MAX + 1);
	CHECK_INT(hs_frame_parse(buf, 2 + HS_REFUSED_TEXT_MAX, &f, &err), 0);
	CHECK_INT(strlen(f.text), HS_REFUSED_TEXT_MAX);
	CHECK_INT(hs_frame_parse(buf, 2 + HS_REFUSED_TEXT_MAX + 1, &f, &err),
		  -EBADMSG);
	CHECK_CONTAINS(err.msg, "refusal text of 193 bytes; at most 192");
	CHECK_INT(hs_frame_parse(buf, 2 + 1000, &f, &err), -EBADMSG);
}

/* Characters that are not printable ASCII: one '?' each, never split. */
static void refusal_text_utf8(void)
{
	/* é (2 bytes), € (3), U+1F512 (4). */
	CHECK_STR(round_trip("caf\xc3\xa9 \xe2\x82\xac" "5 \xf0\x9f\x94\x92!"),
		  "caf? ?5 ?!");
	/* Stray continuation bytes and bytes no UTF-8 has: one each. */
	CHECK_STR(round_trip("a\x80\xbf\xc0\xff\x7f" "b"), "a?????b");
	/* A sequence cut short counts as what there is of it. */
	CHECK_STR(round_trip("a\xe2\x82"), "a?");
	CHECK_STR(round_trip("a\xe2\x82z"), "a?z");
	CHECK_STR(round_trip("a\xf0\x9f\x94"), "a?");
	/* The limit counts characters as sent: 191 and a 3-byte one fit. */
	CHECK_STR(round_trip(text_of(HS_REFUSED_TEXT_MAX - 1, 'x',
				     "\xe2\x82\xac")) +
		  HS_REFUSED_TEXT_MAX - 2, "x?");
	/* 192 and one more do not: the cut comes after a character. */
	CHECK_STR(round_trip(text_of(HS_REFUSED_TEXT_MAX - 2, 'x',
				     "\xc3\xa9\xc3\xa9\xc3\xa9")) +
		  HS_REFUSED_TEXT_MAX - 4, "x...");
}

SUITE(handshake_frame_suite, "handshake-frame",
      TEST(message_sizes),
      TEST(unknown_and_empty),
      TEST(refusals),
      TEST(refusal_text_limit),
      TEST(refusal_text_utf8));
