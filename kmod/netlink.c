// SPDX-License-Identifier: GPL-2.0
/*
 * The "ockam" generic netlink family, per Documentation/netlink/specs/ockam.yaml.
 *
 * Every command acts on the node of the caller's network namespace. Writes
 * need CAP_NET_ADMIN in the user namespace owning that network namespace
 * (GENL_UNS_ADMIN_PERM), as do joining the events group and the dumps
 * that name peers, routes or addresses (a channel's encryptor address is
 * all it takes to send through the channel); the node's settings,
 * counters and reserved names are open to all. Validation is
 * strict: each command has its own policy, and attributes it does not list
 * are rejected. Dumps page through the node's endpoint list by index and
 * flag themselves NLM_F_DUMP_INTR when the node changed in between.
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
#include "reserved.h"
#include "tcp.h"

enum ockam_mcgrp {
	OCKAM_MCGRP_EVENTS,
};

static struct genl_family ockam_genl_family;

/* Events are sent only while the family is registered. */
static bool ockam_events_live;

static struct netlink_range_validation ockam_max_message_range = {
	.min = OCKAM_MAX_MESSAGE_MIN,
	.max = OCKAM_MAX_MESSAGE_MAX,
};

static struct netlink_range_validation ockam_dial_timeout_range = {
	.min = OCKAM_DIAL_TIMEOUT_MS_MIN,
	.max = OCKAM_DIAL_TIMEOUT_MS_MAX,
};

#define OCKAM_POLICY_NAME { .type = NLA_NUL_STRING, .len = OCKAM_ADDR_VALUE_MAX }

static const struct nla_policy ockam_no_attrs_policy[OCKAM_A_MAX + 1] = {
};

static const struct nla_policy ockam_node_set_policy[OCKAM_A_MAX + 1] = {
	[OCKAM_A_MAX_MESSAGE] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &ockam_max_message_range),
	[OCKAM_A_HOP_LIMIT] = NLA_POLICY_RANGE(NLA_U32, 1, OCKAM_ROUTE_HOPS_MAX),
	[OCKAM_A_DIAL_TIMEOUT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &ockam_dial_timeout_range),
	[OCKAM_A_DIAL_FORWARDED] = NLA_POLICY_MAX(NLA_U32, 1),
};

static const struct nla_policy ockam_attach_policy[OCKAM_A_MAX + 1] = {
	[OCKAM_A_FD] = { .type = NLA_U32 },
	[OCKAM_A_ADDRESS] = OCKAM_POLICY_NAME,
	[OCKAM_A_PEER] = OCKAM_POLICY_NAME,
	[OCKAM_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, __OCKAM_TRANSPORT_F_ALL),
};

static const struct nla_policy ockam_address_policy[OCKAM_A_MAX + 1] = {
	[OCKAM_A_ADDRESS] = OCKAM_POLICY_NAME,
};

static const struct nla_policy ockam_route_add_policy[OCKAM_A_MAX + 1] = {
	[OCKAM_A_ADDRESS] = OCKAM_POLICY_NAME,
	[OCKAM_A_ROUTE] = { .type = NLA_BINARY, .len = OCKAM_ROUTE_BYTES_MAX },
};

static const struct nla_policy ockam_dial_failed_policy[OCKAM_A_MAX + 1] = {
	[OCKAM_A_PEER] = OCKAM_POLICY_NAME,
	[OCKAM_A_ERRNO] = NLA_POLICY_RANGE(NLA_U32, 1, MAX_ERRNO),
};

static struct netlink_range_validation ockam_tx_counter_range = {
	.max = OCKAM_COUNTER_LIMIT - 1,
};

static const struct nla_policy ockam_channel_add_policy[OCKAM_A_MAX + 1] = {
	[OCKAM_A_FD] = { .type = NLA_U32 },
	[OCKAM_A_TX_KEY] = NLA_POLICY_EXACT_LEN(OCKAM_KEY_LEN),
	[OCKAM_A_RX_KEY] = NLA_POLICY_EXACT_LEN(OCKAM_KEY_LEN),
	[OCKAM_A_ROUTE] = { .type = NLA_BINARY, .len = OCKAM_ROUTE_BYTES_MAX },
	[OCKAM_A_IDENTIFIER] = { .type = NLA_NUL_STRING,
				 .len = OCKAM_IDENTIFIER_LEN },
	[OCKAM_A_ROLE] = NLA_POLICY_RANGE(NLA_U32, OCKAM_ROLE_INITIATOR,
					  OCKAM_ROLE_RESPONDER),
	[OCKAM_A_TX_COUNTER] =
		NLA_POLICY_FULL_RANGE(NLA_U64, &ockam_tx_counter_range),
};

static struct ockam_node *ockam_nl_node(struct genl_info *info)
{
	return ockam_node_get(genl_info_net(info));
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

static int ockam_nl_put_stats(struct sk_buff *msg,
			      struct ockam_stats __percpu *stats)
{
	u64 sum[__OCKAM_STAT_MAX];
	struct nlattr *nest;
	int i;

	ockam_stats_read(stats, sum);
	nest = nla_nest_start(msg, OCKAM_A_STATS);
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

static int ockam_nl_put_transport(struct sk_buff *msg, struct ockam_tcp *t)
{
	if (ockam_nl_put_name(msg, OCKAM_A_ADDRESS, t->ep.name,
			      t->ep.name_len) ||
	    nla_put_u32(msg, OCKAM_A_KIND, OCKAM_KIND_TCP) ||
	    ockam_nl_put_name(msg, OCKAM_A_PEER, t->peer, t->peer_len) ||
	    nla_put_string(msg, OCKAM_A_LOCAL, t->local) ||
	    nla_put_u32(msg, OCKAM_A_FLAGS, t->flags) ||
	    ockam_nl_put_stats(msg, t->stats))
		return -EMSGSIZE;
	return 0;
}

/* A route stored as its addresses, with the count put back in front. */
static int ockam_nl_put_route(struct sk_buff *msg, u32 hops, const u8 *addrs,
			      u32 len)
{
	u32 count_len = ockam_uleb_len(hops);
	struct nlattr *nla;
	u8 *route;

	nla = nla_reserve(msg, OCKAM_A_ROUTE, count_len + len);
	if (!nla)
		return -EMSGSIZE;
	route = nla_data(nla);
	ockam_uleb_encode(route, hops);
	memcpy(route + count_len, addrs, len);
	return 0;
}

static int ockam_nl_put_alias(struct sk_buff *msg, struct ockam_alias *alias)
{
	if (ockam_nl_put_name(msg, OCKAM_A_ADDRESS, alias->ep.name,
			      alias->ep.name_len))
		return -EMSGSIZE;
	return ockam_nl_put_route(msg, alias->hops, alias->route, alias->len);
}

static int ockam_nl_node_get(struct sk_buff *skb, struct genl_info *info)
{
	struct ockam_node *node = ockam_nl_node(info);
	struct sk_buff *msg;
	u32 count;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ockam_genl_family, 0,
				OCKAM_CMD_NODE_GET);
	if (!hdr)
		goto nospace;

	mutex_lock(&node->lock);
	count = node->address_count;
	mutex_unlock(&node->lock);
	if (nla_put_u32(msg, OCKAM_A_FAMILY, ockam_family) ||
	    nla_put_u32(msg, OCKAM_A_MAX_MESSAGE,
			READ_ONCE(node->max_message)) ||
	    nla_put_u32(msg, OCKAM_A_HOP_LIMIT, READ_ONCE(node->hop_limit)) ||
	    nla_put_u32(msg, OCKAM_A_DIAL_TIMEOUT,
			READ_ONCE(node->dial_timeout_ms)) ||
	    nla_put_u32(msg, OCKAM_A_ADDRESS_COUNT, count) ||
	    nla_put_u32(msg, OCKAM_A_DIAL_FORWARDED,
			READ_ONCE(node->dial_forwarded)) ||
	    ockam_nl_put_stats(msg, node->stats))
		goto nospace;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int ockam_nl_node_set(struct sk_buff *skb, struct genl_info *info)
{
	struct ockam_node *node = ockam_nl_node(info);
	struct nlattr **attrs = info->attrs;

	mutex_lock(&node->lock);
	if (attrs[OCKAM_A_MAX_MESSAGE])
		WRITE_ONCE(node->max_message,
			   nla_get_u32(attrs[OCKAM_A_MAX_MESSAGE]));
	if (attrs[OCKAM_A_HOP_LIMIT])
		WRITE_ONCE(node->hop_limit,
			   nla_get_u32(attrs[OCKAM_A_HOP_LIMIT]));
	if (attrs[OCKAM_A_DIAL_TIMEOUT])
		WRITE_ONCE(node->dial_timeout_ms,
			   nla_get_u32(attrs[OCKAM_A_DIAL_TIMEOUT]));
	if (attrs[OCKAM_A_DIAL_FORWARDED])
		WRITE_ONCE(node->dial_forwarded,
			   nla_get_u32(attrs[OCKAM_A_DIAL_FORWARDED]));
	node->generation++;
	mutex_unlock(&node->lock);

	if (attrs[OCKAM_A_MAX_MESSAGE])
		ockam_tcp_node_resize(node);
	return 0;
}

static int ockam_nl_transport_attach(struct sk_buff *skb,
				     struct genl_info *info)
{
	struct ockam_node *node = ockam_nl_node(info);
	struct nlattr **attrs = info->attrs;
	struct ockam_tcp_attach req = {};
	struct ockam_tcp *t;
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, OCKAM_A_FD))
		return -EINVAL;
	req.fd = nla_get_u32(attrs[OCKAM_A_FD]);
	if (attrs[OCKAM_A_ADDRESS])
		req.address = nla_data(attrs[OCKAM_A_ADDRESS]);
	if (attrs[OCKAM_A_PEER])
		req.peer = nla_data(attrs[OCKAM_A_PEER]);
	if (attrs[OCKAM_A_FLAGS])
		req.flags = nla_get_u32(attrs[OCKAM_A_FLAGS]);
	req.owner_portid = info->snd_portid;

	/* Allocate the reply first: once attached, there is no undo. */
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = ockam_tcp_attach(node, &req, info->extack, &t);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	hdr = genlmsg_put_reply(msg, info, &ockam_genl_family, 0,
				OCKAM_CMD_TRANSPORT_ATTACH);
	if (!hdr || ockam_nl_put_transport(msg, t)) {
		ockam_tcp_put(t);
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	ockam_tcp_put(t);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* The request's OCKAM_A_ADDRESS, which it must have; NULL if it has not. */
static const u8 *ockam_nl_address(struct genl_info *info, u32 *len)
{
	const char *name;

	if (GENL_REQ_ATTR_CHECK(info, OCKAM_A_ADDRESS))
		return NULL;
	name = nla_data(info->attrs[OCKAM_A_ADDRESS]);
	*len = strlen(name);
	return (const u8 *)name;
}

typedef int (*ockam_nl_remove_t)(struct ockam_node *node, const u8 *name,
				 u32 len);

/* The extack message of a removal that found nothing. */
static void ockam_nl_not_found(struct genl_info *info)
{
	const struct nlattr *attr = info->attrs[OCKAM_A_ADDRESS];

	switch (info->genlhdr->cmd) {
	case OCKAM_CMD_TRANSPORT_DETACH:
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "no transport at that address");
		break;
	case OCKAM_CMD_ROUTE_DEL:
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "no alias at that address");
		break;
	case OCKAM_CMD_RESERVED_DEL:
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "that name is not reserved");
		break;
	default:
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "no secure channel at that address");
		break;
	}
}

/* Remove what the request's OCKAM_A_ADDRESS names, with @remove. */
static int ockam_nl_remove(struct genl_info *info, ockam_nl_remove_t remove)
{
	const u8 *name;
	u32 len;
	int err;

	name = ockam_nl_address(info, &len);
	if (!name)
		return -EINVAL;
	err = remove(ockam_nl_node(info), name, len);
	if (err == -ENOENT)
		ockam_nl_not_found(info);
	return err;
}

static int ockam_nl_transport_detach(struct sk_buff *skb,
				     struct genl_info *info)
{
	return ockam_nl_remove(info, ockam_tcp_detach);
}

static int ockam_nl_route_add(struct sk_buff *skb, struct genl_info *info)
{
	const struct nlattr *route;
	const u8 *name;
	u32 len;

	name = ockam_nl_address(info, &len);
	if (!name || GENL_REQ_ATTR_CHECK(info, OCKAM_A_ROUTE))
		return -EINVAL;
	route = info->attrs[OCKAM_A_ROUTE];
	return ockam_alias_add(ockam_nl_node(info), name, len, nla_data(route),
			       nla_len(route), info->extack);
}

static int ockam_nl_route_del(struct sk_buff *skb, struct genl_info *info)
{
	return ockam_nl_remove(info, ockam_alias_del);
}

static int ockam_nl_reserved_add(struct sk_buff *skb, struct genl_info *info)
{
	const u8 *name;
	u32 len;

	name = ockam_nl_address(info, &len);
	if (!name)
		return -EINVAL;
	return ockam_reserved_add(ockam_nl_node(info), name, len,
				  info->extack);
}

static int ockam_nl_reserved_del(struct sk_buff *skb, struct genl_info *info)
{
	return ockam_nl_remove(info, ockam_reserved_del);
}

/* One page of the reserved names; cb->args[0] counts those sent. */
static int ockam_nl_reserved_dump(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct ockam_node *node = ockam_node_get(sock_net(skb->sk));
	long skip = cb->args[0], idx = 0;
	struct ockam_reserved *r;
	void *hdr;

	mutex_lock(&node->lock);
	cb->seq = node->generation;
	list_for_each_entry(r, &node->reserved, list) {
		if (idx < skip) {
			idx++;
			continue;
		}
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &ockam_genl_family,
				  NLM_F_MULTI, OCKAM_CMD_RESERVED_GET);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		if (ockam_nl_put_name(skb, OCKAM_A_ADDRESS, r->name, r->len)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		idx++;
	}
	mutex_unlock(&node->lock);
	cb->args[0] = idx;
	return skb->len;
}

static int ockam_nl_dial_failed(struct sk_buff *skb, struct genl_info *info)
{
	const char *peer;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, OCKAM_A_PEER) ||
	    GENL_REQ_ATTR_CHECK(info, OCKAM_A_ERRNO))
		return -EINVAL;
	peer = nla_data(info->attrs[OCKAM_A_PEER]);
	err = ockam_dial_failed(ockam_nl_node(info), (const u8 *)peer,
				strlen(peer),
				nla_get_u32(info->attrs[OCKAM_A_ERRNO]));
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[OCKAM_A_PEER],
				    "no dial pending for that peer");
	return err;
}

static int ockam_nl_put_channel_state(struct sk_buff *msg,
				      struct ockam_channel *ch)
{
	u64 tx_counter, tx_rekeys, rx_next, rx_rekeys;

	spin_lock_bh(&ch->tx.lock);
	tx_counter = ch->tx.counter;
	tx_rekeys = ch->tx.rekeys;
	spin_unlock_bh(&ch->tx.lock);
	spin_lock_bh(&ch->rx.lock);
	rx_next = ch->rx.replay.next;
	rx_rekeys = ch->rx.hi;
	spin_unlock_bh(&ch->rx.lock);

	if (nla_put_u64_64bit(msg, OCKAM_A_TX_COUNTER, tx_counter,
			      OCKAM_A_PAD) ||
	    nla_put_u64_64bit(msg, OCKAM_A_TX_REKEYS, tx_rekeys, OCKAM_A_PAD) ||
	    nla_put_u64_64bit(msg, OCKAM_A_RX_REKEYS, rx_rekeys, OCKAM_A_PAD))
		return -EMSGSIZE;
	/* Nothing accepted yet: no highest counter to report. */
	if (rx_next &&
	    nla_put_u64_64bit(msg, OCKAM_A_RX_COUNTER, rx_next - 1,
			      OCKAM_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int ockam_nl_put_channel(struct sk_buff *msg, struct ockam_channel *ch)
{
	char id[OCKAM_IDENTIFIER_LEN + 1];

	id[0] = 'I';
	bin2hex(id + 1, ch->peer, OCKAM_IDENTIFIER_BYTES);
	id[OCKAM_IDENTIFIER_LEN] = '\0';
	if (ockam_nl_put_name(msg, OCKAM_A_ADDRESS, ch->encryptor.name,
			      ch->encryptor.name_len) ||
	    ockam_nl_put_name(msg, OCKAM_A_DECRYPTOR, ch->decryptor.name,
			      ch->decryptor.name_len) ||
	    nla_put_string(msg, OCKAM_A_IDENTIFIER, id) ||
	    nla_put_u32(msg, OCKAM_A_ROLE, ch->role))
		return -EMSGSIZE;
	if (ockam_nl_put_route(msg, ch->route_hops, ch->route,
			       ch->route_len) ||
	    ockam_nl_put_channel_state(msg, ch) ||
	    ockam_nl_put_stats(msg, ch->stats))
		return -EMSGSIZE;
	return 0;
}

/* Keys are read once, then wiped from the request. */
static void ockam_nl_wipe_keys(struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;

	if (attrs[OCKAM_A_TX_KEY])
		memzero_explicit(nla_data(attrs[OCKAM_A_TX_KEY]), OCKAM_KEY_LEN);
	if (attrs[OCKAM_A_RX_KEY])
		memzero_explicit(nla_data(attrs[OCKAM_A_RX_KEY]), OCKAM_KEY_LEN);
}

static int ockam_nl_channel_params(struct genl_info *info,
				   struct ockam_channel_params *p)
{
	struct nlattr **attrs = info->attrs;

	if (GENL_REQ_ATTR_CHECK(info, OCKAM_A_FD) ||
	    GENL_REQ_ATTR_CHECK(info, OCKAM_A_TX_KEY) ||
	    GENL_REQ_ATTR_CHECK(info, OCKAM_A_RX_KEY) ||
	    GENL_REQ_ATTR_CHECK(info, OCKAM_A_ROUTE) ||
	    GENL_REQ_ATTR_CHECK(info, OCKAM_A_IDENTIFIER) ||
	    GENL_REQ_ATTR_CHECK(info, OCKAM_A_ROLE))
		return -EINVAL;
	/* A chosen first counter would let a test (only) reach the limit. */
	if (attrs[OCKAM_A_TX_COUNTER] && !ockam_selftests_built()) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[OCKAM_A_TX_COUNTER],
				    "only a self-test build takes a first counter");
		return -EOPNOTSUPP;
	}
	p->fd = nla_get_u32(attrs[OCKAM_A_FD]);
	p->tx_key = nla_data(attrs[OCKAM_A_TX_KEY]);
	p->rx_key = nla_data(attrs[OCKAM_A_RX_KEY]);
	p->route = nla_data(attrs[OCKAM_A_ROUTE]);
	p->route_len = nla_len(attrs[OCKAM_A_ROUTE]);
	p->identifier = nla_data(attrs[OCKAM_A_IDENTIFIER]);
	p->role = nla_get_u32(attrs[OCKAM_A_ROLE]);
	if (attrs[OCKAM_A_TX_COUNTER])
		p->tx_counter = nla_get_u64(attrs[OCKAM_A_TX_COUNTER]);
	p->owner_portid = info->snd_portid;
	return 0;
}

static int ockam_nl_channel_add(struct sk_buff *skb, struct genl_info *info)
{
	struct ockam_channel_params params = {};
	struct ockam_channel *ch;
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = ockam_nl_channel_params(info, &params);
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
	hdr = genlmsg_put_reply(msg, info, &ockam_genl_family, 0,
				OCKAM_CMD_CHANNEL_ADD);
	err = -EMSGSIZE;
	if (!hdr || ockam_nl_put_channel(msg, ch)) {
		ockam_channel_put(ch);
		nlmsg_free(msg);
		goto out;
	}
	ockam_channel_put(ch);
	genlmsg_end(msg, hdr);
	err = genlmsg_reply(msg, info);
out:
	ockam_nl_wipe_keys(info);
	return err;
}

static int ockam_nl_channel_del(struct sk_buff *skb, struct genl_info *info)
{
	return ockam_nl_remove(info, ockam_channel_del);
}

typedef int (*ockam_nl_fill_t)(struct sk_buff *msg, struct ockam_endpoint *ep);

static int ockam_nl_fill_channel(struct sk_buff *msg, struct ockam_endpoint *ep)
{
	return ockam_nl_put_channel(msg, ockam_channel_from_encryptor(ep));
}

static int ockam_nl_fill_transport(struct sk_buff *msg,
				   struct ockam_endpoint *ep)
{
	return ockam_nl_put_transport(msg, ockam_tcp_from_ep(ep));
}

static int ockam_nl_fill_alias(struct sk_buff *msg, struct ockam_endpoint *ep)
{
	return ockam_nl_put_alias(msg, ockam_alias_from_ep(ep));
}

static int ockam_nl_fill_address(struct sk_buff *msg,
				 struct ockam_endpoint *ep)
{
	if (ockam_nl_put_name(msg, OCKAM_A_ADDRESS, ep->name, ep->name_len) ||
	    nla_put_u32(msg, OCKAM_A_KIND, ep->kind))
		return -EMSGSIZE;
	return 0;
}

/*
 * The next entries of a dump of the node's endpoints of kinds @first to
 * @last, list after list; cb->args[0] counts the entries already sent.
 */
static int ockam_nl_dump(struct sk_buff *skb, struct netlink_callback *cb,
			 u8 cmd, enum ockam_endpoint_kind first,
			 enum ockam_endpoint_kind last, ockam_nl_fill_t fill)
{
	struct ockam_node *node = ockam_node_get(sock_net(skb->sk));
	long skip = cb->args[0], idx = 0;
	enum ockam_endpoint_kind kind;
	struct ockam_endpoint *ep;
	void *hdr;

	mutex_lock(&node->lock);
	cb->seq = node->generation;
	for (kind = first; kind <= last; kind++) {
		list_for_each_entry(ep, ockam_node_list(node, kind), list) {
			if (idx < skip) {
				idx++;
				continue;
			}
			hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq,
					  &ockam_genl_family, NLM_F_MULTI, cmd);
			if (!hdr)
				goto out;
			genl_dump_check_consistent(cb, hdr);
			if (fill(skb, ep)) {
				genlmsg_cancel(skb, hdr);
				goto out;
			}
			genlmsg_end(skb, hdr);
			idx++;
		}
	}
out:
	mutex_unlock(&node->lock);
	cb->args[0] = idx;
	return skb->len;
}

static int ockam_nl_transport_dump(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	return ockam_nl_dump(skb, cb, OCKAM_CMD_TRANSPORT_GET, OCKAM_KIND_TCP,
			     OCKAM_KIND_TCP, ockam_nl_fill_transport);
}

static int ockam_nl_route_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return ockam_nl_dump(skb, cb, OCKAM_CMD_ROUTE_GET, OCKAM_KIND_ALIAS,
			     OCKAM_KIND_ALIAS, ockam_nl_fill_alias);
}

static int ockam_nl_channel_dump(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	return ockam_nl_dump(skb, cb, OCKAM_CMD_CHANNEL_GET,
			     OCKAM_KIND_ENCRYPTOR, OCKAM_KIND_ENCRYPTOR,
			     ockam_nl_fill_channel);
}

static int ockam_nl_address_dump(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	return ockam_nl_dump(skb, cb, OCKAM_CMD_ADDRESS_GET, OCKAM_KIND_SOCKET,
			     __OCKAM_KIND_MAX - 1, ockam_nl_fill_address);
}

static const struct genl_ops ockam_genl_ops[] = {
	{
		.cmd = OCKAM_CMD_NODE_GET,
		.doit = ockam_nl_node_get,
		.policy = ockam_no_attrs_policy,
		.maxattr = OCKAM_A_MAX,
	}, {
		.cmd = OCKAM_CMD_NODE_SET,
		.doit = ockam_nl_node_set,
		.policy = ockam_node_set_policy,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_TRANSPORT_ATTACH,
		.doit = ockam_nl_transport_attach,
		.policy = ockam_attach_policy,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_TRANSPORT_DETACH,
		.doit = ockam_nl_transport_detach,
		.policy = ockam_address_policy,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_TRANSPORT_GET,
		.dumpit = ockam_nl_transport_dump,
		.policy = ockam_no_attrs_policy,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_ROUTE_ADD,
		.doit = ockam_nl_route_add,
		.policy = ockam_route_add_policy,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_ROUTE_DEL,
		.doit = ockam_nl_route_del,
		.policy = ockam_address_policy,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_ROUTE_GET,
		.dumpit = ockam_nl_route_dump,
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
		.policy = ockam_dial_failed_policy,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_CHANNEL_ADD,
		.doit = ockam_nl_channel_add,
		.policy = ockam_channel_add_policy,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_CHANNEL_DEL,
		.doit = ockam_nl_channel_del,
		.policy = ockam_address_policy,
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
		.policy = ockam_address_policy,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_RESERVED_DEL,
		.doit = ockam_nl_reserved_del,
		.policy = ockam_address_policy,
		.maxattr = OCKAM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = OCKAM_CMD_RESERVED_GET,
		.dumpit = ockam_nl_reserved_dump,
		.policy = ockam_no_attrs_policy,
		.maxattr = OCKAM_A_MAX,
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

static struct sk_buff *ockam_nl_event_new(u8 cmd, size_t payload, void **hdr)
{
	struct sk_buff *msg = genlmsg_new(payload, GFP_ATOMIC);

	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &ockam_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static bool ockam_nl_events_wanted(struct ockam_node *node)
{
	return READ_ONCE(ockam_events_live) && !READ_ONCE(node->dying) &&
	       genl_has_listeners(&ockam_genl_family, node->net,
				  OCKAM_MCGRP_EVENTS);
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

/* Returns 0 only if some daemon heard the request. Not under a spinlock. */
int ockam_netlink_dial_request(struct ockam_node *node, const u8 *peer,
			       u32 len)
{
	struct sk_buff *msg;
	int err = -ESRCH;
	void *hdr;

	rcu_read_lock();
	if (!ockam_nl_events_wanted(node))
		goto out;
	err = -ENOMEM;
	msg = ockam_nl_event_new(OCKAM_CMD_DIAL_REQUEST,
				 nla_total_size(len + 1), &hdr);
	if (!msg)
		goto out;
	if (ockam_nl_put_name(msg, OCKAM_A_PEER, peer, len)) {
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

typedef int (*ockam_nl_event_fill_t)(struct sk_buff *msg, const void *obj);

/* Multicast event @cmd about @obj, when some daemon listens. */
static void ockam_nl_event(struct ockam_node *node, u8 cmd,
			   ockam_nl_event_fill_t fill, const void *obj)
{
	struct sk_buff *msg;
	void *hdr;

	rcu_read_lock();
	if (!ockam_nl_events_wanted(node))
		goto out;
	msg = ockam_nl_event_new(cmd, NLMSG_DEFAULT_SIZE, &hdr);
	if (!msg)
		goto out;
	if (fill(msg, obj)) {
		nlmsg_free(msg);
		goto out;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&ockam_genl_family, node->net, msg, 0,
				OCKAM_MCGRP_EVENTS, GFP_ATOMIC);
out:
	rcu_read_unlock();
}

static int ockam_nl_fill_transport_down(struct sk_buff *msg, const void *obj)
{
	const struct ockam_tcp *t = obj;

	if (ockam_nl_put_name(msg, OCKAM_A_ADDRESS, t->ep.name,
			      t->ep.name_len) ||
	    ockam_nl_put_name(msg, OCKAM_A_PEER, t->peer, t->peer_len) ||
	    nla_put_u32(msg, OCKAM_A_FLAGS, t->flags) ||
	    nla_put_u32(msg, OCKAM_A_REASON, t->down_reason) ||
	    (t->down_errno &&
	     nla_put_u32(msg, OCKAM_A_ERRNO, t->down_errno)))
		return -EMSGSIZE;
	return 0;
}

void ockam_netlink_transport_down(struct ockam_node *node,
				  const struct ockam_tcp *t)
{
	ockam_nl_event(node, OCKAM_CMD_TRANSPORT_DOWN,
		       ockam_nl_fill_transport_down, t);
}

struct ockam_nl_closed {
	const struct ockam_channel *ch;
	enum ockam_channel_close_reason reason;
};

static int ockam_nl_fill_channel_closed(struct sk_buff *msg, const void *obj)
{
	const struct ockam_nl_closed *closed = obj;
	const struct ockam_channel *ch = closed->ch;

	if (ockam_nl_put_name(msg, OCKAM_A_ADDRESS, ch->encryptor.name,
			      ch->encryptor.name_len) ||
	    ockam_nl_put_name(msg, OCKAM_A_DECRYPTOR, ch->decryptor.name,
			      ch->decryptor.name_len) ||
	    nla_put_u32(msg, OCKAM_A_REASON, closed->reason))
		return -EMSGSIZE;
	return 0;
}

void ockam_netlink_channel_closed(struct ockam_channel *ch,
				  enum ockam_channel_close_reason reason)
{
	struct ockam_nl_closed closed = { .ch = ch, .reason = reason };

	ockam_nl_event(ch->node, OCKAM_CMD_CHANNEL_CLOSED,
		       ockam_nl_fill_channel_closed, &closed);
}

/* Transports and channels close with the netlink socket that made them. */
static int ockam_nl_release(struct notifier_block *nb, unsigned long state,
			    void *ptr)
{
	struct netlink_notify *n = ptr;

	if (state != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !n->portid)
		return NOTIFY_DONE;
	/* Channels first: their close messages leave on the transports. */
	ockam_channel_owner_gone(ockam_node_get(n->net), n->portid);
	ockam_tcp_owner_gone(ockam_node_get(n->net), n->portid);
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
