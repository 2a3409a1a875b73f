// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The client end of the control protocol: one request, one reply.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

static int ctl_connect(const char *name, struct ockam_err *err)
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
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		close(fd);
		if (ret == -ENOENT || ret == -ECONNREFUSED)
			return ockam_err_set(err, -ESRCH, "node %s is not running",
					     name);
		return ockam_err_set(err, ret, "cannot connect to node %s at %s: %s",
				     name, path, strerror(-ret));
	}
	return fd;
}

OCKAM_EXPORT int ockam_ctl_call(const char *name, const char *request,
				size_t request_len, int timeout_ms, char *buf,
				size_t size, struct ockam_ctl_reply *reply,
				struct ockam_err *err)
{
	struct pollfd pfd;
	ssize_t n;
	int fd, ret;

	if (size < 2)
		return ockam_err_set(err, -EINVAL, "reply buffer too small");
	fd = ctl_connect(name, err);
	if (fd < 0)
		return fd;
	if (send(fd, request, request_len, MSG_NOSIGNAL) < 0) {
		ret = ockam_err_set(err, -errno, "cannot send to node %s: %s",
				    name, strerror(errno));
		goto out;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	do {
		ret = poll(&pfd, 1, timeout_ms);
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
	n = recv(fd, buf, size - 1, MSG_TRUNC);
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
