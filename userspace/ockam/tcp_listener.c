// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockam tcp-listener create|list|delete: listeners belong to the node's
 * daemon, so these go over its control socket.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Each record is "address=H:P accepted=N". */
static void print_listeners(struct cli *cli, struct ockam_ctl_reply *reply,
			    bool list)
{
	char address[OCKAM_HOSTPORT_MAX + 1], accepted[32];
	bool header = false;
	char *rec;

	if (cli->json && list)
		json_array_begin(&cli->j, NULL);
	while ((rec = ockam_ctl_record_next(reply))) {
		if (ockam_ctl_record_get(rec, "address", address,
					 sizeof(address)) < 0)
			continue;
		if (ockam_ctl_record_get(rec, "accepted", accepted,
					 sizeof(accepted)) < 0)
			strcpy(accepted, "0");
		if (cli->json) {
			json_object_begin(&cli->j, NULL);
			json_string(&cli->j, "address", address);
			json_uint(&cli->j, "accepted", strtoull(accepted, NULL, 10));
			json_object_end(&cli->j);
		} else if (list) {
			if (!header)
				printf("%-40s %s\n", "ADDRESS", "ACCEPTED");
			header = true;
			printf("%-40s %s\n", address, accepted);
		} else {
			printf("TCP listener at %s\n", address);
		}
	}
	if (cli->json) {
		if (list)
			json_array_end(&cli->j);
		json_finish(&cli->j);
	}
}

static int listener_create(struct cli *cli, const struct cmd_spec *cmd,
			   const struct args *a)
{
	char host[OCKAM_HOST_MAX + 1];
	struct ockam_ctl_reply reply;
	struct ockam_err err;
	uint16_t port;
	int status;

	if (ockam_hostport_split(a->pos[0], host, sizeof(host), &port, true,
				 &err) < 0)
		return cli_usage(cmd, "%s", ockam_err_msg(&err));
	status = cli_call_at(cmd, a, "tcp-listener-create", 1, a->pos, &reply,
			     NULL);
	if (status == CLI_OK)
		print_listeners(cli, &reply, false);
	return status;
}

static int listener_list(struct cli *cli, const struct cmd_spec *cmd,
			 const struct args *a)
{
	struct ockam_ctl_reply reply;
	int status;

	status = cli_call_at(cmd, a, "tcp-listener-list", 0, NULL, &reply,
			     NULL);
	if (status == CLI_OK)
		print_listeners(cli, &reply, true);
	return status;
}

static int listener_delete(struct cli *cli, const struct cmd_spec *cmd,
			   const struct args *a)
{
	struct ockam_ctl_reply reply;
	int status;

	status = cli_call_at(cmd, a, "tcp-listener-delete", 1, a->pos, &reply,
			     NULL);
	if (status)
		return status;
	return cli_print_deleted(cli, "TCP listener at", a->pos[0]);
}

static const char *const address_arg[] = { "HOST:PORT", NULL };

const struct cmd_spec tcp_listener_cmds[] = {
	{
		.group = "tcp-listener", .name = "create",
		.summary = "Listen for TCP connections from other nodes.",
		.description =
		"Port 0 picks a free port; the reply shows the address bound.\n"
		"Accepted connections become transports of the node.\n"
		"Examples:\n"
		"  ockam tcp-listener create 127.0.0.1:4000 --at n1\n"
		"  ockam tcp-listener create [::]:0\n",
		.positionals = address_arg, .min_pos = 1,
		.opts = cli_at_node_opts, .run = listener_create,
	}, {
		.group = "tcp-listener", .name = "list",
		.summary = "List a node's TCP listeners.",
		.opts = cli_at_node_opts, .run = listener_list,
	}, {
		.group = "tcp-listener", .name = "delete",
		.summary = "Stop a TCP listener (its accepted connections stay).",
		.description =
		"HOST:PORT is the address as listed. Example:\n"
		"  ockam tcp-listener delete 127.0.0.1:4000 --at n1\n",
		.positionals = address_arg, .min_pos = 1,
		.opts = cli_at_node_opts, .run = listener_delete,
	},
	{ 0 },
};
