// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The node registry: one directory per node under $OCKAM_HOME/nodes, shared
 * by the CLI and the daemon. The daemon holds a POSIX record lock on the
 * node's lock file for as long as it runs; everyone else asks the kernel
 * who holds it (F_GETLK), which tells a running node from a stale
 * directory, and gives the daemon's pid, without trusting any file.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "text.h"

#define DEFAULT_HOME_ROOT "/var/lib/ockam"

/* Names tried for a temporary file before giving up. */
enum { TEMP_NAME_TRIES = 64 };

_Static_assert(sizeof(OCKAM_NODE_LONGEST_FILE) >= sizeof(OCKAM_NODE_PID_FILE) &&
	       sizeof(OCKAM_NODE_LONGEST_FILE) >= sizeof(OCKAM_NODE_LOCK_FILE) &&
	       sizeof(OCKAM_NODE_LONGEST_FILE) >= sizeof(OCKAM_NODE_LOG_FILE) &&
	       sizeof(OCKAM_NODE_LONGEST_FILE) >=
	       sizeof(OCKAM_NODE_LISTENERS_FILE),
	       "OCKAM_NODE_LONGEST_FILE must be the longest registry file name");

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

/* @dir as given when absolute, else joined to the current directory. */
static int path_absolute(char *buf, size_t size, const char *dir,
			 const char *suffix)
{
	char cwd[OCKAM_PATH_MAX];

	if (dir[0] == '/')
		return path_join(buf, size, "%s%s", dir, suffix);
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	return path_join(buf, size, "%s/%s%s", strcmp(cwd, "/") ? cwd : "",
			 dir, suffix);
}

OCKAM_EXPORT int ockam_home(char *buf, size_t size)
{
	const char *home = getenv("OCKAM_HOME");

	if (home && *home)
		return path_absolute(buf, size, home, "");
	home = getenv("HOME");
	if (home && *home)
		return path_absolute(buf, size, home, "/.ockam");
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

/*
 * A directory that holds node state must be the caller's alone: the daemon
 * often runs as root and trusts what it finds there.
 */
static int check_private_dir(int fd, const char *path, struct ockam_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return ockam_err_set(err, -errno, "cannot stat %s: %s", path,
				     strerror(errno));
	if (st.st_uid != geteuid())
		return ockam_err_set(err, -EPERM,
				     "%s belongs to uid %u, not to uid %u; refusing to use it",
				     path, (unsigned int)st.st_uid,
				     (unsigned int)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return ockam_err_set(err, -EPERM,
				     "%s is writable by group or others (mode %04o); refusing to use it",
				     path, (unsigned int)(st.st_mode & 07777));
	return 0;
}

/*
 * Directory @name of @parent (@path, for messages), created first when
 * @create, opened without following a symbolic link and checked.
 */
static int open_private_dir(int parent, const char *name, const char *path,
			    bool create, bool *created, struct ockam_err *err)
{
	int fd, ret;

	if (create) {
		if (mkdirat(parent, name, 0700) == 0) {
			if (created)
				*created = true;
		} else if (errno != EEXIST) {
			return ockam_err_set(err, -errno,
					     "cannot create directory %s: %s",
					     path, strerror(errno));
		}
	}
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				  O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ELOOP || ret == -ENOTDIR)
			return ockam_err_set(err, -ENOTDIR,
					     "%s is not a directory (a symbolic link?); refusing to use it",
					     path);
		return ockam_err_set(err, ret, "cannot open %s: %s", path,
				     strerror(-ret));
	}
	ret = check_private_dir(fd, path, err);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

OCKAM_EXPORT int ockam_node_dir_open(const char *name, bool create,
				     bool *created, struct ockam_err *err)
{
	char home[OCKAM_PATH_MAX], nodes[OCKAM_PATH_MAX], path[OCKAM_PATH_MAX];
	int home_fd, nodes_fd, fd, ret;

	if (created)
		*created = false;
	if (!ockam_node_name_ok(name))
		return ockam_err_set(err, -EINVAL, "'%s' is not a valid node name",
				     name);
	ret = ockam_home(home, sizeof(home));
	if (ret < 0)
		return ockam_err_set(err, ret, "cannot find OCKAM_HOME: %s",
				     strerror(-ret));
	if (path_join(nodes, sizeof(nodes), "%s/nodes", home) < 0 ||
	    path_join(path, sizeof(path), "%s/%s", nodes, name) < 0)
		return ockam_err_set(err, -ENAMETOOLONG,
				     "node directory path too long: %s/nodes/%s",
				     home, name);
	if (create) {
		ret = ockam_mkdir_private(home, err);
		if (ret < 0)
			return ret;
	}
	/* OCKAM_HOME itself may be a symbolic link: the user's choice. */
	home_fd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (home_fd < 0)
		return ockam_err_set(err, -errno, "cannot open %s: %s", home,
				     strerror(errno));
	nodes_fd = open_private_dir(home_fd, "nodes", nodes, create, NULL, err);
	close(home_fd);
	if (nodes_fd < 0)
		return nodes_fd;
	fd = open_private_dir(nodes_fd, name, path, create, created, err);
	close(nodes_fd);
	return fd;
}

OCKAM_EXPORT int ockam_node_lock(int dirfd, pid_t *holder,
				 struct ockam_err *err)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct stat st;
	int fd, ret;

	if (holder)
		*holder = 0;
	fd = openat(dirfd, OCKAM_NODE_LOCK_FILE,
		    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ockam_err_set(err, -errno, "cannot open the lock file: %s",
				     strerror(errno));
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		ret = -errno;
		if (ret != -EAGAIN && ret != -EACCES) {
			ockam_err_set(err, ret, "cannot lock the lock file: %s",
				      strerror(-ret));
			goto err_close;
		}
		/* Who has it? We hold no lock on it, so F_GETLK tells. */
		fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET };
		if (holder && fcntl(fd, F_GETLK, &fl) == 0 &&
		    fl.l_type != F_UNLCK && fl.l_pid > 0)
			*holder = fl.l_pid;
		ret = ockam_err_set(err, -EWOULDBLOCK,
				    "the node lock is held by another process");
		goto err_close;
	}
	/* Whoever removed the directory held the lock until it was gone. */
	if (fstat(fd, &st) < 0 || !st.st_nlink) {
		ret = ockam_err_set(err, -ESTALE,
				    "the node directory was removed meanwhile");
		goto err_close;
	}
	return fd;

err_close:
	close(fd);
	return ret;
}

/* Empty directory @fd (@path, for messages), subdirectories included. */
static int remove_contents(int fd, const char *path, struct ockam_err *err)
{
	struct dirent *de;
	int dup_fd, sub, ret = 0;
	DIR *d;

	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0)
		return ockam_err_set(err, -errno, "cannot read %s: %s", path,
				     strerror(errno));
	d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return ockam_err_set(err, -errno, "cannot read %s: %s", path,
				     strerror(errno));
	}
	while (!ret && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!unlinkat(fd, de->d_name, 0) || errno == ENOENT)
			continue;
		if (errno != EISDIR) {
			ret = ockam_err_set(err, -errno, "cannot remove %s/%s: %s",
					    path, de->d_name, strerror(errno));
			break;
		}
		sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY |
					     O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			ret = ockam_err_set(err, -errno, "cannot open %s/%s: %s",
					    path, de->d_name, strerror(errno));
			break;
		}
		ret = remove_contents(sub, de->d_name, err);
		close(sub);
		if (!ret && unlinkat(fd, de->d_name, AT_REMOVEDIR) < 0)
			ret = ockam_err_set(err, -errno, "cannot remove %s/%s: %s",
					    path, de->d_name, strerror(errno));
	}
	closedir(d);
	return ret;
}

OCKAM_EXPORT int ockam_node_dir_remove(const char *name, int dirfd,
				       struct ockam_err *err)
{
	char path[OCKAM_PATH_MAX];
	struct stat by_fd, by_path;
	int ret;

	ret = ockam_node_dir(name, path, sizeof(path));
	if (ret < 0)
		return ockam_err_set(err, ret, "bad node name '%s'", name);
	ret = remove_contents(dirfd, path, err);
	if (ret < 0)
		return ret;
	/* Only the directory we emptied, should another have replaced it. */
	if (fstat(dirfd, &by_fd) < 0 ||
	    fstatat(AT_FDCWD, path, &by_path, AT_SYMLINK_NOFOLLOW) < 0)
		return ockam_err_set(err, -errno, "cannot stat %s: %s", path,
				     strerror(errno));
	if (by_fd.st_dev != by_path.st_dev || by_fd.st_ino != by_path.st_ino)
		return ockam_err_set(err, -ESTALE,
				     "%s was replaced while being removed", path);
	if (rmdir(path) < 0)
		return ockam_err_set(err, -errno, "cannot remove %s: %s", path,
				     strerror(errno));
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

/*
 * A new file ".FILE.PID.N" in @dirfd, its name in @tmp. O_EXCL never
 * opens what is there already, a symbolic link included, so the names
 * need only be unlikely to collide; one left by a process that died is
 * skipped.
 */
static int temp_create(int dirfd, const char *file, char *tmp, size_t size)
{
	static unsigned int counter;
	int tries, fd;

	for (tries = 0; tries < TEMP_NAME_TRIES; tries++) {
		if (path_join(tmp, size, ".%s.%d.%u", file, (int)getpid(),
			      counter++) < 0)
			return -ENAMETOOLONG;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd < 0 ? -errno : fd;
	}
	return -EEXIST;
}

/* The work of both ockam_write_file_atomic*(); @where names @dirfd. */
static int write_atomic(int dirfd, const char *where, const char *file,
			const void *data, size_t len, struct ockam_err *err)
{
	char tmp[OCKAM_PATH_MAX];
	int fd, ret;

	fd = temp_create(dirfd, file, tmp, sizeof(tmp));
	if (fd < 0)
		return ockam_err_set(err, fd, "cannot create a temporary file for %s%s: %s",
				     where, file, strerror(-fd));
	ret = write_all(fd, data, len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (ret < 0) {
		ockam_err_set(err, ret, "cannot write %s%s: %s", where, tmp,
			      strerror(-ret));
		goto err_unlink;
	}
	if (renameat(dirfd, tmp, dirfd, file) < 0) {
		ret = ockam_err_set(err, -errno, "cannot rename %s%s to %s: %s",
				    where, tmp, file, strerror(errno));
		goto err_unlink;
	}
	/* Make the rename itself durable. */
	fsync(dirfd);
	return 0;

err_unlink:
	unlinkat(dirfd, tmp, 0);
	return ret;
}

OCKAM_EXPORT int ockam_write_file_atomicat(int dirfd, const char *file,
					   const void *data, size_t len,
					   struct ockam_err *err)
{
	return write_atomic(dirfd, "", file, data, len, err);
}

OCKAM_EXPORT int ockam_write_file_atomic(const char *dir, const char *file,
					 const void *data, size_t len,
					 struct ockam_err *err)
{
	char where[OCKAM_PATH_MAX];
	int dirfd, ret;

	if (path_join(where, sizeof(where), "%s/", dir) < 0)
		return ockam_err_set(err, -ENAMETOOLONG, "path too long: %s",
				     dir);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return ockam_err_set(err, -errno, "cannot open %s: %s", dir,
				     strerror(errno));
	ret = write_atomic(dirfd, where, file, data, len, err);
	close(dirfd);
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
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[OCKAM_PATH_MAX];
	int fd, ret;

	ret = ockam_node_path(name, OCKAM_NODE_LOCK_FILE, path, sizeof(path));
	if (ret < 0)
		return ret;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	ret = fcntl(fd, F_GETLK, &fl) < 0 ? -errno : 0;
	close(fd);
	if (ret < 0)
		return ret;
	if (fl.l_type == F_UNLCK)
		return 0;
	/* Held, but by a process our pid namespace cannot see. */
	if (pid && fl.l_pid <= 0)
		return -ESRCH;
	if (pid)
		*pid = fl.l_pid;
	return 1;
}

/* A real directory: a symbolic link would give one node two names. */
static bool is_directory(DIR *d, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
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
		if (!ockam_node_name_ok(de->d_name) ||
		    !is_directory(d, de))
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
