// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for the framing of secure-channel handshake messages,
 * which ockamd checks on every message that reaches a listener or a
 * handshake socket, before any cryptography. Invariants: no crash on any
 * input; a message that parses has a known type and a body of the size
 * its type allows, and a refusal's text is printable, at most
 * HS_REFUSED_TEXT_MAX bytes, and round-trips through hs_refused_build().
 * The input taken as a text to refuse with builds a refusal that parses:
 * the sender never writes what the receiver calls malformed.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../ockamd/handshake_frame.h"
#include "fuzz.h"

static void check_refused(const struct hs_frame *f, const uint8_t *data,
			  size_t size)
{
	uint8_t rebuilt[HS_REFUSED_MAX];
	size_t len, i;

	len = strlen(f->text);
	ASSERT(len <= HS_REFUSED_TEXT_MAX && len + 2 == size);
	for (i = 0; i < len; i++)
		ASSERT(f->text[i] >= 0x20 && f->text[i] <= 0x7e);
	ASSERT(hs_refusal_name(f->reason) != NULL);
	ASSERT(hs_refused_build(f->reason, f->text, rebuilt) == size);
	ASSERT(!memcmp(rebuilt, data, size));
}

static FUZZ_BOOKKEEPING bool printable(const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (text[i] < 0x20 || text[i] > 0x7e)
			return false;
	return true;
}

static void check_build(const uint8_t *data, size_t size)
{
	static char text[HS_FRAME_MAX + 1];
	uint8_t out[HS_REFUSED_MAX];
	struct hs_frame f;
	size_t len, text_len;

	if (size >= sizeof(text))
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	text_len = strlen(text);
	len = hs_refused_build(HS_REFUSE_BUSY, text, out);
	ASSERT(len >= 2 && len <= HS_REFUSED_MAX);
	ASSERT(hs_frame_parse(out, len, &f, NULL) == 0);
	ASSERT(f.reason == HS_REFUSE_BUSY && strlen(f.text) == len - 2);
	/* Nothing is lost but what does not fit or is not printable. */
	ASSERT((len == 2) == (text_len == 0));
	if (!printable(text, text_len))
		return;
	if (text_len <= HS_REFUSED_TEXT_MAX) {
		ASSERT(len == 2 + text_len && !memcmp(f.text, text, text_len));
	} else {
		ASSERT(len == HS_REFUSED_MAX);
		ASSERT(!memcmp(f.text, text,
			       HS_REFUSED_TEXT_MAX - HS_REFUSED_CUT_LEN));
		ASSERT(!strcmp(f.text + HS_REFUSED_TEXT_MAX -
			       HS_REFUSED_CUT_LEN, HS_REFUSED_CUT));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_frame f;

	check_build(data, size);

	if (hs_frame_parse(data, size, &f, NULL) < 0)
		return 0;
	ASSERT(size >= 1 && hs_type_known(f.type) && f.type == data[0]);
	ASSERT(f.body == data + 1 && f.body_len == size - 1);
	switch (f.type) {
	case HS_MSG1:
		ASSERT(f.body_len == HS_MSG1_BODY_LEN);
		break;
	case HS_MSG2:
		ASSERT(f.body_len >= HS_MSG2_BODY_MIN);
		break;
	case HS_MSG3:
		ASSERT(f.body_len >= HS_MSG3_BODY_MIN);
		break;
	case HS_ESTABLISHED:
		ASSERT(!f.body_len);
		break;
	case HS_REFUSED:
		check_refused(&f, data, size);
		break;
	}
	return 0;
}
