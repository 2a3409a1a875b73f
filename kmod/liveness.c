// SPDX-License-Identifier: GPL-2.0
/*
 * Whether a secure channel's peer is still there, and what the channel
 * does about it. A channel outlives the transports under it:
 *
 *   UP          the peer is heard from;
 *   RECOVERING  the transport the route starts with went down, or the
 *               peer was silent for OCKAM_SILENT_INTERVALS keepalive
 *               intervals; the daemon is told (an event) and finds a new
 *               route, or the peer's next authenticated frame comes back;
 *   DOWN        it stayed RECOVERING for the node's give-up time; sends
 *               fail with ENETDOWN until the peer is heard from again or
 *               the daemon gives a new route.
 *
 * A keepalive is a data frame whose inner message has an empty onward
 * route, which Ockam nodes drop as a heartbeat; a one-byte payload of
 * OCKAM_KEEPALIVE_ASK asks the peer to answer with one at once. A channel
 * sends one after a keepalive interval without sending anything, and asks
 * when it has not heard from the peer for that long, so each end learns
 * within a bounded time that the other is gone whatever the other's
 * setting.
 *
 * One delayed work per node checks every channel, rather than a timer
 * per channel: a node may hold 10^5 channels, and the check is a few
 * reads for each.
 */
#include "channel.h"
#include "netlink.h"
#include "ockam.h"
#include "portal.h"
#include "route.h"
#include "tcp.h"

enum {
	/* Keepalive intervals without a word from the peer before the
	 * channel is RECOVERING: Ockam's session layer rebuilds after three
	 * missed pings.
	 */
	OCKAM_SILENT_INTERVALS = 3,
	/* The sweep runs at least this often (ms), for giving up. */
	OCKAM_SWEEP_MS_MAX = 1000,
};

void ockam_channel_live_init(struct ockam_channel *ch)
{
	unsigned long now = jiffies;

	ch->live.last_tx = now;
	ch->live.last_rx = now;
	ch->live.since = now;
	ch->live.state = OCKAM_CHANNEL_UP;
	ch->live.reason = OCKAM_STATE_R_INSTALLED;
}

/*
 * Every frame stamps the time, from any CPU: write only when the tick
 * moved, so that a busy channel's CPUs share the line rather than bounce
 * it on every frame.
 */
static void ockam_live_stamp(unsigned long *at)
{
	unsigned long now = jiffies;

	if (READ_ONCE(*at) != now)
		WRITE_ONCE(*at, now);
}

void ockam_channel_sent(struct ockam_channel *ch)
{
	ockam_live_stamp(&ch->live.last_tx);
}

/* An authenticated frame from the peer: whatever the state, it is UP. */
void ockam_channel_heard(struct ockam_channel *ch)
{
	ockam_live_stamp(&ch->live.last_rx);
	if (READ_ONCE(ch->live.state) != OCKAM_CHANNEL_UP)
		ockam_channel_change(ch, OCKAM_CHANNEL_UP, OCKAM_STATE_R_HEARD);
}

static bool ockam_channel_may_change(u8 from, enum ockam_channel_state to,
				     enum ockam_channel_state_reason why)
{
	switch (to) {
	case OCKAM_CHANNEL_UP:
		/* New keys are news even to a channel that is UP. */
		return from != OCKAM_CHANNEL_UP || why == OCKAM_STATE_R_REKEYED;
	case OCKAM_CHANNEL_RECOVERING:
		/* A new route revives a channel that gave up; one that is
		 * recovering keeps its start, so it still gives up in time.
		 */
		if (why == OCKAM_STATE_R_ROUTE_SET)
			return from == OCKAM_CHANNEL_DOWN;
		return from == OCKAM_CHANNEL_UP;
	case OCKAM_CHANNEL_DOWN:
		return from == OCKAM_CHANNEL_RECOVERING;
	default:
		return false;
	}
}

/* Move to @to for @why, if that is a move from where the channel is. */
void ockam_channel_change(struct ockam_channel *ch,
			  enum ockam_channel_state to,
			  enum ockam_channel_state_reason why)
{
	bool changed, portals;

	spin_lock_bh(&ch->rx.lock);
	changed = ockam_channel_may_change(ch->live.state, to, why);
	/* Back after an outage, or given up: see ockam_portal_node_refresh(). */
	portals = changed && (to == OCKAM_CHANNEL_DOWN ||
			      (to == OCKAM_CHANNEL_UP &&
			       ch->live.state != OCKAM_CHANNEL_UP));
	if (changed) {
		WRITE_ONCE(ch->live.state, to);
		WRITE_ONCE(ch->live.reason, why);
		WRITE_ONCE(ch->live.since, jiffies);
	}
	spin_unlock_bh(&ch->rx.lock);
	if (changed)
		ockam_netlink_channel_state(ch, to, why);
	if (portals)
		ockam_liveness_portals(ch->node);
}

/*
 * Have the node's portal sessions look at their channels again: one came
 * back, gave up or closed. From any context: they are walked under the
 * node's lock.
 */
void ockam_liveness_portals(struct ockam_node *node)
{
	queue_work(ockam_wq, &node->portal_refresh);
}

/* Send a keepalive along the channel's route; @ask: answer at once. */
void ockam_channel_keepalive(struct ockam_channel *ch, bool ask)
{
	if (READ_ONCE(ch->live.state) == OCKAM_CHANNEL_DOWN)
		return;
	if (ockam_channel_send_keepalive(ch, ask))
		return;
	ockam_channel_sent(ch);
	ockam_stats_inc(ch->node->stats, OCKAM_STAT_KEEPALIVES);
}

/*
 * The decrypted inner message @skb has an empty onward route: a keepalive
 * (the routing step drops it). Answer one that asks. Only the channel's
 * authenticated peer can ask, and gets one frame for one.
 */
void ockam_channel_keepalive_received(struct ockam_channel *ch,
				      struct sk_buff *skb,
				      const struct ockam_msg_view *msg)
{
	u8 ask;

	if (msg->payload_len != 1 ||
	    skb_copy_bits(skb, msg->header_len, &ask, 1) ||
	    ask != OCKAM_KEEPALIVE_ASK)
		return;
	ockam_channel_keepalive(ch, false);
}

/*
 * Transport @t went down: the channels whose route starts with it are
 * RECOVERING until the daemon gives them a new one. From @t's close work.
 */
void ockam_channel_transport_down(struct ockam_node *node,
				  const struct ockam_tcp *t)
{
	struct ockam_endpoint *ep;
	struct ockam_channel *ch;

	mutex_lock(&node->lock);
	if (node->dying)
		goto out;
	rcu_read_lock();
	list_for_each_entry(ep, ockam_node_list(node, OCKAM_KIND_ENCRYPTOR),
			    list) {
		ch = ockam_channel_from_encryptor(ep);
		if (ockam_channel_route_starts_with(ch, t))
			ockam_channel_change(ch, OCKAM_CHANNEL_RECOVERING,
					     OCKAM_STATE_R_ROUTE_DOWN);
	}
	rcu_read_unlock();
out:
	mutex_unlock(&node->lock);
}

/* One channel's check; times in jiffies, @keepalive 0 for none. */
static void ockam_liveness_check(struct ockam_channel *ch,
				 unsigned long keepalive,
				 unsigned long give_up, unsigned long now)
{
	u8 state = READ_ONCE(ch->live.state);
	unsigned long heard = READ_ONCE(ch->live.last_rx);
	bool ask;

	if (state == OCKAM_CHANNEL_DOWN)
		return;
	if (state == OCKAM_CHANNEL_RECOVERING &&
	    time_after_eq(now, READ_ONCE(ch->live.since) + give_up)) {
		ockam_channel_change(ch, OCKAM_CHANNEL_DOWN,
				     OCKAM_STATE_R_GAVE_UP);
		return;
	}
	if (!keepalive)
		return;
	if (state == OCKAM_CHANNEL_UP &&
	    time_after_eq(now, heard + OCKAM_SILENT_INTERVALS * keepalive)) {
		ockam_channel_change(ch, OCKAM_CHANNEL_RECOVERING,
				     OCKAM_STATE_R_PEER_SILENT);
		state = OCKAM_CHANNEL_RECOVERING;
	}
	ask = state != OCKAM_CHANNEL_UP || time_after_eq(now, heard + keepalive);
	if (ask || time_after_eq(now, READ_ONCE(ch->live.last_tx) + keepalive))
		ockam_channel_keepalive(ch, ask);
}

/* Often enough to send a keepalive within half an interval of its time. */
static unsigned long ockam_liveness_period(struct ockam_node *node)
{
	u32 keepalive = READ_ONCE(node->channel_keepalive_ms);
	u32 ms = keepalive ? min_t(u32, keepalive / 2, OCKAM_SWEEP_MS_MAX) :
			     OCKAM_SWEEP_MS_MAX;

	return msecs_to_jiffies(ms) ?: 1;
}

/*
 * Under the node's lock, which keeps every channel on the list alive;
 * sending only routes (under RCU, never taking the lock), so it may.
 */
static void ockam_liveness_sweep(struct work_struct *work)
{
	struct ockam_node *node = container_of(to_delayed_work(work),
					       struct ockam_node,
					       channel_sweep);
	u32 keepalive_ms = READ_ONCE(node->channel_keepalive_ms);
	unsigned long keepalive = keepalive_ms ?
				  msecs_to_jiffies(keepalive_ms) ?: 1 : 0;
	unsigned long give_up =
		msecs_to_jiffies(READ_ONCE(node->channel_give_up_ms));
	unsigned long now = jiffies;
	struct list_head *channels;
	struct ockam_endpoint *ep;
	struct ockam_channel *ch;
	bool again;

	mutex_lock(&node->lock);
	channels = ockam_node_list(node, OCKAM_KIND_ENCRYPTOR);
	list_for_each_entry(ep, channels, list) {
		ch = ockam_channel_from_encryptor(ep);
		if (!ch->dead)
			ockam_liveness_check(ch, keepalive, give_up, now);
	}
	again = !list_empty(channels) && !node->dying;
	mutex_unlock(&node->lock);
	if (again)
		queue_delayed_work(ockam_wq, &node->channel_sweep,
				   ockam_liveness_period(node));
}

static void ockam_liveness_portal_refresh(struct work_struct *work)
{
	ockam_portal_node_refresh(container_of(work, struct ockam_node,
					       portal_refresh));
}

void ockam_liveness_node_init(struct ockam_node *node)
{
	INIT_DELAYED_WORK(&node->channel_sweep, ockam_liveness_sweep);
	INIT_WORK(&node->portal_refresh, ockam_liveness_portal_refresh);
}

/*
 * A channel came: make sure the sweep runs (a pending one stays as it
 * is, so that a stream of new channels cannot put it off). It re-arms
 * itself while the node has channels.
 */
void ockam_liveness_kick(struct ockam_node *node)
{
	queue_delayed_work(ockam_wq, &node->channel_sweep,
			   ockam_liveness_period(node));
}

/* The settings changed: sweep now, and from then on at the new pace. */
void ockam_liveness_settings_changed(struct ockam_node *node)
{
	mod_delayed_work(ockam_wq, &node->channel_sweep, 0);
}

/*
 * After the node's channels are gone. A frame opened on another CPU just
 * before may still queue a refresh: ockam_netns_net_exit() flushes the
 * workqueue before the node goes.
 */
void ockam_liveness_node_exit(struct ockam_node *node)
{
	cancel_delayed_work_sync(&node->channel_sweep);
	cancel_work_sync(&node->portal_refresh);
}
