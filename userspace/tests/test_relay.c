// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Relays: the registration message (BARE strings, names, answers) and the
 * forwarding service's rules (authorization, name ownership, limits).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../ockamd/forward_table.h"
#include "../ockamd/relay_proto.h"
#include "tap.h"

#define ID_A "I0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID_B "Ifedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define ID_C "I1111111111111111111111111111111111111111111111111111111111111111"

static void string_round_trip(void)
{
	static char long_name[RELAY_STRING_MAX + 1];
	char out[RELAY_STRING_MAX + 1];
	uint8_t buf[RELAY_MSG_MAX];
	struct ockam_err err;
	ssize_t len;

	len = relay_string_encode("n3", 2, buf, sizeof(buf));
	CHECK_INT(len, 3);
	CHECK(buf[0] == 2 && !memcmp(buf + 1, "n3", 2));
	CHECK_INT(relay_string_decode(buf, len, out, &err), 0);
	CHECK_STR(out, "n3");

	/* 200 bytes take a two-byte count: 0xc8 0x01. */
	memset(long_name, 'x', 200);
	len = relay_string_encode(long_name, 200, buf, sizeof(buf));
	CHECK_INT(len, 202);
	CHECK(buf[0] == 0xc8 && buf[1] == 0x01);
	CHECK_INT(relay_string_decode(buf, len, out, &err), 0);
	CHECK_INT(strlen(out), 200);

	/* Empty is a string too (and then not a relay name). */
	CHECK_INT(relay_string_encode("", 0, buf, sizeof(buf)), 1);
	CHECK_INT(relay_string_decode(buf, 1, out, &err), 0);
	CHECK_STR(out, "");

	memset(long_name, 'y', RELAY_STRING_MAX);
	CHECK_INT(relay_string_encode(long_name, RELAY_STRING_MAX + 1, buf,
				      sizeof(buf)), -EMSGSIZE);
	CHECK_INT(relay_string_encode("abc", 3, buf, 3), -EMSGSIZE);
}

static void string_rejects(void)
{
	char out[RELAY_STRING_MAX + 1];
	struct ockam_err err;
	static const uint8_t empty[1];
	static const uint8_t short_body[] = { 3, 'a', 'b' };
	static const uint8_t trailing[] = { 1, 'a', 'b' };
	static const uint8_t overlong[] = { 0x81, 0x00, 'a' };
	static const uint8_t unfinished[] = { 0x80 };
	static const uint8_t huge[] = { 0xff, 0xff, 0x03 };
	static const uint8_t control[] = { 2, 'a', '\n' };
	static const uint8_t nul[] = { 2, 'a', 0 };
	static const uint8_t utf8[] = { 2, 0xc3, 0xa9 };

	CHECK_INT(relay_string_decode(empty, 0, out, &err), -EINVAL);
	CHECK_INT(relay_string_decode(short_body, sizeof(short_body), out,
				      &err), -EINVAL);
	CHECK_CONTAINS(ockam_err_msg(&err), "says 3 bytes but 2 follow");
	CHECK_INT(relay_string_decode(trailing, sizeof(trailing), out, &err),
		  -EINVAL);
	CHECK_INT(relay_string_decode(overlong, sizeof(overlong), out, &err),
		  -EINVAL);
	CHECK_INT(relay_string_decode(unfinished, sizeof(unfinished), out,
				      &err), -EINVAL);
	CHECK_INT(relay_string_decode(huge, sizeof(huge), out, &err), -EINVAL);
	CHECK_INT(relay_string_decode(control, sizeof(control), out, &err),
		  -EINVAL);
	CHECK_INT(relay_string_decode(nul, sizeof(nul), out, &err), -EINVAL);
	CHECK_INT(relay_string_decode(utf8, sizeof(utf8), out, &err), -EINVAL);
}

static void alias_names(void)
{
	char alias[OCKAM_NAME_MAX], again[OCKAM_NAME_MAX];
	static char name[OCKAM_NAME_MAX + 1];
	struct ockam_err err;
	size_t room = OCKAM_ADDR_VALUE_MAX - strlen(RELAY_PREFIX), i;

	CHECK_INT(relay_alias_for("n3", alias, &err), 0);
	CHECK_STR(alias, "forward_to_n3");

	/* "register": 32 random hex digits, a new name each time. */
	CHECK_INT(relay_alias_for("register", alias, &err), 0);
	CHECK_INT(strlen(alias), strlen(RELAY_PREFIX) + 32);
	CHECK(!strncmp(alias, RELAY_PREFIX, strlen(RELAY_PREFIX)));
	for (i = strlen(RELAY_PREFIX); alias[i]; i++)
		CHECK(strchr("0123456789abcdef", alias[i]) != NULL);
	CHECK_INT(relay_alias_for("register", again, &err), 0);
	CHECK(strcmp(alias, again) != 0);

	CHECK_INT(relay_alias_for("", alias, &err), -EINVAL);
	CHECK_INT(relay_alias_for("a/b", alias, &err), -EINVAL);
	CHECK_INT(relay_alias_for("a#b", alias, &err), -EINVAL);
	CHECK_INT(relay_alias_for("a b", alias, &err), -EINVAL);
	memset(name, 'n', room);
	CHECK_INT(relay_alias_for(name, alias, &err), 0);
	CHECK_INT(strlen(alias), OCKAM_ADDR_VALUE_MAX);
	name[room] = 'n';
	CHECK_INT(relay_alias_for(name, alias, &err), -EINVAL);
}

static void answers(void)
{
	CHECK(relay_reply_matches("n3", "forward_to_n3"));
	CHECK(!relay_reply_matches("n3", "forward_to_n4"));
	CHECK(!relay_reply_matches("n3", "n3"));
	CHECK(!relay_reply_matches("n3", "error: relay forward_to_n3 is held by another identity"));
	CHECK(relay_reply_matches("register", "forward_to_0123abcd"));
	CHECK(!relay_reply_matches("register", "forward_to_"));
	CHECK(!relay_reply_matches("register", "error: no"));
}

static void table_with(struct fwd_table *t, const char *authorized)
{
	static struct trust_policy p;
	struct ockam_err err;

	CHECK_INT(trust_policy_parse(&p, authorized, &err), 0);
	fwd_table_init(t, &p);
}

static void ownership(void)
{
	static struct fwd_table t;
	struct fwd_entry *held, *e;
	struct ockam_err err;

	table_with(&t, "");
	CHECK_INT(fwd_check(&t, "forward_to_n3", ID_A, &held, &err), 0);
	CHECK(held == NULL);
	e = fwd_add(&t, "forward_to_n3", ID_A);
	CHECK(e != NULL);
	CHECK_INT(t.count, 1);

	/* The same identity again: it renews its own. */
	CHECK_INT(fwd_check(&t, "forward_to_n3", ID_A, &held, &err), 0);
	CHECK(held == e);

	/* Another identity may not take it while it is held. */
	CHECK_INT(fwd_check(&t, "forward_to_n3", ID_B, &held, &err),
		  -EADDRINUSE);
	CHECK_CONTAINS(ockam_err_msg(&err), "held by another identity");
	CHECK(held == NULL);
	/* One character more is no identifier at all. */
	CHECK_INT(fwd_check(&t, "forward_to_n3", ID_A "0", &held, &err),
		  -EACCES);

	/* Once released, anyone may. */
	fwd_remove(&t, e);
	CHECK_INT(t.count, 0);
	CHECK_INT(fwd_check(&t, "forward_to_n3", ID_B, &held, &err), 0);
	fwd_table_clear(&t);
}

static void authorization(void)
{
	static struct fwd_table t;
	struct fwd_entry *held;
	struct ockam_err err;

	table_with(&t, ID_A "," ID_B);
	CHECK_INT(fwd_check(&t, "forward_to_x", ID_A, &held, &err), 0);
	CHECK_INT(fwd_check(&t, "forward_to_x", ID_B, &held, &err), 0);
	CHECK_INT(fwd_check(&t, "forward_to_x", ID_C, &held, &err), -EACCES);
	CHECK_CONTAINS(ockam_err_msg(&err), "may not register");
	/* Not an identifier at all. */
	CHECK_INT(fwd_check(&t, "forward_to_x", "", &held, &err), -EACCES);
	CHECK_INT(fwd_check(&t, "forward_to_x", "Ixyz", &held, &err), -EACCES);
	table_with(&t, "");
	CHECK_INT(fwd_check(&t, "forward_to_x", ID_C, &held, &err), 0);
	CHECK_INT(fwd_check(&t, "forward_to_x", "", &held, &err), -EACCES);
}

static void limits(void)
{
	static struct fwd_table t;
	struct fwd_entry *held;
	struct ockam_err err;
	char alias[32];
	unsigned int i;

	table_with(&t, "");
	for (i = 0; i < FORWARDS_PER_IDENTITY; i++) {
		snprintf(alias, sizeof(alias), "forward_to_a%u", i);
		CHECK_INT(fwd_check(&t, alias, ID_A, &held, &err), 0);
		CHECK(fwd_add(&t, alias, ID_A) != NULL);
	}
	CHECK_INT(fwd_owned(&t, ID_A), FORWARDS_PER_IDENTITY);
	CHECK_INT(fwd_check(&t, "forward_to_more", ID_A, &held, &err),
		  -ENOSPC);
	/* Renewing one it holds is no new one. */
	CHECK_INT(fwd_check(&t, "forward_to_a0", ID_A, &held, &err), 0);
	/* Others still have room, until the node is full. */
	CHECK_INT(fwd_check(&t, "forward_to_b", ID_B, &held, &err), 0);
	t.max_total = t.count;
	CHECK_INT(fwd_check(&t, "forward_to_b", ID_B, &held, &err), -ENOSPC);
	CHECK_CONTAINS(ockam_err_msg(&err), "its limit");
	fwd_table_clear(&t);
	CHECK_INT(t.count, 0);
	CHECK(t.entries == NULL);
}

SUITE(relay_suite, "relay",
      TEST(string_round_trip),
      TEST(string_rejects),
      TEST(alias_names),
      TEST(answers),
      TEST(ownership),
      TEST(authorization),
      TEST(limits));
