// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The strict JSON reader behind noise-vectors: the tree it builds, string
 * escapes into UTF-8, the number grammar, the depth limit, and positions
 * in its errors. (Malformed vector files are in test_noise.c.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json_reader.h"
#include "tap.h"

static struct json_value *parse(const char *text, struct ockam_err *err)
{
	struct json_value *root = NULL;

	ockam_err_clear(err);
	if (json_parse(text, strlen(text), &root, err) < 0)
		return NULL;
	return root;
}

static void tree(void)
{
	struct ockam_err err;
	struct json_value *root =
		parse(" {\"a\": [1, -2.5e+3, true, false, null, \"s\"],\n"
		      "  \"b\": {\"c\": {}}, \"d\": []} ", &err);
	const struct json_value *a, *c;

	CHECK(root != NULL);
	if (!root)
		return;
	CHECK_INT(root->type, JSON_OBJECT);
	CHECK_INT(root->count, 3);
	a = json_get(root, "a");
	CHECK(a && a->type == JSON_ARRAY && a->count == 6);
	if (a && a->count == 6) {
		CHECK_STR(a->items[0].text, "1");
		CHECK_STR(a->items[1].text, "-2.5e+3");
		CHECK_INT(a->items[1].type, JSON_NUMBER);
		CHECK_INT(a->items[2].type, JSON_TRUE);
		CHECK_INT(a->items[3].type, JSON_FALSE);
		CHECK_INT(a->items[4].type, JSON_NULL);
		CHECK_STR(a->items[5].text, "s");
		CHECK_INT(a->items[5].column, 40);
	}
	c = json_get(json_get(root, "b"), "c");
	CHECK(c && c->type == JSON_OBJECT && c->count == 0);
	CHECK_INT(c ? c->line : 0, 2);
	CHECK(json_get(root, "d") && json_get(root, "d")->count == 0);
	CHECK(!json_get(root, "e"));
	CHECK(!json_get(a, "x"));
	CHECK_STR(json_type_name(JSON_ARRAY), "array");
	json_free(root);
}

static void strings(void)
{
	static const char expect[] = "q\"b\\s/\b\f\n\r\t \xc3\xa9\xe2\x82\xac"
				     "\xf0\x9f\x98\x80\xc3\xa9";
	struct ockam_err err;
	struct json_value *root =
		parse("[\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t \\u00e9\\u20AC\\ud83d\\ude00\xc3\xa9\","
		      " \"nul\\u0000in\"]",
		      &err);

	CHECK(root != NULL);
	if (!root)
		return;
	CHECK_INT(root->items[0].len, sizeof(expect) - 1);
	CHECK(!memcmp(root->items[0].text, expect, sizeof(expect)));
	CHECK_INT(root->items[1].len, 6);
	CHECK(!memcmp(root->items[1].text, "nul\0in", 7));
	json_free(root);
}

static void numbers(void)
{
	static const char *const good[] = {
		"0", "-0", "10", "0.5", "1e9", "1E-9", "-12.25e+00",
	};
	static const char *const bad[] = {
		"+1", "01", ".5", "1.", "1e", "1e+", "-", "0x10", "1.2.3", "NaN",
	};
	struct json_value *root;
	struct ockam_err err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		root = parse(good[i], &err);
		if (!root || root->type != JSON_NUMBER ||
		    strcmp(root->text, good[i]))
			tap_check_failed(__FILE__, __LINE__, "\"%s\": %s",
					 good[i], err.msg);
		json_free(root);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		root = parse(bad[i], &err);
		if (root || err.code != -EINVAL)
			tap_check_failed(__FILE__, __LINE__, "\"%s\" accepted",
					 bad[i]);
		json_free(root);
	}
}

static void depth_limit(void)
{
	char deep[2 * JSON_DEPTH_MAX + 8];
	struct json_value *root;
	struct ockam_err err;
	int i;

	for (i = 0; i < JSON_DEPTH_MAX; i++) {
		deep[i] = '[';
		deep[JSON_DEPTH_MAX + i] = ']';
	}
	deep[2 * JSON_DEPTH_MAX] = '\0';
	root = parse(deep, &err);
	CHECK(root != NULL);
	json_free(root);

	memmove(deep + 1, deep, 2 * JSON_DEPTH_MAX + 1);
	deep[0] = '[';
	strcat(deep, "]");
	CHECK(!parse(deep, &err));
	CHECK_CONTAINS(err.msg, "nested deeper than 64 levels");
}

static void error_positions(void)
{
	struct json_value *root;
	struct ockam_err err;

	CHECK(!parse("{\"a\": 1,\n \"b\" 2}", &err));
	CHECK_STR(err.msg, "line 2, column 6: expected ':' after the key, found '2'");
	CHECK(!parse("[1, 2", &err));
	CHECK_STR(err.msg, "line 1, column 6: expected ',' or ']', found end of input");
	CHECK(!parse("\"\x01\"", &err));
	CHECK_STR(err.msg, "line 1, column 2: control character 0x01 in a string");
	CHECK_INT(json_parse("[]\0", 3, &root, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "found byte 0x00");
	CHECK(!parse("{} {}", &err));
	CHECK_CONTAINS(err.msg, "the end of input after the value");
}

SUITE(json_reader_suite, "json",
      TEST(tree),
      TEST(strings),
      TEST(numbers),
      TEST(depth_limit),
      TEST(error_positions));
