// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Trust policy: the identifiers a listener or an initiator accepts at the
 * other end of a channel (--authorized). An empty list accepts any
 * identity that proves itself, as in Ockam.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "secure.h"

static bool policy_has(const struct trust_policy *p,
		       const uint8_t id[IDENTIFIER_BYTES])
{
	bool found = false;
	unsigned int i;

	/* Every entry is compared, and in constant time: how long the
	 * check takes says nothing about the list.
	 */
	for (i = 0; i < p->count; i++)
		found |= sodium_memcmp(p->ids[i], id, IDENTIFIER_BYTES) == 0;
	return found;
}

int trust_policy_parse(struct trust_policy *p, const char *list,
		       struct ockam_err *err)
{
	char item[IDENTIFIER_STR_LEN + 2];
	uint8_t id[IDENTIFIER_BYTES];
	const char *s = list;

	memset(p, 0, sizeof(*p));
	while (*s) {
		size_t len = strcspn(s, ",");

		if (len >= sizeof(item) || !len)
			return ockam_err_set(err, -EINVAL,
					     "'%.*s' is not an identifier (I and 64 hex digits)",
					     (int)(len > 80 ? 80 : len), s);
		memcpy(item, s, len);
		item[len] = '\0';
		if (identifier_parse(item, id) < 0)
			return ockam_err_set(err, -EINVAL,
					     "'%s' is not an identifier (I and 64 hex digits)",
					     item);
		if (!policy_has(p, id)) {
			if (p->count == SECURE_AUTHORIZED_MAX)
				return ockam_err_set(err, -E2BIG,
						     "at most %d authorized identifiers",
						     SECURE_AUTHORIZED_MAX);
			memcpy(p->ids[p->count++], id, IDENTIFIER_BYTES);
		}
		s += len;
		if (*s == ',' && !*++s)
			return ockam_err_set(err, -EINVAL,
					     "authorized list ends with ','");
	}
	return 0;
}

bool trust_policy_allows(const struct trust_policy *p,
			 const uint8_t id[IDENTIFIER_BYTES])
{
	return !p->count || policy_has(p, id);
}

int trust_policy_format(const struct trust_policy *p, char *buf, size_t size)
{
	char text[IDENTIFIER_STR_LEN + 1];
	size_t len = 0;
	unsigned int i;

	if (!p->count)
		return snprintf(buf, size, "any") < (int)size ? 0 : -ENOSPC;
	for (i = 0; i < p->count; i++) {
		identifier_format(p->ids[i], text);
		if (len + !!i + IDENTIFIER_STR_LEN + 1 > size)
			return -ENOSPC;
		len += snprintf(buf + len, size - len, "%s%s", i ? "," : "",
				text);
	}
	return 0;
}
