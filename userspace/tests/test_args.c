// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The ockam command line: option parsing against the real command tables,
 * durations, hex, route arguments with '-' piping, and JSON output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../ockam/cli.h"
#include "tap.h"

static const struct cmd_spec *command(const char *group, const char *name)
{
	const struct cmd_group *g = cli_find_group(group);

	return g ? cli_find_command(g, name) : NULL;
}

/* Parse a NULL-terminated word list for @cmd. */
static int parse(const struct cmd_spec *cmd, struct args *a, char *err,
		 const char *const *words)
{
	int argc = 0;

	while (words[argc])
		argc++;
	return args_parse(cmd, argc, (char *const *)words, a, err,
			  ARGS_ERR_MAX);
}

static void every_command_has_help(void)
{
	const struct cmd_group *g;
	const struct cmd_spec *c;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	for (g = cli_groups; g->name; g++) {
		CHECK(g->cmds[0].group != NULL);
		for (c = g->cmds; c->group; c++) {
			CHECK_STR(c->group, g->name);
			CHECK(c->summary && c->run);
			f = open_memstream(&text, &len);
			args_print_help(c, f);
			fclose(f);
			CHECK_CONTAINS(text, "usage: ockam ");
			CHECK_CONTAINS(text, c->name);
			CHECK_CONTAINS(text, "--help");
			free(text);
			text = NULL;
		}
	}
	CHECK(command("message", "send") != NULL);
	CHECK(command("node", "bogus") == NULL);
	CHECK(cli_find_group("nodes") == NULL);
}

static void message_send_options(void)
{
	const struct cmd_spec *cmd = command("message", "send");
	char err[ARGS_ERR_MAX];
	struct args a;
	const char *w1[] = { "hello", "--to", "-/service/uppercase", "--from",
			     "n1", "--timeout=5s", "--hex", "-j", NULL };
	const char *w2[] = { "--to", "/service/echo", "--", "-dash", NULL };

	CHECK_INT(parse(cmd, &a, err, w1), 0);
	CHECK_INT(a.npos, 1);
	CHECK_STR(a.pos[0], "hello");
	/* An option value may start with '-': that is the pipe syntax. */
	CHECK_STR(args_value(cmd, &a, "to"), "-/service/uppercase");
	CHECK_STR(args_value(cmd, &a, "from"), "n1");
	CHECK_STR(args_value(cmd, &a, "timeout"), "5s");
	CHECK(args_flag(cmd, &a, "hex"));
	CHECK(a.json);
	CHECK(args_value(cmd, &a, "nope") == NULL);

	CHECK_INT(parse(cmd, &a, err, w2), 0);
	CHECK_STR(a.pos[0], "-dash");
	CHECK(!args_flag(cmd, &a, "hex"));
	CHECK(!a.json);
}

static void usage_errors(void)
{
	static const struct {
		const char *group, *name;
		const char *words[6];
		const char *why;
	} cases[] = {
		{ "message", "send", { NULL }, "missing MESSAGE" },
		{ "message", "send", { "a", "b", NULL }, "unexpected argument 'b'" },
		{ "message", "send", { "a", "--bogus", NULL }, "unknown option --bogus" },
		{ "message", "send", { "a", "-z", NULL }, "unknown option -z" },
		{ "message", "send", { "a", "--to", NULL }, "--to needs a value (ROUTE)" },
		{ "message", "send", { "a", "--to", "x", "--to", "y", NULL },
		  "--to given twice" },
		{ "message", "send", { "a", "--hex=1", NULL }, "--hex takes no value" },
		{ "message", "send", { "a", "--output", "xml", NULL },
		  "--output takes json or plain" },
		{ "node", "create", { NULL }, "missing NAME" },
		{ "route", "add", { "x", NULL }, "missing ROUTE" },
		{ "node", "list", { "extra", NULL }, "unexpected argument" },
	};
	char err[ARGS_ERR_MAX];
	struct args a;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct cmd_spec *cmd = command(cases[i].group,
						     cases[i].name);

		CHECK(cmd != NULL);
		if (!cmd)
			continue;
		CHECK_INT(parse(cmd, &a, err, cases[i].words), -1);
		CHECK_CONTAINS(err, cases[i].why);
	}
}

static void help_and_globals(void)
{
	const struct cmd_spec *cmd = command("node", "create");
	const char *w1[] = { "--help", NULL };
	const char *w2[] = { "n1", "--output", "json", "-t", "0.0.0.0:0", NULL };
	const char *g1[] = { "-j", "--output=plain", "--json", "node", NULL };
	const char *g2[] = { "--bogus", "node", NULL };
	bool json = false, help = false, version = false;
	char err[ARGS_ERR_MAX];
	struct args a;

	/* --help needs no arguments. */
	CHECK_INT(parse(cmd, &a, err, w1), 0);
	CHECK(a.help);
	CHECK_INT(parse(cmd, &a, err, w2), 0);
	CHECK(a.json);
	CHECK_STR(args_value(cmd, &a, "tcp-listener-address"), "0.0.0.0:0");

	CHECK_INT(args_parse_global(4, (char *const *)g1, &json, &help,
				    &version, err, sizeof(err)), 3);
	CHECK(json);
	CHECK_INT(args_parse_global(2, (char *const *)g2, &json, &help,
				    &version, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "unknown option --bogus");
}

static void durations_and_hex(void)
{
	uint8_t buf[8];
	char *hex;

	CHECK_INT(cli_parse_duration_ms("10"), 10000);
	CHECK_INT(cli_parse_duration_ms("10s"), 10000);
	CHECK_INT(cli_parse_duration_ms("250ms"), 250);
	CHECK_INT(cli_parse_duration_ms("2m"), 120000);
	CHECK_INT(cli_parse_duration_ms("0"), -1);
	CHECK_INT(cli_parse_duration_ms("-1"), -1);
	CHECK_INT(cli_parse_duration_ms("1h"), -1);
	CHECK_INT(cli_parse_duration_ms(""), -1);
	CHECK_INT(cli_parse_duration_ms("99999999999"), -1);

	CHECK_INT(cli_hex_decode("00ff7A", buf, sizeof(buf)), 3);
	CHECK(buf[0] == 0 && buf[1] == 0xff && buf[2] == 0x7a);
	CHECK_INT(cli_hex_decode("", buf, sizeof(buf)), 0);
	CHECK_INT(cli_hex_decode("abc", buf, sizeof(buf)), -1);
	CHECK_INT(cli_hex_decode("zz", buf, sizeof(buf)), -1);
	CHECK_INT(cli_hex_decode("000000000000000000", buf, sizeof(buf)), -1);

	hex = cli_hex_encode((const uint8_t *)"\x00\xff\x41\x7a", 4);
	CHECK_STR(hex, "00ff417a");
	free(hex);
	hex = cli_hex_encode(NULL, 0);
	CHECK_STR(hex, "");
	free(hex);
}

/* Call cli_route_arg(@text) with @len bytes of @input as standard input. */
static int route_from_stdin(const char *text, const char *input, size_t len,
			    struct ockam_route *rt, struct ockam_err *err)
{
	char path[] = "/tmp/ockam-stdin-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDIN_FILENO), ret = -EIO;

	if (fd < 0 || saved < 0)
		goto out;
	unlink(path);
	if (write(fd, input, len) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, STDIN_FILENO) < 0)
		goto out;
	ret = cli_route_arg(text, rt, err);
	dup2(saved, STDIN_FILENO);
out:
	if (saved >= 0)
		close(saved);
	if (fd >= 0)
		close(fd);
	return ret;
}

static void route_from_standard_input(void)
{
	struct ockam_route *rt = malloc(sizeof(*rt));
	size_t big = OCKAM_ROUTE_TEXT_MAX + 16;
	char *input = malloc(big);
	struct ockam_err err;

	if (!rt || !input) {
		CHECK(0);
		goto out;
	}
	CHECK_INT(route_from_stdin("-/service/b", " /service/a\n", 12, rt,
				   &err), 0);
	CHECK_INT(rt->hops, 2);
	/* Too much to be a route: an error, never a route cut short. */
	memcpy(input, "/service/", 9);
	memset(input + 9, 'a', big - 9);
	CHECK_INT(route_from_stdin("-", input, big, rt, &err), -E2BIG);
	CHECK_CONTAINS(err.msg, "standard input holds more than");
out:
	free(rt);
	free(input);
}

static void route_arguments(void)
{
	struct ockam_route *rt = malloc(sizeof(*rt));
	char text[256];
	struct ockam_err err;

	if (!rt)
		return;
	CHECK_INT(cli_route_compose("/service/echo", NULL, rt, &err), 0);
	CHECK_INT(rt->hops, 1);
	/* "-" is the piped route, then the rest. */
	CHECK_INT(cli_route_compose("-/service/uppercase",
				    "/ip4/10.0.0.2/tcp/4000", rt, &err), 0);
	CHECK(ockam_route_format(rt, OCKAM_ROUTE_MULTIADDR, text,
				 sizeof(text)) > 0);
	CHECK_STR(text, "/ip4/10.0.0.2/tcp/4000/service/uppercase");
	CHECK_INT(cli_route_compose("-", "/service/a", rt, &err), 0);
	CHECK_INT(rt->hops, 1);
	CHECK_INT(cli_route_compose("-/service/x", NULL, rt, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "nothing was piped in");
	CHECK_INT(cli_route_compose("-/service/x", "", rt, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "held no route");
	CHECK_INT(cli_route_compose("-/bogus/x", "/service/a", rt, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "unknown protocol");
	free(rt);
}

static void json_output(void)
{
	char *text = NULL;
	size_t len = 0;
	struct json j;
	FILE *f = open_memstream(&text, &len);

	json_init(&j, f);
	json_object_begin(&j, NULL);
	json_string(&j, "s", "a\"b\\c\n\x01");
	json_bytes(&j, "b", "\xff\xc3\xa9", 3);
	json_uint(&j, "u", 18446744073709551615ULL);
	json_int(&j, "i", -5);
	json_bool(&j, "t", true);
	json_array_begin(&j, "a");
	json_uint(&j, NULL, 1);
	json_object_begin(&j, NULL);
	json_object_end(&j);
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
	fclose(f);
	CHECK_STR(text, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"b\":\"\\u00ff\xc3\xa9\","
			"\"u\":18446744073709551615,\"i\":-5,\"t\":true,"
			"\"a\":[1,{}]}\n");
	free(text);
}

SUITE(args_suite, "cli",
      TEST(every_command_has_help),
      TEST(message_send_options),
      TEST(usage_errors),
      TEST(help_and_globals),
      TEST(durations_and_hex),
      TEST(route_arguments),
      TEST(route_from_standard_input),
      TEST(json_output));
