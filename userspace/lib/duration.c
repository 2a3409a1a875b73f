// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Durations as operators write them: "10" or "10s", "1500ms", "2m". One
 * spelling for the ockam command and ockamd, so that a value the command
 * passes on means the same to the daemon.
 */
#include <ctype.h>
#include <string.h>

#include "internal.h"

/* A day: the longest any setting takes (the channel give-up time). */
#define DURATION_MS_MAX 86400000UL

OCKAM_EXPORT int ockam_duration_parse_ms(const char *text, uint32_t *ms)
{
	unsigned long value = 0;
	const char *p = text;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		value = value * 10 + (*p++ - '0');
		if (value > DURATION_MS_MAX)
			return -ERANGE;
	}
	if (!*p || !strcmp(p, "s"))
		value *= 1000;
	else if (!strcmp(p, "m"))
		value *= 60000;
	else if (strcmp(p, "ms"))
		return -EINVAL;
	if (value > DURATION_MS_MAX)
		return -ERANGE;
	*ms = value;
	return 0;
}
