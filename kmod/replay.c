// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Receive counter window; see replay.h.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

#include "replay.h"

void ockam_replay_init(struct ockam_replay *r)
{
	memset(r, 0, sizeof(*r));
}

static u64 *ockam_replay_word(const struct ockam_replay *r, u64 counter)
{
	u64 slot = counter % OCKAM_REPLAY_WINDOW;

	return (u64 *)&r->seen[slot / OCKAM_REPLAY_WORD_BITS];
}

static u64 ockam_replay_bit(u64 counter)
{
	return (u64)1 << (counter % OCKAM_REPLAY_WORD_BITS);
}

enum ockam_replay_verdict ockam_replay_check(const struct ockam_replay *r,
					     u64 counter)
{
	/* Noise reserves the last nonce; see OCKAM_COUNTER_LIMIT. */
	if (counter >= OCKAM_COUNTER_LIMIT)
		return OCKAM_REPLAY_TOO_NEW;
	/* Written so that no expression can overflow near 2^64. */
	if (counter >= r->next) {
		if (counter - r->next >= OCKAM_REPLAY_WINDOW)
			return OCKAM_REPLAY_TOO_NEW;
		return OCKAM_REPLAY_OK;
	}
	if (r->next - counter > OCKAM_REPLAY_WINDOW)
		return OCKAM_REPLAY_TOO_OLD;
	if (*ockam_replay_word(r, counter) & ockam_replay_bit(counter))
		return OCKAM_REPLAY_DUPLICATE;
	return OCKAM_REPLAY_OK;
}

/*
 * Moving the window forward forgets the counters that fall out of it:
 * their slots are reused by the counters that now enter it.
 */
static void ockam_replay_advance(struct ockam_replay *r, u64 counter)
{
	u64 c;

	if (counter - r->next >= OCKAM_REPLAY_WINDOW) {
		memset(r->seen, 0, sizeof(r->seen));
	} else {
		for (c = r->next; c < counter; c++)
			*ockam_replay_word(r, c) &= ~ockam_replay_bit(c);
	}
	r->next = counter + 1;
}

enum ockam_replay_verdict ockam_replay_commit(struct ockam_replay *r,
					      u64 counter)
{
	enum ockam_replay_verdict verdict = ockam_replay_check(r, counter);

	if (verdict != OCKAM_REPLAY_OK)
		return verdict;
	if (counter >= r->next)
		ockam_replay_advance(r, counter);
	*ockam_replay_word(r, counter) |= ockam_replay_bit(counter);
	return OCKAM_REPLAY_OK;
}

void ockam_replay_leap(struct ockam_replay *r, u64 counter)
{
	memset(r->seen, 0, sizeof(r->seen));
	r->next = counter + 1;
	*ockam_replay_word(r, counter) |= ockam_replay_bit(counter);
}
