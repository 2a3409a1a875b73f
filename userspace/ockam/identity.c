// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockam identity create|show|list|delete. Identities live in the node's
 * vault, which only its daemon opens, so these go over the control
 * socket.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cli.h"

/* The lifetimes --attestation-ttl takes: a century either way. */
#define ATTESTATION_TTL_LIMIT (100LL * 365 * 24 * 3600)

/* A record of the daemon: name, identifier, attestation expiry. */
struct identity_rec {
	char name[OCKAM_NODE_NAME_MAX + 1];
	char identifier[OCKAM_IDENTIFIER_LEN + 1];
	unsigned long long expires;
};

static int parse_record(const char *rec, struct identity_rec *out)
{
	char expires[32];

	if (ockam_ctl_record_get(rec, "name", out->name,
				 sizeof(out->name)) < 0 ||
	    ockam_ctl_record_get(rec, "identifier", out->identifier,
				 sizeof(out->identifier)) < 0 ||
	    ockam_ctl_record_get(rec, "attestation-expires", expires,
				 sizeof(expires)) < 0)
		return -EPROTO;
	out->expires = strtoull(expires, NULL, 10);
	return 0;
}

/* "2031-05-04T10:00:00Z" for a Unix time. */
static void format_time(unsigned long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "%llu", t);
}

static void json_record(struct json *j, const struct identity_rec *r)
{
	char when[32];

	format_time(r->expires, when, sizeof(when));
	json_object_begin(j, NULL);
	json_string(j, "name", r->name);
	json_string(j, "identifier", r->identifier);
	json_uint(j, "attestation_expires", r->expires);
	json_string(j, "attestation_expires_utc", when);
	json_bool(j, "attestation_expired", r->expires <= (unsigned long long)time(NULL));
	json_object_end(j);
}

/*
 * A create or show request, whose reply is one identity: into @r, and
 * printed here with -j, where both commands print it the same.
 */
static int request_one(struct cli *cli, const struct cmd_spec *cmd,
		       const struct args *a, const char *verb,
		       unsigned int argc, const char *const *argv,
		       struct identity_rec *r)
{
	struct ockam_ctl_reply reply;
	struct target t;
	char *rec;
	int status;

	status = cli_call_at(cmd, a, verb, argc, argv, &reply, &t);
	if (status)
		return status;
	rec = ockam_ctl_record_next(&reply);
	if (!rec || parse_record(rec, r) < 0)
		return cli_fail("node %s sent no identity", t.name);
	if (cli->json) {
		json_record(&cli->j, r);
		json_finish(&cli->j);
	}
	return CLI_OK;
}

/* "identity-" and 8 random hex digits, as Ockam names identities itself. */
static int random_name(char *buf, size_t size)
{
	uint8_t bytes[4];

	if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes))
		return -errno;
	snprintf(buf, size, "identity-%02x%02x%02x%02x", bytes[0], bytes[1],
		 bytes[2], bytes[3]);
	return 0;
}

static int identity_create(struct cli *cli, const struct cmd_spec *cmd,
			   const struct args *a)
{
	const char *ttl_text = args_value(cmd, a, "attestation-ttl");
	char name[OCKAM_NODE_NAME_MAX + 1], option[48];
	const char *argv[2] = { name, option };
	struct identity_rec r;
	long long ttl = 0;
	char *end;
	int status;

	if (a->npos) {
		if (!ockam_node_name_ok(a->pos[0]))
			return cli_usage(cmd,
					 "'%s' is not a valid identity name (1 to %d of A-Z a-z 0-9 _ . -, not starting with . or -)",
					 a->pos[0], OCKAM_NODE_NAME_MAX);
		snprintf(name, sizeof(name), "%s", a->pos[0]);
	} else if (random_name(name, sizeof(name)) < 0) {
		return cli_fail("cannot pick a name: %s", strerror(errno));
	}
	if (ttl_text) {
		errno = 0;
		ttl = strtoll(ttl_text, &end, 10);
		if (errno || end == ttl_text || *end || !ttl ||
		    ttl < -ATTESTATION_TTL_LIMIT || ttl > ATTESTATION_TTL_LIMIT)
			return cli_usage(cmd,
					 "--attestation-ttl takes a non-zero number of seconds, at most %lld either way, not '%s'",
					 ATTESTATION_TTL_LIMIT, ttl_text);
		snprintf(option, sizeof(option), "attestation-ttl=%lld", ttl);
	}
	status = request_one(cli, cmd, a, "identity-create", ttl_text ? 2 : 1,
			     argv, &r);
	if (status == CLI_OK && !cli->json)
		printf("Identity %s created: %s\n", r.name, r.identifier);
	return status;
}

static int identity_show(struct cli *cli, const struct cmd_spec *cmd,
			 const struct args *a)
{
	struct identity_rec r;
	int status;

	if (a->npos && !ockam_node_name_ok(a->pos[0]))
		return cli_usage(cmd, "'%s' is not a valid identity name",
				 a->pos[0]);
	status = request_one(cli, cmd, a, "identity-show", a->npos, a->pos,
			     &r);
	/* The identifier alone, for "$(ockam identity show)". */
	if (status == CLI_OK && !cli->json)
		printf("%s\n", r.identifier);
	return status;
}

static int identity_list(struct cli *cli, const struct cmd_spec *cmd,
			 const struct args *a)
{
	struct ockam_ctl_reply reply;
	struct identity_rec r;
	bool header = false;
	char when[32], *rec;
	int status;

	status = cli_call_at(cmd, a, "identity-list", 0, NULL, &reply, NULL);
	if (status)
		return status;
	if (cli->json)
		json_array_begin(&cli->j, NULL);
	while ((rec = ockam_ctl_record_next(&reply))) {
		if (parse_record(rec, &r) < 0)
			continue;
		if (cli->json) {
			json_record(&cli->j, &r);
			continue;
		}
		if (!header)
			printf("%-24s %-65s %s\n", "NAME", "IDENTIFIER",
			       "ATTESTATION EXPIRES");
		header = true;
		format_time(r.expires, when, sizeof(when));
		printf("%-24s %-65s %s%s\n", r.name, r.identifier, when,
		       r.expires <= (unsigned long long)time(NULL) ?
		       " (expired)" : "");
	}
	if (cli->json) {
		json_array_end(&cli->j);
		json_finish(&cli->j);
	}
	return CLI_OK;
}

static int identity_delete(struct cli *cli, const struct cmd_spec *cmd,
			   const struct args *a)
{
	struct ockam_ctl_reply reply;
	int status;

	if (!ockam_node_name_ok(a->pos[0]))
		return cli_usage(cmd, "'%s' is not a valid identity name",
				 a->pos[0]);
	status = cli_call_at(cmd, a, "identity-delete", 1, a->pos, &reply,
			     NULL);
	if (status)
		return status;
	return cli_print_deleted(cli, "Identity", a->pos[0]);
}

static const char *const name_arg[] = { "NAME", NULL };

static const struct opt_spec create_opts[] = {
	{ "attestation-ttl", 0, OPT_VALUE, "SECONDS",
	  "how long the attestation of its secure-channel key lasts (default 5 years); "
	  "a negative number makes one that expired that long ago, for tests" },
	CLI_OPT_AT_NODE,
	{ 0 },
};

const struct cmd_spec identity_cmds[] = {
	{
		.group = "identity", .name = "create",
		.summary = "Create an identity in a node's vault.",
		.description =
		"An identity is an Ed25519 key, known by its identifier (I and 64\n"
		"hex digits), and an X25519 key for secure channels that it signs\n"
		"with an expiry. Without NAME a random name is picked. Every node\n"
		"has the identity 'default' from its first start.\n"
		"Examples:\n"
		"  ockam identity create alice --at n1\n"
		"  ockam identity create stale --attestation-ttl -3600\n",
		.positionals = name_arg, .min_pos = 0,
		.opts = create_opts, .run = identity_create,
	}, {
		.group = "identity", .name = "show",
		.summary = "Print an identity's identifier (default: the default identity).",
		.description =
		"Example, authorizing n1's default identity on n2:\n"
		"  ockam secure-channel-listener create safe --at n2 \\\n"
		"      --authorized \"$(ockam identity show --at n1)\"\n",
		.positionals = name_arg, .min_pos = 0,
		.opts = cli_at_node_opts, .run = identity_show,
	}, {
		.group = "identity", .name = "list",
		.summary = "List the identities in a node's vault.",
		.opts = cli_at_node_opts, .run = identity_list,
	}, {
		.group = "identity", .name = "delete",
		.summary = "Delete an identity and its keys from a node's vault.",
		.description =
		"An identity a secure channel listener answers with cannot be\n"
		"deleted until the listener is. Example:\n"
		"  ockam identity delete alice --at n1\n",
		.positionals = name_arg, .min_pos = 1,
		.opts = cli_at_node_opts, .run = identity_delete,
	},
	{ 0 },
};
