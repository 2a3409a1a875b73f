/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Memory for secrets: libsodium's guarded allocations, locked against
 * swapping, with guard pages on both sides, zeroed when freed.
 */
#ifndef OCKAMD_SECURE_MEMORY_H
#define OCKAMD_SECURE_MEMORY_H

#include <stddef.h>
#include <string.h>

#include <sodium.h>

enum { SECURE_MEMORY_ALIGN = 16 };

/*
 * A zeroed block of @size bytes, or NULL. sodium_malloc() puts the end of
 * the block against the trailing guard page, so the start is aligned only
 * when the size is a multiple of the alignment: round it up.
 */
static inline void *secure_zalloc(size_t size)
{
	size_t rounded = (size + SECURE_MEMORY_ALIGN - 1) &
			 ~(size_t)(SECURE_MEMORY_ALIGN - 1);
	void *p;

	if (rounded < size || sodium_init() < 0)
		return NULL;
	p = sodium_malloc(rounded);
	if (p)
		memset(p, 0, rounded);
	return p;
}

/* sodium_free() zeroes the block before unmapping it; NULL is fine. */
static inline void secure_free(void *p)
{
	sodium_free(p);
}

#endif /* OCKAMD_SECURE_MEMORY_H */
