/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Helpers shared by libockam's own files; not installed.
 */
#ifndef OCKAM_LIB_INTERNAL_H
#define OCKAM_LIB_INTERNAL_H

#include <errno.h>

#include <ockam/ockam.h>

#include "util.h"

#define OCKAM_EXPORT __attribute__((visibility("default")))

/* Copy at most @size - 1 bytes of @src and terminate; true if it fit. */
bool ockam_strlcpy(char *dst, const char *src, size_t size);

/* The encoded route inside a socket address the kernel filled in. */
int ockam_sockaddr_route(const struct sockaddr_ockam *sa, socklen_t salen,
			 const uint8_t **route, size_t *len,
			 struct ockam_err *err);

#endif /* OCKAM_LIB_INTERNAL_H */
