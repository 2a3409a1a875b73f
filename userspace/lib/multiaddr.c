// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Route text forms: Ockam's MultiAddr ("/ip4/10.0.0.2/tcp/4000/service/echo")
 * and its plain address list ("1#10.0.0.2:4000 => 0#echo").
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "internal.h"
#include "text.h"

/* ---------------------------------------------------------------- parse */

/* One '/'-separated component of a MultiAddr. */
struct token {
	const char *s;
	size_t len;
};

struct multiaddr_parser {
	const char *text;
	const char *p;
	struct ockam_route *rt;
	ockam_node_resolver_fn resolve;
	void *resolve_arg;
	struct ockam_err *err;
};

/* Take the next component; false at the end of the text. */
static bool take(struct multiaddr_parser *ps, struct token *tok)
{
	if (!*ps->p)
		return false;
	ps->p++;		/* the '/' */
	tok->s = ps->p;
	tok->len = strcspn(ps->p, "/");
	ps->p += tok->len;
	return true;
}

static bool token_is(const struct token *tok, const char *word)
{
	return tok->len == strlen(word) && !memcmp(tok->s, word, tok->len);
}

/* The text of the component being parsed, for messages: "/ip4/10.0.0". */
static int fail_at(struct multiaddr_parser *ps, const char *start, int code,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail_at(struct multiaddr_parser *ps, const char *start, int code,
		   const char *fmt, ...)
{
	char why[OCKAM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return ockam_err_set(ps->err, code, "route component \"%.*s\": %s",
			     (int)(ps->p - start > 80 ? 80 : ps->p - start),
			     start, why);
}

static int copy_token(struct multiaddr_parser *ps, const char *start,
		      const struct token *tok, char *buf, size_t size)
{
	if (tok->len >= size)
		return fail_at(ps, start, -EINVAL,
			       "value longer than %zu characters", size - 1);
	memcpy(buf, tok->s, tok->len);
	buf[tok->len] = '\0';
	return 0;
}

static int parse_local(struct multiaddr_parser *ps, const char *start,
		       const struct token *proto)
{
	struct ockam_err inner;
	struct token name;
	int ret;

	if (!take(ps, &name))
		return fail_at(ps, start, -EINVAL, "/%.*s needs a name",
			       (int)proto->len, proto->s);
	ret = ockam_route_push(ps->rt, OCKAM_ADDR_LOCAL, name.s, name.len,
			       &inner);
	if (ret < 0)
		return fail_at(ps, start, ret, "%s", ockam_err_msg(&inner));
	return 0;
}

static int parse_transport(struct multiaddr_parser *ps, const char *start,
			   enum ockam_host_kind want, const struct token *proto)
{
	char host[OCKAM_HOST_MAX + 1], value[OCKAM_HOSTPORT_MAX + 1];
	struct token addr, tproto, port_tok;
	enum ockam_host_kind kind;
	struct ockam_err inner;
	uint8_t type;
	uint16_t port;
	int ret, len;

	if (!take(ps, &addr))
		return fail_at(ps, start, -EINVAL, "/%.*s needs an address",
			       (int)proto->len, proto->s);
	ret = copy_token(ps, start, &addr, host, sizeof(host));
	if (ret < 0)
		return ret;
	kind = ockam_host_kind(host);
	/*
	 * /dnsaddr takes a name, or an IPv4 address in its one spelling
	 * (which prints back as /ip4): never "127.1" and the like.
	 */
	if (kind == OCKAM_HOST_BAD && ockam_host_hint(host, value, sizeof(value)))
		return fail_at(ps, start, -EINVAL, "'%s': %s", host, value);
	if (want == OCKAM_HOST_DNS ? kind != OCKAM_HOST_DNS &&
				     kind != OCKAM_HOST_IP4 :
				     kind != want)
		return fail_at(ps, start, -EINVAL, "'%s' is not %s", host,
			       want == OCKAM_HOST_IP4 ? "an IPv4 address" :
			       want == OCKAM_HOST_IP6 ? "an IPv6 address" :
							"a host name");
	if (!take(ps, &tproto))
		return fail_at(ps, start, -EINVAL,
			       "must be followed by /tcp/PORT or /udp/PORT");
	if (token_is(&tproto, "tcp"))
		type = OCKAM_ADDR_TCP;
	else if (token_is(&tproto, "udp"))
		type = OCKAM_ADDR_UDP;
	else
		return fail_at(ps, start, -EINVAL,
			       "must be followed by /tcp/PORT or /udp/PORT, not /%.*s",
			       (int)tproto.len, tproto.s);
	if (!take(ps, &port_tok))
		return fail_at(ps, start, -EINVAL, "/%.*s needs a port",
			       (int)tproto.len, tproto.s);
	if (!ockam_port_parse(port_tok.s, port_tok.len, false, &port))
		return fail_at(ps, start, -EINVAL,
			       "'%.*s' is not a port number (1 to 65535)",
			       (int)(port_tok.len > 16 ? 16 : port_tok.len),
			       port_tok.s);
	len = ockam_hostport_join(value, sizeof(value), host, port);
	if (len < 0)
		return fail_at(ps, start, len, "address too long");
	ret = ockam_route_push(ps->rt, type, value, len, &inner);
	if (ret < 0)
		return fail_at(ps, start, ret, "%s", ockam_err_msg(&inner));
	return 0;
}

static int parse_node(struct multiaddr_parser *ps, const char *start)
{
	char name[OCKAM_NODE_NAME_MAX + 1];
	struct ockam_err inner;
	struct token tok;
	int ret;

	if (!take(ps, &tok))
		return fail_at(ps, start, -EINVAL, "/node needs a node name");
	ret = copy_token(ps, start, &tok, name, sizeof(name));
	if (ret < 0)
		return ret;
	if (!ps->resolve)
		return fail_at(ps, start, -EINVAL,
			       "node names cannot be resolved here");
	ockam_err_clear(&inner);
	ret = ps->resolve(name, ps->rt, ps->resolve_arg, &inner);
	if (ret < 0)
		return fail_at(ps, start, ret, "%s", ockam_err_msg(&inner));
	return 0;
}

static int parse_multiaddr(struct multiaddr_parser *ps)
{
	const char *empty = strstr(ps->text, "//");
	size_t len = strlen(ps->text);

	/* "/" alone is the empty route, which is how it prints. */
	if (len == 1)
		return 0;
	if (!empty && ps->text[len - 1] == '/')
		empty = ps->text + len - 1;
	if (empty)
		return ockam_err_set(ps->err, -EINVAL,
				     "route \"%.80s\": empty component at character %zu",
				     ps->text, (size_t)(empty - ps->text + 2));

	while (*ps->p) {
		const char *start = ps->p;
		struct token proto;
		int ret;

		if (!take(ps, &proto))
			break;
		if (token_is(&proto, "service") || token_is(&proto, "worker") ||
		    token_is(&proto, "secure"))
			ret = parse_local(ps, start, &proto);
		else if (token_is(&proto, "ip4"))
			ret = parse_transport(ps, start, OCKAM_HOST_IP4, &proto);
		else if (token_is(&proto, "ip6"))
			ret = parse_transport(ps, start, OCKAM_HOST_IP6, &proto);
		else if (token_is(&proto, "dnsaddr"))
			ret = parse_transport(ps, start, OCKAM_HOST_DNS, &proto);
		else if (token_is(&proto, "node"))
			ret = parse_node(ps, start);
		else if (token_is(&proto, "tcp") || token_is(&proto, "udp"))
			ret = fail_at(ps, start, -EINVAL,
				      "must follow /ip4/ADDR, /ip6/ADDR or /dnsaddr/HOST");
		else
			ret = fail_at(ps, start, -EINVAL,
				      "unknown protocol (known: service, worker, secure, ip4, ip6, dnsaddr, tcp, udp, node)");
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* One "TYPE#VALUE" or "VALUE" of the plain form, @len bytes at @s. */
static int parse_plain_addr(struct ockam_route *rt, const char *s, size_t len,
			    struct ockam_err *err)
{
	char value[OCKAM_ADDR_VALUE_MAX + 1];
	const char *hash = memchr(s, '#', len);
	struct ockam_err inner;
	unsigned int type = OCKAM_ADDR_LOCAL;
	size_t i, vlen = 0;
	int ret;

	if (hash) {
		const char *t;

		if (hash == s || hash - s > 3 || (s[0] == '0' && hash - s > 1))
			goto bad_type;
		for (type = 0, t = s; t < hash; t++) {
			if (*t < '0' || *t > '9')
				goto bad_type;
			type = type * 10 + (*t - '0');
		}
		if (type > 255)
			goto bad_type;
		len -= hash + 1 - s;
		s = hash + 1;
	}
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (vlen == sizeof(value) - 1)
			return ockam_err_set(err, -EINVAL,
					     "address \"%.40s...\": longer than %d bytes",
					     s, OCKAM_ADDR_VALUE_MAX);
		if (c == '\\') {
			int hi, lo;

			if (i + 1 < len && s[i + 1] == '\\') {
				value[vlen++] = '\\';
				i++;
				continue;
			}
			if (i + 3 < len && s[i + 1] == 'x' &&
			    (hi = ockam_hex_digit(s[i + 2])) >= 0 &&
			    (lo = ockam_hex_digit(s[i + 3])) >= 0) {
				value[vlen++] = (char)(hi << 4 | lo);
				i += 3;
				continue;
			}
			return ockam_err_set(err, -EINVAL,
					     "address \"%.*s\": '\\' starts neither \\\\ nor \\xNN",
					     (int)(len > 80 ? 80 : len), s);
		}
		value[vlen++] = c;
	}
	ret = ockam_route_push(rt, type, value, vlen, &inner);
	if (ret < 0)
		return ockam_err_set(err, ret, "address \"%.*s\": %s",
				     (int)(len > 80 ? 80 : len), s,
				     ockam_err_msg(&inner));
	return 0;

bad_type:
	return ockam_err_set(err, -EINVAL,
			     "address \"%.*s\": '%.*s' is not a transport type number (0 to 255)",
			     (int)(len > 80 ? 80 : len), s, (int)(hash - s), s);
}

/* An address ends at a space, a ',' or a "=>". */
static size_t plain_token_len(const char *p)
{
	size_t len = 0;

	while (p[len] && p[len] != ' ' && p[len] != ',' &&
	       !(p[len] == '=' && p[len + 1] == '>'))
		len++;
	return len;
}

/* Addresses separated by "=>" or ",", with optional spaces around them. */
static int parse_plain(struct ockam_route *rt, const char *text,
		       struct ockam_err *err)
{
	const char *p = text;

	p += strspn(p, " ");
	if (!*p)
		return 0;
	for (;;) {
		size_t len = plain_token_len(p);
		int ret;

		if (!len)
			return ockam_err_set(err, -EINVAL,
					     "route \"%.80s\": missing address at character %zu",
					     text, (size_t)(p - text + 1));
		ret = parse_plain_addr(rt, p, len, err);
		if (ret < 0)
			return ret;
		p += len;
		p += strspn(p, " ");
		if (!*p)
			return 0;
		if (*p == ',')
			p++;
		else if (p[0] == '=' && p[1] == '>')
			p += 2;
		else
			return ockam_err_set(err, -EINVAL,
					     "route \"%.80s\": expected \"=>\" or \",\" at character %zu",
					     text, (size_t)(p - text + 1));
		p += strspn(p, " ");
	}
}

OCKAM_EXPORT int ockam_route_parse(struct ockam_route *rt, const char *text,
				   ockam_node_resolver_fn resolve,
				   void *resolve_arg, struct ockam_err *err)
{
	struct multiaddr_parser ps = {
		.text = text,
		.p = text,
		.rt = rt,
		.resolve = resolve,
		.resolve_arg = resolve_arg,
		.err = err,
	};

	ockam_route_init(rt);
	if (text[0] == '/')
		return parse_multiaddr(&ps);
	return parse_plain(rt, text, err);
}

/* --------------------------------------------------------------- format */

struct out {
	char *buf;
	size_t size;
	size_t len;
	bool overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || o->len + n >= o->size) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void putf(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void putf(struct out *o, const char *fmt, ...)
{
	char tmp[OCKAM_HOSTPORT_MAX + 32];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->overflow = true;
		return;
	}
	put(o, tmp, n);
}

static int format_multiaddr_addr(struct out *o, const struct ockam_addr *addr)
{
	char host[OCKAM_HOST_MAX + 1];
	const char *proto;
	uint16_t port;

	if (addr->type == OCKAM_ADDR_LOCAL) {
		if (!ockam_local_name_valid((const uint8_t *)addr->value,
					    addr->len))
			return -EINVAL;
		put(o, "/service/", 9);
		put(o, addr->value, addr->len);
		return 0;
	}
	if (addr->type != OCKAM_ADDR_TCP && addr->type != OCKAM_ADDR_UDP)
		return -EINVAL;
	if (memchr(addr->value, '\0', addr->len))
		return -EINVAL;
	if (ockam_hostport_split(addr->value, host, sizeof(host), &port, false,
				 NULL) < 0)
		return -EINVAL;
	switch (ockam_host_kind(host)) {
	case OCKAM_HOST_IP4:
		proto = "ip4";
		break;
	case OCKAM_HOST_IP6:
		proto = "ip6";
		break;
	default:
		proto = "dnsaddr";
		break;
	}
	putf(o, "/%s/%s/%s/%u", proto, host,
	     addr->type == OCKAM_ADDR_TCP ? "tcp" : "udp", port);
	return 0;
}

/* Whatever would end the address early when read back. */
static bool plain_byte_needs_escape(const struct ockam_addr *addr,
				    unsigned int i)
{
	unsigned char c = addr->value[i];

	if (c == '=' && i + 1 < addr->len && addr->value[i + 1] == '>')
		return true;
	return c < 0x21 || c > 0x7e || c == ',';
}

static void format_plain_addr(struct out *o, const struct ockam_addr *addr)
{
	unsigned int i;

	putf(o, "%u#", addr->type);
	for (i = 0; i < addr->len; i++) {
		unsigned char c = addr->value[i];

		if (c == '\\')
			put(o, "\\\\", 2);
		else if (plain_byte_needs_escape(addr, i))
			putf(o, "\\x%02x", c);
		else
			put(o, (const char *)&c, 1);
	}
}

OCKAM_EXPORT ssize_t ockam_route_format(const struct ockam_route *rt,
					enum ockam_route_style style,
					char *buf, size_t size)
{
	struct out o = { .buf = buf, .size = size };
	unsigned int i;

	if (!size)
		return -ENOSPC;
	buf[0] = '\0';
	if (style == OCKAM_ROUTE_MULTIADDR && !rt->hops)
		put(&o, "/", 1);
	for (i = 0; i < rt->hops; i++) {
		if (style == OCKAM_ROUTE_MULTIADDR) {
			if (format_multiaddr_addr(&o, &rt->addr[i]) < 0)
				return -EINVAL;
		} else {
			if (i)
				put(&o, " => ", 4);
			format_plain_addr(&o, &rt->addr[i]);
		}
	}
	if (o.overflow)
		return -ENOSPC;
	return o.len;
}

OCKAM_EXPORT ssize_t ockam_route_format_any(const struct ockam_route *rt,
					    char *buf, size_t size)
{
	ssize_t ret = ockam_route_format(rt, OCKAM_ROUTE_MULTIADDR, buf, size);

	if (ret == -EINVAL)
		ret = ockam_route_format(rt, OCKAM_ROUTE_PLAIN, buf, size);
	return ret;
}
