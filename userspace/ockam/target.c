// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Which node a command acts on, and reaching it: the daemon over its
 * control socket, the kernel by entering the node's network namespace.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { STDIN_ROUTE_MAX = OCKAM_ROUTE_TEXT_MAX };

static int node_by_name(const char *opt, struct target *t,
			struct ockam_err *err)
{
	const char *name = ockam_node_name_strip(opt);
	int ret;

	if (!name)
		return ockam_err_set(err, -EINVAL,
				     "'%s' is not a node name", opt);
	snprintf(t->name, sizeof(t->name), "%s", name);
	ret = ockam_node_running(name, &t->pid);
	if (ret < 0)
		return ockam_err_set(err, ret, "node %s: %s", name,
				     strerror(-ret));
	if (!ret) {
		char dir[OCKAM_PATH_MAX];

		if (ockam_node_dir(name, dir, sizeof(dir)) == 0 &&
		    access(dir, F_OK) == 0)
			return ockam_err_set(err, -ESRCH,
					     "node %s is not running", name);
		return ockam_err_set(err, -ENOENT, "node %s does not exist",
				     name);
	}
	return 0;
}

int target_node(const char *opt, struct target *t, struct ockam_err *err)
{
	int ret;

	if (opt)
		return node_by_name(opt, t, err);
	ret = ockam_node_in_current_netns(t->name, sizeof(t->name), &t->pid);
	if (ret < 0)
		return ockam_err_set(err, ret, "cannot read the node registry: %s",
				     strerror(-ret));
	if (!ret)
		return ockam_err_set(err, -ENOENT,
				     "no node runs in this network namespace; create one with 'ockam node create NAME' or name one with --at/--from");
	return 0;
}

int target_enter_node(const struct target *t, struct ockam_err *err)
{
	pid_t now;
	int ret;

	if (ockam_netns_same(t->pid) == 1)
		return 0;
	ret = ockam_netns_enter(t->pid, err);
	if (ret < 0)
		return ret;
	/*
	 * The pid came from the node lock. Had the daemon died since, the
	 * pid could be another process's by now, and its namespace the
	 * wrong one: the lock must still say the same.
	 */
	if (ockam_node_running(t->name, &now) != 1 || now != t->pid)
		return ockam_err_set(err, -ESRCH, "node %s stopped meanwhile",
				     t->name);
	return 0;
}

int target_enter(const char *opt, struct ockam_err *err)
{
	struct target t;
	int ret;

	if (!opt)
		return 0;
	ret = node_by_name(opt, &t, err);
	if (ret < 0)
		return ret;
	return target_enter_node(&t, err);
}

int target_nl_open(const char *opt, struct ockam_nl **nl,
		   struct ockam_err *err)
{
	int ret = target_enter(opt, err);

	if (ret < 0)
		return ret;
	return ockam_nl_open(nl, err);
}

int target_call(const struct target *t, const char *verb, unsigned int argc,
		const char *const *argv, int timeout_ms,
		struct ockam_ctl_reply *reply, struct ockam_err *err)
{
	/* One command, one request at a time: the reply can live here. */
	static char buf[OCKAM_CTL_REPLY_MAX + 1];
	char request[OCKAM_CTL_REQUEST_MAX + 1];
	ssize_t len;

	len = ockam_ctl_request_build(request, sizeof(request), verb, argc,
				      argv);
	if (len < 0)
		return ockam_err_set(err, len,
				     "cannot send that to the daemon: arguments must be printable and without spaces");
	return ockam_ctl_call(t->name, request, len, timeout_ms, buf,
			      sizeof(buf), reply, err);
}

int target_daemon_call(const char *opt, struct target *t, const char *verb,
		       unsigned int argc, const char *const *argv,
		       int timeout_ms, struct ockam_ctl_reply *reply,
		       struct ockam_err *err)
{
	int ret = target_node(opt, t, err);

	if (ret < 0)
		return ret;
	return target_call(t, verb, argc, argv, timeout_ms, reply, err);
}

int cli_call_at(const struct cmd_spec *cmd, const struct args *a,
		const char *verb, unsigned int argc, const char *const *argv,
		struct ockam_ctl_reply *reply, struct target *t)
{
	struct target node;
	struct ockam_err err;

	if (target_daemon_call(args_value(cmd, a, "at"), t ? t : &node, verb,
			       argc, argv, CLI_CALL_TIMEOUT_MS, reply,
			       &err) < 0)
		return cli_fail_err(&err);
	return CLI_OK;
}

int target_delete(const char *opt, const char *verb, const char *address,
		  int (*kernel_del)(struct ockam_nl *nl, const char *address,
				    struct ockam_err *err),
		  struct ockam_err *err)
{
	struct ockam_ctl_reply reply;
	struct ockam_nl *nl;
	struct target t;
	int ret;

	ret = target_node(opt, &t, err);
	if (ret == 0)
		return target_call(&t, verb, 1, &address, CLI_CALL_TIMEOUT_MS,
				   &reply, err);
	if (opt)
		return ret;
	ret = ockam_nl_open(&nl, err);
	if (ret < 0)
		return ret;
	ret = kernel_del(nl, address, err);
	ockam_nl_close(nl);
	return ret;
}

static int route_compose(const char *text, const char *piped,
			 struct ockam_route *rt, struct ockam_err *err)
{
	static struct ockam_route rest;
	int ret;

	if (text[0] != '-')
		return ockam_route_parse(rt, text, ockam_registry_resolve_node,
					 NULL, err);
	if (!piped)
		return ockam_err_set(err, -EINVAL,
				     "route \"%s\" starts with '-' but nothing was piped in",
				     text);
	ret = ockam_route_parse(rt, piped, ockam_registry_resolve_node, NULL,
				err);
	if (ret < 0)
		return ret;
	if (!rt->hops)
		return ockam_err_set(err, -EINVAL,
				     "standard input held no route for '-'");
	ret = ockam_route_parse(&rest, text + 1, ockam_registry_resolve_node,
				NULL, err);
	if (ret < 0)
		return ret;
	return ockam_route_append(rt, &rest, err);
}

int cli_route_compose(const char *text, const char *piped,
		      struct ockam_route *rt, struct ockam_err *err)
{
	int ret = route_compose(text, piped, rt, err);

	return ret < 0 ? ret : ockam_route_resolve_udp(rt, err);
}

/*
 * Standard input, trimmed of surrounding whitespace. One byte more than
 * STDIN_ROUTE_MAX is read, to tell a route that fits from one that does
 * not: a cut route could still parse, as a different route.
 */
static char *read_stdin_route(struct ockam_err *err)
{
	char *buf = malloc(STDIN_ROUTE_MAX + 2);
	size_t len = 0, start = 0;
	ssize_t n;

	if (!buf) {
		ockam_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	while (len <= STDIN_ROUTE_MAX &&
	       (n = read(STDIN_FILENO, buf + len,
			 STDIN_ROUTE_MAX + 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ockam_err_set(err, -errno, "reading standard input: %s",
				      strerror(errno));
			free(buf);
			return NULL;
		}
		len += n;
	}
	if (len > STDIN_ROUTE_MAX) {
		ockam_err_set(err, -E2BIG,
			      "standard input holds more than %d bytes, more than any route",
			      STDIN_ROUTE_MAX);
		free(buf);
		return NULL;
	}
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
		       buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	while (buf[start] == ' ' || buf[start] == '\t' || buf[start] == '\n')
		start++;
	memmove(buf, buf + start, len - start + 1);
	return buf;
}

int cli_route_arg(const char *text, struct ockam_route *rt,
		  struct ockam_err *err)
{
	char *piped = NULL;
	int ret;

	if (text[0] == '-') {
		piped = read_stdin_route(err);
		if (!piped)
			return err ? err->code : -EIO;
	}
	ret = cli_route_compose(text, piped, rt, err);
	free(piped);
	return ret;
}

int cli_channel_args(const struct cmd_spec *cmd, const struct args *a,
		     const char *flag, const char *route,
		     struct cli_channel_args *o, const char **argv,
		     unsigned int *argc)
{
	static char authorized[CLI_AUTHORIZED_MAX];
	static uint8_t wire[OCKAM_ROUTE_BYTES_MAX];
	static struct ockam_route rt;
	const char *identity = args_value(cmd, a, "identity");
	struct ockam_err err;
	char what[32];
	ssize_t len;
	int status;

	o->hex = NULL;
	if (identity && !ockam_node_name_ok(identity))
		return cli_usage(cmd, "--identity: '%s' is not a valid identity name",
				 identity);
	status = cli_authorized_arg(cmd, a, authorized, sizeof(authorized));
	if (status)
		return status;
	snprintf(what, sizeof(what), "--%s: ", flag);
	if (cli_route_arg(route, &rt, &err) < 0)
		return cli_arg_fail(cmd, what, &err);
	if (!rt.hops)
		return cli_usage(cmd, "--%s: the route is empty", flag);
	len = ockam_route_to_wire(&rt, wire, sizeof(wire));
	if (len < 0)
		return cli_fail("--%s: %s", flag, strerror(-len));
	o->hex = cli_hex_encode(wire, len);
	if (!o->hex)
		return cli_fail("--%s: %s", flag, strerror(ENOMEM));

	argv[(*argc)++] = o->hex;
	if (identity) {
		snprintf(o->identity, sizeof(o->identity), "identity=%s",
			 identity);
		argv[(*argc)++] = o->identity;
	}
	if (authorized[0]) {
		snprintf(o->authorized, sizeof(o->authorized), "authorized=%s",
			 authorized);
		argv[(*argc)++] = o->authorized;
	}
	return CLI_OK;
}

int cli_rendezvous_arg(const struct cmd_spec *cmd, const struct args *a,
		       char **opt)
{
	static const char prefix[] = "rendezvous=";
	const char *text = args_value(cmd, a, "rendezvous");
	static uint8_t wire[OCKAM_ROUTE_BYTES_MAX];
	static struct ockam_route rt;
	struct ockam_err err;
	ssize_t len;
	char *hex;

	*opt = NULL;
	if (!text)
		return CLI_OK;
	if (!args_flag(cmd, a, "udp"))
		return cli_usage(cmd, "--rendezvous goes with --udp");
	if (text[0] == '-')
		return cli_usage(cmd, "--rendezvous takes a MultiAddr route, not one from standard input");
	if (cli_route_arg(text, &rt, &err) < 0)
		return cli_arg_fail(cmd, "--rendezvous: ", &err);
	if (!rt.hops || rt.addr[0].type != OCKAM_ADDR_UDP)
		return cli_usage(cmd, "--rendezvous: the route starts with a UDP address, e.g. /ip4/192.0.2.1/udp/4000");
	len = ockam_route_to_wire(&rt, wire, sizeof(wire));
	if (len < 0)
		return cli_fail("--rendezvous: %s", strerror(-len));
	hex = cli_hex_encode(wire, len);
	*opt = hex ? malloc(sizeof(prefix) + strlen(hex)) : NULL;
	if (*opt)
		sprintf(*opt, "%s%s", prefix, hex);
	free(hex);
	return *opt ? CLI_OK : cli_fail("--rendezvous: %s", strerror(ENOMEM));
}

void cli_channel_args_free(struct cli_channel_args *o)
{
	free(o->hex);
	o->hex = NULL;
}
