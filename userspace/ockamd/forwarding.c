// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The forwarding service of a relay node: an AF_OCKAM socket bound at
 * "forwarding_service" (a reserved name) that takes registrations
 * (relay_proto.h) and makes each one a kernel alias, forward_to_NAME,
 * whose route is the registration's return route without its last hop:
 * our encryptor of the channel the registration came through, and what
 * the registrant put after it, which only its own node reads. Messages
 * to the alias then travel inside that channel to the registering node,
 * with no daemon in the way. A node started with --relay-forward direct
 * puts the path under that channel in its place (the channel's own route
 * without its far end), so that what senders seal end to end is not
 * sealed again on the way; the channel still carries the registrations
 * and still decides how long the alias lives.
 *
 * A registration must come through a secure channel this daemon
 * installed, from an identity the service accepts (forward_table.c);
 * the alias goes when that channel closes or its transport goes down.
 * Everything here runs on what another node sent: nothing in a
 * registration makes this node dial, and the table is bounded.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "forward_table.h"
#include "log.h"
#include "relay.h"
#include "secure.h"

struct forwarding {
	int fd;
	enum relay_forward_mode mode;
	struct fwd_table table;
	unsigned long accepted;
	unsigned long refused;
};

/* One registration as it arrived. */
struct registration {
	uint8_t payload[RELAY_MSG_MAX];
	size_t len;
	struct ockam_wire_route ret;
	char identity[IDENTIFIER_STR_LEN + 1];	/* "" without a channel */
};

/* The identity control message, if there is one, into @out. */
static void cmsg_identity(struct msghdr *msg, char *out)
{
	struct cmsghdr *c;

	out[0] = '\0';
	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_OCKAM ||
		    c->cmsg_type != OCKAM_CMSG_IDENTITY ||
		    c->cmsg_len != CMSG_LEN(IDENTIFIER_STR_LEN))
			continue;
		memcpy(out, CMSG_DATA(c), IDENTIFIER_STR_LEN);
		out[IDENTIFIER_STR_LEN] = '\0';
	}
}

/* One message: its length, -EAGAIN when none, or another -errno. */
static ssize_t forwarding_recv(int fd, struct registration *reg)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(OCKAM_ROUTE_BYTES_MAX) +
			    CMSG_SPACE(IDENTIFIER_STR_LEN)];
	} control;
	struct iovec iov = { .iov_base = reg->payload,
			     .iov_len = sizeof(reg->payload) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC);

	if (n < 0)
		return -errno;
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return -EMSGSIZE;
	if (ockam_cmsg_return_route(&msg, &reg->ret) != 1)
		return -EPROTO;
	cmsg_identity(&msg, reg->identity);
	reg->len = n;
	return n;
}

/* Answer along the full return route: the alias made, or "error: ...". */
static void forwarding_answer(struct forwarding *f,
			      const struct registration *reg,
			      const char *text)
{
	uint8_t buf[RELAY_MSG_MAX];
	ssize_t len = relay_string_encode(text, strlen(text), buf,
					  sizeof(buf));

	if (len < 0)
		return;
	len = ockam_send_wire(f->fd, buf, len, reg->ret.bytes, reg->ret.len,
			      MSG_DONTWAIT);
	if (len < 0)
		log_warn_limited("forwarding_service: answering: %s",
				 strerror(-len));
}

static void forwarding_refuse(struct forwarding *f,
			      const struct registration *reg,
			      const struct ockam_err *err)
{
	char text[RELAY_STRING_MAX + 1];

	f->refused++;
	log_warn_limited("forwarding_service: refused a registration from %s: %s",
			 reg->identity[0] ? reg->identity : "(no channel)",
			 ockam_err_msg(err));
	snprintf(text, sizeof(text), "%s%s", RELAY_ERROR_PREFIX,
		 ockam_err_msg(err));
	forwarding_answer(f, reg, text);
}

/*
 * The route an alias for @reg takes: the return route without its last
 * hop, which must start at our encryptor of a channel whose peer is the
 * identity the kernel vouched for.
 */
static int forward_route(struct daemon *d, const struct registration *reg,
			 struct ockam_route *rt, struct ockam_err *err)
{
	const struct channel_record *rec;
	struct ockam_err why;

	if (!reg->identity[0])
		return ockam_err_set(err, -EACCES,
				     "registrations must come through a secure channel");
	if (ockam_route_from_wire(rt, reg->ret.bytes, reg->ret.len, &why) < 0)
		return ockam_err_set(err, -EINVAL, "bad return route: %s",
				     ockam_err_msg(&why));
	if (rt->hops < 2 || rt->addr[0].type != OCKAM_ADDR_LOCAL)
		return ockam_err_set(err, -EINVAL,
				     "the return route does not lead back through the channel");
	for (rec = d->channels; rec; rec = rec->next)
		if (!strcmp(rec->encryptor, rt->addr[0].value))
			break;
	if (!rec || strcmp(rec->peer, reg->identity))
		return ockam_err_set(err, -EINVAL,
				     "the return route does not start with the channel it came through");
	rt->hops--;
	return 0;
}

/*
 * Direct forwarding: @rt, which starts with our encryptor, starts with
 * the path under that channel instead (its route without the peer's end).
 */
static int forward_route_direct(struct daemon *d, struct ockam_route *rt,
				struct ockam_err *err)
{
	static struct ockam_route path;
	unsigned int i;
	int ret;

	ret = channel_route(d, rt->addr[0].value, &path, err);
	if (ret < 0)
		return ret;
	if (path.hops < 2)
		return ockam_err_set(err, -EINVAL,
				     "the channel has no path under it to forward along");
	path.hops--;
	if (path.hops + rt->hops - 1 > OCKAM_ROUTE_HOPS_MAX)
		return ockam_err_set(err, -E2BIG,
				     "the route to the registrant has too many hops");
	for (i = 1; i < rt->hops; i++)
		path.addr[path.hops++] = rt->addr[i];
	*rt = path;
	return 0;
}

int relay_forward_mode_parse(const char *text, enum relay_forward_mode *mode)
{
	if (!strcmp(text, "channel"))
		*mode = RELAY_FORWARD_CHANNEL;
	else if (!strcmp(text, "direct"))
		*mode = RELAY_FORWARD_DIRECT;
	else
		return -EINVAL;
	return 0;
}

const char *relay_forward_mode_name(enum relay_forward_mode mode)
{
	return mode == RELAY_FORWARD_DIRECT ? "direct" : "channel";
}

/* Point @alias at @rt in the kernel, replacing what it had. */
static int install_alias(struct daemon *d, const char *alias,
			 const struct ockam_route *rt, bool replace,
			 struct ockam_err *err)
{
	struct ockam_err ignored;

	if (replace)
		ockam_nl_alias_del(d->nl, alias, &ignored);
	return ockam_nl_alias_add(d->nl, alias, rt, err);
}

static void forward_drop(struct daemon *d, struct fwd_entry *e,
			 const char *why)
{
	struct ockam_err err;

	if (ockam_nl_alias_del(d->nl, e->alias, &err) < 0 &&
	    err.code != -ENOENT)
		log_warn("relay %s: %s", e->alias, ockam_err_msg(&err));
	log_info_limited("relay %s of %s removed: %s", e->alias, e->owner, why);
	fwd_remove(&d->forwarding->table, e);
}

/*
 * A renewal moved @e off channel @encryptor: close that channel unless
 * another relay still uses it, so renewals do not pile up channels.
 */
static void retire_channel(struct daemon *d, const char *encryptor,
			   const struct fwd_entry *e)
{
	const struct fwd_entry *other;
	struct ockam_err err;

	for (other = d->forwarding->table.entries; other; other = other->next)
		if (other != e && !strcmp(other->encryptor, encryptor))
			return;
	if (channel_delete(d, encryptor, &err) < 0 && err.code != -ENOENT)
		log_warn("%s", ockam_err_msg(&err));
}

static void forwarding_register(struct daemon *d, struct forwarding *f,
				const struct registration *reg)
{
	static struct ockam_route rt;
	char requested[RELAY_STRING_MAX + 1], alias[OCKAM_NAME_MAX];
	char encryptor[OCKAM_NAME_MAX];
	struct fwd_entry *held, *e;
	struct ockam_err err;

	if (forward_route(d, reg, &rt, &err) < 0) {
		forwarding_refuse(f, reg, &err);
		return;
	}
	snprintf(encryptor, sizeof(encryptor), "%s", rt.addr[0].value);
	if ((f->mode == RELAY_FORWARD_DIRECT &&
	     forward_route_direct(d, &rt, &err) < 0) ||
	    relay_string_decode(reg->payload, reg->len, requested, &err) < 0 ||
	    relay_alias_for(requested, alias, &err) < 0 ||
	    fwd_check(&f->table, alias, reg->identity, &held, &err) < 0) {
		forwarding_refuse(f, reg, &err);
		return;
	}
	e = held ? held : fwd_add(&f->table, alias, reg->identity);
	if (!e) {
		ockam_err_set(&err, -ENOMEM, "out of memory");
		forwarding_refuse(f, reg, &err);
		return;
	}
	if (install_alias(d, alias, &rt, held, &err) < 0) {
		fwd_remove(&f->table, e);
		forwarding_refuse(f, reg, &err);
		return;
	}
	if (held && strcmp(e->encryptor, encryptor))
		retire_channel(d, e->encryptor, e);
	snprintf(e->encryptor, sizeof(e->encryptor), "%s", encryptor);
	/* A direct route starts with the channel's first hop: no new lookup. */
	if (f->mode == RELAY_FORWARD_DIRECT)
		snprintf(e->transport, sizeof(e->transport), "%s",
			 rt.addr[0].type == OCKAM_ADDR_LOCAL ?
			 rt.addr[0].value : "");
	else if (channel_first_hop(d, e->encryptor, e->transport, &err) < 0)
		log_warn("relay %s: %s", alias, ockam_err_msg(&err));
	e->since = time(NULL);
	e->registrations++;
	f->accepted++;
	log_info_limited("relay %s %s for %s through channel %s, forwarding %s",
			 alias, held ? "renewed" : "created", reg->identity,
			 e->encryptor, relay_forward_mode_name(f->mode));
	forwarding_answer(f, reg, alias);
}

static void on_forwarding_readable(struct daemon *d, void *ctx, short revents)
{
	static struct registration reg;
	struct forwarding *f = ctx;
	ssize_t n;
	int i;

	(void)revents;
	for (i = 0; i < DAEMON_BATCH; i++) {
		n = forwarding_recv(f->fd, &reg);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			break;
		if (n < 0) {
			f->refused++;
			log_warn_limited("forwarding_service: dropped a message: %s",
					 strerror(-n));
			continue;
		}
		forwarding_register(d, f, &reg);
	}
}

static int forwarding_socket(struct daemon *d, struct forwarding *f,
			     struct ockam_err *err)
{
	int one = 1, ret;

	ret = ockam_socket(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (ret < 0)
		return ockam_err_set(err, ret, "AF_OCKAM socket: %s",
				     strerror(-ret));
	f->fd = ret;
	ret = kernel_reserve(d, RELAY_SERVICE, err);
	if (ret < 0)
		return ret;
	ret = ockam_bind(f->fd, RELAY_SERVICE);
	if (ret < 0)
		return ockam_err_set(err, ret, "cannot bind %s: %s",
				     RELAY_SERVICE, strerror(-ret));
	ret = ockam_set_recvroute(f->fd, true);
	if (ret == 0 && setsockopt(f->fd, SOL_OCKAM, OCKAM_SO_RECVIDENTITY,
				   &one, sizeof(one)) < 0)
		ret = -errno;
	if (ret < 0)
		return ockam_err_set(err, ret, "%s: socket options: %s",
				     RELAY_SERVICE, strerror(-ret));
	return 0;
}

/*
 * Aliases forward_to_* that a daemon of this node left behind when it
 * died: they pointed into channels that closed with it, so nothing they
 * route reaches anyone, and each would make the registrant's next
 * registration of its name fail with EEXIST for as long as it stays.
 * Only this service makes such aliases, so a new daemon removes them.
 */
static void forwarding_sweep(struct daemon *d)
{
	struct ockam_alias_info *list;
	struct ockam_err err;
	size_t count, i;

	if (ockam_nl_alias_list(d->nl, &list, &count, &err) < 0) {
		log_warn("forwarding_service: cannot list aliases: %s",
			 ockam_err_msg(&err));
		return;
	}
	for (i = 0; i < count; i++) {
		if (strncmp(list[i].address, RELAY_PREFIX,
			    strlen(RELAY_PREFIX)))
			continue;
		if (ockam_nl_alias_del(d->nl, list[i].address, &err) < 0 &&
		    err.code != -ENOENT)
			log_warn("relay %s: %s", list[i].address,
				 ockam_err_msg(&err));
		else
			log_info("relay %s left by an earlier daemon removed",
				 list[i].address);
	}
	free(list);
}

int forwarding_open(struct daemon *d, const char *authorized,
		    enum relay_forward_mode mode, struct ockam_err *err)
{
	static struct trust_policy policy;
	struct forwarding *f;
	int ret;

	ret = trust_policy_parse(&policy, authorized ? authorized : "", err);
	if (ret < 0)
		return ret;
	f = calloc(1, sizeof(*f));
	if (!f)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	f->fd = -1;
	f->mode = mode;
	fwd_table_init(&f->table, &policy);
	d->forwarding = f;
	ret = forwarding_socket(d, f, err);
	if (ret < 0)
		return ret;
	forwarding_sweep(d);
	ret = loop_watch(&d->loop, f->fd, POLLIN, on_forwarding_readable, f);
	if (ret < 0)
		return ockam_err_set(err, ret, "out of memory");
	log_info("service %s is up (relays from %s, forwarding %s)",
		 RELAY_SERVICE,
		 policy.count ? "authorized identities" : "any identity",
		 relay_forward_mode_name(mode));
	return 0;
}

void forwarding_close(struct daemon *d)
{
	struct forwarding *f = d->forwarding;

	if (!f)
		return;
	if (d->nl)
		while (f->table.entries)
			forward_drop(d, f->table.entries, "the node stops");
	fwd_table_clear(&f->table);
	if (f->fd >= 0) {
		loop_unwatch(&d->loop, f->fd);
		close(f->fd);
	}
	free(f);
	d->forwarding = NULL;
}

/* Drop every relay through channel @encryptor; close it if asked to. */
static void drop_channel(struct daemon *d, const char *encryptor,
			 bool close_it, const char *why)
{
	struct fwd_entry *e, *next;
	struct ockam_err err;
	bool found = false;

	for (e = d->forwarding->table.entries; e; e = next) {
		next = e->next;
		if (strcmp(e->encryptor, encryptor))
			continue;
		found = true;
		forward_drop(d, e, why);
	}
	if (found && close_it && channel_delete(d, encryptor, &err) < 0 &&
	    err.code != -ENOENT)
		log_warn("%s", ockam_err_msg(&err));
}

void forwarding_on_event(struct daemon *d, const struct ockam_event *ev)
{
	struct fwd_entry *e;
	char encryptor[OCKAM_NAME_MAX];
	bool again = true;

	if (!d->forwarding)
		return;
	if (ev->cmd == OCKAM_CMD_CHANNEL_CLOSED) {
		drop_channel(d, ev->address, false, "its channel closed");
		return;
	}
	if (ev->cmd != OCKAM_CMD_TRANSPORT_DOWN)
		return;
	/* Its channels are dead too: close them, which frees them. */
	while (again) {
		again = false;
		for (e = d->forwarding->table.entries; e; e = e->next) {
			if (!e->transport[0] || strcmp(e->transport, ev->address))
				continue;
			snprintf(encryptor, sizeof(encryptor), "%s",
				 e->encryptor);
			drop_channel(d, encryptor, true,
				     "its transport went down");
			again = true;
			break;
		}
	}
}

void forwarding_resync(struct daemon *d)
{
	struct fwd_entry *e, *next;

	if (!d->forwarding)
		return;
	for (e = d->forwarding->table.entries; e; e = next) {
		next = e->next;
		if (!channel_exists(d, e->encryptor))
			forward_drop(d, e, "its channel is gone");
	}
}

void forwarding_report(struct daemon *d, struct ockam_ctl_writer *w)
{
	const struct fwd_entry *e;

	if (!d->forwarding)
		return;
	for (e = d->forwarding->table.entries; e; e = e->next) {
		ockam_ctl_record_begin(w);
		ockam_ctl_field(w, "kind", "forward");
		ockam_ctl_field(w, "name", "%s",
				e->alias + strlen(RELAY_PREFIX));
		ockam_ctl_field(w, "address", "%s", e->alias);
		ockam_ctl_field(w, "owner", "%s", e->owner);
		ockam_ctl_field(w, "channel", "%s", e->encryptor);
		ockam_ctl_field(w, "transport", "%s",
				e->transport[0] ? e->transport : "-");
		ockam_ctl_field(w, "forward", "%s",
				relay_forward_mode_name(d->forwarding->mode));
		ockam_ctl_field(w, "since", "%lld", (long long)e->since);
		ockam_ctl_field(w, "registrations", "%lu", e->registrations);
		ockam_ctl_record_end(w);
	}
}

int forwarding_delete(struct daemon *d, const char *name,
		      struct ockam_err *err)
{
	char alias[OCKAM_NAME_MAX], encryptor[OCKAM_NAME_MAX];
	struct fwd_entry *e;

	if (!d->forwarding)
		return ockam_err_set(err, -ENOENT, "no relay %s", name);
	e = fwd_find(&d->forwarding->table, name);
	if (!e) {
		snprintf(alias, sizeof(alias), "%s%s", RELAY_PREFIX, name);
		e = fwd_find(&d->forwarding->table, alias);
	}
	if (!e)
		return ockam_err_set(err, -ENOENT, "no relay %s", name);
	/* Closing its channel tells the registrant. */
	snprintf(encryptor, sizeof(encryptor), "%s", e->encryptor);
	drop_channel(d, encryptor, true, "deleted");
	return 0;
}

void forwarding_status(struct daemon *d, struct ockam_ctl_writer *w)
{
	struct forwarding *f = d->forwarding;

	if (!f)
		return;
	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "kind", "service");
	ockam_ctl_field(w, "address", "%s", RELAY_SERVICE);
	ockam_ctl_field(w, "relays", "%u", f->table.count);
	ockam_ctl_field(w, "forward", "%s", relay_forward_mode_name(f->mode));
	ockam_ctl_field(w, "handled", "%lu", f->accepted);
	ockam_ctl_field(w, "dropped", "%lu", f->refused);
	ockam_ctl_record_end(w);
}
