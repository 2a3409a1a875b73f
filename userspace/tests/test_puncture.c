// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The UDP puncture messages (ockamd/puncture_proto.c): every type round
 * trips, and what a peer or a rendezvous could send that is not exactly
 * one well-formed message is refused, addresses that are not IP literals
 * above all.
 */
#include <errno.h>
#include <string.h>

#include "../ockamd/puncture_proto.h"
#include "tap.h"

static struct puncture_msg msg(uint8_t type, const char *addr)
{
	struct puncture_msg m = { .type = type };

	memset(m.id, 0xa5, sizeof(m.id));
	if (addr)
		strcpy(m.addr, addr);
	return m;
}

static void round_trip(void)
{
	static const uint8_t types[] = {
		PUNCTURE_MSG_QUERY, PUNCTURE_MSG_ADDRESS, PUNCTURE_MSG_REQUEST,
		PUNCTURE_MSG_ACCEPT, PUNCTURE_MSG_REFUSE,
		PUNCTURE_MSG_HEARTBEAT,
	};
	uint8_t buf[PUNCTURE_MSG_MAX];
	struct puncture_msg m, out;
	size_t i;
	ssize_t len;

	for (i = 0; i < sizeof(types); i++) {
		m = msg(types[i], "198.51.100.1:5000");
		m.reason = PUNCTURE_REFUSE_BUSY;
		len = puncture_msg_encode(&m, buf, sizeof(buf));
		CHECK(len >= PUNCTURE_HEADER_LEN);
		CHECK_INT(buf[0], PUNCTURE_VERSION);
		CHECK_INT(buf[1], types[i]);
		CHECK_INT(puncture_msg_decode(buf, len, &out), 0);
		CHECK_INT(out.type, types[i]);
		CHECK(!memcmp(out.id, m.id, PUNCTURE_ID_LEN));
	}
	m = msg(PUNCTURE_MSG_HEARTBEAT, NULL);
	CHECK_INT(puncture_msg_encode(&m, buf, sizeof(buf)),
		  PUNCTURE_HEADER_LEN);
	m = msg(PUNCTURE_MSG_ACCEPT, "[2001:db8::1]:65535");
	len = puncture_msg_encode(&m, buf, sizeof(buf));
	CHECK_INT(len, PUNCTURE_HEADER_LEN + 1 + 19);
	CHECK_INT(puncture_msg_decode(buf, len, &out), 0);
	CHECK_STR(out.addr, "[2001:db8::1]:65535");
	m = msg(PUNCTURE_MSG_REFUSE, NULL);
	m.reason = PUNCTURE_REFUSE_NOT_UDP;
	len = puncture_msg_encode(&m, buf, sizeof(buf));
	CHECK_INT(len, PUNCTURE_HEADER_LEN + 1);
	CHECK_INT(puncture_msg_decode(buf, len, &out), 0);
	CHECK_INT(out.reason, PUNCTURE_REFUSE_NOT_UDP);
	CHECK_CONTAINS(puncture_refusal_text(out.reason), "UDP");
}

static void rejects(void)
{
	uint8_t buf[PUNCTURE_MSG_MAX + 8];
	struct puncture_msg m = msg(PUNCTURE_MSG_REQUEST, "10.0.0.1:1"), out;
	ssize_t len = puncture_msg_encode(&m, buf, sizeof(buf));

	CHECK_INT(puncture_msg_decode(buf, len, &out), 0);
	/* Short, long, wrong version, unknown type. */
	CHECK_INT(puncture_msg_decode(buf, len - 1, &out), -EINVAL);
	buf[len] = 0;
	CHECK_INT(puncture_msg_decode(buf, len + 1, &out), -EINVAL);
	CHECK_INT(puncture_msg_decode(buf, PUNCTURE_HEADER_LEN - 1, &out),
		  -EINVAL);
	buf[0] = 2;
	CHECK_INT(puncture_msg_decode(buf, len, &out), -EINVAL);
	buf[0] = PUNCTURE_VERSION;
	buf[1] = 0;
	CHECK_INT(puncture_msg_decode(buf, len, &out), -EINVAL);
	buf[1] = 7;
	CHECK_INT(puncture_msg_decode(buf, len, &out), -EINVAL);
	/* A heartbeat with a tail; a refusal without its reason. */
	m = msg(PUNCTURE_MSG_HEARTBEAT, NULL);
	len = puncture_msg_encode(&m, buf, sizeof(buf));
	buf[len] = 1;
	CHECK_INT(puncture_msg_decode(buf, len + 1, &out), -EINVAL);
	m = msg(PUNCTURE_MSG_REFUSE, NULL);
	len = puncture_msg_encode(&m, buf, sizeof(buf));
	CHECK_INT(puncture_msg_decode(buf, len - 1, &out), -EINVAL);
	/* A length past the end; a NUL inside the address. */
	m = msg(PUNCTURE_MSG_ADDRESS, "10.0.0.1:4000");
	len = puncture_msg_encode(&m, buf, sizeof(buf));
	buf[PUNCTURE_HEADER_LEN]++;
	CHECK_INT(puncture_msg_decode(buf, len, &out), -EINVAL);
	buf[PUNCTURE_HEADER_LEN]--;
	buf[PUNCTURE_HEADER_LEN + 3] = '\0';
	CHECK_INT(puncture_msg_decode(buf, len, &out), -EINVAL);
}

/* Nothing a peer sends is looked up: IP literals and a port only. */
static void addresses(void)
{
	uint8_t buf[PUNCTURE_MSG_MAX];
	struct puncture_msg m;

	CHECK(puncture_addr_ok("192.0.2.1:4000"));
	CHECK(puncture_addr_ok("[::1]:1"));
	CHECK(!puncture_addr_ok("example.com:4000"));
	CHECK(!puncture_addr_ok("localhost:4000"));
	CHECK(!puncture_addr_ok("192.0.2.1:0"));
	CHECK(!puncture_addr_ok("192.0.2.1"));
	CHECK(!puncture_addr_ok("192.0.2.1:65536"));
	CHECK(!puncture_addr_ok("::1:4000"));
	CHECK(!puncture_addr_ok(""));
	m = msg(PUNCTURE_MSG_REQUEST, "peer.example:4000");
	CHECK_INT(puncture_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	m = msg(PUNCTURE_MSG_REQUEST, "10.0.0.1:4000");
	CHECK_INT(puncture_msg_encode(&m, buf, PUNCTURE_MSG_MAX - 1), -EINVAL);
	m.type = 9;
	CHECK_INT(puncture_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
}

SUITE(puncture_suite, "puncture",
      TEST(round_trip),
      TEST(rejects),
      TEST(addresses));
