/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A small, strict JSON reader (RFC 8259) for test-vector files: the whole
 * text into a tree. Anything the RFC does not allow is an error with a
 * line and column: trailing commas, comments, single quotes, leading
 * zeros, control characters or bad UTF-8 in strings, lone surrogates,
 * duplicate keys, content after the value.
 */
#ifndef OCKAM_TESTS_JSON_READER_H
#define OCKAM_TESTS_JSON_READER_H

#include <stdbool.h>
#include <stddef.h>

#include <ockam/ockam.h>

enum json_limits {
	/* Nesting deeper than this is refused rather than recursed into. */
	JSON_DEPTH_MAX = 64,
};

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_value {
	enum json_type type;
	/* JSON_STRING: the decoded UTF-8; JSON_NUMBER: the literal. Both
	 * NUL-terminated; a string may also hold NULs (\u0000), so use len.
	 */
	char *text;
	size_t len;
	/* Members of an object carry their key (decoded, NUL-terminated). */
	char *key;
	size_t key_len;
	/* JSON_ARRAY and JSON_OBJECT: the elements, in order. */
	struct json_value *items;
	size_t count;
	/* Where the value starts in the text, for messages; 1-based. */
	unsigned int line, column;
};

/*
 * Parse @len bytes of @text. On success *@out is the root, to be freed
 * with json_free(). On failure -EINVAL and @err says where and why.
 */
int json_parse(const char *text, size_t len, struct json_value **out,
	       struct ockam_err *err);
void json_free(struct json_value *root);

/* The member @key of object @obj, or NULL (also when @obj is no object). */
const struct json_value *json_get(const struct json_value *obj,
				  const char *key);

/* "string", "array", ... for messages. */
const char *json_type_name(enum json_type type);

#endif /* OCKAM_TESTS_JSON_READER_H */
