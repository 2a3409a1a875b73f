/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Taking over a connected TCP socket that userspace hands in, the way KCM
 * does: shared by TCP transports (tcp.c) and portal sessions (portal.c).
 *
 * With the socket locked and under sk_callback_lock, the owner claims
 * sk_user_data (refusing a socket another kernel user holds) and swaps in
 * its data_ready, write_space and state_change callbacks; the socket's
 * upper-layer-protocol slot is taken too. Giving the socket back undoes
 * all of it, with the socket locked again. Callbacks find their owner
 * with ockam_sock_owner(), under sk_callback_lock.
 */
#ifndef _OCKAM_SOCKHOOK_H
#define _OCKAM_SOCKHOOK_H

#include <linux/net.h>
#include <linux/netlink.h>
#include <net/sock.h>

/* The callbacks an owner installs, or the socket's own it saved. */
struct ockam_sock_hooks {
	void (*data_ready)(struct sock *sk);
	void (*write_space)(struct sock *sk);
	void (*state_change)(struct sock *sk);
};

struct socket *ockam_sock_lookup(int fd, const struct net *net, int protocol,
				 struct netlink_ext_ack *extack);
int ockam_sock_claim(struct sock *sk, void *owner, int states,
		     const struct ockam_sock_hooks *hooks,
		     struct ockam_sock_hooks *saved,
		     struct netlink_ext_ack *extack);
void ockam_sock_restore(struct sock *sk, const struct ockam_sock_hooks *saved);

/* The owner of a claimed socket, or NULL; under sk_callback_lock. */
static inline void *ockam_sock_owner(const struct sock *sk)
{
	return __locked_read_sk_user_data_with_flags(sk, SK_USER_DATA_NOCOPY);
}

#endif /* _OCKAM_SOCKHOOK_H */
