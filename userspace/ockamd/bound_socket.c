// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The sockets the daemon binds for other nodes to reach: TCP listeners
 * (its own and its inlets') and UDP binds (handed to the kernel). One
 * place for the name lookup, the options each kind needs, and the address
 * the socket ended up on.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"

int sockaddr_text(const struct sockaddr *sa, socklen_t len, char *buf,
		  size_t size)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	int ret;

	ret = getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
			  NI_NUMERICHOST | NI_NUMERICSERV);
	if (ret)
		return -EINVAL;
	return ockam_hostport_join(buf, size, host, atoi(serv));
}

/*
 * What each kind needs before bind(): a listener takes its port back at
 * once after a restart; an IPv6 UDP bind takes IPv6 only, since the kernel
 * sends IPv4 addresses from an IPv4 bind and a dual-stack socket would
 * stand between the two.
 */
static int bound_socket_options(int fd, int type, int family,
				struct ockam_err *err)
{
	int one = 1;

	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	else if (family == AF_INET6 &&
		 setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			    sizeof(one)) < 0)
		return ockam_err_set(err, -errno, "IPV6_V6ONLY: %s",
				     strerror(errno));
	return 0;
}

int bound_socket(const char *host, uint16_t port, int type, int *out_fd,
		 char *bound, size_t bound_size, struct ockam_err *err)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = type,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	const char *kind = type == SOCK_STREAM ? "" : "UDP ";
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct addrinfo *res;
	char serv[8];
	int fd, ret;

	snprintf(serv, sizeof(serv), "%u", port);
	ret = getaddrinfo(host, serv, &hints, &res);
	if (ret)
		return ockam_err_set(err, -EADDRNOTAVAIL, "cannot resolve %s: %s",
				     host, gai_strerror(ret));
	fd = socket(res->ai_family, type | SOCK_CLOEXEC |
		    (type == SOCK_STREAM ? SOCK_NONBLOCK : 0),
		    res->ai_protocol);
	if (fd < 0) {
		ret = ockam_err_set(err, -errno, "socket: %s", strerror(errno));
		goto out;
	}
	ret = bound_socket_options(fd, type, res->ai_family, err);
	if (ret < 0)
		goto err_close;
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0) {
		ret = ockam_err_set(err, -errno, "cannot bind %s%s:%u: %s",
				    kind, host, port, strerror(errno));
		goto err_close;
	}
	if (type == SOCK_STREAM && listen(fd, LISTEN_BACKLOG) < 0) {
		ret = ockam_err_set(err, -errno, "cannot listen on %s:%u: %s",
				    host, port, strerror(errno));
		goto err_close;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0 ||
	    sockaddr_text((struct sockaddr *)&ss, sslen, bound,
			  bound_size) < 0) {
		ret = ockam_err_set(err, -EINVAL, "cannot read the bound address");
		goto err_close;
	}
	*out_fd = fd;
	ret = 0;
	goto out;

err_close:
	close(fd);
out:
	freeaddrinfo(res);
	return ret;
}
