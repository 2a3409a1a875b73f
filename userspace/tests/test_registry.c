// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The node registry: OCKAM_HOME, private directories and their checks,
 * atomic writes, the running-node lock and /node/NAME resolution.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ockam/ockam.h>

#include "tap.h"

/* A fresh OCKAM_HOME for one test; removed by cleanup_home(). */
static char home[64];

static void fresh_home(void)
{
	strcpy(home, "/tmp/ockam-unit-XXXXXX");
	if (!mkdtemp(home))
		tap_check_failed(__FILE__, __LINE__, "mkdtemp: %s",
				 strerror(errno));
	setenv("OCKAM_HOME", home, 1);
}

static void cleanup_home(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	if (system(cmd) != 0)
		tap_check_failed(__FILE__, __LINE__, "cannot remove %s", home);
	unsetenv("OCKAM_HOME");
}

static void home_defaults(void)
{
	char buf[OCKAM_PATH_MAX], *saved = getenv("HOME");

	saved = saved ? strdup(saved) : NULL;
	setenv("OCKAM_HOME", "/x/y", 1);
	CHECK_INT(ockam_home(buf, sizeof(buf)), 0);
	CHECK_STR(buf, "/x/y");
	unsetenv("OCKAM_HOME");
	setenv("HOME", "/home/u", 1);
	CHECK_INT(ockam_home(buf, sizeof(buf)), 0);
	CHECK_STR(buf, "/home/u/.ockam");
	unsetenv("HOME");
	CHECK_INT(ockam_home(buf, sizeof(buf)), 0);
	CHECK_STR(buf, "/var/lib/ockam");
	CHECK_INT(ockam_home(buf, 4), -ENAMETOOLONG);
	if (saved) {
		setenv("HOME", saved, 1);
		free(saved);
	}
	setenv("OCKAM_HOME", "/h", 1);
	CHECK_INT(ockam_node_dir("n1", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "/h/nodes/n1");
	CHECK_INT(ockam_node_path("n1", "pid", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "/h/nodes/n1/pid");
	CHECK_INT(ockam_node_dir("../x", buf, sizeof(buf)), -EINVAL);
	unsetenv("OCKAM_HOME");
}

/* A relative OCKAM_HOME means the same directory after a chdir(). */
static void home_relative(void)
{
	char cwd[OCKAM_PATH_MAX], want[OCKAM_PATH_MAX + 16];
	char buf[OCKAM_PATH_MAX], *saved = getenv("HOME");

	saved = saved ? strdup(saved) : NULL;
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	setenv("OCKAM_HOME", "state/ockam", 1);
	snprintf(want, sizeof(want), "%s/state/ockam", cwd);
	CHECK_INT(ockam_home(buf, sizeof(buf)), 0);
	CHECK_STR(buf, want);
	unsetenv("OCKAM_HOME");
	setenv("HOME", "me", 1);
	snprintf(want, sizeof(want), "%s/me/.ockam", cwd);
	CHECK_INT(ockam_home(buf, sizeof(buf)), 0);
	CHECK_STR(buf, want);
	if (chdir("/") == 0) {
		CHECK_INT(ockam_home(buf, sizeof(buf)), 0);
		CHECK_STR(buf, "/me/.ockam");
		CHECK_INT(chdir(cwd), 0);
	}
	if (saved) {
		setenv("HOME", saved, 1);
		free(saved);
	} else {
		unsetenv("HOME");
	}
}

static void node_names(void)
{
	char name[80];

	CHECK(ockam_node_name_ok("n1"));
	CHECK(ockam_node_name_ok("relay_a.b-c"));
	CHECK(!ockam_node_name_ok(""));
	CHECK(!ockam_node_name_ok(".hidden"));
	CHECK(!ockam_node_name_ok("-opt"));
	CHECK(!ockam_node_name_ok("a/b"));
	CHECK(!ockam_node_name_ok("a b"));
	memset(name, 'n', sizeof(name));
	name[OCKAM_NODE_NAME_MAX] = '\0';
	CHECK(ockam_node_name_ok(name));
	name[OCKAM_NODE_NAME_MAX] = 'n';
	name[OCKAM_NODE_NAME_MAX + 1] = '\0';
	CHECK(!ockam_node_name_ok(name));
	CHECK_STR(ockam_node_name_strip("/node/n1"), "n1");
	CHECK_STR(ockam_node_name_strip("n1"), "n1");
	CHECK(ockam_node_name_strip("/node/") == NULL);
	CHECK(ockam_node_name_strip("/service/x") == NULL);
}

static void private_dirs_and_atomic_files(void)
{
	char dir[OCKAM_PATH_MAX], path[OCKAM_PATH_MAX], buf[64];
	struct stat st, before;
	struct dirent *de;
	struct ockam_err err;
	int entries = 0;
	DIR *d;

	fresh_home();
	CHECK_INT(ockam_node_dir("n1", dir, sizeof(dir)), 0);
	CHECK_INT(ockam_mkdir_private(dir, &err), 0);
	CHECK_INT(ockam_mkdir_private(dir, &err), 0);
	CHECK_INT(stat(dir, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/nodes", home);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0700);

	CHECK_INT(ockam_write_file_atomic(dir, "pid", "123\n", 4, &err), 0);
	CHECK_INT(ockam_node_path("n1", "pid", path, sizeof(path)), 0);
	CHECK_INT(ockam_read_file(path, buf, sizeof(buf)), 4);
	CHECK_STR(buf, "123\n");
	CHECK_INT(stat(path, &before), 0);
	CHECK_INT(before.st_mode & 07777, 0600);

	/* Replacing is a rename over the old file: a new inode appears
	 * whole, readers never see a half-written one.
	 */
	CHECK_INT(ockam_write_file_atomic(dir, "pid", "4567\n", 5, &err), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK(st.st_ino != before.st_ino);
	CHECK_INT(ockam_read_file(path, buf, sizeof(buf)), 5);
	CHECK_STR(buf, "4567\n");
	CHECK_INT(ockam_read_file(path, buf, 3), 2);
	CHECK_STR(buf, "45");

	/* No temporary files left behind. */
	d = opendir(dir);
	CHECK(d != NULL);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' || strlen(de->d_name) > 2)
			entries++;
	if (d)
		closedir(d);
	CHECK_INT(entries, 1);

	CHECK_INT(ockam_write_file_atomic("/nonexistent/dir", "f", "x", 1, &err),
		  -ENOENT);
	CHECK_CONTAINS(err.msg, "cannot open /nonexistent/dir");
	CHECK_INT(ockam_read_file("/nonexistent/file", buf, sizeof(buf)), -ENOENT);
	cleanup_home();
}

/* Through a directory descriptor, never through a symbolic link. */
static void atomic_files_at(void)
{
	char dir[OCKAM_PATH_MAX], path[OCKAM_PATH_MAX], buf[64];
	struct ockam_err err;
	struct stat st;
	int fd;

	fresh_home();
	fd = ockam_node_dir_open("n1", true, NULL, &err);
	CHECK(fd >= 0);
	CHECK_INT(ockam_write_file_atomicat(fd, "listeners", "a:1\n", 4, &err),
		  0);
	CHECK_INT(ockam_node_path("n1", "listeners", path, sizeof(path)), 0);
	CHECK_INT(ockam_read_file(path, buf, sizeof(buf)), 4);
	CHECK_STR(buf, "a:1\n");
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	/* A symbolic link in the way is replaced, not written through. */
	ockam_node_dir("n1", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/target", dir);
	CHECK_INT(ockam_write_file_atomicat(fd, "target", "keep", 4, &err), 0);
	CHECK_INT(symlinkat("target", fd, "pid"), 0);
	CHECK_INT(ockam_write_file_atomicat(fd, "pid", "1\n", 2, &err), 0);
	CHECK_INT(ockam_read_file(path, buf, sizeof(buf)), 4);
	CHECK_STR(buf, "keep");
	CHECK_INT(fstatat(fd, "pid", &st, AT_SYMLINK_NOFOLLOW), 0);
	CHECK(S_ISREG(st.st_mode));
	close(fd);
	cleanup_home();
}

/* State directories must be the caller's alone, and real directories. */
static void node_dir_checks(void)
{
	char dir[OCKAM_PATH_MAX], path[OCKAM_PATH_MAX];
	struct ockam_err err;
	bool created;
	int fd;

	fresh_home();
	CHECK_INT(ockam_node_dir_open("n1", false, &created, &err), -ENOENT);
	fd = ockam_node_dir_open("n1", true, &created, &err);
	CHECK(fd >= 0 && created);
	close(fd);
	fd = ockam_node_dir_open("n1", true, &created, &err);
	CHECK(fd >= 0 && !created);
	close(fd);
	CHECK_INT(ockam_node_dir_open("../n1", true, &created, &err), -EINVAL);

	ockam_node_dir("n1", dir, sizeof(dir));
	CHECK_INT(chmod(dir, 0770), 0);
	CHECK_INT(ockam_node_dir_open("n1", false, NULL, &err), -EPERM);
	CHECK_CONTAINS(err.msg, "is writable by group or others (mode 0770)");
	CHECK_INT(chmod(dir, 0755), 0);
	fd = ockam_node_dir_open("n1", false, NULL, &err);
	CHECK(fd >= 0);
	close(fd);

	snprintf(path, sizeof(path), "%s/nodes", home);
	CHECK_INT(chmod(path, 0777), 0);
	CHECK_INT(ockam_node_dir_open("n1", false, NULL, &err), -EPERM);
	CHECK_CONTAINS(err.msg, "/nodes is writable by group or others");
	CHECK_INT(chmod(path, 0700), 0);

	/* A node directory that is a symbolic link, even to a good one. */
	snprintf(path, sizeof(path), "%s/nodes/n2", home);
	CHECK_INT(symlink(dir, path), 0);
	CHECK_INT(ockam_node_dir_open("n2", true, NULL, &err), -ENOTDIR);
	CHECK_CONTAINS(err.msg, "is not a directory (a symbolic link?)");

	/* Someone else's directory, where root can make one. */
	if (geteuid() == 0) {
		CHECK_INT(chown(dir, 1, 1), 0);
		CHECK_INT(ockam_node_dir_open("n1", false, NULL, &err), -EPERM);
		CHECK_CONTAINS(err.msg, "belongs to uid 1, not to uid 0");
	}
	cleanup_home();
}

/*
 * A child that holds the node lock like a daemon until told to quit. It
 * writes no pid file: the pid comes from the lock.
 */
static pid_t fake_daemon(const char *name, int *release)
{
	int ready[2], quit[2], dir_fd;
	pid_t pid;
	char c;

	if (pipe(ready) < 0 || pipe(quit) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(quit[1]);
		dir_fd = ockam_node_dir_open(name, true, NULL, NULL);
		if (dir_fd < 0 || ockam_node_lock(dir_fd, NULL, NULL) < 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		if (read(quit[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(quit[0]);
	if (read(ready[0], &c, 1) != 1)
		pid = -1;
	close(ready[0]);
	*release = quit[1];
	return pid;
}

static void running_lock(void)
{
	char dir[OCKAM_PATH_MAX];
	char list[4][OCKAM_HOSTPORT_MAX + 1];
	char **names;
	struct ockam_route rt;
	struct ockam_err err;
	size_t count;
	pid_t pid, found = 0, holder;
	int release, status, dir_fd, lock_fd, fd;

	fresh_home();
	CHECK_INT(ockam_node_running("n1", &found), 0);
	/* A pid file left by a daemon that was killed means nothing. */
	ockam_node_dir("n1", dir, sizeof(dir));
	ockam_mkdir_private(dir, NULL);
	ockam_write_file_atomic(dir, OCKAM_NODE_PID_FILE, "1\n", 2, NULL);
	CHECK_INT(ockam_node_running("n1", &found), 0);
	pid = fake_daemon("n1", &release);
	CHECK(pid > 0);
	CHECK_INT(ockam_node_running("n1", &found), 1);
	CHECK_INT(found, pid);
	CHECK_INT(ockam_node_running("n1", NULL), 1);
	/* Asking does not take the lock: a second look sees the same. */
	CHECK_INT(ockam_node_running("n1", &found), 1);
	CHECK_INT(found, pid);

	/* Nobody else gets the lock, and learns who has it. */
	dir_fd = ockam_node_dir_open("n1", false, NULL, &err);
	CHECK(dir_fd >= 0);
	holder = 0;
	CHECK_INT(ockam_node_lock(dir_fd, &holder, &err), -EWOULDBLOCK);
	CHECK_INT(holder, pid);

	/* /node/n1 resolves to the first listener, wildcards to loopback. */
	ockam_node_dir("n1", dir, sizeof(dir));
	ockam_write_file_atomic(dir, OCKAM_NODE_LISTENERS_FILE,
				"0.0.0.0:4000\n[::1]:5000\n", 24, NULL);
	CHECK_INT(ockam_node_listeners("n1", list, 4, &count), 0);
	CHECK_INT(count, 2);
	CHECK_STR(list[1], "[::1]:5000");
	ockam_route_init(&rt);
	CHECK_INT(ockam_registry_resolve_node("n1", &rt, NULL, &err), 0);
	CHECK_INT(rt.hops, 1);
	CHECK_INT(rt.addr[0].type, OCKAM_ADDR_TCP);
	CHECK_STR(rt.addr[0].value, "127.0.0.1:4000");
	CHECK_INT(ockam_route_parse(&rt, "/node/n1/service/echo",
				    ockam_registry_resolve_node, NULL, &err), 0);
	CHECK_INT(rt.hops, 2);

	/* Same process, same netns: this is the node of our netns. */
	{
		char name[OCKAM_NODE_NAME_MAX + 1];
		pid_t npid;

		CHECK_INT(ockam_node_in_current_netns(name, sizeof(name), &npid), 1);
		CHECK_STR(name, "n1");
		CHECK_INT(npid, pid);
	}

	close(release);
	waitpid(pid, &status, 0);
	CHECK_INT(ockam_node_running("n1", &found), 0);
	CHECK_INT(ockam_registry_resolve_node("n1", &rt, NULL, &err), -ENOENT);
	CHECK_CONTAINS(err.msg, "node n1 is not running");
	CHECK_INT(ockam_registry_resolve_node("nope", &rt, NULL, &err), -ENOENT);

	ockam_node_dir("n0", dir, sizeof(dir));
	ockam_mkdir_private(dir, NULL);
	snprintf(dir, sizeof(dir), "%s/nodes/.tmp", home);
	mkdir(dir, 0700);
	/* Neither a link to a node nor a stray file is a node. */
	snprintf(dir, sizeof(dir), "%s/nodes/alias", home);
	CHECK_INT(symlink("n1", dir), 0);
	snprintf(dir, sizeof(dir), "%s/nodes/file", home);
	fd = open(dir, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_INT(ockam_node_names(&names, &count), 0);
	CHECK_INT(count, 2);
	if (count == 2) {
		CHECK_STR(names[0], "n0");
		CHECK_STR(names[1], "n1");
	}
	ockam_node_names_free(names, count);

	/* The lock is free now; with it, the directory can go. */
	lock_fd = ockam_node_lock(dir_fd, &holder, &err);
	CHECK(lock_fd >= 0);
	CHECK_INT(ockam_node_dir_remove("n1", dir_fd, &err), 0);
	ockam_node_dir("n1", dir, sizeof(dir));
	CHECK(access(dir, F_OK) < 0 && errno == ENOENT);
	close(lock_fd);
	/* A lock taken in a directory removed meanwhile is worthless. */
	CHECK_INT(ockam_node_lock(dir_fd, &holder, &err), -ENOENT);
	close(dir_fd);
	cleanup_home();
}

SUITE(registry_suite, "registry",
      TEST(home_defaults),
      TEST(home_relative),
      TEST(node_names),
      TEST(private_dirs_and_atomic_files),
      TEST(atomic_files_at),
      TEST(node_dir_checks),
      TEST(running_lock));
