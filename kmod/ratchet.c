// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The receive keys of a secure channel; see ratchet.h.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#define memzero_explicit(p, n) explicit_bzero(p, n)
#endif

#include "ratchet.h"

void ockam_ratchet_init(struct ockam_ratchet *r, const u8 *key)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->lo_key, key, OCKAM_KEY_LEN);
	memcpy(r->hi_key, key, OCKAM_KEY_LEN);
}

/* Turn @hi forward to @epoch, keeping the key before it. */
static void ockam_ratchet_advance(struct ockam_ratchet *r, u64 epoch)
{
	while (r->hi < epoch) {
		memcpy(r->prev_key, r->hi_key, OCKAM_KEY_LEN);
		ockam_cipher_rekey(r->hi_key);
		r->hi++;
	}
}

/* Is the memo's key there for an epoch @lo < e < @hi - 1? */
static bool ockam_ratchet_memo_valid(const struct ockam_ratchet *r)
{
	return r->lo < r->memo && r->memo + 1 < r->hi;
}

/*
 * @epoch's key, for @lo < @epoch < @hi - 1: from the memo when it is at
 * or before @epoch, else from @lo's key; the memo then holds it.
 */
static void ockam_ratchet_derive(struct ockam_ratchet *r, u64 epoch, u8 *key)
{
	u64 e = r->lo;

	if (ockam_ratchet_memo_valid(r) && r->memo <= epoch) {
		e = r->memo;
		memcpy(key, r->memo_key, OCKAM_KEY_LEN);
	} else {
		memcpy(key, r->lo_key, OCKAM_KEY_LEN);
	}
	for (; e < epoch; e++)
		ockam_cipher_rekey(key);
	memcpy(r->memo_key, key, OCKAM_KEY_LEN);
	r->memo = epoch;
}

int ockam_ratchet_key(struct ockam_ratchet *r, u64 epoch, u8 *key)
{
	if (epoch < r->lo)
		return -EALREADY;
	ockam_ratchet_advance(r, epoch);
	if (epoch == r->hi)
		memcpy(key, r->hi_key, OCKAM_KEY_LEN);
	else if (epoch + 1 == r->hi)
		memcpy(key, r->prev_key, OCKAM_KEY_LEN);
	else if (epoch == r->lo)
		memcpy(key, r->lo_key, OCKAM_KEY_LEN);
	else
		ockam_ratchet_derive(r, epoch, key);
	return 0;
}

void ockam_ratchet_forget(struct ockam_ratchet *r, u64 lo)
{
	/* @hi's key is the newest there is; it stays until @hi moves. */
	if (lo > r->hi)
		lo = r->hi;
	for (; r->lo < lo; r->lo++)
		ockam_cipher_rekey(r->lo_key);
	if (r->lo == r->hi)
		memzero_explicit(r->prev_key, OCKAM_KEY_LEN);
	if (!ockam_ratchet_memo_valid(r))
		memzero_explicit(r->memo_key, OCKAM_KEY_LEN);
}

void ockam_ratchet_commit(struct ockam_ratchet *r, u64 counter, u64 next)
{
	if (ockam_epoch_ends(counter) &&
	    r->hi == counter / OCKAM_REKEY_INTERVAL)
		ockam_ratchet_advance(r, r->hi + 1);
	if (next > OCKAM_REPLAY_WINDOW)
		ockam_ratchet_forget(r, (next - OCKAM_REPLAY_WINDOW) /
					OCKAM_REKEY_INTERVAL);
}

void ockam_ratchet_peek(const struct ockam_ratchet *r, u64 epoch, u8 *key)
{
	u64 e;

	memcpy(key, r->hi_key, OCKAM_KEY_LEN);
	for (e = r->hi; e < epoch; e++)
		ockam_cipher_rekey(key);
}

void ockam_ratchet_leap(struct ockam_ratchet *r, u64 epoch, const u8 *key)
{
	if (epoch <= r->hi)
		return;
	memzero_explicit(r->prev_key, OCKAM_KEY_LEN);
	memzero_explicit(r->memo_key, OCKAM_KEY_LEN);
	memcpy(r->lo_key, key, OCKAM_KEY_LEN);
	memcpy(r->hi_key, key, OCKAM_KEY_LEN);
	r->lo = epoch;
	r->hi = epoch;
	r->memo = epoch;
}

void ockam_ratchet_wipe(struct ockam_ratchet *r)
{
	memzero_explicit(r, sizeof(*r));
}
