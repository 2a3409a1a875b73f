// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The route a recovering channel we initiated tries next.
 */
#include <errno.h>

#include "recovery_route.h"

int recovery_route(const struct ockam_route *origin,
		   const struct ockam_route *current, struct ockam_route *out,
		   struct ockam_err *err)
{
	const struct ockam_addr *decryptor;
	unsigned int i;
	int ret;

	if (!origin->hops)
		return ockam_err_set(err, -EINVAL,
				     "the channel was created along an empty route");
	if (!current->hops)
		return ockam_err_set(err, -EINVAL,
				     "the channel's route is empty");
	/*
	 * Kernel hops answer along the way they were reached, one address
	 * each way per hop; a hop that answers for the rest of the route
	 * from an address of its own (a userspace relay) makes the way back
	 * shorter, and its last address is not the peer's decryptor.
	 */
	if (origin->hops != current->hops)
		return ockam_err_set(err, -EPROTO,
				     "the peer answered along %u hops to a route of %u: something on the way answers for the rest of it",
				     current->hops, origin->hops);
	decryptor = &current->addr[current->hops - 1];
	ockam_route_init(out);
	for (i = 0; i + 1 < origin->hops; i++) {
		ret = ockam_route_push(out, origin->addr[i].type,
				       origin->addr[i].value,
				       origin->addr[i].len, err);
		if (ret < 0)
			return ret;
	}
	return ockam_route_push(out, decryptor->type, decryptor->value,
				decryptor->len, err);
}
