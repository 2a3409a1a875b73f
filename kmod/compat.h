/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels the module is built for: Debian's 6.1
 * and 6.12 (Documentation/install.rst). Every version check of the module
 * is here, one code path per kernel on either side of it, so the rest of
 * the code is written against one API. The versions are where mainline
 * changed; only the two kernels above are built and tested.
 */
#ifndef _OCKAM_COMPAT_H
#define _OCKAM_COMPAT_H

#include <linux/version.h>
#include <linux/net.h>
#include <linux/skbuff.h>
#include <net/tcp.h>

/* 6.12 moved the unaligned access helpers out of asm/. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* 6.11 moved the skb fragment reference helpers out of skbuff.h. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#include <linux/skbuff_ref.h>
#endif

/*
 * Send @len bytes of @page at @offset on a locked TCP socket, taking a
 * reference to the page instead of copying it; @flags as for sendmsg
 * (MSG_MORE while more follows). The page must pass sendpage_ok().
 * 6.5 removed sendpage: pages are spliced in from a bvec iterator.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
static inline int ockam_sendpage_locked(struct sock *sk, struct page *page,
					u32 offset, u32 len, int flags)
{
	struct msghdr msg = { .msg_flags = MSG_SPLICE_PAGES | flags };
	struct bio_vec bvec;

	bvec_set_page(&bvec, page, len, offset);
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, &bvec, 1, len);
	return tcp_sendmsg_locked(sk, &msg, len);
}
#else
static inline int ockam_sendpage_locked(struct sock *sk, struct page *page,
					u32 offset, u32 len, int flags)
{
	if (flags & MSG_MORE)
		flags |= MSG_SENDPAGE_NOTLAST;
	return kernel_sendpage_locked(sk, page, offset, len, flags);
}
#endif

#endif /* _OCKAM_COMPAT_H */
