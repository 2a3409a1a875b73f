// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for the shared portal message codec
 * (kmod/portal_msg.c).
 *
 * Input: one byte that chooses how much of the message has "arrived"
 * (avail), then the message itself (total = the rest). Invariants:
 *  - a complete message either decodes or is -EINVAL, never -EAGAIN;
 *  - a prefix never decodes what the whole refuses, asks for more only
 *    while the fixed part is not all there, and otherwise finds what the
 *    whole gives;
 *  - a decoded message re-encodes to the same fixed part, and a PAYLOAD's
 *    data runs exactly to the end.
 */
#include <string.h>

#include "fuzz.h"
#include "portal_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ockam_portal_msg full, part;
	u8 buf[OCKAM_PORTAL_MSG_HEADER_MAX];
	int r_full, r_part;
	u32 total, avail, len;

	if (size < 1 || size > 1 + 2 * OCKAM_PORTAL_CHUNK_MAX)
		return 0;
	total = size - 1;
	avail = data[0] % (total + 1);
	data++;

	r_full = ockam_portal_msg_decode(data, total, total, &full);
	r_part = ockam_portal_msg_decode(data, avail, total, &part);
	ASSERT(r_full == 0 || r_full == -EINVAL);
	if (r_full < 0) {
		ASSERT(r_part == -EINVAL || r_part == -EAGAIN);
		return 0;
	}
	len = ockam_portal_msg_header_len(full.type);
	ASSERT(len && len <= OCKAM_PORTAL_MSG_HEADER_MAX);
	if (avail < len) {
		ASSERT(r_part == -EAGAIN);
	} else {
		ASSERT(r_part == 0);
		ASSERT(!memcmp(&part, &full, sizeof(full)));
	}
	if (full.type == OCKAM_PORTAL_MSG_PAYLOAD) {
		ASSERT(full.data_off == len && full.data_len);
		ASSERT(full.data_off + full.data_len == total);
		ASSERT(full.data_len <= OCKAM_PORTAL_CHUNK_MAX);
	} else {
		ASSERT(total == len);
	}
	ASSERT(ockam_portal_msg_encode(buf, &full) == len);
	ASSERT(!memcmp(buf, data, len));
	return 0;
}
