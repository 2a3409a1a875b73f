// SPDX-License-Identifier: GPL-2.0
/*
 * ChaCha20-Poly1305 for secure channels; see cipher.h.
 */
#include <crypto/chacha20poly1305.h>
#include <linux/string.h>

#include "cipher.h"

int ockam_cipher_seal(const u8 key[OCKAM_KEY_LEN], u64 counter,
		      struct scatterlist *sg, u32 len)
{
	if (!chacha20poly1305_encrypt_sg_inplace(sg, len, NULL, 0, counter,
						 key))
		return -ENOMEM;
	return 0;
}

int ockam_cipher_open(const u8 key[OCKAM_KEY_LEN], u64 counter,
		      struct scatterlist *sg, u32 len)
{
	if (len < OCKAM_TAG_LEN)
		return -EBADMSG;
	if (!chacha20poly1305_decrypt_sg_inplace(sg, len, NULL, 0, counter,
						 key))
		return -EBADMSG;
	return 0;
}

/* REKEY(k) = ENCRYPT(k, 2^64 - 1, empty, zeros[32]), first 32 bytes. */
void ockam_cipher_rekey(u8 key[OCKAM_KEY_LEN])
{
	static const u8 zeros[OCKAM_KEY_LEN];
	u8 out[OCKAM_KEY_LEN + OCKAM_TAG_LEN];

	chacha20poly1305_encrypt(out, zeros, sizeof(zeros), NULL, 0, U64_MAX,
				 key);
	memcpy(key, out, OCKAM_KEY_LEN);
	memzero_explicit(out, sizeof(out));
}
