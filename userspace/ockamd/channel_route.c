// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * What the kernel knows of a channel that relays and inlets need: whether
 * it is still there, its route, and the transport that route starts with,
 * whose going down leaves the channel with nowhere to send.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secure.h"

int channel_route(struct daemon *d, const char *encryptor,
		  struct ockam_route *rt, struct ockam_err *err)
{
	struct ockam_channel_info *list;
	size_t count, i;
	int ret;

	ret = ockam_nl_channel_list(d->nl, &list, &count, err);
	if (ret < 0)
		return ret;
	ret = ockam_err_set(err, -ENOENT, "no secure channel %s", encryptor);
	for (i = 0; i < count; i++) {
		if (strcmp(list[i].encryptor, encryptor))
			continue;
		ockam_err_clear(err);
		ret = ockam_route_from_wire(rt, list[i].route,
					    list[i].route_len, err);
		break;
	}
	ockam_channel_list_free(list, count);
	return ret;
}

int channel_first_hop(struct daemon *d, const char *encryptor, char *out,
		      struct ockam_err *err)
{
	static struct ockam_route rt;
	int ret = channel_route(d, encryptor, &rt, err);

	out[0] = '\0';
	if (ret < 0)
		return ret;
	if (rt.hops && rt.addr[0].type == OCKAM_ADDR_LOCAL)
		snprintf(out, OCKAM_NAME_MAX, "%s", rt.addr[0].value);
	return 0;
}

bool channel_exists(struct daemon *d, const char *encryptor)
{
	static struct ockam_route rt;
	struct ockam_err err;

	/* When the kernel cannot say, assume it is. */
	return channel_route(d, encryptor, &rt, &err) != -ENOENT;
}
