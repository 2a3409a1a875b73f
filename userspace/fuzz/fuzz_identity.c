// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for the identity decoders of ockamd
 * (userspace/ockamd/identity.c), without the handshake around them, so
 * that each input costs at most a few signature checks. The first byte
 * of an input picks the decoder:
 *
 *   0  identity_payload_parse(): a u64be clock, then the payload a peer
 *      sends in handshake messages 2 and 3 (change record, attestation)
 *   1  identity_import(): an identity record as the vault stores it
 *   2  identifier_parse(): the text of an identifier ("I" + 64 hex)
 *
 * Two identities are made at start from a fixed generator (fuzz_rng.c),
 * one with a current attestation and one whose attestation expired an
 * hour before, so their payloads and records are the same on every run;
 * FUZZ_IDENTITY_WRITE_SEEDS=DIR (with -runs=0) writes them as the seeds
 * in seeds-identity/.
 *
 * Invariants: no crash on any input; only the genuine bytes verify (the
 * records are signed, so anything else must be refused as -EBADMSG); a
 * genuine payload is accepted exactly when the clock is inside both
 * validity periods, give or take the allowed drift, else -EKEYEXPIRED,
 * and then yields its identity's identifier and keys; a record that
 * imports exports back to the same bytes; an identifier that parses
 * prints back as the same text in lower case.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ockamd/identity.h"
#include "fuzz.h"
#include "fuzz_rng.h"

enum fuzz_check {
	CHECK_PAYLOAD,
	CHECK_RECORD,
	CHECK_IDENTIFIER,
	CHECKS,
};

enum {
	FUZZ_NOW = 1700000000,
	/* The second identity's attestation closed this long before. */
	EXPIRED_TTL = -3600,
	CLOCK_LEN = 8,
};

struct genuine {
	struct identity *id;
	uint8_t payload[IDENTITY_PAYLOAD_MAX];
	size_t payload_len;
	uint8_t record[IDENTITY_RECORD_LEN];
	size_t record_len;
	/* Validity periods, Unix seconds. */
	uint64_t created, valid_until, att_created, att_expires;
};

static struct genuine ids[2];

/* ------------------------------------------------------------- setup */

static void make(struct genuine *g, int64_t ttl)
{
	struct ockam_err err;

	if (identity_generate(&g->id, FUZZ_NOW, ttl, &err) < 0) {
		fprintf(stderr, "fuzz_identity: %s\n", ockam_err_msg(&err));
		abort();
	}
	ASSERT(!identity_payload_encode(g->id, g->payload, sizeof(g->payload),
					&g->payload_len));
	ASSERT(!identity_export(g->id, g->record, sizeof(g->record),
				&g->record_len));
	g->created = FUZZ_NOW;
	g->valid_until = identity_valid_until(g->id);
	g->att_expires = identity_attestation_expires(g->id);
	g->att_created = ttl < 0 ? g->att_expires : FUZZ_NOW;
}

static void write_seed(const char *dir, const char *name,
		       enum fuzz_check check, const void *prefix,
		       size_t prefix_len, const void *body, size_t len)
{
	uint8_t tag = check;
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(&tag, 1, 1, f) != 1 ||
	    fwrite(prefix, 1, prefix_len, f) != prefix_len ||
	    fwrite(body, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "fuzz_identity: cannot write %s\n", path);
		exit(1);
	}
}

static void write_seeds(const char *dir)
{
	static const char *const names[][2] = {
		{ "payload-current", "record-current" },
		{ "payload-expired", "record-expired" },
	};
	char text[IDENTIFIER_STR_LEN + 1];
	uint8_t clock[CLOCK_LEN];
	unsigned int i;

	for (i = 0; i < CLOCK_LEN; i++)
		clock[i] = (uint64_t)FUZZ_NOW >> (8 * (CLOCK_LEN - 1 - i));
	for (i = 0; i < 2; i++) {
		write_seed(dir, names[i][0], CHECK_PAYLOAD, clock, CLOCK_LEN,
			   ids[i].payload, ids[i].payload_len);
		write_seed(dir, names[i][1], CHECK_RECORD, NULL, 0,
			   ids[i].record, ids[i].record_len);
	}
	identifier_format(identity_identifier(ids[0].id), text);
	write_seed(dir, "identifier", CHECK_IDENTIFIER, NULL, 0, text,
		   strlen(text));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("FUZZ_IDENTITY_WRITE_SEEDS");

	(void)argc;
	(void)argv;
	fuzz_rng_install();
	make(&ids[0], 0);
	make(&ids[1], EXPIRED_TTL);
	if (seeds && *seeds)
		write_seeds(seeds);
	return 0;
}

/* ----------------------------------------------------------- checks */

/* @now inside [@from, @until] give or take the drift: the rule, plainly. */
static bool in_window(uint64_t now, uint64_t from, uint64_t until)
{
	if (now < from && from - now > IDENTITY_CLOCK_DRIFT)
		return false;
	return !(now > until && now - until > IDENTITY_CLOCK_DRIFT);
}

static const struct genuine *genuine_payload(const uint8_t *data,
					     size_t size)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (size == ids[i].payload_len &&
		    !memcmp(data, ids[i].payload, size))
			return &ids[i];
	return NULL;
}

static void check_payload(const uint8_t *data, size_t size)
{
	const struct genuine *g;
	struct identity_peer peer;
	struct ockam_err err;
	uint64_t now = 0;
	bool valid;
	int i, ret;

	if (size < CLOCK_LEN)
		return;
	for (i = 0; i < CLOCK_LEN; i++)
		now = now << 8 | data[i];
	data += CLOCK_LEN;
	size -= CLOCK_LEN;

	ockam_err_clear(&err);
	ret = identity_payload_parse(data, size, now, &peer, &err);
	g = genuine_payload(data, size);
	if (!g) {
		ASSERT(ret == -EBADMSG && err.code == ret && err.msg[0]);
		return;
	}
	valid = in_window(now, g->created, g->valid_until) &&
		in_window(now, g->att_created, g->att_expires);
	ASSERT(ret == (valid ? 0 : -EKEYEXPIRED));
	if (ret < 0)
		return;
	ASSERT(!memcmp(peer.identifier, identity_identifier(g->id),
		       IDENTIFIER_BYTES));
	ASSERT(!memcmp(peer.static_key, identity_static_pub(g->id),
		       sizeof(peer.static_key)));
	ASSERT(peer.attestation_expires == g->att_expires);
}

static void check_record(const uint8_t *data, size_t size)
{
	static uint8_t again[IDENTITY_RECORD_LEN];
	struct identity *id;
	struct ockam_err err;
	bool genuine = false;
	size_t len;
	int i, ret;

	for (i = 0; i < 2; i++)
		genuine |= size == ids[i].record_len &&
			   !memcmp(data, ids[i].record, size);
	ockam_err_clear(&err);
	ret = identity_import(&id, data, size, &err);
	if (ret < 0) {
		/* Locked memory may run out; nothing else may fail. */
		ASSERT(ret == -ENOMEM || (!genuine && ret == -EBADMSG));
		ASSERT(err.code == ret && err.msg[0]);
		return;
	}
	ASSERT(genuine);
	ASSERT(!identity_export(id, again, sizeof(again), &len));
	ASSERT(len == size && !memcmp(again, data, size));
	identity_free(id);
}

static void check_identifier(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), back[IDENTIFIER_STR_LEN + 1];
	uint8_t id[IDENTIFIER_BYTES];
	size_t i;

	ASSERT(text);
	memcpy(text, data, size);
	text[size] = '\0';
	if (identifier_parse(text, id) == 0) {
		ASSERT(strlen(text) == IDENTIFIER_STR_LEN);
		identifier_format(id, back);
		for (i = 0; i < IDENTIFIER_STR_LEN; i++)
			ASSERT(back[i] == (i ? tolower((unsigned char)text[i]) :
					       'I'));
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % CHECKS) {
	case CHECK_PAYLOAD:
		check_payload(data + 1, size - 1);
		break;
	case CHECK_RECORD:
		check_record(data + 1, size - 1);
		break;
	default:
		check_identifier(data + 1, size - 1);
		break;
	}
	return 0;
}
