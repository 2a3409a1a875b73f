// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockam secure-channel-listener create|list|show|delete. A listener is a
 * local address where the node's daemon answers secure channel
 * handshakes, with one of its identities and a list of the identities it
 * accepts.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

enum {
	/* The daemon's bounds on --timeout. */
	LISTENER_TIMEOUT_MS_MIN = 100,
	LISTENER_TIMEOUT_MS_MAX = 600000,
};

/* Counters of a listener record, in the order they are printed. */
static const char *const counter_keys[] = {
	"started", "established", "rejected-malformed", "rejected-unexpected",
	"rejected-bad-identity", "rejected-expired", "rejected-key-mismatch",
	"rejected-unauthorized", "rejected-busy", "rejected-source-busy",
	"rejected-hop-busy", "rejected-timeout", "rejected-peer-refused",
	"rejected-unreachable", "rejected-internal",
};

static const char *field(const char *rec, const char *key, char *buf,
			 size_t size)
{
	if (ockam_ctl_record_get(rec, key, buf, size) < 0)
		snprintf(buf, size, "?");
	return buf;
}

/* Messages refused and handshakes abandoned, whatever the reason. */
static unsigned long long rejected_total(const char *rec)
{
	unsigned long long total = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(counter_keys); i++)
		if (!strncmp(counter_keys[i], "rejected-", 9))
			total += cli_record_number(rec, counter_keys[i]);
	return total;
}

/* "any", or the identifiers one per JSON string. */
static void json_authorized(struct json *j, const char *list)
{
	char id[OCKAM_IDENTIFIER_LEN + 1];
	const char *p = list;

	json_array_begin(j, "authorized");
	while (strcmp(list, "any") && *p) {
		size_t len = strcspn(p, ",");

		snprintf(id, sizeof(id), "%.*s", (int)len, p);
		json_string(j, NULL, id);
		p += len + (p[len] == ',');
	}
	json_array_end(j);
}

static void print_json(struct json *j, const char *rec)
{
	static char authorized[CLI_AUTHORIZED_MAX];
	char val[OCKAM_NAME_MAX];
	size_t i;

	json_object_begin(j, NULL);
	json_string(j, "name", field(rec, "name", val, sizeof(val)));
	json_string(j, "identity", field(rec, "identity", val, sizeof(val)));
	json_authorized(j, field(rec, "authorized", authorized,
				 sizeof(authorized)));
	json_uint(j, "pending", cli_record_number(rec, "pending"));
	json_uint(j, "max_pending", cli_record_number(rec, "max-pending"));
	json_uint(j, "max_pending_per_source",
		  cli_record_number(rec, "max-pending-per-source"));
	json_uint(j, "max_pending_per_hop",
		  cli_record_number(rec, "max-pending-per-hop"));
	json_uint(j, "timeout_ms", cli_record_number(rec, "timeout-ms"));
	json_object_begin(j, "handshakes");
	for (i = 0; i < ARRAY_SIZE(counter_keys); i++)
		cli_json_counter(j, counter_keys[i],
				 cli_record_number(rec, counter_keys[i]));
	json_object_end(j);
	json_object_end(j);
}

static void print_detail(const char *rec)
{
	static char authorized[CLI_AUTHORIZED_MAX];
	char name[OCKAM_NAME_MAX], identity[OCKAM_NAME_MAX];
	size_t i;

	field(rec, "name", name, sizeof(name));
	field(rec, "identity", identity, sizeof(identity));
	field(rec, "authorized", authorized, sizeof(authorized));
	printf("Secure channel listener /service/%s\n", name);
	printf("  identity       %s\n", identity);
	printf("  authorized     %s\n", !strcmp(authorized, "any") ?
	       "any identity" : authorized);
	printf("  pending        %llu of at most %llu, %llu ms each\n",
	       cli_record_number(rec, "pending"),
	       cli_record_number(rec, "max-pending"),
	       cli_record_number(rec, "timeout-ms"));
	printf("  per source     at most %llu from one source, %llu through one first hop\n",
	       cli_record_number(rec, "max-pending-per-source"),
	       cli_record_number(rec, "max-pending-per-hop"));
	printf("  handshakes\n");
	for (i = 0; i < ARRAY_SIZE(counter_keys); i++)
		printf("    %-24s %llu\n", counter_keys[i],
		       cli_record_number(rec, counter_keys[i]));
}

/* Print the listener records of @reply as a list or one by one. */
static void print_listeners(struct cli *cli, struct ockam_ctl_reply *reply,
			    bool list)
{
	char name[OCKAM_NAME_MAX], identity[OCKAM_NAME_MAX];
	static char authorized[CLI_AUTHORIZED_MAX];
	bool header = false;
	char *rec;

	if (cli->json && list)
		json_array_begin(&cli->j, NULL);
	while ((rec = ockam_ctl_record_next(reply))) {
		if (cli->json) {
			print_json(&cli->j, rec);
			continue;
		}
		if (!list) {
			print_detail(rec);
			continue;
		}
		if (!header)
			printf("%-24s %-16s %-8s %-11s %-8s %s\n", "NAME",
			       "IDENTITY", "PENDING", "ESTABLISHED",
			       "REJECTED", "AUTHORIZED");
		header = true;
		field(rec, "authorized", authorized, sizeof(authorized));
		printf("%-24s %-16s %-8llu %-11llu %-8llu %s\n",
		       field(rec, "name", name, sizeof(name)),
		       field(rec, "identity", identity, sizeof(identity)),
		       cli_record_number(rec, "pending"),
		       cli_record_number(rec, "established"),
		       rejected_total(rec), authorized);
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
	static char authorized[CLI_AUTHORIZED_MAX];
	char identity[OCKAM_NODE_NAME_MAX + 16];
	char option[CLI_AUTHORIZED_MAX + 16];
	char opt_timeout[32];
	const char *argv[4] = { a->pos[0] };
	const char *id = args_value(cmd, a, "identity");
	const char *timeout = args_value(cmd, a, "timeout");
	struct ockam_ctl_reply reply;
	struct target t;
	unsigned int argc = 1;
	int status;

	if (!ockam_local_name_ok(a->pos[0]))
		return cli_usage(cmd,
				 "'%s' is not a local address (1 to %d printable characters other than '/' and '#')",
				 a->pos[0], OCKAM_ADDR_VALUE_MAX);
	if (id && !ockam_node_name_ok(id))
		return cli_usage(cmd, "--identity: '%s' is not a valid identity name",
				 id);
	status = cli_authorized_arg(cmd, a, authorized, sizeof(authorized));
	if (status)
		return status;
	if (timeout) {
		long ms = cli_parse_duration_ms(timeout);

		if (ms < LISTENER_TIMEOUT_MS_MIN || ms > LISTENER_TIMEOUT_MS_MAX)
			return cli_usage(cmd,
					 "--timeout takes a duration from %dms to %ds such as 10s, 500ms or 2m, not '%s'",
					 LISTENER_TIMEOUT_MS_MIN,
					 LISTENER_TIMEOUT_MS_MAX / 1000, timeout);
		snprintf(opt_timeout, sizeof(opt_timeout), "timeout=%ld", ms);
		argv[argc++] = opt_timeout;
	}
	if (id) {
		snprintf(identity, sizeof(identity), "identity=%s", id);
		argv[argc++] = identity;
	}
	if (authorized[0]) {
		snprintf(option, sizeof(option), "authorized=%s", authorized);
		argv[argc++] = option;
	}
	status = cli_call_at(cmd, a, "secure-channel-listener-create", argc,
			     argv, &reply, &t);
	if (status)
		return status;
	if (cli->json) {
		print_listeners(cli, &reply, false);
		return CLI_OK;
	}
	printf("Secure channel listener /service/%s created at node %s\n",
	       a->pos[0], t.name);
	return CLI_OK;
}

static int listener_list(struct cli *cli, const struct cmd_spec *cmd,
			 const struct args *a)
{
	struct ockam_ctl_reply reply;
	int status;

	status = cli_call_at(cmd, a, "secure-channel-listener-list", 0, NULL,
			     &reply, NULL);
	if (status == CLI_OK)
		print_listeners(cli, &reply, true);
	return status;
}

/* A request about the listener NAME, the command's one argument. */
static int request_named(const struct cmd_spec *cmd, const struct args *a,
			 const char *verb, struct ockam_ctl_reply *reply)
{
	if (!ockam_local_name_ok(a->pos[0]))
		return cli_usage(cmd, "'%s' is not a local address", a->pos[0]);
	return cli_call_at(cmd, a, verb, 1, a->pos, reply, NULL);
}

static int listener_show(struct cli *cli, const struct cmd_spec *cmd,
			 const struct args *a)
{
	struct ockam_ctl_reply reply;
	int status;

	status = request_named(cmd, a, "secure-channel-listener-list", &reply);
	if (status == CLI_OK)
		print_listeners(cli, &reply, false);
	return status;
}

static int listener_delete(struct cli *cli, const struct cmd_spec *cmd,
			   const struct args *a)
{
	struct ockam_ctl_reply reply;
	int status;

	status = request_named(cmd, a, "secure-channel-listener-delete",
			       &reply);
	if (status)
		return status;
	return cli_print_deleted(cli, "Secure channel listener", a->pos[0]);
}

static const char *const name_arg[] = { "NAME", NULL };

static const struct opt_spec create_opts[] = {
	{ "authorized", 'a', OPT_REPEAT, "IDENTIFIER",
	  "accept only this identity (repeatable; default: any identity)" },
	{ "identity", 0, OPT_VALUE, "NAME",
	  "the identity to answer with (default: the node's default)" },
	{ "timeout", 0, OPT_VALUE, "DURATION",
	  "how long a handshake may wait for the initiator (default 10s, 100ms to 10m)" },
	CLI_OPT_AT_NODE,
	{ 0 },
};

const struct cmd_spec secure_channel_listener_cmds[] = {
	{
		.group = "secure-channel-listener", .name = "create",
		.summary = "Accept secure channels at /service/NAME.",
		.description =
		"Initiators reach it with 'ockam secure-channel create --to\n"
		"ROUTE/service/NAME'. Every node starts with the listener 'api'\n"
		"on its default identity, accepting any identity. Each handshake\n"
		"holds one of the listener's slots until it ends or --timeout\n"
		"passes: longer suits slow routes, shorter frees slots sooner.\n"
		"Examples:\n"
		"  ockam secure-channel-listener create safe --at n2 \\\n"
		"      --authorized \"$(ockam identity show --at n1)\"\n"
		"  ockam secure-channel-listener create as_bob --identity bob\n",
		.positionals = name_arg, .min_pos = 1,
		.opts = create_opts, .run = listener_create,
	}, {
		.group = "secure-channel-listener", .name = "list",
		.summary = "List a node's secure channel listeners.",
		.opts = cli_at_node_opts, .run = listener_list,
	}, {
		.group = "secure-channel-listener", .name = "show",
		.summary = "Show a listener: identity, trust policy and handshake counters.",
		.positionals = name_arg, .min_pos = 1,
		.opts = cli_at_node_opts, .run = listener_show,
	}, {
		.group = "secure-channel-listener", .name = "delete",
		.summary = "Stop accepting secure channels at /service/NAME.",
		.description =
		"Channels it established stay; handshakes in progress end.\n",
		.positionals = name_arg, .min_pos = 1,
		.opts = cli_at_node_opts, .run = listener_delete,
	},
	{ 0 },
};
