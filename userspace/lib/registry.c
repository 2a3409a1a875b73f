// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The node registry: one directory per node under $OCKAM_HOME/nodes, shared
 * by the CLI and the daemon. The daemon holds an exclusive flock() on the
 * node's lock file for as long as it runs, which is how everyone else
 * tells a running node from a stale directory without trusting pids.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "text.h"

#define DEFAULT_HOME_ROOT "/var/lib/ockam"

OCKAM_EXPORT bool ockam_node_name_ok(const char *name)
{
	size_t i, len = strlen(name);

	if (!len || len > OCKAM_NODE_NAME_MAX || name[0] == '.' ||
	    name[0] == '-')
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return false;
	}
	return true;
}

OCKAM_EXPORT const char *ockam_node_name_strip(const char *text)
{
	if (!strncmp(text, "/node/", 6))
		text += 6;
	return ockam_node_name_ok(text) ? text : NULL;
}

static int path_join(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int path_join(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

OCKAM_EXPORT int ockam_home(char *buf, size_t size)
{
	const char *home = getenv("OCKAM_HOME");

	if (home && *home)
		return path_join(buf, size, "%s", home);
	home = getenv("HOME");
	if (home && *home)
		return path_join(buf, size, "%s/.ockam", home);
	return path_join(buf, size, "%s", DEFAULT_HOME_ROOT);
}

OCKAM_EXPORT int ockam_node_dir(const char *name, char *buf, size_t size)
{
	char home[OCKAM_PATH_MAX];
	int ret;

	if (!ockam_node_name_ok(name))
		return -EINVAL;
	ret = ockam_home(home, sizeof(home));
	if (ret < 0)
		return ret;
	return path_join(buf, size, "%s/nodes/%s", home, name);
}

OCKAM_EXPORT int ockam_node_path(const char *name, const char *file,
				 char *buf, size_t size)
{
	char dir[OCKAM_PATH_MAX];
	int ret;

	ret = ockam_node_dir(name, dir, sizeof(dir));
	if (ret < 0)
		return ret;
	return path_join(buf, size, "%s/%s", dir, file);
}

OCKAM_EXPORT int ockam_mkdir_private(const char *path,
				     struct ockam_err *err)
{
	char tmp[OCKAM_PATH_MAX];
	size_t i, len = strlen(path);

	if (!len || len >= sizeof(tmp))
		return ockam_err_set(err, -ENAMETOOLONG, "bad directory path '%s'",
				     path);
	memcpy(tmp, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return ockam_err_set(err, -errno,
					     "cannot create directory %s: %s",
					     tmp, strerror(errno));
		tmp[i] = path[i];
	}
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

OCKAM_EXPORT int ockam_write_file_atomic(const char *dir, const char *file,
					 const void *data, size_t len,
					 struct ockam_err *err)
{
	char tmp[OCKAM_PATH_MAX], final[OCKAM_PATH_MAX];
	int fd, dfd, ret;

	if (path_join(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, file) < 0 ||
	    path_join(final, sizeof(final), "%s/%s", dir, file) < 0)
		return ockam_err_set(err, -ENAMETOOLONG, "path too long: %s/%s",
				     dir, file);
	/* mkstemp() creates the file with mode 0600. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return ockam_err_set(err, -errno, "cannot create %s: %s", tmp,
				     strerror(errno));
	ret = write_all(fd, data, len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (ret < 0) {
		ockam_err_set(err, ret, "cannot write %s: %s", tmp,
			      strerror(-ret));
		goto err_unlink;
	}
	if (rename(tmp, final) < 0) {
		ret = ockam_err_set(err, -errno, "cannot rename %s to %s: %s",
				    tmp, final, strerror(errno));
		goto err_unlink;
	}
	/* Make the rename itself durable. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;

err_unlink:
	unlink(tmp);
	return ret;
}

OCKAM_EXPORT ssize_t ockam_read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	int fd;

	if (!size)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return len;
}

OCKAM_EXPORT int ockam_node_running(const char *name, pid_t *pid)
{
	char path[OCKAM_PATH_MAX], buf[32], *end;
	int fd, ret, locked;
	long value;

	ret = ockam_node_path(name, OCKAM_NODE_LOCK_FILE, path, sizeof(path));
	if (ret < 0)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	locked = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	if (!locked)
		return 0;
	if (!pid)
		return 1;

	ret = ockam_node_path(name, OCKAM_NODE_PID_FILE, path, sizeof(path));
	if (ret < 0)
		return ret;
	/* The lock is taken before the pid is written: give it a moment. */
	for (int tries = 0; tries < 100; tries++) {
		if (ockam_read_file(path, buf, sizeof(buf)) > 0)
			break;
		usleep(10000);
	}
	value = strtol(buf, &end, 10);
	if (end == buf || value <= 0)
		return -ESRCH;
	*pid = value;
	return 1;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

OCKAM_EXPORT void ockam_node_names_free(char **names, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

OCKAM_EXPORT int ockam_node_names(char ***names, size_t *count)
{
	char home[OCKAM_PATH_MAX], dir[OCKAM_PATH_MAX];
	char **list = NULL, **grown;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int ret;

	*names = NULL;
	*count = 0;
	ret = ockam_home(home, sizeof(home));
	if (ret < 0)
		return ret;
	ret = path_join(dir, sizeof(dir), "%s/nodes", home);
	if (ret < 0)
		return ret;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!ockam_node_name_ok(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			grown = realloc(list, cap * sizeof(*list));
			if (!grown)
				goto err_nomem;
			list = grown;
		}
		list[n] = strdup(de->d_name);
		if (!list[n])
			goto err_nomem;
		n++;
	}
	closedir(d);
	if (n)
		qsort(list, n, sizeof(*list), compare_names);
	*names = list;
	*count = n;
	return 0;

err_nomem:
	closedir(d);
	ockam_node_names_free(list, n);
	return -ENOMEM;
}

OCKAM_EXPORT int ockam_node_listeners(const char *name,
				      char list[][OCKAM_HOSTPORT_MAX + 1],
				      size_t max, size_t *count)
{
	char path[OCKAM_PATH_MAX];
	char buf[OCKAM_LISTENERS_MAX * (OCKAM_HOSTPORT_MAX + 1) + 1];
	char *line, *save = NULL;
	ssize_t len;
	int ret;

	*count = 0;
	ret = ockam_node_path(name, OCKAM_NODE_LISTENERS_FILE, path,
			      sizeof(path));
	if (ret < 0)
		return ret;
	len = ockam_read_file(path, buf, sizeof(buf));
	if (len < 0)
		return len;
	for (line = strtok_r(buf, "\n", &save); line && *count < max;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!ockam_strlcpy(list[*count], line, OCKAM_HOSTPORT_MAX + 1))
			continue;
		(*count)++;
	}
	return 0;
}

OCKAM_EXPORT int ockam_registry_resolve_node(const char *name,
					     struct ockam_route *rt,
					     void *arg, struct ockam_err *err)
{
	char listeners[1][OCKAM_HOSTPORT_MAX + 1];
	char host[OCKAM_HOST_MAX + 1], value[OCKAM_HOSTPORT_MAX + 1];
	struct ockam_err inner;
	size_t count;
	uint16_t port;
	int ret, len;

	(void)arg;
	if (!ockam_node_name_ok(name))
		return ockam_err_set(err, -EINVAL, "'%s' is not a valid node name",
				     name);
	ret = ockam_node_running(name, NULL);
	if (ret < 0)
		return ockam_err_set(err, ret, "cannot check node %s: %s", name,
				     strerror(-ret));
	if (!ret)
		return ockam_err_set(err, -ENOENT, "node %s is not running", name);
	ret = ockam_node_listeners(name, listeners, 1, &count);
	if (ret < 0 || !count)
		return ockam_err_set(err, -ENOENT, "node %s has no TCP listener",
				     name);
	ret = ockam_hostport_split(listeners[0], host, sizeof(host), &port,
				   false, &inner);
	if (ret < 0)
		return ockam_err_set(err, ret, "node %s: bad listener: %s", name,
				     ockam_err_msg(&inner));
	/* A wildcard listener is reachable on the loopback address. */
	if (!strcmp(host, "0.0.0.0"))
		strcpy(host, "127.0.0.1");
	else if (!strcmp(host, "::"))
		strcpy(host, "::1");
	len = ockam_hostport_join(value, sizeof(value), host, port);
	if (len < 0)
		return ockam_err_set(err, len, "node %s: listener address too long",
				     name);
	return ockam_route_push(rt, OCKAM_ADDR_TCP, value, len, err);
}

OCKAM_EXPORT int ockam_node_in_current_netns(char *name, size_t size,
					     pid_t *pid)
{
	char **names;
	size_t count, i;
	int ret, found = 0;

	ret = ockam_node_names(&names, &count);
	if (ret < 0)
		return ret;
	for (i = 0; i < count && !found; i++) {
		pid_t node_pid;

		if (ockam_node_running(names[i], &node_pid) != 1)
			continue;
		if (ockam_netns_same(node_pid) != 1)
			continue;
		if (!ockam_strlcpy(name, names[i], size)) {
			ret = -ENAMETOOLONG;
			break;
		}
		if (pid)
			*pid = node_pid;
		found = 1;
	}
	ockam_node_names_free(names, count);
	return ret < 0 ? ret : found;
}
