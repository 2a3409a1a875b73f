/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A small streaming JSON writer for -j/--output json.
 */
#ifndef OCKAM_CLI_JSON_H
#define OCKAM_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { JSON_DEPTH_MAX = 16 };

struct json {
	FILE *out;
	int depth;
	bool first[JSON_DEPTH_MAX];
};

void json_init(struct json *j, FILE *out);
/* @key is NULL at the top level and inside arrays. */
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_string(struct json *j, const char *key, const char *value);
/* Bytes as a JSON string: UTF-8 passes, other bytes become \u00XX. */
void json_bytes(struct json *j, const char *key, const void *data, size_t len);
void json_uint(struct json *j, const char *key, uint64_t value);
void json_int(struct json *j, const char *key, int64_t value);
void json_bool(struct json *j, const char *key, bool value);
/* Ends the document with a newline. */
void json_finish(struct json *j);

#endif /* OCKAM_CLI_JSON_H */
