// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockam tcp-inlet create|list|show|delete. An inlet is a TCP listener on
 * a node whose every connection becomes a portal session to an outlet,
 * through a secure channel when the route names a listener with
 * /secure/NAME.
 */
#include <stdlib.h>
#include <string.h>

#include "portal_cli.h"

static const struct portal_print inlet_print = {
	.title = "TCP inlet", .name_title = "ADDRESS", .name_key = "address",
	.to_key = "outlet",
};

/* Route text @text (@len bytes) encoded in hex, into *@hex (malloc()ed). */
static int route_hex(const char *text, size_t len, char **hex,
		     struct ockam_err *err)
{
	static struct ockam_route rt;
	uint8_t wire[OCKAM_ROUTE_BYTES_MAX];
	char *copy = strndup(text, len);
	ssize_t n;
	int ret;

	if (!copy)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	ret = ockam_route_parse(&rt, copy, ockam_registry_resolve_node, NULL,
				err);
	free(copy);
	if (ret >= 0)
		ret = ockam_route_resolve_udp(&rt, err);
	if (ret < 0)
		return ret;
	n = ockam_route_to_wire(&rt, wire, sizeof(wire));
	if (n < 0)
		return ockam_err_set(err, n, "route too long");
	*hex = cli_hex_encode(wire, n);
	return *hex ? 0 : ockam_err_set(err, -ENOMEM, "out of memory");
}

/*
 * --to cut into the route to the secure channel listener (*@secure, NULL
 * for none) and the route on to the outlet (*@outlet), both in hex.
 */
static int inlet_routes(const struct cmd_spec *cmd, const char *to,
			char **secure, char **outlet)
{
	struct ockam_err err;
	size_t cut;

	if (to[0] == '-')
		return cli_usage(cmd, "--to takes a MultiAddr route, not one from standard input");
	if (portal_route_split(to, &cut, &err) < 0)
		return cli_usage(cmd, "--to: %s", ockam_err_msg(&err));
	if (cut && route_hex(to, cut, secure, &err) < 0)
		return cli_arg_fail(cmd, "--to: ", &err);
	if (route_hex(to + cut, strlen(to + cut), outlet, &err) < 0)
		return cli_arg_fail(cmd, "--to: ", &err);
	return CLI_OK;
}

/* --udp, --rendezvous and --no-tcp-fallback as the daemon's options. */
static int inlet_udp_options(const struct cmd_spec *cmd, const struct args *a,
			     const char *secure, char **rendezvous,
			     const char **argv, unsigned int *argc)
{
	bool udp = args_flag(cmd, a, "udp");
	int status;

	if (args_flag(cmd, a, "no-tcp-fallback") && !udp)
		return cli_usage(cmd, "--no-tcp-fallback goes with --udp");
	if (udp && !secure)
		return cli_usage(cmd, "--udp needs a route through a secure channel (/secure/NAME)");
	status = cli_rendezvous_arg(cmd, a, rendezvous);
	if (status || !udp)
		return status;
	argv[(*argc)++] = "udp=yes";
	if (args_flag(cmd, a, "no-tcp-fallback"))
		argv[(*argc)++] = "fallback=no";
	if (*rendezvous)
		argv[(*argc)++] = *rendezvous;
	return CLI_OK;
}

/* The daemon's arguments after the two routes. */
static int inlet_options(const struct cmd_spec *cmd, const struct args *a,
			 const char *secure, char **rendezvous,
			 const char **argv, unsigned int *argc)
{
	static char authorized[CLI_AUTHORIZED_MAX];
	static char auth_opt[CLI_AUTHORIZED_MAX + 16], max_opt[32];
	static char secure_opt[2 * OCKAM_ROUTE_BYTES_MAX + 16];
	int status;

	if (secure) {
		snprintf(secure_opt, sizeof(secure_opt), "secure=%s", secure);
		argv[(*argc)++] = secure_opt;
	}
	status = cli_authorized_arg(cmd, a, authorized, sizeof(authorized));
	if (status)
		return status;
	if (authorized[0] && !secure)
		return cli_usage(cmd, "--authorized needs a route through a secure channel (/secure/NAME)");
	if (authorized[0]) {
		snprintf(auth_opt, sizeof(auth_opt), "authorized=%s", authorized);
		argv[(*argc)++] = auth_opt;
	}
	status = portal_max_sessions_option(cmd, a, max_opt, sizeof(max_opt));
	if (status)
		return status;
	if (max_opt[0])
		argv[(*argc)++] = max_opt;
	return inlet_udp_options(cmd, a, secure, rendezvous, argv, argc);
}

static int inlet_create(struct cli *cli, const struct cmd_spec *cmd,
			const struct args *a)
{
	const char *from = args_value(cmd, a, "from");
	const char *to = args_value(cmd, a, "to");
	char host[OCKAM_HOST_MAX + 1], bound[OCKAM_HOSTPORT_MAX + 1];
	const char *argv[OCKAM_CTL_ARGS_MAX] = { from };
	char *secure = NULL, *outlet = NULL, *rendezvous = NULL, *rec;
	struct ockam_ctl_reply reply;
	unsigned int argc = 2;
	struct ockam_err err;
	uint16_t port;
	int status;

	if (!from || !to)
		return cli_usage(cmd, "--from HOST:PORT and --to ROUTE are required");
	if (ockam_hostport_split(from, host, sizeof(host), &port, true,
				 &err) < 0)
		return cli_usage(cmd, "--from: %s", ockam_err_msg(&err));
	status = inlet_routes(cmd, to, &secure, &outlet);
	if (status == CLI_OK) {
		argv[1] = outlet;
		status = inlet_options(cmd, a, secure, &rendezvous, argv,
				       &argc);
	}
	if (status == CLI_OK)
		status = cli_call_at(cmd, a, "tcp-inlet-create", argc, argv,
				     &reply, NULL);
	free(secure);
	free(outlet);
	free(rendezvous);
	if (status)
		return status;
	if (cli->json) {
		portal_print_records(cli, &inlet_print, &reply, false);
		return CLI_OK;
	}
	rec = ockam_ctl_record_next(&reply);
	if (!rec || ockam_ctl_record_get(rec, "address", bound,
					 sizeof(bound)) < 0)
		return cli_fail("the node sent no inlet address");
	printf("%s\n", bound);
	return CLI_OK;
}

static int inlet_list(struct cli *cli, const struct cmd_spec *cmd,
		      const struct args *a)
{
	struct ockam_ctl_reply reply;
	int status;

	status = cli_call_at(cmd, a, "tcp-inlet-list", 0, NULL, &reply, NULL);
	if (status == CLI_OK)
		portal_print_records(cli, &inlet_print, &reply, true);
	return status;
}

/* The inlet ADDRESS argument; a usage error's status if malformed. */
static int address_arg_ok(const struct cmd_spec *cmd, const char *address)
{
	char host[OCKAM_HOST_MAX + 1];
	struct ockam_err err;
	uint16_t port;

	if (ockam_hostport_split(address, host, sizeof(host), &port, false,
				 &err) < 0)
		return cli_usage(cmd, "%s", ockam_err_msg(&err));
	return CLI_OK;
}

static int inlet_show(struct cli *cli, const struct cmd_spec *cmd,
		      const struct args *a)
{
	struct ockam_ctl_reply reply;
	int status = address_arg_ok(cmd, a->pos[0]);

	if (status == CLI_OK)
		status = cli_call_at(cmd, a, "tcp-inlet-list", 1, a->pos,
				     &reply, NULL);
	if (status == CLI_OK)
		portal_print_records(cli, &inlet_print, &reply, false);
	return status;
}

static int inlet_delete(struct cli *cli, const struct cmd_spec *cmd,
			const struct args *a)
{
	struct ockam_ctl_reply reply;
	int status = address_arg_ok(cmd, a->pos[0]);

	if (status == CLI_OK)
		status = cli_call_at(cmd, a, "tcp-inlet-delete", 1, a->pos,
				     &reply, NULL);
	if (status)
		return status;
	return cli_print_deleted(cli, "TCP inlet", a->pos[0]);
}

static const char *const address_arg[] = { "HOST:PORT", NULL };

static const struct opt_spec create_opts[] = {
	{ "from", 0, OPT_VALUE, "HOST:PORT",
	  "where to accept TCP connections (port 0: a free one)" },
	{ "to", 0, OPT_VALUE, "ROUTE",
	  "the route to the outlet, e.g. /node/n2/secure/api/service/outlet" },
	{ "authorized", 'a', OPT_REPEAT, "IDENTIFIER",
	  "the channel's peer must be this identity (repeatable)" },
	{ "max-sessions", 0, OPT_VALUE, "N",
	  "sessions at once, waiting ones included (default 256)" },
	{ "udp", 0, OPT_FLAG, NULL,
	  "punch a UDP path to the outlet's node for new sessions" },
	{ "rendezvous", 0, OPT_VALUE, "ROUTE",
	  "with --udp: the rendezvous, e.g. /ip4/192.0.2.1/udp/4000 (default: the node's)" },
	{ "no-tcp-fallback", 0, OPT_FLAG, NULL,
	  "with --udp: sessions wait for the path instead of using --to's route" },
	CLI_OPT_AT_NODE,
	{ 0 },
};

const struct cmd_spec tcp_inlet_cmds[] = {
	{
		.group = "tcp-inlet", .name = "create",
		.summary = "Accept TCP connections and carry them to an outlet; print the address.",
		.description =
		"Every connection accepted at HOST:PORT becomes a portal session\n"
		"to the outlet at the end of ROUTE. A route with /secure/NAME\n"
		"goes through a secure channel to listener NAME, which the\n"
		"node's daemon opens and re-opens when it was closed; the\n"
		"outlet then knows this node's identity. Without one the\n"
		"session is plaintext, which an outlet serves only with\n"
		"--allow-plaintext.\n"
		"With --udp the node also punches a UDP path to the node at the\n"
		"end of the secure route, through a rendezvous both nodes reach\n"
		"over UDP, and opens a second channel over it: new sessions use\n"
		"it once it is up, and the --to route until then and whenever\n"
		"the path is lost (or wait for it, with --no-tcp-fallback).\n"
		"Examples:\n"
		"  ockam tcp-inlet create --at n1 --from 127.0.0.1:6000 \\\n"
		"      --to /node/n2/secure/api/service/outlet\n"
		"  ockam tcp-inlet create --at n1 --from 127.0.0.1:0 \\\n"
		"      --to /node/n2/service/forward_to_n3/secure/api/service/outlet\n"
		"  ockam tcp-inlet create --at n1 --from 127.0.0.1:0 \\\n"
		"      --to /node/n2/service/forward_to_n3/secure/api/service/outlet \\\n"
		"      --udp --rendezvous /ip4/192.0.2.1/udp/4000\n",
		.opts = create_opts, .run = inlet_create,
	}, {
		.group = "tcp-inlet", .name = "list",
		.summary = "List a node's TCP inlets with their session counts.",
		.opts = cli_at_node_opts, .run = inlet_list,
	}, {
		.group = "tcp-inlet", .name = "show",
		.summary = "Show an inlet: routes, channel and counters.",
		.positionals = address_arg, .min_pos = 1,
		.opts = cli_at_node_opts, .run = inlet_show,
	}, {
		.group = "tcp-inlet", .name = "delete",
		.summary = "Stop accepting connections at HOST:PORT.",
		.description =
		"Sessions already open stay until they end.\n",
		.positionals = address_arg, .min_pos = 1,
		.opts = cli_at_node_opts, .run = inlet_delete,
	},
	{ 0 },
};
