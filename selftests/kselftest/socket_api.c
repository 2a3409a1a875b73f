// SPDX-License-Identifier: GPL-2.0
/*
 * AF_OCKAM socket API: every behaviour Documentation/socket-api.rst
 * promises, on one node. Each test runs in a network namespace of its own.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "common.h"

FIXTURE(node)
{
	int a;
	int b;
};

FIXTURE_SETUP(node)
{
	ASSERT_EQ(0, node_fresh());
	self->a = sock_bound("a");
	self->b = sock_bound("b");
	ASSERT_LE(0, self->a);
	ASSERT_LE(0, self->b);
}

FIXTURE_TEARDOWN(node)
{
	close(self->a);
	close(self->b);
}

TEST_F(node, socket_types)
{
	int fd;

	EXPECT_EQ(-1, socket(ockam_family(), SOCK_STREAM, 0));
	EXPECT_EQ(ESOCKTNOSUPPORT, errno);
	EXPECT_EQ(-1, socket(ockam_family(), SOCK_DGRAM, 1));
	EXPECT_EQ(EPROTONOSUPPORT, errno);
	fd = socket(ockam_family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd);
	close(fd);
}

TEST_F(node, getsockname_is_bound_address)
{
	struct sockaddr_ockam sa, expect;
	socklen_t len = sizeof(sa);

	ASSERT_EQ(0, getsockname(self->a, (struct sockaddr *)&sa, &len));
	sa_route(&expect, "0#a");
	EXPECT_EQ(sizeof(sa), len);
	EXPECT_EQ(ockam_family(), sa.som_family);
	EXPECT_EQ(0, sa.som_flags);
	ASSERT_EQ(expect.som_route_len, sa.som_route_len);
	EXPECT_EQ(0, memcmp(expect.som_route, sa.som_route, sa.som_route_len));
}

TEST_F(node, bind_errors)
{
	int fd = sock_bound(NULL);
	struct sockaddr_ockam sa;
	socklen_t len;

	ASSERT_LE(0, fd);
	len = sa_route(&sa, "0#a");
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&sa, len));
	EXPECT_EQ(EADDRINUSE, errno);

	len = sa_route(&sa, "0#x => 0#y");
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&sa, len));
	EXPECT_EQ(EINVAL, errno);

	len = sa_route(&sa, "1#127.0.0.1:4000");
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&sa, len));
	EXPECT_EQ(EINVAL, errno);

	/* '/' is not allowed in a local name. */
	len = sa_route(&sa, "0#xzy");
	sa.som_route[4] = '/';
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&sa, len));
	EXPECT_EQ(EINVAL, errno);

	len = sa_route(&sa, "0#x");
	sa.som_reserved = 1;
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&sa, len));
	EXPECT_EQ(EINVAL, errno);

	sa_route(&sa, "0#x");
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&sa, 4));
	EXPECT_EQ(EINVAL, errno);

	sa.som_family = AF_INET;
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&sa, len));
	EXPECT_EQ(EAFNOSUPPORT, errno);

	sa_route(&sa, "0#x");
	EXPECT_EQ(0, bind(fd, (struct sockaddr *)&sa, len));
	/* Already bound. */
	sa_route(&sa, "0#z");
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&sa, len));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST_F(node, address_reusable_after_close)
{
	close(self->b);
	self->b = sock_bound("b");
	EXPECT_LE(0, self->b);
}

TEST_F(node, autobind_on_first_send)
{
	struct sockaddr_ockam sa;
	socklen_t len = sizeof(sa);
	char name[64];
	int fd = sock_bound(NULL);
	size_t i;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&sa, &len));
	EXPECT_EQ(0, sa.som_route_len);

	ASSERT_EQ(2, send_to(fd, "0#b", "hi", 2));
	ASSERT_EQ(0, ockam_local_address(fd, name, sizeof(name)));
	ASSERT_EQ(OCKAM_RANDOM_NAME_LEN, strlen(name));
	for (i = 0; i < strlen(name); i++)
		EXPECT_TRUE(strchr("0123456789abcdef", name[i]) != NULL);
	close(fd);
}

TEST_F(node, send_receive_reply)
{
	struct sockaddr_ockam from;
	socklen_t fromlen = sizeof(from);
	char buf[16];
	ssize_t n;

	ASSERT_EQ(5, send_to(self->a, "0#b", "hello", 5));
	n = recvfrom(self->b, buf, sizeof(buf), 0, (struct sockaddr *)&from,
		     &fromlen);
	ASSERT_EQ(5, n);
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	/* The source address is the return route: replying is one sendto. */
	ASSERT_EQ(5, sendto(self->b, "world", 5, 0, (struct sockaddr *)&from,
			    fromlen));
	EXPECT_EQ(0, recv_expect(self->a, "world", "0#b", 0));
}

TEST_F(node, empty_payload)
{
	ASSERT_EQ(0, send_to(self->a, "0#b", "", 0));
	EXPECT_EQ(0, recv_expect(self->b, "", "0#a", 0));
}

TEST_F(node, connect_sets_default_route)
{
	struct sockaddr_ockam sa, peer;
	socklen_t len = sa_route(&sa, "0#b"), plen = sizeof(peer);

	EXPECT_EQ(-1, send(self->a, "x", 1, 0));
	EXPECT_EQ(EDESTADDRREQ, errno);
	EXPECT_EQ(-1, getpeername(self->a, (struct sockaddr *)&peer, &plen));
	EXPECT_EQ(ENOTCONN, errno);

	ASSERT_EQ(0, connect(self->a, (struct sockaddr *)&sa, len));
	ASSERT_EQ(0, getpeername(self->a, (struct sockaddr *)&peer, &plen));
	EXPECT_EQ(sa.som_route_len, peer.som_route_len);
	ASSERT_EQ(3, send(self->a, "one", 3, 0));
	EXPECT_EQ(0, recv_expect(self->b, "one", "0#a", 0));

	/* An explicit address still wins over the default. */
	ASSERT_EQ(3, send_to(self->a, "0#a", "two", 3));
	EXPECT_EQ(0, recv_expect(self->a, "two", "0#a", 0));

	sa.som_family = AF_UNSPEC;
	ASSERT_EQ(0, connect(self->a, (struct sockaddr *)&sa, len));
	EXPECT_EQ(-1, send(self->a, "x", 1, 0));
	EXPECT_EQ(EDESTADDRREQ, errno);
}

TEST_F(node, route_errors)
{
	struct sockaddr_ockam sa;
	socklen_t len;

	EXPECT_EQ(-1, send_to(self->a, "0#nobody", "x", 1));
	EXPECT_EQ(EHOSTUNREACH, errno);
	/* An address type no transport of this node has... */
	EXPECT_EQ(-1, send_to(self->a, "7#127.0.0.1:4000 => 0#b", "x", 1));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	/* ... and UDP's, with no UDP bind to send from. */
	EXPECT_EQ(-1, send_to(self->a, "2#127.0.0.1:4000 => 0#b", "x", 1));
	EXPECT_EQ(EHOSTUNREACH, errno);
	EXPECT_EQ(-1, send_to(self->a, "", "x", 1));
	EXPECT_EQ(EINVAL, errno);

	/* A non-minimal ULEB128 length. */
	memset(&sa, 0, sizeof(sa));
	sa.som_family = ockam_family();
	memcpy(sa.som_route, "\x01\x00\x81\x00" "b", 5);
	sa.som_route_len = 5;
	len = sizeof(sa);
	EXPECT_EQ(-1, sendto(self->a, "x", 1, 0, (struct sockaddr *)&sa, len));
	EXPECT_EQ(EINVAL, errno);

	/* Trailing bytes after the route. */
	len = sa_route(&sa, "0#b");
	sa.som_route[sa.som_route_len++] = 0;
	EXPECT_EQ(-1, sendto(self->a, "x", 1, 0, (struct sockaddr *)&sa, len));
	EXPECT_EQ(EINVAL, errno);

	/* Route length beyond the address. */
	len = sa_route(&sa, "0#b");
	sa.som_route_len = OCKAM_SOCKADDR_ROUTE_MAX + 1;
	EXPECT_EQ(-1, sendto(self->a, "x", 1, 0, (struct sockaddr *)&sa, len));
	EXPECT_EQ(EINVAL, errno);
}

/* b, then twenty more local hops: far longer than a sockaddr holds. */
static const char *long_route =
	"0#b => 0#hop-number-01 => 0#hop-number-02 => 0#hop-number-03 => "
	"0#hop-number-04 => 0#hop-number-05 => 0#hop-number-06 => "
	"0#hop-number-07 => 0#hop-number-08 => 0#hop-number-09 => "
	"0#hop-number-10 => 0#hop-number-11 => 0#hop-number-12";

static int recv_onward(int fd, struct ockam_wire_route *onward)
{
	char buf[64], cbuf[CMSG_SPACE(OCKAM_ROUTE_BYTES_MAX)];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;

	if (recvmsg(fd, &msg, 0) < 0)
		return -errno;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level == SOL_OCKAM &&
		    cmsg->cmsg_type == OCKAM_CMSG_ONWARD_ROUTE) {
			onward->len = cmsg->cmsg_len - CMSG_LEN(0);
			memcpy(onward->bytes, CMSG_DATA(cmsg), onward->len);
			return 0;
		}
	}
	return -ENOENT;
}

TEST_F(node, long_routes_by_cmsg_and_option)
{
	struct ockam_wire_route route = wire(long_route), got;
	struct ockam_wire_route rest = wire(strstr(long_route, "0#hop-number-01"));
	char cbuf[CMSG_SPACE(OCKAM_ROUTE_BYTES_MAX)] = { 0 };
	struct iovec iov = { .iov_base = "cmsg", .iov_len = 4 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = CMSG_SPACE(route.len),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	int one = 1;

	ASSERT_LT(OCKAM_SOCKADDR_ROUTE_MAX, route.len);
	ASSERT_EQ(0, setsockopt(self->b, SOL_OCKAM, OCKAM_SO_RECVONWARD, &one,
				sizeof(one)));

	cmsg->cmsg_level = SOL_OCKAM;
	cmsg->cmsg_type = OCKAM_CMSG_ROUTE;
	cmsg->cmsg_len = CMSG_LEN(route.len);
	memcpy(CMSG_DATA(cmsg), route.bytes, route.len);
	ASSERT_EQ(4, sendmsg(self->a, &msg, 0));
	ASSERT_EQ(0, recv_onward(self->b, &got));
	ASSERT_EQ(rest.len, got.len);
	EXPECT_EQ(0, memcmp(rest.bytes, got.bytes, got.len));

	ASSERT_EQ(0, setsockopt(self->a, SOL_OCKAM, OCKAM_SO_ROUTE, route.bytes,
				route.len));
	ASSERT_EQ(3, send(self->a, "opt", 3, 0));
	ASSERT_EQ(0, recv_onward(self->b, &got));
	EXPECT_EQ(rest.len, got.len);
}

TEST_F(node, route_option_roundtrip)
{
	struct ockam_wire_route route = wire(long_route);
	unsigned char buf[OCKAM_ROUTE_BYTES_MAX];
	socklen_t len = 4;

	EXPECT_EQ(0, getsockopt(self->a, SOL_OCKAM, OCKAM_SO_ROUTE, buf, &len));
	EXPECT_EQ(0, len);
	ASSERT_EQ(0, setsockopt(self->a, SOL_OCKAM, OCKAM_SO_ROUTE, route.bytes,
				route.len));
	len = 4;
	EXPECT_EQ(-1, getsockopt(self->a, SOL_OCKAM, OCKAM_SO_ROUTE, buf, &len));
	EXPECT_EQ(ERANGE, errno);
	EXPECT_EQ(route.len, len);
	len = sizeof(buf);
	ASSERT_EQ(0, getsockopt(self->a, SOL_OCKAM, OCKAM_SO_ROUTE, buf, &len));
	ASSERT_EQ(route.len, len);
	EXPECT_EQ(0, memcmp(buf, route.bytes, len));

	EXPECT_EQ(-1, setsockopt(self->a, SOL_OCKAM, OCKAM_SO_ROUTE, "\x01", 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(self->a, SOL_OCKAM, 99, buf, 4));
	EXPECT_EQ(ENOPROTOOPT, errno);
	ASSERT_EQ(0, setsockopt(self->a, SOL_OCKAM, OCKAM_SO_ROUTE, NULL, 0));
	EXPECT_EQ(-1, send(self->a, "x", 1, 0));
	EXPECT_EQ(EDESTADDRREQ, errno);
}

TEST_F(node, peek_and_trunc)
{
	char buf[8];
	struct iovec iov = { .iov_base = buf, .iov_len = 4 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	ASSERT_EQ(10, send_to(self->a, "0#b", "0123456789", 10));
	ASSERT_EQ(2, recv(self->b, buf, 2, MSG_PEEK));
	EXPECT_EQ(0, memcmp(buf, "01", 2));
	EXPECT_EQ(10, recv(self->b, buf, 0, MSG_PEEK | MSG_TRUNC));
	ASSERT_EQ(4, recvmsg(self->b, &msg, 0));
	EXPECT_TRUE(msg.msg_flags & MSG_TRUNC);
	EXPECT_EQ(0, memcmp(buf, "0123", 4));
	/* The rest of a truncated message is gone, as on UDP. */
	EXPECT_EQ(-1, recv(self->b, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(node, nonblocking_and_timeout)
{
	char buf[4];
	long long start;
	int fd = socket(ockam_family(), SOCK_DGRAM | SOCK_NONBLOCK, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, recv(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, recv(self->b, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	close(fd);

	ASSERT_EQ(0, set_rcvtimeo(self->b, 200));
	start = now_ms();
	EXPECT_EQ(-1, recv(self->b, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	/*
	 * The timeout counts jiffies from when recv() starts waiting. In a VM
	 * whose virtual CPUs the host cannot always run, jiffies may lag the
	 * clock read here and then catch up in one step: on the debug kernel
	 * under load the wait once measured 114 ms. Blocking at all, and not
	 * forever, is what this checks.
	 */
	EXPECT_LE(100, now_ms() - start);
}

TEST_F(node, blocking_recv_wakes_up)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		usleep(100000);
		_exit(send_to(self->a, "0#b", "late", 4) == 4 ? 0 : 1);
	}
	ASSERT_EQ(0, set_rcvtimeo(self->b, 5000));
	EXPECT_EQ(0, recv_expect(self->b, "late", "0#a", 0));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(node, poll_and_epoll)
{
	struct pollfd pfd = { .fd = self->b, .events = POLLIN | POLLOUT };
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(0);

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->b, &ev));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));

	ASSERT_EQ(1, send_to(self->a, "0#b", "p", 1));
	ASSERT_EQ(1, poll(&pfd, 1, 1000));
	EXPECT_EQ(POLLIN | POLLOUT, pfd.revents);
	EXPECT_EQ(1, epoll_wait(ep, &out, 1, 1000));
	close(ep);
}

TEST_F(node, full_receiver_drops_and_counts)
{
	char payload[1000] = { 0 }, buf[1000];
	char cbuf[CMSG_SPACE(sizeof(uint32_t))];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg;
	struct cmsghdr *cmsg;
	int size = 4096, one = 1, sent = 200, got = 0;
	uint32_t dropped = 0;
	int i;

	ASSERT_EQ(0, setsockopt(self->b, SOL_SOCKET, SO_RCVBUF, &size,
				sizeof(size)));
	ASSERT_EQ(0, setsockopt(self->b, SOL_SOCKET, SO_RXQ_OVFL, &one,
				sizeof(one)));
	for (i = 0; i < sent; i++)
		ASSERT_EQ(sizeof(payload), send_to(self->a, "0#b", payload,
						   sizeof(payload)));
	for (;;) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		if (recvmsg(self->b, &msg, MSG_DONTWAIT) < 0)
			break;
		got++;
		for (cmsg = CMSG_FIRSTHDR(&msg); cmsg;
		     cmsg = CMSG_NXTHDR(&msg, cmsg))
			if (cmsg->cmsg_type == SO_RXQ_OVFL)
				memcpy(&dropped, CMSG_DATA(cmsg), sizeof(dropped));
	}
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LT(0, got);
	EXPECT_GT(sent, got);

	/* The next message that gets in carries the drop count so far. */
	ASSERT_EQ(1, send_to(self->a, "0#b", payload, 1));
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	ASSERT_EQ(1, recvmsg(self->b, &msg, MSG_DONTWAIT));
	cmsg = CMSG_FIRSTHDR(&msg);
	ASSERT_NE(NULL, cmsg);
	ASSERT_EQ(SO_RXQ_OVFL, cmsg->cmsg_type);
	memcpy(&dropped, CMSG_DATA(cmsg), sizeof(dropped));
	EXPECT_EQ(sent - got, dropped);
}

TEST_F(node, receive_timestamps)
{
	char buf[8], cbuf[CMSG_SPACE(sizeof(struct timeval))];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct timeval before, *tv;
	struct cmsghdr *cmsg;
	int one = 1;

	ASSERT_EQ(0, setsockopt(self->b, SOL_SOCKET, SO_TIMESTAMP, &one,
				sizeof(one)));
	gettimeofday(&before, NULL);
	ASSERT_EQ(2, send_to(self->a, "0#b", "ts", 2));
	ASSERT_EQ(2, recvmsg(self->b, &msg, 0));
	cmsg = CMSG_FIRSTHDR(&msg);
	ASSERT_NE(NULL, cmsg);
	ASSERT_EQ(SOL_SOCKET, cmsg->cmsg_level);
	ASSERT_EQ(SCM_TIMESTAMP, cmsg->cmsg_type);
	tv = (struct timeval *)CMSG_DATA(cmsg);
	EXPECT_GE(tv->tv_sec, before.tv_sec);
	EXPECT_LE(tv->tv_sec, before.tv_sec + 5);
}

TEST_F(node, message_size_limits)
{
	size_t big = 600 * 1024, i;
	char *out = malloc(big), *in = malloc(big + 1);
	int size = 4 << 20;

	ASSERT_TRUE(out && in);
	for (i = 0; i < big; i++)
		out[i] = i * 7 + (i >> 11);
	/* Over the node's 1 MiB maximum. */
	EXPECT_EQ(-1, send_to(self->a, "0#b", out, 1 << 20));
	EXPECT_EQ(EMSGSIZE, errno);

	/* Bigger than one skb can hold: the kernel chains them. */
	ASSERT_EQ(0, setsockopt(self->b, SOL_SOCKET, SO_RCVBUFFORCE, &size,
				sizeof(size)));
	ASSERT_EQ(big, send_to(self->a, "0#b", out, big));
	ASSERT_EQ(big, recv(self->b, in, big + 1, 0));
	EXPECT_EQ(0, memcmp(in, out, big));
	free(out);
	free(in);
}

TEST_F(node, unknown_flags_rejected)
{
	struct sockaddr_ockam sa;
	socklen_t len = sa_route(&sa, "0#b");
	char buf[4];

	EXPECT_EQ(-1, sendto(self->a, "x", 1, MSG_OOB, (struct sockaddr *)&sa,
			     len));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, recv(self->b, buf, sizeof(buf), MSG_OOB));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, recv(self->b, buf, sizeof(buf), MSG_ERRQUEUE));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

TEST_F(node, shutdown_read_and_write)
{
	char buf[4];

	EXPECT_EQ(-1, shutdown(self->b, SHUT_RD));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(0, recv(self->b, buf, sizeof(buf), 0));
	EXPECT_EQ(-1, shutdown(self->a, SHUT_WR));
	EXPECT_EQ(-1, send_to(self->a, "0#b", "x", 1));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(-1, shutdown(self->a, 7));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(node, queue_ioctls)
{
	int inq = -1, outq = -1;

	EXPECT_EQ(0, ioctl(self->b, SIOCINQ, &inq));
	EXPECT_EQ(0, inq);
	ASSERT_EQ(7, send_to(self->a, "0#b", "payload", 7));
	ASSERT_EQ(3, send_to(self->a, "0#b", "two", 3));
	EXPECT_EQ(0, ioctl(self->b, SIOCINQ, &inq));
	EXPECT_EQ(7, inq);
	EXPECT_EQ(0, ioctl(self->a, SIOCOUTQ, &outq));
	EXPECT_EQ(0, outq);
}

TEST_F(node, close_with_queued_messages)
{
	int i;

	for (i = 0; i < 50; i++)
		ASSERT_EQ(1, send_to(self->a, "0#b", "q", 1));
	close(self->b);
	EXPECT_EQ(-1, send_to(self->a, "0#b", "q", 1));
	EXPECT_EQ(EHOSTUNREACH, errno);
	self->b = sock_bound("b");
	ASSERT_LE(0, self->b);
	ASSERT_EQ(1, send_to(self->a, "0#b", "r", 1));
	EXPECT_EQ(0, recv_expect(self->b, "r", "0#a", 0));
}

TEST_F(node, many_sockets)
{
	enum { COUNT = 2000 };
	struct rlimit nofile = { COUNT + 64, COUNT + 64 };
	static int fds[COUNT];
	char name[32], route[40];
	int i;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &nofile));
	for (i = 0; i < COUNT; i++) {
		snprintf(name, sizeof(name), "worker-%d", i);
		fds[i] = sock_bound(name);
		ASSERT_LE(0, fds[i]);
	}
	for (i = 0; i < COUNT; i += 97) {
		snprintf(route, sizeof(route), "0#worker-%d", i);
		ASSERT_EQ(1, send_to(self->a, route, "m", 1));
		EXPECT_EQ(0, recv_expect(fds[i], "m", "0#a", 0));
	}
	for (i = 0; i < COUNT; i++)
		close(fds[i]);
	EXPECT_EQ(-1, send_to(self->a, "0#worker-5", "m", 1));
	EXPECT_EQ(EHOSTUNREACH, errno);
}

TEST_F(node, nodes_are_isolated)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		int fd, ok;

		if (node_fresh())
			_exit(2);
		fd = sock_bound("b");
		ok = fd >= 0 && send_to(fd, "0#a", "x", 1) == -1 &&
		     errno == EHOSTUNREACH;
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Nothing crossed over. */
	EXPECT_EQ(-1, recv(self->a, &status, sizeof(status), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(node, tcp_hop_without_daemon)
{
	EXPECT_EQ(-1, send_to(self->a, "1#127.0.0.1:4000 => 0#echo", "x", 1));
	EXPECT_EQ(EHOSTUNREACH, errno);
}

TEST_HARNESS_MAIN
