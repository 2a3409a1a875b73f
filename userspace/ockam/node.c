// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockam node create|delete|show|list
 */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

enum node_timeouts {
	STOP_WAIT_MS = 10000,	/* SIGTERM, then SIGKILL */
	KILL_WAIT_MS = 3000,
	POLL_STEP_MS = 20,
	STATUS_TIMEOUT_MS = 5000,
};

/* --udp-bind values one node create takes: ockamd's own limit. */
enum { NODE_UDP_BINDS_MAX = 8 };

/* ockamd next to this program, else the one on PATH ($OCKAMD wins). */
static void find_ockamd(char *path, size_t size)
{
	char self[OCKAM_PATH_MAX];
	const char *env = getenv("OCKAMD");
	ssize_t n;

	if (env && *env) {
		snprintf(path, size, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		snprintf(path, size, "%s/ockamd", dirname(self));
		if (access(path, X_OK) == 0)
			return;
	}
	snprintf(path, size, "ockamd");
}

/*
 * --channel-keepalive (0: off) and --channel-give-up, checked against the
 * kernel's ranges; *@given tells whether each was. CLI_OK or the usage
 * error.
 */
static int channel_timing_args(const struct cmd_spec *cmd,
			       const struct args *a, uint32_t *keepalive_ms,
			       bool *keepalive_given, uint32_t *give_up_ms)
{
	const char *keepalive = args_value(cmd, a, "channel-keepalive");
	const char *give_up = args_value(cmd, a, "channel-give-up");

	*keepalive_given = keepalive != NULL;
	*keepalive_ms = 0;
	*give_up_ms = 0;
	if (keepalive &&
	    (ockam_duration_parse_ms(keepalive, keepalive_ms) < 0 ||
	     (*keepalive_ms &&
	      (*keepalive_ms < OCKAM_CHANNEL_KEEPALIVE_MS_MIN ||
	       *keepalive_ms > OCKAM_CHANNEL_KEEPALIVE_MS_MAX))))
		return cli_usage(cmd,
				 "--channel-keepalive takes 0 (off) or %dms to %dm, not '%s'",
				 OCKAM_CHANNEL_KEEPALIVE_MS_MIN,
				 OCKAM_CHANNEL_KEEPALIVE_MS_MAX / 60000,
				 keepalive);
	if (give_up &&
	    (ockam_duration_parse_ms(give_up, give_up_ms) < 0 ||
	     *give_up_ms < OCKAM_CHANNEL_GIVE_UP_MS_MIN ||
	     *give_up_ms > OCKAM_CHANNEL_GIVE_UP_MS_MAX))
		return cli_usage(cmd,
				 "--channel-give-up takes %ds to %dm, not '%s'",
				 OCKAM_CHANNEL_GIVE_UP_MS_MIN / 1000,
				 OCKAM_CHANNEL_GIVE_UP_MS_MAX / 60000, give_up);
	return CLI_OK;
}

/*
 * The --udp-bind values, each checked as HOST:PORT (port 0 allowed), in
 * @udp. CLI_OK or the usage error.
 */
static int udp_bind_args(const struct cmd_spec *cmd, const struct args *a,
			 const char **udp, unsigned int *count)
{
	char host[OCKAM_HOST_MAX + 1];
	struct ockam_err err;
	unsigned int i, n;
	uint16_t port;

	n = args_values(cmd, a, "udp-bind", udp, NODE_UDP_BINDS_MAX);
	if (n > NODE_UDP_BINDS_MAX)
		return cli_usage(cmd, "--udp-bind: at most %d",
				 NODE_UDP_BINDS_MAX);
	for (i = 0; i < n; i++)
		if (ockam_hostport_split(udp[i], host, sizeof(host), &port,
					 true, &err) < 0)
			return cli_usage(cmd, "--udp-bind: %s",
					 ockam_err_msg(&err));
	*count = n;
	return CLI_OK;
}

/*
 * The UDP binds of a node just started, as its daemon lists them (the
 * addresses they got, for port 0): ", UDP bind H:P" each, or a "udp_binds"
 * array. Only a note: the node runs whatever this finds.
 */
static void created_udp_binds(struct cli *cli, const char *name)
{
	char address[OCKAM_HOSTPORT_MAX + 1];
	struct ockam_ctl_reply reply;
	struct ockam_err err;
	struct target t;
	char *rec;

	if (target_daemon_call(name, &t, "udp-bind-list", 0, NULL,
			       STATUS_TIMEOUT_MS, &reply, &err) < 0)
		return;
	if (cli->json)
		json_array_begin(&cli->j, "udp_binds");
	while ((rec = ockam_ctl_record_next(&reply))) {
		if (ockam_ctl_record_get(rec, "address", address,
					 sizeof(address)) < 0)
			continue;
		if (cli->json)
			json_string(&cli->j, NULL, address);
		else
			printf(", UDP bind %s", address);
	}
	if (cli->json)
		json_array_end(&cli->j);
}

/* --rendezvous: a route that starts with a UDP address (ockamd parses
 * it again, and resolves its names, at start).
 */
static int rendezvous_arg_ok(const struct cmd_spec *cmd, const char *text)
{
	static struct ockam_route rt;
	struct ockam_err err;

	if (!text)
		return CLI_OK;
	if (ockam_route_parse(&rt, text, NULL, NULL, &err) < 0)
		return cli_arg_fail(cmd, "--rendezvous: ", &err);
	if (!rt.hops || rt.addr[0].type != OCKAM_ADDR_UDP)
		return cli_usage(cmd, "--rendezvous: the route starts with a UDP address, e.g. /ip4/192.0.2.1/udp/4000");
	return CLI_OK;
}

static int node_create(struct cli *cli, const struct cmd_spec *cmd,
		       const struct args *a)
{
	const char *name = a->pos[0];
	const char *listener = args_value(cmd, a, "tcp-listener-address");
	const char *forward = args_value(cmd, a, "relay-forward");
	char ockamd[OCKAM_PATH_MAX], host[OCKAM_HOST_MAX + 1];
	char listeners[OCKAM_LISTENERS_MAX][OCKAM_HOSTPORT_MAX + 1];
	static char relay_ids[CLI_AUTHORIZED_MAX];
	const char *argv[18 + 2 * NODE_UDP_BINDS_MAX];
	const char *rendezvous = args_value(cmd, a, "rendezvous");
	const char *udp[NODE_UDP_BINDS_MAX];
	unsigned int nudp = 0;
	uint32_t keepalive_ms, give_up_ms;
	bool keepalive_given;
	struct ockam_err err;
	size_t count = 0, i;
	int argc = 0, status, ret;
	uint16_t port;
	pid_t pid;

	if (!ockam_node_name_ok(name))
		return cli_usage(cmd,
				 "'%s' is not a valid node name (1 to %d of A-Z a-z 0-9 _ . -, not starting with . or -)",
				 name, OCKAM_NODE_NAME_MAX);
	if (listener && ockam_hostport_split(listener, host, sizeof(host),
					     &port, true, &err) < 0)
		return cli_usage(cmd, "--tcp-listener-address: %s",
				 ockam_err_msg(&err));
	status = udp_bind_args(cmd, a, udp, &nudp);
	if (status)
		return status;
	if (forward && strcmp(forward, "channel") && strcmp(forward, "direct"))
		return cli_usage(cmd, "--relay-forward: '%s' is not channel or direct",
				 forward);
	status = cli_identifiers_arg(cmd, a, "relay-authorized", relay_ids,
				     sizeof(relay_ids));
	if (status)
		return status;
	status = channel_timing_args(cmd, a, &keepalive_ms, &keepalive_given,
				     &give_up_ms);
	if (status)
		return status;
	status = rendezvous_arg_ok(cmd, rendezvous);
	if (status)
		return status;
	if (ockam_node_running(name, &pid) == 1)
		return cli_fail("node %s already exists and is running (pid %d)",
				name, (int)pid);

	find_ockamd(ockamd, sizeof(ockamd));
	argv[argc++] = "ockamd";
	argv[argc++] = "--node";
	argv[argc++] = name;
	if (listener) {
		argv[argc++] = "--tcp-listener-address";
		argv[argc++] = listener;
	}
	for (i = 0; i < nudp; i++) {
		argv[argc++] = "--udp-bind";
		argv[argc++] = udp[i];
	}
	if (relay_ids[0]) {
		argv[argc++] = "--relay-authorized";
		argv[argc++] = relay_ids;
	}
	if (forward) {
		argv[argc++] = "--relay-forward";
		argv[argc++] = forward;
	}
	if (rendezvous) {
		argv[argc++] = "--rendezvous";
		argv[argc++] = rendezvous;
	}
	/* As written: ockamd reads durations the same way. */
	if (keepalive_given) {
		argv[argc++] = "--channel-keepalive";
		argv[argc++] = args_value(cmd, a, "channel-keepalive");
	}
	if (give_up_ms) {
		argv[argc++] = "--channel-give-up";
		argv[argc++] = args_value(cmd, a, "channel-give-up");
	}
	if (args_flag(cmd, a, "foreground"))
		argv[argc++] = "--foreground";
	argv[argc] = NULL;

	fflush(stdout);
	if (args_flag(cmd, a, "foreground")) {
		execvp(ockamd, (char *const *)argv);
		return cli_fail("cannot run %s: %s", ockamd, strerror(errno));
	}
	pid = fork();
	if (pid < 0)
		return cli_fail("fork: %s", strerror(errno));
	if (!pid) {
		execvp(ockamd, (char *const *)argv);
		fprintf(stderr, "error: cannot run %s: %s\n", ockamd,
			strerror(errno));
		_exit(CLI_ERROR);
	}
	/* ockamd returns once the node is up, or has said why not. */
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return cli_fail("waitpid: %s", strerror(errno));
	}
	/*
	 * ockamd said why, and removed the directory if it made it: only
	 * the holder of the node lock may, or two "node create" at once
	 * could remove each other's node.
	 */
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return CLI_ERROR;

	ret = ockam_node_running(name, &pid);
	if (ret < 0)
		return cli_fail("node %s: %s", name, strerror(-ret));
	if (!ret)
		return cli_fail("node %s started, but is no longer running",
				name);
	ockam_node_listeners(name, listeners, OCKAM_LISTENERS_MAX, &count);
	if (cli->json) {
		json_object_begin(&cli->j, NULL);
		json_string(&cli->j, "name", name);
		json_int(&cli->j, "pid", pid);
		json_array_begin(&cli->j, "listeners");
		for (i = 0; i < count; i++)
			json_string(&cli->j, NULL, listeners[i]);
		json_array_end(&cli->j);
		if (nudp)
			created_udp_binds(cli, name);
		json_object_end(&cli->j);
		json_finish(&cli->j);
	} else {
		printf("Node %s created (pid %d)", name, (int)pid);
		if (count)
			printf(", TCP listener %s", listeners[0]);
		if (nudp)
			created_udp_binds(cli, name);
		printf("\n");
	}
	return CLI_OK;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait until node @name is no longer running; false on timeout. */
static bool wait_stopped(const char *name, long ms)
{
	for (; ms > 0; ms -= POLL_STEP_MS) {
		if (ockam_node_running(name, NULL) != 1)
			return true;
		sleep_ms(POLL_STEP_MS);
	}
	return ockam_node_running(name, NULL) != 1;
}

/*
 * Signal node @name's daemon, @pid as its lock said. The pid is pinned
 * with a pidfd and checked to still hold the lock, so that a pid
 * recycled since the lock was asked is never signalled.
 */
static int signal_daemon(const char *name, pid_t pid, int sig)
{
	pid_t holder;
	int pidfd, ret = 0;

	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0 && errno == ENOSYS)
		return kill(pid, sig) < 0 && errno != ESRCH ? -errno : 0;
	if (pidfd < 0)
		return errno == ESRCH ? 0 : -errno;
	if (ockam_node_running(name, &holder) == 1 && holder == pid &&
	    pidfd_send_signal(pidfd, sig, NULL, 0) < 0 && errno != ESRCH)
		ret = -errno;
	close(pidfd);
	return ret;
}

/* SIGTERM, then SIGKILL, until node @name's lock is free. */
static int stop_daemon(const char *name, pid_t pid, struct ockam_err *err)
{
	int ret;

	if (pid <= 0)
		return ockam_err_set(err, -EPERM,
				     "node %s is run by a process this one cannot see",
				     name);
	ret = signal_daemon(name, pid, SIGTERM);
	if (ret < 0)
		return ockam_err_set(err, ret, "cannot stop node %s (pid %d): %s",
				     name, (int)pid, strerror(-ret));
	if (wait_stopped(name, STOP_WAIT_MS))
		return 0;
	signal_daemon(name, pid, SIGKILL);
	if (wait_stopped(name, KILL_WAIT_MS))
		return 0;
	return ockam_err_set(err, -ETIMEDOUT, "node %s (pid %d) does not stop",
			     name, (int)pid);
}

/*
 * Stop the daemon, then remove the directory holding the node lock, so
 * that a daemon starting meanwhile either fails to take the lock or finds
 * its directory gone, and never loses its files to us.
 */
static int delete_one(const char *name, struct ockam_err *err)
{
	struct ockam_err inner;
	int dir_fd, lock_fd, ret;
	pid_t pid;

	dir_fd = ockam_node_dir_open(name, false, NULL, &inner);
	if (dir_fd == -ENOENT)
		return ockam_err_set(err, -ENOENT, "node %s does not exist",
				     name);
	if (dir_fd < 0)
		return ockam_err_set(err, dir_fd, "node %s: %s", name,
				     ockam_err_msg(&inner));
	lock_fd = ockam_node_lock(dir_fd, &pid, &inner);
	if (lock_fd == -EWOULDBLOCK) {
		ret = stop_daemon(name, pid, err);
		if (ret < 0)
			goto out;
		lock_fd = ockam_node_lock(dir_fd, &pid, &inner);
		if (lock_fd == -EWOULDBLOCK) {
			ret = ockam_err_set(err, -EBUSY,
					    "node %s was started again while being deleted",
					    name);
			goto out;
		}
	}
	if (lock_fd < 0) {
		ret = ockam_err_set(err, lock_fd, "node %s: %s", name,
				    ockam_err_msg(&inner));
		goto out;
	}
	ret = ockam_node_dir_remove(name, dir_fd, err);
	/* Only now: the lock goes with the last descriptor of its file. */
	close(lock_fd);
out:
	close(dir_fd);
	return ret;
}

static int node_delete(struct cli *cli, const struct cmd_spec *cmd,
		       const struct args *a)
{
	bool all = args_flag(cmd, a, "all");
	struct ockam_err err;
	char **names = NULL;
	size_t count = 0, i;
	int ret, status = CLI_OK;

	if (all == (a->npos == 1))
		return cli_usage(cmd, "give either a node NAME or --all");
	if (all) {
		ret = ockam_node_names(&names, &count);
		if (ret < 0)
			return cli_fail("cannot read the node registry: %s",
					strerror(-ret));
	} else {
		const char *name = ockam_node_name_strip(a->pos[0]);

		if (!name)
			return cli_usage(cmd, "'%s' is not a node name",
					 a->pos[0]);
		names = malloc(sizeof(*names));
		if (!names || !(names[0] = strdup(name))) {
			free(names);
			return cli_fail("out of memory");
		}
		count = 1;
	}
	if (cli->json)
		json_array_begin(&cli->j, NULL);
	for (i = 0; i < count; i++) {
		if (delete_one(names[i], &err) < 0) {
			status = cli_fail_err(&err);
			continue;
		}
		if (cli->json)
			json_string(&cli->j, NULL, names[i]);
		else
			printf("Node %s deleted\n", names[i]);
	}
	if (cli->json) {
		json_array_end(&cli->j);
		json_finish(&cli->j);
	}
	ockam_node_names_free(names, count);
	return status;
}

/* ------------------------------------------------------------------ show */

enum { STATUS_RECORDS_MAX = 512 };

/* The records of a status reply, split once. */
struct status_records {
	char *rec[STATUS_RECORDS_MAX];
	size_t count;
};

static void split_records(struct ockam_ctl_reply *reply,
			  struct status_records *sr)
{
	char *rec;

	sr->count = 0;
	while ((rec = ockam_ctl_record_next(reply)) &&
	       sr->count < STATUS_RECORDS_MAX)
		sr->rec[sr->count++] = rec;
}

static bool record_is(const char *rec, const char *kind)
{
	return cli_record_has(rec, "kind", kind);
}

/* Field @key of @rec, or "?" when the daemon did not send it. */
static const char *field(const char *rec, const char *key, char *buf,
			 size_t size)
{
	if (ockam_ctl_record_get(rec, key, buf, size) < 0)
		snprintf(buf, size, "?");
	return buf;
}

static void show_daemon_text(const struct status_records *sr)
{
	char a[OCKAM_NAME_MAX], b[OCKAM_NAME_MAX], c[64];
	size_t i;

	for (i = 0; i < sr->count; i++) {
		const char *rec = sr->rec[i];

		field(rec, record_is(rec, "puncture") ? "peer" : "address", a,
		      sizeof(a));
		if (record_is(rec, "listener"))
			printf("  TCP listener     %s (%s accepted)\n", a,
			       field(rec, "accepted", c, sizeof(c)));
		else if (record_is(rec, "udp-bind"))
			printf("  UDP bind         %s (%s, %s peers)\n", a,
			       field(rec, "name", b, sizeof(b)),
			       field(rec, "peers", c, sizeof(c)));
		else if (record_is(rec, "service"))
			printf("  service          /service/%s (%s handled)\n",
			       a, field(rec, "handled", c, sizeof(c)));
		else if (record_is(rec, "connection"))
			printf("  TCP connection   %s to %s (%s)\n", a,
			       field(rec, "peer", b, sizeof(b)),
			       field(rec, "state", c, sizeof(c)));
		else if (record_is(rec, "puncture"))
			printf("  UDP puncture     %s with %s (%s)\n",
			       field(rec, "role", b, sizeof(b)), a,
			       field(rec, "state", c, sizeof(c)));
		else if (record_is(rec, "secure-channel-listener"))
			printf("  secure listener  /service/%s (identity %s, %s established)\n",
			       a, field(rec, "identity", b, sizeof(b)),
			       field(rec, "established", c, sizeof(c)));
	}
}

/* One JSON array per record kind, with the fields it carries. */
static void show_daemon_json(struct json *j, const struct status_records *sr)
{
	static const struct {
		const char *kind;
		const char *key;
		const char *strings[3];		/* text fields */
		const char *numbers[3];		/* counters */
	} kinds[] = {
		{ "listener", "listeners", { "address" }, { "accepted" } },
		{ "udp-bind", "udp_binds", { "address", "name" },
		  { "peers", "rx-messages", "tx-messages" } },
		{ "service", "services", { "address" },
		  { "handled", "dropped" } },
		{ "connection", "connections", { "address", "peer", "state" },
		  { "redials", "reconnects", "since" } },
		{ "secure-channel-listener", "secure_channel_listeners",
		  { "address", "identity" }, { "pending", "established" } },
		{ "puncture", "punctures", { "role", "state", "peer" },
		  { "heartbeats" } },
	};
	char val[OCKAM_NAME_MAX];
	size_t k, i, f;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		json_array_begin(j, kinds[k].key);
		for (i = 0; i < sr->count; i++) {
			const char *rec = sr->rec[i];

			if (!record_is(rec, kinds[k].kind))
				continue;
			json_object_begin(j, NULL);
			for (f = 0; f < 3 && kinds[k].strings[f]; f++)
				json_string(j, kinds[k].strings[f],
					    field(rec, kinds[k].strings[f], val,
						  sizeof(val)));
			for (f = 0; f < 3 && kinds[k].numbers[f]; f++)
				cli_json_counter(j, kinds[k].numbers[f],
						 strtoull(field(rec,
								kinds[k].numbers[f],
								val, sizeof(val)),
							  NULL, 10));
			json_object_end(j);
		}
		json_array_end(j);
	}
}

static int node_show(struct cli *cli, const struct cmd_spec *cmd,
		     const struct args *a)
{
	static struct status_records sr;
	struct ockam_ctl_reply reply;
	struct ockam_node_info info;
	struct ockam_address_info *reserved;
	size_t nreserved;
	struct ockam_nl *nl;
	struct ockam_err err;
	struct target t;
	char version[32] = "?";
	size_t i;
	int ret;

	(void)cmd;
	if (target_daemon_call(a->npos ? a->pos[0] : NULL, &t, "status", 0,
			       NULL, STATUS_TIMEOUT_MS, &reply, &err) < 0)
		return cli_fail_err(&err);
	split_records(&reply, &sr);
	for (i = 0; i < sr.count; i++)
		if (record_is(sr.rec[i], "node"))
			field(sr.rec[i], "version", version, sizeof(version));

	if (target_enter_node(&t, &err) < 0 || ockam_nl_open(&nl, &err) < 0)
		return cli_fail_err(&err);
	ret = ockam_nl_node_get(nl, &info, &err);
	if (!ret)
		ret = ockam_nl_reserved_list(nl, &reserved, &nreserved, &err);
	ockam_nl_close(nl);
	if (ret < 0)
		return cli_fail_err(&err);

	if (cli->json) {
		json_object_begin(&cli->j, NULL);
		json_string(&cli->j, "name", t.name);
		json_string(&cli->j, "status", "running");
		json_int(&cli->j, "pid", t.pid);
		json_string(&cli->j, "version", version);
		show_daemon_json(&cli->j, &sr);
		json_object_begin(&cli->j, "kernel");
		json_uint(&cli->j, "family", info.family);
		json_uint(&cli->j, "max_message", info.max_message);
		json_uint(&cli->j, "hop_limit", info.hop_limit);
		json_uint(&cli->j, "dial_timeout_ms", info.dial_timeout_ms);
		json_uint(&cli->j, "address_count", info.address_count);
		json_bool(&cli->j, "dial_forwarded", info.dial_forwarded);
		json_uint(&cli->j, "channel_keepalive_ms",
			  info.channel_keepalive_ms);
		json_uint(&cli->j, "channel_give_up_ms",
			  info.channel_give_up_ms);
		json_uint(&cli->j, "udp_datagram", info.udp_datagram);
		json_array_begin(&cli->j, "reserved");
		for (i = 0; i < nreserved; i++)
			json_string(&cli->j, NULL, reserved[i].address);
		json_array_end(&cli->j);
		cli_stats_json(&cli->j, "stats", &info.stats);
		json_object_end(&cli->j);
		json_object_end(&cli->j);
		json_finish(&cli->j);
		free(reserved);
		return CLI_OK;
	}
	printf("Node %s\n", t.name);
	printf("  status           running (pid %d, ockamd %s)\n", (int)t.pid,
	       version);
	show_daemon_text(&sr);
	printf("  kernel           family %u, max message %u, hop limit %u, dial timeout %u ms, %u addresses\n",
	       info.family, info.max_message, info.hop_limit,
	       info.dial_timeout_ms, info.address_count);
	printf("  dials            for local senders%s\n",
	       info.dial_forwarded ? " and forwarded messages" : " only");
	if (info.channel_keepalive_ms)
		printf("  channels         keepalive after %u ms of silence, given up after %u ms\n",
		       info.channel_keepalive_ms, info.channel_give_up_ms);
	else
		printf("  channels         no keepalives, given up after %u ms\n",
		       info.channel_give_up_ms);
	printf("  UDP              datagrams of %u bytes\n", info.udp_datagram);
	printf("  reserved names  ");
	for (i = 0; i < nreserved; i++)
		printf(" %s", reserved[i].address);
	printf("\n");
	free(reserved);
	printf("  counters\n");
	cli_stats_text(stdout, "    ", &info.stats);
	return CLI_OK;
}

/* A whole number within [@min, @max] for option @name, or -1. */
static long setting_value(const struct cmd_spec *cmd, const struct args *a,
			  const char *name, long min, long max)
{
	const char *text = args_value(cmd, a, name);
	char *end;
	long v;

	if (!text)
		return 0;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		return -1;
	return v;
}

static int node_set(struct cli *cli, const struct cmd_spec *cmd,
		    const struct args *a)
{
	enum { NAMES_MAX = 32 };
	const char *reserve[NAMES_MAX], *release[NAMES_MAX];
	unsigned int nreserve, nrelease, i;
	struct ockam_node_settings set = { 0 };
	bool settings;
	int status;
	const char *timeout = args_value(cmd, a, "dial-timeout");
	const char *forward = args_value(cmd, a, "dial-forwarded");
	struct ockam_nl *nl;
	struct ockam_err err;
	long v;
	int ret;

	(void)cli;
	v = setting_value(cmd, a, "max-message", OCKAM_MAX_MESSAGE_MIN,
			  OCKAM_MAX_MESSAGE_MAX);
	if (v < 0)
		return cli_usage(cmd, "--max-message takes %d to %d bytes",
				 OCKAM_MAX_MESSAGE_MIN, OCKAM_MAX_MESSAGE_MAX);
	set.max_message = v;
	v = setting_value(cmd, a, "hop-limit", 1, OCKAM_ROUTE_HOPS_MAX);
	if (v < 0)
		return cli_usage(cmd, "--hop-limit takes 1 to %d",
				 OCKAM_ROUTE_HOPS_MAX);
	set.hop_limit = v;
	v = setting_value(cmd, a, "udp-datagram", OCKAM_UDP_DATAGRAM_MIN,
			  OCKAM_UDP_DATAGRAM_MAX);
	if (v < 0)
		return cli_usage(cmd, "--udp-datagram takes %d to %d bytes",
				 OCKAM_UDP_DATAGRAM_MIN, OCKAM_UDP_DATAGRAM_MAX);
	set.udp_datagram = v;
	if (timeout) {
		v = cli_parse_duration_ms(timeout);
		if (v < OCKAM_DIAL_TIMEOUT_MS_MIN ||
		    v > OCKAM_DIAL_TIMEOUT_MS_MAX)
			return cli_usage(cmd,
					 "--dial-timeout takes %dms to %ds, not '%s'",
					 OCKAM_DIAL_TIMEOUT_MS_MIN,
					 OCKAM_DIAL_TIMEOUT_MS_MAX / 1000,
					 timeout);
		set.dial_timeout_ms = v;
	}
	if (forward) {
		if (strcmp(forward, "on") && strcmp(forward, "off"))
			return cli_usage(cmd,
					 "--dial-forwarded takes on or off, not '%s'",
					 forward);
		set.set_dial_forwarded = true;
		set.dial_forwarded = !strcmp(forward, "on");
	}
	status = channel_timing_args(cmd, a, &set.channel_keepalive_ms,
				     &set.set_channel_keepalive,
				     &set.channel_give_up_ms);
	if (status)
		return status;
	nreserve = args_values(cmd, a, "reserve", reserve, NAMES_MAX);
	nrelease = args_values(cmd, a, "release", release, NAMES_MAX);
	settings = set.max_message || set.hop_limit || set.dial_timeout_ms ||
		   set.set_dial_forwarded || set.set_channel_keepalive ||
		   set.channel_give_up_ms || set.udp_datagram;
	if (!settings && !nreserve && !nrelease)
		return cli_usage(cmd, "nothing to set");

	if (target_nl_open(a->npos ? a->pos[0] : NULL, &nl, &err) < 0)
		return cli_fail_err(&err);
	ret = settings ? ockam_nl_node_set(nl, &set, &err) : 0;
	for (i = 0; i < nreserve && ret >= 0; i++)
		ret = ockam_nl_reserved_add(nl, reserve[i], &err);
	for (i = 0; i < nrelease && ret >= 0; i++)
		ret = ockam_nl_reserved_del(nl, release[i], &err);
	ockam_nl_close(nl);
	if (ret < 0)
		return cli_fail_err(&err);
	return CLI_OK;
}

static int node_list(struct cli *cli, const struct cmd_spec *cmd,
		     const struct args *a)
{
	char listeners[1][OCKAM_HOSTPORT_MAX + 1];
	char **names;
	size_t count, i, n;
	int ret;

	(void)cmd;
	(void)a;
	ret = ockam_node_names(&names, &count);
	if (ret < 0)
		return cli_fail("cannot read the node registry: %s",
				strerror(-ret));
	if (cli->json)
		json_array_begin(&cli->j, NULL);
	else if (count)
		printf("%-20s %-8s %-8s %s\n", "NAME", "STATUS", "PID",
		       "TCP LISTENER");
	for (i = 0; i < count; i++) {
		pid_t pid = 0;
		bool running = ockam_node_running(names[i], &pid) == 1;

		n = 0;
		if (running)
			ockam_node_listeners(names[i], listeners, 1, &n);
		if (cli->json) {
			json_object_begin(&cli->j, NULL);
			json_string(&cli->j, "name", names[i]);
			json_string(&cli->j, "status",
				    running ? "running" : "stopped");
			if (running)
				json_int(&cli->j, "pid", pid);
			if (n)
				json_string(&cli->j, "tcp_listener",
					    listeners[0]);
			json_object_end(&cli->j);
		} else {
			char pidtext[16] = "-";

			if (running)
				snprintf(pidtext, sizeof(pidtext), "%d",
					 (int)pid);
			printf("%-20s %-8s %-8s %s\n", names[i],
			       running ? "running" : "stopped", pidtext,
			       n ? listeners[0] : "-");
		}
	}
	if (cli->json) {
		json_array_end(&cli->j);
		json_finish(&cli->j);
	}
	ockam_node_names_free(names, count);
	return CLI_OK;
}

static const char *const name_arg[] = { "NAME", NULL };

static const struct opt_spec create_opts[] = {
	{ "tcp-listener-address", 't', OPT_VALUE, "HOST:PORT",
	  "the node's first TCP listener (default 127.0.0.1:0)" },
	{ "udp-bind", 0, OPT_REPEAT, "HOST:PORT",
	  "a UDP bind of the node (repeatable, up to 8; default none)" },
	{ "relay-authorized", 0, OPT_REPEAT, "ID",
	  "only this identity may register relays here (repeatable; default any)" },
	{ "rendezvous", 0, OPT_VALUE, "ROUTE",
	  "where the node learns its public UDP address when a peer asks it to punch a path (default: it refuses)" },
	{ "relay-forward", 0, OPT_VALUE, "channel|direct",
	  "forward relays inside the registrant's channel (default) or along the path under it" },
	{ "channel-keepalive", 0, OPT_VALUE, "DURATION",
	  "a secure channel silent this long sends a keepalive; 0: off (default 10s)" },
	{ "channel-give-up", 0, OPT_VALUE, "DURATION",
	  "a channel that cannot reach its peer this long is down (default 5m)" },
	{ "foreground", 'f', OPT_FLAG, NULL,
	  "run ockamd in this terminal instead of in the background" },
	{ 0 },
};

static const struct opt_spec delete_opts[] = {
	{ "all", 'a', OPT_FLAG, NULL, "delete every node" },
	{ "yes", 'y', OPT_FLAG, NULL,
	  "accepted for compatibility; nothing is asked" },
	{ 0 },
};

static const struct opt_spec set_opts[] = {
	{ "max-message", 0, OPT_VALUE, "BYTES",
	  "largest message, routes included (4096 to 16777216)" },
	{ "hop-limit", 0, OPT_VALUE, "N",
	  "transport hops a message may take (1 to 64)" },
	{ "dial-timeout", 0, OPT_VALUE, "DURATION",
	  "how long a message waits for a connection (100ms to 60s)" },
	{ "udp-datagram", 0, OPT_VALUE, "BYTES",
	  "UDP payload of each datagram the node sends (256 to 65507)" },
	{ "dial-forwarded", 0, OPT_VALUE, "on|off",
	  "whether messages from other nodes may make this node dial (off)" },
	{ "channel-keepalive", 0, OPT_VALUE, "DURATION",
	  "a secure channel silent this long sends a keepalive (0: off, or 100ms to 60m)" },
	{ "channel-give-up", 0, OPT_VALUE, "DURATION",
	  "a channel that cannot reach its peer this long is down (1s to 1440m)" },
	{ "reserve", 0, OPT_REPEAT, "ADDRESS",
	  "only admins may bind this local address from now on" },
	{ "release", 0, OPT_REPEAT, "ADDRESS",
	  "anyone may bind this local address again" },
	{ 0 },
};

static const struct opt_spec no_opts[] = {
	{ 0 },
};

const struct cmd_spec node_cmds[] = {
	{
		.group = "node", .name = "create",
		.summary = "Create a node: start its ockamd in this network namespace.",
		.description =
		"A node is a network namespace; its daemon, ockamd, serves\n"
		"/service/echo and /service/uppercase, owns TCP listeners and\n"
		"dials connections. Its state lives in $OCKAM_HOME/nodes/NAME.\n"
		"A network namespace holds one node.\n"
		"\n"
		"Examples:\n"
		"  ockam node create n1\n"
		"  ockam node create relay --tcp-listener-address 10.0.0.1:4000\n"
		"  ockam node create n1 --channel-keepalive 2s --channel-give-up 1m\n"
		"  ockam node create n1 --udp-bind 10.0.0.1:4000\n",
		.positionals = name_arg, .min_pos = 1,
		.opts = create_opts, .run = node_create,
	}, {
		.group = "node", .name = "delete",
		.summary = "Stop a node's daemon and remove its state.",
		.description =
		"Its connections close with it. Example:\n"
		"  ockam node delete n1\n",
		.positionals = name_arg, .min_pos = 0,
		.opts = delete_opts, .run = node_delete,
	}, {
		.group = "node", .name = "show",
		.summary = "Show a node: daemon, listeners, services, kernel settings and counters.",
		.description =
		"Without NAME, the node running in this network namespace.\n"
		"Example:\n"
		"  ockam node show n1 -j\n",
		.positionals = name_arg, .min_pos = 0,
		.opts = no_opts, .run = node_show,
	}, {
		.group = "node", .name = "set",
		.summary = "Change a node's kernel settings.",
		.description =
		"Without NAME, the node running in this network namespace.\n"
		"--dial-forwarded is off by default: a forwarded message whose\n"
		"next TCP hop has no connection is dropped, so peers cannot make\n"
		"this node connect anywhere. A relay forwards over connections\n"
		"made with tcp-connection create; 'on' lets any peer make it\n"
		"dial any host:port. Reserved addresses can be bound only by a\n"
		"process with CAP_NET_ADMIN (the daemon reserves its services\n"
		"and listeners). Examples:\n"
		"  ockam node set n2 --dial-forwarded on\n"
		"  ockam node set n1 --max-message 65536 --dial-timeout 2s\n"
		"  ockam node set n1 --udp-datagram 1200\n"
		"  ockam node set n1 --reserve billing --release echo\n",
		.positionals = name_arg, .min_pos = 0,
		.opts = set_opts, .run = node_set,
	}, {
		.group = "node", .name = "list",
		.summary = "List the nodes in the registry and whether they run.",
		.opts = no_opts, .run = node_list,
	},
	{ 0 },
};
