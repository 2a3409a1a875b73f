// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * One line per event: "2024-11-22T04:50:01.123Z info: message", in the log
 * file once it is open and, in the foreground, on stderr without the time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int log_fd = -1;
static bool log_stderr = true;
static enum log_level log_level = LOG_LEVEL_INFO;
static char log_node[80] = "";

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

int log_open(const char *path, const char *node, bool to_stderr)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	log_stderr = to_stderr;
	snprintf(log_node, sizeof(log_node), "%s", node);
	return 0;
}

void log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	log_stderr = true;
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

void log_set_stderr(bool on)
{
	log_stderr = on;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024], stamp[32];
	struct timeval tv;
	struct tm tm;
	size_t len;
	va_list ap;
	int body, n, saved = errno;

	if (level > log_level)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	body = snprintf(line, sizeof(line), "%s.%03ldZ ", stamp,
			(long)tv.tv_usec / 1000);
	n = body + snprintf(line + body, sizeof(line) - body, "%s: ",
			    level_names[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	len = strlen(line);
	line[len++] = '\n';

	if (log_fd >= 0 && write(log_fd, line, len) < 0) {
		/* Nowhere better to report it. */
	}
	if (log_stderr) {
		/* The terminal has its own clock: no timestamp there. */
		fprintf(stderr, "ockamd[%s]: %.*s", log_node,
			(int)(len - body), line + body);
	}
	errno = saved;
}
