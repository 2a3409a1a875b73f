// SPDX-License-Identifier: GPL-2.0
/*
 * Taking over a user-supplied connected TCP socket and giving it back: the
 * checks, the claim of sk_user_data and the callbacks, the ULP guard. See
 * sockhook.h.
 */
#include <linux/file.h>
#include <net/inet_connection_sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "sockhook.h"

/*
 * Whoever else holds the socket's file could install kTLS (or another
 * upper layer protocol) on it while we own it: that would read the same
 * receive queue, and keep our callbacks as its own to call after we are
 * gone. Holding the socket's ULP slot while attached makes TCP_ULP fail
 * with EEXIST, and sockmap refuse the socket. This is not a registered ULP
 * (nobody can select it, and it pins nothing): the slot is taken and given
 * back with the socket locked, before the socket can be destroyed.
 */
static const struct tcp_ulp_ops ockam_sock_ulp = {
	.name = "ockam",
};

/*
 * The socket behind @fd, with a file reference the caller drops with
 * sockfd_put(), if it is an IPv4 or IPv6 socket of @protocol (IPPROTO_TCP
 * or IPPROTO_UDP) in @net; an ERR_PTR otherwise.
 */
struct socket *ockam_sock_lookup(int fd, const struct net *net, int protocol,
				 struct netlink_ext_ack *extack)
{
	int type = protocol == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	struct socket *sock;
	struct sock *sk;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (!sock) {
		NL_SET_ERR_MSG(extack, "fd is not a socket");
		return ERR_PTR(err);
	}
	sk = sock->sk;
	if (sk->sk_type != type || sk->sk_protocol != protocol ||
	    (sk->sk_family != AF_INET && sk->sk_family != AF_INET6)) {
		if (protocol == IPPROTO_TCP)
			NL_SET_ERR_MSG(extack, "not a TCP socket");
		else
			NL_SET_ERR_MSG(extack, "not a UDP socket");
		err = -EPROTOTYPE;
		goto err_put;
	}
	if (!net_eq(sock_net(sk), net)) {
		NL_SET_ERR_MSG(extack, "socket is in another network namespace");
		err = -EXDEV;
		goto err_put;
	}
	return sock;

err_put:
	sockfd_put(sock);
	return ERR_PTR(err);
}

/*
 * Make @owner the socket's kernel user, with @hooks as its callbacks; the
 * socket's own go to @saved. @states (TCPF_* bits) are the TCP states the
 * socket may be in. With the socket locked, so no callback runs meanwhile.
 */
int ockam_sock_claim(struct sock *sk, void *owner, int states,
		     const struct ockam_sock_hooks *hooks,
		     struct ockam_sock_hooks *saved,
		     struct netlink_ext_ack *extack)
{
	sock_owned_by_me(sk);
	if (!((1 << sk->sk_state) & states)) {
		NL_SET_ERR_MSG(extack, "socket is not connected");
		return -ENOTCONN;
	}
	if (inet_csk_has_ulp(sk)) {
		NL_SET_ERR_MSG(extack, "socket has an upper layer protocol");
		return -EBUSY;
	}
	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data) {
		write_unlock_bh(&sk->sk_callback_lock);
		NL_SET_ERR_MSG(extack, "socket is in use by another kernel user");
		return -EBUSY;
	}
	saved->data_ready = sk->sk_data_ready;
	saved->write_space = sk->sk_write_space;
	saved->state_change = sk->sk_state_change;
	WRITE_ONCE(sk->sk_data_ready, hooks->data_ready);
	WRITE_ONCE(sk->sk_write_space, hooks->write_space);
	WRITE_ONCE(sk->sk_state_change, hooks->state_change);
	__rcu_assign_sk_user_data_with_flags(sk, owner, SK_USER_DATA_NOCOPY);
	write_unlock_bh(&sk->sk_callback_lock);
	WRITE_ONCE(inet_csk(sk)->icsk_ulp_ops, &ockam_sock_ulp);
	return 0;
}

/* Give the socket back its callbacks and its ULP slot; socket locked. */
void ockam_sock_restore(struct sock *sk, const struct ockam_sock_hooks *saved)
{
	sock_owned_by_me(sk);
	if (inet_csk(sk)->icsk_ulp_ops == &ockam_sock_ulp)
		WRITE_ONCE(inet_csk(sk)->icsk_ulp_ops, NULL);
	write_lock_bh(&sk->sk_callback_lock);
	/* The stack calls these without sk_callback_lock. */
	WRITE_ONCE(sk->sk_data_ready, saved->data_ready);
	WRITE_ONCE(sk->sk_write_space, saved->write_space);
	WRITE_ONCE(sk->sk_state_change, saved->state_change);
	rcu_assign_sk_user_data(sk, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
}
