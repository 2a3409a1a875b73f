// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockamd's control socket (ockamd/control.c) and the life of a control
 * request: clients on a real AF_UNIX socket, the daemon's event loop, and
 * a stand-in for the verb handlers that answers some requests at once and
 * keeps others to answer later, as a dial or a handshake does. Several
 * requests pending at once must each get their own reply; a request whose
 * client went away, or that the daemon gives up at shutdown, must be freed
 * without a reply (LeakSanitizer checks the freeing).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../ockamd/daemon.h"
#include "tap.h"

enum {
	/* Requests the stand-in keeps, at most, in one test. */
	KEPT_MAX = 8,
	/* One turn of the loop when waiting for something: milliseconds. */
	TURN_MS = 20,
	/* Turns before giving up on it: two seconds. */
	TURNS_MAX = 100,
};

/* The stand-in for control_verbs.c. */
static struct {
	struct ctl_request *kept[KEPT_MAX];
	unsigned int nkept;
	unsigned int seen;		/* requests dispatched */
	unsigned int stop_at;		/* stop the loop at this many */
} verbs;

/* One record "arg=ARG", so that each reply says whose it is. */
static void reply_arg(struct ctl_request *r,
		      const struct ockam_ctl_request *msg)
{
	struct ockam_ctl_writer *w = ctl_reply(r);

	ockam_ctl_reply_ok(w);
	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "arg", "%s", msg->argc ? msg->argv[0] : "-");
	ockam_ctl_record_end(w);
}

/*
 * "now ARG" answers at once; "later ARG" starts its reply and keeps the
 * request; "inline ARG" keeps it but finishes it before returning, as a
 * handler whose dial fails at once does.
 */
enum ctl_answer ctl_dispatch(struct daemon *d, struct ctl_request *r,
			     const struct ockam_ctl_request *msg)
{
	if (++verbs.seen >= verbs.stop_at)
		d->loop.stop = true;
	reply_arg(r, msg);
	if (!strcmp(msg->verb, "later") && verbs.nkept < KEPT_MAX) {
		verbs.kept[verbs.nkept++] = r;
		return CTL_REPLY_LATER;
	}
	if (!strcmp(msg->verb, "inline")) {
		ctl_request_finish(d, r);
		return CTL_REPLY_LATER;
	}
	return CTL_REPLY_NOW;
}

/* ---------------------------------------------------------- the daemon */

static struct daemon node;

static bool daemon_start(void)
{
	struct ockam_err err;

	memset(&node, 0, sizeof(node));
	memset(&verbs, 0, sizeof(verbs));
	node.ctl_fd = -1;
	node.dir_fd = -1;
	snprintf(node.dir, sizeof(node.dir), "/tmp/ockam-ctlreq-XXXXXX");
	if (!mkdtemp(node.dir) || loop_init(&node.loop) < 0)
		return false;
	node.dir_fd = open(node.dir, O_DIRECTORY | O_CLOEXEC);
	return node.dir_fd >= 0 && ctl_open(&node, &err) == 0;
}

static void daemon_stop(void)
{
	ctl_close(&node);
	loop_fini(&node.loop);
	if (node.dir_fd >= 0)
		close(node.dir_fd);
	rmdir(node.dir);
}

static void on_turn_over(struct daemon *d, void *ctx)
{
	(void)ctx;
	d->loop.stop = true;
}

/* Run the loop until @seen requests in all were dispatched, or @ms. */
static void run(unsigned int seen, unsigned int ms)
{
	struct timer turn;

	timer_init(&turn, on_turn_over, NULL);
	timer_arm(&node.loop, &turn, ms);
	verbs.stop_at = seen;
	node.loop.stop = verbs.seen >= seen;
	loop_run(&node, &node.loop);
	timer_cancel(&node.loop, &turn);
	node.loop.stop = false;
}

/* Run until @seen requests were dispatched; false after two seconds. */
static bool run_until_seen(unsigned int seen)
{
	run(seen, TURN_MS * TURNS_MAX);
	return verbs.seen >= seen;
}

/* ---------------------------------------------------------- the clients */

static int client_open(const char *text)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", node.dir,
		 OCKAM_NODE_CONTROL_FILE);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    send(fd, text, strlen(text), MSG_NOSIGNAL) < 0) {
		tap_check_failed(__FILE__, __LINE__, "client \"%s\": %s", text,
				 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The reply waiting for @fd, NUL-terminated; "" when there is none. */
static const char *reply_of(int fd)
{
	static char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n < 0 && errno == EAGAIN)
		return "";
	if (n <= 0)
		return n ? "(error)" : "(closed)";
	buf[n] = '\0';
	return buf;
}

/* Keep the loop turning until @fd has a reply, or two seconds. */
static const char *wait_reply(int fd)
{
	const char *reply = reply_of(fd);
	int turns;

	for (turns = 0; !reply[0] && turns < TURNS_MAX; turns++) {
		run(~0U, TURN_MS);
		reply = reply_of(fd);
	}
	return reply;
}

static void client_done(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* ------------------------------------------------------------- tests */

/* Add "done=@arg" to kept request @k's reply, and send it. */
static bool finish_kept(unsigned int k, const char *arg)
{
	struct ockam_ctl_writer *w = ctl_reply(verbs.kept[k]);

	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "done", "%s", arg);
	ockam_ctl_record_end(w);
	return ctl_request_finish(&node, verbs.kept[k]);
}

/*
 * Two requests pending at once, a third answered meanwhile, the two
 * answered in the other order: each reply is its own request's, and each
 * client is read again once answered.
 */
static void several_pending(void)
{
	int a, b, c;

	CHECK(daemon_start());
	a = client_open("later a");
	b = client_open("later b");
	c = client_open("now c");
	CHECK(run_until_seen(3));
	CHECK_INT(verbs.nkept, 2);
	CHECK_STR(reply_of(c), "ok\narg=c\n");
	CHECK_STR(reply_of(a), "");
	CHECK_STR(reply_of(b), "");
	if (verbs.nkept == 2) {
		/* kept[] is in arrival order, which the loop decides. */
		bool a_first = strstr(ctl_reply(verbs.kept[0])->buf,
				      "arg=a") != NULL;
		unsigned int ka = a_first ? 0 : 1, kb = 1 - ka;

		CHECK(finish_kept(kb, "b"));
		CHECK_STR(reply_of(a), "");
		CHECK_STR(reply_of(b), "ok\narg=b\ndone=b\n");
		CHECK(finish_kept(ka, "a"));
		CHECK_STR(reply_of(a), "ok\narg=a\ndone=a\n");
	}
	/* Answered, each is read again. */
	send(a, "now a2", 6, MSG_NOSIGNAL);
	CHECK_STR(wait_reply(a), "ok\narg=a2\n");
	send(b, "inline b2", 9, MSG_NOSIGNAL);
	CHECK_STR(wait_reply(b), "ok\narg=b2\n");
	send(b, "now b3", 6, MSG_NOSIGNAL);
	CHECK_STR(wait_reply(b), "ok\narg=b3\n");
	client_done(a);
	client_done(b);
	client_done(c);
	daemon_stop();
}

/* A request the parser refuses never reaches a handler. */
static void malformed_request(void)
{
	int fd;

	CHECK(daemon_start());
	fd = client_open("now  two-spaces");
	CHECK_CONTAINS(wait_reply(fd), "error 22 ");
	CHECK_INT(verbs.seen, 0);
	client_done(fd);
	daemon_stop();
}

/*
 * The client of a pending request hangs up: the request stays valid for
 * its owner, and finishing it sends nothing and frees it.
 */
static void client_gone(void)
{
	int fd, turns;

	CHECK(daemon_start());
	fd = client_open("later gone");
	CHECK(run_until_seen(1));
	CHECK_INT(node.client_count, 1);
	client_done(fd);
	for (turns = 0; node.client_count && turns < TURNS_MAX; turns++)
		run(~0U, TURN_MS);
	CHECK_INT(node.client_count, 0);
	if (verbs.nkept == 1)
		CHECK(!finish_kept(0, "nobody"));
	daemon_stop();
}

/*
 * An owner that gives up answers ECANCELED; at shutdown the clients are
 * closed first, and cancelling then only frees.
 */
static void cancelled(void)
{
	int a, b;

	CHECK(daemon_start());
	a = client_open("later a");
	b = client_open("later b");
	CHECK(run_until_seen(2));
	CHECK_INT(verbs.nkept, 2);
	if (verbs.nkept == 2) {
		bool a_first = strstr(ctl_reply(verbs.kept[0])->buf,
				      "arg=a") != NULL;

		ctl_request_cancel(&node, verbs.kept[a_first ? 0 : 1]);
		CHECK_CONTAINS(reply_of(a), "error 125 ");
		/* The daemon stops with b's request still pending. */
		ctl_close(&node);
		CHECK_STR(reply_of(b), "(closed)");
		ctl_request_cancel(&node, verbs.kept[a_first ? 1 : 0]);
	}
	client_done(a);
	client_done(b);
	daemon_stop();
}

SUITE(ctl_requests_suite, "ockamd-control",
      TEST(several_pending),
      TEST(malformed_request),
      TEST(client_gone),
      TEST(cancelled));
