// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The per-source keys of a handshake's message 1: what a return route's
 * first hop and source are, which routes share them, and the bounds a
 * listener applies, run the way secure_listener.c runs them against a
 * flood from one node and a flood of forged routes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <ockam/ockam.h>

#include "../ockamd/handshake_source.h"
#include "tap.h"

enum { WIRES = 64 };

/* Encoded routes live here, as the keys point into them. */
static struct ockam_wire_route wires[WIRES];
static unsigned int wires_used;

/* The encoded route of the local addresses given, NULL-terminated. */
static const struct ockam_wire_route *route(const char *first, ...)
{
	static struct ockam_route rt;
	struct ockam_wire_route *w = &wires[wires_used++ % WIRES];
	const char *name;
	ssize_t len;
	va_list ap;

	ockam_route_init(&rt);
	va_start(ap, first);
	for (name = first; name; name = va_arg(ap, const char *))
		ockam_route_push(&rt, OCKAM_ADDR_LOCAL, name, strlen(name),
				 NULL);
	va_end(ap);
	len = ockam_route_to_wire(&rt, w->bytes, sizeof(w->bytes));
	w->len = len < 0 ? 0 : (size_t)len;
	return w;
}

static struct hs_source source_of(const struct ockam_wire_route *w)
{
	struct hs_source src;

	CHECK_INT(hs_source_from_route(&src, w->bytes, w->len), 0);
	return src;
}

static void keys(void)
{
	const struct ockam_wire_route *w;
	struct hs_source src;

	/* [c12, a, X]: the hop is "c12" (00 03 c 1 2), the source "c12"
	 * and "a" (00 01 a), X is left out.
	 */
	w = route("c12", "a", "X", NULL);
	src = source_of(w);
	CHECK_INT(src.hops, 3);
	CHECK(src.addrs == w->bytes + 1);
	CHECK_INT(src.hop_len, 5);
	CHECK_INT(src.source_len, 8);
	CHECK(!memcmp(src.addrs, "\x00\x03" "c12" "\x00\x01" "a", 8));

	/* A neighbour: the source is the connection itself. */
	src = source_of(route("c12", "X", NULL));
	CHECK_INT(src.hop_len, 5);
	CHECK_INT(src.source_len, 5);

	/* An initiator on this node: its socket, and an empty source. */
	src = source_of(route("X", NULL));
	CHECK_INT(src.hops, 1);
	CHECK_INT(src.hop_len, 3);
	CHECK_INT(src.source_len, 0);

	src = source_of(route(NULL));
	CHECK_INT(src.hops, 0);
	CHECK_INT(src.hop_len, 0);
	CHECK_INT(src.source_len, 0);
}

static void malformed_routes(void)
{
	const struct ockam_wire_route *w = route("c12", "X", NULL);
	uint8_t longer[OCKAM_ROUTE_BYTES_MAX + 1];
	struct hs_source src;

	CHECK_INT(hs_source_from_route(&src, w->bytes, w->len - 1), -EINVAL);
	CHECK_INT(hs_source_from_route(&src, w->bytes, 0), -EINVAL);
	memcpy(longer, w->bytes, w->len);
	longer[w->len] = 0;
	CHECK_INT(hs_source_from_route(&src, longer, w->len + 1), -EINVAL);
	/* A count that is not minimal ULEB128. */
	CHECK_INT(hs_source_from_route(&src, (const uint8_t *)"\x80\x00", 2),
		  -EINVAL);
}

static void same_keys(void)
{
	struct hs_source a = source_of(route("c12", "s23", "X1", NULL));
	struct hs_source b = source_of(route("c12", "s23", "X2", NULL));
	struct hs_source c = source_of(route("c12", "s24", "X1", NULL));
	struct hs_source d = source_of(route("c13", "s23", "X1", NULL));
	struct hs_source e = source_of(route("c12", "X1", NULL));
	struct hs_source f = source_of(route("c1", "X1", NULL));
	struct hs_source l1 = source_of(route("X1", NULL));
	struct hs_source l2 = source_of(route("X2", NULL));

	/* The last address, the initiator's socket, does not count. */
	CHECK(hs_source_same_source(&a, &b));
	CHECK(hs_source_same_hop(&a, &b));
	/* The same connection, another node behind it. */
	CHECK(hs_source_same_hop(&a, &c));
	CHECK(!hs_source_same_source(&a, &c));
	/* The same route after another first hop. */
	CHECK(!hs_source_same_hop(&a, &d));
	CHECK(!hs_source_same_source(&a, &d));
	/* A route that is a prefix of another is another source. */
	CHECK(hs_source_same_hop(&a, &e));
	CHECK(!hs_source_same_source(&a, &e));
	/* So is a name that is a prefix of another. */
	CHECK(!hs_source_same_hop(&e, &f));
	/* Initiators on this node: one source, each its own hop. */
	CHECK(hs_source_same_source(&l1, &l2));
	CHECK(!hs_source_same_hop(&l1, &l2));
	CHECK(!hs_source_same_source(&l1, &e));
}

/* Listener state as secure_listener.c keeps it: the pending sources. */
static struct hs_source pending[128];
static unsigned int pending_count;

/* What the listener does with a message 1 from @src; admitted ones stay. */
static enum hs_source_verdict offer(struct hs_source src)
{
	struct hs_source_tally t = { 0 };
	enum hs_source_verdict v;
	unsigned int i;

	for (i = 0; i < pending_count; i++)
		hs_source_tally_add(&t, &src, &pending[i]);
	v = hs_source_check(&t);
	if (v == HS_SOURCE_ADMIT)
		pending[pending_count++] = src;
	return v;
}

static void one_source_flooding(void)
{
	char x[16];
	int i;

	pending_count = 0;
	/* n1 behind n2: every message 1 from a new socket X1, X2, ... */
	for (i = 0; i < SECURE_PENDING_PER_SOURCE; i++) {
		snprintf(x, sizeof(x), "X%d", i);
		CHECK_INT(offer(source_of(route("s23", "s12", x, NULL))),
			  HS_SOURCE_ADMIT);
	}
	for (i = 0; i < 20; i++)
		CHECK_INT(offer(source_of(route("s23", "s12", "Y", NULL))),
			  HS_SOURCE_FULL);
	/* n2 itself, through the same connection, still gets in. */
	CHECK_INT(offer(source_of(route("s23", "Z", NULL))), HS_SOURCE_ADMIT);
	/* So does another neighbour. */
	CHECK_INT(offer(source_of(route("s34", "Z", NULL))), HS_SOURCE_ADMIT);
	CHECK_INT(pending_count, SECURE_PENDING_PER_SOURCE + 2);
}

static void forged_sources(void)
{
	char fake[16];
	int i;

	pending_count = 0;
	/* A neighbour writes a made-up address into each return route:
	 * every message 1 looks like another source, but all came through
	 * its connection.
	 */
	for (i = 0; i < SECURE_PENDING_PER_HOP; i++) {
		snprintf(fake, sizeof(fake), "fake%d", i);
		CHECK_INT(offer(source_of(route("s23", fake, "X", NULL))),
			  HS_SOURCE_ADMIT);
	}
	for (i = 0; i < 40; i++) {
		snprintf(fake, sizeof(fake), "more%d", i);
		CHECK_INT(offer(source_of(route("s23", fake, "X", NULL))),
			  HS_SOURCE_HOP_FULL);
	}
	/* Another connection is not held up. */
	CHECK_INT(offer(source_of(route("s34", "X", NULL))), HS_SOURCE_ADMIT);
	/* A source at its bound is named first, hop full or not. */
	for (i = 0; i < SECURE_PENDING_PER_SOURCE - 1; i++)
		CHECK_INT(offer(source_of(route("s34", "X", NULL))),
			  HS_SOURCE_ADMIT);
	CHECK_INT(offer(source_of(route("s34", "X", NULL))), HS_SOURCE_FULL);
	CHECK_INT(offer(source_of(route("s23", "fake0", "X", NULL))),
		  HS_SOURCE_HOP_FULL);
}

static void local_initiators(void)
{
	char x[16];
	int i;

	pending_count = 0;
	for (i = 0; i < SECURE_PENDING_PER_SOURCE; i++) {
		snprintf(x, sizeof(x), "X%d", i);
		CHECK_INT(offer(source_of(route(x, NULL))), HS_SOURCE_ADMIT);
	}
	CHECK_INT(offer(source_of(route("X9", NULL))), HS_SOURCE_FULL);
	/* The bounds themselves, as documented. */
	CHECK_INT(SECURE_PENDING_PER_SOURCE, 4);
	CHECK_INT(SECURE_PENDING_PER_HOP, 16);
}

static void hop_text(void)
{
	char buf[HS_SOURCE_HOP_TEXT_MAX];
	struct hs_source src;
	static struct ockam_route rt;
	struct ockam_wire_route w;
	ssize_t len;

	hs_source_hop_text(&(struct hs_source){ 0 }, buf);
	CHECK_STR(buf, "-");
	src = source_of(route("c12", "X", NULL));
	hs_source_hop_text(&src, buf);
	CHECK_STR(buf, "0#c12");
	/* Another transport's value, bytes and all. */
	ockam_route_init(&rt);
	CHECK_INT(ockam_route_push(&rt, 7, "a\nb\xff", 4, NULL), 0);
	len = ockam_route_to_wire(&rt, w.bytes, sizeof(w.bytes));
	CHECK(len > 0);
	w.len = len;
	src = source_of(&w);
	hs_source_hop_text(&src, buf);
	CHECK_STR(buf, "7#a?b?");
}

SUITE(handshake_source_suite, "handshake-source",
      TEST(keys),
      TEST(malformed_routes),
      TEST(same_keys),
      TEST(one_source_flooding),
      TEST(forged_sources),
      TEST(local_initiators),
      TEST(hop_text));
