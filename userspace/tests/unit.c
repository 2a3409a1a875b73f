// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Runs every unit test suite and prints TAP: "ok N - suite: test".
 * Exit status 1 if any test failed.
 */
#include <stdarg.h>
#include <stdio.h>

#include "tap.h"

extern const struct unit_suite codec_suite, route_suite, multiaddr_suite,
	sockaddr_suite, control_suite, registry_suite, args_suite, log_suite,
	frame_suite, handshake_frame_suite, handshake_source_suite,
	noise_suite, identity_suite, vault_suite, trust_suite,
	ctl_requests_suite, portal_suite, relay_suite, portal_msg_suite,
	backoff_suite, recovery_suite, puncture_suite;

static const struct unit_suite *const suites[] = {
	&codec_suite, &route_suite, &multiaddr_suite, &sockaddr_suite,
	&control_suite, &registry_suite, &args_suite, &log_suite,
	&frame_suite, &handshake_frame_suite, &handshake_source_suite,
	&noise_suite, &identity_suite, &vault_suite, &trust_suite,
	&ctl_requests_suite, &portal_suite, &relay_suite,
	&portal_msg_suite, &backoff_suite, &recovery_suite,
	&puncture_suite,
};

static int failed_checks;

void tap_check_failed(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failed_checks++;
}

int main(void)
{
	unsigned int n = 0, failed = 0;
	size_t s, t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (s = 0; s < ARRAY_SIZE(suites); s++) {
		for (t = 0; t < suites[s]->count; t++) {
			const struct unit_test *test = &suites[s]->tests[t];

			failed_checks = 0;
			test->fn();
			n++;
			if (failed_checks)
				failed++;
			printf("%sok %u - %s: %s\n", failed_checks ? "not " : "",
			       n, suites[s]->name, test->name);
		}
	}
	printf("1..%u\n", n);
	return failed ? 1 : 0;
}
