/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Runs Noise test vectors (the JSON format of the Noise test-vector
 * collections: {"vectors": [{protocol_name, init_static, ..., messages:
 * [{payload, ciphertext}]}]}) against ockamd's Noise. Shared by the
 * noise-vectors program and the unit tests.
 *
 * The unit is one check per message -- the sender's bytes equal the
 * ciphertext and the receiver recovers the payload (and, for a handshake
 * message that reveals it, the sender's static key) -- plus one check per
 * handshake_hash given: both sides' h equals it.
 */
#ifndef OCKAM_TESTS_VECTORS_H
#define OCKAM_TESTS_VECTORS_H

#include <stdio.h>

#include <ockam/ockam.h>

struct vectors_tally {
	unsigned int passed;
	unsigned int failed;
	unsigned int vectors_run;
	unsigned int vectors_skipped;
};

/*
 * Run every supported vector in @len bytes of JSON @text; @name (a file
 * name) prefixes every line written to @log: skipped vectors and each
 * failed check with what differed. 0 when the text was well-formed (the
 * tally then says how the checks went); -EINVAL for malformed JSON or a
 * vector that breaks the format, with @err saying where.
 */
int vectors_run_text(const char *name, const char *text, size_t len,
		     struct vectors_tally *tally, FILE *log,
		     struct ockam_err *err);
/* The same for a file; errors name it. */
int vectors_run_file(const char *path, struct vectors_tally *tally,
		     FILE *log, struct ockam_err *err);

#endif /* OCKAM_TESTS_VECTORS_H */
