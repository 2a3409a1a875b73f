// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * AF_OCKAM sockets: the family number in use, and send/receive helpers
 * that carry routes in the socket address when they fit and in control
 * messages when they do not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define FAMILY_PARAM "/sys/module/ockam/parameters/family"

/*
 * The number is fixed while the module is loaded, and every socket
 * address needs it: read sysfs once, and keep what it said. Until the
 * module is loaded the default is used, and sysfs asked again next time.
 */
OCKAM_EXPORT int ockam_family(void)
{
	static _Atomic int cached;
	char buf[16], *end;
	int known = cached;
	long family;
	ssize_t len;

	if (known)
		return known;
	len = ockam_read_file(FAMILY_PARAM, buf, sizeof(buf));
	if (len <= 0)
		return AF_OCKAM_DEFAULT;
	errno = 0;
	family = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || family <= 0 ||
	    family >= 256)
		return AF_OCKAM_DEFAULT;
	cached = family;
	return family;
}

OCKAM_EXPORT int ockam_socket(int flags)
{
	int fd = socket(ockam_family(), SOCK_DGRAM | flags, 0);

	return fd < 0 ? -errno : fd;
}

OCKAM_EXPORT int ockam_bind(int fd, const char *name)
{
	struct sockaddr_ockam sa;
	struct ockam_route rt;
	socklen_t salen;
	int ret;

	ockam_route_init(&rt);
	ret = ockam_route_push(&rt, OCKAM_ADDR_LOCAL, name, strlen(name), NULL);
	if (ret < 0)
		return ret;
	ret = ockam_sockaddr_from_route(&sa, &salen, &rt);
	if (ret < 0)
		return ret;
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0)
		return -errno;
	return 0;
}

OCKAM_EXPORT int ockam_local_address(int fd, char *name, size_t size)
{
	struct sockaddr_ockam sa;
	socklen_t salen = sizeof(sa);
	struct ockam_route rt;
	int ret;

	if (getsockname(fd, (struct sockaddr *)&sa, &salen) < 0)
		return -errno;
	ret = ockam_sockaddr_to_route(&sa, salen, &rt, NULL);
	if (ret < 0)
		return ret;
	if (rt.hops != 1 || rt.addr[0].type != OCKAM_ADDR_LOCAL)
		return -ENOTCONN;
	if (!ockam_strlcpy(name, rt.addr[0].value, size))
		return -ENAMETOOLONG;
	return 0;
}

OCKAM_EXPORT ssize_t ockam_send_wire(int fd, const void *buf, size_t len,
				     const void *route, size_t route_len,
				     int flags)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(OCKAM_ROUTE_BYTES_MAX)];
	} control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct sockaddr_ockam sa;
	struct cmsghdr *cmsg;
	ssize_t ret;

	if (!route) {
		ret = send(fd, buf, len, flags);
		return ret < 0 ? -errno : ret;
	}
	if (route_len > OCKAM_ROUTE_BYTES_MAX)
		return -EMSGSIZE;
	if (ockam_sockaddr_set(&sa, &msg.msg_namelen, route, route_len) == 0) {
		msg.msg_name = &sa;
	} else {
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(route_len);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_OCKAM;
		cmsg->cmsg_type = OCKAM_CMSG_ROUTE;
		cmsg->cmsg_len = CMSG_LEN(route_len);
		memcpy(CMSG_DATA(cmsg), route, route_len);
	}
	ret = sendmsg(fd, &msg, flags);
	return ret < 0 ? -errno : ret;
}

OCKAM_EXPORT ssize_t ockam_send_route(int fd, const void *buf, size_t len,
				      const struct ockam_route *rt, int flags)
{
	uint8_t wire[OCKAM_ROUTE_BYTES_MAX];
	ssize_t wire_len = ockam_route_to_wire(rt, wire, sizeof(wire));

	if (wire_len < 0)
		return wire_len;
	return ockam_send_wire(fd, buf, len, wire, wire_len, flags);
}

OCKAM_EXPORT int ockam_cmsg_return_route(struct msghdr *msg,
				       struct ockam_wire_route *ret)
{
	struct cmsghdr *cmsg;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		size_t len;

		if (cmsg->cmsg_level != SOL_OCKAM ||
		    cmsg->cmsg_type != OCKAM_CMSG_RETURN_ROUTE ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		len = cmsg->cmsg_len - CMSG_LEN(0);
		if (len > sizeof(ret->bytes))
			return -EMSGSIZE;
		memcpy(ret->bytes, CMSG_DATA(cmsg), len);
		ret->len = len;
		return 1;
	}
	return 0;
}

/* The OCKAM_CMSG_IDENTITY of @msg into @identifier, or "" without one. */
static void cmsg_identity(struct msghdr *msg, char *identifier)
{
	struct cmsghdr *cmsg;

	identifier[0] = '\0';
	for (cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_OCKAM ||
		    cmsg->cmsg_type != OCKAM_CMSG_IDENTITY ||
		    cmsg->cmsg_len != CMSG_LEN(OCKAM_IDENTIFIER_LEN))
			continue;
		memcpy(identifier, CMSG_DATA(cmsg), OCKAM_IDENTIFIER_LEN);
		identifier[OCKAM_IDENTIFIER_LEN] = '\0';
		return;
	}
}

OCKAM_EXPORT ssize_t ockam_recv_identity(int fd, void *buf, size_t len,
					 int flags,
					 struct ockam_wire_route *ret,
					 char *identifier, int *msg_flags)
{
	/* Room for both route messages the socket may have asked for, and
	 * the identity.
	 */
	union {
		struct cmsghdr align;
		uint8_t buf[2 * CMSG_SPACE(OCKAM_ROUTE_BYTES_MAX) +
			    CMSG_SPACE(OCKAM_IDENTIFIER_LEN)];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct sockaddr_ockam sa;
	struct msghdr msg = {
		.msg_name = &sa,
		.msg_namelen = sizeof(sa),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	const uint8_t *route;
	size_t route_len;
	ssize_t n;
	int err;

	n = recvmsg(fd, &msg, flags);
	if (n < 0)
		return -errno;
	if (msg_flags)
		*msg_flags = msg.msg_flags;
	if (identifier)
		cmsg_identity(&msg, identifier);
	if (!ret)
		return n;
	err = ockam_cmsg_return_route(&msg, ret);
	if (err)
		return err < 0 ? err : n;
	/* -EMSGSIZE when the kernel flagged the address truncated. */
	err = ockam_sockaddr_route(&sa, msg.msg_namelen, &route, &route_len,
				   NULL);
	if (err < 0)
		return err;
	memcpy(ret->bytes, route, route_len);
	ret->len = route_len;
	return n;
}

OCKAM_EXPORT ssize_t ockam_recv(int fd, void *buf, size_t len, int flags,
				struct ockam_wire_route *ret, int *msg_flags)
{
	return ockam_recv_identity(fd, buf, len, flags, ret, NULL, msg_flags);
}

static int set_int_option(int fd, int option, bool on)
{
	int value = on;

	if (setsockopt(fd, SOL_OCKAM, option, &value, sizeof(value)) < 0)
		return -errno;
	return 0;
}

OCKAM_EXPORT int ockam_set_recvidentity(int fd, bool on)
{
	return set_int_option(fd, OCKAM_SO_RECVIDENTITY, on);
}

OCKAM_EXPORT int ockam_set_recvroute(int fd, bool on)
{
	return set_int_option(fd, OCKAM_SO_RECVROUTE, on);
}

OCKAM_EXPORT int ockam_set_default_route(int fd, const struct ockam_route *rt)
{
	uint8_t wire[OCKAM_ROUTE_BYTES_MAX];
	ssize_t len = ockam_route_to_wire(rt, wire, sizeof(wire));
	struct sockaddr_ockam sa;
	socklen_t salen;

	if (len < 0)
		return len;
	if (ockam_sockaddr_set(&sa, &salen, wire, len) == 0) {
		if (connect(fd, (struct sockaddr *)&sa, salen) < 0)
			return -errno;
		return 0;
	}
	if (setsockopt(fd, SOL_OCKAM, OCKAM_SO_ROUTE, wire, len) < 0)
		return -errno;
	return 0;
}
