/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Secure-channel handshake messages on the wire: the payload of an
 * ordinary AF_OCKAM message is a type byte and a body
 * (Documentation/wire-protocol.rst, "Handshake"). Building and checking
 * them needs no keys, so this part is tested and fuzzed on its own.
 */
#ifndef OCKAMD_HANDSHAKE_FRAME_H
#define OCKAMD_HANDSHAKE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ockam/ockam.h>

enum hs_type {
	HS_MSG1 = 1,		/* -> e */
	HS_MSG2 = 2,		/* <- e, ee, s, es + responder's identity */
	HS_MSG3 = 3,		/* -> s, se + initiator's identity */
	HS_ESTABLISHED = 4,	/* the responder installed the channel */
	HS_REFUSED = 0x7f,	/* reason code and text: handshake abandoned */
};

/* Why a handshake was refused: the reason byte of HS_REFUSED. */
enum hs_refusal {
	HS_REFUSE_MALFORMED = 1,
	HS_REFUSE_UNEXPECTED = 2,
	HS_REFUSE_BAD_IDENTITY = 3,
	HS_REFUSE_EXPIRED = 4,
	HS_REFUSE_KEY_MISMATCH = 5,
	HS_REFUSE_UNAUTHORIZED = 6,
	HS_REFUSE_BUSY = 7,
	HS_REFUSE_TIMEOUT = 8,
	HS_REFUSE_INTERNAL = 9,
};

enum hs_frame_limits {
	/* Noise's limit on one handshake message, plus the type byte. */
	HS_NOISE_MSG_MAX = 65535,
	HS_FRAME_MAX = 1 + HS_NOISE_MSG_MAX,
	HS_DH_LEN = 32,
	HS_TAG_LEN = 16,
	/* Message 1 is e alone: the payload is empty. */
	HS_MSG1_BODY_LEN = HS_DH_LEN,
	/* e, the encrypted s, then at least the tag of the payload. */
	HS_MSG2_BODY_MIN = HS_DH_LEN + HS_DH_LEN + HS_TAG_LEN + HS_TAG_LEN,
	/* The encrypted s, then at least the tag of the payload. */
	HS_MSG3_BODY_MIN = HS_DH_LEN + HS_TAG_LEN + HS_TAG_LEN,
	/*
	 * HS_REFUSED: reason, then up to this much printable ASCII
	 * (Documentation/wire-protocol.rst). The daemon's refusals, a
	 * sentence with an identifier (65 bytes) and at most two times,
	 * fit whole.
	 */
	HS_REFUSED_TEXT_MAX = 192,
	HS_REFUSED_MAX = 1 + 1 + HS_REFUSED_TEXT_MAX,
	/* The end of a text that was cut to fit: HS_REFUSED_CUT. */
	HS_REFUSED_CUT_LEN = 3,
};

#define HS_REFUSED_CUT "..."

/* A parsed handshake message; @body points into the caller's buffer. */
struct hs_frame {
	uint8_t type;
	const uint8_t *body;
	size_t body_len;
	/* HS_REFUSED only: */
	uint8_t reason;
	char text[HS_REFUSED_TEXT_MAX + 1];
};

/* Whether @type is one of enum hs_type. */
bool hs_type_known(uint8_t type);

/*
 * Check @len bytes against the layout of their type. -EBADMSG with the
 * reason in @err for an empty message, an unknown type or a body of the
 * wrong size; HS_REFUSED text must be printable ASCII.
 */
int hs_frame_parse(const uint8_t *buf, size_t len, struct hs_frame *f,
		   struct ockam_err *err);

/*
 * HS_REFUSED with @reason and @text into @out of HS_REFUSED_MAX bytes;
 * the length. The text goes out as printable ASCII: a character outside
 * 0x20..0x7e becomes one '?' (a UTF-8 sequence as a whole, so a cut never
 * falls inside a character), and a text of more than HS_REFUSED_TEXT_MAX
 * characters is cut to that many, the last three being HS_REFUSED_CUT.
 * hs_frame_parse() refuses a longer text, so whatever this builds parses.
 */
size_t hs_refused_build(enum hs_refusal reason, const char *text,
			uint8_t out[HS_REFUSED_MAX]);

/* "unauthorized", ... (as the counters of the rejecting side name them);
 * "unknown" for codes this version does not know.
 */
const char *hs_refusal_name(uint8_t reason);
const char *hs_type_name(uint8_t type);

#endif /* OCKAMD_HANDSHAKE_FRAME_H */
