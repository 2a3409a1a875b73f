// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Ockam routing message codec; see codec.h. Every decoder takes the bytes
 * it may read and returns either what it consumed or a negative errno:
 * -EAGAIN when the input stops early (more bytes could complete it) and
 * -EINVAL when no continuation could make it valid.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

#include "codec.h"

enum {
	ULEB_CONTINUE = 0x80,
	ULEB_GROUP = 0x7f,
	ULEB_SHIFT = 7,
};

int ockam_uleb_decode(const u8 *buf, u32 avail, u32 *value)
{
	u32 result = 0;
	u32 i;

	for (i = 0; i < OCKAM_ULEB_MAX; i++) {
		u8 byte;

		if (i >= avail)
			return -EAGAIN;
		byte = buf[i];
		/* The fifth group may only carry the top four bits. */
		if (i == OCKAM_ULEB_MAX - 1 && (byte & ~0x0f))
			return -EINVAL;
		result |= (u32)(byte & ULEB_GROUP) << (ULEB_SHIFT * i);
		if (!(byte & ULEB_CONTINUE)) {
			/* Minimal form: a last group of zero only for 0. */
			if (i > 0 && byte == 0)
				return -EINVAL;
			*value = result;
			return i + 1;
		}
	}
	return -EINVAL;
}

u32 ockam_uleb_len(u32 value)
{
	u32 len = 1;

	while (value > ULEB_GROUP) {
		value >>= ULEB_SHIFT;
		len++;
	}
	return len;
}

u32 ockam_uleb_encode(u8 *buf, u32 value)
{
	u32 len = 0;

	while (value > ULEB_GROUP) {
		buf[len++] = (value & ULEB_GROUP) | ULEB_CONTINUE;
		value >>= ULEB_SHIFT;
	}
	buf[len++] = value;
	return len;
}

/* A ULEB128 length of a field that must fit in what is left of @avail. */
static int decode_bytes_len(const u8 *buf, u32 avail, u32 max, u32 *len)
{
	int ret = ockam_uleb_decode(buf, avail, len);

	if (ret < 0)
		return ret;
	if (*len > max)
		return -EINVAL;
	return ret;
}

int ockam_addr_decode(const u8 *buf, u32 avail, struct ockam_addr_view *addr)
{
	u32 len;
	int ret;

	if (avail < 1)
		return -EAGAIN;
	ret = decode_bytes_len(buf + 1, avail - 1, OCKAM_ADDR_VALUE_MAX, &len);
	if (ret < 0)
		return ret;
	if (avail - 1 - ret < len)
		return -EAGAIN;
	addr->type = buf[0];
	addr->len = len;
	addr->value = buf + 1 + ret;
	addr->encoded_len = 1 + ret + len;
	return addr->encoded_len;
}

u32 ockam_addr_encoded_len(u32 value_len)
{
	return 1 + ockam_uleb_len(value_len) + value_len;
}

u32 ockam_addr_encode(u8 *buf, u8 type, const u8 *value, u32 value_len)
{
	u32 pos = 1;

	buf[0] = type;
	pos += ockam_uleb_encode(buf + pos, value_len);
	memcpy(buf + pos, value, value_len);
	return pos + value_len;
}

int ockam_route_decode(const u8 *buf, u32 avail, struct ockam_route_view *rt)
{
	struct ockam_addr_view addr;
	u32 hops, i, pos;
	int ret;

	ret = decode_bytes_len(buf, avail, OCKAM_ROUTE_HOPS_MAX, &hops);
	if (ret < 0)
		return ret;
	pos = ret;
	for (i = 0; i < hops; i++) {
		ret = ockam_addr_decode(buf + pos, avail - pos, &addr);
		if (ret < 0)
			return ret;
		pos += ret;
	}
	rt->addrs = buf + ockam_uleb_len(hops);
	rt->len = pos - ockam_uleb_len(hops);
	rt->hops = hops;
	return pos;
}

int ockam_route_first(const struct ockam_route_view *rt,
		      struct ockam_addr_view *addr)
{
	if (!rt->hops)
		return -ENOENT;
	return ockam_addr_decode(rt->addrs, rt->len, addr);
}

void ockam_route_skip(struct ockam_route_view *rt,
		      const struct ockam_addr_view *first)
{
	rt->addrs += first->encoded_len;
	rt->len -= first->encoded_len;
	rt->hops--;
}

u32 ockam_route_parts_len(const struct ockam_route_parts *parts)
{
	return ockam_uleb_len(parts->head_hops + parts->tail_hops) +
	       parts->head_len + parts->tail_len;
}

u32 ockam_route_parts_encode(u8 *buf, const struct ockam_route_parts *parts)
{
	u32 pos = ockam_uleb_encode(buf, parts->head_hops + parts->tail_hops);

	if (parts->head_len)
		memcpy(buf + pos, parts->head, parts->head_len);
	pos += parts->head_len;
	if (parts->tail_len)
		memcpy(buf + pos, parts->tail, parts->tail_len);
	return pos + parts->tail_len;
}

void ockam_route_parts_from_view(struct ockam_route_parts *parts,
				 const struct ockam_route_view *rt)
{
	parts->head = NULL;
	parts->head_len = 0;
	parts->head_hops = 0;
	parts->tail = rt->addrs;
	parts->tail_len = rt->len;
	parts->tail_hops = rt->hops;
}

int ockam_msg_decode(const u8 *buf, u32 avail, u32 total,
		     struct ockam_msg_view *msg)
{
	u32 pos = 1, payload_len;
	int ret;

	if (avail > total)
		avail = total;
	if (avail < 1)
		return total ? -EAGAIN : -EINVAL;
	if (buf[0] != OCKAM_MESSAGE_VERSION)
		return -EINVAL;

	ret = ockam_route_decode(buf + pos, avail - pos, &msg->onward);
	if (ret < 0)
		goto short_or_bad;
	pos += ret;
	ret = ockam_route_decode(buf + pos, avail - pos, &msg->ret);
	if (ret < 0)
		goto short_or_bad;
	pos += ret;
	ret = ockam_uleb_decode(buf + pos, avail - pos, &payload_len);
	if (ret < 0)
		goto short_or_bad;
	pos += ret;

	/* The payload is the rest of the message, exactly. */
	if (payload_len != total - pos)
		return -EINVAL;
	msg->header_len = pos;
	msg->payload_len = payload_len;
	return 0;

short_or_bad:
	/* Running out of @avail is only "short" if the message goes on. */
	if (ret == -EAGAIN && avail == total)
		return -EINVAL;
	return ret;
}

u32 ockam_header_len(const struct ockam_route_parts *onward,
		     const struct ockam_route_parts *ret, u32 payload_len)
{
	return 1 + ockam_route_parts_len(onward) + ockam_route_parts_len(ret) +
	       ockam_uleb_len(payload_len);
}

u32 ockam_header_encode(u8 *buf, const struct ockam_route_parts *onward,
			const struct ockam_route_parts *ret, u32 payload_len)
{
	u32 pos = 0;

	buf[pos++] = OCKAM_MESSAGE_VERSION;
	pos += ockam_route_parts_encode(buf + pos, onward);
	pos += ockam_route_parts_encode(buf + pos, ret);
	pos += ockam_uleb_encode(buf + pos, payload_len);
	return pos;
}

bool ockam_local_name_valid(const u8 *name, u32 len)
{
	u32 i;

	if (len < 1 || len > OCKAM_ADDR_VALUE_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (name[i] < 0x21 || name[i] > 0x7e)
			return false;
		if (name[i] == '/' || name[i] == '#')
			return false;
	}
	return true;
}

/*
 * The length of the message a TCP frame announces in @prefix: 0 and *@len,
 * or -EBADMSG for an empty message (none is ever sent, so the stream is
 * corrupt) and -EMSGSIZE for one longer than @max_message or than any
 * node allows, so that the whole frame's length always fits an int.
 * Either error ends the connection: after it nothing in the stream can be
 * trusted to start a frame.
 */
static u32 ockam_get_be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static void ockam_put_be32(u8 *p, u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

int ockam_tcp_msg_len(const u8 prefix[OCKAM_TCP_FRAME_LEN], u32 max_message,
		      u32 *len)
{
	u32 value = ockam_get_be32(prefix);

	if (value > max_message || value > OCKAM_MAX_MESSAGE_MAX)
		return -EMSGSIZE;
	if (!value)
		return -EBADMSG;
	*len = value;
	return 0;
}

/*
 * Decode the header at @buf of a datagram of @datagram_len bytes (header
 * included; @buf holds at least OCKAM_UDP_HEADER_LEN of them when that is
 * its length). -EPROTO: another version; -EMSGSIZE: a message longer than
 * @max_message; -EBADMSG: anything else that is not a valid fragment.
 */
int ockam_udp_header_decode(const u8 *buf, u32 datagram_len, u32 max_message,
			    struct ockam_udp_header *hdr)
{
	if (datagram_len < OCKAM_UDP_HEADER_LEN)
		return -EBADMSG;
	if (buf[0] != OCKAM_UDP_VERSION)
		return -EPROTO;
	if (buf[1] || buf[2] || buf[3])
		return -EBADMSG;
	hdr->message = ockam_get_be32(buf + 4);
	hdr->offset = ockam_get_be32(buf + 8);
	hdr->length = ockam_get_be32(buf + 12);
	hdr->fragment_len = datagram_len - OCKAM_UDP_HEADER_LEN;
	if (hdr->length > max_message || hdr->length > OCKAM_MAX_MESSAGE_MAX)
		return -EMSGSIZE;
	if (!hdr->fragment_len || hdr->offset >= hdr->length ||
	    hdr->fragment_len > hdr->length - hdr->offset)
		return -EBADMSG;
	return 0;
}

void ockam_udp_header_encode(u8 buf[OCKAM_UDP_HEADER_LEN], u32 message,
			     u32 offset, u32 length)
{
	buf[0] = OCKAM_UDP_VERSION;
	buf[1] = 0;
	buf[2] = 0;
	buf[3] = 0;
	ockam_put_be32(buf + 4, message);
	ockam_put_be32(buf + 8, offset);
	ockam_put_be32(buf + 12, length);
}
