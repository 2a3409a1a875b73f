// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockamd's log: the rate limit on lines that other nodes can cause.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ockamd/log.h"
#include "tap.h"

static void bucket(void)
{
	struct log_limit lim = { 0 };
	unsigned long suppressed = 99;
	int i, passed = 0;

	/* A full bucket to start with, then nothing until it refills. */
	for (i = 0; i < LOG_LIMIT_BURST + 2; i++)
		passed += log_limit_take(&lim, 1000, &suppressed);
	CHECK_INT(passed, LOG_LIMIT_BURST);
	CHECK_INT(suppressed, 0);
	CHECK(!log_limit_take(&lim, 1000 + LOG_LIMIT_REFILL_MS - 1,
			      &suppressed));
	/* One token later; the line says how many went unsaid. */
	CHECK(log_limit_take(&lim, 1000 + LOG_LIMIT_REFILL_MS, &suppressed));
	CHECK_INT(suppressed, 3);
	CHECK(!log_limit_take(&lim, 1000 + LOG_LIMIT_REFILL_MS, &suppressed));
	CHECK(log_limit_take(&lim, 1000 + 2 * LOG_LIMIT_REFILL_MS,
			     &suppressed));
	CHECK_INT(suppressed, 1);
	/* A long quiet spell refills it, but no further than the burst. */
	passed = 0;
	for (i = 0; i < 2 * LOG_LIMIT_BURST; i++)
		passed += log_limit_take(&lim, 10000000, &suppressed);
	CHECK_INT(passed, LOG_LIMIT_BURST);
}

static void limited_lines(void)
{
	char dir[] = "/tmp/ockam-log-XXXXXX", path[64], buf[8192];
	int dir_fd, fd, i, lines = 0;
	ssize_t n;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK_INT(log_open(dir_fd, "log", "n1", false), 0);
	for (i = 0; i < LOG_LIMIT_BURST + 5; i++)
		log_warn_limited("peer %d misbehaves", i);
	usleep((LOG_LIMIT_REFILL_MS + 50) * 1000);
	for (i = 0; i < 2; i++)
		log_warn_limited("later %d", i);
	log_close();

	snprintf(path, sizeof(path), "%s/log", dir);
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	for (i = 0; i < n; i++)
		lines += buf[i] == '\n';
	/* The call sites differ: each has a bucket of its own. */
	CHECK_INT(lines, LOG_LIMIT_BURST + 2);
	CHECK_CONTAINS(buf, "warning: peer 9 misbehaves\n");
	CHECK(!strstr(buf, "peer 10 "));
	CHECK_CONTAINS(buf, "later 1\n");
	if (fd >= 0)
		close(fd);
	unlink(path);
	close(dir_fd);
	rmdir(dir);
}

static void suppressed_count(void)
{
	char dir[] = "/tmp/ockam-log-XXXXXX", path[64], buf[8192];
	int dir_fd, fd, i;
	ssize_t n;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK_INT(log_open(dir_fd, "log", "n1", false), 0);
	for (i = 0; i < LOG_LIMIT_BURST + 6; i++) {
		if (i == LOG_LIMIT_BURST + 5)
			usleep((LOG_LIMIT_REFILL_MS + 50) * 1000);
		log_warn_limited("dial request %d failed", i);
	}
	log_close();

	snprintf(path, sizeof(path), "%s/log", dir);
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_CONTAINS(buf, "dial request 15 failed (5 similar messages suppressed)\n");
	if (fd >= 0)
		close(fd);
	unlink(path);
	close(dir_fd);
	rmdir(dir);
}

SUITE(log_suite, "log",
      TEST(bucket),
      TEST(limited_lines),
      TEST(suppressed_count));
