// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The route a recovering initiator channel tries: the path it was
 * created along, to the peer's node, then the peer's decryptor; and the
 * durations ockamd and the ockam command read the channel timing from.
 */
#include <errno.h>

#include <ockam/ockam.h>

#include "../ockamd/recovery_route.h"
#include "tap.h"

/* @origin and @current as route text; @out formatted into @text. */
static int recover(const char *origin, const char *current, char *text,
		   size_t size, struct ockam_err *err)
{
	static struct ockam_route o, c, out;
	int ret;

	CHECK_INT(ockam_route_parse(&o, origin, NULL, NULL, err), 0);
	CHECK_INT(ockam_route_parse(&c, current, NULL, NULL, err), 0);
	ret = recovery_route(&o, &c, &out, err);
	if (ret == 0)
		CHECK(ockam_route_format_any(&out, text, size) >= 0);
	return ret;
}

static void listener_becomes_decryptor(void)
{
	char text[OCKAM_ROUTE_TEXT_MAX];
	struct ockam_err err;

	/* Over TCP: the dead transport's address goes, the dial stays. */
	CHECK_INT(recover("1#10.0.0.2:4000 => api",
			  "f00d => 0123abcd", text, sizeof(text), &err), 0);
	CHECK_STR(text, "/ip4/10.0.0.2/tcp/4000/service/0123abcd");
	/* Through a relay: every hop up to the listener is kept. */
	CHECK_INT(recover("1#10.0.0.9:4000 => forward_to_n2 => api",
			  "beef => cafe => dec1", text, sizeof(text), &err), 0);
	CHECK_STR(text, "/ip4/10.0.0.9/tcp/4000/service/forward_to_n2/service/dec1");
	/* A listener on this node: the decryptor alone. */
	CHECK_INT(recover("api", "dec1", text, sizeof(text), &err), 0);
	CHECK_STR(text, "/service/dec1");
}

/* A userspace relay answers for the rest of the route: no guessing. */
static void proxied_answer_refused(void)
{
	char text[OCKAM_ROUTE_TEXT_MAX];
	struct ockam_err err;

	CHECK_INT(recover("1#10.0.0.2:4000 => mitm => 1#10.0.0.3:4000 => api",
			  "f00d => proxy7", text, sizeof(text), &err), -EPROTO);
	CHECK_CONTAINS(err.msg, "answers for the rest of it");
}

static void empty_routes_refused(void)
{
	static struct ockam_route empty, some, out;
	struct ockam_err err;

	ockam_route_init(&empty);
	CHECK_INT(ockam_route_parse(&some, "api", NULL, NULL, &err), 0);
	CHECK_INT(recovery_route(&empty, &some, &out, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "created along an empty route");
	CHECK_INT(recovery_route(&some, &empty, &out, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "route is empty");
}

static void too_long_refused(void)
{
	static struct ockam_route origin, current, out;
	struct ockam_err err;
	unsigned int i;

	ockam_route_init(&origin);
	for (i = 0; i < OCKAM_ROUTE_HOPS_MAX; i++)
		CHECK_INT(ockam_route_push(&origin, OCKAM_ADDR_LOCAL, "hop", 3,
					   &err), 0);
	/* The full length is fine: the listener's place is taken. */
	ockam_route_init(&current);
	for (i = 0; i + 1 < OCKAM_ROUTE_HOPS_MAX; i++)
		CHECK_INT(ockam_route_push(&current, OCKAM_ADDR_LOCAL, "t", 1,
					   &err), 0);
	CHECK_INT(ockam_route_push(&current, OCKAM_ADDR_LOCAL, "dec", 3,
				   &err), 0);
	CHECK_INT(recovery_route(&origin, &current, &out, &err), 0);
	CHECK_INT(out.hops, OCKAM_ROUTE_HOPS_MAX);
	CHECK_STR(out.addr[OCKAM_ROUTE_HOPS_MAX - 1].value, "dec");
}

static void durations(void)
{
	uint32_t ms = 1;

	CHECK_INT(ockam_duration_parse_ms("0", &ms), 0);
	CHECK_INT(ms, 0);
	CHECK_INT(ockam_duration_parse_ms("200ms", &ms), 0);
	CHECK_INT(ms, 200);
	CHECK_INT(ockam_duration_parse_ms("5m", &ms), 0);
	CHECK_INT(ms, 300000);
	CHECK_INT(ockam_duration_parse_ms("3", &ms), 0);
	CHECK_INT(ms, 3000);
	CHECK_INT(ockam_duration_parse_ms("1440m", &ms), 0);
	CHECK_INT(ms, 86400000);
	CHECK_INT(ockam_duration_parse_ms("1441m", &ms), -ERANGE);
	CHECK_INT(ockam_duration_parse_ms("99999999999", &ms), -ERANGE);
	CHECK_INT(ockam_duration_parse_ms("1h", &ms), -EINVAL);
	CHECK_INT(ockam_duration_parse_ms("", &ms), -EINVAL);
	CHECK_INT(ockam_duration_parse_ms("-1", &ms), -EINVAL);
}

SUITE(recovery_suite, "recovery",
      TEST(listener_becomes_decryptor),
      TEST(proxied_answer_refused),
      TEST(empty_routes_refused),
      TEST(too_long_refused),
      TEST(durations));
