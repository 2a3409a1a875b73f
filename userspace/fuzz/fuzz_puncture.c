// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for the UDP puncture messages
 * (ockamd/puncture_proto.c), which come from rendezvous services and
 * peers. Invariants: a message decodes or is -EINVAL; one that decodes
 * has a known type and, where it carries one, an address that is an IP
 * literal with a port; it re-encodes to exactly the bytes it came from
 * (there is one encoding of each message).
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "../ockamd/puncture_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[PUNCTURE_MSG_MAX];
	struct puncture_msg m;
	ssize_t len;
	int ret;

	ret = puncture_msg_decode(data, size, &m);
	ASSERT(ret == 0 || ret == -EINVAL);
	if (ret < 0)
		return 0;
	ASSERT(m.type >= PUNCTURE_MSG_QUERY && m.type <= PUNCTURE_MSG_HEARTBEAT);
	if (m.type == PUNCTURE_MSG_ADDRESS || m.type == PUNCTURE_MSG_REQUEST ||
	    m.type == PUNCTURE_MSG_ACCEPT)
		ASSERT(puncture_addr_ok(m.addr));
	len = puncture_msg_encode(&m, buf, sizeof(buf));
	ASSERT(len >= 0 && (size_t)len == size);
	ASSERT(!memcmp(buf, data, size));
	return 0;
}
