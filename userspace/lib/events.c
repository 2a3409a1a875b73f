// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The "events" multicast group: DIAL_REQUEST, TRANSPORT_DOWN,
 * CHANNEL_CLOSED, CHANNEL_STATE and PORTAL_CLOSED.
 */
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "nl_common.h"

struct event_reader {
	ockam_event_fn fn;
	void *arg;
	int count;
};

struct ockam_events {
	struct nl_sock *sk;
	struct nl_cb *cb;		/* set up once, bound to @reader */
	struct event_reader reader;
	int family_id;
};

/* Multicast events carry no sequence number of ours. */
static int skip_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

enum {
	EVENT_NEST_MAX = OCKAM_CHANNEL_A_MAX > OCKAM_PORTAL_A_MAX ?
			 OCKAM_CHANNEL_A_MAX : OCKAM_PORTAL_A_MAX,
};

static void event_dial(struct nlattr **tb, struct ockam_event *ev)
{
	ockam_nla_string(tb[OCKAM_DIAL_A_PEER], ev->peer, sizeof(ev->peer));
}

static void event_transport_down(struct nlattr **tb, struct ockam_event *ev)
{
	ockam_nla_string(tb[OCKAM_TRANSPORT_A_ADDRESS], ev->address,
			 sizeof(ev->address));
	ockam_nla_string(tb[OCKAM_TRANSPORT_A_PEER], ev->peer,
			 sizeof(ev->peer));
	ev->flags = ockam_nla_u32(tb[OCKAM_TRANSPORT_A_FLAGS]);
	ev->reason = ockam_nla_u32(tb[OCKAM_TRANSPORT_A_REASON]);
	ev->errnum = ockam_nla_u32(tb[OCKAM_TRANSPORT_A_ERRNO]);
}

/* CHANNEL_CLOSED and CHANNEL_STATE share the channel nest. */
static void event_channel(struct nlattr **tb, struct ockam_event *ev)
{
	ockam_nla_string(tb[OCKAM_CHANNEL_A_ADDRESS], ev->address,
			 sizeof(ev->address));
	ockam_nla_string(tb[OCKAM_CHANNEL_A_DECRYPTOR], ev->decryptor,
			 sizeof(ev->decryptor));
	ockam_nla_string(tb[OCKAM_CHANNEL_A_IDENTIFIER], ev->identifier,
			 sizeof(ev->identifier));
	ev->role = ockam_nla_u32(tb[OCKAM_CHANNEL_A_ROLE]);
	if (ev->cmd == OCKAM_CMD_CHANNEL_STATE) {
		ev->state = ockam_nla_u32(tb[OCKAM_CHANNEL_A_STATE]);
		ev->reason = ockam_nla_u32(tb[OCKAM_CHANNEL_A_STATE_REASON]);
	} else {
		ev->reason = ockam_nla_u32(tb[OCKAM_CHANNEL_A_REASON]);
	}
}

static uint64_t u64_or_zero(const struct nlattr *attr)
{
	return attr && nla_len(attr) >= 8 ? nla_get_u64(attr) : 0;
}

static void event_portal_closed(struct nlattr **tb, struct ockam_event *ev)
{
	ockam_nla_string(tb[OCKAM_PORTAL_A_ADDRESS], ev->address,
			 sizeof(ev->address));
	ockam_nla_string(tb[OCKAM_PORTAL_A_IDENTIFIER], ev->identifier,
			 sizeof(ev->identifier));
	ev->reason = ockam_nla_u32(tb[OCKAM_PORTAL_A_REASON]);
	ev->errnum = ockam_nla_u32(tb[OCKAM_PORTAL_A_ERRNO]);
	ev->role = ockam_nla_u32(tb[OCKAM_PORTAL_A_ROLE]);
	ev->flags = ockam_nla_u32(tb[OCKAM_PORTAL_A_FLAGS]);
	ev->cookie = u64_or_zero(tb[OCKAM_PORTAL_A_COOKIE]);
	ev->tx_bytes = u64_or_zero(tb[OCKAM_PORTAL_A_TX_BYTES]);
	ev->rx_bytes = u64_or_zero(tb[OCKAM_PORTAL_A_RX_BYTES]);
}

/* The nest each event's object travels in; 0 for an unknown event. */
static int event_nest(uint8_t cmd)
{
	switch (cmd) {
	case OCKAM_CMD_DIAL_REQUEST:
		return OCKAM_A_DIAL;
	case OCKAM_CMD_TRANSPORT_DOWN:
		return OCKAM_A_TRANSPORT;
	case OCKAM_CMD_CHANNEL_CLOSED:
	case OCKAM_CMD_CHANNEL_STATE:
		return OCKAM_A_CHANNEL;
	case OCKAM_CMD_PORTAL_CLOSED:
		return OCKAM_A_PORTAL;
	default:
		return 0;
	}
}

static void event_fill(int nest, struct nlattr **tb, struct ockam_event *ev)
{
	switch (nest) {
	case OCKAM_A_DIAL:
		event_dial(tb, ev);
		break;
	case OCKAM_A_TRANSPORT:
		event_transport_down(tb, ev);
		break;
	case OCKAM_A_CHANNEL:
		event_channel(tb, ev);
		break;
	default:
		event_portal_closed(tb, ev);
		break;
	}
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[OCKAM_A_MAX + 1], *ntb[EVENT_NEST_MAX + 1];
	struct event_reader *r = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct ockam_event ev;
	int nest;

	if (genlmsg_parse(nlh, 0, tb, OCKAM_A_MAX, NULL) < 0)
		return NL_SKIP;
	nest = event_nest(gnlh->cmd);
	if (!nest || ockam_nl_parse_nest(tb, nest, ntb, EVENT_NEST_MAX) < 0)
		return NL_SKIP;
	memset(&ev, 0, sizeof(ev));
	ev.cmd = gnlh->cmd;
	event_fill(nest, ntb, &ev);
	r->count++;
	r->fn(&ev, r->arg);
	return NL_OK;
}

OCKAM_EXPORT int ockam_events_open(struct ockam_events **out,
				   struct ockam_err *err)
{
	struct ockam_events *ev;
	int group, ret;

	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	ev->cb = nl_cb_alloc(NL_CB_CUSTOM);
	if (!ev->cb) {
		ret = ockam_err_set(err, -ENOMEM, "out of memory");
		goto err_free;
	}
	nl_cb_set(ev->cb, NL_CB_VALID, NL_CB_CUSTOM, on_event, &ev->reader);
	nl_cb_set(ev->cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, skip_seq_check, NULL);
	ret = ockam_nl_connect(&ev->sk, &ev->family_id, err);
	if (ret < 0)
		goto err_cb;
	group = genl_ctrl_resolve_grp(ev->sk, OCKAM_GENL_NAME,
				      OCKAM_GENL_MCGRP_EVENTS);
	if (group < 0) {
		ret = ockam_err_set(err, -ENOENT,
				    "the ockam family has no \"%s\" multicast group",
				    OCKAM_GENL_MCGRP_EVENTS);
		goto err_sock;
	}
	ret = nl_socket_add_membership(ev->sk, group);
	if (ret < 0) {
		ret = ockam_err_set(err, ockam_nl_errno(ret),
				    "cannot join the \"%s\" group: %s",
				    OCKAM_GENL_MCGRP_EVENTS, nl_geterror(ret));
		goto err_sock;
	}
	nl_socket_disable_seq_check(ev->sk);
	ret = nl_socket_set_nonblocking(ev->sk);
	if (ret < 0) {
		ret = ockam_err_set(err, ockam_nl_errno(ret),
				    "cannot make the event socket non-blocking: %s",
				    nl_geterror(ret));
		goto err_sock;
	}
	*out = ev;
	return 0;

err_sock:
	nl_socket_free(ev->sk);
err_cb:
	nl_cb_put(ev->cb);
err_free:
	free(ev);
	return ret;
}

OCKAM_EXPORT void ockam_events_close(struct ockam_events *ev)
{
	if (!ev)
		return;
	nl_socket_free(ev->sk);
	nl_cb_put(ev->cb);
	free(ev);
}

OCKAM_EXPORT int ockam_events_fd(const struct ockam_events *ev)
{
	return nl_socket_get_fd(ev->sk);
}

OCKAM_EXPORT int ockam_events_read(struct ockam_events *ev, ockam_event_fn fn,
				   void *arg, struct ockam_err *err)
{
	struct event_reader *r = &ev->reader;
	int ret;

	*r = (struct event_reader){ .fn = fn, .arg = arg };
	for (;;) {
		ret = nl_recvmsgs(ev->sk, ev->cb);
		if (ret == -NLE_AGAIN) {
			ret = r->count;
			break;
		}
		if (ret == -NLE_NOMEM) {
			/* libnl reports the socket's ENOBUFS this way. */
			ret = ockam_err_set(err, -ENOBUFS,
					    "event socket overflowed; events were lost");
			break;
		}
		if (ret < 0) {
			ret = ockam_err_set(err, ockam_nl_errno(ret),
					    "reading events: %s", nl_geterror(ret));
			break;
		}
	}
	return ret;
}
