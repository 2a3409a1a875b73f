/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Logging to the node's log file, and to stderr in the foreground.
 */
#ifndef OCKAMD_LOG_H
#define OCKAMD_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Open (or reopen, for SIGHUP) @path in append mode. */
int log_open(const char *path, const char *node, bool to_stderr);
void log_close(void);
void log_set_level(enum log_level level);
/* Whether lines also go to stderr (before and after log_open()). */
void log_set_stderr(bool on);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif /* OCKAMD_LOG_H */
