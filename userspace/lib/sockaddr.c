// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * struct sockaddr_ockam: a route of at most OCKAM_SOCKADDR_ROUTE_MAX
 * encoded bytes in a socket address.
 */
#include <stddef.h>
#include <string.h>

#include "internal.h"

enum { SOCKADDR_HEADER_LEN = offsetof(struct sockaddr_ockam, som_route) };

OCKAM_EXPORT int ockam_sockaddr_set(struct sockaddr_ockam *sa,
				    socklen_t *salen, const void *route,
				    size_t len)
{
	if (len > OCKAM_SOCKADDR_ROUTE_MAX)
		return -EMSGSIZE;
	memset(sa, 0, sizeof(*sa));
	sa->som_family = ockam_family();
	sa->som_route_len = len;
	memcpy(sa->som_route, route, len);
	/* The whole structure, as for sockaddr_in: som_route_len says how
	 * much of the route array is in use.
	 */
	*salen = sizeof(*sa);
	return 0;
}

OCKAM_EXPORT int ockam_sockaddr_from_route(struct sockaddr_ockam *sa,
					   socklen_t *salen,
					   const struct ockam_route *rt)
{
	uint8_t wire[OCKAM_SOCKADDR_ROUTE_MAX];
	ssize_t len = ockam_route_to_wire(rt, wire, sizeof(wire));

	if (len < 0)
		return len;
	return ockam_sockaddr_set(sa, salen, wire, len);
}

/* The encoded route in a kernel-returned address: a pointer and length. */
int ockam_sockaddr_route(const struct sockaddr_ockam *sa, socklen_t salen,
			 const uint8_t **route, size_t *len,
			 struct ockam_err *err)
{
	if (salen < SOCKADDR_HEADER_LEN)
		return ockam_err_set(err, -EINVAL,
				     "socket address of %u bytes is too short",
				     (unsigned int)salen);
	if (sa->som_family != ockam_family())
		return ockam_err_set(err, -EINVAL,
				     "socket address of family %u, not AF_OCKAM (%d)",
				     sa->som_family, ockam_family());
	if (sa->som_flags & OCKAM_SA_F_ROUTE_TRUNC)
		return ockam_err_set(err, -EMSGSIZE,
				     "route too long for a socket address");
	if (sa->som_route_len > OCKAM_SOCKADDR_ROUTE_MAX ||
	    sa->som_route_len > salen - SOCKADDR_HEADER_LEN)
		return ockam_err_set(err, -EINVAL,
				     "socket address claims %u route bytes but holds %u",
				     sa->som_route_len,
				     (unsigned int)(salen - SOCKADDR_HEADER_LEN));
	*route = sa->som_route;
	*len = sa->som_route_len;
	return 0;
}

OCKAM_EXPORT int ockam_sockaddr_to_route(const struct sockaddr_ockam *sa,
					 socklen_t salen,
					 struct ockam_route *rt,
					 struct ockam_err *err)
{
	const uint8_t *route;
	size_t len;
	int ret;

	ret = ockam_sockaddr_route(sa, salen, &route, &len, err);
	if (ret < 0)
		return ret;
	return ockam_route_from_wire(rt, route, len, err);
}
