// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The ockam command line: option parsing against the real command tables,
 * durations, hex, route arguments with '-' piping, and JSON output.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	const char *help[] = { "--help", NULL };
	const struct cmd_group *g;
	const struct cmd_spec *c;
	char err[ARGS_ERR_MAX];
	char *text = NULL;
	struct args a;
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
			/* Its table fits getopt's: it parses. */
			CHECK_INT(parse(c, &a, err, help), 0);
			CHECK(a.help);
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

#define ID_A "I0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID_B "IFEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210"

static void secure_channel_options(void)
{
	const struct cmd_spec *cmd = command("secure-channel", "create");
	const char *w1[] = { "--to", "-/service/api", "-a", ID_A,
			     "--authorized=" ID_B, "--identity", "bob",
			     "--timeout", "5s", "-j", NULL };
	const char *w2[] = { "--to", "/service/api", NULL };
	char err[ARGS_ERR_MAX], list[CLI_AUTHORIZED_MAX];
	const char *ids[4];
	struct args a;

	CHECK_INT(parse(cmd, &a, err, w1), 0);
	CHECK_STR(args_value(cmd, &a, "to"), "-/service/api");
	CHECK_STR(args_value(cmd, &a, "identity"), "bob");
	/* A repeated option keeps every value, in order. */
	CHECK_INT(args_values(cmd, &a, "authorized", ids, 4), 2);
	CHECK_STR(ids[0], ID_A);
	CHECK_STR(ids[1], ID_B);
	CHECK_STR(args_value(cmd, &a, "authorized"), ID_A);
	CHECK_INT(args_values(cmd, &a, "authorized", ids, 1), 2);
	CHECK_INT(args_values(cmd, &a, "identity", ids, 4), 0);
	CHECK_INT(cli_authorized_arg(cmd, &a, list, sizeof(list)), 0);
	CHECK_STR(list, ID_A "," ID_B);
	CHECK(a.json);

	CHECK_INT(parse(cmd, &a, err, w2), 0);
	CHECK_INT(args_values(cmd, &a, "authorized", ids, 4), 0);
	CHECK_INT(cli_authorized_arg(cmd, &a, list, sizeof(list)), 0);
	CHECK_STR(list, "");
}

static void repeated_option_limits(void)
{
	const struct cmd_spec *cmd = command("secure-channel-listener",
					     "create");
	const char *words[2 * (ARGS_REPEAT_MAX + 1) + 2];
	const char *bad[] = { "x", "-a", ID_A "0", NULL };
	char err[ARGS_ERR_MAX], list[CLI_AUTHORIZED_MAX];
	int i, n = 0, saved, null, status;
	struct args a;

	words[n++] = "x";
	for (i = 0; i < ARGS_REPEAT_MAX; i++) {
		words[n++] = "-a";
		words[n++] = ID_A;
	}
	words[n] = NULL;
	CHECK_INT(parse(cmd, &a, err, words), 0);
	CHECK_INT(cli_authorized_arg(cmd, &a, list, sizeof(list)), 0);
	CHECK_INT(strlen(list), ARGS_REPEAT_MAX * (OCKAM_IDENTIFIER_LEN + 1) - 1);
	words[n++] = "-a";
	words[n++] = ID_B;
	words[n] = NULL;
	CHECK_INT(parse(cmd, &a, err, words), -1);
	CHECK_CONTAINS(err, "--authorized given more than 32 times");
	/* Checked before anything is sent: a usage error (its message on
	 * standard error, silenced here).
	 */
	CHECK_INT(parse(cmd, &a, err, bad), 0);
	saved = dup(STDERR_FILENO);
	null = open("/dev/null", O_WRONLY);
	CHECK(saved >= 0 && null >= 0 && dup2(null, STDERR_FILENO) >= 0);
	status = cli_authorized_arg(cmd, &a, list, sizeof(list));
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(null);
	CHECK_INT(status, CLI_USAGE);
}

static void identifiers(void)
{
	CHECK(cli_identifier_ok(ID_A));
	CHECK(cli_identifier_ok(ID_B));
	CHECK(!cli_identifier_ok(ID_A "0"));
	CHECK(!cli_identifier_ok(&ID_A[1]));
	CHECK(!cli_identifier_ok(""));
	CHECK(!cli_identifier_ok("i0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	CHECK(!cli_identifier_ok("I0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg"));
}

static void identity_options(void)
{
	const struct cmd_spec *cmd = command("identity", "create");
	const char *w1[] = { "stale", "--attestation-ttl", "-3600", "--at",
			     "/node/n1", NULL };
	const char *w2[] = { NULL };
	char err[ARGS_ERR_MAX];
	struct args a;

	/* A negative lifetime is a value, not an option. */
	CHECK_INT(parse(cmd, &a, err, w1), 0);
	CHECK_STR(a.pos[0], "stale");
	CHECK_STR(args_value(cmd, &a, "attestation-ttl"), "-3600");
	CHECK_STR(args_value(cmd, &a, "at"), "/node/n1");
	/* NAME is optional: a random one is picked. */
	CHECK_INT(parse(cmd, &a, err, w2), 0);
	CHECK_INT(a.npos, 0);
	CHECK(command("identity", "show") != NULL);
	CHECK(command("secure-channel", "list") != NULL);
	CHECK(command("secure-channel-listener", "show") != NULL);
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
		{ "identity", "delete", { NULL }, "missing NAME" },
		{ "secure-channel", "show", { NULL }, "missing ADDRESS" },
		{ "secure-channel", "create", { "--authorized", NULL },
		  "--authorized needs a value (IDENTIFIER)" },
		{ "secure-channel-listener", "create",
		  { "x", "--identity", "a", "--identity", "b", NULL },
		  "--identity given twice" },
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

/* What getopt_long brings: short options together, values attached. */
static void short_option_groups(void)
{
	const struct cmd_spec *node = command("node", "create");
	const struct cmd_spec *sc = command("secure-channel", "create");
	const char *w1[] = { "-jf", "n1", "-t0.0.0.0:0", NULL };
	const char *w2[] = { "-ja" ID_A, "--to", "/service/api", NULL };
	const char *w3[] = { "n1", "-fjt", NULL };
	const char *w4[] = { "n1", "-fz", NULL };
	const char *ids[2];
	char err[ARGS_ERR_MAX];
	struct args a;

	CHECK_INT(parse(node, &a, err, w1), 0);
	CHECK(a.json);
	CHECK(args_flag(node, &a, "foreground"));
	CHECK_STR(a.pos[0], "n1");
	CHECK_STR(args_value(node, &a, "tcp-listener-address"), "0.0.0.0:0");
	CHECK_INT(parse(sc, &a, err, w2), 0);
	CHECK_INT(args_values(sc, &a, "authorized", ids, 2), 1);
	CHECK_STR(ids[0], ID_A);
	CHECK(a.json);
	/* The last of a group may take the next word, or find none. */
	CHECK_INT(parse(node, &a, err, w3), -1);
	CHECK_CONTAINS(err, "-t needs a value (HOST:PORT)");
	CHECK_INT(parse(node, &a, err, w4), -1);
	CHECK_CONTAINS(err, "unknown option -z");
}

/*
 * Long names are whole words: getopt would take a prefix, which a new
 * option could later make ambiguous under a script's feet.
 */
static void no_abbreviations(void)
{
	const struct cmd_spec *cmd = command("message", "send");
	const char *w1[] = { "a", "--tim", "5s", NULL };
	const char *w2[] = { "a", "--he", NULL };
	const char *w3[] = { "a", "--to=", NULL };
	const char *g1[] = { "--vers", NULL };
	bool json = false, help = false, version = false;
	char err[ARGS_ERR_MAX];
	struct args a;

	CHECK_INT(parse(cmd, &a, err, w1), -1);
	CHECK_CONTAINS(err, "unknown option --tim");
	CHECK_INT(parse(cmd, &a, err, w2), -1);
	CHECK_CONTAINS(err, "unknown option --he");
	/* An empty value is still a value. */
	CHECK_INT(parse(cmd, &a, err, w3), 0);
	CHECK_STR(args_value(cmd, &a, "to"), "");
	CHECK_INT(args_parse_global(1, (char *const *)g1, &json, &help,
				    &version, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "unknown option --vers");
	CHECK(!version);
}

static void operands(void)
{
	const struct cmd_spec *cmd = command("message", "send");
	const char *w1[] = { "--hex", "--", "--to", NULL };
	const char *w2[] = { "-", "--hex", NULL };
	const char *w3[] = { "--", NULL };
	const char *w4[] = { "a", "--", "b", NULL };
	char err[ARGS_ERR_MAX];
	struct args a;

	CHECK_INT(parse(cmd, &a, err, w1), 0);
	CHECK_STR(a.pos[0], "--to");
	CHECK(args_flag(cmd, &a, "hex"));
	CHECK(args_value(cmd, &a, "to") == NULL);
	CHECK_INT(parse(cmd, &a, err, w2), 0);
	CHECK_STR(a.pos[0], "-");
	CHECK_INT(parse(cmd, &a, err, w3), -1);
	CHECK_CONTAINS(err, "missing MESSAGE");
	CHECK_INT(parse(cmd, &a, err, w4), -1);
	CHECK_CONTAINS(err, "unexpected argument 'b'");
}

/*
 * getopt keeps its place in globals: a parse that stopped inside a
 * group of short options must not leak into the next one, and options
 * after an operand count even with POSIXLY_CORRECT set.
 */
static void parses_start_afresh(void)
{
	const struct cmd_spec *cmd = command("node", "create");
	const char *w1[] = { "n1", "-zj", "-f", NULL };
	const char *w2[] = { "-f", "n2", NULL };
	const char *w3[] = { "n3", "--foreground", NULL };
	const char *g1[] = { "-j", "--", "node", "list", NULL };
	const char *g2[] = { "-", "node", NULL };
	bool json = false, help = false, version = false;
	char err[ARGS_ERR_MAX];
	struct args a;

	CHECK_INT(parse(cmd, &a, err, w1), -1);
	CHECK_INT(parse(cmd, &a, err, w2), 0);
	CHECK(!a.json);
	CHECK(args_flag(cmd, &a, "foreground"));
	CHECK_STR(a.pos[0], "n2");
	CHECK_INT(args_parse_global(4, (char *const *)g1, &json, &help,
				    &version, err, sizeof(err)), 2);
	CHECK(json);
	CHECK_INT(args_parse_global(2, (char *const *)g2, &json, &help,
				    &version, err, sizeof(err)), 0);
	setenv("POSIXLY_CORRECT", "1", 1);
	CHECK_INT(parse(cmd, &a, err, w3), 0);
	unsetenv("POSIXLY_CORRECT");
	CHECK(args_flag(cmd, &a, "foreground"));
	CHECK_STR(a.pos[0], "n3");
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

/* udp-bind's commands, --udp-bind at node create, --udp-datagram. */
static void udp_options(void)
{
	const struct cmd_spec *create = command("udp-bind", "create");
	const struct cmd_spec *node = command("node", "create");
	const struct cmd_spec *set = command("node", "set");
	const char *w1[] = { "[::1]:0", "--at", "n1", NULL };
	const char *w2[] = { NULL };
	const char *w3[] = { "n1", "--udp-bind", "127.0.0.1:0", "--udp-bind",
			     "[::1]:5000", NULL };
	const char *w4[] = { "n1", "--udp-datagram", "1200", NULL };
	const char *binds[4];
	char err[ARGS_ERR_MAX];
	struct args a;

	CHECK(command("udp-bind", "list") != NULL);
	CHECK(command("udp-bind", "delete") != NULL);
	CHECK(create != NULL);
	CHECK_INT(parse(create, &a, err, w1), 0);
	CHECK_STR(a.pos[0], "[::1]:0");
	CHECK_STR(args_value(create, &a, "at"), "n1");
	CHECK_INT(parse(create, &a, err, w2), -1);
	CHECK_CONTAINS(err, "missing HOST:PORT");
	CHECK_INT(parse(node, &a, err, w3), 0);
	CHECK_INT(args_values(node, &a, "udp-bind", binds, 4), 2);
	CHECK_STR(binds[0], "127.0.0.1:0");
	CHECK_STR(binds[1], "[::1]:5000");
	CHECK_INT(parse(set, &a, err, w4), 0);
	CHECK_STR(args_value(set, &a, "udp-datagram"), "1200");
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
	/* UDP and TCP hops in any order; a UDP hop's name resolves. */
	CHECK_INT(cli_route_compose("-/dnsaddr/localhost/udp/4001/service/echo",
				    "/ip4/10.0.0.2/tcp/4000", rt, &err), 0);
	CHECK_INT(rt->hops, 3);
	CHECK_INT(rt->addr[1].type, OCKAM_ADDR_UDP);
	CHECK(!strcmp(rt->addr[1].value, "127.0.0.1:4001") ||
	      !strcmp(rt->addr[1].value, "[::1]:4001"));
	CHECK_INT(cli_route_compose("/dnsaddr/no-such-host.invalid/udp/1", NULL,
				    rt, &err), -EHOSTUNREACH);
	CHECK_CONTAINS(err.msg, "cannot resolve");
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
      TEST(secure_channel_options),
      TEST(repeated_option_limits),
      TEST(identifiers),
      TEST(identity_options),
      TEST(help_and_globals),
      TEST(short_option_groups),
      TEST(no_abbreviations),
      TEST(operands),
      TEST(parses_start_afresh),
      TEST(durations_and_hex),
      TEST(udp_options),
      TEST(route_arguments),
      TEST(route_from_standard_input),
      TEST(json_output));
