// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Error reporting: a negative errno plus a one-line message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

OCKAM_EXPORT void ockam_err_clear(struct ockam_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

OCKAM_EXPORT const char *ockam_err_msg(const struct ockam_err *err)
{
	if (!err)
		return "unknown error";
	if (err->msg[0])
		return err->msg;
	return strerror(err->code < 0 ? -err->code : err->code);
}

OCKAM_EXPORT int ockam_err_set(struct ockam_err *err, int code,
			       const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

bool ockam_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (!size)
		return false;
	if (len >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return false;
	}
	memcpy(dst, src, len + 1);
	return true;
}
