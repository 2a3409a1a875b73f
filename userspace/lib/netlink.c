// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Client of the "ockam" generic netlink family (uapi/linux/ockam.h,
 * Documentation/netlink/specs/ockam.yaml), on libnl-genl-3.
 *
 * Every request runs through transact(): send, then read until the
 * kernel's ACK, error or end of dump. Errors carry the kernel's extack
 * message when it sent one, so "alias add: local address already in use"
 * is what the user reads rather than just "File exists".
 *
 * Each object travels in a nest of its own (OCKAM_A_NODE,
 * OCKAM_A_TRANSPORT...): requests are built with one, and each reply
 * message's nest is parsed before its item callback sees it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "internal.h"
#include "nl_common.h"

struct ockam_nl {
	struct nl_sock *sk;
	struct nl_cb *cb;		/* pointed at each transaction in turn */
	int family_id;
};

enum {
	DUMP_RETRIES = 5,
	/* The largest attribute number of any object's nest. */
	NEST_MAX = OCKAM_CHANNEL_A_MAX > OCKAM_PORTAL_A_MAX ?
		   OCKAM_CHANNEL_A_MAX : OCKAM_PORTAL_A_MAX,
};

/* One request in flight: what the callbacks collected. */
struct transaction {
	const char *what;		/* "alias add", for messages */
	int nest;			/* OCKAM_A_*: the replies' object */
	nl_item_fn item;		/* called for every reply message */
	void *arg;
	struct ockam_err *err;
	int error;			/* negative errno, or 0 */
	bool kernel_error;		/* @error came from the kernel */
	bool done;
	bool interrupted;		/* NLM_F_DUMP_INTR seen */
	bool wipe;			/* the request holds keys */
	char extack[OCKAM_ERR_MSG_MAX];
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[OCKAM_A_MAX + 1], *ntb[NEST_MAX + 1];
	struct transaction *t = arg;
	int ret;

	if (!t->item || t->error)
		return NL_OK;
	ret = genlmsg_parse(nlmsg_hdr(msg), 0, tb, OCKAM_A_MAX, NULL);
	if (ret >= 0)
		ret = ockam_nl_parse_nest(tb, t->nest, ntb, NEST_MAX);
	if (ret < 0) {
		t->error = ockam_err_set(t->err, -EPROTO,
					 "%s: malformed reply from the kernel",
					 t->what);
		return NL_OK;
	}
	ret = t->item(ntb, t->arg, t->err);
	if (ret < 0)
		t->error = ret;
	return NL_OK;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct transaction *t = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	/* A dump that failed says so in the int after NLMSG_DONE. */
	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
		int code = *(int *)nlmsg_data(nlh);

		if (code < 0 && !t->error) {
			t->error = code;
			t->kernel_error = true;
			ockam_nl_extack(nlh, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int)),
					t->extack, sizeof(t->extack));
		}
	}
	t->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct transaction *t = arg;

	(void)msg;
	t->done = true;
	return NL_STOP;
}

static int on_dump_intr(struct nl_msg *msg, void *arg)
{
	struct transaction *t = arg;

	(void)msg;
	t->interrupted = true;
	return NL_OK;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct transaction *t = arg;
	size_t payload = sizeof(*e);

	(void)who;
	/* The request is echoed after the error unless the ACK is capped. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		payload += e->msg.nlmsg_len - NLMSG_HDRLEN;
	ockam_nl_extack(nlh, NLMSG_HDRLEN + NLMSG_ALIGN(payload), t->extack,
			sizeof(t->extack));
	if (!t->error) {
		t->error = e->error < 0 ? e->error : -e->error;
		t->kernel_error = true;
	}
	t->done = true;
	return NL_STOP;
}

/* A request of @size bytes at most (0: libnl's default, a page). */
static struct nl_msg *new_request_sized(struct ockam_nl *nl, uint8_t cmd,
					int flags, size_t size)
{
	struct nl_msg *msg = size ? nlmsg_alloc_size(size) : nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family_id, 0,
			 flags, cmd, OCKAM_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static struct nl_msg *new_request(struct ockam_nl *nl, uint8_t cmd, int flags)
{
	return new_request_sized(nl, cmd, flags, 0);
}

/* Send @msg (consumed) and collect the answer. */
static int transact(struct ockam_nl *nl, struct nl_msg *msg,
		    struct transaction *t)
{
	struct nl_cb *cb = nl->cb;
	int ret;

	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, t);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, on_dump_intr, t);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, t);

	ret = nl_send_auto(nl->sk, msg);
	/* libnl sent the buffer itself (no copy): wipe all of it. */
	if (t->wipe)
		explicit_bzero(nlmsg_hdr(msg), nlmsg_get_max_size(msg));
	nlmsg_free(msg);
	if (ret < 0) {
		t->error = ockam_err_set(t->err, ockam_nl_errno(ret),
					 "%s: cannot send to the kernel: %s",
					 t->what, nl_geterror(ret));
		return t->error;
	}
	while (!t->done) {
		ret = nl_recvmsgs(nl->sk, cb);
		if (ret < 0 && !t->done) {
			if (!t->error)
				t->error = ockam_err_set(t->err, ockam_nl_errno(ret),
							 "%s: %s", t->what,
							 nl_geterror(ret));
			return t->error;
		}
	}
	/* Other failures were explained where they happened. */
	if (t->kernel_error) {
		if (t->extack[0])
			ockam_err_set(t->err, t->error, "%s: %s (%s)", t->what,
				      t->extack, strerror(-t->error));
		else
			ockam_err_set(t->err, t->error, "%s: %s", t->what,
				      strerror(-t->error));
	}
	return t->error;
}

/* A request whose reply (if any) is one object in @nest, for @item. */
static int do_request(struct ockam_nl *nl, struct nl_msg *msg,
		      const char *what, int nest, nl_item_fn item, void *arg,
		      struct ockam_err *err)
{
	struct transaction t = {
		.what = what, .nest = nest, .item = item, .arg = arg,
		.err = err,
	};

	ockam_err_clear(err);
	return transact(nl, msg, &t);
}

static int nomem(struct ockam_err *err, const char *what)
{
	return ockam_err_set(err, -ENOMEM, "%s: cannot build the request", what);
}

OCKAM_EXPORT int ockam_nl_open(struct ockam_nl **out, struct ockam_err *err)
{
	struct ockam_nl *nl;
	int ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	/* One callback set for the socket's life; each request points it
	 * at its own transaction.
	 */
	nl->cb = nl_cb_alloc(NL_CB_CUSTOM);
	if (!nl->cb) {
		ret = ockam_err_set(err, -ENOMEM, "out of memory");
		goto err_free;
	}
	ret = ockam_nl_connect(&nl->sk, &nl->family_id, err);
	if (ret < 0)
		goto err_cb;
	*out = nl;
	return 0;

err_cb:
	nl_cb_put(nl->cb);
err_free:
	free(nl);
	return ret;
}

OCKAM_EXPORT void ockam_nl_close(struct ockam_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	nl_cb_put(nl->cb);
	free(nl);
}

/* ------------------------------------------------------------- parsing */

static void attr_stats(struct nlattr *nest, struct ockam_stats *stats)
{
	struct nlattr *attr;
	int rem;

	memset(stats, 0, sizeof(*stats));
	if (!nest)
		return;
	nla_for_each_nested(attr, nest, rem) {
		int type = nla_type(attr);

		if (type <= OCKAM_STAT_PAD || type > OCKAM_STAT_MAX ||
		    nla_len(attr) != 8)
			continue;
		stats->value[type] = nla_get_u64(attr);
		stats->present |= 1ULL << type;
	}
}

/* ---------------------------------------------------------------- node */

static int parse_node(struct nlattr **tb, void *arg, struct ockam_err *err)
{
	struct ockam_node_info *info = arg;

	(void)err;
	info->family = ockam_nla_u32(tb[OCKAM_NODE_A_FAMILY]);
	info->max_message = ockam_nla_u32(tb[OCKAM_NODE_A_MAX_MESSAGE]);
	info->hop_limit = ockam_nla_u32(tb[OCKAM_NODE_A_HOP_LIMIT]);
	info->dial_timeout_ms = ockam_nla_u32(tb[OCKAM_NODE_A_DIAL_TIMEOUT]);
	info->address_count = ockam_nla_u32(tb[OCKAM_NODE_A_ADDRESS_COUNT]);
	info->dial_forwarded = ockam_nla_u32(tb[OCKAM_NODE_A_DIAL_FORWARDED]);
	info->channel_keepalive_ms =
		ockam_nla_u32(tb[OCKAM_NODE_A_CHANNEL_KEEPALIVE]);
	info->channel_give_up_ms =
		ockam_nla_u32(tb[OCKAM_NODE_A_CHANNEL_GIVE_UP]);
	info->udp_datagram = ockam_nla_u32(tb[OCKAM_NODE_A_UDP_DATAGRAM]);
	attr_stats(tb[OCKAM_NODE_A_STATS], &info->stats);
	return 0;
}

OCKAM_EXPORT int ockam_nl_node_get(struct ockam_nl *nl,
				   struct ockam_node_info *info,
				   struct ockam_err *err)
{
	struct nl_msg *msg = new_request(nl, OCKAM_CMD_NODE_GET, 0);

	memset(info, 0, sizeof(*info));
	if (!msg)
		return nomem(err, "node get");
	return do_request(nl, msg, "node get", OCKAM_A_NODE, parse_node, info,
			  err);
}

OCKAM_EXPORT int ockam_nl_node_set(struct ockam_nl *nl,
				   const struct ockam_node_settings *set,
				   struct ockam_err *err)
{
	struct nl_msg *msg = new_request(nl, OCKAM_CMD_NODE_SET, 0);
	struct nlattr *nest;

	if (!msg)
		return nomem(err, "node set");
	nest = nla_nest_start(msg, OCKAM_A_NODE);
	if (!nest ||
	    (set->max_message &&
	     nla_put_u32(msg, OCKAM_NODE_A_MAX_MESSAGE, set->max_message) < 0) ||
	    (set->hop_limit &&
	     nla_put_u32(msg, OCKAM_NODE_A_HOP_LIMIT, set->hop_limit) < 0) ||
	    (set->dial_timeout_ms &&
	     nla_put_u32(msg, OCKAM_NODE_A_DIAL_TIMEOUT,
			 set->dial_timeout_ms) < 0) ||
	    (set->set_dial_forwarded &&
	     nla_put_u32(msg, OCKAM_NODE_A_DIAL_FORWARDED,
			 set->dial_forwarded) < 0) ||
	    (set->set_channel_keepalive &&
	     nla_put_u32(msg, OCKAM_NODE_A_CHANNEL_KEEPALIVE,
			 set->channel_keepalive_ms) < 0) ||
	    (set->channel_give_up_ms &&
	     nla_put_u32(msg, OCKAM_NODE_A_CHANNEL_GIVE_UP,
			 set->channel_give_up_ms) < 0) ||
	    (set->udp_datagram &&
	     nla_put_u32(msg, OCKAM_NODE_A_UDP_DATAGRAM,
			 set->udp_datagram) < 0)) {
		nlmsg_free(msg);
		return nomem(err, "node set");
	}
	nla_nest_end(msg, nest);
	return do_request(nl, msg, "node set", 0, NULL, NULL, err);
}

/* ----------------------------------------------------------- transports */

static int parse_transport(struct nlattr **tb, void *arg,
			   struct ockam_err *err)
{
	struct ockam_transport_info *info = arg;

	(void)err;
	ockam_nla_string(tb[OCKAM_TRANSPORT_A_ADDRESS], info->address,
			 sizeof(info->address));
	ockam_nla_string(tb[OCKAM_TRANSPORT_A_PEER], info->peer,
			 sizeof(info->peer));
	ockam_nla_string(tb[OCKAM_TRANSPORT_A_LOCAL], info->local,
			 sizeof(info->local));
	info->kind = OCKAM_KIND_TCP;
	info->flags = ockam_nla_u32(tb[OCKAM_TRANSPORT_A_FLAGS]);
	attr_stats(tb[OCKAM_TRANSPORT_A_STATS], &info->stats);
	return 0;
}

OCKAM_EXPORT int ockam_nl_transport_attach(struct ockam_nl *nl, int fd,
					   const char *address,
					   const char *peer, uint32_t flags,
					   struct ockam_transport_info *out,
					   struct ockam_err *err)
{
	struct ockam_transport_info scratch;
	struct nlattr *nest;
	struct nl_msg *msg;

	if (!out)
		out = &scratch;
	memset(out, 0, sizeof(*out));
	msg = new_request(nl, OCKAM_CMD_TRANSPORT_ATTACH, 0);
	if (!msg)
		return nomem(err, "transport attach");
	nest = nla_nest_start(msg, OCKAM_A_TRANSPORT);
	if (!nest || nla_put_u32(msg, OCKAM_TRANSPORT_A_FD, fd) < 0 ||
	    (address &&
	     nla_put_string(msg, OCKAM_TRANSPORT_A_ADDRESS, address) < 0) ||
	    (peer && nla_put_string(msg, OCKAM_TRANSPORT_A_PEER, peer) < 0) ||
	    nla_put_u32(msg, OCKAM_TRANSPORT_A_FLAGS, flags) < 0) {
		nlmsg_free(msg);
		return nomem(err, "transport attach");
	}
	nla_nest_end(msg, nest);
	return do_request(nl, msg, "transport attach", OCKAM_A_TRANSPORT,
			  parse_transport, out, err);
}

/* A request naming one object: @address, as @attr inside nest @nest. */
static int put_address_request(struct ockam_nl *nl, uint8_t cmd,
			       const char *what, int nest, int attr,
			       const char *address, struct ockam_err *err)
{
	struct nl_msg *msg = new_request(nl, cmd, 0);
	struct nlattr *start;

	if (!msg)
		return nomem(err, what);
	start = nla_nest_start(msg, nest);
	if (!start || nla_put_string(msg, attr, address) < 0) {
		nlmsg_free(msg);
		return nomem(err, what);
	}
	nla_nest_end(msg, start);
	return do_request(nl, msg, what, 0, NULL, NULL, err);
}

OCKAM_EXPORT int ockam_nl_transport_detach(struct ockam_nl *nl,
					   const char *address,
					   struct ockam_err *err)
{
	return put_address_request(nl, OCKAM_CMD_TRANSPORT_DETACH,
				   "transport detach", OCKAM_A_TRANSPORT,
				   OCKAM_TRANSPORT_A_ADDRESS, address, err);
}

static int parse_udp(struct nlattr **tb, void *arg, struct ockam_err *err)
{
	struct ockam_udp_info *info = arg;

	(void)err;
	ockam_nla_string(tb[OCKAM_UDP_A_ADDRESS], info->address,
			 sizeof(info->address));
	ockam_nla_string(tb[OCKAM_UDP_A_LOCAL], info->local,
			 sizeof(info->local));
	info->peers = ockam_nla_u32(tb[OCKAM_UDP_A_PEERS]);
	info->reasm_bytes = ockam_nla_u32(tb[OCKAM_UDP_A_REASM_BYTES]);
	attr_stats(tb[OCKAM_UDP_A_STATS], &info->stats);
	return 0;
}

OCKAM_EXPORT int ockam_nl_udp_attach(struct ockam_nl *nl, int fd,
				     const char *address,
				     struct ockam_udp_info *out,
				     struct ockam_err *err)
{
	struct ockam_udp_info scratch;
	struct nlattr *nest;
	struct nl_msg *msg;

	if (!out)
		out = &scratch;
	memset(out, 0, sizeof(*out));
	msg = new_request(nl, OCKAM_CMD_UDP_ATTACH, 0);
	if (!msg)
		return nomem(err, "UDP attach");
	nest = nla_nest_start(msg, OCKAM_A_UDP);
	if (!nest || nla_put_u32(msg, OCKAM_UDP_A_FD, fd) < 0 ||
	    (address && nla_put_string(msg, OCKAM_UDP_A_ADDRESS, address) < 0)) {
		nlmsg_free(msg);
		return nomem(err, "UDP attach");
	}
	nla_nest_end(msg, nest);
	return do_request(nl, msg, "UDP attach", OCKAM_A_UDP, parse_udp, out,
			  err);
}

OCKAM_EXPORT int ockam_nl_udp_detach(struct ockam_nl *nl, const char *address,
				     struct ockam_err *err)
{
	return put_address_request(nl, OCKAM_CMD_UDP_DETACH, "UDP detach",
				   OCKAM_A_UDP, OCKAM_UDP_A_ADDRESS, address,
				   err);
}

/* ---------------------------------------------------------------- dumps */

/* A growing array of fixed-size items filled by a dump. */
struct collector {
	void *items;
	size_t size;		/* bytes per item */
	size_t count;
	size_t cap;
	int (*parse)(struct nlattr **tb, void *item, struct ockam_err *err);
	/* Frees what parse() allocated inside an item, if anything. */
	void (*release)(void *item);
};

static void collector_reset(struct collector *c)
{
	size_t i;

	if (c->release)
		for (i = 0; i < c->count; i++)
			c->release((char *)c->items + i * c->size);
	c->count = 0;
}

static int collect(struct nlattr **tb, void *arg, struct ockam_err *err)
{
	struct collector *c = arg;
	void *item;

	if (c->count == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		void *grown = realloc(c->items, cap * c->size);

		if (!grown)
			return ockam_err_set(err, -ENOMEM, "out of memory");
		c->items = grown;
		c->cap = cap;
	}
	item = (char *)c->items + c->count * c->size;
	memset(item, 0, c->size);
	c->count++;
	return c->parse(tb, item, err);
}

static int dump_table(struct ockam_nl *nl, uint8_t cmd, const char *what,
		      int nest, struct collector *c, struct ockam_err *err)
{
	int attempt, ret;

	ockam_err_clear(err);
	for (attempt = 0; attempt < DUMP_RETRIES; attempt++) {
		struct transaction t = {
			.what = what, .nest = nest, .item = collect, .arg = c,
			.err = err,
		};
		struct nl_msg *msg = new_request(nl, cmd, NLM_F_DUMP);

		if (!msg) {
			ret = nomem(err, what);
			goto out;
		}
		collector_reset(c);
		ret = transact(nl, msg, &t);
		if (ret < 0 || !t.interrupted)
			goto out;
	}
	ret = ockam_err_set(err, -EAGAIN,
			    "%s: the table kept changing during %d dumps",
			    what, DUMP_RETRIES);
out:
	if (ret < 0) {
		collector_reset(c);
		free(c->items);
		c->items = NULL;
	}
	return ret;
}

OCKAM_EXPORT int ockam_nl_transport_list(struct ockam_nl *nl,
					 struct ockam_transport_info **list,
					 size_t *count, struct ockam_err *err)
{
	struct collector c = {
		.size = sizeof(**list),
		.parse = parse_transport,
	};
	int ret = dump_table(nl, OCKAM_CMD_TRANSPORT_GET, "transport list",
			     OCKAM_A_TRANSPORT, &c, err);

	*list = c.items;
	*count = c.count;
	return ret;
}

OCKAM_EXPORT int ockam_nl_udp_list(struct ockam_nl *nl,
				   struct ockam_udp_info **list, size_t *count,
				   struct ockam_err *err)
{
	struct collector c = {
		.size = sizeof(**list),
		.parse = parse_udp,
	};
	int ret = dump_table(nl, OCKAM_CMD_UDP_GET, "UDP list", OCKAM_A_UDP,
			     &c, err);

	*list = c.items;
	*count = c.count;
	return ret;
}

static int parse_alias(struct nlattr **tb, void *arg, struct ockam_err *err)
{
	struct ockam_alias_info *info = arg;
	struct nlattr *route = tb[OCKAM_ALIAS_A_ROUTE];

	ockam_nla_string(tb[OCKAM_ALIAS_A_ADDRESS], info->address,
			 sizeof(info->address));
	if (!route)
		return 0;
	if ((size_t)nla_len(route) > sizeof(info->route.bytes))
		return ockam_err_set(err, -EPROTO,
				     "alias %s: route of %d bytes from the kernel",
				     info->address, nla_len(route));
	memcpy(info->route.bytes, nla_data(route), nla_len(route));
	info->route.len = nla_len(route);
	return 0;
}

OCKAM_EXPORT int ockam_nl_alias_list(struct ockam_nl *nl,
				     struct ockam_alias_info **list,
				     size_t *count, struct ockam_err *err)
{
	struct collector c = {
		.size = sizeof(**list),
		.parse = parse_alias,
	};
	int ret = dump_table(nl, OCKAM_CMD_ALIAS_GET, "alias list",
			     OCKAM_A_ALIAS, &c, err);

	*list = c.items;
	*count = c.count;
	return ret;
}

static int parse_address(struct nlattr **tb, void *arg, struct ockam_err *err)
{
	struct ockam_address_info *info = arg;

	(void)err;
	ockam_nla_string(tb[OCKAM_ENDPOINT_A_ADDRESS], info->address,
			 sizeof(info->address));
	info->kind = ockam_nla_u32(tb[OCKAM_ENDPOINT_A_KIND]);
	return 0;
}

static int parse_reserved(struct nlattr **tb, void *arg,
			  struct ockam_err *err)
{
	struct ockam_address_info *info = arg;

	(void)err;
	ockam_nla_string(tb[OCKAM_RESERVED_A_ADDRESS], info->address,
			 sizeof(info->address));
	info->kind = OCKAM_KIND_UNSPEC;
	return 0;
}

OCKAM_EXPORT int ockam_nl_address_list(struct ockam_nl *nl,
				       struct ockam_address_info **list,
				       size_t *count, struct ockam_err *err)
{
	struct collector c = {
		.size = sizeof(**list),
		.parse = parse_address,
	};
	int ret = dump_table(nl, OCKAM_CMD_ADDRESS_GET, "address list",
			     OCKAM_A_ENDPOINT, &c, err);

	*list = c.items;
	*count = c.count;
	return ret;
}

/* -------------------------------------------------------------- aliases */

OCKAM_EXPORT int ockam_nl_alias_add(struct ockam_nl *nl, const char *name,
				    const struct ockam_route *rt,
				    struct ockam_err *err)
{
	uint8_t wire[OCKAM_ROUTE_BYTES_MAX];
	ssize_t len = ockam_route_to_wire(rt, wire, sizeof(wire));
	struct nlattr *nest;
	struct nl_msg *msg;

	if (len < 0)
		return ockam_err_set(err, len, "alias add: route too long");
	msg = new_request(nl, OCKAM_CMD_ALIAS_ADD, 0);
	if (!msg)
		return nomem(err, "alias add");
	nest = nla_nest_start(msg, OCKAM_A_ALIAS);
	if (!nest || nla_put_string(msg, OCKAM_ALIAS_A_ADDRESS, name) < 0 ||
	    nla_put(msg, OCKAM_ALIAS_A_ROUTE, len, wire) < 0) {
		nlmsg_free(msg);
		return nomem(err, "alias add");
	}
	nla_nest_end(msg, nest);
	return do_request(nl, msg, "alias add", 0, NULL, NULL, err);
}

OCKAM_EXPORT int ockam_nl_alias_del(struct ockam_nl *nl, const char *name,
				    struct ockam_err *err)
{
	return put_address_request(nl, OCKAM_CMD_ALIAS_DEL, "alias delete",
				   OCKAM_A_ALIAS, OCKAM_ALIAS_A_ADDRESS, name,
				   err);
}

/* ------------------------------------------------------- reserved names */

OCKAM_EXPORT int ockam_nl_reserved_add(struct ockam_nl *nl, const char *name,
				       struct ockam_err *err)
{
	return put_address_request(nl, OCKAM_CMD_RESERVED_ADD, "reserve",
				   OCKAM_A_RESERVED, OCKAM_RESERVED_A_ADDRESS,
				   name, err);
}

OCKAM_EXPORT int ockam_nl_reserved_del(struct ockam_nl *nl, const char *name,
				       struct ockam_err *err)
{
	return put_address_request(nl, OCKAM_CMD_RESERVED_DEL, "release",
				   OCKAM_A_RESERVED, OCKAM_RESERVED_A_ADDRESS,
				   name, err);
}

OCKAM_EXPORT int ockam_nl_reserved_list(struct ockam_nl *nl,
					struct ockam_address_info **list,
					size_t *count, struct ockam_err *err)
{
	struct collector c = {
		.size = sizeof(**list),
		.parse = parse_reserved,
	};
	int ret = dump_table(nl, OCKAM_CMD_RESERVED_GET, "reserved list",
			     OCKAM_A_RESERVED, &c, err);

	*list = c.items;
	*count = c.count;
	return ret;
}

OCKAM_EXPORT int ockam_nl_dial_failed(struct ockam_nl *nl, const char *peer,
				      int errnum, struct ockam_err *err)
{
	struct nl_msg *msg = new_request(nl, OCKAM_CMD_DIAL_FAILED, 0);
	struct nlattr *nest;

	if (!msg)
		return nomem(err, "dial failed");
	if (errnum <= 0 || errnum > OCKAM_ERRNO_MAX)
		errnum = EHOSTUNREACH;
	nest = nla_nest_start(msg, OCKAM_A_DIAL);
	if (!nest || nla_put_string(msg, OCKAM_DIAL_A_PEER, peer) < 0 ||
	    nla_put_u32(msg, OCKAM_DIAL_A_ERRNO, errnum) < 0) {
		nlmsg_free(msg);
		return nomem(err, "dial failed");
	}
	nla_nest_end(msg, nest);
	return do_request(nl, msg, "dial failed", 0, NULL, NULL, err);
}

/* ------------------------------------------------------------- channels */

/* Bytes of a CHANNEL_ADD request: headers and every attribute, padded. */
static size_t channel_add_size(const struct ockam_channel_params *p)
{
	return NLMSG_HDRLEN + GENL_HDRLEN +
	       nla_total_size(0) +				/* the nest */
	       nla_total_size(sizeof(uint32_t)) +		/* fd */
	       2 * nla_total_size(OCKAM_KEY_LEN) +		/* keys */
	       nla_total_size(p->route_len) +
	       nla_total_size(strlen(p->identifier) + 1) +
	       nla_total_size(sizeof(uint32_t));		/* role */
}

static int parse_channel_added(struct nlattr **tb, void *arg,
			       struct ockam_err *err)
{
	struct ockam_channel_info *info = arg;

	(void)err;
	ockam_nla_string(tb[OCKAM_CHANNEL_A_ADDRESS], info->encryptor,
			 sizeof(info->encryptor));
	ockam_nla_string(tb[OCKAM_CHANNEL_A_DECRYPTOR], info->decryptor,
			 sizeof(info->decryptor));
	ockam_nla_string(tb[OCKAM_CHANNEL_A_IDENTIFIER], info->identifier,
			 sizeof(info->identifier));
	info->role = ockam_nla_u32(tb[OCKAM_CHANNEL_A_ROLE]);
	info->state = ockam_nla_u32(tb[OCKAM_CHANNEL_A_STATE]);
	info->state_reason = ockam_nla_u32(tb[OCKAM_CHANNEL_A_STATE_REASON]);
	return 0;
}

/*
 * A request with a handshake's keys (CHANNEL_ADD, or CHANNEL_SET for a
 * re-key of @encryptor): sized up front, so that libnl never grows the
 * buffer and hands the old one back to the allocator with the keys still
 * in it. Wiped and freed on failure.
 */
static struct nl_msg *channel_keys_request(struct ockam_nl *nl, uint8_t cmd,
					   const char *encryptor,
					   const struct ockam_channel_params *p)
{
	size_t size = channel_add_size(p);
	struct nlattr *nest;
	struct nl_msg *msg;

	if (encryptor)
		size += nla_total_size(strlen(encryptor) + 1);
	msg = new_request_sized(nl, cmd, 0, size);
	if (!msg)
		return NULL;
	nest = nla_nest_start(msg, OCKAM_A_CHANNEL);
	if (!nest ||
	    (encryptor &&
	     nla_put_string(msg, OCKAM_CHANNEL_A_ADDRESS, encryptor) < 0) ||
	    nla_put_u32(msg, OCKAM_CHANNEL_A_FD, p->fd) < 0 ||
	    nla_put(msg, OCKAM_CHANNEL_A_TX_KEY, OCKAM_KEY_LEN, p->tx_key) < 0 ||
	    nla_put(msg, OCKAM_CHANNEL_A_RX_KEY, OCKAM_KEY_LEN, p->rx_key) < 0 ||
	    nla_put(msg, OCKAM_CHANNEL_A_ROUTE, p->route_len, p->route) < 0 ||
	    nla_put_string(msg, OCKAM_CHANNEL_A_IDENTIFIER,
			   p->identifier) < 0 ||
	    (!encryptor &&
	     nla_put_u32(msg, OCKAM_CHANNEL_A_ROLE, p->role) < 0)) {
		explicit_bzero(nlmsg_hdr(msg), nlmsg_get_max_size(msg));
		nlmsg_free(msg);
		return NULL;
	}
	nla_nest_end(msg, nest);
	return msg;
}

static int channel_params_check(const struct ockam_channel_params *p,
				const char *what, struct ockam_err *err)
{
	if (!p->tx_key || !p->rx_key || !p->route || !p->identifier)
		return ockam_err_set(err, -EINVAL,
				     "%s: keys, route and identifier are required",
				     what);
	if (p->route_len > OCKAM_ROUTE_BYTES_MAX)
		return ockam_err_set(err, -EMSGSIZE, "%s: route of %zu bytes",
				     what, p->route_len);
	return 0;
}

OCKAM_EXPORT int ockam_nl_channel_add(struct ockam_nl *nl,
				      const struct ockam_channel_params *p,
				      struct ockam_channel_info *out,
				      struct ockam_err *err)
{
	struct transaction t = {
		.what = "channel add", .nest = OCKAM_A_CHANNEL,
		.item = parse_channel_added, .arg = out, .err = err,
		.wipe = true,
	};
	struct nl_msg *msg;
	int ret;

	memset(out, 0, sizeof(*out));
	ockam_err_clear(err);
	ret = channel_params_check(p, t.what, err);
	if (ret < 0)
		return ret;
	msg = channel_keys_request(nl, OCKAM_CMD_CHANNEL_ADD, NULL, p);
	if (!msg)
		return nomem(err, t.what);
	return transact(nl, msg, &t);
}

OCKAM_EXPORT int ockam_nl_channel_rekey(struct ockam_nl *nl,
					const char *encryptor,
					const struct ockam_channel_params *p,
					struct ockam_err *err)
{
	struct transaction t = {
		.what = "channel re-key", .err = err, .wipe = true,
	};
	struct nl_msg *msg;
	int ret;

	ockam_err_clear(err);
	ret = channel_params_check(p, t.what, err);
	if (ret < 0)
		return ret;
	msg = channel_keys_request(nl, OCKAM_CMD_CHANNEL_SET, encryptor, p);
	if (!msg)
		return nomem(err, t.what);
	return transact(nl, msg, &t);
}

OCKAM_EXPORT int ockam_nl_channel_del(struct ockam_nl *nl,
				      const char *encryptor,
				      struct ockam_err *err)
{
	return put_address_request(nl, OCKAM_CMD_CHANNEL_DEL, "channel delete",
				   OCKAM_A_CHANNEL, OCKAM_CHANNEL_A_ADDRESS,
				   encryptor, err);
}

OCKAM_EXPORT int ockam_nl_channel_set_route(struct ockam_nl *nl,
					    const char *encryptor,
					    const void *route,
					    size_t route_len,
					    struct ockam_err *err)
{
	const char *what = "channel set";
	struct nl_msg *msg;
	struct nlattr *nest;

	if (!route || !route_len || route_len > OCKAM_ROUTE_BYTES_MAX)
		return ockam_err_set(err, -EINVAL, "%s: route of %zu bytes",
				     what, route_len);
	msg = new_request(nl, OCKAM_CMD_CHANNEL_SET, 0);
	if (!msg)
		return nomem(err, what);
	nest = nla_nest_start(msg, OCKAM_A_CHANNEL);
	if (!nest ||
	    nla_put_string(msg, OCKAM_CHANNEL_A_ADDRESS, encryptor) < 0 ||
	    nla_put(msg, OCKAM_CHANNEL_A_ROUTE, route_len, route) < 0) {
		nlmsg_free(msg);
		return nomem(err, what);
	}
	nla_nest_end(msg, nest);
	return do_request(nl, msg, what, 0, NULL, NULL, err);
}

static uint64_t nla_u64_or_zero(struct nlattr *attr)
{
	return attr && nla_len(attr) >= 8 ? nla_get_u64(attr) : 0;
}

static int parse_channel(struct nlattr **tb, void *arg, struct ockam_err *err)
{
	struct ockam_channel_info *info = arg;
	struct nlattr *route = tb[OCKAM_CHANNEL_A_ROUTE];

	parse_channel_added(tb, info, err);
	info->tx_counter = nla_u64_or_zero(tb[OCKAM_CHANNEL_A_TX_COUNTER]);
	info->rx_counter = nla_u64_or_zero(tb[OCKAM_CHANNEL_A_RX_COUNTER]);
	info->tx_rekeys = nla_u64_or_zero(tb[OCKAM_CHANNEL_A_TX_REKEYS]);
	info->rx_rekeys = nla_u64_or_zero(tb[OCKAM_CHANNEL_A_RX_REKEYS]);
	info->state_age_ms = nla_u64_or_zero(tb[OCKAM_CHANNEL_A_STATE_AGE]);
	info->heard_age_ms = nla_u64_or_zero(tb[OCKAM_CHANNEL_A_HEARD_AGE]);
	info->route_moves = nla_u64_or_zero(tb[OCKAM_CHANNEL_A_ROUTE_MOVES]);
	attr_stats(tb[OCKAM_CHANNEL_A_STATS], &info->stats);
	if (!route)
		return 0;
	if ((size_t)nla_len(route) > OCKAM_ROUTE_BYTES_MAX)
		return ockam_err_set(err, -EPROTO,
				     "channel %s: route of %d bytes from the kernel",
				     info->encryptor, nla_len(route));
	info->route = malloc(nla_len(route) ? nla_len(route) : 1);
	if (!info->route)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	memcpy(info->route, nla_data(route), nla_len(route));
	info->route_len = nla_len(route);
	return 0;
}

static void release_channel(void *item)
{
	struct ockam_channel_info *info = item;

	free(info->route);
	info->route = NULL;
}

OCKAM_EXPORT int ockam_nl_channel_list(struct ockam_nl *nl,
				       struct ockam_channel_info **list,
				       size_t *count, struct ockam_err *err)
{
	struct collector c = {
		.size = sizeof(**list),
		.parse = parse_channel,
		.release = release_channel,
	};
	int ret = dump_table(nl, OCKAM_CMD_CHANNEL_GET, "channel list",
			     OCKAM_A_CHANNEL, &c, err);

	*list = c.items;
	*count = c.count;
	return ret;
}

OCKAM_EXPORT void ockam_channel_list_free(struct ockam_channel_info *list,
					  size_t count)
{
	size_t i;

	for (i = 0; list && i < count; i++)
		free(list[i].route);
	free(list);
}

/* -------------------------------------------------------------- portals */

static int parse_portal(struct nlattr **tb, void *arg, struct ockam_err *err)
{
	struct ockam_portal_info *info = arg;
	struct nlattr *route = tb[OCKAM_PORTAL_A_ROUTE];

	ockam_nla_string(tb[OCKAM_PORTAL_A_ADDRESS], info->address,
			 sizeof(info->address));
	ockam_nla_string(tb[OCKAM_PORTAL_A_IDENTIFIER], info->identifier,
			 sizeof(info->identifier));
	info->role = ockam_nla_u32(tb[OCKAM_PORTAL_A_ROLE]);
	info->flags = ockam_nla_u32(tb[OCKAM_PORTAL_A_FLAGS]);
	info->state = ockam_nla_u32(tb[OCKAM_PORTAL_A_STATE]);
	info->window = ockam_nla_u32(tb[OCKAM_PORTAL_A_WINDOW]);
	info->peer_window = ockam_nla_u32(tb[OCKAM_PORTAL_A_PEER_WINDOW]);
	info->timeout_ms = ockam_nla_u32(tb[OCKAM_PORTAL_A_TIMEOUT]);
	info->queued = ockam_nla_u32(tb[OCKAM_PORTAL_A_QUEUED]);
	info->cookie = nla_u64_or_zero(tb[OCKAM_PORTAL_A_COOKIE]);
	info->tx_bytes = nla_u64_or_zero(tb[OCKAM_PORTAL_A_TX_BYTES]);
	info->rx_bytes = nla_u64_or_zero(tb[OCKAM_PORTAL_A_RX_BYTES]);
	if (!route)
		return 0;
	if ((size_t)nla_len(route) > sizeof(info->route.bytes))
		return ockam_err_set(err, -EPROTO,
				     "portal %s: route of %d bytes from the kernel",
				     info->address, nla_len(route));
	memcpy(info->route.bytes, nla_data(route), nla_len(route));
	info->route.len = nla_len(route);
	return 0;
}

/* The optional attributes of an attach: only those given. */
static int put_portal_options(struct nl_msg *msg,
			      const struct ockam_portal_params *p)
{
	return (p->identifier &&
		nla_put_string(msg, OCKAM_PORTAL_A_IDENTIFIER,
			       p->identifier) < 0) ||
	       (p->window &&
		nla_put_u32(msg, OCKAM_PORTAL_A_WINDOW, p->window) < 0) ||
	       (p->timeout_ms &&
		nla_put_u32(msg, OCKAM_PORTAL_A_TIMEOUT, p->timeout_ms) < 0) ||
	       (p->peer_window &&
		nla_put_u32(msg, OCKAM_PORTAL_A_PEER_WINDOW,
			    p->peer_window) < 0) ?
	       -1 : 0;
}

OCKAM_EXPORT int ockam_nl_portal_attach(struct ockam_nl *nl,
					const struct ockam_portal_params *p,
					struct ockam_portal_info *out,
					struct ockam_err *err)
{
	struct ockam_portal_info scratch;
	struct nlattr *nest;
	struct nl_msg *msg;

	if (!out)
		out = &scratch;
	memset(out, 0, sizeof(*out));
	if (!p->route || !p->route_len || p->route_len > OCKAM_ROUTE_BYTES_MAX)
		return ockam_err_set(err, -EINVAL,
				     "portal attach: a route of 1 to %d bytes is required",
				     OCKAM_ROUTE_BYTES_MAX);
	msg = new_request(nl, OCKAM_CMD_PORTAL_ATTACH, 0);
	if (!msg)
		return nomem(err, "portal attach");
	nest = nla_nest_start(msg, OCKAM_A_PORTAL);
	if (!nest || nla_put_u32(msg, OCKAM_PORTAL_A_FD, p->fd) < 0 ||
	    nla_put_u32(msg, OCKAM_PORTAL_A_ROLE, p->role) < 0 ||
	    nla_put(msg, OCKAM_PORTAL_A_ROUTE, p->route_len, p->route) < 0 ||
	    nla_put_u32(msg, OCKAM_PORTAL_A_FLAGS, p->flags) < 0 ||
	    nla_put_u64(msg, OCKAM_PORTAL_A_COOKIE, p->cookie) < 0 ||
	    put_portal_options(msg, p) < 0) {
		nlmsg_free(msg);
		return nomem(err, "portal attach");
	}
	nla_nest_end(msg, nest);
	return do_request(nl, msg, "portal attach", OCKAM_A_PORTAL,
			  parse_portal, out, err);
}

OCKAM_EXPORT int ockam_nl_portal_detach(struct ockam_nl *nl,
					const char *address,
					struct ockam_err *err)
{
	return put_address_request(nl, OCKAM_CMD_PORTAL_DETACH,
				   "portal detach", OCKAM_A_PORTAL,
				   OCKAM_PORTAL_A_ADDRESS, address, err);
}

OCKAM_EXPORT int ockam_nl_portal_list(struct ockam_nl *nl,
				      struct ockam_portal_info **list,
				      size_t *count, struct ockam_err *err)
{
	struct collector c = {
		.size = sizeof(**list),
		.parse = parse_portal,
	};
	int ret = dump_table(nl, OCKAM_CMD_PORTAL_GET, "portal list",
			     OCKAM_A_PORTAL, &c, err);

	*list = c.items;
	*count = c.count;
	return ret;
}
