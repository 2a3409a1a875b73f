// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The text protocol between the CLI and ockamd (Documentation/ockamd.rst):
 * one request per SOCK_SEQPACKET packet, one reply per request. Parsing is
 * strict and bounded so that a malformed request costs an error reply and
 * nothing else. Private to ockam and ockamd (control_protocol.h): nothing
 * here is exported from libockam.so.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_protocol.h"
#include "internal.h"

static bool verb_char(char c)
{
	return (c >= 'a' && c <= 'z') || c == '-';
}

static bool value_char(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e;
}

int ockam_ctl_request_parse(struct ockam_ctl_request *req, const void *data,
			    size_t len, struct ockam_err *err)
{
	const char *in = data;
	char *field, *p;
	size_t i;

	memset(req, 0, sizeof(*req));
	if (len > OCKAM_CTL_REQUEST_MAX)
		return ockam_err_set(err, -EMSGSIZE,
				     "request of %zu bytes; at most %d are allowed",
				     len, OCKAM_CTL_REQUEST_MAX);
	if (len && in[len - 1] == '\n')
		len--;
	if (!len)
		return ockam_err_set(err, -EINVAL, "empty request");
	for (i = 0; i < len; i++) {
		unsigned char c = in[i];

		if (c != ' ' && !value_char(c))
			return ockam_err_set(err, -EINVAL,
					     "request has byte 0x%02x at offset %zu",
					     c, i);
	}
	memcpy(req->buf, in, len);
	req->buf[len] = '\0';

	/* Fields are separated by exactly one space. */
	p = req->buf;
	for (i = 0; ; i++) {
		field = p;
		p = strchr(p, ' ');
		if (p)
			*p++ = '\0';
		if (!*field)
			return ockam_err_set(err, -EINVAL,
					     "empty field at offset %zu",
					     (size_t)(field - req->buf));
		if (i == 0) {
			size_t vlen = strlen(field), j;

			if (vlen > OCKAM_CTL_VERB_MAX)
				return ockam_err_set(err, -EINVAL,
						     "verb longer than %d characters",
						     OCKAM_CTL_VERB_MAX);
			for (j = 0; j < vlen; j++)
				if (!verb_char(field[j]))
					return ockam_err_set(err, -EINVAL,
							     "verb '%s' is not lower-case letters and '-'",
							     field);
			memcpy(req->verb, field, vlen + 1);
		} else {
			if (req->argc == OCKAM_CTL_ARGS_MAX)
				return ockam_err_set(err, -E2BIG,
						     "more than %d arguments",
						     OCKAM_CTL_ARGS_MAX);
			req->argv[req->argc++] = field;
		}
		if (!p)
			return 0;
	}
}

ssize_t ockam_ctl_request_build(char *buf, size_t size, const char *verb,
				unsigned int argc, const char *const *argv)
{
	size_t len = 0, n, j;
	unsigned int i;

	if (argc > OCKAM_CTL_ARGS_MAX)
		return -E2BIG;
	for (i = 0; i <= argc; i++) {
		const char *field = i ? argv[i - 1] : verb;

		n = strlen(field);
		if (!n)
			return -EINVAL;
		for (j = 0; j < n; j++)
			if (i ? !value_char(field[j]) : !verb_char(field[j]))
				return -EINVAL;
		if (len + n + 1 > size || len + n + 1 > OCKAM_CTL_REQUEST_MAX + 1)
			return -EMSGSIZE;
		if (i)
			buf[len++] = ' ';
		memcpy(buf + len, field, n);
		len += n;
	}
	buf[len] = '\0';
	return len;
}

static void append(struct ockam_ctl_writer *w, const char *s, size_t n)
{
	if (w->overflow || w->len + n > sizeof(w->buf)) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

void ockam_ctl_reply_ok(struct ockam_ctl_writer *w)
{
	w->len = 0;
	w->overflow = false;
	w->in_record = false;
	append(w, "ok\n", 3);
}

void ockam_ctl_reply_error(struct ockam_ctl_writer *w, int errnum,
			   const char *fmt, ...)
{
	char msg[OCKAM_ERR_MSG_MAX], head[32];
	va_list ap;
	size_t i;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (i = 0; msg[i]; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = ' ';
	if (errnum <= 0 || errnum > OCKAM_ERRNO_MAX)
		errnum = EIO;
	w->len = 0;
	w->overflow = false;
	w->in_record = false;
	n = snprintf(head, sizeof(head), "error %d ", errnum);
	append(w, head, n);
	append(w, msg, strlen(msg));
	append(w, "\n", 1);
}

void ockam_ctl_record_begin(struct ockam_ctl_writer *w)
{
	w->in_record = false;
}

void ockam_ctl_field(struct ockam_ctl_writer *w, const char *key,
		     const char *fmt, ...)
{
	char value[OCKAM_CTL_REQUEST_MAX];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	for (i = 0; value[i]; i++)
		if (!value_char(value[i]))
			value[i] = '?';
	if (w->in_record)
		append(w, " ", 1);
	w->in_record = true;
	append(w, key, strlen(key));
	append(w, "=", 1);
	append(w, value, strlen(value));
}

void ockam_ctl_record_end(struct ockam_ctl_writer *w)
{
	append(w, "\n", 1);
	w->in_record = false;
}

ssize_t ockam_ctl_reply_finish(struct ockam_ctl_writer *w)
{
	if (w->overflow) {
		ockam_ctl_reply_error(w, EMSGSIZE,
				      "reply longer than %d bytes",
				      OCKAM_CTL_REPLY_MAX);
		return -EMSGSIZE;
	}
	return w->len;
}

int ockam_ctl_reply_parse(struct ockam_ctl_reply *reply, char *buf,
			  size_t len, struct ockam_err *err)
{
	char *nl, *end;
	long errnum;

	buf[len] = '\0';
	memset(reply, 0, sizeof(*reply));
	if (strlen(buf) != len)
		return ockam_err_set(err, -EPROTO, "daemon reply contains a NUL byte");
	nl = strchr(buf, '\n');
	if (!nl)
		return ockam_err_set(err, -EPROTO, "daemon reply has no status line");
	*nl = '\0';
	if (!strcmp(buf, "ok")) {
		reply->message = "";
		reply->records = nl + 1;
		reply->cursor = reply->records;
		return 0;
	}
	if (strncmp(buf, "error ", 6))
		return ockam_err_set(err, -EPROTO,
				     "daemon reply starts with '%.40s', not ok or error",
				     buf);
	errnum = strtol(buf + 6, &end, 10);
	if (end == buf + 6 || *end != ' ' || errnum <= 0 ||
	    errnum > OCKAM_ERRNO_MAX)
		return ockam_err_set(err, -EPROTO, "daemon error reply has no errno");
	reply->errnum = errnum;
	reply->message = end + 1;
	reply->records = nl + 1;
	reply->cursor = reply->records;
	return 0;
}

char *ockam_ctl_record_next(struct ockam_ctl_reply *reply)
{
	char *line = reply->cursor, *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		reply->cursor = nl + 1;
	} else {
		reply->cursor = line + strlen(line);
	}
	return line;
}

int ockam_ctl_record_get(const char *record, const char *key, char *val,
			 size_t size)
{
	size_t klen = strlen(key);
	const char *p = record;

	while (*p) {
		size_t flen = strcspn(p, " ");

		if (flen > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			size_t vlen = flen - klen - 1;

			if (vlen >= size)
				return -ENAMETOOLONG;
			memcpy(val, p + klen + 1, vlen);
			val[vlen] = '\0';
			return 0;
		}
		p += flen;
		p += strspn(p, " ");
	}
	return -ENOENT;
}
