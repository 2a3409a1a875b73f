// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockamd: the agent of one node. Started by "ockam node create NAME" in the
 * network namespace it will serve; stopped with SIGTERM.
 *
 * Without --foreground it daemonizes, and the launching process exits only
 * once the node is ready (status 0) or has failed to start (status 1,
 * with "error: ..." on stderr), so "ockam node create" can report either.
 */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "portal.h"
#include "puncture.h"
#include "relay.h"
#include "secure.h"

#define DEFAULT_LISTENER "127.0.0.1:0"

enum option_defaults {
	/* A peer that went away unseen is noticed within 30 s... */
	DEFAULT_CHANNEL_KEEPALIVE_MS = 10000,
	/* ...and its channels are given up 5 minutes later. */
	DEFAULT_CHANNEL_GIVE_UP_MS = 300000,
	/* --udp-bind values one start takes; more come by udp-bind-create. */
	OPTION_UDP_BINDS_MAX = 8,
};

struct options {
	const char *node;
	const char *listener;
	const char *udp_binds[OPTION_UDP_BINDS_MAX];
	unsigned int udp_bind_count;
	const char *relay_authorized;
	const char *rendezvous;
	enum relay_forward_mode relay_forward;
	uint32_t channel_keepalive_ms;
	uint32_t channel_give_up_ms;
	bool foreground;
	bool verbose;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ockamd --node NAME [--tcp-listener-address HOST:PORT]\n"
		"              [--udp-bind HOST:PORT]...\n"
		"              [--relay-authorized ID,...] [--relay-forward MODE]\n"
		"              [--rendezvous ROUTE]\n"
		"              [--channel-keepalive DURATION]\n"
		"              [--channel-give-up DURATION]\n"
		"              [--foreground] [--verbose]\n"
		"       ockamd --help | --version\n"
		"\n"
		"The agent of one Ockam node (this network namespace): TCP listeners,\n"
		"outgoing connections, the echo and uppercase services, identities and\n"
		"secure channel handshakes (the api listener), and the control socket\n"
		"used by the ockam command. Normally started by 'ockam node create'.\n"
		"\n"
		"  -n, --node NAME                 node name (registry: $OCKAM_HOME/nodes/NAME)\n"
		"  -t, --tcp-listener-address A    first TCP listener (default %s)\n"
		"  -u, --udp-bind A                a UDP bind (repeatable, up to %d;\n"
		"                                  default none)\n"
		"  -r, --relay-authorized ID,...   only these identities may register relays\n"
		"                                  at forwarding_service (default: any)\n"
		"  -F, --relay-forward MODE        channel: forward inside the registrant's\n"
		"                                  channel (default); direct: along the\n"
		"                                  path under it\n"
		"  -R, --rendezvous ROUTE          the rendezvous this node learns its public\n"
		"                                  UDP address from when a peer asks it to\n"
		"                                  punch a path (default: it refuses)\n"
		"  -k, --channel-keepalive D       a secure channel silent this long sends a\n"
		"                                  keepalive; 0: off (default 10s)\n"
		"  -g, --channel-give-up D         a channel that cannot reach its peer for\n"
		"                                  this long is down (default 5m)\n"
		"  -f, --foreground                stay attached; log to stderr too\n"
		"  -v, --verbose                   log debug messages\n"
		"  -h, --help                      this text\n"
		"  -V, --version                   print the version\n",
		DEFAULT_LISTENER, OPTION_UDP_BINDS_MAX);
}

/* 0 (off), or the kernel's range. */
static int parse_keepalive(const char *text, uint32_t *ms)
{
	if (ockam_duration_parse_ms(text, ms) == 0 &&
	    (!*ms || (*ms >= OCKAM_CHANNEL_KEEPALIVE_MS_MIN &&
		      *ms <= OCKAM_CHANNEL_KEEPALIVE_MS_MAX)))
		return 0;
	fprintf(stderr,
		"error: --channel-keepalive takes 0 (off) or %dms to %dm, such as 10s, not '%s'\n",
		OCKAM_CHANNEL_KEEPALIVE_MS_MIN,
		OCKAM_CHANNEL_KEEPALIVE_MS_MAX / 60000, text);
	return -1;
}

static int parse_give_up(const char *text, uint32_t *ms)
{
	if (ockam_duration_parse_ms(text, ms) == 0 &&
	    *ms >= OCKAM_CHANNEL_GIVE_UP_MS_MIN &&
	    *ms <= OCKAM_CHANNEL_GIVE_UP_MS_MAX)
		return 0;
	fprintf(stderr,
		"error: --channel-give-up takes %ds to %dm, such as 5m, not '%s'\n",
		OCKAM_CHANNEL_GIVE_UP_MS_MIN / 1000,
		OCKAM_CHANNEL_GIVE_UP_MS_MAX / 60000, text);
	return -1;
}

static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "tcp-listener-address", required_argument, NULL, 't' },
		{ "udp-bind", required_argument, NULL, 'u' },
		{ "relay-authorized", required_argument, NULL, 'r' },
		{ "relay-forward", required_argument, NULL, 'F' },
		{ "rendezvous", required_argument, NULL, 'R' },
		{ "channel-keepalive", required_argument, NULL, 'k' },
		{ "channel-give-up", required_argument, NULL, 'g' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->listener = DEFAULT_LISTENER;
	opt->channel_keepalive_ms = DEFAULT_CHANNEL_KEEPALIVE_MS;
	opt->channel_give_up_ms = DEFAULT_CHANNEL_GIVE_UP_MS;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:t:u:r:F:R:k:g:fvhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'n':
			opt->node = optarg;
			break;
		case 't':
			opt->listener = optarg;
			break;
		case 'u':
			if (opt->udp_bind_count == OPTION_UDP_BINDS_MAX) {
				fprintf(stderr,
					"error: --udp-bind: at most %d at start\n",
					OPTION_UDP_BINDS_MAX);
				return -1;
			}
			opt->udp_binds[opt->udp_bind_count++] = optarg;
			break;
		case 'r':
			opt->relay_authorized = optarg;
			break;
		case 'F':
			if (relay_forward_mode_parse(optarg,
						     &opt->relay_forward) < 0) {
				fprintf(stderr,
					"error: --relay-forward: '%s' is not channel or direct\n",
					optarg);
				return -1;
			}
			break;
		case 'R':
			opt->rendezvous = optarg;
			break;
		case 'k':
			if (parse_keepalive(optarg,
					    &opt->channel_keepalive_ms) < 0)
				return -1;
			break;
		case 'g':
			if (parse_give_up(optarg, &opt->channel_give_up_ms) < 0)
				return -1;
			break;
		case 'f':
			opt->foreground = true;
			break;
		case 'v':
			opt->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("ockamd %s\n", OCKAM_VERSION);
			exit(0);
		case ':':
			fprintf(stderr, "error: %s needs a value\n",
				argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "error: unknown option %s\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "error: unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	if (!opt->node) {
		fprintf(stderr, "error: --node NAME is required\n");
		return -1;
	}
	if (!ockam_node_name_ok(opt->node)) {
		fprintf(stderr,
			"error: '%s' is not a valid node name (1 to %d of A-Z a-z 0-9 _ . -, not starting with . or -)\n",
			opt->node, OCKAM_NODE_NAME_MAX);
		return -1;
	}
	return 0;
}

/*
 * Fork; the parent waits for the child's verdict on @ready and exits with
 * it. Returns the write end in the child. The node lock is a POSIX record
 * lock, which a child does not inherit: it is taken after this, by the
 * process that keeps it.
 */
static int daemonize(void)
{
	char msg[OCKAM_ERR_MSG_MAX + 16];
	int fds[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		fprintf(stderr, "error: pipe: %s\n", strerror(errno));
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "error: fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		close(fds[1]);
		while (len < (ssize_t)sizeof(msg) - 1 &&
		       (n = read(fds[0], msg + len, sizeof(msg) - 1 - len)) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			len += n;
		}
		msg[len] = '\0';
		if (!strcmp(msg, "ok\n"))
			exit(0);
		waitpid(pid, &status, 0);
		if (len)
			fputs(msg, stderr);
		else
			fprintf(stderr, "error: ockamd exited during start-up\n");
		exit(1);
	}
	close(fds[0]);
	setsid();
	return fds[1];
}

/* Descriptors to close one by one when close_range() is missing. */
enum { FALLBACK_OPEN_MAX = 1024 };

static void close_fds(unsigned int first, unsigned int last)
{
	long max;

	if (first > last || close_range(first, last, 0) == 0)
		return;
	/* Kernels before 5.9 have no close_range(): one at a time. */
	max = sysconf(_SC_OPEN_MAX);
	if (max <= 0 || max > INT_MAX)
		max = FALLBACK_OPEN_MAX;
	for (; first <= last && first < (unsigned long)max; first++)
		close(first);
}

/*
 * Close what the launcher left open beyond stdio and @keep (the pipe to
 * it): a daemon that kept, say, the read end of a pipe its caller waits
 * on, or someone's lock file, would hold it for its whole life.
 */
static void close_inherited(int keep)
{
	unsigned int first = STDERR_FILENO + 1;

	if (keep >= (int)first) {
		close_fds(first, keep - 1);
		first = keep + 1;
	}
	close_fds(first, ~0U);
}

static void report_ready(int ready_fd, const char *error)
{
	char msg[OCKAM_ERR_MSG_MAX + 16];
	int len;

	if (ready_fd < 0)
		return;
	if (error)
		len = snprintf(msg, sizeof(msg), "error: %s\n", error);
	else
		len = snprintf(msg, sizeof(msg), "ok\n");
	if (write(ready_fd, msg, len) < 0) {
		/* The launcher is gone; nobody is left to tell. */
	}
	close(ready_fd);
}

static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

static void on_signal(struct daemon *d, void *ctx, short revents)
{
	struct signalfd_siginfo si;
	int ret;

	(void)ctx;
	(void)revents;
	while (read(d->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_info("signal %d: stopping", si.ssi_signo);
			d->loop.stop = true;
			break;
		case SIGHUP:
			ret = log_open(d->dir_fd, OCKAM_NODE_LOG_FILE, d->name,
				       d->foreground);
			if (ret < 0)
				log_err("cannot reopen %s/%s: %s", d->dir,
					OCKAM_NODE_LOG_FILE, strerror(-ret));
			else
				log_info("log reopened");
			break;
		}
	}
}

static int open_signals(struct daemon *d, struct ockam_err *err)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return ockam_err_set(err, -errno, "sigprocmask: %s",
				     strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	d->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->signal_fd < 0)
		return ockam_err_set(err, -errno, "signalfd: %s", strerror(errno));
	if (loop_watch(&d->loop, d->signal_fd, POLLIN, on_signal, NULL) < 0)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

/*
 * A network namespace holds one node: refuse to start a second. Our own
 * node is skipped: asking about it would open and close our lock file,
 * and closing any descriptor of it releases our lock.
 */
static int check_netns_free(struct daemon *d, struct ockam_err *err)
{
	char **names;
	size_t count, i;
	int ret;

	ret = ockam_node_names(&names, &count);
	if (ret < 0)
		return ockam_err_set(err, ret, "cannot read the node registry: %s",
				     strerror(-ret));
	for (i = 0; i < count && !ret; i++) {
		pid_t pid;

		if (!strcmp(names[i], d->name) ||
		    ockam_node_running(names[i], &pid) != 1 ||
		    ockam_netns_same(pid) != 1)
			continue;
		ret = ockam_err_set(err, -EEXIST,
				    "node %s (pid %d) already runs in this network namespace; a network namespace holds one node",
				    names[i], (int)pid);
	}
	ockam_node_names_free(names, count);
	return ret;
}

static int start(struct daemon *d, const struct options *opt,
		 struct ockam_err *err)
{
	char path[OCKAM_PATH_MAX];
	struct stat st;
	unsigned int i;
	int ret;

	/* Every file the ockam command opens by path must fit too. */
	ret = ockam_node_path(opt->node, OCKAM_NODE_LONGEST_FILE, path,
			      sizeof(path));
	if (ret < 0)
		return ockam_err_set(err, ret, "node directory path too long");
	ockam_node_dir(opt->node, d->dir, sizeof(d->dir));
	ret = state_open(d, err);
	if (ret < 0)
		return ret;
	/* After the lock: of two nodes starting in one namespace at once,
	 * at least the second to get here sees the first.
	 */
	ret = check_netns_free(d, err);
	if (ret < 0)
		return ret;

	ret = log_open(d->dir_fd, OCKAM_NODE_LOG_FILE, d->name, d->foreground);
	if (ret < 0)
		return ockam_err_set(err, ret, "cannot open log %s/%s: %s", d->dir,
				     OCKAM_NODE_LOG_FILE, strerror(-ret));
	log_info("ockamd %s starting node %s (pid %d)", OCKAM_VERSION, d->name,
		 (int)getpid());
	if (stat("/proc/self/ns/net", &st) == 0)
		d->netns_inode = st.st_ino;

	ret = loop_init(&d->loop);
	if (ret < 0)
		return ockam_err_set(err, ret, "timerfd: %s", strerror(-ret));
	ret = open_signals(d, err);
	if (ret < 0)
		return ret;
	ret = kernel_open(d, err);
	if (ret < 0)
		return ret;
	ret = kernel_channel_timing(d, opt->channel_keepalive_ms,
				    opt->channel_give_up_ms, err);
	if (ret < 0)
		return ret;
	ret = services_open(d, err);
	if (ret < 0)
		return ret;
	ret = identities_open(d, err);
	if (ret < 0)
		return ret;
	ret = secure_listener_create(d, SECURE_DEFAULT_LISTENER, NULL, NULL,
				     SECURE_RESPONDER_TIMEOUT_MS_DEFAULT, err);
	if (ret < 0)
		return ret;
	ret = forwarding_open(d, opt->relay_authorized, opt->relay_forward,
			      err);
	if (ret < 0)
		return ret;
	ret = punctures_open(d, opt->rendezvous, err);
	if (ret < 0)
		return ret;
	ret = ctl_open(d, err);
	if (ret < 0)
		return ret;
	ret = listener_create(d, opt->listener, NULL, err);
	for (i = 0; i < opt->udp_bind_count && ret >= 0; i++)
		ret = udp_bind_create(d, opt->udp_binds[i], NULL, err);
	return ret;
}

/* Undo start(); after a failed start also the directory it made. */
static void stop(struct daemon *d, bool failed)
{
	ctl_close(d);
	inlets_close(d);
	udp_channels_close(d);
	outlets_close(d);
	relays_close(d);
	initiators_close(d);
	secure_listeners_close(d);
	listeners_close(d);
	udp_binds_close(d);
	conns_close(d);
	services_close(d);
	forwarding_close(d);
	punctures_close(d);
	if (d->nl)
		channels_close(d);
	/* Closing the netlink socket closes everything else we own, and
	 * the kernel wipes the keys of any channel still open.
	 */
	kernel_close(d);
	identities_close(d);
	if (d->signal_fd >= 0)
		close(d->signal_fd);
	loop_fini(&d->loop);
	state_close(d, failed);
}

/*
 * Pin a relative OCKAM_HOME to the current directory before leaving it,
 * for this process and any it starts.
 */
static int pin_home(void)
{
	char home[OCKAM_PATH_MAX];
	int ret = ockam_home(home, sizeof(home));

	if (ret < 0) {
		fprintf(stderr, "error: cannot find OCKAM_HOME: %s\n",
			strerror(-ret));
		return ret;
	}
	if (setenv("OCKAM_HOME", home, 1) < 0) {
		fprintf(stderr, "error: setenv: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct daemon d;
	struct options opt;
	struct ockam_err err;
	int ready_fd = -1, ret;

	if (parse_options(argc, argv, &opt) < 0) {
		fprintf(stderr, "try 'ockamd --help'\n");
		return 2;
	}
	umask(077);
	snprintf(d.name, sizeof(d.name), "%s", opt.node);
	d.foreground = opt.foreground;
	d.started = time(NULL);
	d.dir_fd = -1;
	d.lock_fd = -1;
	d.signal_fd = -1;
	d.ctl_fd = -1;
	d.loop.timer_fd = -1;
	if (pin_home() < 0)
		return 1;
	if (opt.verbose)
		log_set_level(LOG_LEVEL_DEBUG);
	/* A daemon's terminal hears only the verdict, through daemonize(). */
	log_set_stderr(opt.foreground);
	if (!opt.foreground) {
		ready_fd = daemonize();
		close_inherited(ready_fd);
		if (chdir("/") < 0) {
			/* Only matters for core dumps; keep going. */
		}
	}

	ockam_err_clear(&err);
	ret = start(&d, &opt, &err);
	if (ret < 0) {
		/* The user reads it once, as "error: ...". */
		log_set_stderr(false);
		log_err("cannot start node %s: %s", d.name, ockam_err_msg(&err));
		/* Undone before the verdict: the launcher may look. */
		stop(&d, true);
		log_close();
		if (opt.foreground)
			fprintf(stderr, "error: %s\n", ockam_err_msg(&err));
		report_ready(ready_fd, ockam_err_msg(&err));
		return 1;
	}
	log_info("node %s ready", d.name);
	report_ready(ready_fd, NULL);
	if (!opt.foreground)
		detach_stdio();

	ret = loop_run(&d, &d.loop);
	if (ret < 0)
		log_err("event loop: %s", strerror(-ret));
	stop(&d, false);
	log_info("node %s stopped", d.name);
	log_close();
	return ret < 0 ? 1 : 0;
}
