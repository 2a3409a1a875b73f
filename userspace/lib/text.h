/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Text helpers shared by the route and host:port parsers; not installed.
 */
#ifndef OCKAM_LIB_TEXT_H
#define OCKAM_LIB_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ockam_host_kind {
	OCKAM_HOST_BAD,
	OCKAM_HOST_IP4,
	OCKAM_HOST_IP6,
	OCKAM_HOST_DNS,
};

/* A decimal port of exactly @len characters, canonical spelling. */
bool ockam_port_parse(const char *text, size_t len, bool allow_zero,
		      uint16_t *port);

/*
 * Letters, digits, '-', '_' in dot-separated labels of 1..63 bytes; the
 * last label neither all digits nor starting with "0x" (which resolvers
 * read as a number).
 */
bool ockam_dns_name_ok(const char *name, size_t len);

enum ockam_host_kind ockam_host_kind(const char *host);
bool ockam_host_canonical(const char *host, char *out, size_t size);
const char *ockam_host_hint(const char *host, char *buf, size_t size);

/* The value of one hex digit, either case, or -1. */
static inline int ockam_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif /* OCKAM_LIB_TEXT_H */
