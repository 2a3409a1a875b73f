// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockam tcp-connection create|list|show|delete. Creating one needs the
 * daemon (it dials, and re-dials when the connection drops); listing reads
 * the kernel's transport table; showing one joins the two (the daemon
 * knows a connection it re-dials even while the kernel has none);
 * deleting asks the daemon so it also stops re-dialing, or detaches
 * through netlink when the node has no daemon.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

enum {
	/* Longer than any dial timeout the kernel allows (60 s). */
	CONNECT_TIMEOUT_MS = 70000,
	STATUS_TIMEOUT_MS = 5000,
};

/*
 * --to takes HOST:PORT, or a route of exactly one TCP address
 * (/ip4/A/tcp/P, /dnsaddr/H/tcp/P, /node/NAME).
 */
static int peer_of(const char *to, char *peer, size_t size,
		   struct ockam_err *err)
{
	static struct ockam_route rt;
	char host[OCKAM_HOST_MAX + 1];
	uint16_t port;
	int ret;

	if (to[0] != '/') {
		ret = ockam_hostport_split(to, host, sizeof(host), &port,
					   false, err);
		if (ret < 0)
			return ret;
		snprintf(peer, size, "%s", to);
		return 0;
	}
	ret = ockam_route_parse(&rt, to, ockam_registry_resolve_node, NULL,
				err);
	if (ret < 0)
		return ret;
	if (rt.hops != 1 || rt.addr[0].type != OCKAM_ADDR_TCP)
		return ockam_err_set(err, -EINVAL,
				     "--to %s is not one TCP address", to);
	snprintf(peer, size, "%s", rt.addr[0].value);
	return 0;
}

static int connection_create(struct cli *cli, const struct cmd_spec *cmd,
			     const struct args *a)
{
	char peer[OCKAM_NAME_MAX], address[OCKAM_NAME_MAX];
	char local[OCKAM_NAME_MAX], *rec;
	struct ockam_ctl_reply reply;
	const char *to = args_value(cmd, a, "to"), *args[1];
	struct ockam_err err;
	struct target t;

	if (!to)
		return cli_usage(cmd, "--to HOST:PORT is required");
	if (peer_of(to, peer, sizeof(peer), &err) < 0)
		return cli_arg_fail(cmd, "--to: ", &err);
	args[0] = peer;
	if (target_daemon_call(args_value(cmd, a, "from"), &t,
			       "tcp-connection-create", 1, args,
			       CONNECT_TIMEOUT_MS, &reply, &err) < 0)
		return cli_fail_err(&err);
	rec = ockam_ctl_record_next(&reply);
	if (!rec || ockam_ctl_record_get(rec, "address", address,
					 sizeof(address)) < 0)
		return cli_fail("node %s sent no connection address", t.name);
	if (ockam_ctl_record_get(rec, "local", local, sizeof(local)) < 0)
		strcpy(local, "-");
	if (cli->json) {
		char route[OCKAM_NAME_MAX + 16];

		snprintf(route, sizeof(route), "/service/%s", address);
		json_object_begin(&cli->j, NULL);
		json_string(&cli->j, "address", address);
		json_string(&cli->j, "peer", peer);
		json_string(&cli->j, "local", local);
		json_string(&cli->j, "route", route);
		json_object_end(&cli->j);
		json_finish(&cli->j);
	} else {
		/* The route first, so it can be piped into "--to -...". */
		printf("/service/%s\n", address);
	}
	return CLI_OK;
}

static int connection_list(struct cli *cli, const struct cmd_spec *cmd,
			   const struct args *a)
{
	struct ockam_transport_info *list;
	struct ockam_nl *nl;
	struct ockam_err err;
	size_t count, i;
	int ret;

	if (target_nl_open(args_value(cmd, a, "from"), &nl, &err) < 0)
		return cli_fail_err(&err);
	ret = ockam_nl_transport_list(nl, &list, &count, &err);
	ockam_nl_close(nl);
	if (ret < 0)
		return cli_fail_err(&err);
	if (cli->json) {
		json_array_begin(&cli->j, NULL);
		for (i = 0; i < count; i++) {
			json_object_begin(&cli->j, NULL);
			json_string(&cli->j, "address", list[i].address);
			json_string(&cli->j, "peer", list[i].peer);
			json_string(&cli->j, "local", list[i].local);
			json_bool(&cli->j, "outgoing",
				  list[i].flags & OCKAM_TRANSPORT_F_OUTGOING);
			cli_stats_json(&cli->j, "stats", &list[i].stats);
			json_object_end(&cli->j);
		}
		json_array_end(&cli->j);
		json_finish(&cli->j);
	} else {
		if (count)
			printf("%-34s %-24s %-24s %-4s %10s %10s\n", "ADDRESS",
			       "PEER", "LOCAL", "DIR", "RX-MSGS", "TX-MSGS");
		for (i = 0; i < count; i++)
			printf("%-34s %-24s %-24s %-4s %10llu %10llu\n",
			       list[i].address, list[i].peer, list[i].local,
			       list[i].flags & OCKAM_TRANSPORT_F_OUTGOING ?
			       "out" : "in",
			       (unsigned long long)
			       list[i].stats.value[OCKAM_STAT_RX_MESSAGES],
			       (unsigned long long)
			       list[i].stats.value[OCKAM_STAT_TX_MESSAGES]);
	}
	free(list);
	return CLI_OK;
}

/* What "show" tells of one connection. */
struct connection_view {
	const struct ockam_transport_info *kernel;	/* NULL: none now */
	bool persistent;
	char peer[OCKAM_NAME_MAX];
	char state[16];
	unsigned long long redials, reconnects, since;
};

/* The daemon's record of persistent connection @address, if any. */
static void daemon_view(const char *from, const char *address,
			struct connection_view *v)
{
	struct ockam_ctl_reply reply;
	struct ockam_err err;
	struct target t;
	char *rec;

	/* A namespace without a daemon has no persistent connections. */
	if (target_daemon_call(from, &t, "status", 0, NULL, STATUS_TIMEOUT_MS,
			       &reply, &err) < 0)
		return;
	while ((rec = ockam_ctl_record_next(&reply))) {
		if (!cli_record_has(rec, "kind", "connection") ||
		    !cli_record_has(rec, "address", address))
			continue;
		v->persistent = true;
		if (ockam_ctl_record_get(rec, "peer", v->peer,
					 sizeof(v->peer)) < 0)
			strcpy(v->peer, "-");
		if (ockam_ctl_record_get(rec, "state", v->state,
					 sizeof(v->state)) < 0)
			strcpy(v->state, "-");
		v->redials = cli_record_number(rec, "redials");
		v->reconnects = cli_record_number(rec, "reconnects");
		v->since = cli_record_number(rec, "since");
	}
}

static void connection_show_json(struct json *j, const char *address,
				  const struct connection_view *v)
{
	const struct ockam_transport_info *k = v->kernel;

	json_object_begin(j, NULL);
	json_string(j, "address", address);
	json_string(j, "peer", k ? k->peer : v->peer);
	json_string(j, "local", k ? k->local : "-");
	json_bool(j, "outgoing", !k || k->flags & OCKAM_TRANSPORT_F_OUTGOING);
	json_bool(j, "persistent", v->persistent);
	json_string(j, "state", v->state);
	if (v->persistent) {
		json_uint(j, "since", v->since);
		json_uint(j, "redials", v->redials);
		json_uint(j, "reconnects", v->reconnects);
	}
	if (k)
		cli_stats_json(j, "stats", &k->stats);
	json_object_end(j);
	json_finish(j);
}

static void connection_show_text(const char *address,
				 const struct connection_view *v)
{
	const struct ockam_transport_info *k = v->kernel;
	long long age = (long long)time(NULL) - (long long)v->since;

	printf("address     %s\n", address);
	printf("peer        %s\n", k ? k->peer : v->peer);
	printf("local       %s\n", k ? k->local : "-");
	printf("direction   %s\n",
	       !k || k->flags & OCKAM_TRANSPORT_F_OUTGOING ? "out" : "in");
	if (v->persistent) {
		printf("state       %s for %llds (re-dialed by the daemon)\n",
		       v->state, age < 0 ? 0 : age);
		printf("redials     %llu since it was last up\n", v->redials);
		printf("reconnects  %llu\n", v->reconnects);
	} else {
		printf("state       %s (not re-dialed)\n", v->state);
	}
	if (k)
		printf("messages    %llu received, %llu sent\n",
		       (unsigned long long)
		       k->stats.value[OCKAM_STAT_RX_MESSAGES],
		       (unsigned long long)
		       k->stats.value[OCKAM_STAT_TX_MESSAGES]);
}

static int connection_show(struct cli *cli, const struct cmd_spec *cmd,
			   const struct args *a)
{
	static struct connection_view v;
	const char *address = a->pos[0], *from = args_value(cmd, a, "from");
	struct ockam_transport_info *list;
	struct ockam_nl *nl;
	struct ockam_err err;
	size_t count, i;
	int ret;

	if (!ockam_local_name_ok(address))
		return cli_usage(cmd, "'%s' is not a local address", address);
	strcpy(v.state, "up");
	daemon_view(from, address, &v);
	if (target_nl_open(from, &nl, &err) < 0)
		return cli_fail_err(&err);
	ret = ockam_nl_transport_list(nl, &list, &count, &err);
	ockam_nl_close(nl);
	if (ret < 0)
		return cli_fail_err(&err);
	for (i = 0; i < count; i++)
		if (!strcmp(list[i].address, address))
			v.kernel = &list[i];
	if (!v.kernel && !v.persistent) {
		free(list);
		return cli_fail("no TCP connection %s", address);
	}
	if (cli->json)
		connection_show_json(&cli->j, address, &v);
	else
		connection_show_text(address, &v);
	free(list);
	return CLI_OK;
}

static int connection_delete(struct cli *cli, const struct cmd_spec *cmd,
			     const struct args *a)
{
	const char *address = a->pos[0];
	struct ockam_err err;

	if (!ockam_local_name_ok(address))
		return cli_usage(cmd, "'%s' is not a local address", address);
	if (target_delete(args_value(cmd, a, "from"), "tcp-connection-delete",
			  address, ockam_nl_transport_detach, &err) < 0)
		return cli_fail_err(&err);
	return cli_print_deleted(cli, "TCP connection", address);
}

static const char *const address_arg[] = { "ADDRESS", NULL };

static const struct opt_spec create_opts[] = {
	{ "to", 0, OPT_VALUE, "HOST:PORT",
	  "where to connect (also /ip4/A/tcp/P, /node/NAME)" },
	{ "from", 0, OPT_VALUE, "NODE",
	  "the node that connects (default: the one in this network namespace)" },
	{ 0 },
};

static const struct opt_spec from_opts[] = {
	{ "from", 0, OPT_VALUE, "NODE",
	  "the node (default: this network namespace)" },
	{ 0 },
};

const struct cmd_spec tcp_connection_cmds[] = {
	{
		.group = "tcp-connection", .name = "create",
		.summary = "Connect to another node; print the route to the connection.",
		.description =
		"The node's daemon dials, hands the socket to the kernel and\n"
		"re-dials with backoff (0.5 s doubling to 10 s) if it drops,\n"
		"keeping the same address so routes through it keep working.\n"
		"Examples:\n"
		"  ockam tcp-connection create --from n1 --to 10.0.0.2:4000\n"
		"  ockam message send hi --from n1 \\\n"
		"      --to \"$(ockam tcp-connection create --from n1 --to /node/n2)/service/echo\"\n",
		.opts = create_opts, .run = connection_create,
	}, {
		.group = "tcp-connection", .name = "list",
		.summary = "List a node's TCP transports (dialed and accepted) with counters.",
		.opts = from_opts, .run = connection_list,
	}, {
		.group = "tcp-connection", .name = "show",
		.summary = "Show one TCP connection: its state, re-dials and counters.",
		.description =
		"ADDRESS is the connection's local address, as listed. A connection\n"
		"made with create is shown while it is down too, with its state\n"
		"(up, waiting to re-dial, dialing) and how often it was re-dialed.\n"
		"Example:\n"
		"  ockam tcp-connection show 3c5d0f9e8a7b6c5d4e3f2a1b0c9d8e7f --from n1\n",
		.positionals = address_arg, .min_pos = 1,
		.opts = from_opts, .run = connection_show,
	}, {
		.group = "tcp-connection", .name = "delete",
		.summary = "Close a TCP transport and stop re-dialing it.",
		.description =
		"ADDRESS is the connection's local address, as listed. Example:\n"
		"  ockam tcp-connection delete 3c5d0f9e8a7b6c5d4e3f2a1b0c9d8e7f --from n1\n",
		.positionals = address_arg, .min_pos = 1,
		.opts = from_opts, .run = connection_delete,
	},
	{ 0 },
};
