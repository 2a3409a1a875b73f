// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockam relay create|list|show|delete.
 *
 * "create" asks node --to (the registering node) to keep relay NAME
 * registered at the node --at ROUTE reaches; that node's forwarding
 * service then forwards /service/forward_to_NAME to it. Listings show
 * both sides: the relays a node holds elsewhere ("relay" records) and
 * the ones it serves ("forward" records).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

enum {
	/* The daemon's channel and registration timeouts, and a margin. */
	RELAY_REPLY_TIMEOUT_MS = 10000 + 5000 + 5000,
	RELAY_NAME_MAX = OCKAM_ADDR_VALUE_MAX - 11,	/* "forward_to_" */
};

/* The fields a listing shows, in order; each record has some of them. */
static const char *const relay_fields[] = {
	"name", "at", "state", "since", "retries", "registrations",
	"remote", "peer", "channel", "address", "owner", "transport", "forward",
	NULL,
};

/* Fields that are numbers in JSON. */
static bool numeric_field(const char *key)
{
	return !strcmp(key, "since") || !strcmp(key, "retries") ||
	       !strcmp(key, "registrations");
}

static bool relay_name_arg_ok(const char *name)
{
	return strlen(name) <= RELAY_NAME_MAX && !strchr(name, ' ') &&
	       ockam_local_name_ok(name);
}

static void print_created(struct cli *cli, const char *name, char *rec)
{
	char remote[OCKAM_NAME_MAX], peer[OCKAM_IDENTIFIER_LEN + 1];
	char channel[OCKAM_NAME_MAX];

	if (ockam_ctl_record_get(rec, "remote", remote, sizeof(remote)) < 0)
		strcpy(remote, "-");
	if (!cli->json) {
		printf("/service/%s\n", remote);
		return;
	}
	if (ockam_ctl_record_get(rec, "peer", peer, sizeof(peer)) < 0)
		strcpy(peer, "-");
	if (ockam_ctl_record_get(rec, "channel", channel, sizeof(channel)) < 0)
		strcpy(channel, "-");
	json_object_begin(&cli->j, NULL);
	json_string(&cli->j, "name", name);
	json_string(&cli->j, "remote_address", remote);
	json_string(&cli->j, "peer", peer);
	json_string(&cli->j, "channel", channel);
	json_object_end(&cli->j);
	json_finish(&cli->j);
}

static int relay_create(struct cli *cli, const struct cmd_spec *cmd,
			const struct args *a)
{
	const char *name = a->npos ? a->pos[0] : "default";
	const char *at = args_value(cmd, a, "at");
	static struct cli_channel_args ch;
	const char *argv[4];
	struct ockam_ctl_reply reply;
	struct ockam_err err;
	unsigned int argc = 0;
	struct target t;
	char *rec;
	int status, ret;

	if (!relay_name_arg_ok(name))
		return cli_usage(cmd, "'%s' is not a relay name (1 to %d printable characters other than space, '/' and '#')",
				 name, RELAY_NAME_MAX);
	if (!at)
		return cli_usage(cmd, "--at ROUTE (the relay node) is required");
	argv[argc++] = name;
	status = cli_channel_args(cmd, a, "at", at, &ch, argv, &argc);
	if (status) {
		cli_channel_args_free(&ch);
		return status;
	}
	ret = target_daemon_call(args_value(cmd, a, "to"), &t, "relay-create",
				 argc, argv, RELAY_REPLY_TIMEOUT_MS, &reply,
				 &err);
	cli_channel_args_free(&ch);
	if (ret < 0)
		return cli_fail_err(&err);
	rec = ockam_ctl_record_next(&reply);
	if (!rec)
		return cli_fail("node %s sent no relay record", t.name);
	print_created(cli, name, rec);
	return CLI_OK;
}

/* ------------------------------------------------------------- listings */

static void record_json(struct json *j, const char *rec)
{
	char kind[32], value[OCKAM_ROUTE_TEXT_MAX];
	unsigned int i;

	if (ockam_ctl_record_get(rec, "kind", kind, sizeof(kind)) < 0)
		strcpy(kind, "-");
	json_object_begin(j, NULL);
	json_string(j, "side", !strcmp(kind, "forward") ? "relay-node" :
			       "registering");
	for (i = 0; relay_fields[i]; i++) {
		if (ockam_ctl_record_get(rec, relay_fields[i], value,
					 sizeof(value)) < 0)
			continue;
		if (numeric_field(relay_fields[i]))
			json_uint(j, relay_fields[i], strtoull(value, NULL, 10));
		else
			json_string(j, relay_fields[i], value);
	}
	json_object_end(j);
}

/* "5s ago" style age of the epoch seconds in @since. */
static void age_text(const char *since, char *out, size_t size)
{
	long long then = strtoll(since, NULL, 10);
	long long age = (long long)time(NULL) - then;

	snprintf(out, size, "%llds", age < 0 ? 0 : age);
}

static void record_text(const char *rec)
{
	char kind[32], name[OCKAM_NAME_MAX], state[32], since[32];
	char who[OCKAM_ROUTE_TEXT_MAX], extra[64], age[32];

	if (ockam_ctl_record_get(rec, "kind", kind, sizeof(kind)) < 0 ||
	    ockam_ctl_record_get(rec, "name", name, sizeof(name)) < 0)
		return;
	if (ockam_ctl_record_get(rec, "since", since, sizeof(since)) < 0)
		strcpy(since, "0");
	age_text(since, age, sizeof(age));
	if (!strcmp(kind, "forward")) {
		if (ockam_ctl_record_get(rec, "owner", who, sizeof(who)) < 0)
			strcpy(who, "-");
		printf("%-20s %-8s %-6s %-8s %s\n", name, "served", "up", age,
		       who);
		return;
	}
	if (ockam_ctl_record_get(rec, "state", state, sizeof(state)) < 0)
		strcpy(state, "-");
	if (ockam_ctl_record_get(rec, "at", who, sizeof(who)) < 0)
		strcpy(who, "-");
	if (ockam_ctl_record_get(rec, "retries", extra, sizeof(extra)) < 0)
		strcpy(extra, "0");
	printf("%-20s %-8s %-6s %-8s %s (retries %s)\n", name, "held", state,
	       age, who, extra);
}

/* Whether @rec is relay @name, on either side. */
static bool record_is(const char *rec, const char *name)
{
	return cli_record_has(rec, "name", name) ||
	       cli_record_has(rec, "address", name);
}

/* Every relay record of the node, or only @name's; CLI status. */
static int relay_listing(struct cli *cli, const struct cmd_spec *cmd,
			 const struct args *a, const char *name)
{
	struct ockam_ctl_reply reply;
	unsigned int shown = 0;
	struct target t;
	char *rec;
	int status;

	status = cli_call_at(cmd, a, "relay-list", 0, NULL, &reply, &t);
	if (status)
		return status;
	if (cli->json && !name)
		json_array_begin(&cli->j, NULL);
	else if (!cli->json)
		printf("%-20s %-8s %-6s %-8s %s\n", "NAME", "SIDE", "STATE",
		       "SINCE", "AT / HELD BY");
	while ((rec = ockam_ctl_record_next(&reply))) {
		if (name && !record_is(rec, name))
			continue;
		if (cli->json)
			record_json(&cli->j, rec);
		else
			record_text(rec);
		shown++;
		if (name)
			break;
	}
	if (name && !shown)
		return cli_fail("node %s has no relay %s", t.name, name);
	if (cli->json) {
		if (!name)
			json_array_end(&cli->j);
		json_finish(&cli->j);
	}
	return CLI_OK;
}

static int relay_list(struct cli *cli, const struct cmd_spec *cmd,
		      const struct args *a)
{
	return relay_listing(cli, cmd, a, NULL);
}

static int relay_show(struct cli *cli, const struct cmd_spec *cmd,
		      const struct args *a)
{
	return relay_listing(cli, cmd, a, a->pos[0]);
}

static int relay_delete(struct cli *cli, const struct cmd_spec *cmd,
			const struct args *a)
{
	struct ockam_ctl_reply reply;
	const char *name = a->pos[0];
	int status;

	if (!ockam_local_name_ok(name))
		return cli_usage(cmd, "'%s' is not a relay name", name);
	status = cli_call_at(cmd, a, "relay-delete", 1, &name, &reply, NULL);
	if (status)
		return status;
	return cli_print_deleted(cli, "Relay", name);
}

static const struct opt_spec create_opts[] = {
	{ "at", 0, OPT_VALUE, "ROUTE",
	  "the relay node: a route to it, /node/NAME or /ip4/HOST/tcp/PORT (required)" },
	{ "to", 0, OPT_VALUE, "NODE",
	  "the node the relay forwards to (default: the one in this network namespace)" },
	{ "authorized", 'a', OPT_REPEAT, "ID",
	  "accept only this identity as the relay node (repeatable; default any)" },
	{ "identity", 0, OPT_VALUE, "NAME",
	  "our identity for the channel (default: the node's default)" },
	{ 0 },
};

static const char *const create_args[] = { "NAME", NULL };
static const char *const name_arg[] = { "NAME", NULL };

const struct cmd_spec relay_cmds[] = {
	{
		.group = "relay", .name = "create",
		.summary = "Keep a relay for this node registered at another node.",
		.description =
		"Node --to opens a secure channel to the api listener of the node\n"
		"ROUTE reaches and registers NAME (default \"default\"; \"register\"\n"
		"asks for a random name) with its forwarding_service. That node then\n"
		"forwards /service/forward_to_NAME through the channel, back over the\n"
		"connection node --to dialed: node --to needs no TCP listener. When\n"
		"the channel or the connection drops, node --to registers again,\n"
		"with backoff, until the relay is deleted.\n"
		"Examples:\n"
		"  ockam relay create n3 --at /ip4/10.0.0.2/tcp/4000 --to n3\n"
		"  ockam message send hi --from n1 \\\n"
		"      --to /ip4/10.0.0.2/tcp/4000/service/forward_to_n3/service/echo\n",
		.positionals = create_args, .min_pos = 0,
		.opts = create_opts, .run = relay_create,
	}, {
		.group = "relay", .name = "list",
		.summary = "List the relays a node holds elsewhere and those it serves.",
		.opts = cli_at_node_opts, .run = relay_list,
	}, {
		.group = "relay", .name = "show",
		.summary = "Show one relay, held or served.",
		.positionals = name_arg, .min_pos = 1,
		.opts = cli_at_node_opts, .run = relay_show,
	}, {
		.group = "relay", .name = "delete",
		.summary = "Stop a relay this node holds, or drop one it serves.",
		.description =
		"On the registering node this stops the relay and closes its channel;\n"
		"the relay node drops forward_to_NAME when the channel closes. On the\n"
		"relay node it drops forward_to_NAME and closes the channel, after\n"
		"which the registering node registers again unless it is refused.\n",
		.positionals = name_arg, .min_pos = 1,
		.opts = cli_at_node_opts, .run = relay_delete,
	},
	{ 0 },
};
