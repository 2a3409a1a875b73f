/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Small helpers shared by libockam, ockam, ockamd and their tests; not
 * installed.
 */
#ifndef OCKAM_UTIL_H
#define OCKAM_UTIL_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The largest errno value, as the kernel's MAX_ERRNO: errors carried in
 * control replies and netlink attributes are 1..OCKAM_ERRNO_MAX.
 */
enum { OCKAM_ERRNO_MAX = 4095 };

/*
 * Unlink @item from the singly-linked list whose head is *@headp, linked
 * through the member "next". Nothing happens when @item is not on it.
 */
#define slist_remove(headp, item)					\
	do {								\
		__typeof__(item) *pp_;					\
									\
		for (pp_ = (headp); *pp_; pp_ = &(*pp_)->next) {	\
			if (*pp_ == (item)) {				\
				*pp_ = (item)->next;			\
				break;					\
			}						\
		}							\
	} while (0)

#endif /* OCKAM_UTIL_H */
