// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libockam's route type and its wire encoding.
 */
#include <errno.h>

#include <ockam/ockam.h>

#include "tap.h"

static void push_validates(void)
{
	struct ockam_route rt;
	struct ockam_err err;
	char value[OCKAM_ADDR_VALUE_MAX + 2];
	int i;

	ockam_route_init(&rt);
	CHECK_INT(ockam_route_push(&rt, OCKAM_ADDR_LOCAL, "echo", 4, &err), 0);
	CHECK_INT(ockam_route_push(&rt, OCKAM_ADDR_LOCAL, "a/b", 3, &err),
		  -EINVAL);
	CHECK_CONTAINS(err.msg, "not a valid local address");
	CHECK_INT(ockam_route_push(&rt, OCKAM_ADDR_LOCAL, "", 0, &err), -EINVAL);
	/* Other types take any bytes, even none. */
	CHECK_INT(ockam_route_push(&rt, 7, "\0\xff", 2, &err), 0);
	CHECK_INT(ockam_route_push(&rt, OCKAM_ADDR_TCP, "", 0, &err), 0);
	memset(value, 'v', sizeof(value));
	CHECK_INT(ockam_route_push(&rt, OCKAM_ADDR_TCP, value,
				   OCKAM_ADDR_VALUE_MAX + 1, &err), -EINVAL);
	CHECK_INT(rt.hops, 3);
	CHECK_STR(rt.addr[0].value, "echo");

	ockam_route_init(&rt);
	for (i = 0; i < OCKAM_ROUTE_HOPS_MAX; i++)
		CHECK_INT(ockam_route_push(&rt, 0, "x", 1, &err), 0);
	CHECK_INT(ockam_route_push(&rt, 0, "x", 1, &err), -E2BIG);
}

static void wire_round_trip(void)
{
	struct ockam_route rt, back;
	struct ockam_err err;
	uint8_t buf[OCKAM_ROUTE_BYTES_MAX];
	char value[OCKAM_ADDR_VALUE_MAX];
	ssize_t len;
	int i;

	ockam_route_init(&rt);
	CHECK_INT(ockam_route_to_wire(&rt, buf, sizeof(buf)), 1);
	CHECK_INT(buf[0], 0);

	memset(value, 'z', sizeof(value));
	for (i = 0; i < OCKAM_ROUTE_HOPS_MAX; i++)
		ockam_route_push(&rt, i % 3, value, sizeof(value), NULL);
	len = ockam_route_to_wire(&rt, buf, sizeof(buf));
	/* A route of 64 maximal addresses is the largest there is. */
	CHECK_INT(len, 1 + OCKAM_ROUTE_HOPS_MAX * (1 + 2 + OCKAM_ADDR_VALUE_MAX));
	CHECK(len <= OCKAM_ROUTE_BYTES_MAX);
	CHECK_INT((size_t)len, ockam_route_wire_len(&rt));
	CHECK_INT(ockam_route_from_wire(&back, buf, len, &err), 0);
	CHECK_INT(back.hops, rt.hops);
	CHECK(!memcmp(&back.addr[5], &rt.addr[5], sizeof(rt.addr[5])));
	CHECK_INT(ockam_route_to_wire(&rt, buf, len - 1), -EMSGSIZE);
}

static void from_wire_errors(void)
{
	static const struct {
		uint8_t bytes[8];
		size_t len;
		const char *why;
	} cases[] = {
		{ { 0 }, 0, "inside its address count" },
		{ { 0x80 }, 1, "inside its address count" },
		{ { 0x80, 0x00 }, 2, "not a minimal" },
		{ { 65 }, 1, "65 addresses" },
		{ { 1 }, 1, "before address 1 of 1" },
		{ { 1, 0 }, 2, "inside the length of address 1" },
		{ { 1, 0, 0x81, 0x00 }, 4, "length of address 1 is not a minimal" },
		{ { 1, 0, 0x80, 0x02 }, 4, "256 bytes long" },
		{ { 1, 0, 3, 'a', 'b' }, 5, "inside address 1" },
		{ { 1, 0, 1, 'a', 9, 9 }, 6, "2 bytes follow the route" },
	};
	struct ockam_route rt;
	struct ockam_err err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ockam_err_clear(&err);
		CHECK_INT(ockam_route_from_wire(&rt, cases[i].bytes,
						cases[i].len, &err), -EINVAL);
		CHECK_CONTAINS(err.msg, cases[i].why);
	}
}

static void append_routes(void)
{
	struct ockam_route a, b;
	int i;

	ockam_route_init(&a);
	ockam_route_init(&b);
	ockam_route_push(&a, 0, "a", 1, NULL);
	ockam_route_push(&b, 0, "b", 1, NULL);
	ockam_route_push(&b, 0, "c", 1, NULL);
	CHECK_INT(ockam_route_append(&a, &b, NULL), 0);
	CHECK_INT(a.hops, 3);
	CHECK_STR(a.addr[2].value, "c");
	for (i = 0; i < OCKAM_ROUTE_HOPS_MAX - 2; i++)
		ockam_route_push(&b, 0, "x", 1, NULL);
	CHECK_INT(ockam_route_append(&a, &b, NULL), -E2BIG);
	CHECK_INT(a.hops, 3);
}

SUITE(route_suite, "route",
      TEST(push_validates),
      TEST(wire_round_trip),
      TEST(from_wire_errors),
      TEST(append_routes));
