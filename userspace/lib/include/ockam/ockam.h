/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * libockam: the userspace side of AF_OCKAM.
 *
 * - routes: an in-memory route type, its wire encoding (the kernel's own
 *   codec, compiled into this library) and two text forms: Ockam's
 *   MultiAddr ("/ip4/10.0.0.2/tcp/4000/service/echo") and the plain form
 *   ("1#10.0.0.2:4000 => 0#echo");
 * - sockets: the address family in use, struct sockaddr_ockam, and send and
 *   receive helpers that move a route into a control message when it does
 *   not fit in the socket address;
 * - netlink: a client for the "ockam" generic netlink family (node settings
 *   and counters, transports, aliases, addresses, secure channels, events);
 * - nodes: the node registry under $OCKAM_HOME and entering a node's
 *   network namespace.
 *
 * The control protocol that ockam speaks with ockamd over a node's control
 * socket is private to the two programs (userspace/lib/control_protocol.h,
 * not installed): it changes with them, and other programs reach a node
 * through the kernel (sockets, netlink) or by running ockam.
 *
 * Conventions. Functions that can fail return 0 (or a length or a file
 * descriptor) on success and a negative errno value on failure. Those that
 * take a struct ockam_err also leave a one-line explanation in it; passing
 * NULL is allowed when the caller only wants the errno.
 *
 * Routes too long for a socket address. struct sockaddr_ockam holds at most
 * OCKAM_SOCKADDR_ROUTE_MAX (120) encoded bytes. ockam_send_wire() and
 * ockam_send_route() pass a longer onward route in an OCKAM_CMSG_ROUTE
 * control message, and ockam_set_default_route() uses the OCKAM_SO_ROUTE
 * socket option. On the receive side the kernel sets OCKAM_SA_F_ROUTE_TRUNC
 * in the returned address; ockam_recv() then takes the return route from
 * the OCKAM_CMSG_RETURN_ROUTE control message, which the socket only gets
 * after ockam_set_recvroute(fd, true).
 */
#ifndef OCKAM_OCKAM_H
#define OCKAM_OCKAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <linux/ockam.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

enum { OCKAM_ERR_MSG_MAX = 512 };

struct ockam_err {
	int code;			/* negative errno; 0 when unset */
	char msg[OCKAM_ERR_MSG_MAX];	/* one line, no trailing newline */
};

/* Forget any previous error. */
void ockam_err_clear(struct ockam_err *err);

/*
 * Record a failure in @err (when not NULL) and return @code, a negative
 * errno, so a caller can write "return ockam_err_set(err, -EINVAL, ...)".
 */
int ockam_err_set(struct ockam_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The message, or strerror(-code) when no message was recorded. */
const char *ockam_err_msg(const struct ockam_err *err);

/* --------------------------------------------------------------- routes */

/*
 * One address: a type (enum ockam_addr_type, or any other transport type
 * number) and a value of @len bytes. @value is always NUL-terminated after
 * @len bytes, so text values can be used as C strings.
 */
struct ockam_addr {
	uint8_t type;
	uint8_t len;
	char value[OCKAM_ADDR_VALUE_MAX + 1];
};

/* A route: @hops addresses, first hop first. About 16 KiB. */
struct ockam_route {
	unsigned int hops;
	struct ockam_addr addr[OCKAM_ROUTE_HOPS_MAX];
};

/* An encoded route (uleb128 count, then each address). */
struct ockam_wire_route {
	size_t len;
	uint8_t bytes[OCKAM_ROUTE_BYTES_MAX];
};

void ockam_route_init(struct ockam_route *rt);

/*
 * Append one address. Local names must satisfy the kernel's rules
 * (1..255 printable ASCII bytes other than '/' and '#'); other types take
 * 0..255 arbitrary bytes. -E2BIG when the route already has
 * OCKAM_ROUTE_HOPS_MAX hops, -EINVAL for a bad value.
 */
int ockam_route_push(struct ockam_route *rt, uint8_t type, const void *value,
		     size_t len, struct ockam_err *err);

/* Append every hop of @tail to @rt; -E2BIG if the result is too long. */
int ockam_route_append(struct ockam_route *rt, const struct ockam_route *tail,
		       struct ockam_err *err);

/* Do @a and @b name the same addresses in the same order? */
bool ockam_route_equal(const struct ockam_route *a,
		       const struct ockam_route *b);

/* Encoded size of @rt, in bytes. */
size_t ockam_route_wire_len(const struct ockam_route *rt);

/* Encode @rt into @buf; returns the length, or -EMSGSIZE if @size is short. */
ssize_t ockam_route_to_wire(const struct ockam_route *rt, void *buf,
			    size_t size);

/*
 * Decode exactly @len bytes of an encoded route with the kernel's codec.
 * -EINVAL (with the reason in @err) for anything it rejects: truncation,
 * trailing bytes, non-minimal or over-long ULEB128, too many hops,
 * over-long values. Address values are taken as they are: a local name
 * that came from the network is not checked against the naming rule.
 */
int ockam_route_from_wire(struct ockam_route *rt, const void *buf, size_t len,
			  struct ockam_err *err);

/*
 * Resolves "/node/NAME" while parsing a MultiAddr: appends the hops that
 * reach node @name to @rt. ockam_registry_resolve_node() is the standard
 * one.
 */
typedef int (*ockam_node_resolver_fn)(const char *name, struct ockam_route *rt,
				      void *arg, struct ockam_err *err);

/*
 * Parse a route in text form into @rt (which is reset first):
 *
 *   MultiAddr (text starts with '/'), a sequence of
 *     /service/NAME  /worker/NAME  /secure/NAME   local address NAME
 *     /ip4/A/tcp/P   /ip6/A/tcp/P  /dnsaddr/H/tcp/P  TCP "A:P", "[A]:P", "H:P"
 *     /ip4/A/udp/P   /ip6/A/udp/P  /dnsaddr/H/udp/P  UDP, same values
 *     /node/NAME     whatever @resolve appends for NAME
 *   plain form, addresses separated by " => " or ",":
 *     TYPE#VALUE or VALUE (a local address), e.g. "1#10.0.0.2:4000 => 0#echo"
 *     with "\xNN" and "\\" escapes in VALUE.
 *
 * An empty string is the empty route. Errors name the component and the
 * reason, e.g. "/ip4/10.0.0/tcp/4000: '10.0.0' is not an IPv4 address".
 */
int ockam_route_parse(struct ockam_route *rt, const char *text,
		      ockam_node_resolver_fn resolve, void *resolve_arg,
		      struct ockam_err *err);

/*
 * Resolve the host name of every UDP hop of @rt ("/dnsaddr/H/udp/P") to
 * its first address, "A:P" or "[A]:P": the kernel sends UDP itself and
 * takes numeric addresses only. TCP hops keep their names, which the
 * daemon resolves when it dials. Blocks on DNS; -EHOSTUNREACH when a name
 * does not resolve. Hops that are not "host:port" stay for the kernel to
 * refuse.
 */
int ockam_route_resolve_udp(struct ockam_route *rt, struct ockam_err *err);

enum ockam_route_style {
	OCKAM_ROUTE_MULTIADDR,	/* /ip4/10.0.0.2/tcp/4000/service/echo */
	OCKAM_ROUTE_PLAIN,	/* 1#10.0.0.2:4000 => 0#echo */
};

/*
 * Print @rt into @buf. Returns the string length, -ENOSPC if @size is too
 * small, or -EINVAL for OCKAM_ROUTE_MULTIADDR when an address has no
 * MultiAddr form (an unknown type, a transport value that is not
 * "host:port"); the plain form always exists. The empty route prints as ""
 * in plain form and "/" as a MultiAddr.
 */
ssize_t ockam_route_format(const struct ockam_route *rt,
			   enum ockam_route_style style, char *buf,
			   size_t size);

/* MultiAddr when possible, otherwise the plain form. */
ssize_t ockam_route_format_any(const struct ockam_route *rt, char *buf,
			       size_t size);

/* Buffer size that holds any formatted route: per address at most a
 * type prefix, a separator and every byte escaped as \xNN.
 */
enum {
	OCKAM_ROUTE_TEXT_MAX =
		OCKAM_ROUTE_HOPS_MAX * (16 + 4 * OCKAM_ADDR_VALUE_MAX) + 1,
};

/* Whether @name is a valid local address (the kernel's rule). */
bool ockam_local_name_ok(const char *name);

/* ----------------------------------------------------------- host:port */

enum { OCKAM_HOST_MAX = 253, OCKAM_HOSTPORT_MAX = OCKAM_HOST_MAX + 8 };

/*
 * A duration, "10" or "10s", "1500ms", "2m", into *@ms: -EINVAL when
 * malformed, -ERANGE past a day. "0" is 0.
 */
int ockam_duration_parse_ms(const char *text, uint32_t *ms);

/*
 * Split "host:port" or "[v6-literal]:port" (an IPv6 literal needs the
 * brackets). @host receives the host without brackets, @port the port
 * number: 1..65535, or also 0 when @allow_zero. The host is an IPv4 or
 * IPv6 literal or a DNS name of letters, digits, '-', '_' and '.' whose
 * last label is neither all digits nor starts with "0x" (resolvers would
 * read "127.1" or "0x7f.1" as an IPv4 address).
 */
int ockam_hostport_split(const char *text, char *host, size_t host_size,
			 uint16_t *port, bool allow_zero,
			 struct ockam_err *err);

/* "host:port", or "[host]:port" for an IPv6 literal; length or -errno. */
int ockam_hostport_join(char *buf, size_t size, const char *host,
			uint16_t port);

/* ------------------------------------------------------------- sockets */

/*
 * The address family number the module registered: the integer in
 * /sys/module/ockam/parameters/family, or AF_OCKAM_DEFAULT when that file
 * cannot be read (module not loaded yet: socket() of the default number
 * loads it).
 */
int ockam_family(void);

/* socket(ockam_family(), SOCK_DGRAM | @flags, 0); @flags takes
 * SOCK_NONBLOCK and SOCK_CLOEXEC. Returns the descriptor or -errno.
 */
int ockam_socket(int flags);

/* Bind @fd to local address @name. */
int ockam_bind(int fd, const char *name);

/* The local address @fd is bound to, as a string. */
int ockam_local_address(int fd, char *name, size_t size);

/*
 * Fill @sa with an encoded route of @len bytes and set @salen to the
 * length to pass to the kernel. -EMSGSIZE when @len exceeds
 * OCKAM_SOCKADDR_ROUTE_MAX.
 */
int ockam_sockaddr_set(struct sockaddr_ockam *sa, socklen_t *salen,
		       const void *route, size_t len);

/* The same from a route. */
int ockam_sockaddr_from_route(struct sockaddr_ockam *sa, socklen_t *salen,
			      const struct ockam_route *rt);

/*
 * The route in an address the kernel returned. -EMSGSIZE when the kernel
 * flagged it OCKAM_SA_F_ROUTE_TRUNC, -EINVAL when it is not a valid
 * AF_OCKAM address.
 */
int ockam_sockaddr_to_route(const struct sockaddr_ockam *sa, socklen_t salen,
			    struct ockam_route *rt, struct ockam_err *err);

/*
 * Send @len bytes along an encoded onward route: in the socket address
 * when it fits, in an OCKAM_CMSG_ROUTE control message otherwise. A NULL
 * route sends along the socket's default route. Returns bytes sent or
 * -errno.
 */
ssize_t ockam_send_wire(int fd, const void *buf, size_t len,
			const void *route, size_t route_len, int flags);

/* The same with a route to encode. */
ssize_t ockam_send_route(int fd, const void *buf, size_t len,
			 const struct ockam_route *rt, int flags);

/*
 * Receive one message into @buf and its return route into @ret (which may
 * be NULL). Returns the payload length (the full length when @flags has
 * MSG_TRUNC), or -errno. @msg_flags, when not NULL, receives the
 * recvmsg() flags (MSG_TRUNC when the payload did not fit). -EMSGSIZE
 * when the return route did not fit in the socket address and the socket
 * was not set up with ockam_set_recvroute(), -EINVAL when the kernel
 * returned no valid AF_OCKAM address.
 */
ssize_t ockam_recv(int fd, void *buf, size_t len, int flags,
		   struct ockam_wire_route *ret, int *msg_flags);

/*
 * The OCKAM_CMSG_RETURN_ROUTE control message of a message received with
 * recvmsg() or recvmmsg(), copied into @ret: 1 when there is one, 0 when
 * there is none, -EMSGSIZE when it is longer than @ret can hold.
 */
int ockam_cmsg_return_route(struct msghdr *msg, struct ockam_wire_route *ret);

/*
 * ockam_recv(), and the identifier of the peer at the other end of the
 * secure channel the message came through (OCKAM_CMSG_IDENTITY, which the
 * socket gets after ockam_set_recvidentity(fd, true)) into @identifier
 * (OCKAM_IDENTIFIER_LEN + 1 bytes, NUL-terminated): "" for a message that
 * came through no channel.
 */
ssize_t ockam_recv_identity(int fd, void *buf, size_t len, int flags,
			    struct ockam_wire_route *ret, char *identifier,
			    int *msg_flags);

/* OCKAM_SO_RECVROUTE: deliver every return route in a control message. */
int ockam_set_recvroute(int fd, bool on);
/* OCKAM_SO_RECVIDENTITY: deliver the channel peer's identifier. */
int ockam_set_recvidentity(int fd, bool on);

/* Set the default onward route (connect() or OCKAM_SO_ROUTE by length). */
int ockam_set_default_route(int fd, const struct ockam_route *rt);

/* ------------------------------------------------------------- netlink */

struct ockam_nl;

/* Counters from OCKAM_A_STATS, indexed by enum ockam_stat. */
struct ockam_stats {
	uint64_t present;			/* bit i: counter i was sent */
	uint64_t value[OCKAM_STAT_MAX + 1];
};

struct ockam_node_info {
	uint32_t family;
	uint32_t max_message;
	uint32_t hop_limit;
	uint32_t dial_timeout_ms;
	uint32_t address_count;
	bool dial_forwarded;	/* forwarded messages may cause dials */
	uint32_t channel_keepalive_ms;	/* 0: channels send no keepalives */
	uint32_t channel_give_up_ms;	/* RECOVERING this long: DOWN */
	uint32_t udp_datagram;		/* UDP payload bytes per datagram */
	struct ockam_stats stats;
};

/*
 * Settings to change; a zero number leaves that setting as it is, and
 * @dial_forwarded is applied only when @set_dial_forwarded is true.
 * Zero is a valid keepalive (off), so @channel_keepalive_ms is applied
 * only when @set_channel_keepalive is true.
 */
struct ockam_node_settings {
	uint32_t max_message;
	uint32_t hop_limit;
	uint32_t dial_timeout_ms;
	bool set_dial_forwarded;
	bool dial_forwarded;
	bool set_channel_keepalive;
	uint32_t channel_keepalive_ms;
	uint32_t channel_give_up_ms;
	uint32_t udp_datagram;
};

enum { OCKAM_NAME_MAX = OCKAM_ADDR_VALUE_MAX + 1 };

struct ockam_transport_info {
	char address[OCKAM_NAME_MAX];	/* local address of the transport */
	char peer[OCKAM_NAME_MAX];	/* "host:port" it reaches, or "" */
	char local[OCKAM_NAME_MAX];	/* "host:port" of this end, or "" */
	uint32_t kind;			/* enum ockam_endpoint_kind */
	uint32_t flags;			/* OCKAM_TRANSPORT_F_* */
	struct ockam_stats stats;
};

struct ockam_udp_info {
	char address[OCKAM_NAME_MAX];	/* local address of the bind */
	char local[OCKAM_NAME_MAX];	/* "host:port" it is bound to */
	uint32_t peers;			/* addresses it heard from lately */
	uint32_t reasm_bytes;		/* held by unfinished messages */
	struct ockam_stats stats;
};

struct ockam_alias_info {
	char address[OCKAM_NAME_MAX];
	struct ockam_wire_route route;	/* where its messages continue */
};

struct ockam_address_info {
	char address[OCKAM_NAME_MAX];
	uint32_t kind;			/* enum ockam_endpoint_kind */
};

/*
 * Open a generic netlink socket in the caller's network namespace and
 * resolve the "ockam" family. -ENOENT ("the ockam kernel module is not
 * loaded") when the family does not exist. Kernel extack messages end up
 * in @err of every later call.
 */
int ockam_nl_open(struct ockam_nl **nl, struct ockam_err *err);
void ockam_nl_close(struct ockam_nl *nl);

int ockam_nl_node_get(struct ockam_nl *nl, struct ockam_node_info *info,
		      struct ockam_err *err);
int ockam_nl_node_set(struct ockam_nl *nl,
		      const struct ockam_node_settings *set,
		      struct ockam_err *err);

/*
 * Hand connected TCP socket @fd to the node. @address (NULL for a random
 * one) is the local address to give it, @peer (NULL for none) the
 * "host:port" it was dialed as, @flags OCKAM_TRANSPORT_F_*. @out receives
 * the kernel's reply (address, peer, local, flags). The caller may close
 * @fd afterwards. The transport lives as long as @nl.
 */
int ockam_nl_transport_attach(struct ockam_nl *nl, int fd,
			      const char *address, const char *peer,
			      uint32_t flags,
			      struct ockam_transport_info *out,
			      struct ockam_err *err);
int ockam_nl_transport_detach(struct ockam_nl *nl, const char *address,
			      struct ockam_err *err);

/*
 * Hand bound UDP socket @fd to the node (an IPv6 one must be IPV6_V6ONLY).
 * @address (NULL for a random one) is the local address to give it; @out
 * receives the kernel's reply. The caller may close @fd afterwards. The
 * bind lives as long as @nl.
 */
int ockam_nl_udp_attach(struct ockam_nl *nl, int fd, const char *address,
			struct ockam_udp_info *out, struct ockam_err *err);
int ockam_nl_udp_detach(struct ockam_nl *nl, const char *address,
			struct ockam_err *err);

/*
 * Dumps. Each returns a malloc()ed array in @list (free() it) and its
 * length in @count. A dump the kernel marks interrupted (NLM_F_DUMP_INTR)
 * is retried a few times, then fails with -EAGAIN.
 */
int ockam_nl_transport_list(struct ockam_nl *nl,
			    struct ockam_transport_info **list, size_t *count,
			    struct ockam_err *err);
int ockam_nl_udp_list(struct ockam_nl *nl, struct ockam_udp_info **list,
		      size_t *count, struct ockam_err *err);
int ockam_nl_alias_list(struct ockam_nl *nl, struct ockam_alias_info **list,
			size_t *count, struct ockam_err *err);
int ockam_nl_address_list(struct ockam_nl *nl,
			   struct ockam_address_info **list, size_t *count,
			   struct ockam_err *err);

/* Make alias @name: its messages continue along @rt. */
int ockam_nl_alias_add(struct ockam_nl *nl, const char *name,
		       const struct ockam_route *rt, struct ockam_err *err);
int ockam_nl_alias_del(struct ockam_nl *nl, const char *name,
		       struct ockam_err *err);

/*
 * Reserved names: only a process with CAP_NET_ADMIN in the node's user
 * namespace may bind them (others get EACCES). A node starts with Ockam's
 * service names reserved. -EEXIST when @name already is; the list gives
 * each name with kind OCKAM_KIND_UNSPEC.
 */
int ockam_nl_reserved_add(struct ockam_nl *nl, const char *name,
			  struct ockam_err *err);
int ockam_nl_reserved_del(struct ockam_nl *nl, const char *name,
			  struct ockam_err *err);
int ockam_nl_reserved_list(struct ockam_nl *nl,
			   struct ockam_address_info **list, size_t *count,
			   struct ockam_err *err);

/* The dial the kernel asked for failed with positive @errnum. */
int ockam_nl_dial_failed(struct ockam_nl *nl, const char *peer, int errnum,
			 struct ockam_err *err);

/*
 * Secure channels. ockamd runs the handshake and hands the keys to the
 * kernel (see SECURE CHANNELS in <linux/ockam.h>).
 */
struct ockam_channel_params {
	int fd;				/* the bound socket the handshake ran on */
	const uint8_t *tx_key;		/* OCKAM_KEY_LEN bytes we send with */
	const uint8_t *rx_key;		/* OCKAM_KEY_LEN bytes we receive with */
	const void *route;		/* encoded route to the peer's decryptor */
	size_t route_len;
	const char *identifier;		/* the peer's, "I" + 64 hex */
	uint32_t role;			/* enum ockam_channel_role */
};

struct ockam_channel_info {
	char encryptor[OCKAM_NAME_MAX];	/* the channel's local address */
	char decryptor[OCKAM_NAME_MAX];	/* where the peer sends to */
	char identifier[OCKAM_IDENTIFIER_LEN + 1];	/* the peer's */
	uint32_t role;			/* enum ockam_channel_role */
	uint64_t tx_counter;		/* next counter to send */
	uint64_t rx_counter;		/* highest counter accepted */
	uint64_t tx_rekeys;
	uint64_t rx_rekeys;
	uint32_t state;			/* enum ockam_channel_state; 0 when
					 * the kernel does not report it
					 */
	uint32_t state_reason;		/* enum ockam_channel_state_reason */
	uint64_t state_age_ms;		/* listings: time in @state */
	uint64_t heard_age_ms;		/* listings: since the peer's last
					 * authenticated frame
					 */
	uint64_t route_moves;		/* listings: return routes adopted */
	struct ockam_stats stats;
	/* Listings only: the encoded route to the peer's decryptor, in
	 * memory ockam_channel_list_free() releases.
	 */
	uint8_t *route;
	size_t route_len;
};

/*
 * Install a channel (OCKAM_CMD_CHANNEL_ADD). The request holding the keys
 * is sized up front, so it is never reallocated, and wiped once sent; the
 * caller wipes its own copies of the keys. @out receives the encryptor
 * and decryptor addresses (@out->route stays NULL). The channel belongs
 * to @nl and closes when it does.
 */
int ockam_nl_channel_add(struct ockam_nl *nl,
			 const struct ockam_channel_params *params,
			 struct ockam_channel_info *out,
			 struct ockam_err *err);
/* Close the channel whose encryptor is @encryptor, telling the peer. */
int ockam_nl_channel_del(struct ockam_nl *nl, const char *encryptor,
			 struct ockam_err *err);
/*
 * Give the channel whose encryptor is @encryptor a new encoded route to
 * its peer's decryptor (OCKAM_CMD_CHANNEL_SET). Keys, counters and
 * addresses stay; the kernel asks the peer for an answer along the new
 * route at once.
 */
int ockam_nl_channel_set_route(struct ockam_nl *nl, const char *encryptor,
			       const void *route, size_t route_len,
			       struct ockam_err *err);
/*
 * New keys behind the channel whose encryptor is @encryptor, from a new
 * handshake with the same peer (OCKAM_CMD_CHANNEL_SET with keys): the
 * socket @params->fd ran it and becomes the decryptor; @params->role is
 * not used. Wiped like ockam_nl_channel_add()'s request.
 */
int ockam_nl_channel_rekey(struct ockam_nl *nl, const char *encryptor,
			   const struct ockam_channel_params *params,
			   struct ockam_err *err);
/* Every channel of the node (a dump, as the other lists). */
int ockam_nl_channel_list(struct ockam_nl *nl,
			  struct ockam_channel_info **list, size_t *count,
			  struct ockam_err *err);
/* Free a list from ockam_nl_channel_list(), routes included. */
void ockam_channel_list_free(struct ockam_channel_info *list, size_t count);

/*
 * Portal sessions (see PORTALS in <linux/ockam.h>). ockamd accepts or
 * makes the TCP connection and hands it over; the kernel moves the bytes.
 */
struct ockam_portal_params {
	int fd;				/* the connected TCP socket */
	uint32_t role;			/* enum ockam_portal_role */
	const void *route;		/* encoded: inlet, to the outlet
					 * service; outlet, the PING's return
					 * route
					 */
	size_t route_len;
	const char *identifier;		/* the peer's, or NULL with
					 * OCKAM_PORTAL_F_PLAINTEXT
					 */
	uint32_t flags;			/* OCKAM_PORTAL_F_* */
	uint32_t window;		/* bytes; 0: the kernel's default */
	uint32_t timeout_ms;		/* inlet's wait for PONG; 0: default */
	uint32_t peer_window;		/* outlet: the window the PING gave */
	uint64_t cookie;		/* returned in dumps and events */
};

struct ockam_portal_info {
	char address[OCKAM_NAME_MAX];	/* the session's local address */
	char identifier[OCKAM_IDENTIFIER_LEN + 1];	/* the peer's, or "" */
	uint32_t role;			/* enum ockam_portal_role */
	uint32_t flags;			/* OCKAM_PORTAL_F_* */
	uint32_t state;			/* enum ockam_portal_state */
	uint32_t window;		/* ours */
	uint32_t peer_window;
	uint32_t timeout_ms;
	uint32_t queued;		/* received, not yet written */
	uint64_t cookie;
	uint64_t tx_bytes;		/* stream bytes sent to the peer */
	uint64_t rx_bytes;		/* stream bytes written to our socket */
	struct ockam_wire_route route;	/* listings: to the peer session */
};

/*
 * Hand connected TCP socket @fd over as a portal session
 * (OCKAM_CMD_PORTAL_ATTACH). @out receives the session as the kernel
 * reports it, its local address first of all. The caller may close the
 * descriptor afterwards; the session belongs to @nl.
 */
int ockam_nl_portal_attach(struct ockam_nl *nl,
			   const struct ockam_portal_params *params,
			   struct ockam_portal_info *out,
			   struct ockam_err *err);
/* Reset the session at local address @address. */
int ockam_nl_portal_detach(struct ockam_nl *nl, const char *address,
			   struct ockam_err *err);
/* Every portal session of the node (a dump, as the other lists). */
int ockam_nl_portal_list(struct ockam_nl *nl,
			 struct ockam_portal_info **list, size_t *count,
			 struct ockam_err *err);

/* Events from the "events" multicast group. */
struct ockam_events;

struct ockam_event {
	uint8_t cmd;			/* OCKAM_CMD_DIAL_REQUEST, _TRANSPORT_DOWN,
					 * _CHANNEL_CLOSED, _CHANNEL_STATE or
					 * _PORTAL_CLOSED
					 */
	char address[OCKAM_NAME_MAX];	/* TRANSPORT_DOWN: the transport;
					 * CHANNEL_CLOSED, CHANNEL_STATE: the
					 * encryptor;
					 * PORTAL_CLOSED: the session
					 */
	char peer[OCKAM_NAME_MAX];	/* the peer "host:port" */
	uint32_t flags;			/* TRANSPORT_DOWN: its flags */
	uint32_t reason;		/* enum ockam_down_reason, or for
					 * CHANNEL_CLOSED enum
					 * ockam_channel_close_reason, for
					 * PORTAL_CLOSED enum
					 * ockam_portal_end_reason
					 */
	uint32_t errnum;		/* TRANSPORT_DOWN, PORTAL_CLOSED:
					 * errno, or 0
					 */
	char decryptor[OCKAM_NAME_MAX];	/* CHANNEL_CLOSED (when sent),
					 * CHANNEL_STATE
					 */
	char identifier[OCKAM_IDENTIFIER_LEN + 1];	/* CHANNEL_CLOSED: the
							 * peer's, when sent;
							 * PORTAL_CLOSED too
							 */
	/* PORTAL_CLOSED: the attacher's cookie, the session's role and
	 * the stream bytes it moved each way.
	 */
	uint64_t cookie;
	uint32_t role;			/* CHANNEL_STATE too: enum
					 * ockam_channel_role
					 */
	uint64_t tx_bytes;
	uint64_t rx_bytes;
	/* CHANNEL_STATE: enum ockam_channel_state and, in @reason, enum
	 * ockam_channel_state_reason.
	 */
	uint32_t state;
};

typedef void (*ockam_event_fn)(const struct ockam_event *ev, void *arg);

/* A non-blocking socket subscribed to the events of this netns's node. */
int ockam_events_open(struct ockam_events **ev, struct ockam_err *err);
void ockam_events_close(struct ockam_events *ev);

/* Descriptor to poll() for POLLIN. */
int ockam_events_fd(const struct ockam_events *ev);

/*
 * Call @fn for every event queued on the socket and return how many there
 * were. -ENOBUFS means the socket overflowed and events were lost: the
 * caller should re-read the state it cares about with a dump.
 */
int ockam_events_read(struct ockam_events *ev, ockam_event_fn fn, void *arg,
		      struct ockam_err *err);

/* Names for listings; "unknown" for values this library does not know. */
const char *ockam_kind_name(uint32_t kind);
const char *ockam_down_reason_name(uint32_t reason);
const char *ockam_close_reason_name(uint32_t reason);
const char *ockam_role_name(uint32_t role);
const char *ockam_stat_name(unsigned int stat);
const char *ockam_portal_role_name(uint32_t role);
const char *ockam_portal_state_name(uint32_t state);
const char *ockam_portal_end_reason_name(uint32_t reason);
const char *ockam_channel_state_name(uint32_t state);
const char *ockam_channel_state_reason_name(uint32_t reason);

/* -------------------------------------------------------- node registry */

/*
 * Node state lives in $OCKAM_HOME/nodes/NAME/ (OCKAM_HOME defaults to
 * $HOME/.ockam, or /var/lib/ockam when HOME is unset; a relative value is
 * taken from the current directory). Directories are mode 0700, files
 * 0600, and every file is replaced atomically.
 */
enum {
	OCKAM_PATH_MAX = 4096,
	OCKAM_NODE_NAME_MAX = 64,
	OCKAM_LISTENERS_MAX = 64,
};

/*
 * Registry file names inside a node's directory. The control socket is
 * among them because it is part of the directory's layout (its name is
 * the longest); what is spoken over it is not public.
 */
#define OCKAM_NODE_PID_FILE		"pid"
#define OCKAM_NODE_LOCK_FILE		"lock"
#define OCKAM_NODE_CONTROL_FILE		"control.sock"
#define OCKAM_NODE_LOG_FILE		"log"
#define OCKAM_NODE_LISTENERS_FILE	"listeners"
/*
 * The longest of those names: a node directory whose path leaves room for
 * it leaves room for every file opened by path. (Temporary files are
 * opened relative to the directory, so their names do not count.)
 */
#define OCKAM_NODE_LONGEST_FILE		OCKAM_NODE_CONTROL_FILE

/* Node names: 1..64 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
bool ockam_node_name_ok(const char *name);

/* "n1" and "/node/n1" both name node n1: the bare name, or NULL. */
const char *ockam_node_name_strip(const char *text);

/*
 * $OCKAM_HOME as an absolute path: a relative OCKAM_HOME (or HOME) is
 * joined to the current directory, so a daemon that changes directory
 * keeps using the same registry.
 */
int ockam_home(char *buf, size_t size);
int ockam_node_dir(const char *name, char *buf, size_t size);
int ockam_node_path(const char *name, const char *file, char *buf,
		    size_t size);

/*
 * mkdir -p with mode 0700 for each created level. Directories that exist
 * are taken as they are; ockam_node_dir_open() checks the ones that hold
 * node state.
 */
int ockam_mkdir_private(const char *path, struct ockam_err *err);

/*
 * Open node @name's directory, creating it (and the directories above it,
 * mode 0700) when @create. $OCKAM_HOME/nodes and the node's directory are
 * opened without following symbolic links and must belong to the caller's
 * effective user and not be writable by group or others (-EPERM, -ENOTDIR
 * otherwise): the daemon, often root, trusts what it finds there. Returns
 * an O_DIRECTORY descriptor (close-on-exec), or -errno: -ENOENT when the
 * node does not exist and !@create. @created, when not NULL, tells whether
 * this call made the node's directory.
 */
int ockam_node_dir_open(const char *name, bool create, bool *created,
			struct ockam_err *err);

/*
 * Take the node lock: an exclusive POSIX record lock (fcntl() F_SETLK) on
 * the lock file in node directory @dirfd, which is created if missing.
 * Returns the lock file's descriptor. The lock belongs to the process: it
 * lasts until the process exits or closes *any* descriptor of that file,
 * and a forked child does not inherit it. -EWOULDBLOCK when another
 * process holds it, with its pid in @holder (when not NULL; 0 if unknown);
 * -ESTALE when the node directory was removed meanwhile.
 */
int ockam_node_lock(int dirfd, pid_t *holder, struct ockam_err *err);

/*
 * Remove node @name's directory, open as @dirfd, and everything in it.
 * Call it holding the node's lock, so that no daemon is using it.
 */
int ockam_node_dir_remove(const char *name, int dirfd, struct ockam_err *err);

/* Write @len bytes to @dir/@file atomically (temp, fsync, rename), 0600. */
int ockam_write_file_atomic(const char *dir, const char *file,
			    const void *data, size_t len,
			    struct ockam_err *err);

/* The same in the directory open as @dirfd; no symbolic link is followed. */
int ockam_write_file_atomicat(int dirfd, const char *file, const void *data,
			      size_t len, struct ockam_err *err);

/* Read a whole small file, NUL-terminated; returns its length. */
ssize_t ockam_read_file(const char *path, char *buf, size_t size);

/*
 * Is node @name's daemon running? It holds the node lock (see
 * ockam_node_lock()) for as long as it runs; this asks the kernel who
 * holds it (fcntl() F_GETLK), which neither takes nor disturbs the lock.
 * Returns 1 with the holder's pid in @pid (when not NULL), 0 when nobody
 * holds it, -ESRCH when it is held but the holder's pid is unknown (a
 * process of another pid namespace), or -errno. A process that holds the
 * lock itself must not ask about that node: closing the descriptor this
 * opens would release its lock.
 */
int ockam_node_running(const char *name, pid_t *pid);

/*
 * Registered node names (malloc()ed array of malloc()ed strings, sorted):
 * the directories in $OCKAM_HOME/nodes, symbolic links left out.
 */
int ockam_node_names(char ***names, size_t *count);
void ockam_node_names_free(char **names, size_t count);

/* The node's TCP listeners ("host:port", as bound), in creation order. */
int ockam_node_listeners(const char *name,
			 char list[][OCKAM_HOSTPORT_MAX + 1], size_t max,
			 size_t *count);

/*
 * ockam_node_resolver_fn for "/node/NAME": the node's first TCP listener
 * as a TCP address. A wildcard listener (0.0.0.0 or ::) resolves to the
 * loopback address of its family.
 */
int ockam_registry_resolve_node(const char *name, struct ockam_route *rt,
				void *arg, struct ockam_err *err);

/* The running node whose daemon shares our network namespace, if any. */
int ockam_node_in_current_netns(char *name, size_t size, pid_t *pid);

/* ----------------------------------------------------------- netns */

/* Do process @pid and the caller share a network namespace? 1, 0, -errno. */
int ockam_netns_same(pid_t pid);

/* setns() into process @pid's network namespace. */
int ockam_netns_enter(pid_t pid, struct ockam_err *err);

#ifdef __cplusplus
}
#endif

#endif /* OCKAM_OCKAM_H */
