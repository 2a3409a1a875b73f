// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The parts of portals that need no kernel and no loop: an outlet's
 * admission rules, PING parsing and the counters' records.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <wire.h>

#include "portal.h"
#include "util.h"

const char *portal_refusal_name(enum portal_refusal r)
{
	static const char *const names[PORTAL_REFUSE_COUNT] = {
		[PORTAL_ADMITTED] = "admitted",
		[PORTAL_REFUSE_PLAINTEXT] = "plaintext",
		[PORTAL_REFUSE_UNAUTHORIZED] = "unauthorized",
		[PORTAL_REFUSE_LIMIT] = "limit",
		[PORTAL_REFUSE_MALFORMED] = "malformed",
		[PORTAL_REFUSE_CONNECT] = "connect",
		[PORTAL_REFUSE_TIMEOUT] = "timeout",
		[PORTAL_REFUSE_CHANNEL] = "channel",
		[PORTAL_REFUSE_ATTACH] = "attach",
	};

	return (unsigned int)r < PORTAL_REFUSE_COUNT ? names[r] : "unknown";
}

enum portal_refusal outlet_admit(const struct outlet_policy *p,
				 const char *identifier, unsigned long busy)
{
	uint8_t id[IDENTIFIER_BYTES];

	if (!identifier[0]) {
		if (!p->allow_plaintext)
			return PORTAL_REFUSE_PLAINTEXT;
		/* A list of identities admits only those. */
		if (p->trust.count)
			return PORTAL_REFUSE_UNAUTHORIZED;
	} else if (identifier_parse(identifier, id) < 0 ||
		   !trust_policy_allows(&p->trust, id)) {
		return PORTAL_REFUSE_UNAUTHORIZED;
	}
	if (busy >= p->max_sessions)
		return PORTAL_REFUSE_LIMIT;
	return PORTAL_ADMITTED;
}

int portal_ping_parse(const uint8_t *buf, size_t len, uint32_t *window)
{
	if (len != 5 || buf[0] != OCKAM_PORTAL_MSG_PING)
		return -EBADMSG;
	*window = (uint32_t)buf[1] | (uint32_t)buf[2] << 8 |
		  (uint32_t)buf[3] << 16 | (uint32_t)buf[4] << 24;
	return 0;
}

void portal_counters_closed(struct portal_counters *c,
			    const struct ockam_event *ev)
{
	if (c->active)
		c->active--;
	if (ev->reason < __OCKAM_PORTAL_END_MAX)
		c->ended[ev->reason]++;
	c->tx_bytes += ev->tx_bytes;
	c->rx_bytes += ev->rx_bytes;
}

void portal_counters_report(struct ockam_ctl_writer *w,
			    const struct portal_counters *c)
{
	char key[32];
	unsigned int i;

	ockam_ctl_field(w, "accepted", "%lu", c->accepted);
	ockam_ctl_field(w, "attached", "%lu", c->attached);
	ockam_ctl_field(w, "active", "%lu", c->active);
	for (i = PORTAL_ADMITTED + 1; i < PORTAL_REFUSE_COUNT; i++) {
		snprintf(key, sizeof(key), "refused-%s", portal_refusal_name(i));
		ockam_ctl_field(w, key, "%lu", c->refused[i]);
	}
	for (i = OCKAM_PORTAL_END_CLOSED; i < __OCKAM_PORTAL_END_MAX; i++) {
		snprintf(key, sizeof(key), "ended-%s",
			 ockam_portal_end_reason_name(i));
		ockam_ctl_field(w, key, "%lu", c->ended[i]);
	}
	ockam_ctl_field(w, "tx-bytes", "%llu",
			(unsigned long long)c->tx_bytes);
	ockam_ctl_field(w, "rx-bytes", "%llu",
			(unsigned long long)c->rx_bytes);
}
