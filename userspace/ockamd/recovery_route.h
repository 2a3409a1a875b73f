/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The route a recovering channel we initiated tries next (pure, so that
 * the unit tests can check it).
 */
#ifndef OCKAMD_RECOVERY_ROUTE_H
#define OCKAMD_RECOVERY_ROUTE_H

#include <ockam/ockam.h>

/*
 * The channel was created along @origin, which ends at the peer's secure
 * channel listener; its route now (@current, from the kernel) ends at the
 * peer's decryptor, reached over whatever transport the handshake's
 * answer came back on. That transport may be gone for good, but the path
 * the operator gave still leads to the peer's node: @out is @origin
 * without its last address, then the last address of @current. -EINVAL
 * when either route is empty, -EPROTO when their lengths differ (a hop
 * on the way answers from an address of its own, so the last address of
 * @current is that hop's, not the decryptor's), -E2BIG when the result
 * is too long.
 */
int recovery_route(const struct ockam_route *origin,
		   const struct ockam_route *current, struct ockam_route *out,
		   struct ockam_err *err);

#endif /* OCKAMD_RECOVERY_ROUTE_H */
