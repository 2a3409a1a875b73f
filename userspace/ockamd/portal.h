/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Portals in the daemon: Ockam's tcp-inlet and tcp-outlet services. The
 * daemon accepts (inlet) or makes (outlet) each TCP connection and hands
 * it to the kernel as a portal session (OCKAM_CMD_PORTAL_ATTACH); the
 * kernel moves the bytes from then on. See PORTALS in <linux/ockam.h>.
 *
 *  portal_policy.c  what needs no kernel: the outlet's admission rules,
 *                   refusal names, PING parsing, counter records
 *  portals.c        what inlets and outlets share: cookies, the attach,
 *                   session counts from PORTAL_CLOSED events
 *  inlet.c          TCP listeners whose connections become sessions,
 *                   through a secure channel the inlet keeps open
 *  outlet.c         an AF_OCKAM service that answers PINGs by connecting
 *                   to its target
 */
#ifndef OCKAMD_PORTAL_H
#define OCKAMD_PORTAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ockam/ockam.h>

#include "control_protocol.h"
#include "secure.h"

enum portal_limits {
	/* Inlets per node, and outlets per node. */
	PORTALS_MAX = 64,
	/* Sessions of one inlet or outlet at once, by default and at
	 * most; clients waiting for a channel and connects in progress
	 * count too.
	 */
	PORTAL_SESSIONS_DEFAULT = 256,
	PORTAL_SESSIONS_MAX = 65536,
	/* How long an outlet waits for its target to accept. */
	OUTLET_CONNECT_MS_DEFAULT = 5000,
	OUTLET_CONNECT_MS_MAX = 60000,
};

#define OUTLET_DEFAULT_NAME "outlet"

/* Why a connection did not become a session; counted per inlet/outlet. */
enum portal_refusal {
	PORTAL_ADMITTED,
	PORTAL_REFUSE_PLAINTEXT,	/* outlet: a PING from no channel */
	PORTAL_REFUSE_UNAUTHORIZED,	/* outlet: the identity is not listed */
	PORTAL_REFUSE_LIMIT,		/* at the session limit */
	PORTAL_REFUSE_MALFORMED,	/* outlet: not a PING */
	PORTAL_REFUSE_CONNECT,		/* outlet: the target refused or failed */
	PORTAL_REFUSE_TIMEOUT,		/* outlet: the target did not answer */
	PORTAL_REFUSE_CHANNEL,		/* inlet: no secure channel */
	PORTAL_REFUSE_ATTACH,		/* the kernel refused the session */
	PORTAL_REFUSE_COUNT
};

/* "plaintext", "unauthorized", ... as counter names. */
const char *portal_refusal_name(enum portal_refusal r);

/* Whom an outlet serves. */
struct outlet_policy {
	bool allow_plaintext;
	struct trust_policy trust;	/* none: any identity */
	unsigned long max_sessions;
};

/*
 * May a PING from @identifier ("" when it came through no secure
 * channel) open a session, with @busy sessions of the outlet open or
 * connecting?
 */
enum portal_refusal outlet_admit(const struct outlet_policy *p,
				 const char *identifier, unsigned long busy);

/* A PING ({u8 0, u32le window}): 0 with its window, or -EBADMSG. */
int portal_ping_parse(const uint8_t *buf, size_t len, uint32_t *window);

/* What an inlet or outlet counts. */
struct portal_counters {
	unsigned long accepted;		/* inlet: clients; outlet: PINGs */
	unsigned long attached;		/* sessions handed to the kernel */
	unsigned long active;		/* attached and not closed yet */
	unsigned long refused[PORTAL_REFUSE_COUNT];
	unsigned long ended[__OCKAM_PORTAL_END_MAX];
	uint64_t tx_bytes;		/* of the sessions that ended */
	uint64_t rx_bytes;
};

/* A session ended (@ev is its PORTAL_CLOSED event). */
void portal_counters_closed(struct portal_counters *c,
			    const struct ockam_event *ev);
/* The counters as fields of the current record. */
void portal_counters_report(struct ockam_ctl_writer *w,
			    const struct portal_counters *c);

/* ------------------------------------------------------------ portals.c */

/* What inlets and outlets share; the first member of each. */
struct portal_base {
	struct portal_base *next;	/* the daemon's list of them all */
	uint64_t cookie;		/* in each session's events */
	const char *kind;		/* "inlet", "outlet", for messages */
	const char *name;		/* its address or name */
	struct portal_counters counters;
};

/* Give @b a cookie and put it on the daemon's list. */
void portal_base_add(struct daemon *d, struct portal_base *b,
		     const char *kind, const char *name);
void portal_base_remove(struct daemon *d, struct portal_base *b);

/*
 * Hand @p->fd to the kernel as a session of @b (@p's cookie is set
 * here), and count it; a failure is the caller's to count. The caller
 * closes the descriptor either way.
 */
int portal_attach(struct daemon *d, struct portal_base *b,
		  struct ockam_portal_params *p, struct ockam_err *err);

/* A PORTAL_CLOSED event. */
void portals_on_event(struct daemon *d, const struct ockam_event *ev);
/* Events were lost: count the active sessions again from a dump. */
void portals_resync(struct daemon *d);
/* One "status" record per inlet and outlet. */
void portals_status(struct daemon *d, struct ockam_ctl_writer *w);

/* -------------------------------------------------------------- inlet.c */

struct inlet;

struct inlet_request {
	const char *from;		/* "host:port" to listen on */
	const uint8_t *secure;		/* route to a secure channel
					 * listener, or NULL
					 */
	size_t secure_len;
	const uint8_t *outlet;		/* route to the outlet service, after
					 * the channel when there is one
					 */
	size_t outlet_len;
	struct trust_policy trust;	/* whom the channel may reach */
	unsigned long max_sessions;
	/* --udp: punch a path for new sessions (puncture.h), through a
	 * rendezvous (NULL: the node's); without @fallback, sessions wait
	 * for it instead of using the secure route.
	 */
	bool udp;
	bool fallback;
	const uint8_t *rendezvous;
	size_t rendezvous_len;
};

int inlet_create(struct daemon *d, const struct inlet_request *req,
		 struct ockam_ctl_writer *w, struct ockam_err *err);
int inlet_delete(struct daemon *d, const char *address,
		 struct ockam_err *err);
/* "ok" and a record per inlet, or only @address's (-ENOENT if none). */
int inlets_report(struct daemon *d, const char *address,
		  struct ockam_ctl_writer *w, struct ockam_err *err);
void inlets_close(struct daemon *d);
/* A CHANNEL_STATE event: replace an inlet's channel that gave up. */
void inlets_on_channel_state(struct daemon *d, const struct ockam_event *ev);

/* ------------------------------------------------------------- outlet.c */

struct outlet_request {
	const char *name;		/* the service address */
	const char *target;		/* "host:port", an IP literal */
	struct outlet_policy policy;
	unsigned int connect_timeout_ms;
};

int outlet_create(struct daemon *d, const struct outlet_request *req,
		  struct ockam_ctl_writer *w, struct ockam_err *err);
int outlet_delete(struct daemon *d, const char *name, struct ockam_err *err);
int outlets_report(struct daemon *d, const char *name,
		   struct ockam_ctl_writer *w, struct ockam_err *err);
void outlets_close(struct daemon *d);

/* -------------------------------------------------------- portal_verbs.c */

/* The control handlers of control_verbs.c's table. */
enum ctl_answer portal_handle_outlet_create(struct daemon *d,
					    struct ctl_request *r,
					    const struct ockam_ctl_request *msg);
enum ctl_answer portal_handle_outlet_list(struct daemon *d,
					  struct ctl_request *r,
					  const struct ockam_ctl_request *msg);
enum ctl_answer portal_handle_inlet_create(struct daemon *d,
					   struct ctl_request *r,
					   const struct ockam_ctl_request *msg);
enum ctl_answer portal_handle_inlet_list(struct daemon *d,
					 struct ctl_request *r,
					 const struct ockam_ctl_request *msg);

#endif /* OCKAMD_PORTAL_H */
