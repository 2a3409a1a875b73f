/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "ockam" generic netlink family: configuration, dumps and events.
 * Documentation/netlink/specs/ockam.yaml is the contract.
 */
#ifndef _OCKAM_NETLINK_H
#define _OCKAM_NETLINK_H

#include <linux/types.h>

#include "../uapi/linux/ockam.h"

struct ockam_node;
struct ockam_tcp;
struct ockam_channel;
struct ockam_portal;

bool ockam_netlink_dial_wanted(struct ockam_node *node);
int ockam_netlink_dial_request(struct ockam_node *node, const u8 *peer,
			       u32 len);
void ockam_netlink_transport_down(struct ockam_node *node,
				  const struct ockam_tcp *t);

void ockam_netlink_channel_state(struct ockam_channel *ch,
				 enum ockam_channel_state state,
				 enum ockam_channel_state_reason reason);
void ockam_netlink_channel_closed(struct ockam_channel *ch,
				  enum ockam_channel_close_reason reason);

void ockam_netlink_portal_closed(const struct ockam_portal *p);

int ockam_netlink_init(void);
void ockam_netlink_uninit(void);

#endif /* _OCKAM_NETLINK_H */
