/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The relays a node serves (forwarding.c), as a table with its rules and
 * no I/O: who may register, who holds which name, and how many each may
 * hold.
 */
#ifndef OCKAMD_FORWARD_TABLE_H
#define OCKAMD_FORWARD_TABLE_H

#include <time.h>

#include "secure.h"

enum forward_limits {
	/* Relays one node serves, and relays one identity holds there. */
	FORWARDS_MAX = 256,
	FORWARDS_PER_IDENTITY = 16,
};

struct fwd_entry {
	struct fwd_entry *next;
	char alias[OCKAM_NAME_MAX];		/* forward_to_NAME */
	char owner[IDENTIFIER_STR_LEN + 1];	/* who registered it */
	/* Our end of the channel it goes through, and the transport that
	 * channel goes out on ("" if it starts elsewhere).
	 */
	char encryptor[OCKAM_NAME_MAX];
	char transport[OCKAM_NAME_MAX];
	time_t since;
	unsigned long registrations;
};

struct fwd_table {
	struct fwd_entry *entries;
	unsigned int count;
	unsigned int max_total;
	unsigned int max_per_owner;
	/* Who may register; none means any identity. */
	struct trust_policy authorized;
};

void fwd_table_init(struct fwd_table *t, const struct trust_policy *authorized);
void fwd_table_clear(struct fwd_table *t);

struct fwd_entry *fwd_find(const struct fwd_table *t, const char *alias);
unsigned int fwd_owned(const struct fwd_table *t, const char *owner);

/*
 * May @owner (an identifier) register @alias? 0, with *@held the entry
 * it already holds by that name (NULL when none); otherwise -EACCES (not
 * an authorized identity), -EADDRINUSE (another identity holds it) or
 * -ENOSPC (the node's or the identity's limit), each with the reason.
 */
int fwd_check(const struct fwd_table *t, const char *alias,
	      const char *owner, struct fwd_entry **held,
	      struct ockam_err *err);

/* A new entry for @alias held by @owner; NULL without memory. */
struct fwd_entry *fwd_add(struct fwd_table *t, const char *alias,
			  const char *owner);
void fwd_remove(struct fwd_table *t, struct fwd_entry *e);

#endif /* OCKAMD_FORWARD_TABLE_H */
