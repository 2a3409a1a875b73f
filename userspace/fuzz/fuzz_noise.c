// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for what a peer controls in a secure-channel
 * handshake: every noise_read_message() a peer's bytes reach, the
 * identity payload parser, and the transport cipher. The first byte of
 * an input picks the target, the rest is the peer's message:
 *
 *   0  identity_payload_parse()
 *   1  a responder reads message 1
 *   2  an initiator reads message 2 (after writing message 1)
 *   3  a responder reads message 3 (after messages 1 and 2)
 *   4  transport: the responder decrypts with its first receive nonce
 *
 * libsodium's random numbers come from a fixed generator (fuzz_rng.c),
 * so both identities, both ephemeral keys and so every genuine message
 * are the same on every run: the seeds in seeds-noise/ are genuine
 * messages, and mutations of them get past the length checks into the
 * cryptography. The seeds are written by running the target with
 * FUZZ_NOISE_WRITE_SEEDS=DIR (and -runs=0).
 *
 * Invariants: no crash or sanitizer report on any input; what decrypts
 * is exactly what the genuine peer sent (messages 2 and 3 are
 * authenticated, so any other bytes must fail); a payload that verifies
 * is one of the two genuine ones; a transport message that decrypts
 * encrypts back to the same bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../ockamd/identity.h"
#include "../ockamd/noise.h"
#include "fuzz.h"
#include "fuzz_rng.h"

enum fuzz_target {
	TARGET_PAYLOAD,
	TARGET_MESSAGE_1,
	TARGET_MESSAGE_2,
	TARGET_MESSAGE_3,
	TARGET_TRANSPORT,
	TARGETS,
};

enum { FUZZ_NOW = 1700000000 };

/* ------------------------------------------------- prepared states */

struct genuine {
	uint8_t bytes[IDENTITY_PAYLOAD_MAX + 128];
	size_t len;
};

static struct identity *initiator_id, *responder_id;
/* The states just before each read, cloned for every input. */
static struct noise_handshake *before_read[TARGETS];
static struct genuine payload[2], message[3], transport;
static struct noise_cipher responder_rx;

static void must(int ret)
{
	if (ret < 0) {
		fprintf(stderr, "fuzz_noise: setup failed: %s\n",
			strerror(-ret));
		abort();
	}
}

static void write_message(struct noise_handshake *hs,
			  const struct identity *id, struct genuine *out)
{
	uint8_t body[IDENTITY_PAYLOAD_MAX];
	size_t body_len = 0;

	if (id)
		must(identity_payload_encode(id, body, sizeof(body), &body_len));
	must(noise_write_message(hs, body, body_len, out->bytes,
				 sizeof(out->bytes), &out->len));
}

static void read_message(struct noise_handshake *hs, const struct genuine *in)
{
	uint8_t body[NOISE_MSG_MAX];
	size_t body_len;

	must(noise_read_message(hs, in->bytes, in->len, body, sizeof(body),
				&body_len));
}

/* The genuine handshake, keeping a copy of each reader before it reads. */
static void prepare(void)
{
	struct noise_handshake *i, *r;
	uint8_t tx[NOISE_KEY_LEN], rx[NOISE_KEY_LEN];
	struct noise_cipher initiator_tx = { 0 };
	struct ockam_err err;

	if (identity_generate(&initiator_id, FUZZ_NOW, 0, &err) < 0 ||
	    identity_generate(&responder_id, FUZZ_NOW, 0, &err) < 0) {
		fprintf(stderr, "fuzz_noise: %s\n", ockam_err_msg(&err));
		abort();
	}
	must(identity_payload_encode(initiator_id, payload[0].bytes,
				     sizeof(payload[0].bytes), &payload[0].len));
	must(identity_payload_encode(responder_id, payload[1].bytes,
				     sizeof(payload[1].bytes), &payload[1].len));
	i = noise_handshake_new(NOISE_INITIATOR,
				identity_static_priv(initiator_id), NULL, 0);
	r = noise_handshake_new(NOISE_RESPONDER,
				identity_static_priv(responder_id), NULL, 0);
	ASSERT(i && r);

	before_read[TARGET_MESSAGE_1] = noise_handshake_clone(r);
	write_message(i, NULL, &message[0]);
	read_message(r, &message[0]);
	before_read[TARGET_MESSAGE_2] = noise_handshake_clone(i);
	write_message(r, responder_id, &message[1]);
	read_message(i, &message[1]);
	before_read[TARGET_MESSAGE_3] = noise_handshake_clone(r);
	write_message(i, initiator_id, &message[2]);
	read_message(r, &message[2]);

	must(noise_split(i, initiator_tx.key, rx));
	must(noise_split(r, tx, responder_rx.key));
	must(noise_cipher_encrypt(&initiator_tx, NULL, 0,
				  (const uint8_t *)"hello", 5, transport.bytes));
	transport.len = 5 + NOISE_TAG_LEN;
	ASSERT(before_read[TARGET_MESSAGE_1] && before_read[TARGET_MESSAGE_2] &&
	       before_read[TARGET_MESSAGE_3]);
	sodium_memzero(tx, sizeof(tx));
	sodium_memzero(rx, sizeof(rx));
	noise_handshake_free(i);
	noise_handshake_free(r);
}

static void write_seed(const char *dir, const char *name,
		       enum fuzz_target target, const struct genuine *g)
{
	char path[512];
	uint8_t tag = (uint8_t)target;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(&tag, 1, 1, f) != 1 ||
	    fwrite(g->bytes, 1, g->len, f) != g->len || fclose(f)) {
		fprintf(stderr, "fuzz_noise: cannot write %s\n", path);
		exit(1);
	}
}

static void write_seeds(const char *dir)
{
	write_seed(dir, "payload-initiator", TARGET_PAYLOAD, &payload[0]);
	write_seed(dir, "payload-responder", TARGET_PAYLOAD, &payload[1]);
	write_seed(dir, "message-1", TARGET_MESSAGE_1, &message[0]);
	write_seed(dir, "message-2", TARGET_MESSAGE_2, &message[1]);
	write_seed(dir, "message-3", TARGET_MESSAGE_3, &message[2]);
	write_seed(dir, "transport", TARGET_TRANSPORT, &transport);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("FUZZ_NOISE_WRITE_SEEDS");

	(void)argc;
	(void)argv;
	fuzz_rng_install();
	prepare();
	if (seeds && *seeds)
		write_seeds(seeds);
	return 0;
}

/* ------------------------------------------------------- targets */

static bool genuine_is(const struct genuine *g, const uint8_t *data,
		       size_t size)
{
	return size == g->len && !memcmp(data, g->bytes, size);
}

static void fuzz_payload(const uint8_t *data, size_t size)
{
	struct identity_peer peer;

	if (identity_payload_parse(data, size, FUZZ_NOW, &peer, NULL) < 0)
		return;
	ASSERT(genuine_is(&payload[0], data, size) ||
	       genuine_is(&payload[1], data, size));
}

static void fuzz_read(enum fuzz_target target, const uint8_t *data,
		      size_t size)
{
	static uint8_t body[NOISE_MSG_MAX], reply[NOISE_MSG_MAX];
	struct noise_handshake *hs = noise_handshake_clone(before_read[target]);
	struct identity_peer peer;
	struct genuine answer;
	size_t len, reply_len;

	ASSERT(hs);
	if (noise_read_message(hs, data, size, body, sizeof(body), &len) < 0) {
		/* A failed read ends the handshake. */
		ASSERT(noise_write_message(hs, NULL, 0, reply, sizeof(reply),
					   &reply_len) == -EPROTO);
		goto out;
	}
	ASSERT(len < size);
	switch (target) {
	case TARGET_MESSAGE_1:
		/* Message 1 is e and a clear payload: nothing to forge. */
		ASSERT(len == size - NOISE_DH_LEN &&
		       !memcmp(body, data + NOISE_DH_LEN, len));
		/* Answering it works: the key it brought is usable. */
		write_message(hs, responder_id, &answer);
		break;
	case TARGET_MESSAGE_2:
		ASSERT(genuine_is(&message[1], data, size));
		ASSERT(identity_payload_parse(body, len, FUZZ_NOW, &peer,
					      NULL) == 0);
		ASSERT(!memcmp(peer.static_key, noise_remote_static(hs),
			       NOISE_DH_LEN));
		break;
	default:
		ASSERT(genuine_is(&message[2], data, size));
		ASSERT(noise_handshake_done(hs));
		break;
	}
out:
	noise_handshake_free(hs);
}

static void fuzz_transport(const uint8_t *data, size_t size)
{
	static uint8_t plain[NOISE_MSG_MAX], again[NOISE_MSG_MAX];
	struct noise_cipher rx = responder_rx, tx = responder_rx;

	if (noise_cipher_decrypt(&rx, NULL, 0, data, size, plain) < 0) {
		ASSERT(rx.n == responder_rx.n);
		return;
	}
	ASSERT(rx.n == responder_rx.n + 1);
	ASSERT(noise_cipher_encrypt(&tx, NULL, 0, plain, size - NOISE_TAG_LEN,
				    again) == 0);
	ASSERT(!memcmp(again, data, size));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % TARGETS) {
	case TARGET_PAYLOAD:
		fuzz_payload(data + 1, size - 1);
		break;
	case TARGET_TRANSPORT:
		fuzz_transport(data + 1, size - 1);
		break;
	default:
		fuzz_read((enum fuzz_target)(data[0] % TARGETS), data + 1,
			  size - 1);
	}
	return 0;
}
