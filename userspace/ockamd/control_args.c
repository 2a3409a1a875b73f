// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The parsers ockamd's control handlers run on a request's arguments, in a
 * file of their own so that the control fuzzer links them: they see
 * whatever a local client sends.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "control_args.h"

/*
 * Arguments from @first on are options, KEY=VALUE with a key of @keys
 * (NULL-terminated), each at most once; @values gets them by key index
 * (NULL when absent).
 */
int ctl_parse_options(const struct ockam_ctl_request *req, unsigned int first,
		      const char *const *keys, const char **values,
		      struct ockam_err *err)
{
	unsigned int i, k;

	for (k = 0; keys[k]; k++)
		values[k] = NULL;
	for (i = first; i < req->argc; i++) {
		const char *eq = strchr(req->argv[i], '=');
		size_t len = eq ? (size_t)(eq - req->argv[i]) : 0;

		for (k = 0; eq && keys[k]; k++)
			if (strlen(keys[k]) == len &&
			    !strncmp(keys[k], req->argv[i], len))
				break;
		if (!eq || !keys[k])
			return ockam_err_set(err, -EINVAL,
					     "unknown option '%.64s'",
					     req->argv[i]);
		if (values[k])
			return ockam_err_set(err, -EINVAL,
					     "option %s given twice", keys[k]);
		values[k] = eq + 1;
	}
	return 0;
}

/* A decimal number in [@min, @max]. */
int ctl_parse_number(const char *text, const char *what, long long min,
		     long long max, long long *out, struct ockam_err *err)
{
	char *end;

	errno = 0;
	*out = strtoll(text, &end, 10);
	if (errno || end == text || *end || *out < min || *out > max)
		return ockam_err_set(err, -EINVAL,
				     "%s takes a whole number from %lld to %lld, not '%.32s'",
				     what, min, max, text);
	return 0;
}

/* The route argument: the encoded route in hex, checked by the codec. */
int ctl_parse_route(const char *hex, uint8_t *route, size_t *len,
		    struct ockam_err *err)
{
	static struct ockam_route rt;
	struct ockam_err why;

	if (sodium_hex2bin(route, OCKAM_ROUTE_BYTES_MAX, hex, strlen(hex),
			   NULL, len, NULL) < 0)
		return ockam_err_set(err, -EINVAL,
				     "the route is not hex of at most %d bytes",
				     OCKAM_ROUTE_BYTES_MAX);
	if (ockam_route_from_wire(&rt, route, *len, &why) < 0)
		return ockam_err_set(err, -EINVAL, "bad route: %s",
				     ockam_err_msg(&why));
	if (!rt.hops)
		return ockam_err_set(err, -EINVAL, "the route is empty");
	return 0;
}
