// SPDX-License-Identifier: GPL-2.0
/*
 * AF_OCKAM: Ockam routing and secure channels as a Linux socket family.
 *
 * Start-up is ordered so each layer exists before anything that uses it:
 * node state per namespace, then the netlink family that configures
 * nodes, then the socket family last, because registering it lets any
 * process in. Shutdown runs the same list backwards.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <net/genetlink.h>

#include "channel.h"
#include "netlink.h"
#include "node.h"
#include "ockam.h"
#include "selftest/selftest.h"
#include "socket.h"

int ockam_family = AF_OCKAM_DEFAULT;
module_param_named(family, ockam_family, int, 0444);
MODULE_PARM_DESC(family, "address family number to register (default 22)");

struct workqueue_struct *ockam_wq;
struct workqueue_struct *ockam_tx_wq;

static int __init ockam_selftests(void)
{
#ifdef DEBUG
	if (!ockam_codec_selftest() || !ockam_table_selftest() ||
	    !ockam_channel_selftest())
		return -ENOTRECOVERABLE;
#endif
	return 0;
}

static int __init ockam_init(void)
{
	int err;

	if (ockam_family <= AF_UNSPEC || ockam_family >= NPROTO) {
		pr_err("family must be between 1 and %d\n", NPROTO - 1);
		return -EINVAL;
	}
	err = ockam_selftests();
	if (err)
		return err;

	ockam_wq = alloc_workqueue("ockam", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!ockam_wq)
		return -ENOMEM;
	/* Reclaim work may only wait for reclaim work: its own rescuer. */
	ockam_tx_wq = alloc_workqueue("ockam_tx", WQ_MEM_RECLAIM | WQ_UNBOUND,
				      0);
	if (!ockam_tx_wq) {
		err = -ENOMEM;
		goto err_wq;
	}
	err = ockam_channel_init();
	if (err)
		goto err_tx_wq;
	err = ockam_crypt_queue_init();
	if (err)
		goto err_channel;
	err = ockam_netns_init();
	if (err)
		goto err_crypt_queue;
	err = ockam_netlink_init();
	if (err)
		goto err_node;
	err = ockam_socket_init();
	if (err)
		goto err_netlink;
	/* Cannot fail, so last: nothing after it to unwind. */
	ockam_cipher_ceiling_init();

	pr_info("AF_OCKAM registered as address family %d\n", ockam_family);
	return 0;

err_netlink:
	ockam_netlink_uninit();
err_node:
	ockam_netns_exit();
err_crypt_queue:
	ockam_crypt_queue_uninit();
	rcu_barrier();
err_channel:
	ockam_channel_uninit();
err_tx_wq:
	destroy_workqueue(ockam_tx_wq);
err_wq:
	destroy_workqueue(ockam_wq);
	return err;
}

static void __exit ockam_exit(void)
{
	ockam_cipher_ceiling_exit();
	ockam_socket_uninit();
	ockam_netlink_uninit();
	ockam_netns_exit();
	ockam_crypt_queue_uninit();
	/* Transports, aliases and channels free themselves after a grace
	 * period.
	 */
	rcu_barrier();
	ockam_channel_uninit();
	destroy_workqueue(ockam_wq);
	destroy_workqueue(ockam_tx_wq);
}

module_init(ockam_init);
module_exit(ockam_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("AF_OCKAM: Ockam routing and secure channels");
MODULE_ALIAS_NETPROTO(AF_OCKAM_DEFAULT);
MODULE_ALIAS_GENL_FAMILY(OCKAM_GENL_NAME);
