/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The AEAD of secure channels: ChaCha20-Poly1305 with Noise's nonce
 * (4 zero bytes, then the 64-bit counter little-endian) and no associated
 * data, over scatterlists. Two implementations: lib/crypto's
 * chacha20poly1305 (WireGuard's), which works in place, and the crypto
 * API's "rfc7539(chacha20,poly1305)" AEAD, which reads one scatterlist and
 * writes another. The module parameter "aead" picks one for new channels;
 * Documentation/performance.rst has the measurements behind the default.
 */
#ifndef _OCKAM_CIPHER_H
#define _OCKAM_CIPHER_H

#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "../uapi/linux/ockam.h"

enum ockam_aead_backend {
	OCKAM_AEAD_LIB,
	OCKAM_AEAD_API,
};

struct crypto_aead;

/*
 * One direction's AEAD. The crypto API keeps the key in the transform, so
 * with that backend one operation at a time runs per direction, under
 * @lock; the library takes the key with each call and needs neither.
 */
struct ockam_cipher {
	enum ockam_aead_backend backend;
	struct crypto_aead *tfm;
	/* One setkey-and-crypt at a time on @tfm. */
	spinlock_t lock;
};

/* With the backend the module parameter names, or the one given. */
int ockam_cipher_init(struct ockam_cipher *c);
int ockam_cipher_init_as(struct ockam_cipher *c,
			 enum ockam_aead_backend backend);
void ockam_cipher_destroy(struct ockam_cipher *c);

/*
 * Encrypt @len bytes of @src into @dst, followed by the tag. The library
 * backend works in place: @src must be NULL and @dst hold the plaintext.
 */
int ockam_cipher_seal(struct ockam_cipher *c, const u8 key[OCKAM_KEY_LEN],
		      u64 counter, struct scatterlist *src,
		      struct scatterlist *dst, u32 len);
/*
 * Decrypt @len bytes (tag included) of @src into @dst; -EBADMSG when the
 * tag does not verify. In place (@src NULL) for the library backend.
 */
int ockam_cipher_open(struct ockam_cipher *c, const u8 key[OCKAM_KEY_LEN],
		      u64 counter, struct scatterlist *src,
		      struct scatterlist *dst, u32 len);

/* Noise REKEY: the next key of a direction, in place. */
void ockam_cipher_rekey(u8 key[OCKAM_KEY_LEN]);

/* The backend new channels get. */
enum ockam_aead_backend ockam_cipher_backend(void);

#endif /* _OCKAM_CIPHER_H */
