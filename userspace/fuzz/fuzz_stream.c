// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for the TCP byte stream as the module cuts it
 * (kmod/tcp.c): one version byte, then frames of a u32 big-endian length
 * and that many bytes of routing message. The length decision is
 * ockam_tcp_msg_len() and each message goes to ockam_msg_decode(), both
 * from kmod/codec.c, the same file the module builds.
 *
 * Input: two bytes that choose the node's max_message, one byte n and n
 * chunk sizes, then the stream. The stream goes through a model of what
 * strparser and the module's parse and receive callbacks do with it,
 * twice: in one piece, and cut into chunks of the chosen sizes (cycled).
 * The decoder is given each run of header bytes in a buffer of its own,
 * as long as what has been made linear, so the sanitizers see any read
 * past it.
 *
 * Invariants, against a reference that walks the whole stream directly:
 *  - what the stream yields (the version, each frame's place, length and
 *    decode result, the error that ends it, and the bytes left waiting)
 *    is the same however it is cut;
 *  - a length prefix is refused exactly when it is 0 (-EBADMSG) or more
 *    than max_message (-EMSGSIZE);
 *  - a bad version byte ends the stream before any frame, and so does
 *    every error: nothing after it is parsed;
 *  - a message decodes from a header that arrived in pieces exactly as
 *    from the whole frame (the module's ockam_msg_pull() grows the linear
 *    part until the decoder stops asking for more), and a complete frame
 *    never leaves the decoder asking for more.
 */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "fuzz.h"

enum {
	/* Bytes of stream one input may hold. */
	STREAM_MAX = 1 << 16,
	/* Events: a frame takes 5 bytes at least; then the version and a
	 * close.
	 */
	EVENTS_MAX = STREAM_MAX / (OCKAM_TCP_FRAME_LEN + 1) + 3,
	CHUNK_SIZES_MAX = 15,
	/* The ockam_msg_pull() first pull (OCKAM_HEADER_PULL in message.h). */
	HEADER_PULL = 256,
};

enum event_kind {
	EV_VERSION,
	EV_FRAME,
	EV_CLOSE,
};

/*
 * One thing the stream yielded. A frame has its prefix at @start and a
 * body of @len bytes that decoded to @err (0 or -EINVAL) and, when it did,
 * to the other fields; a close has its reason in @err and the offset of
 * what it refused in @start.
 */
struct event {
	enum event_kind kind;
	int err;
	u32 start;
	u32 len;
	u32 header_len;
	u32 payload_len;
	u32 onward_hops;
	u32 ret_hops;
};

struct result {
	struct event ev[EVENTS_MAX];
	u32 count;
	/* Bytes of complete messages, the refused one included. */
	u32 consumed;
	bool closed;
};

static struct event *add_event(struct result *r, enum event_kind kind,
			       u32 start, int err)
{
	struct event *e;

	ASSERT(r->count < EVENTS_MAX && !r->closed);
	e = &r->ev[r->count++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->start = start;
	e->err = err;
	if (kind == EV_CLOSE)
		r->closed = true;
	return e;
}

static void note_message(struct event *e, const struct ockam_msg_view *msg)
{
	if (e->err)
		return;
	e->header_len = msg->header_len;
	e->payload_len = msg->payload_len;
	e->onward_hops = msg->onward.hops;
	e->ret_hops = msg->ret.hops;
}

/* ------------------------------------------------------ the reference */

/*
 * The rule of Documentation/wire-protocol.rst, stated plainly; no node
 * takes more than OCKAM_MAX_MESSAGE_MAX whatever its setting says.
 */
static int expected_len(const u8 *p, u32 max_message, u32 *len)
{
	*len = (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
	if (!*len)
		return -EBADMSG;
	if (*len > max_message || *len > OCKAM_MAX_MESSAGE_MAX)
		return -EMSGSIZE;
	return 0;
}

static void reference(const u8 *s, u32 size, u32 max_message,
		      struct result *r)
{
	struct ockam_msg_view msg;
	struct event *e;
	u32 pos = 1, len, rule_len;
	int err;

	r->count = 0;
	r->closed = false;
	r->consumed = 0;
	if (!size)
		return;
	r->consumed = 1;
	if (s[0] != OCKAM_TCP_VERSION) {
		add_event(r, EV_CLOSE, 0, -EPROTO);
		return;
	}
	add_event(r, EV_VERSION, 0, 0);
	while (size - pos >= OCKAM_TCP_FRAME_LEN) {
		err = ockam_tcp_msg_len(s + pos, max_message, &len);
		ASSERT(err == expected_len(s + pos, max_message, &rule_len));
		if (err) {
			add_event(r, EV_CLOSE, pos, err);
			return;
		}
		ASSERT(len == rule_len && len <= max_message);
		if (size - pos - OCKAM_TCP_FRAME_LEN < len)
			break;
		e = add_event(r, EV_FRAME, pos,
			      ockam_msg_decode(s + pos + OCKAM_TCP_FRAME_LEN,
					       len, len, &msg));
		e->len = len;
		note_message(e, &msg);
		pos += OCKAM_TCP_FRAME_LEN + len;
		r->consumed = pos;
		ASSERT(e->err == 0 || e->err == -EINVAL);
		/* A peer that sends garbage loses its connection. */
		if (e->err) {
			add_event(r, EV_CLOSE, e->start, -EBADMSG);
			return;
		}
	}
}

/* ---------------------------------------------- strparser, modelled */

struct chunk {
	const u8 *data;
	u32 len;
};

/*
 * What strparser holds: the chunks that arrived and are not consumed yet,
 * the offset of the current message in the first one, and the message's
 * full length once parse has said it (0 before).
 */
struct strp_model {
	const u8 *stream;	/* the whole input, to check copies against */
	u32 max_message;
	struct chunk q[STREAM_MAX];
	u32 head, tail;
	u32 offset;
	u32 buffered;
	u32 full_len;
	bool version_seen;
	struct result *r;
};

/* skb_copy_bits(): @n bytes at @off into @dst, across chunks. */
FUZZ_BOOKKEEPING
static void copy_bits(const struct strp_model *m, u32 off, u8 *dst, u32 n)
{
	u32 i = m->head, take;

	ASSERT(off + n <= m->buffered);
	off += m->offset;
	while (off >= m->q[i].len) {
		off -= m->q[i].len;
		i++;
	}
	while (n) {
		ASSERT(i < m->tail);
		take = m->q[i].len - off;
		if (take > n)
			take = n;
		memcpy(dst, m->q[i].data + off, take);
		dst += take;
		n -= take;
		off = 0;
		i++;
	}
}

/* Bytes from @off on that sit in one chunk: an skb's linear part. */
FUZZ_BOOKKEEPING
static u32 linear_at(const struct strp_model *m, u32 off)
{
	u32 i = m->head;

	off += m->offset;
	while (off >= m->q[i].len) {
		off -= m->q[i].len;
		i++;
	}
	return m->q[i].len - off;
}

FUZZ_BOOKKEEPING
static void consume(struct strp_model *m, u32 n)
{
	m->buffered -= n;
	m->r->consumed += n;
	n += m->offset;
	while (m->head < m->tail && n >= m->q[m->head].len)
		n -= m->q[m->head++].len;
	m->offset = n;
}

/* ockam_tcp_parse(): the length of the message that starts the buffer. */
static int model_parse(struct strp_model *m)
{
	u8 prefix[OCKAM_TCP_FRAME_LEN];
	u32 len;
	int err;

	if (!m->version_seen)
		return 1;
	if (m->buffered < OCKAM_TCP_FRAME_LEN)
		return 0;
	copy_bits(m, 0, prefix, sizeof(prefix));
	err = ockam_tcp_msg_len(prefix, m->max_message, &len);
	if (err)
		return err;
	return OCKAM_TCP_FRAME_LEN + len;
}

/* The header as ockam_msg_pull() makes it linear: each try a copy. */
static int model_pull(const struct strp_model *m, u32 body, u32 len,
		      struct ockam_msg_view *msg)
{
	u32 limit = len < OCKAM_HEADER_MAX ? len : OCKAM_HEADER_MAX;
	u32 want = limit < HEADER_PULL ? limit : HEADER_PULL;
	u32 headlen = linear_at(m, body);
	u32 start = m->r->consumed + body;
	u8 *lin;
	int ret;

	if (headlen > len)
		headlen = len;
	for (;;) {
		if (headlen < want)
			headlen = want;
		lin = malloc(headlen);
		ASSERT(lin);
		copy_bits(m, body, lin, headlen);
		ASSERT(!memcmp(lin, m->stream + start, headlen));
		ret = ockam_msg_decode(lin, headlen, len, msg);
		free(lin);
		if (ret != -EAGAIN)
			return ret;
		if (want >= limit)
			return -EINVAL;
		want = want * 2 < limit ? want * 2 : limit;
	}
}

/* ockam_tcp_rcv(): one complete message of m->full_len bytes. */
static void model_rcv(struct strp_model *m)
{
	struct ockam_msg_view msg;
	struct event *e;
	u8 version;
	u32 len;

	if (!m->version_seen) {
		copy_bits(m, 0, &version, 1);
		consume(m, 1);
		if (version != OCKAM_TCP_VERSION) {
			add_event(m->r, EV_CLOSE, 0, -EPROTO);
			return;
		}
		add_event(m->r, EV_VERSION, 0, 0);
		m->version_seen = true;
		return;
	}
	len = m->full_len - OCKAM_TCP_FRAME_LEN;
	e = add_event(m->r, EV_FRAME, m->r->consumed,
		      model_pull(m, OCKAM_TCP_FRAME_LEN, len, &msg));
	e->len = len;
	note_message(e, &msg);
	consume(m, m->full_len);
	if (e->err)
		add_event(m->r, EV_CLOSE, e->start, -EBADMSG);
}

/* One chunk arrives: strparser's read loop over what is buffered. */
static void model_recv(struct strp_model *m, const u8 *data, u32 len)
{
	struct chunk *c = &m->q[m->tail++];
	int ret;

	c->data = data;
	c->len = len;
	m->buffered += len;
	while (!m->r->closed && m->buffered) {
		if (!m->full_len) {
			ret = model_parse(m);
			if (ret < 0) {
				add_event(m->r, EV_CLOSE, m->r->consumed, ret);
				return;
			}
			if (!ret)
				return;
			m->full_len = ret;
		}
		if (m->buffered < m->full_len)
			return;
		model_rcv(m);
		m->full_len = 0;
	}
}

/*
 * The chunk sizes an input chose: small ones byte by byte, large ones in
 * steps of 128 bytes up to 16 KiB.
 */
static u32 chunk_size(u8 b)
{
	return b < 0x80 ? b + 1u : (b - 0x7fu) * 128;
}

static void model(const u8 *s, u32 size, u32 max_message, const u8 *sizes,
		  u32 nsizes, struct result *r)
{
	static struct strp_model m;
	u32 pos = 0, len, i = 0;

	m.head = m.tail = m.offset = m.buffered = m.full_len = 0;
	m.version_seen = false;
	m.stream = s;
	m.max_message = max_message;
	m.r = r;
	r->count = 0;
	r->closed = false;
	r->consumed = 0;
	while (pos < size) {
		len = nsizes ? chunk_size(sizes[i++ % nsizes]) : size;
		if (len > size - pos)
			len = size - pos;
		model_recv(&m, s + pos, len);
		pos += len;
	}
}

/* ------------------------------------------------------- comparison */

FUZZ_BOOKKEEPING
static bool same_event(const struct event *a, const struct event *b)
{
	return a->kind == b->kind && a->err == b->err &&
	       a->start == b->start && a->len == b->len &&
	       a->header_len == b->header_len &&
	       a->payload_len == b->payload_len &&
	       a->onward_hops == b->onward_hops && a->ret_hops == b->ret_hops;
}

FUZZ_BOOKKEEPING
static void check_same(const struct result *a, const struct result *b)
{
	u32 i;

	ASSERT(a->count == b->count);
	ASSERT(a->closed == b->closed);
	ASSERT(a->consumed == b->consumed);
	for (i = 0; i < a->count; i++)
		ASSERT(same_event(&a->ev[i], &b->ev[i]));
}

/* Each frame starts where the one before it ended; a close ends it all. */
static void check_shape(const struct result *r, u32 size)
{
	u32 i, next = 1;

	ASSERT(r->consumed <= size);
	for (i = 0; i < r->count; i++) {
		const struct event *e = &r->ev[i];

		/* The version comes first, unless refused. */
		if (!i)
			ASSERT(e->kind != EV_FRAME);
		else
			ASSERT(e->kind != EV_VERSION);
		ASSERT(e->kind != EV_CLOSE || i == r->count - 1);
		if (e->kind != EV_FRAME)
			continue;
		ASSERT(e->start == next);
		next += OCKAM_TCP_FRAME_LEN + e->len;
		ASSERT(e->err || e->header_len + e->payload_len == e->len);
	}
}

static u32 max_message_of(const u8 *p)
{
	/* The last is more than any node may set: the codec caps it. */
	static const u32 named[] = {
		OCKAM_MAX_MESSAGE_MIN, 1 << 20 /* the default */,
		OCKAM_MAX_MESSAGE_MAX, 0xffffffff,
	};
	u32 v = (u32)p[0] << 8 | p[1];

	/* Small limits too, so that short inputs reach -EMSGSIZE. */
	return v < 0xff00 ? v : named[v & 3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct result ref, whole, split;
	const u8 *sizes;
	u32 max_message, nsizes;

	if (size < 3)
		return 0;
	max_message = max_message_of(data);
	nsizes = data[2] & CHUNK_SIZES_MAX;
	if (size < 3 + nsizes || size - 3 - nsizes > STREAM_MAX)
		return 0;
	sizes = data + 3;
	data += 3 + nsizes;
	size -= 3 + nsizes;

	reference(data, size, max_message, &ref);
	check_shape(&ref, size);
	model(data, size, max_message, NULL, 0, &whole);
	check_same(&ref, &whole);
	model(data, size, max_message, sizes, nsizes, &split);
	check_same(&ref, &split);
	return 0;
}
