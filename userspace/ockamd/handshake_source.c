// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The per-source keys of a handshake's message 1 (handshake_source.h).
 * Keys are compared as encoded bytes: an address encodes one way only
 * (minimal ULEB128 lengths, which the kernel's codec insists on), and a
 * run of whole addresses decodes one way only, so equal bytes are equal
 * routes and the reverse.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "handshake_source.h"

int hs_source_from_route(struct hs_source *src, const uint8_t *route,
			 size_t len)
{
	struct ockam_route_view rt;
	struct ockam_addr_view addr;
	int ret;

	memset(src, 0, sizeof(*src));
	if (len > UINT32_MAX)
		return -EINVAL;
	ret = ockam_route_decode(route, len, &rt);
	if (ret < 0 || (size_t)ret != len)
		return -EINVAL;
	src->addrs = rt.addrs;
	src->hops = rt.hops;
	if (!rt.hops)
		return 0;
	ockam_route_first(&rt, &addr);
	src->hop_len = addr.encoded_len;
	/* Walk to the last address: the source is everything before it. */
	while (rt.hops > 1) {
		ockam_route_first(&rt, &addr);
		ockam_route_skip(&rt, &addr);
	}
	src->source_len = rt.addrs - src->addrs;
	return 0;
}

static bool same_run(const uint8_t *a, size_t a_len, const uint8_t *b,
		     size_t b_len)
{
	return a_len == b_len && (!a_len || !memcmp(a, b, a_len));
}

bool hs_source_same_hop(const struct hs_source *a, const struct hs_source *b)
{
	return same_run(a->addrs, a->hop_len, b->addrs, b->hop_len);
}

bool hs_source_same_source(const struct hs_source *a,
			   const struct hs_source *b)
{
	return same_run(a->addrs, a->source_len, b->addrs, b->source_len);
}

void hs_source_tally_add(struct hs_source_tally *t,
			 const struct hs_source *src,
			 const struct hs_source *pending)
{
	if (hs_source_same_hop(src, pending))
		t->hop++;
	if (hs_source_same_source(src, pending))
		t->source++;
}

enum hs_source_verdict hs_source_check(const struct hs_source_tally *t)
{
	if (t->source >= SECURE_PENDING_PER_SOURCE)
		return HS_SOURCE_FULL;
	if (t->hop >= SECURE_PENDING_PER_HOP)
		return HS_SOURCE_HOP_FULL;
	return HS_SOURCE_ADMIT;
}

void hs_source_hop_text(const struct hs_source *src,
			char buf[HS_SOURCE_HOP_TEXT_MAX])
{
	struct ockam_addr_view addr;
	int n, i;

	if (!src->hops ||
	    ockam_addr_decode(src->addrs, src->hop_len, &addr) < 0) {
		snprintf(buf, HS_SOURCE_HOP_TEXT_MAX, "-");
		return;
	}
	n = snprintf(buf, HS_SOURCE_HOP_TEXT_MAX, "%u#", addr.type);
	for (i = 0; i < addr.len; i++) {
		uint8_t c = addr.value[i];

		buf[n + i] = c >= 0x21 && c <= 0x7e ? (char)c : '?';
	}
	buf[n + addr.len] = '\0';
}
