/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Pauses between attempts to bring something back (a connection, a
 * relay): a step that starts at @first_ms and doubles after each failed
 * attempt up to @max_ms, each pause drawn at random between half and all
 * of the step, so that what failed together does not retry together.
 */
#ifndef OCKAMD_BACKOFF_H
#define OCKAMD_BACKOFF_H

struct backoff {
	unsigned int first_ms;
	unsigned int max_ms;
	unsigned int step_ms;	/* the next pause is drawn from this */
};

void backoff_init(struct backoff *b, unsigned int first_ms,
		  unsigned int max_ms);
/* After a success: the next pause is drawn from the first step again. */
void backoff_reset(struct backoff *b);
/* The pause before the next attempt, in [step / 2, step]; then doubles. */
unsigned int backoff_next(struct backoff *b);

#endif /* OCKAMD_BACKOFF_H */
