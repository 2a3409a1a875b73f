// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockam secure-channel create|list|show|delete.
 *
 * The node's daemon runs the handshake (create) and remembers which of
 * its identities and listeners each channel used; the kernel holds the
 * channels, their routes and counters, so listings read the kernel and
 * add what the daemon knows.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	/* The daemon's bounds on --timeout, and its default. */
	CHANNEL_TIMEOUT_MS_DEFAULT = 10000,
	CHANNEL_TIMEOUT_MS_MAX = 600000,
	/* The reply may take the handshake's timeout and then some. */
	CHANNEL_REPLY_MARGIN_MS = 5000,
	/* --udp: the rendezvous' tries and the puncture's own timeout. */
	CHANNEL_PUNCTURE_MS = 15000,
};

/* What the daemon knows of a channel: whose it is. */
struct channel_meta {
	char encryptor[OCKAM_NAME_MAX];
	char identity[OCKAM_NODE_NAME_MAX + 1];
	char listener[OCKAM_NAME_MAX];
	/* New routes the daemon gave the channel to bring it back, and
	 * new handshakes whose keys went behind it.
	 */
	unsigned long long route_sets;
	unsigned long long handshakes;
};

/* "ENCRYPTOR" or "/service/ENCRYPTOR", as create prints it. */
static const char *channel_address(const char *arg)
{
	static const char prefix[] = "/service/";

	if (!strncmp(arg, prefix, sizeof(prefix) - 1))
		arg += sizeof(prefix) - 1;
	return ockam_local_name_ok(arg) ? arg : NULL;
}

static int channel_create(struct cli *cli, const struct cmd_spec *cmd,
			  const struct args *a)
{
	const char *to = args_value(cmd, a, "to");
	const char *timeout = args_value(cmd, a, "timeout");
	static struct cli_channel_args ch;
	char opt_timeout[32];
	char encryptor[OCKAM_NAME_MAX], decryptor[OCKAM_NAME_MAX];
	char peer[OCKAM_IDENTIFIER_LEN + 1], ours[OCKAM_NODE_NAME_MAX + 1];
	const char *argv[6];
	char *rendezvous = NULL;
	struct ockam_ctl_reply reply;
	long timeout_ms = CHANNEL_TIMEOUT_MS_DEFAULT;
	struct ockam_err err;
	struct target t;
	unsigned int argc = 0;
	char *rec;
	int status, ret;

	if (!to)
		return cli_usage(cmd, "--to ROUTE is required");
	if (timeout) {
		timeout_ms = cli_parse_duration_ms(timeout);
		if (timeout_ms < 0 || timeout_ms > CHANNEL_TIMEOUT_MS_MAX)
			return cli_usage(cmd,
					 "--timeout takes a duration up to %ds such as 10, 10s, 500ms or 2m, not '%s'",
					 CHANNEL_TIMEOUT_MS_MAX / 1000, timeout);
	}
	status = cli_channel_args(cmd, a, "to", to, &ch, argv, &argc);
	if (status) {
		cli_channel_args_free(&ch);
		return status;
	}
	status = cli_rendezvous_arg(cmd, a, &rendezvous);
	if (status) {
		cli_channel_args_free(&ch);
		return status;
	}
	snprintf(opt_timeout, sizeof(opt_timeout), "timeout=%ld", timeout_ms);
	argv[argc++] = opt_timeout;
	if (args_flag(cmd, a, "udp"))
		argv[argc++] = "udp=yes";
	if (rendezvous)
		argv[argc++] = rendezvous;
	/* With --udp: two handshakes, and a puncture between them. */
	ret = target_daemon_call(args_value(cmd, a, "from"), &t,
				 "secure-channel-create", argc, argv,
				 (args_flag(cmd, a, "udp") ? 2 * timeout_ms +
				  CHANNEL_PUNCTURE_MS : timeout_ms) +
				 CHANNEL_REPLY_MARGIN_MS, &reply, &err);
	cli_channel_args_free(&ch);
	free(rendezvous);
	if (ret < 0)
		return cli_fail_err(&err);
	rec = ockam_ctl_record_next(&reply);
	if (!rec || ockam_ctl_record_get(rec, "encryptor", encryptor,
					 sizeof(encryptor)) < 0)
		return cli_fail("node %s sent no channel address", t.name);
	if (cli->json) {
		char route[OCKAM_NAME_MAX + 16];

		if (ockam_ctl_record_get(rec, "decryptor", decryptor,
					 sizeof(decryptor)) < 0 ||
		    ockam_ctl_record_get(rec, "peer", peer, sizeof(peer)) < 0 ||
		    ockam_ctl_record_get(rec, "identity", ours,
					 sizeof(ours)) < 0)
			return cli_fail("node %s sent an incomplete channel record",
					t.name);
		snprintf(route, sizeof(route), "/service/%s", encryptor);
		json_object_begin(&cli->j, NULL);
		json_string(&cli->j, "route", route);
		json_string(&cli->j, "encryptor", encryptor);
		json_string(&cli->j, "decryptor", decryptor);
		json_string(&cli->j, "peer", peer);
		json_string(&cli->j, "identity", ours);
		json_object_end(&cli->j);
		json_finish(&cli->j);
	} else {
		/* The route alone, to pipe into "--to -/service/...". */
		printf("/service/%s\n", encryptor);
	}
	return CLI_OK;
}

/* ------------------------------------------------------------- listings */

/*
 * The kernel's channels on node @at (or this network namespace), and
 * what its daemon knows of them when one runs there.
 */
struct channel_listing {
	struct ockam_channel_info *list;
	size_t count;
	struct channel_meta *meta;
	size_t nmeta;
};

static void listing_free(struct channel_listing *l)
{
	ockam_channel_list_free(l->list, l->count);
	free(l->meta);
}

static int read_meta(const struct target *t, struct channel_listing *l,
		     struct ockam_err *err)
{
	struct ockam_ctl_reply reply;
	size_t records = 0;
	char *rec;
	int ret;

	ret = target_call(t, "secure-channel-list", 0, NULL,
			  CLI_CALL_TIMEOUT_MS, &reply, err);
	if (ret < 0)
		return ret;
	for (rec = reply.cursor; rec && *rec; rec++)
		records += *rec == '\n';
	l->meta = calloc(records ? records : 1, sizeof(*l->meta));
	if (!l->meta)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	while ((rec = ockam_ctl_record_next(&reply)) && l->nmeta < records) {
		struct channel_meta *m = &l->meta[l->nmeta];

		if (ockam_ctl_record_get(rec, "encryptor", m->encryptor,
					 sizeof(m->encryptor)) < 0)
			continue;
		if (ockam_ctl_record_get(rec, "identity", m->identity,
					 sizeof(m->identity)) < 0)
			strcpy(m->identity, "-");
		if (ockam_ctl_record_get(rec, "listener", m->listener,
					 sizeof(m->listener)) < 0)
			strcpy(m->listener, "-");
		m->route_sets = cli_record_number(rec, "route-sets");
		m->handshakes = cli_record_number(rec, "handshakes");
		l->nmeta++;
	}
	return 0;
}

static int read_listing(const char *at, struct channel_listing *l,
			struct ockam_err *err)
{
	struct ockam_nl *nl;
	struct target t;
	bool daemon;
	int ret;

	memset(l, 0, sizeof(*l));
	ret = target_node(at, &t, err);
	if (ret < 0 && at)
		return ret;
	/* Without --at, a namespace without a node still has a kernel. */
	daemon = ret == 0;
	if (daemon) {
		ret = read_meta(&t, l, err);
		if (ret < 0)
			return ret;
		ret = target_enter_node(&t, err);
		if (ret < 0)
			return ret;
	}
	ret = ockam_nl_open(&nl, err);
	if (ret < 0)
		return ret;
	ret = ockam_nl_channel_list(nl, &l->list, &l->count, err);
	ockam_nl_close(nl);
	return ret;
}

static const struct channel_meta *meta_of(const struct channel_listing *l,
					  const char *encryptor)
{
	size_t i;

	for (i = 0; i < l->nmeta; i++)
		if (!strcmp(l->meta[i].encryptor, encryptor))
			return &l->meta[i];
	return NULL;
}

static const char *route_text(const struct ockam_channel_info *ch)
{
	static struct ockam_route rt;
	static char text[OCKAM_ROUTE_TEXT_MAX];
	struct ockam_err err;

	if (ockam_route_from_wire(&rt, ch->route, ch->route_len, &err) < 0)
		snprintf(text, sizeof(text), "(%s)", ockam_err_msg(&err));
	else
		ockam_route_format_any(&rt, text, sizeof(text));
	return text;
}

/* Seconds in a state, as "12s"; "-" when the kernel does not say. */
static const char *since_text(const struct ockam_channel_info *ch)
{
	static char text[32];

	if (!ch->state)
		return "-";
	snprintf(text, sizeof(text), "%llus",
		 (unsigned long long)(ch->state_age_ms / 1000));
	return text;
}

/* Since the peer was heard: ms while that is short, then seconds. */
static const char *heard_text(const struct ockam_channel_info *ch)
{
	static char text[32];

	if (!ch->state)
		return "-";
	if (ch->heard_age_ms < 10000)
		snprintf(text, sizeof(text), "%llums",
			 (unsigned long long)ch->heard_age_ms);
	else
		snprintf(text, sizeof(text), "%llus",
			 (unsigned long long)(ch->heard_age_ms / 1000));
	return text;
}

static void channel_state_json(struct json *j,
			       const struct ockam_channel_info *ch)
{
	if (!ch->state)
		return;
	json_string(j, "state", ockam_channel_state_name(ch->state));
	json_string(j, "state_reason",
		    ockam_channel_state_reason_name(ch->state_reason));
	json_uint(j, "state_age_ms", ch->state_age_ms);
	json_uint(j, "heard_age_ms", ch->heard_age_ms);
	json_uint(j, "route_moves", ch->route_moves);
}

static void channel_json(struct json *j, const struct ockam_channel_info *ch,
			 const struct channel_meta *m)
{
	char route[OCKAM_NAME_MAX + 16];

	snprintf(route, sizeof(route), "/service/%s", ch->encryptor);
	json_object_begin(j, NULL);
	json_string(j, "route", route);
	json_string(j, "encryptor", ch->encryptor);
	json_string(j, "decryptor", ch->decryptor);
	json_string(j, "role", ockam_role_name(ch->role));
	json_string(j, "peer", ch->identifier);
	json_string(j, "peer_route", route_text(ch));
	if (m) {
		json_string(j, "identity", m->identity);
		json_string(j, "listener", m->listener);
		json_uint(j, "route_sets", m->route_sets);
		json_uint(j, "handshakes", m->handshakes);
	}
	channel_state_json(j, ch);
	json_uint(j, "tx_counter", ch->tx_counter);
	json_uint(j, "rx_counter", ch->rx_counter);
	json_uint(j, "tx_rekeys", ch->tx_rekeys);
	json_uint(j, "rx_rekeys", ch->rx_rekeys);
	cli_stats_json(j, "stats", &ch->stats);
	json_object_end(j);
}

static void channel_text(const struct ockam_channel_info *ch,
			 const struct channel_meta *m)
{
	printf("Secure channel /service/%s\n", ch->encryptor);
	printf("  role           %s\n", ockam_role_name(ch->role));
	printf("  peer           %s\n", ch->identifier);
	if (m) {
		printf("  identity       %s\n", m->identity);
		if (strcmp(m->listener, "-"))
			printf("  listener       /service/%s\n", m->listener);
	}
	printf("  encryptor      %s\n", ch->encryptor);
	printf("  decryptor      %s\n", ch->decryptor);
	printf("  peer route     %s\n", route_text(ch));
	if (ch->state) {
		printf("  state          %s (%s) for %s\n",
		       ockam_channel_state_name(ch->state),
		       ockam_channel_state_reason_name(ch->state_reason),
		       since_text(ch));
		printf("  heard          %s ago\n", heard_text(ch));
		printf("  route moves    %llu\n",
		       (unsigned long long)ch->route_moves);
	}
	if (m && m->route_sets)
		printf("  routes given   %llu while recovering\n", m->route_sets);
	if (m && m->handshakes)
		printf("  new handshakes %llu, keys behind the same address\n",
		       m->handshakes);
	printf("  sent           next counter %llu, %llu rekeys\n",
	       (unsigned long long)ch->tx_counter,
	       (unsigned long long)ch->tx_rekeys);
	printf("  received       highest counter %llu, %llu rekeys\n",
	       (unsigned long long)ch->rx_counter,
	       (unsigned long long)ch->rx_rekeys);
	printf("  counters\n");
	cli_stats_text(stdout, "    ", &ch->stats);
}

static int channel_list(struct cli *cli, const struct cmd_spec *cmd,
			const struct args *a)
{
	struct channel_listing l;
	struct ockam_err err;
	size_t i;

	if (read_listing(args_value(cmd, a, "at"), &l, &err) < 0) {
		listing_free(&l);
		return cli_fail_err(&err);
	}
	if (cli->json)
		json_array_begin(&cli->j, NULL);
	else if (l.count)
		printf("%-41s %-9s %-65s %-10s %-11s %7s %7s %5s %10s %10s %s\n",
		       "ROUTE", "ROLE", "PEER", "STATE", "REASON", "SINCE",
		       "HEARD", "MOVES", "SENT", "RECEIVED", "PEER ROUTE");
	for (i = 0; i < l.count; i++) {
		const struct ockam_channel_info *ch = &l.list[i];
		char route[OCKAM_NAME_MAX + 16];

		if (cli->json) {
			channel_json(&cli->j, ch, meta_of(&l, ch->encryptor));
			continue;
		}
		snprintf(route, sizeof(route), "/service/%s", ch->encryptor);
		printf("%-41s %-9s %-65s %-10s %-11s %7s", route,
		       ockam_role_name(ch->role), ch->identifier,
		       ch->state ? ockam_channel_state_name(ch->state) : "-",
		       ch->state ?
		       ockam_channel_state_reason_name(ch->state_reason) : "-",
		       since_text(ch));
		printf(" %7s %5llu %10llu %10llu %s\n", heard_text(ch),
		       (unsigned long long)ch->route_moves,
		       (unsigned long long)
		       ch->stats.value[OCKAM_STAT_ENCRYPTED],
		       (unsigned long long)
		       ch->stats.value[OCKAM_STAT_DECRYPTED],
		       route_text(ch));
	}
	if (cli->json) {
		json_array_end(&cli->j);
		json_finish(&cli->j);
	}
	listing_free(&l);
	return CLI_OK;
}

static int channel_show(struct cli *cli, const struct cmd_spec *cmd,
			const struct args *a)
{
	const char *address = channel_address(a->pos[0]);
	const struct ockam_channel_info *ch = NULL;
	struct channel_listing l;
	struct ockam_err err;
	size_t i;

	if (!address)
		return cli_usage(cmd, "'%s' is not a channel address",
				 a->pos[0]);
	if (read_listing(args_value(cmd, a, "at"), &l, &err) < 0) {
		listing_free(&l);
		return cli_fail_err(&err);
	}
	for (i = 0; i < l.count && !ch; i++)
		if (!strcmp(l.list[i].encryptor, address))
			ch = &l.list[i];
	if (!ch) {
		listing_free(&l);
		return cli_fail("no secure channel %s", address);
	}
	if (cli->json) {
		channel_json(&cli->j, ch, meta_of(&l, address));
		json_finish(&cli->j);
	} else {
		channel_text(ch, meta_of(&l, address));
	}
	listing_free(&l);
	return CLI_OK;
}

static int channel_delete(struct cli *cli, const struct cmd_spec *cmd,
			  const struct args *a)
{
	const char *address = channel_address(a->pos[0]);
	struct ockam_err err;

	if (!address)
		return cli_usage(cmd, "'%s' is not a channel address",
				 a->pos[0]);
	if (target_delete(args_value(cmd, a, "at"), "secure-channel-delete",
			  address, ockam_nl_channel_del, &err) < 0)
		return cli_fail_err(&err);
	return cli_print_deleted(cli, "Secure channel", address);
}

static const char *const address_arg[] = { "ADDRESS", NULL };

static const struct opt_spec create_opts[] = {
	{ "to", 0, OPT_VALUE, "ROUTE",
	  "route to a secure channel listener, e.g. /node/n2/service/api ('-' reads standard input)" },
	{ "from", 0, OPT_VALUE, "NODE",
	  "the node that initiates (default: the one in this network namespace)" },
	{ "authorized", 'a', OPT_REPEAT, "IDENTIFIER",
	  "accept only this identity at the other end (repeatable; default: any)" },
	{ "identity", 0, OPT_VALUE, "NAME",
	  "the identity to present (default: the node's default)" },
	{ "timeout", 0, OPT_VALUE, "DURATION",
	  "how long to wait for the other side (default 10s, at most 10m)" },
	{ "udp", 0, OPT_FLAG, NULL,
	  "open the channel over a UDP path punched through both NATs" },
	{ "rendezvous", 0, OPT_VALUE, "ROUTE",
	  "with --udp: the rendezvous, e.g. /ip4/192.0.2.1/udp/4000 (default: the node's)" },
	{ 0 },
};

const struct cmd_spec secure_channel_cmds[] = {
	{
		.group = "secure-channel", .name = "create",
		.summary = "Open a secure channel; print its route.",
		.description =
		"The node's daemon runs a Noise XX handshake with the listener at\n"
		"the end of --to, each side proving an identity; after it, the\n"
		"kernels of both nodes encrypt and decrypt every message. Messages\n"
		"sent to the printed route /service/ADDRESS/... travel encrypted\n"
		"to the other node and continue there along the rest of their\n"
		"route.\n"
		"With --udp a first channel along --to (through a relay) carries\n"
		"a UDP hole punch to the listener's node, through a rendezvous\n"
		"both nodes reach over UDP; the channel printed is then opened\n"
		"over the punched path, to the same listener and identity, and\n"
		"the first one closed. It fails when no path can be punched.\n"
		"Examples:\n"
		"  ockam secure-channel create --from n1 --to /node/n2/service/api\n"
		"  ockam secure-channel create --to /node/n2/service/api \\\n"
		"      | ockam message send hello --to -/service/uppercase\n"
		"  ockam secure-channel create --to /node/n2/service/api \\\n"
		"      --authorized \"$(ockam identity show --at n2)\"\n",
		.opts = create_opts, .run = channel_create,
	}, {
		.group = "secure-channel", .name = "list",
		.summary = "List a node's secure channels with their state and counters.",
		.description =
		"STATE is up while the peer is heard from, recovering while the\n"
		"channel looks for it again (REASON: route-down, peer-silent,\n"
		"route-set), down once it gave up (gave-up). SINCE: seconds in\n"
		"that state; HEARD: since the peer's last authenticated frame;\n"
		"MOVES: new return routes a responder adopted from its peer.\n",
		.opts = cli_at_netns_opts, .run = channel_list,
	}, {
		.group = "secure-channel", .name = "show",
		.summary = "Show a secure channel: peer, route, state, counters.",
		.description =
		"ADDRESS is the channel's route as create printed it\n"
		"(/service/ADDRESS) or the address alone.\n",
		.positionals = address_arg, .min_pos = 1,
		.opts = cli_at_netns_opts, .run = channel_show,
	}, {
		.group = "secure-channel", .name = "delete",
		.summary = "Close a secure channel at both ends.",
		.description =
		"The other node is told, and both kernels wipe the keys.\n"
		"Example:\n"
		"  ockam secure-channel delete /service/3c5d0f9e8a7b6c5d4e3f2a1b0c9d8e7f\n",
		.positionals = address_arg, .min_pos = 1,
		.opts = cli_at_netns_opts, .run = channel_delete,
	},
	{ 0 },
};
