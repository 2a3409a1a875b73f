// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * noise-vectors FILE...: run the Noise test vectors in each FILE (the
 * JSON format of the standard Noise test-vector collections) against
 * ockamd's Noise_XX_25519_ChaChaPoly_SHA256.
 *
 * Vectors of other protocols, or with features this Noise lacks (PSKs,
 * pre-message keys), are skipped and listed on stderr. One check per
 * message (the sender makes the ciphertext, the receiver recovers the
 * payload) and one per handshake_hash; the last line on stdout is
 * "N passed, N failed", where a file that cannot be read or parsed counts
 * as one failure (the reason goes to stderr). Exit status: 0 when every
 * check passed and at least one vector ran, 1 otherwise, 2 for a usage
 * error.
 */
#include <stdio.h>
#include <string.h>

#include "vectors.h"

enum exit_status {
	EXIT_PASS = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: noise-vectors FILE...\n"
		"Runs the Noise_XX_25519_ChaChaPoly_SHA256 vectors of each Noise\n"
		"test-vector JSON FILE; prints \"N passed, N failed\".\n");
}

int main(int argc, char **argv)
{
	struct vectors_tally tally = { 0 };
	unsigned int errors = 0;
	struct ockam_err err;
	int i;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return EXIT_PASS;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 1; i < argc; i++) {
		ockam_err_clear(&err);
		if (vectors_run_file(argv[i], &tally, stderr, &err) < 0) {
			fprintf(stderr, "noise-vectors: %s\n",
				ockam_err_msg(&err));
			errors++;
		}
	}
	if (tally.vectors_skipped)
		fprintf(stderr, "noise-vectors: %u vector%s skipped\n",
			tally.vectors_skipped,
			tally.vectors_skipped == 1 ? "" : "s");
	if (!errors && !tally.vectors_run)
		fprintf(stderr, "noise-vectors: no vector could be run\n");
	printf("%u passed, %u failed\n", tally.passed,
	       tally.failed + errors);
	return errors || tally.failed || !tally.vectors_run ? EXIT_FAIL :
							      EXIT_PASS;
}
