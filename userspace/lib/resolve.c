// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Host names in UDP hops. A TCP hop may keep its name: the daemon dials
 * it and resolves it then. The kernel sends UDP itself and resolves
 * nothing, so a UDP hop's name must become an address before the route
 * leaves for the kernel.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"
#include "text.h"

/* The first address @host resolves to, as text. */
static int resolve_host(const char *host, char *out, size_t size,
			struct ockam_err *err)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_DGRAM,
	};
	struct addrinfo *res;
	const void *addr;
	int ret;

	ret = getaddrinfo(host, NULL, &hints, &res);
	if (ret)
		return ockam_err_set(err, -EHOSTUNREACH, "cannot resolve %s: %s",
				     host, gai_strerror(ret));
	if (res->ai_family == AF_INET6)
		addr = &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr;
	else
		addr = &((struct sockaddr_in *)res->ai_addr)->sin_addr;
	ret = inet_ntop(res->ai_family, addr, out, size) ? 0 :
	      ockam_err_set(err, -EAFNOSUPPORT, "%s: no IP address", host);
	freeaddrinfo(res);
	return ret;
}

static int resolve_hop(struct ockam_addr *hop, struct ockam_err *err)
{
	char host[OCKAM_HOST_MAX + 1], value[OCKAM_HOSTPORT_MAX + 1];
	char numeric[INET6_ADDRSTRLEN];
	uint16_t port;
	int len, ret;

	/* Anything else is the kernel's to refuse, with its reason. */
	if (memchr(hop->value, '\0', hop->len) ||
	    ockam_hostport_split(hop->value, host, sizeof(host), &port, false,
				 NULL) < 0 ||
	    ockam_host_kind(host) != OCKAM_HOST_DNS)
		return 0;
	ret = resolve_host(host, numeric, sizeof(numeric), err);
	if (ret < 0)
		return ret;
	len = ockam_hostport_join(value, sizeof(value), numeric, port);
	if (len < 0 || len > OCKAM_ADDR_VALUE_MAX)
		return ockam_err_set(err, -ENAMETOOLONG, "%s: address too long",
				     hop->value);
	memcpy(hop->value, value, len + 1);
	hop->len = len;
	return 0;
}

OCKAM_EXPORT int ockam_route_resolve_udp(struct ockam_route *rt,
					 struct ockam_err *err)
{
	unsigned int i;
	int ret;

	for (i = 0; i < rt->hops; i++) {
		if (rt->addr[i].type != OCKAM_ADDR_UDP)
			continue;
		ret = resolve_hop(&rt->addr[i], err);
		if (ret < 0)
			return ret;
	}
	return 0;
}
