/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The receive counter window of a secure channel: each counter is accepted
 * once, and only within OCKAM_REPLAY_WINDOW of the highest accepted, in
 * either direction. Reordering inside the window is fine; a duplicate, a
 * counter that fell behind the window, or one too far ahead is not
 * (though crypt.c may restart the window at one too far ahead).
 *
 * Checking and committing are separate because a frame is only committed
 * once its tag verified: a forged frame must not move the window.
 *
 * Like codec.c, this file builds unchanged in the module and in
 * userspace, where it is unit-tested and fuzzed. Callers serialise.
 */
#ifndef _OCKAM_REPLAY_H
#define _OCKAM_REPLAY_H

#include "codec.h"

enum ockam_replay_limits {
	OCKAM_REPLAY_WORD_BITS = 64,
	OCKAM_REPLAY_WORDS = OCKAM_REPLAY_WINDOW / OCKAM_REPLAY_WORD_BITS,
};

struct ockam_replay {
	/* One more than the highest counter accepted; 0 before the first. */
	u64 next;
	/* Bit (c % OCKAM_REPLAY_WINDOW) is set once counter c is accepted,
	 * for c in [next - OCKAM_REPLAY_WINDOW, next).
	 */
	u64 seen[OCKAM_REPLAY_WORDS];
};

enum ockam_replay_verdict {
	OCKAM_REPLAY_OK = 0,
	OCKAM_REPLAY_DUPLICATE,	/* accepted before */
	OCKAM_REPLAY_TOO_OLD,	/* behind the window */
	OCKAM_REPLAY_TOO_NEW,	/* further ahead than the window */
};

void ockam_replay_init(struct ockam_replay *r);
enum ockam_replay_verdict ockam_replay_check(const struct ockam_replay *r,
					     u64 counter);
/* Check again (another frame may have won meanwhile) and record. */
enum ockam_replay_verdict ockam_replay_commit(struct ockam_replay *r,
					      u64 counter);

/*
 * Restart the window at @counter, further ahead than it reaches, which
 * verified: every counter before it is behind or unseen (crypt.c says
 * when a frame may do this).
 */
void ockam_replay_leap(struct ockam_replay *r, u64 counter);

#endif /* _OCKAM_REPLAY_H */
