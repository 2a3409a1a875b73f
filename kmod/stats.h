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

/*
 * The first @n counters of enum ockam_stat, @n fixed when allocated: a
 * channel, of which a node may hold 10^5, keeps only those a channel
 * counts (per CPU, each costs 8 bytes times the CPUs).
 */
struct ockam_stats {
	struct u64_stats_sync syncp;
	u64_stats_t count[];
};

enum ockam_stats_size {
	OCKAM_STATS_ALL = __OCKAM_STAT_MAX,
	/* A channel counts up to OCKAM_STAT_DROP_KEY_EXPIRED (crypt.c). */
	OCKAM_STATS_CHANNEL = OCKAM_STAT_DROP_KEY_EXPIRED + 1,
};

struct ockam_stats __percpu *ockam_stats_alloc(unsigned int n);
void ockam_stats_read(struct ockam_stats __percpu *stats, unsigned int n,
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
