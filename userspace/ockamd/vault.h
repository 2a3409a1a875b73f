/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The vault: one file per identity under the node's state directory
 * (identities/NAME), directories 0700 and files 0600, written atomically
 * (temporary file, fsync, rename, fsync of the directory). A file that is
 * corrupt, of the wrong size or mode, or owned by another user is an
 * error, never a reason to make a new identity.
 */
#ifndef OCKAMD_VAULT_H
#define OCKAMD_VAULT_H

#include <stdbool.h>
#include <stdint.h>

#include <ockam/ockam.h>

#include "identity.h"

#define VAULT_DIR		"identities"
#define VAULT_DEFAULT_NAME	"default"

enum vault_limits {
	/* Identity names: like node names. */
	VAULT_NAME_MAX = 64,
};

struct vault;

/*
 * Open (creating if needed) the vault under directory fd @dir_fd. The
 * directory must be ours and closed to group and others (-EPERM); a
 * temporary file a crash left behind is removed.
 */
int vault_open(int dir_fd, struct vault **out, struct ockam_err *err);
/* Frees every identity the vault handed out. */
void vault_close(struct vault *v);

/*
 * A new identity @name, written to disk before it is returned. -EEXIST if
 * @name exists, -EINVAL for a bad name. @attestation_ttl as for
 * identity_generate(): 0 is the default, negative an attestation that
 * expired that long ago. The vault keeps ownership of *out.
 */
int vault_create(struct vault *v, const char *name, int64_t attestation_ttl,
		 struct identity **out, struct ockam_err *err);
/*
 * -ENOENT if absent. The vault keeps ownership of *out (cached). A file
 * that is not ours or open to others is -EPERM; one that is not a
 * regular file -EINVAL; a corrupt one -EBADMSG; @err names the file.
 */
int vault_get(struct vault *v, const char *name, struct identity **out,
	      struct ockam_err *err);
/* The default identity, created on first use. */
int vault_get_default(struct vault *v, struct identity **out,
		      struct ockam_err *err);
/*
 * -ENOENT if absent. The identity the vault handed out for @name is
 * freed: pointers to it must be dropped first.
 */
int vault_delete(struct vault *v, const char *name, struct ockam_err *err);

/* Identity names: like node names (ockam_node_name_ok()). */
bool vault_name_ok(const char *name);

typedef int (*vault_each_fn)(const char *name, const struct identity *id,
			     void *arg);
/*
 * Every identity, sorted by name; stops at the first non-zero return,
 * and at the first file that cannot be loaded (its error).
 */
int vault_for_each(struct vault *v, vault_each_fn fn, void *arg,
		   struct ockam_err *err);

#endif /* OCKAMD_VAULT_H */
