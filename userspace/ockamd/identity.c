// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Identities: an Ed25519 identity key described by a signed change
 * record, whose SHA-256 is the identifier, and an X25519 secure-channel
 * key bound to it by a signed purpose-key attestation. Both records are
 * signed as Ockam signs them: Ed25519 over the SHA-256 of the record's
 * data. The byte layouts are in Documentation/wire-protocol.rst
 * ("Identities and attestations"); Ockam encodes the same fields in CBOR,
 * so these bytes are ours alone.
 *
 *   payload = change record, attestation record
 *   record  = u16be data_len, data[data_len], signature[64]
 *
 * All integers are big-endian.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "identity.h"
#include "secure_memory.h"
#include "text.h"

enum identity_format {
	RECORD_VERSION = 1,
	RECORD_TYPE_CHANGE = 1,
	RECORD_TYPE_ATTESTATION = 2,
	/* Ockam's numbers for signing keys; X25519 follows them. */
	KEY_TYPE_ED25519 = 0,
	KEY_TYPE_P256 = 1,
	KEY_TYPE_X25519 = 2,
	PURPOSE_SECURE_CHANNEL_STATIC = 0,

	KEY_LEN = 32,
	SIGNATURE_LEN = crypto_sign_BYTES,
	RECORD_HEADER_LEN = 2,

	/* change data: version, type, key type, key, created, valid until */
	CHANGE_VERSION = 0,
	CHANGE_TYPE = 1,
	CHANGE_KEY_TYPE = 2,
	CHANGE_KEY = 3,
	CHANGE_CREATED = CHANGE_KEY + KEY_LEN,
	CHANGE_VALID_UNTIL = CHANGE_CREATED + 8,
	CHANGE_DATA_LEN = CHANGE_VALID_UNTIL + 8,

	/* attestation data: version, type, subject, purpose, key type, key,
	 * created, expires
	 */
	ATT_VERSION = 0,
	ATT_TYPE = 1,
	ATT_SUBJECT = 2,
	ATT_PURPOSE = ATT_SUBJECT + IDENTIFIER_BYTES,
	ATT_KEY_TYPE = ATT_PURPOSE + 1,
	ATT_KEY = ATT_KEY_TYPE + 1,
	ATT_CREATED = ATT_KEY + KEY_LEN,
	ATT_EXPIRES = ATT_CREATED + 8,
	ATT_DATA_LEN = ATT_EXPIRES + 8,

	CHANGE_RECORD_LEN = RECORD_HEADER_LEN + CHANGE_DATA_LEN + SIGNATURE_LEN,
	ATT_RECORD_LEN = RECORD_HEADER_LEN + ATT_DATA_LEN + SIGNATURE_LEN,

	/* The vault record: magic, version, secrets, then the payload. */
	VAULT_MAGIC_LEN = 8,
	VAULT_VERSION = 1,
	VAULT_OFF_VERSION = VAULT_MAGIC_LEN,
	VAULT_OFF_SEED = VAULT_OFF_VERSION + 1,
	VAULT_OFF_STATIC = VAULT_OFF_SEED + crypto_sign_SEEDBYTES,
	VAULT_OFF_PAYLOAD = VAULT_OFF_STATIC + KEY_LEN,
};

_Static_assert(CHANGE_RECORD_LEN + ATT_RECORD_LEN == IDENTITY_PAYLOAD_LEN,
	       "IDENTITY_PAYLOAD_LEN must be the payload's size");
_Static_assert(IDENTITY_PAYLOAD_LEN <= IDENTITY_PAYLOAD_MAX,
	       "the payload must fit IDENTITY_PAYLOAD_MAX");
_Static_assert(VAULT_OFF_PAYLOAD + IDENTITY_PAYLOAD_LEN == IDENTITY_RECORD_LEN,
	       "IDENTITY_RECORD_LEN must be the vault record's size");
_Static_assert(crypto_sign_PUBLICKEYBYTES == KEY_LEN &&
	       crypto_scalarmult_curve25519_BYTES == KEY_LEN &&
	       crypto_hash_sha256_BYTES == IDENTIFIER_BYTES,
	       "key and hash sizes must match libsodium's");

static const uint8_t vault_magic[VAULT_MAGIC_LEN] = "OCKAM-ID";

struct identity {
	/* libsodium's Ed25519 secret key: seed, then public key */
	uint8_t sign_secret[crypto_sign_SECRETKEYBYTES];
	uint8_t static_priv[KEY_LEN];
	uint8_t static_pub[KEY_LEN];
	uint8_t identifier[IDENTIFIER_BYTES];
	/* The signed records, made once: they are the handshake payload. */
	uint8_t payload[IDENTITY_PAYLOAD_LEN];
	uint64_t attestation_expires;
	uint64_t valid_until;
};

/* The parts of a payload, once its lengths have been checked. */
struct payload_view {
	const uint8_t *change;
	const uint8_t *change_sig;
	const uint8_t *att;
	const uint8_t *att_sig;
};

/* -------------------------------------------------------- encoding */

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Ockam's signature: Ed25519 over SHA-256 of the record's data. */
static void sign_record(const struct identity *id, const uint8_t *data,
			size_t len, uint8_t sig[SIGNATURE_LEN])
{
	uint8_t digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(digest, data, len);
	crypto_sign_detached(sig, NULL, digest, sizeof(digest),
			     id->sign_secret);
}

static bool record_signed_by(const uint8_t *data, size_t len,
			     const uint8_t sig[SIGNATURE_LEN],
			     const uint8_t key[KEY_LEN])
{
	uint8_t digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(digest, data, len);
	return crypto_sign_verify_detached(sig, digest, sizeof(digest),
					   key) == 0;
}

static void encode_change(struct identity *id, uint64_t created_at,
			  uint64_t valid_until)
{
	uint8_t *rec = id->payload, *data = rec + RECORD_HEADER_LEN;

	put_be16(rec, CHANGE_DATA_LEN);
	data[CHANGE_VERSION] = RECORD_VERSION;
	data[CHANGE_TYPE] = RECORD_TYPE_CHANGE;
	data[CHANGE_KEY_TYPE] = KEY_TYPE_ED25519;
	crypto_sign_ed25519_sk_to_pk(data + CHANGE_KEY, id->sign_secret);
	put_be64(data + CHANGE_CREATED, created_at);
	put_be64(data + CHANGE_VALID_UNTIL, valid_until);
	sign_record(id, data, CHANGE_DATA_LEN, data + CHANGE_DATA_LEN);
	/* The identifier is the hash the change record's signature covers. */
	crypto_hash_sha256(id->identifier, data, CHANGE_DATA_LEN);
	id->valid_until = valid_until;
}

static void encode_attestation(struct identity *id, uint64_t created_at,
			       uint64_t expires_at)
{
	uint8_t *rec = id->payload + CHANGE_RECORD_LEN;
	uint8_t *data = rec + RECORD_HEADER_LEN;

	put_be16(rec, ATT_DATA_LEN);
	data[ATT_VERSION] = RECORD_VERSION;
	data[ATT_TYPE] = RECORD_TYPE_ATTESTATION;
	memcpy(data + ATT_SUBJECT, id->identifier, IDENTIFIER_BYTES);
	data[ATT_PURPOSE] = PURPOSE_SECURE_CHANNEL_STATIC;
	data[ATT_KEY_TYPE] = KEY_TYPE_X25519;
	memcpy(data + ATT_KEY, id->static_pub, KEY_LEN);
	put_be64(data + ATT_CREATED, created_at);
	put_be64(data + ATT_EXPIRES, expires_at);
	sign_record(id, data, ATT_DATA_LEN, data + ATT_DATA_LEN);
	id->attestation_expires = expires_at;
}

/* X25519 as stored: clamped, so that every bit of it is significant. */
static void clamp_x25519(uint8_t key[KEY_LEN])
{
	key[0] &= 248;
	key[31] &= 127;
	key[31] |= 64;
}

static bool x25519_clamped(const uint8_t key[KEY_LEN])
{
	return (key[0] & 7) == 0 && (key[31] & 0xc0) == 0x40;
}

/*
 * The attestation's window: @ttl seconds from @now, or, when negative,
 * one that opened and closed -@ttl seconds before @now.
 */
static int attestation_window(uint64_t now, int64_t ttl, uint64_t *created,
			      uint64_t *expires)
{
	uint64_t span;

	if (ttl >= 0) {
		span = ttl ? (uint64_t)ttl : ATTESTATION_TTL_DEFAULT;
		if (span > UINT64_MAX - now)
			return -EINVAL;
		*created = now;
		*expires = now + span;
		return 0;
	}
	span = (uint64_t)-(ttl + 1) + 1;	/* no overflow at INT64_MIN */
	if (span > now)
		return -EINVAL;
	*created = *expires = now - span;
	return 0;
}

int identity_generate(struct identity **out, uint64_t now,
		      int64_t attestation_ttl, struct ockam_err *err)
{
	uint64_t att_created, att_expires;
	uint8_t identity_pub[KEY_LEN];
	struct identity *id;

	if (now > UINT64_MAX - IDENTITY_TTL_DEFAULT ||
	    attestation_window(now, attestation_ttl, &att_created,
			       &att_expires) < 0)
		return ockam_err_set(err, -EINVAL,
				     "attestation lifetime %lld s from %llu does not fit",
				     (long long)attestation_ttl,
				     (unsigned long long)now);
	id = secure_zalloc(sizeof(*id));
	if (!id)
		return ockam_err_set(err, -ENOMEM,
				     "no locked memory for an identity");
	crypto_sign_keypair(identity_pub, id->sign_secret);
	randombytes_buf(id->static_priv, KEY_LEN);
	clamp_x25519(id->static_priv);
	crypto_scalarmult_curve25519_base(id->static_pub, id->static_priv);
	encode_change(id, now, now + IDENTITY_TTL_DEFAULT);
	encode_attestation(id, att_created, att_expires);
	*out = id;
	return 0;
}

void identity_free(struct identity *id)
{
	secure_free(id);
}

const uint8_t *identity_identifier(const struct identity *id)
{
	return id->identifier;
}

const uint8_t *identity_static_priv(const struct identity *id)
{
	return id->static_priv;
}

const uint8_t *identity_static_pub(const struct identity *id)
{
	return id->static_pub;
}

uint64_t identity_attestation_expires(const struct identity *id)
{
	return id->attestation_expires;
}

uint64_t identity_valid_until(const struct identity *id)
{
	return id->valid_until;
}

int identity_payload_encode(const struct identity *id, uint8_t *buf,
			    size_t size, size_t *len)
{
	if (size < IDENTITY_PAYLOAD_LEN)
		return -EMSGSIZE;
	memcpy(buf, id->payload, IDENTITY_PAYLOAD_LEN);
	*len = IDENTITY_PAYLOAD_LEN;
	return 0;
}

/* --------------------------------------------------------- parsing */

/* One record of @data_len bytes of data at *@pos: lengths only. */
static int split_record(const uint8_t *buf, size_t len, size_t *pos,
			const char *what, size_t data_len,
			const uint8_t **data, const uint8_t **sig,
			struct ockam_err *err)
{
	size_t declared;

	if (len - *pos < RECORD_HEADER_LEN)
		return ockam_err_set(err, -EBADMSG, "%s record truncated",
				     what);
	declared = get_be16(buf + *pos);
	if (declared != data_len)
		return ockam_err_set(err, -EBADMSG,
				     "%s record holds %zu bytes of data, expected %zu",
				     what, declared, data_len);
	*pos += RECORD_HEADER_LEN;
	if (len - *pos < data_len + SIGNATURE_LEN)
		return ockam_err_set(err, -EBADMSG, "%s record truncated",
				     what);
	*data = buf + *pos;
	*sig = *data + data_len;
	*pos += data_len + SIGNATURE_LEN;
	return 0;
}

static int split_payload(const uint8_t *buf, size_t len,
			 struct payload_view *v, struct ockam_err *err)
{
	size_t pos = 0;
	int ret;

	ret = split_record(buf, len, &pos, "identity change", CHANGE_DATA_LEN,
			   &v->change, &v->change_sig, err);
	if (!ret)
		ret = split_record(buf, len, &pos, "attestation", ATT_DATA_LEN,
				   &v->att, &v->att_sig, err);
	if (!ret && pos != len)
		ret = ockam_err_set(err, -EBADMSG,
				    "%zu bytes after the attestation record",
				    len - pos);
	return ret;
}

static int check_header(const uint8_t *data, uint8_t type, const char *what,
			struct ockam_err *err)
{
	if (data[0] != RECORD_VERSION)
		return ockam_err_set(err, -EBADMSG,
				     "%s record version %u not supported",
				     what, data[0]);
	if (data[1] != type)
		return ockam_err_set(err, -EBADMSG,
				     "%s record has type %u, expected %u", what,
				     data[1], type);
	return 0;
}

/*
 * Everything a payload proves by itself: its fields, both signatures and
 * the subject. Validity at a given time is the caller's to check.
 */
static int verify_payload(const struct payload_view *v,
			  struct identity_peer *peer, struct ockam_err *err)
{
	char id_text[IDENTIFIER_STR_LEN + 1], subject[IDENTIFIER_STR_LEN + 1];
	int ret;

	ret = check_header(v->change, RECORD_TYPE_CHANGE, "identity change",
			   err);
	if (!ret)
		ret = check_header(v->att, RECORD_TYPE_ATTESTATION,
				   "attestation", err);
	if (ret < 0)
		return ret;
	if (v->change[CHANGE_KEY_TYPE] != KEY_TYPE_ED25519)
		return ockam_err_set(err, -EBADMSG,
				     "identity key type %u not supported",
				     v->change[CHANGE_KEY_TYPE]);
	if (!record_signed_by(v->change, CHANGE_DATA_LEN, v->change_sig,
			      v->change + CHANGE_KEY))
		return ockam_err_set(err, -EBADMSG,
				     "identity change record: bad signature");
	crypto_hash_sha256(peer->identifier, v->change, CHANGE_DATA_LEN);
	identifier_format(peer->identifier, id_text);
	if (!record_signed_by(v->att, ATT_DATA_LEN, v->att_sig,
			      v->change + CHANGE_KEY))
		return ockam_err_set(err, -EBADMSG,
				     "attestation of %s: bad signature",
				     id_text);
	if (memcmp(v->att + ATT_SUBJECT, peer->identifier, IDENTIFIER_BYTES)) {
		identifier_format(v->att + ATT_SUBJECT, subject);
		return ockam_err_set(err, -EBADMSG,
				     "attestation signed by %s is about %s",
				     id_text, subject);
	}
	if (v->att[ATT_PURPOSE] != PURPOSE_SECURE_CHANNEL_STATIC ||
	    v->att[ATT_KEY_TYPE] != KEY_TYPE_X25519)
		return ockam_err_set(err, -EBADMSG,
				     "attestation of %s: purpose %u with key type %u, expected a secure-channel X25519 key",
				     id_text, v->att[ATT_PURPOSE],
				     v->att[ATT_KEY_TYPE]);
	if (get_be64(v->change + CHANGE_CREATED) >
	    get_be64(v->change + CHANGE_VALID_UNTIL) ||
	    get_be64(v->att + ATT_CREATED) > get_be64(v->att + ATT_EXPIRES))
		return ockam_err_set(err, -EBADMSG,
				     "%s: a validity period ends before it starts",
				     id_text);
	memcpy(peer->identity_key, v->change + CHANGE_KEY, KEY_LEN);
	memcpy(peer->static_key, v->att + ATT_KEY, KEY_LEN);
	peer->attestation_expires = get_be64(v->att + ATT_EXPIRES);
	return 0;
}

/* UTC, to the second, or the number when the calendar cannot hold it. */
static void format_time(uint64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((uint64_t)tt != t || tt < 0 || !gmtime_r(&tt, &tm) ||
	    !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "%llu", (unsigned long long)t);
}

/*
 * @now inside [@from, @until], give or take IDENTITY_CLOCK_DRIFT. Too
 * early or too late, the key is outside its validity: -EKEYEXPIRED, and
 * the message says which.
 */
static int check_window(const char *what, const char *id_text, uint64_t from,
			uint64_t until, uint64_t now, struct ockam_err *err)
{
	char when[32], at[32];

	format_time(now, at, sizeof(at));
	if (now < from && from - now > IDENTITY_CLOCK_DRIFT) {
		format_time(from, when, sizeof(when));
		return ockam_err_set(err, -EKEYEXPIRED,
				     "%s of %s is not valid before %s (now %s)",
				     what, id_text, when, at);
	}
	if (now > until && now - until > IDENTITY_CLOCK_DRIFT) {
		format_time(until, when, sizeof(when));
		return ockam_err_set(err, -EKEYEXPIRED,
				     "%s of %s expired at %s (now %s)", what,
				     id_text, when, at);
	}
	return 0;
}

int identity_payload_parse(const uint8_t *buf, size_t len, uint64_t now,
			   struct identity_peer *peer, struct ockam_err *err)
{
	char id_text[IDENTIFIER_STR_LEN + 1];
	struct identity_peer found;
	struct payload_view v;
	int ret;

	if (sodium_init() < 0)
		return ockam_err_set(err, -ENOMEM, "libsodium does not start");
	ret = split_payload(buf, len, &v, err);
	if (!ret)
		ret = verify_payload(&v, &found, err);
	if (ret < 0)
		return ret;
	identifier_format(found.identifier, id_text);
	ret = check_window("identity", id_text,
			   get_be64(v.change + CHANGE_CREATED),
			   get_be64(v.change + CHANGE_VALID_UNTIL), now, err);
	if (!ret)
		ret = check_window("secure-channel key attestation", id_text,
				   get_be64(v.att + ATT_CREATED),
				   get_be64(v.att + ATT_EXPIRES), now, err);
	if (!ret)
		*peer = found;
	return ret;
}

/* ------------------------------------------------------ identifiers */

void identifier_format(const uint8_t id[IDENTIFIER_BYTES],
		       char out[IDENTIFIER_STR_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned int i;

	out[0] = 'I';
	for (i = 0; i < IDENTIFIER_BYTES; i++) {
		out[1 + 2 * i] = digits[id[i] >> 4];
		out[2 + 2 * i] = digits[id[i] & 15];
	}
	out[IDENTIFIER_STR_LEN] = '\0';
}

int identifier_parse(const char *s, uint8_t id[IDENTIFIER_BYTES])
{
	uint8_t bytes[IDENTIFIER_BYTES];
	unsigned int i;
	int hi, lo;

	if (!s || s[0] != 'I')
		return -EINVAL;
	for (i = 0; i < IDENTIFIER_BYTES; i++) {
		/* A NUL stops at the first digit: it is no hex digit. */
		hi = ockam_hex_digit(s[1 + 2 * i]);
		if (hi < 0)
			return -EINVAL;
		lo = ockam_hex_digit(s[2 + 2 * i]);
		if (lo < 0)
			return -EINVAL;
		bytes[i] = (uint8_t)(hi << 4 | lo);
	}
	if (s[IDENTIFIER_STR_LEN] != '\0')
		return -EINVAL;
	memcpy(id, bytes, IDENTIFIER_BYTES);
	return 0;
}

/* ------------------------------------------------------------ vault */

int identity_export(const struct identity *id, uint8_t *buf, size_t size,
		    size_t *len)
{
	if (size < IDENTITY_RECORD_LEN)
		return -EMSGSIZE;
	memcpy(buf, vault_magic, VAULT_MAGIC_LEN);
	buf[VAULT_OFF_VERSION] = VAULT_VERSION;
	crypto_sign_ed25519_sk_to_seed(buf + VAULT_OFF_SEED, id->sign_secret);
	memcpy(buf + VAULT_OFF_STATIC, id->static_priv, KEY_LEN);
	memcpy(buf + VAULT_OFF_PAYLOAD, id->payload, IDENTITY_PAYLOAD_LEN);
	*len = IDENTITY_RECORD_LEN;
	return 0;
}

static int check_record_header(const uint8_t *buf, size_t len,
			       struct ockam_err *err)
{
	if (len < VAULT_MAGIC_LEN || memcmp(buf, vault_magic, VAULT_MAGIC_LEN))
		return ockam_err_set(err, -EBADMSG,
				     "not an identity record (no \"OCKAM-ID\" magic)");
	if (len < VAULT_OFF_SEED)
		return ockam_err_set(err, -EBADMSG, "truncated: %zu bytes",
				     len);
	if (buf[VAULT_OFF_VERSION] != VAULT_VERSION)
		return ockam_err_set(err, -EBADMSG,
				     "identity record version %u not supported",
				     buf[VAULT_OFF_VERSION]);
	if (len != IDENTITY_RECORD_LEN)
		return ockam_err_set(err, -EBADMSG,
				     "%s: %zu bytes, an identity record has %d",
				     len < IDENTITY_RECORD_LEN ? "truncated" :
								 "too long",
				     len, IDENTITY_RECORD_LEN);
	return 0;
}

/* The secrets must give the public keys the records carry. */
static int check_secrets(struct identity *id, const struct payload_view *v,
			 const uint8_t *seed, struct ockam_err *err)
{
	uint8_t identity_pub[KEY_LEN];

	crypto_sign_seed_keypair(identity_pub, id->sign_secret, seed);
	if (sodium_memcmp(identity_pub, v->change + CHANGE_KEY, KEY_LEN))
		return ockam_err_set(err, -EBADMSG,
				     "the identity key does not match its secret");
	if (!x25519_clamped(id->static_priv))
		return ockam_err_set(err, -EBADMSG,
				     "the secure-channel secret key is not in clamped form");
	crypto_scalarmult_curve25519_base(id->static_pub, id->static_priv);
	if (sodium_memcmp(id->static_pub, v->att + ATT_KEY, KEY_LEN))
		return ockam_err_set(err, -EBADMSG,
				     "the attested secure-channel key does not match its secret");
	return 0;
}

int identity_import(struct identity **out, const uint8_t *buf, size_t len,
		    struct ockam_err *err)
{
	struct identity_peer peer;
	struct payload_view v;
	struct identity *id;
	int ret;

	if (sodium_init() < 0)
		return ockam_err_set(err, -ENOMEM, "libsodium does not start");
	ret = check_record_header(buf, len, err);
	if (!ret)
		ret = split_payload(buf + VAULT_OFF_PAYLOAD, IDENTITY_PAYLOAD_LEN,
				    &v, err);
	if (!ret)
		ret = verify_payload(&v, &peer, err);
	if (ret < 0)
		return ret;

	id = secure_zalloc(sizeof(*id));
	if (!id)
		return ockam_err_set(err, -ENOMEM,
				     "no locked memory for an identity");
	memcpy(id->static_priv, buf + VAULT_OFF_STATIC, KEY_LEN);
	ret = check_secrets(id, &v, buf + VAULT_OFF_SEED, err);
	if (ret < 0) {
		identity_free(id);
		return ret;
	}
	memcpy(id->identifier, peer.identifier, IDENTIFIER_BYTES);
	memcpy(id->payload, buf + VAULT_OFF_PAYLOAD, IDENTITY_PAYLOAD_LEN);
	id->attestation_expires = peer.attestation_expires;
	id->valid_until = get_be64(v.change + CHANGE_VALID_UNTIL);
	*out = id;
	return 0;
}
