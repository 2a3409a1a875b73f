// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Portal message codec: see portal_msg.h. Every message but PAYLOAD has a
 * fixed length, and a message with bytes past it does not parse: a peer
 * that pads is not one we understand.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

#include "portal_msg.h"

static u32 ockam_get_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static void ockam_put_le32(u8 *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/*
 * Bytes before the stream data (PAYLOAD) or the whole message (the
 * others); 0 for a type that does not exist.
 */
u32 ockam_portal_msg_header_len(enum ockam_portal_msg_type type)
{
	switch (type) {
	case OCKAM_PORTAL_MSG_PING:
	case OCKAM_PORTAL_MSG_PONG:
	case OCKAM_PORTAL_MSG_PAYLOAD:
	case OCKAM_PORTAL_MSG_END:
		return 1 + 4;
	case OCKAM_PORTAL_MSG_DISCONNECT:
		return 1;
	case OCKAM_PORTAL_MSG_CREDIT:
		return 1 + 8;
	case OCKAM_PORTAL_MSG_SYNC:
		return 1 + 4 + 1;
	}
	return 0;
}

/*
 * Decode the portal message of @total bytes whose first @avail bytes are
 * in @buf (a caller with the message in pieces needs only its first
 * OCKAM_PORTAL_MSG_HEADER_MAX bytes in one place). Returns 0, -EAGAIN
 * when @avail is too short to tell, or -EINVAL: an unknown type, a
 * message too short or too long for its type, a PAYLOAD without data, a
 * PAYLOAD over OCKAM_PORTAL_CHUNK_MAX, a window of 0, a SYNC flag that
 * does not exist.
 */
int ockam_portal_msg_decode(const u8 *buf, u32 avail, u32 total,
			    struct ockam_portal_msg *msg)
{
	u32 hlen;

	if (avail > total)
		avail = total;
	if (!total)
		return -EINVAL;
	if (!avail)
		return -EAGAIN;
	memset(msg, 0, sizeof(*msg));
	hlen = ockam_portal_msg_header_len(buf[0]);
	if (!hlen || total < hlen)
		return -EINVAL;
	msg->type = buf[0];
	if (msg->type == OCKAM_PORTAL_MSG_PAYLOAD) {
		if (total == hlen || total - hlen > OCKAM_PORTAL_CHUNK_MAX)
			return -EINVAL;
		msg->data_off = hlen;
		msg->data_len = total - hlen;
	} else if (total != hlen) {
		return -EINVAL;
	}
	if (avail < hlen)
		return -EAGAIN;

	switch (msg->type) {
	case OCKAM_PORTAL_MSG_PING:
	case OCKAM_PORTAL_MSG_PONG:
		msg->window = ockam_get_le32(buf + 1);
		if (!msg->window)
			return -EINVAL;
		break;
	case OCKAM_PORTAL_MSG_PAYLOAD:
	case OCKAM_PORTAL_MSG_END:
		msg->seq = ockam_get_le32(buf + 1);
		break;
	case OCKAM_PORTAL_MSG_CREDIT:
		msg->consumed = ockam_get_le32(buf + 1) |
				(u64)ockam_get_le32(buf + 5) << 32;
		break;
	case OCKAM_PORTAL_MSG_SYNC:
		msg->seq = ockam_get_le32(buf + 1);
		msg->flags = buf[5];
		if (msg->flags & ~OCKAM_PORTAL_SYNC_FLAGS)
			return -EINVAL;
		break;
	case OCKAM_PORTAL_MSG_DISCONNECT:
		break;
	}
	return 0;
}

/*
 * Encode @msg's fixed part into @buf (OCKAM_PORTAL_MSG_HEADER_MAX bytes
 * of room); a PAYLOAD's data follows it. Returns the bytes written, 0 for
 * an unknown type.
 */
u32 ockam_portal_msg_encode(u8 *buf, const struct ockam_portal_msg *msg)
{
	u32 hlen = ockam_portal_msg_header_len(msg->type);

	if (!hlen)
		return 0;
	buf[0] = msg->type;
	switch (msg->type) {
	case OCKAM_PORTAL_MSG_PING:
	case OCKAM_PORTAL_MSG_PONG:
		ockam_put_le32(buf + 1, msg->window);
		break;
	case OCKAM_PORTAL_MSG_PAYLOAD:
	case OCKAM_PORTAL_MSG_END:
		ockam_put_le32(buf + 1, msg->seq);
		break;
	case OCKAM_PORTAL_MSG_CREDIT:
		ockam_put_le32(buf + 1, (u32)msg->consumed);
		ockam_put_le32(buf + 5, (u32)(msg->consumed >> 32));
		break;
	case OCKAM_PORTAL_MSG_SYNC:
		ockam_put_le32(buf + 1, msg->seq);
		buf[5] = msg->flags;
		break;
	case OCKAM_PORTAL_MSG_DISCONNECT:
		break;
	}
	return hlen;
}
