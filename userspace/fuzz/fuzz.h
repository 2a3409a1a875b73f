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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* OCKAM_FUZZ_H */
