// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Routes in memory and on the wire. Decoding goes through the kernel's own
 * codec (kmod/codec.c), so userspace accepts exactly what the kernel
 * accepts; when the codec says no, explain_bad_route() walks the bytes
 * again only to say why.
 */
#include <string.h>

#include "codec.h"
#include "internal.h"

OCKAM_EXPORT void ockam_route_init(struct ockam_route *rt)
{
	rt->hops = 0;
}

OCKAM_EXPORT bool ockam_local_name_ok(const char *name)
{
	return ockam_local_name_valid((const u8 *)name, strlen(name));
}

static void set_addr(struct ockam_addr *addr, uint8_t type, const void *value,
		     size_t len)
{
	addr->type = type;
	addr->len = len;
	if (len)
		memcpy(addr->value, value, len);
	addr->value[len] = '\0';
}

OCKAM_EXPORT int ockam_route_push(struct ockam_route *rt, uint8_t type,
				  const void *value, size_t len,
				  struct ockam_err *err)
{
	if (rt->hops >= OCKAM_ROUTE_HOPS_MAX)
		return ockam_err_set(err, -E2BIG,
				     "a route has at most %d addresses",
				     OCKAM_ROUTE_HOPS_MAX);
	if (len > OCKAM_ADDR_VALUE_MAX)
		return ockam_err_set(err, -EINVAL,
				     "address of %zu bytes; at most %d are allowed",
				     len, OCKAM_ADDR_VALUE_MAX);
	if (type == OCKAM_ADDR_LOCAL && !ockam_local_name_valid(value, len))
		return ockam_err_set(err, -EINVAL,
				     "'%.*s' is not a valid local address (1 to %d printable characters other than '/' and '#')",
				     (int)len, (const char *)value,
				     OCKAM_ADDR_VALUE_MAX);
	set_addr(&rt->addr[rt->hops++], type, value, len);
	return 0;
}

OCKAM_EXPORT int ockam_route_append(struct ockam_route *rt,
				    const struct ockam_route *tail,
				    struct ockam_err *err)
{
	unsigned int i;

	if (rt->hops + tail->hops > OCKAM_ROUTE_HOPS_MAX)
		return ockam_err_set(err, -E2BIG,
				     "route of %u addresses; at most %d are allowed",
				     rt->hops + tail->hops, OCKAM_ROUTE_HOPS_MAX);
	for (i = 0; i < tail->hops; i++)
		rt->addr[rt->hops++] = tail->addr[i];
	return 0;
}

OCKAM_EXPORT bool ockam_route_equal(const struct ockam_route *a,
				    const struct ockam_route *b)
{
	unsigned int i;

	if (a->hops != b->hops)
		return false;
	for (i = 0; i < a->hops; i++)
		if (a->addr[i].type != b->addr[i].type ||
		    a->addr[i].len != b->addr[i].len ||
		    memcmp(a->addr[i].value, b->addr[i].value, a->addr[i].len))
			return false;
	return true;
}

OCKAM_EXPORT size_t ockam_route_wire_len(const struct ockam_route *rt)
{
	size_t len = ockam_uleb_len(rt->hops);
	unsigned int i;

	for (i = 0; i < rt->hops; i++)
		len += ockam_addr_encoded_len(rt->addr[i].len);
	return len;
}

OCKAM_EXPORT ssize_t ockam_route_to_wire(const struct ockam_route *rt,
					 void *buf, size_t size)
{
	size_t len = ockam_route_wire_len(rt);
	u8 *out = buf;
	size_t pos;
	unsigned int i;

	if (len > size)
		return -EMSGSIZE;
	pos = ockam_uleb_encode(out, rt->hops);
	for (i = 0; i < rt->hops; i++) {
		const struct ockam_addr *addr = &rt->addr[i];

		pos += ockam_addr_encode(out + pos, addr->type,
					 (const u8 *)addr->value, addr->len);
	}
	return pos;
}

/* Why the codec refused @buf: the first rule the bytes break. */
static int explain_bad_route(const u8 *buf, u32 len, struct ockam_err *err)
{
	u32 hops, i, pos, vlen;
	int ret;

	ret = ockam_uleb_decode(buf, len, &hops);
	if (ret == -EAGAIN)
		return ockam_err_set(err, -EINVAL, "route ends inside its address count");
	if (ret < 0)
		return ockam_err_set(err, -EINVAL,
				     "route address count is not a minimal 32-bit ULEB128");
	if (hops > OCKAM_ROUTE_HOPS_MAX)
		return ockam_err_set(err, -EINVAL,
				     "route has %u addresses; at most %d are allowed",
				     hops, OCKAM_ROUTE_HOPS_MAX);
	pos = ret;
	for (i = 0; i < hops; i++) {
		if (pos >= len)
			return ockam_err_set(err, -EINVAL,
					     "route ends before address %u of %u",
					     i + 1, hops);
		ret = ockam_uleb_decode(buf + pos + 1, len - pos - 1, &vlen);
		if (ret == -EAGAIN)
			return ockam_err_set(err, -EINVAL,
					     "route ends inside the length of address %u",
					     i + 1);
		if (ret < 0)
			return ockam_err_set(err, -EINVAL,
					     "length of address %u is not a minimal 32-bit ULEB128",
					     i + 1);
		if (vlen > OCKAM_ADDR_VALUE_MAX)
			return ockam_err_set(err, -EINVAL,
					     "address %u is %u bytes long; at most %d are allowed",
					     i + 1, vlen, OCKAM_ADDR_VALUE_MAX);
		if (len - pos - 1 - ret < vlen)
			return ockam_err_set(err, -EINVAL,
					     "route ends inside address %u", i + 1);
		pos += 1 + ret + vlen;
	}
	if (pos < len)
		return ockam_err_set(err, -EINVAL, "%u bytes follow the route",
				     len - pos);
	return ockam_err_set(err, -EINVAL, "malformed route");
}

OCKAM_EXPORT int ockam_route_from_wire(struct ockam_route *rt, const void *buf,
				       size_t len, struct ockam_err *err)
{
	struct ockam_route_view view;
	struct ockam_addr_view addr;
	int ret;

	if (len > OCKAM_ROUTE_BYTES_MAX)
		return ockam_err_set(err, -EINVAL,
				     "route of %zu bytes; at most %d are allowed",
				     len, OCKAM_ROUTE_BYTES_MAX);
	ret = ockam_route_decode(buf, len, &view);
	if (ret < 0 || (size_t)ret != len)
		return explain_bad_route(buf, len, err);

	rt->hops = 0;
	while (ockam_route_first(&view, &addr) > 0) {
		set_addr(&rt->addr[rt->hops++], addr.type, addr.value, addr.len);
		ockam_route_skip(&view, &addr);
	}
	return 0;
}
