// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Noise_XX_25519_ChaChaPoly_SHA256, after the Noise Protocol Framework,
 * revision 34: the symmetric state (ck, h, k, n), the XX pattern driven by
 * a token table, the standard Split, and the transport CipherState.
 *
 *   XX:
 *     -> e
 *     <- e, ee, s, es
 *     -> s, se
 *
 * No PSK, so "e" only mixes the public key into h. Message i is written by
 * the initiator when i is even. The whole handshake state lives in one
 * guarded, locked allocation, so every secret and every intermediate DH
 * result is in locked memory and is zeroed when the handshake is freed.
 * Lengths are checked before any state changes, so a write that fails for
 * want of room changes nothing; a failed read, or a write that fails on
 * the peer's key, wipes the secrets and leaves the handshake unusable.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "noise.h"
#include "secure_memory.h"

enum noise_internal_limits {
	NOISE_XX_MESSAGES = 3,
	NOISE_TOKENS_MAX = 4,
	NOISE_NONCE_LEN = crypto_aead_chacha20poly1305_ietf_NPUBBYTES,
};

_Static_assert(sizeof(NOISE_PROTOCOL_NAME) - 1 == NOISE_HASH_LEN,
	       "a 32-byte protocol name is h itself, unhashed and unpadded");
_Static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == NOISE_TAG_LEN &&
	       crypto_aead_chacha20poly1305_ietf_KEYBYTES == NOISE_KEY_LEN &&
	       crypto_scalarmult_curve25519_BYTES == NOISE_DH_LEN &&
	       crypto_hash_sha256_BYTES == NOISE_HASH_LEN &&
	       crypto_auth_hmacsha256_BYTES == NOISE_HASH_LEN,
	       "Noise sizes must match libsodium's");

enum noise_token {
	TOKEN_END,
	TOKEN_E,
	TOKEN_S,
	TOKEN_EE,
	TOKEN_ES,
	TOKEN_SE,
};

static const enum noise_token xx_pattern[NOISE_XX_MESSAGES][NOISE_TOKENS_MAX + 1] = {
	{ TOKEN_E },
	{ TOKEN_E, TOKEN_EE, TOKEN_S, TOKEN_ES },
	{ TOKEN_S, TOKEN_SE },
};

struct noise_handshake {
	/* SymmetricState, with its CipherState (k, n) */
	uint8_t ck[NOISE_HASH_LEN];
	uint8_t h[NOISE_HASH_LEN];
	struct noise_cipher cipher;
	bool has_key;

	enum noise_role role;
	unsigned int message;	/* index of the next message, 3 when done */
	bool failed;
	bool split;

	uint8_t s_priv[NOISE_DH_LEN], s_pub[NOISE_DH_LEN];
	uint8_t e_priv[NOISE_DH_LEN], e_pub[NOISE_DH_LEN];
	uint8_t rs[NOISE_DH_LEN], re[NOISE_DH_LEN];
	bool has_rs;

	/* Scratch for DH results and HKDF's temporary keys. */
	uint8_t dh[NOISE_DH_LEN];
	uint8_t temp_key[NOISE_HASH_LEN];
	uint8_t out1[NOISE_HASH_LEN], out2[NOISE_HASH_LEN];
};

/* ------------------------------------------------- transport cipher */

/* ChaChaPoly's nonce: 32 bits of zeros, then n little-endian. */
static void noise_nonce(uint8_t nonce[NOISE_NONCE_LEN], uint64_t n)
{
	unsigned int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

int noise_cipher_encrypt(struct noise_cipher *c, const uint8_t *ad,
			 size_t ad_len, const uint8_t *in, size_t len,
			 uint8_t *out)
{
	uint8_t nonce[NOISE_NONCE_LEN];

	if (c->n == NOISE_NONCE_RESERVED)
		return -EOVERFLOW;
	if (len > NOISE_MSG_MAX - NOISE_TAG_LEN)
		return -EMSGSIZE;
	noise_nonce(nonce, c->n);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, in, len, ad,
						  ad_len, NULL, nonce, c->key);
	c->n++;
	return 0;
}

int noise_cipher_decrypt(struct noise_cipher *c, const uint8_t *ad,
			 size_t ad_len, const uint8_t *in, size_t len,
			 uint8_t *out)
{
	uint8_t nonce[NOISE_NONCE_LEN];

	if (c->n == NOISE_NONCE_RESERVED)
		return -EOVERFLOW;
	if (len > NOISE_MSG_MAX)
		return -EMSGSIZE;
	if (len < NOISE_TAG_LEN)
		return -EBADMSG;
	noise_nonce(nonce, c->n);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, in, len,
						      ad, ad_len, nonce,
						      c->key))
		return -EBADMSG;
	/* Only a message that verified uses up its nonce. */
	c->n++;
	return 0;
}

void noise_rekey(uint8_t key[NOISE_KEY_LEN])
{
	static const uint8_t zeros[NOISE_KEY_LEN];
	uint8_t nonce[NOISE_NONCE_LEN];
	uint8_t out[NOISE_KEY_LEN + NOISE_TAG_LEN];

	noise_nonce(nonce, NOISE_NONCE_RESERVED);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, zeros,
						  sizeof(zeros), NULL, 0, NULL,
						  nonce, key);
	memcpy(key, out, NOISE_KEY_LEN);
	sodium_memzero(out, sizeof(out));
}

/* -------------------------------------------------- symmetric state */

static void hmac_sha256(uint8_t out[NOISE_HASH_LEN],
			const uint8_t key[NOISE_HASH_LEN], const uint8_t *a,
			size_t a_len, const uint8_t *b, size_t b_len)
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, NOISE_HASH_LEN);
	crypto_auth_hmacsha256_update(&st, a, a_len);
	crypto_auth_hmacsha256_update(&st, b, b_len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

/*
 * Noise's HKDF with two outputs (RFC 5869 with ck as the salt and an
 * empty info), into hs->out1 and hs->out2.
 */
static void noise_hkdf(struct noise_handshake *hs, const uint8_t *ikm,
		       size_t ikm_len)
{
	static const uint8_t one = 1, two = 2;

	hmac_sha256(hs->temp_key, hs->ck, ikm, ikm_len, NULL, 0);
	hmac_sha256(hs->out1, hs->temp_key, &one, 1, NULL, 0);
	hmac_sha256(hs->out2, hs->temp_key, hs->out1, NOISE_HASH_LEN, &two, 1);
	sodium_memzero(hs->temp_key, sizeof(hs->temp_key));
}

static void mix_hash(struct noise_handshake *hs, const uint8_t *data,
		     size_t len)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, hs->h, sizeof(hs->h));
	crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, hs->h);
}

static void mix_key(struct noise_handshake *hs, const uint8_t *ikm,
		    size_t ikm_len)
{
	noise_hkdf(hs, ikm, ikm_len);
	memcpy(hs->ck, hs->out1, NOISE_HASH_LEN);
	memcpy(hs->cipher.key, hs->out2, NOISE_KEY_LEN);
	sodium_memzero(hs->out1, sizeof(hs->out1));
	sodium_memzero(hs->out2, sizeof(hs->out2));
	hs->cipher.n = 0;
	hs->has_key = true;
}

/* Bytes EncryptAndHash() makes of @len bytes. */
static size_t sealed_len(const struct noise_handshake *hs, size_t len)
{
	return len + (hs->has_key ? NOISE_TAG_LEN : 0);
}

static int encrypt_and_hash(struct noise_handshake *hs, const uint8_t *in,
			    size_t len, uint8_t *out)
{
	int ret;

	if (!hs->has_key) {
		if (len)
			memmove(out, in, len);
	} else {
		ret = noise_cipher_encrypt(&hs->cipher, hs->h, sizeof(hs->h),
					   in, len, out);
		if (ret < 0)
			return ret;
	}
	mix_hash(hs, out, sealed_len(hs, len));
	return 0;
}

/* @len counts the tag, if any; @out (not overlapping @in) gets the rest. */
static int decrypt_and_hash(struct noise_handshake *hs, const uint8_t *in,
			    size_t len, uint8_t *out)
{
	int ret;

	if (!hs->has_key) {
		if (len)
			memcpy(out, in, len);
	} else {
		ret = noise_cipher_decrypt(&hs->cipher, hs->h, sizeof(hs->h),
					   in, len, out);
		if (ret < 0)
			return ret;
	}
	mix_hash(hs, in, len);
	return 0;
}

/* --------------------------------------------------------- handshake */

struct noise_handshake *noise_handshake_new(enum noise_role role,
					    const uint8_t static_priv[NOISE_DH_LEN],
					    const uint8_t *prologue,
					    size_t prologue_len)
{
	struct noise_handshake *hs;

	if ((role != NOISE_INITIATOR && role != NOISE_RESPONDER) ||
	    !static_priv || (!prologue && prologue_len))
		return NULL;
	hs = secure_zalloc(sizeof(*hs));
	if (!hs)
		return NULL;
	hs->role = role;
	memcpy(hs->s_priv, static_priv, NOISE_DH_LEN);
	crypto_scalarmult_curve25519_base(hs->s_pub, hs->s_priv);
	randombytes_buf(hs->e_priv, sizeof(hs->e_priv));
	crypto_scalarmult_curve25519_base(hs->e_pub, hs->e_priv);

	/* InitializeSymmetric: the name is HASHLEN bytes, so h = name. */
	memcpy(hs->h, NOISE_PROTOCOL_NAME, NOISE_HASH_LEN);
	memcpy(hs->ck, hs->h, NOISE_HASH_LEN);
	mix_hash(hs, prologue, prologue_len);
	return hs;
}

int noise_handshake_set_ephemeral(struct noise_handshake *hs,
				  const uint8_t ephemeral_priv[NOISE_DH_LEN])
{
	if (hs->failed || hs->message)
		return -EPROTO;
	memcpy(hs->e_priv, ephemeral_priv, NOISE_DH_LEN);
	crypto_scalarmult_curve25519_base(hs->e_pub, hs->e_priv);
	return 0;
}

struct noise_handshake *noise_handshake_clone(const struct noise_handshake *hs)
{
	struct noise_handshake *copy = secure_zalloc(sizeof(*copy));

	if (copy)
		memcpy(copy, hs, sizeof(*copy));
	return copy;
}

void noise_handshake_free(struct noise_handshake *hs)
{
	secure_free(hs);
}

bool noise_handshake_writing(const struct noise_handshake *hs)
{
	bool initiator_turn = hs->message % 2 == 0;

	return !hs->failed && hs->message < NOISE_XX_MESSAGES &&
	       initiator_turn == (hs->role == NOISE_INITIATOR);
}

bool noise_handshake_done(const struct noise_handshake *hs)
{
	return !hs->failed && hs->message == NOISE_XX_MESSAGES;
}

const uint8_t *noise_remote_static(const struct noise_handshake *hs)
{
	return hs->has_rs && !hs->failed ? hs->rs : NULL;
}

const uint8_t *noise_handshake_hash(const struct noise_handshake *hs)
{
	return noise_handshake_done(hs) ? hs->h : NULL;
}

/* Nothing secret survives a failure; only noise_handshake_free() is left. */
static int handshake_fail(struct noise_handshake *hs, int ret)
{
	sodium_memzero(hs->ck, sizeof(hs->ck));
	sodium_memzero(&hs->cipher, sizeof(hs->cipher));
	sodium_memzero(hs->s_priv, sizeof(hs->s_priv));
	sodium_memzero(hs->e_priv, sizeof(hs->e_priv));
	hs->has_key = false;
	hs->failed = true;
	return ret;
}

/*
 * Bytes message @index adds around its payload: keys, and a tag for each
 * encrypted field. Whether a field is encrypted depends on the DH tokens
 * before it, so walk the pattern.
 */
static size_t message_overhead(const struct noise_handshake *hs)
{
	const enum noise_token *t = xx_pattern[hs->message];
	bool keyed = hs->has_key;
	size_t len = 0;

	for (; *t != TOKEN_END; t++) {
		if (*t == TOKEN_E)
			len += NOISE_DH_LEN;
		else if (*t == TOKEN_S)
			len += NOISE_DH_LEN + (keyed ? NOISE_TAG_LEN : 0);
		else
			keyed = true;	/* every DH token is a MixKey */
	}
	return len + (keyed ? NOISE_TAG_LEN : 0);
}

/*
 * DH(@priv, @pub) into hs->dh. libsodium refuses (returns -1 for) an
 * all-zero result, which is what a low-order public key gives with any
 * clamped scalar: the peer chose a key that contributes nothing.
 */
static int dh(struct noise_handshake *hs, const uint8_t *priv,
	      const uint8_t *pub)
{
	return crypto_scalarmult_curve25519(hs->dh, priv, pub) ? -EBADMSG : 0;
}

/* MixKey(DH(...)) for a DH token, from our side. */
static int mix_dh(struct noise_handshake *hs, enum noise_token token)
{
	bool initiator = hs->role == NOISE_INITIATOR;
	int ret;

	switch (token) {
	case TOKEN_EE:
		ret = dh(hs, hs->e_priv, hs->re);
		break;
	case TOKEN_ES:
		ret = initiator ? dh(hs, hs->e_priv, hs->rs) :
				  dh(hs, hs->s_priv, hs->re);
		break;
	case TOKEN_SE:
		ret = initiator ? dh(hs, hs->s_priv, hs->re) :
				  dh(hs, hs->e_priv, hs->rs);
		break;
	default:
		return -EINVAL;
	}
	if (!ret)
		mix_key(hs, hs->dh, sizeof(hs->dh));
	sodium_memzero(hs->dh, sizeof(hs->dh));
	return ret;
}

static int write_token(struct noise_handshake *hs, enum noise_token token,
		       uint8_t *out, size_t *pos)
{
	size_t len;

	switch (token) {
	case TOKEN_E:
		memcpy(out + *pos, hs->e_pub, NOISE_DH_LEN);
		mix_hash(hs, hs->e_pub, NOISE_DH_LEN);
		*pos += NOISE_DH_LEN;
		return 0;
	case TOKEN_S:
		len = sealed_len(hs, NOISE_DH_LEN);
		*pos += len;
		return encrypt_and_hash(hs, hs->s_pub, NOISE_DH_LEN,
					out + *pos - len);
	default:
		return mix_dh(hs, token);
	}
}

int noise_write_message(struct noise_handshake *hs, const uint8_t *payload,
			size_t payload_len, uint8_t *out, size_t out_size,
			size_t *out_len)
{
	const enum noise_token *t;
	size_t need, pos = 0;
	int ret;

	if (!noise_handshake_writing(hs))
		return -EPROTO;
	if (!payload && payload_len)
		return -EINVAL;
	need = message_overhead(hs);
	if (payload_len > NOISE_MSG_MAX - need || need + payload_len > out_size)
		return -EMSGSIZE;

	for (t = xx_pattern[hs->message]; *t != TOKEN_END; t++) {
		ret = write_token(hs, *t, out, &pos);
		if (ret < 0)
			return handshake_fail(hs, ret);
	}
	ret = encrypt_and_hash(hs, payload, payload_len, out + pos);
	if (ret < 0)
		return handshake_fail(hs, ret);
	hs->message++;
	*out_len = need + payload_len;
	return 0;
}

/*
 * The peer's ephemeral key. A low-order key would only make our next
 * write fail; a DH with our own ephemeral finds it now, so the read that
 * brought it is the one that fails.
 */
static int read_ephemeral(struct noise_handshake *hs, const uint8_t *in)
{
	int ret;

	memcpy(hs->re, in, NOISE_DH_LEN);
	mix_hash(hs, hs->re, NOISE_DH_LEN);
	ret = dh(hs, hs->e_priv, hs->re);
	sodium_memzero(hs->dh, sizeof(hs->dh));
	return ret;
}

static int read_token(struct noise_handshake *hs, enum noise_token token,
		      const uint8_t *msg, size_t *pos)
{
	size_t len;
	int ret;

	switch (token) {
	case TOKEN_E:
		*pos += NOISE_DH_LEN;
		return read_ephemeral(hs, msg + *pos - NOISE_DH_LEN);
	case TOKEN_S:
		len = sealed_len(hs, NOISE_DH_LEN);
		*pos += len;
		ret = decrypt_and_hash(hs, msg + *pos - len, len, hs->rs);
		hs->has_rs = !ret;
		return ret;
	default:
		return mix_dh(hs, token);
	}
}

int noise_read_message(struct noise_handshake *hs, const uint8_t *msg,
		       size_t msg_len, uint8_t *payload, size_t payload_size,
		       size_t *payload_len)
{
	const enum noise_token *t;
	size_t overhead, pos = 0;
	int ret;

	if (hs->failed || hs->message >= NOISE_XX_MESSAGES ||
	    noise_handshake_writing(hs))
		return -EPROTO;
	overhead = message_overhead(hs);
	if (msg_len > NOISE_MSG_MAX)
		return handshake_fail(hs, -EMSGSIZE);
	if (msg_len < overhead)
		return handshake_fail(hs, -EBADMSG);
	if (msg_len - overhead > payload_size)
		return handshake_fail(hs, -EMSGSIZE);

	for (t = xx_pattern[hs->message]; *t != TOKEN_END; t++) {
		ret = read_token(hs, *t, msg, &pos);
		if (ret < 0)
			return handshake_fail(hs, ret);
	}
	ret = decrypt_and_hash(hs, msg + pos, msg_len - pos, payload);
	if (ret < 0)
		return handshake_fail(hs, ret);
	hs->message++;
	*payload_len = msg_len - overhead;
	return 0;
}

int noise_split(struct noise_handshake *hs, uint8_t tx_key[NOISE_KEY_LEN],
		uint8_t rx_key[NOISE_KEY_LEN])
{
	bool initiator = hs->role == NOISE_INITIATOR;

	if (!noise_handshake_done(hs) || hs->split)
		return -EPROTO;
	noise_hkdf(hs, NULL, 0);
	/* Standard Split: the initiator sends with the first key. */
	memcpy(tx_key, initiator ? hs->out1 : hs->out2, NOISE_KEY_LEN);
	memcpy(rx_key, initiator ? hs->out2 : hs->out1, NOISE_KEY_LEN);
	/* Only h (channel binding) and the peer's public key stay. */
	sodium_memzero(hs->out1, sizeof(hs->out1));
	sodium_memzero(hs->out2, sizeof(hs->out2));
	sodium_memzero(hs->ck, sizeof(hs->ck));
	sodium_memzero(&hs->cipher, sizeof(hs->cipher));
	sodium_memzero(hs->s_priv, sizeof(hs->s_priv));
	sodium_memzero(hs->e_priv, sizeof(hs->e_priv));
	hs->split = true;
	return 0;
}
