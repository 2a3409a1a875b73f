// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The daemon's files in the node registry. The lock is held for the whole
 * life of the process; the lock file itself is never removed, so two
 * daemons can never hold locks on different inodes for one node.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "daemon.h"

void state_path(const struct daemon *d, const char *file, char *buf,
		size_t size)
{
	if (ockam_node_path(d->name, file, buf, size) < 0)
		buf[0] = '\0';
}

int state_lock(struct daemon *d, struct ockam_err *err)
{
	char path[OCKAM_PATH_MAX];
	pid_t pid;

	state_path(d, OCKAM_NODE_LOCK_FILE, path, sizeof(path));
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd < 0)
		return ockam_err_set(err, -errno, "cannot open %s: %s", path,
				     strerror(errno));
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		int ret = -errno;

		close(d->lock_fd);
		d->lock_fd = -1;
		if (ret != -EWOULDBLOCK)
			return ockam_err_set(err, ret, "cannot lock %s: %s", path,
					     strerror(-ret));
		if (ockam_node_running(d->name, &pid) == 1)
			return ockam_err_set(err, -EEXIST,
					     "node %s is already running (pid %d)",
					     d->name, (int)pid);
		return ockam_err_set(err, -EEXIST, "node %s is already running",
				     d->name);
	}
	return 0;
}

int state_write_pid(struct daemon *d, struct ockam_err *err)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	return ockam_write_file_atomic(d->dir, OCKAM_NODE_PID_FILE, buf, len,
				       err);
}

void state_remove_runtime(struct daemon *d)
{
	static const char *const files[] = {
		OCKAM_NODE_PID_FILE, OCKAM_NODE_LISTENERS_FILE,
	};
	char path[OCKAM_PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		state_path(d, files[i], path, sizeof(path));
		unlink(path);
	}
}
