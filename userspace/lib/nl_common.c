// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Opening the "ockam" generic netlink family and reading kernel errors.
 */
#include <string.h>
#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "nl_common.h"

int ockam_nl_errno(int nlerr)
{
	static const struct {
		int nl;
		int sys;
	} map[] = {
		{ NLE_INTR, EINTR },
		{ NLE_BAD_SOCK, EBADF },
		{ NLE_AGAIN, EAGAIN },
		{ NLE_NOMEM, ENOMEM },
		{ NLE_EXIST, EEXIST },
		{ NLE_INVAL, EINVAL },
		{ NLE_RANGE, ERANGE },
		{ NLE_MSGSIZE, EMSGSIZE },
		{ NLE_OPNOTSUPP, EOPNOTSUPP },
		{ NLE_AF_NOSUPPORT, EAFNOSUPPORT },
		{ NLE_OBJ_NOTFOUND, ENOENT },
		{ NLE_NOATTR, ENOENT },
		{ NLE_MSG_TRUNC, EMSGSIZE },
		{ NLE_NOADDR, EADDRNOTAVAIL },
		{ NLE_BUSY, EBUSY },
		{ NLE_PERM, EPERM },
		{ NLE_NOACCESS, EACCES },
		{ NLE_NODEV, ENODEV },
		{ NLE_PROTO_MISMATCH, EPROTONOSUPPORT },
	};
	unsigned int i;

	if (nlerr < 0)
		nlerr = -nlerr;
	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].nl == nlerr)
			return -map[i].sys;
	return -EIO;
}

uint32_t ockam_nla_u32(const struct nlattr *attr)
{
	return attr && nla_len(attr) >= 4 ? nla_get_u32((struct nlattr *)attr) : 0;
}

int ockam_nl_parse_nest(struct nlattr **tb, int nest, struct nlattr **ntb,
			int maxtype)
{
	memset(ntb, 0, (maxtype + 1) * sizeof(*ntb));
	if (!nest)
		return 0;
	if (!tb[nest])
		return -EPROTO;
	return nla_parse_nested(ntb, maxtype, tb[nest], NULL) < 0 ? -EPROTO : 0;
}

void ockam_nla_string(const struct nlattr *attr, char *buf, size_t size)
{
	size_t len;

	buf[0] = '\0';
	if (!attr)
		return;
	len = strnlen(nla_data(attr), nla_len(attr));
	if (len >= size)
		len = size - 1;
	memcpy(buf, nla_data(attr), len);
	buf[len] = '\0';
}

void ockam_nl_extack(const struct nlmsghdr *nlh, size_t offset, char *buf,
		     size_t size)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct nlattr *attrs;

	buf[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || nlh->nlmsg_len <= offset)
		return;
	attrs = (struct nlattr *)((char *)nlh + offset);
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, attrs, nlh->nlmsg_len - offset,
		      NULL) < 0)
		return;
	ockam_nla_string(tb[NLMSGERR_ATTR_MSG], buf, size);
}

int ockam_nl_connect(struct nl_sock **out, int *family_id,
		     struct ockam_err *err)
{
	struct nl_sock *sk;
	int one = 1, ret;

	sk = nl_socket_alloc();
	if (!sk)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	ret = genl_connect(sk);
	if (ret < 0) {
		ret = ockam_err_set(err, ockam_nl_errno(ret),
				    "cannot open a generic netlink socket: %s",
				    nl_geterror(ret));
		goto err_free;
	}
	/* Ask for error strings, and do not echo requests back in errors.
	 * Kernels without these options still work, with terser errors.
	 */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	ret = genl_ctrl_resolve(sk, OCKAM_GENL_NAME);
	if (ret < 0) {
		ret = ockam_err_set(err, -ENOENT,
				    "the ockam kernel module is not loaded (no generic netlink family \"%s\")",
				    OCKAM_GENL_NAME);
		goto err_free;
	}
	*family_id = ret;
	*out = sk;
	return 0;

err_free:
	nl_socket_free(sk);
	return ret;
}
