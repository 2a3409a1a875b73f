// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockam tcp-outlet create|list|show|delete. An outlet is a service
 * address on a node whose daemon connects to a TCP target for each
 * portal session an inlet opens to it.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "portal_cli.h"

static const struct portal_print outlet_print = {
	.title = "TCP outlet", .name_title = "NAME", .name_key = "name",
	.to_key = "to",
};

/* --from NAME or /service/NAME: the outlet's address, "outlet" by default. */
static const char *outlet_name(const char *from)
{
	if (!from)
		return "outlet";
	if (!strncmp(from, "/service/", 9))
		return from + 9;
	return from;
}

/* "--max-sessions N" as the daemon's option, into @buf. */
int portal_max_sessions_option(const struct cmd_spec *cmd,
			       const struct args *a, char *buf, size_t size)
{
	const char *value = args_value(cmd, a, "max-sessions");
	char *end;
	unsigned long n;

	buf[0] = '\0';
	if (!value)
		return 0;
	n = strtoul(value, &end, 10);
	if (value[0] < '1' || value[0] > '9' || *end || n > 65536)
		return cli_usage(cmd, "--max-sessions takes 1 to 65536, not '%s'",
				 value);
	snprintf(buf, size, "max-sessions=%lu", n);
	return 0;
}

/* The options of create, as the daemon's KEY=VALUE arguments. */
static int outlet_options(const struct cmd_spec *cmd, const struct args *a,
			  const char **argv, unsigned int *argc)
{
	static char authorized[CLI_AUTHORIZED_MAX];
	static char auth_opt[CLI_AUTHORIZED_MAX + 16], max_opt[32];
	static char timeout_opt[48];
	const char *timeout = args_value(cmd, a, "connect-timeout");
	long ms;
	int status;

	status = cli_authorized_arg(cmd, a, authorized, sizeof(authorized));
	if (status)
		return status;
	if (authorized[0]) {
		snprintf(auth_opt, sizeof(auth_opt), "authorized=%s", authorized);
		argv[(*argc)++] = auth_opt;
	}
	if (args_flag(cmd, a, "allow-plaintext"))
		argv[(*argc)++] = "allow-plaintext=1";
	status = portal_max_sessions_option(cmd, a, max_opt, sizeof(max_opt));
	if (status)
		return status;
	if (max_opt[0])
		argv[(*argc)++] = max_opt;
	if (timeout) {
		ms = cli_parse_duration_ms(timeout);
		if (ms < 1 || ms > 60000)
			return cli_usage(cmd,
					 "--connect-timeout takes 1ms to 60s, not '%s'",
					 timeout);
		snprintf(timeout_opt, sizeof(timeout_opt),
			 "connect-timeout=%ld", ms);
		argv[(*argc)++] = timeout_opt;
	}
	return 0;
}

static int outlet_create(struct cli *cli, const struct cmd_spec *cmd,
			 const struct args *a)
{
	const char *to = args_value(cmd, a, "to");
	const char *name = outlet_name(args_value(cmd, a, "from"));
	char host[OCKAM_HOST_MAX + 1];
	struct ockam_ctl_reply reply;
	const char *argv[OCKAM_CTL_ARGS_MAX] = { name, to };
	unsigned int argc = 2;
	struct ockam_err err;
	struct target t;
	uint16_t port;
	int status;

	if (!to)
		return cli_usage(cmd, "--to HOST:PORT is required");
	if (ockam_hostport_split(to, host, sizeof(host), &port, false,
				 &err) < 0)
		return cli_usage(cmd, "--to: %s", ockam_err_msg(&err));
	if (!ockam_local_name_ok(name))
		return cli_usage(cmd, "--from: '%s' is not a local address",
				 name);
	status = outlet_options(cmd, a, argv, &argc);
	if (status)
		return status;
	status = cli_call_at(cmd, a, "tcp-outlet-create", argc, argv, &reply,
			     &t);
	if (status)
		return status;
	if (cli->json)
		portal_print_records(cli, &outlet_print, &reply, false);
	else
		/* The route to it, for an inlet's --to. */
		printf("/service/%s\n", name);
	return CLI_OK;
}

static int outlet_list(struct cli *cli, const struct cmd_spec *cmd,
		       const struct args *a)
{
	struct ockam_ctl_reply reply;
	int status;

	status = cli_call_at(cmd, a, "tcp-outlet-list", 0, NULL, &reply, NULL);
	if (status == CLI_OK)
		portal_print_records(cli, &outlet_print, &reply, true);
	return status;
}

static int outlet_show(struct cli *cli, const struct cmd_spec *cmd,
		       const struct args *a)
{
	const char *argv[1] = { outlet_name(a->pos[0]) };
	struct ockam_ctl_reply reply;
	int status;

	if (!ockam_local_name_ok(argv[0]))
		return cli_usage(cmd, "'%s' is not a local address", argv[0]);
	status = cli_call_at(cmd, a, "tcp-outlet-list", 1, argv, &reply, NULL);
	if (status == CLI_OK)
		portal_print_records(cli, &outlet_print, &reply, false);
	return status;
}

static int outlet_delete(struct cli *cli, const struct cmd_spec *cmd,
			 const struct args *a)
{
	const char *argv[1] = { outlet_name(a->pos[0]) };
	struct ockam_ctl_reply reply;
	int status;

	if (!ockam_local_name_ok(argv[0]))
		return cli_usage(cmd, "'%s' is not a local address", argv[0]);
	status = cli_call_at(cmd, a, "tcp-outlet-delete", 1, argv, &reply,
			     NULL);
	if (status)
		return status;
	return cli_print_deleted(cli, "TCP outlet", argv[0]);
}

static const char *const name_arg[] = { "NAME", NULL };

static const struct opt_spec create_opts[] = {
	{ "to", 0, OPT_VALUE, "HOST:PORT",
	  "the TCP target, an IP address and port" },
	{ "from", 0, OPT_VALUE, "NAME",
	  "the outlet's address (default: outlet)" },
	{ "authorized", 'a', OPT_REPEAT, "IDENTIFIER",
	  "serve only this identity (repeatable; default: any identity)" },
	{ "allow-plaintext", 0, OPT_FLAG, NULL,
	  "also serve inlets that come through no secure channel" },
	{ "max-sessions", 0, OPT_VALUE, "N",
	  "sessions at once, connecting ones included (default 256)" },
	{ "connect-timeout", 0, OPT_VALUE, "DURATION",
	  "how long to wait for the target (default 5s)" },
	CLI_OPT_AT_NODE,
	{ 0 },
};

const struct cmd_spec tcp_outlet_cmds[] = {
	{
		.group = "tcp-outlet", .name = "create",
		.summary = "Connect portal sessions to a TCP target; print the route to the outlet.",
		.description =
		"For each inlet session that reaches /service/NAME the node's\n"
		"daemon connects to HOST:PORT and hands the connection to the\n"
		"kernel. Only sessions through a secure channel are served,\n"
		"unless --allow-plaintext; --authorized narrows them to the\n"
		"identities listed. Refused sessions are counted per reason.\n"
		"Example:\n"
		"  ockam tcp-outlet create --at n2 --to 127.0.0.1:5000\n"
		"  ockam tcp-inlet create --at n1 --from 127.0.0.1:6000 \\\n"
		"      --to /node/n2/secure/api/service/outlet\n",
		.opts = create_opts, .run = outlet_create,
	}, {
		.group = "tcp-outlet", .name = "list",
		.summary = "List a node's TCP outlets with their session counts.",
		.opts = cli_at_node_opts, .run = outlet_list,
	}, {
		.group = "tcp-outlet", .name = "show",
		.summary = "Show an outlet: target, policy and counters.",
		.positionals = name_arg, .min_pos = 1,
		.opts = cli_at_node_opts, .run = outlet_show,
	}, {
		.group = "tcp-outlet", .name = "delete",
		.summary = "Stop serving new sessions at /service/NAME.",
		.description =
		"Sessions already open stay until they end.\n",
		.positionals = name_arg, .min_pos = 1,
		.opts = cli_at_node_opts, .run = outlet_delete,
	},
	{ 0 },
};
