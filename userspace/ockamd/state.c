// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The daemon's files in the node registry, all reached through one
 * descriptor of the node's directory, whose owner and mode were checked
 * when it was opened; nothing here follows a symbolic link.
 *
 * The node lock is a POSIX record lock, held for the whole life of the
 * process. The process loses it when it closes *any* descriptor of the
 * lock file, so the file is opened exactly once, here, and nothing else
 * in the daemon may open it (ockam_node_running() on this node would).
 * The lock file stays while the directory does, so two daemons can never
 * hold locks on different inodes for one node.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "util.h"

/* Removed when the daemon stops: they describe a running node. */
static const char *const runtime_files[] = {
	OCKAM_NODE_PID_FILE, OCKAM_NODE_LISTENERS_FILE,
};

static int state_lock(struct daemon *d, struct ockam_err *err)
{
	struct ockam_err inner;
	pid_t holder;
	int ret;

	ret = ockam_node_lock(d->dir_fd, &holder, &inner);
	if (ret == -EWOULDBLOCK && holder > 0)
		return ockam_err_set(err, -EEXIST,
				     "node %s is already running (pid %d)",
				     d->name, (int)holder);
	if (ret == -EWOULDBLOCK)
		return ockam_err_set(err, -EEXIST, "node %s is already running",
				     d->name);
	if (ret < 0)
		return ockam_err_set(err, ret, "node %s: %s", d->name,
				     ockam_err_msg(&inner));
	d->lock_fd = ret;
	return 0;
}

/* For people and scripts; the registry asks the lock, not this file. */
static int state_write_pid(struct daemon *d, struct ockam_err *err)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	return ockam_write_file_atomicat(d->dir_fd, OCKAM_NODE_PID_FILE, buf,
					 len, err);
}

int state_open(struct daemon *d, struct ockam_err *err)
{
	int ret;

	ret = ockam_node_dir_open(d->name, true, &d->created_dir, err);
	if (ret < 0)
		return ret;
	d->dir_fd = ret;
	ret = state_lock(d, err);
	if (ret < 0)
		return ret;
	return state_write_pid(d, err);
}

void state_close(struct daemon *d, bool undo)
{
	struct ockam_err err;
	size_t i;

	/* Only the lock holder may touch the directory's contents. */
	if (d->lock_fd >= 0) {
		if (undo && d->created_dir) {
			if (ockam_node_dir_remove(d->name, d->dir_fd, &err) < 0)
				log_err("%s", ockam_err_msg(&err));
		} else {
			for (i = 0; i < ARRAY_SIZE(runtime_files); i++)
				unlinkat(d->dir_fd, runtime_files[i], 0);
		}
		/* Last, so nobody sees the node stopped before it is. */
		close(d->lock_fd);
		d->lock_fd = -1;
	}
	if (d->dir_fd >= 0) {
		close(d->dir_fd);
		d->dir_fd = -1;
	}
}
