// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * What inlets and outlets share: each has a cookie that the kernel
 * returns in its sessions' dumps and PORTAL_CLOSED events, so that the
 * daemon can count each one's open sessions and how they ended.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "portal.h"
#include "util.h"

/* Cookies: a random half, so that no earlier daemon's match, and a count. */
static uint64_t next_cookie(void)
{
	static uint64_t base;
	static uint32_t count;

	if (!base)
		base = (uint64_t)(randombytes_random() | 1) << 32;
	return base | ++count;
}

void portal_base_add(struct daemon *d, struct portal_base *b,
		     const char *kind, const char *name)
{
	b->cookie = next_cookie();
	b->kind = kind;
	b->name = name;
	b->next = d->portals;
	d->portals = b;
}

void portal_base_remove(struct daemon *d, struct portal_base *b)
{
	slist_remove(&d->portals, b);
}

static struct portal_base *find_cookie(struct daemon *d, uint64_t cookie)
{
	struct portal_base *b;

	for (b = d->portals; b; b = b->next)
		if (b->cookie == cookie)
			return b;
	return NULL;
}

int portal_attach(struct daemon *d, struct portal_base *b,
		  struct ockam_portal_params *p, struct ockam_err *err)
{
	struct ockam_portal_info info;
	int ret;

	p->cookie = b->cookie;
	ret = ockam_nl_portal_attach(d->nl, p, &info, err);
	if (ret < 0)
		return ret;
	b->counters.attached++;
	b->counters.active++;
	/* Sessions come at the peers' pace: rate-limited. */
	log_info_limited("%s %s: session %s attached (peer %s)", b->kind,
			 b->name, info.address,
			 p->identifier ? p->identifier : "plaintext");
	return 0;
}

void portals_on_event(struct daemon *d, const struct ockam_event *ev)
{
	struct portal_base *b = find_cookie(d, ev->cookie);

	/* A session of an inlet or outlet deleted since. */
	if (!b)
		return;
	portal_counters_closed(&b->counters, ev);
	log_info_limited("%s %s: session %s ended: %s%s%s", b->kind, b->name,
			 ev->address, ockam_portal_end_reason_name(ev->reason),
			 ev->errnum ? ", " : "",
			 ev->errnum ? strerror(ev->errnum) : "");
}

void portals_resync(struct daemon *d)
{
	struct ockam_portal_info *list;
	struct portal_base *b;
	struct ockam_err err;
	size_t count, i;

	if (ockam_nl_portal_list(d->nl, &list, &count, &err) < 0) {
		log_err("cannot count portal sessions again: %s",
			ockam_err_msg(&err));
		return;
	}
	for (b = d->portals; b; b = b->next)
		b->counters.active = 0;
	for (i = 0; i < count; i++) {
		b = find_cookie(d, list[i].cookie);
		if (b)
			b->counters.active++;
	}
	free(list);
}

void portals_status(struct daemon *d, struct ockam_ctl_writer *w)
{
	const struct portal_base *b;

	for (b = d->portals; b; b = b->next) {
		ockam_ctl_record_begin(w);
		ockam_ctl_field(w, "kind", "tcp-%s", b->kind);
		ockam_ctl_field(w, "address", "%s", b->name);
		ockam_ctl_field(w, "attached", "%lu", b->counters.attached);
		ockam_ctl_field(w, "active", "%lu", b->counters.active);
		ockam_ctl_record_end(w);
	}
}
