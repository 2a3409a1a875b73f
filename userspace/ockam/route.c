// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockam route add|list|delete: aliases in the node's kernel table, a local
 * address whose messages continue along a stored route.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int route_add(struct cli *cli, const struct cmd_spec *cmd,
		     const struct args *a)
{
	static struct ockam_route rt;
	static char text[OCKAM_ROUTE_TEXT_MAX];
	const char *name = a->pos[0];
	struct ockam_err err;
	struct ockam_nl *nl;
	int ret;

	if (!ockam_local_name_ok(name))
		return cli_usage(cmd,
				 "'%s' is not a local address (1 to %d printable characters other than '/' and '#')",
				 name, OCKAM_ADDR_VALUE_MAX);
	/* Parse before entering the node: '-' reads our standard input. */
	if (cli_route_arg(a->pos[1], &rt, &err) < 0)
		return cli_arg_fail(cmd, "", &err);
	if (!rt.hops)
		return cli_usage(cmd, "the route is empty");
	if (target_nl_open(args_value(cmd, a, "at"), &nl, &err) < 0)
		return cli_fail_err(&err);
	ret = ockam_nl_alias_add(nl, name, &rt, &err);
	ockam_nl_close(nl);
	if (ret < 0)
		return cli_fail_err(&err);
	ockam_route_format_any(&rt, text, sizeof(text));
	if (cli->json) {
		json_object_begin(&cli->j, NULL);
		json_string(&cli->j, "name", name);
		json_string(&cli->j, "route", text);
		json_object_end(&cli->j);
		json_finish(&cli->j);
	} else {
		printf("/service/%s => %s\n", name, text);
	}
	return CLI_OK;
}

static int route_list(struct cli *cli, const struct cmd_spec *cmd,
		      const struct args *a)
{
	static struct ockam_route rt;
	static char text[OCKAM_ROUTE_TEXT_MAX];
	struct ockam_alias_info *list;
	struct ockam_err err;
	struct ockam_nl *nl;
	size_t count, i;
	int ret;

	if (target_nl_open(args_value(cmd, a, "at"), &nl, &err) < 0)
		return cli_fail_err(&err);
	ret = ockam_nl_alias_list(nl, &list, &count, &err);
	ockam_nl_close(nl);
	if (ret < 0)
		return cli_fail_err(&err);
	if (cli->json)
		json_array_begin(&cli->j, NULL);
	else if (count)
		printf("%-32s %s\n", "NAME", "ROUTE");
	for (i = 0; i < count; i++) {
		if (ockam_route_from_wire(&rt, list[i].route.bytes,
					  list[i].route.len, &err) < 0)
			snprintf(text, sizeof(text), "(%s)", ockam_err_msg(&err));
		else
			ockam_route_format_any(&rt, text, sizeof(text));
		if (cli->json) {
			json_object_begin(&cli->j, NULL);
			json_string(&cli->j, "name", list[i].address);
			json_string(&cli->j, "route", text);
			json_object_end(&cli->j);
		} else {
			printf("%-32s %s\n", list[i].address, text);
		}
	}
	if (cli->json) {
		json_array_end(&cli->j);
		json_finish(&cli->j);
	}
	free(list);
	return CLI_OK;
}

static int route_delete(struct cli *cli, const struct cmd_spec *cmd,
			const struct args *a)
{
	const char *name = a->pos[0];
	struct ockam_err err;
	struct ockam_nl *nl;
	int ret;

	if (!ockam_local_name_ok(name))
		return cli_usage(cmd, "'%s' is not a local address", name);
	if (target_nl_open(args_value(cmd, a, "at"), &nl, &err) < 0)
		return cli_fail_err(&err);
	ret = ockam_nl_alias_del(nl, name, &err);
	ockam_nl_close(nl);
	if (ret < 0)
		return cli_fail_err(&err);
	return cli_print_deleted(cli, "Route", name);
}

static const char *const add_args[] = { "NAME", "ROUTE", NULL };
static const char *const name_arg[] = { "NAME", NULL };

const struct cmd_spec route_cmds[] = {
	{
		.group = "route", .name = "add",
		.summary = "Make /service/NAME an alias: its messages continue along ROUTE.",
		.description =
		"ROUTE is a MultiAddr (/ip4/10.0.0.2/tcp/4000/service/echo,\n"
		"/node/n2/service/echo) or plain addresses (1#10.0.0.2:4000 => 0#echo).\n"
		"A leading '-' is the route read from standard input.\n"
		"Examples:\n"
		"  ockam route add to_n2 /node/n2 --at n1\n"
		"  ockam message send hi --from n1 --to /service/to_n2/service/echo\n",
		.positionals = add_args, .min_pos = 2,
		.opts = cli_at_netns_opts, .run = route_add,
	}, {
		.group = "route", .name = "list",
		.summary = "List a node's aliases.",
		.opts = cli_at_netns_opts, .run = route_list,
	}, {
		.group = "route", .name = "delete",
		.summary = "Remove an alias.",
		.positionals = name_arg, .min_pos = 1,
		.opts = cli_at_netns_opts, .run = route_delete,
	},
	{ 0 },
};
