// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The node's identities: the vault under the node's directory, opened at
 * start with the default identity (made on the first start), and the
 * identity requests of the control socket. A vault that cannot be read
 * fails the start or the request with the vault's own explanation; it is
 * never replaced by a fresh identity.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "secure.h"

int identities_open(struct daemon *d, struct ockam_err *err)
{
	struct ockam_err inner;
	struct identity *id;
	char text[IDENTIFIER_STR_LEN + 1];
	int ret;

	ret = vault_open(d->dir_fd, &d->vault, &inner);
	if (ret < 0)
		return ockam_err_set(err, ret, "vault: %s",
				     ockam_err_msg(&inner));
	ret = vault_get_default(d->vault, &id, &inner);
	if (ret < 0)
		return ockam_err_set(err, ret, "vault: %s",
				     ockam_err_msg(&inner));
	identifier_format(identity_identifier(id), text);
	log_info("default identity %s", text);
	return 0;
}

void identities_close(struct daemon *d)
{
	if (d->vault)
		vault_close(d->vault);
	d->vault = NULL;
}

static void identity_record(struct ockam_ctl_writer *w, const char *name,
			    const struct identity *id)
{
	char text[IDENTIFIER_STR_LEN + 1];

	identifier_format(identity_identifier(id), text);
	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "name", "%s", name);
	ockam_ctl_field(w, "identifier", "%s", text);
	ockam_ctl_field(w, "attestation-expires", "%llu",
			(unsigned long long)identity_attestation_expires(id));
	ockam_ctl_record_end(w);
}

int identity_create_request(struct daemon *d, const char *name,
			    int64_t attestation_ttl, struct ockam_ctl_writer *w,
			    struct ockam_err *err)
{
	struct identity *id;
	int ret;

	ret = vault_create(d->vault, name, attestation_ttl, &id, err);
	if (ret < 0)
		return ret;
	log_info("identity %s created", name);
	ockam_ctl_reply_ok(w);
	identity_record(w, name, id);
	return 0;
}

int identity_show_request(struct daemon *d, const char *name,
			  struct ockam_ctl_writer *w, struct ockam_err *err)
{
	struct identity *id;
	int ret;

	if (name)
		ret = vault_get(d->vault, name, &id, err);
	else
		ret = vault_get_default(d->vault, &id, err);
	if (ret < 0)
		return ret;
	ockam_ctl_reply_ok(w);
	identity_record(w, name ? name : VAULT_DEFAULT_NAME, id);
	return 0;
}

static int list_one(const char *name, const struct identity *id, void *arg)
{
	identity_record(arg, name, id);
	return 0;
}

int identity_list_request(struct daemon *d, struct ockam_ctl_writer *w,
			  struct ockam_err *err)
{
	ockam_ctl_reply_ok(w);
	return vault_for_each(d->vault, list_one, w, err);
}

int identity_delete_request(struct daemon *d, const char *name,
			    struct ockam_err *err)
{
	const char *listener;
	int ret;

	/* A listener would otherwise lose the identity it answers with. */
	if (secure_listener_uses_identity(d, name, &listener))
		return ockam_err_set(err, -EBUSY,
				     "identity %s is used by secure channel listener %s; delete the listener first",
				     name, listener);
	ret = vault_delete(d->vault, name, err);
	if (ret < 0)
		return ret;
	log_info("identity %s deleted", name);
	return 0;
}
