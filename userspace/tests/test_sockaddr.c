// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * struct sockaddr_ockam building and reading.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <ockam/ockam.h>

#include "tap.h"

static void build_from_route(void)
{
	struct sockaddr_ockam sa;
	struct ockam_route rt, back;
	socklen_t salen = 0;

	CHECK_INT(ockam_route_parse(&rt, "/ip4/10.0.0.2/tcp/4000/service/echo",
				    NULL, NULL, NULL), 0);
	CHECK_INT(ockam_sockaddr_from_route(&sa, &salen, &rt), 0);
	CHECK_INT(sa.som_family, ockam_family());
	CHECK_INT(sa.som_flags, 0);
	CHECK_INT(sa.som_reserved, 0);
	CHECK_INT(sa.som_reserved2, 0);
	CHECK_INT(sa.som_route_len, ockam_route_wire_len(&rt));
	CHECK_INT(salen, sizeof(sa));
	CHECK_INT(sa.som_route[0], 2);
	CHECK_INT(ockam_sockaddr_to_route(&sa, salen, &back, NULL), 0);
	CHECK_INT(back.hops, 2);
	CHECK_STR(back.addr[0].value, "10.0.0.2:4000");
	CHECK_STR(back.addr[1].value, "echo");
}

static void too_long_for_sockaddr(void)
{
	struct sockaddr_ockam sa;
	struct ockam_route rt;
	uint8_t wire[OCKAM_SOCKADDR_ROUTE_MAX + 1] = { 0 };
	char name[OCKAM_SOCKADDR_ROUTE_MAX];
	socklen_t salen;

	CHECK_INT(ockam_sockaddr_set(&sa, &salen, wire, sizeof(wire)), -EMSGSIZE);
	CHECK_INT(ockam_sockaddr_set(&sa, &salen, wire, sizeof(wire) - 1), 0);
	/* count + type + length + 117 bytes = 120: the largest that fits. */
	memset(name, 'n', sizeof(name));
	ockam_route_init(&rt);
	ockam_route_push(&rt, 0, name, OCKAM_SOCKADDR_ROUTE_MAX - 3, NULL);
	CHECK_INT(ockam_sockaddr_from_route(&sa, &salen, &rt), 0);
	ockam_route_init(&rt);
	ockam_route_push(&rt, 0, name, OCKAM_SOCKADDR_ROUTE_MAX - 2, NULL);
	CHECK_INT(ockam_sockaddr_from_route(&sa, &salen, &rt), -EMSGSIZE);
}

static void read_kernel_addresses(void)
{
	const socklen_t header = offsetof(struct sockaddr_ockam, som_route);
	struct sockaddr_ockam sa;
	struct ockam_route rt;
	struct ockam_err err;
	uint8_t wire[] = { 1, 0, 4, 'e', 'c', 'h', 'o' };
	socklen_t salen;

	ockam_sockaddr_set(&sa, &salen, wire, sizeof(wire));
	/* A kernel may return just the used part. */
	CHECK_INT(ockam_sockaddr_to_route(&sa, header + sizeof(wire), &rt, &err), 0);
	CHECK_INT(ockam_sockaddr_to_route(&sa, header + sizeof(wire) - 1, &rt,
					  &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "claims 7 route bytes but holds 6");
	CHECK_INT(ockam_sockaddr_to_route(&sa, 2, &rt, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "too short");

	sa.som_flags = OCKAM_SA_F_ROUTE_TRUNC;
	CHECK_INT(ockam_sockaddr_to_route(&sa, salen, &rt, &err), -EMSGSIZE);
	sa.som_flags = 0;

	sa.som_family = AF_INET;
	CHECK_INT(ockam_sockaddr_to_route(&sa, salen, &rt, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "not AF_OCKAM");
	sa.som_family = ockam_family();

	sa.som_route_len = OCKAM_SOCKADDR_ROUTE_MAX + 1;
	CHECK_INT(ockam_sockaddr_to_route(&sa, salen, &rt, &err), -EINVAL);

	sa.som_route_len = 3;	/* cut inside the address */
	CHECK_INT(ockam_sockaddr_to_route(&sa, salen, &rt, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "inside address 1");
}

/* Room for one control message of OCKAM_ROUTE_BYTES_MAX + 1 bytes. */
union cmsg_space {
	struct cmsghdr align;
	uint8_t buf[CMSG_SPACE(sizeof(int)) +
		    CMSG_SPACE(OCKAM_ROUTE_BYTES_MAX + 1)];
};

static void cmsg_return_route(void)
{
	union cmsg_space *control = calloc(1, sizeof(*control));
	struct ockam_wire_route *ret = malloc(sizeof(*ret));
	static const uint8_t wire[] = { 1, 0, 4, 'e', 'c', 'h', 'o' };
	struct msghdr msg = { 0 };
	struct cmsghdr *cmsg;

	if (!control || !ret) {
		CHECK(0);
		goto out;
	}
	msg.msg_control = control->buf;
	msg.msg_controllen = sizeof(control->buf);
	/* Another message first, which is skipped. */
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	cmsg = CMSG_NXTHDR(&msg, cmsg);
	cmsg->cmsg_level = SOL_OCKAM;
	cmsg->cmsg_type = OCKAM_CMSG_RETURN_ROUTE;
	cmsg->cmsg_len = CMSG_LEN(sizeof(wire));
	memcpy(CMSG_DATA(cmsg), wire, sizeof(wire));
	msg.msg_controllen = CMSG_SPACE(sizeof(int)) +
			     CMSG_SPACE(sizeof(wire));
	CHECK_INT(ockam_cmsg_return_route(&msg, ret), 1);
	CHECK_INT(ret->len, sizeof(wire));
	CHECK(!memcmp(ret->bytes, wire, sizeof(wire)));

	/* Longer than any route: refused, not copied past the buffer. */
	cmsg->cmsg_len = CMSG_LEN(OCKAM_ROUTE_BYTES_MAX + 1);
	msg.msg_controllen = sizeof(control->buf);
	CHECK_INT(ockam_cmsg_return_route(&msg, ret), -EMSGSIZE);

	msg.msg_controllen = CMSG_SPACE(sizeof(int));
	CHECK_INT(ockam_cmsg_return_route(&msg, ret), 0);
	msg.msg_controllen = 0;
	CHECK_INT(ockam_cmsg_return_route(&msg, ret), 0);
out:
	free(control);
	free(ret);
}

static void family_fallback(void)
{
	/* No module on the build machine: the uapi default. */
	int family = ockam_family();

	CHECK(family > 0 && family < 256);
	if (access("/sys/module/ockam/parameters/family", R_OK) != 0)
		CHECK_INT(family, AF_OCKAM_DEFAULT);
}

SUITE(sockaddr_suite, "sockaddr",
      TEST(build_from_route),
      TEST(too_long_for_sockaddr),
      TEST(read_kernel_addresses),
      TEST(cmsg_return_route),
      TEST(family_fallback));
