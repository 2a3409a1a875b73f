// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A strict JSON reader: recursive descent over the whole text, bounded
 * depth, every value copied into the tree. Newlines can only appear in
 * whitespace (a string may not hold a raw control character), so the
 * parser tracks line numbers as it skips whitespace.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_reader.h"
#include "text.h"
#include "util.h"

struct json_parser {
	const unsigned char *text;
	size_t len;
	size_t pos;
	unsigned int line;
	size_t line_start;	/* offset of the current line's first byte */
	unsigned int depth;
	struct ockam_err *err;
};

/* A growing byte string for decoded strings. */
struct json_buf {
	char *data;
	size_t len, cap;
};

static int parse_value(struct json_parser *p, struct json_value *v);

static int parse_fail(struct json_parser *p, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int parse_fail(struct json_parser *p, size_t at, const char *fmt, ...)
{
	char why[OCKAM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* @at is on the current line: errors are found where the parser is. */
	return ockam_err_set(p->err, -EINVAL, "line %u, column %zu: %s",
			     p->line, at - p->line_start + 1, why);
}

static int out_of_memory(struct json_parser *p)
{
	return ockam_err_set(p->err, -ENOMEM, "out of memory");
}

static void skip_whitespace(struct json_parser *p)
{
	while (p->pos < p->len) {
		unsigned char c = p->text[p->pos];

		if (c == '\n') {
			p->line++;
			p->line_start = p->pos + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		p->pos++;
	}
}

/* The byte at the parser, shown in a message. */
static const char *describe_byte(struct json_parser *p, char *buf,
				 size_t size)
{
	unsigned char c;

	if (p->pos >= p->len)
		return "end of input";
	c = p->text[p->pos];
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "byte 0x%02x", c);
	return buf;
}

static int expect_fail(struct json_parser *p, const char *what)
{
	char shown[16];

	return parse_fail(p, p->pos, "expected %s, found %s", what,
			  describe_byte(p, shown, sizeof(shown)));
}

/* ---------------------------------------------------------- strings */

static int buf_put(struct json_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 32;
		char *grown;

		while (cap < b->len + len + 1)
			cap *= 2;
		grown = realloc(b->data, cap);
		if (!grown)
			return -ENOMEM;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

static int buf_put_code_point(struct json_buf *b, uint32_t cp)
{
	unsigned char out[4];
	size_t n;

	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		out[0] = (unsigned char)(0xf0 | cp >> 18);
		out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_put(b, out, n);
}

/* Four hex digits after "\u"; @p->pos is on the first. */
static int parse_hex4(struct json_parser *p, uint32_t *cp)
{
	unsigned int i;
	int d;

	*cp = 0;
	for (i = 0; i < 4; i++) {
		if (p->pos >= p->len)
			return parse_fail(p, p->pos, "unterminated \\u escape");
		d = ockam_hex_digit((char)p->text[p->pos]);
		if (d < 0)
			return expect_fail(p, "a hex digit in a \\u escape");
		*cp = *cp << 4 | (uint32_t)d;
		p->pos++;
	}
	return 0;
}

/* "\uXXXX", or a surrogate pair of them; @p->pos is after the 'u'. */
static int parse_unicode_escape(struct json_parser *p, struct json_buf *b)
{
	size_t start = p->pos - 2;
	uint32_t cp, low;
	int ret;

	ret = parse_hex4(p, &cp);
	if (ret < 0)
		return ret;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return parse_fail(p, start, "lone low surrogate \\u%04x", cp);
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (p->len - p->pos < 2 || p->text[p->pos] != '\\' ||
		    p->text[p->pos + 1] != 'u')
			return parse_fail(p, start,
					  "high surrogate \\u%04x without a low one",
					  cp);
		p->pos += 2;
		ret = parse_hex4(p, &low);
		if (ret < 0)
			return ret;
		if (low < 0xdc00 || low > 0xdfff)
			return parse_fail(p, start,
					  "high surrogate \\u%04x followed by \\u%04x",
					  cp, low);
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
	}
	return buf_put_code_point(b, cp) < 0 ? out_of_memory(p) : 0;
}

static int parse_escape(struct json_parser *p, struct json_buf *b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	unsigned char c;

	if (p->pos >= p->len)
		return parse_fail(p, p->pos, "unterminated string");
	c = p->text[p->pos++];
	if (c == 'u')
		return parse_unicode_escape(p, b);
	hit = c ? strchr(from, c) : NULL;
	if (!hit) {
		p->pos--;
		return expect_fail(p, "an escape character (one of \"\\/bfnrtu)");
	}
	return buf_put(b, &to[hit - from], 1) < 0 ? out_of_memory(p) : 0;
}

/*
 * One UTF-8 sequence starting at @p->pos with lead byte >= 0x80: shortest
 * form only, no surrogates, nothing above U+10FFFF.
 */
static int parse_utf8(struct json_parser *p, struct json_buf *b)
{
	const unsigned char *s = p->text + p->pos;
	size_t avail = p->len - p->pos, n, i;
	uint32_t cp, min;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return parse_fail(p, p->pos, "invalid UTF-8 byte 0x%02x", s[0]);
	}
	if (avail < n)
		return parse_fail(p, p->pos, "truncated UTF-8 sequence");
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return parse_fail(p, p->pos, "invalid UTF-8 sequence");
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return parse_fail(p, p->pos,
				  "invalid UTF-8 (overlong, surrogate or beyond U+10FFFF)");
	p->pos += n;
	return buf_put(b, s, n) < 0 ? out_of_memory(p) : 0;
}

/* A string; @p->pos is on the opening quote. */
static int parse_string(struct json_parser *p, char **out, size_t *out_len)
{
	struct json_buf b = { 0 };
	size_t start = p->pos++;
	int ret = 0;

	if (buf_put(&b, "", 0) < 0)
		return out_of_memory(p);
	for (;;) {
		unsigned char c;

		if (p->pos >= p->len) {
			ret = parse_fail(p, start, "unterminated string");
			break;
		}
		c = p->text[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20) {
			ret = parse_fail(p, p->pos,
					 "control character 0x%02x in a string", c);
		} else if (c == '\\') {
			p->pos++;
			ret = parse_escape(p, &b);
		} else if (c >= 0x80) {
			ret = parse_utf8(p, &b);
		} else {
			p->pos++;
			ret = buf_put(&b, &c, 1) < 0 ? out_of_memory(p) : 0;
		}
		if (ret < 0)
			break;
	}
	if (ret < 0) {
		free(b.data);
		return ret;
	}
	*out = b.data;
	*out_len = b.len;
	return 0;
}

/* ------------------------------------------------- numbers, literals */

static bool at_digit(const struct json_parser *p)
{
	return p->pos < p->len && p->text[p->pos] >= '0' &&
	       p->text[p->pos] <= '9';
}

static void skip_digits(struct json_parser *p)
{
	while (at_digit(p))
		p->pos++;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? kept as text. */
static int parse_number(struct json_parser *p, struct json_value *v)
{
	size_t start = p->pos;

	if (p->text[p->pos] == '-')
		p->pos++;
	if (!at_digit(p))
		return expect_fail(p, "a digit");
	if (p->text[p->pos++] == '0' && at_digit(p))
		return parse_fail(p, start, "number with a leading zero");
	skip_digits(p);
	if (p->pos < p->len && p->text[p->pos] == '.') {
		p->pos++;
		if (!at_digit(p))
			return expect_fail(p, "a digit after the decimal point");
		skip_digits(p);
	}
	if (p->pos < p->len && (p->text[p->pos] | 0x20) == 'e') {
		p->pos++;
		if (p->pos < p->len &&
		    (p->text[p->pos] == '+' || p->text[p->pos] == '-'))
			p->pos++;
		if (!at_digit(p))
			return expect_fail(p, "a digit in the exponent");
		skip_digits(p);
	}
	v->type = JSON_NUMBER;
	v->len = p->pos - start;
	v->text = strndup((const char *)p->text + start, v->len);
	return v->text ? 0 : out_of_memory(p);
}

static int parse_literal(struct json_parser *p, struct json_value *v)
{
	static const struct {
		const char *word;
		enum json_type type;
	} literals[] = {
		{ "true", JSON_TRUE },
		{ "false", JSON_FALSE },
		{ "null", JSON_NULL },
	};
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(literals); i++) {
		n = strlen(literals[i].word);
		if (p->len - p->pos >= n &&
		    !memcmp(p->text + p->pos, literals[i].word, n)) {
			p->pos += n;
			v->type = literals[i].type;
			return 0;
		}
	}
	return expect_fail(p, "a value");
}

/* ------------------------------------------------------- containers */

/* A new zeroed element at the end of @v's items. */
static struct json_value *append_item(struct json_value *v, size_t *cap)
{
	struct json_value *grown;

	if (v->count == *cap) {
		size_t n = *cap ? *cap * 2 : 4;

		grown = realloc(v->items, n * sizeof(*grown));
		if (!grown)
			return NULL;
		v->items = grown;
		*cap = n;
	}
	memset(&v->items[v->count], 0, sizeof(v->items[0]));
	return &v->items[v->count++];
}

static bool key_taken(const struct json_value *obj, const char *key,
		      size_t len)
{
	size_t i;

	/* The last item is the one being added. */
	for (i = 0; i + 1 < obj->count; i++)
		if (obj->items[i].key_len == len &&
		    !memcmp(obj->items[i].key, key, len))
			return true;
	return false;
}

static int parse_member(struct json_parser *p, struct json_value *obj,
			size_t *cap)
{
	struct json_value *item;
	size_t key_at;
	int ret;

	skip_whitespace(p);
	if (p->pos >= p->len || p->text[p->pos] != '"')
		return expect_fail(p, "a string key");
	item = append_item(obj, cap);
	if (!item)
		return out_of_memory(p);
	key_at = p->pos;
	ret = parse_string(p, &item->key, &item->key_len);
	if (ret < 0)
		return ret;
	if (key_taken(obj, item->key, item->key_len))
		return parse_fail(p, key_at, "duplicate key \"%s\"", item->key);
	skip_whitespace(p);
	if (p->pos >= p->len || p->text[p->pos] != ':')
		return expect_fail(p, "':' after the key");
	p->pos++;
	return parse_value(p, item);
}

/*
 * An object or an array; @p->pos is on the opening bracket. Elements are
 * separated by commas, and a comma must be followed by an element.
 */
static int parse_container(struct json_parser *p, struct json_value *v)
{
	bool object = p->text[p->pos] == '{';
	char close = object ? '}' : ']';
	size_t cap = 0;
	int ret;

	if (++p->depth > JSON_DEPTH_MAX)
		return parse_fail(p, p->pos, "nested deeper than %d levels",
				  JSON_DEPTH_MAX);
	v->type = object ? JSON_OBJECT : JSON_ARRAY;
	p->pos++;
	skip_whitespace(p);
	if (p->pos < p->len && p->text[p->pos] == close) {
		p->pos++;
		p->depth--;
		return 0;
	}
	for (;;) {
		if (object) {
			ret = parse_member(p, v, &cap);
		} else {
			struct json_value *item = append_item(v, &cap);

			ret = item ? parse_value(p, item) : out_of_memory(p);
		}
		if (ret < 0)
			return ret;
		skip_whitespace(p);
		if (p->pos < p->len && p->text[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->text[p->pos] == close)
			break;
		return expect_fail(p, object ? "',' or '}'" : "',' or ']'");
	}
	p->pos++;
	p->depth--;
	return 0;
}

static int parse_value(struct json_parser *p, struct json_value *v)
{
	unsigned char c;

	skip_whitespace(p);
	if (p->pos >= p->len)
		return expect_fail(p, "a value");
	v->line = p->line;
	v->column = (unsigned int)(p->pos - p->line_start + 1);
	c = p->text[p->pos];
	if (c == '{' || c == '[')
		return parse_container(p, v);
	if (c == '"') {
		v->type = JSON_STRING;
		return parse_string(p, &v->text, &v->len);
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return parse_number(p, v);
	return parse_literal(p, v);
}

/* ------------------------------------------------------------- API */

static void value_release(struct json_value *v)
{
	size_t i;

	for (i = 0; i < v->count; i++)
		value_release(&v->items[i]);
	free(v->items);
	free(v->text);
	free(v->key);
}

void json_free(struct json_value *root)
{
	if (!root)
		return;
	value_release(root);
	free(root);
}

int json_parse(const char *text, size_t len, struct json_value **out,
	       struct ockam_err *err)
{
	struct json_parser p = {
		.text = (const unsigned char *)text,
		.len = len,
		.line = 1,
		.err = err,
	};
	struct json_value *root = calloc(1, sizeof(*root));
	int ret;

	if (!root)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	ret = parse_value(&p, root);
	if (!ret) {
		skip_whitespace(&p);
		if (p.pos < p.len)
			ret = expect_fail(&p, "the end of input after the value");
	}
	if (ret < 0) {
		json_free(root);
		return ret;
	}
	*out = root;
	return 0;
}

const struct json_value *json_get(const struct json_value *obj,
				  const char *key)
{
	size_t i, len = strlen(key);

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < obj->count; i++)
		if (obj->items[i].key_len == len &&
		    !memcmp(obj->items[i].key, key, len))
			return &obj->items[i];
	return NULL;
}

const char *json_type_name(enum json_type type)
{
	static const char *const names[] = {
		[JSON_NULL] = "null",
		[JSON_FALSE] = "false",
		[JSON_TRUE] = "true",
		[JSON_NUMBER] = "number",
		[JSON_STRING] = "string",
		[JSON_ARRAY] = "array",
		[JSON_OBJECT] = "object",
	};

	return (unsigned int)type < ARRAY_SIZE(names) ?
		       names[type] : "unknown";
}
