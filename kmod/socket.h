/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_OCKAM sockets: SOCK_DGRAM workers bound to a local address.
 */
#ifndef _OCKAM_SOCKET_H
#define _OCKAM_SOCKET_H

#include <linux/skbuff.h>

#include "codec.h"

struct ockam_node;
struct ockam_endpoint;

void ockam_socket_deliver(struct ockam_node *node, struct ockam_endpoint *ep,
			  struct sk_buff *skb, const struct ockam_msg_view *msg);
void ockam_socket_report_error(struct sk_buff *skb, int err);

int ockam_socket_init(void);
void ockam_socket_uninit(void);

#endif /* _OCKAM_SOCKET_H */
