// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The UDP puncture messages: encoding and the checks every received one
 * passes (puncture_proto.h). Everything here comes from the network: a
 * rendezvous' answer, or a peer's, so nothing is taken that is not
 * exactly one message of a known type, with an address that is an IP
 * literal (never a name: nothing a peer sends is looked up).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "puncture_proto.h"

static bool type_has_addr(uint8_t type)
{
	return type == PUNCTURE_MSG_ADDRESS || type == PUNCTURE_MSG_REQUEST ||
	       type == PUNCTURE_MSG_ACCEPT;
}

static bool type_known(uint8_t type)
{
	return type >= PUNCTURE_MSG_QUERY && type <= PUNCTURE_MSG_HEARTBEAT;
}

bool puncture_addr_ok(const char *text)
{
	char host[OCKAM_HOST_MAX + 1];
	unsigned char bin[sizeof(struct in6_addr)];
	uint16_t port;

	if (strlen(text) > PUNCTURE_ADDR_MAX ||
	    ockam_hostport_split(text, host, sizeof(host), &port, false,
				 NULL) < 0)
		return false;
	return inet_pton(AF_INET, host, bin) == 1 ||
	       inet_pton(AF_INET6, host, bin) == 1;
}

ssize_t puncture_msg_encode(const struct puncture_msg *m, uint8_t *buf,
			    size_t size)
{
	size_t len = PUNCTURE_HEADER_LEN, alen;

	if (!type_known(m->type) || size < PUNCTURE_MSG_MAX)
		return -EINVAL;
	buf[0] = PUNCTURE_VERSION;
	buf[1] = m->type;
	memcpy(buf + 2, m->id, PUNCTURE_ID_LEN);
	if (type_has_addr(m->type)) {
		alen = strnlen(m->addr, sizeof(m->addr));
		if (alen > PUNCTURE_ADDR_MAX || !puncture_addr_ok(m->addr))
			return -EINVAL;
		buf[len++] = alen;
		memcpy(buf + len, m->addr, alen);
		len += alen;
	} else if (m->type == PUNCTURE_MSG_REFUSE) {
		buf[len++] = m->reason;
	}
	return len;
}

int puncture_msg_decode(const uint8_t *buf, size_t len,
			struct puncture_msg *m)
{
	size_t off = PUNCTURE_HEADER_LEN, alen;

	memset(m, 0, sizeof(*m));
	if (len < PUNCTURE_HEADER_LEN || buf[0] != PUNCTURE_VERSION ||
	    !type_known(buf[1]))
		return -EINVAL;
	m->type = buf[1];
	memcpy(m->id, buf + 2, PUNCTURE_ID_LEN);
	if (type_has_addr(m->type)) {
		if (len < off + 1)
			return -EINVAL;
		alen = buf[off++];
		if (alen > PUNCTURE_ADDR_MAX || len != off + alen ||
		    memchr(buf + off, '\0', alen))
			return -EINVAL;
		memcpy(m->addr, buf + off, alen);
		m->addr[alen] = '\0';
		return puncture_addr_ok(m->addr) ? 0 : -EINVAL;
	}
	if (m->type == PUNCTURE_MSG_REFUSE) {
		if (len != off + 1)
			return -EINVAL;
		m->reason = buf[off];
		return 0;
	}
	return len == off ? 0 : -EINVAL;
}

const char *puncture_refusal_text(uint8_t reason)
{
	switch (reason) {
	case PUNCTURE_REFUSE_NOT_UDP:
		return "the rendezvous was not reached over UDP";
	case PUNCTURE_REFUSE_DISABLED:
		return "the peer has no rendezvous route";
	case PUNCTURE_REFUSE_BUSY:
		return "the peer has too many punctures under way";
	case PUNCTURE_REFUSE_RENDEZVOUS:
		return "the peer's rendezvous did not answer";
	case PUNCTURE_REFUSE_PLAINTEXT:
		return "the request came through no secure channel";
	default:
		return "refused";
	}
}
