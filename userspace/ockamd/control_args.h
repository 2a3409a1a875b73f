/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Argument parsers of the control handlers (control_args.c). Each fails
 * with -EINVAL and a message in @err naming what was wrong.
 */
#ifndef OCKAMD_CONTROL_ARGS_H
#define OCKAMD_CONTROL_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include <ockam/ockam.h>

#include "control_protocol.h"
#include "util.h"

/*
 * Arguments from @first on are options, KEY=VALUE with a key of @keys
 * (NULL-terminated), each at most once; @values gets them by key index
 * (NULL when absent).
 */
int ctl_parse_options(const struct ockam_ctl_request *req, unsigned int first,
		      const char *const *keys, const char **values,
		      struct ockam_err *err);

/* A decimal number in [@min, @max] into @out. */
int ctl_parse_number(const char *text, const char *what, long long min,
		     long long max, long long *out, struct ockam_err *err);

/*
 * The route argument: an encoded route in hex, into @route (at least
 * OCKAM_ROUTE_BYTES_MAX bytes) and @len; the codec must accept it and it
 * must not be empty.
 */
int ctl_parse_route(const char *hex, uint8_t *route, size_t *len,
		    struct ockam_err *err);

#endif /* OCKAMD_CONTROL_ARGS_H */
