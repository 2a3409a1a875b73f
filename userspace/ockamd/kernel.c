// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The daemon's two netlink sockets: one for commands (every transport the
 * daemon attaches and every channel it installs belongs to it and closes
 * with it) and one subscribed to the node's events.
 */
#include <poll.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "portal.h"
#include "puncture.h"
#include "relay.h"
#include "secure.h"

/*
 * What to assume when the kernel does not say (it always does: node-get
 * reports every setting). The module's own defaults, as documented.
 */
enum kernel_fallbacks {
	KERNEL_MAX_MESSAGE_FALLBACK = 1 << 20,
	KERNEL_DIAL_TIMEOUT_FALLBACK_MS = 5000,
};

static void on_event(const struct ockam_event *ev, void *arg)
{
	struct daemon *d = arg;

	if (ev->cmd != OCKAM_CMD_DIAL_REQUEST) {
		relays_on_event(d, ev);
		forwarding_on_event(d, ev);
	}
	if (ev->cmd == OCKAM_CMD_CHANNEL_CLOSED) {
		channels_on_event(d, ev);
		udp_channels_on_closed(d, ev);
		return;
	}
	if (ev->cmd == OCKAM_CMD_CHANNEL_STATE) {
		channel_recovery_on_event(d, ev);
		inlets_on_channel_state(d, ev);
		return;
	}
	if (ev->cmd == OCKAM_CMD_PORTAL_CLOSED) {
		portals_on_event(d, ev);
		return;
	}
	/* Other nodes cause these at will: rate-limited. */
	if (ev->cmd == OCKAM_CMD_TRANSPORT_DOWN) {
		log_info_limited("transport %s to %s is down: %s%s%s",
				 ev->address,
				 ev->peer[0] ? ev->peer : "(accepted)",
				 ockam_down_reason_name(ev->reason),
				 ev->errnum ? ", " : "",
				 ev->errnum ? strerror(ev->errnum) : "");
	} else {
		log_info_limited("dial requested for %s", ev->peer);
	}
	conn_on_event(d, ev);
}

static void on_events_readable(struct daemon *d, void *ctx, short revents)
{
	struct ockam_err err;
	int ret;

	(void)ctx;
	(void)revents;
	ret = ockam_events_read(d->events, on_event, d, &err);
	if (ret == -ENOBUFS) {
		log_warn("%s; checking connections, channels and portal sessions against the kernel",
			 ockam_err_msg(&err));
		conn_resync(d);
		channels_resync(d);
		portals_resync(d);
		relays_resync(d);
		forwarding_resync(d);
	} else if (ret < 0) {
		log_err("%s", ockam_err_msg(&err));
	}
}

int kernel_open(struct daemon *d, struct ockam_err *err)
{
	struct ockam_node_info info;
	int ret;

	ret = ockam_nl_open(&d->nl, err);
	if (ret < 0)
		return ret;
	ret = ockam_nl_node_get(d->nl, &info, err);
	if (ret < 0)
		goto err_nl;
	d->msgbuf_size = info.max_message ? info.max_message :
					    KERNEL_MAX_MESSAGE_FALLBACK;
	ret = ockam_events_open(&d->events, err);
	if (ret < 0)
		goto err_nl;
	ret = loop_watch(&d->loop, ockam_events_fd(d->events), POLLIN,
			 on_events_readable, NULL);
	if (ret < 0) {
		ockam_err_set(err, ret, "out of memory");
		goto err_events;
	}
	log_info("kernel node: family %u, max message %u, hop limit %u, dial timeout %u ms",
		 info.family, info.max_message, info.hop_limit,
		 info.dial_timeout_ms);
	return 0;

err_events:
	ockam_events_close(d->events);
	d->events = NULL;
err_nl:
	ockam_nl_close(d->nl);
	d->nl = NULL;
	return ret;
}

int kernel_channel_timing(struct daemon *d, uint32_t keepalive_ms,
			  uint32_t give_up_ms, struct ockam_err *err)
{
	struct ockam_node_settings set = {
		.set_channel_keepalive = true,
		.channel_keepalive_ms = keepalive_ms,
		.channel_give_up_ms = give_up_ms,
	};
	int ret = ockam_nl_node_set(d->nl, &set, err);

	if (ret < 0)
		return ret;
	if (keepalive_ms)
		log_info("secure channels: a keepalive after %u ms of silence, given up after %u ms",
			 keepalive_ms, give_up_ms);
	else
		log_info("secure channels: no keepalives, given up after %u ms",
			 give_up_ms);
	return 0;
}

void kernel_close(struct daemon *d)
{
	if (d->events) {
		loop_unwatch(&d->loop, ockam_events_fd(d->events));
		ockam_events_close(d->events);
		d->events = NULL;
	}
	/* Closing the command socket tears down the owned transports. */
	ockam_nl_close(d->nl);
	d->nl = NULL;
}

/*
 * Reserve @name before binding it: from then on only an admin of this
 * node may bind it, so no local user can take the address of one of our
 * services or listeners, now or while the daemon is down. A name the node
 * already reserves (Ockam's service names come reserved) is fine.
 */
int kernel_reserve(struct daemon *d, const char *name, struct ockam_err *err)
{
	int ret = ockam_nl_reserved_add(d->nl, name, err);

	if (ret == -EEXIST) {
		ockam_err_clear(err);
		return 0;
	}
	return ret;
}

unsigned int kernel_dial_timeout_ms(struct daemon *d)
{
	struct ockam_node_info info;

	if (ockam_nl_node_get(d->nl, &info, NULL) < 0 || !info.dial_timeout_ms)
		return KERNEL_DIAL_TIMEOUT_FALLBACK_MS;
	return info.dial_timeout_ms;
}

int kernel_attach(struct daemon *d, int fd, const char *address,
		  const char *peer, uint32_t flags,
		  struct ockam_transport_info *info, struct ockam_err *err)
{
	int ret = ockam_nl_transport_attach(d->nl, fd, address, peer, flags,
					    info, err);

	if (ret < 0)
		return ret;
	/* Accepted connections come at the peers' pace: rate-limited. */
	log_info_limited("attached transport %s (local %s, peer %s%s)",
			 info->address, info->local[0] ? info->local : "?",
			 info->peer[0] ? info->peer : "?",
			 flags & OCKAM_TRANSPORT_F_OUTGOING ? ", outgoing" : "");
	return 0;
}
