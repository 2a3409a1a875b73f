// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Handshake message framing. Every message comes from the network, so the
 * checks are strict: a body is exactly as long as its type allows, and a
 * refusal's text is printable ASCII of bounded length.
 */
#include <errno.h>
#include <string.h>

#include "handshake_frame.h"
#include "util.h"

bool hs_type_known(uint8_t type)
{
	switch (type) {
	case HS_MSG1:
	case HS_MSG2:
	case HS_MSG3:
	case HS_ESTABLISHED:
	case HS_REFUSED:
		return true;
	default:
		return false;
	}
}

const char *hs_type_name(uint8_t type)
{
	switch (type) {
	case HS_MSG1:
		return "message 1";
	case HS_MSG2:
		return "message 2";
	case HS_MSG3:
		return "message 3";
	case HS_ESTABLISHED:
		return "established";
	case HS_REFUSED:
		return "refused";
	default:
		return "unknown";
	}
}

const char *hs_refusal_name(uint8_t reason)
{
	static const char *const names[] = {
		[HS_REFUSE_MALFORMED] = "malformed",
		[HS_REFUSE_UNEXPECTED] = "unexpected",
		[HS_REFUSE_BAD_IDENTITY] = "bad-identity",
		[HS_REFUSE_EXPIRED] = "expired",
		[HS_REFUSE_KEY_MISMATCH] = "key-mismatch",
		[HS_REFUSE_UNAUTHORIZED] = "unauthorized",
		[HS_REFUSE_BUSY] = "busy",
		[HS_REFUSE_TIMEOUT] = "timeout",
		[HS_REFUSE_INTERNAL] = "internal",
	};

	return reason < ARRAY_SIZE(names) && names[reason] ? names[reason] :
							    "unknown";
}

static bool text_char(uint8_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

static int parse_refused(struct hs_frame *f, struct ockam_err *err)
{
	size_t i, text_len;

	if (f->body_len < 1)
		return ockam_err_set(err, -EBADMSG,
				     "refusal without a reason code");
	text_len = f->body_len - 1;
	if (text_len > HS_REFUSED_TEXT_MAX)
		return ockam_err_set(err, -EBADMSG,
				     "refusal text of %zu bytes; at most %d",
				     text_len, HS_REFUSED_TEXT_MAX);
	for (i = 0; i < text_len; i++)
		if (!text_char(f->body[1 + i]))
			return ockam_err_set(err, -EBADMSG,
					     "refusal text has byte 0x%02x",
					     f->body[1 + i]);
	f->reason = f->body[0];
	memcpy(f->text, f->body + 1, text_len);
	f->text[text_len] = '\0';
	return 0;
}

int hs_frame_parse(const uint8_t *buf, size_t len, struct hs_frame *f,
		   struct ockam_err *err)
{
	memset(f, 0, sizeof(*f));
	if (!len)
		return ockam_err_set(err, -EBADMSG, "empty handshake message");
	if (len > HS_FRAME_MAX)
		return ockam_err_set(err, -EBADMSG,
				     "handshake message of %zu bytes; at most %d",
				     len, HS_FRAME_MAX);
	f->type = buf[0];
	f->body = buf + 1;
	f->body_len = len - 1;
	switch (f->type) {
	case HS_MSG1:
		if (f->body_len != HS_MSG1_BODY_LEN)
			return ockam_err_set(err, -EBADMSG,
					     "message 1 of %zu bytes; it is %d",
					     f->body_len, HS_MSG1_BODY_LEN);
		return 0;
	case HS_MSG2:
		if (f->body_len < HS_MSG2_BODY_MIN)
			return ockam_err_set(err, -EBADMSG,
					     "message 2 of %zu bytes is truncated",
					     f->body_len);
		return 0;
	case HS_MSG3:
		if (f->body_len < HS_MSG3_BODY_MIN)
			return ockam_err_set(err, -EBADMSG,
					     "message 3 of %zu bytes is truncated",
					     f->body_len);
		return 0;
	case HS_ESTABLISHED:
		if (f->body_len)
			return ockam_err_set(err, -EBADMSG,
					     "established message with a %zu-byte body",
					     f->body_len);
		return 0;
	case HS_REFUSED:
		return parse_refused(f, err);
	default:
		return ockam_err_set(err, -EBADMSG,
				     "unknown handshake message type 0x%02x",
				     f->type);
	}
}

/*
 * Bytes one character of @p takes: a well-formed UTF-8 lead byte and its
 * continuation bytes, else one byte (ASCII, or a stray byte).
 */
static size_t char_len(const uint8_t *p)
{
	size_t want, len;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		want = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		want = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		want = 4;
	else
		return 1;
	/* The string's NUL is not a continuation byte: this stops there. */
	for (len = 1; len < want && (p[len] & 0xc0) == 0x80; len++)
		;
	return len;
}

size_t hs_refused_build(enum hs_refusal reason, const char *text,
			uint8_t out[HS_REFUSED_MAX])
{
	const uint8_t *p = (const uint8_t *)(text ? text : "");
	size_t len = 0;

	out[0] = HS_REFUSED;
	out[1] = reason;
	for (; *p; p += char_len(p)) {
		if (len == HS_REFUSED_TEXT_MAX) {
			/* More than fits: say that it was cut. */
			memcpy(out + 2 + len - HS_REFUSED_CUT_LEN,
			       HS_REFUSED_CUT, HS_REFUSED_CUT_LEN);
			break;
		}
		out[2 + len++] = text_char(*p) ? *p : '?';
	}
	return 2 + len;
}
