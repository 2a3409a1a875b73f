// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Portals: the inlet's route cut at /secure/NAME, the options of
 * tcp-inlet and tcp-outlet, and the outlet's admission rules and PING
 * parsing in the daemon.
 */
#include <string.h>

#include "../ockam/portal_cli.h"
#include "../ockamd/portal.h"
#include "tap.h"

#define ID_A "I0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID_B "Ifedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static size_t cut(const char *to)
{
	size_t end = 99;

	CHECK_INT(portal_route_split(to, &end, NULL), 0);
	return end;
}

static int cut_error(const char *to)
{
	size_t end;

	return portal_route_split(to, &end, NULL);
}

static void route_split(void)
{
	CHECK_INT(cut("/node/n2/secure/api/service/outlet"),
		  strlen("/node/n2/secure/api"));
	CHECK_INT(cut("/node/n2/service/forward_to_n3/secure/api/service/outlet"),
		  strlen("/node/n2/service/forward_to_n3/secure/api"));
	CHECK_INT(cut("/ip4/10.0.0.2/tcp/4000/secure/api/service/outlet"),
		  strlen("/ip4/10.0.0.2/tcp/4000/secure/api"));
	/* No channel: a plaintext route. */
	CHECK_INT(cut("/node/n2/service/outlet"), 0);
	/* "secure" as a value is not the protocol. */
	CHECK_INT(cut("/service/secure/service/outlet"), 0);
	CHECK_INT(cut("/secure/api/service/outlet"), strlen("/secure/api"));

	CHECK_INT(cut_error("/node/n2/secure/api"), -EINVAL);
	CHECK_INT(cut_error("/node/n2/secure"), -EINVAL);
	CHECK_INT(cut_error("/secure/a/secure/b/service/outlet"), -EINVAL);
	CHECK_INT(cut_error("/node//service/outlet"), -EINVAL);
	CHECK_INT(cut_error("0#outlet"), -EINVAL);
}

static const struct cmd_spec *command(const char *group, const char *name)
{
	const struct cmd_group *g = cli_find_group(group);

	return g ? cli_find_command(g, name) : NULL;
}

static int parse(const struct cmd_spec *cmd, struct args *a, char *err,
		 const char *const *words)
{
	int argc = 0;

	while (words[argc])
		argc++;
	return args_parse(cmd, argc, (char *const *)words, a, err,
			  ARGS_ERR_MAX);
}

static void cli_options(void)
{
	const struct cmd_spec *outlet = command("tcp-outlet", "create");
	const struct cmd_spec *inlet = command("tcp-inlet", "create");
	const char *w1[] = { "--to", "127.0.0.1:5000", "--from", "web",
			     "-a", ID_A, "--authorized", ID_B,
			     "--allow-plaintext", "--max-sessions", "8",
			     "--connect-timeout=2s", "--at", "n2", NULL };
	const char *w2[] = { "--from", "127.0.0.1:6000", "--to",
			     "/node/n2/secure/api/service/outlet", "-j",
			     NULL };
	const char *w3[] = { "--allow-plaintext", "--allow-plaintext", NULL };
	const char *w4[] = { "--max-sessions", "0", NULL };
	char err[ARGS_ERR_MAX], opt[32];
	const char *ids[4];
	struct args a;

	CHECK(outlet && inlet);
	CHECK(command("tcp-outlet", "list") && command("tcp-outlet", "show") &&
	      command("tcp-outlet", "delete"));
	CHECK(command("tcp-inlet", "list") && command("tcp-inlet", "show") &&
	      command("tcp-inlet", "delete"));
	CHECK_INT(parse(outlet, &a, err, w1), 0);
	CHECK_STR(args_value(outlet, &a, "to"), "127.0.0.1:5000");
	CHECK_STR(args_value(outlet, &a, "from"), "web");
	CHECK_STR(args_value(outlet, &a, "at"), "n2");
	CHECK_STR(args_value(outlet, &a, "connect-timeout"), "2s");
	CHECK(args_flag(outlet, &a, "allow-plaintext"));
	CHECK_INT(args_values(outlet, &a, "authorized", ids, 4), 2);
	CHECK_INT(portal_max_sessions_option(outlet, &a, opt, sizeof(opt)), 0);
	CHECK_STR(opt, "max-sessions=8");

	CHECK_INT(parse(inlet, &a, err, w2), 0);
	CHECK_STR(args_value(inlet, &a, "to"),
		  "/node/n2/secure/api/service/outlet");
	CHECK(a.json);
	CHECK_INT(portal_max_sessions_option(inlet, &a, opt, sizeof(opt)), 0);
	CHECK_STR(opt, "");

	CHECK_INT(parse(outlet, &a, err, w3), -1);
	CHECK_CONTAINS(err, "--allow-plaintext given twice");
	CHECK_INT(parse(inlet, &a, err, w4), 0);
	CHECK_INT(portal_max_sessions_option(inlet, &a, opt, sizeof(opt)),
		  CLI_USAGE);
}

static void outlet_admission(void)
{
	struct outlet_policy p = { .max_sessions = 2 };

	/* Through a channel, any identity. */
	CHECK_INT(outlet_admit(&p, ID_A, 0), PORTAL_ADMITTED);
	CHECK_INT(outlet_admit(&p, ID_A, 2), PORTAL_REFUSE_LIMIT);
	/* No channel: refused unless plaintext is allowed. */
	CHECK_INT(outlet_admit(&p, "", 0), PORTAL_REFUSE_PLAINTEXT);
	p.allow_plaintext = true;
	CHECK_INT(outlet_admit(&p, "", 1), PORTAL_ADMITTED);
	/* A list admits only its identities, and no plaintext. */
	CHECK_INT(trust_policy_parse(&p.trust, ID_B, NULL), 0);
	CHECK_INT(outlet_admit(&p, ID_A, 0), PORTAL_REFUSE_UNAUTHORIZED);
	CHECK_INT(outlet_admit(&p, ID_B, 0), PORTAL_ADMITTED);
	CHECK_INT(outlet_admit(&p, "", 0), PORTAL_REFUSE_UNAUTHORIZED);
	CHECK_INT(outlet_admit(&p, "Inot-an-identifier", 0),
		  PORTAL_REFUSE_UNAUTHORIZED);
	CHECK_STR(portal_refusal_name(PORTAL_REFUSE_UNAUTHORIZED),
		  "unauthorized");
	CHECK_STR(portal_refusal_name(PORTAL_REFUSE_COUNT), "unknown");
}

static void ping_parsing(void)
{
	const uint8_t ping[] = { 0, 0x00, 0x00, 0x04, 0x00 };
	const uint8_t pong[] = { 1, 0x00, 0x00, 0x04, 0x00 };
	const uint8_t longer[] = { 0, 0, 0, 4, 0, 0 };
	uint32_t window = 0;

	CHECK_INT(portal_ping_parse(ping, sizeof(ping), &window), 0);
	CHECK_INT(window, 256 << 10);
	CHECK_INT(portal_ping_parse(pong, sizeof(pong), &window), -EBADMSG);
	CHECK_INT(portal_ping_parse(ping, 4, &window), -EBADMSG);
	CHECK_INT(portal_ping_parse(longer, sizeof(longer), &window),
		  -EBADMSG);
}

static void session_counters(void)
{
	struct portal_counters c = { .active = 1 };
	struct ockam_event ev = {
		.cmd = OCKAM_CMD_PORTAL_CLOSED,
		.reason = OCKAM_PORTAL_END_CLOSED,
		.tx_bytes = 10, .rx_bytes = 20,
	};

	portal_counters_closed(&c, &ev);
	CHECK_INT(c.active, 0);
	CHECK_INT(c.ended[OCKAM_PORTAL_END_CLOSED], 1);
	/* A second event for one session never makes the count wrap. */
	ev.reason = __OCKAM_PORTAL_END_MAX + 5;
	portal_counters_closed(&c, &ev);
	CHECK_INT(c.active, 0);
	CHECK_INT(c.tx_bytes, 20);
	CHECK_INT(c.rx_bytes, 40);
}

SUITE(portal_suite, "portal",
      TEST(route_split),
      TEST(cli_options),
      TEST(outlet_admission),
      TEST(ping_parsing),
      TEST(session_counters));
