// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ockamd's Noise: the standard test vectors (../shared/vectors, or
 * $NOISE_VECTORS_DIR), the vector runner catching what is wrong, and
 * handshakes of our own: both roles, tampering, every truncation, calls
 * out of turn, size limits, low-order keys, nonces and REKEY.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "../ockamd/noise.h"
#include "tap.h"
#include "vectors.h"

#define DEFAULT_VECTORS_DIR "../shared/vectors"
#define XX_VECTORS_FILE "noise_xx_25519_chachapoly_sha256.json"
/*
 * h at the end of that file's handshake, computed apart from this code
 * (by an implementation of Noise on another library).
 */
#define XX_VECTORS_HASH \
	"04ae75f314ec94b4d33bbf42d688fd292608695db673ef59762ae32a2fff8d73"

enum { MSG_BUF = NOISE_MSG_MAX + 64 };

static const char *vectors_dir(void)
{
	const char *dir = getenv("NOISE_VECTORS_DIR");

	return dir && *dir ? dir : DEFAULT_VECTORS_DIR;
}

/* The text of the standard XX vectors file, or NULL (a failed check). */
static char *read_xx_vectors(size_t *len)
{
	char path[512];
	long size;
	char *text;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", vectors_dir(), XX_VECTORS_FILE);
	f = fopen(path, "r");
	if (!f) {
		tap_check_failed(__FILE__, __LINE__, "cannot open %s: %s", path,
				 strerror(errno));
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = size > 0 ? malloc((size_t)size + 1) : NULL;
	if (!text || fread(text, 1, (size_t)size, f) != (size_t)size) {
		tap_check_failed(__FILE__, __LINE__, "cannot read %s", path);
		free(text);
		fclose(f);
		return NULL;
	}
	text[size] = '\0';
	*len = (size_t)size;
	fclose(f);
	return text;
}

/* ------------------------------------------------------------ vectors */

/* Every *.json file of the vectors directory passes, and there is one. */
static void vector_files(void)
{
	struct vectors_tally tally = { 0 };
	const char *dir = vectors_dir();
	struct ockam_err err;
	char path[512];
	struct dirent *de;
	unsigned int files = 0;
	DIR *d = opendir(dir);
	size_t n;

	if (!d) {
		tap_check_failed(__FILE__, __LINE__,
				 "no Noise test vectors: cannot open %s: %s",
				 dir, strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		CHECK_INT(vectors_run_file(path, &tally, stdout, &err), 0);
		files++;
	}
	closedir(d);
	CHECK(files > 0);
	CHECK(tally.vectors_run > 0);
	CHECK(tally.passed > 0);
	CHECK_INT(tally.failed, 0);
}

/* @text with @insert put just before the first occurrence of @before. */
static char *splice(const char *text, const char *before, const char *insert)
{
	const char *at = strstr(text, before);
	size_t head, total;
	char *out;

	if (!at)
		return NULL;
	head = (size_t)(at - text);
	total = strlen(text) + strlen(insert) + 1;
	out = malloc(total);
	if (out)
		snprintf(out, total, "%.*s%s%s", (int)head, text, insert, at);
	return out;
}

static int run_text(const char *text, struct vectors_tally *tally,
		    struct ockam_err *err)
{
	static FILE *devnull;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	memset(tally, 0, sizeof(*tally));
	ockam_err_clear(err);
	return vectors_run_text("test", text, strlen(text), tally,
				devnull ? devnull : stderr, err);
}

/* handshake_hash is one more check, and a wrong one fails it. */
static void vector_handshake_hash(void)
{
	struct vectors_tally tally;
	struct ockam_err err;
	char *text, *good, *bad;
	size_t len;

	text = read_xx_vectors(&len);
	if (!text)
		return;
	good = splice(text, "\"messages\"",
		      "\"handshake_hash\": \"" XX_VECTORS_HASH "\",\n");
	bad = splice(text, "\"messages\"",
		     "\"handshake_hash\": \"" XX_VECTORS_HASH "\",\n");
	CHECK(good && bad);
	if (good && bad) {
		bad[strstr(bad, XX_VECTORS_HASH) - bad] ^= 1;	/* '0' -> '1' */
		CHECK_INT(run_text(good, &tally, &err), 0);
		CHECK_INT(tally.passed, 6);
		CHECK_INT(tally.failed, 0);
		CHECK_INT(run_text(bad, &tally, &err), 0);
		CHECK_INT(tally.passed, 5);
		CHECK_INT(tally.failed, 1);
	}
	free(good);
	free(bad);
	free(text);
}

/* One changed hex digit in any message's ciphertext or payload fails. */
static void vector_tampered(void)
{
	struct vectors_tally tally;
	struct ockam_err err;
	const char *fields[] = { "\"ciphertext\": \"", "\"payload\": \"" };
	unsigned int f, i, hits;
	char *text, *copy, *p;
	size_t len;

	text = read_xx_vectors(&len);
	if (!text)
		return;
	for (f = 0; f < ARRAY_SIZE(fields); f++) {
		for (i = 0;; i++) {
			copy = strdup(text);
			p = copy;
			for (hits = 0; p && hits <= i; hits++) {
				p = strstr(p, fields[f]);
				if (p)
					p += strlen(fields[f]);
			}
			if (!p) {
				free(copy);
				break;
			}
			*p = *p == '0' ? '1' : '0';
			CHECK_INT(run_text(copy, &tally, &err), 0);
			if (tally.failed < 1)
				tap_check_failed(__FILE__, __LINE__,
						 "%s of message %u changed, yet nothing failed",
						 fields[f], i);
			free(copy);
		}
		CHECK_INT(i, 5);
	}
	free(text);
}

/* Other protocols and unsupported features are skipped, not run. */
static void vector_skips(void)
{
	static const char text[] =
		"{\"vectors\": ["
		" {\"protocol_name\": \"Noise_NN_25519_AESGCM_SHA256\", \"messages\": []},"
		" {\"protocol_name\": \"Noise_XX_25519_ChaChaPoly_SHA256\","
		"  \"init_psks\": [\"00\"], \"messages\": []},"
		" {\"protocol_name\": \"Noise_XX_25519_ChaChaPoly_SHA256\","
		"  \"fail\": true, \"messages\": []},"
		" {\"protocol_name\": \"Noise_XX_25519_ChaChaPoly_SHA256\","
		"  \"init_psks\": [], \"resp_psks\": [],"
		"  \"init_static\": \"" "0000000000000000000000000000000000000000000000000000000000000001" "\","
		"  \"resp_static\": \"" "0000000000000000000000000000000000000000000000000000000000000002" "\","
		"  \"init_ephemeral\": \"" "0000000000000000000000000000000000000000000000000000000000000003" "\","
		"  \"resp_ephemeral\": \"" "0000000000000000000000000000000000000000000000000000000000000004" "\","
		"  \"messages\": []}"
		"]}";
	struct vectors_tally tally;
	struct ockam_err err;

	CHECK_INT(run_text(text, &tally, &err), 0);
	CHECK_INT(tally.vectors_skipped, 3);
	CHECK_INT(tally.vectors_run, 1);
	CHECK_INT(tally.passed + tally.failed, 0);
}

/* Files that break the format are errors that say where. */
static void vector_malformed(void)
{
	static const struct {
		const char *text;
		const char *error;
	} cases[] = {
		{ "[]", "\"vectors\" array" },
		{ "{\"vectors\": {}}", "\"vectors\" array" },
		{ "{\"vectors\": [1]}", "vector 0: not an object" },
		{ "{\"vectors\": [{}]}", "protocol_name" },
		{ "{\"vectors\": [{\"protocol_name\": \"Noise_XX_25519_ChaChaPoly_SHA256\"}]}",
		  "no init_static" },
		{ "{\"vectors\": [{\"protocol_name\": \"Noise_XX_25519_ChaChaPoly_SHA256\","
		  " \"init_static\": \"0g\"}]}",
		  "init_static: not a hex digit" },
		{ "{\"vectors\": [{\"protocol_name\": \"Noise_XX_25519_ChaChaPoly_SHA256\","
		  " \"init_static\": \"000\"}]}",
		  "odd number of hex digits" },
		{ "{\"vectors\": [{\"protocol_name\": \"Noise_XX_25519_ChaChaPoly_SHA256\","
		  " \"init_static\": \"0011\"}]}",
		  "init_static: 2 bytes, expected 32" },
		{ "{\"vectors\": [{\"protocol_name\": \"Noise_XX_25519_ChaChaPoly_SHA256\","
		  " \"init_static\": 7}]}",
		  "a hex string expected, not number" },
		/* What jansson refuses, in its words. */
		{ "{\"vectors\": [ {\"a\": 1,} ]}", "string or '}' expected" },
		{ "{\"vectors\": [],}", "string or '}' expected" },
		{ "{\"vectors\": [1,]}", "unexpected token" },
		{ "{\"vectors\": []} x", "end of file expected" },
		{ "{\"vectors\": [], \"vectors\": []}", "duplicate object key" },
		{ "{\"vectors\": [01]}", "invalid token near '0'" },
		{ "{\"vectors\": [1.]}", "invalid token near '1.'" },
		{ "{\"vectors\": [1e]}", "invalid token near '1e'" },
		{ "{\"vectors\": [tru]}", "invalid token" },
		{ "{\"vectors\": [\"abc]}", "premature end of input" },
		{ "{\"vectors\": [\"a\tb\"]}", "control character" },
		{ "{\"vectors\": [\"\\x\"]}", "invalid escape" },
		{ "{\"vectors\": [\"\\udc00\"]}", "invalid Unicode '\\uDC00'" },
		{ "{\"vectors\": [\"\\ud800x\"]}", "invalid Unicode '\\uD800'" },
		{ "{\"vectors\": [\"\\u12\"]}", "invalid escape" },
		{ "{\"vectors\": [\"\\u0000\"]}", "\\u0000 is not allowed" },
		{ "{\"vectors\": [\"\xc0\x80\"]}", "unable to decode byte 0xc0" },
		{ "{\"vectors\": [\"\xed\xa0\x80\"]}", "unable to decode byte 0xed" },
		{ "{\"vectors\": [\"\xe2\x82\"]}", "unable to decode byte 0xe2" },
		{ "{\"vectors\": [// comment\n]}", "invalid token near '/'" },
		{ "{'vectors': []}", "string or '}' expected" },
		{ "", "'[' or '{' expected near end of file" },
		{ "7", "'[' or '{' expected" },
		{ "{\n\"vectors\":\n  [\n  ,]}", "line 4, column 3" },
	};
	struct vectors_tally tally;
	struct ockam_err err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (run_text(cases[i].text, &tally, &err) != -EINVAL ||
		    !strstr(err.msg, cases[i].error))
			tap_check_failed(__FILE__, __LINE__,
					 "case %zu: \"%s\" gave \"%s\", expected -EINVAL with \"%s\"",
					 i, cases[i].text, err.msg,
					 cases[i].error);
	}
}

/*
 * The standard XX vectors with @change made to their first vector (or its
 * message @message when that is not -1), run: the runner's status.
 */
static int run_changed(const char *text, int message,
		       void (*change)(json_t *obj, const char *key),
		       const char *key, struct ockam_err *err)
{
	struct vectors_tally tally;
	json_t *root, *obj;
	char *changed;
	int ret = 1;

	root = json_loads(text, 0, NULL);
	obj = json_array_get(json_object_get(root, "vectors"), 0);
	if (message >= 0)
		obj = json_array_get(json_object_get(obj, "messages"),
				     (size_t)message);
	if (!obj) {
		tap_check_failed(__FILE__, __LINE__, "no vector to change");
		json_decref(root);
		return 1;
	}
	change(obj, key);
	changed = json_dumps(root, JSON_INDENT(1));
	if (changed)
		ret = run_text(changed, &tally, err);
	free(changed);
	json_decref(root);
	return ret;
}

static void field_delete(json_t *obj, const char *key)
{
	json_object_del(obj, key);
}

static void field_to_object(json_t *obj, const char *key)
{
	json_object_set_new(obj, key, json_object());
}

/*
 * A vector or message without a field it needs is an error for the whole
 * file, never a vector skipped or a check passed.
 */
static void vector_missing_fields(void)
{
	static const struct {
		int message;
		const char *key;
		const char *error;
	} cases[] = {
		{ -1, "protocol_name", "vector 0: no \"protocol_name\" string" },
		{ -1, "init_static", "vector 0: no init_static" },
		{ -1, "resp_static", "vector 0: no resp_static" },
		{ -1, "init_ephemeral", "vector 0: no init_ephemeral" },
		{ -1, "resp_ephemeral", "vector 0: no resp_ephemeral" },
		{ -1, "messages", "vector 0: no \"messages\" array" },
		{ 0, "payload", "vector 0: message 0: no payload" },
		{ 3, "ciphertext", "vector 0: message 3: no ciphertext" },
	};
	struct ockam_err err;
	size_t len, i;
	char *text;

	text = read_xx_vectors(&len);
	if (!text)
		return;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		CHECK_INT(run_changed(text, cases[i].message, field_delete,
				      cases[i].key, &err), -EINVAL);
		CHECK_CONTAINS(err.msg, cases[i].error);
	}
	/* Present but of the wrong kind is no better. */
	CHECK_INT(run_changed(text, -1, field_to_object, "messages", &err),
		  -EINVAL);
	CHECK_CONTAINS(err.msg, "no \"messages\" array");
	CHECK_INT(run_changed(text, 1, field_to_object, "payload", &err),
		  -EINVAL);
	CHECK_CONTAINS(err.msg, "payload: a hex string expected, not object");
	/* The file unchanged, through the same path, passes. */
	CHECK_INT(run_changed(text, -1, field_delete, "name", &err), 0);
	free(text);
}

/* ------------------------------------------------- our own handshakes */

struct pair {
	uint8_t static_priv[2][NOISE_DH_LEN];
	uint8_t static_pub[2][NOISE_DH_LEN];
	struct noise_handshake *hs[2];	/* initiator, responder */
};

static const uint8_t payloads[3][8] = { "", "second", "third" };
static const size_t payload_lens[3] = { 0, 6, 5 };

static void pair_new(struct pair *p)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		randombytes_buf(p->static_priv[i], NOISE_DH_LEN);
		crypto_scalarmult_curve25519_base(p->static_pub[i],
						  p->static_priv[i]);
		p->hs[i] = noise_handshake_new(i ? NOISE_RESPONDER :
						   NOISE_INITIATOR,
					       p->static_priv[i],
					       (const uint8_t *)"prologue", 8);
	}
	CHECK(p->hs[0] && p->hs[1]);
}

static void pair_free(struct pair *p)
{
	noise_handshake_free(p->hs[0]);
	noise_handshake_free(p->hs[1]);
}

/* Write message @m from its sender; its bytes into @msg. */
static int write_step(struct pair *p, unsigned int m, uint8_t *msg,
		      size_t *len)
{
	return noise_write_message(p->hs[m % 2], payloads[m], payload_lens[m],
				   msg, MSG_BUF, len);
}

/* Messages @from..@to-1, written and read; 0 when all went through. */
static int pair_steps(struct pair *p, unsigned int from, unsigned int to)
{
	static uint8_t msg[MSG_BUF], out[MSG_BUF];
	size_t len, out_len;
	unsigned int m;
	int ret;

	for (m = from; m < to; m++) {
		ret = write_step(p, m, msg, &len);
		if (ret < 0)
			return ret;
		ret = noise_read_message(p->hs[(m + 1) % 2], msg, len, out,
					 sizeof(out), &out_len);
		if (ret < 0)
			return ret;
		if (out_len != payload_lens[m] ||
		    memcmp(out, payloads[m], out_len))
			return -EIO;
	}
	return 0;
}

static int pair_run(struct pair *p, unsigned int count)
{
	return pair_steps(p, 0, count);
}

/* NULL-safe: a pointer the code under test did not give is a failure. */
static bool same(const uint8_t *a, const uint8_t *b, size_t len)
{
	return a && b && !memcmp(a, b, len);
}

static void round_trip(void)
{
	uint8_t itx[NOISE_KEY_LEN], irx[NOISE_KEY_LEN];
	uint8_t rtx[NOISE_KEY_LEN], rrx[NOISE_KEY_LEN];
	struct noise_cipher send, recv;
	uint8_t ct[64], pt[64];
	struct pair p;

	pair_new(&p);
	CHECK(noise_handshake_writing(p.hs[0]));
	CHECK(!noise_handshake_writing(p.hs[1]));
	CHECK(!noise_remote_static(p.hs[0]) && !noise_remote_static(p.hs[1]));
	CHECK(!noise_handshake_hash(p.hs[0]));
	CHECK_INT(pair_run(&p, 3), 0);
	CHECK(noise_handshake_done(p.hs[0]) && noise_handshake_done(p.hs[1]));
	CHECK(!noise_handshake_writing(p.hs[0]) &&
	      !noise_handshake_writing(p.hs[1]));
	CHECK(same(noise_remote_static(p.hs[0]), p.static_pub[1],
		   NOISE_DH_LEN));
	CHECK(same(noise_remote_static(p.hs[1]), p.static_pub[0],
		   NOISE_DH_LEN));
	CHECK(same(noise_handshake_hash(p.hs[0]),
		   noise_handshake_hash(p.hs[1]), NOISE_HASH_LEN));
	CHECK_INT(noise_split(p.hs[0], itx, irx), 0);
	CHECK_INT(noise_split(p.hs[1], rtx, rrx), 0);
	CHECK(!memcmp(itx, rrx, NOISE_KEY_LEN) && !memcmp(irx, rtx, NOISE_KEY_LEN));
	CHECK(memcmp(itx, irx, NOISE_KEY_LEN));

	/* Both directions of transport. */
	memcpy(send.key, itx, NOISE_KEY_LEN);
	memcpy(recv.key, rrx, NOISE_KEY_LEN);
	send.n = recv.n = 0;
	CHECK_INT(noise_cipher_encrypt(&send, NULL, 0, (const uint8_t *)"ping", 4, ct), 0);
	CHECK_INT(noise_cipher_decrypt(&recv, NULL, 0, ct, 4 + NOISE_TAG_LEN, pt), 0);
	CHECK(!memcmp(pt, "ping", 4));
	memcpy(send.key, rtx, NOISE_KEY_LEN);
	memcpy(recv.key, irx, NOISE_KEY_LEN);
	send.n = recv.n = 7;
	CHECK_INT(noise_cipher_encrypt(&send, (const uint8_t *)"ad", 2, (const uint8_t *)"pong", 4, ct), 0);
	CHECK_INT(noise_cipher_decrypt(&recv, (const uint8_t *)"ad", 2, ct, 4 + NOISE_TAG_LEN, pt), 0);
	CHECK(!memcmp(pt, "pong", 4));
	CHECK_INT(send.n, 8);
	CHECK_INT(recv.n, 8);
	pair_free(&p);
}

/* Two handshakes from the same keys differ: fresh ephemeral keys. */
static void fresh_ephemerals(void)
{
	static uint8_t a[MSG_BUF], b[MSG_BUF];
	size_t alen, blen;
	struct pair p, q;

	pair_new(&p);
	pair_new(&q);
	CHECK_INT(write_step(&p, 0, a, &alen), 0);
	CHECK_INT(write_step(&q, 0, b, &blen), 0);
	CHECK_INT(alen, NOISE_DH_LEN);
	CHECK(alen == blen && memcmp(a, b, alen));
	pair_free(&p);
	pair_free(&q);
}

/* A flipped bit anywhere in messages 2 and 3 is -EBADMSG, for good. */
static void tampered_messages(void)
{
	static uint8_t msg[MSG_BUF], out[MSG_BUF];
	struct noise_handshake *reader;
	size_t len, out_len, i;
	unsigned int m;
	struct pair p;

	for (m = 1; m < 3; m++) {
		pair_new(&p);
		CHECK_INT(pair_run(&p, m), 0);
		CHECK_INT(write_step(&p, m, msg, &len), 0);
		for (i = 0; i < len * 8; i++) {
			reader = noise_handshake_clone(p.hs[(m + 1) % 2]);
			CHECK(reader != NULL);
			if (!reader)
				break;
			msg[i / 8] ^= (uint8_t)(1 << (i % 8));
			if (noise_read_message(reader, msg, len, out,
					       sizeof(out), &out_len) != -EBADMSG)
				tap_check_failed(__FILE__, __LINE__,
						 "message %u with bit %zu flipped was not -EBADMSG",
						 m + 1, i);
			msg[i / 8] ^= (uint8_t)(1 << (i % 8));
			/* A failed read ends the handshake. */
			CHECK_INT(noise_read_message(reader, msg, len, out,
						     sizeof(out), &out_len),
				  -EPROTO);
			CHECK(!noise_remote_static(reader));
			noise_handshake_free(reader);
		}
		pair_free(&p);
	}
}

/* Different prologues: message 2 does not verify. */
static void prologue_mismatch(void)
{
	static uint8_t msg[MSG_BUF], out[MSG_BUF];
	struct noise_handshake *i, *r;
	uint8_t si[NOISE_DH_LEN], sr[NOISE_DH_LEN];
	size_t len, out_len;

	randombytes_buf(si, sizeof(si));
	randombytes_buf(sr, sizeof(sr));
	i = noise_handshake_new(NOISE_INITIATOR, si, (const uint8_t *)"a", 1);
	r = noise_handshake_new(NOISE_RESPONDER, sr, (const uint8_t *)"b", 1);
	CHECK_INT(noise_write_message(i, NULL, 0, msg, sizeof(msg), &len), 0);
	CHECK_INT(noise_read_message(r, msg, len, out, sizeof(out), &out_len), 0);
	CHECK_INT(noise_write_message(r, NULL, 0, msg, sizeof(msg), &len), 0);
	CHECK_INT(noise_read_message(i, msg, len, out, sizeof(out), &out_len),
		  -EBADMSG);
	noise_handshake_free(i);
	noise_handshake_free(r);
}

/*
 * Every truncation of every message. Message 1 is not authenticated: a
 * cut payload reads as a shorter one, and the handshake then fails at
 * message 2 because the two sides' h differ.
 */
static void truncated_messages(void)
{
	static uint8_t msg[MSG_BUF], out[MSG_BUF], reply[MSG_BUF];
	struct noise_handshake *reader, *writer;
	size_t len, cut, out_len, reply_len;
	unsigned int m;
	struct pair p;
	int ret;

	for (m = 0; m < 3; m++) {
		pair_new(&p);
		CHECK_INT(pair_run(&p, m), 0);
		/* A longer first payload, so it can be cut. */
		if (m == 0)
			CHECK_INT(noise_write_message(p.hs[0], (const uint8_t *)"hello", 5,
						      msg, sizeof(msg), &len), 0);
		else
			CHECK_INT(write_step(&p, m, msg, &len), 0);
		for (cut = 0; cut < len; cut++) {
			reader = noise_handshake_clone(p.hs[(m + 1) % 2]);
			if (!reader) {
				CHECK(0);
				break;
			}
			ret = noise_read_message(reader, msg, cut, out,
						 sizeof(out), &out_len);
			if (m == 0 && cut >= NOISE_DH_LEN) {
				/* Read, but the reply cannot be. */
				CHECK_INT(ret, 0);
				writer = noise_handshake_clone(p.hs[0]);
				CHECK(writer != NULL);
				CHECK_INT(noise_write_message(reader, NULL, 0, reply,
							      sizeof(reply), &reply_len), 0);
				if (writer)
					CHECK_INT(noise_read_message(writer, reply, reply_len,
								     out, sizeof(out), &out_len),
						  -EBADMSG);
				noise_handshake_free(writer);
			} else if (ret != -EBADMSG) {
				tap_check_failed(__FILE__, __LINE__,
						 "message %u cut to %zu of %zu bytes gave %d",
						 m + 1, cut, len, ret);
			} else if (noise_read_message(reader, msg, len, out,
						      sizeof(out), &out_len) != -EPROTO) {
				/* The whole message comes too late. */
				tap_check_failed(__FILE__, __LINE__,
						 "message %u read after a cut one",
						 m + 1);
			}
			noise_handshake_free(reader);
		}
		pair_free(&p);
	}
}

static void out_of_turn(void)
{
	static uint8_t buf[MSG_BUF], out[MSG_BUF];
	uint8_t key[2][NOISE_KEY_LEN], eph[NOISE_DH_LEN] = { 1 };
	size_t len;
	struct pair p;

	pair_new(&p);
	/* The responder speaks second; the initiator first. */
	CHECK_INT(noise_write_message(p.hs[1], NULL, 0, buf, sizeof(buf), &len),
		  -EPROTO);
	CHECK_INT(noise_read_message(p.hs[0], buf, 32, out, sizeof(out), &len),
		  -EPROTO);
	CHECK_INT(noise_split(p.hs[0], key[0], key[1]), -EPROTO);
	/* Out-of-turn calls change nothing. */
	CHECK_INT(pair_run(&p, 1), 0);
	CHECK_INT(noise_handshake_set_ephemeral(p.hs[0], eph), -EPROTO);
	CHECK_INT(noise_handshake_set_ephemeral(p.hs[1], eph), -EPROTO);
	CHECK_INT(noise_write_message(p.hs[0], NULL, 0, buf, sizeof(buf), &len),
		  -EPROTO);
	CHECK_INT(noise_read_message(p.hs[1], buf, 32, out, sizeof(out), &len),
		  -EPROTO);
	CHECK(!noise_handshake_hash(p.hs[0]));
	/* Still good: the rest of the handshake goes through. */
	CHECK_INT(pair_steps(&p, 1, 3), 0);
	CHECK(noise_handshake_done(p.hs[0]) && noise_handshake_done(p.hs[1]));
	pair_free(&p);

	pair_new(&p);
	CHECK_INT(pair_run(&p, 3), 0);
	CHECK_INT(noise_write_message(p.hs[0], NULL, 0, buf, sizeof(buf), &len),
		  -EPROTO);
	CHECK_INT(noise_write_message(p.hs[1], NULL, 0, buf, sizeof(buf), &len),
		  -EPROTO);
	CHECK_INT(noise_read_message(p.hs[1], buf, 64, out, sizeof(out), &len),
		  -EPROTO);
	CHECK_INT(noise_split(p.hs[0], key[0], key[1]), 0);
	/* Once only: the split wiped the secrets. */
	CHECK_INT(noise_split(p.hs[0], key[0], key[1]), -EPROTO);
	CHECK(noise_handshake_hash(p.hs[0]) != NULL);
	sodium_memzero(key, sizeof(key));
	pair_free(&p);
}

static void size_limits(void)
{
	static uint8_t big[NOISE_MSG_MAX + 1], msg[MSG_BUF], out[MSG_BUF];
	size_t len, out_len;
	struct pair p;

	pair_new(&p);
	/* Message 1 is e (32) + payload: 65503 fits, 65504 does not. */
	CHECK_INT(noise_write_message(p.hs[0], big, NOISE_MSG_MAX - 31, msg,
				      sizeof(msg), &len), -EMSGSIZE);
	CHECK_INT(noise_write_message(p.hs[0], big, 10, msg, 41, &len),
		  -EMSGSIZE);
	CHECK_INT(noise_write_message(p.hs[0], NULL, 3, msg, sizeof(msg), &len),
		  -EINVAL);
	/* None of that changed anything. */
	CHECK_INT(noise_write_message(p.hs[0], big, NOISE_MSG_MAX - 32, msg,
				      sizeof(msg), &len), 0);
	CHECK_INT(len, NOISE_MSG_MAX);
	CHECK_INT(noise_read_message(p.hs[1], msg, len, out, NOISE_MSG_MAX - 33,
				     &out_len), -EMSGSIZE);
	pair_free(&p);

	pair_new(&p);
	CHECK_INT(noise_write_message(p.hs[0], NULL, 0, msg, sizeof(msg), &len),
		  0);
	CHECK_INT(noise_read_message(p.hs[1], msg, NOISE_MSG_MAX + 1, out,
				     sizeof(out), &out_len), -EMSGSIZE);
	CHECK(!noise_handshake_writing(p.hs[1]));
	pair_free(&p);

	/* Message 2 has 96 bytes around the payload (e, s + tag, tag). */
	pair_new(&p);
	CHECK_INT(pair_run(&p, 1), 0);
	CHECK_INT(noise_write_message(p.hs[1], big, NOISE_MSG_MAX - 95, msg,
				      sizeof(msg), &len), -EMSGSIZE);
	CHECK_INT(noise_write_message(p.hs[1], big, NOISE_MSG_MAX - 96, msg,
				      sizeof(msg), &len), 0);
	CHECK_INT(len, NOISE_MSG_MAX);
	CHECK_INT(noise_read_message(p.hs[0], msg, len, out, sizeof(out),
				     &out_len), 0);
	CHECK_INT(out_len, NOISE_MSG_MAX - 96);
	pair_free(&p);
}

/*
 * Public keys of small order: X25519 with any clamped scalar gives zero,
 * so the DH contributes nothing. 0, 1, the two points of order 8, and
 * p - 1, p, p + 1 (non-canonical encodings of small-order points).
 */
static const char *const low_order_points[] = {
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

static void low_order_keys(void)
{
	static uint8_t msg[MSG_BUF], out[MSG_BUF];
	uint8_t point[NOISE_DH_LEN];
	size_t len, out_len, i;
	struct pair p;

	for (i = 0; i < ARRAY_SIZE(low_order_points); i++) {
		CHECK_INT(sodium_hex2bin(point, sizeof(point), low_order_points[i],
					 64, NULL, &len, NULL), 0);
		/* As message 1's e: the responder refuses at once. */
		pair_new(&p);
		CHECK_INT(noise_read_message(p.hs[1], point, sizeof(point), out,
					     sizeof(out), &out_len), -EBADMSG);
		CHECK_INT(noise_write_message(p.hs[1], NULL, 0, msg, sizeof(msg),
					      &len), -EPROTO);
		pair_free(&p);

		/* As message 2's e: the initiator refuses. */
		pair_new(&p);
		CHECK_INT(pair_run(&p, 1), 0);
		CHECK_INT(write_step(&p, 1, msg, &len), 0);
		memcpy(msg, point, sizeof(point));
		CHECK_INT(noise_read_message(p.hs[0], msg, len, out, sizeof(out),
					     &out_len), -EBADMSG);
		pair_free(&p);
	}
}

/* The nonce is 4 zero bytes and n little-endian; n never reaches 2^64-1. */
static void cipher_nonces(void)
{
	struct noise_cipher c = { .n = 0x0102030405060708ull };
	uint8_t nonce[12] = { 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1 };
	uint8_t ct[32], expect[32], pt[16];
	unsigned long long elen;

	randombytes_buf(c.key, sizeof(c.key));
	CHECK_INT(noise_cipher_encrypt(&c, (const uint8_t *)"x", 1,
				       (const uint8_t *)"0123456789abcdef", 16,
				       ct), 0);
	crypto_aead_chacha20poly1305_ietf_encrypt(expect, &elen,
						  (const uint8_t *)"0123456789abcdef",
						  16, (const uint8_t *)"x", 1,
						  NULL, nonce, c.key);
	CHECK(!memcmp(ct, expect, sizeof(ct)));
	CHECK_INT(c.n, 0x0102030405060709ull);

	/* A failed decryption does not use up the nonce. */
	c.n = 5;
	memset(ct, 0, sizeof(ct));
	CHECK_INT(noise_cipher_decrypt(&c, NULL, 0, ct, sizeof(ct), pt), -EBADMSG);
	CHECK_INT(c.n, 5);
	CHECK_INT(noise_cipher_decrypt(&c, NULL, 0, ct, NOISE_TAG_LEN - 1, pt),
		  -EBADMSG);

	/* The last usable nonce, then the reserved one refuses. */
	c.n = NOISE_NONCE_RESERVED - 1;
	CHECK_INT(noise_cipher_encrypt(&c, NULL, 0, pt, 0, ct), 0);
	CHECK(c.n == NOISE_NONCE_RESERVED);
	CHECK_INT(noise_cipher_encrypt(&c, NULL, 0, pt, 0, ct), -EOVERFLOW);
	CHECK_INT(noise_cipher_decrypt(&c, NULL, 0, ct, NOISE_TAG_LEN, pt),
		  -EOVERFLOW);
	CHECK(c.n == NOISE_NONCE_RESERVED);
	c.n = 0;
	CHECK_INT(noise_cipher_encrypt(&c, NULL, 0, pt, NOISE_MSG_MAX - 15, ct),
		  -EMSGSIZE);
	sodium_memzero(&c, sizeof(c));
}

static void rekey(void)
{
	static const uint8_t zeros[32];
	uint8_t key[NOISE_KEY_LEN], old[NOISE_KEY_LEN], expect[48];
	uint8_t nonce[12], ct[64], pt[16];
	struct noise_cipher a, b;

	randombytes_buf(key, sizeof(key));
	memcpy(old, key, sizeof(key));
	/* REKEY(k) = first 32 bytes of ENCRYPT(k, 2^64 - 1, "", zeros). */
	memset(nonce, 0xff, sizeof(nonce));
	memset(nonce, 0, 4);
	crypto_aead_chacha20poly1305_ietf_encrypt(expect, NULL, zeros, 32, NULL,
						  0, NULL, nonce, key);
	noise_rekey(key);
	CHECK(!memcmp(key, expect, NOISE_KEY_LEN));
	CHECK(memcmp(key, old, NOISE_KEY_LEN));

	/* Both ends rekeyed talk; only one end rekeyed does not. */
	memcpy(a.key, old, NOISE_KEY_LEN);
	memcpy(b.key, old, NOISE_KEY_LEN);
	a.n = b.n = 32;
	noise_rekey(a.key);
	CHECK_INT(noise_cipher_encrypt(&a, NULL, 0, (const uint8_t *)"data", 4, ct), 0);
	CHECK_INT(noise_cipher_decrypt(&b, NULL, 0, ct, 4 + NOISE_TAG_LEN, pt),
		  -EBADMSG);
	noise_rekey(b.key);
	CHECK_INT(noise_cipher_decrypt(&b, NULL, 0, ct, 4 + NOISE_TAG_LEN, pt), 0);
	CHECK(!memcmp(pt, "data", 4));
	/* The nonce continues across a rekey. */
	CHECK_INT(a.n, 33);
	sodium_memzero(&a, sizeof(a));
	sodium_memzero(&b, sizeof(b));
	sodium_memzero(key, sizeof(key));
	sodium_memzero(old, sizeof(old));
}

SUITE(noise_suite, "noise",
      TEST(vector_files),
      TEST(vector_handshake_hash),
      TEST(vector_tampered),
      TEST(vector_skips),
      TEST(vector_malformed),
      TEST(vector_missing_fields),
      TEST(round_trip),
      TEST(fresh_ephemerals),
      TEST(tampered_messages),
      TEST(prologue_mismatch),
      TEST(truncated_messages),
      TEST(out_of_turn),
      TEST(size_limits),
      TEST(low_order_keys),
      TEST(cipher_nonces),
      TEST(rekey));
