// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockam: the command line of AF_OCKAM nodes.
 *
 *   ockam [-j] GROUP COMMAND [ARGS...] [OPTIONS...]
 *
 * Exit status: 0 success, 1 runtime error ("error: ..." on stderr),
 * 2 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void print_groups(FILE *out)
{
	const struct cmd_group *g;

	fprintf(out,
		"usage: ockam [-j | --output json|plain] GROUP COMMAND [ARGS...]\n"
		"\n"
		"Ockam routing over the AF_OCKAM socket family: nodes are network\n"
		"namespaces, each with an ockamd; routes are MultiAddrs such as\n"
		"/ip4/10.0.0.2/tcp/4000/service/echo or /node/n2/service/echo.\n"
		"\n"
		"Groups:\n");
	for (g = cli_groups; g->name; g++)
		fprintf(out, "  %-24s %s\n", g->name, g->summary);
	fprintf(out,
		"\n'ockam GROUP --help' lists a group's commands, and\n"
		"'ockam GROUP COMMAND --help' explains one.\n");
}

static void print_group(const struct cmd_group *g, FILE *out)
{
	const struct cmd_spec *c;

	fprintf(out, "usage: ockam %s COMMAND [ARGS...]\n\n%s.\n\nCommands:\n",
		g->name, g->summary);
	for (c = g->cmds; c->group; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
}

static int run(int argc, char **argv)
{
	const struct cmd_group *group;
	const struct cmd_spec *cmd;
	bool json = false, help = false, version = false;
	struct cli cli;
	struct args args;
	char err[ARGS_ERR_MAX];
	int used;

	used = args_parse_global(argc - 1, argv + 1, &json, &help, &version,
				 err, sizeof(err));
	if (used < 0)
		return cli_usage(NULL, "%s", err);
	argc -= 1 + used;
	argv += 1 + used;
	if (version) {
		printf("ockam %s\n", OCKAM_VERSION);
		return CLI_OK;
	}
	if (!argc) {
		print_groups(help ? stdout : stderr);
		return help ? CLI_OK : CLI_USAGE;
	}
	group = cli_find_group(argv[0]);
	if (!group)
		return cli_usage(NULL, "unknown command '%s'", argv[0]);
	if (argc < 2 || argv[1][0] == '-') {
		bool group_help = help || (argc >= 2 &&
					   (!strcmp(argv[1], "--help") ||
					    !strcmp(argv[1], "-h")));

		print_group(group, group_help ? stdout : stderr);
		return group_help ? CLI_OK : CLI_USAGE;
	}
	cmd = cli_find_command(group, argv[1]);
	if (!cmd)
		return cli_usage(NULL, "unknown command '%s %s'", argv[0],
				 argv[1]);
	if (args_parse(cmd, argc - 2, argv + 2, &args, err, sizeof(err)) < 0)
		return cli_usage(cmd, "%s", err);
	if (help || args.help) {
		args_print_help(cmd, stdout);
		return CLI_OK;
	}
	memset(&cli, 0, sizeof(cli));
	cli.json = json || args.json;
	json_init(&cli.j, stdout);
	return cmd->run(&cli, cmd, &args);
}

int main(int argc, char **argv)
{
	int status = run(argc, argv);

	/*
	 * Output that never arrived (a full disk, a closed pipe) is a
	 * failure: a script must not take a half-written listing for the
	 * whole one.
	 */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "error: cannot write the output: %s\n",
			strerror(errno));
		if (status == CLI_OK)
			status = CLI_ERROR;
	}
	return status;
}
