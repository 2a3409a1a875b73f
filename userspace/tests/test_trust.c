// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Trust policy: parsing --authorized lists, deciding, and printing them
 * back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../ockamd/secure.h"
#include "tap.h"

#define ID_A "I0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID_B "Ifedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define ID_C "I1111111111111111111111111111111111111111111111111111111111111111"

static void parse_and_allow(void)
{
	static struct trust_policy p;
	uint8_t a[IDENTIFIER_BYTES], b[IDENTIFIER_BYTES], c[IDENTIFIER_BYTES];
	struct ockam_err err;

	CHECK_INT(identifier_parse(ID_A, a), 0);
	CHECK_INT(identifier_parse(ID_B, b), 0);
	CHECK_INT(identifier_parse(ID_C, c), 0);

	/* Empty: anyone who proves an identity. */
	CHECK_INT(trust_policy_parse(&p, "", &err), 0);
	CHECK_INT(p.count, 0);
	CHECK(trust_policy_allows(&p, a));
	CHECK(trust_policy_allows(&p, c));

	CHECK_INT(trust_policy_parse(&p, ID_A "," ID_B, &err), 0);
	CHECK_INT(p.count, 2);
	CHECK(trust_policy_allows(&p, a));
	CHECK(trust_policy_allows(&p, b));
	CHECK(!trust_policy_allows(&p, c));
	/* One bit off is someone else. */
	memcpy(c, a, sizeof(c));
	c[IDENTIFIER_BYTES - 1] ^= 1;
	CHECK(!trust_policy_allows(&p, c));

	/* Upper-case hex names the same identity; duplicates collapse. */
	CHECK_INT(trust_policy_parse(&p, ID_B ",Ifedcba9876543210FEDCBA9876543210fedcba9876543210fedcba9876543210",
				     &err), 0);
	CHECK_INT(p.count, 1);
}

static void parse_errors(void)
{
	static struct trust_policy p;
	static char many[(SECURE_AUTHORIZED_MAX + 1) * (IDENTIFIER_STR_LEN + 1)];
	struct ockam_err err;
	size_t len = 0;
	unsigned int i;

	CHECK_INT(trust_policy_parse(&p, "I00", &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "'I00' is not an identifier");
	CHECK_INT(trust_policy_parse(&p, ID_A ",", &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "ends with ','");
	CHECK_INT(trust_policy_parse(&p, "," ID_A, &err), -EINVAL);
	CHECK_INT(trust_policy_parse(&p, ID_A ",," ID_B, &err), -EINVAL);
	CHECK_INT(trust_policy_parse(&p, ID_A "0", &err), -EINVAL);
	CHECK_INT(trust_policy_parse(&p, "J0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
				     &err), -EINVAL);

	/* SECURE_AUTHORIZED_MAX distinct identifiers fit, one more not. */
	for (i = 0; i <= SECURE_AUTHORIZED_MAX; i++)
		len += snprintf(many + len, sizeof(many) - len,
				"%sI%064x", i ? "," : "", i);
	CHECK_INT(trust_policy_parse(&p, many, &err), -E2BIG);
	CHECK_CONTAINS(err.msg, "at most 32");
	many[len - IDENTIFIER_STR_LEN - 1] = '\0';
	CHECK_INT(trust_policy_parse(&p, many, &err), 0);
	CHECK_INT(p.count, SECURE_AUTHORIZED_MAX);
}

static void format_back(void)
{
	static struct trust_policy p;
	char text[3 * (IDENTIFIER_STR_LEN + 1)];
	struct ockam_err err;

	CHECK_INT(trust_policy_parse(&p, "", &err), 0);
	CHECK_INT(trust_policy_format(&p, text, sizeof(text)), 0);
	CHECK_STR(text, "any");
	CHECK_INT(trust_policy_parse(&p, ID_A ",IFEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210",
				     &err), 0);
	CHECK_INT(trust_policy_format(&p, text, sizeof(text)), 0);
	CHECK_STR(text, ID_A "," ID_B);
	CHECK_INT(trust_policy_format(&p, text, IDENTIFIER_STR_LEN + 5),
		  -ENOSPC);
}

SUITE(trust_suite, "trust",
      TEST(parse_and_allow),
      TEST(parse_errors),
      TEST(format_back));
