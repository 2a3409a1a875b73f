// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The vault: identities/NAME under the node's directory, one identity
 * record (identity_export()) per file. Everything is reached through the
 * directory's descriptor and nothing follows a symbolic link. A new file
 * is written under a temporary name, synced, and renamed into place
 * without replacing anything, then the directory is synced: a crash
 * leaves either no identity or a whole one. Loading trusts nothing: the
 * file must be ours, closed to group and others, of the right size, and
 * its contents must check out (identity_import()). Key material read or
 * written passes only through locked memory that is wiped afterwards.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "secure_memory.h"
#include "util.h"
#include "vault.h"

_Static_assert((int)VAULT_NAME_MAX == (int)OCKAM_NODE_NAME_MAX,
	       "identity names follow the node name rule");

/* Temporary files: ".NAME" VAULT_TEMP_TAG "PID.N", never a valid name. */
#define VAULT_TEMP_TAG ".tmp."

enum vault_file_limits {
	VAULT_TEMP_TRIES = 64,
	VAULT_TEMP_NAME_MAX = VAULT_NAME_MAX + 48,
	/* Names listed before sorting; more is an error, not a truncation. */
	VAULT_LIST_MAX = 4096,
};

struct vault_entry {
	struct vault_entry *next;
	char name[VAULT_NAME_MAX + 1];
	struct identity *id;
};

struct vault {
	int dir_fd;
	char path[OCKAM_PATH_MAX];	/* of the directory, for messages */
	struct vault_entry *entries;	/* identities handed out */
};

bool vault_name_ok(const char *name)
{
	return name && ockam_node_name_ok(name);
}

static int bad_name(const char *name, struct ockam_err *err)
{
	return ockam_err_set(err, -EINVAL,
			     "invalid identity name '%s': 1 to %d letters, digits, '-', '_' or '.', not starting with '.' or '-'",
			     name ? name : "", VAULT_NAME_MAX);
}

/* Ours and closed to group and others, or -EPERM saying which. */
static int check_owner_mode(const struct stat *st, const char *path,
			    const char *name, struct ockam_err *err)
{
	const char *sep = name ? "/" : "";

	if (!name)
		name = "";
	if (st->st_uid != geteuid())
		return ockam_err_set(err, -EPERM,
				     "%s%s%s is owned by uid %u, not by uid %u: refusing to use it",
				     path, sep, name, (unsigned int)st->st_uid,
				     (unsigned int)geteuid());
	if (st->st_mode & (S_IRWXG | S_IRWXO))
		return ockam_err_set(err, -EPERM,
				     "%s%s%s has mode %04o: group or others have access; it must be %s",
				     path, sep, name,
				     (unsigned int)(st->st_mode & 07777),
				     S_ISDIR(st->st_mode) ? "0700" : "0600");
	return 0;
}

/* ---------------------------------------------------------- entries */

static struct vault_entry *entry_find(struct vault *v, const char *name)
{
	struct vault_entry *e;

	for (e = v->entries; e; e = e->next)
		if (!strcmp(e->name, name))
			return e;
	return NULL;
}

static int entry_add(struct vault *v, const char *name, struct identity *id,
		     struct ockam_err *err)
{
	struct vault_entry *e = calloc(1, sizeof(*e));

	if (!e) {
		identity_free(id);
		return ockam_err_set(err, -ENOMEM, "out of memory");
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->id = id;
	e->next = v->entries;
	v->entries = e;
	return 0;
}

static void entry_free(struct vault_entry *e)
{
	identity_free(e->id);
	free(e);
}

/* ---------------------------------------------------------- reading */

static int read_record(int fd, uint8_t *buf, size_t size, size_t *len)
{
	ssize_t n;

	*len = 0;
	while (*len < size) {
		n = read(fd, buf + *len, size - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		*len += (size_t)n;
	}
	return 0;
}

static int open_record(struct vault *v, const char *name,
		       struct ockam_err *err)
{
	struct stat st;
	int fd, ret;

	/* O_NONBLOCK: a FIFO planted here must not hang the daemon. */
	fd = openat(v->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
					     O_NONBLOCK | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return ockam_err_set(err, -ENOENT, "no identity %s", name);
	if (fd < 0 && errno == ELOOP)
		return ockam_err_set(err, -ELOOP,
				     "%s/%s is a symbolic link: refusing to follow it",
				     v->path, name);
	if (fd < 0)
		return ockam_err_set(err, -errno, "cannot open %s/%s: %s",
				     v->path, name, strerror(errno));
	if (fstat(fd, &st) < 0) {
		ret = ockam_err_set(err, -errno, "cannot stat %s/%s: %s",
				    v->path, name, strerror(errno));
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = ockam_err_set(err, -EINVAL, "%s/%s is not a regular file",
				    v->path, name);
		goto err_close;
	}
	ret = check_owner_mode(&st, v->path, name, err);
	if (ret < 0)
		goto err_close;
	if (st.st_size > IDENTITY_RECORD_LEN) {
		ret = ockam_err_set(err, -EBADMSG,
				    "%s/%s is corrupt: %lld bytes, an identity record has %d",
				    v->path, name, (long long)st.st_size,
				    IDENTITY_RECORD_LEN);
		goto err_close;
	}
	return fd;

err_close:
	close(fd);
	return ret;
}

static int load(struct vault *v, const char *name, struct identity **out,
		struct ockam_err *err)
{
	struct ockam_err why;
	size_t len;
	uint8_t *buf;
	int fd, ret;

	fd = open_record(v, name, err);
	if (fd < 0)
		return fd;
	/* One byte more than a record, to see a file that grew. */
	buf = secure_zalloc(IDENTITY_RECORD_LEN + 1);
	if (!buf) {
		close(fd);
		return ockam_err_set(err, -ENOMEM,
				     "no locked memory to read %s/%s", v->path,
				     name);
	}
	ret = read_record(fd, buf, IDENTITY_RECORD_LEN + 1, &len);
	close(fd);
	if (ret < 0) {
		ockam_err_set(err, ret, "cannot read %s/%s: %s", v->path, name,
			      strerror(-ret));
	} else if (!len) {
		ret = ockam_err_set(err, -EBADMSG, "%s/%s is corrupt: empty",
				    v->path, name);
	} else {
		ret = identity_import(out, buf, len, &why);
		if (ret < 0)
			ockam_err_set(err, ret, "%s/%s is corrupt: %s", v->path,
				      name, ockam_err_msg(&why));
	}
	secure_free(buf);
	return ret;
}

/* ---------------------------------------------------------- writing */

static int write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A new, empty, 0600 file under a temporary name, its name in @tmp. */
static int temp_create(struct vault *v, const char *name, char *tmp,
		       size_t size)
{
	static unsigned int counter;
	int tries, fd;

	for (tries = 0; tries < VAULT_TEMP_TRIES; tries++) {
		snprintf(tmp, size, ".%s" VAULT_TEMP_TAG "%d.%u", name,
			 (int)getpid(), counter++);
		fd = openat(v->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL |
						    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd < 0 ? -errno : fd;
	}
	return -EEXIST;
}

/*
 * Move @tmp to @name unless @name exists. renameat2() does that in one
 * step; on a file system without RENAME_NOREPLACE, link() is just as
 * exclusive, and the temporary name is removed after.
 */
static int install_no_replace(int dir_fd, const char *tmp, const char *name)
{
	if (!renameat2(dir_fd, tmp, dir_fd, name, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (linkat(dir_fd, tmp, dir_fd, name, 0) < 0)
		return -errno;
	unlinkat(dir_fd, tmp, 0);
	return 0;
}

static int write_record(struct vault *v, const char *name,
			const uint8_t *rec, size_t len, struct ockam_err *err)
{
	char tmp[VAULT_TEMP_NAME_MAX];
	int fd, ret;

	fd = temp_create(v, name, tmp, sizeof(tmp));
	if (fd < 0)
		return ockam_err_set(err, fd,
				     "cannot create a temporary file in %s: %s",
				     v->path, strerror(-fd));
	/* The mode must not depend on the umask. */
	ret = fchmod(fd, 0600) < 0 ? -errno : 0;
	if (!ret)
		ret = write_all(fd, rec, len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (ret < 0) {
		ockam_err_set(err, ret, "cannot write %s/%s: %s", v->path, tmp,
			      strerror(-ret));
		goto err_unlink;
	}
	ret = install_no_replace(v->dir_fd, tmp, name);
	if (ret == -EEXIST) {
		ockam_err_set(err, ret, "identity %s already exists", name);
		goto err_unlink;
	}
	if (ret < 0) {
		ockam_err_set(err, ret, "cannot rename %s/%s to %s: %s",
			      v->path, tmp, name, strerror(-ret));
		goto err_unlink;
	}
	/* The new name must survive a crash too. */
	if (fsync(v->dir_fd) < 0)
		return ockam_err_set(err, -errno, "cannot sync %s: %s", v->path,
				     strerror(errno));
	return 0;

err_unlink:
	unlinkat(v->dir_fd, tmp, 0);
	return ret;
}

static int store(struct vault *v, const char *name, const struct identity *id,
		 struct ockam_err *err)
{
	uint8_t *rec = secure_zalloc(IDENTITY_RECORD_LEN);
	size_t len;
	int ret;

	if (!rec)
		return ockam_err_set(err, -ENOMEM,
				     "no locked memory to write %s/%s", v->path,
				     name);
	ret = identity_export(id, rec, IDENTITY_RECORD_LEN, &len);
	if (ret < 0)
		ockam_err_set(err, ret, "cannot encode identity %s", name);
	else
		ret = write_record(v, name, rec, len, err);
	secure_free(rec);
	return ret;
}

/* ------------------------------------------------------------ vault */

static bool temp_name(const char *name)
{
	return name[0] == '.' && strstr(name, VAULT_TEMP_TAG);
}

/* Temporary files of an interrupted write hold secrets: remove them. */
static void remove_stale_temps(struct vault *v)
{
	struct dirent *de;
	DIR *dir;
	int fd;

	fd = openat(v->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((de = readdir(dir)))
		if (temp_name(de->d_name))
			unlinkat(v->dir_fd, de->d_name, 0);
	closedir(dir);
}

/* The directory's path, from the descriptor, for messages. */
static void vault_path(struct vault *v)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", v->dir_fd);
	n = readlink(link, v->path, sizeof(v->path) - 1);
	if (n <= 0 || (size_t)n >= sizeof(v->path) - 1)
		snprintf(v->path, sizeof(v->path), "%s", VAULT_DIR);
	else
		v->path[n] = '\0';
}

int vault_open(int dir_fd, struct vault **out, struct ockam_err *err)
{
	bool created = true;
	struct stat st;
	struct vault *v;
	int ret;

	if (mkdirat(dir_fd, VAULT_DIR, 0700) < 0) {
		if (errno != EEXIST)
			return ockam_err_set(err, -errno, "cannot create %s: %s",
					     VAULT_DIR, strerror(errno));
		created = false;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	v->dir_fd = openat(dir_fd, VAULT_DIR, O_RDONLY | O_DIRECTORY |
						      O_NOFOLLOW | O_CLOEXEC);
	if (v->dir_fd < 0) {
		ret = ockam_err_set(err, -errno,
				    "cannot open the %s directory: %s%s",
				    VAULT_DIR, strerror(errno),
				    errno == ENOTDIR || errno == ELOOP ?
					    " (a symbolic link or a file?)" : "");
		goto err_free;
	}
	vault_path(v);
	/* Ours from the start: the mode must not depend on the umask. */
	if (created && fchmod(v->dir_fd, 0700) < 0) {
		ret = ockam_err_set(err, -errno, "cannot set the mode of %s: %s",
				    v->path, strerror(errno));
		goto err_close;
	}
	if (fstat(v->dir_fd, &st) < 0) {
		ret = ockam_err_set(err, -errno, "cannot stat %s: %s", v->path,
				    strerror(errno));
		goto err_close;
	}
	ret = check_owner_mode(&st, v->path, NULL, err);
	if (ret < 0)
		goto err_close;
	remove_stale_temps(v);
	*out = v;
	return 0;

err_close:
	close(v->dir_fd);
err_free:
	free(v);
	return ret;
}

void vault_close(struct vault *v)
{
	struct vault_entry *e, *next;

	if (!v)
		return;
	for (e = v->entries; e; e = next) {
		next = e->next;
		entry_free(e);
	}
	close(v->dir_fd);
	free(v);
}

static uint64_t now_seconds(void)
{
	time_t t = time(NULL);

	return t > 0 ? (uint64_t)t : 0;
}

int vault_create(struct vault *v, const char *name, int64_t attestation_ttl,
		 struct identity **out, struct ockam_err *err)
{
	struct identity *id;
	struct stat st;
	int ret;

	if (!vault_name_ok(name))
		return bad_name(name, err);
	if (entry_find(v, name) ||
	    !fstatat(v->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW))
		return ockam_err_set(err, -EEXIST, "identity %s already exists",
				     name);
	ret = identity_generate(&id, now_seconds(), attestation_ttl, err);
	if (ret < 0)
		return ret;
	ret = store(v, name, id, err);
	if (ret < 0) {
		identity_free(id);
		return ret;
	}
	ret = entry_add(v, name, id, err);
	if (ret < 0)
		return ret;
	*out = id;
	return 0;
}

int vault_get(struct vault *v, const char *name, struct identity **out,
	      struct ockam_err *err)
{
	struct vault_entry *e;
	struct identity *id;
	int ret;

	if (!vault_name_ok(name))
		return bad_name(name, err);
	e = entry_find(v, name);
	if (e) {
		*out = e->id;
		return 0;
	}
	ret = load(v, name, &id, err);
	if (ret < 0)
		return ret;
	ret = entry_add(v, name, id, err);
	if (ret < 0)
		return ret;
	*out = id;
	return 0;
}

int vault_get_default(struct vault *v, struct identity **out,
		      struct ockam_err *err)
{
	int ret;

	ret = vault_get(v, VAULT_DEFAULT_NAME, out, err);
	if (ret != -ENOENT)
		return ret;
	ret = vault_create(v, VAULT_DEFAULT_NAME, 0, out, err);
	/* Made by someone else since we looked: use theirs. */
	if (ret == -EEXIST)
		ret = vault_get(v, VAULT_DEFAULT_NAME, out, err);
	return ret;
}

int vault_delete(struct vault *v, const char *name, struct ockam_err *err)
{
	struct vault_entry *e;

	if (!vault_name_ok(name))
		return bad_name(name, err);
	if (unlinkat(v->dir_fd, name, 0) < 0) {
		if (errno == ENOENT)
			return ockam_err_set(err, -ENOENT, "no identity %s",
					     name);
		return ockam_err_set(err, -errno, "cannot delete %s/%s: %s",
				     v->path, name, strerror(errno));
	}
	fsync(v->dir_fd);
	e = entry_find(v, name);
	if (e) {
		slist_remove(&v->entries, e);
		entry_free(e);
	}
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(char **names, size_t count)
{
	while (count)
		free(names[--count]);
	free(names);
}

/* The identity names in the directory, sorted. */
static int list_names(struct vault *v, char ***out, size_t *count,
		      struct ockam_err *err)
{
	char **names = NULL, **grown;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int fd, ret = 0;

	fd = openat(v->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		ret = ockam_err_set(err, -errno, "cannot list %s: %s", v->path,
				    strerror(errno));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	while ((de = readdir(dir))) {
		if (!vault_name_ok(de->d_name))
			continue;
		if (n == VAULT_LIST_MAX) {
			ret = ockam_err_set(err, -E2BIG,
					    "%s holds more than %d identities",
					    v->path, VAULT_LIST_MAX);
			break;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(names, cap * sizeof(*names));
			if (!grown) {
				ret = ockam_err_set(err, -ENOMEM, "out of memory");
				break;
			}
			names = grown;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			ret = ockam_err_set(err, -ENOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(dir);
	if (ret < 0) {
		names_free(names, n);
		return ret;
	}
	if (n)
		qsort(names, n, sizeof(*names), compare_names);
	*out = names;
	*count = n;
	return 0;
}

int vault_for_each(struct vault *v, vault_each_fn fn, void *arg,
		   struct ockam_err *err)
{
	struct identity *id;
	char **names = NULL;
	size_t count = 0, i;
	int ret;

	ret = list_names(v, &names, &count, err);
	if (ret < 0)
		return ret;
	for (i = 0; i < count; i++) {
		ret = vault_get(v, names[i], &id, err);
		/* Deleted since the listing: it is simply not there. */
		if (ret == -ENOENT) {
			ret = 0;
			continue;
		}
		if (ret < 0)
			break;
		ret = fn(names[i], id, arg);
		if (ret)
			break;
	}
	names_free(names, count);
	return ret;
}
