// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for the shared routing codec (kmod/codec.c) and the
 * library's route layer on top of it.
 *
 * Input: two bytes that choose how much of the message has "arrived"
 * (avail), then the message itself (total = the rest). Invariants:
 *  - a complete message either decodes or is -EINVAL, never -EAGAIN;
 *  - a prefix never decodes a message the whole would refuse, asks for
 *    more (-EAGAIN) exactly when the header is not all there, and when it
 *    decodes, finds what the whole message gives;
 *  - a decoded header re-encodes to the same bytes;
 *  - a route the codec accepts converts to struct ockam_route and back to
 *    the same bytes, and, when its local names are valid, prints and
 *    parses back to the same route.
 */
#include <stdlib.h>
#include <string.h>

#include <ockam/ockam.h>

#include "codec.h"
#include "fuzz.h"

static void check_message(const u8 *buf, u32 total, u32 avail)
{
	static u8 header[OCKAM_HEADER_MAX];
	struct ockam_route_parts onward, ret;
	struct ockam_msg_view full, part;
	int r_full, r_part;
	u32 len;

	r_full = ockam_msg_decode(buf, total, total, &full);
	r_part = ockam_msg_decode(buf, avail, total, &part);
	ASSERT(r_full == 0 || r_full == -EINVAL);
	if (r_full < 0) {
		ASSERT(r_part == -EINVAL || r_part == -EAGAIN);
		return;
	}
	ASSERT(full.header_len + full.payload_len == total);
	if (avail < full.header_len) {
		ASSERT(r_part == -EAGAIN);
	} else {
		ASSERT(r_part == 0);
		ASSERT(part.header_len == full.header_len);
		ASSERT(part.payload_len == full.payload_len);
		ASSERT(part.onward.hops == full.onward.hops);
		ASSERT(part.ret.hops == full.ret.hops);
	}

	ockam_route_parts_from_view(&onward, &full.onward);
	ockam_route_parts_from_view(&ret, &full.ret);
	len = ockam_header_len(&onward, &ret, full.payload_len);
	ASSERT(len == full.header_len);
	ASSERT(ockam_header_encode(header, &onward, &ret, full.payload_len) ==
	       len);
	ASSERT(!memcmp(header, buf, len));
}

static bool local_names_valid(const struct ockam_route *rt)
{
	unsigned int i;

	for (i = 0; i < rt->hops; i++)
		if (rt->addr[i].type == OCKAM_ADDR_LOCAL &&
		    !ockam_local_name_valid((const u8 *)rt->addr[i].value,
					    rt->addr[i].len))
			return false;
	return true;
}

static void check_route(const u8 *buf, u32 total)
{
	static struct ockam_route rt, back;
	static u8 wire[OCKAM_ROUTE_BYTES_MAX];
	static char text[OCKAM_ROUTE_TEXT_MAX];
	struct ockam_route_parts parts;
	struct ockam_route_view view;
	ssize_t len;
	int used;

	used = ockam_route_decode(buf, total, &view);
	/* The library accepts exactly the routes the codec accepts whole. */
	ASSERT((ockam_route_from_wire(&rt, buf, total, NULL) == 0) ==
	       (used >= 0 && (u32)used == total));
	if (used < 0)
		return;

	ockam_route_parts_from_view(&parts, &view);
	ASSERT(ockam_route_parts_len(&parts) == (u32)used);
	ASSERT(ockam_route_parts_encode(wire, &parts) == (u32)used);
	ASSERT(!memcmp(wire, buf, used));

	ASSERT(ockam_route_from_wire(&rt, buf, used, NULL) == 0);
	ASSERT(rt.hops == view.hops);
	len = ockam_route_to_wire(&rt, wire, sizeof(wire));
	ASSERT(len == used && !memcmp(wire, buf, used));

	if (!local_names_valid(&rt))
		return;
	len = ockam_route_format_any(&rt, text, sizeof(text));
	ASSERT(len >= 0);
	ASSERT(ockam_route_parse(&back, text, NULL, NULL, NULL) == 0);
	len = ockam_route_to_wire(&back, wire, sizeof(wire));
	ASSERT(len == used && !memcmp(wire, buf, used));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u32 total, avail;

	if (size < 2 || size > 2 + 4 * OCKAM_ROUTE_BYTES_MAX)
		return 0;
	total = size - 2;
	avail = ((u32)data[0] << 8 | data[1]) % (total + 1);
	check_message(data + 2, total, avail);
	check_route(data + 2, total);
	return 0;
}
