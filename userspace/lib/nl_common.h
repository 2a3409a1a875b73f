/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Pieces shared by the netlink request client and the event socket.
 */
#ifndef OCKAM_LIB_NL_COMMON_H
#define OCKAM_LIB_NL_COMMON_H

#include <netlink/attr.h>
#include <netlink/socket.h>

#include "internal.h"

/* Called for each message of a reply with its parsed attributes. */
typedef int (*nl_item_fn)(struct nlattr **tb, void *arg,
			  struct ockam_err *err);

/* A generic netlink socket with extended ACKs and the family resolved. */
int ockam_nl_connect(struct nl_sock **sk, int *family_id,
		     struct ockam_err *err);

/* The negative errno for a libnl error code. */
int ockam_nl_errno(int nlerr);

/*
 * Copy the extack message (NLMSGERR_ATTR_MSG) that follows the first
 * @offset bytes of @nlh into @buf; leaves @buf empty when there is none.
 */
void ockam_nl_extack(const struct nlmsghdr *nlh, size_t offset, char *buf,
		     size_t size);

/*
 * The attributes of top-level nest @nest of a message parsed into @tb, in
 * @ntb (attribute numbers up to @maxtype); all absent when @nest is 0.
 * -EPROTO when the nest is missing or malformed.
 */
int ockam_nl_parse_nest(struct nlattr **tb, int nest, struct nlattr **ntb,
			int maxtype);

/* A u32 attribute, or 0 when absent or short. */
uint32_t ockam_nla_u32(const struct nlattr *attr);

/* A string attribute into @buf (truncated, always terminated; "" if absent). */
void ockam_nla_string(const struct nlattr *attr, char *buf, size_t size);

#endif /* OCKAM_LIB_NL_COMMON_H */
