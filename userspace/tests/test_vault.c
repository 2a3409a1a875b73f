// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The vault on a real directory: create, get, list, delete, the default
 * identity, names, file and directory modes, no temporary files left,
 * and every kind of bad file -- corrupt, truncated, grown, foreign-owned,
 * open to others, a link, a FIFO -- refused with an error that names it,
 * never replaced by a new identity. The tests run as root, so that files
 * can be given to another user.
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

#include <sodium.h>

#include "../ockamd/vault.h"
#include "tap.h"

/* Not the uid the tests run as. */
enum { FOREIGN_UID = 4242 };

struct node_dir {
	char path[64];
	int fd;
};

static bool node_dir_new(struct node_dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/ockam-vault-XXXXXX");
	if (!mkdtemp(d->path)) {
		tap_check_failed(__FILE__, __LINE__, "mkdtemp: %s",
				 strerror(errno));
		return false;
	}
	d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(d->fd >= 0);
	return d->fd >= 0;
}

static void node_dir_remove(struct node_dir *d)
{
	char cmd[128];

	close(d->fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	if (system(cmd) != 0)
		tap_check_failed(__FILE__, __LINE__, "cannot remove %s",
				 d->path);
}

static struct vault *open_vault(struct node_dir *d)
{
	struct vault *v = NULL;
	struct ockam_err err;

	if (vault_open(d->fd, &v, &err) < 0)
		tap_check_failed(__FILE__, __LINE__, "vault_open: %s",
				 ockam_err_msg(&err));
	return v;
}

/*
 * A vault in a new node directory; NULL, with the directory removed
 * again, when either cannot be made.
 */
static struct vault *new_vault(struct node_dir *d)
{
	struct vault *v;

	if (!node_dir_new(d))
		return NULL;
	v = open_vault(d);
	if (!v)
		node_dir_remove(d);
	return v;
}

/*
 * A new node directory whose vault holds identity @name, closed again:
 * the tests of what is on disk start from there.
 */
static bool node_dir_with(struct node_dir *d, const char *name,
			  int64_t attestation_ttl)
{
	struct identity *id;
	struct ockam_err err;
	struct vault *v = new_vault(d);

	if (!v)
		return false;
	CHECK_INT(vault_create(v, name, attestation_ttl, &id, &err), 0);
	vault_close(v);
	return true;
}

/* identities/ under the node directory, and identities/NAME. */
static void vault_dir(const struct node_dir *d, char *buf, size_t size)
{
	snprintf(buf, size, "%s/" VAULT_DIR, d->path);
}

static void vault_file(const struct node_dir *d, const char *name,
		       char *buf, size_t size)
{
	snprintf(buf, size, "%s/" VAULT_DIR "/%s", d->path, name);
}

/* The names in identities/, space-separated, in directory order sorted. */
static void listing(const struct node_dir *d, char *buf, size_t size)
{
	char path[128], *names[32];
	struct dirent *de;
	size_t n = 0, i, j;
	DIR *dir;

	buf[0] = '\0';
	vault_dir(d, path, sizeof(path));
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir)) && n < ARRAY_SIZE(names))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			names[n++] = strdup(de->d_name);
	closedir(dir);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(names[i], names[j]) > 0) {
				char *t = names[i];

				names[i] = names[j];
				names[j] = t;
			}
	for (i = 0; i < n; i++) {
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s",
			 i ? " " : "", names[i]);
		free(names[i]);
	}
}

static int collect(const char *name, const struct identity *id, void *arg)
{
	char *out = arg;

	(void)id;
	snprintf(out + strlen(out), 256 - strlen(out), "%s%s",
		 out[0] ? " " : "", name);
	return 0;
}

static int stop_at_second(const char *name, const struct identity *id,
			  void *arg)
{
	int *calls = arg;

	(void)name;
	(void)id;
	return ++*calls == 2 ? 7 : 0;
}

/* ------------------------------------------------------------ tests */

static void create_get_list_delete(void)
{
	uint8_t first[IDENTIFIER_BYTES];
	struct identity *a, *b, *again;
	char path[128], names[256];
	struct node_dir d;
	struct ockam_err err;
	struct stat st;
	struct vault *v;
	int calls = 0;

	v = new_vault(&d);
	if (!v)
		return;
	CHECK_INT(vault_create(v, "bob", 0, &b, &err), 0);
	a = NULL;
	CHECK_INT(vault_create(v, "alice", 0, &a, &err), 0);
	if (!a) {
		vault_close(v);
		goto out;
	}
	memcpy(first, identity_identifier(a), sizeof(first));
	CHECK_INT(vault_create(v, "alice", 0, &again, &err), -EEXIST);
	CHECK_CONTAINS(err.msg, "identity alice already exists");
	CHECK_INT(vault_get(v, "alice", &again, &err), 0);
	CHECK(again == a);
	CHECK_INT(vault_get(v, "carol", &again, &err), -ENOENT);
	CHECK_CONTAINS(err.msg, "no identity carol");

	/* Directory 0700, files 0600. */
	vault_dir(&d, path, sizeof(path));
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0700);
	vault_file(&d, "alice", path, sizeof(path));
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(st.st_size, IDENTITY_RECORD_LEN);

	names[0] = '\0';
	CHECK_INT(vault_for_each(v, collect, names, &err), 0);
	CHECK_STR(names, "alice bob");
	CHECK_INT(vault_for_each(v, stop_at_second, &calls, &err), 7);
	CHECK_INT(calls, 2);
	vault_close(v);

	/* From disk, the same identity. */
	v = open_vault(&d);
	if (!v)
		goto out;
	a = NULL;
	CHECK_INT(vault_get(v, "alice", &a, &err), 0);
	CHECK(a && !memcmp(identity_identifier(a), first, sizeof(first)));
	CHECK_INT(vault_delete(v, "bob", &err), 0);
	CHECK_INT(vault_get(v, "bob", &b, &err), -ENOENT);
	CHECK_INT(vault_delete(v, "bob", &err), -ENOENT);
	names[0] = '\0';
	CHECK_INT(vault_for_each(v, collect, names, &err), 0);
	CHECK_STR(names, "alice");
	/* A deleted name can be created again: a new identity. */
	CHECK_INT(vault_create(v, "bob", 0, &b, &err), 0);
	vault_close(v);
out:
	node_dir_remove(&d);
}

static void default_identity(void)
{
	uint8_t first[IDENTIFIER_BYTES];
	struct identity *id, *again;
	struct node_dir d;
	struct ockam_err err;
	struct vault *v;
	char names[256];

	v = new_vault(&d);
	if (!v)
		return;
	CHECK_INT(vault_get(v, VAULT_DEFAULT_NAME, &id, &err), -ENOENT);
	id = NULL;
	CHECK_INT(vault_get_default(v, &id, &err), 0);
	if (!id)
		goto close;
	memcpy(first, identity_identifier(id), sizeof(first));
	CHECK_INT(vault_get_default(v, &again, &err), 0);
	CHECK(again == id);
	vault_close(v);
	v = open_vault(&d);
	if (!v)
		goto out;
	id = NULL;
	CHECK_INT(vault_get_default(v, &id, &err), 0);
	CHECK(id && !memcmp(identity_identifier(id), first, sizeof(first)));
	listing(&d, names, sizeof(names));
	CHECK_STR(names, "default");
close:
	vault_close(v);
out:
	node_dir_remove(&d);
}

static void names(void)
{
	static const char *const bad[] = {
		"", ".", "..", ".hidden", "-x", "a/b", "a b", "é", "x\n",
		"0123456789012345678901234567890123456789012345678901234567890123x",
	};
	struct identity *id;
	struct node_dir d;
	struct ockam_err err;
	struct vault *v;
	size_t i;

	v = new_vault(&d);
	if (!v)
		return;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK_INT(vault_create(v, bad[i], 0, &id, &err), -EINVAL);
		CHECK_CONTAINS(err.msg, "invalid identity name");
		CHECK_INT(vault_get(v, bad[i], &id, &err), -EINVAL);
		CHECK_INT(vault_delete(v, bad[i], &err), -EINVAL);
	}
	CHECK_INT(vault_get(v, NULL, &id, &err), -EINVAL);
	CHECK(vault_name_ok("a.b-c_D9"));
	CHECK(vault_name_ok("0123456789012345678901234567890123456789012345678901234567890123"));
	CHECK_INT(vault_create(v, "a.b-c_D9", 0, &id, &err), 0);
	vault_close(v);
	node_dir_remove(&d);
}

/* Writes leave nothing behind; a crash's leftover is cleared at open. */
static void no_temporary_files(void)
{
	char names[256], path[128];
	struct identity *id;
	struct node_dir d;
	struct ockam_err err;
	struct vault *v;
	int fd;

	v = new_vault(&d);
	if (!v)
		return;
	CHECK_INT(vault_create(v, "one", 0, &id, &err), 0);
	CHECK_INT(vault_create(v, "two", 0, &id, &err), 0);
	CHECK_INT(vault_create(v, "two", 0, &id, &err), -EEXIST);
	CHECK_INT(vault_create(v, "three", 0, &id, &err), 0);
	CHECK_INT(vault_delete(v, "three", &err), 0);
	listing(&d, names, sizeof(names));
	CHECK_STR(names, "one two");
	vault_close(v);

	vault_file(&d, ".one.tmp.999.0", path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	v = open_vault(&d);
	listing(&d, names, sizeof(names));
	CHECK_STR(names, "one two");
	vault_close(v);
	node_dir_remove(&d);
}

/* The file's bytes, for corrupting. */
static size_t read_file(const char *path, uint8_t *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, size);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

static void write_file(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, buf, len) == (ssize_t)len);
	close(fd);
}

/* A fresh vault's answer for @name, with its message. */
static int get_fresh(struct node_dir *d, const char *name,
		     struct ockam_err *err)
{
	struct identity *id;
	struct vault *v = open_vault(d);
	int ret;

	if (!v)
		return -EIO;
	ockam_err_clear(err);
	ret = vault_get(v, name, &id, err);
	vault_close(v);
	return ret;
}

static void corrupt_files(void)
{
	uint8_t good[IDENTITY_RECORD_LEN + 1], bad[IDENTITY_RECORD_LEN + 1];
	struct node_dir d;
	struct ockam_err err;
	char path[128], where[128];
	size_t len, i;
	int ret;

	if (!node_dir_with(&d, "x", 0))
		return;
	vault_file(&d, "x", path, sizeof(path));
	snprintf(where, sizeof(where), "%s/" VAULT_DIR "/x is corrupt", d.path);
	len = read_file(path, good, sizeof(good));
	CHECK_INT(len, IDENTITY_RECORD_LEN);

	/* Every byte changed, one at a time. */
	for (i = 0; i < len; i++) {
		memcpy(bad, good, len);
		bad[i] ^= 0x55;
		write_file(path, bad, len);
		ret = get_fresh(&d, "x", &err);
		if (ret != -EBADMSG || !strstr(err.msg, where))
			tap_check_failed(__FILE__, __LINE__,
					 "byte %zu changed: %d \"%s\"", i, ret,
					 err.msg);
	}
	/* Every truncation, and a byte too many. */
	for (i = 0; i < len; i++) {
		write_file(path, good, i);
		ret = get_fresh(&d, "x", &err);
		if (ret != -EBADMSG || !strstr(err.msg, where))
			tap_check_failed(__FILE__, __LINE__,
					 "cut to %zu bytes: %d \"%s\"", i, ret,
					 err.msg);
	}
	CHECK_CONTAINS(err.msg, "truncated");
	write_file(path, good, 0);
	CHECK_INT(get_fresh(&d, "x", &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "corrupt: empty");
	memcpy(bad, good, len);
	bad[len] = 0;
	write_file(path, bad, len + 1);
	CHECK_INT(get_fresh(&d, "x", &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "341 bytes");

	/* Put right again, it loads. */
	write_file(path, good, len);
	CHECK_INT(get_fresh(&d, "x", &err), 0);
	node_dir_remove(&d);
}

/* A corrupt default identity is an error, never a new default. */
static void corrupt_default_kept(void)
{
	uint8_t before[IDENTITY_RECORD_LEN], after[IDENTITY_RECORD_LEN];
	struct identity *id;
	struct node_dir d;
	struct ockam_err err;
	struct vault *v;
	char path[128];
	size_t len;

	v = new_vault(&d);
	if (!v)
		return;
	CHECK_INT(vault_get_default(v, &id, &err), 0);
	vault_close(v);
	vault_file(&d, VAULT_DEFAULT_NAME, path, sizeof(path));
	len = read_file(path, before, sizeof(before));
	before[100] ^= 1;
	write_file(path, before, len);
	v = open_vault(&d);
	if (!v)
		goto out;
	CHECK_INT(vault_get_default(v, &id, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "corrupt");
	vault_close(v);
	CHECK_INT(read_file(path, after, sizeof(after)), len);
	CHECK(!memcmp(before, after, len));
out:
	node_dir_remove(&d);
}

static void owner_and_mode(void)
{
	struct node_dir d;
	struct ockam_err err;
	char path[128], dir[128];
	struct vault *v;

	if (!node_dir_with(&d, "x", 0))
		return;
	vault_file(&d, "x", path, sizeof(path));

	CHECK_INT(chmod(path, 0640), 0);
	CHECK_INT(get_fresh(&d, "x", &err), -EPERM);
	CHECK_CONTAINS(err.msg, "/x has mode 0640");
	CHECK_INT(chmod(path, 0604), 0);
	CHECK_INT(get_fresh(&d, "x", &err), -EPERM);
	CHECK_INT(chmod(path, 0400), 0);
	CHECK_INT(get_fresh(&d, "x", &err), 0);
	CHECK_INT(chmod(path, 0600), 0);

	/* Root may chown; the vault still refuses a file not its own. */
	CHECK_INT(chown(path, FOREIGN_UID, (gid_t)-1), 0);
	CHECK_INT(get_fresh(&d, "x", &err), -EPERM);
	CHECK_CONTAINS(err.msg, "is owned by uid 4242");
	CHECK_INT(chown(path, geteuid(), (gid_t)-1), 0);
	CHECK_INT(get_fresh(&d, "x", &err), 0);

	/* The directory: ours and 0700, or no vault at all. */
	vault_dir(&d, dir, sizeof(dir));
	CHECK_INT(chmod(dir, 0755), 0);
	v = NULL;
	CHECK_INT(vault_open(d.fd, &v, &err), -EPERM);
	CHECK_CONTAINS(err.msg, "has mode 0755");
	CHECK(!v);
	CHECK_INT(chmod(dir, 0700), 0);
	CHECK_INT(chown(dir, FOREIGN_UID, (gid_t)-1), 0);
	CHECK_INT(vault_open(d.fd, &v, &err), -EPERM);
	CHECK_CONTAINS(err.msg, "is owned by uid 4242");
	CHECK_INT(chown(dir, geteuid(), (gid_t)-1), 0);
	node_dir_remove(&d);
}

/* Links and special files are refused without following or blocking. */
static void not_regular_files(void)
{
	char path[128], target[128], dir[128];
	struct identity *id;
	struct node_dir d;
	struct ockam_err err;
	struct vault *v;

	if (!node_dir_with(&d, "real", 0))
		return;
	vault_file(&d, "real", target, sizeof(target));
	vault_file(&d, "link", path, sizeof(path));
	CHECK_INT(symlink(target, path), 0);
	CHECK_INT(get_fresh(&d, "link", &err), -ELOOP);
	CHECK_CONTAINS(err.msg, "symbolic link");
	vault_file(&d, "fifo", path, sizeof(path));
	CHECK_INT(mkfifo(path, 0600), 0);
	CHECK_INT(get_fresh(&d, "fifo", &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "not a regular file");
	vault_file(&d, "sub", path, sizeof(path));
	CHECK_INT(mkdir(path, 0700), 0);
	CHECK_INT(get_fresh(&d, "sub", &err), -EINVAL);
	/* create does not write through an existing link */
	v = open_vault(&d);
	if (v) {
		CHECK_INT(vault_create(v, "link", 0, &id, &err), -EEXIST);
		vault_close(v);
	}

	/* identities itself a link: refused. */
	vault_dir(&d, dir, sizeof(dir));
	snprintf(target, sizeof(target), "%s/elsewhere", d.path);
	CHECK_INT(rename(dir, target), 0);
	CHECK_INT(symlink(target, dir), 0);
	v = NULL;
	CHECK(vault_open(d.fd, &v, &err) < 0);
	CHECK_CONTAINS(err.msg, "cannot open the identities directory");
	CHECK(!v);
	node_dir_remove(&d);
}

/* An attestation made expired, through the vault and back from disk. */
static void expired_through_vault(void)
{
	uint8_t payload[IDENTITY_PAYLOAD_MAX];
	uint64_t now = (uint64_t)time(NULL);
	struct identity_peer peer;
	struct identity *id;
	struct node_dir d;
	struct ockam_err err;
	struct vault *v;
	size_t len;

	if (!node_dir_with(&d, "stale", -3600))
		return;
	v = open_vault(&d);
	if (!v)
		goto out;
	id = NULL;
	CHECK_INT(vault_get(v, "stale", &id, &err), 0);
	if (id) {
		CHECK(identity_attestation_expires(id) <= now - 3600 + 5);
		CHECK_INT(identity_payload_encode(id, payload, sizeof(payload),
						  &len), 0);
		CHECK_INT(identity_payload_parse(payload, len, now, &peer, &err),
			  -EKEYEXPIRED);
	}
	vault_close(v);
out:
	node_dir_remove(&d);
}

SUITE(vault_suite, "vault",
      TEST(create_get_list_delete),
      TEST(default_identity),
      TEST(names),
      TEST(no_temporary_files),
      TEST(corrupt_files),
      TEST(corrupt_default_kept),
      TEST(owner_and_mode),
      TEST(not_regular_files),
      TEST(expired_through_vault));
