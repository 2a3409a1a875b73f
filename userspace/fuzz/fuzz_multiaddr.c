// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for the route text parsers of libockam: MultiAddr
 * ("/ip4/10.0.0.2/tcp/4000/service/echo", with /node/NAME going to a
 * resolver), the plain form ("1#10.0.0.2:4000 => 0#echo") and the
 * "host:port" values (userspace/lib/multiaddr.c, hostport.c). The input
 * is the text, up to its first NUL.
 *
 * Invariants: no crash on any text; a refusal returns the errno it
 * records, with a message; a route that parses has valid addresses, and
 * prints -- in each form it has -- as text that parses back to the same
 * route and prints again to the same text; its wire form decodes to it;
 * a "host:port" that splits joins back to the very same text, since one
 * peer must have one spelling.
 */
#include <stdlib.h>
#include <string.h>

#include <ockam/ockam.h>

#include "codec.h"
#include "fuzz.h"

/*
 * /node/NAME without a registry: "n1" is one TCP hop, "v6" one over
 * IPv6, "full" fills the route to its limit (what follows must then fail
 * with -E2BIG); any other node is not running.
 */
static int resolve(const char *name, struct ockam_route *rt, void *arg,
		   struct ockam_err *err)
{
	static const char n1[] = "127.0.0.1:4000", v6[] = "[::1]:4001";
	int ret = 0;

	(void)arg;
	if (!strcmp(name, "n1"))
		return ockam_route_push(rt, OCKAM_ADDR_TCP, n1, strlen(n1), err);
	if (!strcmp(name, "v6"))
		return ockam_route_push(rt, OCKAM_ADDR_TCP, v6, strlen(v6), err);
	if (strcmp(name, "full"))
		return ockam_err_set(err, -ENOENT, "node %s is not running",
				     name);
	while (!ret && rt->hops < OCKAM_ROUTE_HOPS_MAX)
		ret = ockam_route_push(rt, OCKAM_ADDR_TCP, n1, strlen(n1), err);
	return ret;
}

static int parse(struct ockam_route *rt, const char *text)
{
	struct ockam_err err;
	int ret;

	ockam_err_clear(&err);
	ret = ockam_route_parse(rt, text, resolve, NULL, &err);
	if (ret < 0)
		ASSERT(err.code == ret && err.msg[0]);
	else
		ASSERT(!ret);
	return ret;
}

/* What a parsed route holds is what the kernel would take. */
static void check_valid(const struct ockam_route *rt)
{
	unsigned int i;

	ASSERT(rt->hops <= OCKAM_ROUTE_HOPS_MAX);
	for (i = 0; i < rt->hops; i++) {
		const struct ockam_addr *a = &rt->addr[i];

		ASSERT(a->value[a->len] == '\0');
		if (a->type == OCKAM_ADDR_LOCAL)
			ASSERT(ockam_local_name_valid((const u8 *)a->value,
						      a->len));
	}
}

/* @rt printed in @style, if it can be, parses back and prints the same. */
static void check_style(const struct ockam_route *rt,
			enum ockam_route_style style)
{
	static char text[OCKAM_ROUTE_TEXT_MAX], again[OCKAM_ROUTE_TEXT_MAX];
	static struct ockam_route back;
	ssize_t len;

	len = ockam_route_format(rt, style, text, sizeof(text));
	/* The plain form always exists, and the buffer holds any route. */
	ASSERT(len >= 0 || (style == OCKAM_ROUTE_MULTIADDR && len == -EINVAL));
	if (len < 0)
		return;
	ASSERT((size_t)len == strlen(text));
	ASSERT(!parse(&back, text));
	ASSERT(ockam_route_equal(rt, &back));
	ASSERT(ockam_route_format(&back, style, again, sizeof(again)) == len);
	ASSERT(!memcmp(text, again, len));
}

static void check_wire(const struct ockam_route *rt)
{
	static u8 wire[OCKAM_ROUTE_BYTES_MAX];
	static struct ockam_route back;
	ssize_t len;

	len = ockam_route_to_wire(rt, wire, sizeof(wire));
	ASSERT(len >= 0 && (size_t)len == ockam_route_wire_len(rt));
	ASSERT(!ockam_route_from_wire(&back, wire, len, NULL));
	ASSERT(ockam_route_equal(rt, &back));
}

static void check_route(const char *text)
{
	static struct ockam_route rt;

	if (parse(&rt, text) < 0)
		return;
	check_valid(&rt);
	check_style(&rt, OCKAM_ROUTE_MULTIADDR);
	check_style(&rt, OCKAM_ROUTE_PLAIN);
	check_wire(&rt);
}

static void check_hostport(const char *text, bool allow_zero)
{
	char host[OCKAM_HOST_MAX + 1], back[OCKAM_HOSTPORT_MAX + 1];
	struct ockam_err err;
	uint16_t port;
	int len;

	if (ockam_hostport_split(text, host, sizeof(host), &port, allow_zero,
				 &err) < 0) {
		ASSERT(err.code < 0 && err.msg[0]);
		return;
	}
	ASSERT(port || allow_zero);
	len = ockam_hostport_join(back, sizeof(back), host, port);
	ASSERT(len >= 0 && !strcmp(back, text));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size >= OCKAM_ROUTE_TEXT_MAX)
		return 0;
	/* Exactly the text and its NUL: a read past it is a report. */
	text = malloc(size + 1);
	ASSERT(text);
	memcpy(text, data, size);
	text[size] = '\0';
	check_route(text);
	check_hostport(text, false);
	check_hostport(text, true);
	free(text);
	return 0;
}
