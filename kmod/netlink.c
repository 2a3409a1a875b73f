// SPDX-License-Identifier: GPL-2.0
/*
 * The "ockam" generic netlink family, per Documentation/netlink/specs/ockam.yaml.
 *
 * Every command acts on the node of the caller's network namespace. Writes
 * need CAP_NET_ADMIN in the user namespace owning that network namespace
 * (GENL_UNS_ADMIN_PERM), as do joining the events group and the dumps
 * that name peers, routes or addresses (a channel's encryptor address is
 * all it takes to send through the channel); the node's settings,
 * counters and reserved names are open to all.
 *
 * Each object has an attribute set of its own, nested in one top-level
 * attribute (OCKAM_A_NODE, OCKAM_A_TRANSPORT...). Validation is strict:
 * each command's policy lists the one nest it takes, and each nest's
 * policy the attributes that command reads; anything else is rejected.
 * Dumps page through the node's lists by index and flag themselves
 * NLM_F_DUMP_INTR when the node changed in between.
 */
#include <linux/netlink.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "alias.h"
#include "channel.h"
#include "codec.h"
#include "netlink.h"
#include "node.h"
#include "ockam.h"
#include "portal.h"
#include "reserved.h"
#include "tcp.h"
#include "udp.h"

enum ockam_mcgrp {
	OCKAM_MCGRP_EVENTS,
};

static struct genl_family ockam_genl_family;

/* Events are sent only while the family is registered. */
static bool ockam_events_live;

/* ------------------------------------------------------------ policies */

static struct netlink_range_validation ockam_max_message_range = {
	.min = OCKAM_MAX_MESSAGE_MIN,
	.max = OCKAM_MAX_MESSAGE_MAX,
};

static struct netlink_range_validation ockam_dial_timeout_range = {
	.min = OCKAM_DIAL_TIMEOUT_MS_MIN,
	.max = OCKAM_DIAL_TIMEOUT_MS_MAX,
};

static struct netlink_range_validation ockam_keepalive_range = {
	.min = 0,
	.max = OCKAM_CHANNEL_KEEPALIVE_MS_MAX,
};

static struct netlink_range_validation ockam_give_up_range = {
	.min = OCKAM_CHANNEL_GIVE_UP_MS_MIN,
	.max = OCKAM_CHANNEL_GIVE_UP_MS_MAX,
};

static struct netlink_range_validation ockam_udp_datagram_range = {
	.min = OCKAM_UDP_DATAGRAM_MIN,
	.max = OCKAM_UDP_DATAGRAM_MAX,
};

#define OCKAM_POLICY_NAME { .type = NLA_NUL_STRING, .len = OCKAM_ADDR_VALUE_MAX }
#define OCKAM_POLICY_ROUTE { .type = NLA_BINARY, .len = OCKAM_ROUTE_BYTES_MAX }

static const struct nla_policy ockam_node_set_policy[OCKAM_NODE_A_MAX + 1] = {
	[OCKAM_NODE_A_MAX_MESSAGE] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &ockam_max_message_range),
	[OCKAM_NODE_A_HOP_LIMIT] =
		NLA_POLICY_RANGE(NLA_U32, 1, OCKAM_ROUTE_HOPS_MAX),
	[OCKAM_NODE_A_DIAL_TIMEOUT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &ockam_dial_timeout_range),
	[OCKAM_NODE_A_DIAL_FORWARDED] = NLA_POLICY_MAX(NLA_U32, 1),
	/* 0 (off) or at least OCKAM_CHANNEL_KEEPALIVE_MS_MIN: checked
	 * in ockam_nl_node_set().
	 */
	[OCKAM_NODE_A_CHANNEL_KEEPALIVE] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &ockam_keepalive_range),
	[OCKAM_NODE_A_CHANNEL_GIVE_UP] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &ockam_give_up_range),
	[OCKAM_NODE_A_UDP_DATAGRAM] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &ockam_udp_datagram_range),
};

static const struct nla_policy ockam_udp_attach_policy[OCKAM_UDP_A_MAX + 1] = {
	[OCKAM_UDP_A_FD] = { .type = NLA_U32 },
	[OCKAM_UDP_A_ADDRESS] = OCKAM_POLICY_NAME,
};

static const struct nla_policy ockam_udp_name_policy[OCKAM_UDP_A_MAX + 1] = {
	[OCKAM_UDP_A_ADDRESS] = OCKAM_POLICY_NAME,
};

static const struct nla_policy
ockam_transport_attach_policy[OCKAM_TRANSPORT_A_MAX + 1] = {
	[OCKAM_TRANSPORT_A_FD] = { .type = NLA_U32 },
	[OCKAM_TRANSPORT_A_ADDRESS] = OCKAM_POLICY_NAME,
	[OCKAM_TRANSPORT_A_PEER] = OCKAM_POLICY_NAME,
	[OCKAM_TRANSPORT_A_FLAGS] =
		NLA_POLICY_MASK(NLA_U32, __OCKAM_TRANSPORT_F_ALL),
};

static const struct nla_policy
ockam_transport_name_policy[OCKAM_TRANSPORT_A_MAX + 1] = {
	[OCKAM_TRANSPORT_A_ADDRESS] = OCKAM_POLICY_NAME,
};

static const struct nla_policy ockam_alias_add_policy[OCKAM_ALIAS_A_MAX + 1] = {
	[OCKAM_ALIAS_A_ADDRESS] = OCKAM_POLICY_NAME,
	[OCKAM_ALIAS_A_ROUTE] = OCKAM_POLICY_ROUTE,
};

static const struct nla_policy ockam_alias_name_policy[OCKAM_ALIAS_A_MAX + 1] = {
	[OCKAM_ALIAS_A_ADDRESS] = OCKAM_POLICY_NAME,
};

static const struct nla_policy ockam_dial_failed_policy[OCKAM_DIAL_A_MAX + 1] = {
	[OCKAM_DIAL_A_PEER] = OCKAM_POLICY_NAME,
	[OCKAM_DIAL_A_ERRNO] = NLA_POLICY_RANGE(NLA_U32, 1, MAX_ERRNO),
};

static const struct nla_policy
ockam_channel_add_policy[OCKAM_CHANNEL_A_MAX + 1] = {
	[OCKAM_CHANNEL_A_FD] = { .type = NLA_U32 },
	[OCKAM_CHANNEL_A_TX_KEY] = NLA_POLICY_EXACT_LEN(OCKAM_KEY_LEN),
	[OCKAM_CHANNEL_A_RX_KEY] = NLA_POLICY_EXACT_LEN(OCKAM_KEY_LEN),
	[OCKAM_CHANNEL_A_ROUTE] = OCKAM_POLICY_ROUTE,
	[OCKAM_CHANNEL_A_IDENTIFIER] = { .type = NLA_NUL_STRING,
					 .len = OCKAM_IDENTIFIER_LEN },
	[OCKAM_CHANNEL_A_ROLE] = NLA_POLICY_RANGE(NLA_U32, OCKAM_ROLE_INITIATOR,
						  OCKAM_ROLE_RESPONDER),
};

static const struct nla_policy
ockam_channel_name_policy[OCKAM_CHANNEL_A_MAX + 1] = {
	[OCKAM_CHANNEL_A_ADDRESS] = OCKAM_POLICY_NAME,
};

static const struct nla_policy
ockam_channel_set_policy[OCKAM_CHANNEL_A_MAX + 1] = {
	[OCKAM_CHANNEL_A_ADDRESS] = OCKAM_POLICY_NAME,
	[OCKAM_CHANNEL_A_ROUTE] = OCKAM_POLICY_ROUTE,
	/* A re-key also has these. */
	[OCKAM_CHANNEL_A_FD] = { .type = NLA_U32 },
	[OCKAM_CHANNEL_A_TX_KEY] = NLA_POLICY_EXACT_LEN(OCKAM_KEY_LEN),
	[OCKAM_CHANNEL_A_RX_KEY] = NLA_POLICY_EXACT_LEN(OCKAM_KEY_LEN),
	[OCKAM_CHANNEL_A_IDENTIFIER] = { .type = NLA_NUL_STRING,
					 .len = OCKAM_IDENTIFIER_LEN },
};

static struct netlink_range_validation ockam_portal_window_range = {
	.min = OCKAM_PORTAL_WINDOW_MIN,
	.max = OCKAM_PORTAL_WINDOW_MAX,
};

static struct netlink_range_validation ockam_portal_timeout_range = {
	.min = OCKAM_PORTAL_TIMEOUT_MS_MIN,
	.max = OCKAM_PORTAL_TIMEOUT_MS_MAX,
};

static const struct nla_policy
ockam_portal_attach_policy[OCKAM_PORTAL_A_MAX + 1] = {
	[OCKAM_PORTAL_A_FD] = { .type = NLA_U32 },
	[OCKAM_PORTAL_A_ADDRESS] = OCKAM_POLICY_NAME,
	[OCKAM_PORTAL_A_ROLE] = NLA_POLICY_RANGE(NLA_U32, OCKAM_PORTAL_INLET,
						 OCKAM_PORTAL_OUTLET),
	[OCKAM_PORTAL_A_ROUTE] = OCKAM_POLICY_ROUTE,
	[OCKAM_PORTAL_A_IDENTIFIER] = { .type = NLA_NUL_STRING,
					.len = OCKAM_IDENTIFIER_LEN },
	[OCKAM_PORTAL_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, __OCKAM_PORTAL_F_ALL),
	[OCKAM_PORTAL_A_WINDOW] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &ockam_portal_window_range),
	[OCKAM_PORTAL_A_TIMEOUT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &ockam_portal_timeout_range),
	[OCKAM_PORTAL_A_COOKIE] = { .type = NLA_U64 },
	[OCKAM_PORTAL_A_PEER_WINDOW] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy
ockam_portal_name_policy[OCKAM_PORTAL_A_MAX + 1] = {
	[OCKAM_PORTAL_A_ADDRESS] = OCKAM_POLICY_NAME,
};

static const struct nla_policy
ockam_reserved_policy[OCKAM_RESERVED_A_MAX + 1] = {
	[OCKAM_RESERVED_A_ADDRESS] = OCKAM_POLICY_NAME,
};

/* Each command's top level: the one nest it takes, or nothing. */
static const struct nla_policy ockam_no_attrs_policy[OCKAM_A_MAX + 1] = {
};

static const struct nla_policy ockam_node_set_top[OCKAM_A_MAX + 1] = {
	[OCKAM_A_NODE] = NLA_POLICY_NESTED(ockam_node_set_policy),
};

static const struct nla_policy ockam_transport_attach_top[OCKAM_A_MAX + 1] = {
	[OCKAM_A_TRANSPORT] = NLA_POLICY_NESTED(ockam_transport_attach_policy),
};

static const struct nla_policy ockam_transport_name_top[OCKAM_A_MAX + 1] = {
	[OCKAM_A_TRANSPORT] = NLA_POLICY_NESTED(ockam_transport_name_policy),
};

static const struct nla_policy ockam_alias_add_top[OCKAM_A_MAX + 1] = {
	[OCKAM_A_ALIAS] = NLA_POLICY_NESTED(ockam_alias_add_policy),
};

static const struct nla_policy ockam_alias_name_top[OCKAM_A_MAX + 1] = {
	[OCKAM_A_ALIAS] = NLA_POLICY_NESTED(ockam_alias_name_policy),
};

static const struct nla_policy ockam_dial_failed_top[OCKAM_A_MAX + 1] = {
	[OCKAM_A_DIAL] = NLA_POLICY_NESTED(ockam_dial_failed_policy),
};

static const struct nla_policy ockam_channel_add_top[OCKAM_A_MAX + 1] = {
	[OCKAM_A_CHANNEL] = NLA_POLICY_NESTED(ockam_channel_add_policy),
};

static const struct nla_policy ockam_channel_name_top[OCKAM_A_MAX + 1] = {
	[OCKAM_A_CHANNEL] = NLA_POLICY_NESTED(ockam_channel_name_policy),
};

static const struct nla_policy ockam_channel_set_top[OCKAM_A_MAX + 1] = {
	[OCKAM_A_CHANNEL] = NLA_POLICY_NESTED(ockam_channel_set_policy),
};

static const struct nla_policy ockam_portal_attach_top[OCKAM_A_MAX + 1] = {
	[OCKAM_A_PORTAL] = NLA_POLICY_NESTED(ockam_portal_attach_policy),
};

static const struct nla_policy ockam_portal_name_top[OCKAM_A_MAX + 1] = {
	[OCKAM_A_PORTAL] = NLA_POLICY_NESTED(ockam_portal_name_policy),
};

static const struct nla_policy ockam_udp_attach_top[OCKAM_A_MAX + 1] = {
	[OCKAM_A_UDP] = NLA_POLICY_NESTED(ockam_udp_attach_policy),
};

static const struct nla_policy ockam_udp_name_top[OCKAM_A_MAX + 1] = {
	[OCKAM_A_UDP] = NLA_POLICY_NESTED(ockam_udp_name_policy),
};

static const struct nla_policy ockam_reserved_top[OCKAM_A_MAX + 1] = {
	[OCKAM_A_RESERVED] = NLA_POLICY_NESTED(ockam_reserved_policy),
};

/* ------------------------------------------------------------- helpers */

static struct ockam_node *ockam_nl_node(struct genl_info *info)
{
	return ockam_node_get(genl_info_net(info));
}

/*
 * The request's nest @attr, which it must have, parsed into @tb (its
 * policy already checked it). A command whose nest is optional tests
 * info->attrs itself.
 */
static int ockam_nl_nest(struct genl_info *info, int attr,
			 struct nlattr **tb, int maxtype,
			 const struct nla_policy *policy)
{
	if (GENL_REQ_ATTR_CHECK(info, attr))
		return -EINVAL;
	return nla_parse_nested(tb, maxtype, info->attrs[attr], policy,
				info->extack);
}

/* Names are not NUL-terminated inside the module; strings on the wire are. */
static int ockam_nl_put_name(struct sk_buff *msg, int attr, const u8 *name,
			     u32 len)
{
	struct nlattr *nla = nla_reserve(msg, attr, len + 1);
	char *data;

	if (!nla)
		return -EMSGSIZE;
	data = nla_data(nla);
	memcpy(data, name, len);
	data[len] = '\0';
	return 0;
}

static int ockam_nl_put_stats(struct sk_buff *msg, int attr,
			      struct ockam_stats __percpu *stats,
			      unsigned int n)
{
	u64 sum[__OCKAM_STAT_MAX];
	struct nlattr *nest;
	int i;

	ockam_stats_read(stats, n, sum);
	nest = nla_nest_start(msg, attr);
	if (!nest)
		return -EMSGSIZE;
	for (i = OCKAM_STAT_RX_MESSAGES; i < __OCKAM_STAT_MAX; i++) {
		if (nla_put_u64_64bit(msg, i, sum[i], OCKAM_STAT_PAD)) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

/* A route stored as its addresses, with the count put back in front. */
static int ockam_nl_put_route(struct sk_buff *msg, int attr, u32 hops,
			      const u8 *addrs, u32 len)
{
	u32 count_len = ockam_uleb_len(hops);
	struct nlattr *nla;
	u8 *route;

	nla = nla_reserve(msg, attr, count_len + len);
	if (!nla)
		return -EMSGSIZE;
	route = nla_data(nla);
	ockam_uleb_encode(route, hops);
	memcpy(route + count_len, addrs, len);
	return 0;
}

typedef int (*ockam_nl_fill_t)(struct sk_buff *msg, const void *obj);

/* @fill's attributes for @obj, inside a nest of type @attr. */
static int ockam_nl_put_nest(struct sk_buff *msg, int attr,
			     ockam_nl_fill_t fill, const void *obj)
{
	struct nlattr *nest = nla_nest_start(msg, attr);

	if (!nest)
		return -EMSGSIZE;
	if (fill(msg, obj)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

/* A reply to @info of one object, nested in @attr. */
static int ockam_nl_reply(struct genl_info *info, u8 cmd, int attr,
			  ockam_nl_fill_t fill, const void *obj,
			  struct sk_buff *msg)
{
	void *hdr = genlmsg_put_reply(msg, info, &ockam_genl_family, 0, cmd);

	if (!hdr || ockam_nl_put_nest(msg, attr, fill, obj)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* ---------------------------------------------------------- the objects */

static int ockam_nl_fill_node(struct sk_buff *msg, const void *obj)
{
	struct ockam_node *node = (struct ockam_node *)obj;
	u32 count;

	mutex_lock(&node->lock);
	count = node->address_count;
	mutex_unlock(&node->lock);
	if (nla_put_u32(msg, OCKAM_NODE_A_FAMILY, ockam_family) ||
	    nla_put_u32(msg, OCKAM_NODE_A_MAX_MESSAGE,
			READ_ONCE(node->max_message)) ||
	    nla_put_u32(msg, OCKAM_NODE_A_HOP_LIMIT,
			READ_ONCE(node->hop_limit)) ||
	    nla_put_u32(msg, OCKAM_NODE_A_DIAL_TIMEOUT,
			READ_ONCE(node->dial_timeout_ms)) ||
	    nla_put_u32(msg, OCKAM_NODE_A_DIAL_FORWARDED,
			READ_ONCE(node->dial_forwarded)) ||
	    nla_put_u32(msg, OCKAM_NODE_A_ADDRESS_COUNT, count) ||
	    nla_put_u32(msg, OCKAM_NODE_A_CHANNEL_KEEPALIVE,
			READ_ONCE(node->channel_keepalive_ms)) ||
	    nla_put_u32(msg, OCKAM_NODE_A_CHANNEL_GIVE_UP,
			READ_ONCE(node->channel_give_up_ms)) ||
	    nla_put_u32(msg, OCKAM_NODE_A_UDP_DATAGRAM,
			READ_ONCE(node->udp_datagram)) ||
	    ockam_nl_put_stats(msg, OCKAM_NODE_A_STATS, node->stats,
			       OCKAM_STATS_ALL))
		return -EMSGSIZE;
	return 0;
}

static int ockam_nl_fill_transport(struct sk_buff *msg, const void *obj)
{
	const struct ockam_tcp *t = obj;

	if (ockam_nl_put_name(msg, OCKAM_TRANSPORT_A_ADDRESS, t->ep.name,
			      t->ep.name_len) ||
	    ockam_nl_put_name(msg, OCKAM_TRANSPORT_A_PEER, t->peer,
			      t->peer_len) ||
	    nla_put_string(msg, OCKAM_TRANSPORT_A_LOCAL, t->local) ||
	    nla_put_u32(msg, OCKAM_TRANSPORT_A_FLAGS, t->flags) ||
	    ockam_nl_put_stats(msg, OCKAM_TRANSPORT_A_STATS, t->stats,
			       OCKAM_STATS_ALL))
		return -EMSGSIZE;
	return 0;
}

static int ockam_nl_fill_udp(struct sk_buff *msg, const void *obj)
{
	struct ockam_udp *u = (struct ockam_udp *)obj;

	if (ockam_nl_put_name(msg, OCKAM_UDP_A_ADDRESS, u->ep.name,
			      u->ep.name_len) ||
	    nla_put_string(msg, OCKAM_UDP_A_LOCAL, u->local) ||
	    nla_put_u32(msg, OCKAM_UDP_A_PEERS, ockam_udp_peer_count(u)) ||
	    nla_put_u32(msg, OCKAM_UDP_A_REASM_BYTES, READ_ONCE(u->reasm_bytes)) ||
	    ockam_nl_put_stats(msg, OCKAM_UDP_A_STATS, u->stats,
			       OCKAM_STATS_ALL))
		return -EMSGSIZE;
	return 0;
}

static int ockam_nl_fill_transport_down(struct sk_buff *msg, const void *obj)
{
	const struct ockam_tcp *t = obj;

	if (ockam_nl_put_name(msg, OCKAM_TRANSPORT_A_ADDRESS, t->ep.name,
			      t->ep.name_len) ||
	    ockam_nl_put_name(msg, OCKAM_TRANSPORT_A_PEER, t->peer,
			      t->peer_len) ||
	    nla_put_u32(msg, OCKAM_TRANSPORT_A_FLAGS, t->flags) ||
	    nla_put_u32(msg, OCKAM_TRANSPORT_A_REASON, t->down_reason) ||
	    (t->down_errno &&
	     nla_put_u32(msg, OCKAM_TRANSPORT_A_ERRNO, t->down_errno)))
		return -EMSGSIZE;
	return 0;
}

static int ockam_nl_fill_alias(struct sk_buff *msg, const void *obj)
{
	const struct ockam_alias *alias = obj;

	if (ockam_nl_put_name(msg, OCKAM_ALIAS_A_ADDRESS, alias->ep.name,
			      alias->ep.name_len))
		return -EMSGSIZE;
	return ockam_nl_put_route(msg, OCKAM_ALIAS_A_ROUTE, alias->hops,
				  alias->route, alias->len);
}

static int ockam_nl_fill_endpoint(struct sk_buff *msg, const void *obj)
{
	const struct ockam_endpoint *ep = obj;

	if (ockam_nl_put_name(msg, OCKAM_ENDPOINT_A_ADDRESS, ep->name,
			      ep->name_len) ||
	    nla_put_u32(msg, OCKAM_ENDPOINT_A_KIND, ep->kind))
		return -EMSGSIZE;
	return 0;
}

static int ockam_nl_fill_reserved(struct sk_buff *msg, const void *obj)
{
	const struct ockam_reserved *r = obj;

	return ockam_nl_put_name(msg, OCKAM_RESERVED_A_ADDRESS, r->name,
				 r->len);
}

/* Counters and key epochs, each read under the lock that guards it. */
static int ockam_nl_put_channel_state(struct sk_buff *msg,
				      struct ockam_channel *ch)
{
	u64 tx_counter, tx_rekeys, rx_next, rx_rekeys;

	spin_lock_bh(&ch->tx.lock);
	tx_counter = ch->tx.counter;
	tx_rekeys = tx_counter / OCKAM_REKEY_INTERVAL;
	spin_unlock_bh(&ch->tx.lock);
	spin_lock_bh(&ch->rx.lock);
	rx_next = ch->rx.replay.next;
	rx_rekeys = ch->rx.ratchet.hi;
	spin_unlock_bh(&ch->rx.lock);

	if (nla_put_u64_64bit(msg, OCKAM_CHANNEL_A_TX_COUNTER, tx_counter,
			      OCKAM_CHANNEL_A_PAD) ||
	    nla_put_u64_64bit(msg, OCKAM_CHANNEL_A_TX_REKEYS, tx_rekeys,
			      OCKAM_CHANNEL_A_PAD) ||
	    nla_put_u64_64bit(msg, OCKAM_CHANNEL_A_RX_REKEYS, rx_rekeys,
			      OCKAM_CHANNEL_A_PAD))
		return -EMSGSIZE;
	/* Nothing accepted yet: no highest counter to report. */
	if (rx_next &&
	    nla_put_u64_64bit(msg, OCKAM_CHANNEL_A_RX_COUNTER, rx_next - 1,
			      OCKAM_CHANNEL_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int ockam_nl_put_channel_names(struct sk_buff *msg,
				      const struct ockam_channel *ch)
{
	if (ockam_nl_put_name(msg, OCKAM_CHANNEL_A_ADDRESS, ch->encryptor.name,
			      ch->encryptor.name_len) ||
	    ockam_nl_put_name(msg, OCKAM_CHANNEL_A_DECRYPTOR,
			      ch->decryptor.name, ch->decryptor.name_len))
		return -EMSGSIZE;
	return 0;
}

static u64 ockam_nl_age_ms(unsigned long since)
{
	return jiffies_to_msecs(jiffies - since);
}

/* Whether the peer is there, and the route that reaches it now. */
static int ockam_nl_put_channel_live(struct sk_buff *msg,
				     struct ockam_channel *ch)
{
	const struct ockam_channel_path *path;
	u32 moves;
	int err;

	spin_lock_bh(&ch->rx.lock);
	moves = ch->live.route_moves;
	spin_unlock_bh(&ch->rx.lock);
	if (nla_put_u32(msg, OCKAM_CHANNEL_A_STATE,
			READ_ONCE(ch->live.state)) ||
	    nla_put_u32(msg, OCKAM_CHANNEL_A_STATE_REASON,
			READ_ONCE(ch->live.reason)) ||
	    nla_put_u64_64bit(msg, OCKAM_CHANNEL_A_STATE_AGE,
			      ockam_nl_age_ms(READ_ONCE(ch->live.since)),
			      OCKAM_CHANNEL_A_PAD) ||
	    nla_put_u64_64bit(msg, OCKAM_CHANNEL_A_HEARD_AGE,
			      ockam_nl_age_ms(READ_ONCE(ch->live.last_rx)),
			      OCKAM_CHANNEL_A_PAD) ||
	    nla_put_u64_64bit(msg, OCKAM_CHANNEL_A_ROUTE_MOVES, moves,
			      OCKAM_CHANNEL_A_PAD))
		return -EMSGSIZE;
	rcu_read_lock();
	path = rcu_dereference(ch->path);
	err = ockam_nl_put_route(msg, OCKAM_CHANNEL_A_ROUTE, path->hops,
				 path->addrs, path->len);
	rcu_read_unlock();
	return err;
}

static int ockam_nl_fill_channel(struct sk_buff *msg, const void *obj)
{
	struct ockam_channel *ch = (struct ockam_channel *)obj;
	char id[OCKAM_IDENTIFIER_LEN + 1];

	id[0] = 'I';
	bin2hex(id + 1, ch->peer, OCKAM_IDENTIFIER_BYTES);
	id[OCKAM_IDENTIFIER_LEN] = '\0';
	if (ockam_nl_put_channel_names(msg, ch) ||
	    nla_put_string(msg, OCKAM_CHANNEL_A_IDENTIFIER, id) ||
	    nla_put_u32(msg, OCKAM_CHANNEL_A_ROLE, ch->role) ||
	    ockam_nl_put_channel_live(msg, ch) ||
	    ockam_nl_put_channel_state(msg, ch) ||
	    ockam_nl_put_stats(msg, OCKAM_CHANNEL_A_STATS, ch->stats,
			       OCKAM_STATS_CHANNEL))
		return -EMSGSIZE;
	return 0;
}

struct ockam_nl_closed {
	const struct ockam_channel *ch;
	enum ockam_channel_close_reason reason;
};

static int ockam_nl_fill_channel_closed(struct sk_buff *msg, const void *obj)
{
	const struct ockam_nl_closed *closed = obj;

	if (ockam_nl_put_channel_names(msg, closed->ch) ||
	    nla_put_u32(msg, OCKAM_CHANNEL_A_REASON, closed->reason))
		return -EMSGSIZE;
	return 0;
}

struct ockam_nl_channel_state {
	const struct ockam_channel *ch;
	enum ockam_channel_state state;
	enum ockam_channel_state_reason reason;
};

static int ockam_nl_fill_channel_state(struct sk_buff *msg, const void *obj)
{
	const struct ockam_nl_channel_state *st = obj;

	if (ockam_nl_put_channel_names(msg, st->ch) ||
	    nla_put_u32(msg, OCKAM_CHANNEL_A_ROLE, st->ch->role) ||
	    nla_put_u32(msg, OCKAM_CHANNEL_A_STATE, st->state) ||
	    nla_put_u32(msg, OCKAM_CHANNEL_A_STATE_REASON, st->reason))
		return -EMSGSIZE;
	return 0;
}

static int ockam_nl_put_portal_names(struct sk_buff *msg,
				     const struct ockam_portal *p)
{
	if (ockam_nl_put_name(msg, OCKAM_PORTAL_A_ADDRESS, p->ep.name,
			      p->ep.name_len) ||
	    nla_put_u32(msg, OCKAM_PORTAL_A_ROLE, p->role) ||
	    nla_put_u64_64bit(msg, OCKAM_PORTAL_A_COOKIE, p->cookie,
			      OCKAM_PORTAL_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int ockam_nl_put_portal_bytes(struct sk_buff *msg,
				     const struct ockam_portal *p)
{
	if (nla_put_u64_64bit(msg, OCKAM_PORTAL_A_TX_BYTES,
			      READ_ONCE(p->tx_sent), OCKAM_PORTAL_A_PAD) ||
	    nla_put_u64_64bit(msg, OCKAM_PORTAL_A_RX_BYTES,
			      READ_ONCE(p->rx_written), OCKAM_PORTAL_A_PAD))
		return -EMSGSIZE;
	return 0;
}

/* What the receive path changes, read under the session's lock. */
static int ockam_nl_put_portal_state(struct sk_buff *msg,
				     struct ockam_portal *p)
{
	int err = -EMSGSIZE;

	spin_lock_bh(&p->lock);
	if (p->peer_route ?
	    ockam_nl_put_route(msg, OCKAM_PORTAL_A_ROUTE, p->peer_hops,
			       p->peer_route, p->peer_len) :
	    ockam_nl_put_route(msg, OCKAM_PORTAL_A_ROUTE, p->ping_hops,
			       p->ping_route, p->ping_len))
		goto out;
	if (nla_put_u32(msg, OCKAM_PORTAL_A_STATE, READ_ONCE(p->state)) ||
	    nla_put_u32(msg, OCKAM_PORTAL_A_PEER_WINDOW, p->peer_window) ||
	    nla_put_u32(msg, OCKAM_PORTAL_A_QUEUED, p->rx_queued))
		goto out;
	err = 0;
out:
	spin_unlock_bh(&p->lock);
	return err;
}

static int ockam_nl_fill_portal(struct sk_buff *msg, const void *obj)
{
	struct ockam_portal *p = (struct ockam_portal *)obj;
	char id[OCKAM_IDENTIFIER_LEN + 1];

	if (ockam_nl_put_portal_names(msg, p) ||
	    nla_put_u32(msg, OCKAM_PORTAL_A_FLAGS, p->flags) ||
	    nla_put_u32(msg, OCKAM_PORTAL_A_WINDOW, p->window) ||
	    (p->role == OCKAM_PORTAL_INLET &&
	     nla_put_u32(msg, OCKAM_PORTAL_A_TIMEOUT, p->timeout_ms)) ||
	    ockam_nl_put_portal_state(msg, p) ||
	    ockam_nl_put_portal_bytes(msg, p))
		return -EMSGSIZE;
	if (p->flags & OCKAM_PORTAL_F_PLAINTEXT)
		return 0;
	id[0] = 'I';
	bin2hex(id + 1, p->peer_id, OCKAM_IDENTIFIER_BYTES);
	id[OCKAM_IDENTIFIER_LEN] = '\0';
	return nla_put_string(msg, OCKAM_PORTAL_A_IDENTIFIER, id);
}

static int ockam_nl_fill_portal_closed(struct sk_buff *msg, const void *obj)
{
	const struct ockam_portal *p = obj;

	if (ockam_nl_put_portal_names(msg, p) ||
	    nla_put_u32(msg, OCKAM_PORTAL_A_REASON, p->reason) ||
	    (p->err && nla_put_u32(msg, OCKAM_PORTAL_A_ERRNO, p->err)) ||
	    ockam_nl_put_portal_bytes(msg, p))
		return -EMSGSIZE;
	return 0;
}

struct ockam_nl_dial {
	const u8 *peer;
	u32 len;
};

static int ockam_nl_fill_dial(struct sk_buff *msg, const void *obj)
{
	const struct ockam_nl_dial *dial = obj;

	return ockam_nl_put_name(msg, OCKAM_DIAL_A_PEER, dial->peer, dial->len);
}

/* ------------------------------------------------------------ the node */

static int ockam_nl_node_get(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);

	if (!msg)
		return -ENOMEM;
	return ockam_nl_reply(info, OCKAM_CMD_NODE_GET, OCKAM_A_NODE,
			      ockam_nl_fill_node, ockam_nl_node(info), msg);
}

static int ockam_nl_node_set(struct sk_buff *skb, struct genl_info *info)
{
	struct ockam_node *node = ockam_nl_node(info);
	struct nlattr *tb[OCKAM_NODE_A_MAX + 1];
	int err;

	err = ockam_nl_nest(info, OCKAM_A_NODE, tb, OCKAM_NODE_A_MAX,
			    ockam_node_set_policy);
	if (err)
		return err;
	if (tb[OCKAM_NODE_A_CHANNEL_KEEPALIVE] &&
	    nla_get_u32(tb[OCKAM_NODE_A_CHANNEL_KEEPALIVE]) &&
	    nla_get_u32(tb[OCKAM_NODE_A_CHANNEL_KEEPALIVE]) <
	    OCKAM_CHANNEL_KEEPALIVE_MS_MIN) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    tb[OCKAM_NODE_A_CHANNEL_KEEPALIVE],
				    "keepalive is 0 (off) or at least 100 ms");
		return -ERANGE;
	}

	mutex_lock(&node->lock);
	if (tb[OCKAM_NODE_A_MAX_MESSAGE])
		WRITE_ONCE(node->max_message,
			   nla_get_u32(tb[OCKAM_NODE_A_MAX_MESSAGE]));
	if (tb[OCKAM_NODE_A_HOP_LIMIT])
		WRITE_ONCE(node->hop_limit,
			   nla_get_u32(tb[OCKAM_NODE_A_HOP_LIMIT]));
	if (tb[OCKAM_NODE_A_DIAL_TIMEOUT])
		WRITE_ONCE(node->dial_timeout_ms,
			   nla_get_u32(tb[OCKAM_NODE_A_DIAL_TIMEOUT]));
	if (tb[OCKAM_NODE_A_DIAL_FORWARDED])
		WRITE_ONCE(node->dial_forwarded,
			   nla_get_u32(tb[OCKAM_NODE_A_DIAL_FORWARDED]));
	if (tb[OCKAM_NODE_A_CHANNEL_KEEPALIVE])
		WRITE_ONCE(node->channel_keepalive_ms,
			   nla_get_u32(tb[OCKAM_NODE_A_CHANNEL_KEEPALIVE]));
	if (tb[OCKAM_NODE_A_CHANNEL_GIVE_UP])
		WRITE_ONCE(node->channel_give_up_ms,
			   nla_get_u32(tb[OCKAM_NODE_A_CHANNEL_GIVE_UP]));
	if (tb[OCKAM_NODE_A_UDP_DATAGRAM])
		WRITE_ONCE(node->udp_datagram,
			   nla_get_u32(tb[OCKAM_NODE_A_UDP_DATAGRAM]));
	node->generation++;
	mutex_unlock(&node->lock);

	if (tb[OCKAM_NODE_A_MAX_MESSAGE])
		ockam_tcp_node_resize(node);
	if (tb[OCKAM_NODE_A_CHANNEL_KEEPALIVE] ||
	    tb[OCKAM_NODE_A_CHANNEL_GIVE_UP])
		ockam_liveness_settings_changed(node);
	return 0;
}

/* ------------------------------------------------------------ removals */

typedef int (*ockam_nl_remove_t)(struct ockam_node *node, const u8 *name,
				 u32 len);

/* The extack message of a removal of the object in nest @attr that found
 * nothing at @name.
 */
static void ockam_nl_not_found(struct genl_info *info, int attr,
			       const struct nlattr *name)
{
	switch (attr) {
	case OCKAM_A_TRANSPORT:
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "no transport at that address");
		break;
	case OCKAM_A_ALIAS:
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "no alias at that address");
		break;
	case OCKAM_A_CHANNEL:
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "no secure channel at that address");
		break;
	case OCKAM_A_PORTAL:
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "no portal session at that address");
		break;
	case OCKAM_A_UDP:
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "no UDP bind at that address");
		break;
	default:
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "that name is not reserved");
		break;
	}
}

/*
 * Remove what the request's nest @attr names at @addr, with @remove; @tb
 * has room for attributes up to @maxtype.
 */
static int ockam_nl_remove(struct genl_info *info, struct nlattr **tb,
			   int attr, int maxtype,
			   const struct nla_policy *policy, int addr,
			   ockam_nl_remove_t remove)
{
	const char *name;
	int err;

	err = ockam_nl_nest(info, attr, tb, maxtype, policy);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(info->extack, info->attrs[attr], tb, addr))
		return -EINVAL;
	name = nla_data(tb[addr]);
	err = remove(ockam_nl_node(info), (const u8 *)name, strlen(name));
	if (err == -ENOENT)
		ockam_nl_not_found(info, attr, tb[addr]);
	return err;
}

/* ---------------------------------------------------------- transports */

static int ockam_nl_transport_attach(struct sk_buff *skb,
				     struct genl_info *info)
{
	struct nlattr *tb[OCKAM_TRANSPORT_A_MAX + 1];
	struct ockam_tcp_attach req = {};
	struct sk_buff *msg;
	struct ockam_tcp *t;
	int err;

	err = ockam_nl_nest(info, OCKAM_A_TRANSPORT, tb, OCKAM_TRANSPORT_A_MAX,
			    ockam_transport_attach_policy);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(info->extack, info->attrs[OCKAM_A_TRANSPORT], tb,
			      OCKAM_TRANSPORT_A_FD))
		return -EINVAL;
	req.fd = nla_get_u32(tb[OCKAM_TRANSPORT_A_FD]);
	if (tb[OCKAM_TRANSPORT_A_ADDRESS])
		req.address = nla_data(tb[OCKAM_TRANSPORT_A_ADDRESS]);
	if (tb[OCKAM_TRANSPORT_A_PEER])
		req.peer = nla_data(tb[OCKAM_TRANSPORT_A_PEER]);
	if (tb[OCKAM_TRANSPORT_A_FLAGS])
		req.flags = nla_get_u32(tb[OCKAM_TRANSPORT_A_FLAGS]);
	req.owner_portid = info->snd_portid;

	/* Allocate the reply first: once attached, there is no undo. */
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = ockam_tcp_attach(ockam_nl_node(info), &req, info->extack, &t);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	err = ockam_nl_reply(info, OCKAM_CMD_TRANSPORT_ATTACH,
			     OCKAM_A_TRANSPORT, ockam_nl_fill_transport, t, msg);
	ockam_tcp_put(t);
	return err;
}

static int ockam_nl_transport_detach(struct sk_buff *skb,
				     struct genl_info *info)
{
	struct nlattr *tb[OCKAM_TRANSPORT_A_MAX + 1];

	return ockam_nl_remove(info, tb, OCKAM_A_TRANSPORT,
			       OCKAM_TRANSPORT_A_MAX,
			       ockam_transport_name_policy,
			       OCKAM_TRANSPORT_A_ADDRESS, ockam_tcp_detach);
}

/* ----------------------------------------------------------- UDP binds */

static int ockam_nl_udp_attach(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[OCKAM_UDP_A_MAX + 1];
	struct ockam_udp_attach req = {};
	struct sk_buff *msg;
	struct ockam_udp *u;
	int err;

	err = ockam_nl_nest(info, OCKAM_A_UDP, tb, OCKAM_UDP_A_MAX,
			    ockam_udp_attach_policy);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(info->extack, info->attrs[OCKAM_A_UDP], tb,
			      OCKAM_UDP_A_FD))
		return -EINVAL;
	req.fd = nla_get_u32(tb[OCKAM_UDP_A_FD]);
	if (tb[OCKAM_UDP_A_ADDRESS])
		req.address = nla_data(tb[OCKAM_UDP_A_ADDRESS]);
	req.owner_portid = info->snd_portid;

	/* Allocate the reply first: once attached, there is no undo. */
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = ockam_udp_attach(ockam_nl_node(info), &req, info->extack, &u);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	err = ockam_nl_reply(info, OCKAM_CMD_UDP_ATTACH, OCKAM_A_UDP,
			     ockam_nl_fill_udp, u, msg);
	ockam_udp_put(u);
	return err;
}

static int ockam_nl_udp_detach(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[OCKAM_UDP_A_MAX + 1];

	return ockam_nl_remove(info, tb, OCKAM_A_UDP, OCKAM_UDP_A_MAX,
			       ockam_udp_name_policy, OCKAM_UDP_A_ADDRESS,
			       ockam_udp_detach);
}

/* ------------------------------------------------------------- portals */

static void ockam_nl_portal_request(struct nlattr **tb,
				    struct ockam_portal_attach *req)
{
	req->fd = nla_get_u32(tb[OCKAM_PORTAL_A_FD]);
	req->role = nla_get_u32(tb[OCKAM_PORTAL_A_ROLE]);
	req->route = nla_data(tb[OCKAM_PORTAL_A_ROUTE]);
	req->route_len = nla_len(tb[OCKAM_PORTAL_A_ROUTE]);
	if (tb[OCKAM_PORTAL_A_ADDRESS])
		req->address = nla_data(tb[OCKAM_PORTAL_A_ADDRESS]);
	if (tb[OCKAM_PORTAL_A_IDENTIFIER])
		req->identifier = nla_data(tb[OCKAM_PORTAL_A_IDENTIFIER]);
	req->flags = 0;
	if (tb[OCKAM_PORTAL_A_FLAGS])
		req->flags = nla_get_u32(tb[OCKAM_PORTAL_A_FLAGS]);
	req->window = OCKAM_PORTAL_WINDOW_DEFAULT;
	if (tb[OCKAM_PORTAL_A_WINDOW])
		req->window = nla_get_u32(tb[OCKAM_PORTAL_A_WINDOW]);
	req->timeout_ms = OCKAM_PORTAL_TIMEOUT_MS_DEFAULT;
	if (tb[OCKAM_PORTAL_A_TIMEOUT])
		req->timeout_ms = nla_get_u32(tb[OCKAM_PORTAL_A_TIMEOUT]);
	req->cookie = 0;
	if (tb[OCKAM_PORTAL_A_COOKIE])
		req->cookie = nla_get_u64(tb[OCKAM_PORTAL_A_COOKIE]);
}

static int ockam_nl_portal_attach(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[OCKAM_PORTAL_A_MAX + 1], *nest;
	struct ockam_portal_attach req = {};
	struct ockam_portal *p;
	struct sk_buff *msg;
	int err;

	err = ockam_nl_nest(info, OCKAM_A_PORTAL, tb, OCKAM_PORTAL_A_MAX,
			    ockam_portal_attach_policy);
	if (err)
		return err;
	nest = info->attrs[OCKAM_A_PORTAL];
	if (NL_REQ_ATTR_CHECK(info->extack, nest, tb, OCKAM_PORTAL_A_FD) ||
	    NL_REQ_ATTR_CHECK(info->extack, nest, tb, OCKAM_PORTAL_A_ROLE) ||
	    NL_REQ_ATTR_CHECK(info->extack, nest, tb, OCKAM_PORTAL_A_ROUTE))
		return -EINVAL;
	ockam_nl_portal_request(tb, &req);
	if (req.role == OCKAM_PORTAL_OUTLET && tb[OCKAM_PORTAL_A_TIMEOUT]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[OCKAM_PORTAL_A_TIMEOUT],
				    "only an inlet waits for a PONG");
		return -EINVAL;
	}
	/* An outlet learns the inlet's window from the PING ockamd read. */
	if (req.role == OCKAM_PORTAL_OUTLET ?
	    !tb[OCKAM_PORTAL_A_PEER_WINDOW] : !!tb[OCKAM_PORTAL_A_PEER_WINDOW]) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "an outlet needs the PING's window, an inlet none");
		return -EINVAL;
	}
	if (tb[OCKAM_PORTAL_A_PEER_WINDOW])
		req.peer_window = nla_get_u32(tb[OCKAM_PORTAL_A_PEER_WINDOW]);
	req.owner_portid = info->snd_portid;

	/* Allocate the reply first: once attached, there is no undo. */
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE + OCKAM_ROUTE_BYTES_MAX,
			  GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = ockam_portal_attach(ockam_nl_node(info), &req, info->extack, &p);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	err = ockam_nl_reply(info, OCKAM_CMD_PORTAL_ATTACH, OCKAM_A_PORTAL,
			     ockam_nl_fill_portal, p, msg);
	ockam_portal_put(p);
	return err;
}

static int ockam_nl_portal_detach(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[OCKAM_PORTAL_A_MAX + 1];

	return ockam_nl_remove(info, tb, OCKAM_A_PORTAL, OCKAM_PORTAL_A_MAX,
			       ockam_portal_name_policy,
			       OCKAM_PORTAL_A_ADDRESS, ockam_portal_detach);
}

/* ------------------------------------------------------------- aliases */

static int ockam_nl_alias_add(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[OCKAM_ALIAS_A_MAX + 1], *nest;
	const char *name;
	int err;

	err = ockam_nl_nest(info, OCKAM_A_ALIAS, tb, OCKAM_ALIAS_A_MAX,
			    ockam_alias_add_policy);
	if (err)
		return err;
	nest = info->attrs[OCKAM_A_ALIAS];
	if (NL_REQ_ATTR_CHECK(info->extack, nest, tb, OCKAM_ALIAS_A_ADDRESS) ||
	    NL_REQ_ATTR_CHECK(info->extack, nest, tb, OCKAM_ALIAS_A_ROUTE))
		return -EINVAL;
	name = nla_data(tb[OCKAM_ALIAS_A_ADDRESS]);
	return ockam_alias_add(ockam_nl_node(info), (const u8 *)name,
			       strlen(name), nla_data(tb[OCKAM_ALIAS_A_ROUTE]),
			       nla_len(tb[OCKAM_ALIAS_A_ROUTE]), info->extack);
}

static int ockam_nl_alias_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[OCKAM_ALIAS_A_MAX + 1];

	return ockam_nl_remove(info, tb, OCKAM_A_ALIAS, OCKAM_ALIAS_A_MAX,
			       ockam_alias_name_policy, OCKAM_ALIAS_A_ADDRESS,
			       ockam_alias_del);
}

/* ------------------------------------------------------------- dialing */

static int ockam_nl_dial_failed(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[OCKAM_DIAL_A_MAX + 1], *nest;
	const char *peer;
	int err;

	err = ockam_nl_nest(info, OCKAM_A_DIAL, tb, OCKAM_DIAL_A_MAX,
			    ockam_dial_failed_policy);
	if (err)
		return err;
	nest = info->attrs[OCKAM_A_DIAL];
	if (NL_REQ_ATTR_CHECK(info->extack, nest, tb, OCKAM_DIAL_A_PEER) ||
	    NL_REQ_ATTR_CHECK(info->extack, nest, tb, OCKAM_DIAL_A_ERRNO))
		return -EINVAL;
	peer = nla_data(tb[OCKAM_DIAL_A_PEER]);
	err = ockam_dial_failed(ockam_nl_node(info), (const u8 *)peer,
				strlen(peer),
				nla_get_u32(tb[OCKAM_DIAL_A_ERRNO]));
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, tb[OCKAM_DIAL_A_PEER],
				    "no dial pending for that peer");
	return err;
}

/* ------------------------------------------------------------ channels */

static int ockam_nl_channel_params(struct genl_info *info, struct nlattr **tb,
				   struct ockam_channel_params *p)
{
	static const int required[] = {
		OCKAM_CHANNEL_A_FD, OCKAM_CHANNEL_A_TX_KEY,
		OCKAM_CHANNEL_A_RX_KEY, OCKAM_CHANNEL_A_ROUTE,
		OCKAM_CHANNEL_A_IDENTIFIER, OCKAM_CHANNEL_A_ROLE,
	};
	struct nlattr *nest = info->attrs[OCKAM_A_CHANNEL];
	int i;

	for (i = 0; i < ARRAY_SIZE(required); i++)
		if (NL_REQ_ATTR_CHECK(info->extack, nest, tb, required[i]))
			return -EINVAL;
	p->fd = nla_get_u32(tb[OCKAM_CHANNEL_A_FD]);
	p->tx_key = nla_data(tb[OCKAM_CHANNEL_A_TX_KEY]);
	p->rx_key = nla_data(tb[OCKAM_CHANNEL_A_RX_KEY]);
	p->route = nla_data(tb[OCKAM_CHANNEL_A_ROUTE]);
	p->route_len = nla_len(tb[OCKAM_CHANNEL_A_ROUTE]);
	p->identifier = nla_data(tb[OCKAM_CHANNEL_A_IDENTIFIER]);
	p->role = nla_get_u32(tb[OCKAM_CHANNEL_A_ROLE]);
	p->owner_portid = info->snd_portid;
	return 0;
}

/* Keys are read once, then wiped from the request. */
static void ockam_nl_wipe_keys(struct nlattr **tb)
{
	if (tb[OCKAM_CHANNEL_A_TX_KEY])
		memzero_explicit(nla_data(tb[OCKAM_CHANNEL_A_TX_KEY]),
				 OCKAM_KEY_LEN);
	if (tb[OCKAM_CHANNEL_A_RX_KEY])
		memzero_explicit(nla_data(tb[OCKAM_CHANNEL_A_RX_KEY]),
				 OCKAM_KEY_LEN);
}

static int ockam_nl_channel_add(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[OCKAM_CHANNEL_A_MAX + 1] = {};
	struct ockam_channel_params params = {};
	struct ockam_channel *ch;
	struct sk_buff *msg;
	int err;

	err = ockam_nl_nest(info, OCKAM_A_CHANNEL, tb, OCKAM_CHANNEL_A_MAX,
			    ockam_channel_add_policy);
	if (!err)
		err = ockam_nl_channel_params(info, tb, &params);
	if (err)
		goto out;
	/* Allocate the reply first: once installed, there is no undo. */
	err = -ENOMEM;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		goto out;
	ch = ockam_channel_add(ockam_nl_node(info), &params, info->extack);
	if (IS_ERR(ch)) {
		nlmsg_free(msg);
		err = PTR_ERR(ch);
		goto out;
	}
	err = ockam_nl_reply(info, OCKAM_CMD_CHANNEL_ADD, OCKAM_A_CHANNEL,
			     ockam_nl_fill_channel, ch, msg);
	ockam_channel_put(ch);
out:
	ockam_nl_wipe_keys(tb);
	return err;
}

static int ockam_nl_channel_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[OCKAM_CHANNEL_A_MAX + 1];

	return ockam_nl_remove(info, tb, OCKAM_A_CHANNEL, OCKAM_CHANNEL_A_MAX,
			       ockam_channel_name_policy,
			       OCKAM_CHANNEL_A_ADDRESS, ockam_channel_del);
}

/* New keys behind the same encryptor: see OCKAM_CMD_CHANNEL_SET. */
static int ockam_nl_channel_rekey(struct genl_info *info, struct nlattr **tb,
				  const char *name)
{
	static const int required[] = {
		OCKAM_CHANNEL_A_TX_KEY, OCKAM_CHANNEL_A_RX_KEY,
		OCKAM_CHANNEL_A_IDENTIFIER,
	};
	struct nlattr *nest = info->attrs[OCKAM_A_CHANNEL];
	struct ockam_channel_params p = {};
	int i;

	for (i = 0; i < ARRAY_SIZE(required); i++)
		if (NL_REQ_ATTR_CHECK(info->extack, nest, tb, required[i]))
			return -EINVAL;
	p.fd = nla_get_u32(tb[OCKAM_CHANNEL_A_FD]);
	p.tx_key = nla_data(tb[OCKAM_CHANNEL_A_TX_KEY]);
	p.rx_key = nla_data(tb[OCKAM_CHANNEL_A_RX_KEY]);
	p.route = nla_data(tb[OCKAM_CHANNEL_A_ROUTE]);
	p.route_len = nla_len(tb[OCKAM_CHANNEL_A_ROUTE]);
	p.identifier = nla_data(tb[OCKAM_CHANNEL_A_IDENTIFIER]);
	return ockam_channel_rekey(ockam_nl_node(info), (const u8 *)name,
				   strlen(name), &p, info->extack);
}

static int ockam_nl_channel_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[OCKAM_CHANNEL_A_MAX + 1] = {};
	struct nlattr *nest;
	const char *name;
	int err;

	err = ockam_nl_nest(info, OCKAM_A_CHANNEL, tb, OCKAM_CHANNEL_A_MAX,
			    ockam_channel_set_policy);
	if (err)
		goto out;
	nest = info->attrs[OCKAM_A_CHANNEL];
	err = -EINVAL;
	if (NL_REQ_ATTR_CHECK(info->extack, nest, tb,
			      OCKAM_CHANNEL_A_ADDRESS) ||
	    NL_REQ_ATTR_CHECK(info->extack, nest, tb, OCKAM_CHANNEL_A_ROUTE))
		goto out;
	name = nla_data(tb[OCKAM_CHANNEL_A_ADDRESS]);
	if (tb[OCKAM_CHANNEL_A_FD])
		err = ockam_nl_channel_rekey(info, tb, name);
	else
		err = ockam_channel_set_route(ockam_nl_node(info),
					      (const u8 *)name, strlen(name),
					      nla_data(tb[OCKAM_CHANNEL_A_ROUTE]),
					      nla_len(tb[OCKAM_CHANNEL_A_ROUTE]),
					      info->extack);
out:
	ockam_nl_wipe_keys(tb);
	return err;
}

/* ------------------------------------------------------- reserved names */

static int ockam_nl_reserved_add(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[OCKAM_RESERVED_A_MAX + 1];
	const char *name;
	int err;

	err = ockam_nl_nest(info, OCKAM_A_RESERVED, tb, OCKAM_RESERVED_A_MAX,
			    ockam_reserved_policy);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(info->extack, info->attrs[OCKAM_A_RESERVED], tb,
			      OCKAM_RESERVED_A_ADDRESS))
		return -EINVAL;
	name = nla_data(tb[OCKAM_RESERVED_A_ADDRESS]);
	return ockam_reserved_add(ockam_nl_node(info), (const u8 *)name,
				  strlen(name), info->extack);
}

static int ockam_nl_reserved_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[OCKAM_RESERVED_A_MAX + 1];

	return ockam_nl_remove(info, tb, OCKAM_A_RESERVED,
			       OCKAM_RESERVED_A_MAX,
			       ockam_reserved_policy, OCKAM_RESERVED_A_ADDRESS,
			       ockam_reserved_del);
}

/* --------------------------------------------------------------- dumps */

/* One dump message holding @obj, nested in @attr. */
static int ockam_nl_dump_one(struct sk_buff *skb, struct netlink_callback *cb,
			     u8 cmd, int attr, ockam_nl_fill_t fill,
			     const void *obj)
{
	void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				cb->nlh->nlmsg_seq, &ockam_genl_family,
				NLM_F_MULTI, cmd);

	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	if (ockam_nl_put_nest(skb, attr, fill, obj)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* How a dump shows the owner of each endpoint of its kinds. */
struct ockam_nl_dump_spec {
	u8 cmd;
	int attr;
	enum ockam_endpoint_kind first;
	enum ockam_endpoint_kind last;
	ockam_nl_fill_t fill;
	/* The object @fill takes, from its endpoint. */
	const void *(*owner)(struct ockam_endpoint *ep);
};

/*
 * The next entries of a dump of the node's endpoints of kinds @d->first
 * to @d->last, list after list; cb->args[0] counts the entries sent.
 */
static int ockam_nl_dump(struct sk_buff *skb, struct netlink_callback *cb,
			 const struct ockam_nl_dump_spec *d)
{
	struct ockam_node *node = ockam_node_get(sock_net(skb->sk));
	long skip = cb->args[0], idx = 0;
	enum ockam_endpoint_kind kind;
	struct ockam_endpoint *ep;

	mutex_lock(&node->lock);
	cb->seq = node->generation;
	for (kind = d->first; kind <= d->last; kind++) {
		list_for_each_entry(ep, ockam_node_list(node, kind), list) {
			if (idx < skip) {
				idx++;
				continue;
			}
			if (ockam_nl_dump_one(skb, cb, d->cmd, d->attr, d->fill,
					      d->owner(ep)))
				goto out;
			idx++;
		}
	}
out:
	mutex_unlock(&node->lock);
	cb->args[0] = idx;
	return skb->len;
}

static const void *ockam_nl_transport_of(struct ockam_endpoint *ep)
{
	return ockam_tcp_from_ep(ep);
}

static const void *ockam_nl_alias_of(struct ockam_endpoint *ep)
{
	return ockam_alias_from_ep(ep);
}

static const void *ockam_nl_channel_of(struct ockam_endpoint *ep)
{
	return ockam_channel_from_encryptor(ep);
}

static const void *ockam_nl_portal_of(struct ockam_endpoint *ep)
{
	return ockam_portal_from_ep(ep);
}

static const void *ockam_nl_udp_of(struct ockam_endpoint *ep)
{
	return ockam_udp_from_ep(ep);
}

static const void *ockam_nl_endpoint_of(struct ockam_endpoint *ep)
{
	return ep;
}

static int ockam_nl_transport_dump(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	static const struct ockam_nl_dump_spec d = {
		.cmd = OCKAM_CMD_TRANSPORT_GET, .attr = OCKAM_A_TRANSPORT,
		.first = OCKAM_KIND_TCP, .last = OCKAM_KIND_TCP,
		.fill = ockam_nl_fill_transport, .owner = ockam_nl_transport_of,
	};

	return ockam_nl_dump(skb, cb, &d);
}

static int ockam_nl_alias_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	static const struct ockam_nl_dump_spec d = {
		.cmd = OCKAM_CMD_ALIAS_GET, .attr = OCKAM_A_ALIAS,
		.first = OCKAM_KIND_ALIAS, .last = OCKAM_KIND_ALIAS,
		.fill = ockam_nl_fill_alias, .owner = ockam_nl_alias_of,
	};

	return ockam_nl_dump(skb, cb, &d);
}

static int ockam_nl_channel_dump(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	static const struct ockam_nl_dump_spec d = {
		.cmd = OCKAM_CMD_CHANNEL_GET, .attr = OCKAM_A_CHANNEL,
		.first = OCKAM_KIND_ENCRYPTOR, .last = OCKAM_KIND_ENCRYPTOR,
		.fill = ockam_nl_fill_channel, .owner = ockam_nl_channel_of,
	};

	return ockam_nl_dump(skb, cb, &d);
}

static int ockam_nl_portal_dump(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	static const struct ockam_nl_dump_spec d = {
		.cmd = OCKAM_CMD_PORTAL_GET, .attr = OCKAM_A_PORTAL,
		.first = OCKAM_KIND_PORTAL, .last = OCKAM_KIND_PORTAL,
		.fill = ockam_nl_fill_portal, .owner = ockam_nl_portal_of,
	};

	return ockam_nl_dump(skb, cb, &d);
}

static int ockam_nl_udp_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	static const struct ockam_nl_dump_spec d = {
		.cmd = OCKAM_CMD_UDP_GET, .attr = OCKAM_A_UDP,
		.first = OCKAM_KIND_UDP, .last = OCKAM_KIND_UDP,
		.fill = ockam_nl_fill_udp, .owner = ockam_nl_udp_of,
	};

	return ockam_nl_dump(skb, cb, &d);
}

static int ockam_nl_address_dump(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	static const struct ockam_nl_dump_spec d = {
		.cmd = OCKAM_CMD_ADDRESS_GET, .attr = OCKAM_A_ENDPOINT,
		.first = OCKAM_KIND_SOCKET, .last = __OCKAM_KIND_MAX - 1,
		.fill = ockam_nl_fill_endpoint, .owner = ockam_nl_endpoint_of,
	};

	return ockam_nl_dump(skb, cb, &d);
}

/* The reserved names are not endpoints: a list of their own. */
static int ockam_nl_reserved_dump(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct ockam_node *node = ockam_node_get(sock_net(skb->sk));
	long skip = cb->args[0], idx = 0;
	struct ockam_reserved *r;

	mutex_lock(&node->lock);
	cb->seq = node->generation;
	list_for_each_entry(r, &node->reserved, list) {
		if (idx < skip) {
			idx++;
			continue;
		}
		if (ockam_nl_dump_one(skb, cb, OCKAM_CMD_RESERVED_GET,
				      OCKAM_A_RESERVED, ockam_nl_fill_reserved,
				      r))
			break;
		idx++;
	}
	mutex_unlock(&node->lock);
	cb->args[0] = idx;
	return skb->len;
}

/* ---------------------------------------------------------- the family */

static const struct genl_ops ockam_genl_ops[] = {
	{
		.cmd = OCKAM_CMD_NODE_GET,
		.doit = ockam_nl_node_get,
		.policy = ockam_no_attrs_policy,
		.maxattr = OCKAM_A_MAX,
	}, {
		.cmd = OCKAM_CMD_NODE_SET,
		.doit = ockam_nl_node_set,
		.policy = ockam_node_set_top,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_TRANSPORT_ATTACH,
		.doit = ockam_nl_transport_attach,
		.policy = ockam_transport_attach_top,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_TRANSPORT_DETACH,
		.doit = ockam_nl_transport_detach,
		.policy = ockam_transport_name_top,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_TRANSPORT_GET,
		.dumpit = ockam_nl_transport_dump,
		.policy = ockam_no_attrs_policy,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_ALIAS_ADD,
		.doit = ockam_nl_alias_add,
		.policy = ockam_alias_add_top,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_ALIAS_DEL,
		.doit = ockam_nl_alias_del,
		.policy = ockam_alias_name_top,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_ALIAS_GET,
		.dumpit = ockam_nl_alias_dump,
		.policy = ockam_no_attrs_policy,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_ADDRESS_GET,
		.dumpit = ockam_nl_address_dump,
		.policy = ockam_no_attrs_policy,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_DIAL_FAILED,
		.doit = ockam_nl_dial_failed,
		.policy = ockam_dial_failed_top,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_CHANNEL_ADD,
		.doit = ockam_nl_channel_add,
		.policy = ockam_channel_add_top,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_CHANNEL_DEL,
		.doit = ockam_nl_channel_del,
		.policy = ockam_channel_name_top,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_CHANNEL_SET,
		.doit = ockam_nl_channel_set,
		.policy = ockam_channel_set_top,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_CHANNEL_GET,
		.dumpit = ockam_nl_channel_dump,
		.policy = ockam_no_attrs_policy,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_RESERVED_ADD,
		.doit = ockam_nl_reserved_add,
		.policy = ockam_reserved_top,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_RESERVED_DEL,
		.doit = ockam_nl_reserved_del,
		.policy = ockam_reserved_top,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_RESERVED_GET,
		.dumpit = ockam_nl_reserved_dump,
		.policy = ockam_no_attrs_policy,
		.maxattr = OCKAM_A_MAX,
	}, {
		.cmd = OCKAM_CMD_PORTAL_ATTACH,
		.doit = ockam_nl_portal_attach,
		.policy = ockam_portal_attach_top,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_PORTAL_DETACH,
		.doit = ockam_nl_portal_detach,
		.policy = ockam_portal_name_top,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_PORTAL_GET,
		.dumpit = ockam_nl_portal_dump,
		.policy = ockam_no_attrs_policy,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_UDP_ATTACH,
		.doit = ockam_nl_udp_attach,
		.policy = ockam_udp_attach_top,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_UDP_DETACH,
		.doit = ockam_nl_udp_detach,
		.policy = ockam_udp_name_top,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_UDP_GET,
		.dumpit = ockam_nl_udp_dump,
		.policy = ockam_no_attrs_policy,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group ockam_mcgrps[] = {
	[OCKAM_MCGRP_EVENTS] = {
		.name = OCKAM_GENL_MCGRP_EVENTS,
		/* Events name peers and connections: not for everyone. */
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

static struct genl_family ockam_genl_family __ro_after_init = {
	.name = OCKAM_GENL_NAME,
	.version = OCKAM_GENL_VERSION,
	.maxattr = OCKAM_A_MAX,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = ockam_genl_ops,
	.n_ops = ARRAY_SIZE(ockam_genl_ops),
	.mcgrps = ockam_mcgrps,
	.n_mcgrps = ARRAY_SIZE(ockam_mcgrps),
};

/* -------------------------------------------------------------- events */

static bool ockam_nl_events_wanted(struct ockam_node *node)
{
	return READ_ONCE(ockam_events_live) && !READ_ONCE(node->dying) &&
	       genl_has_listeners(&ockam_genl_family, node->net,
				  OCKAM_MCGRP_EVENTS);
}

/*
 * Multicast event @cmd about @obj, nested in @attr, when some daemon
 * listens. Never under a spinlock: it allocates and takes netlink's
 * locks. Returns 0 only if the event went out.
 */
static int ockam_nl_event(struct ockam_node *node, u8 cmd, int attr,
			  ockam_nl_fill_t fill, const void *obj)
{
	struct sk_buff *msg;
	int err = -ESRCH;
	void *hdr;

	rcu_read_lock();
	if (!ockam_nl_events_wanted(node))
		goto out;
	err = -ENOMEM;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_ATOMIC);
	if (!msg)
		goto out;
	hdr = genlmsg_put(msg, 0, 0, &ockam_genl_family, 0, cmd);
	if (!hdr || ockam_nl_put_nest(msg, attr, fill, obj)) {
		nlmsg_free(msg);
		goto out;
	}
	genlmsg_end(msg, hdr);
	err = genlmsg_multicast_netns(&ockam_genl_family, node->net, msg, 0,
				      OCKAM_MCGRP_EVENTS, GFP_ATOMIC);
out:
	rcu_read_unlock();
	return err;
}

/* Would a daemon hear a dial request? */
bool ockam_netlink_dial_wanted(struct ockam_node *node)
{
	bool wanted;

	rcu_read_lock();
	wanted = ockam_nl_events_wanted(node);
	rcu_read_unlock();
	return wanted;
}

/* Returns 0 only if some daemon heard the request. */
int ockam_netlink_dial_request(struct ockam_node *node, const u8 *peer,
			       u32 len)
{
	struct ockam_nl_dial dial = { .peer = peer, .len = len };

	return ockam_nl_event(node, OCKAM_CMD_DIAL_REQUEST, OCKAM_A_DIAL,
			      ockam_nl_fill_dial, &dial);
}

void ockam_netlink_transport_down(struct ockam_node *node,
				  const struct ockam_tcp *t)
{
	ockam_nl_event(node, OCKAM_CMD_TRANSPORT_DOWN, OCKAM_A_TRANSPORT,
		       ockam_nl_fill_transport_down, t);
}

void ockam_netlink_channel_closed(struct ockam_channel *ch,
				  enum ockam_channel_close_reason reason)
{
	struct ockam_nl_closed closed = { .ch = ch, .reason = reason };

	ockam_nl_event(ch->node, OCKAM_CMD_CHANNEL_CLOSED, OCKAM_A_CHANNEL,
		       ockam_nl_fill_channel_closed, &closed);
}

void ockam_netlink_channel_state(struct ockam_channel *ch,
				 enum ockam_channel_state state,
				 enum ockam_channel_state_reason reason)
{
	struct ockam_nl_channel_state st = {
		.ch = ch, .state = state, .reason = reason,
	};

	ockam_nl_event(ch->node, OCKAM_CMD_CHANNEL_STATE, OCKAM_A_CHANNEL,
		       ockam_nl_fill_channel_state, &st);
}

void ockam_netlink_portal_closed(const struct ockam_portal *p)
{
	ockam_nl_event(p->node, OCKAM_CMD_PORTAL_CLOSED, OCKAM_A_PORTAL,
		       ockam_nl_fill_portal_closed, p);
}

/*
 * Transports, channels and portal sessions close with the netlink socket
 * that made them.
 */
static int ockam_nl_release(struct notifier_block *nb, unsigned long state,
			    void *ptr)
{
	struct netlink_notify *n = ptr;

	if (state != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !n->portid)
		return NOTIFY_DONE;
	/*
	 * Sessions and channels first: their DISCONNECTs and close messages
	 * leave on the transports.
	 */
	ockam_portal_owner_gone(ockam_node_get(n->net), n->portid);
	ockam_channel_owner_gone(ockam_node_get(n->net), n->portid);
	ockam_tcp_owner_gone(ockam_node_get(n->net), n->portid);
	ockam_udp_owner_gone(ockam_node_get(n->net), n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block ockam_nl_notifier = {
	.notifier_call = ockam_nl_release,
};

int ockam_netlink_init(void)
{
	int err;

	err = genl_register_family(&ockam_genl_family);
	if (err)
		return err;
	err = netlink_register_notifier(&ockam_nl_notifier);
	if (err) {
		genl_unregister_family(&ockam_genl_family);
		return err;
	}
	WRITE_ONCE(ockam_events_live, true);
	return 0;
}

void ockam_netlink_uninit(void)
{
	WRITE_ONCE(ockam_events_live, false);
	/* Senders check the flag under RCU. */
	synchronize_rcu();
	netlink_unregister_notifier(&ockam_nl_notifier);
	genl_unregister_family(&ockam_genl_family);
}
