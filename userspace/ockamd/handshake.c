// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * What the initiator and the responder share: a handshake runs on its own
 * AF_OCKAM socket, writes and reads Noise messages framed as in
 * handshake_frame.h, checks that the peer's identity payload is valid,
 * attests the Noise static key and passes the trust policy, and finally
 * hands the split keys to the kernel.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "secure.h"
#include "util.h"

/* The daemon has one thread: one frame and one payload buffer serve all. */
static uint8_t frame_buf[HS_FRAME_MAX];
static uint8_t payload_buf[HS_NOISE_MSG_MAX];

const char *hs_fail_name(enum hs_fail fail)
{
	static const char *const names[] = {
		[HS_FAIL_MALFORMED] = "malformed",
		[HS_FAIL_UNEXPECTED] = "unexpected",
		[HS_FAIL_BAD_IDENTITY] = "bad-identity",
		[HS_FAIL_EXPIRED] = "expired",
		[HS_FAIL_KEY_MISMATCH] = "key-mismatch",
		[HS_FAIL_UNAUTHORIZED] = "unauthorized",
		[HS_FAIL_BUSY] = "busy",
		[HS_FAIL_SOURCE_BUSY] = "source-busy",
		[HS_FAIL_HOP_BUSY] = "hop-busy",
		[HS_FAIL_TIMEOUT] = "timeout",
		[HS_FAIL_PEER_REFUSED] = "peer-refused",
		[HS_FAIL_UNREACHABLE] = "unreachable",
		[HS_FAIL_INTERNAL] = "internal",
	};

	return (unsigned int)fail < ARRAY_SIZE(names) ? names[fail] : "unknown";
}

enum hs_refusal hs_fail_refusal(enum hs_fail fail)
{
	switch (fail) {
	case HS_FAIL_MALFORMED:
		return HS_REFUSE_MALFORMED;
	case HS_FAIL_UNEXPECTED:
		return HS_REFUSE_UNEXPECTED;
	case HS_FAIL_BAD_IDENTITY:
		return HS_REFUSE_BAD_IDENTITY;
	case HS_FAIL_EXPIRED:
		return HS_REFUSE_EXPIRED;
	case HS_FAIL_KEY_MISMATCH:
		return HS_REFUSE_KEY_MISMATCH;
	case HS_FAIL_UNAUTHORIZED:
		return HS_REFUSE_UNAUTHORIZED;
	case HS_FAIL_BUSY:
	case HS_FAIL_SOURCE_BUSY:
	case HS_FAIL_HOP_BUSY:
		/* One code on the wire: the peer can only wait and retry,
		 * whichever bound it met; the text says which.
		 */
		return HS_REFUSE_BUSY;
	case HS_FAIL_TIMEOUT:
		return HS_REFUSE_TIMEOUT;
	default:
		return HS_REFUSE_INTERNAL;
	}
}

int hs_fail_errno(enum hs_fail fail)
{
	switch (fail) {
	case HS_FAIL_MALFORMED:
		return EBADMSG;
	case HS_FAIL_UNEXPECTED:
		return EPROTO;
	case HS_FAIL_BAD_IDENTITY:
		return EBADMSG;
	case HS_FAIL_EXPIRED:
		return EKEYEXPIRED;
	case HS_FAIL_KEY_MISMATCH:
		return EKEYREJECTED;
	case HS_FAIL_UNAUTHORIZED:
		return EACCES;
	case HS_FAIL_BUSY:
	case HS_FAIL_SOURCE_BUSY:
	case HS_FAIL_HOP_BUSY:
		return EBUSY;
	case HS_FAIL_TIMEOUT:
		return ETIMEDOUT;
	case HS_FAIL_PEER_REFUSED:
		return ECONNREFUSED;
	case HS_FAIL_UNREACHABLE:
		return EHOSTUNREACH;
	default:
		return EIO;
	}
}

void hs_counters_report(struct ockam_ctl_writer *w,
			const struct hs_counters *c)
{
	char key[32];
	unsigned int i;

	ockam_ctl_field(w, "started", "%lu", c->started);
	ockam_ctl_field(w, "established", "%lu", c->established);
	for (i = 0; i < HS_FAIL_COUNT; i++) {
		snprintf(key, sizeof(key), "rejected-%s", hs_fail_name(i));
		ockam_ctl_field(w, key, "%lu", c->rejected[i]);
	}
}

int secure_socket_open(struct daemon *d, const char *name, int *fd,
		       watch_fn fn, void *ctx, struct ockam_err *err)
{
	int ret;

	ret = ockam_socket(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (ret < 0)
		return ockam_err_set(err, ret,
				     "cannot open an AF_OCKAM socket: %s",
				     strerror(-ret));
	*fd = ret;
	if (name) {
		ret = kernel_reserve(d, name, err);
		if (ret < 0)
			return ret;
		ret = ockam_bind(*fd, name);
		if (ret < 0)
			return ockam_err_set(err, ret, "cannot bind %s: %s",
					     name, ret == -EADDRINUSE ?
					     "the address is in use" :
					     strerror(-ret));
	}
	/* Return routes too long for a socket address come as a cmsg. */
	ret = ockam_set_recvroute(*fd, true);
	if (ret < 0)
		return ockam_err_set(err, ret, "OCKAM_SO_RECVROUTE: %s",
				     strerror(-ret));
	ret = loop_watch(&d->loop, *fd, POLLIN, fn, ctx);
	if (ret < 0) {
		close(*fd);
		*fd = -1;
		return ockam_err_set(err, ret, "out of memory");
	}
	return 0;
}

int handshake_init(struct daemon *d, struct handshake *hs,
		   enum noise_role role, const char *identity, watch_fn fn,
		   void *ctx, struct ockam_err *err)
{
	struct identity *id;
	int ret;

	memset(hs, 0, sizeof(*hs));
	hs->fd = -1;
	snprintf(hs->identity, sizeof(hs->identity), "%s", identity);
	ret = vault_get(d->vault, identity, &id, err);
	if (ret < 0)
		return ret;
	ret = identity_payload_encode(id, hs->payload, sizeof(hs->payload),
				      &hs->payload_len);
	if (ret < 0)
		return ockam_err_set(err, ret,
				     "cannot encode identity %s: %s", identity,
				     strerror(-ret));
	hs->noise = noise_handshake_new(role, identity_static_priv(id), NULL, 0);
	if (!hs->noise)
		return ockam_err_set(err, -ENOMEM,
				     "out of locked memory for a handshake");
	return secure_socket_open(d, NULL, &hs->fd, fn, ctx, err);
}

int handshake_restart(struct daemon *d, struct handshake *hs,
		      enum noise_role role, struct ockam_err *err)
{
	struct identity *id;
	int ret;

	noise_handshake_free(hs->noise);
	hs->noise = NULL;
	ret = vault_get(d->vault, hs->identity, &id, err);
	if (ret < 0)
		return ret;
	hs->noise = noise_handshake_new(role, identity_static_priv(id), NULL, 0);
	if (!hs->noise)
		return ockam_err_set(err, -ENOMEM,
				     "out of locked memory for a handshake");
	return 0;
}

void handshake_fini(struct daemon *d, struct handshake *hs)
{
	timer_cancel(&d->loop, &hs->timer);
	if (hs->fd >= 0) {
		loop_unwatch(&d->loop, hs->fd);
		close(hs->fd);
		hs->fd = -1;
	}
	noise_handshake_free(hs->noise);
	hs->noise = NULL;
	free(hs->route);
	hs->route = NULL;
}

int handshake_set_route(struct handshake *hs, const uint8_t *route,
			size_t len, struct ockam_err *err)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	memcpy(copy, route, len);
	free(hs->route);
	hs->route = copy;
	hs->route_len = len;
	return 0;
}

int handshake_write(struct handshake *hs, uint8_t type, bool with_identity,
		    struct ockam_err *err)
{
	size_t len;
	ssize_t sent;
	int ret;

	frame_buf[0] = type;
	ret = noise_write_message(hs->noise,
				  with_identity ? hs->payload : NULL,
				  with_identity ? hs->payload_len : 0,
				  frame_buf + 1, sizeof(frame_buf) - 1, &len);
	if (ret < 0)
		return ockam_err_set(err, ret, "cannot write %s: %s",
				     hs_type_name(type), strerror(-ret));
	sent = ockam_send_wire(hs->fd, frame_buf, len + 1, hs->route,
			       hs->route_len, MSG_DONTWAIT);
	if (sent < 0)
		return ockam_err_set(err, sent, "cannot send %s: %s",
				     hs_type_name(type), strerror(-sent));
	if (!hs->address[0])
		ockam_local_address(hs->fd, hs->address, sizeof(hs->address));
	return 0;
}

/* The peer's payload: valid, attesting the Noise static key, trusted. */
static enum hs_fail verify_peer(struct handshake *hs, const uint8_t *payload,
				size_t len, const struct trust_policy *policy,
				struct ockam_err *err)
{
	const uint8_t *remote_static = noise_remote_static(hs->noise);
	struct identity_peer peer;
	struct ockam_err why;
	int ret;

	ret = identity_payload_parse(payload, len, (uint64_t)time(NULL), &peer,
				     &why);
	/* The explanation goes to the peer too: it names the identity. */
	if (ret == -EKEYEXPIRED || ret == -EKEYREJECTED) {
		*err = why;
		return HS_FAIL_EXPIRED;
	}
	if (ret < 0) {
		*err = why;
		return HS_FAIL_BAD_IDENTITY;
	}
	identifier_format(peer.identifier, hs->peer);
	if (!remote_static ||
	    sodium_memcmp(peer.static_key, remote_static, NOISE_DH_LEN)) {
		ockam_err_set(err, -EKEYREJECTED,
			      "identity %s attests a static key other than the one it used in the handshake",
			      hs->peer);
		return HS_FAIL_KEY_MISMATCH;
	}
	if (!trust_policy_allows(policy, peer.identifier)) {
		ockam_err_set(err, -EACCES, "identity %s is not authorized",
			      hs->peer);
		return HS_FAIL_UNAUTHORIZED;
	}
	return HS_FAIL_COUNT;
}

enum hs_fail handshake_read(struct handshake *hs, const struct hs_frame *f,
			    const struct trust_policy *policy,
			    struct ockam_err *err)
{
	size_t len;
	int ret;

	ret = noise_read_message(hs->noise, f->body, f->body_len, payload_buf,
				 sizeof(payload_buf), &len);
	if (ret < 0) {
		ockam_err_set(err, ret, "%s does not decrypt: %s",
			      hs_type_name(f->type), strerror(-ret));
		return HS_FAIL_MALFORMED;
	}
	if (f->type == HS_MSG1) {
		/* Message 1 carries no payload in this protocol. */
		if (len) {
			ockam_err_set(err, -EBADMSG,
				      "message 1 with a %zu-byte payload", len);
			return HS_FAIL_MALFORMED;
		}
		return HS_FAIL_COUNT;
	}
	return verify_peer(hs, payload_buf, len, policy, err);
}

int handshake_install(struct daemon *d, struct handshake *hs,
		      enum ockam_channel_role role, const char *rekey,
		      struct ockam_channel_info *out, struct ockam_err *err)
{
	uint8_t tx[NOISE_KEY_LEN], rx[NOISE_KEY_LEN];
	struct ockam_channel_params params = {
		.fd = hs->fd,
		.tx_key = tx,
		.rx_key = rx,
		.route = hs->route,
		.route_len = hs->route_len,
		.identifier = hs->peer,
		.role = role,
	};
	int ret;

	ret = noise_split(hs->noise, tx, rx);
	if (ret < 0) {
		ockam_err_set(err, ret, "Noise split: %s", strerror(-ret));
		goto out;
	}
	if (!rekey) {
		ret = ockam_nl_channel_add(d->nl, &params, out, err);
		goto out;
	}
	ret = ockam_nl_channel_rekey(d->nl, rekey, &params, err);
	if (ret == 0) {
		memset(out, 0, sizeof(*out));
		snprintf(out->encryptor, sizeof(out->encryptor), "%s", rekey);
		snprintf(out->decryptor, sizeof(out->decryptor), "%s",
			 hs->address);
		out->role = role;
	}
out:
	sodium_memzero(tx, sizeof(tx));
	sodium_memzero(rx, sizeof(rx));
	/* The chaining key is of no more use either. */
	noise_handshake_free(hs->noise);
	hs->noise = NULL;
	return ret;
}

void handshake_refuse(int fd, const uint8_t *route, size_t route_len,
		      enum hs_fail fail, const char *text)
{
	uint8_t msg[HS_REFUSED_MAX];
	size_t len = hs_refused_build(hs_fail_refusal(fail), text, msg);
	ssize_t sent = ockam_send_wire(fd, msg, len, route, route_len,
				       MSG_DONTWAIT);

	/* A hint to the peer: if it cannot go, its own timeout will do. */
	if (sent < 0)
		log_debug("cannot send a handshake refusal: %s",
			  strerror(-sent));
}

ssize_t handshake_recv(int fd, uint8_t *buf, struct ockam_wire_route *ret,
		       int flags)
{
	int msg_flags = 0;
	ssize_t n;

	n = ockam_recv(fd, buf, HS_FRAME_MAX, flags | MSG_DONTWAIT | MSG_TRUNC,
		       ret, &msg_flags);
	if (n == -EWOULDBLOCK)
		return -EAGAIN;
	if (n >= 0 && (msg_flags & MSG_TRUNC) && !(flags & MSG_PEEK))
		return -EMSGSIZE;
	return n;
}
