// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The Noise test-vector runner. For each supported vector both sides are
 * built from the vector's keys and prologues, and message i is written by
 * the initiator when i is even, by the responder when it is odd: the
 * handshake messages first, then, after both sides split, transport
 * messages with each direction's CipherState (empty associated data).
 * Every message is checked from both ends: the sender must produce the
 * ciphertext, the receiver must recover the payload.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "../ockamd/noise.h"
#include "text.h"
#include "util.h"
#include "vectors.h"

enum vectors_limits {
	/* Larger files are refused rather than read into memory. */
	VECTORS_FILE_MAX = 64 << 20,
	/* Bytes of a value shown when a check fails. */
	VECTORS_SHOW_MAX = 48,
	/*
	 * jansson is strict by default (RFC 8259: no comments, trailing
	 * commas, leading zeros, bad escapes or UTF-8, lone surrogates,
	 * \u0000, a top level other than an object or array, or anything
	 * after it); duplicate keys are refused too, since which one a
	 * reader takes would decide what is tested.
	 */
	JSON_PARSE_FLAGS = JSON_REJECT_DUPLICATES,
};

enum party {
	INITIATOR,
	RESPONDER,
	PARTIES,
};

static const char *const party_names[PARTIES] = { "initiator", "responder" };

struct bytes {
	uint8_t *data;
	size_t len;
};

/* One vector, decoded. */
struct vector {
	struct bytes prologue[PARTIES];
	uint8_t static_priv[PARTIES][NOISE_DH_LEN];
	uint8_t ephemeral_priv[PARTIES][NOISE_DH_LEN];
	bool has_hash;
	uint8_t handshake_hash[NOISE_HASH_LEN];
	json_t *messages;	/* borrowed from the parsed file */
};

/* Both sides of a vector being run. */
struct session {
	struct noise_handshake *hs[PARTIES];
	uint8_t static_pub[PARTIES][NOISE_DH_LEN];
	struct noise_cipher tx[PARTIES], rx[PARTIES];
	bool split;
};

struct run {
	const char *name;
	size_t index;		/* of the vector in "vectors" */
	size_t message;		/* being run */
	char check[32];		/* what is being checked, for messages */
	bool check_ok;
	FILE *log;
	struct vectors_tally *tally;
	struct ockam_err *err;
};

/* Fields a vector may have, and what this runner makes of them. */
enum field_use {
	FIELD_USED,
	FIELD_IGNORED,		/* descriptive only */
	FIELD_EMPTY_OK,		/* supported only when an empty array */
	FIELD_UNSUPPORTED,	/* its presence means a feature we lack */
};

static const struct {
	const char *key;
	enum field_use use;
} vector_fields[] = {
	{ "protocol_name", FIELD_USED },
	{ "init_prologue", FIELD_USED },
	{ "resp_prologue", FIELD_USED },
	{ "init_static", FIELD_USED },
	{ "resp_static", FIELD_USED },
	{ "init_ephemeral", FIELD_USED },
	{ "resp_ephemeral", FIELD_USED },
	{ "messages", FIELD_USED },
	{ "handshake_hash", FIELD_USED },
	{ "name", FIELD_IGNORED },
	{ "pattern", FIELD_IGNORED },
	{ "dh", FIELD_IGNORED },
	{ "cipher", FIELD_IGNORED },
	{ "hash", FIELD_IGNORED },
	{ "init_psks", FIELD_EMPTY_OK },
	{ "resp_psks", FIELD_EMPTY_OK },
	{ "init_remote_static", FIELD_UNSUPPORTED },
	{ "resp_remote_static", FIELD_UNSUPPORTED },
	{ "init_remote_ephemeral", FIELD_UNSUPPORTED },
	{ "resp_remote_ephemeral", FIELD_UNSUPPORTED },
};

/* ------------------------------------------------------------ output */

static int format_error(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A vector that breaks the format: the whole file is in error. (jansson
 * keeps no positions once a file is parsed: the vector's index, the
 * field and the message say where.)
 */
static int format_error(struct run *r, const char *fmt, ...)
{
	char why[OCKAM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return ockam_err_set(r->err, -EINVAL, "%s: vector %zu: %s", r->name,
			     r->index, why);
}

/* "string", "array", ... for messages. */
static const char *type_name(const json_t *value)
{
	switch (json_typeof(value)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "value";
}

static void check_fail(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One thing in the current check is wrong: say what. */
static void check_fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	fprintf(r->log, "%s: vector %zu: %s: ", r->name, r->index, r->check);
	va_start(ap, fmt);
	vfprintf(r->log, fmt, ap);
	va_end(ap);
	fputc('\n', r->log);
	r->check_ok = false;
}

static void show_bytes(FILE *log, const char *label, const uint8_t *data,
		       size_t len)
{
	size_t i;

	fprintf(log, "    %-8s (%zu bytes) ", label, len);
	for (i = 0; i < len && i < VECTORS_SHOW_MAX; i++)
		fprintf(log, "%02x", data[i]);
	fprintf(log, "%s\n", len > VECTORS_SHOW_MAX ? "..." : "");
}

/* Compare what we made with what the vector says. */
static void check_bytes(struct run *r, const char *what, const uint8_t *got,
			size_t got_len, const struct bytes *want)
{
	if (got_len == want->len && (!got_len || !memcmp(got, want->data,
							  got_len)))
		return;
	check_fail(r, "%s differs", what);
	show_bytes(r->log, "got", got, got_len);
	show_bytes(r->log, "expected", want->data, want->len);
}

static void check_begin(struct run *r, const char *what)
{
	snprintf(r->check, sizeof(r->check), "%s", what);
	r->check_ok = true;
}

static void check_end(struct run *r)
{
	if (r->check_ok)
		r->tally->passed++;
	else
		r->tally->failed++;
}

/* ---------------------------------------------------------- decoding */

static int hex_decode(struct run *r, const json_t *field, const char *key,
		      struct bytes *out)
{
	const char *text = json_string_value(field);
	size_t len = json_string_length(field), i;

	if (!text)
		return format_error(r, "%s: a hex string expected, not %s",
				    key, type_name(field));
	if (len % 2)
		return format_error(r, "%s: odd number of hex digits", key);
	/* One spare byte, so an empty value is still an allocation. */
	out->data = malloc(len / 2 + 1);
	if (!out->data)
		return ockam_err_set(r->err, -ENOMEM, "out of memory");
	out->len = len / 2;
	for (i = 0; i < out->len; i++) {
		int hi = ockam_hex_digit(text[2 * i]);
		int lo = ockam_hex_digit(text[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(out->data);
			out->data = NULL;
			return format_error(r,
					    "%s: not a hex digit at offset %zu",
					    key, 2 * i + (hi < 0 ? 0 : 1));
		}
		out->data[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* A hex field of exactly @len bytes into @out; absent is an error. */
static int hex_fixed(struct run *r, const json_t *vector, const char *key,
		     uint8_t *out, size_t len)
{
	const json_t *field = json_object_get(vector, key);
	struct bytes b;
	int ret;

	if (!field)
		return format_error(r, "no %s", key);
	ret = hex_decode(r, field, key, &b);
	if (ret < 0)
		return ret;
	if (b.len != len)
		ret = format_error(r, "%s: %zu bytes, expected %zu", key,
				   b.len, len);
	else
		memcpy(out, b.data, len);
	free(b.data);
	return ret;
}

/* An optional hex field of any length; absent is empty. */
static int hex_optional(struct run *r, const json_t *vector, const char *key,
			struct bytes *out)
{
	const json_t *field = json_object_get(vector, key);

	if (field)
		return hex_decode(r, field, key, out);
	out->data = malloc(1);
	out->len = 0;
	return out->data ? 0 : ockam_err_set(r->err, -ENOMEM, "out of memory");
}

/*
 * Why this runner cannot run @vector, or NULL when it can. Only the
 * protocol and the fields matter here; their values are checked later.
 */
static const char *unsupported_reason(json_t *vector, const char *protocol,
				      char *buf, size_t size)
{
	const char *key;
	json_t *item;
	size_t f;

	if (strcmp(protocol, NOISE_PROTOCOL_NAME))
		return "protocol not supported";
	json_object_foreach(vector, key, item) {
		for (f = 0; f < ARRAY_SIZE(vector_fields); f++)
			if (!strcmp(key, vector_fields[f].key))
				break;
		if (f == ARRAY_SIZE(vector_fields) ||
		    vector_fields[f].use == FIELD_UNSUPPORTED ||
		    (vector_fields[f].use == FIELD_EMPTY_OK &&
		     (!json_is_array(item) || json_array_size(item)))) {
			snprintf(buf, size, "field \"%s\" not supported", key);
			return buf;
		}
	}
	return NULL;
}

static void vector_release(struct vector *v)
{
	free(v->prologue[INITIATOR].data);
	free(v->prologue[RESPONDER].data);
	sodium_memzero(v, sizeof(*v));
}

static int vector_decode(struct run *r, json_t *json, struct vector *v)
{
	const json_t *hash;
	int ret;

	memset(v, 0, sizeof(*v));
	ret = hex_optional(r, json, "init_prologue", &v->prologue[INITIATOR]);
	if (!ret)
		ret = hex_optional(r, json, "resp_prologue",
				   &v->prologue[RESPONDER]);
	if (!ret)
		ret = hex_fixed(r, json, "init_static",
				v->static_priv[INITIATOR], NOISE_DH_LEN);
	if (!ret)
		ret = hex_fixed(r, json, "resp_static",
				v->static_priv[RESPONDER], NOISE_DH_LEN);
	if (!ret)
		ret = hex_fixed(r, json, "init_ephemeral",
				v->ephemeral_priv[INITIATOR], NOISE_DH_LEN);
	if (!ret)
		ret = hex_fixed(r, json, "resp_ephemeral",
				v->ephemeral_priv[RESPONDER], NOISE_DH_LEN);
	hash = json_object_get(json, "handshake_hash");
	if (!ret && hash) {
		v->has_hash = true;
		ret = hex_fixed(r, json, "handshake_hash", v->handshake_hash,
				NOISE_HASH_LEN);
	}
	v->messages = json_object_get(json, "messages");
	if (!ret && !json_is_array(v->messages))
		ret = format_error(r, "no \"messages\" array");
	if (ret < 0)
		vector_release(v);
	return ret;
}

/* ---------------------------------------------------------- running */

static int session_start(struct run *r, struct session *s,
			 const struct vector *v)
{
	static const enum noise_role roles[PARTIES] = {
		NOISE_INITIATOR, NOISE_RESPONDER,
	};
	unsigned int p;

	memset(s, 0, sizeof(*s));
	for (p = 0; p < PARTIES; p++) {
		s->hs[p] = noise_handshake_new(roles[p], v->static_priv[p],
					       v->prologue[p].data,
					       v->prologue[p].len);
		if (!s->hs[p])
			return ockam_err_set(r->err, -ENOMEM,
					     "cannot allocate a handshake");
		noise_handshake_set_ephemeral(s->hs[p], v->ephemeral_priv[p]);
		crypto_scalarmult_curve25519_base(s->static_pub[p],
						  v->static_priv[p]);
	}
	return 0;
}

static void session_end(struct session *s)
{
	noise_handshake_free(s->hs[INITIATOR]);
	noise_handshake_free(s->hs[RESPONDER]);
	sodium_memzero(s, sizeof(*s));
}

/* After the last handshake message: both sides split, and must agree. */
static void session_split(struct run *r, struct session *s)
{
	const uint8_t *hi, *hr;
	unsigned int p;

	for (p = 0; p < PARTIES; p++) {
		if (noise_split(s->hs[p], s->tx[p].key, s->rx[p].key) < 0)
			check_fail(r, "the %s cannot split", party_names[p]);
	}
	if (sodium_memcmp(s->tx[INITIATOR].key, s->rx[RESPONDER].key,
			  NOISE_KEY_LEN) ||
	    sodium_memcmp(s->tx[RESPONDER].key, s->rx[INITIATOR].key,
			  NOISE_KEY_LEN))
		check_fail(r, "the two sides split into different keys");
	hi = noise_handshake_hash(s->hs[INITIATOR]);
	hr = noise_handshake_hash(s->hs[RESPONDER]);
	if (!hi || !hr || memcmp(hi, hr, NOISE_HASH_LEN))
		check_fail(r, "the two sides' handshake hashes differ");
	s->split = true;
}

static void run_handshake_message(struct run *r, struct session *s,
				  enum party from, const struct bytes *payload,
				  const struct bytes *ciphertext)
{
	enum party to = from == INITIATOR ? RESPONDER : INITIATOR;
	static uint8_t out[NOISE_MSG_MAX];
	const uint8_t *rs;
	size_t len;
	int ret;

	if (!noise_handshake_writing(s->hs[from])) {
		check_fail(r, "not the %s's turn to write", party_names[from]);
		return;
	}
	ret = noise_write_message(s->hs[from], payload->data, payload->len,
				  out, sizeof(out), &len);
	if (ret < 0)
		check_fail(r, "the %s cannot write it: %s", party_names[from],
			   strerror(-ret));
	else
		check_bytes(r, "ciphertext", out, len, ciphertext);

	ret = noise_read_message(s->hs[to], ciphertext->data, ciphertext->len,
				 out, sizeof(out), &len);
	if (ret < 0) {
		check_fail(r, "the %s cannot read it: %s", party_names[to],
			   strerror(-ret));
		return;
	}
	check_bytes(r, "payload", out, len, payload);
	rs = noise_remote_static(s->hs[to]);
	if (rs && memcmp(rs, s->static_pub[from], NOISE_DH_LEN))
		check_fail(r, "the %s learned a wrong static key",
			   party_names[to]);
	if (noise_handshake_done(s->hs[INITIATOR]) &&
	    noise_handshake_done(s->hs[RESPONDER]))
		session_split(r, s);
}

static void run_transport_message(struct run *r, struct session *s,
				  enum party from, const struct bytes *payload,
				  const struct bytes *ciphertext)
{
	enum party to = from == INITIATOR ? RESPONDER : INITIATOR;
	static uint8_t out[NOISE_MSG_MAX];
	int ret;

	ret = noise_cipher_encrypt(&s->tx[from], NULL, 0, payload->data,
				   payload->len, out);
	if (ret < 0)
		check_fail(r, "the %s cannot encrypt it: %s", party_names[from],
			   strerror(-ret));
	else
		check_bytes(r, "ciphertext", out, payload->len + NOISE_TAG_LEN,
			    ciphertext);

	ret = noise_cipher_decrypt(&s->rx[to], NULL, 0, ciphertext->data,
				   ciphertext->len, out);
	if (ret < 0)
		check_fail(r, "the %s cannot decrypt it: %s", party_names[to],
			   strerror(-ret));
	else
		check_bytes(r, "payload", out, ciphertext->len - NOISE_TAG_LEN,
			    payload);
}

static int run_message(struct run *r, struct session *s, const json_t *msg)
{
	enum party from = r->message % 2 ? RESPONDER : INITIATOR;
	struct bytes payload = { 0 }, ciphertext = { 0 };
	const json_t *field;
	int ret;

	if (!json_is_object(msg))
		return format_error(r, "message %zu: not an object",
				    r->message);
	field = json_object_get(msg, "payload");
	ret = field ? hex_decode(r, field, "payload", &payload) :
		      format_error(r, "message %zu: no payload", r->message);
	field = json_object_get(msg, "ciphertext");
	if (!ret)
		ret = field ? hex_decode(r, field, "ciphertext", &ciphertext) :
			      format_error(r, "message %zu: no ciphertext",
					   r->message);
	if (!ret) {
		char what[32];

		snprintf(what, sizeof(what), "message %zu", r->message);
		check_begin(r, what);
		if (s->split)
			run_transport_message(r, s, from, &payload, &ciphertext);
		else
			run_handshake_message(r, s, from, &payload, &ciphertext);
		check_end(r);
	}
	free(payload.data);
	free(ciphertext.data);
	return ret;
}

/* handshake_hash, when the vector gives it: one more check. */
static void check_handshake_hash(struct run *r, struct session *s,
				 const struct vector *v)
{
	struct bytes want = {
		.data = (uint8_t *)v->handshake_hash,
		.len = NOISE_HASH_LEN,
	};
	unsigned int p;

	check_begin(r, "handshake_hash");
	for (p = 0; p < PARTIES; p++) {
		const uint8_t *h = noise_handshake_hash(s->hs[p]);

		if (!h)
			check_fail(r, "handshake_hash given, but the %s's handshake did not finish",
				   party_names[p]);
		else
			check_bytes(r, p == INITIATOR ? "the initiator's h" :
							"the responder's h",
				    h, NOISE_HASH_LEN, &want);
	}
	check_end(r);
}

static int run_vector(struct run *r, json_t *json)
{
	struct session s;
	struct vector v;
	size_t i;
	int ret;

	ret = vector_decode(r, json, &v);
	if (ret < 0)
		return ret;
	ret = session_start(r, &s, &v);
	for (i = 0; !ret && i < json_array_size(v.messages); i++) {
		r->message = i;
		ret = run_message(r, &s, json_array_get(v.messages, i));
	}
	if (!ret && v.has_hash)
		check_handshake_hash(r, &s, &v);
	if (!ret)
		r->tally->vectors_run++;
	session_end(&s);
	vector_release(&v);
	return ret;
}

static int run_vector_list(struct run *r, json_t *list)
{
	const char *protocol, *reason;
	json_t *vector;
	char buf[128];
	int ret;

	json_array_foreach(list, r->index, vector) {
		if (!json_is_object(vector))
			return format_error(r, "not an object");
		protocol = json_string_value(json_object_get(vector,
							     "protocol_name"));
		if (!protocol)
			return format_error(r, "no \"protocol_name\" string");
		reason = unsupported_reason(vector, protocol, buf, sizeof(buf));
		if (reason) {
			fprintf(r->log, "%s: vector %zu: %s: skipped (%s)\n",
				r->name, r->index, protocol, reason);
			r->tally->vectors_skipped++;
			continue;
		}
		ret = run_vector(r, vector);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int vectors_run_text(const char *name, const char *text, size_t len,
		     struct vectors_tally *tally, FILE *log,
		     struct ockam_err *err)
{
	struct run r = { .name = name, .log = log, .tally = tally, .err = err };
	json_error_t error;
	json_t *root, *list;
	int ret;

	if (sodium_init() < 0)
		return ockam_err_set(err, -ENOMEM, "libsodium does not start");
	root = json_loadb(text, len, JSON_PARSE_FLAGS, &error);
	if (!root)
		return ockam_err_set(err, -EINVAL, "%s: line %d, column %d: %s",
				     name, error.line, error.column,
				     error.text);
	list = json_object_get(root, "vectors");
	if (!json_is_array(list))
		ret = ockam_err_set(err, -EINVAL,
				    "%s: not Noise test vectors: the top level must be an object with a \"vectors\" array",
				    name);
	else
		ret = run_vector_list(&r, list);
	json_decref(root);
	return ret;
}

/* The whole of @path, NUL-terminated, into *@text. */
static int read_whole_file(const char *path, char **text, size_t *len,
			   struct ockam_err *err)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ockam_err_set(err, -errno, "%s: cannot open: %s", path,
				     strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > VECTORS_FILE_MAX) {
		ret = ockam_err_set(err, -EINVAL,
				    "%s: not a regular file of at most %d bytes",
				    path, VECTORS_FILE_MAX);
		goto out_close;
	}
	*text = malloc((size_t)st.st_size + 1);
	if (!*text) {
		ret = ockam_err_set(err, -ENOMEM, "%s: out of memory", path);
		goto out_close;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, *text + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = ockam_err_set(err, n < 0 ? -errno : -EIO,
					    "%s: cannot read: %s", path,
					    n < 0 ? strerror(errno) :
						    "file shrank");
			free(*text);
			goto out_close;
		}
		got += (size_t)n;
	}
	(*text)[got] = '\0';
	*len = got;
out_close:
	close(fd);
	return ret;
}

int vectors_run_file(const char *path, struct vectors_tally *tally,
		     FILE *log, struct ockam_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int ret;

	ret = read_whole_file(path, &text, &len, err);
	if (ret < 0)
		return ret;
	ret = vectors_run_text(path, text, len, tally, log, err);
	free(text);
	return ret;
}
