// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The fixed generator of fuzz_rng.h: splitmix64 from a constant state.
 * Statistically fine, and the same on every run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz_rng.h"

static uint64_t rng_state = 0x6f636b616d2d667aull;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const char *rng_name(void)
{
	return "fuzz-fixed";
}

static uint32_t rng_random(void)
{
	return (uint32_t)rng_next();
}

static void rng_buf(void *buf, size_t size)
{
	uint8_t *p = buf;
	uint64_t v;
	size_t n;

	while (size) {
		v = rng_next();
		n = size < sizeof(v) ? size : sizeof(v);
		memcpy(p, &v, n);
		p += n;
		size -= n;
	}
}

static struct randombytes_implementation fixed_rng = {
	.implementation_name = rng_name,
	.random = rng_random,
	.buf = rng_buf,
};

void fuzz_rng_install(void)
{
	/* Before sodium_init(), which starts the generator. */
	randombytes_set_implementation(&fixed_rng);
	if (sodium_init() < 0)
		abort();
}
