// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A node is a network namespace; its daemon's /proc/PID/ns/net is the way
 * in for commands that talk to the kernel side of another node.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

OCKAM_EXPORT int ockam_netns_same(pid_t pid)
{
	char path[64];
	struct stat self, other;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat("/proc/self/ns/net", &self) < 0 || stat(path, &other) < 0)
		return -errno;
	return self.st_dev == other.st_dev && self.st_ino == other.st_ino;
}

OCKAM_EXPORT int ockam_netns_enter(pid_t pid, struct ockam_err *err)
{
	char path[64];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ockam_err_set(err, -errno, "cannot open %s: %s", path,
				     strerror(errno));
	if (setns(fd, CLONE_NEWNET) < 0)
		ret = ockam_err_set(err, -errno,
				    "cannot enter the network namespace of process %d: %s%s",
				    (int)pid, strerror(errno),
				    errno == EPERM ? " (needs CAP_SYS_ADMIN)" : "");
	close(fd);
	return ret;
}
