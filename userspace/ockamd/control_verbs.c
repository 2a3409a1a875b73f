// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The control requests the daemon answers (Documentation/ockamd.rst,
 * "Verbs"), one handler each. control.c gives every request to
 * ctl_dispatch() as a struct ctl_request; a handler builds the reply in
 * ctl_reply(r) and returns CTL_REPLY_NOW, or passes @r on to what will
 * answer later and returns CTL_REPLY_LATER (daemon.h has the rules).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control_args.h"
#include "daemon.h"
#include "log.h"
#include "portal.h"
#include "puncture.h"
#include "relay.h"
#include "secure.h"
#include "util.h"

struct ctl_verb {
	const char *verb;
	unsigned int min_args;
	unsigned int max_args;
	const char *usage;
	enum ctl_answer (*handle)(struct daemon *d, struct ctl_request *r,
				  const struct ockam_ctl_request *msg);
	/*
	 * Instead of @handle, for the requests that delete what their one
	 * argument names: all they answer is "ok" or the error.
	 */
	int (*remove)(struct daemon *d, const char *name,
		      struct ockam_err *err);
};

static enum ctl_answer handle_status(struct daemon *d, struct ctl_request *r,
				     const struct ockam_ctl_request *msg)
{
	struct ockam_ctl_writer *w = ctl_reply(r);
	const struct listener *l = NULL;

	(void)msg;
	ockam_ctl_reply_ok(w);
	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "kind", "node");
	ockam_ctl_field(w, "name", "%s", d->name);
	ockam_ctl_field(w, "pid", "%d", (int)getpid());
	ockam_ctl_field(w, "version", "%s", OCKAM_VERSION);
	ockam_ctl_field(w, "started", "%lld", (long long)d->started);
	ockam_ctl_field(w, "netns", "%llu", (unsigned long long)d->netns_inode);
	ockam_ctl_field(w, "family", "%d", ockam_family());
	ockam_ctl_record_end(w);
	while ((l = listener_next(d, l))) {
		ockam_ctl_record_begin(w);
		ockam_ctl_field(w, "kind", "listener");
		ockam_ctl_field(w, "address", "%s", listener_address(l));
		ockam_ctl_field(w, "accepted", "%lu", listener_accepted(l));
		ockam_ctl_record_end(w);
	}
	udp_binds_report(d, NULL, w);
	conns_report(d, w);
	services_report(d, w);
	secure_listeners_status(d, w);
	initiators_report(d, w);
	portals_status(d, w);
	forwarding_status(d, w);
	punctures_report(d, w);
	return CTL_REPLY_NOW;
}

static void listener_record(struct ockam_ctl_writer *w,
			    const struct listener *l)
{
	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "address", "%s", listener_address(l));
	ockam_ctl_field(w, "accepted", "%lu", listener_accepted(l));
	ockam_ctl_record_end(w);
}

static enum ctl_answer reply_err(struct ctl_request *r,
				 const struct ockam_err *err)
{
	ockam_ctl_reply_error(ctl_reply(r), -err->code, "%s",
			      ockam_err_msg(err));
	return CTL_REPLY_NOW;
}

/* "ok", or the error @err describes; for requests that return nothing. */
static enum ctl_answer reply_result(struct ctl_request *r, int ret,
				    const struct ockam_err *err)
{
	if (ret < 0)
		return reply_err(r, err);
	ockam_ctl_reply_ok(ctl_reply(r));
	return CTL_REPLY_NOW;
}

static enum ctl_answer
handle_listener_create(struct daemon *d, struct ctl_request *r,
		       const struct ockam_ctl_request *msg)
{
	struct listener *l;
	struct ockam_err err;

	if (listener_create(d, msg->argv[0], &l, &err) < 0)
		return reply_err(r, &err);
	ockam_ctl_reply_ok(ctl_reply(r));
	listener_record(ctl_reply(r), l);
	return CTL_REPLY_NOW;
}

static enum ctl_answer
handle_listener_list(struct daemon *d, struct ctl_request *r,
		     const struct ockam_ctl_request *msg)
{
	const struct listener *l = NULL;

	(void)msg;
	ockam_ctl_reply_ok(ctl_reply(r));
	while ((l = listener_next(d, l)))
		listener_record(ctl_reply(r), l);
	return CTL_REPLY_NOW;
}

static enum ctl_answer
handle_udp_bind_create(struct daemon *d, struct ctl_request *r,
		       const struct ockam_ctl_request *msg)
{
	const struct udp_bind *b;
	struct ockam_err err;

	if (udp_bind_create(d, msg->argv[0], &b, &err) < 0)
		return reply_err(r, &err);
	ockam_ctl_reply_ok(ctl_reply(r));
	udp_binds_report(d, b, ctl_reply(r));
	return CTL_REPLY_NOW;
}

static enum ctl_answer
handle_udp_bind_list(struct daemon *d, struct ctl_request *r,
		     const struct ockam_ctl_request *msg)
{
	(void)msg;
	ockam_ctl_reply_ok(ctl_reply(r));
	udp_binds_report(d, NULL, ctl_reply(r));
	return CTL_REPLY_NOW;
}

/* The dial answers: conn_create() owns @r from here. */
static enum ctl_answer
handle_connection_create(struct daemon *d, struct ctl_request *r,
			 const struct ockam_ctl_request *msg)
{
	conn_create(d, msg->argv[0], r);
	return CTL_REPLY_LATER;
}

/* ----------------------------------------------------------- identities */

/* Attestation lifetimes the request takes: a century either way. */
#define ATTESTATION_TTL_LIMIT (100LL * 365 * 24 * 3600)

static enum ctl_answer
handle_identity_create(struct daemon *d, struct ctl_request *r,
		       const struct ockam_ctl_request *msg)
{
	static const char *const keys[] = { "attestation-ttl", NULL };
	const char *values[ARRAY_SIZE(keys)];
	long long ttl = 0;
	struct ockam_err err;

	if (ctl_parse_options(msg, 1, keys, values, &err) < 0)
		return reply_err(r, &err);
	if (values[0] && ctl_parse_number(values[0], "attestation-ttl",
				      -ATTESTATION_TTL_LIMIT,
				      ATTESTATION_TTL_LIMIT, &ttl, &err) < 0)
		return reply_err(r, &err);
	if (values[0] && !ttl) {
		ockam_err_set(&err, -EINVAL, "attestation-ttl 0 is no lifetime");
		return reply_err(r, &err);
	}
	if (identity_create_request(d, msg->argv[0], ttl, ctl_reply(r),
				    &err) < 0)
		return reply_err(r, &err);
	return CTL_REPLY_NOW;
}

static enum ctl_answer
handle_identity_show(struct daemon *d, struct ctl_request *r,
		     const struct ockam_ctl_request *msg)
{
	struct ockam_err err;

	if (identity_show_request(d, msg->argc ? msg->argv[0] : NULL,
				  ctl_reply(r), &err) < 0)
		return reply_err(r, &err);
	return CTL_REPLY_NOW;
}

static enum ctl_answer
handle_identity_list(struct daemon *d, struct ctl_request *r,
		     const struct ockam_ctl_request *msg)
{
	struct ockam_err err;

	(void)msg;
	if (identity_list_request(d, ctl_reply(r), &err) < 0)
		return reply_err(r, &err);
	return CTL_REPLY_NOW;
}

/* ------------------------------------------------------ secure channels */

static enum ctl_answer
handle_sc_listener_create(struct daemon *d, struct ctl_request *r,
			  const struct ockam_ctl_request *msg)
{
	static const char *const keys[] = {
		"identity", "authorized", "timeout", NULL,
	};
	const char *values[ARRAY_SIZE(keys)];
	long long timeout = SECURE_RESPONDER_TIMEOUT_MS_DEFAULT;
	struct ockam_err err;

	if (ctl_parse_options(msg, 1, keys, values, &err) < 0 ||
	    (values[2] && ctl_parse_number(values[2], "timeout",
				       SECURE_RESPONDER_TIMEOUT_MS_MIN,
				       SECURE_RESPONDER_TIMEOUT_MS_MAX,
				       &timeout, &err) < 0) ||
	    secure_listener_create(d, msg->argv[0], values[0], values[1],
				   timeout, &err) < 0 ||
	    secure_listeners_report(d, msg->argv[0], ctl_reply(r), &err) < 0)
		return reply_err(r, &err);
	return CTL_REPLY_NOW;
}

static enum ctl_answer
handle_sc_listener_list(struct daemon *d, struct ctl_request *r,
			const struct ockam_ctl_request *msg)
{
	struct ockam_err err;

	if (secure_listeners_report(d, msg->argc ? msg->argv[0] : NULL,
				    ctl_reply(r), &err) < 0)
		return reply_err(r, &err);
	return CTL_REPLY_NOW;
}

/* Checks the request, then the handshake answers: it owns @r. */
static enum ctl_answer handle_sc_create(struct daemon *d, struct ctl_request *r,
					const struct ockam_ctl_request *msg)
{
	static const char *const keys[] = {
		"identity", "authorized", "timeout", "udp", "rendezvous", NULL,
	};
	static uint8_t route[OCKAM_ROUTE_BYTES_MAX];
	static uint8_t rendezvous[OCKAM_ROUTE_BYTES_MAX];
	static struct secure_channel_request sc;
	size_t rendezvous_len = 0;
	bool udp;
	const char *values[ARRAY_SIZE(keys)];
	long long timeout = SECURE_TIMEOUT_MS_DEFAULT;
	struct ockam_err err;

	memset(&sc, 0, sizeof(sc));
	if (ctl_parse_route(msg->argv[0], route, &sc.route_len, &err) < 0 ||
	    ctl_parse_options(msg, 1, keys, values, &err) < 0 ||
	    trust_policy_parse(&sc.policy, values[1] ? values[1] : "",
			       &err) < 0 ||
	    (values[2] && ctl_parse_number(values[2], "timeout", 1,
				       SECURE_TIMEOUT_MS_MAX, &timeout,
				       &err) < 0) ||
	    (values[4] && ctl_parse_route(values[4], rendezvous,
					  &rendezvous_len, &err) < 0))
		return reply_err(r, &err);
	udp = values[3] && !strcmp(values[3], "yes");
	if (rendezvous_len && !udp) {
		ockam_err_set(&err, -EINVAL, "--rendezvous goes with --udp");
		return reply_err(r, &err);
	}
	sc.route = route;
	sc.identity = values[0] ? values[0] : VAULT_DEFAULT_NAME;
	sc.timeout_ms = timeout;
	if (udp)
		udp_channel_create(d, r, &sc, rendezvous, rendezvous_len);
	else
		secure_channel_create(d, r, &sc);
	return CTL_REPLY_LATER;
}

static enum ctl_answer handle_sc_list(struct daemon *d, struct ctl_request *r,
				      const struct ockam_ctl_request *msg)
{
	(void)msg;
	channels_report(d, ctl_reply(r));
	return CTL_REPLY_NOW;
}

/* --------------------------------------------------------------- relays */

/* Checks the request; the first registration answers: it owns @r. */
static enum ctl_answer handle_relay_create(struct daemon *d,
					   struct ctl_request *r,
					   const struct ockam_ctl_request *msg)
{
	static const char *const keys[] = { "identity", "authorized", NULL };
	static uint8_t route[OCKAM_ROUTE_BYTES_MAX];
	const char *values[ARRAY_SIZE(keys)];
	struct relay_request req = { .name = msg->argv[0], .route = route };
	struct ockam_err err;

	if (ctl_parse_route(msg->argv[1], route, &req.route_len, &err) < 0 ||
	    ctl_parse_options(msg, 2, keys, values, &err) < 0)
		return reply_err(r, &err);
	req.identity = values[0] ? values[0] : VAULT_DEFAULT_NAME;
	req.authorized = values[1];
	relay_create(d, &req, r);
	return CTL_REPLY_LATER;
}

static enum ctl_answer handle_relay_list(struct daemon *d,
					 struct ctl_request *r,
					 const struct ockam_ctl_request *msg)
{
	(void)msg;
	ockam_ctl_reply_ok(ctl_reply(r));
	relays_report(d, ctl_reply(r));
	forwarding_report(d, ctl_reply(r));
	return CTL_REPLY_NOW;
}

/* Ours by that name first, else the one we serve. */
static int relay_remove(struct daemon *d, const char *name,
			struct ockam_err *err)
{
	if (relay_delete(d, name, err) == 0)
		return 0;
	return forwarding_delete(d, name, err);
}

static const struct ctl_verb verbs[] = {
	{ "status", 0, 0, "status", .handle = handle_status },
	{ "tcp-listener-create", 1, 1, "tcp-listener-create HOST:PORT",
	  .handle = handle_listener_create },
	{ "tcp-listener-list", 0, 0, "tcp-listener-list",
	  .handle = handle_listener_list },
	{ "tcp-listener-delete", 1, 1, "tcp-listener-delete HOST:PORT",
	  .remove = listener_delete },
	{ "udp-bind-create", 1, 1, "udp-bind-create HOST:PORT",
	  .handle = handle_udp_bind_create },
	{ "udp-bind-list", 0, 0, "udp-bind-list",
	  .handle = handle_udp_bind_list },
	{ "udp-bind-delete", 1, 1, "udp-bind-delete HOST:PORT",
	  .remove = udp_bind_delete },
	{ "tcp-connection-create", 1, 1, "tcp-connection-create HOST:PORT",
	  .handle = handle_connection_create },
	{ "tcp-connection-delete", 1, 1, "tcp-connection-delete ADDRESS",
	  .remove = conn_delete },
	{ "identity-create", 1, 2,
	  "identity-create NAME [attestation-ttl=SECONDS]",
	  .handle = handle_identity_create },
	{ "identity-show", 0, 1, "identity-show [NAME]",
	  .handle = handle_identity_show },
	{ "identity-list", 0, 0, "identity-list",
	  .handle = handle_identity_list },
	{ "identity-delete", 1, 1, "identity-delete NAME",
	  .remove = identity_delete_request },
	{ "secure-channel-listener-create", 1, 4,
	  "secure-channel-listener-create NAME [identity=NAME] [authorized=ID,...] [timeout=MS]",
	  .handle = handle_sc_listener_create },
	{ "secure-channel-listener-list", 0, 1,
	  "secure-channel-listener-list [NAME]",
	  .handle = handle_sc_listener_list },
	{ "secure-channel-listener-delete", 1, 1,
	  "secure-channel-listener-delete NAME",
	  .remove = secure_listener_delete },
	{ "secure-channel-create", 1, 6,
	  "secure-channel-create ROUTE-HEX [identity=NAME] [authorized=ID,...] [timeout=MS] [udp=yes] [rendezvous=ROUTE-HEX]",
	  .handle = handle_sc_create },
	{ "secure-channel-list", 0, 0, "secure-channel-list",
	  .handle = handle_sc_list },
	{ "secure-channel-delete", 1, 1, "secure-channel-delete ENCRYPTOR",
	  .remove = channel_delete },
	{ "tcp-outlet-create", 2, 6,
	  "tcp-outlet-create NAME HOST:PORT [authorized=ID,...] [allow-plaintext=0|1] [max-sessions=N] [connect-timeout=MS]",
	  .handle = portal_handle_outlet_create },
	{ "tcp-outlet-list", 0, 1, "tcp-outlet-list [NAME]",
	  .handle = portal_handle_outlet_list },
	{ "tcp-outlet-delete", 1, 1, "tcp-outlet-delete NAME",
	  .remove = outlet_delete },
	{ "tcp-inlet-create", 2, 8,
	  "tcp-inlet-create HOST:PORT ROUTE-HEX [secure=ROUTE-HEX] [authorized=ID,...] [max-sessions=N] [udp=yes] [fallback=no] [rendezvous=ROUTE-HEX]",
	  .handle = portal_handle_inlet_create },
	{ "tcp-inlet-list", 0, 1, "tcp-inlet-list [HOST:PORT]",
	  .handle = portal_handle_inlet_list },
	{ "tcp-inlet-delete", 1, 1, "tcp-inlet-delete HOST:PORT",
	  .remove = inlet_delete },
	{ "relay-create", 2, 4,
	  "relay-create NAME ROUTE-HEX [identity=NAME] [authorized=ID,...]",
	  .handle = handle_relay_create },
	{ "relay-list", 0, 0, "relay-list", .handle = handle_relay_list },
	{ "relay-delete", 1, 1, "relay-delete NAME", .remove = relay_remove },
};

enum ctl_answer ctl_dispatch(struct daemon *d, struct ctl_request *r,
			     const struct ockam_ctl_request *msg)
{
	const struct ctl_verb *v = NULL;
	struct ockam_err err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(verbs) && !v; i++)
		if (!strcmp(verbs[i].verb, msg->verb))
			v = &verbs[i];
	if (!v) {
		ockam_ctl_reply_error(ctl_reply(r), EOPNOTSUPP,
				      "unknown request '%s'", msg->verb);
		return CTL_REPLY_NOW;
	}
	if (msg->argc < v->min_args || msg->argc > v->max_args) {
		ockam_ctl_reply_error(ctl_reply(r), EINVAL, "usage: %s",
				      v->usage);
		return CTL_REPLY_NOW;
	}
	log_debug("control: %s", msg->verb);
	if (v->remove)
		return reply_result(r, v->remove(d, msg->argv[0], &err), &err);
	return v->handle(d, r, msg);
}
