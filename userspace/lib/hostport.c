// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * "host:port" strings: the values of TCP and UDP addresses, listener
 * addresses and dial targets. One strict spelling so that the same peer
 * always gives the same string: the kernel matches dial requests by it.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "text.h"

bool ockam_port_parse(const char *text, size_t len, bool allow_zero,
		      uint16_t *port)
{
	unsigned int value = 0;
	size_t i;

	if (!len || len > 5)
		return false;
	/* One spelling per number: no leading zeros, no signs, no spaces. */
	if (text[0] == '0' && len > 1)
		return false;
	for (i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		value = value * 10 + (text[i] - '0');
	}
	if (value > 65535 || (!value && !allow_zero))
		return false;
	*port = value;
	return true;
}

/*
 * A last label that inet_aton() could read as a number ("127.1",
 * "10.0.0", "0x7f.1", "4294967295"): getaddrinfo() would take the whole
 * name for an IPv4 address, giving one peer several spellings. RFC 1123
 * and RFC 3696 rule out all-numeric top-level labels for that reason.
 */
static bool numeric_label(const char *label, size_t len)
{
	size_t i;

	if (len >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X'))
		return true;
	for (i = 0; i < len; i++)
		if (label[i] < '0' || label[i] > '9')
			return false;
	return true;
}

bool ockam_dns_name_ok(const char *name, size_t len)
{
	size_t i, label = 0;

	if (!len || len > OCKAM_HOST_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (c == '.') {
			if (!label)
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && !numeric_label(name + len - label, label);
}

/*
 * The one spelling of @host in @out: an IPv6 address as inet_ntop() writes
 * it (RFC 5952: lower case, zeros compressed), a host name in lower case.
 * False when @host is neither.
 */
bool ockam_host_canonical(const char *host, char *out, size_t size)
{
	size_t len = strlen(host), i;
	struct in6_addr in6;

	if (inet_pton(AF_INET6, host, &in6) == 1)
		return inet_ntop(AF_INET6, &in6, out, size) != NULL;
	if (!ockam_dns_name_ok(host, len) || len >= size)
		return false;
	for (i = 0; i <= len; i++)
		out[i] = host[i] >= 'A' && host[i] <= 'Z' ?
			 host[i] - 'A' + 'a' : host[i];
	return true;
}

/*
 * One peer, one string: "::1" but not "0::1" or "::0:1", "example.com" but
 * not "Example.com". Other spellings are OCKAM_HOST_BAD; the callers'
 * messages name the right one (ockam_host_canonical()).
 */
enum ockam_host_kind ockam_host_kind(const char *host)
{
	char canon[OCKAM_HOST_MAX + 1];
	struct in_addr in4;

	if (inet_pton(AF_INET, host, &in4) == 1)
		return OCKAM_HOST_IP4;
	if (!ockam_host_canonical(host, canon, sizeof(canon)) ||
	    strcmp(canon, host))
		return OCKAM_HOST_BAD;
	return strchr(host, ':') ? OCKAM_HOST_IP6 : OCKAM_HOST_DNS;
}

/* "'X' is not ...", or the spelling to use when X is one in another case. */
const char *ockam_host_hint(const char *host, char *buf, size_t size)
{
	char canon[OCKAM_HOST_MAX + 1];

	if (!ockam_host_canonical(host, canon, sizeof(canon)) ||
	    !strcmp(canon, host))
		return NULL;
	snprintf(buf, size, "write it as '%s': one spelling per address",
		 canon);
	return buf;
}

OCKAM_EXPORT int ockam_hostport_split(const char *text, char *host,
				      size_t host_size, uint16_t *port,
				      bool allow_zero, struct ockam_err *err)
{
	const char *colon = strrchr(text, ':');
	const char *start = text, *end;
	enum ockam_host_kind kind;
	char tmp[OCKAM_HOST_MAX + 1];
	size_t len;

	if (!colon)
		return ockam_err_set(err, -EINVAL,
				     "'%s' is not host:port (no port)", text);
	end = colon;
	if (text[0] == '[') {
		if (colon == text || colon[-1] != ']')
			return ockam_err_set(err, -EINVAL,
					     "'%s': '[' without a matching ']:'",
					     text);
		start = text + 1;
		end = colon - 1;
	}
	len = end - start;
	if (!len)
		return ockam_err_set(err, -EINVAL, "'%s' has no host", text);
	if (len > OCKAM_HOST_MAX)
		return ockam_err_set(err, -EINVAL,
				     "'%s': host longer than %d characters", text,
				     OCKAM_HOST_MAX);
	memcpy(tmp, start, len);
	tmp[len] = '\0';

	kind = ockam_host_kind(tmp);
	if (kind == OCKAM_HOST_BAD) {
		char hint[OCKAM_HOST_MAX + 64];

		if (ockam_host_hint(tmp, hint, sizeof(hint)))
			return ockam_err_set(err, -EINVAL, "'%s': %s", text,
					     hint);
		return ockam_err_set(err, -EINVAL,
				     "'%s': '%s' is not an IP address or host name",
				     text, tmp);
	}
	if (text[0] == '[' && kind != OCKAM_HOST_IP6)
		return ockam_err_set(err, -EINVAL,
				     "'%s': only an IPv6 address goes in brackets",
				     text);
	if (text[0] != '[' && kind == OCKAM_HOST_IP6)
		return ockam_err_set(err, -EINVAL,
				     "'%s': write an IPv6 address in brackets, as [%s]:PORT",
				     text, tmp);
	if (!ockam_port_parse(colon + 1, strlen(colon + 1), allow_zero, port))
		return ockam_err_set(err, -EINVAL,
				     "'%s': '%s' is not a port number (%s65535)",
				     text, colon + 1, allow_zero ? "0 to " : "1 to ");
	if (!ockam_strlcpy(host, tmp, host_size))
		return ockam_err_set(err, -ENAMETOOLONG, "'%s': host too long",
				     text);
	return 0;
}

OCKAM_EXPORT int ockam_hostport_join(char *buf, size_t size, const char *host,
			uint16_t port)
{
	int n;

	if (ockam_host_kind(host) == OCKAM_HOST_IP6)
		n = snprintf(buf, size, "[%s]:%u", host, port);
	else
		n = snprintf(buf, size, "%s:%u", host, port);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return n;
}
