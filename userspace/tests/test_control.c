// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The ockamd control protocol: request parsing, reply building and parsing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ockam/ockam.h>

#include "../ockam/cli.h"
#include "control_protocol.h"
#include "tap.h"

static void request_valid(void)
{
	struct ockam_ctl_request req;
	struct ockam_err err;

	CHECK_INT(ockam_ctl_request_parse(&req, "status", 6, &err), 0);
	CHECK_STR(req.verb, "status");
	CHECK_INT(req.argc, 0);

	CHECK_INT(ockam_ctl_request_parse(&req, "tcp-listener-create 127.0.0.1:0\n",
					  32, &err), 0);
	CHECK_STR(req.verb, "tcp-listener-create");
	CHECK_INT(req.argc, 1);
	CHECK_STR(req.argv[0], "127.0.0.1:0");

	CHECK_INT(ockam_ctl_request_parse(&req, "a-b w x y z", 11, &err), 0);
	CHECK_INT(req.argc, 4);
	CHECK_STR(req.argv[3], "z");
}

static void request_invalid(void)
{
	static const struct {
		const char *text;
		size_t len;
		int code;
		const char *why;
	} cases[] = {
		{ "", 0, -EINVAL, "empty request" },
		{ "\n", 1, -EINVAL, "empty request" },
		{ " status", 7, -EINVAL, "empty field at offset 0" },
		{ "status ", 7, -EINVAL, "empty field at offset 7" },
		{ "a  b", 4, -EINVAL, "empty field at offset 2" },
		{ "Status", 6, -EINVAL, "not lower-case" },
		{ "st4tus", 6, -EINVAL, "not lower-case" },
		{ "a b c d e f g h i j", 19, -E2BIG, "more than 8 arguments" },
		{ "a\tb", 3, -EINVAL, "byte 0x09 at offset 1" },
		{ "a\0b", 3, -EINVAL, "byte 0x00 at offset 1" },
		{ "a\n\n", 3, -EINVAL, "byte 0x0a" },
		{ "a \xff", 3, -EINVAL, "byte 0xff" },
		{ "abcdefghijklmnopqrstuvwxyzabcdefg", 33, -EINVAL, "longer than 32" },
	};
	struct ockam_ctl_request req;
	struct ockam_err err;
	char big[OCKAM_CTL_REQUEST_MAX + 1];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ockam_err_clear(&err);
		CHECK_INT(ockam_ctl_request_parse(&req, cases[i].text,
						  cases[i].len, &err),
			  cases[i].code);
		CHECK_CONTAINS(err.msg, cases[i].why);
	}
	memset(big, 'a', sizeof(big));
	CHECK_INT(ockam_ctl_request_parse(&req, big, sizeof(big), &err), -EMSGSIZE);
	CHECK_INT(ockam_ctl_request_parse(&req, big, sizeof(big) - 1, &err), -EINVAL);
	memcpy(big, "status ", 7);
	CHECK_INT(ockam_ctl_request_parse(&req, big, sizeof(big) - 1, &err), 0);
	CHECK_INT(strlen(req.argv[0]), OCKAM_CTL_REQUEST_MAX - 7);
}

static void request_build(void)
{
	const char *args[] = { "127.0.0.1:4000", "x" };
	struct ockam_ctl_request req;
	char buf[OCKAM_CTL_REQUEST_MAX + 1];

	CHECK_INT(ockam_ctl_request_build(buf, sizeof(buf), "tcp-listener-create",
					  2, args), 36);
	CHECK_STR(buf, "tcp-listener-create 127.0.0.1:4000 x");
	CHECK_INT(ockam_ctl_request_parse(&req, buf, strlen(buf), NULL), 0);
	CHECK_STR(req.argv[1], "x");
	args[1] = "has space";
	CHECK_INT(ockam_ctl_request_build(buf, sizeof(buf), "v", 2, args), -EINVAL);
	args[1] = "";
	CHECK_INT(ockam_ctl_request_build(buf, sizeof(buf), "v", 2, args), -EINVAL);
	CHECK_INT(ockam_ctl_request_build(buf, sizeof(buf), "Bad", 0, args), -EINVAL);
	CHECK_INT(ockam_ctl_request_build(buf, 5, "status", 0, args), -EMSGSIZE);
}

/*
 * The largest request the CLI sends: a secure channel along the longest
 * route there is (in hex), with every option at its longest.
 */
static void request_fits_longest_route(void)
{
	static char route[2 * OCKAM_ROUTE_BYTES_MAX + 1];
	static char authorized[16 + 32 * (OCKAM_IDENTIFIER_LEN + 1)];
	static char buf[OCKAM_CTL_REQUEST_MAX + 1];
	static struct ockam_ctl_request req;
	char identity[16 + OCKAM_NODE_NAME_MAX + 1];
	const char *args[4] = { route, identity, authorized, "timeout=600000" };
	ssize_t len;
	int i;

	memset(route, 'f', sizeof(route) - 1);
	memset(identity, 'n', sizeof(identity) - 1);
	identity[sizeof(identity) - 1] = '\0';
	memcpy(identity, "identity=", 9);
	len = snprintf(authorized, sizeof(authorized), "authorized=");
	for (i = 0; i < 32; i++)
		len += snprintf(authorized + len, sizeof(authorized) - len,
				"%sI%064d", i ? "," : "", i);
	len = ockam_ctl_request_build(buf, sizeof(buf), "secure-channel-create",
				      4, args);
	CHECK(len > 2 * (ssize_t)OCKAM_ROUTE_BYTES_MAX);
	CHECK_INT(ockam_ctl_request_parse(&req, buf, len, NULL), 0);
	CHECK_INT(strlen(req.argv[0]), 2 * OCKAM_ROUTE_BYTES_MAX);
}

static void reply_round_trip(void)
{
	static struct ockam_ctl_writer w;
	struct ockam_ctl_reply reply;
	char buf[OCKAM_CTL_REPLY_MAX + 1], val[64], *rec;
	ssize_t len;

	ockam_ctl_reply_ok(&w);
	ockam_ctl_record_begin(&w);
	ockam_ctl_field(&w, "address", "%s", "127.0.0.1:4000");
	ockam_ctl_field(&w, "accepted", "%d", 3);
	ockam_ctl_record_end(&w);
	ockam_ctl_record_begin(&w);
	ockam_ctl_field(&w, "note", "%s", "two words\n");
	ockam_ctl_record_end(&w);
	len = ockam_ctl_reply_finish(&w);
	CHECK(len > 0);
	memcpy(buf, w.buf, len);
	CHECK_INT(ockam_ctl_reply_parse(&reply, buf, len, NULL), 0);
	CHECK_INT(reply.errnum, 0);
	rec = ockam_ctl_record_next(&reply);
	CHECK_STR(rec, "address=127.0.0.1:4000 accepted=3");
	CHECK_INT(ockam_ctl_record_get(rec, "address", val, sizeof(val)), 0);
	CHECK_STR(val, "127.0.0.1:4000");
	CHECK_INT(ockam_ctl_record_get(rec, "accepted", val, sizeof(val)), 0);
	CHECK_STR(val, "3");
	CHECK_INT(ockam_ctl_record_get(rec, "accept", val, sizeof(val)), -ENOENT);
	CHECK_INT(ockam_ctl_record_get(rec, "address", val, 4), -ENAMETOOLONG);
	rec = ockam_ctl_record_next(&reply);
	/* Spaces and control bytes in values are replaced. */
	CHECK_STR(rec, "note=two?words?");
	CHECK(ockam_ctl_record_next(&reply) == NULL);
}

/*
 * What udp-bind-create sends and gets back: IPv6 addresses in brackets
 * pass as they are, and the counters read back as numbers.
 */
static void udp_bind_request_reply(void)
{
	const char *args[] = { "[::1]:0" };
	static struct ockam_ctl_writer w;
	struct ockam_ctl_request req;
	struct ockam_ctl_reply reply;
	char buf[OCKAM_CTL_REPLY_MAX + 1], *rec;
	ssize_t len;

	CHECK_INT(ockam_ctl_request_build(buf, sizeof(buf), "udp-bind-create",
					  1, args), 23);
	CHECK_INT(ockam_ctl_request_parse(&req, buf, strlen(buf), NULL), 0);
	CHECK_STR(req.verb, "udp-bind-create");
	CHECK_STR(req.argv[0], "[::1]:0");

	ockam_ctl_reply_ok(&w);
	ockam_ctl_record_begin(&w);
	ockam_ctl_field(&w, "kind", "udp-bind");
	ockam_ctl_field(&w, "address", "%s", "[::1]:40000");
	ockam_ctl_field(&w, "name", "%s", "udp_1a2b");
	ockam_ctl_field(&w, "peers", "%u", 2U);
	ockam_ctl_field(&w, "rx-messages", "%llu", 123456789012ULL);
	ockam_ctl_record_end(&w);
	len = ockam_ctl_reply_finish(&w);
	CHECK(len > 0);
	memcpy(buf, w.buf, len);
	CHECK_INT(ockam_ctl_reply_parse(&reply, buf, len, NULL), 0);
	rec = ockam_ctl_record_next(&reply);
	CHECK(rec != NULL);
	if (!rec)
		return;
	CHECK(cli_record_has(rec, "kind", "udp-bind"));
	CHECK(cli_record_has(rec, "address", "[::1]:40000"));
	CHECK_INT(cli_record_number(rec, "peers"), 2);
	CHECK(cli_record_number(rec, "rx-messages") == 123456789012ULL);
	CHECK_INT(cli_record_number(rec, "reasm-bytes"), 0);
}

static void reply_error(void)
{
	static struct ockam_ctl_writer w;
	struct ockam_ctl_reply reply;
	char buf[512];
	ssize_t len;

	ockam_ctl_reply_error(&w, EADDRINUSE, "cannot bind %s: in use\nreally",
			      "127.0.0.1:4000");
	len = ockam_ctl_reply_finish(&w);
	memcpy(buf, w.buf, len);
	CHECK_INT(ockam_ctl_reply_parse(&reply, buf, len, NULL), 0);
	CHECK_INT(reply.errnum, EADDRINUSE);
	CHECK_STR(reply.message, "cannot bind 127.0.0.1:4000: in use really");
	CHECK(ockam_ctl_record_next(&reply) == NULL);

	ockam_ctl_reply_error(&w, -5, "negative");
	len = ockam_ctl_reply_finish(&w);
	memcpy(buf, w.buf, len);
	CHECK_INT(ockam_ctl_reply_parse(&reply, buf, len, NULL), 0);
	CHECK_INT(reply.errnum, EIO);
}

static void reply_overflow(void)
{
	static struct ockam_ctl_writer w;
	char value[1000];
	int i;

	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	ockam_ctl_reply_ok(&w);
	for (i = 0; i < 100; i++) {
		ockam_ctl_record_begin(&w);
		ockam_ctl_field(&w, "v", "%s", value);
		ockam_ctl_record_end(&w);
	}
	CHECK_INT(ockam_ctl_reply_finish(&w), -EMSGSIZE);
	CHECK(!strncmp(w.buf, "error 90 reply longer than", 26));
}

static void reply_malformed(void)
{
	static const char *const cases[] = {
		"", "ok", "okay\n", "error\n", "error x msg\n", "error 0 m\n",
		"error 5000 m\n", "error 5\n",
	};
	struct ockam_ctl_reply reply;
	struct ockam_err err;
	char buf[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		strcpy(buf, cases[i]);
		CHECK_INT(ockam_ctl_reply_parse(&reply, buf, strlen(buf), &err),
			  -EPROTO);
	}
	memcpy(buf, "ok\na\0b\n", 7);
	CHECK_INT(ockam_ctl_reply_parse(&reply, buf, 7, &err), -EPROTO);
	CHECK_CONTAINS(err.msg, "NUL");
}

/*
 * A stand-in daemon for node "n1" under a temporary OCKAM_HOME: answers
 * each request with @replies[i] (NULL: close without answering).
 */
static pid_t fake_daemon(const char *home, const char *const *replies,
			 int count)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[OCKAM_PATH_MAX], buf[OCKAM_CTL_REQUEST_MAX + 1];
	int lfd, fd, i, ready[2];
	pid_t pid;
	char c;

	setenv("OCKAM_HOME", home, 1);
	ockam_node_dir("n1", dir, sizeof(dir));
	ockam_mkdir_private(dir, NULL);
	ockam_node_path("n1", OCKAM_NODE_CONTROL_FILE, sun.sun_path,
			sizeof(sun.sun_path));
	if (pipe(ready) < 0)
		return -1;
	pid = fork();
	if (pid)
		goto parent;
	lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(lfd, 4) < 0 || write(ready[1], "r", 1) != 1)
		_exit(1);
	for (i = 0; i < count; i++) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0 || recv(fd, buf, sizeof(buf), 0) < 0)
			_exit(1);
		if (replies[i] &&
		    send(fd, replies[i], strlen(replies[i]), 0) < 0)
			_exit(1);
		close(fd);
	}
	_exit(0);
parent:
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		pid = -1;
	close(ready[0]);
	return pid;
}

static void client_call(void)
{
	static const char *const replies[] = {
		"ok\naddress=127.0.0.1:4000 accepted=0\n",
		"error 98 cannot bind 127.0.0.1:4000: Address in use\n",
		"garbage",
		NULL,
	};
	char home[] = "/tmp/ockam-ctl-XXXXXX", buf[256], val[64], cmd[64];
	struct ockam_ctl_reply reply;
	struct ockam_err err;
	int status;
	pid_t pid;

	if (!mkdtemp(home)) {
		CHECK(0);
		return;
	}
	pid = fake_daemon(home, replies, 4);
	CHECK(pid > 0);
	CHECK_INT(ockam_ctl_call("n1", "tcp-listener-list", 17, 5000, buf,
				 sizeof(buf), &reply, &err), 0);
	CHECK_INT(ockam_ctl_record_get(ockam_ctl_record_next(&reply),
				       "address", val, sizeof(val)), 0);
	CHECK_STR(val, "127.0.0.1:4000");
	CHECK_INT(ockam_ctl_call("n1", "tcp-listener-create 127.0.0.1:4000",
				 34, 5000, buf, sizeof(buf), &reply, &err),
		  -EADDRINUSE);
	CHECK_STR(err.msg, "cannot bind 127.0.0.1:4000: Address in use");
	CHECK_INT(ockam_ctl_call("n1", "status", 6, 5000, buf, sizeof(buf),
				 &reply, &err), -EPROTO);
	CHECK_INT(ockam_ctl_call("n1", "status", 6, 5000, buf, sizeof(buf),
				 &reply, &err), -ECONNRESET);
	CHECK_CONTAINS(err.msg, "without answering");
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Nobody listening any more. */
	CHECK_INT(ockam_ctl_call("n1", "status", 6, 5000, buf, sizeof(buf),
				 &reply, &err), -ESRCH);
	CHECK_STR(err.msg, "node n1 is not running");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	CHECK_INT(system(cmd), 0);
	unsetenv("OCKAM_HOME");
}

/*
 * A daemon whose accept queue is full: connect() itself would wait, and
 * the caller's timeout must cover that wait too.
 */
static void client_connect_timeout(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char home[] = "/tmp/ockam-ctl-XXXXXX", dir[OCKAM_PATH_MAX], buf[64];
	int lfd, fds[16], nfds = 0, i;
	struct ockam_ctl_reply reply;
	struct timespec t0, t1;
	struct ockam_err err;
	long ms;

	if (!mkdtemp(home)) {
		CHECK(0);
		return;
	}
	setenv("OCKAM_HOME", home, 1);
	ockam_node_dir("n1", dir, sizeof(dir));
	ockam_mkdir_private(dir, NULL);
	ockam_node_path("n1", OCKAM_NODE_CONTROL_FILE, sun.sun_path,
			sizeof(sun.sun_path));
	lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK(lfd >= 0);
	CHECK_INT(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	CHECK_INT(listen(lfd, 0), 0);
	/* Fill the backlog; nobody ever accepts. */
	while (nfds < (int)ARRAY_SIZE(fds)) {
		fds[nfds] = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0);
		if (fds[nfds] < 0)
			break;
		if (connect(fds[nfds], (struct sockaddr *)&sun,
			    sizeof(sun)) < 0) {
			close(fds[nfds]);
			break;
		}
		nfds++;
	}
	CHECK(nfds > 0 && nfds < (int)ARRAY_SIZE(fds));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(ockam_ctl_call("n1", "status", 6, 300, buf, sizeof(buf),
				 &reply, &err), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK_CONTAINS(err.msg, "did not accept the connection within 300 ms");
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(ms >= 250 && ms < 3000);

	for (i = 0; i < nfds; i++)
		close(fds[i]);
	close(lfd);
	snprintf(buf, sizeof(buf), "rm -rf '%s'", home);
	CHECK_INT(system(buf), 0);
	unsetenv("OCKAM_HOME");
}

SUITE(control_suite, "control",
      TEST(client_call),
      TEST(client_connect_timeout),
      TEST(request_valid),
      TEST(request_invalid),
      TEST(request_build),
      TEST(request_fits_longest_route),
      TEST(reply_round_trip),
      TEST(udp_bind_request_reply),
      TEST(reply_error),
      TEST(reply_overflow),
      TEST(reply_malformed));
