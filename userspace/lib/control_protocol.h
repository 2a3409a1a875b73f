/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The control protocol between ockam and ockamd: private to the two
 * programs (and their tests and fuzzers), not installed, and not exported
 * from libockam.so. It changes whenever they do; other programs drive a
 * node through the kernel or by running ockam. The functions live in
 * libockam (control.c, control_client.c) with hidden visibility: ockam and
 * ockamd link libockam.a, where hidden symbols still resolve.
 */
#ifndef OCKAM_LIB_CONTROL_PROTOCOL_H
#define OCKAM_LIB_CONTROL_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <ockam/ockam.h>

/*
 * ockamd listens on an AF_UNIX SOCK_SEQPACKET socket at
 * $OCKAM_HOME/nodes/NAME/control.sock. Each packet the client sends is one
 * request; the daemon answers each with one packet. Documentation/ockamd.rst
 * has the full grammar:
 *
 *   request = VERB *(" " ARG)          at most OCKAM_CTL_REQUEST_MAX bytes
 *   reply   = "ok" LF *(record LF)
 *           / "error " ERRNO " " MESSAGE LF
 *   record  = FIELD *(" " FIELD),  FIELD = KEY "=" VALUE
 *
 * VERB is lower case letters and '-', ARG and VALUE printable ASCII without
 * spaces, KEY lower case letters, digits and '-'.
 */
enum ockam_ctl_limits {
	/* Room for the longest route in hex, and options besides. */
	OCKAM_CTL_REQUEST_MAX = 65536,
	OCKAM_CTL_REPLY_MAX = 65536,
	OCKAM_CTL_ARGS_MAX = 8,
	OCKAM_CTL_VERB_MAX = 32,
};

struct ockam_ctl_request {
	char verb[OCKAM_CTL_VERB_MAX + 1];
	unsigned int argc;
	const char *argv[OCKAM_CTL_ARGS_MAX];
	char buf[OCKAM_CTL_REQUEST_MAX + 1];	/* storage for argv */
};

/* Parse one request packet; -EINVAL with the reason on bad syntax. */
int ockam_ctl_request_parse(struct ockam_ctl_request *req, const void *data,
			    size_t len, struct ockam_err *err);

/* Build a request from a verb and arguments; returns its length. */
ssize_t ockam_ctl_request_build(char *buf, size_t size, const char *verb,
				unsigned int argc, const char *const *argv);

/* A reply being built: "ok" plus records, or an error. */
struct ockam_ctl_writer {
	char buf[OCKAM_CTL_REPLY_MAX];
	size_t len;
	bool overflow;
	bool in_record;
};

void ockam_ctl_reply_ok(struct ockam_ctl_writer *w);
void ockam_ctl_reply_error(struct ockam_ctl_writer *w, int errnum,
			   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ockam_ctl_record_begin(struct ockam_ctl_writer *w);
/* Add KEY=VALUE; bytes of VALUE outside 0x21..0x7e become '?'. */
void ockam_ctl_field(struct ockam_ctl_writer *w, const char *key,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ockam_ctl_record_end(struct ockam_ctl_writer *w);
/* Final length, or -EMSGSIZE if the reply overflowed (then an error
 * reply saying so replaces it).
 */
ssize_t ockam_ctl_reply_finish(struct ockam_ctl_writer *w);

/* A parsed reply; points into the caller's NUL-terminated buffer. */
struct ockam_ctl_reply {
	int errnum;		/* 0 for "ok", else the positive errno */
	const char *message;	/* error message, "" for ok */
	char *records;		/* the record lines */
	char *cursor;
};

int ockam_ctl_reply_parse(struct ockam_ctl_reply *reply, char *buf,
			  size_t len, struct ockam_err *err);

/* The next record line, NUL-terminated in place; NULL at the end. */
char *ockam_ctl_record_next(struct ockam_ctl_reply *reply);

/* Copy field @key of @record into @val; -ENOENT when it is absent. */
int ockam_ctl_record_get(const char *record, const char *key, char *val,
			 size_t size);

/*
 * Send one request to node @name's daemon and parse its reply into @reply
 * (pointing into @buf). Connecting, sending and waiting for the reply
 * together take at most about @timeout_ms, then -ETIMEDOUT: a daemon whose
 * accept queue is full cannot hold the caller up. An error reply turns
 * into its negative errno with the daemon's message in @err.
 */
int ockam_ctl_call(const char *name, const char *request, size_t request_len,
		   int timeout_ms, char *buf, size_t size,
		   struct ockam_ctl_reply *reply, struct ockam_err *err);

#endif /* OCKAM_LIB_CONTROL_PROTOCOL_H */
