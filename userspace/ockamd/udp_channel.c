// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * secure-channel create --udp: a channel over a punched UDP path. A first
 * channel along the given route (through a relay) proves who the peer is
 * and carries the puncture; once the path is open the handshake runs
 * again over [the peer's public UDP address, the same listener], and
 * must reach the same identity. The first channel is then closed, and
 * the request answered with the second. The puncture's heartbeats keep
 * the NATs' mappings open for as long as the channel lives; when they
 * stop, the channel is closed (its keepalives could not get through).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "puncture.h"
#include "util.h"

struct udp_channel {
	struct udp_channel *next;
	struct ctl_request *request;	/* until answered */
	struct ockam_wire_route route;	/* the first channel's */
	struct ockam_wire_route rendezvous;
	char listener[OCKAM_NAME_MAX];
	char identity[VAULT_NAME_MAX + 1];
	struct trust_policy policy;
	unsigned int timeout_ms;
	char relayed[OCKAM_NAME_MAX];	/* the first channel's encryptor */
	char peer_id[IDENTIFIER_STR_LEN + 1];
	struct initiator *opening;
	struct puncture *punch;
	char peer[PUNCTURE_ADDR_MAX + 1];
	char encryptor[OCKAM_NAME_MAX];	/* the channel over the path */
};

static void close_relayed(struct daemon *d, struct udp_channel *uc)
{
	struct ockam_err err;

	if (uc->relayed[0] && channel_delete(d, uc->relayed, &err) < 0 &&
	    err.code != -ENOENT)
		log_warn("%s", ockam_err_msg(&err));
	uc->relayed[0] = '\0';
}

static void udp_channel_free(struct daemon *d, struct udp_channel *uc)
{
	if (uc->request)
		ctl_request_cancel(d, uc->request);
	if (uc->opening)
		secure_channel_abort(d, uc->opening);
	if (uc->punch)
		puncture_stop(d, uc->punch);
	close_relayed(d, uc);
	slist_remove(&d->udp_channels, uc);
	free(uc);
}

static void udp_channel_fail(struct daemon *d, struct udp_channel *uc,
			     int errnum, const char *why)
{
	ockam_ctl_reply_error(ctl_reply(uc->request), errnum,
			      "secure channel over UDP: %s", why);
	ctl_request_finish(d, uc->request);
	uc->request = NULL;
	udp_channel_free(d, uc);
}

static void on_path_channel(struct daemon *d, void *owner,
			    const struct ockam_channel_info *ch,
			    const struct ockam_err *err)
{
	struct udp_channel *uc = owner;
	struct ockam_ctl_writer *w;

	uc->opening = NULL;
	if (!ch) {
		udp_channel_fail(d, uc, -err->code, ockam_err_msg(err));
		return;
	}
	snprintf(uc->encryptor, sizeof(uc->encryptor), "%s", ch->encryptor);
	close_relayed(d, uc);
	log_info("secure channel %s over the UDP path to %s", uc->encryptor,
		 uc->peer);
	w = ctl_reply(uc->request);
	ockam_ctl_reply_ok(w);
	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "encryptor", "%s", ch->encryptor);
	ockam_ctl_field(w, "decryptor", "%s", ch->decryptor);
	ockam_ctl_field(w, "peer", "%s", ch->identifier);
	ockam_ctl_field(w, "identity", "%s", uc->identity);
	ockam_ctl_field(w, "udp-peer", "%s", uc->peer);
	ockam_ctl_record_end(w);
	if (!ctl_request_finish(d, uc->request)) {
		struct ockam_err e;

		uc->request = NULL;
		log_warn("secure channel %s: the client went away; closing it",
			 uc->encryptor);
		channel_delete(d, uc->encryptor, &e);
		udp_channel_free(d, uc);
		return;
	}
	uc->request = NULL;
}

static void on_punch(struct daemon *d, void *owner, const char *peer,
		     const char *why)
{
	struct secure_channel_request req = { 0 };
	struct udp_channel *uc = owner;
	struct ockam_wire_route route;
	struct ockam_err err;

	if (!peer) {
		struct ockam_err e;

		uc->punch = NULL;
		if (uc->request) {
			udp_channel_fail(d, uc, EHOSTUNREACH, why);
			return;
		}
		log_info("secure channel %s: UDP path to %s lost (%s); closing it",
			 uc->encryptor, uc->peer, why);
		channel_delete(d, uc->encryptor, &e);
		udp_channel_free(d, uc);
		return;
	}
	snprintf(uc->peer, sizeof(uc->peer), "%s", peer);
	req.identity = uc->identity;
	req.timeout_ms = uc->timeout_ms;
	if (puncture_path_route(peer, uc->listener, &route, &err) < 0 ||
	    trust_policy_parse(&req.policy, uc->peer_id, &err) < 0) {
		udp_channel_fail(d, uc, -err.code, ockam_err_msg(&err));
		return;
	}
	req.route = route.bytes;
	req.route_len = route.len;
	if (secure_channel_open(d, &req, on_path_channel, uc, &uc->opening,
				&err) < 0)
		udp_channel_fail(d, uc, -err.code, ockam_err_msg(&err));
}

static void on_relayed(struct daemon *d, void *owner,
		       const struct ockam_channel_info *ch,
		       const struct ockam_err *err)
{
	struct udp_channel *uc = owner;
	struct puncture_request req = {
		.rendezvous = uc->rendezvous.bytes,
		.rendezvous_len = uc->rendezvous.len,
	};
	struct ockam_err perr;

	uc->opening = NULL;
	if (!ch) {
		udp_channel_fail(d, uc, -err->code, ockam_err_msg(err));
		return;
	}
	snprintf(uc->relayed, sizeof(uc->relayed), "%s", ch->encryptor);
	snprintf(uc->peer_id, sizeof(uc->peer_id), "%s", ch->identifier);
	req.encryptor = uc->relayed;
	req.identifier = uc->peer_id;
	if (puncture_start(d, &req, on_punch, uc, &uc->punch, &perr) < 0)
		udp_channel_fail(d, uc, -perr.code, ockam_err_msg(&perr));
}

static int udp_channel_init(struct daemon *d, struct udp_channel *uc,
			    const struct secure_channel_request *req,
			    const uint8_t *rendezvous, size_t rendezvous_len,
			    struct ockam_err *err)
{
	struct secure_channel_request first = *req;
	int ret;

	if (!rendezvous_len)
		rendezvous_len = punctures_rendezvous(d, &rendezvous);
	if (!rendezvous_len)
		return ockam_err_set(err, -EINVAL,
				     "--udp needs --rendezvous ROUTE, or a node created with one");
	if (req->route_len > sizeof(uc->route.bytes))
		return ockam_err_set(err, -EMSGSIZE, "route too long");
	memcpy(uc->route.bytes, req->route, req->route_len);
	uc->route.len = req->route_len;
	ret = puncture_rendezvous_route(rendezvous, rendezvous_len,
					&uc->rendezvous, err);
	if (ret == 0)
		ret = puncture_listener_name(req->route, req->route_len,
					     uc->listener, err);
	if (ret < 0)
		return ret;
	snprintf(uc->identity, sizeof(uc->identity), "%s", req->identity);
	uc->policy = req->policy;
	uc->timeout_ms = req->timeout_ms;
	first.route = uc->route.bytes;
	return secure_channel_open(d, &first, on_relayed, uc, &uc->opening,
				   err);
}

void udp_channel_create(struct daemon *d, struct ctl_request *r,
			const struct secure_channel_request *req,
			const uint8_t *rendezvous, size_t rendezvous_len)
{
	struct udp_channel *uc = calloc(1, sizeof(*uc));
	struct ockam_err err;

	if (!uc) {
		ockam_ctl_reply_error(ctl_reply(r), ENOMEM, "out of memory");
		ctl_request_finish(d, r);
		return;
	}
	uc->next = d->udp_channels;
	d->udp_channels = uc;
	if (udp_channel_init(d, uc, req, rendezvous, rendezvous_len,
			     &err) < 0) {
		uc->request = r;
		udp_channel_fail(d, uc, -err.code, ockam_err_msg(&err));
		return;
	}
	uc->request = r;
}

/* A channel closed: if it is one over a path, stop punching for it. */
void udp_channels_on_closed(struct daemon *d, const struct ockam_event *ev)
{
	struct udp_channel *uc;

	for (uc = d->udp_channels; uc; uc = uc->next) {
		if (uc->encryptor[0] && !strcmp(uc->encryptor, ev->address)) {
			log_info("secure channel %s closed: no more heartbeats to %s",
				 uc->encryptor, uc->peer);
			udp_channel_free(d, uc);
			return;
		}
	}
}

void udp_channels_close(struct daemon *d)
{
	while (d->udp_channels)
		udp_channel_free(d, d->udp_channels);
}
