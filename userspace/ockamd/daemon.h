/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ockamd: one daemon per node (network namespace). It owns what the kernel
 * cannot do alone: TCP listeners, dialing and re-dialing connections, the
 * default echo and uppercase services, identities and secure channel
 * handshakes (secure.h), and a control socket for the CLI.
 */
#ifndef OCKAMD_DAEMON_H
#define OCKAMD_DAEMON_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <ockam/ockam.h>

#include "control_protocol.h"
#include "loop.h"

struct listener;
struct udp_bind;
struct conn;
struct demand;
struct service;
struct ctl_client;
struct ctl_request;
struct vault;
struct secure_listener;
struct initiator;
struct channel_record;
struct portal_base;
struct inlet;
struct outlet;
struct relay;
struct forwarding;
struct punctures;
struct rendezvous;
struct udp_channel;

enum daemon_limits {
	/* Accepts or datagrams handled per wakeup, so one busy socket
	 * cannot starve the others.
	 */
	DAEMON_BATCH = 64,
	CTL_CLIENTS_MAX = 32,
	CTL_BACKLOG = 16,
	LISTEN_BACKLOG = 128,
	UDP_BINDS_MAX = 64,
	/* Re-dial backoff for persistent connections, milliseconds. */
	REDIAL_FIRST_MS = 500,
	REDIAL_MAX_MS = 10000,
	/* Pause after running out of file descriptors in accept(). */
	ACCEPT_PAUSE_MS = 100,
};

struct daemon {
	char name[OCKAM_NODE_NAME_MAX + 1];
	char dir[OCKAM_PATH_MAX];	/* for messages and the socket path */
	bool foreground;
	time_t started;
	uint64_t netns_inode;

	struct loop loop;
	/* Every file in the node's directory is opened through this. */
	int dir_fd;
	bool created_dir;		/* this start made it: undo that */
	int lock_fd;
	int signal_fd;

	/* Commands. Every transport belongs to the netlink socket that
	 * attached it, so ours live exactly as long as this one.
	 */
	struct ockam_nl *nl;
	struct ockam_events *events;

	struct listener *listeners;
	struct udp_bind *udp_binds;
	struct conn *conns;
	struct demand *demands;
	struct service *services;

	/* Secure channels (secure.h). */
	struct vault *vault;
	struct secure_listener *secure_listeners;
	struct initiator *initiators;
	struct channel_record *channels;

	/* Portals (portal.h): inlets and outlets, and both on one list. */
	struct inlet *inlets;
	struct outlet *outlets;
	struct portal_base *portals;
	/* Relays (relay.h): ours at other nodes, and those we serve. */
	struct relay *relays;
	struct forwarding *forwarding;
	/* UDP hole punching (puncture.h). */
	struct punctures *punctures;
	struct rendezvous *rendezvous;
	struct udp_channel *udp_channels;

	int ctl_fd;
	struct accept_pause ctl_pause;
	struct ctl_client *clients;
	unsigned int client_count;

	/* One payload buffer for the services, sized to the node's
	 * largest message.
	 */
	uint8_t *msgbuf;
	size_t msgbuf_size;
};

/* kernel.c */
int kernel_open(struct daemon *d, struct ockam_err *err);
void kernel_close(struct daemon *d);
/* The node's dial timeout in ms, read fresh so NODE_SET takes effect. */
int kernel_reserve(struct daemon *d, const char *name, struct ockam_err *err);
unsigned int kernel_dial_timeout_ms(struct daemon *d);
/*
 * The node's channel keepalive (0: off) and give-up times, in ms: the
 * daemon's own settings, so that they hold from the node's start.
 */
int kernel_channel_timing(struct daemon *d, uint32_t keepalive_ms,
			  uint32_t give_up_ms, struct ockam_err *err);
int kernel_attach(struct daemon *d, int fd, const char *address,
		  const char *peer, uint32_t flags,
		  struct ockam_transport_info *info, struct ockam_err *err);

/* listener.c */
int listener_create(struct daemon *d, const char *hostport,
		    struct listener **out, struct ockam_err *err);
int listener_delete(struct daemon *d, const char *address,
		    struct ockam_err *err);
void listeners_close(struct daemon *d);
const char *listener_address(const struct listener *l);
unsigned long listener_accepted(const struct listener *l);
const struct listener *listener_next(const struct daemon *d,
				     const struct listener *l);
/* Rewrite the registry's listener list. */
int listeners_save(struct daemon *d, struct ockam_err *err);

/*
 * bound_socket.c: a socket on @host:@port (port 0: a free one) in
 * *@out_fd, and the address it is bound to in @bound: for SOCK_STREAM a
 * non-blocking listening TCP socket, for SOCK_DGRAM a UDP socket (IPv6
 * only, if IPv6).
 */
int bound_socket(const char *host, uint16_t port, int type, int *out_fd,
		 char *bound, size_t bound_size, struct ockam_err *err);
/* "host:port" of a bound or connected socket address. */
int sockaddr_text(const struct sockaddr *sa, socklen_t len, char *buf,
		  size_t size);

/*
 * udp.c: UDP binds, bound here and handed to the kernel. @hostport may
 * have port 0 (a free one); the bind is listed by the address it got.
 * Deleting takes that address or the bind's local address.
 */
int udp_bind_create(struct daemon *d, const char *hostport,
		    const struct udp_bind **out, struct ockam_err *err);
int udp_bind_delete(struct daemon *d, const char *address,
		    struct ockam_err *err);
void udp_binds_close(struct daemon *d);
/*
 * One "kind=udp-bind" record per bind (only @only, unless NULL), with the
 * kernel's counters.
 */
void udp_binds_report(struct daemon *d, const struct udp_bind *only,
		      struct ockam_ctl_writer *w);

/*
 * dial.c: a non-blocking connect to "host:port" with a deadline, trying
 * each address the host resolves to. dial_start() fails at once (no
 * callback) when the peer is malformed, does not resolve or refuses on
 * every address straight away; otherwise @done runs exactly once, after
 * the dial has been freed, with a connected blocking socket (@fd >= 0) or
 * a positive errno (@err). dial_cancel() frees it without a callback.
 *
 * Looking a name up blocks the whole daemon, so only dials an operator
 * asked for (DIAL_MAY_RESOLVE) do it; dials that other nodes can cause
 * (DIAL_NUMERIC_HOST) take IP literals only and fail a name with
 * -EHOSTUNREACH.
 */
enum dial_mode {
	DIAL_NUMERIC_HOST,
	DIAL_MAY_RESOLVE,
};

struct dial;
typedef void (*dial_done_fn)(struct daemon *d, void *owner, int fd, int err);
int dial_start(struct daemon *d, const char *peer, enum dial_mode mode,
	       unsigned int timeout_ms, dial_done_fn done, void *owner,
	       struct dial **out, struct ockam_err *err);
void dial_cancel(struct daemon *d, struct dial *dial);

/* connection.c */
/*
 * Dial @peer and answer control request @r (which it owns from now on,
 * see control.c below) when that is settled: the first attach, or the
 * failure.
 */
void conn_create(struct daemon *d, const char *peer, struct ctl_request *r);
int conn_delete(struct daemon *d, const char *address,
		struct ockam_err *err);
void conn_on_event(struct daemon *d, const struct ockam_event *ev);
void conn_resync(struct daemon *d);
void conns_close(struct daemon *d);
void conns_report(struct daemon *d, struct ockam_ctl_writer *w);

/* services.c */
int services_open(struct daemon *d, struct ockam_err *err);
void services_close(struct daemon *d);
void services_report(struct daemon *d, struct ockam_ctl_writer *w);

/*
 * control.c: the control socket. Every request that arrives becomes a
 * struct ctl_request, holding the reply being built and the client it is
 * for, and goes to ctl_dispatch() (control_verbs.c), which runs the verb's
 * handler. The handler builds the reply in ctl_reply(r), and then either
 *  - returns CTL_REPLY_NOW: control.c sends the reply and frees @r;
 *  - or returns CTL_REPLY_LATER, having passed @r on to whatever will
 *    answer (a dial, a handshake). That owner must end @r exactly once:
 *    ctl_request_finish() when the reply is built, ctl_request_cancel()
 *    when it gives up, in its own teardown at shutdown too; after either,
 *    @r is freed. It may do so before the handler returns.
 * The client is not read until its reply has gone, so each client has at
 * most one request pending, and every client may have one. A client that
 * goes away meanwhile leaves @r valid: finishing it then sends nothing.
 */
enum ctl_answer {
	CTL_REPLY_NOW,
	CTL_REPLY_LATER,
};

int ctl_open(struct daemon *d, struct ockam_err *err);
/* Close every client (their pending requests stay with their owners). */
void ctl_close(struct daemon *d);
/* The reply of @r, to build with ockam_ctl_reply_*() and the rest. */
struct ockam_ctl_writer *ctl_reply(struct ctl_request *r);
/* Send @r's reply and free @r; false when its client had gone. */
bool ctl_request_finish(struct daemon *d, struct ctl_request *r);
/* Answer @r with ECANCELED (if its client is there) and free it. */
void ctl_request_cancel(struct daemon *d, struct ctl_request *r);

/* control_verbs.c: answer @msg, which came as @r (see above). */
enum ctl_answer ctl_dispatch(struct daemon *d, struct ctl_request *r,
			     const struct ockam_ctl_request *msg);

/*
 * state.c: the node's registry directory. state_open() opens (creating
 * it if needed) and checks it, takes the node lock and writes the pid
 * file. state_close() removes the runtime files (and, with @undo, a
 * directory state_open() created), then releases the lock.
 */
int state_open(struct daemon *d, struct ockam_err *err);
void state_close(struct daemon *d, bool undo);

#endif /* OCKAMD_DAEMON_H */
