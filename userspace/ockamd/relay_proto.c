// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The relay registration message: BARE strings, and the names they carry
 * (relay_proto.h). Both sides of a relay use it; the forwarding service
 * runs it on whatever another node sends.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "relay_proto.h"

enum {
	/* A count of up to RELAY_STRING_MAX takes at most two bytes. */
	ULEB_BYTES_MAX = 2,
};

ssize_t relay_string_encode(const char *s, size_t len, uint8_t *buf,
			    size_t size)
{
	size_t head = len < 0x80 ? 1 : 2;

	if (len > RELAY_STRING_MAX || size < head + len)
		return -EMSGSIZE;
	if (head == 1) {
		buf[0] = len;
	} else {
		buf[0] = 0x80 | (len & 0x7f);
		buf[1] = len >> 7;
	}
	memcpy(buf + head, s, len);
	return head + len;
}

/* The ULEB128 count at the start of @buf; its size, or -EINVAL. */
static int count_decode(const uint8_t *buf, size_t len, size_t *count)
{
	size_t value = 0;
	int i;

	for (i = 0; i < ULEB_BYTES_MAX && (size_t)i < len; i++) {
		value |= (size_t)(buf[i] & 0x7f) << (7 * i);
		if (!(buf[i] & 0x80)) {
			/* BARE takes the shortest encoding only. */
			if (i && !buf[i])
				return -EINVAL;
			*count = value;
			return i + 1;
		}
	}
	return -EINVAL;
}

int relay_string_decode(const uint8_t *buf, size_t len, char *out,
			struct ockam_err *err)
{
	size_t count, i;
	int head = count_decode(buf, len, &count);

	if (head < 0)
		return ockam_err_set(err, -EINVAL,
				     "not a BARE string: the length is missing, malformed or over %d",
				     RELAY_STRING_MAX);
	if (count > RELAY_STRING_MAX)
		return ockam_err_set(err, -EINVAL,
				     "a %zu-byte string, over %d", count,
				     RELAY_STRING_MAX);
	if (head + count != len)
		return ockam_err_set(err, -EINVAL,
				     "the string says %zu bytes but %zu follow",
				     count, len - head);
	for (i = 0; i < count; i++)
		if (buf[head + i] < 0x20 || buf[head + i] > 0x7e)
			return ockam_err_set(err, -EINVAL,
					     "byte %zu of the string is not printable ASCII",
					     i);
	memcpy(out, buf + head, count);
	out[count] = '\0';
	return 0;
}

bool relay_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len && len <= OCKAM_ADDR_VALUE_MAX - strlen(RELAY_PREFIX) &&
	       !strchr(name, ' ') && ockam_local_name_ok(name);
}

int relay_alias_for(const char *requested, char *alias,
		    struct ockam_err *err)
{
	uint8_t random[RELAY_RANDOM_BYTES];
	char hex[2 * RELAY_RANDOM_BYTES + 1];

	if (!strcmp(requested, RELAY_RANDOM_NAME)) {
		randombytes_buf(random, sizeof(random));
		sodium_bin2hex(hex, sizeof(hex), random, sizeof(random));
		requested = hex;
	}
	if (!relay_name_ok(requested))
		return ockam_err_set(err, -EINVAL,
				     "'%.64s' is not a relay name (1 to %zu printable characters other than space, '/' and '#')",
				     requested,
				     OCKAM_ADDR_VALUE_MAX - strlen(RELAY_PREFIX));
	snprintf(alias, OCKAM_NAME_MAX, "%s%s", RELAY_PREFIX, requested);
	return 0;
}

bool relay_reply_matches(const char *requested, const char *reply)
{
	size_t plen = strlen(RELAY_PREFIX);

	if (strncmp(reply, RELAY_PREFIX, plen) || !relay_name_ok(reply + plen))
		return false;
	return !strcmp(requested, RELAY_RANDOM_NAME) ||
	       !strcmp(reply + plen, requested);
}
