// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for the framing of secure-channel handshake messages,
 * which ockamd checks on every message that reaches a listener or a
 * handshake socket, before any cryptography. Invariants: no crash on any
 * input; a message that parses has a known type and a body of the size
 * its type allows, and a refusal's text is printable and round-trips
 * through hs_refused_build().
 */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_frame f;

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
