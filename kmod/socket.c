// SPDX-License-Identifier: GPL-2.0
/*
 * AF_OCKAM sockets.
 *
 * A socket is a worker: bind() gives it a local address in its node's
 * table (autobind picks a random one on first send), sendto() sends a
 * message along a route with the socket's address as the return route, and
 * recvfrom() yields the payload with the message's return route as the
 * source address, so a reply is one sendto(). Message boundaries are kept,
 * and queueing, blocking, poll and buffer accounting are the datagram
 * core's, so everything behaves as on UDP.
 */
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/sockios.h>
#include <asm/ioctls.h>
#include <net/sock.h>

#include "message.h"
#include "node.h"
#include "ockam.h"
#include "reserved.h"
#include "route.h"
#include "socket.h"

#define OCKAM_SEND_FLAGS (MSG_DONTWAIT | MSG_NOSIGNAL | MSG_CMSG_COMPAT)
#define OCKAM_RECV_FLAGS (MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_WAITALL | \
			  MSG_CMSG_COMPAT | MSG_CMSG_CLOEXEC)

enum ockam_sock_flag_bits {
	OCKAM_SOCK_RECVROUTE,
	OCKAM_SOCK_RECVONWARD,
	OCKAM_SOCK_RECVIDENTITY,
};

struct ockam_sock {
	struct sock sk;
	struct ockam_endpoint ep;
	bool bound;
	/* Default onward route (count included); under the socket lock. */
	u8 *route;
	u32 route_len;
	unsigned long flags;
};

static const struct proto_ops ockam_dgram_ops;

static struct proto ockam_proto = {
	.name = "OCKAM",
	.owner = THIS_MODULE,
	.obj_size = sizeof(struct ockam_sock),
};

static inline struct ockam_sock *ockam_sk(const struct sock *sk)
{
	return container_of(sk, struct ockam_sock, sk);
}

static struct ockam_node *ockam_sk_node(const struct sock *sk)
{
	return ockam_node_get(sock_net(sk));
}

/* A route from userspace must parse exactly and name at least one hop. */
static int ockam_route_check(const u8 *route, u32 len,
			     struct ockam_route_view *rt)
{
	int ret = ockam_route_decode(route, len, rt);

	if (ret < 0 || ret != len || !rt->hops)
		return -EINVAL;
	return 0;
}

static int ockam_sockaddr_route(const struct sockaddr *uaddr, int addr_len,
				const u8 **route, u32 *len)
{
	const struct sockaddr_ockam *sa = (const struct sockaddr_ockam *)uaddr;
	const int hdr = offsetof(struct sockaddr_ockam, som_route);

	if (addr_len < hdr)
		return -EINVAL;
	if (sa->som_family != ockam_family)
		return -EAFNOSUPPORT;
	if (sa->som_flags || sa->som_reserved || sa->som_reserved2)
		return -EINVAL;
	if (sa->som_route_len > OCKAM_SOCKADDR_ROUTE_MAX ||
	    hdr + sa->som_route_len > addr_len)
		return -EINVAL;
	*route = sa->som_route;
	*len = sa->som_route_len;
	return 0;
}

/* The route in @uaddr, checked as a route to send along or bind to. */
static int ockam_sockaddr_checked(const struct sockaddr *uaddr, int addr_len,
				  const u8 **route, u32 *len,
				  struct ockam_route_view *rt)
{
	int err = ockam_sockaddr_route(uaddr, addr_len, route, len);

	return err ? err : ockam_route_check(*route, *len, rt);
}

static void ockam_sockaddr_fill(struct sockaddr_ockam *sa, const u8 *route,
				u32 len)
{
	memset(sa, 0, sizeof(*sa));
	sa->som_family = ockam_family;
	if (len > OCKAM_SOCKADDR_ROUTE_MAX) {
		sa->som_flags = OCKAM_SA_F_ROUTE_TRUNC;
		return;
	}
	memcpy(sa->som_route, route, len);
	sa->som_route_len = len;
}

/*
 * Give the socket a local address: @name, or a random one if NULL. With
 * the socket locked, which guards @osk->bound.
 */
static int ockam_bind_name(struct ockam_sock *osk, const u8 *name, u32 len)
{
	struct ockam_node *node = ockam_sk_node(&osk->sk);
	int err;

	sock_owned_by_me(&osk->sk);
	if (name) {
		err = ockam_endpoint_set_name(&osk->ep, name, len);
		if (err)
			return err;
	}
	mutex_lock(&node->lock);
	if (name) {
		err = ockam_reserved_check_bind(node, name, len);
		if (!err)
			err = ockam_node_insert(node, &osk->ep);
	} else {
		err = ockam_node_insert_random(node, &osk->ep);
	}
	mutex_unlock(&node->lock);
	if (!err)
		osk->bound = true;
	return err;
}

static int ockam_bind(struct socket *sock, struct sockaddr *uaddr,
		      int addr_len)
{
	struct ockam_sock *osk = ockam_sk(sock->sk);
	struct ockam_route_view rt;
	struct ockam_addr_view addr;
	const u8 *route;
	u32 len;
	int err;

	err = ockam_sockaddr_checked(uaddr, addr_len, &route, &len, &rt);
	if (err)
		return err;
	if (rt.hops != 1 || ockam_route_first(&rt, &addr) < 0 ||
	    addr.type != OCKAM_ADDR_LOCAL)
		return -EINVAL;

	lock_sock(&osk->sk);
	if (osk->bound)
		err = -EINVAL;
	else
		err = ockam_bind_name(osk, addr.value, addr.len);
	release_sock(&osk->sk);
	return err;
}

/* Replace the default route; @route is a checked, heap copy or NULL. */
static void ockam_set_default_route(struct ockam_sock *osk, u8 *route,
				    u32 len)
{
	u8 *old;

	lock_sock(&osk->sk);
	old = osk->route;
	osk->route = route;
	osk->route_len = route ? len : 0;
	release_sock(&osk->sk);
	kfree(old);
}

static int ockam_connect(struct socket *sock, struct sockaddr *uaddr,
			 int addr_len, int flags)
{
	struct ockam_sock *osk = ockam_sk(sock->sk);
	struct ockam_route_view rt;
	const u8 *route;
	u8 *copy;
	u32 len;
	int err;

	if (addr_len >= (int)sizeof(uaddr->sa_family) &&
	    uaddr->sa_family == AF_UNSPEC) {
		ockam_set_default_route(osk, NULL, 0);
		return 0;
	}
	err = ockam_sockaddr_checked(uaddr, addr_len, &route, &len, &rt);
	if (err)
		return err;
	copy = kmemdup(route, len, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	ockam_set_default_route(osk, copy, len);
	return 0;
}

static int ockam_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	DECLARE_SOCKADDR(struct sockaddr_ockam *, sa, uaddr);
	struct ockam_sock *osk = ockam_sk(sock->sk);
	u8 route[1 + OCKAM_ADDR_ENCODED_MAX];
	int err = sizeof(*sa);
	u32 len;

	lock_sock(&osk->sk);
	if (peer) {
		if (osk->route)
			ockam_sockaddr_fill(sa, osk->route, osk->route_len);
		else
			err = -ENOTCONN;
	} else if (osk->bound) {
		route[0] = 1;
		len = 1 + ockam_endpoint_encode(&osk->ep, route + 1);
		ockam_sockaddr_fill(sa, route, len);
	} else {
		ockam_sockaddr_fill(sa, NULL, 0);
	}
	release_sock(&osk->sk);
	return err;
}

static int ockam_release(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct ockam_sock *osk;
	struct ockam_node *node;

	if (!sk)
		return 0;
	osk = ockam_sk(sk);
	node = ockam_sk_node(sk);

	lock_sock(sk);
	if (osk->bound) {
		mutex_lock(&node->lock);
		ockam_node_remove(node, &osk->ep);
		mutex_unlock(&node->lock);
		osk->bound = false;
	}
	sock_orphan(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	release_sock(sk);

	skb_queue_purge(&sk->sk_receive_queue);
	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

/*
 * Runs once no reader can see the socket (SOCK_RCU_FREE): a message a
 * softirq delivered while release() ran is freed here.
 */
static void ockam_sock_destruct(struct sock *sk)
{
	skb_queue_purge(&sk->sk_receive_queue);
	kfree(ockam_sk(sk)->route);
}

/* The onward route of a send: a control message, msg_name, or connect(). */
static int ockam_send_route(struct ockam_sock *osk, struct msghdr *msg,
			    const u8 **route, u32 *len)
{
	struct cmsghdr *cmsg;

	*route = NULL;
	if (msg->msg_controllen) {
		for_each_cmsghdr(cmsg, msg) {
			if (!CMSG_OK(msg, cmsg))
				return -EINVAL;
			if (cmsg->cmsg_level != SOL_OCKAM ||
			    cmsg->cmsg_type != OCKAM_CMSG_ROUTE)
				return -EINVAL;
			*route = CMSG_DATA(cmsg);
			*len = cmsg->cmsg_len - CMSG_LEN(0);
		}
	}
	if (!*route && msg->msg_name)
		return ockam_sockaddr_route(msg->msg_name, msg->msg_namelen,
					    route, len);
	return 0;
}

/*
 * Under the socket lock: copy the default route when no other was given
 * (it may change once we unlock) and make sure the socket has an address.
 * A route that fits a socket address is copied to @stack, saving a
 * connected socket an allocation per message; a longer one to the heap.
 */
static int ockam_send_prepare(struct ockam_sock *osk, const u8 **route,
			      u32 *len, u8 *stack, u8 **heap)
{
	int err = 0;

	lock_sock(&osk->sk);
	if (!*route) {
		if (!osk->route) {
			err = -EDESTADDRREQ;
			goto out;
		}
		if (osk->route_len <= OCKAM_SOCKADDR_ROUTE_MAX) {
			memcpy(stack, osk->route, osk->route_len);
			*route = stack;
		} else {
			*heap = kmemdup(osk->route, osk->route_len, GFP_KERNEL);
			if (!*heap) {
				err = -ENOMEM;
				goto out;
			}
			*route = *heap;
		}
		*len = osk->route_len;
	}
	if (!osk->bound)
		err = ockam_bind_name(osk, NULL, 0);
out:
	release_sock(&osk->sk);
	return err;
}

static int ockam_sendmsg(struct socket *sock, struct msghdr *msg, size_t len)
{
	struct sock *sk = sock->sk;
	struct ockam_sock *osk = ockam_sk(sk);
	struct ockam_node *node = ockam_sk_node(sk);
	u8 route_copy[OCKAM_SOCKADDR_ROUTE_MAX], *heap_copy = NULL;
	struct ockam_route_parts onward, ret;
	u8 self[OCKAM_ADDR_ENCODED_MAX];
	struct ockam_route_view rt;
	u32 header_len, route_len = 0;
	const u8 *route;
	struct sk_buff *skb;
	int err;

	if (msg->msg_flags & ~OCKAM_SEND_FLAGS)
		return -EOPNOTSUPP;
	if (len > READ_ONCE(node->max_message))
		return -EMSGSIZE;
	err = ockam_send_route(osk, msg, &route, &route_len);
	if (err)
		return err;
	err = ockam_send_prepare(osk, &route, &route_len, route_copy,
				 &heap_copy);
	if (err)
		goto out;
	err = ockam_route_check(route, route_len, &rt);
	if (err)
		goto out;

	ockam_route_parts_from_view(&onward, &rt);
	memset(&ret, 0, sizeof(ret));
	ret.head = self;
	ret.head_len = ockam_endpoint_encode(&osk->ep, self);
	ret.head_hops = 1;
	header_len = ockam_header_len(&onward, &ret, len);
	if (header_len + len > READ_ONCE(node->max_message)) {
		err = -EMSGSIZE;
		goto out;
	}

	skb = ockam_msg_alloc(sk, header_len, len,
			      msg->msg_flags & MSG_DONTWAIT, &err);
	if (!skb)
		goto out;
	err = skb_copy_datagram_from_iter(skb, 0, &msg->msg_iter, len);
	if (err) {
		kfree_skb(skb);
		goto out;
	}
	ockam_header_encode(__skb_push(skb, header_len), &onward, &ret, len);
	err = ockam_route_skb(node, skb, NULL, 0);
out:
	kfree(heap_copy);
	return err ? err : len;
}

static int ockam_put_onward_cmsg(struct msghdr *msg, struct sk_buff *skb)
{
	const struct ockam_rx_cb *cb = ockam_rx_cb(skb);
	u32 count_len = ockam_uleb_len(cb->onward_hops);
	u8 *buf;
	int err;

	buf = kmalloc(count_len + cb->onward_len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ockam_uleb_encode(buf, cb->onward_hops);
	memcpy(buf + count_len, skb->data + cb->onward_off, cb->onward_len);
	err = put_cmsg(msg, SOL_OCKAM, OCKAM_CMSG_ONWARD_ROUTE,
		       count_len + cb->onward_len, buf);
	kfree(buf);
	return err;
}

/* Who is at the other end of the channel the message came through. */
static int ockam_put_identity_cmsg(struct msghdr *msg, struct sk_buff *skb)
{
	const struct ockam_rx_cb *cb = ockam_rx_cb(skb);
	char id[OCKAM_IDENTIFIER_LEN + 1];

	if (!cb->has_peer)
		return 0;
	id[0] = 'I';
	bin2hex(id + 1, cb->peer, OCKAM_IDENTIFIER_BYTES);
	return put_cmsg(msg, SOL_OCKAM, OCKAM_CMSG_IDENTITY,
			OCKAM_IDENTIFIER_LEN, id);
}

/* Source address and control messages describing the routes of @skb. */
static int ockam_recv_routes(struct ockam_sock *osk, struct msghdr *msg,
			     struct sk_buff *skb, bool header_intact)
{
	const struct ockam_rx_cb *cb = ockam_rx_cb(skb);
	u8 *ret = skb->data + cb->ret_off;
	u32 ret_len = header_intact ? cb->ret_len : 0;
	int err = 0;

	if (msg->msg_name) {
		DECLARE_SOCKADDR(struct sockaddr_ockam *, sa, msg->msg_name);

		ockam_sockaddr_fill(sa, ret, ret_len);
		msg->msg_namelen = sizeof(*sa);
	}
	if (!header_intact)
		return 0;
	if (test_bit(OCKAM_SOCK_RECVROUTE, &osk->flags))
		err = put_cmsg(msg, SOL_OCKAM, OCKAM_CMSG_RETURN_ROUTE,
			       ret_len, ret);
	if (!err && test_bit(OCKAM_SOCK_RECVONWARD, &osk->flags))
		err = ockam_put_onward_cmsg(msg, skb);
	if (!err && test_bit(OCKAM_SOCK_RECVIDENTITY, &osk->flags))
		err = ockam_put_identity_cmsg(msg, skb);
	return err;
}

static int ockam_recvmsg(struct socket *sock, struct msghdr *msg, size_t size,
			 int flags)
{
	struct sock *sk = sock->sk;
	struct sk_buff *skb;
	u32 header_len, payload_len, copied;
	int err;

	if (flags & ~OCKAM_RECV_FLAGS)
		return -EOPNOTSUPP;

	skb = skb_recv_datagram(sk, flags, &err);
	if (!skb)
		return err;

	/* A socket filter may have trimmed the message, even its header. */
	header_len = min(ockam_rx_cb(skb)->header_len, skb->len);
	payload_len = skb->len - header_len;
	copied = min_t(size_t, payload_len, size);
	if (copied < payload_len)
		msg->msg_flags |= MSG_TRUNC;

	err = skb_copy_datagram_msg(skb, header_len, msg, copied);
	if (err)
		goto out;
	sock_recv_cmsgs(msg, sk, skb);
	err = ockam_recv_routes(ockam_sk(sk), msg, skb,
				header_len == ockam_rx_cb(skb)->header_len);
	if (err)
		goto out;
	err = (flags & MSG_TRUNC) ? payload_len : copied;
out:
	skb_free_datagram(sk, skb);
	return err;
}

static int ockam_set_route_opt(struct ockam_sock *osk, sockptr_t optval,
			       unsigned int optlen)
{
	struct ockam_route_view rt;
	u8 *route;
	int err;

	if (!optlen) {
		ockam_set_default_route(osk, NULL, 0);
		return 0;
	}
	if (optlen > OCKAM_ROUTE_BYTES_MAX)
		return -EINVAL;
	route = memdup_sockptr(optval, optlen);
	if (IS_ERR(route))
		return PTR_ERR(route);
	err = ockam_route_check(route, optlen, &rt);
	if (err) {
		kfree(route);
		return err;
	}
	ockam_set_default_route(osk, route, optlen);
	return 0;
}

static int ockam_flag_bit(int optname)
{
	switch (optname) {
	case OCKAM_SO_RECVROUTE:
		return OCKAM_SOCK_RECVROUTE;
	case OCKAM_SO_RECVONWARD:
		return OCKAM_SOCK_RECVONWARD;
	case OCKAM_SO_RECVIDENTITY:
		return OCKAM_SOCK_RECVIDENTITY;
	default:
		return -ENOPROTOOPT;
	}
}

static int ockam_setsockopt(struct socket *sock, int level, int optname,
			    sockptr_t optval, unsigned int optlen)
{
	struct ockam_sock *osk = ockam_sk(sock->sk);
	int bit, val;

	if (level != SOL_OCKAM)
		return -ENOPROTOOPT;
	if (optname == OCKAM_SO_ROUTE)
		return ockam_set_route_opt(osk, optval, optlen);

	bit = ockam_flag_bit(optname);
	if (bit < 0)
		return bit;
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	assign_bit(bit, &osk->flags, val);
	return 0;
}

static int ockam_get_route_opt(struct ockam_sock *osk, char __user *optval,
			       int __user *optlen, int len)
{
	int err = 0;

	lock_sock(&osk->sk);
	if (!osk->route) {
		len = 0;
	} else if (len < osk->route_len) {
		/* Tell the caller how much room the route needs. */
		len = osk->route_len;
		err = -ERANGE;
	} else {
		len = osk->route_len;
		if (copy_to_user(optval, osk->route, len))
			err = -EFAULT;
	}
	release_sock(&osk->sk);
	if (err != -EFAULT && put_user(len, optlen))
		err = -EFAULT;
	return err;
}

static int ockam_getsockopt(struct socket *sock, int level, int optname,
			    char __user *optval, int __user *optlen)
{
	struct ockam_sock *osk = ockam_sk(sock->sk);
	int bit, len, val;

	if (level != SOL_OCKAM)
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (optname == OCKAM_SO_ROUTE)
		return ockam_get_route_opt(osk, optval, optlen, len);

	bit = ockam_flag_bit(optname);
	if (bit < 0)
		return bit;
	val = test_bit(bit, &osk->flags);
	len = min_t(int, len, sizeof(val));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

static int ockam_ioctl(struct socket *sock, unsigned int cmd,
		       unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct sk_buff *skb;
	int amount = 0;

	switch (cmd) {
	case SIOCINQ:
		/* Payload bytes of the next message, as UDP reports. */
		spin_lock_bh(&sk->sk_receive_queue.lock);
		skb = skb_peek(&sk->sk_receive_queue);
		if (skb)
			amount = skb->len - min(skb->len,
						ockam_rx_cb(skb)->header_len);
		spin_unlock_bh(&sk->sk_receive_queue.lock);
		return put_user(amount, (int __user *)arg);
	case SIOCOUTQ:
		return put_user(sk_wmem_alloc_get(sk), (int __user *)arg);
	default:
		return -ENOIOCTLCMD;
	}
}

static int ockam_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	lock_sock(sk);
	/* Like UDP: an unconnected socket says so, but still shuts down. */
	if (!ockam_sk(sk)->route)
		err = -ENOTCONN;
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | (how + 1));
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

void ockam_socket_deliver(struct ockam_node *node, struct ockam_endpoint *ep,
			  struct sk_buff *skb, const struct ockam_msg_view *msg,
			  const u8 *peer)
{
	struct sock *sk = &container_of(ep, struct ockam_sock, ep)->sk;

	ockam_msg_record_rx(skb, msg, peer);
	/* A local sender's buffer space is free once the message arrives. */
	skb_orphan(skb);
	if (sock_queue_rcv_skb(sk, skb)) {
		ockam_stats_inc(node->stats, OCKAM_STAT_DROP_BUFFER_FULL);
		kfree_skb(skb);
		return;
	}
	ockam_stats_inc(node->stats, OCKAM_STAT_DELIVERED);
}

static struct sock *ockam_skb_sender(const struct sk_buff *skb)
{
	struct sock *sk = skb->sk;

	if (!sk || skb->destructor != sock_wfree || sk->sk_prot != &ockam_proto)
		return NULL;
	return sk;
}

/* Did a local socket send @skb (and is it charged to that socket)? */
bool ockam_socket_sent(const struct sk_buff *skb)
{
	return ockam_skb_sender(skb);
}

/* Tell the local socket that sent @skb that its message was lost. */
void ockam_socket_report_error(struct sk_buff *skb, int err)
{
	struct sock *sk = ockam_skb_sender(skb);

	if (!sk)
		return;
	WRITE_ONCE(sk->sk_err, err);
	sk_error_report(sk);
}

/*
 * @to replaces @from, which a local socket sent (a channel encrypted it):
 * charge it to that socket's send buffer, so the sender still waits for
 * room and still hears of a late failure.
 */
void ockam_socket_charge(struct sk_buff *to, const struct sk_buff *from)
{
	struct sock *sk = ockam_skb_sender(from);

	if (sk)
		skb_set_owner_w(to, sk);
}

/*
 * Pass the address of @sock, a bound AF_OCKAM socket of @node, to another
 * endpoint: under the node's lock, @install removes nothing but must put
 * an endpoint with that name in the table once the socket's entry is gone.
 * Messages waiting in the socket move to @queued for the caller to route
 * again. The socket is left unbound.
 */
int ockam_socket_hand_over(struct socket *sock, struct ockam_node *node,
			   ockam_install_fn install, void *arg,
			   struct sk_buff_head *queued)
{
	struct ockam_sock *osk;
	struct sk_buff *skb;
	int err;

	if (sock->ops != &ockam_dgram_ops || !sock->sk)
		return -ENOTSOCK;
	if (ockam_sk_node(sock->sk) != node)
		return -EXDEV;
	osk = ockam_sk(sock->sk);

	lock_sock(&osk->sk);
	if (!osk->bound) {
		err = -EDESTADDRREQ;
		goto out;
	}
	mutex_lock(&node->lock);
	ockam_node_remove(node, &osk->ep);
	err = install(node, osk->ep.name, osk->ep.name_len, arg);
	/* Putting back what we just took out only fails without memory. */
	if (err && ockam_node_insert(node, &osk->ep))
		osk->bound = false;
	mutex_unlock(&node->lock);
	if (err)
		goto out;
	osk->bound = false;
	/*
	 * Deliveries run under RCU from lookup to queueing: once readers
	 * that may have found the socket are gone, its queue is complete.
	 * This is a configuration path, so wait the expedited way rather
	 * than hold a handshake up for a full grace period.
	 */
	synchronize_rcu_expedited();
	while ((skb = skb_dequeue(&osk->sk.sk_receive_queue))) {
		skb_orphan(skb);
		__skb_queue_tail(queued, skb);
	}
out:
	release_sock(&osk->sk);
	return err;
}

/*
 * The family here is nominal: the core keys sockets by net_proto_family,
 * which carries the number actually registered.
 */
static const struct proto_ops ockam_dgram_ops = {
	.family = AF_OCKAM_DEFAULT,
	.owner = THIS_MODULE,
	.release = ockam_release,
	.bind = ockam_bind,
	.connect = ockam_connect,
	.socketpair = sock_no_socketpair,
	.accept = sock_no_accept,
	.getname = ockam_getname,
	.poll = datagram_poll,
	.ioctl = ockam_ioctl,
	.gettstamp = sock_gettstamp,
	.listen = sock_no_listen,
	.shutdown = ockam_shutdown,
	.setsockopt = ockam_setsockopt,
	.getsockopt = ockam_getsockopt,
	.sendmsg = ockam_sendmsg,
	.recvmsg = ockam_recvmsg,
	.mmap = sock_no_mmap,
};

static int ockam_create(struct net *net, struct socket *sock, int protocol,
			int kern)
{
	struct sock *sk;

	if (sock->type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (protocol)
		return -EPROTONOSUPPORT;

	sk = sk_alloc(net, ockam_family, GFP_KERNEL, &ockam_proto, kern);
	if (!sk)
		return -ENOMEM;
	sock_init_data(sock, sk);
	sock->ops = &ockam_dgram_ops;
	sock->state = SS_UNCONNECTED;
	sk->sk_destruct = ockam_sock_destruct;
	/* Softirq delivery finds sockets under RCU. */
	sock_set_flag(sk, SOCK_RCU_FREE);
	ockam_sk(sk)->ep.kind = OCKAM_KIND_SOCKET;
	return 0;
}

static struct net_proto_family ockam_family_ops __ro_after_init = {
	.create = ockam_create,
	.owner = THIS_MODULE,
};

int ockam_socket_init(void)
{
	int err;

	ockam_family_ops.family = ockam_family;

	err = proto_register(&ockam_proto, 1);
	if (err)
		return err;
	err = sock_register(&ockam_family_ops);
	if (err) {
		pr_err("address family %d is taken (%d); load with family=N\n",
		       ockam_family, err);
		proto_unregister(&ockam_proto);
	}
	return err;
}

void ockam_socket_uninit(void)
{
	sock_unregister(ockam_family);
	proto_unregister(&ockam_proto);
}
