/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Secure channels in the daemon: the Noise XX handshake between two
 * daemons, run over AF_OCKAM sockets, identity checks and trust policy,
 * and the hand-over of the keys to the kernel. The wire format is in
 * Documentation/wire-protocol.rst ("Handshake").
 *
 *  handshake.c        what both roles share: one handshake's socket,
 *                     Noise state, peer verification and key push
 *  secure_listener.c  the responder: listeners and their pending
 *                     handshakes
 *  secure_channel.c   the initiator: "secure-channel-create"
 *  channels.c         the daemon's record of the channels it installed
 *  channel_recovery.c bringing back channels whose transport went away
 *  trust.c            authorized-identifier lists
 *  identities.c       the vault and the identity requests
 */
#ifndef OCKAMD_SECURE_H
#define OCKAMD_SECURE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "backoff.h"
#include "daemon.h"
#include "handshake_frame.h"
#include "handshake_source.h"
#include "identity.h"
#include "noise.h"
#include "vault.h"

enum secure_limits {
	/* Identifiers in one --authorized list. */
	SECURE_AUTHORIZED_MAX = 32,
	/* Handshakes a listener runs at once; more are refused (busy).
	 * Per source and per first hop the bounds are lower
	 * (handshake_source.h).
	 */
	SECURE_PENDING_MAX = 64,
	SECURE_LISTENERS_MAX = 64,
	/* How long an initiator waits for the responder, by default and
	 * at most.
	 */
	SECURE_TIMEOUT_MS_DEFAULT = 10000,
	SECURE_TIMEOUT_MS_MAX = 600000,
	/* How long a responder waits for message 3: by default, and the
	 * bounds of a listener's own setting. Longer lets initiators on
	 * slow routes finish; it also lets each message 1 hold its slot
	 * longer.
	 */
	SECURE_RESPONDER_TIMEOUT_MS_DEFAULT = 10000,
	SECURE_RESPONDER_TIMEOUT_MS_MIN = 100,
	SECURE_RESPONDER_TIMEOUT_MS_MAX = 600000,
};

/*
 * Why a handshake message was rejected or a handshake failed. Each such
 * event counts once, under its reason, in the counters of the listener
 * (responder) or of the daemon's initiator side.
 */
enum hs_fail {
	HS_FAIL_MALFORMED,	/* does not parse, or Noise rejects it */
	HS_FAIL_UNEXPECTED,	/* a type the handshake's state does not take */
	HS_FAIL_BAD_IDENTITY,	/* identity payload malformed or forged */
	HS_FAIL_EXPIRED,	/* identity or attestation expired, or not
				 * valid yet
				 */
	HS_FAIL_KEY_MISMATCH,	/* attested key is not the Noise static key */
	HS_FAIL_UNAUTHORIZED,	/* trust policy said no */
	HS_FAIL_BUSY,		/* listener at SECURE_PENDING_MAX */
	HS_FAIL_SOURCE_BUSY,	/* message 1's source at
				 * SECURE_PENDING_PER_SOURCE
				 */
	HS_FAIL_HOP_BUSY,	/* message 1's first hop at
				 * SECURE_PENDING_PER_HOP
				 */
	HS_FAIL_TIMEOUT,
	HS_FAIL_PEER_REFUSED,	/* the peer sent HS_REFUSED */
	HS_FAIL_UNREACHABLE,	/* the route failed (sending or delivery) */
	HS_FAIL_INTERNAL,	/* memory, sockets, the vault, the kernel */
	HS_FAIL_COUNT
};

/* "malformed", "unauthorized", ... as counter names. */
const char *hs_fail_name(enum hs_fail fail);
/* The refusal code that tells the peer about @fail. */
enum hs_refusal hs_fail_refusal(enum hs_fail fail);
/* The errno a control reply carries for @fail. */
int hs_fail_errno(enum hs_fail fail);

struct hs_counters {
	unsigned long started;
	unsigned long established;
	unsigned long rejected[HS_FAIL_COUNT];
};

/* A handshake failure as one control record field per reason. */
void hs_counters_report(struct ockam_ctl_writer *w,
			const struct hs_counters *c);

/* ---------------------------------------------------------------- trust */

/* Identifiers a side accepts; none means any identity. */
struct trust_policy {
	unsigned int count;
	uint8_t ids[SECURE_AUTHORIZED_MAX][IDENTIFIER_BYTES];
};

/* "I<64 hex>,I<64 hex>,..." (duplicates dropped) into @p. */
int trust_policy_parse(struct trust_policy *p, const char *list,
		       struct ockam_err *err);
bool trust_policy_allows(const struct trust_policy *p,
			 const uint8_t id[IDENTIFIER_BYTES]);
/* The list as parsed back, or "any"; -ENOSPC if @size is short. */
int trust_policy_format(const struct trust_policy *p, char *buf, size_t size);

/* ------------------------------------------------------------ handshake */

/*
 * A non-blocking AF_OCKAM socket for handshake messages in *@fd, bound to
 * @name (NULL: its name comes with the first send) and watched with @fn
 * and @ctx. On failure *@fd may still hold it, for the caller to close.
 */
int secure_socket_open(struct daemon *d, const char *name, int *fd,
		       watch_fn fn, void *ctx, struct ockam_err *err);

/* One handshake in progress, either role. */
struct handshake {
	struct noise_handshake *noise;
	int fd;				/* the socket it runs on, or -1 */
	char address[OCKAM_NAME_MAX];	/* that socket's address */
	/* Where our messages go: the peer's handshake socket. */
	uint8_t *route;
	size_t route_len;
	char identity[VAULT_NAME_MAX + 1];	/* ours, by name */
	uint8_t payload[IDENTITY_PAYLOAD_MAX];	/* ours, for message 2 or 3 */
	size_t payload_len;
	char peer[IDENTIFIER_STR_LEN + 1];	/* once verified */
	struct timer timer;
};

/*
 * Set up @hs for @role with our identity @identity from the vault: Noise
 * state, our identity payload, and a fresh non-blocking AF_OCKAM socket
 * (watched with @fn and @ctx; its name comes with the first send).
 */
int handshake_init(struct daemon *d, struct handshake *hs,
		   enum noise_role role, const char *identity, watch_fn fn,
		   void *ctx, struct ockam_err *err);
/*
 * A fresh Noise state for @role with our identity, for a handshake that
 * starts over on the same socket and route; the old state is dropped.
 */
int handshake_restart(struct daemon *d, struct handshake *hs,
		      enum noise_role role, struct ockam_err *err);
/* Close the socket, drop the Noise state, stop the timer. */
void handshake_fini(struct daemon *d, struct handshake *hs);

int handshake_set_route(struct handshake *hs, const uint8_t *route,
			size_t len, struct ockam_err *err);

/*
 * Write the next Noise message (with our identity payload when
 * @with_identity) as a message of @type, and send it along hs->route.
 */
int handshake_write(struct handshake *hs, uint8_t type, bool with_identity,
		    struct ockam_err *err);

/* Read message @f (of the type Noise expects next) and verify the peer. */
enum hs_fail handshake_read(struct handshake *hs, const struct hs_frame *f,
			    const struct trust_policy *policy,
			    struct ockam_err *err);

/*
 * Split, and install the channel on hs->fd with the keys, hs->route and
 * the peer's identifier; the keys are wiped whatever happens. With
 * @rekey (an encryptor), the keys go behind that channel instead of a
 * new one, and @out names it.
 */
int handshake_install(struct daemon *d, struct handshake *hs,
		      enum ockam_channel_role role, const char *rekey,
		      struct ockam_channel_info *out, struct ockam_err *err);

/* Tell the peer we give up, from socket @fd along @route. */
void handshake_refuse(int fd, const uint8_t *route, size_t route_len,
		      enum hs_fail fail, const char *text);

/*
 * Receive one message from @fd into @buf (HS_FRAME_MAX bytes) and its
 * return route into @ret: the length, -EAGAIN when there is none,
 * -EMSGSIZE for one larger than any handshake message (consumed), or the
 * error the kernel queued on the socket.
 */
ssize_t handshake_recv(int fd, uint8_t *buf, struct ockam_wire_route *ret,
		       int flags);

/* ------------------------------------------------------------- channels */

/* What the daemon remembers about a channel it installed. */
struct channel_record {
	struct channel_record *next;
	char encryptor[OCKAM_NAME_MAX];
	char decryptor[OCKAM_NAME_MAX];
	char identity[VAULT_NAME_MAX + 1];	/* ours */
	char peer[IDENTIFIER_STR_LEN + 1];
	char listener[OCKAM_NAME_MAX];		/* "" for initiators */
	uint32_t role;
	time_t created;
	/* Initiators: the encoded route the channel was created along, to
	 * the peer's listener (channel_recovery.c), or NULL.
	 */
	uint8_t *origin;
	size_t origin_len;
	/* The state the kernel last reported (enum ockam_channel_state,
	 * enum ockam_channel_state_reason).
	 */
	uint32_t state;
	uint32_t state_reason;
	/* While recovering: new routes given to the kernel, paced. */
	bool recovering;
	struct backoff backoff;
	struct timer retry;
	unsigned long route_sets;		/* in the channel's life */
	unsigned int recovery_routes;		/* in this recovery */
	uint64_t recovery_since_ms;		/* loop_now_ms() */
	/* A new handshake with the peer, for keys behind the same
	 * encryptor, while one runs; and how many succeeded.
	 */
	struct initiator *rehandshake;
	unsigned long rekeys;
};

/* Remember a channel we installed; NULL without memory. */
struct channel_record *channel_record_add(struct daemon *d,
					  const struct ockam_channel_info *ch,
					  const struct handshake *hs,
					  const char *listener, uint32_t role);
struct channel_record *channel_record_find(struct daemon *d,
					   const char *encryptor);
/* A CHANNEL_CLOSED event: forget that channel. */
void channels_on_event(struct daemon *d, const struct ockam_event *ev);
/* Events were lost: forget the channels the kernel no longer has. */
void channels_resync(struct daemon *d);
/* Close a channel (telling the peer) and forget it. */
int channel_delete(struct daemon *d, const char *encryptor,
		   struct ockam_err *err);
/* At exit: close every channel we installed, telling the peers. */
void channels_close(struct daemon *d);
/* "ok" and one record per channel. */
void channels_report(struct daemon *d, struct ockam_ctl_writer *w);

/*
 * channel_recovery.c. The kernel keeps a channel whose transport went
 * away, or whose peer went silent, RECOVERING; for a channel we initiated
 * the daemon gives it a new route (the one it was created along, up to
 * the peer's node) now and again, paced, until it is UP or DOWN. A
 * responder cannot reach its initiator on its own: once DOWN its channel
 * is deleted, and the initiator opens a new one.
 */
/* A CHANNEL_STATE event. */
void channel_recovery_on_event(struct daemon *d, const struct ockam_event *ev);
/*
 * The kernel says @rec is in @state for @reason (an event, or a dump
 * after lost events). @rec may be freed (a responder's channel DOWN).
 */
void channel_recovery_update(struct daemon *d, struct channel_record *rec,
			     uint32_t state, uint32_t reason);
/* Try a new route for @rec now, and again while it stays RECOVERING. */
int channel_recovery_start(struct daemon *d, struct channel_record *rec,
			   struct ockam_err *err);
/* Stop trying (the record goes, or the channel is UP or DOWN). */
void channel_recovery_stop(struct daemon *d, struct channel_record *rec);

/* ---------------------------------------------------------- identities */

/* Open the vault; make the default identity on the node's first start. */
int identities_open(struct daemon *d, struct ockam_err *err);
void identities_close(struct daemon *d);

/*
 * The identity requests; each writes its "ok" reply into @w. A negative
 * @attestation_ttl (tests only) makes an attestation that has already
 * expired; 0 means the default.
 */
int identity_create_request(struct daemon *d, const char *name,
			    int64_t attestation_ttl, struct ockam_ctl_writer *w,
			    struct ockam_err *err);
/* @name NULL: the default identity. */
int identity_show_request(struct daemon *d, const char *name,
			  struct ockam_ctl_writer *w, struct ockam_err *err);
int identity_list_request(struct daemon *d, struct ockam_ctl_writer *w,
			  struct ockam_err *err);
/* -EBUSY while a listener answers with it. */
int identity_delete_request(struct daemon *d, const char *name,
			    struct ockam_err *err);

/* ----------------------------------------------------------- listeners */

/* The listener Ockam nodes start with, on the default identity. */
#define SECURE_DEFAULT_LISTENER "api"

/*
 * Bind listener @name answering as @identity (NULL: the default) and
 * accepting the identifiers in @authorized ("I..,I.."; NULL or "": any),
 * whose handshakes wait @timeout_ms for message 3 (the caller keeps it
 * within SECURE_RESPONDER_TIMEOUT_MS_MIN and _MAX).
 */
int secure_listener_create(struct daemon *d, const char *name,
			   const char *identity, const char *authorized,
			   unsigned int timeout_ms, struct ockam_err *err);
int secure_listener_delete(struct daemon *d, const char *name,
			   struct ockam_err *err);
void secure_listeners_close(struct daemon *d);
bool secure_listener_uses_identity(const struct daemon *d, const char *identity,
				   const char **listener);
/* One "status" record per listener. */
void secure_listeners_status(const struct daemon *d,
			     struct ockam_ctl_writer *w);
/* "ok" and a record per listener, or only @name's (-ENOENT if none). */
int secure_listeners_report(const struct daemon *d, const char *name,
			    struct ockam_ctl_writer *w, struct ockam_err *err);

/* ---------------------------------------------------------- initiators */

struct secure_channel_request {
	const uint8_t *route;		/* encoded, to a listener */
	size_t route_len;
	const char *identity;		/* ours */
	struct trust_policy policy;	/* whom we accept */
	unsigned int timeout_ms;
	/* Re-key the channel whose encryptor this is instead of adding a
	 * new one (channel_recovery.c), or NULL.
	 */
	const char *rekey;
	/*
	 * Install the channel with the route message 2 came back by (the
	 * local address of the transport it arrived on first), rather than
	 * with @route ending at the responder's socket: for an owner that
	 * watches that transport (relay.c).
	 */
	bool answer_route;
};

/*
 * Start a handshake for control request @r, which it owns from now on
 * (daemon.h, control.c) and finishes when the channel is up or has
 * failed, or cancels when the daemon stops first.
 */
void secure_channel_create(struct daemon *d, struct ctl_request *r,
			   const struct secure_channel_request *req);

/*
 * The same for the daemon's own use: @done runs exactly once, after the
 * handshake is freed, with the channel (@ch) or the failure (@err), unless
 * secure_channel_abort() comes first. A negative return means it failed
 * at once (no callback).
 */
typedef void (*secure_channel_done_fn)(struct daemon *d, void *owner,
				       const struct ockam_channel_info *ch,
				       const struct ockam_err *err);
int secure_channel_open(struct daemon *d,
			const struct secure_channel_request *req,
			secure_channel_done_fn done, void *owner,
			struct initiator **out, struct ockam_err *err);
void secure_channel_abort(struct daemon *d, struct initiator *i);
/*
 * channel_route.c: the route of the channel whose encryptor is
 * @encryptor, as the kernel has it (the path to the peer, then the peer's
 * end of the channel); -ENOENT when the kernel has no such channel.
 */
int channel_route(struct daemon *d, const char *encryptor,
		  struct ockam_route *rt, struct ockam_err *err);
/*
 * The first hop of the route of the channel whose
 * encryptor is @encryptor, into @out (OCKAM_NAME_MAX), when it is a
 * local address (a transport); "" when it is not. -ENOENT when the
 * kernel has no such channel.
 */
int channel_first_hop(struct daemon *d, const char *encryptor, char *out,
		      struct ockam_err *err);
/* Does the kernel still have that channel? */
bool channel_exists(struct daemon *d, const char *encryptor);

/*
 * An encoded route as text for messages (MultiAddr when it has one), in
 * memory of its own (free()), or NULL without memory.
 */
char *route_text_dup(const uint8_t *route, size_t len);
void initiators_close(struct daemon *d);
/* A "status" record: pending handshakes and counters. */
void initiators_report(struct daemon *d, struct ockam_ctl_writer *w);

#endif /* OCKAMD_SECURE_H */
