// SPDX-License-Identifier: GPL-2.0
/*
 * ockam-mitm: an attacker in the middle of AF_OCKAM routes, and the ends
 * the secure channel tests put around it.
 *
 *   ockam-mitm relay NAME [--control NAME] [RULE]...
 *   ockam-mitm sink NAME [--echo]
 *   ockam-mitm send ROUTE PREFIX COUNT
 *   ockam-mitm channels
 *   ockam-mitm addresses
 *   ockam-mitm hs-flood ROUTE COUNT SECONDS
 *   ockam-mitm hs-forge HOST:PORT LISTENER COUNT SECONDS
 *
 * relay binds local address NAME on its node. A message whose onward
 * route goes on past NAME is sent on along it; replies find their way
 * back, so a Noise handshake and the secure channel after it run through
 * the relay: the relay sends each message from a socket of its own that
 * stands for the message's return route, and sends whatever arrives at
 * that socket back along that route (from the socket that stands for the
 * reply's return route). Nobody needs to know the relay is there except
 * the sender of the first message, which routes through NAME.
 *
 * Messages are counted per direction: "ab" is the way of the messages
 * sent to NAME, "ba" the way back, and a message that comes back to the
 * relay goes the other way from the one it answers (so in a secure
 * channel's handshake messages 1 and 3 are ab, 2 is ba, and the channel's
 * frames from the initiator are ab). A rule picks message K of a
 * direction (1 is the first) and does one thing to it:
 *
 *   pass [DIR] K              send it on unchanged (the default)
 *   flip [DIR] K BIT          flip bit BIT (0 is the top bit of the first
 *                             byte; -1 the last bit) and send it on
 *   drop [DIR] K              do not send it
 *   replay [DIR] K [AT]       send it, and once more after message AT
 *                             (default: at once)
 *   hold [DIR] K AT           send it only after message AT
 *   swap [DIR] K              send message K + 1 first, then K
 *   reverse [DIR] K N         hold K .. K + N - 1, send them last first
 *   delay [DIR] K MS          hold it MS milliseconds; others pass
 *   truncate [DIR] K LEN      send only its first LEN bytes
 *
 * DIR is "ab" (the default) or "ba"; K and AT may be "+N", the N-th
 * message of DIR from now. Messages released together go out last first.
 * Rules come from the command line as one argument each ("flip 3 100")
 * and, with --control, as the payload of a message to the control
 * address, which answers "ok ..." or "error ...":
 *
 *   ockam message send "drop +1" --to /service/mitm-ctl
 *
 * The control address also answers "stats" with the counters
 * ("ab=5 ba=4 forwarded=8 dropped=1 ...") and "clear" by forgetting every
 * rule that has not fired yet. Every message and what was done to it is
 * logged on standard output, one line each.
 *
 * sink binds NAME and prints each message it receives, one line each:
 *
 *   msg id=IDENTIFIER len=N data=PAYLOAD
 *
 * with id=- for a message that did not come through a secure channel and
 * the payload's bytes outside 0x21..0x7e (and '\') written \xNN. With
 * --echo it also sends each message back along its return route.
 *
 * send sends PREFIX1 .. PREFIXCOUNT along ROUTE (a MultiAddr or the plain
 * form) from a socket of its own, without waiting for anything.
 *
 * channels prints the node's secure channels from the kernel's dump, one
 * line each, "key=value" fields: encryptor, decryptor, identifier, role,
 * tx_counter, rx_counter, tx_rekeys, rx_rekeys and the channel counters
 * by their netlink names (encrypted, decrypted, drop_auth, ...).
 * addresses prints every local address of the node and its kind.
 *
 * hs-flood and hs-forge are handshake floods: message 1 after message 1
 * to a secure channel listener, never a message 3, so every one the
 * listener takes holds one of its slots until it times out. hs-flood
 * sends COUNT at once along ROUTE (which ends in the listener) from
 * AF_OCKAM sockets of its own, then one every 100 ms, for SECONDS or
 * until SIGTERM: an ordinary node that will not stop. hs-forge connects
 * to the TCP listener HOST:PORT itself and writes COUNT messages 1 for
 * LISTENER on that one connection, each with a return route of its own
 * making ([forged-N, X]): a peer that looks like COUNT different
 * sources, and reads the answers for SECONDS or until SIGTERM. Both
 * count the answers, message 2 (a slot taken) or a refusal (and of
 * those "busy"), and print
 *
 *   burst answered: msg2=N refused=N busy=N
 *
 * once the first COUNT are all answered, and at the end
 *
 *   flood: sent=N msg2=N refused=N busy=N other=N
 *
 * with the first refusal's text on a line "refusal: TEXT".
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ockam/ockam.h>

enum {
	PROXIES_MAX = 256,
	RULES_MAX = 256,
	HELD_MAX = 1024,
	MSG_MAX = OCKAM_MAX_MESSAGE_MAX,
	LINE_MAX_LEN = 512,
};

enum direction { AB, BA, DIRS };

static const char *const dir_names[DIRS] = { "ab", "ba" };

enum action {
	ACT_PASS, ACT_FLIP, ACT_DROP, ACT_REPLAY, ACT_HOLD, ACT_SWAP,
	ACT_REVERSE, ACT_DELAY, ACT_TRUNCATE,
};

static const struct {
	const char *name;
	int args;		/* required numbers after K */
	int optional;		/* optional ones after those */
} actions[] = {
	[ACT_PASS] = { "pass", 0, 0 },
	[ACT_FLIP] = { "flip", 1, 0 },
	[ACT_DROP] = { "drop", 0, 0 },
	[ACT_REPLAY] = { "replay", 0, 1 },
	[ACT_HOLD] = { "hold", 1, 0 },
	[ACT_SWAP] = { "swap", 0, 0 },
	[ACT_REVERSE] = { "reverse", 1, 0 },
	[ACT_DELAY] = { "delay", 1, 0 },
	[ACT_TRUNCATE] = { "truncate", 1, 0 },
};

struct rule {
	enum action act;
	enum direction dir;
	uint64_t k;
	long long arg;
	bool has_arg;
	bool done;
};

/* A socket of ours that stands for a return route. */
struct proxy {
	int fd;
	/* The way of the messages that arrive here, towards @back. */
	enum direction dir;
	struct ockam_wire_route back;
};

/* A message waiting to be sent. */
struct held {
	uint8_t *data;
	size_t len;
	struct ockam_wire_route dest;
	int via;
	enum direction dir;
	uint64_t k;
	/* Released after message @after of @dir was handled, or at @when. */
	uint64_t after;
	long long when;
	bool copy;
};

static struct {
	int main_fd;
	int ctl_fd;
	struct proxy proxies[PROXIES_MAX];
	int n_proxies;
	struct rule rules[RULES_MAX];
	int n_rules;
	struct held held[HELD_MAX];
	int n_held;
	uint64_t count[DIRS];
	uint64_t forwarded, dropped, modified, replayed, reordered, failed;
	uint8_t *buf;
} R;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static _Noreturn void die(const char *what, int err)
{
	fprintf(stderr, "ockam-mitm: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		die("malloc", ENOMEM);
	return p;
}

/* Bytes as text: printable ones as they are, others as \xNN. */
static void print_escaped(FILE *f, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] >= 0x21 && p[i] <= 0x7e && p[i] != '\\')
			fputc(p[i], f);
		else
			fprintf(f, "\\x%02x", p[i]);
	}
}

static void route_text(const struct ockam_wire_route *w, char *buf,
		       size_t size)
{
	struct ockam_route *rt = xmalloc(sizeof(*rt));

	if (ockam_route_from_wire(rt, w->bytes, w->len, NULL) ||
	    ockam_route_format_any(rt, buf, size) < 0)
		snprintf(buf, size, "(%zu bytes)", w->len);
	free(rt);
}

/* @a followed by @b, encoded. */
static int route_join(struct ockam_wire_route *out,
		      const struct ockam_wire_route *a,
		      const struct ockam_wire_route *b)
{
	struct ockam_route *ra = xmalloc(sizeof(*ra)), *rb = xmalloc(sizeof(*rb));
	ssize_t len;
	int ret;

	ret = ockam_route_from_wire(ra, a->bytes, a->len, NULL);
	if (!ret)
		ret = ockam_route_from_wire(rb, b->bytes, b->len, NULL);
	if (!ret)
		ret = ockam_route_append(ra, rb, NULL);
	if (!ret) {
		len = ockam_route_to_wire(ra, out->bytes, sizeof(out->bytes));
		ret = len < 0 ? (int)len : 0;
		out->len = len < 0 ? 0 : (size_t)len;
	}
	free(ra);
	free(rb);
	return ret;
}

/* --------------------------------------------------------------- rules */

static int parse_number(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || end == s || *end ? -EINVAL : 0;
}

/* A message number: N, or +N counted from the messages of @dir so far. */
static int parse_msgno(const char *s, enum direction dir, long long *out)
{
	bool rel = *s == '+';

	if (parse_number(s + rel, out) || *out < 1)
		return -EINVAL;
	if (rel)
		*out += R.count[dir];
	return 0;
}

/* Parse one rule. */
static int rule_parse(const char *text, struct rule *r, char *why,
		      size_t why_size)
{
	char buf[LINE_MAX_LEN], *tok[8], *save = NULL, *t;
	int n = 0, i = 1, a;
	long long v;

	snprintf(buf, sizeof(buf), "%s", text);
	for (t = strtok_r(buf, " \t\n", &save); t && n < 8;
	     t = strtok_r(NULL, " \t\n", &save))
		tok[n++] = t;
	if (!n) {
		snprintf(why, why_size, "empty rule");
		return -EINVAL;
	}
	memset(r, 0, sizeof(*r));
	for (a = 0; a < (int)(sizeof(actions) / sizeof(actions[0])); a++)
		if (!strcmp(tok[0], actions[a].name))
			break;
	if (a == (int)(sizeof(actions) / sizeof(actions[0]))) {
		snprintf(why, why_size, "unknown action '%s'", tok[0]);
		return -EINVAL;
	}
	r->act = a;
	r->dir = AB;
	if (i < n && (!strcmp(tok[i], "ab") || !strcmp(tok[i], "ba")))
		r->dir = !strcmp(tok[i++], "ab") ? AB : BA;
	if (i >= n) {
		snprintf(why, why_size, "%s: which message?", tok[0]);
		return -EINVAL;
	}
	if (parse_msgno(tok[i], r->dir, &v))
		goto bad_k;
	r->k = v;
	i++;
	if (n - i < actions[a].args || n - i > actions[a].args + actions[a].optional) {
		snprintf(why, why_size, "%s takes %d number%s after the message",
			 tok[0], actions[a].args,
			 actions[a].optional ? " (and one optional)" : "");
		return -EINVAL;
	}
	if (i < n) {
		bool msgno = r->act == ACT_REPLAY || r->act == ACT_HOLD;

		if (msgno ? parse_msgno(tok[i], r->dir, &r->arg) :
			    parse_number(tok[i], &r->arg)) {
			snprintf(why, why_size, "'%s' is not a number", tok[i]);
			return -EINVAL;
		}
		r->has_arg = true;
	}
	if ((r->act == ACT_REVERSE && r->arg < 2) ||
	    ((r->act == ACT_DELAY || r->act == ACT_TRUNCATE) && r->arg < 0) ||
	    (r->act == ACT_REPLAY && r->has_arg && r->arg < (long long)r->k) ||
	    (r->act == ACT_HOLD && r->arg <= (long long)r->k)) {
		snprintf(why, why_size, "%s: %lld is out of range", tok[0],
			 r->arg);
		return -EINVAL;
	}
	return 0;
bad_k:
	snprintf(why, why_size, "'%s' is not a message number", tok[i]);
	return -EINVAL;
}

static int rule_add(const char *text, char *why, size_t why_size)
{
	struct rule r;
	int ret = rule_parse(text, &r, why, why_size);

	if (ret)
		return ret;
	if (R.n_rules == RULES_MAX) {
		snprintf(why, why_size, "too many rules");
		return -ENOSPC;
	}
	R.rules[R.n_rules++] = r;
	snprintf(why, why_size, "%s %s #%" PRIu64, actions[r.act].name,
		 dir_names[r.dir], r.k);
	if (r.has_arg)
		snprintf(why + strlen(why), why_size - strlen(why), " %lld",
			 r.arg);
	return 0;
}

/* The rule for message @k of @dir, if any. */
static struct rule *rule_for(enum direction dir, uint64_t k)
{
	int i;

	for (i = 0; i < R.n_rules; i++) {
		struct rule *r = &R.rules[i];

		if (r->done || r->dir != dir)
			continue;
		if (r->k == k)
			return r;
		if (r->act == ACT_REVERSE && k > r->k &&
		    k < r->k + (uint64_t)r->arg)
			return r;
	}
	return NULL;
}

/* ------------------------------------------------------------- sending */

static int open_socket(void)
{
	int fd = ockam_socket(SOCK_CLOEXEC), one = 1, size = 8 << 20;

	if (fd < 0)
		die("socket", fd);
	if (setsockopt(fd, SOL_OCKAM, OCKAM_SO_RECVONWARD, &one, sizeof(one)) ||
	    ockam_set_recvroute(fd, true))
		die("setsockopt", errno);
	/* Best effort: room for bursts while the test is slow to read. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	return fd;
}

/*
 * The socket that stands for return route @back, made on first use for a
 * message going @dir (answers to it go the other way); -1 when there are
 * too many already.
 */
static int proxy_for(const struct ockam_wire_route *back, enum direction dir)
{
	struct proxy *p;
	int i;

	for (i = 0; i < R.n_proxies; i++) {
		p = &R.proxies[i];
		if (p->back.len == back->len &&
		    !memcmp(p->back.bytes, back->bytes, back->len))
			return p->fd;
	}
	if (R.n_proxies == PROXIES_MAX)
		return -1;
	p = &R.proxies[R.n_proxies++];
	p->fd = open_socket();
	p->dir = dir == AB ? BA : AB;
	p->back = *back;
	return p->fd;
}

static void send_out(int via, const uint8_t *data, size_t len,
		     const struct ockam_wire_route *dest, const char *what,
		     enum direction dir, uint64_t k)
{
	char text[OCKAM_ROUTE_TEXT_MAX];
	ssize_t ret;

	ret = ockam_send_wire(via, data, len, dest->bytes, dest->len, 0);
	route_text(dest, text, sizeof(text));
	if (ret < 0) {
		R.failed++;
		printf("%s #%" PRIu64 " len %zu: %s -> %s failed: %s\n",
		       dir_names[dir], k, len, what, text, strerror(-ret));
		return;
	}
	R.forwarded++;
	printf("%s #%" PRIu64 " len %zu: %s -> %s\n", dir_names[dir], k, len,
	       what, text);
}

static void hold(const uint8_t *data, size_t len,
		 const struct ockam_wire_route *dest, int via,
		 enum direction dir, uint64_t k, uint64_t after,
		 long long when, bool copy)
{
	struct held *h;

	if (R.n_held == HELD_MAX) {
		R.dropped++;
		printf("%s #%" PRIu64 " len %zu: nowhere to hold it, dropped\n",
		       dir_names[dir], k, len);
		return;
	}
	h = &R.held[R.n_held++];
	h->data = xmalloc(len);
	memcpy(h->data, data, len);
	h->len = len;
	h->dest = *dest;
	h->via = via;
	h->dir = dir;
	h->k = k;
	h->after = after;
	h->when = when;
	h->copy = copy;
}

/* Send what waited for message @k of @dir (or for the clock), last first. */
static void release(enum direction dir, uint64_t k, bool by_time)
{
	long long now = now_ms();
	int i;

	for (i = R.n_held - 1; i >= 0; i--) {
		struct held *h = &R.held[i];
		bool due = by_time ? h->when && h->when <= now :
				     !h->when && h->dir == dir && h->after == k;

		if (!due)
			continue;
		if (h->copy)
			R.replayed++;
		else
			R.reordered++;
		send_out(h->via, h->data, h->len, &h->dest,
			 h->copy ? "replayed" : "released", h->dir, h->k);
		free(h->data);
		memmove(h, h + 1, sizeof(*h) * (R.n_held - i - 1));
		R.n_held--;
	}
}

/* The next time a held message is due, as a poll() timeout. */
static int next_timeout(void)
{
	long long now = now_ms(), best = -1;
	int i;

	for (i = 0; i < R.n_held; i++) {
		if (!R.held[i].when)
			continue;
		if (best < 0 || R.held[i].when - now < best)
			best = R.held[i].when - now;
	}
	if (best < 0)
		return -1;
	return best > INT_MAX ? INT_MAX : best < 0 ? 0 : (int)best;
}

/* --------------------------------------------------------------- relay */

static int onward_cmsg(struct msghdr *msg, struct ockam_wire_route *onward)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_OCKAM &&
		    c->cmsg_type == OCKAM_CMSG_ONWARD_ROUTE) {
			onward->len = c->cmsg_len - CMSG_LEN(0);
			if (onward->len > sizeof(onward->bytes))
				return -EMSGSIZE;
			memcpy(onward->bytes, CMSG_DATA(c), onward->len);
			return 0;
		}
	}
	return -ENOENT;
}

/* Receive on @fd with both routes. Length, or -errno. */
static ssize_t receive(int fd, uint8_t *buf, size_t size,
		       struct ockam_wire_route *ret,
		       struct ockam_wire_route *onward)
{
	static char cbuf[2 * CMSG_SPACE(OCKAM_ROUTE_BYTES_MAX) + CMSG_SPACE(128)];
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

	if (n < 0)
		return -errno;
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return -EMSGSIZE;
	if (ockam_cmsg_return_route(&msg, ret) != 1)
		return -EPROTO;
	onward->len = 0;
	if (onward_cmsg(&msg, onward))
		return -EPROTO;
	return n;
}

static bool route_empty(const struct ockam_wire_route *w)
{
	return w->len == 0 || (w->len == 1 && w->bytes[0] == 0);
}

static void relay_one(uint8_t *data, size_t len, enum direction dir,
		      const struct ockam_wire_route *dest,
		      const struct ockam_wire_route *ret)
{
	uint64_t k = ++R.count[dir];
	struct rule *r = rule_for(dir, k);
	int via = proxy_for(ret, dir);
	char what[96];
	long long bit;

	if (via < 0) {
		R.dropped++;
		printf("%s #%" PRIu64 " len %zu: too many return routes, dropped\n",
		       dir_names[dir], k, len);
		return;
	}
	if (!r || r->act == ACT_PASS) {
		if (r)
			r->done = true;
		send_out(via, data, len, dest, "pass", dir, k);
		goto out;
	}
	switch (r->act) {
	case ACT_FLIP:
		r->done = true;
		bit = r->arg < 0 ? (long long)len * 8 + r->arg : r->arg;
		if (bit < 0 || bit >= (long long)len * 8) {
			snprintf(what, sizeof(what),
				 "bit %lld out of range, unchanged", r->arg);
			send_out(via, data, len, dest, what, dir, k);
			break;
		}
		data[bit / 8] ^= 0x80 >> (bit % 8);
		R.modified++;
		snprintf(what, sizeof(what), "flipped bit %lld", bit);
		send_out(via, data, len, dest, what, dir, k);
		break;
	case ACT_DROP:
		r->done = true;
		R.dropped++;
		printf("%s #%" PRIu64 " len %zu: dropped\n", dir_names[dir], k,
		       len);
		break;
	case ACT_REPLAY:
		r->done = true;
		send_out(via, data, len, dest, "pass (to be replayed)", dir, k);
		if (!r->has_arg || (uint64_t)r->arg == k) {
			R.replayed++;
			send_out(via, data, len, dest, "replayed", dir, k);
		} else {
			hold(data, len, dest, via, dir, k, r->arg, 0, true);
		}
		break;
	case ACT_HOLD:
		r->done = true;
		printf("%s #%" PRIu64 " len %zu: held until #%lld\n",
		       dir_names[dir], k, len, r->arg);
		hold(data, len, dest, via, dir, k, r->arg, 0, false);
		break;
	case ACT_SWAP:
		r->done = true;
		printf("%s #%" PRIu64 " len %zu: held until #%" PRIu64 "\n",
		       dir_names[dir], k, len, k + 1);
		hold(data, len, dest, via, dir, k, k + 1, 0, false);
		break;
	case ACT_REVERSE:
		if (k == r->k + (uint64_t)r->arg - 1) {
			r->done = true;
			send_out(via, data, len, dest, "pass (last of a reversed run)",
				 dir, k);
		} else {
			printf("%s #%" PRIu64 " len %zu: held until #%" PRIu64 "\n",
			       dir_names[dir], k, len,
			       r->k + (uint64_t)r->arg - 1);
			hold(data, len, dest, via, dir, k,
			     r->k + (uint64_t)r->arg - 1, 0, false);
		}
		break;
	case ACT_DELAY:
		r->done = true;
		printf("%s #%" PRIu64 " len %zu: held %lld ms\n", dir_names[dir],
		       k, len, r->arg);
		hold(data, len, dest, via, dir, k, 0, now_ms() + r->arg + 1,
		     false);
		break;
	case ACT_TRUNCATE:
		r->done = true;
		if ((size_t)r->arg < len) {
			R.modified++;
			len = r->arg;
		}
		snprintf(what, sizeof(what), "truncated to %zu", len);
		send_out(via, data, len, dest, what, dir, k);
		break;
	case ACT_PASS:
		break;
	}
out:
	release(dir, k, false);
}

/* Messages to the relay's address (@back NULL) or to a proxy's. */
static void relay_receive(int fd, const struct ockam_wire_route *back,
			  enum direction dir)
{
	struct ockam_wire_route ret, onward, dest;
	char text[OCKAM_ROUTE_TEXT_MAX];
	ssize_t n;

	for (;;) {
		n = receive(fd, R.buf, MSG_MAX, &ret, &onward);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			printf("receive failed: %s\n", strerror(-n));
			return;
		}
		if (!back) {
			if (route_empty(&onward)) {
				route_text(&ret, text, sizeof(text));
				R.dropped++;
				printf("len %zd from %s: no onward route, dropped\n",
				       n, text);
				continue;
			}
			dest = onward;
		} else if (route_join(&dest, back, &onward)) {
			R.dropped++;
			printf("len %zd: route too long, dropped\n", n);
			continue;
		}
		relay_one(R.buf, n, dir, &dest, &ret);
	}
}

static void control_receive(void)
{
	struct ockam_wire_route ret, onward;
	char text[LINE_MAX_LEN], reply[LINE_MAX_LEN + 16], why[LINE_MAX_LEN];
	ssize_t n;
	int i;

	for (;;) {
		n = receive(R.ctl_fd, (uint8_t *)text, sizeof(text) - 1, &ret,
			    &onward);
		if (n < 0)
			return;
		text[n] = '\0';
		if (!strcmp(text, "stats")) {
			snprintf(reply, sizeof(reply),
				 "ok ab=%" PRIu64 " ba=%" PRIu64
				 " forwarded=%" PRIu64 " dropped=%" PRIu64
				 " modified=%" PRIu64 " replayed=%" PRIu64
				 " reordered=%" PRIu64 " failed=%" PRIu64
				 " held=%d",
				 R.count[AB], R.count[BA], R.forwarded,
				 R.dropped, R.modified, R.replayed,
				 R.reordered, R.failed, R.n_held);
		} else if (!strcmp(text, "clear")) {
			for (i = 0; i < R.n_rules; i++)
				R.rules[i].done = true;
			snprintf(reply, sizeof(reply), "ok cleared");
		} else if (!rule_add(text, why, sizeof(why))) {
			snprintf(reply, sizeof(reply), "ok %s", why);
		} else {
			snprintf(reply, sizeof(reply), "error %s", why);
		}
		printf("control: %s: %s\n", text, reply);
		ockam_send_wire(R.ctl_fd, reply, strlen(reply), ret.bytes,
				ret.len, 0);
	}
}

static int relay(int argc, char **argv)
{
	struct pollfd pfd[PROXIES_MAX + 2];
	const char *ctl = NULL;
	char why[LINE_MAX_LEN];
	int i, n, ret;

	if (argc < 1)
		return 2;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--control") && i + 1 < argc) {
			ctl = argv[++i];
		} else if (rule_add(argv[i], why, sizeof(why))) {
			fprintf(stderr, "ockam-mitm: rule '%s': %s\n", argv[i],
				why);
			return 2;
		}
	}
	R.buf = xmalloc(MSG_MAX);
	R.main_fd = open_socket();
	ret = ockam_bind(R.main_fd, argv[0]);
	if (ret)
		die(argv[0], ret);
	R.ctl_fd = -1;
	if (ctl) {
		R.ctl_fd = open_socket();
		ret = ockam_bind(R.ctl_fd, ctl);
		if (ret)
			die(ctl, ret);
	}
	printf("relay at %s%s%s, %d rule%s\n", argv[0],
	       ctl ? ", control at " : "", ctl ? ctl : "", R.n_rules,
	       R.n_rules == 1 ? "" : "s");
	for (;;) {
		n = 0;
		pfd[n++] = (struct pollfd){ .fd = R.main_fd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = R.ctl_fd, .events = POLLIN };
		for (i = 0; i < R.n_proxies; i++)
			pfd[n++] = (struct pollfd){
				.fd = R.proxies[i].fd, .events = POLLIN,
			};
		ret = poll(pfd, n, next_timeout());
		if (ret < 0 && errno != EINTR)
			die("poll", errno);
		release(AB, 0, true);
		if (pfd[1].revents & POLLIN)
			control_receive();
		if (pfd[0].revents & POLLIN)
			relay_receive(R.main_fd, NULL, AB);
		/* Proxies are only ever added, so pfd[i] is proxy i - 2. */
		for (i = 2; i < n; i++)
			if (pfd[i].revents & POLLIN)
				relay_receive(pfd[i].fd,
					      &R.proxies[i - 2].back,
					      R.proxies[i - 2].dir);
	}
}

/* ---------------------------------------------------------- the others */

static int identity_cmsg(struct msghdr *msg, char *out, size_t size)
{
	struct cmsghdr *c;
	size_t len;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_OCKAM ||
		    c->cmsg_type != OCKAM_CMSG_IDENTITY)
			continue;
		len = c->cmsg_len - CMSG_LEN(0);
		if (len >= size)
			len = size - 1;
		memcpy(out, CMSG_DATA(c), len);
		out[len] = '\0';
		return 0;
	}
	snprintf(out, size, "-");
	return -ENOENT;
}

static int sink(int argc, char **argv)
{
	static char cbuf[2 * CMSG_SPACE(OCKAM_ROUTE_BYTES_MAX) + CMSG_SPACE(128)];
	struct ockam_wire_route ret;
	char id[OCKAM_IDENTIFIER_LEN + 8];
	bool echo = argc > 1 && !strcmp(argv[1], "--echo");
	uint8_t *buf = xmalloc(MSG_MAX);
	int fd, one = 1;
	ssize_t n;

	if (argc < 1 || argc > 2 || (argc == 2 && !echo))
		return 2;
	fd = open_socket();
	if (setsockopt(fd, SOL_OCKAM, OCKAM_SO_RECVIDENTITY, &one, sizeof(one)))
		die("OCKAM_SO_RECVIDENTITY", errno);
	n = ockam_bind(fd, argv[0]);
	if (n)
		die(argv[0], n);
	printf("sink at %s\n", argv[0]);
	for (;;) {
		struct iovec iov = { .iov_base = buf, .iov_len = MSG_MAX };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};

		n = recvmsg(fd, &msg, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("recvmsg", errno);
		}
		identity_cmsg(&msg, id, sizeof(id));
		printf("msg id=%s len=%zd data=", id, n);
		print_escaped(stdout, buf, n);
		putchar('\n');
		if (echo && ockam_cmsg_return_route(&msg, &ret) == 1)
			ockam_send_wire(fd, buf, n, ret.bytes, ret.len, 0);
	}
}

static int sender(int argc, char **argv)
{
	struct ockam_route *rt = xmalloc(sizeof(*rt));
	struct ockam_err err;
	char payload[512];
	long long count, i;
	ssize_t ret;
	int fd;

	if (argc != 3 || parse_number(argv[2], &count) || count < 0)
		return 2;
	if (ockam_route_parse(rt, argv[0], ockam_registry_resolve_node, NULL,
			      &err)) {
		fprintf(stderr, "ockam-mitm: %s\n", ockam_err_msg(&err));
		return 1;
	}
	fd = ockam_socket(SOCK_CLOEXEC);
	if (fd < 0)
		die("socket", fd);
	for (i = 1; i <= count; i++) {
		snprintf(payload, sizeof(payload), "%s%lld", argv[1], i);
		ret = ockam_send_route(fd, payload, strlen(payload), rt, 0);
		if (ret < 0) {
			fprintf(stderr, "ockam-mitm: sending %s: %s\n", payload,
				strerror(-ret));
			return 1;
		}
	}
	printf("sent %lld\n", count);
	close(fd);
	free(rt);
	return 0;
}

static int channels(void)
{
	struct ockam_channel_info *list;
	struct ockam_nl *nl;
	struct ockam_err err;
	size_t count, i;
	unsigned int s;
	char name[64], *p;

	if (ockam_nl_open(&nl, &err) ||
	    ockam_nl_channel_list(nl, &list, &count, &err)) {
		fprintf(stderr, "ockam-mitm: %s\n", ockam_err_msg(&err));
		return 1;
	}
	for (i = 0; i < count; i++) {
		printf("encryptor=%s decryptor=%s identifier=%s role=%s "
		       "tx_counter=%" PRIu64 " rx_counter=%" PRIu64
		       " tx_rekeys=%" PRIu64 " rx_rekeys=%" PRIu64,
		       list[i].encryptor, list[i].decryptor,
		       list[i].identifier, ockam_role_name(list[i].role),
		       list[i].tx_counter, list[i].rx_counter,
		       list[i].tx_rekeys, list[i].rx_rekeys);
		for (s = OCKAM_STAT_RX_MESSAGES; s <= OCKAM_STAT_MAX; s++) {
			if (!(list[i].stats.present & (1ULL << s)))
				continue;
			snprintf(name, sizeof(name), "%s", ockam_stat_name(s));
			for (p = name; *p; p++)
				if (*p == '-')
					*p = '_';
			printf(" %s=%" PRIu64, name, list[i].stats.value[s]);
		}
		putchar('\n');
	}
	ockam_channel_list_free(list, count);
	ockam_nl_close(nl);
	return 0;
}

static int addresses(void)
{
	struct ockam_address_info *list;
	struct ockam_nl *nl;
	struct ockam_err err;
	size_t count, i;

	if (ockam_nl_open(&nl, &err) ||
	    ockam_nl_address_list(nl, &list, &count, &err)) {
		fprintf(stderr, "ockam-mitm: %s\n", ockam_err_msg(&err));
		return 1;
	}
	for (i = 0; i < count; i++)
		printf("%s %s\n", list[i].address,
		       ockam_kind_name(list[i].kind));
	free(list);
	ockam_nl_close(nl);
	return 0;
}

/* ------------------------------------------------- handshake floods */

enum {
	HS_MSG1 = 1, HS_MSG2 = 2, HS_REFUSED = 0x7f,
	HS_REFUSE_BUSY = 7,
	HS_MSG1_LEN = 1 + 32,
	FLOOD_SOCKETS = 32,
	FLOOD_INTERVAL_MS = 100,
};

struct flood {
	unsigned long sent, msg2, refused, busy, other;
	unsigned long burst;
	bool burst_told, refusal_told;
};

/* SIGTERM ends a flood early, still with its closing line: a test stops
 * it once it has seen what it wanted, however long that took.
 */
static volatile sig_atomic_t flood_stopped;

static void on_flood_stop(int sig)
{
	(void)sig;
	flood_stopped = 1;
}

/* The end of a flood of @seconds; SIGTERM now interrupts poll(). */
static long long flood_start(long long seconds)
{
	struct sigaction sa = { .sa_handler = on_flood_stop };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL))
		die("sigaction", errno);
	return now_ms() + seconds * 1000;
}

static bool flood_on(long long end)
{
	return !flood_stopped && now_ms() < end;
}

/* A message 1 with a fresh ephemeral key: random bytes will do. */
static void msg1_new(uint8_t msg[HS_MSG1_LEN])
{
	msg[0] = HS_MSG1;
	if (getrandom(msg + 1, HS_MSG1_LEN - 1, 0) != HS_MSG1_LEN - 1)
		die("getrandom", errno);
}

/* Count one answer, a handshake message of @len bytes. */
static void flood_count(struct flood *f, const uint8_t *msg, size_t len)
{
	if (len && msg[0] == HS_MSG2) {
		f->msg2++;
	} else if (len >= 2 && msg[0] == HS_REFUSED) {
		f->refused++;
		f->busy += msg[1] == HS_REFUSE_BUSY;
		if (!f->refusal_told) {
			printf("refusal: %.*s\n", (int)(len - 2),
			       (const char *)msg + 2);
			f->refusal_told = true;
		}
	} else {
		f->other++;
	}
	if (!f->burst_told && f->msg2 + f->refused >= f->burst) {
		printf("burst answered: msg2=%lu refused=%lu busy=%lu\n",
		       f->msg2, f->refused, f->busy);
		f->burst_told = true;
	}
}

static void flood_report(const struct flood *f)
{
	printf("flood: sent=%lu msg2=%lu refused=%lu busy=%lu other=%lu\n",
	       f->sent, f->msg2, f->refused, f->busy, f->other);
}

static int hs_flood(int argc, char **argv)
{
	struct ockam_route *rt = xmalloc(sizeof(*rt));
	struct pollfd pfd[FLOOD_SOCKETS];
	long long count, seconds, end, next;
	uint8_t msg[HS_MSG1_LEN], *buf = xmalloc(MSG_MAX);
	struct flood f = { 0 };
	struct ockam_err err;
	int i, n;

	if (argc != 3 || parse_number(argv[1], &count) || count < 1 ||
	    parse_number(argv[2], &seconds) || seconds < 0)
		return 2;
	if (ockam_route_parse(rt, argv[0], ockam_registry_resolve_node, NULL,
			      &err)) {
		fprintf(stderr, "ockam-mitm: %s\n", ockam_err_msg(&err));
		return 1;
	}
	n = count < FLOOD_SOCKETS ? (int)count : FLOOD_SOCKETS;
	for (i = 0; i < n; i++) {
		pfd[i].fd = ockam_socket(SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (pfd[i].fd < 0)
			die("socket", pfd[i].fd);
		pfd[i].events = POLLIN;
	}
	f.burst = count;
	end = flood_start(seconds);
	next = 0;
	while (flood_on(end)) {
		/* The burst first, then one every FLOOD_INTERVAL_MS. */
		while (f.sent < (unsigned long)count ||
		       (next && now_ms() >= next)) {
			ssize_t ret;

			msg1_new(msg);
			ret = ockam_send_route(pfd[f.sent % n].fd, msg,
					       sizeof(msg), rt, MSG_DONTWAIT);
			if (ret < 0)
				printf("sending message 1: %s\n",
				       strerror(-ret));
			f.sent++;
			if (f.sent >= (unsigned long)count)
				next = now_ms() + FLOOD_INTERVAL_MS;
		}
		if (poll(pfd, n, FLOOD_INTERVAL_MS) < 0 && errno != EINTR)
			die("poll", errno);
		for (i = 0; i < n; i++) {
			ssize_t len;

			if (!(pfd[i].revents & (POLLIN | POLLERR)))
				continue;
			while ((len = recv(pfd[i].fd, buf, MSG_MAX,
					   MSG_DONTWAIT)) >= 0)
				flood_count(&f, buf, len);
		}
	}
	flood_report(&f);
	return 0;
}

static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write", n < 0 ? errno : EPIPE);
		p += n;
		len -= n;
	}
}

/* A minimal ULEB128 number at *@pos of @len bytes; false if cut short. */
static bool uleb(const uint8_t *p, size_t len, size_t *pos, uint32_t *out)
{
	unsigned int shift;

	*out = 0;
	for (shift = 0; shift < 35 && *pos < len; shift += 7) {
		uint8_t b = p[(*pos)++];

		*out |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/* Step over an encoded route at *@pos. */
static bool skip_route(const uint8_t *p, size_t len, size_t *pos)
{
	uint32_t hops, vlen, i;

	if (!uleb(p, len, pos, &hops))
		return false;
	for (i = 0; i < hops; i++) {
		if (++*pos > len || !uleb(p, len, pos, &vlen) ||
		    len - *pos < vlen)
			return false;
		*pos += vlen;
	}
	return true;
}

/* The payload of routing message @msg of @len bytes, or NULL. */
static const uint8_t *msg_payload(const uint8_t *msg, size_t len,
				  size_t *payload_len)
{
	size_t pos = 1;
	uint32_t plen;

	if (!len || msg[0] != 1 || !skip_route(msg, len, &pos) ||
	    !skip_route(msg, len, &pos) || !uleb(msg, len, &pos, &plen) ||
	    plen != len - pos)
		return NULL;
	*payload_len = plen;
	return msg + pos;
}

/* One message 1 for @listener, answered along [forged-@i, X], framed. */
static size_t forged_frame(uint8_t *out, size_t size, const char *listener,
			   unsigned long i)
{
	static struct ockam_route onward, ret;
	uint8_t msg1[HS_MSG1_LEN];
	char name[32];
	ssize_t a, b;
	size_t len;

	ockam_route_init(&onward);
	ockam_route_init(&ret);
	snprintf(name, sizeof(name), "forged-%lu", i);
	if (ockam_route_push(&onward, OCKAM_ADDR_LOCAL, listener,
			     strlen(listener), NULL) ||
	    ockam_route_push(&ret, OCKAM_ADDR_LOCAL, name, strlen(name),
			     NULL) ||
	    ockam_route_push(&ret, OCKAM_ADDR_LOCAL, "X", 1, NULL))
		die("route", EINVAL);
	len = 4;
	out[len++] = 1;
	a = ockam_route_to_wire(&onward, out + len, size - len);
	if (a < 0)
		die("route", -a);
	len += a;
	b = ockam_route_to_wire(&ret, out + len, size - len);
	if (b < 0 || size - len - b < 1 + HS_MSG1_LEN)
		die("route", EMSGSIZE);
	len += b;
	out[len++] = HS_MSG1_LEN;
	msg1_new(msg1);
	memcpy(out + len, msg1, HS_MSG1_LEN);
	len += HS_MSG1_LEN;
	out[0] = (len - 4) >> 24;
	out[1] = (len - 4) >> 16;
	out[2] = (len - 4) >> 8;
	out[3] = len - 4;
	return len;
}

/* Count the whole frames at the front of @buf; returns the bytes used. */
static size_t forge_read_frames(struct flood *f, const uint8_t *buf,
				size_t len)
{
	size_t used = 0;

	while (len - used >= 4) {
		const uint8_t *p = buf + used, *payload;
		size_t flen = (size_t)p[0] << 24 | p[1] << 16 | p[2] << 8 |
			      p[3], plen;

		if (flen > MSG_MAX - 4)
			die("frame", EMSGSIZE);
		if (len - used - 4 < flen)
			break;
		payload = msg_payload(p + 4, flen, &plen);
		if (payload)
			flood_count(f, payload, plen);
		else
			f->other++;
		used += 4 + flen;
	}
	return used;
}

static int hs_forge(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 5 };
	uint8_t frame[1024], version = 1, *buf = xmalloc(MSG_MAX);
	long long count, seconds, port, end;
	struct flood f = { 0 };
	char host[64], *colon;
	size_t have = 0;
	int fd;

	if (argc != 4 || parse_number(argv[2], &count) || count < 1 ||
	    parse_number(argv[3], &seconds) || seconds < 0)
		return 2;
	snprintf(host, sizeof(host), "%s", argv[0]);
	colon = strrchr(host, ':');
	if (!colon)
		return 2;
	*colon = '\0';
	if (parse_number(colon + 1, &port) || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return 2;
	sin.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die(argv[0], errno);
	/* The transport's version byte each way, then frames. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		die("SO_RCVTIMEO", errno);
	write_all(fd, &version, 1);
	if (read(fd, &version, 1) != 1 || version != 1)
		die("version byte", EPROTO);
	for (f.sent = 0; f.sent < (unsigned long)count; f.sent++)
		write_all(fd, frame,
			  forged_frame(frame, sizeof(frame), argv[1], f.sent));
	f.burst = count;
	end = flood_start(seconds);
	while (flood_on(end)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		size_t used;

		if (poll(&pfd, 1, FLOOD_INTERVAL_MS) < 0 && errno != EINTR)
			die("poll", errno);
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(fd, buf + have, MSG_MAX - have);
		if (n <= 0) {
			printf("connection closed: %s\n",
			       n ? strerror(errno) : "end of stream");
			break;
		}
		have += n;
		used = forge_read_frames(&f, buf, have);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	flood_report(&f);
	close(fd);
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: ockam-mitm relay NAME [--control NAME] [RULE]...\n"
		"       ockam-mitm sink NAME [--echo]\n"
		"       ockam-mitm send ROUTE PREFIX COUNT\n"
		"       ockam-mitm channels\n"
		"       ockam-mitm addresses\n"
		"       ockam-mitm hs-flood ROUTE COUNT SECONDS\n"
		"       ockam-mitm hs-forge HOST:PORT LISTENER COUNT SECONDS\n");
	return 2;
}

int main(int argc, char **argv)
{
	int ret = 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "relay"))
		ret = relay(argc - 2, argv + 2);
	else if (!strcmp(argv[1], "sink"))
		ret = sink(argc - 2, argv + 2);
	else if (!strcmp(argv[1], "send"))
		ret = sender(argc - 2, argv + 2);
	else if (!strcmp(argv[1], "channels") && argc == 2)
		ret = channels();
	else if (!strcmp(argv[1], "addresses") && argc == 2)
		ret = addresses();
	else if (!strcmp(argv[1], "hs-flood"))
		ret = hs_flood(argc - 2, argv + 2);
	else if (!strcmp(argv[1], "hs-forge"))
		ret = hs_forge(argc - 2, argv + 2);
	return ret == 2 ? usage() : ret;
}
