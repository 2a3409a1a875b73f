// SPDX-License-Identifier: GPL-2.0
/*
 * ockam-stress: randomized stress of AF_OCKAM, and a delivery check.
 *
 *   ockam-stress run --netns NAME... [--seed N] [--duration SEC]
 *                    [--threads N] [--max-ops N] [--grace SEC] [--pin]
 *                    [--ops LIST] [--trace]
 *   ockam-stress deliver --from NS --to NS --route ROUTE [--count N]
 *                    [--size MAX] [--interval-ms MS] [--wait SEC]
 *                    [--channel] [--min-delivered N] [--seed N]
 *   ockam-stress stream --to HOST:PORT [--bytes N] [--seed N] [--wait SEC]
 *                    [--whole]
 *
 * run: for --duration seconds, --threads threads each draw operations at
 * random and carry them out in one of the network namespaces named by
 * --netns (/run/netns/NAME, entered with setns() before each operation,
 * or always the same one with --pin): sockets created, bound, connected,
 * sent on, received from, polled and closed, valid and invalid; socket
 * options; generic netlink changes (transports attached and detached,
 * aliases and secure channels added and deleted, node settings) while
 * other threads dump the tables; raw netlink requests that are malformed
 * on purpose; TCP peers of attached transports that die in the middle of
 * a frame; UDP binds (IPv4 and IPv6) attached and detached while messages
 * of one to many datagrams cross between them and the datagram size
 * changes, and a hostile plain UDP peer sending garbage and random
 * fragment sequences from many ports, alone and in UDP_SEGMENT batches
 * that the bind takes whole, its partial messages left to time
 * out or held when the bind is detached or its owning netlink socket
 * closes. The sockets live in a table shared by every thread, so one
 * thread closes a socket while another is blocked on it.
 *
 * Errors are expected and only counted, per operation and errno; the
 * table is printed at the end. The run fails (exit status 1) only on an
 * outcome that must never happen: a call that must fail and succeeded
 * (an unknown flag, a route that does not parse, a channel key of the
 * wrong length...), a received message stamped by this program whose
 * keyed hash does not verify, or a reply that cannot be. A thread still
 * busy --grace seconds after the end is a hang: its operation and the
 * kernel stack of every busy thread are printed and the exit status is 3.
 *
 * The first line is always "seed N". The parameters of operation K of
 * thread T are drawn from a generator seeded with (N, T, K) alone, so
 * each thread's sequence of operations is the same on every run with
 * that seed; what differs between runs is how the threads interleave
 * and, for a few operations, which of the names a dump returned is
 * picked. --max-ops ends each thread after that many operations, and
 * --trace prints every operation as it ends.
 *
 * deliver: a sink bound in namespace --to and a sender in --from; the
 * sender sends --count numbered messages along ROUTE followed by the
 * sink's name, each carrying its number, its length and a keyed hash of
 * its random content. Every message the sink gets must be intact and
 * seen once; messages may be lost. With --channel every message must
 * also carry the identity of the same secure channel peer. The result
 * line gives sent, delivered, lost, corrupted and duplicated counts; the
 * exit status is 1 when anything arrived corrupted or twice, arrived
 * although its send failed, or fewer than --min-delivered arrived.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <sodium.h>
#include <ockam/ockam.h>

#include "wire.h"

#ifndef SIOCINQ
#define SIOCINQ FIONREAD
#endif
#ifndef SIOCOUTQ
#define SIOCOUTQ TIOCOUTQ
#endif

enum {
	SLOTS = 48,		/* shared socket table */
	NS_MAX = 16,		/* --netns names */
	THREADS_MAX = 64,
	ERRNO_SLOTS = 134,	/* 0 is success; errno values up to 133 */
	SEEN_MAX = 32,		/* names remembered from dumps, per node */
	OWN_MAX = 8,		/* transports and channels kept, per node */
	PAYLOAD_MAX = 65536,
	BIG_MESSAGE = OCKAM_MAX_MESSAGE_MAX + 4096,
	RING = 8,		/* last operations kept per thread */
	DESC_LEN = 200,
	LINE_LEN = DESC_LEN + 96,	/* a description and what came of it */
	POOL_NAMES = 12,	/* shared names, so threads collide */
	TCP_PORT = 4000,	/* where each node's ockamd listens */
	/* A new node's settings, as Documentation/netlink.rst gives them. */
	NODE_MAX_MESSAGE_DEFAULT = 1 << 20,
	NODE_HOP_LIMIT_DEFAULT = 32,
	NODE_DIAL_TIMEOUT_DEFAULT_MS = 5000,
	CONNECT_MS = 2000,
};

/* ----------------------------------------------------------- generator */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A generator that depends on the three numbers only. */
static void rng_seed(struct rng *r, uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t x = a;
	int i;

	x ^= splitmix64(&x) + b * 0xd1b54a32d192ed03ULL;
	x ^= splitmix64(&x) + c * 0x8cb92ba72f3d8dd7ULL;
	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static uint64_t rnd(struct rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(((rnd(r) >> 32) * n) >> 32) : 0;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 100) < percent;
}

static void rnd_bytes(struct rng *r, void *buf, size_t len)
{
	uint8_t *p = buf;
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!(i & 7))
			v = rnd(r);
		p[i] = v;
		v >>= 8;
	}
}

/* ----------------------------------------------------------- operations */

enum stress_op {
	OP_NETNS,	/* enter a namespace (counted when it fails) */
	OP_SOCKET,
	OP_CLOSE,
	OP_BIND,
	OP_CONNECT,
	OP_SEND,
	OP_RECV,
	OP_POLL,
	OP_SOCKOPT,
	OP_SHUTDOWN,
	OP_IOCTL,
	OP_GETNAME,
	OP_ECHO,	/* a round trip that should work, checked */
	OP_DUMP,
	OP_NODE_SET,
	OP_ALIAS_ADD,
	OP_ALIAS_DEL,
	OP_ATTACH,
	OP_DETACH,
	OP_CHANNEL_ADD,
	OP_CHANNEL_DEL,
	OP_CHANNEL_SET,	/* a new route, or keys, for a channel */
	OP_NL_REOPEN,	/* close a netlink owner: its transports and
			 * channels go with it
			 */
	OP_NL_RAW,	/* hand-made, often malformed, requests */
	OP_EVENTS,
	OP_PEER_CUT,	/* raw TCP peer of a transport dies mid-frame */
	OP_DAEMON_CUT,	/* the same against a daemon's listener */
	OP_RELAY_CLOSE,	/* a relay's inbound closes while paused */
	OP_CLOSE_RACE,	/* the peer's close racing channel-add */
	OP_SHARED_PAGES,	/* a TCP frame sealed, the next behind it */
	OP_PORTAL,	/* two sessions carry checked streams, then end */
	OP_PORTAL_HOSTILE,	/* a session's peer turns hostile */
	OP_UDP_BIND,	/* UDP binds attached, detached, listed */
	OP_UDP,		/* messages over UDP between the node's binds */
	OP_UDP_HOSTILE,	/* a plain UDP peer sends garbage and fragments */
	OP_COUNT
};

static const struct {
	const char *name;
	unsigned int weight;
} op_defs[OP_COUNT] = {
	[OP_NETNS] = { "netns", 0 },
	[OP_SOCKET] = { "socket", 6 },
	[OP_CLOSE] = { "close", 2 },
	[OP_BIND] = { "bind", 6 },
	[OP_CONNECT] = { "connect", 4 },
	[OP_SEND] = { "send", 14 },
	[OP_RECV] = { "recv", 10 },
	[OP_POLL] = { "poll", 4 },
	[OP_SOCKOPT] = { "sockopt", 5 },
	[OP_SHUTDOWN] = { "shutdown", 1 },
	[OP_IOCTL] = { "ioctl", 2 },
	[OP_GETNAME] = { "getname", 2 },
	[OP_ECHO] = { "echo", 6 },
	[OP_DUMP] = { "dump", 5 },
	[OP_NODE_SET] = { "node-set", 1 },
	[OP_ALIAS_ADD] = { "alias-add", 3 },
	[OP_ALIAS_DEL] = { "alias-del", 2 },
	[OP_ATTACH] = { "attach", 3 },
	[OP_DETACH] = { "detach", 2 },
	[OP_CHANNEL_ADD] = { "channel-add", 3 },
	[OP_CHANNEL_DEL] = { "channel-del", 2 },
	[OP_CHANNEL_SET] = { "channel-set", 2 },
	[OP_NL_REOPEN] = { "nl-reopen", 1 },
	[OP_NL_RAW] = { "nl-raw", 3 },
	[OP_EVENTS] = { "events", 1 },
	[OP_PEER_CUT] = { "peer-cut", 2 },
	[OP_DAEMON_CUT] = { "daemon-cut", 1 },
	[OP_RELAY_CLOSE] = { "relay-close", 1 },
	[OP_CLOSE_RACE] = { "close-race", 2 },
	[OP_SHARED_PAGES] = { "shared-pages", 2 },
	[OP_PORTAL] = { "portal", 3 },
	[OP_PORTAL_HOSTILE] = { "portal-hostile", 2 },
	[OP_UDP_BIND] = { "udp-bind", 2 },
	[OP_UDP] = { "udp", 3 },
	[OP_UDP_HOSTILE] = { "udp-hostile", 2 },
};

/* Transports and channels a thread made on one node. */
struct owned {
	char name[OWN_MAX][OCKAM_NAME_MAX];
	unsigned int count;
};

struct worker {
	int idx;
	pthread_t thread;
	pid_t tid;
	struct rng rng;			/* reseeded for every operation */
	uint64_t op_no;
	int ns;				/* index in G.ns_name, or -1: initial */
	/* Per node (and one more for the initial namespace). */
	struct ockam_nl *nl[NS_MAX + 1];
	ino_t nl_ino[NS_MAX + 1];
	struct owned transports[NS_MAX + 1];
	struct owned channels[NS_MAX + 1];
	struct owned udp[NS_MAX + 1];
	char seen[NS_MAX + 1][SEEN_MAX][OCKAM_NAME_MAX];
	unsigned int seen_count[NS_MAX + 1];
	uint8_t *buf;			/* PAYLOAD_MAX + stamp */
	uint8_t *rbuf;
	/* What the thread is doing, for hang reports and --trace. */
	pthread_mutex_t lock;
	_Atomic long long op_start;	/* ms; 0 between operations */
	_Atomic int op_kind;
	char desc[DESC_LEN];
	char ring[RING][LINE_LEN];
	unsigned int ring_pos;
	unsigned long ops;
};

static struct {
	uint64_t seed;
	double duration;
	double grace;
	int threads;
	long max_ops;
	bool pin;
	bool trace;
	bool enabled[OP_COUNT];
	unsigned int weight_total;
	int n_ns;
	const char *ns_name[NS_MAX];
	int init_ns;			/* fd of the namespace we started in */
	int family;
	int genl_id;			/* the "ockam" generic netlink family */
	int devnull;
	int slot[SLOTS];		/* fixed descriptor numbers */
	uint8_t mac_key[crypto_generichash_KEYBYTES];
	uint8_t *big;			/* BIG_MESSAGE zero bytes */
	long long start_ms;
	long long end_ms;
	atomic_bool stop;
	atomic_int failures;
	struct worker *workers;
	pthread_mutex_t out_lock;
	/* Per operation and errno (0: success). */
	_Atomic unsigned long count[OP_COUNT][ERRNO_SLOTS];
	/* Stamped messages received and checked, and those that failed. */
	_Atomic unsigned long stamps_sent, stamps_ok, stamps_bad;
	_Atomic unsigned long impossible;
	_Atomic unsigned long children;
	/* Portal streams: whole, reset, stalled; bytes checked; hostile
	 * messages answered with a reset.
	 */
	_Atomic unsigned long portal_whole, portal_reset, portal_stalled;
	_Atomic unsigned long portal_bytes, portal_hostile_reset;
	/* UDP: stamped messages sent between binds and delivered; genuine
	 * messages a hostile peer cut up, and those that came whole.
	 */
	_Atomic unsigned long udp_sent, udp_delivered;
	_Atomic unsigned long udp_hostile, udp_hostile_whole;
	_Atomic unsigned long udp_hostile_forged;
	/* Each node's settings as the scripts left them, read at start. */
	struct ockam_node_info settings[NS_MAX + 1];
	bool settings_known[NS_MAX + 1];
} G;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ockam-stress: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static const char *errname(int err)
{
	const char *name = err ? strerrorname_np(err) : "ok";

	return name ? name : "E?";
}

/* ------------------------------------------------------ what we report */

/* Start describing the current operation (shown in hangs and failures). */
static void describe(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void describe(struct worker *w, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	pthread_mutex_lock(&w->lock);
	len = strlen(w->desc);
	if (len < sizeof(w->desc) - 1) {
		va_start(ap, fmt);
		vsnprintf(w->desc + len, sizeof(w->desc) - len, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&w->lock);
}

/* Something that must never happen. */
static void fail(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&G.failures, 1);
	pthread_mutex_lock(&G.out_lock);
	fprintf(stdout, "FAIL seed %" PRIu64 " thread %d op %" PRIu64 " (%s): ",
		G.seed, w->idx, w->op_no, op_defs[w->op_kind].name);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&w->lock);
	fprintf(stdout, "\n  during: %s\n", w->desc);
	pthread_mutex_unlock(&w->lock);
	fflush(stdout);
	pthread_mutex_unlock(&G.out_lock);
}

/* A call that had to fail returned @ret. */
static void must_fail(struct worker *w, long ret, const char *what)
{
	if (ret >= 0) {
		atomic_fetch_add(&G.impossible, 1);
		fail(w, "impossible success: %s returned %ld", what, ret);
	}
}

/* -errno of a failed libc call, or the result. */
static long sys(long ret)
{
	return ret < 0 ? -errno : ret;
}

static void account(enum stress_op op, long ret)
{
	int e = ret < 0 ? (int)-ret : 0;

	if (e >= ERRNO_SLOTS)
		e = ERRNO_SLOTS - 1;
	atomic_fetch_add(&G.count[op][e], 1);
}

/* ------------------------------------------------ stamped payloads */

/*
 * A payload this program can recognise and check: a magic (lowercase, so
 * a service that changes case does not leave a stamp behind), an id, the
 * total length and a keyed hash of everything else.
 */
struct stamp {
	char magic[8];
	uint64_t id;
	uint32_t len;
	uint8_t mac[16];
} __attribute__((packed));

static const char STAMP_MAGIC[8] = "stress01";

static void stamp_mac(const uint8_t *msg, size_t len, uint8_t *mac)
{
	crypto_generichash_state st;
	const struct stamp *s = (const struct stamp *)msg;

	crypto_generichash_init(&st, G.mac_key, sizeof(G.mac_key), 16);
	crypto_generichash_update(&st, (const uint8_t *)&s->id,
				  sizeof(s->id) + sizeof(s->len));
	crypto_generichash_update(&st, msg + sizeof(*s), len - sizeof(*s));
	crypto_generichash_final(&st, mac, 16);
}

/* Fill @buf with a stamped message of @len bytes (at least a stamp). */
static size_t stamp_make(struct rng *r, uint8_t *buf, size_t len, uint64_t id)
{
	struct stamp *s = (struct stamp *)buf;

	if (len < sizeof(*s))
		len = sizeof(*s);
	memcpy(s->magic, STAMP_MAGIC, sizeof(s->magic));
	s->id = id;
	s->len = len;
	rnd_bytes(r, buf + sizeof(*s), len - sizeof(*s));
	stamp_mac(buf, len, s->mac);
	return len;
}

enum stamp_verdict { STAMP_NONE, STAMP_OK, STAMP_BAD };

/* Check a whole message that may be stamped. */
static enum stamp_verdict stamp_check(const uint8_t *buf, size_t len,
				      uint64_t *id)
{
	const struct stamp *s = (const struct stamp *)buf;
	uint8_t mac[16];

	if (len < sizeof(s->magic) ||
	    memcmp(s->magic, STAMP_MAGIC, sizeof(s->magic)))
		return STAMP_NONE;
	if (len < sizeof(*s) || s->len != len)
		return STAMP_BAD;
	stamp_mac(buf, len, mac);
	if (sodium_memcmp(mac, s->mac, sizeof(mac)))
		return STAMP_BAD;
	if (id)
		*id = s->id;
	return STAMP_OK;
}

/* A received message, whole: stamped ones must verify. */
static void check_received(struct worker *w, const uint8_t *buf, size_t len,
			   const char *where)
{
	switch (stamp_check(buf, len, NULL)) {
	case STAMP_OK:
		atomic_fetch_add(&G.stamps_ok, 1);
		break;
	case STAMP_BAD:
		atomic_fetch_add(&G.stamps_bad, 1);
		fail(w, "corrupted message received (%s, %zu bytes)", where,
		     len);
		break;
	case STAMP_NONE:
		break;
	}
}

/* ------------------------------------------------------------ namespaces */

/* Slot in the per-node arrays for the namespace the thread is in. */
static int node_idx(const struct worker *w)
{
	return w->ns < 0 ? G.n_ns : w->ns;
}

static int netns_open(int idx)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/run/netns/%s", G.ns_name[idx]);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/*
 * Enter namespace @idx. One that is gone (deleted by the script, maybe
 * about to come back) sends the thread to the initial namespace, so no
 * thread keeps a deleted namespace alive.
 */
static int netns_enter(struct worker *w, int idx)
{
	int fd = netns_open(idx), err = 0;

	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		err = -errno;
		if (setns(G.init_ns, CLONE_NEWNET))
			die("setns back to the initial namespace: %m");
		w->ns = -1;
	} else {
		w->ns = idx;
	}
	if (fd >= 0)
		close(fd);
	return err;
}

/* Back to @idx (-1: the initial namespace) after a visit elsewhere. */
static int netns_return(struct worker *w, int idx)
{
	if (idx >= 0)
		return netns_enter(w, idx);
	if (setns(G.init_ns, CLONE_NEWNET))
		die("setns back to the initial namespace: %m");
	w->ns = -1;
	return 0;
}

static ino_t netns_ino(void)
{
	struct stat st;

	return stat("/proc/thread-self/ns/net", &st) ? 0 : st.st_ino;
}

/* This thread's netlink handle on its current node, opened on demand. */
static struct ockam_nl *nl_get(struct worker *w)
{
	int n = node_idx(w);
	ino_t ino = netns_ino();

	if (w->nl[n] && w->nl_ino[n] != ino) {
		/* The namespace was deleted and made again. */
		ockam_nl_close(w->nl[n]);
		w->nl[n] = NULL;
		w->transports[n].count = 0;
		w->channels[n].count = 0;
		w->udp[n].count = 0;
		w->seen_count[n] = 0;
	}
	if (!w->nl[n] && !ockam_nl_open(&w->nl[n], NULL))
		w->nl_ino[n] = ino;
	return w->nl[n];
}

/* IPv4 addresses of the current namespace, loopback aside. */
struct ip4 {
	struct in_addr addr, mask;
};

static int ip4_list(struct ip4 *out, int max)
{
	struct ifaddrs *ifa, *i;
	int n = 0;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i && n < max; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    (i->ifa_flags & IFF_LOOPBACK) || !i->ifa_netmask)
			continue;
		out[n].addr = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		out[n].mask = ((struct sockaddr_in *)i->ifa_netmask)->sin_addr;
		n++;
	}
	freeifaddrs(ifa);
	return n;
}

/*
 * An address of namespace @to that the thread's current namespace reaches
 * directly (on a subnet both have), or 127.0.0.1 when @to is the current
 * one. Leaves the thread where it was. -ENETUNREACH when none.
 */
static int peer_addr(struct worker *w, int to, struct in_addr *out)
{
	struct ip4 mine[8], theirs[8];
	int from = w->ns, n_mine, n_theirs, i, j, err;

	if (to == from) {
		out->s_addr = htonl(INADDR_LOOPBACK);
		return 0;
	}
	n_mine = ip4_list(mine, 8);
	if (to < 0)
		return -ENETUNREACH;
	err = netns_enter(w, to);
	n_theirs = err ? err : ip4_list(theirs, 8);
	if (netns_return(w, from))
		return -ENOENT;
	if (n_mine < 0 || n_theirs < 0)
		return n_mine < 0 ? n_mine : n_theirs;
	for (i = 0; i < n_theirs; i++)
		for (j = 0; j < n_mine; j++)
			if (((theirs[i].addr.s_addr ^ mine[j].addr.s_addr) &
			     mine[j].mask.s_addr) == 0) {
				*out = theirs[i].addr;
				return 0;
			}
	return -ENETUNREACH;
}

/*
 * A namespace to talk to: any of them (peer_addr() finds out whether it
 * is a neighbour), sometimes this one.
 */
static int pick_peer_ns(struct worker *w)
{
	if (G.n_ns == 0 || chance(&w->rng, 15))
		return w->ns;
	return below(&w->rng, G.n_ns);
}

/* ------------------------------------------------------------- names */

static bool name_reserved(const char *name)
{
	/* The delivery check's sinks are not ours to disturb. */
	return !strncmp(name, "dlv", 3);
}

static void seen_add(struct worker *w, const char *name)
{
	int n = node_idx(w);
	unsigned int i = w->seen_count[n] % SEEN_MAX;

	if (name_reserved(name))
		return;
	snprintf(w->seen[n][i], OCKAM_NAME_MAX, "%s", name);
	w->seen_count[n]++;
}

static void random_hex(struct rng *r, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = hex[below(r, 16)];
	out[len] = 0;
}

/* The daemon's own names: taking one would stop a restarted daemon. */
static bool daemon_name(const char *name)
{
	return !strcmp(name, "echo") || !strcmp(name, "uppercase") ||
	       !strcmp(name, "api");
}

/*
 * A valid local name of at most @max bytes: shared names that collide
 * across threads, names seen in dumps, the daemon's services (only as
 * destinations, never to take: @take), random ones.
 */
static void name_of(struct worker *w, char *out, size_t max, bool take)
{
	static const char *const services[] = { "echo", "uppercase", "api" };
	int n = node_idx(w);
	unsigned int k = below(&w->rng, 100), seen = w->seen_count[n];
	size_t len;

	if (k >= 40 && k < 60 && seen) {
		snprintf(out, max + 1, "%s",
			 w->seen[n][below(&w->rng, seen < SEEN_MAX ? seen : SEEN_MAX)]);
		if (!take || !daemon_name(out))
			return;
	}
	if (k < 60 || (k < 70 && take)) {
		snprintf(out, max + 1, "p%u", below(&w->rng, POOL_NAMES));
	} else if (k < 70) {
		snprintf(out, max + 1, "%s", services[below(&w->rng, 3)]);
	} else {
		len = 1 + below(&w->rng, 32);
		if (chance(&w->rng, 5))
			len = max;
		if (len > max)
			len = max;
		random_hex(&w->rng, out, len);
	}
}

/* A name to send to. */
static void pick_name(struct worker *w, char *out, size_t max)
{
	name_of(w, out, max, false);
}

/* A name to take: bind, an alias, a transport's address. */
static void take_name(struct worker *w, char *out, size_t max)
{
	name_of(w, out, max, true);
}

/* A name every local-name rule refuses. */
static void bad_name(struct worker *w, char *out, size_t max)
{
	static const char *const bad[] = {
		"", "a/b", "a#b", "sp ace", "\x01x", "tab\t", "\x7f", "/",
		"#", "caf\xc3\xa9",
	};
	size_t len;

	if (max > OCKAM_ADDR_VALUE_MAX && chance(&w->rng, 20)) {
		/* One byte too long. */
		len = OCKAM_ADDR_VALUE_MAX + 1;
		memset(out, 'x', len);
		out[len] = 0;
		return;
	}
	snprintf(out, max + 1, "%s", bad[below(&w->rng, 10)]);
}

/* ------------------------------------------------------------- routes */

/* An encoded route under construction: the addresses, then the count. */
struct route_gen {
	uint8_t addrs[OCKAM_ROUTE_BYTES_MAX];
	size_t len;
	unsigned int hops;
};

static size_t uleb_put(uint8_t *p, uint32_t v)
{
	size_t n = 0;

	do {
		p[n] = v & 0x7f;
		v >>= 7;
		if (v)
			p[n] |= 0x80;
		n++;
	} while (v);
	return n;
}

static bool rg_add(struct route_gen *g, uint8_t type, const void *v,
		   size_t len)
{
	if (g->hops >= OCKAM_ROUTE_HOPS_MAX ||
	    g->len + 1 + 2 + len > sizeof(g->addrs))
		return false;
	g->addrs[g->len++] = type;
	g->len += uleb_put(g->addrs + g->len, len);
	memcpy(g->addrs + g->len, v, len);
	g->len += len;
	g->hops++;
	return true;
}

static bool rg_local(struct route_gen *g, const char *name)
{
	return rg_add(g, OCKAM_ADDR_LOCAL, name, strlen(name));
}

static size_t rg_finish(const struct route_gen *g, uint8_t *out)
{
	size_t n = uleb_put(out, g->hops);

	memcpy(out + n, g->addrs, g->len);
	return n + g->len;
}

/* "host:port" of a daemon listener in a namespace near this one. */
static int daemon_peer(struct worker *w, char *out, size_t size)
{
	struct in_addr a;
	int err = peer_addr(w, pick_peer_ns(w), &a);

	if (err)
		return err;
	snprintf(out, size, "%s:%d", inet_ntoa(a), TCP_PORT);
	return 0;
}

enum route_kind {
	ROUTE_VALID,		/* parses; may lead nowhere */
	ROUTE_MALFORMED,	/* does not parse: every call refuses it */
};

/*
 * A random route in @out (room for OCKAM_ROUTE_BYTES_MAX + 8 bytes), at
 * most @max bytes when it is valid. Returns its length.
 */
static size_t gen_route(struct worker *w, uint8_t *out, size_t max,
			enum route_kind *kind)
{
	struct route_gen *g = calloc(1, sizeof(*g));
	char name[OCKAM_NAME_MAX], peer[64];
	unsigned int k = below(&w->rng, 100), hops, i;
	size_t len;

	if (!g)
		die("out of memory");
	*kind = ROUTE_VALID;
	if (k < 45) {
		/* Local hops: sockets, aliases, services, channels. */
		hops = 1 + (chance(&w->rng, 70) ? 0 : below(&w->rng, 4));
		for (i = 0; i < hops; i++) {
			pick_name(w, name, 40);
			rg_local(g, name);
		}
	} else if (k < 65) {
		/* Over TCP to a daemon, dialed on demand. */
		if (daemon_peer(w, peer, sizeof(peer)))
			snprintf(peer, sizeof(peer), "10.0.99.1:%d", TCP_PORT);
		rg_add(g, OCKAM_ADDR_TCP, peer, strlen(peer));
		rg_local(g, chance(&w->rng, 70) ? "echo" : "nobody");
	} else if (k < 72) {
		/* TCP addresses nobody serves, or that are not addresses. */
		static const char *const tcp[] = {
			"127.0.0.1:1", "10.0.99.1:4000", "zzz:0", "", ":",
			"[::1]:4000", "host.invalid:4000", "1.2.3.4:99999",
		};
		const char *t = tcp[below(&w->rng, 8)];

		rg_add(g, OCKAM_ADDR_TCP, t, strlen(t));
		rg_local(g, "echo");
	} else if (k < 78) {
		/* Address types nothing here routes. */
		rg_add(g, OCKAM_ADDR_UDP, "10.0.0.1:4000", 13);
		if (chance(&w->rng, 50))
			rg_add(g, 7 + below(&w->rng, 200), "x", 1);
	} else if (k < 84) {
		/* Long, for control messages and the route option. */
		hops = 1 + below(&w->rng, OCKAM_ROUTE_HOPS_MAX);
		for (i = 0; i < hops; i++) {
			pick_name(w, name, chance(&w->rng, 10) ? 255 : 20);
			if (!rg_local(g, name))
				break;
		}
	} else {
		*kind = ROUTE_MALFORMED;
	}

	if (*kind == ROUTE_VALID) {
		len = rg_finish(g, out);
		if (len <= max)
			goto out;
		/* Too long for where it goes: one hop instead. */
		memset(g, 0, sizeof(*g));
		rg_local(g, "echo");
		len = rg_finish(g, out);
		goto out;
	}

	/* Malformed, each in its own way. */
	memset(g, 0, sizeof(*g));
	pick_name(w, name, 20);
	rg_local(g, name);
	len = rg_finish(g, out);
	switch (below(&w->rng, 8)) {
	case 0:		/* nothing at all */
		len = 0;
		break;
	case 1:		/* no hops */
		out[0] = 0;
		len = 1;
		break;
	case 2:		/* cut short */
		len--;
		break;
	case 3:		/* a byte after the last address */
		out[len++] = below(&w->rng, 256);
		break;
	case 4:		/* a count that is not minimal */
		memmove(out + 2, out + 1, len - 1);
		out[0] = 0x81;
		out[1] = 0x00;
		len++;
		break;
	case 5:		/* more addresses than allowed */
		out[0] = 0x41;
		break;
	case 6:		/* a value longer than what follows */
		out[2] = 0x7f;
		break;
	default:	/* a count larger than the addresses */
		out[0] = 2 + below(&w->rng, 10);
		break;
	}
	if (len > max)
		len = max;
	/* Cutting a malformed route to fit never makes it parse: every
	 * variant above fails in its first 120 bytes, or is shorter.
	 */
out:
	free(g);
	return len;
}

static socklen_t sa_fill(struct sockaddr_ockam *sa, const uint8_t *route,
			 size_t len)
{
	memset(sa, 0, sizeof(*sa));
	sa->som_family = G.family;
	sa->som_route_len = len;
	memcpy(sa->som_route, route, len);
	return sizeof(*sa);
}

/* ---------------------------------------------------------------- slots */

/* The socket in a random slot (or a closed one: /dev/null). */
static int slot_pick(struct worker *w)
{
	return G.slot[below(&w->rng, SLOTS)];
}

static void set_timeouts(int fd, int rcv_ms, int snd_ms)
{
	struct timeval rcv = { rcv_ms / 1000, rcv_ms % 1000 * 1000 };
	struct timeval snd = { snd_ms / 1000, snd_ms % 1000 * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof(rcv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof(snd));
}

/* A private AF_OCKAM socket, bound to @name (random when NULL). */
static int private_socket(const char *name, int rcv_ms)
{
	int fd = socket(G.family, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	set_timeouts(fd, rcv_ms, 1000);
	if (name) {
		err = ockam_bind(fd, name);
		if (err) {
			close(fd);
			return err;
		}
	}
	return fd;
}

/* ---------------------------------------------------- socket operations */

static long op_socket(struct worker *w)
{
	static const int bad_types[] = {
		SOCK_STREAM, SOCK_SEQPACKET, SOCK_RAW, SOCK_RDM, 11, 99,
	};
	static const int bad_protos[] = { 1, 6, 17, -1, 255 };
	int type = SOCK_DGRAM, proto = 0, slot;
	unsigned int k = below(&w->rng, 100);
	bool valid = true;
	long fd, ret = 0;

	if (k < 10) {
		type = bad_types[below(&w->rng, 6)];
		valid = false;
	} else if (k < 15) {
		proto = bad_protos[below(&w->rng, 5)];
		valid = false;
	}
	if (chance(&w->rng, 30))
		type |= SOCK_NONBLOCK;
	slot = slot_pick(w);
	describe(w, "type %#x proto %d -> slot %d", type, proto, slot);
	fd = sys(socket(G.family, type | SOCK_CLOEXEC, proto));
	if (!valid) {
		must_fail(w, fd, "socket() of a type or protocol AF_OCKAM lacks");
		if (fd >= 0)
			close(fd);
		return fd;
	}
	if (fd < 0)
		return fd;
	set_timeouts(fd, 20 + below(&w->rng, 200), 50 + below(&w->rng, 200));
	/*
	 * The table's descriptor numbers never change: a new socket takes
	 * a slot's number with dup3(), which closes what was there exactly
	 * as close() would, and a thread still using the old socket keeps
	 * it until its call returns.
	 */
	if (dup3(fd, slot, O_CLOEXEC) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Close a slot's socket, whoever is in a call on it. */
static long op_close(struct worker *w)
{
	int slot = slot_pick(w);

	describe(w, "slot %d", slot);
	return sys(dup3(G.devnull, slot, O_CLOEXEC));
}

static long op_bind(struct worker *w)
{
	const size_t hdr = offsetof(struct sockaddr_ockam, som_route);
	struct sockaddr_ockam sa;
	struct route_gen g = { 0 };
	char name[OCKAM_NAME_MAX];
	uint8_t route[OCKAM_ROUTE_BYTES_MAX + 8];
	enum route_kind kind;
	unsigned int k = below(&w->rng, 100);
	socklen_t salen;
	int fd = slot_pick(w);
	size_t len;
	long ret;

	take_name(w, name, 100);
	rg_local(&g, name);
	len = rg_finish(&g, route);
	salen = sa_fill(&sa, route, len);
	if (k < 70) {
		describe(w, "slot %d name %s", fd, name);
		return sys(bind(fd, (struct sockaddr *)&sa, salen));
	}
	switch (k % 9) {
	case 0:
		bad_name(w, name, 100);
		memset(&g, 0, sizeof(g));
		rg_local(&g, name);
		salen = sa_fill(&sa, route, rg_finish(&g, route));
		break;
	case 1:
		rg_local(&g, "second");
		salen = sa_fill(&sa, route, rg_finish(&g, route));
		break;
	case 2:
		memset(&g, 0, sizeof(g));
		rg_add(&g, OCKAM_ADDR_TCP, "10.0.0.1:4000", 13);
		salen = sa_fill(&sa, route, rg_finish(&g, route));
		break;
	case 3:
		sa.som_family = AF_INET;
		break;
	case 4:
		if (chance(&w->rng, 50))
			sa.som_reserved = 1 + below(&w->rng, 255);
		else
			sa.som_flags = OCKAM_SA_F_ROUTE_TRUNC;
		break;
	case 5:
		salen = below(&w->rng, hdr);
		break;
	case 6:
		sa.som_route_len = OCKAM_SOCKADDR_ROUTE_MAX + 1 +
				   below(&w->rng, 1000);
		break;
	case 7:
		salen = hdr + sa.som_route_len - 1;
		break;
	default:
		len = gen_route(w, route, OCKAM_SOCKADDR_ROUTE_MAX, &kind);
		if (kind != ROUTE_MALFORMED)
			len = 0;
		salen = sa_fill(&sa, route, len);
		break;
	}
	describe(w, "slot %d invalid address #%u", fd, k % 9);
	ret = sys(bind(fd, (struct sockaddr *)&sa, salen));
	must_fail(w, ret, "bind() to an address that is not one local name");
	return ret;
}

static long op_connect(struct worker *w)
{
	struct sockaddr_ockam sa;
	uint8_t route[OCKAM_ROUTE_BYTES_MAX + 8];
	enum route_kind kind;
	int fd = slot_pick(w);
	socklen_t salen;
	size_t len;
	long ret;

	if (chance(&w->rng, 10)) {
		memset(&sa, 0, sizeof(sa));
		sa.som_family = AF_UNSPEC;
		describe(w, "slot %d AF_UNSPEC", fd);
		return sys(connect(fd, (struct sockaddr *)&sa,
				   sizeof(sa.som_family)));
	}
	len = gen_route(w, route, OCKAM_SOCKADDR_ROUTE_MAX, &kind);
	salen = sa_fill(&sa, route, len);
	describe(w, "slot %d route %zu bytes%s", fd, len,
		 kind == ROUTE_MALFORMED ? " malformed" : "");
	ret = sys(connect(fd, (struct sockaddr *)&sa, salen));
	if (kind == ROUTE_MALFORMED)
		must_fail(w, ret, "connect() to a malformed route");
	return ret;
}

/* A payload length: mostly small, sometimes empty or large. */
static size_t pick_len(struct worker *w)
{
	unsigned int k = below(&w->rng, 100);

	if (k < 10)
		return 0;
	if (k < 75)
		return sizeof(struct stamp) + below(&w->rng, 2048);
	return sizeof(struct stamp) + below(&w->rng, PAYLOAD_MAX -
					    sizeof(struct stamp));
}

static long op_send(struct worker *w)
{
	static const int unknown_flags[] = {
		MSG_OOB, MSG_PEEK, MSG_DONTROUTE, MSG_EOR, MSG_MORE,
		MSG_CONFIRM, MSG_FASTOPEN, MSG_ZEROCOPY, MSG_WAITALL,
		MSG_TRUNC, 0x40000000,
	};
	uint8_t route[OCKAM_ROUTE_BYTES_MAX + 8];
	uint8_t cbuf[CMSG_SPACE(OCKAM_ROUTE_BYTES_MAX + 8)];
	struct sockaddr_ockam sa;
	struct msghdr msg = { 0 };
	struct iovec iov;
	struct cmsghdr *cm;
	enum route_kind kind = ROUTE_VALID, ckind = ROUTE_VALID;
	unsigned int src = below(&w->rng, 100);
	bool must = false, stamped = false, bad_cmsg = false;
	int fd = slot_pick(w), flags = 0;
	size_t len = 0, rlen;
	long ret;

	if (chance(&w->rng, 2)) {
		/* Over any node's limit: refused before a byte is copied. */
		iov.iov_base = G.big;
		iov.iov_len = OCKAM_MAX_MESSAGE_MAX + 1 +
			      below(&w->rng, BIG_MESSAGE -
					     OCKAM_MAX_MESSAGE_MAX - 1);
		must = true;
	} else if (chance(&w->rng, 1)) {
		/* Around the default limit, headers included. */
		iov.iov_base = G.big;
		iov.iov_len = NODE_MAX_MESSAGE_DEFAULT - 256 +
			      below(&w->rng, 512);
	} else {
		len = pick_len(w);
		if (len) {
			stamped = true;
			len = stamp_make(&w->rng, w->buf, len, rnd(&w->rng));
		}
		iov.iov_base = w->buf;
		iov.iov_len = len;
	}
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;

	if (src < 40 || src >= 90) {
		rlen = gen_route(w, route, OCKAM_SOCKADDR_ROUTE_MAX, &kind);
		msg.msg_name = &sa;
		msg.msg_namelen = sa_fill(&sa, route, rlen);
	}
	if (src >= 40 && src < 65) {
		kind = ROUTE_VALID;
		msg.msg_name = NULL;
		msg.msg_namelen = 0;
	}
	if (src >= 65) {
		rlen = gen_route(w, route, OCKAM_ROUTE_BYTES_MAX, &ckind);
		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(rlen);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_OCKAM;
		cm->cmsg_type = OCKAM_CMSG_ROUTE;
		cm->cmsg_len = CMSG_LEN(rlen);
		memcpy(CMSG_DATA(cm), route, rlen);
		if (chance(&w->rng, 8)) {
			bad_cmsg = true;
			switch (below(&w->rng, 3)) {
			case 0:
				cm->cmsg_level = SOL_SOCKET;
				break;
			case 1:
				cm->cmsg_type = OCKAM_CMSG_RETURN_ROUTE +
						below(&w->rng, 10);
				break;
			default:
				cm->cmsg_len = msg.msg_controllen + 1 +
					       below(&w->rng, 64);
				break;
			}
		}
		/* The control message wins over the address. */
		kind = ckind;
	}
	if (kind == ROUTE_MALFORMED || bad_cmsg)
		must = true;

	if (chance(&w->rng, 40))
		flags |= MSG_DONTWAIT;
	if (chance(&w->rng, 30))
		flags |= MSG_NOSIGNAL;
	if (chance(&w->rng, 8)) {
		flags |= unknown_flags[below(&w->rng, 11)];
		must = true;
	}
	describe(w, "slot %d len %zu flags %#x src %u%s%s", fd, iov.iov_len,
		 flags, src, kind == ROUTE_MALFORMED ? " malformed" : "",
		 bad_cmsg ? " bad-cmsg" : "");
	ret = sys(sendmsg(fd, &msg, flags));
	if (must)
		must_fail(w, ret, "sendmsg() that must be refused");
	else if (ret >= 0 && (size_t)ret != iov.iov_len)
		fail(w, "sendmsg() sent %ld of %zu bytes", ret, iov.iov_len);
	if (ret >= 0 && stamped)
		atomic_fetch_add(&G.stamps_sent, 1);
	return ret < 0 ? ret : 0;
}

static bool identity_ok(const uint8_t *p, size_t len)
{
	size_t i;

	if (len != OCKAM_IDENTIFIER_LEN || p[0] != 'I')
		return false;
	for (i = 1; i < len; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

/* Control messages of a received message: routes parse, identity valid. */
static void check_cmsgs(struct worker *w, struct msghdr *msg)
{
	struct ockam_route *rt = malloc(sizeof(*rt));
	struct cmsghdr *cm;
	size_t len;

	if (!rt)
		die("out of memory");
	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_OCKAM)
			continue;
		len = cm->cmsg_len - CMSG_LEN(0);
		switch (cm->cmsg_type) {
		case OCKAM_CMSG_RETURN_ROUTE:
		case OCKAM_CMSG_ONWARD_ROUTE:
			if (ockam_route_from_wire(rt, CMSG_DATA(cm), len, NULL))
				fail(w, "route control message %d does not parse (%zu bytes)",
				     cm->cmsg_type, len);
			break;
		case OCKAM_CMSG_IDENTITY:
			if (!identity_ok(CMSG_DATA(cm), len))
				fail(w, "malformed identity control message (%zu bytes)",
				     len);
			break;
		default:
			fail(w, "unknown control message type %d", cm->cmsg_type);
		}
	}
	free(rt);
}

/* A source address the kernel filled in. */
static void check_sockaddr(struct worker *w, const struct sockaddr_ockam *sa,
			   const char *what)
{
	struct ockam_route *rt;

	if (sa->som_family != G.family ||
	    sa->som_route_len > OCKAM_SOCKADDR_ROUTE_MAX ||
	    ((sa->som_flags & OCKAM_SA_F_ROUTE_TRUNC) && sa->som_route_len) ||
	    (sa->som_flags & ~OCKAM_SA_F_ROUTE_TRUNC)) {
		fail(w, "%s: bad address (family %u flags %#x length %u)", what,
		     sa->som_family, sa->som_flags, sa->som_route_len);
		return;
	}
	if (!sa->som_route_len)
		return;
	rt = malloc(sizeof(*rt));
	if (!rt)
		die("out of memory");
	if (ockam_route_from_wire(rt, sa->som_route, sa->som_route_len, NULL))
		fail(w, "%s: the address holds a route that does not parse", what);
	free(rt);
}

static long op_recv(struct worker *w)
{
	static const size_t sizes[] = { 0, 1, 16, 40, 4096, PAYLOAD_MAX };
	static const size_t csizes[] = { 0, 8, CMSG_SPACE(4), 512,
		CMSG_SPACE(OCKAM_ROUTE_BYTES_MAX) * 3 };
	size_t size = sizes[below(&w->rng, 6)];
	size_t csize = csizes[below(&w->rng, 5)];
	struct sockaddr_ockam sa;
	struct msghdr msg = { 0 };
	struct iovec iov = { w->rbuf, size };
	int fd = slot_pick(w), flags = 0;
	bool named = chance(&w->rng, 80), must = false;
	uint8_t *cbuf = NULL;
	long ret;

	if (chance(&w->rng, 40))
		flags |= MSG_DONTWAIT;
	if (chance(&w->rng, 15))
		flags |= MSG_PEEK;
	if (chance(&w->rng, 15))
		flags |= MSG_TRUNC;
	if (chance(&w->rng, 5))
		flags |= MSG_WAITALL;
	if (chance(&w->rng, 5)) {
		flags |= chance(&w->rng, 50) ? MSG_OOB : MSG_ERRQUEUE;
		must = true;
	}
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (named) {
		memset(&sa, 0xa5, sizeof(sa));
		msg.msg_name = &sa;
		msg.msg_namelen = sizeof(sa);
	}
	if (csize) {
		cbuf = malloc(csize);
		if (!cbuf)
			die("out of memory");
		msg.msg_control = cbuf;
		msg.msg_controllen = csize;
	}
	describe(w, "slot %d size %zu csize %zu flags %#x", fd, size, csize,
		 flags);
	ret = sys(recvmsg(fd, &msg, flags));
	if (must) {
		must_fail(w, ret, "recvmsg() with a flag AF_OCKAM does not take");
		goto out;
	}
	if (ret < 0)
		goto out;
	if (!(flags & MSG_TRUNC) && (size_t)ret > size)
		fail(w, "recvmsg() returned %ld bytes into %zu", ret, size);
	if ((flags & MSG_TRUNC) &&
	    !!(msg.msg_flags & MSG_TRUNC) != ((size_t)ret > size))
		fail(w, "recvmsg(MSG_TRUNC) returned %ld for %zu bytes with msg_flags %#x",
		     ret, size, msg.msg_flags);
	if (named && msg.msg_namelen)
		check_sockaddr(w, &sa, "recvmsg()");
	if (csize && !(msg.msg_flags & MSG_CTRUNC))
		check_cmsgs(w, &msg);
	if (!(msg.msg_flags & MSG_TRUNC) && (size_t)ret <= size)
		check_received(w, w->rbuf, ret, "recvmsg on a shared socket");
	ret = 0;
out:
	free(cbuf);
	return ret;
}

static long op_poll(struct worker *w)
{
	struct pollfd p[4];
	unsigned int n = 1 + below(&w->rng, 4), i;
	int timeout = below(&w->rng, 4) ? (int)below(&w->rng, 100) : 0;
	long ret;

	for (i = 0; i < n; i++) {
		p[i].fd = slot_pick(w);
		p[i].events = POLLIN | (chance(&w->rng, 50) ? POLLOUT : 0);
		p[i].revents = 0;
	}
	describe(w, "%u sockets, %d ms", n, timeout);
	ret = sys(poll(p, n, timeout));
	return ret < 0 ? ret : 0;
}

static long sockopt_ockam_flag(struct worker *w, int fd)
{
	static const int opts[] = {
		OCKAM_SO_RECVROUTE, OCKAM_SO_RECVONWARD, OCKAM_SO_RECVIDENTITY,
	};
	int opt = opts[below(&w->rng, 3)], val = below(&w->rng, 2);
	int out[2] = { -1, -1 };
	socklen_t len;
	long ret;

	switch (below(&w->rng, 4)) {
	case 0:		/* too short to hold an int */
		len = below(&w->rng, sizeof(int));
		describe(w, "set flag %d len %u", opt, len);
		ret = sys(setsockopt(fd, SOL_OCKAM, opt, &val, len));
		must_fail(w, ret, "setsockopt() of a flag shorter than an int");
		return ret;
	case 1:
		len = below(&w->rng, sizeof(out) + 1);
		describe(w, "get flag %d len %u", opt, len);
		ret = sys(getsockopt(fd, SOL_OCKAM, opt, out, &len));
		if (ret >= 0 && len > sizeof(int))
			fail(w, "getsockopt() of a flag returned length %u", len);
		if (ret >= 0 && len == sizeof(int) && out[0] != 0 && out[0] != 1)
			fail(w, "getsockopt() of a flag returned %d", out[0]);
		return ret;
	default:
		describe(w, "set flag %d = %d", opt, val);
		return sys(setsockopt(fd, SOL_OCKAM, opt, &val, sizeof(val)));
	}
}

static long sockopt_route(struct worker *w, int fd)
{
	uint8_t *route = malloc(OCKAM_ROUTE_BYTES_MAX + 64);
	enum route_kind kind;
	socklen_t len, asked;
	long ret;

	if (!route)
		die("out of memory");
	if (chance(&w->rng, 40)) {
		len = below(&w->rng, 4) ? below(&w->rng, 200) :
		      OCKAM_ROUTE_BYTES_MAX;
		asked = len;
		describe(w, "get route into %u", len);
		ret = sys(getsockopt(fd, SOL_OCKAM, OCKAM_SO_ROUTE, route, &len));
		if (ret == -ERANGE && len <= asked)
			fail(w, "OCKAM_SO_ROUTE: ERANGE but %u bytes fit in %u",
			     len, asked);
		if (ret >= 0 && len > asked)
			fail(w, "OCKAM_SO_ROUTE: %u bytes returned into %u", len,
			     asked);
		goto out;
	}
	len = gen_route(w, route, OCKAM_ROUTE_BYTES_MAX, &kind);
	if (chance(&w->rng, 3)) {
		/* Over the longest route there can be. */
		memset(route, 0, OCKAM_ROUTE_BYTES_MAX + 64);
		len = OCKAM_ROUTE_BYTES_MAX + 1 + below(&w->rng, 63);
		kind = ROUTE_MALFORMED;
	}
	describe(w, "set route %u bytes%s", len,
		 kind == ROUTE_MALFORMED ? " malformed" : "");
	ret = sys(setsockopt(fd, SOL_OCKAM, OCKAM_SO_ROUTE, route, len));
	/* An empty value clears the route: that one is allowed. */
	if (kind == ROUTE_MALFORMED && len)
		must_fail(w, ret, "OCKAM_SO_ROUTE with a malformed route");
out:
	free(route);
	return ret;
}

static long sockopt_socket_level(struct worker *w, int fd)
{
	static const int opts[] = {
		SO_RCVBUF, SO_SNDBUF, SO_TIMESTAMP, SO_TIMESTAMPNS, SO_RXQ_OVFL,
		SO_PRIORITY, SO_RCVTIMEO, SO_SNDTIMEO, SO_RCVLOWAT,
	};
	int opt = opts[below(&w->rng, 9)], val;
	struct timeval tv;

	if (opt == SO_RCVTIMEO || opt == SO_SNDTIMEO) {
		/* Never zero: that would block for good. */
		val = 1 + below(&w->rng, 300);
		tv.tv_sec = 0;
		tv.tv_usec = val * 1000;
		describe(w, "SOL_SOCKET %d = %d ms", opt, val);
		return sys(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)));
	}
	switch (opt) {
	case SO_RCVBUF:
	case SO_SNDBUF:
		val = below(&w->rng, 256 * 1024);
		break;
	case SO_PRIORITY:
		val = below(&w->rng, 7);
		break;
	case SO_RCVLOWAT:
		val = 1 + below(&w->rng, 64);
		break;
	default:
		val = below(&w->rng, 2);
	}
	describe(w, "SOL_SOCKET %d = %d", opt, val);
	return sys(setsockopt(fd, SOL_SOCKET, opt, &val, sizeof(val)));
}

static long op_sockopt(struct worker *w)
{
	static const int bad_opts[] = { 0, 5, 6, 100, -1, INT_MAX };
	static const int bad_levels[] = { 0, 6, 17, 298, 300, 41 };
	int fd = slot_pick(w), val = 1, opt;
	unsigned int k = below(&w->rng, 100);
	socklen_t len = sizeof(val);
	long ret;

	describe(w, "slot %d ", fd);
	if (k < 30)
		return sockopt_ockam_flag(w, fd);
	if (k < 55)
		return sockopt_route(w, fd);
	if (k < 75)
		return sockopt_socket_level(w, fd);
	if (k < 85) {
		opt = bad_opts[below(&w->rng, 6)];
		describe(w, "unknown option %d", opt);
		ret = chance(&w->rng, 50) ?
		      sys(setsockopt(fd, SOL_OCKAM, opt, &val, sizeof(val))) :
		      sys(getsockopt(fd, SOL_OCKAM, opt, &val, &len));
		must_fail(w, ret, "an AF_OCKAM option that does not exist");
		return ret;
	}
	if (k < 92) {
		opt = bad_levels[below(&w->rng, 6)];
		describe(w, "level %d", opt);
		ret = chance(&w->rng, 50) ?
		      sys(setsockopt(fd, opt, 1, &val, sizeof(val))) :
		      sys(getsockopt(fd, opt, 1, &val, &len));
		must_fail(w, ret, "an option at a level AF_OCKAM does not have");
		return ret;
	}
	/* A negative length. */
	len = (socklen_t)-1 - below(&w->rng, 8);
	describe(w, "getsockopt length %d", (int)len);
	ret = sys(getsockopt(fd, SOL_OCKAM, OCKAM_SO_RECVROUTE, &val, &len));
	must_fail(w, ret, "getsockopt() with a negative length");
	return ret;
}

static long op_shutdown(struct worker *w)
{
	static const int bad[] = { 3, -1, 7, INT_MAX };
	int fd = slot_pick(w), how;
	long ret;

	if (chance(&w->rng, 20)) {
		how = bad[below(&w->rng, 4)];
		describe(w, "slot %d how %d", fd, how);
		ret = sys(shutdown(fd, how));
		must_fail(w, ret, "shutdown() with an unknown how");
		return ret;
	}
	how = below(&w->rng, 3);
	describe(w, "slot %d how %d", fd, how);
	return sys(shutdown(fd, how));
}

static long op_ioctl(struct worker *w)
{
	int fd = slot_pick(w), val = -1;
	unsigned int k = below(&w->rng, 4);
	long ret;

	describe(w, "slot %d #%u", fd, k);
	switch (k) {
	case 0:
		ret = sys(ioctl(fd, SIOCINQ, &val));
		break;
	case 1:
		ret = sys(ioctl(fd, SIOCOUTQ, &val));
		break;
	case 2:
		/* The protocol-private range: nothing there for AF_OCKAM. */
		ret = sys(ioctl(fd, SIOCPROTOPRIVATE + below(&w->rng, 16), &val));
		must_fail(w, ret, "an ioctl AF_OCKAM does not have");
		return ret;
	default:
		val = below(&w->rng, 2);
		return sys(ioctl(fd, FIONBIO, &val));
	}
	if (ret >= 0 && val < 0)
		fail(w, "SIOCINQ/SIOCOUTQ returned %d", val);
	return ret;
}

static long op_getname(struct worker *w)
{
	struct sockaddr_ockam sa;
	socklen_t len = sizeof(sa);
	int fd = slot_pick(w);
	bool peer = chance(&w->rng, 50);
	long ret;

	describe(w, "slot %d %s", fd, peer ? "peer" : "sock");
	memset(&sa, 0x5a, sizeof(sa));
	ret = peer ? sys(getpeername(fd, (struct sockaddr *)&sa, &len)) :
		     sys(getsockname(fd, (struct sockaddr *)&sa, &len));
	if (ret >= 0 && len >= sizeof(sa))
		check_sockaddr(w, &sa, peer ? "getpeername()" : "getsockname()");
	if (ret >= 0 && !peer && sa.som_route_len &&
	    (sa.som_route[0] != 1 || sa.som_route[1] != OCKAM_ADDR_LOCAL))
		fail(w, "getsockname() is not one local address");
	return ret;
}

/* ------------------------------------------------------------------ TCP */

static int tcp_connect(struct in_addr a, uint16_t port, int timeout_ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = a,
				   .sin_port = htons(port) };
	struct pollfd p;
	int fd, one = 1, err = 0;
	socklen_t len = sizeof(err);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) &&
	    errno != EINPROGRESS) {
		err = -errno;
		goto fail;
	}
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, timeout_ms) != 1) {
		err = -ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		err = err ? -err : -errno;
		goto fail;
	}
	fcntl(fd, F_SETFL, 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	set_timeouts(fd, 500, 500);
	return fd;
fail:
	close(fd);
	return err;
}

/* A listener on every address of the current namespace, any port. */
static int tcp_listen(uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 8) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

static int tcp_accept(int lfd, int timeout_ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int fd;

	if (poll(&p, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	set_timeouts(fd, 500, 500);
	return fd;
}

/* Close with a reset rather than a FIN. */
static void tcp_reset(int fd)
{
	struct linger l = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/* A connected pair inside the current namespace, over loopback. */
static int tcp_pair(int *a, int *b)
{
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };
	uint16_t port;
	int lfd = tcp_listen(&port);

	if (lfd < 0)
		return lfd;
	*a = tcp_connect(lo, port, CONNECT_MS);
	*b = *a < 0 ? *a : tcp_accept(lfd, CONNECT_MS);
	close(lfd);
	if (*b < 0 && *a >= 0)
		close(*a);
	return *a < 0 ? *a : (*b < 0 ? *b : 0);
}

/* ------------------------------------------------------- a round trip */

/*
 * Wait up to @ms for the message stamped @id on @fd; other messages are
 * checked and skipped. Its length, or -errno.
 */
static long wait_stamp(struct worker *w, int fd, uint64_t id, long ms,
		       struct sockaddr_ockam *from, socklen_t *fromlen)
{
	long long end = now_ms() + ms;
	struct msghdr msg = { 0 };
	struct iovec iov;
	uint64_t got;
	long n = -ETIMEDOUT;

	while (now_ms() < end) {
		iov.iov_base = w->rbuf;
		iov.iov_len = PAYLOAD_MAX + sizeof(struct stamp);
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_name = from;
		msg.msg_namelen = from ? *fromlen : 0;
		n = sys(recvmsg(fd, &msg, 0));
		if (n == -EAGAIN || n == -EINTR)
			continue;
		if (n < 0)
			return n;
		if (from)
			*fromlen = msg.msg_namelen;
		if (msg.msg_flags & MSG_TRUNC)
			continue;
		if (stamp_check(w->rbuf, n, &got) == STAMP_OK && got == id) {
			atomic_fetch_add(&G.stamps_ok, 1);
			return n;
		}
		check_received(w, w->rbuf, n, "a round trip");
		n = -ETIMEDOUT;
	}
	return n;
}

/*
 * Valid traffic: a message that should come back, from a socket of this
 * node to another, to the daemon's echo service, or to the echo service
 * of a neighbour over TCP (the daemon dials on demand).
 */
static long op_echo(struct worker *w)
{
	struct sockaddr_ockam sa, from;
	struct route_gen g = { 0 };
	uint8_t route[OCKAM_SOCKADDR_ROUTE_MAX + 8];
	char name[40], peer[64];
	unsigned int k = below(&w->rng, 100);
	socklen_t fromlen = sizeof(from);
	uint64_t id = rnd(&w->rng);
	int a = -1, b;
	long ms = 1000, ret;
	size_t len;

	b = private_socket(NULL, 100);
	if (b < 0)
		return b;
	if (k < 40) {
		name[0] = 'e';
		random_hex(&w->rng, name + 1, 16);
		a = private_socket(name, 100);
		if (a < 0) {
			close(b);
			return a;
		}
		rg_local(&g, name);
		describe(w, "local pair %s", name);
	} else if (k < 70) {
		rg_local(&g, "echo");
		describe(w, "daemon echo");
	} else {
		ret = daemon_peer(w, peer, sizeof(peer));
		if (ret) {
			close(b);
			return ret;
		}
		rg_add(&g, OCKAM_ADDR_TCP, peer, strlen(peer));
		rg_local(&g, "echo");
		ms = 5000;
		describe(w, "echo at %s", peer);
	}
	len = stamp_make(&w->rng, w->buf, sizeof(struct stamp) +
			 below(&w->rng, chance(&w->rng, 10) ? PAYLOAD_MAX : 512),
			 id);
	ret = sys(sendto(b, w->buf, len, 0, (struct sockaddr *)&sa,
			 sa_fill(&sa, route, rg_finish(&g, route))));
	if (ret < 0)
		goto out;
	atomic_fetch_add(&G.stamps_sent, 1);
	if (a >= 0) {
		ret = wait_stamp(w, a, id, ms, &from, &fromlen);
		if (ret < 0)
			goto out;
		if (fromlen >= sizeof(from))
			check_sockaddr(w, &from, "the echo's request");
		ret = sys(sendto(a, w->rbuf, ret, 0, (struct sockaddr *)&from,
				 fromlen));
		if (ret < 0)
			goto out;
	}
	ret = wait_stamp(w, b, id, ms, NULL, NULL);
	if (ret >= 0 && (size_t)ret != len)
		fail(w, "the echo came back with %ld bytes of %zu", ret, len);
out:
	if (a >= 0)
		close(a);
	close(b);
	return ret < 0 ? ret : 0;
}

/* ------------------------------------------------ netlink operations */

static long need_nl(struct worker *w, struct ockam_nl **nl)
{
	*nl = nl_get(w);
	return *nl ? 0 : -ENOPROTOOPT;
}

static long op_dump(struct worker *w)
{
	struct ockam_transport_info *t;
	struct ockam_address_info *a;
	struct ockam_alias_info *al;
	struct ockam_channel_info *c;
	struct ockam_node_info info;
	struct ockam_nl *nl;
	size_t n = 0, i;
	long ret = need_nl(w, &nl);

	if (ret)
		return ret;
	switch (below(&w->rng, 5)) {
	case 0:
		describe(w, "node-get");
		ret = ockam_nl_node_get(nl, &info, NULL);
		if (!ret && info.family != (uint32_t)G.family)
			fail(w, "node-get: family %u, sockets use %d",
			     info.family, G.family);
		break;
	case 1:
		describe(w, "transports");
		ret = ockam_nl_transport_list(nl, &t, &n, NULL);
		for (i = 0; !ret && i < n; i++)
			seen_add(w, t[i].address);
		if (!ret)
			free(t);
		break;
	case 2:
		describe(w, "aliases");
		ret = ockam_nl_alias_list(nl, &al, &n, NULL);
		for (i = 0; !ret && i < n; i++)
			seen_add(w, al[i].address);
		if (!ret)
			free(al);
		break;
	case 3:
		describe(w, "addresses");
		ret = ockam_nl_address_list(nl, &a, &n, NULL);
		for (i = 0; !ret && i < n; i++) {
			if (a[i].kind == OCKAM_KIND_UNSPEC ||
			    a[i].kind >= __OCKAM_KIND_MAX)
				fail(w, "address %s of kind %u", a[i].address,
				     a[i].kind);
			seen_add(w, a[i].address);
		}
		if (!ret)
			free(a);
		break;
	default:
		describe(w, "channels");
		ret = ockam_nl_channel_list(nl, &c, &n, NULL);
		for (i = 0; !ret && i < n; i++) {
			seen_add(w, c[i].encryptor);
			seen_add(w, c[i].decryptor);
		}
		if (!ret)
			ockam_channel_list_free(c, n);
		break;
	}
	return ret;
}

/*
 * Back to the settings the scripts gave the node (a relay's
 * dial-forwarded, say), read before any thread ran, or the defaults.
 * Never what another thread may have set for a moment.
 */
static void node_restore(struct ockam_nl *nl,
			 const struct ockam_node_info *before)
{
	struct ockam_node_settings set = {
		.max_message = NODE_MAX_MESSAGE_DEFAULT,
		.hop_limit = NODE_HOP_LIMIT_DEFAULT,
		.dial_timeout_ms = NODE_DIAL_TIMEOUT_DEFAULT_MS,
		.set_dial_forwarded = true,
		.dial_forwarded = false,
	};

	if (before) {
		set.max_message = before->max_message;
		set.hop_limit = before->hop_limit;
		set.dial_timeout_ms = before->dial_timeout_ms;
		set.dial_forwarded = before->dial_forwarded;
		set.set_channel_keepalive = true;
		set.channel_keepalive_ms = before->channel_keepalive_ms;
		set.channel_give_up_ms = before->channel_give_up_ms;
	}
	ockam_nl_node_set(nl, &set, NULL);
}

/*
 * Change a setting under the traffic for a moment, then put the default
 * back (a relay left with a hop limit of 1 would stop the delivery check
 * for good, and prove nothing more).
 */
static long op_node_set(struct worker *w)
{
	struct ockam_node_settings set = { 0 };
	struct ockam_nl *nl;
	bool bad = chance(&w->rng, 30);
	int n = node_idx(w);
	long ret = need_nl(w, &nl);

	if (ret)
		return ret;
	switch (below(&w->rng, 5)) {
	case 4:
		/* Channel liveness; the give-up stays past the run's end. */
		set.set_channel_keepalive = true;
		set.channel_keepalive_ms = bad ?
			1 + below(&w->rng, OCKAM_CHANNEL_KEEPALIVE_MS_MIN - 1) :
			(chance(&w->rng, 30) ? 0 :
			 OCKAM_CHANNEL_KEEPALIVE_MS_MIN + below(&w->rng, 2000));
		set.channel_give_up_ms = bad && chance(&w->rng, 50) ?
			OCKAM_CHANNEL_GIVE_UP_MS_MAX + 1 + below(&w->rng, 1000) :
			60000 + below(&w->rng, 60000);
		break;
	case 0:
		set.max_message = bad ? (chance(&w->rng, 50) ?
			OCKAM_MAX_MESSAGE_MIN - 1 - below(&w->rng, 4000) :
			OCKAM_MAX_MESSAGE_MAX + 1 + below(&w->rng, 1000)) :
			OCKAM_MAX_MESSAGE_MIN + below(&w->rng,
				OCKAM_MAX_MESSAGE_MAX - OCKAM_MAX_MESSAGE_MIN + 1);
		break;
	case 1:
		set.hop_limit = bad ? OCKAM_ROUTE_HOPS_MAX + 1 + below(&w->rng, 100) :
				1 + below(&w->rng, OCKAM_ROUTE_HOPS_MAX);
		break;
	case 2:
		set.dial_timeout_ms = bad ?
			(chance(&w->rng, 50) ? 1 + below(&w->rng, 99) :
			 OCKAM_DIAL_TIMEOUT_MS_MAX + 1 + below(&w->rng, 1000)) :
			OCKAM_DIAL_TIMEOUT_MS_MIN + below(&w->rng, 5000);
		break;
	default:
		bad = false;
		set.set_dial_forwarded = true;
		set.dial_forwarded = chance(&w->rng, 50);
	}
	describe(w, "max %u hops %u timeout %u fwd %d/%d keepalive %u give-up %u",
		 set.max_message, set.hop_limit, set.dial_timeout_ms,
		 set.set_dial_forwarded, set.dial_forwarded,
		 set.channel_keepalive_ms, set.channel_give_up_ms);
	ret = ockam_nl_node_set(nl, &set, NULL);
	if (bad) {
		must_fail(w, ret, "node-set out of range");
		return ret;
	}
	if (!ret) {
		sleep_ms(below(&w->rng, 50));
		node_restore(nl, G.settings_known[n] ? &G.settings[n] : NULL);
	}
	return ret;
}

static long op_alias_add(struct worker *w)
{
	struct ockam_route *rt = malloc(sizeof(*rt));
	uint8_t *route = malloc(OCKAM_ROUTE_BYTES_MAX + 8);
	char name[OCKAM_NAME_MAX + 1];
	enum route_kind kind;
	struct ockam_nl *nl;
	bool bad = chance(&w->rng, 15);
	long ret = need_nl(w, &nl);
	size_t len;

	if (!rt || !route)
		die("out of memory");
	if (ret)
		goto out;
	if (bad)
		bad_name(w, name, OCKAM_ADDR_VALUE_MAX + 1);
	else
		take_name(w, name, 40);
	len = gen_route(w, route, OCKAM_ROUTE_BYTES_MAX, &kind);
	describe(w, "%s -> %zu bytes%s", name, len,
		 kind == ROUTE_MALFORMED ? " malformed" : "");
	if (kind == ROUTE_MALFORMED) {
		/* libockam only sends routes that parse; see op_nl_raw. */
		ret = -EINVAL;
		goto out;
	}
	ret = ockam_route_from_wire(rt, route, len, NULL);
	if (!ret)
		ret = ockam_nl_alias_add(nl, name, rt, NULL);
	if (bad)
		must_fail(w, ret, "alias-add of a name no address may have");
	else if (!ret)
		seen_add(w, name);
out:
	free(rt);
	free(route);
	return ret;
}

static long op_alias_del(struct worker *w)
{
	char name[OCKAM_NAME_MAX + 1];
	struct ockam_nl *nl;
	long ret = need_nl(w, &nl);

	if (ret)
		return ret;
	pick_name(w, name, 40);
	describe(w, "%s", name);
	return ockam_nl_alias_del(nl, name, NULL);
}

static void owned_add(struct owned *o, const char *name)
{
	if (o->count == OWN_MAX) {
		memmove(o->name[0], o->name[1], sizeof(o->name[0]) * (OWN_MAX - 1));
		o->count--;
	}
	snprintf(o->name[o->count++], OCKAM_NAME_MAX, "%s", name);
}

/* Take a random entry out of @o into @out; false when empty. */
static bool owned_take(struct worker *w, struct owned *o, char *out)
{
	unsigned int i;

	if (!o->count)
		return false;
	i = below(&w->rng, o->count);
	snprintf(out, OCKAM_NAME_MAX, "%s", o->name[i]);
	memmove(o->name[i], o->name[i + 1],
		sizeof(o->name[0]) * (o->count - i - 1));
	o->count--;
	return true;
}

/* Attach a connected TCP socket as a transport of the current node. */
static long attach_fd(struct worker *w, struct ockam_nl *nl, int fd,
		      const char *peer, struct ockam_transport_info *out)
{
	char name[OCKAM_NAME_MAX + 1], *address = NULL;
	uint32_t flags = chance(&w->rng, 50) ? OCKAM_TRANSPORT_F_OUTGOING : 0;
	bool bad = false;
	long ret;

	if (chance(&w->rng, 30)) {
		take_name(w, name, 40);
		address = name;
	} else if (chance(&w->rng, 5)) {
		bad_name(w, name, OCKAM_ADDR_VALUE_MAX + 1);
		address = name;
		bad = true;
	}
	if (chance(&w->rng, 4)) {
		flags |= 1u << (1 + below(&w->rng, 31));
		bad = true;
	}
	describe(w, " attach fd %d address %s peer %s flags %#x", fd,
		 address ? address : "-", peer ? peer : "-", flags);
	ret = ockam_nl_transport_attach(nl, fd, address, peer, flags, out,
					NULL);
	if (bad)
		must_fail(w, ret, "transport-attach with a bad address or flag");
	return ret;
}

/* A socket the kernel must refuse to attach, and why. */
static int unattachable(struct worker *w, const char **why)
{
	int fd;

	switch (below(&w->rng, 5)) {
	case 0:
		*why = "an AF_OCKAM socket";
		return private_socket(NULL, 100);
	case 1:
		*why = "a UDP socket";
		return sys(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	case 2:
		*why = "an unconnected TCP socket";
		return sys(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	case 3:
		*why = "a listening TCP socket";
		fd = sys(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
		if (fd >= 0 && listen(fd, 1)) {
			close(fd);
			fd = -errno;
		}
		return fd;
	default:
		*why = "a file that is not a socket";
		return sys(dup(G.devnull));
	}
}

static long attach_invalid(struct worker *w, struct ockam_nl *nl)
{
	struct ockam_transport_info info;
	const char *why = "";
	int fd, peer;
	long ret;

	if (chance(&w->rng, 25)) {
		/* Attached once already: the second time is refused. */
		ret = tcp_pair(&fd, &peer);
		if (ret)
			return ret;
		describe(w, "the same socket twice");
		ret = ockam_nl_transport_attach(nl, fd, NULL, NULL, 0, &info,
						NULL);
		if (!ret) {
			owned_add(&w->transports[node_idx(w)], info.address);
			ret = ockam_nl_transport_attach(nl, fd, NULL, NULL, 0,
							&info, NULL);
			must_fail(w, ret, "transport-attach of an attached socket");
		}
		close(fd);
		tcp_reset(peer);
		return ret;
	}
	fd = unattachable(w, &why);
	if (fd < 0)
		return fd;
	describe(w, "%s", why);
	ret = ockam_nl_transport_attach(nl, fd, NULL, NULL, 0, &info, NULL);
	must_fail(w, ret, why);
	close(fd);
	return ret;
}

/*
 * A TCP socket connected in another namespace: the kernel refuses it
 * (EXDEV). The socket is made over loopback inside that namespace.
 */
static long attach_foreign(struct worker *w, struct ockam_nl *nl)
{
	int home = w->ns, other = below(&w->rng, G.n_ns), a, b;
	long ret;

	if (other == home)
		return -EAGAIN;
	ret = netns_enter(w, other);
	if (ret)
		return ret;
	ret = tcp_pair(&a, &b);
	netns_return(w, home);
	if (ret)
		return ret;
	describe(w, "a TCP socket of another namespace");
	ret = ockam_nl_transport_attach(nl, a, NULL, NULL, 0, NULL, NULL);
	must_fail(w, ret, "transport-attach of another namespace's socket");
	tcp_reset(a);
	close(b);
	return ret;
}

/*
 * Send a stamped message along [0#@first, 0#@then...] from a private
 * socket and wait for it at @rx (or for the echo at the sender when @rx
 * is -1). 0 when it arrived.
 */
static long probe(struct worker *w, const char *first, const char *then,
		  int rx, long ms)
{
	struct sockaddr_ockam sa;
	struct route_gen g = { 0 };
	uint8_t route[OCKAM_SOCKADDR_ROUTE_MAX + 8];
	uint64_t id = rnd(&w->rng);
	int s = private_socket(NULL, 100);
	size_t len;
	long ret;

	if (s < 0)
		return s;
	rg_local(&g, first);
	rg_local(&g, then);
	len = stamp_make(&w->rng, w->buf, sizeof(struct stamp) +
			 below(&w->rng, 4096), id);
	ret = sys(sendto(s, w->buf, len, 0, (struct sockaddr *)&sa,
			 sa_fill(&sa, route, rg_finish(&g, route))));
	if (ret >= 0) {
		atomic_fetch_add(&G.stamps_sent, 1);
		ret = wait_stamp(w, rx >= 0 ? rx : s, id, ms, NULL, NULL);
	}
	close(s);
	return ret < 0 ? ret : 0;
}

/* A connection to a daemon's listener, attached on this side. */
static long attach_to_daemon(struct worker *w, struct ockam_nl *nl)
{
	struct ockam_transport_info info;
	char peer[64], *peer_arg = NULL, junk[300];
	struct in_addr a;
	int to = pick_peer_ns(w), fd;
	long ret;

	ret = peer_addr(w, to, &a);
	if (ret)
		return ret;
	fd = tcp_connect(a, TCP_PORT, CONNECT_MS);
	if (fd < 0)
		return fd;
	snprintf(peer, sizeof(peer), "%s:%d", inet_ntoa(a), TCP_PORT);
	if (chance(&w->rng, 40)) {
		peer_arg = peer;
	} else if (chance(&w->rng, 10)) {
		/* Longer than any address value may be. */
		memset(junk, 'j', sizeof(junk) - 1);
		junk[sizeof(junk) - 1] = 0;
		peer_arg = junk;
	}
	ret = attach_fd(w, nl, fd, peer_arg, &info);
	if (peer_arg == junk)
		must_fail(w, ret, "transport-attach with an over-long peer");
	close(fd);
	if (ret)
		return ret;
	owned_add(&w->transports[node_idx(w)], info.address);
	if (chance(&w->rng, 30))
		return probe(w, info.address, "echo", -1, 5000);
	return 0;
}

/* Both ends of a loopback connection attached to this node. */
static long attach_loop(struct worker *w, struct ockam_nl *nl)
{
	struct ockam_transport_info t1, t2;
	char rname[20];
	int a, b, r;
	long ret = tcp_pair(&a, &b);

	if (ret)
		return ret;
	ret = attach_fd(w, nl, a, NULL, &t1);
	if (!ret) {
		owned_add(&w->transports[node_idx(w)], t1.address);
		ret = attach_fd(w, nl, b, NULL, &t2);
		if (!ret)
			owned_add(&w->transports[node_idx(w)], t2.address);
	}
	close(a);
	close(b);
	if (ret || chance(&w->rng, 50))
		return ret;
	rname[0] = 'r';
	random_hex(&w->rng, rname + 1, 16);
	r = private_socket(rname, 100);
	if (r < 0)
		return r;
	ret = probe(w, t1.address, rname, r, 2000);
	close(r);
	return ret;
}

static long op_attach(struct worker *w)
{
	struct ockam_nl *nl;
	unsigned int k = below(&w->rng, 100);
	struct owned *own;
	char name[OCKAM_NAME_MAX];
	long ret = need_nl(w, &nl);

	if (ret)
		return ret;
	own = &w->transports[node_idx(w)];
	if (own->count == OWN_MAX && owned_take(w, own, name))
		ockam_nl_transport_detach(nl, name, NULL);
	if (k < 50)
		return attach_to_daemon(w, nl);
	if (k < 70)
		return attach_loop(w, nl);
	if (k < 90)
		return attach_invalid(w, nl);
	return attach_foreign(w, nl);
}

static long op_detach(struct worker *w)
{
	char name[OCKAM_NAME_MAX + 1];
	unsigned int k = below(&w->rng, 100);
	struct ockam_nl *nl;
	long ret = need_nl(w, &nl);

	if (ret)
		return ret;
	if (k < 60 && owned_take(w, &w->transports[node_idx(w)], name)) {
		describe(w, "own %s", name);
		return ockam_nl_transport_detach(nl, name, NULL);
	}
	if (k < 90) {
		/* Possibly the daemon's: it re-dials on demand. */
		pick_name(w, name, 40);
		describe(w, "%s", name);
		return ockam_nl_transport_detach(nl, name, NULL);
	}
	bad_name(w, name, OCKAM_ADDR_VALUE_MAX + 1);
	describe(w, "bad name");
	ret = ockam_nl_transport_detach(nl, name, NULL);
	must_fail(w, ret, "transport-detach of a name no transport may have");
	return ret;
}

/* ------------------------------------------------------------ channels */

static void random_identifier(struct worker *w, char *out)
{
	out[0] = 'I';
	random_hex(&w->rng, out + 1, OCKAM_IDENTIFIER_LEN - 1);
}

/* An identifier the kernel must refuse. */
static void bad_identifier(struct worker *w, char *out)
{
	random_identifier(w, out);
	switch (below(&w->rng, 4)) {
	case 0:
		out[0] = 'J';
		break;
	case 1:
		out[1 + below(&w->rng, OCKAM_IDENTIFIER_LEN - 1)] = 'g';
		break;
	case 2:
		out[below(&w->rng, OCKAM_IDENTIFIER_LEN)] = 0;
		break;
	default:
		out[OCKAM_IDENTIFIER_LEN] = 'a';
		out[OCKAM_IDENTIFIER_LEN + 1] = 0;
		break;
	}
}

struct chan_end {
	char sock_name[24];		/* the handshake socket: the decryptor */
	int fd;
	int ns;
	uint8_t tx[OCKAM_KEY_LEN], rx[OCKAM_KEY_LEN];
	uint8_t route[OCKAM_SOCKADDR_ROUTE_MAX];
	size_t route_len;
	char identifier[OCKAM_IDENTIFIER_LEN + 2];
	uint32_t role;
	struct ockam_channel_info info;
};

static long channel_install(struct worker *w, struct chan_end *e)
{
	struct ockam_channel_params p = {
		.fd = e->fd, .tx_key = e->tx, .rx_key = e->rx,
		.route = e->route, .route_len = e->route_len,
		.identifier = e->identifier, .role = e->role,
	};
	struct ockam_nl *nl;
	struct owned *own;
	char old[OCKAM_NAME_MAX];
	long ret = need_nl(w, &nl);

	if (ret)
		return ret;
	own = &w->channels[node_idx(w)];
	if (own->count == OWN_MAX && owned_take(w, own, old))
		ockam_nl_channel_del(nl, old, NULL);
	ret = ockam_nl_channel_add(nl, &p, &e->info, NULL);
	if (!ret)
		owned_add(own, e->info.encryptor);
	return ret;
}

/* The route from @e's node to the other end's handshake socket. */
static long channel_route(struct worker *w, struct chan_end *e,
			  const struct chan_end *other)
{
	struct route_gen g = { 0 };
	struct in_addr a;
	char peer[64];
	long ret;

	if (other->ns != e->ns) {
		ret = peer_addr(w, other->ns, &a);
		if (ret)
			return ret;
		snprintf(peer, sizeof(peer), "%s:%d", inet_ntoa(a), TCP_PORT);
		rg_add(&g, OCKAM_ADDR_TCP, peer, strlen(peer));
	}
	rg_local(&g, other->sock_name);
	e->route_len = rg_finish(&g, e->route);
	return 0;
}

/* A way to break channel-add that the kernel must notice. */
static const char *channel_spoil(struct worker *w, struct chan_end *e)
{
	enum route_kind kind;
	uint8_t bad[OCKAM_ROUTE_BYTES_MAX + 8];

	switch (below(&w->rng, 6)) {
	case 0:
		bad_identifier(w, e->identifier);
		return "a malformed identifier";
	case 1:
		e->role = chance(&w->rng, 50) ? 0 : 3 + below(&w->rng, 100);
		return "a role out of range";
	case 2:
		do {
			e->route_len = gen_route(w, bad, sizeof(e->route), &kind);
		} while (kind != ROUTE_MALFORMED);
		memcpy(e->route, bad, e->route_len);
		return "a malformed route";
	case 3:
		close(e->fd);
		e->fd = private_socket(NULL, 100);
		return "an unbound socket";
	case 4:
		close(e->fd);
		e->fd = dup(G.devnull);
		return "a file that is not a socket";
	default:
		close(e->fd);
		e->fd = 1000000 + below(&w->rng, 1000);
		return "a descriptor that is not open";
	}
}

static int channel_end_open(struct worker *w, struct chan_end *e, char tag)
{
	e->sock_name[0] = tag;
	random_hex(&w->rng, e->sock_name + 1, 16);
	e->fd = private_socket(e->sock_name, 100);
	e->ns = w->ns;
	random_identifier(w, e->identifier);
	return e->fd < 0 ? e->fd : 0;
}

/*
 * A pair of channels whose keys match, the way two daemons would make
 * them after a handshake: on this node, or with the other end on a
 * neighbour over TCP. Sometimes the keys do not match (nothing may come
 * out), sometimes a parameter is wrong (the kernel must refuse).
 */
static long op_channel_add(struct worker *w)
{
	struct chan_end *c1 = calloc(2, sizeof(*c1)), *c2 = c1 + 1;
	unsigned int k = below(&w->rng, 100);
	bool mismatch = chance(&w->rng, 15), remote = k >= 55 && k < 80;
	const char *spoiled = NULL;
	char rname[24];
	int home = w->ns, r = -1;
	long ret;

	if (!c1)
		die("out of memory");
	c1->fd = -1;
	c2->fd = -1;
	rnd_bytes(&w->rng, c1->tx, OCKAM_KEY_LEN);
	rnd_bytes(&w->rng, c1->rx, OCKAM_KEY_LEN);
	memcpy(c2->tx, c1->rx, OCKAM_KEY_LEN);
	memcpy(c2->rx, c1->tx, OCKAM_KEY_LEN);
	if (mismatch)
		c2->rx[below(&w->rng, OCKAM_KEY_LEN)] ^= 1 << below(&w->rng, 8);
	c1->role = OCKAM_ROLE_INITIATOR;
	c2->role = OCKAM_ROLE_RESPONDER;

	ret = channel_end_open(w, c1, 'x');
	if (ret)
		goto out;
	if (remote) {
		ret = netns_enter(w, below(&w->rng, G.n_ns));
		if (ret)
			goto back;
	}
	ret = channel_end_open(w, c2, 'y');
	if (!ret)
		ret = channel_route(w, c2, c1);
	rname[0] = 'r';
	random_hex(&w->rng, rname + 1, 16);
	if (!ret)
		r = private_socket(rname, 100);
	if (r < 0 && !ret)
		ret = r;
	describe(w, "%s%s y=%s ", remote ? "remote" : "local",
		 mismatch ? " mismatched" : "", c2->sock_name);
	if (!ret)
		ret = channel_install(w, c2);
back:
	if (netns_return(w, home) && !ret)
		ret = -ENOENT;
	if (ret)
		goto out;

	ret = channel_route(w, c1, c2);
	if (ret)
		goto out;
	if (k >= 80)
		spoiled = channel_spoil(w, c1);
	describe(w, "x=%s%s%s", c1->sock_name, spoiled ? " spoiled: " : "",
		 spoiled ? spoiled : "");
	ret = channel_install(w, c1);
	if (spoiled) {
		must_fail(w, ret, spoiled);
		goto out;
	}
	if (ret)
		goto out;
	/* One message through: c1 encrypts, c2 decrypts and delivers. */
	ret = probe(w, c1->info.encryptor, rname, r, remote ? 5000 : 1000);
	if (!ret && mismatch)
		fail(w, "a message came out of a channel whose keys do not match");
out:
	if (c1->fd >= 0 && c1->fd < 1000000)
		close(c1->fd);
	if (c2->fd >= 0)
		close(c2->fd);
	if (r >= 0)
		close(r);
	sodium_memzero(c1, 2 * sizeof(*c1));
	free(c1);
	return ret;
}

static long op_channel_del(struct worker *w)
{
	char name[OCKAM_NAME_MAX + 1];
	unsigned int k = below(&w->rng, 100);
	struct ockam_nl *nl;
	long ret = need_nl(w, &nl);

	if (ret)
		return ret;
	if (k < 70 && owned_take(w, &w->channels[node_idx(w)], name)) {
		describe(w, "own %s", name);
		return ockam_nl_channel_del(nl, name, NULL);
	}
	if (k < 90) {
		/* Not one we know of: a channel others use is not ours to
		 * close (the delivery check's, for one).
		 */
		name[0] = 'z';
		random_hex(&w->rng, name + 1, 31);
		describe(w, "%s", name);
		return ockam_nl_channel_del(nl, name, NULL);
	}
	bad_name(w, name, OCKAM_ADDR_VALUE_MAX + 1);
	describe(w, "bad name");
	ret = ockam_nl_channel_del(nl, name, NULL);
	must_fail(w, ret, "channel-del of a name no channel may have");
	return ret;
}

/* A route of @hops random local names, encoded into @out; its length. */
static size_t random_local_route(struct worker *w, uint8_t *out,
				 unsigned int hops)
{
	enum { NAME = 16 };
	char name[NAME + 1];
	size_t len = 0;
	unsigned int i;

	out[len++] = hops;
	for (i = 0; i < hops; i++) {
		random_hex(&w->rng, name, NAME);
		out[len++] = OCKAM_ADDR_LOCAL;
		out[len++] = NAME;
		memcpy(out + len, name, NAME);
		len += NAME;
	}
	return len;
}

/*
 * A new route for a channel of ours (its frames go nowhere from then on,
 * and it asks along the new route at once), for one nobody has, or one
 * the kernel must refuse; or new keys under an identity that is not the
 * channel's peer's, which it must refuse too.
 */
static long op_channel_set(struct worker *w)
{
	uint8_t route[1 + 3 * 18], key[OCKAM_KEY_LEN];
	char name[OCKAM_NAME_MAX + 1], id[OCKAM_IDENTIFIER_LEN + 2];
	struct ockam_channel_params p = { .tx_key = key, .rx_key = key };
	unsigned int k = below(&w->rng, 100);
	struct owned *o;
	struct ockam_nl *nl;
	long ret = need_nl(w, &nl);
	size_t len;

	if (ret)
		return ret;
	o = &w->channels[node_idx(w)];
	len = random_local_route(w, route, 1 + below(&w->rng, 3));
	name[0] = 'z';
	random_hex(&w->rng, name + 1, 31);
	if (k < 60 && o->count)
		snprintf(name, sizeof(name), "%s",
			 o->name[below(&w->rng, o->count)]);
	if (k < 45) {
		describe(w, "route for %s", name);
		return ockam_nl_channel_set_route(nl, name, route, len, NULL);
	}
	if (k < 75) {
		rnd_bytes(&w->rng, key, sizeof(key));
		random_identifier(w, id);
		p.identifier = id;
		p.route = route;
		p.route_len = len;
		p.fd = private_socket(NULL, 0);
		describe(w, "keys for %s, another identity", name);
		ret = ockam_nl_channel_rekey(nl, name, &p, NULL);
		if (p.fd >= 0)
			close(p.fd);
		must_fail(w, ret, "channel-set with another identity's keys");
		return ret;
	}
	route[0] = 0;
	describe(w, "empty route for %s", name);
	ret = ockam_nl_channel_set_route(nl, name, route, 1, NULL);
	must_fail(w, ret, "channel-set with an empty route");
	return ret;
}

/* The netlink socket that owns them closes: its transports and channels
 * go with it.
 */
static long op_nl_reopen(struct worker *w)
{
	int n = node_idx(w);

	describe(w, "%u transports, %u channels", w->transports[n].count,
		 w->channels[n].count);
	if (w->nl[n])
		ockam_nl_close(w->nl[n]);
	w->nl[n] = NULL;
	w->transports[n].count = 0;
	w->channels[n].count = 0;
	return nl_get(w) ? 0 : -ENOPROTOOPT;
}

static void on_event(const struct ockam_event *ev, void *arg)
{
	struct worker *w = arg;

	if (ev->cmd != OCKAM_CMD_DIAL_REQUEST &&
	    ev->cmd != OCKAM_CMD_TRANSPORT_DOWN &&
	    ev->cmd != OCKAM_CMD_CHANNEL_CLOSED &&
	    ev->cmd != OCKAM_CMD_CHANNEL_STATE &&
	    ev->cmd != OCKAM_CMD_PORTAL_CLOSED)
		fail(w, "event with command %u", ev->cmd);
	if (ev->cmd == OCKAM_CMD_CHANNEL_STATE &&
	    (ev->state == OCKAM_CHANNEL_STATE_UNSPEC ||
	     ev->state >= __OCKAM_CHANNEL_STATE_MAX ||
	     ev->reason == OCKAM_STATE_R_UNSPEC ||
	     ev->reason >= __OCKAM_STATE_R_MAX))
		fail(w, "channel-state event with state %u, reason %u",
		     ev->state, ev->reason);
	if (ev->cmd == OCKAM_CMD_PORTAL_CLOSED &&
	    (ev->reason == OCKAM_PORTAL_END_UNSPEC ||
	     ev->reason >= __OCKAM_PORTAL_END_MAX ||
	     (ev->role != OCKAM_PORTAL_INLET &&
	      ev->role != OCKAM_PORTAL_OUTLET)))
		fail(w, "portal-closed event with reason %u, role %u",
		     ev->reason, ev->role);
}

static long op_events(struct worker *w)
{
	struct ockam_events *ev;
	struct pollfd p;
	long ret = ockam_events_open(&ev, NULL);

	if (ret)
		return ret;
	p.fd = ockam_events_fd(ev);
	p.events = POLLIN;
	describe(w, "listen");
	if (poll(&p, 1, below(&w->rng, 100)) == 1)
		ret = ockam_events_read(ev, on_event, w, NULL);
	ockam_events_close(ev);
	return ret < 0 ? ret : 0;
}

/* ------------------------------------------------- raw netlink requests */

struct nlreq {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	uint8_t attrs[8192];
} __attribute__((aligned(NLMSG_ALIGNTO)));

static void nlreq_init(struct nlreq *r, uint8_t cmd, uint16_t flags)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_type = G.genl_id;
	r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->gh.cmd = cmd;
	r->gh.version = OCKAM_GENL_VERSION;
}

/* Append an attribute whose header claims @claimed bytes of payload. */
static void nlreq_attr_claim(struct nlreq *r, uint16_t type, const void *data,
			     size_t len, size_t claimed)
{
	uint8_t *p = (uint8_t *)r + r->nh.nlmsg_len;
	struct nlattr *a = (struct nlattr *)p;

	if (r->nh.nlmsg_len + NLA_ALIGN(NLA_HDRLEN + len) > sizeof(*r))
		return;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + claimed;
	memcpy(p + NLA_HDRLEN, data, len);
	r->nh.nlmsg_len += NLA_ALIGN(NLA_HDRLEN + len);
}

static void nlreq_attr(struct nlreq *r, uint16_t type, const void *data,
		       size_t len)
{
	nlreq_attr_claim(r, type, data, len, len);
}

static void nlreq_u32(struct nlreq *r, uint16_t type, uint32_t v)
{
	nlreq_attr(r, type, &v, sizeof(v));
}

static void nlreq_str(struct nlreq *r, uint16_t type, const char *s)
{
	nlreq_attr(r, type, s, strlen(s) + 1);
}

/* Open a nest of @type; its attributes follow. Returns where it starts. */
static uint32_t nlreq_nest(struct nlreq *r, uint16_t type)
{
	uint32_t at = r->nh.nlmsg_len;

	nlreq_attr(r, type | NLA_F_NESTED, NULL, 0);
	return at;
}

/* Close the nest opened at @at around what was added since. */
static void nlreq_nest_end(struct nlreq *r, uint32_t at)
{
	struct nlattr *a = (struct nlattr *)((uint8_t *)r + at);

	a->nla_len = r->nh.nlmsg_len - at;
}

/* Send @r and read up to its answer: 0, or the kernel's -errno. */
static long nlreq_send(struct nlreq *r)
{
	uint8_t *buf = malloc(65536);
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nh;
	long ret = 0, n;
	int one = 1;

	if (!buf)
		die("out of memory");
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	set_timeouts(fd, 5000, 1000);
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		n = recv(fd, buf, 65536, 0);
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_ERROR) {
				ret = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
				goto out;
			}
			if (nh->nlmsg_type == NLMSG_DONE) {
				ret = *(int *)NLMSG_DATA(nh);
				goto out;
			}
		}
	}
out:
	close(fd);
	free(buf);
	return ret;
}

enum raw_case {
	RAW_UNKNOWN_CMD,	/* past the last command */
	RAW_EVENT_CMD,		/* an event sent as a request */
	RAW_UNSPEC_CMD,
	RAW_UNKNOWN_ATTR,	/* past the last attribute */
	RAW_SHORT_U32,
	RAW_ATTR_OVERRUN,	/* claims more bytes than the message has */
	RAW_ATTR_TINY,		/* shorter than its own header */
	RAW_STRING_NO_NUL,
	RAW_STRING_LONG,
	RAW_BAD_FLAGS,
	RAW_DUMP_ON_DO,
	RAW_DO_ON_DUMP,
	RAW_SHORT_GENL,		/* the generic netlink header cut */
	RAW_KEY_LENGTH,
	RAW_ROUTE_MALFORMED,
	RAW_ERRNO_RANGE,
	RAW_FORWARDED_RANGE,
	RAW_DIAL_FAILED,	/* answers no dial in particular */
	RAW_RANDOM,		/* random attributes: counted only */
	RAW_DUMP,
	RAW_COUNT
};

/* Commands random requests may use: none that changes a setting. */
static const uint8_t raw_cmds[] = {
	OCKAM_CMD_NODE_GET, OCKAM_CMD_TRANSPORT_ATTACH,
	OCKAM_CMD_TRANSPORT_DETACH, OCKAM_CMD_TRANSPORT_GET,
	OCKAM_CMD_ALIAS_ADD, OCKAM_CMD_ALIAS_DEL, OCKAM_CMD_ALIAS_GET,
	OCKAM_CMD_ADDRESS_GET, OCKAM_CMD_DIAL_FAILED, OCKAM_CMD_CHANNEL_ADD,
	OCKAM_CMD_CHANNEL_DEL, OCKAM_CMD_CHANNEL_GET, OCKAM_CMD_RESERVED_GET,
};

static const uint8_t dump_cmds[] = {
	OCKAM_CMD_TRANSPORT_GET, OCKAM_CMD_ALIAS_GET, OCKAM_CMD_ADDRESS_GET,
	OCKAM_CMD_CHANNEL_GET, OCKAM_CMD_RESERVED_GET,
};

/* An alias-del naming its alias with @len bytes claiming @claimed. */
static void raw_alias_name(struct nlreq *r, const char *name, size_t len,
			   size_t claimed)
{
	uint32_t nest;

	nlreq_init(r, OCKAM_CMD_ALIAS_DEL, 0);
	nest = nlreq_nest(r, OCKAM_A_ALIAS);
	nlreq_attr_claim(r, OCKAM_ALIAS_A_ADDRESS, name, len, claimed);
	nlreq_nest_end(r, nest);
}

/*
 * Random attributes inside nest @type. A file descriptor is never one of
 * ours (see op_attach): the kernel would take the socket over.
 */
static void raw_random_nest(struct worker *w, struct nlreq *r, uint16_t type)
{
	uint32_t nest = nlreq_nest(r, type);
	unsigned int i, n = below(&w->rng, 5);
	uint8_t junk[64];
	size_t len;

	for (i = 0; i < n; i++) {
		uint16_t inner = 1 + below(&w->rng, OCKAM_CHANNEL_A_MAX + 2);

		if ((type == OCKAM_A_TRANSPORT && inner == OCKAM_TRANSPORT_A_FD) ||
		    (type == OCKAM_A_CHANNEL && inner == OCKAM_CHANNEL_A_FD)) {
			nlreq_u32(r, inner, 1000000 + below(&w->rng, 1000));
			continue;
		}
		len = below(&w->rng, sizeof(junk));
		rnd_bytes(&w->rng, junk, len);
		nlreq_attr(r, inner, junk, len);
	}
	nlreq_nest_end(r, nest);
}

/*
 * Every attribute channel-add requires, with the keys of @key_len, and a
 * bound socket in @fd: were the key's length not checked, a channel
 * would be installed (and closed with the request's netlink socket).
 */
static void raw_channel_add(struct worker *w, struct nlreq *r, size_t key_len,
			    int fd)
{
	uint8_t key[64], route[3 + 4] = { 1, 0, 4, 'n', 'o', 'n', 'e' };
	char id[OCKAM_IDENTIFIER_LEN + 1];

	uint32_t nest;

	rnd_bytes(&w->rng, key, sizeof(key));
	random_identifier(w, id);
	nest = nlreq_nest(r, OCKAM_A_CHANNEL);
	nlreq_u32(r, OCKAM_CHANNEL_A_FD, fd);
	nlreq_attr(r, OCKAM_CHANNEL_A_TX_KEY, key, key_len);
	nlreq_attr(r, OCKAM_CHANNEL_A_RX_KEY, key + 32, OCKAM_KEY_LEN);
	nlreq_attr(r, OCKAM_CHANNEL_A_ROUTE, route, sizeof(route));
	nlreq_str(r, OCKAM_CHANNEL_A_IDENTIFIER, id);
	nlreq_u32(r, OCKAM_CHANNEL_A_ROLE, OCKAM_ROLE_INITIATOR);
	nlreq_nest_end(r, nest);
}

/*
 * Build request @c in @r; true when the kernel must refuse it. Sockets
 * the request names go in @fds, for the caller to close.
 */
static bool raw_build(struct worker *w, struct nlreq *r, enum raw_case c,
		      int fds[2])
{
	static const uint8_t events[] = {
		OCKAM_CMD_DIAL_REQUEST, OCKAM_CMD_TRANSPORT_DOWN,
		OCKAM_CMD_CHANNEL_CLOSED,
	};
	uint8_t route[OCKAM_ROUTE_BYTES_MAX + 8], junk[64];
	char s[OCKAM_ADDR_VALUE_MAX + 64];
	enum route_kind kind;
	unsigned int i, n;
	uint32_t nest;
	size_t len;

	switch (c) {
	case RAW_UNKNOWN_CMD:
		nlreq_init(r, OCKAM_CMD_MAX + 1 +
			   below(&w->rng, 255 - OCKAM_CMD_MAX), 0);
		return true;
	case RAW_EVENT_CMD:
		nlreq_init(r, events[below(&w->rng, 3)], 0);
		nest = nlreq_nest(r, OCKAM_A_DIAL);
		nlreq_str(r, OCKAM_DIAL_A_PEER, "10.0.0.1:4000");
		nlreq_nest_end(r, nest);
		return true;
	case RAW_UNSPEC_CMD:
		nlreq_init(r, OCKAM_CMD_UNSPEC, 0);
		return true;
	case RAW_UNKNOWN_ATTR:
		if (chance(&w->rng, 50)) {
			nlreq_init(r, OCKAM_CMD_NODE_GET, 0);
			nlreq_u32(r, OCKAM_A_MAX + 1 + below(&w->rng, 100), 1);
			return true;
		}
		nlreq_init(r, OCKAM_CMD_ALIAS_DEL, 0);
		nest = nlreq_nest(r, OCKAM_A_ALIAS);
		nlreq_str(r, OCKAM_ALIAS_A_ADDRESS, "p0");
		nlreq_u32(r, OCKAM_ALIAS_A_MAX + 1 + below(&w->rng, 100), 1);
		nlreq_nest_end(r, nest);
		return true;
	case RAW_SHORT_U32:
		nlreq_init(r, OCKAM_CMD_NODE_SET, 0);
		nest = nlreq_nest(r, OCKAM_A_NODE);
		nlreq_attr(r, OCKAM_NODE_A_HOP_LIMIT, "\x05\0\0",
			   1 + below(&w->rng, 3));
		nlreq_nest_end(r, nest);
		return true;
	case RAW_ATTR_OVERRUN:
		raw_alias_name(r, "p1", 3, 3 + 4 + below(&w->rng, 1000));
		return true;
	case RAW_ATTR_TINY:
		nlreq_init(r, OCKAM_CMD_ALIAS_DEL, 0);
		nest = nlreq_nest(r, OCKAM_A_ALIAS);
		nlreq_str(r, OCKAM_ALIAS_A_ADDRESS, "p1");
		nlreq_attr_claim(r, OCKAM_ALIAS_A_ADDRESS, "", 0, 0);
		((struct nlattr *)((uint8_t *)r + r->nh.nlmsg_len - 4))->nla_len =
			below(&w->rng, NLA_HDRLEN);
		nlreq_nest_end(r, nest);
		return true;
	case RAW_STRING_NO_NUL:
		raw_alias_name(r, "p2", 2, 2);
		return true;
	case RAW_STRING_LONG:
		len = OCKAM_ADDR_VALUE_MAX + 1 + below(&w->rng, 50);
		memset(s, 'l', len);
		s[len] = 0;
		if (chance(&w->rng, 50)) {
			raw_alias_name(r, s, len + 1, len + 1);
			return true;
		}
		nlreq_init(r, OCKAM_CMD_TRANSPORT_DETACH, 0);
		nest = nlreq_nest(r, OCKAM_A_TRANSPORT);
		nlreq_str(r, OCKAM_TRANSPORT_A_ADDRESS, s);
		nlreq_nest_end(r, nest);
		return true;
	case RAW_BAD_FLAGS:
		/* A connected socket: only the flags are wrong. */
		if (tcp_pair(&fds[0], &fds[1])) {
			fds[0] = -1;
			fds[1] = -1;
		}
		nlreq_init(r, OCKAM_CMD_TRANSPORT_ATTACH, 0);
		nest = nlreq_nest(r, OCKAM_A_TRANSPORT);
		nlreq_u32(r, OCKAM_TRANSPORT_A_FD,
			  fds[0] >= 0 ? fds[0] : 1000000);
		nlreq_u32(r, OCKAM_TRANSPORT_A_FLAGS,
			  1u << (1 + below(&w->rng, 31)));
		nlreq_nest_end(r, nest);
		return true;
	case RAW_DUMP_ON_DO:
		nlreq_init(r, chance(&w->rng, 50) ? OCKAM_CMD_NODE_SET :
			   OCKAM_CMD_ALIAS_DEL, NLM_F_DUMP);
		return true;
	case RAW_DO_ON_DUMP:
		nlreq_init(r, dump_cmds[below(&w->rng, sizeof(dump_cmds))], 0);
		return true;
	case RAW_SHORT_GENL:
		nlreq_init(r, OCKAM_CMD_NODE_GET, 0);
		r->nh.nlmsg_len = NLMSG_LENGTH(below(&w->rng, GENL_HDRLEN));
		return true;
	case RAW_KEY_LENGTH:
		snprintf(s, sizeof(s), "k");
		random_hex(&w->rng, s + 1, 16);
		fds[0] = private_socket(s, 100);
		nlreq_init(r, OCKAM_CMD_CHANNEL_ADD, 0);
		len = below(&w->rng, 64);
		raw_channel_add(w, r, len == OCKAM_KEY_LEN ? len + 1 : len,
				fds[0] >= 0 ? fds[0] : 1000000);
		return true;
	case RAW_ROUTE_MALFORMED:
		do {
			len = gen_route(w, route, OCKAM_ROUTE_BYTES_MAX, &kind);
		} while (kind != ROUTE_MALFORMED);
		nlreq_init(r, OCKAM_CMD_ALIAS_ADD, 0);
		snprintf(s, sizeof(s), "m%u", below(&w->rng, 1000));
		nest = nlreq_nest(r, OCKAM_A_ALIAS);
		nlreq_str(r, OCKAM_ALIAS_A_ADDRESS, s);
		nlreq_attr(r, OCKAM_ALIAS_A_ROUTE, route, len);
		nlreq_nest_end(r, nest);
		return true;
	case RAW_ERRNO_RANGE:
		nlreq_init(r, OCKAM_CMD_DIAL_FAILED, 0);
		nest = nlreq_nest(r, OCKAM_A_DIAL);
		nlreq_str(r, OCKAM_DIAL_A_PEER, "10.0.99.1:4000");
		nlreq_u32(r, OCKAM_DIAL_A_ERRNO, chance(&w->rng, 50) ? 0 :
			  4096 + below(&w->rng, 100000));
		nlreq_nest_end(r, nest);
		return true;
	case RAW_FORWARDED_RANGE:
		nlreq_init(r, OCKAM_CMD_NODE_SET, 0);
		nest = nlreq_nest(r, OCKAM_A_NODE);
		nlreq_u32(r, OCKAM_NODE_A_DIAL_FORWARDED,
			  2 + below(&w->rng, 1000));
		nlreq_nest_end(r, nest);
		return true;
	case RAW_DIAL_FAILED:
		nlreq_init(r, OCKAM_CMD_DIAL_FAILED, 0);
		snprintf(s, sizeof(s), "10.0.%u.%u:%u", below(&w->rng, 256),
			 below(&w->rng, 256), 1 + below(&w->rng, 65535));
		nest = nlreq_nest(r, OCKAM_A_DIAL);
		nlreq_str(r, OCKAM_DIAL_A_PEER, s);
		nlreq_u32(r, OCKAM_DIAL_A_ERRNO, 1 + below(&w->rng, 133));
		nlreq_nest_end(r, nest);
		return false;
	case RAW_DUMP:
		nlreq_init(r, dump_cmds[below(&w->rng, sizeof(dump_cmds))],
			   NLM_F_DUMP);
		if (chance(&w->rng, 20))
			raw_random_nest(w, r, OCKAM_A_ALIAS);
		return false;
	default:
		nlreq_init(r, raw_cmds[below(&w->rng, sizeof(raw_cmds))],
			   chance(&w->rng, 10) ? NLM_F_DUMP : 0);
		r->gh.version = below(&w->rng, 4);
		n = below(&w->rng, 4);
		for (i = 0; i < n; i++) {
			uint16_t type = 1 + below(&w->rng, OCKAM_A_MAX + 2);

			if (type <= OCKAM_A_MAX) {
				raw_random_nest(w, r, type);
				continue;
			}
			len = below(&w->rng, sizeof(junk));
			rnd_bytes(&w->rng, junk, len);
			nlreq_attr(r, type, junk, len);
		}
		return false;
	}
}

static long op_nl_raw(struct worker *w)
{
	struct nlreq *r = malloc(sizeof(*r));
	enum raw_case c = below(&w->rng, RAW_COUNT);
	int fds[2] = { -1, -1 };
	bool must;
	long ret;

	if (!r)
		die("out of memory");
	must = raw_build(w, r, c, fds);
	describe(w, "case %d cmd %u len %u flags %#x", c, r->gh.cmd,
		 r->nh.nlmsg_len, r->nh.nlmsg_flags);
	ret = nlreq_send(r);
	if (must)
		must_fail(w, ret, "a malformed or refused netlink request");
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		tcp_reset(fds[1]);
	free(r);
	return ret;
}

/* -------------------------------------------- peers dying mid-frame */

/* A routing message to [0#@to] from [0#peer] as a TCP frame. */
static size_t frame_make(struct worker *w, uint8_t *out, const char *to,
			 size_t payload)
{
	uint8_t *p = out + 4;
	size_t tl = strlen(to), len;

	*p++ = OCKAM_MESSAGE_VERSION;
	*p++ = 1;
	*p++ = OCKAM_ADDR_LOCAL;
	p += uleb_put(p, tl);
	memcpy(p, to, tl);
	p += tl;
	*p++ = 1;
	*p++ = OCKAM_ADDR_LOCAL;
	*p++ = 4;
	memcpy(p, "peer", 4);
	p += 4;
	p += uleb_put(p, payload);
	p += stamp_make(&w->rng, p, payload, rnd(&w->rng));
	len = p - out - 4;
	out[0] = len >> 24;
	out[1] = len >> 16;
	out[2] = len >> 8;
	out[3] = len;
	return len + 4;
}

/*
 * A child that writes a frame a few bytes at a time until it is killed.
 * Only async-signal-safe calls after fork().
 */
static void writer_child(int fd, const uint8_t *frame, size_t len)
{
	struct timespec ts = { 0, 200000 };
	size_t i = 0, chunk;

	for (;;) {
		chunk = len - i < 7 ? len - i : 7;
		if (write(fd, frame + i, chunk) < 0)
			_exit(0);
		i = (i + chunk) % len;
		nanosleep(&ts, NULL);
	}
}

enum cut_kind {
	CUT_PARTIAL_RST,	/* part of a frame, then a reset */
	CUT_PARTIAL_FIN,	/* part of a frame, then a clean close */
	CUT_WHOLE_THEN_PART,	/* a whole frame, part of the next, reset */
	CUT_BAD_VERSION,
	CUT_TOO_BIG,		/* a length over any node's limit */
	CUT_KILLED,		/* a writer process killed mid-frame */
	CUT_AT_ONCE,		/* a reset before anything */
	CUT_COUNT
};

/*
 * Play a peer that dies on @fd, the raw end of a connection whose other
 * end a node owns. Closes @fd.
 */
static long peer_die(struct worker *w, int fd, const char *target)
{
	uint8_t *frame = malloc(PAYLOAD_MAX + 512), hdr[5] = { 1 };
	enum cut_kind k = below(&w->rng, CUT_COUNT);
	size_t len, cut;
	long ret = 0;
	pid_t child;

	if (!frame)
		die("out of memory");
	len = frame_make(w, frame, target, sizeof(struct stamp) +
			 below(&w->rng, 8192));
	cut = 1 + below(&w->rng, len - 1);
	describe(w, " cut %d at %zu of %zu", k, cut, len);
	switch (k) {
	case CUT_PARTIAL_RST:
	case CUT_PARTIAL_FIN:
		ret = sys(send(fd, hdr, 1, MSG_NOSIGNAL));
		if (ret >= 0)
			ret = sys(send(fd, frame, cut, MSG_NOSIGNAL));
		break;
	case CUT_WHOLE_THEN_PART:
		ret = sys(send(fd, hdr, 1, MSG_NOSIGNAL));
		if (ret >= 0)
			ret = sys(send(fd, frame, len, MSG_NOSIGNAL));
		if (ret >= 0)
			ret = sys(send(fd, frame, cut, MSG_NOSIGNAL));
		break;
	case CUT_BAD_VERSION:
		hdr[0] = 2 + below(&w->rng, 254);
		ret = sys(send(fd, hdr, 1 + below(&w->rng, 5), MSG_NOSIGNAL));
		break;
	case CUT_TOO_BIG:
		hdr[1] = 0x7f;
		ret = sys(send(fd, hdr, 5, MSG_NOSIGNAL));
		sleep_ms(below(&w->rng, 20));
		break;
	case CUT_KILLED:
		ret = sys(send(fd, hdr, 1, MSG_NOSIGNAL));
		if (ret < 0)
			break;
		child = fork();
		if (child == 0)
			writer_child(fd, frame, len);
		if (child < 0) {
			ret = -errno;
			break;
		}
		atomic_fetch_add(&G.children, 1);
		close(fd);
		fd = -1;
		sleep_ms(below(&w->rng, 40));
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		break;
	default:
		break;
	}
	if (fd >= 0) {
		if (k == CUT_PARTIAL_FIN)
			close(fd);
		else
			tcp_reset(fd);
	}
	free(frame);
	return ret < 0 ? ret : 0;
}

/*
 * A transport whose TCP peer is a socket of ours: the other end is
 * attached in a neighbour (or here), may have messages queued for us,
 * and we die in the middle of a frame in one of several ways.
 */
static long op_peer_cut(struct worker *w)
{
	struct ockam_transport_info info;
	struct ockam_nl *nl;
	struct in_addr a;
	int home = w->ns, there = pick_peer_ns(w), lfd, cfd, afd, s;
	char peer[64], *peer_arg = NULL;
	uint16_t port;
	long ret;

	lfd = tcp_listen(&port);
	if (lfd < 0)
		return lfd;
	ret = there == home ? 0 : netns_enter(w, there);
	if (!ret)
		ret = peer_addr(w, home, &a);
	if (ret)
		goto back;
	cfd = tcp_connect(a, port, CONNECT_MS);
	if (cfd < 0) {
		ret = cfd;
		goto back;
	}
	snprintf(peer, sizeof(peer), "%s:%u", inet_ntoa(a), port);
	if (chance(&w->rng, 70))
		peer_arg = peer;
	ret = need_nl(w, &nl);
	if (!ret)
		ret = attach_fd(w, nl, cfd, peer_arg, &info);
	close(cfd);
	if (!ret && chance(&w->rng, 50)) {
		/* Something on its way out while the peer dies. */
		s = private_socket(NULL, 100);
		if (s >= 0) {
			struct sockaddr_ockam sa;
			struct route_gen g = { 0 };
			uint8_t route[OCKAM_SOCKADDR_ROUTE_MAX + 8];
			size_t len = stamp_make(&w->rng, w->buf,
						below(&w->rng, PAYLOAD_MAX), 0);

			rg_local(&g, info.address);
			rg_local(&g, "far");
			sendto(s, w->buf, len, MSG_DONTWAIT,
			       (struct sockaddr *)&sa,
			       sa_fill(&sa, route, rg_finish(&g, route)));
			close(s);
		}
	}
back:
	if (netns_return(w, home) && !ret)
		ret = -ENOENT;
	if (ret) {
		close(lfd);
		return ret;
	}
	afd = tcp_accept(lfd, CONNECT_MS);
	close(lfd);
	if (afd < 0)
		return afd;
	return peer_die(w, afd, chance(&w->rng, 50) ? "echo" : "p0");
}

/* The same against a daemon's listener: its node attached our peer. */
static long op_daemon_cut(struct worker *w)
{
	struct in_addr a;
	int fd;
	long ret = peer_addr(w, pick_peer_ns(w), &a);

	if (ret)
		return ret;
	describe(w, "%s:%d", inet_ntoa(a), TCP_PORT);
	fd = tcp_connect(a, TCP_PORT, CONNECT_MS);
	if (fd < 0)
		return fd;
	return peer_die(w, fd, chance(&w->rng, 50) ? "echo" : "p0");
}

/* -------------------------------------- the interleavings of known bugs */

/* A TCP frame: u32be length, message with @onward, no return route. */
static size_t frame_route(uint8_t *out, const uint8_t *onward,
			  size_t onward_len, const uint8_t *payload, size_t len)
{
	size_t n = 4;
	uint32_t be;

	out[n++] = OCKAM_MESSAGE_VERSION;
	memcpy(out + n, onward, onward_len);
	n += onward_len;
	out[n++] = 0;
	n += uleb_put(out + n, len);
	memcpy(out + n, payload, len);
	n += len;
	be = htonl(n - 4);
	memcpy(out, &be, 4);
	return n;
}

/* Attach @fd here under a random name starting with @tag. */
static long attach_named(struct worker *w, struct ockam_nl *nl, int fd,
			 char tag, char *name)
{
	struct ockam_transport_info info;

	name[0] = tag;
	random_hex(&w->rng, name + 1, 16);
	return ockam_nl_transport_attach(nl, fd, name, NULL, 0, &info, NULL);
}

/* Exchange version bytes with an attached transport, as its peer. */
static long peer_hello(int fd)
{
	char version;

	if (recv(fd, &version, 1, 0) != 1)
		return -errno ? -errno : -EPROTO;
	if (version != OCKAM_TCP_VERSION)
		return -EPROTO;
	return send(fd, &version, 1, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

/*
 * A relay on this node: "in" forwards to "out", whose far end reads
 * slowly or not at all, so "in" is paused; then in's peer sends its last
 * frames and a FIN (or a reset) at a random moment. The close work of
 * "in" routes those frames into out's queue again and must not pause
 * "in" once more (it was freed while still on out's list, and out's
 * resume walked freed memory: KASAN on the debug kernel).
 */
static long op_relay_close(struct worker *w)
{
	char in_name[24], out_name[24];
	struct route_gen g = { 0 };
	uint8_t route[64], *frame;
	size_t size = 512 << below(&w->rng, 8), len, off;
	unsigned int frames = 4 + below(&w->rng, 96), i;
	int peer = -1, in = -1, out = -1, far = -1, small = 4096;
	struct ockam_nl *nl;
	long ret = need_nl(w, &nl);

	if (ret)
		return ret;
	frame = malloc(size + 64);
	if (!frame)
		die("out of memory");
	ret = tcp_pair(&peer, &in);
	if (!ret)
		ret = tcp_pair(&out, &far);
	if (ret)
		goto out;
	setsockopt(out, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	ret = attach_named(w, nl, in, 'i', in_name);
	if (!ret)
		ret = attach_named(w, nl, out, 'o', out_name);
	if (ret)
		goto out;
	describe(w, "%s -> %s, %u frames of %zu", in_name, out_name, frames,
		 size);
	ret = peer_hello(peer);
	if (ret)
		goto detach;
	rg_local(&g, out_name);
	rg_local(&g, "x");
	rnd_bytes(&w->rng, w->buf, size);
	len = frame_route(frame, route, rg_finish(&g, route), w->buf, size);
	/* As much as goes without waiting; the stream may end mid-frame. */
	for (i = 0; i < frames; i++) {
		for (off = 0; off < len;) {
			ssize_t n = send(peer, frame + off, len - off,
					 MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n <= 0)
				break;
			off += n;
		}
		if (off < len)
			break;
	}
	sleep_ms(below(&w->rng, 50));
	if (chance(&w->rng, 70)) {
		shutdown(peer, SHUT_WR);
		sleep_ms(below(&w->rng, 100));
	}
	tcp_reset(peer);
	peer = -1;
	/* The far end reads a while, or goes. */
	if (chance(&w->rng, 60)) {
		long long end = now_ms() + below(&w->rng, 300);

		while (now_ms() < end &&
		       recv(far, w->rbuf, PAYLOAD_MAX, MSG_DONTWAIT) != 0)
			sleep_ms(5);
	}
detach:
	ockam_nl_transport_detach(nl, in_name, NULL);
	ockam_nl_transport_detach(nl, out_name, NULL);
out:
	if (peer >= 0)
		tcp_reset(peer);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (far >= 0)
		tcp_reset(far);
	free(frame);
	return ret;
}

/* A data frame sealed with @key at @counter; its length. */
static size_t frame_seal(uint8_t *frame, const uint8_t *key, uint64_t counter,
			 const uint8_t *pt, size_t len)
{
	uint8_t nonce[12] = { 0 };
	int i;

	for (i = 0; i < 8; i++) {
		frame[i] = counter >> (56 - 8 * i);
		nonce[4 + i] = counter >> (8 * i);
	}
	crypto_aead_chacha20poly1305_ietf_encrypt(frame + 8, NULL, pt, len,
						  NULL, 0, NULL, nonce, key);
	return 8 + len + OCKAM_TAG_LEN;
}

struct close_flood {
	int fd;
	struct sockaddr_ockam sa;
	socklen_t salen;
	uint8_t frame[64];
	size_t len;
	atomic_bool stop;
};

static void *close_flood_run(void *arg)
{
	struct close_flood *f = arg;

	while (!atomic_load(&f->stop))
		sendto(f->fd, f->frame, f->len, MSG_DONTWAIT,
		       (struct sockaddr *)&f->sa, f->salen);
	return NULL;
}

/*
 * The peer's close message racing channel-add: while the channel is
 * installed, another thread sends valid close frames (counter 0) to the
 * handshake socket's name, which becomes the decryptor. The close can
 * free the channel the moment its decryptor is in the table; the reply
 * must still describe the channel (it was built from freed memory).
 */
static long op_close_race(struct worker *w)
{
	struct chan_end *e = calloc(1, sizeof(*e));
	struct route_gen g = { 0 };
	uint8_t route[OCKAM_SOCKADDR_ROUTE_MAX + 8], type = OCKAM_CHANNEL_MSG_CLOSE;
	struct close_flood *f = calloc(1, sizeof(*f));
	char peer_name[24];
	pthread_t t;
	long ret;

	if (!e || !f)
		die("out of memory");
	e->fd = -1;
	f->fd = -1;
	ret = channel_end_open(w, e, 'c');
	if (ret)
		goto out;
	rnd_bytes(&w->rng, e->tx, OCKAM_KEY_LEN);
	rnd_bytes(&w->rng, e->rx, OCKAM_KEY_LEN);
	e->role = chance(&w->rng, 50) ? OCKAM_ROLE_INITIATOR :
					OCKAM_ROLE_RESPONDER;
	peer_name[0] = 'p';
	random_hex(&w->rng, peer_name + 1, 16);
	rg_local(&g, peer_name);
	e->route_len = rg_finish(&g, e->route);
	/* What the peer would send: sealed with the key we receive with. */
	f->len = frame_seal(f->frame, e->rx, 0, &type, 1);
	memset(&g, 0, sizeof(g));
	rg_local(&g, e->sock_name);
	f->salen = sa_fill(&f->sa, route, rg_finish(&g, route));
	f->fd = private_socket(NULL, 100);
	if (f->fd < 0) {
		ret = f->fd;
		goto out;
	}
	describe(w, "x=%s", e->sock_name);
	if (pthread_create(&t, NULL, close_flood_run, f))
		die("pthread_create");
	sleep_ms(below(&w->rng, 3));
	ret = channel_install(w, e);
	if (!ret && strcmp(e->info.decryptor, e->sock_name))
		fail(w, "channel-add answered with decryptor '%s', not '%s'",
		     e->info.decryptor, e->sock_name);
	sleep_ms(below(&w->rng, 20));
	atomic_store(&f->stop, true);
	pthread_join(t, NULL);
out:
	if (e->fd >= 0)
		close(e->fd);
	if (f->fd >= 0)
		close(f->fd);
	sodium_memzero(e, sizeof(*e));
	free(e);
	free(f);
	return ret;
}

struct down_seen {
	const char *address;
	uint32_t reason;
};

static void on_transport_down(const struct ockam_event *ev, void *arg)
{
	struct down_seen *d = arg;

	if (ev->cmd == OCKAM_CMD_TRANSPORT_DOWN &&
	    !strcmp(ev->address, d->address))
		d->reason = ev->reason;
}

/*
 * A TCP peer's frame sealed by a channel on this node, with a second,
 * well-formed frame right behind it in the same write: the first frame's
 * buffer shares pages with the second. Sealing wrote the tag into the
 * second frame's length, and the connection was reset as "too big"; a
 * well-formed stream must never be refused.
 */
static long op_shared_pages(struct worker *w)
{
	struct chan_end *c = calloc(2, sizeof(*c)), *c1 = c, *c2 = c + 1;
	char rname[24], sname[24], tname[24];
	struct down_seen down = { .address = tname };
	struct route_gen g = { 0 };
	uint8_t route[OCKAM_SOCKADDR_ROUTE_MAX + 8], *buf;
	size_t size = sizeof(struct stamp) + below(&w->rng, 6000), n;
	uint64_t id1 = rnd(&w->rng), id2 = rnd(&w->rng);
	struct ockam_events *ev = NULL;
	int peer = -1, srv = -1, r = -1, s = -1;
	struct ockam_nl *nl;
	long ret = need_nl(w, &nl);

	if (!c)
		die("out of memory");
	buf = malloc(2 * PAYLOAD_MAX);
	if (!buf)
		die("out of memory");
	c1->fd = c2->fd = -1;
	if (ret)
		goto out;
	rnd_bytes(&w->rng, c1->tx, OCKAM_KEY_LEN);
	rnd_bytes(&w->rng, c1->rx, OCKAM_KEY_LEN);
	memcpy(c2->tx, c1->rx, OCKAM_KEY_LEN);
	memcpy(c2->rx, c1->tx, OCKAM_KEY_LEN);
	c1->role = OCKAM_ROLE_INITIATOR;
	c2->role = OCKAM_ROLE_RESPONDER;
	ret = channel_end_open(w, c1, 'x');
	if (!ret)
		ret = channel_end_open(w, c2, 'y');
	if (!ret)
		ret = channel_route(w, c2, c1);
	if (!ret)
		ret = channel_install(w, c2);
	if (!ret)
		ret = channel_route(w, c1, c2);
	if (!ret)
		ret = channel_install(w, c1);
	rname[0] = 'r';
	random_hex(&w->rng, rname + 1, 16);
	sname[0] = 's';
	random_hex(&w->rng, sname + 1, 16);
	if (!ret) {
		r = private_socket(rname, 100);
		s = private_socket(sname, 100);
		ret = r < 0 ? r : s < 0 ? s : 0;
	}
	if (!ret)
		ret = ockam_events_open(&ev, NULL);
	if (!ret)
		ret = tcp_pair(&peer, &srv);
	if (!ret)
		ret = attach_named(w, nl, srv, 't', tname);
	if (!ret)
		ret = peer_hello(peer);
	if (ret)
		goto out;
	describe(w, "%s: %zu bytes into %s, then %s", tname, size,
		 c1->info.encryptor, sname);

	rg_local(&g, c1->info.encryptor);
	rg_local(&g, rname);
	stamp_make(&w->rng, w->buf, size, id1);
	n = frame_route(buf, route, rg_finish(&g, route), w->buf, size);
	memset(&g, 0, sizeof(g));
	rg_local(&g, sname);
	stamp_make(&w->rng, w->buf, sizeof(struct stamp) + 16, id2);
	n += frame_route(buf + n, route, rg_finish(&g, route), w->buf,
			sizeof(struct stamp) + 16);
	ret = sys(send(peer, buf, n, MSG_NOSIGNAL));
	if (ret < 0)
		goto out;
	atomic_fetch_add(&G.stamps_sent, 2);
	ret = wait_stamp(w, r, id1, 2000, NULL, NULL);
	if (wait_stamp(w, s, id2, 2000, NULL, NULL) < 0) {
		/* Lost may be fine (others detach what they see)... */
		ockam_events_read(ev, on_transport_down, &down, NULL);
		/* ... refused as malformed is not. */
		if (down.reason == OCKAM_DOWN_TOO_BIG ||
		    down.reason == OCKAM_DOWN_BAD_FRAME)
			fail(w, "%s refused a well-formed frame behind a sealed one (%s)",
			     tname, ockam_down_reason_name(down.reason));
		ret = -ETIMEDOUT;
	}
	ret = ret < 0 ? ret : 0;
	ockam_nl_transport_detach(nl, tname, NULL);
out:
	if (c1->info.encryptor[0])
		ockam_nl_channel_del(nl, c1->info.encryptor, NULL);
	if (c2->info.encryptor[0])
		ockam_nl_channel_del(nl, c2->info.encryptor, NULL);
	if (ev)
		ockam_events_close(ev);
	if (peer >= 0)
		tcp_reset(peer);
	if (srv >= 0)
		close(srv);
	if (r >= 0)
		close(r);
	if (s >= 0)
		close(s);
	if (c1->fd >= 0)
		close(c1->fd);
	if (c2->fd >= 0)
		close(c2->fd);
	sodium_memzero(c, 2 * sizeof(*c));
	free(c);
	free(buf);
	return ret;
}

/* ------------------------------------------------------------- portals */

/*
 * Byte @i of the stream keyed @key: a hash of the key and the 8-byte word
 * the byte is in, so a byte out of place, lost, repeated or changed does
 * not match.
 */
static uint8_t stream_byte(uint64_t key, uint64_t i)
{
	uint64_t x = key ^ (i >> 3) * 0x9e3779b97f4a7c15ULL;

	return splitmix64(&x) >> ((i & 7) * 8);
}

/* One direction of a portal stream: bytes written at one end, read at
 * the other.
 */
struct pdir {
	const char *name;	/* "up" (client to target) or "down" */
	int wfd, rfd;		/* -1 once closed by us */
	uint64_t key, total, sent, got;
	bool shut;		/* the writer ended its stream (FIN) */
	bool eof, reset, wreset;
	/*
	 * A send on rfd saw the reset first. That consumes the socket's
	 * error, and a recv then returns 0 as if at a FIN: after a reset
	 * seen this way, 0 is the reset, not an end.
	 */
	bool rfd_reset;
};

static bool pdir_done(const struct pdir *d)
{
	return d->rfd < 0 || d->eof || d->reset ||
	       (d->wreset && d->got == d->sent);
}

static bool is_reset_errno(long err)
{
	return err == -ECONNRESET || err == -EPIPE;
}

/* Write what the writer may; 0, or -errno other than EAGAIN. */
static long pdir_write(struct worker *w, struct pdir *d)
{
	uint8_t chunk[16384];
	size_t n, i;
	long ret;

	while (d->wfd >= 0 && !d->shut && !d->wreset && d->sent < d->total) {
		n = d->total - d->sent;
		if (n > sizeof(chunk))
			n = sizeof(chunk);
		for (i = 0; i < n; i++)
			chunk[i] = stream_byte(d->key, d->sent + i);
		ret = sys(send(d->wfd, chunk, n, MSG_NOSIGNAL | MSG_DONTWAIT));
		if (ret == -EAGAIN)
			return 0;
		if (is_reset_errno(ret)) {
			d->wreset = true;
			return 0;
		}
		if (ret < 0)
			return ret;
		d->sent += ret;
	}
	if (d->wfd >= 0 && !d->shut && !d->wreset && d->sent == d->total) {
		ret = sys(shutdown(d->wfd, SHUT_WR));
		if (is_reset_errno(ret) || ret == -ENOTCONN)
			d->wreset = true;
		else if (ret < 0)
			return ret;
		else
			d->shut = true;
	}
	(void)w;
	return 0;
}

/*
 * Read and check what arrived. Every byte must be the next of the stream,
 * no more than was written, and the stream may end (EOF) only after all
 * of it once its writer ended it: anything else is a reset.
 */
static long pdir_read(struct worker *w, struct pdir *d)
{
	uint8_t buf[16384];
	long n, i;

	while (d->rfd >= 0 && !d->eof && !d->reset) {
		n = sys(recv(d->rfd, buf, sizeof(buf), MSG_DONTWAIT));
		if (n == -EAGAIN)
			return 0;
		if (is_reset_errno(n)) {
			d->reset = true;
			return 0;
		}
		if (n < 0)
			return n;
		if (n == 0 && d->rfd_reset) {
			d->reset = true;
			return 0;
		}
		if (n == 0) {
			d->eof = true;
			if (!d->shut || d->got != d->sent)
				fail(w, "portal stream %s ended (EOF) after %" PRIu64
				     " bytes; %" PRIu64 " written, %s",
				     d->name, d->got, d->sent,
				     d->shut ? "then a FIN" : "and no FIN");
			return 0;
		}
		if (d->got + n > d->sent) {
			fail(w, "portal stream %s: %" PRIu64 " bytes read, only %"
			     PRIu64 " written", d->name, d->got + n, d->sent);
			d->reset = true;
			return 0;
		}
		for (i = 0; i < n; i++)
			if (buf[i] != stream_byte(d->key, d->got + i)) {
				fail(w, "portal stream %s: byte %" PRIu64
				     " corrupted", d->name, d->got + i);
				d->reset = true;
				return 0;
			}
		d->got += n;
	}
	return 0;
}

/* A write of @d saw a reset: so did every direction reading its socket. */
static void pdir_mark_reset(struct pdir *all, int nd, const struct pdir *d)
{
	int i;

	if (!d->wreset)
		return;
	for (i = 0; i < nd; i++)
		if (all[i].rfd >= 0 && all[i].rfd == d->wfd)
			all[i].rfd_reset = true;
}

/*
 * Move both directions until both are done (ended or reset) or @ms pass;
 * with @until_bytes, return as soon as that many bytes were read in all.
 * 0, -ETIMEDOUT, or the errno of an unexpected socket error.
 */
static long pump(struct worker *w, struct pdir *d, int nd, long ms,
		 uint64_t until_bytes)
{
	long long end = now_ms() + ms;
	struct pollfd p[4];
	int i, np;
	long ret;

	for (;;) {
		bool busy = false;
		uint64_t moved = 0;

		for (i = 0; i < nd; i++) {
			ret = pdir_write(w, &d[i]);
			pdir_mark_reset(d, nd, &d[i]);
			if (!ret)
				ret = pdir_read(w, &d[i]);
			if (ret)
				return ret;
			busy |= !pdir_done(&d[i]);
			moved += d[i].got;
		}
		if (!busy || (until_bytes && moved >= until_bytes))
			return 0;
		if (now_ms() >= end)
			return -ETIMEDOUT;
		np = 0;
		for (i = 0; i < nd; i++) {
			if (d[i].rfd >= 0 && !pdir_done(&d[i]))
				p[np++] = (struct pollfd){ d[i].rfd, POLLIN, 0 };
			if (d[i].wfd >= 0 && !d[i].shut && !d[i].wreset)
				p[np++] = (struct pollfd){ d[i].wfd, POLLOUT, 0 };
		}
		poll(p, np, 20);
	}
}

/* The last hop of an encoded route, as a string; false if malformed. */
static bool route_last(const uint8_t *r, size_t len, char *out, size_t size)
{
	size_t off = 0, vlen = 0, hops = 0, h;
	unsigned int shift;

	for (shift = 0; off < len && shift < 35; shift += 7) {
		hops |= (size_t)(r[off] & 0x7f) << shift;
		if (!(r[off++] & 0x80))
			break;
	}
	if (!hops)
		return false;
	for (h = 0; h < hops; h++) {
		if (++off > len)	/* the type */
			return false;
		vlen = 0;
		for (shift = 0; off < len && shift < 35; shift += 7) {
			vlen |= (size_t)(r[off] & 0x7f) << shift;
			if (!(r[off++] & 0x80))
				break;
		}
		if (off + vlen > len)
			return false;
		if (h + 1 == hops) {
			if (vlen >= size)
				return false;
			memcpy(out, r + off, vlen);
			out[vlen] = 0;
		}
		off += vlen;
	}
	return true;
}

static uint32_t rnd_window(struct worker *w)
{
	if (chance(&w->rng, 30))
		return OCKAM_PORTAL_WINDOW_MIN +
		       below(&w->rng, 48 << 10);
	if (chance(&w->rng, 10))
		return OCKAM_PORTAL_WINDOW_MAX;
	return OCKAM_PORTAL_WINDOW_MIN +
	       below(&w->rng, OCKAM_PORTAL_WINDOW_MAX -
				      OCKAM_PORTAL_WINDOW_MIN + 1);
}

/*
 * Wait on @fd for a portal message of @type and 5 bytes (PING or PONG):
 * its window and return route. Other messages are skipped (another thread
 * may send anything to a name it saw in a dump).
 */
static long wait_portal_msg(int fd, uint8_t type, long ms, uint32_t *window,
			    struct sockaddr_ockam *from)
{
	long long end = now_ms() + ms;
	socklen_t fl;
	uint8_t buf[64];
	long n;

	while (now_ms() < end) {
		fl = sizeof(*from);
		n = sys(recvfrom(fd, buf, sizeof(buf), 0,
				 (struct sockaddr *)from, &fl));
		if (n == -EAGAIN || n == -EINTR)
			continue;
		if (n < 0)
			return n;
		if (n == 5 && buf[0] == type) {
			*window = buf[1] | buf[2] << 8 | buf[3] << 16 |
				  (uint32_t)buf[4] << 24;
			return 0;
		}
	}
	return -ETIMEDOUT;
}

/* Attach with some of the invalid forms the kernel must refuse. */
static long portal_attach_invalid(struct worker *w, struct ockam_nl *nl,
				  struct ockam_portal_params q)
{
	static const char id[] = "I0123456789abcdef0123456789abcdef"
				 "0123456789abcdef0123456789abcdef";
	const char *why;
	long ret;

	switch (below(&w->rng, 6)) {
	case 0:
		q.window = OCKAM_PORTAL_WINDOW_MIN - 1 - below(&w->rng, 1000);
		why = "a window under the minimum";
		break;
	case 1:
		q.window = OCKAM_PORTAL_WINDOW_MAX + 1 + below(&w->rng, 1000);
		why = "a window over the maximum";
		break;
	case 2:
		q.flags |= 1u << (1 + below(&w->rng, 31));
		why = "an unknown flag";
		break;
	case 3:
		q.role = chance(&w->rng, 50) ? 0 : 3 + below(&w->rng, 100);
		why = "an unknown role";
		break;
	case 4:
		q.identifier = id;
		why = "an identifier with OCKAM_PORTAL_F_PLAINTEXT";
		break;
	default:
		q.timeout_ms = chance(&w->rng, 50) ?
			OCKAM_PORTAL_TIMEOUT_MS_MIN - 1 :
			OCKAM_PORTAL_TIMEOUT_MS_MAX + 1;
		why = "a timeout out of range";
		break;
	}
	describe(w, " invalid attach: %s", why);
	ret = ockam_nl_portal_attach(nl, &q, NULL, NULL);
	must_fail(w, ret, why);
	return ret;
}

/* A portal op's state: a netlink socket of its own owns everything. */
struct pwire {
	struct ockam_nl *nl;
	int svc;			/* the outlet "service" socket */
	int client, target;		/* the TCP ends the sessions serve */
	char svc_name[20];
	char t1[OCKAM_NAME_MAX], t2[OCKAM_NAME_MAX];	/* loopback hop */
	struct ockam_portal_info in, out;
	bool via_tcp;
};

static void pwire_close(struct worker *w, struct pwire *pw)
{
	if (pw->client >= 0)
		chance(&w->rng, 50) ? tcp_reset(pw->client) : (void)close(pw->client);
	if (pw->target >= 0)
		chance(&w->rng, 50) ? tcp_reset(pw->target) : (void)close(pw->target);
	if (pw->svc >= 0)
		close(pw->svc);
	/* Whatever sessions and transports are left go with it. */
	if (pw->nl)
		ockam_nl_close(pw->nl);
}

/*
 * An inlet session for a loopback client, its PING taken at a socket of
 * ours, then (unless @fake) an outlet session for a loopback target with
 * the PING's return route: what ockamd does on either side, in one node,
 * directly or through two loopback TCP transports.
 */
static long pwire_make(struct worker *w, struct pwire *pw, bool fake,
		       uint32_t in_window)
{
	struct ockam_portal_params q = { 0 };
	struct ockam_transport_info ti;
	struct sockaddr_ockam from;
	struct route_gen g = { 0 };
	uint8_t route[OCKAM_SOCKADDR_ROUTE_MAX + 8];
	char last[OCKAM_NAME_MAX + 1];
	uint32_t ping_window;
	int a, b, srv;
	long ret;

	memset(pw, 0, sizeof(*pw));
	pw->svc = pw->client = pw->target = -1;
	if (ockam_nl_open(&pw->nl, NULL)) {
		pw->nl = NULL;
		return -ENOPROTOOPT;
	}
	pw->svc_name[0] = 'p';
	random_hex(&w->rng, pw->svc_name + 1, 16);
	pw->svc = private_socket(pw->svc_name, 200);
	if (pw->svc < 0)
		return pw->svc;
	pw->via_tcp = !fake && chance(&w->rng, 40);
	if (pw->via_tcp) {
		ret = tcp_pair(&a, &b);
		if (ret)
			return ret;
		ret = ockam_nl_transport_attach(pw->nl, a, NULL, NULL, 0, &ti,
						NULL);
		if (!ret) {
			snprintf(pw->t1, sizeof(pw->t1), "%s", ti.address);
			ret = ockam_nl_transport_attach(pw->nl, b, NULL, NULL,
							0, &ti, NULL);
			snprintf(pw->t2, sizeof(pw->t2), "%s", ti.address);
		}
		close(a);
		close(b);
		if (ret)
			return ret;
		rg_local(&g, pw->t1);
	}
	rg_local(&g, pw->svc_name);

	ret = tcp_pair(&pw->client, &srv);
	if (ret)
		return ret;
	q.fd = srv;
	q.role = OCKAM_PORTAL_INLET;
	q.route = route;
	q.route_len = rg_finish(&g, route);
	q.flags = OCKAM_PORTAL_F_PLAINTEXT;
	q.window = in_window;
	q.timeout_ms = chance(&w->rng, 5) ? OCKAM_PORTAL_TIMEOUT_MS_MIN :
		       2000 + below(&w->rng, 8000);
	q.cookie = rnd(&w->rng);
	if (chance(&w->rng, 8))
		portal_attach_invalid(w, pw->nl, q);
	describe(w, " inlet%s window %u timeout %u", pw->via_tcp ? " via tcp" : "",
		 q.window, q.timeout_ms);
	ret = ockam_nl_portal_attach(pw->nl, &q, &pw->in, NULL);
	if (!ret && chance(&w->rng, 10)) {
		/* The socket is the session's now. */
		must_fail(w, ockam_nl_portal_attach(pw->nl, &q, NULL, NULL),
			  "portal-attach of a socket attached already");
	}
	close(srv);
	if (ret)
		return ret;
	if (pw->in.window != q.window || pw->in.role != OCKAM_PORTAL_INLET)
		fail(w, "portal-attach replied window %u role %u for %u, inlet",
		     pw->in.window, pw->in.role, q.window);
	ret = wait_portal_msg(pw->svc, OCKAM_PORTAL_MSG_PING, 3000,
			      &ping_window, &from);
	if (ret)
		return ret;
	if (route_last(from.som_route, from.som_route_len, last, sizeof(last)) &&
	    !strcmp(last, pw->in.address) && ping_window != in_window)
		fail(w, "the PING gave window %u, the session has %u",
		     ping_window, in_window);
	if (fake)
		return 0;

	ret = tcp_pair(&srv, &pw->target);
	if (ret)
		return ret;
	memset(&q, 0, sizeof(q));
	q.fd = srv;
	q.role = OCKAM_PORTAL_OUTLET;
	q.route = from.som_route;
	q.route_len = from.som_route_len;
	q.flags = OCKAM_PORTAL_F_PLAINTEXT;
	q.window = rnd_window(w);
	q.peer_window = ping_window;
	q.cookie = rnd(&w->rng);
	describe(w, ", outlet window %u", q.window);
	ret = ockam_nl_portal_attach(pw->nl, &q, &pw->out, NULL);
	close(srv);
	return ret;
}

enum portal_end {
	PEND_CLEAN,		/* both streams to their ends */
	PEND_HALF,		/* the client ends its stream early */
	PEND_DETACH,		/* a session detached under traffic */
	PEND_TCP_CLOSE,		/* a TCP end closed or reset under traffic */
	PEND_TRANSPORT,		/* the loopback hop detached under traffic */
	PEND_OWNER,		/* the owner closed, racing a detach */
	PEND_COUNT
};

static const char *const pend_name[PEND_COUNT] = {
	"clean", "half-close", "detach", "tcp-close", "transport", "owner",
};

struct detach_race {
	char addr[2][OCKAM_NAME_MAX];
	atomic_int go;
	long ret;
};

static void *detach_race_run(void *arg)
{
	struct detach_race *r = arg;
	struct ockam_nl *nl;
	int i;

	if (ockam_nl_open(&nl, NULL)) {
		r->ret = -ENOPROTOOPT;
		return NULL;
	}
	while (!atomic_load(&r->go))
		;
	for (i = 0; i < 2; i++) {
		long ret = ockam_nl_portal_detach(nl, r->addr[i], NULL);

		/* Ended by the owner's close already: ENOENT. */
		if (ret && ret != -ENOENT)
			r->ret = ret;
	}
	ockam_nl_close(nl);
	return NULL;
}

/* What came of the streams, counted. */
static void portal_tally(struct pdir *d, int nd, long ret)
{
	bool reset = false, whole = true;
	int i;

	for (i = 0; i < nd; i++) {
		reset |= d[i].reset || d[i].wreset;
		whole &= d[i].eof && d[i].got == d[i].total;
	}
	if (ret == -ETIMEDOUT)
		atomic_fetch_add(&G.portal_stalled, 1);
	else if (whole)
		atomic_fetch_add(&G.portal_whole, 1);
	else if (reset)
		atomic_fetch_add(&G.portal_reset, 1);
	for (i = 0; i < nd; i++)
		atomic_fetch_add(&G.portal_bytes, d[i].got);
}

/*
 * Two sessions in one node carry a stream each way between a loopback
 * client and target, checked byte by byte; then one of the ends above.
 * A stream ends whole (every byte, then EOF) or in a reset: never short.
 */
static long op_portal(struct worker *w)
{
	struct pwire pw;
	struct pdir d[2];
	enum portal_end how = below(&w->rng, PEND_COUNT);
	uint64_t at;
	pthread_t th;
	struct detach_race race = { 0 };
	bool raced = false;
	long ret, r2 = 0;
	int i;

	ret = pwire_make(w, &pw, false, rnd_window(w));
	if (ret)
		goto out;
	if (how == PEND_TRANSPORT && !pw.via_tcp)
		how = PEND_DETACH;
	memset(d, 0, sizeof(d));
	d[0].name = "up";
	d[0].wfd = d[1].rfd = pw.client;
	d[1].name = "down";
	d[1].wfd = d[0].rfd = pw.target;
	for (i = 0; i < 2; i++) {
		d[i].key = rnd(&w->rng);
		d[i].total = below(&w->rng, 1 + (chance(&w->rng, 20) ?
						 (1 << 20) : (64 << 10)));
	}
	fcntl(pw.client, F_SETFL, O_NONBLOCK);
	fcntl(pw.target, F_SETFL, O_NONBLOCK);
	describe(w, "; %s, up %" PRIu64 " down %" PRIu64, pend_name[how],
		 d[0].total, d[1].total);
	at = below(&w->rng, (d[0].total + d[1].total) / 2 + 1);

	if (how != PEND_CLEAN) {
		ret = pump(w, d, 2, 5000, at ? at : 1);
		if (ret)
			goto tally;
	}
	switch (how) {
	case PEND_CLEAN:
		break;
	case PEND_HALF:
		/* The client stops short: the target must see exactly that. */
		d[0].total = d[0].sent;
		break;
	case PEND_DETACH:
		r2 = ockam_nl_portal_detach(pw.nl, chance(&w->rng, 50) ?
					    pw.in.address : pw.out.address,
					    NULL);
		break;
	case PEND_TCP_CLOSE:
		if (chance(&w->rng, 50)) {
			/* The client goes; what it wrote may still arrive. */
			if (chance(&w->rng, 50))
				tcp_reset(pw.client);
			else
				close(pw.client);
			d[0].shut = true;
			d[0].wfd = d[1].rfd = pw.client = -1;
		} else {
			if (chance(&w->rng, 50))
				tcp_reset(pw.target);
			else
				close(pw.target);
			d[1].shut = true;
			d[1].wfd = d[0].rfd = pw.target = -1;
		}
		break;
	case PEND_TRANSPORT:
		r2 = ockam_nl_transport_detach(pw.nl, chance(&w->rng, 50) ?
					       pw.t1 : pw.t2, NULL);
		break;
	case PEND_OWNER:
		snprintf(race.addr[0], OCKAM_NAME_MAX, "%s", pw.in.address);
		snprintf(race.addr[1], OCKAM_NAME_MAX, "%s", pw.out.address);
		raced = !pthread_create(&th, NULL, detach_race_run, &race);
		atomic_store(&race.go, 1);
		if (chance(&w->rng, 50))
			sleep_ms(below(&w->rng, 3));
		ockam_nl_close(pw.nl);
		pw.nl = NULL;
		break;
	case PEND_COUNT:
		break;
	}
	ret = pump(w, d, 2, how == PEND_CLEAN || how == PEND_HALF ?
		   10000 : 5000, 0);
	if (raced) {
		pthread_join(th, NULL);
		r2 = race.ret;
	}
	/* An end that is not a reset leaves the stream whole. */
	if (!ret && (how == PEND_CLEAN || how == PEND_HALF) &&
	    !(d[0].reset || d[0].wreset || d[1].reset || d[1].wreset) &&
	    (d[0].got != d[0].total || d[1].got != d[1].total))
		fail(w, "portal streams ended short: up %" PRIu64 "/%" PRIu64
		     ", down %" PRIu64 "/%" PRIu64, d[0].got, d[0].total,
		     d[1].got, d[1].total);
tally:
	portal_tally(d, 2, ret);
	describe(w, "; up %" PRIu64 "%s down %" PRIu64 "%s",
		 d[0].got, d[0].reset ? " reset" : d[0].eof ? " end" : "",
		 d[1].got, d[1].reset ? " reset" : d[1].eof ? " end" : "");
	if (!ret && r2 && r2 != -ENOENT)
		ret = r2;
out:
	pwire_close(w, &pw);
	return ret;
}

/* ------------------------------------------------ hostile portal peers */

enum hostile {
	H_BAD_TYPE,		/* a type no portal message has */
	H_GAP,			/* PAYLOAD, END or SYNC with a later number */
	H_REPEAT,		/* a number used already */
	H_OVERRUN,		/* past the window the session gave */
	H_PONG,			/* PONG (or PING) in an open session */
	H_DISCONNECT,		/* a forged, or the peer's, reset */
	H_TRUNCATED,		/* a fixed part cut short, or too long */
	H_EMPTY,		/* no bytes, or PAYLOAD without data */
	H_CREDIT,		/* credit for bytes never sent */
	H_AFTER_END,		/* PAYLOAD after END */
	H_IMPOSTOR,		/* a valid message from someone else */
	H_COUNT
};

static const char *const hostile_name[H_COUNT] = {
	"bad-type", "gap", "repeat", "overrun", "pong", "disconnect",
	"truncated", "empty", "credit", "after-end", "impostor",
};

static size_t pmsg(uint8_t *buf, uint8_t type, uint64_t value, size_t width)
{
	size_t i;

	buf[0] = type;
	for (i = 0; i < width; i++)
		buf[1 + i] = value >> (8 * i);
	return 1 + width;
}

static long pmsg_send(int fd, const uint8_t *route, size_t rlen,
		      const void *buf, size_t len)
{
	struct sockaddr_ockam sa;

	return sys(sendto(fd, buf, len, 0, (struct sockaddr *)&sa,
			  sa_fill(&sa, route, rlen)));
}

/*
 * Wait for the reset of @fd, checking what arrives before it as stream
 * @d. 0 when reset, -ETIMEDOUT when nothing came of it.
 */
static long wait_reset(struct worker *w, struct pdir *d, long ms)
{
	long long end = now_ms() + ms;
	long ret;

	while (now_ms() < end) {
		ret = pdir_read(w, d);
		if (ret)
			return ret;
		if (d->reset)
			return 0;
		if (d->eof)
			return -ECONNABORTED;
		poll(&(struct pollfd){ d->rfd, POLLIN, 0 }, 1, 20);
	}
	return -ETIMEDOUT;
}

/*
 * A session whose peer is an AF_OCKAM socket of ours: an inlet that gets
 * our PONG, or an outlet that sends us its PONG. Valid traffic first,
 * checked, then a message the session must answer with a reset of its
 * TCP connection (and never an end that looks like one).
 */
static long op_portal_hostile(struct worker *w)
{
	enum hostile h = below(&w->rng, H_COUNT);
	bool outlet = chance(&w->rng, 50);
	uint32_t window = h == H_OVERRUN ?
		OCKAM_PORTAL_WINDOW_MIN + below(&w->rng, 16 << 10) :
		rnd_window(w);
	uint8_t route[OCKAM_SOCKADDR_ROUTE_MAX + 8], *msg = w->buf;
	struct ockam_portal_params q = { 0 };
	struct route_gen g = { 0 };
	struct sockaddr_ockam from;
	struct pwire pw;
	struct pdir in = { 0 }, out = { 0 };
	uint32_t seq = 0, pong_window;
	char fname[20], fname2[OCKAM_NAME_MAX + 1];
	size_t rlen, len, i;
	int fake = -1, app, srv, other;
	long ret;

	fname[0] = 'f';
	random_hex(&w->rng, fname + 1, 16);
	describe(w, "%s %s window %u", outlet ? "outlet" : "inlet",
		 hostile_name[h], window);
	if (outlet) {
		memset(&pw, 0, sizeof(pw));
		pw.svc = pw.client = pw.target = -1;
		if (ockam_nl_open(&pw.nl, NULL)) {
			pw.nl = NULL;
			return -ENOPROTOOPT;
		}
		fake = private_socket(fname, 200);
		if (fake < 0) {
			ret = fake;
			goto out;
		}
		ret = tcp_pair(&srv, &pw.target);
		if (ret)
			goto out;
		rg_local(&g, fname);
		q.fd = srv;
		q.role = OCKAM_PORTAL_OUTLET;
		q.route = route;
		q.route_len = rg_finish(&g, route);
		q.flags = OCKAM_PORTAL_F_PLAINTEXT;
		q.window = window;
		q.peer_window = OCKAM_PORTAL_WINDOW_MAX;
		ret = ockam_nl_portal_attach(pw.nl, &q, &pw.out, NULL);
		close(srv);
		if (ret)
			goto out;
		ret = wait_portal_msg(fake, OCKAM_PORTAL_MSG_PONG, 3000,
				      &pong_window, &from);
		if (ret)
			goto out;
		if (route_last(from.som_route, from.som_route_len, fname2,
			       sizeof(fname2)) &&
		    !strcmp(fname2, pw.out.address) && pong_window != window)
			fail(w, "the PONG gave window %u, the session has %u",
			     pong_window, window);
		app = pw.target;
	} else {
		ret = pwire_make(w, &pw, true, window);
		if (ret)
			goto out;
		fake = private_socket(fname, 200);
		if (fake < 0) {
			ret = fake;
			goto out;
		}
		g = (struct route_gen){ 0 };
		rg_local(&g, pw.in.address);
		rlen = rg_finish(&g, route);
		len = pmsg(msg, OCKAM_PORTAL_MSG_PONG, OCKAM_PORTAL_WINDOW_MAX, 4);
		ret = pmsg_send(fake, route, rlen, msg, len);
		if (ret < 0)
			goto out;
		app = pw.client;
	}
	g = (struct route_gen){ 0 };
	rg_local(&g, outlet ? pw.out.address : pw.in.address);
	rlen = rg_finish(&g, route);
	fcntl(app, F_SETFL, O_NONBLOCK);

	/* Valid data from the fake peer, read at the TCP end and checked. */
	in = (struct pdir){ .name = "to-app", .wfd = -1, .rfd = app,
			    .key = rnd(&w->rng) };
	for (i = below(&w->rng, 4); i > 0; i--) {
		size_t n = 1 + below(&w->rng, 4096);

		pmsg(msg, OCKAM_PORTAL_MSG_PAYLOAD, seq, 4);
		for (len = 0; len < n; len++)
			msg[5 + len] = stream_byte(in.key, in.sent + len);
		ret = pmsg_send(fake, route, rlen, msg, 5 + n);
		if (ret < 0)
			goto out;
		seq++;
		in.sent += n;
		in.total = in.sent;
	}
	/* A little from the TCP end, not read: CREDIT and PAYLOAD come to
	 * the fake and are skipped.
	 */
	out = (struct pdir){ .name = "from-app", .wfd = app, .rfd = -1,
			     .total = below(&w->rng, 2048) };
	rnd_bytes(&w->rng, w->rbuf, out.total);
	ret = sys(send(app, w->rbuf, out.total, MSG_NOSIGNAL | MSG_DONTWAIT));
	if (ret > 0)
		out.sent = ret;

	other = -1;
	switch (h) {
	case H_BAD_TYPE:
		len = pmsg(msg, 7 + below(&w->rng, 249), rnd(&w->rng),
			   below(&w->rng, 9));
		break;
	case H_GAP:
		if (chance(&w->rng, 20)) {
			/* A SYNC past the next number: lost messages. */
			len = pmsg(msg, OCKAM_PORTAL_MSG_SYNC,
				   seq + 1 + below(&w->rng, 1000), 5);
			break;
		}
		len = pmsg(msg, chance(&w->rng, 70) ? OCKAM_PORTAL_MSG_PAYLOAD :
			   OCKAM_PORTAL_MSG_END,
			   seq + 1 + below(&w->rng, 1000), 4);
		if (msg[0] == OCKAM_PORTAL_MSG_PAYLOAD)
			msg[len++] = 'x';
		break;
	case H_REPEAT:
		if (!seq) {
			/* Nothing sent yet: a number far back instead. */
			len = pmsg(msg, OCKAM_PORTAL_MSG_PAYLOAD, UINT32_MAX, 4);
		} else {
			len = pmsg(msg, OCKAM_PORTAL_MSG_PAYLOAD,
				   below(&w->rng, seq), 4);
		}
		msg[len++] = 'y';
		break;
	case H_OVERRUN:
		/* One message more than the window less what is queued. */
		len = pmsg(msg, OCKAM_PORTAL_MSG_PAYLOAD, seq, 4);
		i = window + 1 + below(&w->rng, OCKAM_PORTAL_CHUNK_MAX - window);
		if (i > OCKAM_PORTAL_CHUNK_MAX)
			i = OCKAM_PORTAL_CHUNK_MAX;
		memset(msg + len, 'o', i);
		len += i;
		break;
	case H_PONG:
		len = pmsg(msg, chance(&w->rng, 50) ? OCKAM_PORTAL_MSG_PONG :
			   OCKAM_PORTAL_MSG_PING, 1 + below(&w->rng, 1 << 20), 4);
		break;
	case H_DISCONNECT:
		len = pmsg(msg, OCKAM_PORTAL_MSG_DISCONNECT, 0, 0);
		break;
	case H_TRUNCATED: {
		static const uint8_t types[] = {
			OCKAM_PORTAL_MSG_PING, OCKAM_PORTAL_MSG_PONG,
			OCKAM_PORTAL_MSG_PAYLOAD, OCKAM_PORTAL_MSG_END,
			OCKAM_PORTAL_MSG_CREDIT, OCKAM_PORTAL_MSG_DISCONNECT,
			OCKAM_PORTAL_MSG_SYNC,
		};
		uint8_t t = types[below(&w->rng, sizeof(types))];
		size_t full = t == OCKAM_PORTAL_MSG_CREDIT ? 8 :
			      t == OCKAM_PORTAL_MSG_SYNC ? 5 :
			      t == OCKAM_PORTAL_MSG_DISCONNECT ? 0 : 4;

		if (t == OCKAM_PORTAL_MSG_DISCONNECT ||
		    (t != OCKAM_PORTAL_MSG_PAYLOAD && chance(&w->rng, 30)))
			/* One byte too many. */
			len = pmsg(msg, t, seq, full + 1);
		else
			len = pmsg(msg, t, seq, below(&w->rng, full));
		break;
	}
	case H_EMPTY:
		len = chance(&w->rng, 50) ? 0 :
		      pmsg(msg, OCKAM_PORTAL_MSG_PAYLOAD, seq, 4);
		break;
	case H_CREDIT:
		len = pmsg(msg, OCKAM_PORTAL_MSG_CREDIT,
			   out.total + 1 + below(&w->rng, 1 << 30), 8);
		break;
	case H_AFTER_END:
		len = pmsg(msg, OCKAM_PORTAL_MSG_END, seq, 4);
		ret = pmsg_send(fake, route, rlen, msg, len);
		if (ret < 0)
			goto out;
		seq++;
		in.shut = true;
		/* The END reached the TCP end as its FIN. */
		len = pmsg(msg, chance(&w->rng, 50) ? OCKAM_PORTAL_MSG_END :
			   OCKAM_PORTAL_MSG_PAYLOAD, seq, 4);
		if (msg[0] == OCKAM_PORTAL_MSG_PAYLOAD)
			msg[len++] = 'z';
		break;
	case H_IMPOSTOR:
	default:
		other = private_socket(NULL, 200);
		if (other < 0) {
			ret = other;
			goto out;
		}
		len = pmsg(msg, OCKAM_PORTAL_MSG_PAYLOAD, seq, 4);
		msg[len++] = 'i';
		break;
	}
	ret = pmsg_send(other >= 0 ? other : fake, route, rlen, msg, len);
	if (other >= 0)
		close(other);
	if (ret < 0)
		goto out;
	if (h == H_AFTER_END) {
		/* The FIN may come first, then the reset: read past it. */
		ret = wait_reset(w, &in, 5000);
		if (ret == -ECONNABORTED) {
			/* EOF as it should be; the reset shows on a write. */
			for (i = 0; i < 500; i++) {
				ret = sys(send(app, "r", 1, MSG_NOSIGNAL |
					       MSG_DONTWAIT));
				if (is_reset_errno(ret))
					break;
				sleep_ms(20);
			}
			ret = is_reset_errno(ret) ? 0 : -ETIMEDOUT;
		}
	} else {
		/* An EOF here has failed the run already (pdir_read). */
		ret = wait_reset(w, &in, 10000);
	}
	if (ret == -ETIMEDOUT)
		fail(w, "no reset within 10 s of a hostile %s message",
		     hostile_name[h]);
	if (!ret)
		atomic_fetch_add(&G.portal_hostile_reset, 1);
out:
	if (fake >= 0)
		close(fake);
	pwire_close(w, &pw);
	return ret;
}

/* ------------------------------------------------------------ threads */

/* ------------------------------------------------------------------ UDP */

/*
 * A UDP socket of @family (AF_INET or AF_INET6), IPV6_V6ONLY when
 * @v6only, bound to a free loopback port when @bind_it; its address as a
 * route's "host:port" in @hostport.
 */
static int udp_open(int family, bool v6only, bool bind_it, char *hostport,
		    size_t size)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1, err;

	if (fd < 0)
		return -errno;
	if (family == AF_INET6 && v6only &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)))
		goto fail;
	if (!bind_it)
		return fd;
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		sl = sizeof(*sin6);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl))
		goto fail;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		goto fail;
	if (hostport && family == AF_INET)
		snprintf(hostport, size, "127.0.0.1:%u", ntohs(sin->sin_port));
	else if (hostport)
		snprintf(hostport, size, "[::1]:%u", ntohs(sin6->sin6_port));
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

static int udp_family(struct worker *w)
{
	return chance(&w->rng, 70) ? AF_INET : AF_INET6;
}

/* The loopback address of @hostport's bind, for sendto(). */
static socklen_t udp_sockaddr(const char *hostport,
			      struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	const char *colon = strrchr(hostport, ':');
	uint16_t port = colon ? atoi(colon + 1) : 0;

	memset(ss, 0, sizeof(*ss));
	if (hostport[0] != '[') {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_addr = in6addr_loopback;
	sin6->sin6_port = htons(port);
	return sizeof(*sin6);
}

/* Whether the node has a bind named @name. */
static bool udp_bind_listed(struct ockam_nl *nl, const char *name)
{
	struct ockam_udp_info *list;
	size_t n = 0, i;
	bool found = false;

	if (ockam_nl_udp_list(nl, &list, &n, NULL))
		return true;	/* cannot tell: as if it were */
	for (i = 0; i < n; i++)
		found |= !strcmp(list[i].address, name);
	free(list);
	return found;
}

/*
 * @fd, attached as bind @first, offered again: refused, unless another
 * thread detached @first in between (its name is in the dumps), which
 * gives the socket back.
 */
static void udp_attach_again(struct worker *w, struct ockam_nl *nl, int fd,
			     const char *first)
{
	struct ockam_udp_info info;

	if (ockam_nl_udp_attach(nl, fd, NULL, &info, NULL))
		return;
	if (udp_bind_listed(nl, first)) {
		atomic_fetch_add(&G.impossible, 1);
		fail(w, "impossible success: udp-attach of a socket bind %s holds (as %s)",
		     first, info.address);
	}
	ockam_nl_udp_detach(nl, info.address, NULL);
}

/*
 * A bind of the current node on a fresh loopback port, owned by @nl; its
 * "host:port" in @hostport and its address in @name. Sometimes the
 * socket is offered a second time, which must fail.
 */
static long udp_bind_new(struct worker *w, struct ockam_nl *nl, int family,
			 char *hostport, size_t size, char *name)
{
	struct ockam_udp_info info;
	char want[OCKAM_NAME_MAX] = "";
	int fd = udp_open(family, true, true, hostport, size);
	long ret;

	if (fd < 0)
		return fd;
	if (chance(&w->rng, 50)) {
		want[0] = 'u';
		random_hex(&w->rng, want + 1, 16);
	}
	describe(w, " bind %s", hostport);
	ret = ockam_nl_udp_attach(nl, fd, want[0] == 'u' ? want : NULL, &info,
				  NULL);
	if (!ret) {
		snprintf(name, OCKAM_NAME_MAX, "%s", info.address);
		if (want[0] == 'u' && strcmp(info.address, want))
			fail(w, "udp-attach as %s answered %s", want,
			     info.address);
		if (chance(&w->rng, 10))
			udp_attach_again(w, nl, fd, info.address);
	}
	/* The bind keeps the socket: ours may go now. */
	close(fd);
	return ret;
}

/* Keep @name as one of this thread's binds on the node, the oldest out. */
static void udp_keep(struct worker *w, struct ockam_nl *nl, const char *name)
{
	struct owned *own = &w->udp[node_idx(w)];
	char old[OCKAM_NAME_MAX];

	if (own->count == OWN_MAX && owned_take(w, own, old))
		ockam_nl_udp_detach(nl, old, NULL);
	owned_add(own, name);
}

/* A datagram size for the node, or one outside the range. */
static uint32_t udp_datagram_size(struct worker *w, bool bad)
{
	if (bad)
		return chance(&w->rng, 50) ?
			OCKAM_UDP_DATAGRAM_MIN - 1 - below(&w->rng, 200) :
			OCKAM_UDP_DATAGRAM_MAX + 1 + below(&w->rng, 1000);
	switch (below(&w->rng, 4)) {
	case 0:
		return OCKAM_UDP_DATAGRAM_MIN + below(&w->rng, 64);
	case 1:
		return OCKAM_UDP_DATAGRAM_MAX - below(&w->rng, 64);
	default:
		return OCKAM_UDP_DATAGRAM_MIN +
		       below(&w->rng, OCKAM_UDP_DATAGRAM_MAX -
				      OCKAM_UDP_DATAGRAM_MIN + 1);
	}
}

/* The node's datagram size back to what the scripts left it at. */
static void udp_datagram_restore(struct worker *w, struct ockam_nl *nl)
{
	struct ockam_node_settings set = { 0 };
	int n = node_idx(w);

	set.udp_datagram = G.settings_known[n] && G.settings[n].udp_datagram ?
		G.settings[n].udp_datagram : OCKAM_UDP_DATAGRAM_DEFAULT;
	ockam_nl_node_set(nl, &set, NULL);
}

/* Change the datagram size for a moment (must_fail when out of range). */
static long udp_datagram_change(struct worker *w, struct ockam_nl *nl)
{
	struct ockam_node_settings set = { 0 };
	bool bad = chance(&w->rng, 20);
	long ret;

	set.udp_datagram = udp_datagram_size(w, bad);
	describe(w, " datagram %u", set.udp_datagram);
	ret = ockam_nl_node_set(nl, &set, NULL);
	if (bad)
		must_fail(w, ret, "node-set of a datagram size out of range");
	return ret;
}

/*
 * Attach and detach binds, v4 and v6, valid and not, and list them, while
 * other threads send through them.
 */
static long op_udp_bind(struct worker *w)
{
	struct ockam_udp_info *list;
	struct ockam_nl *nl;
	char hostport[64], name[OCKAM_NAME_MAX + 1];
	unsigned int k = below(&w->rng, 100);
	size_t n = 0, i;
	const char *why;
	long ret = need_nl(w, &nl);
	int fd;

	if (ret)
		return ret;
	if (k < 35) {
		ret = udp_bind_new(w, nl, udp_family(w), hostport,
				   sizeof(hostport), name);
		if (!ret)
			udp_keep(w, nl, name);
		return ret;
	}
	if (k < 55) {
		if (owned_take(w, &w->udp[node_idx(w)], name)) {
			describe(w, "detach own %s", name);
			return ockam_nl_udp_detach(nl, name, NULL);
		}
		pick_name(w, name, 40);
		describe(w, "detach %s", name);
		return ockam_nl_udp_detach(nl, name, NULL);
	}
	if (k < 70) {
		describe(w, "list");
		ret = ockam_nl_udp_list(nl, &list, &n, NULL);
		for (i = 0; !ret && i < n; i++) {
			seen_add(w, list[i].address);
			if (list[i].peers > 4096)
				fail(w, "bind %s remembers %u peers",
				     list[i].address, list[i].peers);
			/* The node's budget at the largest max message. */
			if (list[i].reasm_bytes > 8u * OCKAM_MAX_MESSAGE_MAX)
				fail(w, "bind %s holds %u bytes unfinished",
				     list[i].address, list[i].reasm_bytes);
		}
		if (!ret)
			free(list);
		return ret;
	}
	if (k < 80) {
		bad_name(w, name, OCKAM_ADDR_VALUE_MAX + 1);
		fd = udp_open(AF_INET, false, true, hostport, sizeof(hostport));
		if (fd < 0)
			return fd;
		describe(w, "bad name");
		ret = ockam_nl_udp_attach(nl, fd, name, NULL, NULL);
		must_fail(w, ret, "udp-attach under a name no address may have");
		close(fd);
		return ret;
	}
	switch (below(&w->rng, 5)) {
	case 0:
		why = "an unbound UDP socket";
		fd = udp_open(udp_family(w), true, false, NULL, 0);
		break;
	case 1:
		/* Bound to the wildcard: one bound to ::1 is IPv6-only
		 * whatever IPV6_V6ONLY says.
		 */
		why = "an IPv6 UDP socket that takes IPv4 too";
		fd = udp_open(AF_INET6, false, false, NULL, 0);
		if (fd >= 0) {
			struct sockaddr_in6 any = { .sin6_family = AF_INET6 };

			if (bind(fd, (struct sockaddr *)&any, sizeof(any))) {
				close(fd);
				fd = -errno;
			}
		}
		break;
	case 2:
		why = "a TCP socket";
		fd = sys(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
		break;
	case 3:
		why = "an AF_OCKAM socket";
		fd = private_socket(NULL, 100);
		break;
	default:
		why = "a file that is not a socket";
		fd = sys(dup(G.devnull));
		break;
	}
	if (fd < 0)
		return fd;
	describe(w, "%s", why);
	ret = ockam_nl_udp_attach(nl, fd, NULL, NULL, NULL);
	must_fail(w, ret, why);
	close(fd);
	return ret;
}

/* A message length for UDP: tiny, a few datagrams, up to PAYLOAD_MAX. */
static size_t udp_msg_len(struct worker *w)
{
	unsigned int k = below(&w->rng, 100);

	if (k < 30)
		return sizeof(struct stamp) + below(&w->rng, 64);
	if (k < 80)
		return sizeof(struct stamp) + below(&w->rng, 6 * 1400);
	return sizeof(struct stamp) +
	       below(&w->rng, PAYLOAD_MAX - sizeof(struct stamp));
}

/*
 * Messages over UDP between binds of this node: a private socket sends
 * stamped messages along [UDP host:port of a bind, a sink], tiny to many
 * datagrams, sometimes one of the node's max message, sometimes with the
 * datagram size changed under them. Loss is allowed (the node's
 * reassembly budget is shared with hostile peers); a corrupted message
 * is not.
 */
static long op_udp(struct worker *w)
{
	struct sockaddr_ockam sa;
	struct ockam_node_info info;
	struct route_gen g;
	struct ockam_nl *nl;
	uint8_t route[OCKAM_SOCKADDR_ROUTE_MAX + 8];
	char hostport[64], name[OCKAM_NAME_MAX], rname[20];
	unsigned int count = 1 + below(&w->rng, 4), i;
	bool changed = false;
	int s = -1, r = -1;
	long ret = need_nl(w, &nl);
	uint64_t id;
	size_t len;

	if (ret)
		return ret;
	ret = udp_bind_new(w, nl, udp_family(w), hostport, sizeof(hostport),
			   name);
	if (ret)
		return ret;
	rname[0] = 'k';
	random_hex(&w->rng, rname + 1, 16);
	r = private_socket(rname, 100);
	s = private_socket(NULL, 100);
	if (r < 0 || s < 0) {
		ret = r < 0 ? r : s;
		goto out;
	}
	memset(&g, 0, sizeof(g));
	rg_add(&g, OCKAM_ADDR_UDP, hostport, strlen(hostport));
	rg_local(&g, rname);
	sa_fill(&sa, route, rg_finish(&g, route));
	if (chance(&w->rng, 25))
		changed = !udp_datagram_change(w, nl);
	for (i = 0; i < count; i++) {
		id = rnd(&w->rng);
		len = stamp_make(&w->rng, w->buf, udp_msg_len(w), id);
		ret = sys(sendto(s, w->buf, len, 0, (struct sockaddr *)&sa,
				 sizeof(sa)));
		if (ret < 0)
			break;
		atomic_fetch_add(&G.stamps_sent, 1);
		atomic_fetch_add(&G.udp_sent, 1);
		ret = wait_stamp(w, r, id, 1000, NULL, NULL);
		if (ret >= 0 && (size_t)ret != len)
			fail(w, "a UDP message came with %ld bytes of %zu",
			     ret, len);
		if (ret >= 0)
			atomic_fetch_add(&G.udp_delivered, 1);
		if (ret < 0 && ret != -ETIMEDOUT)
			break;
		if (chance(&w->rng, 20) && !changed)
			changed = !udp_datagram_change(w, nl);
	}
	if (ret >= 0 && chance(&w->rng, 10) &&
	    !ockam_nl_node_get(nl, &info, NULL)) {
		/* The node's max message (zeros, unstamped; at most the
		 * default's, as another thread may have raised it), and a
		 * byte more, which another thread's setting may allow.
		 */
		len = info.max_message;
		if (len > NODE_MAX_MESSAGE_DEFAULT)
			len = NODE_MAX_MESSAGE_DEFAULT;
		/* Room for the routed message's header: the version, the
		 * onward route, the sender's address on the return route,
		 * the payload's length.
		 */
		len -= 1 + sa.som_route_len + 1 + 2 + 64 + 3;
		describe(w, " max %zu", len);
		ret = sys(sendto(s, G.big, len, 0, (struct sockaddr *)&sa,
				 sizeof(sa)));
		if (chance(&w->rng, 30))
			sendto(s, G.big, len + 1, 0, (struct sockaddr *)&sa,
			       sizeof(sa));
	}
out:
	if (changed)
		udp_datagram_restore(w, nl);
	if (r >= 0)
		close(r);
	if (s >= 0)
		close(s);
	if (chance(&w->rng, 50))
		ockam_nl_udp_detach(nl, name, NULL);
	else
		udp_keep(w, nl, name);
	return ret < 0 ? ret : 0;
}

struct ufrag {
	uint32_t offset, len;
};

/* One datagram of the wire format (wire.h) from @fd to @to. */
static void udp_frag_send(int fd, const struct sockaddr_storage *to,
			  socklen_t tolen, uint32_t message, uint32_t offset,
			  uint32_t length, const uint8_t *bytes, size_t n)
{
	static _Thread_local uint8_t dgram[OCKAM_UDP_HEADER_LEN + 2048];
	uint32_t be[3] = { htonl(message), htonl(offset), htonl(length) };

	if (n > sizeof(dgram) - OCKAM_UDP_HEADER_LEN)
		n = sizeof(dgram) - OCKAM_UDP_HEADER_LEN;
	dgram[0] = OCKAM_UDP_VERSION;
	dgram[1] = dgram[2] = dgram[3] = 0;
	memcpy(dgram + 4, be, sizeof(be));
	memcpy(dgram + OCKAM_UDP_HEADER_LEN, bytes, n);
	sendto(fd, dgram, OCKAM_UDP_HEADER_LEN + n, 0,
	       (const struct sockaddr *)to, tolen);
}

enum {
	/* Datagrams one UDP_SEGMENT send may hold (linux/udp.h). */
	UDP_BATCH_MAX = 128,
	UDP_PAYLOAD_MAX = 65507,
};

/* @len bytes of @buf from @fd to @to as datagrams of @step bytes, in one
 * UDP_SEGMENT send: one packet as far as the receiving socket.
 */
static void udp_segment_send(int fd, const struct sockaddr_storage *to,
			     socklen_t tolen, const uint8_t *buf, size_t len,
			     uint16_t step)
{
	char control[CMSG_SPACE(sizeof(uint16_t))] = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = (void *)to, .msg_namelen = tolen,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(step));
	memcpy(CMSG_DATA(cm), &step, sizeof(step));
	sendmsg(fd, &mh, 0);
}

/* Fragments @f[0..@n) of a message (each @chunk bytes but maybe the last)
 * in one batch; a batch of one is a plain datagram.
 */
static void udp_frags_batch(int fd, const struct sockaddr_storage *to,
			    socklen_t tolen, uint32_t message, uint32_t length,
			    const uint8_t *msg, const struct ufrag *f, int n,
			    uint32_t chunk)
{
	static _Thread_local uint8_t buf[UDP_PAYLOAD_MAX];
	uint32_t be[3] = { htonl(message), 0, htonl(length) };
	size_t len = 0;
	int i;

	if (n == 1) {
		udp_frag_send(fd, to, tolen, message, f->offset, length,
			      msg + f->offset, f->len);
		return;
	}
	for (i = 0; i < n; i++) {
		be[1] = htonl(f[i].offset);
		buf[len] = OCKAM_UDP_VERSION;
		buf[len + 1] = buf[len + 2] = buf[len + 3] = 0;
		memcpy(buf + len + 4, be, sizeof(be));
		memcpy(buf + len + OCKAM_UDP_HEADER_LEN, msg + f[i].offset,
		       f[i].len);
		len += OCKAM_UDP_HEADER_LEN + f[i].len;
	}
	udp_segment_send(fd, to, tolen, buf, len,
			 OCKAM_UDP_HEADER_LEN + chunk);
}

/* A batch of garbage: random datagrams, or fragments of nothing, with
 * headers that may or may not parse, of any segment size.
 */
static void udp_garbage_batch(struct worker *w, int fd,
			      const struct sockaddr_storage *to,
			      socklen_t tolen)
{
	uint8_t *p = w->rbuf;
	uint16_t step = 1 + below(&w->rng, 1500);
	size_t n = 2 + below(&w->rng, UDP_BATCH_MAX - 1), i;
	uint32_t be[3];

	if (n * step > UDP_PAYLOAD_MAX)
		n = UDP_PAYLOAD_MAX / step;
	rnd_bytes(&w->rng, p, n * step);
	for (i = 0; step > OCKAM_UDP_HEADER_LEN && i < n; i++) {
		if (chance(&w->rng, 50))
			continue;
		be[0] = htonl(below(&w->rng, 4));
		be[1] = htonl(i * (step - OCKAM_UDP_HEADER_LEN));
		be[2] = htonl(n * (step - OCKAM_UDP_HEADER_LEN) +
			      below(&w->rng, 2));
		p[i * step] = OCKAM_UDP_VERSION;
		memset(p + i * step + 1, 0, 3);
		memcpy(p + i * step + 4, be, sizeof(be));
	}
	udp_segment_send(fd, to, tolen, p, n * step - below(&w->rng, step),
			 step);
}

/* Garbage: random bytes, short headers, bad version, flags, bounds. */
static void udp_garbage(struct worker *w, int fd,
			const struct sockaddr_storage *to, socklen_t tolen)
{
	uint8_t *p = w->rbuf;
	size_t len;
	uint32_t v;

	switch (below(&w->rng, 6)) {
	case 0:		/* anything */
		len = below(&w->rng, 1500);
		rnd_bytes(&w->rng, p, len);
		break;
	case 1:		/* a header cut short */
		len = below(&w->rng, OCKAM_UDP_HEADER_LEN + 1);
		rnd_bytes(&w->rng, p, len);
		if (len)
			p[0] = OCKAM_UDP_VERSION;
		break;
	case 2:		/* another version, or a flag */
		len = OCKAM_UDP_HEADER_LEN + 1 + below(&w->rng, 64);
		rnd_bytes(&w->rng, p, len);
		memset(p, 0, 4);
		p[below(&w->rng, 4)] = 1 + below(&w->rng, 255);
		if (!p[0])
			p[1] = 1;
		break;
	default:	/* a header that lies about the bounds */
		len = OCKAM_UDP_HEADER_LEN + below(&w->rng, 200);
		rnd_bytes(&w->rng, p, len);
		memset(p, 0, 4);
		p[0] = OCKAM_UDP_VERSION;
		v = htonl(chance(&w->rng, 50) ? 0 : rnd(&w->rng) >> 32);
		memcpy(p + 12, &v, 4);
		break;
	}
	sendto(fd, p, len, 0, (const struct sockaddr *)to, tolen);
}

/*
 * A hostile UDP peer at a bind of this node: plain UDP sockets, from many
 * source ports, send garbage (some in UDP_SEGMENT batches), random
 * fragment sequences (random message numbers, offsets, lengths;
 * duplicates, overlaps, partial messages that never finish) and one
 * genuine stamped message, cut into fragments sent out of order and some
 * twice, one by one or in batches of consecutive ones (which the bind
 * takes whole, by page reference), maybe with an overlapping forgery that
 * must lose it. Then the partials are left to time out, or the bind is
 * detached, or the netlink socket that owns it closes with them held.
 */
static long op_udp_hostile(struct worker *w)
{
	struct ockam_nl *nl, *own_nl = NULL;
	struct sockaddr_storage to;
	struct route_gen g;
	struct ufrag *frags = NULL;
	uint8_t *msg = NULL, *junk;
	char hostport[64], name[OCKAM_NAME_MAX], rname[20];
	int family = udp_family(w), src[24], nsrc, r = -1, i, j, n = 0;
	unsigned int k = below(&w->rng, 100), end = below(&w->rng, 3);
	uint32_t msgno = rnd(&w->rng), off, len, piece;
	socklen_t tolen;
	bool forge = chance(&w->rng, 20), forged = false;
	bool batched = chance(&w->rng, 40);
	uint32_t chunk = 1 + below(&w->rng, 1400);
	uint32_t max_group = UDP_PAYLOAD_MAX / (OCKAM_UDP_HEADER_LEN + chunk);
	struct ufrag *groups = NULL;
	int ngroups;
	uint64_t id = rnd(&w->rng);
	long ret;
	size_t mlen, plen;

	if (end == 2) {
		/* The bind's owner: a netlink socket of this operation. */
		ret = ockam_nl_open(&own_nl, NULL);
		if (ret)
			return ret;
		nl = own_nl;
	} else {
		ret = need_nl(w, &nl);
		if (ret)
			return ret;
	}
	ret = udp_bind_new(w, nl, family, hostport, sizeof(hostport), name);
	if (ret)
		goto out_nl;
	tolen = udp_sockaddr(hostport, &to);
	nsrc = 1 + below(&w->rng, 24);
	for (i = 0; i < nsrc; i++) {
		src[i] = udp_open(family, true, true, NULL, 0);
		if (src[i] < 0) {
			nsrc = i;
			break;
		}
	}
	if (!nsrc) {
		ret = -EMFILE;
		goto out_bind;
	}
	describe(w, " %d sources", nsrc);

	/* Garbage from all of them, alone and in batches. */
	for (i = 0, j = below(&w->rng, 40); i < j; i++) {
		if (chance(&w->rng, 20))
			udp_garbage_batch(w, src[below(&w->rng, nsrc)], &to,
					  tolen);
		else
			udp_garbage(w, src[below(&w->rng, nsrc)], &to, tolen);
	}

	/* Partial messages that never finish, many per source. */
	junk = w->rbuf;
	rnd_bytes(&w->rng, junk, 1400);
	for (i = 0, j = k < 50 ? below(&w->rng, 400) : below(&w->rng, 40);
	     i < j; i++) {
		len = chance(&w->rng, 80) ? 2 + below(&w->rng, 64 << 10) :
					    (uint32_t)(rnd(&w->rng) >> 32);
		off = below(&w->rng, len);
		piece = 1 + below(&w->rng, 1400);
		if (chance(&w->rng, 70) && piece > len - off)
			piece = len - off;
		if (piece >= len)
			piece = len - 1;
		udp_frag_send(src[below(&w->rng, nsrc)], &to, tolen,
			      chance(&w->rng, 30) ? below(&w->rng, 8) :
						    (uint32_t)rnd(&w->rng),
			      off, len, junk, piece ? piece : 1);
	}

	/* A genuine message to a sink here, in random fragments. */
	rname[0] = 'h';
	random_hex(&w->rng, rname + 1, 16);
	r = private_socket(rname, 100);
	if (r < 0) {
		ret = r;
		goto out_src;
	}
	memset(&g, 0, sizeof(g));
	rg_local(&g, rname);
	plen = stamp_make(&w->rng, w->buf, sizeof(struct stamp) +
			  below(&w->rng, 16 << 10), id);
	msg = malloc(plen + 256);
	frags = malloc(sizeof(*frags) * (plen + 256));
	groups = malloc(sizeof(*groups) * (plen + 256));
	if (!msg || !frags || !groups)
		die("out of memory");
	{
		uint8_t onward[64];
		size_t olen = rg_finish(&g, onward);

		mlen = frame_route(msg, onward, olen, w->buf, plen) - 4;
		memmove(msg, msg + 4, mlen);
	}
	/*
	 * In fragments of random sizes, one datagram each; or in equal
	 * fragments sent in batches of consecutive ones (UDP_SEGMENT), which
	 * the bind takes whole.
	 */
	for (off = 0; off < mlen; off += piece) {
		if (batched)
			piece = chunk;
		else
			piece = chance(&w->rng, 50) ? 1 + below(&w->rng, 1400) :
						     1 + below(&w->rng, 64);
		if (piece > mlen - off)
			piece = mlen - off;
		frags[n].offset = off;
		frags[n++].len = piece;
	}
	for (i = 0, ngroups = 0; i < n; i += groups[ngroups++].len) {
		groups[ngroups].offset = i;
		groups[ngroups].len = batched ?
			1 + below(&w->rng, UDP_BATCH_MAX) : 1;
		if (groups[ngroups].len > max_group)
			groups[ngroups].len = max_group;
		if (groups[ngroups].len > (uint32_t)(n - i))
			groups[ngroups].len = n - i;
	}
	for (i = ngroups - 1; i > 0; i--) {
		struct ufrag t = groups[i];

		j = below(&w->rng, i + 1);
		groups[i] = groups[j];
		groups[j] = t;
	}
	j = src[below(&w->rng, nsrc)];
	for (i = 0; i < ngroups; i++) {
		struct ufrag *f = &frags[groups[i].offset];
		bool here = false;

		if (forge && !forged && ngroups > 1 && f->len > 1 &&
		    (i + 1 == ngroups || chance(&w->rng, 30))) {
			/*
			 * Ahead of a genuine fragment, a forgery inside it
			 * that gives another length: whichever of the two
			 * comes first (a send may land on another CPU's
			 * backlog), the message is lost, whatever its bytes,
			 * and with it what it held; the genuine fragment is
			 * not sent again, so nothing makes it whole. (A
			 * message in one send, a datagram or a batch, needs
			 * no reassembly: a forgery cannot touch it.)
			 */
			forged = here = true;
			udp_frag_send(j, &to, tolen, msgno, f->offset,
				      mlen + 1, junk, f->len - 1);
		}
		udp_frags_batch(j, &to, tolen, msgno, mlen, msg, f,
				groups[i].len, chunk);
		/* Again: whole, or its first datagram alone. */
		if (!here && chance(&w->rng, 10))
			udp_frags_batch(j, &to, tolen, msgno, mlen, msg, f,
					chance(&w->rng, 50) ? groups[i].len : 1,
					chunk);
	}
	atomic_fetch_add(&G.udp_hostile, 1);
	if (forged)
		atomic_fetch_add(&G.udp_hostile_forged, 1);
	describe(w, " message %zu bytes in %d fragments, %d sends%s", mlen, n,
		 ngroups, forged ? ", one forged" : "");
	ret = wait_stamp(w, r, id, forged ? 300 : 1000, NULL, NULL);
	if (ret >= 0 && (size_t)ret != plen)
		fail(w, "a fragmented message came with %ld bytes of %zu",
		     ret, plen);
	/* The fragment the forgery came before lost the message, and what
	 * came after cannot make it whole again.
	 */
	if (ret >= 0 && forged)
		fail(w, "a message came whole although a fragment overlapped a forgery");
	if (ret >= 0)
		atomic_fetch_add(&G.udp_hostile_whole, 1);
	/* wait_stamp() ends on the receive timeout's EAGAIN. */
	if (ret == -ETIMEDOUT || ret == -EAGAIN)
		ret = forged ? 0 : -ETIMEDOUT;

out_src:
	for (i = 0; i < nsrc; i++)
		close(src[i]);
out_bind:
	describe(w, " end %u", end);
	if (end == 0)
		ockam_nl_udp_detach(nl, name, NULL);
	else if (end == 1)
		udp_keep(w, nl, name);
out_nl:
	/* With partials held: the owner's close takes the bind. */
	if (own_nl)
		ockam_nl_close(own_nl);
	if (r >= 0)
		close(r);
	free(msg);
	free(frags);
	free(groups);
	return ret;
}

static long (*const op_fn[OP_COUNT])(struct worker *) = {
	[OP_SOCKET] = op_socket,
	[OP_CLOSE] = op_close,
	[OP_BIND] = op_bind,
	[OP_CONNECT] = op_connect,
	[OP_SEND] = op_send,
	[OP_RECV] = op_recv,
	[OP_POLL] = op_poll,
	[OP_SOCKOPT] = op_sockopt,
	[OP_SHUTDOWN] = op_shutdown,
	[OP_IOCTL] = op_ioctl,
	[OP_GETNAME] = op_getname,
	[OP_ECHO] = op_echo,
	[OP_DUMP] = op_dump,
	[OP_NODE_SET] = op_node_set,
	[OP_ALIAS_ADD] = op_alias_add,
	[OP_ALIAS_DEL] = op_alias_del,
	[OP_ATTACH] = op_attach,
	[OP_DETACH] = op_detach,
	[OP_CHANNEL_ADD] = op_channel_add,
	[OP_CHANNEL_DEL] = op_channel_del,
	[OP_CHANNEL_SET] = op_channel_set,
	[OP_NL_REOPEN] = op_nl_reopen,
	[OP_NL_RAW] = op_nl_raw,
	[OP_EVENTS] = op_events,
	[OP_PEER_CUT] = op_peer_cut,
	[OP_DAEMON_CUT] = op_daemon_cut,
	[OP_RELAY_CLOSE] = op_relay_close,
	[OP_CLOSE_RACE] = op_close_race,
	[OP_SHARED_PAGES] = op_shared_pages,
	[OP_PORTAL] = op_portal,
	[OP_PORTAL_HOSTILE] = op_portal_hostile,
	[OP_UDP_BIND] = op_udp_bind,
	[OP_UDP] = op_udp,
	[OP_UDP_HOSTILE] = op_udp_hostile,
};

static enum stress_op pick_op(struct rng *r)
{
	unsigned int x = below(r, G.weight_total), op;

	for (op = 0; op < OP_COUNT; op++) {
		if (!G.enabled[op])
			continue;
		if (x < op_defs[op].weight)
			return op;
		x -= op_defs[op].weight;
	}
	return OP_SOCKET;
}

static void op_begin(struct worker *w, enum stress_op op)
{
	pthread_mutex_lock(&w->lock);
	w->desc[0] = 0;
	atomic_store(&w->op_kind, op);
	atomic_store(&w->op_start, now_ms());
	pthread_mutex_unlock(&w->lock);
}

static void op_end(struct worker *w, enum stress_op op, long ret)
{
	char line[LINE_LEN];

	pthread_mutex_lock(&w->lock);
	snprintf(line, sizeof(line), "#%" PRIu64 " ns %d %s: %s -> %s",
		 w->op_no, w->ns, op_defs[op].name, w->desc,
		 errname(ret < 0 ? (int)-ret : 0));
	memcpy(w->ring[w->ring_pos++ % RING], line, sizeof(line));
	atomic_store(&w->op_start, 0);
	pthread_mutex_unlock(&w->lock);
	if (G.trace) {
		pthread_mutex_lock(&G.out_lock);
		fprintf(stderr, "T%d %s\n", w->idx, line);
		pthread_mutex_unlock(&G.out_lock);
	}
}

static bool keep_going(const struct worker *w)
{
	return !atomic_load(&G.stop) && now_ms() < G.end_ms &&
	       (!G.max_ops || (long)w->op_no < G.max_ops);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	enum stress_op op;
	int target, n;
	long ret;

	w->tid = syscall(SYS_gettid);
	w->ns = -1;
	for (; keep_going(w); w->op_no++) {
		/* Everything this operation draws depends on (seed, thread,
		 * operation number) alone.
		 */
		rng_seed(&w->rng, G.seed, w->idx, w->op_no);
		op = pick_op(&w->rng);
		target = G.pin ? w->idx % G.n_ns : (int)below(&w->rng, G.n_ns);
		op_begin(w, op);
		ret = netns_enter(w, target);
		if (ret)
			account(OP_NETNS, ret);
		ret = op_fn[op](w);
		account(op, ret);
		op_end(w, op, ret);
		w->ops++;
	}
	for (n = 0; n <= NS_MAX; n++)
		if (w->nl[n])
			ockam_nl_close(w->nl[n]);
	return NULL;
}

/* The kernel stack of a thread that does not come back. */
static void print_stack(pid_t tid)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	printf("  kernel stack:\n%s", buf);
}

static void print_summary(void);

static _Noreturn void report_hang(void)
{
	long long now = now_ms(), start;
	struct worker *w;
	unsigned int i;
	int t;

	pthread_mutex_lock(&G.out_lock);
	printf("HANG seed %" PRIu64 ": threads still busy %.0f s after the end\n",
	       G.seed, G.grace);
	for (t = 0; t < G.threads; t++) {
		w = &G.workers[t];
		start = atomic_load(&w->op_start);
		if (!start)
			continue;
		printf("thread %d (tid %d) op %" PRIu64 " %s for %lld ms: %s\n",
		       t, w->tid, w->op_no, op_defs[atomic_load(&w->op_kind)].name,
		       now - start, w->desc);
		for (i = 0; i < RING; i++)
			if (w->ring[(w->ring_pos + i) % RING][0])
				printf("  before: %s\n",
				       w->ring[(w->ring_pos + i) % RING]);
		print_stack(w->tid);
	}
	pthread_mutex_unlock(&G.out_lock);
	print_summary();
	fflush(stdout);
	_exit(3);
}

static void *watchdog_main(void *arg)
{
	(void)arg;
	for (;;) {
		sleep_ms(250);
		if (now_ms() > G.end_ms + (long long)(G.grace * 1000))
			report_hang();
	}
	return NULL;
}

static int cmp_desc(const void *a, const void *b)
{
	const unsigned long *x = a, *y = b;

	return x[0] < y[0] ? 1 : x[0] > y[0] ? -1 : (x[1] > y[1]) - (x[1] < y[1]);
}

static void print_summary(void)
{
	unsigned long total = 0, n, errs[ERRNO_SLOTS][2];
	double secs = (now_ms() - G.start_ms) / 1000.0;
	int op, e, k;

	printf("%-12s %9s %9s  %s\n", "op", "total", "ok", "errors");
	for (op = 0; op < OP_COUNT; op++) {
		n = 0;
		k = 0;
		for (e = 0; e < ERRNO_SLOTS; e++) {
			unsigned long c = atomic_load(&G.count[op][e]);

			n += c;
			if (e && c) {
				errs[k][0] = c;
				errs[k++][1] = e;
			}
		}
		if (!n)
			continue;
		total += op == OP_NETNS ? 0 : n;
		qsort(errs, k, sizeof(errs[0]), cmp_desc);
		printf("%-12s %9lu %9lu ", op_defs[op].name, n,
		       atomic_load(&G.count[op][0]));
		for (e = 0; e < k; e++)
			printf(" %s %lu", errname(errs[e][1]), errs[e][0]);
		printf("\n");
	}
	printf("stamped messages: sent %lu, received intact %lu, corrupted %lu\n",
	       atomic_load(&G.stamps_sent), atomic_load(&G.stamps_ok),
	       atomic_load(&G.stamps_bad));
	printf("impossible successes: %lu; writer processes killed mid-frame: %lu\n",
	       atomic_load(&G.impossible), atomic_load(&G.children));
	printf("portal streams: whole %lu, reset %lu, stalled %lu; %lu bytes checked; hostile messages reset %lu sessions\n",
	       atomic_load(&G.portal_whole), atomic_load(&G.portal_reset),
	       atomic_load(&G.portal_stalled), atomic_load(&G.portal_bytes),
	       atomic_load(&G.portal_hostile_reset));
	printf("udp: %lu of %lu messages between binds delivered; %lu of %lu cut up by a hostile peer whole (%lu with a forged overlap, to be lost)\n",
	       atomic_load(&G.udp_delivered), atomic_load(&G.udp_sent),
	       atomic_load(&G.udp_hostile_whole), atomic_load(&G.udp_hostile),
	       atomic_load(&G.udp_hostile_forged));
	printf("total: %lu operations in %.1f s, %.0f ops/s, %d threads\n",
	       total, secs, secs > 0 ? total / secs : 0.0, G.threads);
}

/* ------------------------------------------------------------ options */

static double parse_num(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < lo || v > hi)
		die("%s: '%s' is not a number in [%g, %g]", opt, s, lo, hi);
	return v;
}

static uint64_t parse_seed(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		die("--seed: '%s' is not a number", s);
	return v;
}

static uint64_t time_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --ops LIST: "send,recv" enables only those, "-peer-cut" disables one. */
static void parse_ops(const char *list)
{
	char *copy = strdup(list), *save = NULL, *t;
	bool only = false;
	int op;

	if (!copy)
		die("out of memory");
	for (t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool off = *t == '-';

		for (op = 1; op < OP_COUNT; op++)
			if (!strcmp(op_defs[op].name, t + off))
				break;
		if (op == OP_COUNT)
			die("--ops: unknown operation '%s'", t + off);
		if (!off && !only) {
			only = true;
			memset(G.enabled, 0, sizeof(G.enabled));
		}
		G.enabled[op] = !off;
	}
	free(copy);
}

static void usage(void)
{
	int op;

	printf("usage: ockam-stress run --netns NAME... [--seed N] [--duration SEC]\n"
	       "                        [--threads N] [--max-ops N] [--grace SEC]\n"
	       "                        [--pin] [--ops LIST] [--trace]\n"
	       "       ockam-stress deliver --from NS --to NS --route ROUTE [--count N]\n"
	       "                        [--size MAX] [--interval-ms MS] [--wait SEC]\n"
	       "                        [--channel] [--identity ID]\n"
	       "                        [--min-delivered N] [--seed N]\n"
	       "       ockam-stress stream --to HOST:PORT [--bytes N] [--seed N]\n"
	       "                        [--wait SEC] [--whole]\n"
	       "operations:");
	for (op = 1; op < OP_COUNT; op++)
		printf(" %s", op_defs[op].name);
	printf("\n");
}

/* --------------------------------------------------------------- run */

/*
 * SO_TIMESTAMP, which the socket-option operations set and the closes
 * clear, switches the kernel's receive timestamps on and off: a static
 * key, so the kernel rewrites its own receive path while other CPUs run
 * it. Under TCG that rewrite can race with a CPU executing the patched
 * instruction (an "int3" oops in __netif_receive_skb_core, nothing of
 * the module's). One socket holding timestamps on for the whole run
 * keeps the key from changing; the operations still run.
 */
static void hold_timestamps(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1;

	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof(on)) < 0)
		die("a socket holding timestamps on: %m");
	/* Left open: the process's exit closes it. */
}

static void setup_common(void)
{
	int i;

	if (sodium_init() < 0)
		die("libsodium does not start");
	signal(SIGPIPE, SIG_IGN);
	randombytes_buf(G.mac_key, sizeof(G.mac_key));
	G.family = ockam_family();
	G.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	G.init_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (G.devnull < 0 || G.init_ns < 0)
		die("open: %m");
	for (i = 0; i < SLOTS; i++) {
		G.slot[i] = fcntl(G.devnull, F_DUPFD_CLOEXEC, 100);
		if (G.slot[i] < 0)
			die("fcntl: %m");
	}
	pthread_mutex_init(&G.out_lock, NULL);
}

/*
 * Half the table filled before the threads start, round the namespaces,
 * so that the first operations find sockets.
 */
static void slots_fill(void)
{
	int i, ns, fd;

	for (i = 0; i < SLOTS; i += 2) {
		ns = netns_open(i / 2 % G.n_ns);
		if (ns < 0 || setns(ns, CLONE_NEWNET)) {
			if (ns >= 0)
				close(ns);
			continue;
		}
		close(ns);
		fd = socket(G.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd >= 0) {
			set_timeouts(fd, 100, 100);
			dup3(fd, G.slot[i], O_CLOEXEC);
			close(fd);
		}
	}
	if (setns(G.init_ns, CLONE_NEWNET))
		die("setns back to the initial namespace: %m");
}

static int resolve_family(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int id = -1;

	if (sk && !genl_connect(sk))
		id = genl_ctrl_resolve(sk, OCKAM_GENL_NAME);
	nl_socket_free(sk);
	if (id < 0)
		die("no \"%s\" generic netlink family: is the module loaded?",
		    OCKAM_GENL_NAME);
	return id;
}

/* Every node's settings, before the threads start changing them. */
static void settings_read(void)
{
	struct ockam_nl *nl;
	int i, fd;

	for (i = 0; i <= G.n_ns; i++) {
		fd = i < G.n_ns ? netns_open(i) : dup(G.init_ns);
		if (fd < 0)
			continue;
		if (setns(fd, CLONE_NEWNET))
			die("setns: %m");
		close(fd);
		if (!ockam_nl_open(&nl, NULL)) {
			G.settings_known[i] = !ockam_nl_node_get(nl, &G.settings[i],
								 NULL);
			ockam_nl_close(nl);
		}
	}
	if (setns(G.init_ns, CLONE_NEWNET))
		die("setns back to the initial namespace: %m");
}

static int run_main(int argc, char **argv)
{
	pthread_t dog;
	bool seeded = false;
	int i, t, fd;

	G.duration = 20;
	G.grace = 60;
	G.threads = 8;
	for (i = 0; i < OP_COUNT; i++)
		G.enabled[i] = op_defs[i].weight > 0;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--pin")) {
			G.pin = true;
			continue;
		}
		if (!strcmp(a, "--trace")) {
			G.trace = true;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage();
			return 0;
		}
		if (!v)
			die("%s: missing value (try --help)", a);
		i++;
		if (!strcmp(a, "--seed")) {
			G.seed = parse_seed(v);
			seeded = true;
		} else if (!strcmp(a, "--duration")) {
			G.duration = parse_num(a, v, 0, 86400);
		} else if (!strcmp(a, "--grace")) {
			G.grace = parse_num(a, v, 1, 3600);
		} else if (!strcmp(a, "--threads")) {
			G.threads = parse_num(a, v, 1, THREADS_MAX);
		} else if (!strcmp(a, "--max-ops")) {
			G.max_ops = parse_num(a, v, 1, 1e12);
		} else if (!strcmp(a, "--ops")) {
			parse_ops(v);
		} else if (!strcmp(a, "--netns")) {
			if (G.n_ns == NS_MAX)
				die("at most %d namespaces", NS_MAX);
			G.ns_name[G.n_ns++] = v;
			/* More names may follow without the option. */
			while (i + 1 < argc && argv[i + 1][0] != '-' &&
			       G.n_ns < NS_MAX)
				G.ns_name[G.n_ns++] = argv[++i];
		} else {
			die("unknown option '%s' (try --help)", a);
		}
	}
	if (!seeded)
		G.seed = time_seed();
	/* First, whatever happens next: a failing seed can be replayed. */
	printf("seed %" PRIu64 "\n", G.seed);
	fflush(stdout);
	if (!G.n_ns)
		die("--netns: at least one namespace");
	for (i = 0; i < OP_COUNT; i++)
		G.weight_total += G.enabled[i] ? op_defs[i].weight : 0;
	if (!G.weight_total)
		die("--ops: nothing enabled");

	setup_common();
	hold_timestamps();
	G.genl_id = resolve_family();
	fd = socket(G.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket(%d, SOCK_DGRAM): %m: is the module loaded?", G.family);
	close(fd);
	G.big = mmap(NULL, BIG_MESSAGE, PROT_READ,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (G.big == MAP_FAILED)
		die("mmap: %m");
	printf("ockam-stress: %d threads, %.0f s, namespaces", G.threads,
	       G.duration);
	for (i = 0; i < G.n_ns; i++)
		printf(" %s", G.ns_name[i]);
	printf("\n");
	fflush(stdout);

	settings_read();
	slots_fill();
	G.workers = calloc(G.threads, sizeof(*G.workers));
	if (!G.workers)
		die("out of memory");
	G.start_ms = now_ms();
	G.end_ms = G.start_ms + (long long)(G.duration * 1000);
	if (pthread_create(&dog, NULL, watchdog_main, NULL))
		die("pthread_create failed");
	for (t = 0; t < G.threads; t++) {
		struct worker *w = &G.workers[t];

		w->idx = t;
		w->buf = malloc(PAYLOAD_MAX + 512);
		w->rbuf = malloc(PAYLOAD_MAX + 512);
		if (!w->buf || !w->rbuf)
			die("out of memory");
		pthread_mutex_init(&w->lock, NULL);
		if (pthread_create(&w->thread, NULL, worker_main, w))
			die("pthread_create failed");
	}
	for (t = 0; t < G.threads; t++)
		pthread_join(G.workers[t].thread, NULL);
	atomic_store(&G.stop, true);
	print_summary();
	if (atomic_load(&G.failures)) {
		printf("result: FAIL, %d outcomes that must never happen (seed %" PRIu64 ")\n",
		       atomic_load(&G.failures), G.seed);
		return 1;
	}
	printf("result: pass\n");
	return 0;
}

/* ------------------------------------------------------------ deliver */

static struct {
	const char *from, *to, *route;
	const char *identity;		/* expected peer, or NULL: the first */
	unsigned long count;
	size_t size;
	long interval_ms;
	double wait;
	bool channel;
	unsigned long min_delivered;
	char sink[24];
	atomic_bool ready;
	/* Per message: send failed; delivered (counts). */
	uint8_t *failed;
	_Atomic uint32_t *delivered;
	_Atomic unsigned long got, corrupted, duplicated, reordered;
	_Atomic unsigned long no_identity, wrong_identity;
	_Atomic long long last_rx;
	char peer_id[OCKAM_IDENTIFIER_LEN + 1];
	unsigned long send_err[ERRNO_SLOTS];
} D;

static int enter_named(const char *name)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	if (!strcmp(name, "-"))
		return 0;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		ret = -errno;
	if (fd >= 0)
		close(fd);
	return ret;
}

/* The identity control message, checked against the channel's peer. */
static void deliver_identity(struct msghdr *msg)
{
	struct cmsghdr *cm;
	const char *id = NULL;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm))
		if (cm->cmsg_level == SOL_OCKAM &&
		    cm->cmsg_type == OCKAM_CMSG_IDENTITY &&
		    cm->cmsg_len == CMSG_LEN(OCKAM_IDENTIFIER_LEN))
			id = (const char *)CMSG_DATA(cm);
	if (!id) {
		atomic_fetch_add(&D.no_identity, 1);
		return;
	}
	if (!D.peer_id[0])
		memcpy(D.peer_id, id, OCKAM_IDENTIFIER_LEN);
	if (memcmp(D.peer_id, id, OCKAM_IDENTIFIER_LEN))
		atomic_fetch_add(&D.wrong_identity, 1);
}

static void deliver_one(const uint8_t *buf, long n, int flags,
			uint64_t *highest)
{
	uint64_t seq;

	if ((flags & MSG_TRUNC) ||
	    stamp_check(buf, n, &seq) != STAMP_OK || seq >= D.count) {
		atomic_fetch_add(&D.corrupted, 1);
		printf("deliver: corrupted message of %ld bytes\n", n);
		return;
	}
	if (atomic_fetch_add(&D.delivered[seq], 1)) {
		atomic_fetch_add(&D.duplicated, 1);
		printf("deliver: message %" PRIu64 " arrived again\n", seq);
		return;
	}
	atomic_fetch_add(&D.got, 1);
	if (seq < *highest)
		atomic_fetch_add(&D.reordered, 1);
	else
		*highest = seq;
}

static void *sink_main(void *arg)
{
	size_t cap = D.size + 4096;
	uint8_t *buf = malloc(cap), cbuf[CMSG_SPACE(OCKAM_IDENTIFIER_LEN) + 64];
	int fd, one = 1, size = 32 << 20;
	uint64_t highest = 0;
	struct msghdr msg;
	struct iovec iov;
	long n;

	(void)arg;
	if (!buf)
		die("out of memory");
	if (enter_named(D.to))
		die("deliver: cannot enter namespace %s: %m", D.to);
	fd = private_socket(D.sink, 200);
	if (fd < 0)
		die("deliver: sink %s: %s", D.sink, strerror(-fd));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	setsockopt(fd, SOL_OCKAM, OCKAM_SO_RECVIDENTITY, &one, sizeof(one));
	atomic_store(&D.ready, true);
	while (!atomic_load(&G.stop)) {
		iov.iov_base = buf;
		iov.iov_len = cap;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		n = sys(recvmsg(fd, &msg, 0));
		if (n == -EAGAIN || n == -EINTR)
			continue;
		if (n < 0) {
			printf("deliver: sink: %s\n", strerror(-n));
			continue;
		}
		atomic_store(&D.last_rx, now_ms());
		deliver_one(buf, n, msg.msg_flags, &highest);
		if (D.channel)
			deliver_identity(&msg);
	}
	close(fd);
	free(buf);
	return NULL;
}

static int deliver_send(struct ockam_route *rt)
{
	uint8_t *buf = malloc(D.size + sizeof(struct stamp));
	struct rng r;
	unsigned long seq, sent = 0;
	size_t len;
	long ret;
	int fd;

	if (!buf)
		die("out of memory");
	if (enter_named(D.from))
		die("deliver: cannot enter namespace %s: %m", D.from);
	fd = private_socket(NULL, 200);
	if (fd < 0)
		die("deliver: socket: %s", strerror(-fd));
	set_timeouts(fd, 200, 2000);
	for (seq = 0; seq < D.count; seq++) {
		rng_seed(&r, G.seed, ~0ULL, seq);
		len = sizeof(struct stamp) +
		      below(&r, D.size - sizeof(struct stamp) + 1);
		len = stamp_make(&r, buf, len, seq);
		ret = ockam_send_route(fd, buf, len, rt, 0);
		if (ret < 0) {
			D.failed[seq] = 1;
			D.send_err[-ret < ERRNO_SLOTS ? -ret : ERRNO_SLOTS - 1]++;
		} else {
			sent++;
		}
		if (D.interval_ms)
			sleep_ms(D.interval_ms);
	}
	close(fd);
	free(buf);
	return sent;
}

static int deliver_main(int argc, char **argv)
{
	struct ockam_route *rt = calloc(1, sizeof(*rt));
	struct ockam_err err;
	struct rng name_rng;
	unsigned long sent, phantom = 0, seq, lost;
	bool seeded = false, bad;
	pthread_t sink;
	int i, e;

	D.count = 1000;
	D.size = 2048;
	D.interval_ms = 5;
	D.wait = 10;
	D.min_delivered = 1;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--channel")) {
			D.channel = true;
			continue;
		}
		if (!v)
			die("%s: missing value (try --help)", a);
		i++;
		if (!strcmp(a, "--from")) {
			D.from = v;
		} else if (!strcmp(a, "--to")) {
			D.to = v;
		} else if (!strcmp(a, "--route")) {
			D.route = v;
		} else if (!strcmp(a, "--identity")) {
			D.identity = v;
		} else if (!strcmp(a, "--count")) {
			D.count = parse_num(a, v, 1, 10000000);
		} else if (!strcmp(a, "--size")) {
			D.size = parse_num(a, v, sizeof(struct stamp), 1 << 20);
		} else if (!strcmp(a, "--interval-ms")) {
			D.interval_ms = parse_num(a, v, 0, 10000);
		} else if (!strcmp(a, "--wait")) {
			D.wait = parse_num(a, v, 0, 3600);
		} else if (!strcmp(a, "--min-delivered")) {
			D.min_delivered = parse_num(a, v, 0, 1e9);
		} else if (!strcmp(a, "--seed")) {
			G.seed = parse_seed(v);
			seeded = true;
		} else {
			die("unknown option '%s' (try --help)", a);
		}
	}
	if (!seeded)
		G.seed = time_seed();
	printf("seed %" PRIu64 "\n", G.seed);
	fflush(stdout);
	if (!D.from || !D.to || !D.route || !rt)
		die("deliver: --from, --to and --route are required");
	if (D.identity) {
		if (strlen(D.identity) != OCKAM_IDENTIFIER_LEN)
			die("--identity: not an identifier");
		memcpy(D.peer_id, D.identity, OCKAM_IDENTIFIER_LEN);
	}
	setup_common();
	D.failed = calloc(D.count, 1);
	D.delivered = calloc(D.count, sizeof(*D.delivered));
	if (!D.failed || !D.delivered)
		die("out of memory");
	if (ockam_route_parse(rt, D.route, ockam_registry_resolve_node, NULL,
			      &err))
		die("--route: %s", ockam_err_msg(&err));
	/* The stress program leaves names starting with "dlv" alone. */
	rng_seed(&name_rng, G.seed, getpid(), now_ms());
	memcpy(D.sink, "dlv-", 4);
	random_hex(&name_rng, D.sink + 4, 16);
	if (ockam_route_push(rt, OCKAM_ADDR_LOCAL, D.sink, strlen(D.sink), &err))
		die("--route: %s", ockam_err_msg(&err));

	G.start_ms = now_ms();
	if (pthread_create(&sink, NULL, sink_main, NULL))
		die("pthread_create failed");
	while (!atomic_load(&D.ready))
		sleep_ms(10);
	sent = deliver_send(rt);
	/* Until everything is in, or nothing came for --wait seconds. */
	atomic_store(&D.last_rx, now_ms());
	while (atomic_load(&D.got) < sent &&
	       now_ms() - atomic_load(&D.last_rx) < D.wait * 1000)
		sleep_ms(100);
	atomic_store(&G.stop, true);
	pthread_join(sink, NULL);

	for (seq = 0; seq < D.count; seq++)
		if (D.failed[seq] && D.delivered[seq])
			phantom++;
	lost = sent - (atomic_load(&D.got) - phantom);
	printf("deliver: %lu messages in %.1f s: sent %lu, send errors %lu",
	       D.count, (now_ms() - G.start_ms) / 1000.0, sent, D.count - sent);
	for (e = 1; e < ERRNO_SLOTS; e++)
		if (D.send_err[e])
			printf(" %s %lu", errname(e), D.send_err[e]);
	printf("\ndeliver: delivered %lu, lost %lu, corrupted %lu, duplicated %lu, "
	       "delivered after a failed send %lu, out of order %lu",
	       atomic_load(&D.got), lost, atomic_load(&D.corrupted),
	       atomic_load(&D.duplicated), phantom, atomic_load(&D.reordered));
	if (D.channel)
		printf(", without identity %lu, other identity %lu",
		       atomic_load(&D.no_identity),
		       atomic_load(&D.wrong_identity));
	printf("\n");
	bad = atomic_load(&D.corrupted) || atomic_load(&D.duplicated) ||
	      phantom || atomic_load(&D.no_identity) ||
	      atomic_load(&D.wrong_identity);
	if (bad || atomic_load(&D.got) < D.min_delivered) {
		printf("result: FAIL%s (seed %" PRIu64 ")\n",
		       bad ? "" : ": too few delivered", G.seed);
		return 1;
	}
	printf("result: pass\n");
	return 0;
}

/* ------------------------------------------------------------ stream */

/*
 * stream: a connection to an echo server (through a portal, say); --bytes
 * numbered bytes of a stream keyed by --seed go out, the write side is
 * shut, and what comes back is checked byte by byte. It must come back
 * whole and then end, or be reset: never end short, never differ. A
 * stream that stops moving for --wait seconds is stalled. One result
 * line; exit status 1 on a short or corrupted stream (or, with --whole,
 * on anything but a whole one), 2 on a usage or connection error.
 */
static int stream_main(int argc, char **argv)
{
	struct worker w = { .idx = -1 };
	struct in_addr a;
	struct pdir d = { .name = "echo" };
	const char *to = NULL;
	char host[64], *colon;
	double wait = 10, bytes = 1 << 20;
	uint64_t seed = 0;
	bool whole_only = false;
	long ret = 0;
	int i, fd;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--whole")) {
			whole_only = true;
			continue;
		}
		if (i + 1 >= argc)
			die("stream: %s needs a value", argv[i]);
		if (!strcmp(argv[i], "--to"))
			to = argv[++i];
		else if (!strcmp(argv[i], "--bytes"))
			bytes = parse_num("--bytes", argv[++i], 0, 1 << 30);
		else if (!strcmp(argv[i], "--seed"))
			seed = parse_seed(argv[++i]);
		else if (!strcmp(argv[i], "--wait"))
			wait = parse_num("--wait", argv[++i], 1, 600);
		else
			die("stream: unknown option %s", argv[i]);
	}
	if (!to || strlen(to) >= sizeof(host) || !(colon = strchr(to, ':')))
		die("stream: --to HOST:PORT");
	snprintf(host, sizeof(host), "%.*s", (int)(colon - to), to);
	if (!inet_aton(host, &a))
		die("stream: %s is not an IPv4 address", host);
	pthread_mutex_init(&w.lock, NULL);
	pthread_mutex_init(&G.out_lock, NULL);
	G.seed = seed;
	signal(SIGPIPE, SIG_IGN);
	fd = tcp_connect(a, atoi(colon + 1), CONNECT_MS);
	if (fd < 0) {
		printf("stream: connect %s: %s\n", to, strerror(-fd));
		return 2;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	d.wfd = d.rfd = fd;
	d.key = seed * 0x9e3779b97f4a7c15ULL + 1;
	d.total = bytes;
	snprintf(w.desc, sizeof(w.desc), "%" PRIu64 " bytes to %s", d.total,
		 to);
	/* Stalled: no byte back for --wait seconds. */
	do
		ret = pump(&w, &d, 1, wait * 1000, d.got + 1);
	while (!ret && !pdir_done(&d));
	tcp_reset(fd);
	if (atomic_load(&G.failures))
		printf("stream: FAILED after %" PRIu64 " of %" PRIu64 " bytes\n",
		       d.got, d.total);
	else if (d.eof && d.got == d.total)
		printf("stream: whole, %" PRIu64 " bytes\n", d.total);
	else if (d.reset || d.wreset)
		printf("stream: reset after %" PRIu64 " of %" PRIu64 " bytes\n",
		       d.got, d.total);
	else
		printf("stream: stalled after %" PRIu64 " of %" PRIu64
		       " bytes (%s)\n", d.got, d.total, errname(-ret));
	if (atomic_load(&G.failures))
		return 1;
	return whole_only && !(d.eof && d.got == d.total) ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return run_main(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "deliver"))
		return deliver_main(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "stream"))
		return stream_main(argc - 2, argv + 2);
	usage();
	return argc >= 2 && (!strcmp(argv[1], "-h") ||
			     !strcmp(argv[1], "--help")) ? 0 : 2;
}
