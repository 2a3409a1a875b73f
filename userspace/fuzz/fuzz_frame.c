// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for what a secure channel's decryptor does with bytes
 * from the network before and after decryption: the frame layout
 * (kmod/frame.c) and the receive window (kmod/replay.c), the same files
 * the module builds.
 *
 * The first input byte picks a check:
 *  0: the input is a frame: too short is refused, the counter reads back
 *     as written, the type check takes PAYLOAD with a body and CLOSE
 *     without, nothing else;
 *  1: the input is a stream of counters (a start, then signed steps) fed
 *     to the window and to a plain model of it (every counter accepted so
 *     far, and the rule of Documentation/wire-protocol.rst): they must
 *     agree on every counter, and no counter is ever accepted twice. The
 *     receive keys (kmod/ratchet.c) are asked for each counter the window
 *     takes and for a forged one near it, and told of each commit, as
 *     crypt.c does: every key is there and right (against every key
 *     derived in turn), and none costs more than OCKAM_RATCHET_SPAN
 *     REKEYs;
 *  2: the input is a counter, a bit position and a plaintext: sealed as
 *     the module seals it, it opens with the same key; with the bit
 *     flipped anywhere in the frame it never does.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "frame.h"
#include "ratchet.h"
#include "replay.h"
#include "fuzz.h"

enum {
	CHECK_LAYOUT,
	CHECK_WINDOW,
	CHECK_SEAL,
	CHECKS,
	/* Counters one window run feeds at most. */
	WINDOW_STEPS = 4096,
	/* The furthest epoch one window run reaches: each accepted counter
	 * is at most a window past the highest before it.
	 */
	WINDOW_EPOCHS = (WINDOW_STEPS + 1) * OCKAM_REPLAY_WINDOW /
			OCKAM_REKEY_INTERVAL + 1,
	FRAME_MAX = 4096,
};

static u64 read_u64(const u8 *p)
{
	u64 v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void check_layout(const u8 *data, size_t size)
{
	u8 head[OCKAM_COUNTER_LEN];
	u64 counter = 0;
	int len;

	len = ockam_frame_counter(data, size, &counter);
	if (size < OCKAM_FRAME_OVERHEAD) {
		ASSERT(len == -EINVAL);
		return;
	}
	ASSERT(len == (int)size - OCKAM_COUNTER_LEN);
	ockam_frame_put_counter(head, counter);
	ASSERT(!memcmp(head, data, sizeof(head)));
	ASSERT(counter == read_u64(data));

	switch (data[OCKAM_FRAME_TYPE_OFF]) {
	case OCKAM_CHANNEL_MSG_PAYLOAD:
		ASSERT(!ockam_frame_check_type(0, 1));
		ASSERT(ockam_frame_check_type(0, 0) == -EINVAL);
		break;
	case OCKAM_CHANNEL_MSG_CLOSE:
		ASSERT(!ockam_frame_check_type(2, 0));
		ASSERT(ockam_frame_check_type(2, 1) == -EINVAL);
		break;
	default:
		ASSERT(ockam_frame_check_type(data[OCKAM_FRAME_TYPE_OFF],
					      size) == -EINVAL);
	}
}

/*
 * The ratchet's logic does not depend on what REKEY computes, only that
 * each key follows from the one before, so a cheap stand-in (a 64-bit mix
 * of each word) keeps the fuzzer fast. It counts its calls.
 */
static unsigned long rekeys;

void ockam_cipher_rekey(u8 key[OCKAM_KEY_LEN])
{
	u64 w;
	int i;

	for (i = 0; i < OCKAM_KEY_LEN; i += 8) {
		memcpy(&w, key + i, 8);
		w = (w ^ (w >> 31) ^ (u64)i) * 0x9e3779b97f4a7c15ull;
		memcpy(key + i, &w, 8);
	}
	rekeys++;
}

/* Every epoch's key, derived in turn as far as asked. */
static u8 model_keys[WINDOW_EPOCHS][OCKAM_KEY_LEN];
static u64 model_epochs;

static const u8 *model_key(u64 epoch)
{
	ASSERT(epoch < WINDOW_EPOCHS);
	if (!model_epochs) {
		memset(model_keys[0], 0x5a, OCKAM_KEY_LEN);
		model_epochs = 1;
	}
	for (; model_epochs <= epoch; model_epochs++) {
		memcpy(model_keys[model_epochs], model_keys[model_epochs - 1],
		       OCKAM_KEY_LEN);
		ockam_cipher_rekey(model_keys[model_epochs]);
	}
	return model_keys[epoch];
}

/* @epoch's key, as the ratchet gives it for a counter the window takes. */
static void ask_key(struct ockam_ratchet *k, u64 epoch)
{
	u8 key[OCKAM_KEY_LEN];
	const u8 *want;

	want = model_key(epoch);
	rekeys = 0;
	ASSERT(!ockam_ratchet_key(k, epoch, key));
	ASSERT(rekeys <= OCKAM_RATCHET_SPAN);
	ASSERT(!memcmp(key, want, OCKAM_KEY_LEN));
	ASSERT(k->lo <= k->hi);
}

/* The model: the rule as the documentation states it. */
struct window_model {
	bool any;
	u64 highest;
	u64 seen[WINDOW_STEPS];
	size_t count;
};

static bool model_accepts(const struct window_model *m, u64 c)
{
	size_t i;

	if (c >= OCKAM_COUNTER_LIMIT)
		return false;
	if (!m->any)
		return c < OCKAM_REPLAY_WINDOW;
	if (c > m->highest && c - m->highest > OCKAM_REPLAY_WINDOW)
		return false;
	if (c < m->highest && m->highest - c >= OCKAM_REPLAY_WINDOW)
		return false;
	for (i = 0; i < m->count; i++) {
		if (m->seen[i] == c)
			return false;
	}
	return true;
}

static void check_window(const u8 *data, size_t size)
{
	static struct window_model m;
	struct ockam_ratchet k;
	struct ockam_replay r;
	u64 c;

	if (size < 8)
		return;
	memset(&m, 0, sizeof(m));
	ockam_replay_init(&r);
	ockam_ratchet_init(&k, model_key(0));
	/* Start anywhere, the end of the counter space included. */
	c = read_u64(data);
	data += 8;
	size -= 8;
	for (; size >= 2 && m.count < WINDOW_STEPS; data += 2, size -= 2) {
		int16_t step = (int16_t)(data[0] << 8 | data[1]);
		bool accept = model_accepts(&m, c);
		enum ockam_replay_verdict v = ockam_replay_check(&r, c);
		/* A forged frame nearby: its key is asked for, then its tag
		 * fails and nothing is committed.
		 */
		u64 forged = c ^ (u64)(uint16_t)step;

		if (ockam_replay_check(&r, forged) == OCKAM_REPLAY_OK)
			ask_key(&k, forged / OCKAM_REKEY_INTERVAL);
		ASSERT((v == OCKAM_REPLAY_OK) == accept);
		if (accept)
			ask_key(&k, c / OCKAM_REKEY_INTERVAL);
		ASSERT((ockam_replay_commit(&r, c) == OCKAM_REPLAY_OK) ==
		       accept);
		if (accept) {
			if (!m.any || c > m.highest)
				m.highest = c;
			m.any = true;
			m.seen[m.count++] = c;
			ockam_ratchet_commit(&k, c, r.next);
			ASSERT(k.lo <= k.hi);
		}
		c += (u64)(int64_t)step;
	}
}

static void make_nonce(u8 nonce[12], u64 counter)
{
	int i;

	memset(nonce, 0, 12);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = counter >> (8 * i);
}

static void check_seal(const u8 *data, size_t size)
{
	static const u8 key[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static u8 frame[FRAME_MAX], out[FRAME_MAX];
	unsigned long long len, out_len;
	size_t pt_len, bit;
	u8 nonce[12];
	u64 counter, read;
	int sealed;

	if (size < 10 || size - 10 + OCKAM_FRAME_OVERHEAD > FRAME_MAX)
		return;
	counter = read_u64(data);
	bit = (size_t)(data[8] << 8 | data[9]);
	data += 10;
	pt_len = size - 10;
	if (!pt_len)
		return;

	/* Seal: counter in clear, then type + body and the tag. */
	ockam_frame_put_counter(frame, counter);
	make_nonce(nonce, counter);
	crypto_aead_chacha20poly1305_ietf_encrypt(frame + OCKAM_COUNTER_LEN,
						  &len, data, pt_len, NULL, 0,
						  NULL, nonce, key);
	len += OCKAM_COUNTER_LEN;

	bit %= 8 * len + 1;
	if (bit < 8 * len)
		frame[bit / 8] ^= 1 << (bit % 8);

	sealed = ockam_frame_counter(frame, len, &read);
	ASSERT(sealed == (int)len - OCKAM_COUNTER_LEN);
	make_nonce(nonce, read);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &out_len, NULL,
						      frame + OCKAM_COUNTER_LEN,
						      sealed, NULL, 0, nonce,
						      key)) {
		ASSERT(bit < 8 * len);
		return;
	}
	ASSERT(bit == 8 * len);
	ASSERT(out_len == pt_len && !memcmp(out, data, pt_len));
	ASSERT(!ockam_frame_check_type(out[0], out_len - 1) ==
	       ((out[0] == OCKAM_CHANNEL_MSG_PAYLOAD && out_len > 1) ||
		(out[0] == OCKAM_CHANNEL_MSG_CLOSE && out_len == 1)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (sodium_init() < 0)
		abort();
	switch (data[0] % CHECKS) {
	case CHECK_LAYOUT:
		check_layout(data + 1, size - 1);
		break;
	case CHECK_WINDOW:
		check_window(data + 1, size - 1);
		break;
	default:
		check_seal(data + 1, size - 1);
		break;
	}
	return 0;
}
