/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What ockam tcp-inlet and tcp-outlet share: the inlet's route cut at its
 * secure channel listener (portal_route.c), the records of list and show
 * (portal_print.c), and --max-sessions (tcp_outlet.c).
 */
#ifndef OCKAM_CLI_PORTAL_H
#define OCKAM_CLI_PORTAL_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"

/*
 * @to is a MultiAddr. *@secure_end gets the length of its part up to and
 * including /secure/NAME, or 0 when it names no secure channel listener.
 * -EINVAL for more than one /secure/, one without a listener name, or one
 * that nothing follows.
 */
int portal_route_split(const char *to, size_t *secure_end,
		       struct ockam_err *err);

struct portal_print {
	const char *title;		/* "TCP outlet", above show's fields */
	const char *name_title;		/* the list's first column: "NAME" */
	const char *name_key;		/* its record field: "name" */
	const char *to_key;		/* the second column's field */
};

/* Each record of @reply: a table row (@list) or every field, or JSON. */
void portal_print_records(struct cli *cli, const struct portal_print *pp,
			  struct ockam_ctl_reply *reply, bool list);

/*
 * --max-sessions N as the daemon's option "max-sessions=N" in @buf, or
 * "" when not given: 0, or a usage error's status.
 */
int portal_max_sessions_option(const struct cmd_spec *cmd,
			       const struct args *a, char *buf, size_t size);

#endif /* OCKAM_CLI_PORTAL_H */
