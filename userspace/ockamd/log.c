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

#include <ockam/ockam.h>

#include "log.h"

static int log_fd = -1;
static bool log_stderr = true;
static enum log_level log_level = LOG_LEVEL_INFO;
static char log_node[OCKAM_NODE_NAME_MAX + 1] = "";

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

int log_open(int dirfd, const char *file, const char *node, bool to_stderr)
{
	int fd = openat(dirfd, file, O_WRONLY | O_APPEND | O_CREAT |
				     O_NOFOLLOW | O_CLOEXEC, 0600);

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

/* Write one line; @suppressed, when not zero, is said at its end. */
static void log_line(enum log_level level, unsigned long suppressed,
		     const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void log_line(enum log_level level, unsigned long suppressed,
		     const char *fmt, va_list ap)
{
	char line[1024], stamp[32];
	struct timeval tv;
	struct tm tm;
	size_t len;
	int body, n, saved = errno;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	body = snprintf(line, sizeof(line), "%s.%03ldZ ", stamp,
			(long)tv.tv_usec / 1000);
	n = body + snprintf(line + body, sizeof(line) - body, "%s: ",
			    level_names[level]);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	len = strlen(line);
	if (suppressed) {
		snprintf(line + len, sizeof(line) - len - 1,
			 " (%lu similar messages suppressed)", suppressed);
		len = strlen(line);
	}
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

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	log_line(level, 0, fmt, ap);
	va_end(ap);
}

bool log_limit_take(struct log_limit *lim, uint64_t now_ms,
		    unsigned long *suppressed)
{
	uint64_t gained;

	if (!lim->primed) {
		lim->primed = true;
		lim->tokens = LOG_LIMIT_BURST;
		lim->refilled_ms = now_ms;
	}
	gained = now_ms > lim->refilled_ms ?
		 (now_ms - lim->refilled_ms) / LOG_LIMIT_REFILL_MS : 0;
	if (gained) {
		lim->tokens = gained >= LOG_LIMIT_BURST - lim->tokens ?
			      LOG_LIMIT_BURST : lim->tokens + gained;
		lim->refilled_ms += gained * LOG_LIMIT_REFILL_MS;
	}
	if (!lim->tokens) {
		lim->suppressed++;
		return false;
	}
	lim->tokens--;
	*suppressed = lim->suppressed;
	lim->suppressed = 0;
	return true;
}

void log_msg_limited(struct log_limit *lim, enum log_level level,
		     const char *fmt, ...)
{
	unsigned long suppressed;
	struct timespec ts;
	va_list ap;
	int saved = errno;

	/* Lines below the log level cost no tokens. */
	if (level > log_level)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	errno = saved;
	if (!log_limit_take(lim, (uint64_t)ts.tv_sec * 1000 +
				 ts.tv_nsec / 1000000, &suppressed))
		return;
	va_start(ap, fmt);
	log_line(level, suppressed, fmt, ap);
	va_end(ap);
}
