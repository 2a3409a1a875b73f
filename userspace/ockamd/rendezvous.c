// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The rendezvous service: it tells whoever asks over UDP the address and
 * port their datagram came from, which is their NAT's public mapping for
 * the socket they sent from (puncture.h). Every node runs it; it is of
 * use where a node's UDP bind is reachable from the nodes that ask. It
 * answers along the return route the kernel gave the query, whose first
 * hop is that observed address: it never sends anywhere else.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "puncture.h"

struct rendezvous {
	int fd;
	unsigned long answered;
	unsigned long refused;		/* not over UDP */
	unsigned long ignored;		/* not a query */
};

const char *puncture_udp_source(const struct ockam_wire_route *ret)
{
	static struct ockam_route rt;

	if (ockam_route_from_wire(&rt, ret->bytes, ret->len, NULL) < 0 ||
	    !rt.hops || rt.addr[0].type != OCKAM_ADDR_UDP ||
	    !puncture_addr_ok(rt.addr[0].value))
		return NULL;
	return rt.addr[0].value;
}

static bool answer_one(struct rendezvous *rv)
{
	static struct ockam_wire_route ret;
	uint8_t buf[PUNCTURE_MSG_MAX + 1];
	struct puncture_msg m;
	const char *seen;
	ssize_t n;
	int flags = 0;

	n = ockam_recv(rv->fd, buf, sizeof(buf), MSG_DONTWAIT, &ret, &flags);
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return false;
	if (n < 0 || (flags & MSG_TRUNC) ||
	    puncture_msg_decode(buf, n, &m) < 0 ||
	    m.type != PUNCTURE_MSG_QUERY) {
		rv->ignored++;
		return true;
	}
	seen = puncture_udp_source(&ret);
	if (seen) {
		m.type = PUNCTURE_MSG_ADDRESS;
		snprintf(m.addr, sizeof(m.addr), "%.*s", PUNCTURE_ADDR_MAX,
			 seen);
		rv->answered++;
	} else {
		m.type = PUNCTURE_MSG_REFUSE;
		m.reason = PUNCTURE_REFUSE_NOT_UDP;
		rv->refused++;
	}
	n = puncture_msg_encode(&m, buf, sizeof(buf));
	if (n >= 0)
		n = ockam_send_wire(rv->fd, buf, n, ret.bytes, ret.len,
				    MSG_DONTWAIT);
	if (n < 0)
		log_warn_limited("rendezvous: answer: %s", strerror(-n));
	return true;
}

static void on_readable(struct daemon *d, void *ctx, short revents)
{
	int i;

	(void)d;
	(void)revents;
	for (i = 0; i < DAEMON_BATCH; i++)
		if (!answer_one(ctx))
			break;
}

int rendezvous_open(struct daemon *d, struct ockam_err *err)
{
	struct rendezvous *rv = calloc(1, sizeof(*rv));
	int ret;

	if (!rv)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	d->rendezvous = rv;
	rv->fd = ockam_socket(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (rv->fd < 0)
		return ockam_err_set(err, rv->fd, "AF_OCKAM socket: %s",
				     strerror(-rv->fd));
	ret = kernel_reserve(d, RENDEZVOUS_SERVICE, err);
	if (ret < 0)
		return ret;
	ret = ockam_bind(rv->fd, RENDEZVOUS_SERVICE);
	if (ret == 0)
		ret = ockam_set_recvroute(rv->fd, true);
	if (ret == 0)
		ret = loop_watch(&d->loop, rv->fd, POLLIN, on_readable, rv);
	if (ret < 0)
		return ockam_err_set(err, ret, "service %s: %s",
				     RENDEZVOUS_SERVICE, strerror(-ret));
	log_info("service %s is up", RENDEZVOUS_SERVICE);
	return 0;
}

void rendezvous_close(struct daemon *d)
{
	struct rendezvous *rv = d->rendezvous;

	if (!rv)
		return;
	if (rv->fd >= 0) {
		loop_unwatch(&d->loop, rv->fd);
		close(rv->fd);
	}
	free(rv);
	d->rendezvous = NULL;
}

void rendezvous_report(struct daemon *d, struct ockam_ctl_writer *w)
{
	const struct rendezvous *rv = d->rendezvous;

	if (!rv)
		return;
	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "kind", "service");
	ockam_ctl_field(w, "address", RENDEZVOUS_SERVICE);
	ockam_ctl_field(w, "handled", "%lu", rv->answered);
	ockam_ctl_field(w, "refused", "%lu", rv->refused);
	ockam_ctl_field(w, "dropped", "%lu", rv->ignored);
	ockam_ctl_record_end(w);
}
