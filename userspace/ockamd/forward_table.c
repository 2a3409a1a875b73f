// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The rules of the relays a node serves: authorization, name ownership,
 * limits (forward_table.h). Every check runs on what another node sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forward_table.h"
#include "util.h"

void fwd_table_init(struct fwd_table *t, const struct trust_policy *authorized)
{
	memset(t, 0, sizeof(*t));
	t->max_total = FORWARDS_MAX;
	t->max_per_owner = FORWARDS_PER_IDENTITY;
	if (authorized)
		t->authorized = *authorized;
}

void fwd_table_clear(struct fwd_table *t)
{
	while (t->entries)
		fwd_remove(t, t->entries);
}

struct fwd_entry *fwd_find(const struct fwd_table *t, const char *alias)
{
	struct fwd_entry *e;

	for (e = t->entries; e; e = e->next)
		if (!strcmp(e->alias, alias))
			return e;
	return NULL;
}

unsigned int fwd_owned(const struct fwd_table *t, const char *owner)
{
	const struct fwd_entry *e;
	unsigned int n = 0;

	for (e = t->entries; e; e = e->next)
		n += !strcmp(e->owner, owner);
	return n;
}

int fwd_check(const struct fwd_table *t, const char *alias,
	      const char *owner, struct fwd_entry **held,
	      struct ockam_err *err)
{
	uint8_t id[IDENTIFIER_BYTES];
	struct fwd_entry *e;

	*held = NULL;
	if (identifier_parse(owner, id) < 0 ||
	    !trust_policy_allows(&t->authorized, id))
		return ockam_err_set(err, -EACCES,
				     "identity %.65s may not register relays here",
				     owner);
	e = fwd_find(t, alias);
	if (e && strcmp(e->owner, owner))
		return ockam_err_set(err, -EADDRINUSE,
				     "relay %s is held by another identity",
				     alias);
	if (e) {
		*held = e;
		return 0;
	}
	if (t->count >= t->max_total)
		return ockam_err_set(err, -ENOSPC,
				     "this node serves %u relays already, its limit",
				     t->count);
	if (fwd_owned(t, owner) >= t->max_per_owner)
		return ockam_err_set(err, -ENOSPC,
				     "identity %.65s holds %u relays here already, the limit",
				     owner, t->max_per_owner);
	return 0;
}

struct fwd_entry *fwd_add(struct fwd_table *t, const char *alias,
			  const char *owner)
{
	struct fwd_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	snprintf(e->alias, sizeof(e->alias), "%s", alias);
	snprintf(e->owner, sizeof(e->owner), "%s", owner);
	e->since = time(NULL);
	e->next = t->entries;
	t->entries = e;
	t->count++;
	return e;
}

void fwd_remove(struct fwd_table *t, struct fwd_entry *e)
{
	slist_remove(&t->entries, e);
	t->count--;
	free(e);
}
