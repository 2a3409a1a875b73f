/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module-wide settings shared by every file.
 */
#ifndef _OCKAM_H
#define _OCKAM_H

#include <linux/workqueue.h>

/* The address family number the module registered (module parameter). */
extern int ockam_family;

/* Transport transmit and teardown work. */
extern struct workqueue_struct *ockam_wq;

#endif /* _OCKAM_H */
