// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockam udp-bind create|list|delete: the node's daemon binds the UDP
 * socket and hands it to the kernel, so these go over its control socket.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

/* The counters of a record, in the order the list prints them. */
static const char *const bind_counters[] = {
	"peers", "reasm-bytes", "rx-messages", "tx-messages", "reassembled",
};

static void bind_json(struct cli *cli, const char *rec, const char *address,
		      const char *name)
{
	size_t i;

	json_object_begin(&cli->j, NULL);
	json_string(&cli->j, "address", address);
	json_string(&cli->j, "name", name);
	for (i = 0; i < ARRAY_SIZE(bind_counters); i++)
		cli_json_counter(&cli->j, bind_counters[i],
				 cli_record_number(rec, bind_counters[i]));
	json_object_end(&cli->j);
}

/*
 * Each record is "address=H:P name=LOCAL" and the kernel's counters:
 * peers, reasm-bytes, rx-messages, tx-messages, reassembled.
 */
static void print_binds(struct cli *cli, struct ockam_ctl_reply *reply,
			bool list)
{
	char address[OCKAM_HOSTPORT_MAX + 1], name[OCKAM_NAME_MAX];
	bool header = false;
	char *rec;

	if (cli->json && list)
		json_array_begin(&cli->j, NULL);
	while ((rec = ockam_ctl_record_next(reply))) {
		if (ockam_ctl_record_get(rec, "address", address,
					 sizeof(address)) < 0)
			continue;
		if (ockam_ctl_record_get(rec, "name", name, sizeof(name)) < 0)
			strcpy(name, "?");
		if (cli->json) {
			bind_json(cli, rec, address, name);
		} else if (list) {
			if (!header)
				printf("%-40s %-32s %6s %10s %10s\n", "ADDRESS",
				       "NAME", "PEERS", "RX", "TX");
			header = true;
			printf("%-40s %-32s %6llu %10llu %10llu\n", address,
			       name, cli_record_number(rec, "peers"),
			       cli_record_number(rec, "rx-messages"),
			       cli_record_number(rec, "tx-messages"));
		} else {
			printf("UDP bind at %s (local address %s)\n", address,
			       name);
		}
	}
	if (cli->json) {
		if (list)
			json_array_end(&cli->j);
		json_finish(&cli->j);
	}
}

static int bind_create(struct cli *cli, const struct cmd_spec *cmd,
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
	status = cli_call_at(cmd, a, "udp-bind-create", 1, a->pos, &reply,
			     NULL);
	if (status == CLI_OK)
		print_binds(cli, &reply, false);
	return status;
}

static int bind_list(struct cli *cli, const struct cmd_spec *cmd,
		     const struct args *a)
{
	struct ockam_ctl_reply reply;
	int status;

	status = cli_call_at(cmd, a, "udp-bind-list", 0, NULL, &reply, NULL);
	if (status == CLI_OK)
		print_binds(cli, &reply, true);
	return status;
}

static int bind_delete(struct cli *cli, const struct cmd_spec *cmd,
		       const struct args *a)
{
	struct ockam_ctl_reply reply;
	int status;

	status = cli_call_at(cmd, a, "udp-bind-delete", 1, a->pos, &reply,
			     NULL);
	if (status)
		return status;
	return cli_print_deleted(cli, "UDP bind at", a->pos[0]);
}

static const char *const address_arg[] = { "HOST:PORT", NULL };

const struct cmd_spec udp_bind_cmds[] = {
	{
		.group = "udp-bind", .name = "create",
		.summary = "Send and receive messages over UDP at an address.",
		.description =
		"Port 0 picks a free port; the reply shows the address bound.\n"
		"The node sends to UDP addresses (/ip4/A/udp/P) from its binds\n"
		"and receives from anyone at them.\n"
		"Examples:\n"
		"  ockam udp-bind create 127.0.0.1:4000 --at n1\n"
		"  ockam udp-bind create [::]:0\n",
		.positionals = address_arg, .min_pos = 1,
		.opts = cli_at_node_opts, .run = bind_create,
	}, {
		.group = "udp-bind", .name = "list",
		.summary = "List a node's UDP binds and their counters.",
		.opts = cli_at_node_opts, .run = bind_list,
	}, {
		.group = "udp-bind", .name = "delete",
		.summary = "Close a UDP bind (its unfinished messages are lost).",
		.description =
		"HOST:PORT is the address as listed (or the bind's local\n"
		"address). Example:\n"
		"  ockam udp-bind delete 127.0.0.1:4000 --at n1\n",
		.positionals = address_arg, .min_pos = 1,
		.opts = cli_at_node_opts, .run = bind_delete,
	},
	{ 0 },
};
