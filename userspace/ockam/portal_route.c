// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * An inlet's --to, as Ockam writes it: a MultiAddr that may name a secure
 * channel listener with /secure/NAME, as in
 * /node/n2/secure/api/service/outlet. What comes up to and including
 * /secure/NAME is where the inlet opens its channel; the rest is the route
 * to the outlet on the other side of it.
 */
#include <string.h>

#include "portal_cli.h"

/* The length of the component that starts at @p ("/ip4"), up to '/'. */
static size_t component_len(const char *p)
{
	return 1 + strcspn(p + 1, "/");
}

int portal_route_split(const char *to, size_t *secure_end,
		       struct ockam_err *err)
{
	const char *p = to;
	bool value = false, after_secure = false;

	*secure_end = 0;
	if (to[0] != '/')
		return ockam_err_set(err, -EINVAL,
				     "'%s' is not a MultiAddr route", to);
	/* Protocols and values alternate: each protocol here has one. */
	while (*p) {
		size_t len = component_len(p);

		if (len == 1)
			return ockam_err_set(err, -EINVAL,
					     "empty component in '%s'", to);
		if (value && after_secure) {
			if (*secure_end)
				return ockam_err_set(err, -EINVAL,
						     "'%s' names more than one /secure/ listener",
						     to);
			*secure_end = (size_t)(p - to) + len;
		}
		after_secure = !value && len == 7 && !strncmp(p, "/secure", 7);
		value = !value;
		p += len;
	}
	if (after_secure)
		return ockam_err_set(err, -EINVAL,
				     "'%s' ends with /secure and no listener", to);
	if (*secure_end && !to[*secure_end])
		return ockam_err_set(err, -EINVAL,
				     "'%s' ends at the secure channel listener; the outlet's address must follow (/service/outlet)",
				     to);
	return 0;
}
