/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_OCKAM sockets: SOCK_DGRAM workers bound to a local address.
 */
#ifndef _OCKAM_SOCKET_H
#define _OCKAM_SOCKET_H

#include <linux/net.h>
#include <linux/skbuff.h>

#include "codec.h"

struct ockam_node;
struct ockam_endpoint;

void ockam_socket_deliver(struct ockam_node *node, struct ockam_endpoint *ep,
			  struct sk_buff *skb, const struct ockam_msg_view *msg,
			  const u8 *peer);
bool ockam_socket_sent(const struct sk_buff *skb);
void ockam_socket_report_error(struct sk_buff *skb, int err);
void ockam_socket_charge(struct sk_buff *to, const struct sk_buff *from);

/* Puts an endpoint named @name in the table; under the node's lock. */
typedef int (*ockam_install_fn)(struct ockam_node *node, const u8 *name,
				u32 len, void *arg);
int ockam_socket_hand_over(struct socket *sock, struct ockam_node *node,
			   ockam_install_fn install, void *arg,
			   struct sk_buff_head *queued);

int ockam_socket_init(void);
void ockam_socket_uninit(void);

#endif /* _OCKAM_SOCKET_H */
