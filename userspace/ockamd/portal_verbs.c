// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The control requests for portals (Documentation/ockamd.rst, "Verbs"):
 * tcp-inlet-* and tcp-outlet-*. Each parses its arguments and options and
 * hands them to inlet.c or outlet.c.
 */
#include <string.h>

#include "control_args.h"
#include "portal.h"
#include "util.h"

static enum ctl_answer reply_err(struct ctl_request *r,
				 const struct ockam_err *err)
{
	ockam_ctl_reply_error(ctl_reply(r), -err->code, "%s",
			      ockam_err_msg(err));
	return CTL_REPLY_NOW;
}

/* max-sessions=N into @out, PORTAL_SESSIONS_DEFAULT when absent. */
static int parse_max_sessions(const char *value, unsigned long *out,
			      struct ockam_err *err)
{
	long long n = PORTAL_SESSIONS_DEFAULT;

	if (value && ctl_parse_number(value, "max-sessions", 1,
				      PORTAL_SESSIONS_MAX, &n, err) < 0)
		return -EINVAL;
	*out = n;
	return 0;
}

/* allow-plaintext=0|1 */
static int parse_flag(const char *value, const char *what, bool *out,
		      struct ockam_err *err)
{
	long long n = 0;

	if (value && ctl_parse_number(value, what, 0, 1, &n, err) < 0)
		return -EINVAL;
	*out = n;
	return 0;
}

enum ctl_answer portal_handle_outlet_create(struct daemon *d,
					    struct ctl_request *r,
					    const struct ockam_ctl_request *msg)
{
	static const char *const keys[] = {
		"authorized", "allow-plaintext", "max-sessions",
		"connect-timeout", NULL,
	};
	const char *values[ARRAY_SIZE(keys)];
	struct outlet_request req = {
		.name = msg->argv[0],
		.target = msg->argv[1],
	};
	long long timeout = OUTLET_CONNECT_MS_DEFAULT;
	struct ockam_err err;

	if (ctl_parse_options(msg, 2, keys, values, &err) < 0 ||
	    trust_policy_parse(&req.policy.trust, values[0] ? values[0] : "",
			       &err) < 0 ||
	    parse_flag(values[1], "allow-plaintext",
		       &req.policy.allow_plaintext, &err) < 0 ||
	    parse_max_sessions(values[2], &req.policy.max_sessions,
			       &err) < 0 ||
	    (values[3] && ctl_parse_number(values[3], "connect-timeout", 1,
					   OUTLET_CONNECT_MS_MAX, &timeout,
					   &err) < 0))
		return reply_err(r, &err);
	req.connect_timeout_ms = timeout;
	if (outlet_create(d, &req, ctl_reply(r), &err) < 0)
		return reply_err(r, &err);
	return CTL_REPLY_NOW;
}

enum ctl_answer portal_handle_outlet_list(struct daemon *d,
					  struct ctl_request *r,
					  const struct ockam_ctl_request *msg)
{
	struct ockam_err err;

	if (outlets_report(d, msg->argc ? msg->argv[0] : NULL, ctl_reply(r),
			   &err) < 0)
		return reply_err(r, &err);
	return CTL_REPLY_NOW;
}

/* The --udp options: "udp=yes", "fallback=no", "rendezvous=ROUTE". */
static int parse_inlet_udp(const char *const *values, uint8_t *rendezvous,
			   struct inlet_request *req, struct ockam_err *err)
{
	req->udp = values[0] && !strcmp(values[0], "yes");
	req->fallback = !values[1] || strcmp(values[1], "no");
	if ((values[0] && !req->udp && strcmp(values[0], "no")) ||
	    (values[1] && req->fallback && strcmp(values[1], "yes")))
		return ockam_err_set(err, -EINVAL, "udp and fallback take yes or no");
	if ((values[2] || !req->fallback) && !req->udp)
		return ockam_err_set(err, -EINVAL,
				     "--rendezvous and --no-tcp-fallback go with --udp");
	if (values[2] && ctl_parse_route(values[2], rendezvous,
					 &req->rendezvous_len, err) < 0)
		return err->code;
	req->rendezvous = values[2] ? rendezvous : NULL;
	return 0;
}

enum ctl_answer portal_handle_inlet_create(struct daemon *d,
					   struct ctl_request *r,
					   const struct ockam_ctl_request *msg)
{
	static const char *const keys[] = {
		"secure", "authorized", "max-sessions", "udp", "fallback",
		"rendezvous", NULL,
	};
	static uint8_t outlet[OCKAM_ROUTE_BYTES_MAX];
	static uint8_t secure[OCKAM_ROUTE_BYTES_MAX];
	static uint8_t rendezvous[OCKAM_ROUTE_BYTES_MAX];
	const char *values[ARRAY_SIZE(keys)];
	struct inlet_request req = { .from = msg->argv[0] };
	struct ockam_err err;

	if (ctl_parse_route(msg->argv[1], outlet, &req.outlet_len, &err) < 0 ||
	    ctl_parse_options(msg, 2, keys, values, &err) < 0 ||
	    (values[0] && ctl_parse_route(values[0], secure, &req.secure_len,
					  &err) < 0) ||
	    trust_policy_parse(&req.trust, values[1] ? values[1] : "",
			       &err) < 0 ||
	    parse_max_sessions(values[2], &req.max_sessions, &err) < 0 ||
	    parse_inlet_udp(values + 3, rendezvous, &req, &err) < 0)
		return reply_err(r, &err);
	req.outlet = outlet;
	req.secure = values[0] ? secure : NULL;
	if (inlet_create(d, &req, ctl_reply(r), &err) < 0)
		return reply_err(r, &err);
	return CTL_REPLY_NOW;
}

enum ctl_answer portal_handle_inlet_list(struct daemon *d,
					 struct ctl_request *r,
					 const struct ockam_ctl_request *msg)
{
	struct ockam_err err;

	if (inlets_report(d, msg->argc ? msg->argv[0] : NULL, ctl_reply(r),
			  &err) < 0)
		return reply_err(r, &err);
	return CTL_REPLY_NOW;
}
