// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockam message send: one message along a route from an AF_OCKAM socket
 * in the sending node's network namespace, then one reply.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

enum { DEFAULT_TIMEOUT_MS = 10000 };

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Wait for the reply; errors the kernel queued on the socket (a dial
 * that failed, a transport that went down) come back from recv().
 */
static ssize_t await_reply(int fd, uint8_t *buf, size_t size, long timeout_ms,
			   struct ockam_wire_route *ret, int *flags)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec start;
	long left;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		left = timeout_ms - elapsed_ms(&start);
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ETIMEDOUT;
		return ockam_recv(fd, buf, size, MSG_DONTWAIT | MSG_TRUNC, ret,
				  flags);
	}
}

static int print_reply(struct cli *cli, const uint8_t *payload, size_t len,
			bool hex, const struct ockam_wire_route *ret)
{
	static struct ockam_route rt;
	static char text[OCKAM_ROUTE_TEXT_MAX];

	char *hextext = NULL;

	if (cli->json || hex) {
		hextext = cli_hex_encode(payload, len);
		if (!hextext)
			return cli_fail("out of memory");
	}
	if (cli->json) {
		text[0] = '\0';
		if (ockam_route_from_wire(&rt, ret->bytes, ret->len, NULL) == 0)
			ockam_route_format_any(&rt, text, sizeof(text));
		json_object_begin(&cli->j, NULL);
		json_bytes(&cli->j, "payload", payload, len);
		json_string(&cli->j, "hex", hextext);
		json_string(&cli->j, "return_route", text);
		json_object_end(&cli->j);
		json_finish(&cli->j);
		free(hextext);
		return CLI_OK;
	}
	if (hex)
		fputs(hextext, stdout);
	else
		fwrite(payload, 1, len, stdout);
	putchar('\n');
	free(hextext);
	return CLI_OK;
}

static int message_send(struct cli *cli, const struct cmd_spec *cmd,
			const struct args *a)
{
	static struct ockam_route rt;
	static struct ockam_wire_route ret;
	static char text[OCKAM_ROUTE_TEXT_MAX];
	const char *to = args_value(cmd, a, "to");
	const char *timeout = args_value(cmd, a, "timeout");
	bool hex = args_flag(cmd, a, "hex");
	const char *msg = a->pos[0];
	long timeout_ms = DEFAULT_TIMEOUT_MS;
	uint8_t *payload = NULL, *reply = NULL;
	size_t payload_len = strlen(msg);
	struct ockam_err err;
	int fd = -1, flags = 0, status;
	ssize_t n;

	if (!to)
		return cli_usage(cmd, "--to ROUTE is required");
	if (timeout) {
		timeout_ms = cli_parse_duration_ms(timeout);
		if (timeout_ms < 0)
			return cli_usage(cmd,
					 "--timeout takes a duration such as 10, 10s, 500ms or 2m, not '%s'",
					 timeout);
	}
	payload = malloc(payload_len + 1);
	reply = malloc(OCKAM_MAX_MESSAGE_MAX);
	if (!payload || !reply) {
		status = cli_fail("out of memory");
		goto out;
	}
	if (hex) {
		n = cli_hex_decode(msg, payload, payload_len);
		if (n < 0) {
			status = cli_usage(cmd, "--hex: '%s' is not hex", msg);
			goto out;
		}
		payload_len = n;
	} else {
		memcpy(payload, msg, payload_len);
	}
	if (cli_route_arg(to, &rt, &err) < 0) {
		status = cli_arg_fail(cmd, "--to: ", &err);
		goto out;
	}
	if (!rt.hops) {
		status = cli_usage(cmd, "--to: the route is empty");
		goto out;
	}
	ockam_route_format_any(&rt, text, sizeof(text));
	if (target_enter(args_value(cmd, a, "from"), &err) < 0) {
		status = cli_fail_err(&err);
		goto out;
	}
	fd = ockam_socket(SOCK_CLOEXEC);
	if (fd < 0) {
		status = cli_fail("cannot open an AF_OCKAM socket (family %d): %s%s",
				  ockam_family(), strerror(-fd),
				  fd == -EAFNOSUPPORT ?
				  " (is the ockam module loaded?)" : "");
		goto out;
	}
	/* The reply's return route may be too long for a sockaddr. */
	n = ockam_set_recvroute(fd, true);
	if (n < 0) {
		status = cli_fail("OCKAM_SO_RECVROUTE: %s", strerror(-n));
		goto out;
	}
	n = ockam_send_route(fd, payload, payload_len, &rt, 0);
	if (n < 0) {
		status = cli_fail("cannot send to %s: %s", text, strerror(-n));
		goto out;
	}
	n = await_reply(fd, reply, OCKAM_MAX_MESSAGE_MAX, timeout_ms, &ret,
			&flags);
	if (n == -ETIMEDOUT) {
		status = cli_fail("no reply from %s within %ld ms", text,
				  timeout_ms);
		goto out;
	}
	if (n < 0) {
		status = cli_fail("sending to %s failed: %s", text,
				  strerror(-n));
		goto out;
	}
	if (flags & MSG_TRUNC) {
		status = cli_fail("the reply of %zd bytes is larger than %d", n,
				  OCKAM_MAX_MESSAGE_MAX);
		goto out;
	}
	status = print_reply(cli, reply, n, hex, &ret);
out:
	if (fd >= 0)
		close(fd);
	free(payload);
	free(reply);
	return status;
}

static const char *const msg_arg[] = { "MESSAGE", NULL };

static const struct opt_spec send_opts[] = {
	{ "to", 0, OPT_VALUE, "ROUTE",
	  "where to send: a MultiAddr, plain addresses, or '-' for the route on standard input followed by more" },
	{ "from", 0, OPT_VALUE, "NODE",
	  "send from this node (default: this network namespace)" },
	{ "timeout", 0, OPT_VALUE, "DURATION",
	  "how long to wait for the reply (default 10s)" },
	{ "hex", 0, OPT_FLAG, NULL,
	  "MESSAGE is hex; print the reply as hex" },
	{ 0 },
};

const struct cmd_spec message_cmds[] = {
	{
		.group = "message", .name = "send",
		.summary = "Send a message along a route and print the reply.",
		.description =
		"Examples:\n"
		"  ockam message send hello --to /service/uppercase\n"
		"  ockam message send hello --from n1 --to /node/n2/service/echo\n"
		"  ockam message send hi --to /ip4/10.0.0.2/tcp/4000/service/echo\n"
		"  echo /node/n2 | ockam message send hi --from n1 --to -/service/uppercase\n",
		.positionals = msg_arg, .min_pos = 1,
		.opts = send_opts, .run = message_send,
	},
	{ 0 },
};
