// SPDX-License-Identifier: GPL-2.0
/*
 * Secure channels in the kernel, with the test playing both daemons: two
 * channels on one node whose keys are each other's (OCKAM_CMD_CHANNEL_ADD
 * straight from here, no handshake), so what one encrypts the other
 * decrypts.
 *
 *   socket s --> [enc1] ==frame==> (m) --> [y = dec2] --> socket r
 *   socket s <-- [x = dec1] <==frame== [enc2] <-- socket r (reply)
 *
 * Channel 1 was added on socket x (its name becomes the decryptor) with
 * tx key K1 and the route [y] or, for attacks, [m, y]: m is a plain socket
 * with OCKAM_SO_RECVONWARD that receives each frame and sends it on,
 * changed or not. The test knows the keys, so it also reads the frames
 * on the wire (libsodium) and writes frames of its own with any counter:
 * the format, the Noise REKEY ratchet and the replay window are checked
 * against the specification in <linux/ockam.h>, not against the module's
 * own view of them.
 */
#include <linux/capability.h>
#include <linux/sockios.h>
#include <pthread.h>
#include <stdarg.h>
#include <sodium.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

#define W OCKAM_REPLAY_WINDOW
#define REKEY_EVERY OCKAM_REKEY_INTERVAL

enum {
	NONCE_LEN = 12,
	/* Frame bytes around the plaintext (which starts with the type). */
	FRAME_OVERHEAD = OCKAM_COUNTER_LEN + OCKAM_TAG_LEN,
	/* The smallest frame: counter, type, tag. */
	FRAME_MIN = FRAME_OVERHEAD + 1,
	BUF_MAX = 8192,
};

/* ------------------------------------------------------------ identities */

static char id_a[OCKAM_IDENTIFIER_LEN + 1];
static char id_b[OCKAM_IDENTIFIER_LEN + 1];

/* "I" and 64 lowercase hex digits derived from @seed. */
static void make_identifier(char *out, unsigned int seed)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	out[0] = 'I';
	for (i = 1; i < OCKAM_IDENTIFIER_LEN; i++)
		out[i] = hex[(seed * 7 + i * (seed | 1)) % 16];
	out[OCKAM_IDENTIFIER_LEN] = '\0';
}

/* --------------------------------------------------------------- crypto */

static void nonce_for(uint8_t n[NONCE_LEN], uint64_t counter)
{
	int i;

	memset(n, 0, 4);
	for (i = 0; i < 8; i++)
		n[4 + i] = counter >> (8 * i);
}

/* Noise REKEY: ENCRYPT(k, 2^64 - 1, empty, 32 zero bytes)[0:32]. */
static void rekey(uint8_t key[OCKAM_KEY_LEN])
{
	uint8_t zeros[OCKAM_KEY_LEN] = { 0 };
	uint8_t out[OCKAM_KEY_LEN + OCKAM_TAG_LEN], n[NONCE_LEN];

	nonce_for(n, ~0ULL);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, zeros,
						  sizeof(zeros), NULL, 0, NULL,
						  n, key);
	memcpy(key, out, OCKAM_KEY_LEN);
	sodium_memzero(out, sizeof(out));
}

/* The key of @counter's epoch, from the first key @k0. */
static void key_for(uint8_t out[OCKAM_KEY_LEN],
		    const uint8_t k0[OCKAM_KEY_LEN], uint64_t counter)
{
	uint64_t e;

	memcpy(out, k0, OCKAM_KEY_LEN);
	for (e = 0; e < counter / REKEY_EVERY; e++)
		rekey(out);
}

/* A data frame: u64be counter, ciphertext, tag. Returns its length. */
static size_t frame_seal(uint8_t *frame, const uint8_t key[OCKAM_KEY_LEN],
			 uint64_t counter, const uint8_t *pt, size_t len)
{
	uint8_t n[NONCE_LEN];
	int i;

	for (i = 0; i < 8; i++)
		frame[i] = counter >> (56 - 8 * i);
	nonce_for(n, counter);
	crypto_aead_chacha20poly1305_ietf_encrypt(frame + 8, NULL, pt, len,
						  NULL, 0, NULL, n, key);
	return len + FRAME_OVERHEAD;
}

static uint64_t frame_counter(const uint8_t *frame)
{
	uint64_t c = 0;
	int i;

	for (i = 0; i < 8; i++)
		c = c << 8 | frame[i];
	return c;
}

/* Decrypt with the key of the frame's epoch; 0 or -EBADMSG. */
static int frame_open(const uint8_t *frame, size_t len,
		      const uint8_t k0[OCKAM_KEY_LEN], uint8_t *pt,
		      size_t *pt_len)
{
	unsigned long long out_len;
	uint8_t key[OCKAM_KEY_LEN], n[NONCE_LEN];
	uint64_t c;
	int ret;

	if (len < FRAME_OVERHEAD)
		return -EBADMSG;
	c = frame_counter(frame);
	key_for(key, k0, c);
	nonce_for(n, c);
	ret = crypto_aead_chacha20poly1305_ietf_decrypt(pt, &out_len, NULL,
							frame + 8, len - 8,
							NULL, 0, n, key);
	sodium_memzero(key, sizeof(key));
	if (ret)
		return -EBADMSG;
	*pt_len = out_len;
	return 0;
}

/* ----------------------------------------------------- plaintext bodies */

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

/*
 * A channel plaintext: the type byte and, for a payload, the encoded
 * message (version, onward route, return route, payload).
 */
static size_t plaintext(uint8_t *out, uint8_t type, const char *onward,
			const char *ret, const void *payload, size_t len)
{
	struct ockam_wire_route on, back;
	size_t n = 0;

	out[n++] = type;
	if (type != OCKAM_CHANNEL_MSG_PAYLOAD)
		return n;
	on = wire(onward);
	back = wire(ret);
	out[n++] = OCKAM_MESSAGE_VERSION;
	memcpy(out + n, on.bytes, on.len);
	n += on.len;
	memcpy(out + n, back.bytes, back.len);
	n += back.len;
	n += uleb_put(out + n, len);
	memcpy(out + n, payload, len);
	return n + len;
}

/* ------------------------------------------------------------ receiving */

struct got {
	ssize_t len;
	uint8_t data[BUF_MAX];
	struct ockam_wire_route ret;
	struct ockam_wire_route onward;
	bool has_onward;
	char identity[OCKAM_IDENTIFIER_LEN + 8];
	ssize_t identity_len;		/* -1: no OCKAM_CMSG_IDENTITY */
};

/* One message with its routes and identity; 0 or -errno. */
static int recv_got(int fd, struct got *g, int flags)
{
	char cbuf[2 * CMSG_SPACE(OCKAM_ROUTE_BYTES_MAX) + CMSG_SPACE(128)];
	struct sockaddr_ockam sa;
	struct iovec iov = { .iov_base = g->data, .iov_len = sizeof(g->data) };
	struct msghdr msg = {
		.msg_name = &sa, .msg_namelen = sizeof(sa),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	size_t len;

	g->has_onward = false;
	g->identity_len = -1;
	g->len = recvmsg(fd, &msg, flags);
	if (g->len < 0)
		return -errno;
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return -EMSGSIZE;
	g->ret.len = sa.som_route_len;
	memcpy(g->ret.bytes, sa.som_route, sa.som_route_len);
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_OCKAM)
			continue;
		len = cmsg->cmsg_len - CMSG_LEN(0);
		switch (cmsg->cmsg_type) {
		case OCKAM_CMSG_ONWARD_ROUTE:
			g->onward.len = len;
			memcpy(g->onward.bytes, CMSG_DATA(cmsg), len);
			g->has_onward = true;
			break;
		case OCKAM_CMSG_RETURN_ROUTE:
			g->ret.len = len;
			memcpy(g->ret.bytes, CMSG_DATA(cmsg), len);
			break;
		case OCKAM_CMSG_IDENTITY:
			if (len >= sizeof(g->identity))
				return -EMSGSIZE;
			memcpy(g->identity, CMSG_DATA(cmsg), len);
			g->identity[len] = '\0';
			g->identity_len = len;
			break;
		}
	}
	return 0;
}

static bool route_is(const struct ockam_wire_route *w, const char *text)
{
	struct ockam_wire_route want = wire(text);

	return w->len == want.len && !memcmp(w->bytes, want.bytes, w->len);
}

static bool payload_is(const struct got *g, const char *text)
{
	return (size_t)g->len == strlen(text) &&
	       !memcmp(g->data, text, g->len);
}

/* Nothing waiting on @fd. */
/*
 * Until every message @fd sent through a channel has left it: frames are
 * sealed off the sender's call (on other CPUs), so send() returns before
 * they reach a socket on the same node. 0, or -ETIMEDOUT.
 */
static int wait_sent(int fd)
{
	int outq, tries;

	for (tries = 0; tries < 2000; tries++) {
		if (ioctl(fd, SIOCOUTQ, &outq))
			return -errno;
		if (!outq)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

static bool queue_empty(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) < 0 && errno == EAGAIN;
}

static int set_flag(int fd, int opt)
{
	int one = 1;

	return setsockopt(fd, SOL_OCKAM, opt, &one, sizeof(one));
}

/* ------------------------------------------------------------- channels */

/* Route text for "0#NAME => ..." with channel addresses filled in. */
static const char *rt(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static const char *rt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return buf;
}

static int channel_add(struct ockam_nl *nl, int fd, const uint8_t *tx,
		       const uint8_t *rx, const char *route,
		       const char *identifier, uint32_t role,
		       struct ockam_channel_info *out, struct ockam_err *err)
{
	struct ockam_wire_route w = wire(route);
	struct ockam_channel_params p = {
		.fd = fd, .tx_key = tx, .rx_key = rx,
		.route = w.bytes, .route_len = w.len,
		.identifier = identifier, .role = role,
	};

	return ockam_nl_channel_add(nl, &p, out, err);
}

/* The channel whose encryptor is @enc, from a fresh dump. */
static int channel_get(struct ockam_nl *nl, const char *enc,
		       struct ockam_channel_info *out)
{
	struct ockam_channel_info *list;
	size_t count, i;
	int ret = -ENOENT;

	if (ockam_nl_channel_list(nl, &list, &count, NULL))
		return -EIO;
	for (i = 0; i < count; i++) {
		if (strcmp(list[i].encryptor, enc))
			continue;
		*out = list[i];
		out->route = NULL;
		ret = 0;
	}
	ockam_channel_list_free(list, count);
	return ret;
}

static long channel_count(struct ockam_nl *nl)
{
	struct ockam_channel_info *list;
	size_t count;

	if (ockam_nl_channel_list(nl, &list, &count, NULL))
		return -1;
	ockam_channel_list_free(list, count);
	return count;
}

/* A counter of channel @enc; ~0 when the channel is not listed. */
static uint64_t chan_stat(struct ockam_nl *nl, const char *enc, int stat)
{
	struct ockam_channel_info info;

	if (channel_get(nl, enc, &info))
		return ~0ULL;
	return info.stats.value[stat];
}

/* Frames channel @enc refused, for any reason the tests provoke. */
static uint64_t chan_refused(struct ockam_nl *nl, const char *enc)
{
	struct ockam_channel_info info;

	if (channel_get(nl, enc, &info))
		return ~0ULL;
	return info.stats.value[OCKAM_STAT_DROP_AUTH] +
	       info.stats.value[OCKAM_STAT_DROP_REPLAY];
}

/* Wait up to 2 s for chan_stat() to reach @want; returns the last value. */
static uint64_t wait_stat(struct ockam_nl *nl, const char *enc, int stat,
			  uint64_t want)
{
	uint64_t v = 0;

	WAIT_FOR((v = chan_stat(nl, enc, stat)) == want, 2000);
	return v;
}

static uint64_t wait_refused(struct ockam_nl *nl, const char *enc,
			     uint64_t want)
{
	uint64_t v = 0;

	WAIT_FOR((v = chan_refused(nl, enc)) == want, 2000);
	return v;
}

/* ----------------------------------------------------------- the events */

enum { EVENTS_MAX = 64 };

struct closed {
	int count;
	struct ockam_event ev[EVENTS_MAX];
};

static void record_closed(const struct ockam_event *ev, void *arg)
{
	struct closed *c = arg;

	if (ev->cmd == OCKAM_CMD_CHANNEL_CLOSED && c->count < EVENTS_MAX)
		c->ev[c->count++] = *ev;
}

/* Collect CHANNEL_CLOSED events until @n arrived or @ms passed. */
static int wait_closed(struct ockam_events *events, struct closed *c, int n,
		       int ms)
{
	struct pollfd pfd = { .fd = ockam_events_fd(events), .events = POLLIN };
	long long end = now_ms() + ms;

	while (c->count < n && now_ms() < end) {
		poll(&pfd, 1, 50);
		if (ockam_events_read(events, record_closed, c, NULL) < 0)
			return -1;
	}
	return c->count;
}

/* The reason of the close event for encryptor @enc, or -1. */
static int closed_reason(const struct closed *c, const char *enc)
{
	int i;

	for (i = 0; i < c->count; i++)
		if (!strcmp(c->ev[i].address, enc))
			return c->ev[i].reason;
	return -1;
}

/* ---------------------------------------------------------- the fixture */

FIXTURE(chan)
{
	struct ockam_nl *nl;
	int x, y, s, r, m;
	uint8_t k1[OCKAM_KEY_LEN];	/* channel 1 sends, 2 receives */
	uint8_t k2[OCKAM_KEY_LEN];	/* channel 2 sends, 1 receives */
	struct ockam_channel_info c1, c2;
	char route[512];
	struct got g;
};

FIXTURE_SETUP(chan)
{
	int *fds[] = { &self->x, &self->y, &self->s, &self->r, &self->m };
	const char *names[] = { "x", "y", "s", "r", "m" };
	unsigned int i;

	ASSERT_LE(0, sodium_init());
	make_identifier(id_a, 1);
	make_identifier(id_b, 2);
	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, ockam_nl_open(&self->nl, NULL));
	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		*fds[i] = sock_bound(names[i]);
		ASSERT_LE(0, *fds[i]);
		ASSERT_EQ(0, set_rcvtimeo(*fds[i], 2000));
	}
	ASSERT_EQ(0, set_flag(self->r, OCKAM_SO_RECVIDENTITY));
	ASSERT_EQ(0, set_flag(self->s, OCKAM_SO_RECVIDENTITY));
	ASSERT_EQ(0, set_flag(self->m, OCKAM_SO_RECVONWARD));
	randombytes_buf(self->k1, sizeof(self->k1));
	randombytes_buf(self->k2, sizeof(self->k2));
}

FIXTURE_TEARDOWN(chan)
{
	close(self->x);
	close(self->y);
	close(self->s);
	close(self->r);
	close(self->m);
	ockam_nl_close(self->nl);
}

/* Channel 2 (on y, sending to x), then channel 1 (on x, along @route1). */
static int pair_up(FIXTURE_DATA(chan) *self, const char *route1)
{
	int ret;

	ret = channel_add(self->nl, self->y, self->k2, self->k1, "0#x", id_a,
			  OCKAM_ROLE_RESPONDER, &self->c2, NULL);
	if (ret)
		return ret;
	return channel_add(self->nl, self->x, self->k1, self->k2, route1, id_b,
			   OCKAM_ROLE_INITIATOR, &self->c1, NULL);
}

/* s sends @text through channel 1 to r. */
static ssize_t send_via_c1(FIXTURE_DATA(chan) *self, const void *buf,
			   size_t len)
{
	char route[128];

	return send_to(self->s, rt(route, sizeof(route), "0#%s => 0#r",
				   self->c1.encryptor), buf, len);
}

/* The next frame channel 1 sent to m; its length, or -errno. */
static ssize_t take_frame(FIXTURE_DATA(chan) *self, uint8_t *frame)
{
	int ret = recv_got(self->m, &self->g, 0);

	if (ret)
		return ret;
	if (!self->g.has_onward || !route_is(&self->g.onward, "0#y"))
		return -EDESTADDRREQ;
	memcpy(frame, self->g.data, self->g.len);
	return self->g.len;
}

/* m sends a frame on to channel 2's decryptor. */
static ssize_t forward(FIXTURE_DATA(chan) *self, const void *frame,
		       size_t len)
{
	return send_to(self->m, "0#y", frame, len);
}

/*
 * m sends on a frame the decryptor must refuse. The refusal is counted on
 * the channel (checked by the callers); a sender on the decryptor's own
 * node may also be told, with EBADMSG.
 */
static bool forward_refused(FIXTURE_DATA(chan) *self, const void *frame,
			    size_t len)
{
	ssize_t ret = forward(self, frame, len);

	return ret == (ssize_t)len || (ret == -1 && errno == EBADMSG);
}

/* m sends a frame of its own: @payload to r, with counter @counter. */
static ssize_t forge(FIXTURE_DATA(chan) *self, uint64_t counter,
		     const char *payload)
{
	uint8_t pt[BUF_MAX], frame[BUF_MAX], key[OCKAM_KEY_LEN];
	size_t len;

	len = plaintext(pt, OCKAM_CHANNEL_MSG_PAYLOAD, "0#r", "", payload,
			strlen(payload));
	key_for(key, self->k1, counter);
	len = frame_seal(frame, key, counter, pt, len);
	sodium_memzero(key, sizeof(key));
	return forward(self, frame, len);
}

/* The same for a frame that must be refused. */
static bool forge_refused(FIXTURE_DATA(chan) *self, uint64_t counter,
			  const char *payload)
{
	uint8_t pt[BUF_MAX], frame[BUF_MAX], key[OCKAM_KEY_LEN];
	size_t len;

	len = plaintext(pt, OCKAM_CHANNEL_MSG_PAYLOAD, "0#r", "", payload,
			strlen(payload));
	key_for(key, self->k1, counter);
	len = frame_seal(frame, key, counter, pt, len);
	sodium_memzero(key, sizeof(key));
	return forward_refused(self, frame, len);
}

/* ---------------------------------------------------------------- tests */

TEST_F(chan, roundtrip_with_identity)
{
	struct ockam_channel_info info;
	char want[256];

	ASSERT_EQ(0, pair_up(self, "0#y"));
	EXPECT_STREQ("x", self->c1.decryptor);
	EXPECT_STREQ("y", self->c2.decryptor);
	EXPECT_EQ(OCKAM_RANDOM_NAME_LEN, strlen(self->c1.encryptor));
	EXPECT_STRNE(self->c1.encryptor, self->c2.encryptor);

	ASSERT_EQ(5, send_via_c1(self, "hello", 5));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "hello"));
	/* The decryptor pushed its own encryptor: replies go back in. */
	EXPECT_TRUE(route_is(&self->g.ret, rt(want, sizeof(want),
		"0#%s => 0#s", self->c2.encryptor)));
	ASSERT_EQ(OCKAM_IDENTIFIER_LEN, self->g.identity_len);
	EXPECT_STREQ(id_a, self->g.identity);

	/* The reply, along the return route as received. */
	ASSERT_EQ(5, send_to(self->r, want, "HELLO", 5));
	ASSERT_EQ(0, recv_got(self->s, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "HELLO"));
	EXPECT_TRUE(route_is(&self->g.ret, rt(want, sizeof(want),
		"0#%s => 0#r", self->c1.encryptor)));
	ASSERT_EQ(OCKAM_IDENTIFIER_LEN, self->g.identity_len);
	EXPECT_STREQ(id_b, self->g.identity);

	/* A message that did not come through a channel has no identity. */
	ASSERT_EQ(5, send_to(self->s, "0#r", "plain", 5));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "plain"));
	EXPECT_EQ(-1, self->g.identity_len);

	/* Nor does one received without asking for it. */
	ASSERT_EQ(2, send_via_c1(self, "hi", 2));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_EQ(OCKAM_IDENTIFIER_LEN, self->g.identity_len);
	ASSERT_EQ(0, setsockopt(self->r, SOL_OCKAM, OCKAM_SO_RECVIDENTITY,
				&(int){ 0 }, sizeof(int)));
	ASSERT_EQ(2, send_via_c1(self, "hi", 2));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_EQ(-1, self->g.identity_len);

	/* Three messages out, one back, counted on both ends. */
	ASSERT_EQ(0, channel_get(self->nl, self->c1.encryptor, &info));
	EXPECT_EQ(3, info.tx_counter);
	EXPECT_EQ(3, info.stats.value[OCKAM_STAT_ENCRYPTED]);
	EXPECT_EQ(1, info.stats.value[OCKAM_STAT_DECRYPTED]);
	ASSERT_EQ(0, channel_get(self->nl, self->c2.encryptor, &info));
	EXPECT_EQ(1, info.tx_counter);
	EXPECT_EQ(2, info.rx_counter);
	EXPECT_EQ(1, info.stats.value[OCKAM_STAT_ENCRYPTED]);
	EXPECT_EQ(3, info.stats.value[OCKAM_STAT_DECRYPTED]);
	EXPECT_EQ(0, info.stats.value[OCKAM_STAT_DROP_AUTH]);
	EXPECT_EQ(0, info.stats.value[OCKAM_STAT_DROP_REPLAY]);
}

TEST_F(chan, listing_and_addresses)
{
	struct ockam_channel_info *list;
	struct ockam_address_info *addrs;
	struct sockaddr_ockam sa;
	socklen_t salen = sizeof(sa);
	size_t count, i;
	int seen = 0, fd;

	ASSERT_EQ(0, pair_up(self, "0#m => 0#y"));
	ASSERT_EQ(0, ockam_nl_channel_list(self->nl, &list, &count, NULL));
	ASSERT_EQ(2, count);
	for (i = 0; i < count; i++) {
		struct ockam_wire_route w;

		w.len = list[i].route_len;
		memcpy(w.bytes, list[i].route, w.len);
		if (!strcmp(list[i].encryptor, self->c1.encryptor)) {
			seen |= 1;
			EXPECT_STREQ("x", list[i].decryptor);
			EXPECT_STREQ(id_b, list[i].identifier);
			EXPECT_EQ(OCKAM_ROLE_INITIATOR, list[i].role);
			EXPECT_TRUE(route_is(&w, "0#m => 0#y"));
		} else if (!strcmp(list[i].encryptor, self->c2.encryptor)) {
			seen |= 2;
			EXPECT_STREQ("y", list[i].decryptor);
			EXPECT_STREQ(id_a, list[i].identifier);
			EXPECT_EQ(OCKAM_ROLE_RESPONDER, list[i].role);
			EXPECT_TRUE(route_is(&w, "0#x"));
		}
		EXPECT_EQ(0, list[i].tx_counter);
		EXPECT_EQ(0, list[i].tx_rekeys);
		EXPECT_EQ(0, list[i].rx_rekeys);
	}
	EXPECT_EQ(3, seen);
	ockam_channel_list_free(list, count);

	/* Four kernel endpoints; the sockets x and y are left unbound. */
	ASSERT_EQ(0, ockam_nl_address_list(self->nl, &addrs, &count, NULL));
	seen = 0;
	for (i = 0; i < count; i++) {
		if (!strcmp(addrs[i].address, self->c1.encryptor) &&
		    addrs[i].kind == OCKAM_KIND_ENCRYPTOR)
			seen |= 1;
		if (!strcmp(addrs[i].address, self->c2.encryptor) &&
		    addrs[i].kind == OCKAM_KIND_ENCRYPTOR)
			seen |= 2;
		if (!strcmp(addrs[i].address, "x") &&
		    addrs[i].kind == OCKAM_KIND_DECRYPTOR)
			seen |= 4;
		if (!strcmp(addrs[i].address, "y") &&
		    addrs[i].kind == OCKAM_KIND_DECRYPTOR)
			seen |= 8;
	}
	EXPECT_EQ(15, seen);
	EXPECT_EQ(7, count);	/* s, r, m and the four */
	free(addrs);
	ASSERT_EQ(0, getsockname(self->x, (struct sockaddr *)&sa, &salen));
	EXPECT_EQ(0, sa.som_route_len);
	/* The name belongs to the decryptor now. */
	fd = socket(ockam_family(), SOCK_DGRAM, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EADDRINUSE, ockam_bind(fd, "x"));
	close(fd);
}

TEST_F(chan, frame_format_on_the_wire)
{
	uint8_t frame[BUF_MAX], pt[BUF_MAX], want[BUF_MAX];
	size_t pt_len, want_len;
	ssize_t len;
	char ret[128];

	ASSERT_EQ(0, pair_up(self, "0#m => 0#y"));
	ASSERT_EQ(5, send_via_c1(self, "hello", 5));
	len = take_frame(self, frame);
	ASSERT_LT(0, len);
	/* The encryptor sends with an empty return route. */
	EXPECT_TRUE(route_is(&self->g.ret, ""));
	/* Counter 0 in the clear, then ChaCha20-Poly1305 under K1. */
	EXPECT_EQ(0, frame_counter(frame));
	ASSERT_EQ(0, frame_open(frame, len, self->k1, pt, &pt_len));
	/* The encryptor popped itself; s is on the return route. */
	want_len = plaintext(want, OCKAM_CHANNEL_MSG_PAYLOAD, "0#r", "0#s",
			     "hello", 5);
	ASSERT_EQ(want_len, pt_len);
	EXPECT_EQ(0, memcmp(want, pt, pt_len));
	EXPECT_EQ(want_len + FRAME_OVERHEAD, len);
	/* Not under K2, nor under K1 with the next counter's nonce. */
	EXPECT_NE(0, frame_open(frame, len, self->k2, pt, &pt_len));
	frame[7] = 1;
	EXPECT_NE(0, frame_open(frame, len, self->k1, pt, &pt_len));
	frame[7] = 0;

	ASSERT_LT(0, forward(self, frame, len));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "hello"));

	/* The second message has counter 1; replies have their own. */
	ASSERT_EQ(3, send_via_c1(self, "two", 3));
	len = take_frame(self, frame);
	ASSERT_LT(0, len);
	EXPECT_EQ(1, frame_counter(frame));
	ASSERT_EQ(0, frame_open(frame, len, self->k1, pt, &pt_len));
	ASSERT_LT(0, forward(self, frame, len));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "two"));
	ASSERT_EQ(5, send_to(self->r, rt(ret, sizeof(ret), "0#%s => 0#s",
					 self->c2.encryptor), "reply", 5));
	ASSERT_EQ(0, recv_got(self->s, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "reply"));
}

/*
 * The ratchet: frame c is sealed under k[c / 32] and nothing else, and the
 * dump counts the REKEYs done. Each side moves on as soon as a key's last
 * message is through, so after 32 * N messages both have done N.
 */
TEST_F(chan, keys_ratchet_every_32_messages)
{
	enum { ROUNDS = 3, COUNT = ROUNDS * REKEY_EVERY + 1 };
	uint8_t frame[BUF_MAX], pt[BUF_MAX], want[BUF_MAX], key[OCKAM_KEY_LEN];
	struct ockam_channel_info info;
	size_t pt_len, want_len;
	char payload[32];
	ssize_t len;
	int i, bad = 0;

	ASSERT_EQ(0, pair_up(self, "0#m => 0#y"));
	for (i = 0; i < COUNT; i++) {
		snprintf(payload, sizeof(payload), "message %d", i);
		ASSERT_EQ(strlen(payload), send_via_c1(self, payload,
						       strlen(payload)));
		len = take_frame(self, frame);
		ASSERT_LT(0, len);
		ASSERT_EQ(i, frame_counter(frame));
		/* Each frame under k[i / 32], and only under that key. */
		want_len = plaintext(want, OCKAM_CHANNEL_MSG_PAYLOAD, "0#r",
				     "0#s", payload, strlen(payload));
		if (frame_open(frame, len, self->k1, pt, &pt_len) ||
		    pt_len != want_len || memcmp(pt, want, pt_len))
			bad++;
		if (i >= REKEY_EVERY) {
			uint8_t n[NONCE_LEN];
			unsigned long long out_len;

			/* The previous epoch's key does not open it. */
			key_for(key, self->k1, i - REKEY_EVERY);
			nonce_for(n, i);
			if (!crypto_aead_chacha20poly1305_ietf_decrypt(pt,
					&out_len, NULL, frame + 8, len - 8,
					NULL, 0, n, key))
				bad++;
		}
		ASSERT_LT(0, forward(self, frame, len));
		ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
		ASSERT_TRUE(payload_is(&self->g, payload));

		/* Just before, at and just after each key's last message. */
		if ((i + 2) % REKEY_EVERY > 2)
			continue;
		ASSERT_EQ(0, channel_get(self->nl, self->c1.encryptor, &info));
		EXPECT_EQ(i + 1, info.tx_counter);
		EXPECT_EQ((i + 1) / REKEY_EVERY, info.tx_rekeys) {
			TH_LOG("after %d messages", i + 1);
		}
		ASSERT_EQ(0, channel_get(self->nl, self->c2.encryptor, &info));
		EXPECT_EQ(i, info.rx_counter);
		EXPECT_EQ((i + 1) / REKEY_EVERY, info.rx_rekeys) {
			TH_LOG("after %d messages", i + 1);
		}
	}
	EXPECT_EQ(0, bad);

	ASSERT_EQ(0, channel_get(self->nl, self->c1.encryptor, &info));
	EXPECT_EQ(ROUNDS, info.tx_rekeys);
	EXPECT_EQ(0, info.rx_rekeys);
	ASSERT_EQ(0, channel_get(self->nl, self->c2.encryptor, &info));
	EXPECT_EQ(ROUNDS, info.rx_rekeys);
	EXPECT_EQ(COUNT, info.stats.value[OCKAM_STAT_DECRYPTED]);
	/* The other direction has not moved. */
	EXPECT_EQ(0, info.tx_rekeys);
}

/*
 * The worked example of Documentation/wire-protocol.rst ("Data frames"),
 * byte for byte: this test's sealing agrees with it, and so does the
 * kernel, which takes the frame and delivers "hi" to echo.
 */
TEST_F(chan, wire_protocol_example)
{
	static const uint8_t k1_hex[] =
		"50835543a205b22c9323f2022bc4f67d838f90e61d5ccf33c4513e01f85b5042";
	static const uint8_t body[] = {
		0x00, 0x01, 0x01, 0x00, 0x04, 'e', 'c', 'h', 'o', 0x00, 0x02,
		'h', 'i',
	};
	static const uint8_t want[] = {
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21,
		0x86, 0x8e, 0x69, 0xf2, 0xec, 0x49, 0xbd, 0xce, 0x0e, 0xc5,
		0xd3, 0x75, 0x3e,
		0x7c, 0x58, 0xb1, 0x55, 0x59, 0x4b, 0xdc, 0xd4, 0xe6, 0xe1,
		0xdc, 0x0b, 0x7e, 0xf7, 0xb1, 0x8f,
	};
	uint8_t k0[OCKAM_KEY_LEN], k1[OCKAM_KEY_LEN], want_k1[OCKAM_KEY_LEN];
	uint8_t frame[BUF_MAX];
	int echo = sock_bound("echo"), i;
	size_t len;

	ASSERT_LE(0, echo);
	ASSERT_EQ(0, set_rcvtimeo(echo, 2000));
	ASSERT_EQ(0, sodium_hex2bin(want_k1, sizeof(want_k1),
				    (const char *)k1_hex, 64, NULL, NULL,
				    NULL));
	for (i = 0; i < OCKAM_KEY_LEN; i++)
		k0[i] = i;
	key_for(k1, k0, 33);
	EXPECT_EQ(0, memcmp(k1, want_k1, sizeof(k1)));
	len = frame_seal(frame, k1, 33, body, sizeof(body));
	ASSERT_EQ(sizeof(want), len);
	EXPECT_EQ(0, memcmp(frame, want, len));

	/* Channel 2 receiving with k[0] = 00 01 .. 1f. */
	memcpy(self->k1, k0, sizeof(k0));
	ASSERT_EQ(0, pair_up(self, "0#m => 0#y"));
	ASSERT_EQ(sizeof(want), forward(self, want, sizeof(want)));
	ASSERT_EQ(0, recv_got(echo, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "hi"));
	/* Its return route: channel 2's encryptor, pushed by the decryptor. */
	EXPECT_TRUE(route_is(&self->g.ret, rt(self->route, sizeof(self->route),
		"0#%s", self->c2.encryptor)));
	close(echo);
}

/* Flip each bit of a frame in turn: every copy is refused and counted. */
TEST_F(chan, every_bit_flip_is_rejected)
{
	uint8_t frame[BUF_MAX], copy[BUF_MAX];
	uint64_t before, auth_before;
	ssize_t len;
	size_t bit, ct_end;
	int leaked = 0;

	ASSERT_EQ(0, pair_up(self, "0#m => 0#y"));
	ASSERT_EQ(5, send_via_c1(self, "hello", 5));
	len = take_frame(self, frame);
	ASSERT_LT(FRAME_OVERHEAD, len);
	ct_end = len - OCKAM_TAG_LEN;

	for (bit = 0; bit < (size_t)len * 8; bit++) {
		/* Region by region: counter, ciphertext, tag. */
		if (bit == 0 || bit == OCKAM_COUNTER_LEN * 8 ||
		    bit == ct_end * 8) {
			before = chan_refused(self->nl, self->c2.encryptor);
			auth_before = chan_stat(self->nl, self->c2.encryptor,
						OCKAM_STAT_DROP_AUTH);
		}
		memcpy(copy, frame, len);
		copy[bit / 8] ^= 0x80 >> (bit % 8);
		ASSERT_TRUE(forward_refused(self, copy, len));
		if (!queue_empty(self->r))
			leaked++;
		if (bit + 1 == OCKAM_COUNTER_LEN * 8)
			/* A changed counter is a different nonce (or out
			 * of the window): refused either way.
			 */
			EXPECT_EQ(before + 64, wait_refused(self->nl,
						self->c2.encryptor,
						before + 64));
		if (bit + 1 == ct_end * 8)
			EXPECT_EQ(auth_before + (ct_end - 8) * 8,
				  wait_stat(self->nl, self->c2.encryptor,
					    OCKAM_STAT_DROP_AUTH,
					    auth_before + (ct_end - 8) * 8));
		if (bit + 1 == (size_t)len * 8)
			EXPECT_EQ(auth_before + OCKAM_TAG_LEN * 8,
				  wait_stat(self->nl, self->c2.encryptor,
					    OCKAM_STAT_DROP_AUTH,
					    auth_before + OCKAM_TAG_LEN * 8));
	}
	EXPECT_EQ(0, leaked);
	EXPECT_TRUE(queue_empty(self->r));
	EXPECT_EQ(0, chan_stat(self->nl, self->c2.encryptor,
			       OCKAM_STAT_DECRYPTED));
	EXPECT_EQ((uint64_t)len * 8, chan_refused(self->nl, self->c2.encryptor));

	/* None of them moved the window: the real frame still gets in. */
	ASSERT_EQ(len, forward(self, frame, len));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "hello"));
	EXPECT_TRUE(queue_empty(self->r));
}

/* Frames cut short or with bytes added are refused too. */
TEST_F(chan, truncated_and_extended_frames)
{
	uint8_t frame[BUF_MAX], copy[BUF_MAX + 1];
	struct ockam_channel_info before, after;
	uint64_t dropped;
	ssize_t len, cut;

	ASSERT_EQ(0, pair_up(self, "0#m => 0#y"));
	ASSERT_EQ(5, send_via_c1(self, "hello", 5));
	len = take_frame(self, frame);
	ASSERT_LT(FRAME_OVERHEAD, len);
	ASSERT_EQ(0, channel_get(self->nl, self->c2.encryptor, &before));
	for (cut = 0; cut < len; cut++)
		ASSERT_TRUE(forward_refused(self, frame, cut));
	memcpy(copy, frame, len);
	copy[len] = 0;
	ASSERT_TRUE(forward_refused(self, copy, len + 1));
	WAIT_FOR(!channel_get(self->nl, self->c2.encryptor, &after) &&
		 after.stats.value[OCKAM_STAT_DROP_AUTH] +
		 after.stats.value[OCKAM_STAT_DROP_BAD_FRAME] -
		 before.stats.value[OCKAM_STAT_DROP_AUTH] -
		 before.stats.value[OCKAM_STAT_DROP_BAD_FRAME] ==
		 (uint64_t)len + 1, 2000);
	/* Shorter than counter, type and tag: malformed; else the tag. */
	dropped = after.stats.value[OCKAM_STAT_DROP_BAD_FRAME] -
		  before.stats.value[OCKAM_STAT_DROP_BAD_FRAME];
	EXPECT_EQ(FRAME_MIN, dropped);
	EXPECT_EQ(len + 1 - FRAME_MIN,
		  after.stats.value[OCKAM_STAT_DROP_AUTH] -
		  before.stats.value[OCKAM_STAT_DROP_AUTH]);
	EXPECT_TRUE(queue_empty(self->r));

	ASSERT_EQ(len, forward(self, frame, len));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "hello"));
}

TEST_F(chan, replayed_frames_are_rejected)
{
	uint8_t frames[3][BUF_MAX];
	ssize_t len[3];
	int i;

	ASSERT_EQ(0, pair_up(self, "0#m => 0#y"));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, send_via_c1(self, &"abc"[i], 1));
		len[i] = take_frame(self, frames[i]);
		ASSERT_LT(0, len[i]);
	}
	ASSERT_EQ(len[0], forward(self, frames[0], len[0]));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "a"));
	/* At once ... */
	ASSERT_TRUE(forward_refused(self, frames[0], len[0]));
	EXPECT_EQ(1, wait_stat(self->nl, self->c2.encryptor,
			       OCKAM_STAT_DROP_REPLAY, 1));
	EXPECT_TRUE(queue_empty(self->r));
	/* ... after newer frames, and the newest one too. */
	ASSERT_EQ(len[2], forward(self, frames[2], len[2]));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "c"));
	ASSERT_TRUE(forward_refused(self, frames[0], len[0]));
	ASSERT_TRUE(forward_refused(self, frames[2], len[2]));
	EXPECT_EQ(3, wait_stat(self->nl, self->c2.encryptor,
			       OCKAM_STAT_DROP_REPLAY, 3));
	EXPECT_TRUE(queue_empty(self->r));
	/* The one skipped is still welcome, once. */
	ASSERT_EQ(len[1], forward(self, frames[1], len[1]));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "b"));
	ASSERT_TRUE(forward_refused(self, frames[1], len[1]));
	EXPECT_EQ(4, wait_stat(self->nl, self->c2.encryptor,
			       OCKAM_STAT_DROP_REPLAY, 4));
	EXPECT_EQ(0, chan_stat(self->nl, self->c2.encryptor,
			       OCKAM_STAT_DROP_AUTH));
	EXPECT_EQ(3, chan_stat(self->nl, self->c2.encryptor,
			       OCKAM_STAT_DECRYPTED));
	EXPECT_TRUE(queue_empty(self->r));
}

/* 80 frames, across three keys, delivered last first: all accepted. */
TEST_F(chan, reordering_within_the_window)
{
	enum { COUNT = 80 };
	static uint8_t frames[COUNT][256];
	ssize_t len[COUNT];
	char payload[16];
	int i;

	ASSERT_EQ(0, pair_up(self, "0#m => 0#y"));
	for (i = 0; i < COUNT; i++) {
		snprintf(payload, sizeof(payload), "m%d", i);
		ASSERT_EQ(strlen(payload), send_via_c1(self, payload,
						       strlen(payload)));
		len[i] = take_frame(self, frames[i]);
		ASSERT_LT(0, len[i]);
		ASSERT_GT(sizeof(frames[i]), (size_t)len[i]);
	}
	for (i = COUNT - 1; i >= 0; i--) {
		ASSERT_EQ(len[i], forward(self, frames[i], len[i]));
		snprintf(payload, sizeof(payload), "m%d", i);
		ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
		ASSERT_TRUE(payload_is(&self->g, payload));
	}
	EXPECT_EQ(0, chan_refused(self->nl, self->c2.encryptor));
	EXPECT_EQ(COUNT, chan_stat(self->nl, self->c2.encryptor,
				   OCKAM_STAT_DECRYPTED));
	/* Swapped pairs, the way a network reorders. */
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(1, send_via_c1(self, "p", 1));
		len[i] = take_frame(self, frames[i]);
		ASSERT_LT(0, len[i]);
	}
	for (i = 0; i < 10; i += 2) {
		ASSERT_EQ(len[i + 1], forward(self, frames[i + 1], len[i + 1]));
		ASSERT_EQ(len[i], forward(self, frames[i], len[i]));
	}
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, recv_got(self->r, &self->g, MSG_DONTWAIT));
	EXPECT_EQ(0, chan_refused(self->nl, self->c2.encryptor));
}

/*
 * The window's edges, with frames the test encrypts itself. With h the
 * highest counter accepted (-1 before the first), c may pass when
 * h - 1023 <= c <= h + 1024 (W = 1024) and was not accepted before.
 * Further ahead: the next test.
 */
TEST_F(chan, replay_window_edges)
{
	struct ockam_channel_info info;
	uint8_t frame[BUF_MAX];
	uint64_t replay = 0;
	ssize_t len;
	struct {
		uint64_t counter;
		bool accepted;
	} steps[] = {
		{ W - 1, true },	/* highest W - 1 */
		{ 2 * W - 1, true },	/* W ahead; highest 2W - 1 */
		{ W - 1, false },	/* seen, and W behind */
		{ W - 2, false },	/* W + 1 behind */
		{ W, true },		/* W - 1 behind, never seen */
		{ W, false },		/* now seen */
		{ 3 * W - 1, true },	/* highest 3W - 1 */
		{ 2 * W - 1, false },	/* exactly W behind */
		{ 2 * W, true },	/* W - 1 behind */
		{ 3 * W - 2, true },	/* just behind the highest */
		{ 3 * W - 1, false },	/* the highest again */
	};
	char payload[32];
	unsigned int i;

	ASSERT_EQ(0, pair_up(self, "0#m => 0#y"));
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		snprintf(payload, sizeof(payload), "step %u counter %llu", i,
			 (unsigned long long)steps[i].counter);
		if (steps[i].accepted) {
			ASSERT_LT(0, forge(self, steps[i].counter, payload));
			ASSERT_EQ(0, recv_got(self->r, &self->g, 0)) {
				TH_LOG("%s: not delivered", payload);
			}
			EXPECT_TRUE(payload_is(&self->g, payload));
		} else {
			ASSERT_TRUE(forge_refused(self, steps[i].counter,
						  payload));
			replay++;
			EXPECT_EQ(replay, wait_stat(self->nl,
						    self->c2.encryptor,
						    OCKAM_STAT_DROP_REPLAY,
						    replay)) {
				TH_LOG("%s: not refused", payload);
			}
			EXPECT_TRUE(queue_empty(self->r));
		}
	}
	ASSERT_EQ(0, channel_get(self->nl, self->c2.encryptor, &info));
	EXPECT_EQ(3 * W - 1, info.rx_counter);
	/* The receiving side ratcheted past the highest counter's key (the
	 * last of its 32).
	 */
	EXPECT_EQ(3 * W / REKEY_EVERY, info.rx_rekeys);
	EXPECT_EQ(0, info.stats.value[OCKAM_STAT_DROP_AUTH]);

	/* Channel 1's own first frame is now far behind: refused. */
	ASSERT_EQ(1, send_via_c1(self, "z", 1));
	len = take_frame(self, frame);
	ASSERT_LT(0, len);
	ASSERT_TRUE(forward_refused(self, frame, len));
	EXPECT_EQ(replay + 1, wait_stat(self->nl, self->c2.encryptor,
					OCKAM_STAT_DROP_REPLAY, replay + 1));
	EXPECT_TRUE(queue_empty(self->r));
}

/*
 * A frame further ahead than the window, which verifies, restarts the
 * window there: more than a window of frames in a row was lost, and
 * refusing it would refuse every frame after it too. One such frame a
 * second may be checked, forged or not, and none more than 2^15 ahead.
 */
TEST_F(chan, frame_further_ahead_restarts_the_window)
{
	uint8_t pt[BUF_MAX], frame[BUF_MAX], key[OCKAM_KEY_LEN];
	struct ockam_channel_info info;
	uint64_t replay = 0;
	size_t len;

	ASSERT_EQ(0, pair_up(self, "0#m => 0#y"));
	ASSERT_LT(0, forge(self, 0, "first"));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	/* A burst of 5000 lost: the next frame restarts the window. */
	ASSERT_LT(0, forge(self, 5001, "after the burst"));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "after the burst"));
	/* Another leap within the second is not checked. */
	ASSERT_TRUE(forge_refused(self, 5001 + 2 * W, "too soon"));
	EXPECT_EQ(++replay, wait_stat(self->nl, self->c2.encryptor,
				      OCKAM_STAT_DROP_REPLAY, replay));
	/* The window is at 5001 now: behind it is gone, inside it is fine. */
	ASSERT_TRUE(forge_refused(self, 5001 - W, "behind"));
	EXPECT_EQ(++replay, wait_stat(self->nl, self->c2.encryptor,
				      OCKAM_STAT_DROP_REPLAY, replay));
	ASSERT_LT(0, forge(self, 5000, "reordered"));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	ASSERT_LT(0, forge(self, 5002, "in order"));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));

	/* A forgery far ahead spends the second's check and moves nothing. */
	usleep(1100 * 1000);
	len = plaintext(pt, OCKAM_CHANNEL_MSG_PAYLOAD, "0#r", "", "forged", 6);
	key_for(key, self->k1, 5002 + 2 * W + REKEY_EVERY);
	len = frame_seal(frame, key, 5002 + 2 * W, pt, len);
	ASSERT_TRUE(forward_refused(self, frame, len));
	EXPECT_EQ(1, wait_stat(self->nl, self->c2.encryptor,
			       OCKAM_STAT_DROP_AUTH, 1));
	ASSERT_TRUE(forge_refused(self, 5002 + 3 * W, "after a forgery"));
	EXPECT_EQ(++replay, wait_stat(self->nl, self->c2.encryptor,
				      OCKAM_STAT_DROP_REPLAY, replay));
	ASSERT_LT(0, forge(self, 5003, "still in order"));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));

	/* Never further than 2^15 ahead, however long it waits. */
	usleep(1100 * 1000);
	ASSERT_TRUE(forge_refused(self, 5004 + (1 << 15), "too far"));
	EXPECT_EQ(++replay, wait_stat(self->nl, self->c2.encryptor,
				      OCKAM_STAT_DROP_REPLAY, replay));
	ASSERT_LT(0, forge(self, 5003 + (1 << 15) - 1, "just far enough"));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "just far enough"));
	ASSERT_EQ(0, channel_get(self->nl, self->c2.encryptor, &info));
	EXPECT_EQ(5003 + (1 << 15) - 1, info.rx_counter);
	EXPECT_TRUE(queue_empty(self->r));
	sodium_memzero(key, sizeof(key));
}

/* A frame under the wrong epoch's key is a forgery, whatever its counter. */
TEST_F(chan, wrong_epoch_key_is_rejected)
{
	uint8_t pt[BUF_MAX], frame[BUF_MAX], key[OCKAM_KEY_LEN];
	size_t len;

	ASSERT_EQ(0, pair_up(self, "0#m => 0#y"));
	len = plaintext(pt, OCKAM_CHANNEL_MSG_PAYLOAD, "0#r", "", "old", 3);
	/* Counter 40 is in epoch 1; k0 is wrong for it. */
	len = frame_seal(frame, self->k1, 40, pt, len);
	ASSERT_TRUE(forward_refused(self, frame, len));
	EXPECT_EQ(1, wait_stat(self->nl, self->c2.encryptor,
			       OCKAM_STAT_DROP_AUTH, 1));
	EXPECT_TRUE(queue_empty(self->r));
	/* k2 (the other direction's key) is wrong too. */
	len = plaintext(pt, OCKAM_CHANNEL_MSG_PAYLOAD, "0#r", "", "dir", 3);
	len = frame_seal(frame, self->k2, 3, pt, len);
	ASSERT_TRUE(forward_refused(self, frame, len));
	EXPECT_EQ(2, wait_stat(self->nl, self->c2.encryptor,
			       OCKAM_STAT_DROP_AUTH, 2));
	/* k1 ratcheted once is right for 40. */
	len = plaintext(pt, OCKAM_CHANNEL_MSG_PAYLOAD, "0#r", "", "new", 3);
	key_for(key, self->k1, 40);
	len = frame_seal(frame, key, 40, pt, len);
	ASSERT_EQ(len, forward(self, frame, len));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "new"));
	EXPECT_TRUE(queue_empty(self->r));
}

/*
 * Authentic frames with bad contents: an unknown type or a body that is
 * not a message is dropped (and counted), and the channel carries on.
 */
TEST_F(chan, authentic_garbage_is_dropped)
{
	uint8_t pt[BUF_MAX], frame[BUF_MAX], key[OCKAM_KEY_LEN];
	uint64_t bad_before;
	size_t len;

	ASSERT_EQ(0, pair_up(self, "0#m => 0#y"));
	bad_before = chan_stat(self->nl, self->c2.encryptor,
			       OCKAM_STAT_DROP_BAD_FRAME);
	key_for(key, self->k1, 0);
	/* Type 7 does not exist. */
	len = plaintext(pt, OCKAM_CHANNEL_MSG_PAYLOAD, "0#r", "", "t7", 2);
	pt[0] = 7;
	len = frame_seal(frame, key, 0, pt, len);
	ASSERT_TRUE(forward_refused(self, frame, len));
	/* A payload whose message is cut short. */
	len = plaintext(pt, OCKAM_CHANNEL_MSG_PAYLOAD, "0#r", "", "cut", 3);
	len = frame_seal(frame, key, 1, pt, len - 2);
	ASSERT_TRUE(forward_refused(self, frame, len));
	/* A payload with a message and a byte more. */
	len = plaintext(pt, OCKAM_CHANNEL_MSG_PAYLOAD, "0#r", "", "more", 4);
	len = frame_seal(frame, key, 2, pt, len + 1);
	ASSERT_TRUE(forward_refused(self, frame, len));
	/* A CLOSE with a body. */
	pt[0] = OCKAM_CHANNEL_MSG_CLOSE;
	len = frame_seal(frame, key, 3, pt, 2);
	ASSERT_TRUE(forward_refused(self, frame, len));
	/* An empty plaintext: no type at all. */
	len = frame_seal(frame, key, 4, pt, 0);
	ASSERT_TRUE(forward_refused(self, frame, len));
	EXPECT_EQ(bad_before + 5, wait_stat(self->nl, self->c2.encryptor,
					    OCKAM_STAT_DROP_BAD_FRAME,
					    bad_before + 5));
	EXPECT_TRUE(queue_empty(self->r));
	EXPECT_EQ(2, channel_count(self->nl));
	ASSERT_LT(0, forge(self, 5, "still here"));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "still here"));
}

TEST_F(chan, delete_closes_both_ends)
{
	struct ockam_address_info *addrs;
	struct ockam_events *events;
	struct closed closed = { 0 };
	size_t count, i;

	ASSERT_EQ(0, ockam_events_open(&events, NULL));
	ASSERT_EQ(0, pair_up(self, "0#y"));
	ASSERT_EQ(0, ockam_nl_channel_del(self->nl, self->c1.encryptor, NULL));
	/* The close message reached channel 2, which closed too. */
	EXPECT_EQ(2, wait_closed(events, &closed, 2, 2000));
	EXPECT_EQ(OCKAM_CLOSE_DELETED,
		  closed_reason(&closed, self->c1.encryptor));
	EXPECT_EQ(OCKAM_CLOSE_PEER, closed_reason(&closed, self->c2.encryptor));
	EXPECT_EQ(0, channel_count(self->nl));
	ockam_events_close(events);

	/* No address of either channel is left. */
	ASSERT_EQ(0, ockam_nl_address_list(self->nl, &addrs, &count, NULL));
	EXPECT_EQ(3, count);
	for (i = 0; i < count; i++)
		EXPECT_EQ(OCKAM_KIND_SOCKET, addrs[i].kind);
	free(addrs);
	EXPECT_EQ(-1, send_via_c1(self, "x", 1));
	EXPECT_EQ(EHOSTUNREACH, errno);
	EXPECT_EQ(-1, send_to(self->s, "0#y", "x", 1));
	EXPECT_EQ(EHOSTUNREACH, errno);
	EXPECT_EQ(-ENOENT, ockam_nl_channel_del(self->nl, self->c1.encryptor,
						NULL));
	EXPECT_EQ(-ENOENT, ockam_nl_channel_del(self->nl, self->c2.encryptor,
						NULL));
	/* The names are free again. */
	close(self->x);
	self->x = sock_bound("x");
	EXPECT_LE(0, self->x);
}

/* Deleting by a name that is not an encryptor changes nothing. */
TEST_F(chan, delete_needs_an_encryptor)
{
	ASSERT_EQ(0, pair_up(self, "0#y"));
	EXPECT_EQ(-ENOENT, ockam_nl_channel_del(self->nl, "s", NULL));
	EXPECT_EQ(-ENOENT, ockam_nl_channel_del(self->nl, "x", NULL));
	EXPECT_EQ(-ENOENT, ockam_nl_channel_del(self->nl, "nobody", NULL));
	EXPECT_EQ(2, channel_count(self->nl));
}

/* The close message is authenticated like any frame. */
TEST_F(chan, close_message_is_authenticated)
{
	uint8_t frame[BUF_MAX], pt[BUF_MAX], copy[BUF_MAX];
	struct ockam_events *events;
	struct closed closed = { 0 };
	size_t pt_len;
	ssize_t len;
	size_t bit;

	ASSERT_EQ(0, ockam_events_open(&events, NULL));
	ASSERT_EQ(0, pair_up(self, "0#m => 0#y"));
	ASSERT_EQ(1, send_via_c1(self, "a", 1));
	ASSERT_LT(0, take_frame(self, frame));
	ASSERT_EQ(0, ockam_nl_channel_del(self->nl, self->c1.encryptor, NULL));
	len = take_frame(self, frame);
	ASSERT_LT(0, len);
	EXPECT_EQ(1, frame_counter(frame));
	ASSERT_EQ(0, frame_open(frame, len, self->k1, pt, &pt_len));
	ASSERT_EQ(1, pt_len);
	EXPECT_EQ(OCKAM_CHANNEL_MSG_CLOSE, pt[0]);

	/* A flipped bit anywhere: channel 2 stays. */
	for (bit = 0; bit < (size_t)len * 8; bit += 7) {
		memcpy(copy, frame, len);
		copy[bit / 8] ^= 1 << (bit % 8);
		ASSERT_TRUE(forward_refused(self, copy, len));
	}
	EXPECT_EQ((uint64_t)(len * 8 + 6) / 7,
		  wait_refused(self->nl, self->c2.encryptor,
			       (len * 8 + 6) / 7));
	EXPECT_EQ(1, channel_count(self->nl));
	EXPECT_EQ(1, wait_closed(events, &closed, 1, 200));

	/* The real one closes it. */
	ASSERT_EQ(len, forward(self, frame, len));
	EXPECT_EQ(2, wait_closed(events, &closed, 2, 2000));
	EXPECT_EQ(OCKAM_CLOSE_PEER, closed_reason(&closed, self->c2.encryptor));
	EXPECT_EQ(0, channel_count(self->nl));
	ockam_events_close(events);
}

/*
 * What the peer sent right after the handshake, before this end's keys
 * were in, waits on the handshake socket and passes to the decryptor.
 */
TEST_F(chan, queued_messages_pass_to_the_decryptor)
{
	char ret[128];
	int i;

	/* Channel 2 first: its frames to x queue on the socket. */
	ASSERT_EQ(0, channel_add(self->nl, self->y, self->k2, self->k1,
				 "0#x", id_a, OCKAM_ROLE_RESPONDER, &self->c2,
				 NULL));
	rt(ret, sizeof(ret), "0#%s => 0#s", self->c2.encryptor);
	ASSERT_EQ(6, send_to(self->r, ret, "early1", 6));
	ASSERT_EQ(6, send_to(self->r, ret, "early2", 6));
	/* And something that is not a frame at all. */
	ASSERT_EQ(7, send_to(self->r, "0#x", "garbage", 7));
	ASSERT_EQ(6, send_to(self->r, ret, "early3", 6));
	ASSERT_EQ(0, wait_sent(self->r));
	ASSERT_FALSE(queue_empty(self->x));

	ASSERT_EQ(0, channel_add(self->nl, self->x, self->k1, self->k2,
				 "0#y", id_b, OCKAM_ROLE_INITIATOR, &self->c1,
				 NULL));
	for (i = 1; i <= 3; i++) {
		char want[8];

		snprintf(want, sizeof(want), "early%d", i);
		ASSERT_EQ(0, recv_got(self->s, &self->g, 0));
		EXPECT_TRUE(payload_is(&self->g, want));
		EXPECT_STREQ(id_b, self->g.identity);
	}
	EXPECT_TRUE(queue_empty(self->s));
	EXPECT_EQ(1, chan_stat(self->nl, self->c1.encryptor,
			       OCKAM_STAT_DROP_BAD_FRAME) +
		     chan_stat(self->nl, self->c1.encryptor,
			       OCKAM_STAT_DROP_AUTH));
	EXPECT_EQ(3, chan_stat(self->nl, self->c1.encryptor,
			       OCKAM_STAT_DECRYPTED));
	/* Closing the old socket does not touch the channel. */
	close(self->x);
	self->x = -1;
	ASSERT_EQ(5, send_to(self->r, ret, "later", 5));
	ASSERT_EQ(0, recv_got(self->s, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "later"));
}

/*
 * A channel lives as long as the netlink socket that added it, and tells
 * its peer when it goes: here the peer is owned by another socket.
 */
TEST_F(chan, channels_close_with_their_netlink_socket)
{
	struct ockam_channel_info c3, c4;
	struct ockam_events *events;
	struct closed closed = { 0 };
	struct ockam_nl *owner;
	int z = sock_bound("z"), zz = sock_bound("zz");

	ASSERT_LE(0, z);
	ASSERT_LE(0, zz);
	ASSERT_EQ(0, ockam_events_open(&events, NULL));
	ASSERT_EQ(0, pair_up(self, "0#y"));
	ASSERT_EQ(0, ockam_nl_open(&owner, NULL));
	ASSERT_EQ(0, channel_add(self->nl, zz, self->k2, self->k1, "0#z",
				 id_a, OCKAM_ROLE_RESPONDER, &c4, NULL));
	ASSERT_EQ(0, channel_add(owner, z, self->k1, self->k2, "0#zz", id_b,
				 OCKAM_ROLE_INITIATOR, &c3, NULL));
	EXPECT_EQ(4, channel_count(self->nl));
	ockam_nl_close(owner);
	EXPECT_EQ(1, wait_closed(events, &closed, 1, 2000));
	EXPECT_EQ(OCKAM_CLOSE_OWNER_GONE, closed_reason(&closed, c3.encryptor));
	/*
	 * No goodbye: a daemon that went without closing its channels
	 * crashed, and its peers wait to recover theirs.
	 */
	EXPECT_EQ(1, wait_closed(events, &closed, 2, 500));
	EXPECT_EQ(-1, closed_reason(&closed, c4.encryptor));
	EXPECT_EQ(3, channel_count(self->nl));
	/* Others' channels are untouched. */
	ASSERT_EQ(2, send_via_c1(self, "ok", 2));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "ok"));
	ockam_events_close(events);
	close(z);
	close(zz);
}

/* Many channels on one node, each with its own keys, all working. */
TEST_F(chan, many_channels)
{
	enum { PAIRS = 64 };
	static struct ockam_channel_info a[PAIRS], b[PAIRS];
	uint8_t ka[PAIRS][OCKAM_KEY_LEN], kb[PAIRS][OCKAM_KEY_LEN];
	int fa[PAIRS], fb[PAIRS], i;
	char name[32], peer[32], route[128], payload[32];

	for (i = 0; i < PAIRS; i++) {
		randombytes_buf(ka[i], OCKAM_KEY_LEN);
		randombytes_buf(kb[i], OCKAM_KEY_LEN);
		snprintf(name, sizeof(name), "a%d", i);
		fa[i] = sock_bound(name);
		snprintf(name, sizeof(name), "b%d", i);
		fb[i] = sock_bound(name);
		ASSERT_LE(0, fa[i]);
		ASSERT_LE(0, fb[i]);
		snprintf(peer, sizeof(peer), "0#a%d", i);
		ASSERT_EQ(0, channel_add(self->nl, fb[i], kb[i], ka[i], peer,
					 id_a, OCKAM_ROLE_RESPONDER, &b[i],
					 NULL));
		snprintf(peer, sizeof(peer), "0#b%d", i);
		ASSERT_EQ(0, channel_add(self->nl, fa[i], ka[i], kb[i], peer,
					 id_b, OCKAM_ROLE_INITIATOR, &a[i],
					 NULL));
	}
	EXPECT_EQ(2 * PAIRS, channel_count(self->nl));
	for (i = 0; i < PAIRS; i++) {
		snprintf(payload, sizeof(payload), "to pair %d", i);
		rt(route, sizeof(route), "0#%s => 0#r", a[i].encryptor);
		ASSERT_EQ(strlen(payload), send_to(self->s, route, payload,
						   strlen(payload)));
		ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
		EXPECT_TRUE(payload_is(&self->g, payload));
		rt(route, sizeof(route), "0#%s => 0#s", b[i].encryptor);
		EXPECT_TRUE(route_is(&self->g.ret, route));
	}
	for (i = 0; i < PAIRS; i++) {
		close(fa[i]);
		close(fb[i]);
	}
	/* Keys are per channel: a frame of one pair means nothing to another. */
	for (i = 0; i < PAIRS; i++)
		EXPECT_EQ(0, chan_refused(self->nl, b[i].encryptor));
}

TEST_F(chan, large_messages)
{
	size_t big = 512 * 1024, i;
	char *out = malloc(big), *in = malloc(big + 1);
	int size = 4 << 20;

	ASSERT_TRUE(out && in);
	for (i = 0; i < big; i++)
		out[i] = i * 13 + (i >> 9);
	ASSERT_EQ(0, pair_up(self, "0#y"));
	ASSERT_EQ(0, setsockopt(self->r, SOL_SOCKET, SO_RCVBUFFORCE, &size,
				sizeof(size)));
	ASSERT_EQ(big, send_via_c1(self, out, big));
	ASSERT_EQ(big, recv(self->r, in, big + 1, 0));
	EXPECT_EQ(0, memcmp(in, out, big));
	/* Every size across a few skb boundaries. */
	for (i = 4000; i < 4200; i += 7) {
		ASSERT_EQ(i, send_via_c1(self, out + i, i));
		ASSERT_EQ(i, recv(self->r, in, big + 1, 0));
		ASSERT_EQ(0, memcmp(in, out + i, i));
	}
	ASSERT_EQ(0, send_via_c1(self, "", 0));
	ASSERT_EQ(0, recv(self->r, in, big + 1, 0));
	free(out);
	free(in);
}

/*
 * A channel inside a channel: pair B's frames travel through pair A. The
 * receiver learns the identity of the innermost channel's peer, and the
 * reply goes back through both.
 */
TEST_F(chan, channel_inside_a_channel)
{
	char id_c[OCKAM_IDENTIFIER_LEN + 1], id_d[OCKAM_IDENTIFIER_LEN + 1];
	struct ockam_channel_info b1, b2, info;
	uint8_t k3[OCKAM_KEY_LEN], k4[OCKAM_KEY_LEN];
	int x2 = sock_bound("x2"), y2 = sock_bound("y2");
	char route[256], want[256];

	ASSERT_LE(0, x2);
	ASSERT_LE(0, y2);
	make_identifier(id_c, 3);
	make_identifier(id_d, 4);
	randombytes_buf(k3, sizeof(k3));
	randombytes_buf(k4, sizeof(k4));
	ASSERT_EQ(0, pair_up(self, "0#y"));
	ASSERT_EQ(0, channel_add(self->nl, y2, k4, k3,
				 rt(route, sizeof(route), "0#%s => 0#x2",
				    self->c2.encryptor),
				 id_c, OCKAM_ROLE_RESPONDER, &b2, NULL));
	ASSERT_EQ(0, channel_add(self->nl, x2, k3, k4,
				 rt(route, sizeof(route), "0#%s => 0#y2",
				    self->c1.encryptor),
				 id_d, OCKAM_ROLE_INITIATOR, &b1, NULL));

	ASSERT_EQ(6, send_to(self->s, rt(route, sizeof(route), "0#%s => 0#r",
					 b1.encryptor), "nested", 6));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "nested"));
	EXPECT_STREQ(id_c, self->g.identity);
	rt(want, sizeof(want), "0#%s => 0#s", b2.encryptor);
	EXPECT_TRUE(route_is(&self->g.ret, want));

	ASSERT_EQ(5, send_to(self->r, want, "reply", 5));
	ASSERT_EQ(0, recv_got(self->s, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "reply"));
	EXPECT_STREQ(id_d, self->g.identity);

	/* Both directions of both pairs carried the message once. */
	ASSERT_EQ(0, channel_get(self->nl, self->c1.encryptor, &info));
	EXPECT_EQ(1, info.stats.value[OCKAM_STAT_ENCRYPTED]);
	EXPECT_EQ(1, info.stats.value[OCKAM_STAT_DECRYPTED]);
	ASSERT_EQ(0, channel_get(self->nl, b1.encryptor, &info));
	EXPECT_EQ(1, info.stats.value[OCKAM_STAT_ENCRYPTED]);
	EXPECT_EQ(1, info.stats.value[OCKAM_STAT_DECRYPTED]);
	/* The outer channel only ever saw the inner one's frames. */
	ASSERT_EQ(0, channel_get(self->nl, self->c2.encryptor, &info));
	EXPECT_LT(FRAME_MIN + 6, info.stats.value[OCKAM_STAT_DECRYPTED_BYTES]);
	close(x2);
	close(y2);
}

struct hammer {
	int fd;
	const char *route;
	long sent;
	int err;		/* the errno that ended the loop */
};

static void *hammer_send(void *arg)
{
	struct hammer *h = arg;

	for (h->sent = 0; h->sent < 1000000; h->sent++) {
		if (send_to(h->fd, h->route, "load", 4) < 0) {
			h->err = errno;
			break;
		}
	}
	return NULL;
}

/* Closing channels under load: senders see the address go, nothing else. */
TEST_F_TIMEOUT(chan, delete_while_sending, 60)
{
	struct ockam_events *events;
	struct closed closed = { 0 };
	struct hammer a, b;
	pthread_t ta, tb;
	char route1[128], route2[128];
	int size = 1 << 16;

	ASSERT_EQ(0, ockam_events_open(&events, NULL));
	ASSERT_EQ(0, pair_up(self, "0#y"));
	/* A small receiver: most messages are dropped there, as they may. */
	ASSERT_EQ(0, setsockopt(self->r, SOL_SOCKET, SO_RCVBUF, &size,
				sizeof(size)));
	ASSERT_EQ(0, setsockopt(self->s, SOL_SOCKET, SO_RCVBUF, &size,
				sizeof(size)));
	rt(route1, sizeof(route1), "0#%s => 0#r", self->c1.encryptor);
	rt(route2, sizeof(route2), "0#%s => 0#s", self->c2.encryptor);
	a = (struct hammer){ .fd = self->s, .route = route1 };
	b = (struct hammer){ .fd = self->r, .route = route2 };
	ASSERT_EQ(0, pthread_create(&ta, NULL, hammer_send, &a));
	ASSERT_EQ(0, pthread_create(&tb, NULL, hammer_send, &b));
	usleep(200000);
	ASSERT_EQ(0, ockam_nl_channel_del(self->nl, self->c1.encryptor, NULL));
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	EXPECT_EQ(EHOSTUNREACH, a.err) {
		TH_LOG("after %ld sends: %s", a.sent, strerror(a.err));
	}
	EXPECT_EQ(EHOSTUNREACH, b.err) {
		TH_LOG("after %ld sends: %s", b.sent, strerror(b.err));
	}
	EXPECT_LT(0, a.sent);
	EXPECT_LT(0, b.sent);
	EXPECT_EQ(2, wait_closed(events, &closed, 2, 2000));
	EXPECT_EQ(OCKAM_CLOSE_PEER, closed_reason(&closed, self->c2.encryptor));
	EXPECT_EQ(0, channel_count(self->nl));
	ockam_events_close(events);
}

/* Sends one frame to @route until told to stop. */
struct flood {
	int fd;
	const char *route;
	const uint8_t *frame;
	size_t len;
	volatile bool stop;
	long sent;
};

static void *flood_send(void *arg)
{
	struct flood *f = arg;

	while (!f->stop)
		if (send_to(f->fd, f->route, f->frame, f->len) > 0)
			f->sent++;
	return NULL;
}

/*
 * The peer's close message racing the channel's installation: from the
 * moment the decryptor is in the table, a close can tear the channel
 * down. CHANNEL_ADD must still hold its own reference while it builds
 * its reply (the bug: "refcount_t: addition on 0", KASAN on the debug
 * kernel). A flood of valid closes for counter 0 hits every moment of
 * each installation.
 */
TEST_F_TIMEOUT(chan, close_racing_channel_add, 120)
{
	uint8_t pt[8], frame[64], key[OCKAM_KEY_LEN];
	struct ockam_channel_info c;
	struct flood f = { .fd = self->m, .route = "0#x" };
	pthread_t t;
	int i, rounds = 40, added = 0;

	key_for(key, self->k2, 0);
	f.len = frame_seal(frame, key, 0, pt,
			   plaintext(pt, OCKAM_CHANNEL_MSG_CLOSE, NULL, NULL,
				     NULL, 0));
	f.frame = frame;
	ASSERT_EQ(0, pthread_create(&t, NULL, flood_send, &f));
	for (i = 0; i < rounds; i++) {
		if (channel_add(self->nl, self->x, self->k1, self->k2, "0#y",
				id_b, OCKAM_ROLE_INITIATOR, &c, NULL) == 0) {
			added++;
			EXPECT_STREQ("x", c.decryptor);
			EXPECT_EQ(OCKAM_ROLE_INITIATOR, c.role);
		}
		/* Closed by the flood (or it never took); x again. */
		EXPECT_TRUE(WAIT_FOR(channel_count(self->nl) == 0, 2000));
		close(self->x);
		self->x = -1;
		/* The name is free once the channel is gone. */
		self->x = sock_bound("x");
		ASSERT_LE(0, self->x) {
			TH_LOG("round %d: %s", i, strerror(errno));
		}
	}
	f.stop = true;
	pthread_join(t, NULL);
	EXPECT_EQ(rounds, added);
	EXPECT_LT(0, f.sent);
	sodium_memzero(key, sizeof(key));
}

/*
 * A frame from a TCP peer sealed by a channel on this node: its buffer
 * shares pages with the TCP receive queue and with the frame behind it in
 * the same segment. Sealing must never write there (the bug: the tag
 * overwrote the next frame's length, and the connection was reset as
 * "too big").
 */
TEST_F(chan, tcp_frames_share_pages_with_the_next)
{
	uint64_t too_big = node_stat(self->nl, OCKAM_STAT_DROP_TOO_BIG);
	unsigned char buf[8192];
	char route[128], payload[3000];
	struct ockam_wire_route on;
	int peer, srv, round;
	size_t n, start, size;
	uint32_t be;
	char version;

	ASSERT_EQ(0, pair_up(self, "0#y"));
	ASSERT_EQ(0, tcp_pair(&peer, &srv));
	ASSERT_EQ(0, attach(self->nl, srv, "srv", NULL, 0));
	close(srv);
	ASSERT_EQ(1, recv(peer, &version, 1, 0));
	ASSERT_EQ(1, send(peer, "\x01", 1, 0));
	rt(route, sizeof(route), "0#%s => 0#r", self->c1.encryptor);

	for (round = 0; round < 24; round++) {
		size = 1000 + round * 83;
		memset(payload, 'a' + round, size);
		/* Frame 1, into the channel; frame 2, right behind it. */
		n = 0;
		start = n;
		n += 4;
		buf[n++] = OCKAM_MESSAGE_VERSION;
		on = wire(route);
		memcpy(buf + n, on.bytes, on.len);
		n += on.len;
		buf[n++] = 0;
		n += uleb_put(buf + n, size);
		memcpy(buf + n, payload, size);
		n += size;
		be = htonl(n - start - 4);
		memcpy(buf + start, &be, 4);
		start = n;
		n += 4;
		memcpy(buf + n, "\x01\x01\x00\x01" "s" "\x00\x06" "second", 13);
		n += 13;
		be = htonl(13);
		memcpy(buf + start, &be, 4);
		ASSERT_EQ(n, send(peer, buf, n, 0));

		ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
		EXPECT_EQ(size, self->g.len);
		EXPECT_EQ(0, memcmp(self->g.data, payload, size));
		ASSERT_EQ(0, recv_got(self->s, &self->g, 0)) {
			TH_LOG("round %d: the frame behind was lost", round);
		}
		EXPECT_TRUE(payload_is(&self->g, "second"));
	}
	EXPECT_TRUE(has_transport(self->nl, "srv"));
	EXPECT_EQ(too_big, node_stat(self->nl, OCKAM_STAT_DROP_TOO_BIG));
	close(peer);
}

/* Bytes of a message with these routes and a payload of @len bytes. */
static size_t message_len(const char *onward, const char *ret, size_t len)
{
	uint8_t uleb[8];

	return 1 + wire(onward).len + wire(ret).len + uleb_put(uleb, len) + len;
}

/*
 * The node's message limit holds for frames too: a message the sender
 * may hand to the encryptor whose frame would not fit is refused with
 * EMSGSIZE, not lost on the way.
 */
TEST_F(chan, frame_over_the_node_limit)
{
	enum { LIMIT = OCKAM_MAX_MESSAGE_MIN };
	struct ockam_node_settings set = { .max_message = LIMIT };
	char *payload = calloc(1, LIMIT), sent[128];
	uint8_t *frame = malloc(LIMIT);
	size_t len, inner, framed;

	ASSERT_TRUE(payload && frame);
	ASSERT_EQ(0, pair_up(self, "0#m => 0#y"));
	ASSERT_EQ(0, ockam_nl_node_set(self->nl, &set, NULL));
	rt(sent, sizeof(sent), "0#%s => 0#r", self->c1.encryptor);
	for (len = LIMIT; len > 0; len--) {
		/* What reaches m: the frame of the message as it leaves s. */
		inner = 1 + message_len("0#r", "0#s", len);
		framed = message_len("0#m => 0#y", "", inner + FRAME_OVERHEAD);
		if (framed <= LIMIT)
			break;
		/* The sender's own message fits; the frame would not. */
		if (message_len(sent, "0#s", len) <= LIMIT) {
			EXPECT_EQ(-1, send_via_c1(self, payload, len));
			EXPECT_EQ(EMSGSIZE, errno) {
				TH_LOG("payload %zu, frame message %zu", len,
				       framed);
			}
		}
	}
	ASSERT_EQ(len, send_via_c1(self, payload, len));
	ASSERT_EQ(inner + FRAME_OVERHEAD, take_frame(self, frame));
	EXPECT_TRUE(queue_empty(self->m));
	free(payload);
	free(frame);
}

struct sender {
	int fd;
	const char *route;
	int count;
	int errors;
};

static void *send_many(void *arg)
{
	struct sender *s = arg;
	char payload[32];
	int i;

	for (i = 0; i < s->count; i++) {
		snprintf(payload, sizeof(payload), "%d:%d", s->fd, i);
		if (send_to(s->fd, s->route, payload, strlen(payload)) < 0)
			s->errors++;
	}
	return NULL;
}

/* Two threads sending into one encryptor never share a counter. */
TEST_F_TIMEOUT(chan, concurrent_senders, 120)
{
	enum { PER_THREAD = 1500 };
	struct sender a, b;
	pthread_t ta, tb;
	char route[128];
	int fd2 = sock_bound(NULL), got = 0, size = 8 << 20;
	struct ockam_channel_info info;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, pair_up(self, "0#y"));
	ASSERT_EQ(0, setsockopt(self->r, SOL_SOCKET, SO_RCVBUFFORCE, &size,
				sizeof(size)));
	rt(route, sizeof(route), "0#%s => 0#r", self->c1.encryptor);
	a = (struct sender){ .fd = self->s, .route = route, .count = PER_THREAD };
	b = (struct sender){ .fd = fd2, .route = route, .count = PER_THREAD };
	ASSERT_EQ(0, pthread_create(&ta, NULL, send_many, &a));
	ASSERT_EQ(0, pthread_create(&tb, NULL, send_many, &b));
	while (got < 2 * PER_THREAD && !recv_got(self->r, &self->g, 0))
		got++;
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	EXPECT_EQ(0, a.errors);
	EXPECT_EQ(0, b.errors);
	EXPECT_EQ(2 * PER_THREAD, got);
	ASSERT_EQ(0, channel_get(self->nl, self->c2.encryptor, &info));
	EXPECT_EQ(0, info.stats.value[OCKAM_STAT_DROP_REPLAY]);
	EXPECT_EQ(0, info.stats.value[OCKAM_STAT_DROP_AUTH]);
	EXPECT_EQ(2 * PER_THREAD, info.stats.value[OCKAM_STAT_DECRYPTED]);
	ASSERT_EQ(0, channel_get(self->nl, self->c1.encryptor, &info));
	EXPECT_EQ(2 * PER_THREAD, info.tx_counter);
	close(fd2);
}

/*
 * A local socket's frames are sealed by workers on other CPUs, or by the
 * sender itself once a worker has enough to do; either way they must
 * leave in counter order, each sealed under its own counter's key with
 * its own message. Sizes mix small frames with ones of nearly 7 KiB, so
 * that both ways take turns within one burst.
 */
enum { SEALED_COUNT = 1200, SEALED_BIG = 7000 };

/* Message @i of a burst: its length, its bytes in @body. */
static size_t sealed_message(int i, uint8_t *body)
{
	size_t len = i % 3 ? 16 : SEALED_BIG;

	memset(body, 'a' + i % 26, len);
	memcpy(body, &i, sizeof(i));
	return len;
}

/*
 * s sends a burst through channel 1 (its route through m), whose next
 * counter is @base; m takes the frames. How many came whole and in
 * order (and why the next one did not), or -1 when a send failed.
 */
static int sealed_burst(struct __test_metadata *_metadata,
			FIXTURE_DATA(chan) *self, uint64_t base)
{
	uint8_t frame[BUF_MAX], pt[BUF_MAX], want[BUF_MAX], body[SEALED_BIG];
	size_t pt_len, want_len, len;
	int i, in_order = 0;
	ssize_t n;

	for (i = 0; i < SEALED_COUNT; i++) {
		len = sealed_message(i, body);
		if (send_via_c1(self, body, len) != (ssize_t)len)
			return -1;
	}
	for (i = 0; i < SEALED_COUNT; i++) {
		n = take_frame(self, frame);
		if (n <= 0) {
			TH_LOG("frame %d: %s", i, strerror((int)-n));
			break;
		}
		if (frame_counter(frame) != base + i) {
			TH_LOG("frame %d: counter %llu, not %llu", i,
			       (unsigned long long)frame_counter(frame),
			       (unsigned long long)(base + i));
			break;
		}
		len = sealed_message(i, body);
		want_len = plaintext(want, OCKAM_CHANNEL_MSG_PAYLOAD, "0#r",
				     "0#s", body, len);
		if (frame_open(frame, n, self->k1, pt, &pt_len) ||
		    pt_len != want_len || memcmp(pt, want, pt_len)) {
			TH_LOG("frame %d: not the message sent", i);
			break;
		}
		in_order++;
	}
	return in_order;
}

/* Channel 1 through m, with room at m for a whole burst. */
static int sealed_setup(FIXTURE_DATA(chan) *self)
{
	int size = 32 << 20;

	if (pair_up(self, "0#m => 0#y"))
		return -1;
	return setsockopt(self->m, SOL_SOCKET, SO_RCVBUFFORCE, &size,
			  sizeof(size));
}

TEST_F_TIMEOUT(chan, sealed_frames_leave_in_counter_order, 120)
{
	ASSERT_EQ(0, sealed_setup(self));
	EXPECT_EQ(SEALED_COUNT, sealed_burst(_metadata, self, 0));
	EXPECT_TRUE(queue_empty(self->m));
}

/* ------------------------------------- frames from another node, in order */

/*
 * A peer node at the far end of a TCP transport sends channel 2's
 * decryptor frames the test sealed itself: the counters run backwards in
 * blocks of 16 (all inside the window), sizes alternate between a few
 * bytes and nearly 8 KiB, and every 64th frame comes after a forged copy
 * of itself and before a replay of itself. Frames from another node are
 * opened by workers on every CPU; whatever order they finish in, r must
 * get each message once, in the order the frames came.
 */
enum {
	STREAM_FRAMES = 2400,
	STREAM_BLOCK = 16,
	STREAM_BIG = 7000,
};

struct stream {
	int fd;
	const uint8_t *key;
	int forged, replayed, errors;
};

/*
 * The routing message to y carrying a PAYLOAD frame of @counter, sealed
 * under the key the ratchet from @k0 gives it, for r: @plen bytes of
 * "%06u" @i and then letters.
 */
static size_t frame_to_y(uint8_t *buf, const uint8_t k0[OCKAM_KEY_LEN],
			 unsigned int i, uint64_t counter, size_t plen)
{
	uint8_t pt[BUF_MAX], payload[BUF_MAX], key[OCKAM_KEY_LEN];
	struct ockam_wire_route on = wire("0#y");
	size_t n = 0, len;

	memset(payload, 'a' + i % 26, plen);
	snprintf((char *)payload, plen, "%06u", i);
	len = plaintext(pt, OCKAM_CHANNEL_MSG_PAYLOAD, "0#r", "", payload,
			plen);
	buf[n++] = OCKAM_MESSAGE_VERSION;
	memcpy(buf + n, on.bytes, on.len);
	n += on.len;
	buf[n++] = 0;
	n += uleb_put(buf + n, len + FRAME_OVERHEAD);
	key_for(key, k0, counter);
	n += frame_seal(buf + n, key, counter, pt, len);
	sodium_memzero(key, sizeof(key));
	return n;
}

/* The message carrying frame @i: its TCP framing, header and frame. */
static size_t stream_message(uint8_t *buf, const uint8_t k0[OCKAM_KEY_LEN],
			     int i, uint64_t counter)
{
	size_t n = 4 + frame_to_y(buf + 4, k0, i, counter,
				  i % 2 ? STREAM_BIG : 8);
	uint32_t be = htonl(n - 4);

	memcpy(buf, &be, 4);
	return n;
}

static bool send_all(int fd, const uint8_t *buf, size_t len)
{
	return send(fd, buf, len, 0) == (ssize_t)len;
}

static void *stream_send(void *arg)
{
	struct stream *st = arg;
	uint8_t buf[2 * BUF_MAX];
	uint64_t counter;
	size_t n;
	int i;

	for (i = 0; i < STREAM_FRAMES; i++) {
		counter = i - i % STREAM_BLOCK + STREAM_BLOCK - 1 -
			  i % STREAM_BLOCK;
		n = stream_message(buf, st->key, i, counter);
		if (i % 64 == 5) {
			buf[n - 1] ^= 1;
			st->errors += !send_all(st->fd, buf, n);
			buf[n - 1] ^= 1;
			st->forged++;
		}
		st->errors += !send_all(st->fd, buf, n);
		if (i % 64 == 5) {
			st->errors += !send_all(st->fd, buf, n);
			st->replayed++;
		}
	}
	return NULL;
}

/* The stream above; 0 when every message came once and in order. */
static int stream_check(FIXTURE_DATA(chan) *self, struct __test_metadata *_metadata)
{
	int peer, srv, i, size = 32 << 20;
	struct stream st = { .key = self->k1 };
	char want[8];
	pthread_t t;
	char version;

	if (pair_up(self, "0#y") || tcp_pair(&peer, &srv) ||
	    attach(self->nl, srv, "srv", NULL, 0))
		return -1;
	close(srv);
	if (recv(peer, &version, 1, 0) != 1 || send(peer, "\x01", 1, 0) != 1)
		return -1;
	setsockopt(self->r, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	st.fd = peer;
	if (pthread_create(&t, NULL, stream_send, &st))
		return -1;
	for (i = 0; i < STREAM_FRAMES; i++) {
		if (recv_got(self->r, &self->g, 0))
			break;
		snprintf(want, sizeof(want), "%06d", i);
		if (memcmp(self->g.data, want, 6) ||
		    self->g.len != (i % 2 ? STREAM_BIG : 8)) {
			TH_LOG("message %d: got \"%.6s\", %zd bytes", i,
			       (char *)self->g.data, self->g.len);
			break;
		}
	}
	pthread_join(t, NULL);
	close(peer);
	EXPECT_EQ(0, st.errors);
	EXPECT_EQ(STREAM_FRAMES, i);
	EXPECT_TRUE(queue_empty(self->r));
	EXPECT_EQ(STREAM_FRAMES, wait_stat(self->nl, self->c2.encryptor,
					   OCKAM_STAT_DECRYPTED,
					   STREAM_FRAMES));
	/*
	 * Opened side by side, a forged copy is refused for its tag, or as a
	 * replay when the real frame's counter was taken first.
	 */
	EXPECT_EQ(st.forged + st.replayed,
		  wait_refused(self->nl, self->c2.encryptor,
			       st.forged + st.replayed));
	EXPECT_LE(st.replayed, chan_stat(self->nl, self->c2.encryptor,
					 OCKAM_STAT_DROP_REPLAY));
	return i == STREAM_FRAMES ? 0 : -1;
}

TEST_F_TIMEOUT(chan, frames_from_a_peer_leave_in_arrival_order, 120)
{
	EXPECT_EQ(0, stream_check(self, _metadata));
}

static const char cpu1_online[] = "/sys/devices/system/cpu/cpu1/online";

static int cpu1_set(bool on)
{
	int fd = open(cpu1_online, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, on ? "1" : "0", 1);
	close(fd);
	return n == 1 ? 0 : -1;
}

struct plug {
	volatile bool stop;
	int cycles, errors;
};

static void *plug_loop(void *arg)
{
	struct plug *p = arg;

	while (!p->stop) {
		p->errors += cpu1_set(false) != 0;
		usleep(20000);
		p->errors += cpu1_set(true) != 0;
		usleep(20000);
		p->cycles++;
	}
	return NULL;
}

/*
 * The same while the second CPU goes away and comes back, again and
 * again: frames queued for its worker are opened elsewhere, none is lost
 * and the order holds.
 */
TEST_F_TIMEOUT(chan, frames_keep_their_order_while_a_cpu_comes_and_goes, 180)
{
	struct plug p = {};
	pthread_t t;

	if (access(cpu1_online, W_OK) || cpu1_set(true))
		SKIP(return, "CPU 1 cannot be taken offline here");
	ASSERT_EQ(0, pthread_create(&t, NULL, plug_loop, &p));
	EXPECT_EQ(0, stream_check(self, _metadata));
	p.stop = true;
	pthread_join(t, NULL);
	EXPECT_EQ(0, cpu1_set(true));
	EXPECT_EQ(0, p.errors);
	EXPECT_LT(0, p.cycles);
	TH_LOG("CPU 1 went offline and back %d times", p.cycles);
}

/*
 * Over UDP, with the worker of the second CPU held. Frames the first CPU
 * receives go to that worker, until the channel's list holds what it may
 * hand to workers; the rest the receive path verifies itself, further
 * ahead than the window reaches from where the held frames are. Their
 * counters must still be taken in the order the frames came: taken as
 * they verified, the held ones would be refused as too old once their
 * worker got to them (a datagram cannot be held back, as TCP is, where
 * the list grows long).
 */
enum {
	HELD_FRAMES = 4000,
	HELD_SIZE = 1024,
	HELD_MS = 2000,
};

struct cpu_hog {
	volatile bool started;
	int err;
};

/* On CPU 1, as a real-time task, for HELD_MS: its workers do not run. */
static void *cpu1_hog(void *arg)
{
	struct sched_param sp = { .sched_priority = 1 };
	struct cpu_hog *h = arg;
	struct timespec t0, t;
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(1, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus) ||
	    sched_setscheduler(0, SCHED_FIFO, &sp)) {
		h->err = errno;
		h->started = true;
		return NULL;
	}
	h->started = true;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000 +
	       (t.tv_nsec - t0.tv_nsec) / 1000000 < HELD_MS);
	return NULL;
}

/* Frame @i of the stream to y, as a datagram: our UDP header first. */
static size_t held_datagram(uint8_t *buf, const uint8_t k0[OCKAM_KEY_LEN],
			    uint32_t i)
{
	size_t len = frame_to_y(buf + OCKAM_UDP_HEADER_LEN, k0, i, i,
				HELD_SIZE);
	uint32_t be;

	/* One datagram: the whole message, at offset 0. */
	memset(buf, 0, OCKAM_UDP_HEADER_LEN);
	buf[0] = OCKAM_UDP_VERSION;
	be = htonl(i);
	memcpy(buf + 4, &be, 4);
	be = htonl(len);
	memcpy(buf + 12, &be, 4);
	return OCKAM_UDP_HEADER_LEN + len;
}

TEST_F_TIMEOUT(chan, frames_over_udp_are_taken_in_turn_while_a_worker_is_held,
	       120)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	int size = 32 << 20, bind_fd, tx, i;
	struct timespec t0, t1;
	socklen_t len = sizeof(to);
	struct cpu_hog h = {};
	size_t n[HELD_FRAMES];
	uint8_t *dgrams;
	char want[8];
	cpu_set_t cpus;
	pthread_t t;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU: every frame is opened where it arrives");
	ASSERT_EQ(0, pair_up(self, "0#y"));
	setsockopt(self->r, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	bind_fd = socket(AF_INET, SOCK_DGRAM, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, bind_fd);
	ASSERT_LE(0, tx);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(0, bind(bind_fd, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(0, getsockname(bind_fd, (struct sockaddr *)&to, &len));
	ASSERT_EQ(0, ockam_nl_udp_attach(self->nl, bind_fd, "held", NULL,
					 NULL));
	close(bind_fd);
	/* Sealed beforehand: the sending alone must outrun the hold. */
	dgrams = malloc((size_t)HELD_FRAMES * BUF_MAX);
	ASSERT_NE(NULL, dgrams);
	for (i = 0; i < HELD_FRAMES; i++)
		n[i] = held_datagram(dgrams + (size_t)i * BUF_MAX, self->k1, i);

	/* The sender on CPU 0: loopback receives on the sending CPU. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	ASSERT_EQ(0, pthread_create(&t, NULL, cpu1_hog, &h));
	while (!h.started)
		usleep(1000);
	if (h.err) {
		pthread_join(t, NULL);
		SKIP(return, "no real-time task on CPU 1 here: %s",
		     strerror(h.err));
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < HELD_FRAMES; i++)
		ASSERT_EQ((ssize_t)n[i],
			  sendto(tx, dgrams + (size_t)i * BUF_MAX, n[i], 0,
				 (struct sockaddr *)&to, sizeof(to)));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(t, NULL);
	free(dgrams);
	TH_LOG("%d frames sent in %ld ms while CPU 1 was held for %d ms",
	       HELD_FRAMES, (long)((t1.tv_sec - t0.tv_sec) * 1000 +
				   (t1.tv_nsec - t0.tv_nsec) / 1000000),
	       HELD_MS);
	CPU_ZERO(&cpus);
	for (i = 0; i < sysconf(_SC_NPROCESSORS_ONLN); i++)
		CPU_SET(i, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	for (i = 0; i < HELD_FRAMES; i++) {
		if (recv_got(self->r, &self->g, 0))
			break;
		snprintf(want, sizeof(want), "%06d", i);
		if (memcmp(self->g.data, want, 6) ||
		    self->g.len != HELD_SIZE) {
			TH_LOG("message %d: got \"%.6s\", %zd bytes", i,
			       (char *)self->g.data, self->g.len);
			break;
		}
	}
	close(tx);
	EXPECT_EQ(HELD_FRAMES, i);
	EXPECT_EQ(0, chan_stat(self->nl, self->c2.encryptor,
			       OCKAM_STAT_DROP_REPLAY));
	EXPECT_EQ(HELD_FRAMES, wait_stat(self->nl, self->c2.encryptor,
					 OCKAM_STAT_DECRYPTED, HELD_FRAMES));
}

/*
 * Bursts of sealed frames while the second CPU goes away and comes back:
 * frames handed to its worker are sealed elsewhere, with one CPU left
 * the sender seals them itself, and every burst still leaves whole and
 * in counter order.
 */
TEST_F_TIMEOUT(chan, sealed_frames_keep_their_order_while_a_cpu_comes_and_goes,
	       180)
{
	struct plug p = {};
	uint64_t base = 0;
	pthread_t t;
	int round;

	if (access(cpu1_online, W_OK) || cpu1_set(true))
		SKIP(return, "CPU 1 cannot be taken offline here");
	ASSERT_EQ(0, sealed_setup(self));
	ASSERT_EQ(0, pthread_create(&t, NULL, plug_loop, &p));
	for (round = 0; round < 20 && (round < 4 || p.cycles < 8); round++) {
		EXPECT_EQ(SEALED_COUNT, sealed_burst(_metadata, self, base));
		base += SEALED_COUNT;
	}
	p.stop = true;
	pthread_join(t, NULL);
	EXPECT_EQ(0, cpu1_set(true));
	EXPECT_EQ(0, p.errors);
	EXPECT_LT(0, p.cycles);
	EXPECT_TRUE(queue_empty(self->m));
	TH_LOG("%d bursts, CPU 1 went offline and back %d times", round,
	       p.cycles);
}

/* ------------------------------------------------- the netlink contract */

/*
 * Raw CHANNEL_ADD requests, for what libockam never sends: a valid
 * request with one thing changed or left out.
 */
enum { OMIT = -1 };

struct add_req {
	int fd;				/* OMIT: no OCKAM_CHANNEL_A_FD */
	int tx_len;			/* key bytes sent; OMIT: none */
	int rx_len;
	const uint8_t *route;		/* NULL: no OCKAM_CHANNEL_A_ROUTE */
	size_t route_len;
	const char *identifier;		/* NULL: no ..._A_IDENTIFIER */
	int64_t role;			/* OMIT: no OCKAM_CHANNEL_A_ROLE */
	int extra;			/* another attribute in the nest (a
					 * u64 0), or 0
					 */
	bool no_nest;			/* the attributes at the top level */
};

struct nl_answer {
	int error;
	bool done;
	char extack[256];
	int missing;			/* NLMSGERR_ATTR_MISS_TYPE, or -1 */
};

static int answer_error(struct sockaddr_nl *who, struct nlmsgerr *e,
			void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct nl_answer *a = arg;
	size_t off = NLMSG_HDRLEN + sizeof(*e);

	(void)who;
	a->error = e->error;
	a->done = true;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	off = NLMSG_ALIGN(off);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || nlh->nlmsg_len <= off)
		return NL_STOP;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlh + off),
		      nlh->nlmsg_len - off, NULL) < 0)
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(a->extack, sizeof(a->extack), "%s",
			 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		a->missing = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	return NL_STOP;
}

static int answer_ack(struct nl_msg *msg, void *arg)
{
	struct nl_answer *a = arg;

	(void)msg;
	a->done = true;
	return NL_STOP;
}

static int answer_valid(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

/* Send a CHANNEL_ADD built from @r on a netlink socket of its own. */
static int raw_add(const struct add_req *r, struct nl_answer *a)
{
	uint8_t key[OCKAM_KEY_LEN + 8] = { 1, 2, 3 };
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = nlmsg_alloc();
	struct nl_cb *cb = nl_cb_alloc(NL_CB_CUSTOM);
	int family, one = 1, ret = -ENOMEM;
	struct nlattr *nest = NULL;

	memset(a, 0, sizeof(*a));
	a->missing = -1;
	if (!sk || !msg || !cb || genl_connect(sk))
		goto out;
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	family = genl_ctrl_resolve(sk, OCKAM_GENL_NAME);
	if (family < 0)
		goto out;
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_ACK,
		    OCKAM_CMD_CHANNEL_ADD, OCKAM_GENL_VERSION);
	if (!r->no_nest)
		nest = nla_nest_start(msg, OCKAM_A_CHANNEL);
	if (r->fd != OMIT)
		nla_put_u32(msg, OCKAM_CHANNEL_A_FD, r->fd);
	if (r->tx_len != OMIT)
		nla_put(msg, OCKAM_CHANNEL_A_TX_KEY, r->tx_len, key);
	if (r->rx_len != OMIT)
		nla_put(msg, OCKAM_CHANNEL_A_RX_KEY, r->rx_len, key);
	if (r->route)
		nla_put(msg, OCKAM_CHANNEL_A_ROUTE, r->route_len, r->route);
	if (r->identifier)
		nla_put_string(msg, OCKAM_CHANNEL_A_IDENTIFIER, r->identifier);
	if (r->role != OMIT)
		nla_put_u32(msg, OCKAM_CHANNEL_A_ROLE, r->role);
	if (r->extra)
		nla_put_u64(msg, r->extra, 0);
	if (nest)
		nla_nest_end(msg, nest);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, answer_ack, a);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, answer_valid, a);
	nl_cb_err(cb, NL_CB_CUSTOM, answer_error, a);
	ret = nl_send_auto(sk, msg);
	if (ret < 0)
		goto out;
	while (!a->done)
		if (nl_recvmsgs(sk, cb) < 0 && !a->done)
			break;
	ret = a->done ? a->error : -EIO;
out:
	nlmsg_free(msg);
	nl_cb_put(cb);
	nl_socket_free(sk);
	return ret;
}

FIXTURE(api)
{
	struct ockam_nl *nl;
	int x, s;
	uint8_t k1[OCKAM_KEY_LEN], k2[OCKAM_KEY_LEN];
	struct ockam_wire_route to_y;
	struct add_req good;
};

FIXTURE_SETUP(api)
{
	ASSERT_LE(0, sodium_init());
	make_identifier(id_a, 1);
	make_identifier(id_b, 2);
	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, ockam_nl_open(&self->nl, NULL));
	self->x = sock_bound("x");
	self->s = sock_bound("s");
	ASSERT_LE(0, self->x);
	ASSERT_LE(0, self->s);
	ASSERT_EQ(0, set_rcvtimeo(self->x, 2000));
	randombytes_buf(self->k1, sizeof(self->k1));
	randombytes_buf(self->k2, sizeof(self->k2));
	self->to_y = wire("0#y");
	self->good = (struct add_req){
		.fd = self->x, .tx_len = OCKAM_KEY_LEN,
		.rx_len = OCKAM_KEY_LEN, .route = self->to_y.bytes,
		.route_len = self->to_y.len, .identifier = id_b,
		.role = OCKAM_ROLE_INITIATOR,
	};
}

FIXTURE_TEARDOWN(api)
{
	close(self->x);
	close(self->s);
	ockam_nl_close(self->nl);
}

/* x is still the bound socket it was. */
static bool x_usable(FIXTURE_DATA(api) *self)
{
	char buf[8];

	return send_to(self->s, "0#x", "still", 5) == 5 &&
	       recv(self->x, buf, sizeof(buf), 0) == 5 &&
	       !memcmp(buf, "still", 5);
}

/* ... and a failed add took nothing. */
static bool x_untouched(FIXTURE_DATA(api) *self)
{
	return channel_count(self->nl) == 0 && x_usable(self);
}

/* The good request passes: the failures below are each one change. */
TEST_F(api, raw_request_works)
{
	struct nl_answer a;

	ASSERT_EQ(0, raw_add(&self->good, &a)) {
		TH_LOG("%s", a.extack);
	}
}

TEST_F(api, missing_attributes)
{
	static const int attrs[] = {
		OCKAM_CHANNEL_A_FD, OCKAM_CHANNEL_A_TX_KEY,
		OCKAM_CHANNEL_A_RX_KEY, OCKAM_CHANNEL_A_ROUTE,
		OCKAM_CHANNEL_A_IDENTIFIER, OCKAM_CHANNEL_A_ROLE,
	};
	struct nl_answer a;
	struct add_req r;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		r = self->good;
		switch (attrs[i]) {
		case OCKAM_CHANNEL_A_FD: r.fd = OMIT; break;
		case OCKAM_CHANNEL_A_TX_KEY: r.tx_len = OMIT; break;
		case OCKAM_CHANNEL_A_RX_KEY: r.rx_len = OMIT; break;
		case OCKAM_CHANNEL_A_ROUTE: r.route = NULL; break;
		case OCKAM_CHANNEL_A_IDENTIFIER: r.identifier = NULL; break;
		case OCKAM_CHANNEL_A_ROLE: r.role = OMIT; break;
		}
		EXPECT_EQ(-EINVAL, raw_add(&r, &a)) {
			TH_LOG("attribute %d left out", attrs[i]);
		}
		/* The kernel names what is missing. */
		EXPECT_TRUE(a.missing == attrs[i] || a.extack[0]) {
			TH_LOG("attribute %d: no explanation", attrs[i]);
		}
	}
	/* The channel's attributes outside its nest are not the channel. */
	r = self->good;
	r.no_nest = true;
	EXPECT_EQ(-EINVAL, raw_add(&r, &a));
	EXPECT_TRUE(x_untouched(self));
}

TEST_F(api, wrong_key_lengths)
{
	static const int lens[] = { 0, 16, OCKAM_KEY_LEN - 1, OCKAM_KEY_LEN + 1 };
	struct nl_answer a;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		struct add_req r = self->good;

		r.tx_len = lens[i];
		EXPECT_EQ(-ERANGE, raw_add(&r, &a)) {
			TH_LOG("tx key of %d bytes", lens[i]);
		}
		EXPECT_NE(0, a.extack[0]);
		r = self->good;
		r.rx_len = lens[i];
		EXPECT_EQ(-ERANGE, raw_add(&r, &a)) {
			TH_LOG("rx key of %d bytes", lens[i]);
		}
		EXPECT_NE(0, a.extack[0]);
	}
	EXPECT_TRUE(x_untouched(self));
}

TEST_F(api, unknown_attributes)
{
	/*
	 * What a channel reports but is never told, the first counter to
	 * send (no module takes one: counter exhaustion is the in-module
	 * self-test's), and numbers past the set.
	 */
	static const int extra[] = {
		OCKAM_CHANNEL_A_ADDRESS, OCKAM_CHANNEL_A_DECRYPTOR,
		OCKAM_CHANNEL_A_TX_COUNTER, OCKAM_CHANNEL_A_RX_COUNTER,
		OCKAM_CHANNEL_A_REASON, OCKAM_CHANNEL_A_STATS,
		OCKAM_CHANNEL_A_MAX + 1,
	};
	struct nl_answer a;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(extra); i++) {
		struct add_req r = self->good;

		r.extra = extra[i];
		EXPECT_EQ(-EINVAL, raw_add(&r, &a)) {
			TH_LOG("with attribute %d", extra[i]);
		}
	}
	EXPECT_TRUE(x_untouched(self));
}

TEST_F(api, bad_identifiers)
{
	char upper[OCKAM_IDENTIFIER_LEN + 1], nonhex[OCKAM_IDENTIFIER_LEN + 1];
	char longer[OCKAM_IDENTIFIER_LEN + 2], prefix[OCKAM_IDENTIFIER_LEN + 1];
	struct ockam_channel_info info;
	struct add_req r;
	const char *bad[] = {
		"", "I", nonhex, longer, prefix, id_a + 1,
	};
	struct nl_answer a;
	unsigned int i;

	strcpy(nonhex, id_a);
	nonhex[40] = 'g';
	snprintf(longer, sizeof(longer), "%s0", id_a);
	strcpy(prefix, id_a);
	prefix[0] = 'P';
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		r = self->good;
		r.identifier = bad[i];
		EXPECT_EQ(-EINVAL, raw_add(&r, &a)) {
			TH_LOG("identifier '%s'", bad[i]);
		}
		EXPECT_NE(0, a.extack[0]);
	}
	EXPECT_TRUE(x_untouched(self));

	/* Hex digits in either case; the kernel reports lower case. */
	strcpy(upper, id_a);
	for (i = 1; upper[i]; i++)
		upper[i] = upper[i] >= 'a' ? upper[i] - 32 : upper[i];
	ASSERT_NE(0, strcmp(upper, id_a));
	r = self->good;
	r.identifier = upper;
	ASSERT_EQ(0, channel_add(self->nl, self->x, self->k1, self->k2, "0#y",
				 upper, OCKAM_ROLE_INITIATOR, &info, NULL));
	ASSERT_EQ(0, channel_get(self->nl, info.encryptor, &info));
	EXPECT_STREQ(id_a, info.identifier);
}

TEST_F(api, bad_routes)
{
	static const struct {
		const char *what;
		uint8_t bytes[16];
		size_t len;
	} bad[] = {
		{ "empty route", { 0 }, 1 },
		{ "no bytes", { 0 }, 0 },
		{ "truncated", { 1, 0, 5, 'a' }, 4 },
		{ "trailing byte", { 1, 0, 1, 'y', 0 }, 5 },
		{ "non-minimal count", { 0x81, 0x00, 0, 1, 'y' }, 5 },
		{ "non-minimal length", { 1, 0, 0x81, 0x00, 'y' }, 5 },
	};
	struct nl_answer a;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct add_req r = self->good;

		r.route = bad[i].bytes;
		r.route_len = bad[i].len;
		EXPECT_EQ(-EINVAL, raw_add(&r, &a)) {
			TH_LOG("%s", bad[i].what);
		}
		EXPECT_NE(0, a.extack[0]) {
			TH_LOG("%s: no explanation", bad[i].what);
		}
	}
	EXPECT_TRUE(x_untouched(self));
}

TEST_F(api, bad_roles)
{
	static const int64_t roles[] = { 0, 3, 0xffffffffLL };
	struct nl_answer a;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(roles); i++) {
		struct add_req r = self->good;

		r.role = roles[i];
		EXPECT_EQ(-ERANGE, raw_add(&r, &a)) {
			TH_LOG("role %lld", (long long)roles[i]);
		}
		EXPECT_NE(0, a.extack[0]);
	}
	EXPECT_TRUE(x_untouched(self));
}

TEST_F(api, bad_sockets)
{
	int udp = socket(AF_INET, SOCK_DGRAM, 0);
	int file = open("/dev/null", O_RDONLY);
	int unbound = socket(ockam_family(), SOCK_DGRAM, 0);
	struct nl_answer a;
	struct add_req r = self->good;
	/* Far above what raw_add()'s own socket will get. */
	int closed = 900;

	ASSERT_LE(0, udp);
	ASSERT_LE(0, file);
	ASSERT_LE(0, unbound);
	ASSERT_EQ(-1, fcntl(closed, F_GETFD));

	/* Not an AF_OCKAM socket; not a socket; no file at all. */
	r.fd = udp;
	EXPECT_EQ(-ENOTSOCK, raw_add(&r, &a));
	EXPECT_NE(0, a.extack[0]);
	r.fd = file;
	EXPECT_EQ(-ENOTSOCK, raw_add(&r, &a));
	EXPECT_NE(0, a.extack[0]);
	r.fd = closed;
	EXPECT_EQ(-EBADF, raw_add(&r, &a));
	/* An AF_OCKAM socket with no address to hand over. */
	r.fd = unbound;
	EXPECT_EQ(-EDESTADDRREQ, raw_add(&r, &a));
	EXPECT_NE(0, a.extack[0]);
	close(udp);
	close(file);
	close(unbound);

	EXPECT_TRUE(x_untouched(self));

	/* Once used, the socket is unbound and cannot be used again. */
	ASSERT_EQ(0, raw_add(&self->good, &a));
	EXPECT_EQ(-EDESTADDRREQ, raw_add(&self->good, &a));
}

/* A socket of another node cannot be handed to this one. */
TEST_F(api, socket_of_another_node)
{
	struct nl_answer a;
	int status, pipefd[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct add_req r = self->good;
		char c;

		/* The child keeps x (of the parent's node) and moves. */
		if (node_fresh())
			_exit(2);
		if (read(pipefd[0], &c, 1) != 1)
			_exit(3);
		_exit(raw_add(&r, &a) == -EXDEV && a.extack[0] ? 0 : 1);
	}
	ASSERT_EQ(1, write(pipefd[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_TRUE(x_untouched(self));
	close(pipefd[0]);
	close(pipefd[1]);
}

static void drop_capabilities(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capset, &hdr, data))
		_exit(3);
}

/* Without CAP_NET_ADMIN: no key goes in, no channel is closed. */
TEST_F(api, keys_need_cap_net_admin)
{
	struct ockam_channel_info mine, theirs, *list;
	struct ockam_events *events;
	int status, z = sock_bound("z");
	size_t count;
	pid_t pid;

	ASSERT_LE(0, z);
	ASSERT_EQ(0, channel_add(self->nl, z, self->k1, self->k2, "0#y", id_b,
				 OCKAM_ROLE_INITIATOR, &mine, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct ockam_nl *nl;
		int code = 0;

		drop_capabilities();
		if (ockam_nl_open(&nl, NULL))
			_exit(4);
		if (channel_add(nl, self->x, self->k1, self->k2, "0#y", id_b,
				OCKAM_ROLE_INITIATOR, &theirs, NULL) != -EPERM)
			code |= 1 << 3;
		if (ockam_nl_channel_del(nl, mine.encryptor, NULL) != -EPERM)
			code |= 1 << 4;
		if (ockam_events_open(&events, NULL) != -EPERM)
			code |= 1 << 5;
		/* Nor is the list: it names peers and encryptors. */
		if (ockam_nl_channel_list(nl, &list, &count, NULL) != -EPERM)
			code |= 1 << 6;
		_exit(code);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(1, channel_count(self->nl));
	ASSERT_EQ(0, channel_get(self->nl, mine.encryptor, &theirs));
	EXPECT_TRUE(x_usable(self));
	close(z);
}

/* A node sees its own channels only, and cannot reach another's. */
TEST_F(api, channels_stay_in_their_node)
{
	struct ockam_channel_info c1, c2;
	int y = sock_bound("y"), r = sock_bound("r"), status;
	char route[128], buf[8];
	pid_t pid;

	ASSERT_LE(0, y);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, channel_add(self->nl, y, self->k2, self->k1, "0#x", id_a,
				 OCKAM_ROLE_RESPONDER, &c2, NULL));
	ASSERT_EQ(0, channel_add(self->nl, self->x, self->k1, self->k2, "0#y",
				 id_b, OCKAM_ROLE_INITIATOR, &c1, NULL));
	rt(route, sizeof(route), "0#%s => 0#r", c1.encryptor);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct ockam_address_info *addrs;
		struct ockam_nl *nl;
		size_t count;
		int fd, code = 0;

		if (node_fresh() || ockam_nl_open(&nl, NULL))
			_exit(2);
		if (channel_count(nl) != 0)
			code |= 1 << 2;
		if (ockam_nl_address_list(nl, &addrs, &count, NULL) || count)
			code |= 1 << 3;
		fd = sock_bound("r");
		if (fd < 0 || send_to(fd, route, "x", 1) != -1 ||
		    errno != EHOSTUNREACH)
			code |= 1 << 4;
		/* The same names are free here. */
		if (sock_bound("x") < 0 || sock_bound(c1.encryptor) < 0)
			code |= 1 << 5;
		if (ockam_nl_channel_del(nl, c1.encryptor, NULL) != -ENOENT)
			code |= 1 << 6;
		_exit(code);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Still fine here. */
	EXPECT_EQ(2, channel_count(self->nl));
	ASSERT_EQ(2, send_to(self->s, route, "ok", 2));
	ASSERT_EQ(0, set_rcvtimeo(r, 2000));
	EXPECT_EQ(2, recv(r, buf, sizeof(buf), 0));
	close(y);
	close(r);
}

/*
 * A close message leaves the channel's close work queued; its namespace
 * may go right after (the last socket closed). The work takes the node's
 * lock, so the node must outlive it.
 */
TEST(close_work_outlives_its_node)
{
	int i, status;
	pid_t pid;

	for (i = 0; i < 40; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			uint8_t k1[OCKAM_KEY_LEN], k2[OCKAM_KEY_LEN];
			struct ockam_channel_info c1, c2;
			struct ockam_nl *nl;
			int x, y;

			if (sodium_init() < 0 || node_fresh() ||
			    ockam_nl_open(&nl, NULL))
				_exit(2);
			make_identifier(id_a, 1);
			make_identifier(id_b, 2);
			x = sock_bound("x");
			y = sock_bound("y");
			randombytes_buf(k1, sizeof(k1));
			randombytes_buf(k2, sizeof(k2));
			if (channel_add(nl, y, k2, k1, "0#x", id_a,
					OCKAM_ROLE_RESPONDER, &c2, NULL) ||
			    channel_add(nl, x, k1, k2, "0#y", id_b,
					OCKAM_ROLE_INITIATOR, &c1, NULL))
				_exit(3);
			/* Channel 2 gets the close and queues its work. */
			if (ockam_nl_channel_del(nl, c1.encryptor, NULL))
				_exit(4);
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_EQ(0, WEXITSTATUS(status));
	}
	/* Namespaces are torn down in the background. */
	usleep(500000);
}

/* ------------------------------------------------------------ recovery */

struct states {
	int count;
	struct ockam_event ev[EVENTS_MAX];
};

static void record_state(const struct ockam_event *ev, void *arg)
{
	struct states *st = arg;

	if (ev->cmd == OCKAM_CMD_CHANNEL_STATE && st->count < EVENTS_MAX)
		st->ev[st->count++] = *ev;
}

/* Has @enc announced @state for @reason (collecting for up to @ms)? */
static bool wait_state_event(struct ockam_events *events, struct states *st,
			     const char *enc, uint32_t state, uint32_t reason,
			     int ms)
{
	struct pollfd pfd = { .fd = ockam_events_fd(events), .events = POLLIN };
	long long end = now_ms() + ms;
	int i;

	do {
		for (i = 0; i < st->count; i++)
			if (!strcmp(st->ev[i].address, enc) &&
			    st->ev[i].state == state &&
			    st->ev[i].reason == reason)
				return true;
		poll(&pfd, 1, 50);
		if (ockam_events_read(events, record_state, st, NULL) < 0)
			return false;
	} while (now_ms() < end);
	return false;
}

static uint32_t chan_state(struct ockam_nl *nl, const char *enc)
{
	struct ockam_channel_info info;

	return channel_get(nl, enc, &info) ? 0 : info.state;
}

static int set_route(struct ockam_nl *nl, const char *enc, const char *route)
{
	struct ockam_wire_route w = wire(route);

	return ockam_nl_channel_set_route(nl, enc, w.bytes, w.len, NULL);
}

static int set_liveness(struct ockam_nl *nl, uint32_t keepalive_ms,
			uint32_t give_up_ms)
{
	struct ockam_node_settings set = {
		.set_channel_keepalive = true,
		.channel_keepalive_ms = keepalive_ms,
		.channel_give_up_ms = give_up_ms,
	};

	return ockam_nl_node_set(nl, &set, NULL);
}

/* A TCP peer of the node: the test's end of transport @name. */
static int tcp_peer(struct ockam_nl *nl, const char *name)
{
	int peer, srv;
	char version;

	if (tcp_pair(&peer, &srv) || attach(nl, srv, name, NULL, 0))
		return -1;
	close(srv);
	if (recv(peer, &version, 1, 0) != 1 || send(peer, "\x01", 1, 0) != 1 ||
	    set_rcvtimeo(peer, 2000))
		return -1;
	return peer;
}

/* Send @frame to @onward over TCP from @peer, with return route @ret. */
static int tcp_inject(int peer, const char *onward,
		      const struct ockam_wire_route *ret, const void *frame,
		      size_t len)
{
	struct ockam_wire_route on = wire(onward);
	uint8_t buf[BUF_MAX + 2 * OCKAM_SOCKADDR_ROUTE_MAX];
	size_t n = 4;
	uint32_t be;

	buf[n++] = OCKAM_MESSAGE_VERSION;
	memcpy(buf + n, on.bytes, on.len);
	n += on.len;
	memcpy(buf + n, ret->bytes, ret->len);
	n += ret->len;
	n += uleb_put(buf + n, len);
	memcpy(buf + n, frame, len);
	n += len;
	be = htonl(n - 4);
	memcpy(buf, &be, 4);
	return send(peer, buf, n, 0) == (ssize_t)n ? 0 : -1;
}

/* Did the node send @peer a message whose onward route is @onward? */
static bool tcp_got(int peer, const char *onward)
{
	struct ockam_wire_route on = wire(onward);
	uint8_t buf[BUF_MAX];
	uint32_t be, len;

	if (recv(peer, &be, 4, MSG_WAITALL) != 4)
		return false;
	len = ntohl(be);
	if (len > sizeof(buf) || recv(peer, buf, len, MSG_WAITALL) != len)
		return false;
	return len > on.len && !memcmp(buf + 1, on.bytes, on.len);
}

/* r answers through channel 2; the answer must leave on @peer's link. */
static bool answer_leaves_on(FIXTURE_DATA(chan) *self, int peer)
{
	char route[128];

	rt(route, sizeof(route), "0#%s => 0#s", self->c2.encryptor);
	return send_to(self->r, route, "back", 4) == 4 && tcp_got(peer, "0#x");
}

/* A frame channel 1 sent to m, with the return route it came with. */
struct taken {
	uint8_t frame[BUF_MAX];
	ssize_t len;
	struct ockam_wire_route ret;
};

static int take(FIXTURE_DATA(chan) *self, struct taken *t)
{
	t->len = take_frame(self, t->frame);
	t->ret = self->g.ret;
	return t->len > 0 ? 0 : -1;
}

/* Channel 1 asks along its route (through m): take that keepalive. */
static int take_ask(FIXTURE_DATA(chan) *self, struct taken *t)
{
	if (set_route(self->nl, self->c1.encryptor, "0#m => 0#y"))
		return -1;
	return take(self, t);
}

static int inject(int peer, const struct taken *t)
{
	return tcp_inject(peer, "0#y", &t->ret, t->frame, t->len);
}

/*
 * Route mobility: the responder follows the return route of the newest
 * authentic frame: a keepalive that asks carries a whole way back (from
 * the link it came in on to the peer's decryptor); an ordinary frame's
 * is followed by the decryptor's address when that makes a route of the
 * same length. Frames of channel 1 reach channel 2 over three TCP links
 * the test holds; an ordinary frame of another length, a frame from a
 * socket of the node, an ask without a return route, a forged frame, a
 * replayed one and an older one move nothing.
 */
TEST_F(chan, responder_follows_the_newest_authentic_frame)
{
	struct ockam_wire_route none = wire("");
	struct taken *t = calloc(3, sizeof(*t));
	int p1, p2, p3;

	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, pair_up(self, "0#m => 0#y"));
	p1 = tcp_peer(self->nl, "t1");
	p2 = tcp_peer(self->nl, "t2");
	p3 = tcp_peer(self->nl, "t3");
	ASSERT_LE(0, p1);
	ASSERT_LE(0, p2);
	ASSERT_LE(0, p3);

	/* An ask from a socket on this node, not off a transport. */
	ASSERT_EQ(0, take_ask(self, &t[0]));
	EXPECT_TRUE(route_is(&t[0].ret, "0#x"));
	ASSERT_EQ(t[0].len, forward(self, t[0].frame, t[0].len));
	/*
	 * An ordinary frame off a transport: its return route (the link,
	 * then nothing) and the decryptor make two hops where the route
	 * has one, as when a userspace relay answers for the rest of a
	 * route: the route stays.
	 */
	ASSERT_EQ(4, send_via_c1(self, "data", 4));
	ASSERT_EQ(0, take(self, &t[0]));
	EXPECT_TRUE(route_is(&t[0].ret, ""));
	ASSERT_EQ(0, inject(p1, &t[0]));
	ASSERT_EQ(0, recv_expect(self->r, "data", NULL, 0));
	/* An ask whose return route was taken off. */
	ASSERT_EQ(0, take_ask(self, &t[0]));
	ASSERT_EQ(0, tcp_inject(p1, "0#y", &none, t[0].frame, t[0].len));
	/* Both answers went the way the channel's route says, to x. */
	EXPECT_EQ(2, wait_stat(self->nl, self->c1.encryptor,
			       OCKAM_STAT_DECRYPTED, 2));
	ASSERT_EQ(0, channel_get(self->nl, self->c2.encryptor, &self->c2));
	EXPECT_EQ(0, self->c2.route_moves);

	/* Asks over t1, then t2: each answer leaves on the link it came by. */
	ASSERT_EQ(0, take_ask(self, &t[0]));
	ASSERT_EQ(0, inject(p1, &t[0]));
	EXPECT_TRUE(tcp_got(p1, "0#x"));
	EXPECT_TRUE(answer_leaves_on(self, p1));
	ASSERT_EQ(0, take_ask(self, &t[0]));
	ASSERT_EQ(0, inject(p2, &t[0]));
	EXPECT_TRUE(tcp_got(p2, "0#x"));
	EXPECT_TRUE(answer_leaves_on(self, p2));
	ASSERT_EQ(0, channel_get(self->nl, self->c2.encryptor, &self->c2));
	EXPECT_EQ(2, self->c2.route_moves);

	/* Forged (a bit of the ciphertext flipped), then replayed, on t3. */
	t[0].frame[OCKAM_COUNTER_LEN] ^= 1;
	ASSERT_EQ(0, inject(p3, &t[0]));
	t[0].frame[OCKAM_COUNTER_LEN] ^= 1;
	EXPECT_EQ(1, wait_refused(self->nl, self->c2.encryptor, 1));
	ASSERT_EQ(0, inject(p3, &t[0]));
	EXPECT_EQ(2, wait_refused(self->nl, self->c2.encryptor, 2));
	/* The newest over t2 (where it is), then an older one over t3. */
	ASSERT_EQ(0, take_ask(self, &t[1]));
	ASSERT_EQ(0, take_ask(self, &t[2]));
	ASSERT_EQ(0, inject(p2, &t[2]));
	EXPECT_TRUE(tcp_got(p2, "0#x"));
	ASSERT_EQ(0, inject(p3, &t[1]));
	EXPECT_TRUE(tcp_got(p2, "0#x"));
	EXPECT_TRUE(answer_leaves_on(self, p2));
	ASSERT_EQ(0, channel_get(self->nl, self->c2.encryptor, &self->c2));
	EXPECT_EQ(2, self->c2.route_moves);

	/*
	 * t2 goes: channel 2 is recovering. An ordinary frame over t1 has
	 * a way back of the route's length (the link, the decryptor): it
	 * brings the channel up and moves the route; an ask along the same
	 * way moves nothing more.
	 */
	close(p2);
	EXPECT_TRUE(WAIT_FOR(chan_state(self->nl, self->c2.encryptor) ==
			     OCKAM_CHANNEL_RECOVERING, 2000));
	ASSERT_EQ(4, send_via_c1(self, "more", 4));
	ASSERT_EQ(0, take(self, &t[0]));
	ASSERT_EQ(0, inject(p1, &t[0]));
	ASSERT_EQ(0, recv_expect(self->r, "more", NULL, 0));
	EXPECT_EQ(OCKAM_CHANNEL_UP, chan_state(self->nl, self->c2.encryptor));
	EXPECT_TRUE(answer_leaves_on(self, p1));
	ASSERT_EQ(0, take_ask(self, &t[0]));
	ASSERT_EQ(0, inject(p1, &t[0]));
	EXPECT_TRUE(tcp_got(p1, "0#x"));
	ASSERT_EQ(0, channel_get(self->nl, self->c2.encryptor, &self->c2));
	EXPECT_EQ(3, self->c2.route_moves);
	/* The initiator never moves: its route is the daemon's to give. */
	ASSERT_EQ(0, channel_get(self->nl, self->c1.encryptor, &self->c1));
	EXPECT_EQ(0, self->c1.route_moves);
	close(p1);
	close(p3);
	free(t);
}

/*
 * The transport a channel's route starts with goes down: the channel is
 * RECOVERING, not gone; after the give-up time it is DOWN and refuses to
 * send with ENETDOWN; a new route brings it back with the same keys,
 * counters and address, and the keepalive it sends at once makes the
 * peer answer.
 */
TEST_F_TIMEOUT(chan, channel_outlives_its_transport, 60)
{
	struct ockam_events *events;
	struct states st = { 0 };
	uint64_t tx_before;
	int peer;

	ASSERT_EQ(0, ockam_events_open(&events, NULL));
	ASSERT_EQ(0, set_liveness(self->nl, 0, OCKAM_CHANNEL_GIVE_UP_MS_MIN));
	peer = tcp_peer(self->nl, "t1");
	ASSERT_LE(0, peer);
	ASSERT_EQ(0, pair_up(self, "0#t1 => 0#y"));
	ASSERT_EQ(0, channel_get(self->nl, self->c1.encryptor, &self->c1));
	EXPECT_EQ(OCKAM_CHANNEL_UP, self->c1.state);
	EXPECT_EQ(OCKAM_STATE_R_INSTALLED, self->c1.state_reason);

	close(peer);
	EXPECT_TRUE(wait_state_event(events, &st, self->c1.encryptor,
				     OCKAM_CHANNEL_RECOVERING,
				     OCKAM_STATE_R_ROUTE_DOWN, 2000));
	EXPECT_EQ(OCKAM_CHANNEL_UP, chan_state(self->nl, self->c2.encryptor));
	EXPECT_TRUE(wait_state_event(events, &st, self->c1.encryptor,
				     OCKAM_CHANNEL_DOWN,
				     OCKAM_STATE_R_GAVE_UP, 4000));
	EXPECT_EQ(-1, send_via_c1(self, "lost", 4));
	EXPECT_EQ(ENETDOWN, errno);

	ASSERT_EQ(0, channel_get(self->nl, self->c1.encryptor, &self->c1));
	tx_before = self->c1.tx_counter;
	ASSERT_EQ(0, set_route(self->nl, self->c1.encryptor, "0#y"));
	EXPECT_TRUE(wait_state_event(events, &st, self->c1.encryptor,
				     OCKAM_CHANNEL_RECOVERING,
				     OCKAM_STATE_R_ROUTE_SET, 2000));
	EXPECT_TRUE(wait_state_event(events, &st, self->c1.encryptor,
				     OCKAM_CHANNEL_UP, OCKAM_STATE_R_HEARD,
				     2000));
	ASSERT_EQ(4, send_via_c1(self, "back", 4));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "back"));
	ASSERT_EQ(0, channel_get(self->nl, self->c1.encryptor, &self->c1));
	/* The keepalive, then the message: the counters went on. */
	EXPECT_EQ(tx_before + 2, self->c1.tx_counter);
	EXPECT_TRUE(queue_empty(self->s));
	EXPECT_TRUE(queue_empty(self->r));
	ockam_events_close(events);
}

/*
 * Keepalives: idle channels keep each other UP without a message reaching
 * any socket; a peer that stops answering makes the channel RECOVERING
 * (peer silent) within three intervals, then DOWN.
 */
TEST_F_TIMEOUT(chan, keepalives_and_a_silent_peer, 60)
{
	struct ockam_events *events;
	struct states st = { 0 };
	uint64_t sent, heartbeats;

	ASSERT_EQ(0, ockam_events_open(&events, NULL));
	ASSERT_EQ(0, set_liveness(self->nl, 200, OCKAM_CHANNEL_GIVE_UP_MS_MIN));
	sent = node_stat(self->nl, OCKAM_STAT_KEEPALIVES);
	heartbeats = node_stat(self->nl, OCKAM_STAT_HEARTBEATS);
	ASSERT_EQ(0, pair_up(self, "0#y"));
	usleep(1500000);
	EXPECT_EQ(OCKAM_CHANNEL_UP, chan_state(self->nl, self->c1.encryptor));
	EXPECT_EQ(OCKAM_CHANNEL_UP, chan_state(self->nl, self->c2.encryptor));
	EXPECT_LT(sent + 2, node_stat(self->nl, OCKAM_STAT_KEEPALIVES));
	EXPECT_LT(heartbeats + 2, node_stat(self->nl, OCKAM_STAT_HEARTBEATS));
	ASSERT_EQ(0, channel_get(self->nl, self->c1.encryptor, &self->c1));
	EXPECT_GT(1000, self->c1.heard_age_ms);
	EXPECT_TRUE(queue_empty(self->r));
	EXPECT_TRUE(queue_empty(self->s));
	EXPECT_TRUE(queue_empty(self->x));
	EXPECT_TRUE(queue_empty(self->y));

	/* Both routes into m, which swallows everything. */
	ASSERT_EQ(0, set_route(self->nl, self->c1.encryptor, "0#m => 0#y"));
	ASSERT_EQ(0, set_route(self->nl, self->c2.encryptor, "0#m => 0#x"));
	EXPECT_TRUE(wait_state_event(events, &st, self->c1.encryptor,
				     OCKAM_CHANNEL_RECOVERING,
				     OCKAM_STATE_R_PEER_SILENT, 3000));
	EXPECT_TRUE(wait_state_event(events, &st, self->c2.encryptor,
				     OCKAM_CHANNEL_RECOVERING,
				     OCKAM_STATE_R_PEER_SILENT, 3000));
	EXPECT_TRUE(wait_state_event(events, &st, self->c1.encryptor,
				     OCKAM_CHANNEL_DOWN,
				     OCKAM_STATE_R_GAVE_UP, 4000));
	EXPECT_EQ(-1, send_via_c1(self, "lost", 4));
	EXPECT_EQ(ENETDOWN, errno);

	/* Back: the first route set asks, the second answers. */
	ASSERT_EQ(0, set_route(self->nl, self->c2.encryptor, "0#x"));
	ASSERT_EQ(0, set_route(self->nl, self->c1.encryptor, "0#y"));
	EXPECT_TRUE(wait_state_event(events, &st, self->c1.encryptor,
				     OCKAM_CHANNEL_UP, OCKAM_STATE_R_HEARD,
				     2000));
	EXPECT_TRUE(wait_state_event(events, &st, self->c2.encryptor,
				     OCKAM_CHANNEL_UP, OCKAM_STATE_R_HEARD,
				     2000));
	ASSERT_EQ(4, send_via_c1(self, "back", 4));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "back"));
	ockam_events_close(events);
}

/*
 * The peer lost the channel; a new handshake's keys go behind the same
 * encryptor. Channel 3 (on z) stands for the peer's new end: what s sends
 * to channel 1's unchanged address now reaches r through it, sealed from
 * counter 0 with the new keys, and the answer comes back through the new
 * decryptor (w). Another identity is refused, and the old decryptor is
 * gone.
 */
TEST_F(chan, rekey_behind_the_same_encryptor)
{
	struct ockam_events *events;
	struct ockam_channel_info c3;
	uint8_t k3[OCKAM_KEY_LEN], k4[OCKAM_KEY_LEN];
	struct ockam_wire_route w_route = wire("0#z");
	struct ockam_channel_params p = {
		.tx_key = k3, .rx_key = k4,
		.route = w_route.bytes, .route_len = w_route.len,
		.identifier = id_b,
	};
	struct states st = { 0 };
	char route[128];
	int w, z;

	ASSERT_EQ(0, ockam_events_open(&events, NULL));
	ASSERT_EQ(0, pair_up(self, "0#y"));
	ASSERT_EQ(4, send_via_c1(self, "old!", 4));
	ASSERT_EQ(0, recv_expect(self->r, "old!", NULL, 0));
	randombytes_buf(k3, sizeof(k3));
	randombytes_buf(k4, sizeof(k4));
	w = sock_bound("w");
	z = sock_bound("z");
	ASSERT_LE(0, w);
	ASSERT_LE(0, z);
	ASSERT_EQ(0, channel_add(self->nl, z, k4, k3, "0#w", id_a,
				 OCKAM_ROLE_RESPONDER, &c3, NULL));

	p.fd = w;
	p.identifier = id_a;
	EXPECT_EQ(-EPERM, ockam_nl_channel_rekey(self->nl, self->c1.encryptor,
						 &p, NULL));
	p.identifier = id_b;
	EXPECT_EQ(-ENOENT, ockam_nl_channel_rekey(self->nl, "nosuch", &p,
						  NULL));
	ASSERT_EQ(0, ockam_nl_channel_rekey(self->nl, self->c1.encryptor, &p,
					    NULL));
	EXPECT_TRUE(wait_state_event(events, &st, self->c1.encryptor,
				     OCKAM_CHANNEL_UP, OCKAM_STATE_R_REKEYED,
				     2000));
	ASSERT_EQ(0, channel_get(self->nl, self->c1.encryptor, &self->c1));
	EXPECT_STREQ("w", self->c1.decryptor);
	EXPECT_EQ(0, self->c1.tx_counter);

	ASSERT_EQ(4, send_via_c1(self, "new!", 4));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "new!"));
	EXPECT_EQ(OCKAM_IDENTIFIER_LEN, self->g.identity_len);
	EXPECT_STREQ(id_a, self->g.identity);
	rt(route, sizeof(route), "0#%s => 0#s", c3.encryptor);
	ASSERT_EQ(4, send_to(self->r, route, "ack!", 4));
	ASSERT_EQ(0, recv_got(self->s, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "ack!"));
	EXPECT_STREQ(id_b, self->g.identity);
	/* Nobody answers at x any more. */
	EXPECT_EQ(-1, send_to(self->m, "0#x", "lost", 4));
	EXPECT_EQ(EHOSTUNREACH, errno);
	close(w);
	close(z);
	ockam_events_close(events);
}

TEST_F(chan, set_route_refuses_bad_requests)
{
	struct ockam_node_settings set = {
		.set_channel_keepalive = true,
		.channel_keepalive_ms = OCKAM_CHANNEL_KEEPALIVE_MS_MIN - 1,
	};

	ASSERT_EQ(0, pair_up(self, "0#y"));
	EXPECT_EQ(-ENOENT, set_route(self->nl, "nosuch", "0#y"));
	EXPECT_EQ(-ENOENT, set_route(self->nl, self->c1.decryptor, "0#y"));
	EXPECT_EQ(-EINVAL, set_route(self->nl, self->c1.encryptor, ""));
	EXPECT_GT(0, ockam_nl_node_set(self->nl, &set, NULL));
	set.channel_keepalive_ms = 0;
	set.channel_give_up_ms = OCKAM_CHANNEL_GIVE_UP_MS_MIN - 1;
	EXPECT_GT(0, ockam_nl_node_set(self->nl, &set, NULL));
	/* Nothing changed: the channel still works its old way. */
	ASSERT_EQ(4, send_via_c1(self, "same", 4));
	ASSERT_EQ(0, recv_got(self->r, &self->g, 0));
	EXPECT_TRUE(payload_is(&self->g, "same"));
}

TEST_HARNESS_MAIN
