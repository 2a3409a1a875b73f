// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Jittered exponential backoff; see backoff.h.
 */
#include <sodium.h>

#include "backoff.h"

void backoff_init(struct backoff *b, unsigned int first_ms,
		  unsigned int max_ms)
{
	b->first_ms = first_ms ? first_ms : 1;
	b->max_ms = max_ms < b->first_ms ? b->first_ms : max_ms;
	b->step_ms = b->first_ms;
}

void backoff_reset(struct backoff *b)
{
	b->step_ms = b->first_ms;
}

unsigned int backoff_next(struct backoff *b)
{
	unsigned int step = b->step_ms;
	unsigned int pause = step - step / 2 + randombytes_uniform(step / 2 + 1);

	b->step_ms = step > b->max_ms / 2 ? b->max_ms : step * 2;
	return pause;
}
