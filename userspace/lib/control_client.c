// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The client end of the control protocol: one request, one reply, all of
 * it within the caller's timeout.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control_protocol.h"
#include "internal.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until @deadline; 0 once it has passed. */
static int ms_left(long long deadline)
{
	long long left = deadline - now_ms();

	return left > 0 ? (int)left : 0;
}

/*
 * Bound the blocking connect() and send() by @timeout_ms. An AF_UNIX
 * connect() waits while the listener's backlog is full, and a
 * non-blocking one fails at once with EAGAIN instead of reporting
 * progress through POLLOUT; SO_SNDTIMEO bounds the wait for both calls.
 */
static int set_send_timeout(int fd, int timeout_ms)
{
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};

	/* Zero would mean "wait forever". */
	if (!tv.tv_sec && !tv.tv_usec)
		tv.tv_usec = 1000;
	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int ctl_connect(const char *name, int timeout_ms,
		       struct ockam_err *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char path[OCKAM_PATH_MAX];
	int fd, ret;

	ret = ockam_node_path(name, OCKAM_NODE_CONTROL_FILE, path, sizeof(path));
	if (ret < 0)
		return ockam_err_set(err, ret, "bad node name '%s'", name);
	if (!ockam_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)))
		return ockam_err_set(err, -ENAMETOOLONG,
				     "control socket path longer than %zu bytes: %s",
				     sizeof(sun.sun_path) - 1, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ockam_err_set(err, -errno, "socket(AF_UNIX): %s",
				     strerror(errno));
	if (set_send_timeout(fd, timeout_ms) < 0) {
		ret = ockam_err_set(err, -errno, "SO_SNDTIMEO: %s",
				    strerror(errno));
		goto err_close;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		if (ret == -ENOENT || ret == -ECONNREFUSED)
			ret = ockam_err_set(err, -ESRCH, "node %s is not running",
					    name);
		else if (ret == -EAGAIN)
			ret = ockam_err_set(err, -ETIMEDOUT,
					    "node %s did not accept the connection within %d ms",
					    name, timeout_ms);
		else
			ret = ockam_err_set(err, ret,
					    "cannot connect to node %s at %s: %s",
					    name, path, strerror(-ret));
		goto err_close;
	}
	return fd;

err_close:
	close(fd);
	return ret;
}

int ockam_ctl_call(const char *name, const char *request, size_t request_len,
		   int timeout_ms, char *buf, size_t size,
		   struct ockam_ctl_reply *reply, struct ockam_err *err)
{
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct pollfd pfd;
	ssize_t n;
	int fd, ret;

	if (size < 2)
		return ockam_err_set(err, -EINVAL, "reply buffer too small");
	fd = ctl_connect(name, timeout_ms, err);
	if (fd < 0)
		return fd;
	if (set_send_timeout(fd, ms_left(deadline)) < 0 ||
	    send(fd, request, request_len, MSG_NOSIGNAL) < 0) {
		if (errno == EAGAIN)
			ret = ockam_err_set(err, -ETIMEDOUT,
					    "node %s did not take the request within %d ms",
					    name, timeout_ms);
		else
			ret = ockam_err_set(err, -errno,
					    "cannot send to node %s: %s", name,
					    strerror(errno));
		goto out;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	do {
		ret = poll(&pfd, 1, ms_left(deadline));
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		ret = ockam_err_set(err, -errno, "poll: %s", strerror(errno));
		goto out;
	}
	if (!ret) {
		ret = ockam_err_set(err, -ETIMEDOUT,
				    "node %s did not answer within %d ms", name,
				    timeout_ms);
		goto out;
	}
	n = recv(fd, buf, size - 1, MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0) {
		ret = ockam_err_set(err, -errno, "cannot read from node %s: %s",
				    name, strerror(errno));
		goto out;
	}
	if (!n) {
		ret = ockam_err_set(err, -ECONNRESET,
				    "node %s closed the control connection without answering",
				    name);
		goto out;
	}
	if ((size_t)n > size - 1) {
		ret = ockam_err_set(err, -EMSGSIZE,
				    "reply of %zd bytes from node %s does not fit",
				    n, name);
		goto out;
	}
	ret = ockam_ctl_reply_parse(reply, buf, n, err);
	if (ret < 0)
		goto out;
	if (reply->errnum)
		ret = ockam_err_set(err, -reply->errnum, "%s", reply->message);
out:
	close(fd);
	return ret;
}
