/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Identities, after Ockam's: an Ed25519 identity key, identified by "I"
 * and the hex of SHA-256 of its signed change record, and an X25519
 * secure-channel static key the identity attests (signs) with an expiry.
 * The encodings are in Documentation/wire-protocol.rst ("Identities").
 */
#ifndef OCKAMD_IDENTITY_H
#define OCKAMD_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ockam/ockam.h>

enum identity_limits {
	IDENTIFIER_BYTES = 32,
	/* "I" + 64 hex; a char buffer needs one more for the NUL. */
	IDENTIFIER_STR_LEN = 65,
	/* Room for any handshake payload; identity_payload_encode() makes
	 * IDENTITY_PAYLOAD_LEN bytes (Documentation/wire-protocol.rst).
	 */
	IDENTITY_PAYLOAD_MAX = 512,
	IDENTITY_PAYLOAD_LEN = 267,
	/* Bytes of the vault record identity_export() makes. */
	IDENTITY_RECORD_LEN = 340,
	/* Default lifetimes, seconds. */
	IDENTITY_TTL_DEFAULT = 10 * 365 * 24 * 3600,
	ATTESTATION_TTL_DEFAULT = 5 * 365 * 24 * 3600,
	/* Clock drift allowed when checking validity periods (Ockam's). */
	IDENTITY_CLOCK_DRIFT = 60,
};

/* What a peer proved about itself in a handshake payload. */
struct identity_peer {
	uint8_t identifier[IDENTIFIER_BYTES];
	uint8_t identity_key[32];	/* Ed25519 public */
	uint8_t static_key[32];		/* X25519 public, attested */
	uint64_t attestation_expires;	/* Unix seconds */
};

/* Our own identity; secrets in locked memory. */
struct identity;

/*
 * New keys; @now and the lifetimes in Unix seconds. The identity is valid
 * from @now for IDENTITY_TTL_DEFAULT; the attestation of its static key
 * for @attestation_ttl seconds from @now, ATTESTATION_TTL_DEFAULT when 0.
 * A negative @attestation_ttl makes an attestation that was made and
 * expired -@attestation_ttl seconds before @now (for tests of refusal).
 * -EINVAL when a lifetime does not fit, -ENOMEM without locked memory.
 */
int identity_generate(struct identity **out, uint64_t now,
		      int64_t attestation_ttl, struct ockam_err *err);
void identity_free(struct identity *id);

const uint8_t *identity_identifier(const struct identity *id);
/* X25519 private key for noise_handshake_new(). */
const uint8_t *identity_static_priv(const struct identity *id);
const uint8_t *identity_static_pub(const struct identity *id);
uint64_t identity_attestation_expires(const struct identity *id);
/* The identity's own validity ends here (Unix seconds). */
uint64_t identity_valid_until(const struct identity *id);

/* The payload of handshake messages 2 and 3: change record + attestation. */
int identity_payload_encode(const struct identity *id, uint8_t *buf,
			    size_t size, size_t *len);
/*
 * Parse and verify a peer's payload: signatures, validity at @now, and
 * that the attestation's subject is the identity. -EBADMSG for a malformed
 * payload or bad signature, -EKEYEXPIRED for an identity or attestation
 * outside its validity period (expired, or not valid yet) by more than
 * IDENTITY_CLOCK_DRIFT; @err says which. @peer is filled on success only.
 * The caller then checks @peer->static_key against the Noise static key
 * and the trust policy.
 */
int identity_payload_parse(const uint8_t *buf, size_t len, uint64_t now,
			   struct identity_peer *peer, struct ockam_err *err);

/* "I" + 64 lowercase hex, NUL-terminated, into @out. */
void identifier_format(const uint8_t id[IDENTIFIER_BYTES],
		       char out[IDENTIFIER_STR_LEN + 1]);
/* Strict: "I" and exactly 64 hex digits (either case); else -EINVAL. */
int identifier_parse(const char *s, uint8_t id[IDENTIFIER_BYTES]);

/*
 * Vault serialisation (vault.c): the secret record of one identity,
 * IDENTITY_RECORD_LEN bytes (-EMSGSIZE when @size is smaller). The caller
 * wipes @buf. Import checks everything it can -- size, magic, version,
 * both signatures, the subject, and that the secrets give the public keys
 * -- and returns -EBADMSG with @err naming what is wrong.
 */
int identity_export(const struct identity *id, uint8_t *buf, size_t size,
		    size_t *len);
int identity_import(struct identity **out, const uint8_t *buf, size_t len,
		    struct ockam_err *err);

#endif /* OCKAMD_IDENTITY_H */
