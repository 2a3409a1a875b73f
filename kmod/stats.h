/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU message counters for nodes and transports. Updated from process
 * context and softirq alike, so updates are interrupt-safe; read by summing
 * every CPU for netlink dumps.
 */
#ifndef _OCKAM_STATS_H
#define _OCKAM_STATS_H

#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>

#include "../uapi/linux/ockam.h"

struct ockam_stats {
	u64_stats_t count[__OCKAM_STAT_MAX];
	struct u64_stats_sync syncp;
};

struct ockam_stats __percpu *ockam_stats_alloc(void);
void ockam_stats_read(struct ockam_stats __percpu *stats,
		      u64 sum[__OCKAM_STAT_MAX]);

static inline void ockam_stats_add(struct ockam_stats __percpu *stats,
				   enum ockam_stat stat, u64 n)
{
	struct ockam_stats *s = get_cpu_ptr(stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_add(&s->count[stat], n);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
	put_cpu_ptr(stats);
}

static inline void ockam_stats_inc(struct ockam_stats __percpu *stats,
				   enum ockam_stat stat)
{
	ockam_stats_add(stats, stat, 1);
}

#endif /* _OCKAM_STATS_H */
