/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The AEAD of secure channels: ChaCha20-Poly1305 with Noise's nonce
 * (4 zero bytes, then the 64-bit counter little-endian) and no associated
 * data, in place over a scatterlist, from lib/crypto (WireGuard's choice).
 * The key goes with each call, so channels keep no transform, take no
 * lock and seal or open on any number of CPUs at once.
 */
#ifndef _OCKAM_CIPHER_H
#define _OCKAM_CIPHER_H

#include <linux/scatterlist.h>
#include <linux/types.h>

#include "../uapi/linux/ockam.h"
#include "ratchet.h"
#include "wire.h"

/* Encrypt the @len bytes of @sg where they are; the tag follows them. */
int ockam_cipher_seal(const u8 key[OCKAM_KEY_LEN], u64 counter,
		      struct scatterlist *sg, u32 len);
/*
 * Decrypt the @len bytes (tag included) of @sg where they are; -EBADMSG
 * when the tag does not verify.
 */
int ockam_cipher_open(const u8 key[OCKAM_KEY_LEN], u64 counter,
		      struct scatterlist *sg, u32 len);

#endif /* _OCKAM_CIPHER_H */
