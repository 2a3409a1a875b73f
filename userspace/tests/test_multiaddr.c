// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * MultiAddr and plain route text: parse, print, round trip, errors.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ockam/ockam.h>

#include "tap.h"

/* The route as plain text, for compact comparisons. */
static const char *plain(const struct ockam_route *rt)
{
	static char buf[OCKAM_ROUTE_TEXT_MAX];

	if (ockam_route_format(rt, OCKAM_ROUTE_PLAIN, buf, sizeof(buf)) < 0)
		return "(unprintable)";
	return buf;
}

static void parse_valid(void)
{
	static const struct {
		const char *text;
		const char *plain;
	} cases[] = {
		{ "/service/echo", "0#echo" },
		{ "/worker/3f2a", "0#3f2a" },
		{ "/secure/api", "0#api" },
		{ "/ip4/10.0.0.2/tcp/4000/service/echo",
		  "1#10.0.0.2:4000 => 0#echo" },
		{ "/ip6/::1/tcp/4000", "1#[::1]:4000" },
		{ "/ip6/fe80::1:2/tcp/65535", "1#[fe80::1:2]:65535" },
		{ "/dnsaddr/localhost/tcp/1", "1#localhost:1" },
		{ "/dnsaddr/relay.example-1.org/tcp/443", "1#relay.example-1.org:443" },
		{ "/ip4/192.168.1.1/udp/5000", "2#192.168.1.1:5000" },
		{ "/ip6/::/udp/9", "2#[::]:9" },
		{ "/ip6/fe80::1/udp/4000/service/echo",
		  "2#[fe80::1]:4000 => 0#echo" },
		{ "/dnsaddr/relay.example.org/udp/53", "2#relay.example.org:53" },
		{ "/ip4/10.0.0.1/tcp/1/ip4/10.0.0.2/udp/2/ip6/::3/tcp/3/service/e",
		  "1#10.0.0.1:1 => 2#10.0.0.2:2 => 1#[::3]:3 => 0#e" },
		{ "/service/forward_to_n3/service/api",
		  "0#forward_to_n3 => 0#api" },
		{ "/", "" },
		{ "", "" },
		{ "0#echo", "0#echo" },
		{ "echo", "0#echo" },
		{ "1#10.0.0.2:4000 => 0#echo", "1#10.0.0.2:4000 => 0#echo" },
		{ "1#10.0.0.2:4000=>echo", "1#10.0.0.2:4000 => 0#echo" },
		{ "a, b ,c", "0#a => 0#b => 0#c" },
		{ "  7#x\\x20y\\\\z  ", "7#x\\x20y\\\\z" },
		{ "5#", "5#" },
	};
	struct ockam_route rt;
	struct ockam_err err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ockam_err_clear(&err);
		CHECK_INT(ockam_route_parse(&rt, cases[i].text, NULL, NULL,
					    &err), 0);
		if (err.code)
			printf("# %s: %s\n", cases[i].text, err.msg);
		CHECK_STR(plain(&rt), cases[i].plain);
	}
}

static void parse_invalid(void)
{
	static const struct {
		const char *text;
		const char *why;
	} cases[] = {
		{ "/ip4/10.0.0/tcp/4000", "\"/ip4/10.0.0\": '10.0.0' is not an IPv4 address" },
		{ "/ip4/10.0.0.1", "must be followed by /tcp/PORT or /udp/PORT" },
		{ "/ip4/10.0.0.1/sctp/1", "not /sctp" },
		{ "/ip4/10.0.0.1/tcp", "/tcp needs a port" },
		{ "/ip4/10.0.0.1/tcp/0", "'0' is not a port number" },
		{ "/ip4/10.0.0.1/tcp/65536", "'65536' is not a port number" },
		{ "/ip4/10.0.0.1/tcp/04000", "'04000' is not a port number" },
		{ "/ip4/10.0.0.1/tcp/+1", "not a port number" },
		{ "/ip6/1.2.3.4/tcp/1", "not an IPv6 address" },
		{ "/ip4/::1/tcp/1", "not an IPv4 address" },
		{ "/dnsaddr/bad..name/tcp/1", "not a host name" },
		/* One peer, one string: the kernel matches dials by it. */
		{ "/ip6/0::1/tcp/1", "'0::1': write it as '::1'" },
		{ "/ip6/::0:1/tcp/1", "write it as '::1'" },
		{ "/ip6/FE80::1/tcp/1", "write it as 'fe80::1'" },
		{ "/dnsaddr/Example.com/tcp/1", "write it as 'example.com'" },
		{ "/dnsaddr/a b/tcp/1", "not a host name" },
		/* Resolvers would read these as IPv4 addresses. */
		{ "/dnsaddr/127.1/tcp/1", "'127.1' is not a host name" },
		{ "/dnsaddr/10.0.0/tcp/1", "not a host name" },
		{ "/dnsaddr/0x7f.1/tcp/1", "not a host name" },
		{ "/dnsaddr/0X7f/tcp/1", "not a host name" },
		{ "/tcp/4000", "\"/tcp\": must follow /ip4/ADDR" },
		{ "/foo/bar", "\"/foo\": unknown protocol" },
		{ "/service", "/service needs a name" },
		{ "/service/echo/", "empty component at character 15" },
		{ "//service/echo", "empty component at character 2" },
		{ "/service//echo", "empty component" },
		{ "/service/a#b", "not a valid local address" },
		{ "/node/n1", "node names cannot be resolved here" },
		{ "/node", "/node needs a node name" },
		{ "300#x", "'300' is not a transport type number" },
		{ "01#x", "is not a transport type number" },
		{ "abc#x", "'abc' is not a transport type number" },
		{ "#x", "is not a transport type number" },
		{ "0#", "not a valid local address" },
		{ "a/b", "not a valid local address" },
		{ "a => => b", "missing address at character 6" },
		{ "a b", "expected \"=>\" or \",\" at character 3" },
		{ "a,", "missing address" },
		{ "1#x\\q", "starts neither" },
		{ "1#x\\x4", "starts neither" },
	};
	struct ockam_route rt;
	struct ockam_err err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ockam_err_clear(&err);
		CHECK_INT(ockam_route_parse(&rt, cases[i].text, NULL, NULL,
					    &err), -EINVAL);
		CHECK_CONTAINS(err.msg, cases[i].why);
	}
}

static void parse_limits(void)
{
	char text[OCKAM_ROUTE_HOPS_MAX * 12 + 64], name[300];
	struct ockam_route rt;
	struct ockam_err err;
	size_t len = 0;
	int i;

	for (i = 0; i <= OCKAM_ROUTE_HOPS_MAX; i++)
		len += sprintf(text + len, "/service/s%d", i);
	CHECK_INT(ockam_route_parse(&rt, text, NULL, NULL, &err), -E2BIG);
	CHECK_CONTAINS(err.msg, "at most 64 addresses");

	memset(name, 'n', sizeof(name));
	name[OCKAM_ADDR_VALUE_MAX] = '\0';
	snprintf(text, sizeof(text), "/service/%s", name);
	CHECK_INT(ockam_route_parse(&rt, text, NULL, NULL, &err), 0);
	name[OCKAM_ADDR_VALUE_MAX] = 'n';
	name[OCKAM_ADDR_VALUE_MAX + 1] = '\0';
	snprintf(text, sizeof(text), "/service/%s", name);
	CHECK_INT(ockam_route_parse(&rt, text, NULL, NULL, &err), -EINVAL);
}

static void format_round_trip(void)
{
	static const char *const canonical[] = {
		"/service/echo",
		"/ip4/10.0.0.2/tcp/4000/service/echo",
		"/ip6/::1/tcp/4000/service/uppercase",
		"/dnsaddr/localhost/tcp/4000",
		"/ip4/1.2.3.4/udp/53/ip4/5.6.7.8/tcp/80/service/x",
		"/ip6/::1/udp/4000/service/echo",
		"/ip4/10.0.0.1/udp/1/ip4/10.0.0.2/tcp/2/ip6/fe80::3/udp/3/service/e",
		"/",
	};
	char buf[OCKAM_ROUTE_TEXT_MAX];
	struct ockam_route rt, back;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(canonical); i++) {
		CHECK_INT(ockam_route_parse(&rt, canonical[i], NULL, NULL, NULL), 0);
		CHECK(ockam_route_format(&rt, OCKAM_ROUTE_MULTIADDR, buf,
					 sizeof(buf)) >= 0);
		CHECK_STR(buf, canonical[i]);
		/* The plain form parses back to the same route. */
		CHECK(ockam_route_format(&rt, OCKAM_ROUTE_PLAIN, buf,
					 sizeof(buf)) >= 0);
		CHECK_INT(ockam_route_parse(&back, buf, NULL, NULL, NULL), 0);
		CHECK(ockam_route_equal(&back, &rt));
	}
	/* /worker and /secure print as /service: all three are local. */
	CHECK_INT(ockam_route_parse(&rt, "/worker/a/secure/b", NULL, NULL, NULL), 0);
	CHECK(ockam_route_format(&rt, OCKAM_ROUTE_MULTIADDR, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "/service/a/service/b");
	/* A DNS name that is an IPv4 literal prints as /ip4. */
	CHECK_INT(ockam_route_parse(&rt, "/dnsaddr/1.2.3.4/tcp/5", NULL, NULL, NULL), 0);
	CHECK(ockam_route_format(&rt, OCKAM_ROUTE_MULTIADDR, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "/ip4/1.2.3.4/tcp/5");
}

static void format_fallbacks(void)
{
	char buf[OCKAM_ROUTE_TEXT_MAX], small[8];
	struct ockam_route rt, back;

	ockam_route_init(&rt);
	ockam_route_push(&rt, OCKAM_ADDR_TCP, "no-port", 7, NULL);
	CHECK_INT(ockam_route_format(&rt, OCKAM_ROUTE_MULTIADDR, buf,
				     sizeof(buf)), -EINVAL);
	CHECK_INT(ockam_route_format_any(&rt, buf, sizeof(buf)), 9);
	CHECK_STR(buf, "1#no-port");

	ockam_route_init(&rt);
	ockam_route_push(&rt, 9, "x", 1, NULL);
	CHECK_INT(ockam_route_format(&rt, OCKAM_ROUTE_MULTIADDR, buf,
				     sizeof(buf)), -EINVAL);

	ockam_route_init(&rt);
	ockam_route_push(&rt, OCKAM_ADDR_TCP, "a b,\\\x01=>=", 9, NULL);
	CHECK(ockam_route_format(&rt, OCKAM_ROUTE_PLAIN, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "1#a\\x20b\\x2c\\\\\\x01\\x3d>=");
	CHECK_INT(ockam_route_parse(&back, buf, NULL, NULL, NULL), 0);
	CHECK(ockam_route_equal(&back, &rt));

	ockam_route_init(&rt);
	ockam_route_push(&rt, OCKAM_ADDR_LOCAL, "echo", 4, NULL);
	CHECK_INT(ockam_route_format(&rt, OCKAM_ROUTE_MULTIADDR, small,
				     sizeof(small)), -ENOSPC);
	CHECK_INT(ockam_route_format(&rt, OCKAM_ROUTE_PLAIN, small, 6), -ENOSPC);
	CHECK_INT(ockam_route_format(&rt, OCKAM_ROUTE_PLAIN, small, 7), 6);
}

static int test_resolver(const char *name, struct ockam_route *rt, void *arg,
			 struct ockam_err *err)
{
	int *calls = arg;

	(*calls)++;
	if (!strcmp(name, "missing")) {
		err->code = -ENOENT;
		snprintf(err->msg, sizeof(err->msg),
			 "node missing is not running");
		return -ENOENT;
	}
	return ockam_route_push(rt, OCKAM_ADDR_TCP, "127.0.0.1:1234", 14, err);
}

static void node_resolution(void)
{
	struct ockam_route rt;
	struct ockam_err err;
	int calls = 0;

	CHECK_INT(ockam_route_parse(&rt, "/node/n1/service/echo", test_resolver,
				    &calls, &err), 0);
	CHECK_INT(calls, 1);
	CHECK_STR(plain(&rt), "1#127.0.0.1:1234 => 0#echo");
	CHECK_INT(ockam_route_parse(&rt, "/node/missing/service/echo",
				    test_resolver, &calls, &err), -ENOENT);
	CHECK_CONTAINS(err.msg, "\"/node/missing\": node missing is not running");
}

static void hostport(void)
{
	static const struct {
		const char *text;
		const char *host;
		int port;
	} good[] = {
		{ "127.0.0.1:4000", "127.0.0.1", 4000 },
		{ "[::1]:1", "::1", 1 },
		{ "localhost:65535", "localhost", 65535 },
		{ "1a.example:80", "1a.example", 80 },
		{ "x.0a:80", "x.0a", 80 },
		{ "10.0.0.x1:80", "10.0.0.x1", 80 },
	};
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
		{ "127.0.0.1", "no port" },
		{ ":80", "has no host" },
		{ "::1:80", "in brackets" },
		{ "[1.2.3.4]:80", "only an IPv6 address goes in brackets" },
		{ "[::1:80", "without a matching" },
		{ "host:0", "not a port number" },
		{ "host:x", "not a port number" },
		{ "ho st:1", "not an IP address or host name" },
		{ "[0:0::1]:80", "write it as '::1'" },
		{ "Node1:80", "write it as 'node1'" },
		/* Numbers in a name's clothing: one peer, many spellings. */
		{ "127.1:80", "'127.1' is not an IP address or host name" },
		{ "10.0.0:80", "not an IP address or host name" },
		{ "0x7f.1:80", "not an IP address or host name" },
		{ "0x7f000001:80", "not an IP address or host name" },
		{ "2130706433:80", "not an IP address or host name" },
		{ "a.0x1:80", "not an IP address or host name" },
	};
	char host[OCKAM_HOST_MAX + 1], joined[OCKAM_HOSTPORT_MAX + 1];
	struct ockam_err err;
	uint16_t port;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		CHECK_INT(ockam_hostport_split(good[i].text, host, sizeof(host),
					       &port, false, &err), 0);
		CHECK_STR(host, good[i].host);
		CHECK_INT(port, good[i].port);
		CHECK(ockam_hostport_join(joined, sizeof(joined), host, port) > 0);
		CHECK_STR(joined, good[i].text);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ockam_err_clear(&err);
		CHECK_INT(ockam_hostport_split(bad[i].text, host, sizeof(host),
					       &port, false, &err), -EINVAL);
		CHECK_CONTAINS(err.msg, bad[i].why);
	}
	CHECK_INT(ockam_hostport_split("0.0.0.0:0", host, sizeof(host), &port,
				       true, &err), 0);
	CHECK_INT(port, 0);
}

/*
 * UDP hops leave with numeric addresses: names resolve, numbers and TCP
 * hops stay as they are.
 */
static void udp_resolution(void)
{
	char buf[OCKAM_ROUTE_TEXT_MAX];
	struct ockam_route rt;
	struct ockam_err err;

	CHECK_INT(ockam_route_parse(&rt,
				    "/ip4/10.0.0.1/udp/7/dnsaddr/localhost/tcp/8/ip6/::1/udp/9",
				    NULL, NULL, NULL), 0);
	CHECK_INT(ockam_route_resolve_udp(&rt, NULL), 0);
	CHECK(ockam_route_format(&rt, OCKAM_ROUTE_MULTIADDR, buf,
				 sizeof(buf)) > 0);
	CHECK_STR(buf, "/ip4/10.0.0.1/udp/7/dnsaddr/localhost/tcp/8/ip6/::1/udp/9");

	/* localhost is 127.0.0.1 or ::1, whichever the resolver gives first. */
	CHECK_INT(ockam_route_parse(&rt, "/dnsaddr/localhost/udp/4000/service/echo",
				    NULL, NULL, NULL), 0);
	CHECK_INT(ockam_route_resolve_udp(&rt, NULL), 0);
	CHECK_INT(rt.hops, 2);
	CHECK_INT(rt.addr[0].type, OCKAM_ADDR_UDP);
	CHECK(!strcmp(rt.addr[0].value, "127.0.0.1:4000") ||
	      !strcmp(rt.addr[0].value, "[::1]:4000"));
	CHECK_INT(rt.addr[0].len, strlen(rt.addr[0].value));
	CHECK(ockam_route_format(&rt, OCKAM_ROUTE_MULTIADDR, buf,
				 sizeof(buf)) > 0);
	CHECK(!strcmp(buf, "/ip4/127.0.0.1/udp/4000/service/echo") ||
	      !strcmp(buf, "/ip6/::1/udp/4000/service/echo"));

	/* .invalid never resolves (RFC 2606). */
	CHECK_INT(ockam_route_parse(&rt, "/dnsaddr/no-such-host.invalid/udp/1",
				    NULL, NULL, NULL), 0);
	ockam_err_clear(&err);
	CHECK_INT(ockam_route_resolve_udp(&rt, &err), -EHOSTUNREACH);
	CHECK_CONTAINS(err.msg, "cannot resolve no-such-host.invalid");
	CHECK_STR(rt.addr[0].value, "no-such-host.invalid:1");

	/* A UDP value that is not host:port is the kernel's to refuse. */
	ockam_route_init(&rt);
	ockam_route_push(&rt, OCKAM_ADDR_UDP, "no-port", 7, NULL);
	CHECK_INT(ockam_route_resolve_udp(&rt, NULL), 0);
	CHECK_STR(rt.addr[0].value, "no-port");
}

SUITE(multiaddr_suite, "multiaddr",
      TEST(parse_valid),
      TEST(parse_invalid),
      TEST(parse_limits),
      TEST(format_round_trip),
      TEST(format_fallbacks),
      TEST(node_resolution),
      TEST(udp_resolution),
      TEST(hostport));
