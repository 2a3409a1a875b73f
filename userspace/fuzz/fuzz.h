/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What every fuzz target shares: libFuzzer's entry point, and ASSERT for
 * its invariants. ASSERT aborts, so libFuzzer keeps the input that broke
 * one; unlike assert(), NDEBUG cannot turn it off.
 */
#ifndef OCKAM_FUZZ_H
#define OCKAM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define ASSERT(cond)							\
	do {								\
		if (!(cond))						\
			abort();					\
	} while (0)

/*
 * For a target's own bookkeeping that runs per byte (copying, comparing):
 * out of libFuzzer's coverage and comparison tracing, which would only
 * slow it down and says nothing about the code under test.
 */
#define FUZZ_BOOKKEEPING __attribute__((no_sanitize("coverage")))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional: once, before the first input, for targets with a set-up. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif /* OCKAM_FUZZ_H */
