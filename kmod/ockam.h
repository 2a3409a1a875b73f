/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module-wide settings shared by every file.
 */
#ifndef _OCKAM_H
#define _OCKAM_H

#include <linux/workqueue.h>

/* The address family number the module registered (module parameter). */
extern int ockam_family;

/*
 * Teardown and freeing of transports and channels. Its work items wait for
 * transmit work, so that lives on a queue of its own: waiting for work on
 * one's own WQ_MEM_RECLAIM queue can deadlock when only its rescuer runs.
 */
extern struct workqueue_struct *ockam_wq;

/*
 * Transport transmit work; WQ_MEM_RECLAIM too, with a rescuer of its own,
 * since reclaim work may only wait for reclaim work.
 */
extern struct workqueue_struct *ockam_tx_wq;

#endif /* _OCKAM_H */
