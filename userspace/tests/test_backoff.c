// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Re-dial and re-register pauses: within half and all of a step that
 * doubles up to its limit, spread rather than fixed, and back to the
 * first step after a success.
 */
#include "../ockamd/backoff.h"
#include "tap.h"

static void steps_double_to_the_limit(void)
{
	static const unsigned int steps[] = { 500, 1000, 2000, 4000, 8000,
					      10000, 10000 };
	struct backoff b;
	unsigned int i, pause;

	backoff_init(&b, 500, 10000);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		pause = backoff_next(&b);
		CHECK(pause >= steps[i] / 2 && pause <= steps[i]);
	}
	backoff_reset(&b);
	pause = backoff_next(&b);
	CHECK(pause >= 250 && pause <= 500);
}

static void pauses_are_spread(void)
{
	unsigned int i, low = ~0u, high = 0, pause;
	struct backoff b;

	/* 200 draws from [500, 1000]: not all the same, never outside. */
	for (i = 0; i < 200; i++) {
		backoff_init(&b, 1000, 1000);
		pause = backoff_next(&b);
		low = pause < low ? pause : low;
		high = pause > high ? pause : high;
	}
	CHECK(low >= 500 && high <= 1000);
	CHECK(high - low >= 100);
}

static void odd_limits(void)
{
	struct backoff b;

	/* A zero first step is one millisecond; a limit below it is it. */
	backoff_init(&b, 0, 0);
	CHECK_INT(backoff_next(&b), 1);
	CHECK_INT(backoff_next(&b), 1);
	backoff_init(&b, 300, 100);
	CHECK(backoff_next(&b) >= 150);
	CHECK_INT(b.step_ms, 300);
	/* No overflow near the top of the range. */
	backoff_init(&b, 3000000000u, 4000000000u);
	backoff_next(&b);
	CHECK(b.step_ms == 4000000000u);
}

SUITE(backoff_suite, "backoff",
      TEST(steps_double_to_the_limit),
      TEST(pauses_are_spread),
      TEST(odd_limits));
