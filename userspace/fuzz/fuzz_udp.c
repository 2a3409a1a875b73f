// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for the UDP transport's datagrams (wire.h): the header
 * decoder and encoder of kmod/codec.c, the same file the module builds,
 * and a model of the receiver's reassembly decisions (kmod/udp_reasm.c).
 *
 * Input: two bytes that choose the node's max_message, then records of a
 * byte that picks the sender (one of four peers), a u16be length and that
 * many bytes of datagram (UDP payload). Each datagram goes through
 * ockam_udp_header_decode(); what it accepts goes to the reassembly model.
 * Afterwards the same input's bytes are sent as one message, cut the way
 * kmod/udp.c's sender cuts it, in an order and with duplicates that the
 * input chooses.
 *
 * Invariants:
 *  - the decoder follows the rule of wire.h, stated plainly here: a
 *    datagram shorter than the header, with flags or reserved bits set,
 *    with an empty fragment, an offset at or past the length or a fragment
 *    that ends past it is -EBADMSG, another version -EPROTO, a length
 *    over max_message (or over OCKAM_MAX_MESSAGE_MAX) -EMSGSIZE; what it
 *    accepts has 0 < fragment_len, offset + fragment_len <= length and
 *    length <= max_message, with the fields the bytes say;
 *  - encoding the decoded fields gives back the header's bytes;
 *  - the fragment list the module keeps (offset order, a fast path for
 *    fragments past the last one) makes the decision a plain interval
 *    check makes: a fragment that covers exactly a held range is a
 *    duplicate, one that overlaps any other way loses the message, as
 *    does one that disagrees on the length; a message is whole exactly
 *    when the bytes held are its length, and is then contiguous from 0 to
 *    its length with each fragment's bytes where its offset says;
 *  - a message cut by the sender's rule and received in any order, with
 *    any duplicates, comes out once, byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "fuzz.h"

enum {
	INPUT_MAX = 1 << 16,
	/* A record takes 3 bytes at least. */
	FRAGS_MAX = INPUT_MAX / 3 + 1,
	PEERS = 4,
	/* OCKAM_UDP_PARTIALS_PER_PEER in kmod/udp.h. */
	PARTIALS_PER_PEER = 16,
	PARTIALS_MAX = PEERS * PARTIALS_PER_PEER,
	/* uapi: OCKAM_UDP_DATAGRAM_MIN and _MAX. */
	DATAGRAM_MIN = 256,
	DATAGRAM_MAX = 65507,
};

/* ------------------------------------------------------- the decoder */

static u32 be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

/* wire.h's rule, in the order the checks are listed there. */
static int expected_decode(const u8 *buf, u32 len, u32 max_message)
{
	u64 offset, length, fragment;

	if (len < OCKAM_UDP_HEADER_LEN)
		return -EBADMSG;
	if (buf[0] != OCKAM_UDP_VERSION)
		return -EPROTO;
	if (buf[1] || buf[2] || buf[3])
		return -EBADMSG;
	offset = be32(buf + 8);
	length = be32(buf + 12);
	fragment = len - OCKAM_UDP_HEADER_LEN;
	if (length > max_message || length > OCKAM_MAX_MESSAGE_MAX)
		return -EMSGSIZE;
	if (!fragment || offset >= length || offset + fragment > length)
		return -EBADMSG;
	return 0;
}

static int check_decode(const u8 *buf, u32 len, u32 max_message,
			struct ockam_udp_header *hdr)
{
	u8 again[OCKAM_UDP_HEADER_LEN];
	struct ockam_udp_header back;
	int err;

	err = ockam_udp_header_decode(buf, len, max_message, hdr);
	ASSERT(err == expected_decode(buf, len, max_message));
	if (err)
		return err;
	ASSERT(hdr->fragment_len == len - OCKAM_UDP_HEADER_LEN);
	ASSERT(hdr->fragment_len > 0);
	ASSERT(hdr->length <= max_message);
	ASSERT(hdr->length <= OCKAM_MAX_MESSAGE_MAX);
	ASSERT((u64)hdr->offset + hdr->fragment_len <= hdr->length);
	ASSERT(hdr->message == be32(buf + 4));
	ASSERT(hdr->offset == be32(buf + 8));
	ASSERT(hdr->length == be32(buf + 12));

	ockam_udp_header_encode(again, hdr->message, hdr->offset, hdr->length);
	ASSERT(!memcmp(again, buf, OCKAM_UDP_HEADER_LEN));
	/* The header alone is not a datagram: a fragment has bytes. */
	ASSERT(ockam_udp_header_decode(again, OCKAM_UDP_HEADER_LEN,
				       max_message, &back) == -EBADMSG);
	ASSERT(ockam_udp_header_decode(again, len, max_message, &back) == 0);
	ASSERT(back.message == hdr->message && back.offset == hdr->offset &&
	       back.length == hdr->length &&
	       back.fragment_len == hdr->fragment_len);
	return 0;
}

/* ------------------------------------------------ reassembly, modelled */

struct frag {
	u32 offset;
	u32 len;
	const u8 *data;
	struct frag *next;
};

enum place {
	PLACE_ADDED,
	PLACE_DUPLICATE,
	PLACE_OVERLAP,
};

struct partial {
	bool used;
	u32 peer;
	u32 message;
	u32 length;
	u32 received;
	u64 age;		/* order of creation: the oldest goes first */
	/* As the module keeps them: in offset order, @last the highest. */
	struct frag *frags;
	struct frag *last;
	/* As the reference keeps them: in arrival order. */
	u32 nranges;
	struct frag *ranges[FRAGS_MAX];
};

struct reasm {
	struct partial p[PARTIALS_MAX];
	struct frag pool[FRAGS_MAX];
	u32 pool_used;
	u64 clock;
	u8 out[INPUT_MAX];
	/* What happened, for the invariants of the run as a whole. */
	u32 delivered, duplicates, lost;
	u32 last_len;
};

static u32 frag_end(const struct frag *f)
{
	return f->offset + f->len;
}

/* ockam_udp_frag_place(), on struct frag instead of skbs. */
static enum place module_place(struct partial *p, struct frag *f)
{
	struct frag *prev = NULL, *next = p->frags;
	u32 end = f->offset + f->len;

	if (p->last && f->offset >= frag_end(p->last)) {
		prev = p->last;
		next = NULL;
	}
	while (next && frag_end(next) <= f->offset) {
		prev = next;
		next = next->next;
	}
	if (next && next->offset < end) {
		if (next->offset == f->offset && next->len == f->len)
			return PLACE_DUPLICATE;
		return PLACE_OVERLAP;
	}
	f->next = next;
	if (prev)
		prev->next = f;
	else
		p->frags = f;
	if (!next)
		p->last = f;
	return PLACE_ADDED;
}

/* The same decision from the held ranges, each against every other. */
static enum place reference_place(const struct partial *p,
				  const struct frag *f)
{
	u32 i, end = f->offset + f->len;
	bool overlap = false;

	for (i = 0; i < p->nranges; i++) {
		const struct frag *r = p->ranges[i];

		if (r->offset == f->offset && r->len == f->len)
			return PLACE_DUPLICATE;
		if (r->offset < end && f->offset < frag_end(r))
			overlap = true;
	}
	return overlap ? PLACE_OVERLAP : PLACE_ADDED;
}

static void partial_free(struct partial *p)
{
	p->used = false;
	p->frags = p->last = NULL;
	p->nranges = 0;
}

static struct partial *partial_find(struct reasm *r, u32 peer, u32 message)
{
	u32 i;

	for (i = 0; i < PARTIALS_MAX; i++)
		if (r->p[i].used && r->p[i].peer == peer &&
		    r->p[i].message == message)
			return &r->p[i];
	return NULL;
}

/* ockam_udp_partial_new(): a full peer loses its oldest first. */
static struct partial *partial_new(struct reasm *r, u32 peer,
				   const struct ockam_udp_header *hdr)
{
	struct partial *p, *oldest = NULL, *free_slot = NULL;
	u32 i, count = 0;

	for (i = 0; i < PARTIALS_MAX; i++) {
		p = &r->p[i];
		if (!p->used) {
			if (!free_slot)
				free_slot = p;
			continue;
		}
		if (p->peer != peer)
			continue;
		count++;
		if (!oldest || p->age < oldest->age)
			oldest = p;
	}
	ASSERT(count <= PARTIALS_PER_PEER);
	if (count == PARTIALS_PER_PEER) {
		partial_free(oldest);
		r->lost++;
		free_slot = oldest;
	}
	ASSERT(free_slot);
	p = free_slot;
	memset(p, 0, offsetof(struct partial, ranges));
	p->used = true;
	p->peer = peer;
	p->message = hdr->message;
	p->length = hdr->length;
	p->age = r->clock++;
	return p;
}

/* The message is whole: chain it and check it against the ranges. */
FUZZ_BOOKKEEPING
static void partial_finish(struct reasm *r, struct partial *p)
{
	const struct frag *f;
	u32 pos = 0, i, sum = 0;

	ASSERT(p->length <= sizeof(r->out));
	for (f = p->frags; f; f = f->next) {
		/* Contiguous: nothing missing, nothing twice. */
		ASSERT(f->offset == pos);
		memcpy(r->out + pos, f->data, f->len);
		pos += f->len;
	}
	ASSERT(pos == p->length);
	for (i = 0; i < p->nranges; i++) {
		f = p->ranges[i];
		sum += f->len;
		ASSERT(!memcmp(r->out + f->offset, f->data, f->len));
	}
	ASSERT(sum == p->length);
	r->delivered++;
	r->last_len = p->length;
	partial_free(p);
}

/*
 * ockam_udp_encap_rcv() and ockam_udp_reasm_add() for one decoded
 * datagram; true when it finished a message (then in r->out).
 */
static bool reasm_add(struct reasm *r, u32 peer,
		      const struct ockam_udp_header *hdr, const u8 *bytes)
{
	struct partial *p;
	struct frag *f;
	enum place got;

	if (hdr->fragment_len == hdr->length) {
		/* One datagram, the whole message: no reassembly. */
		ASSERT(hdr->offset == 0);
		memcpy(r->out, bytes, hdr->length);
		r->delivered++;
		r->last_len = hdr->length;
		return true;
	}
	p = partial_find(r, peer, hdr->message);
	if (p && p->length != hdr->length) {
		partial_free(p);
		r->lost++;
		return false;
	}
	if (!p)
		p = partial_new(r, peer, hdr);
	ASSERT(r->pool_used < FRAGS_MAX);
	f = &r->pool[r->pool_used++];
	f->offset = hdr->offset;
	f->len = hdr->fragment_len;
	f->data = bytes;
	f->next = NULL;

	got = reference_place(p, f);
	ASSERT(module_place(p, f) == got);
	switch (got) {
	case PLACE_DUPLICATE:
		r->duplicates++;
		return false;
	case PLACE_OVERLAP:
		partial_free(p);
		r->lost++;
		return false;
	case PLACE_ADDED:
		break;
	}
	ASSERT(p->nranges < FRAGS_MAX);
	p->ranges[p->nranges++] = f;
	p->received += f->len;
	/* The fragments are disjoint and inside the message. */
	ASSERT(p->received <= p->length);
	if (p->received < p->length)
		return false;
	partial_finish(r, p);
	return true;
}

static void reasm_reset(struct reasm *r)
{
	u32 i;

	for (i = 0; i < PARTIALS_MAX; i++)
		partial_free(&r->p[i]);
	r->pool_used = 0;
	r->clock = 0;
	r->delivered = r->duplicates = r->lost = 0;
}

/* ------------------------------------------------- hostile datagrams */

static void run_records(struct reasm *r, const u8 *data, u32 size,
			u32 max_message)
{
	struct ockam_udp_header hdr;
	u32 pos = 0, len, peer;

	while (size - pos >= 3) {
		peer = data[pos] % PEERS;
		len = (u32)data[pos + 1] << 8 | data[pos + 2];
		pos += 3;
		if (len > size - pos)
			len = size - pos;
		if (!check_decode(data + pos, len, max_message, &hdr))
			reasm_add(r, peer, &hdr,
				  data + pos + OCKAM_UDP_HEADER_LEN);
		pos += len;
	}
}

/* ----------------------------------------------- one message, cut up */

/*
 * kmod/udp.c's sender: datagrams of @datagram bytes at most, header
 * included, received in an order the input chooses, some twice.
 */
static void run_message(struct reasm *r, const u8 *msg, u32 len,
			u32 datagram, u32 message, const u8 *order,
			u32 order_len)
{
	static u8 wire[DATAGRAM_MAX];
	static u32 perm[INPUT_MAX];
	u32 chunk = datagram - OCKAM_UDP_HEADER_LEN, n, i, j, k, t, offset;
	u32 sent = 0;
	struct ockam_udp_header hdr;
	bool done;

	if (!len)
		return;
	n = (len + chunk - 1) / chunk;
	for (i = 0; i < n; i++)
		perm[i] = i;
	/* Fisher-Yates with the input's bytes. */
	for (i = n - 1, k = 0; i > 0 && order_len; i--, k++) {
		j = order[k % order_len] % (i + 1);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	reasm_reset(r);
	for (i = 0; i < n; i++) {
		/*
		 * A byte of the order with its top bit set: sent twice. Not
		 * the last: after it the message is whole and forgotten, and
		 * its copy would start the message again (a copy of a
		 * one-datagram message is delivered again; a secure
		 * channel's replay window is what refuses it).
		 */
		u32 times = i + 1 < n && order_len &&
			    order[i % order_len] & 0x80 ? 2 : 1;

		offset = perm[i] * chunk;
		k = len - offset < chunk ? len - offset : chunk;
		ockam_udp_header_encode(wire, message, offset, len);
		memcpy(wire + OCKAM_UDP_HEADER_LEN, msg + offset, k);
		while (times--) {
			ASSERT(!check_decode(wire, OCKAM_UDP_HEADER_LEN + k,
					     OCKAM_MAX_MESSAGE_MAX, &hdr));
			ASSERT(hdr.fragment_len == k && hdr.offset == offset);
			/* The fragment's bytes stay where the model can see
			 * them: in the message itself.
			 */
			done = reasm_add(r, 0, &hdr, msg + offset);
			sent++;
			/* Whole exactly with the last new fragment. */
			ASSERT(done == (i + 1 == n));
			ASSERT(r->delivered == (done ? 1u : 0u));
		}
	}
	ASSERT(r->delivered == 1);
	ASSERT(r->lost == 0);
	ASSERT(r->duplicates == sent - n);
	ASSERT(r->last_len == len);
	ASSERT(!memcmp(r->out, msg, len));
}

/* --------------------------------------------------------- the target */

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
	static struct reasm r;
	u32 max_message, datagram;

	if (size < 2 || size - 2 > INPUT_MAX)
		return 0;
	max_message = max_message_of(data);
	data += 2;
	size -= 2;

	reasm_reset(&r);
	run_records(&r, data, size, max_message);

	/* The datagram size, in the node's range; small ones often. */
	if (size < 4)
		return 0;
	datagram = DATAGRAM_MIN +
		   ((u32)data[0] << 8 | data[1]) % (DATAGRAM_MAX - DATAGRAM_MIN + 1);
	if (data[2] & 1)
		datagram = DATAGRAM_MIN + data[3];
	run_message(&r, data, size, datagram, be32(data),
		    data + size / 2, size - size / 2);
	return 0;
}
