// SPDX-License-Identifier: GPL-2.0
/*
 * ockam-bench-mem: kernel memory per open secure channel and per bound
 * AF_OCKAM socket, as the counts grow.
 *
 *   ockam-bench-mem channels COUNT   COUNT channels, keys pushed directly
 *   ockam-bench-mem sockets COUNT    COUNT bound sockets, kept open
 *
 * "channels" installs each channel the way ockamd does after a handshake,
 * with OCKAM_CMD_CHANNEL_ADD on generic netlink: a bound AF_OCKAM socket
 * (its address becomes the decryptor; the socket is left unbound and
 * closed at once), two random keys, a route to the peer's decryptor, the
 * peer's identifier and a role. No handshake runs and no message moves:
 * what is measured is what an idle channel holds. The channels belong to
 * this program's netlink socket and close with it.
 *
 * Kernel memory is read from /proc/meminfo (Slab, Percpu, VmallocUsed)
 * before and after, each time after an RCU grace period has had time to
 * pass, the dentry and inode caches were dropped and every slab cache was
 * asked to give back its empty slabs, so that what stays is what the
 * objects hold; /proc/slabinfo names the caches that grew. Needs root
 * (CAP_NET_ADMIN, and the writes under /proc and /sys that settle the
 * caches; without them the figures are noisier).
 *
 * Each kind is measured twice. The first round runs on a node that never
 * held so many objects and includes growth that stays afterwards (a new
 * per-CPU chunk, larger hash tables); the second, right after, reuses it.
 *
 * Result lines, one per round: "result kind=mem-channel round=N count=...
 * bytes_per=... slab=... percpu=... vmalloc=... left_after_close=...
 * caches=NAME:+OBJECTSxSIZE,...", kind=mem-socket for sockets; byte
 * counts are deltas from before the objects were made.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <ockam/ockam.h>

enum {
	MEM_COUNT_MAX = 1000000,
	MEM_SETTLE_US = 1500000,	/* RCU callbacks, deferred frees */
	MEM_NAME_LEN = 32,		/* Ockam's random 32-hex addresses */
	MEM_ROUNDS = 2,
	MEM_CACHES_MAX = 512,
	MEM_CACHES_SHOWN = 4,
};

struct slab_cache {
	char name[64];
	long long objects;		/* active objects */
	long long size;			/* bytes per object */
};

struct snapshot {
	long long slab;
	long long percpu;
	long long vmalloc;
	unsigned int caches;
	struct slab_cache cache[MEM_CACHES_MAX];
};

static _Noreturn void die(const char *what, int err)
{
	fprintf(stderr, "ockam-bench-mem: %s: %s\n", what, strerror(err));
	exit(1);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

/* Let freed objects go back to the page allocator before a reading. */
static void settle(void)
{
	char path[512];
	struct dirent *d;
	DIR *dir;

	usleep(MEM_SETTLE_US);
	write_file("/proc/sys/vm/drop_caches", "2\n");
	dir = opendir("/sys/kernel/slab");
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 d->d_name);
		write_file(path, "1\n");
	}
	closedir(dir);
}

/* Objects per slab cache, from /proc/slabinfo (root only; else none). */
static void slabinfo_read(struct snapshot *s)
{
	struct slab_cache *c;
	char line[512];
	FILE *f;

	s->caches = 0;
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return;
	while (s->caches < MEM_CACHES_MAX && fgets(line, sizeof(line), f)) {
		c = &s->cache[s->caches];
		if (sscanf(line, "%63s %lld %*d %lld", c->name, &c->objects,
			   &c->size) == 3)
			s->caches++;
	}
	fclose(f);
}

static void snapshot_take(struct snapshot *s)
{
	char line[256];
	long long kb;
	FILE *f;

	settle();
	s->slab = s->percpu = s->vmalloc = 0;
	f = fopen("/proc/meminfo", "r");
	if (!f)
		die("/proc/meminfo", errno);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Slab: %lld kB", &kb) == 1)
			s->slab = kb * 1024;
		else if (sscanf(line, "Percpu: %lld kB", &kb) == 1)
			s->percpu = kb * 1024;
		else if (sscanf(line, "VmallocUsed: %lld kB", &kb) == 1)
			s->vmalloc = kb * 1024;
	}
	fclose(f);
	slabinfo_read(s);
}

static long long snapshot_total(const struct snapshot *s)
{
	return s->slab + s->percpu + s->vmalloc;
}

/* The caches that grew most from @a to @b, as "name:+objectsxsize,...". */
static void caches_grown(const struct snapshot *a, const struct snapshot *b,
			 char *buf, size_t size)
{
	long long grown[MEM_CACHES_MAX], best;
	unsigned int i, j, shown, pick;
	size_t len = 0;

	for (i = 0; i < b->caches; i++) {
		grown[i] = b->cache[i].objects;
		for (j = 0; j < a->caches; j++) {
			if (!strcmp(a->cache[j].name, b->cache[i].name)) {
				grown[i] -= a->cache[j].objects;
				break;
			}
		}
	}
	buf[0] = '\0';
	for (shown = 0; shown < MEM_CACHES_SHOWN; shown++) {
		best = 0;
		pick = b->caches;
		for (i = 0; i < b->caches; i++) {
			if (grown[i] > 0 && grown[i] * b->cache[i].size > best) {
				best = grown[i] * b->cache[i].size;
				pick = i;
			}
		}
		if (pick == b->caches || len >= size)
			break;
		len += snprintf(buf + len, size - len, "%s%s:+%lldx%lld",
				shown ? "," : "", b->cache[pick].name,
				grown[pick], b->cache[pick].size);
		grown[pick] = 0;
	}
}

static void report(const char *kind, unsigned int round, unsigned int count,
		   const struct snapshot *before, const struct snapshot *with,
		   const struct snapshot *after)
{
	long long used = snapshot_total(with) - snapshot_total(before);
	char caches[512];

	caches_grown(before, with, caches, sizeof(caches));
	printf("result kind=%s round=%u count=%u bytes_per=%.0f slab=%lld "
	       "percpu=%lld vmalloc=%lld left_after_close=%lld caches=%s\n",
	       kind, round, count, (double)used / count,
	       with->slab - before->slab, with->percpu - before->percpu,
	       with->vmalloc - before->vmalloc,
	       snapshot_total(after) - snapshot_total(before),
	       caches[0] ? caches : "-");
}

/* A local address in Ockam's form, unique per @i. */
static void name_of(char *buf, size_t size, const char *tag, unsigned int i)
{
	snprintf(buf, size, "%s%0*x", tag, MEM_NAME_LEN - (int)strlen(tag), i);
}

static int bound_socket(const char *tag, unsigned int i)
{
	char name[MEM_NAME_LEN + 1];
	int fd = ockam_socket(SOCK_CLOEXEC), ret;

	if (fd < 0)
		die("socket", -fd);
	name_of(name, sizeof(name), tag, i);
	ret = ockam_bind(fd, name);
	if (ret)
		die(name, -ret);
	return fd;
}

static void raise_fd_limit(unsigned int count)
{
	struct rlimit rl = { .rlim_cur = count + 64, .rlim_max = count + 64 };
	struct rlimit old;

	if (!getrlimit(RLIMIT_NOFILE, &old) && old.rlim_cur >= rl.rlim_cur)
		return;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("RLIMIT_NOFILE (run as root)", errno);
}

static struct snapshot snap[3];

static int run_sockets(unsigned int count)
{
	int *fds = calloc(count, sizeof(*fds));
	unsigned int i, round;

	if (!fds)
		die("malloc", ENOMEM);
	raise_fd_limit(count);
	for (round = 1; round <= MEM_ROUNDS; round++) {
		snapshot_take(&snap[0]);
		for (i = 0; i < count; i++)
			fds[i] = bound_socket("s", i);
		snapshot_take(&snap[1]);
		for (i = 0; i < count; i++)
			close(fds[i]);
		snapshot_take(&snap[2]);
		report("mem-socket", round, count, &snap[0], &snap[1], &snap[2]);
	}
	free(fds);
	return 0;
}

/* ------------------------------------------------------------ channels */

struct channel_nl {
	struct nl_sock *sk;
	struct nl_cb *cb;
	int family;
	struct ockam_wire_route route;
	bool done;			/* the kernel answered */
	int error;			/* its answer: -errno or 0 */
	char extack[256];		/* and its explanation, if any */
};

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct channel_nl *c = arg;

	(void)msg;
	c->done = true;
	return NL_STOP;
}

/* Keep the kernel's errno and extack message ("cannot add ..."). */
static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct channel_nl *c = arg;
	size_t offset = NLMSG_HDRLEN + sizeof(*e);

	(void)who;
	c->done = true;
	c->error = e->error;
	c->extack[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset += e->msg.nlmsg_len - NLMSG_HDRLEN;
	offset = NLMSG_ALIGN(offset);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && nlh->nlmsg_len > offset &&
	    !nla_parse(tb, NLMSGERR_ATTR_MAX,
		       (struct nlattr *)((char *)nlh + offset),
		       nlh->nlmsg_len - offset, NULL) &&
	    tb[NLMSGERR_ATTR_MSG])
		snprintf(c->extack, sizeof(c->extack), "%s",
			 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

static void channel_nl_open(struct channel_nl *c)
{
	struct ockam_route *rt = calloc(1, sizeof(*rt));
	struct ockam_err err = { 0 };
	int ret, one = 1;
	ssize_t len;

	c->sk = nl_socket_alloc();
	if (!c->sk || !rt)
		die("malloc", ENOMEM);
	ret = genl_connect(c->sk);
	if (ret < 0) {
		fprintf(stderr, "ockam-bench-mem: generic netlink: %s\n",
			nl_geterror(ret));
		exit(1);
	}
	c->family = genl_ctrl_resolve(c->sk, OCKAM_GENL_NAME);
	if (c->family < 0)
		die("the ockam netlink family (is the module loaded?)", ENOENT);
	setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	c->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!c->cb)
		die("malloc", ENOMEM);
	nl_cb_set(c->cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, c);
	nl_cb_err(c->cb, NL_CB_CUSTOM, on_error, c);
	/* The route to each channel's peer decryptor: as long as a real
	 * one over a TCP hop ("/ip4/10.0.12.2/tcp/4000" and a 32-hex
	 * address, 51 bytes encoded), but leading to a local address that
	 * does not exist, so that the close messages the channels send when
	 * they go away are dropped at once rather than wait for a dial.
	 */
	if (ockam_route_parse(rt, "/service/peer-transport/service/"
			      "0123456789abcdef0123456789abcdef",
			      NULL, NULL, &err)) {
		fprintf(stderr, "ockam-bench-mem: %s\n", ockam_err_msg(&err));
		exit(1);
	}
	len = ockam_route_to_wire(rt, c->route.bytes, sizeof(c->route.bytes));
	if (len < 0)
		die("route", -len);
	c->route.len = len;
	free(rt);
}

static void channel_add(struct channel_nl *c, unsigned int i)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t keys[2 * OCKAM_KEY_LEN], id_bytes[32];
	char identifier[OCKAM_IDENTIFIER_LEN + 1];
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *nest;
	int fd = bound_socket("c", i), ret;
	unsigned int k;

	if (!msg)
		die("malloc", ENOMEM);
	if (getrandom(keys, sizeof(keys), 0) != sizeof(keys) ||
	    getrandom(id_bytes, sizeof(id_bytes), 0) != sizeof(id_bytes))
		die("getrandom", errno);
	identifier[0] = 'I';
	for (k = 0; k < sizeof(id_bytes); k++) {
		identifier[1 + 2 * k] = hex[id_bytes[k] >> 4];
		identifier[2 + 2 * k] = hex[id_bytes[k] & 15];
	}
	identifier[OCKAM_IDENTIFIER_LEN] = '\0';
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0, 0,
			 OCKAM_CMD_CHANNEL_ADD, OCKAM_GENL_VERSION) ||
	    !(nest = nla_nest_start(msg, OCKAM_A_CHANNEL)) ||
	    nla_put_u32(msg, OCKAM_CHANNEL_A_FD, fd) < 0 ||
	    nla_put(msg, OCKAM_CHANNEL_A_TX_KEY, OCKAM_KEY_LEN, keys) < 0 ||
	    nla_put(msg, OCKAM_CHANNEL_A_RX_KEY, OCKAM_KEY_LEN,
		    keys + OCKAM_KEY_LEN) < 0 ||
	    nla_put(msg, OCKAM_CHANNEL_A_ROUTE, c->route.len,
		    c->route.bytes) < 0 ||
	    nla_put_string(msg, OCKAM_CHANNEL_A_IDENTIFIER, identifier) < 0 ||
	    nla_put_u32(msg, OCKAM_CHANNEL_A_ROLE, OCKAM_ROLE_INITIATOR) < 0)
		die("netlink message", EMSGSIZE);
	nla_nest_end(msg, nest);
	explicit_bzero(keys, sizeof(keys));
	ret = nl_send_auto(c->sk, msg);
	nlmsg_free(msg);
	c->done = false;
	c->error = 0;
	while (ret >= 0 && !c->done)
		ret = nl_recvmsgs(c->sk, c->cb);
	if (c->error) {
		fprintf(stderr, "ockam-bench-mem: channel add %u: %s%s%s\n", i,
			c->extack, c->extack[0] ? ": " : "",
			strerror(-c->error));
		exit(1);
	}
	if (ret < 0) {
		fprintf(stderr, "ockam-bench-mem: channel add %u: %s\n", i,
			nl_geterror(ret));
		exit(1);
	}
	close(fd);
}

static int run_channels(unsigned int count)
{
	struct channel_nl c = { 0 };
	unsigned int i, round;

	for (round = 1; round <= MEM_ROUNDS; round++) {
		channel_nl_open(&c);
		snapshot_take(&snap[0]);
		for (i = 0; i < count; i++)
			channel_add(&c, i);
		snapshot_take(&snap[1]);
		/* The channels close with the socket that added them. */
		nl_socket_free(c.sk);
		nl_cb_put(c.cb);
		snapshot_take(&snap[2]);
		report("mem-channel", round, count, &snap[0], &snap[1], &snap[2]);
	}
	return 0;
}

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: ockam-bench-mem channels|sockets COUNT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long count;
	char *end;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3)
		usage();
	errno = 0;
	count = strtoul(argv[2], &end, 10);
	if (errno || end == argv[2] || *end || argv[2][0] == '-' || !count ||
	    count > MEM_COUNT_MAX) {
		fprintf(stderr, "ockam-bench-mem: COUNT must be 1 to %d, not '%s'\n",
			MEM_COUNT_MAX, argv[2]);
		exit(2);
	}
	if (!strcmp(argv[1], "channels"))
		return run_channels(count);
	if (!strcmp(argv[1], "sockets"))
		return run_sockets(count);
	usage();
}
