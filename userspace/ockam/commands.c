// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The command groups of ockam, in the order --help lists them, and the
 * option tables that several groups share.
 */
#include <string.h>

#include "cli.h"

const struct opt_spec cli_at_node_opts[] = {
	CLI_OPT_AT_NODE,
	{ 0 },
};

const struct opt_spec cli_at_netns_opts[] = {
	{ "at", 0, OPT_VALUE, "NODE",
	  "the node (default: this network namespace)" },
	{ 0 },
};

const struct cmd_group cli_groups[] = {
	{ "node", "create, show, list and delete nodes", node_cmds },
	{ "tcp-listener", "a node's TCP listeners", tcp_listener_cmds },
	{ "tcp-connection", "a node's TCP connections", tcp_connection_cmds },
	{ "udp-bind", "a node's UDP binds", udp_bind_cmds },
	{ "route", "aliases: local addresses that continue along a route",
	  route_cmds },
	{ "message", "send a message and print the reply", message_cmds },
	{ "identity", "a node's identities, kept in its vault", identity_cmds },
	{ "secure-channel-listener",
	  "where a node accepts secure channels, and whom it trusts",
	  secure_channel_listener_cmds },
	{ "secure-channel", "end-to-end encrypted, mutually authenticated channels",
	  secure_channel_cmds },
	{ "tcp-outlet", "where portal sessions connect to a TCP target",
	  tcp_outlet_cmds },
	{ "tcp-inlet", "TCP listeners whose connections go to an outlet",
	  tcp_inlet_cmds },
	{ "relay", "forward a name at another node to this one", relay_cmds },
	{ 0 },
};

const struct cmd_group *cli_find_group(const char *name)
{
	const struct cmd_group *g;

	for (g = cli_groups; g->name; g++)
		if (!strcmp(g->name, name))
			return g;
	return NULL;
}

const struct cmd_spec *cli_find_command(const struct cmd_group *group,
					const char *name)
{
	const struct cmd_spec *c;

	for (c = group->cmds; c->group; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}
