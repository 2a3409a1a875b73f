/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Logging to the node's log file, and to stderr in the foreground.
 */
#ifndef OCKAMD_LOG_H
#define OCKAMD_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Open (or reopen, for SIGHUP) @file of directory @dirfd in append mode. */
int log_open(int dirfd, const char *file, const char *node, bool to_stderr);
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

/*
 * Messages that other nodes can cause at will (one per message served,
 * per dial request, per connection) go through a token bucket per call
 * site, so that a peer cannot fill the disk: LOG_LIMIT_BURST lines at
 * once, then one per LOG_LIMIT_REFILL_MS. Dropped lines are counted, and
 * the next line that gets through says how many there were.
 */
enum log_limits {
	LOG_LIMIT_BURST = 10,
	LOG_LIMIT_REFILL_MS = 500,
};

struct log_limit {
	bool primed;		/* the bucket starts full */
	unsigned int tokens;
	uint64_t refilled_ms;	/* CLOCK_MONOTONIC of the last refill */
	unsigned long suppressed;
};

/*
 * Take a token at @now_ms. True when a line may be written; @suppressed
 * then holds how many were dropped since the last one.
 */
bool log_limit_take(struct log_limit *lim, uint64_t now_ms,
		    unsigned long *suppressed);

void log_msg_limited(struct log_limit *lim, enum log_level level,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_limited(level, ...)						\
	do {								\
		static struct log_limit limit_;				\
									\
		log_msg_limited(&limit_, level, __VA_ARGS__);		\
	} while (0)

#define log_err_limited(...) log_limited(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn_limited(...) log_limited(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info_limited(...) log_limited(LOG_LEVEL_INFO, __VA_ARGS__)

#endif /* OCKAMD_LOG_H */
