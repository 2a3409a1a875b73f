// SPDX-License-Identifier: GPL-2.0
/*
 * ChaCha20-Poly1305 for secure channels; see cipher.h.
 */
#include <crypto/aead.h>
#include <crypto/chacha20poly1305.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <asm/unaligned.h>

#include "cipher.h"

#define OCKAM_AEAD_API_NAME "rfc7539(chacha20,poly1305)"

enum {
	/* The crypto API's 96-bit nonce: 4 zero bytes and the counter. */
	OCKAM_AEAD_NONCE_LEN = 12,
	OCKAM_AEAD_NONCE_COUNTER = 4,
};

static const char * const ockam_backend_names[] = {
	[OCKAM_AEAD_LIB] = "lib",
	[OCKAM_AEAD_API] = "api",
};

static enum ockam_aead_backend ockam_backend = OCKAM_AEAD_LIB;

static int ockam_backend_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(ockam_backend_names, val);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(ockam_backend, i);
	return 0;
}

static int ockam_backend_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  ockam_backend_names[READ_ONCE(ockam_backend)]);
}

static const struct kernel_param_ops ockam_backend_ops = {
	.set = ockam_backend_set,
	.get = ockam_backend_get,
};

module_param_cb(aead, &ockam_backend_ops, NULL, 0644);
MODULE_PARM_DESC(aead,
		 "ChaCha20-Poly1305 for new secure channels: lib (lib/crypto) or api (crypto API AEAD)");

enum ockam_aead_backend ockam_cipher_backend(void)
{
	return READ_ONCE(ockam_backend);
}

int ockam_cipher_init(struct ockam_cipher *c)
{
	return ockam_cipher_init_as(c, ockam_cipher_backend());
}

int ockam_cipher_init_as(struct ockam_cipher *c,
			 enum ockam_aead_backend backend)
{
	struct crypto_aead *tfm;
	int err;

	c->backend = backend;
	c->tfm = NULL;
	spin_lock_init(&c->lock);
	if (c->backend == OCKAM_AEAD_LIB)
		return 0;

	/* Synchronous only: we run in softirq and keep no request alive. */
	tfm = crypto_alloc_aead(OCKAM_AEAD_API_NAME, 0, CRYPTO_ALG_ASYNC);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	err = crypto_aead_setauthsize(tfm, OCKAM_TAG_LEN);
	if (err) {
		crypto_free_aead(tfm);
		return err;
	}
	c->tfm = tfm;
	return 0;
}

void ockam_cipher_destroy(struct ockam_cipher *c)
{
	/* Freeing the transform wipes its copy of the key. */
	if (c->tfm)
		crypto_free_aead(c->tfm);
	c->tfm = NULL;
}

static int ockam_cipher_api(struct ockam_cipher *c, const u8 *key,
			    u64 counter, struct scatterlist *src,
			    struct scatterlist *dst, u32 len, bool encrypt)
{
	u8 iv[OCKAM_AEAD_NONCE_LEN] = {};
	struct aead_request *req;
	int err;

	put_unaligned_le64(counter, iv + OCKAM_AEAD_NONCE_COUNTER);
	req = aead_request_alloc(c->tfm, GFP_ATOMIC);
	if (!req)
		return -ENOMEM;
	aead_request_set_callback(req, 0, NULL, NULL);
	aead_request_set_crypt(req, src, dst, len, iv);
	aead_request_set_ad(req, 0);

	spin_lock_bh(&c->lock);
	err = crypto_aead_setkey(c->tfm, key, OCKAM_KEY_LEN);
	if (!err)
		err = encrypt ? crypto_aead_encrypt(req) :
				crypto_aead_decrypt(req);
	spin_unlock_bh(&c->lock);

	aead_request_free(req);
	return err;
}

int ockam_cipher_seal(struct ockam_cipher *c, const u8 key[OCKAM_KEY_LEN],
		      u64 counter, struct scatterlist *src,
		      struct scatterlist *dst, u32 len)
{
	if (c->backend == OCKAM_AEAD_API)
		return ockam_cipher_api(c, key, counter, src, dst, len, true);
	if (!chacha20poly1305_encrypt_sg_inplace(dst, len, NULL, 0, counter,
						 key))
		return -ENOMEM;
	return 0;
}

int ockam_cipher_open(struct ockam_cipher *c, const u8 key[OCKAM_KEY_LEN],
		      u64 counter, struct scatterlist *src,
		      struct scatterlist *dst, u32 len)
{
	int err;

	if (len < OCKAM_TAG_LEN)
		return -EBADMSG;
	if (c->backend == OCKAM_AEAD_API) {
		err = ockam_cipher_api(c, key, counter, src, dst, len, false);
		return err == -EBADMSG || !err ? err : -EBADMSG;
	}
	if (!chacha20poly1305_decrypt_sg_inplace(dst, len, NULL, 0, counter,
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
