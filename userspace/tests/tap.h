/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A small TAP harness for the unit tests: each test is a function, and it
 * passes when none of its CHECKs failed. Failures print "# file:line: ..."
 * diagnostics before the "not ok" line.
 */
#ifndef OCKAM_TESTS_TAP_H
#define OCKAM_TESTS_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "util.h"

struct unit_test {
	const char *name;
	void (*fn)(void);
};

struct unit_suite {
	const char *name;
	const struct unit_test *tests;
	size_t count;
};

#define SUITE(var, label, ...)						\
	static const struct unit_test var##_tests[] = { __VA_ARGS__ };	\
	const struct unit_suite var = {					\
		.name = label,						\
		.tests = var##_tests,					\
		.count = ARRAY_SIZE(var##_tests),			\
	}

#define TEST(fn) { #fn, fn }

void tap_check_failed(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define CHECK(cond)							\
	do {								\
		if (!(cond))						\
			tap_check_failed(__FILE__, __LINE__, "%s", #cond); \
	} while (0)

#define CHECK_INT(a, b)							\
	do {								\
		long long _a = (a), _b = (b);				\
		if (_a != _b)						\
			tap_check_failed(__FILE__, __LINE__,		\
					 "%s == %lld, expected %s == %lld", \
					 #a, _a, #b, _b);		\
	} while (0)

#define CHECK_STR(a, b)							\
	do {								\
		const char *_a = (a), *_b = (b);			\
		if (!_a || !_b || strcmp(_a, _b))			\
			tap_check_failed(__FILE__, __LINE__,		\
					 "%s == \"%s\", expected \"%s\"", \
					 #a, _a ? _a : "(null)",	\
					 _b ? _b : "(null)");		\
	} while (0)

/* The message contains @needle. */
#define CHECK_CONTAINS(hay, needle)					\
	do {								\
		const char *_h = (hay), *_n = (needle);			\
		if (!_h || !strstr(_h, _n))				\
			tap_check_failed(__FILE__, __LINE__,		\
					 "\"%s\" does not contain \"%s\"", \
					 _h ? _h : "(null)", _n);	\
	} while (0)

#endif /* OCKAM_TESTS_TAP_H */
