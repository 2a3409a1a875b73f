// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for the ockamd control protocol: the request parser the
 * daemon runs on every packet, the parsers its handlers then run on the
 * arguments, and the reply parser the CLI runs on every answer.
 * Invariants: no crash on any input; a request that parses is rebuilt by
 * ockam_ctl_request_build() into the same bytes (less an optional final
 * newline).
 *
 * Every argument of a request that parses, and the value of every
 * KEY=VALUE option, then goes to each argument parser the daemon links
 * from elsewhere: "host:port" (listeners take port 0, connections do not)
 * must join back to the very text that split, since the kernel matches
 * peers by that string; an authorized list must print and parse back to
 * the same identifiers, none twice, each of them allowed. The handlers'
 * own parsers (ockamd/control_args.c) run too: options (each value is
 * inside its argument, right after "KEY=", no key twice), numbers (in
 * range), and the route argument (hex of a route the codec accepts, which
 * re-encodes to the same bytes).
 */
#include <stdlib.h>
#include <string.h>

#include <ockam/ockam.h>

#include "../ockamd/control_args.h"
#include "../ockamd/secure.h"
#include "control_protocol.h"
#include "util.h"
#include "fuzz.h"

static void check_hostport(const char *text, bool allow_zero)
{
	char host[OCKAM_HOST_MAX + 1], back[OCKAM_HOSTPORT_MAX + 1];
	uint16_t port;

	if (ockam_hostport_split(text, host, sizeof(host), &port, allow_zero,
				 NULL) < 0)
		return;
	ASSERT(port || allow_zero);
	ASSERT(ockam_hostport_join(back, sizeof(back), host, port) >= 0);
	ASSERT(!strcmp(back, text));
}

static void check_policy(const char *text)
{
	/* Every identifier and a ',' each, and a NUL. */
	static char list[SECURE_AUTHORIZED_MAX * (IDENTIFIER_STR_LEN + 1) + 1];
	static struct trust_policy p, back;
	unsigned int i, j;

	if (trust_policy_parse(&p, text, NULL) < 0)
		return;
	ASSERT(p.count <= SECURE_AUTHORIZED_MAX);
	for (i = 0; i < p.count; i++) {
		ASSERT(trust_policy_allows(&p, p.ids[i]));
		for (j = 0; j < i; j++)
			ASSERT(memcmp(p.ids[i], p.ids[j], IDENTIFIER_BYTES));
	}
	ASSERT(!trust_policy_format(&p, list, sizeof(list)));
	/* No identifier at all prints as "any", which is no list. */
	if (!p.count)
		return;
	ASSERT(!trust_policy_parse(&back, list, NULL));
	ASSERT(back.count == p.count);
	ASSERT(!memcmp(back.ids, p.ids, p.count * sizeof(p.ids[0])));
}

static void check_options(const struct ockam_ctl_request *req)
{
	static const char *const keys[] = {
		"identity", "authorized", "timeout", "attestation-ttl", NULL,
	};
	const char *values[sizeof(keys) / sizeof(keys[0])];
	unsigned int i, k, found;

	if (!req->argc || ctl_parse_options(req, 1, keys, values, NULL) < 0)
		return;
	for (k = 0; keys[k]; k++) {
		if (!values[k])
			continue;
		for (i = 1, found = 0; i < req->argc; i++)
			if (values[k] == req->argv[i] + strlen(keys[k]) + 1 &&
			    !strncmp(req->argv[i], keys[k], strlen(keys[k])))
				found++;
		ASSERT(found == 1);
	}
}

static void check_number(const char *text)
{
	long long v;

	if (ctl_parse_number(text, "n", -1000, 1000000, &v, NULL) == 0)
		ASSERT(v >= -1000 && v <= 1000000);
}

static void check_route(const char *hex)
{
	static uint8_t route[OCKAM_ROUTE_BYTES_MAX], back[OCKAM_ROUTE_BYTES_MAX];
	static struct ockam_route rt;
	size_t len = 0;

	if (ctl_parse_route(hex, route, &len, NULL) < 0)
		return;
	ASSERT(len <= OCKAM_ROUTE_BYTES_MAX);
	ASSERT(!ockam_route_from_wire(&rt, route, len, NULL));
	ASSERT(rt.hops > 0);
	ASSERT(ockam_route_to_wire(&rt, back, sizeof(back)) == (ssize_t)len);
	ASSERT(!memcmp(back, route, len));
}

static void check_args(const struct ockam_ctl_request *req)
{
	unsigned int i;

	check_options(req);
	if (req->argc)
		check_route(req->argv[0]);

	for (i = 0; i < req->argc; i++) {
		const char *eq = strchr(req->argv[i], '=');
		const char *value = eq ? eq + 1 : req->argv[i];

		check_hostport(value, true);
		check_hostport(value, false);
		check_policy(value);
		check_number(value);
		ockam_local_name_ok(value);
		ockam_node_name_ok(value);
	}
}

static void check_request(const uint8_t *data, size_t size)
{
	static struct ockam_ctl_request req;
	static char buf[OCKAM_CTL_REQUEST_MAX + 2];
	size_t len = size;
	ssize_t built;

	if (ockam_ctl_request_parse(&req, data, size, NULL) < 0)
		return;
	ASSERT(req.argc <= OCKAM_CTL_ARGS_MAX);
	built = ockam_ctl_request_build(buf, sizeof(buf), req.verb, req.argc,
					req.argv);
	if (len && data[len - 1] == '\n')
		len--;
	ASSERT(built >= 0 && (size_t)built == len);
	ASSERT(!memcmp(buf, data, len));
	check_args(&req);
}

static void check_reply(const uint8_t *data, size_t size)
{
	struct ockam_ctl_reply reply;
	char *buf, *rec, val[64];

	if (size > OCKAM_CTL_REPLY_MAX)
		return;
	buf = malloc(size + 1);
	if (!buf)
		return;
	memcpy(buf, data, size);
	if (ockam_ctl_reply_parse(&reply, buf, size, NULL) == 0) {
		ASSERT(reply.errnum >= 0 && reply.errnum <= OCKAM_ERRNO_MAX);
		while ((rec = ockam_ctl_record_next(&reply)))
			ockam_ctl_record_get(rec, "address", val, sizeof(val));
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_request(data, size);
	check_reply(data, size);
	return 0;
}
