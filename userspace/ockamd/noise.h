/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Noise_XX_25519_ChaChaPoly_SHA256 (Noise revision 34) on libsodium: the
 * handshake state machine and, for tests and test vectors, the transport
 * cipher. Standard split: the initiator sends with the first key.
 * Every secret lives in sodium_malloc()ed (locked, guarded) memory and is
 * wiped when freed.
 */
#ifndef OCKAMD_NOISE_H
#define OCKAMD_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOISE_PROTOCOL_NAME "Noise_XX_25519_ChaChaPoly_SHA256"

enum noise_limits {
	NOISE_KEY_LEN = 32,
	NOISE_DH_LEN = 32,
	NOISE_HASH_LEN = 32,
	NOISE_TAG_LEN = 16,
	NOISE_MSG_MAX = 65535,
};

enum noise_role {
	NOISE_INITIATOR,
	NOISE_RESPONDER,
};

struct noise_handshake;

/*
 * A handshake with our static private key @static_priv and a fresh random
 * ephemeral key. Returns NULL when out of (locked) memory.
 */
struct noise_handshake *noise_handshake_new(enum noise_role role,
					    const uint8_t static_priv[NOISE_DH_LEN],
					    const uint8_t *prologue,
					    size_t prologue_len);
/* Test vectors only: replace the ephemeral key before the first message. */
int noise_handshake_set_ephemeral(struct noise_handshake *hs,
				  const uint8_t ephemeral_priv[NOISE_DH_LEN]);
/*
 * A copy of @hs in fresh locked memory, or NULL: fuzzers start every input
 * from one prepared state instead of paying for the DHs again.
 */
struct noise_handshake *noise_handshake_clone(const struct noise_handshake *hs);
void noise_handshake_free(struct noise_handshake *hs);

/* Our turn to write the next handshake message? */
bool noise_handshake_writing(const struct noise_handshake *hs);
bool noise_handshake_done(const struct noise_handshake *hs);

/*
 * Write or read the next handshake message. 0 on success, -EMSGSIZE when
 * @out is too small or a message would exceed NOISE_MSG_MAX, -EBADMSG when
 * a message is truncated, fails to decrypt or carries a low-order key (a
 * DH of all zeros), -EPROTO when called out of turn (which changes
 * nothing). A failed read leaves the handshake unusable and its secrets
 * wiped; a write that fails for want of room changes nothing.
 */
int noise_write_message(struct noise_handshake *hs, const uint8_t *payload,
			size_t payload_len, uint8_t *out, size_t out_size,
			size_t *out_len);
int noise_read_message(struct noise_handshake *hs, const uint8_t *msg,
		       size_t msg_len, uint8_t *payload, size_t payload_size,
		       size_t *payload_len);

/* The peer's static public key, once a read has revealed it, else NULL. */
const uint8_t *noise_remote_static(const struct noise_handshake *hs);
/* The handshake hash h (channel binding), valid once done. */
const uint8_t *noise_handshake_hash(const struct noise_handshake *hs);

/*
 * After the last message: the two transport keys in our sending and
 * receiving order. The caller wipes them (sodium_memzero). Once only:
 * the split wipes the handshake's secrets; -EPROTO before the end, after
 * a failure or the second time.
 */
int noise_split(struct noise_handshake *hs, uint8_t tx_key[NOISE_KEY_LEN],
		uint8_t rx_key[NOISE_KEY_LEN]);

/* ---------------------------------------------------- transport cipher */

/*
 * Noise reserves the nonce 2^64 - 1 (REKEY uses it): a CipherState that
 * reaches it refuses to encrypt or decrypt.
 */
#define NOISE_NONCE_RESERVED UINT64_MAX

/* Noise CipherState: ChaCha20-Poly1305, nonce 00000000 || u64le(n). */
struct noise_cipher {
	uint8_t key[NOISE_KEY_LEN];
	uint64_t n;
};

/*
 * @out gets @len + NOISE_TAG_LEN bytes; n advances. -EOVERFLOW once n is
 * NOISE_NONCE_RESERVED, -EMSGSIZE above NOISE_MSG_MAX with the tag.
 */
int noise_cipher_encrypt(struct noise_cipher *c, const uint8_t *ad,
			 size_t ad_len, const uint8_t *in, size_t len,
			 uint8_t *out);
/*
 * @len includes the tag; -EBADMSG when it does not verify (n stays),
 * -EOVERFLOW and -EMSGSIZE as for encryption.
 */
int noise_cipher_decrypt(struct noise_cipher *c, const uint8_t *ad,
			 size_t ad_len, const uint8_t *in, size_t len,
			 uint8_t *out);
/* Noise REKEY(k): ENCRYPT(k, 2^64 - 1, empty, zeros[32]) truncated to 32. */
void noise_rekey(uint8_t key[NOISE_KEY_LEN]);

#endif /* OCKAMD_NOISE_H */
