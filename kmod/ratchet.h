/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The receive keys of a secure channel. Counter c is sealed with the key
 * of epoch c / OCKAM_REKEY_INTERVAL, and each epoch's key is the Noise
 * REKEY of the one before: a ratchet that only turns forward. The replay
 * window accepts counters a window behind and ahead of the highest one
 * accepted, so a receiver may need the key of any epoch from @lo (the
 * oldest the window still reaches) to @hi (the newest a frame named):
 * up to OCKAM_RATCHET_SPAN of them.
 *
 * Keeping each of them cost 2 KiB per channel. The ratchet keeps four:
 * @lo's, from which any epoch in range can be derived; @hi's, which
 * traffic in order uses; @hi - 1's, which a frame reordered across the
 * last rekey uses; and the last key derived for an epoch between them
 * (@memo's). Frames opened on several CPUs at once (crypt_queue.c) keep
 * asking for epochs behind @hi - 1: a worker still opening one batch of
 * frames while another has begun the next. The memo turns each of them
 * into one REKEY from the last, instead of up to OCKAM_RATCHET_SPAN from
 * @lo's key. That bound still holds for the first such frame and for a
 * forged one: it costs that many ChaCha20-Poly1305 calls on 32 bytes
 * before its tag is checked, less than opening a 4 KiB frame does. A
 * frame further ahead than the window (crypt.c) is checked under a key
 * peeked from @hi's, up to 1024 REKEYs, one such frame a second.
 *
 * Like replay.c, this file builds unchanged in the module and in
 * userspace, where it is unit-tested and fuzzed against a model that
 * keeps every key. Callers serialise.
 */
#ifndef _OCKAM_RATCHET_H
#define _OCKAM_RATCHET_H

#include "codec.h"

enum ockam_ratchet_limits {
	/* Epochs a counter inside the window can fall in, either side of
	 * the highest accepted, plus one for each partial epoch.
	 */
	OCKAM_RATCHET_SPAN = 2 * OCKAM_REPLAY_WINDOW / OCKAM_REKEY_INTERVAL + 2,
};

struct ockam_ratchet {
	u64 lo;
	u64 hi;
	u64 memo;
	u8 lo_key[OCKAM_KEY_LEN];
	/* Epoch @hi - 1's key while @hi > @lo; zero otherwise. */
	u8 prev_key[OCKAM_KEY_LEN];
	/* Epoch @memo's key while @lo < @memo < @hi - 1; zero otherwise. */
	u8 memo_key[OCKAM_KEY_LEN];
	u8 hi_key[OCKAM_KEY_LEN];
};

/* Is @counter the last of its key's OCKAM_REKEY_INTERVAL messages? */
static inline bool ockam_epoch_ends(u64 counter)
{
	return (counter + 1) % OCKAM_REKEY_INTERVAL == 0;
}

/* Epoch 0's key is @key. */
void ockam_ratchet_init(struct ockam_ratchet *r, const u8 *key);
/*
 * Epoch @epoch's key into @key; -EALREADY when it is behind @lo and its
 * key is gone. Epochs ahead of @hi become @hi: the keys on the way are
 * derived once, however many frames name them.
 */
int ockam_ratchet_key(struct ockam_ratchet *r, u64 epoch, u8 *key);
/* No frame will use an epoch before @lo again: wipe their keys. */
void ockam_ratchet_forget(struct ockam_ratchet *r, u64 lo);
/*
 * @counter verified and the window took it; @next is one past the highest
 * counter the window has taken. The last counter of the newest epoch
 * brings in the next key, as the sender's last message of a key did, and
 * the keys of epochs no counter inside the window can use are wiped.
 */
void ockam_ratchet_commit(struct ockam_ratchet *r, u64 counter, u64 next);
/*
 * Epoch @epoch's key (at or after @hi) into @key, derived from @hi's
 * without changing the ratchet: for a frame further ahead than the
 * window, whose tag is not checked yet.
 */
void ockam_ratchet_peek(const struct ockam_ratchet *r, u64 epoch, u8 *key);
/*
 * Such a frame verified and restarted the window: @epoch, ahead of @hi,
 * is @lo and @hi now, with @key; every key before it is wiped.
 */
void ockam_ratchet_leap(struct ockam_ratchet *r, u64 epoch, const u8 *key);
void ockam_ratchet_wipe(struct ockam_ratchet *r);

/*
 * Noise REKEY, in place: ENCRYPT(k, 2^64 - 1, empty, 32 zero bytes), the
 * first 32 bytes. The module's is cipher.c's (lib/crypto); userspace
 * tests link one on libsodium.
 */
void ockam_cipher_rekey(u8 key[OCKAM_KEY_LEN]);

#endif /* _OCKAM_RATCHET_H */
