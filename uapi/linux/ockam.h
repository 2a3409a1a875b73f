/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * AF_OCKAM: Ockam application-layer routing and secure channels as a
 * Linux socket family.
 *
 * This header is the whole contract between the kernel module and
 * userspace: the socket address, socket options and control messages, the
 * limits every implementation enforces, and the "ockam" generic netlink
 * family. Documentation/socket-api.rst, Documentation/wire-protocol.rst and
 * Documentation/netlink/specs/ockam.yaml describe the same things in prose.
 *
 * ROUTES
 * ------
 * A route is a list of addresses. An address is a type byte and a value of
 * 0..OCKAM_ADDR_VALUE_MAX bytes. Wherever a route crosses this interface
 * (struct sockaddr_ockam, socket options, control messages, netlink) it uses
 * the wire encoding of Documentation/wire-protocol.rst:
 *
 *   route   = uleb128(count) address{count}
 *   address = u8 type, uleb128(length), value{length}
 *
 * with count <= OCKAM_ROUTE_HOPS_MAX. ULEB128 integers are minimal (no
 * redundant trailing 0x80 groups) and fit in 32 bits.
 *
 * Local addresses (type OCKAM_ADDR_LOCAL) name workers on one node: bound
 * sockets, transport connections and aliases. A local name is 1 to
 * OCKAM_ADDR_VALUE_MAX bytes of printable ASCII (0x21..0x7e) other than
 * '/' and '#'.
 */
#ifndef _UAPI_LINUX_OCKAM_H
#define _UAPI_LINUX_OCKAM_H

#include <linux/types.h>
#include <linux/socket.h>

/*
 * Linux has no spare address family number above AF_MAX (46 in 6.1), so
 * AF_OCKAM reuses slot 22, which no in-tree family has ever implemented.
 * The module parameter "family" can move it; userspace should read
 * /sys/module/ockam/parameters/family (or OCKAM_NODE_A_FAMILY from
 * OCKAM_CMD_NODE_GET) rather than trust this constant. socket() autoloads
 * the module only for the default number.
 */
#define AF_OCKAM_DEFAULT	22
#ifndef AF_OCKAM
#define AF_OCKAM		AF_OCKAM_DEFAULT
#endif
#ifndef PF_OCKAM
#define PF_OCKAM		AF_OCKAM
#endif

/* Level for setsockopt()/getsockopt() and control messages. */
#define SOL_OCKAM		299

enum ockam_addr_type {
	OCKAM_ADDR_LOCAL = 0,	/* a worker on this node */
	OCKAM_ADDR_TCP = 1,	/* "host:port" of a TCP peer node */
	OCKAM_ADDR_UDP = 2,	/* "host:port" of a UDP peer node */
};

enum ockam_limits {
	/* Bytes in one address value. */
	OCKAM_ADDR_VALUE_MAX = 255,
	/* Addresses in one route. */
	OCKAM_ROUTE_HOPS_MAX = 64,
	/* Length of an encoded route: count plus every address at its max. */
	OCKAM_ROUTE_BYTES_MAX = 5 + OCKAM_ROUTE_HOPS_MAX *
				(1 + 2 + OCKAM_ADDR_VALUE_MAX),
	/* Encoded route bytes that fit in struct sockaddr_ockam. */
	OCKAM_SOCKADDR_ROUTE_MAX = 120,
	/* Length of the random names given by autobind (16 bytes in hex). */
	OCKAM_RANDOM_NAME_LEN = 32,
};

/*
 * The bounds of the node settings (OCKAM_CMD_NODE_SET): what the kernel
 * refuses outside them. Their defaults are the module's to choose, and
 * OCKAM_CMD_NODE_GET's to tell.
 */
enum ockam_node_bounds {
	OCKAM_MAX_MESSAGE_MIN = 4096,
	OCKAM_MAX_MESSAGE_MAX = 16 << 20,
	OCKAM_DIAL_TIMEOUT_MS_MIN = 100,
	OCKAM_DIAL_TIMEOUT_MS_MAX = 60000,
	/* OCKAM_NODE_A_CHANNEL_KEEPALIVE, when not 0 (off). */
	OCKAM_CHANNEL_KEEPALIVE_MS_MIN = 100,
	OCKAM_CHANNEL_KEEPALIVE_MS_MAX = 3600000,
	OCKAM_CHANNEL_GIVE_UP_MS_MIN = 1000,
	OCKAM_CHANNEL_GIVE_UP_MS_MAX = 86400000,
	/* OCKAM_NODE_A_UDP_DATAGRAM: UDP payload bytes of one datagram,
	 * fragment header included; the most is IPv4's largest UDP payload.
	 */
	OCKAM_UDP_DATAGRAM_MIN = 256,
	OCKAM_UDP_DATAGRAM_MAX = 65507,
};

/*
 * struct sockaddr_ockam - a route in a socket address
 * @som_family:		AF_OCKAM
 * @som_flags:		OCKAM_SA_F_* (zero on input)
 * @som_reserved:	must be zero
 * @som_route_len:	bytes of @som_route in use
 * @som_reserved2:	must be zero
 * @som_route:		encoded route
 *
 * bind() takes a route of exactly one local address. connect() and
 * sendto() take the onward route. recvfrom() returns the message's return
 * route, and getsockname()/getpeername() the bound address and the default
 * route. A route longer than OCKAM_SOCKADDR_ROUTE_MAX bytes travels in the
 * OCKAM_SO_ROUTE option or an OCKAM_CMSG_* control message instead; an
 * address returned by the kernel that cannot hold its route has
 * OCKAM_SA_F_ROUTE_TRUNC set and @som_route_len zero.
 */
struct sockaddr_ockam {
	__kernel_sa_family_t	som_family;
	__u8			som_flags;
	__u8			som_reserved;
	__u16			som_route_len;
	__u16			som_reserved2;
	__u8			som_route[OCKAM_SOCKADDR_ROUTE_MAX];
};

enum ockam_sockaddr_flags {
	OCKAM_SA_F_ROUTE_TRUNC = 1 << 0,
};

/* Socket options at SOL_OCKAM. */
enum ockam_sockopt {
	/* Encoded route: the default onward route, of any allowed length.
	 * An empty option value clears it, like connect(AF_UNSPEC).
	 */
	OCKAM_SO_ROUTE = 1,
	/* int: attach OCKAM_CMSG_RETURN_ROUTE to every received message. */
	OCKAM_SO_RECVROUTE = 2,
	/* int: attach OCKAM_CMSG_ONWARD_ROUTE to every received message. */
	OCKAM_SO_RECVONWARD = 3,
	/* int: attach OCKAM_CMSG_IDENTITY to every message that arrived
	 * through a secure channel.
	 */
	OCKAM_SO_RECVIDENTITY = 4,
};

/* Control message types at SOL_OCKAM. */
enum ockam_cmsg_type {
	/* sendmsg(): encoded onward route; overrides msg_name. */
	OCKAM_CMSG_ROUTE = 1,
	/* recvmsg(): the full encoded return route. */
	OCKAM_CMSG_RETURN_ROUTE = 2,
	/* recvmsg(): the onward route left after this socket's address. */
	OCKAM_CMSG_ONWARD_ROUTE = 3,
	/* recvmsg(): the identifier of the peer at the other end of the
	 * (innermost) secure channel the message came through:
	 * OCKAM_IDENTIFIER_LEN bytes of ASCII, "I" and 64 lowercase hex
	 * digits, not NUL-terminated. Absent for messages that did not come
	 * through a channel.
	 */
	OCKAM_CMSG_IDENTITY = 4,
};

/*
 * SECURE CHANNELS
 * ---------------
 * ockamd runs the Noise_XX_25519_ChaChaPoly_SHA256 handshake and hands the
 * two transport keys to the node (OCKAM_CMD_CHANNEL_ADD). From then on the
 * kernel owns two local addresses per channel:
 *
 *  - the encryptor (OCKAM_CHANNEL_A_ADDRESS): a message whose onward route
 *    starts with it is encrypted and sent along the channel's route
 *    (OCKAM_CHANNEL_A_ROUTE) to the peer's decryptor;
 *  - the decryptor (OCKAM_CHANNEL_A_DECRYPTOR): decrypts, checks the
 *    counter, and routes the inner message on with the local encryptor
 *    pushed on its return route, so replies go back through the channel.
 *
 * Documentation/wire-protocol.rst describes the data frames, the ratchet
 * and the receive window: they are the wire protocol's (kmod/wire.h), not
 * this interface's.
 */
enum ockam_channel_limits {
	OCKAM_KEY_LEN = 32,
	/* "I" and the hex of a 32-byte SHA-256. */
	OCKAM_IDENTIFIER_LEN = 65,
};

enum ockam_channel_role {
	OCKAM_ROLE_INITIATOR = 1,
	OCKAM_ROLE_RESPONDER = 2,
};

/* Why a channel went away (OCKAM_CHANNEL_A_REASON of
 * OCKAM_CMD_CHANNEL_CLOSED).
 */
enum ockam_channel_close_reason {
	OCKAM_CLOSE_UNSPEC,
	OCKAM_CLOSE_DELETED,		/* OCKAM_CMD_CHANNEL_DEL */
	OCKAM_CLOSE_PEER,		/* the peer sent a close message */
	OCKAM_CLOSE_OWNER_GONE,		/* the adding netlink socket closed */
	OCKAM_CLOSE_NODE_EXIT,		/* the network namespace went away */
	__OCKAM_CLOSE_MAX
};

/*
 * A channel outlives the transports under it. It is UP while the peer is
 * heard from; RECOVERING once the transport its route starts with went
 * down, or the peer was silent for three keepalive intervals (until a new
 * route, OCKAM_CMD_CHANNEL_SET, or the peer's next authenticated frame
 * brings it back); DOWN when it stayed RECOVERING for the node's give-up
 * time: it then refuses to send (ENETDOWN) until the peer is heard from or
 * it gets a new route. Each change is an OCKAM_CMD_CHANNEL_STATE event.
 */
enum ockam_channel_state {
	OCKAM_CHANNEL_STATE_UNSPEC,
	OCKAM_CHANNEL_UP,
	OCKAM_CHANNEL_RECOVERING,
	OCKAM_CHANNEL_DOWN,
	__OCKAM_CHANNEL_STATE_MAX
};

/* Why a channel is in its state (OCKAM_CHANNEL_A_STATE_REASON). */
enum ockam_channel_state_reason {
	OCKAM_STATE_R_UNSPEC,
	OCKAM_STATE_R_INSTALLED,	/* OCKAM_CMD_CHANNEL_ADD */
	OCKAM_STATE_R_HEARD,		/* an authenticated frame arrived */
	OCKAM_STATE_R_ROUTE_DOWN,	/* the transport the route starts with
					 * went down
					 */
	OCKAM_STATE_R_PEER_SILENT,	/* nothing from the peer for three
					 * keepalive intervals
					 */
	OCKAM_STATE_R_ROUTE_SET,	/* OCKAM_CMD_CHANNEL_SET gave a route */
	OCKAM_STATE_R_GAVE_UP,		/* recovering for the give-up time */
	OCKAM_STATE_R_REKEYED,		/* a new handshake's keys, behind the
					 * same encryptor
					 */
	__OCKAM_STATE_R_MAX
};

/*
 * Generic netlink family "ockam". One instance per network namespace
 * (node). Every command that changes state needs CAP_NET_ADMIN in the user
 * namespace that owns the node's network namespace, as do the events group
 * and the dumps that name peers, routes or addresses.
 *
 * Each object has an attribute set of its own, nested in one top-level
 * attribute (OCKAM_A_NODE, OCKAM_A_TRANSPORT, ...), as WireGuard nests
 * WGPEER_A_* in WGDEVICE_A_PEERS: a request or reply names the object it
 * is about, and each set's numbers mean one thing only.
 * Documentation/netlink/specs/ockam.yaml is the contract.
 */
#define OCKAM_GENL_NAME		"ockam"
#define OCKAM_GENL_VERSION	2
#define OCKAM_GENL_MCGRP_EVENTS	"events"

enum ockam_cmd {
	OCKAM_CMD_UNSPEC,
	/* Node settings and counters (do): OCKAM_A_NODE. */
	OCKAM_CMD_NODE_GET,
	/* Change node settings (do, admin): OCKAM_A_NODE. */
	OCKAM_CMD_NODE_SET,
	/* Hand a connected TCP socket to the node (do, admin):
	 * OCKAM_A_TRANSPORT with its fd; replies with the transport.
	 */
	OCKAM_CMD_TRANSPORT_ATTACH,
	/* Close a transport by local address (do, admin). */
	OCKAM_CMD_TRANSPORT_DETACH,
	/* Transports and their counters (dump, admin). */
	OCKAM_CMD_TRANSPORT_GET,
	/* Make a local address whose messages continue along a route (do,
	 * admin): OCKAM_A_ALIAS.
	 */
	OCKAM_CMD_ALIAS_ADD,
	/* Remove an alias (do, admin). */
	OCKAM_CMD_ALIAS_DEL,
	/* Aliases (dump, admin). */
	OCKAM_CMD_ALIAS_GET,
	/* Every local address on the node (dump, admin): OCKAM_A_ENDPOINT. */
	OCKAM_CMD_ADDRESS_GET,
	/* The daemon could not reach a peer it was asked to dial (do, admin):
	 * OCKAM_A_DIAL; messages waiting for it fail now instead of at the
	 * dial timeout.
	 */
	OCKAM_CMD_DIAL_FAILED,
	/* Event: a message needs a connection to OCKAM_DIAL_A_PEER. */
	OCKAM_CMD_DIAL_REQUEST,
	/* Event: a transport went away. */
	OCKAM_CMD_TRANSPORT_DOWN,
	/* Install a secure channel's keys (do, admin): OCKAM_A_CHANNEL with
	 * OCKAM_CHANNEL_A_FD, a bound AF_OCKAM socket of this node (the one
	 * the handshake ran on): its address becomes the decryptor, and
	 * messages waiting in it pass to the decryptor, so nothing the peer
	 * sends right after the handshake is lost; the socket is left
	 * unbound. Also the two keys, the route to the peer's decryptor, the
	 * peer's identifier and the role. Key attributes are wiped once read.
	 * Replies with the channel. The channel belongs to the netlink socket
	 * that added it and closes when that socket does. See SECURE
	 * CHANNELS above.
	 */
	OCKAM_CMD_CHANNEL_ADD,
	/* Close a channel by encryptor address, telling the peer (do,
	 * admin).
	 */
	OCKAM_CMD_CHANNEL_DEL,
	/* Channels and their counters (dump, admin). */
	OCKAM_CMD_CHANNEL_GET,
	/* Event: a channel went away. */
	OCKAM_CMD_CHANNEL_CLOSED,
	/* Reserve a name (do, admin): OCKAM_A_RESERVED. From then on only a
	 * process with CAP_NET_ADMIN in the node's user namespace may bind()
	 * it (EACCES for others). A node starts with Ockam's service names
	 * reserved: api, echo, uppercase, forwarding_service,
	 * static_forwarding_service, outlet, rendezvous. EEXIST if already
	 * reserved; at most 256 names.
	 */
	OCKAM_CMD_RESERVED_ADD,
	/* Release a reserved name (do, admin). */
	OCKAM_CMD_RESERVED_DEL,
	/* The reserved names (dump). */
	OCKAM_CMD_RESERVED_GET,
	/* Hand a connected TCP socket to the node as one end of a portal
	 * session (do, admin): OCKAM_A_PORTAL with OCKAM_PORTAL_A_FD, the
	 * role, the route and (unless OCKAM_PORTAL_F_PLAINTEXT) the peer's
	 * identifier. Replies with the session. See PORTALS below.
	 */
	OCKAM_CMD_PORTAL_ATTACH,
	/* Reset a session by local address (do, admin). */
	OCKAM_CMD_PORTAL_DETACH,
	/* Sessions and their counters (dump, admin). */
	OCKAM_CMD_PORTAL_GET,
	/* Event: a session ended (OCKAM_PORTAL_A_REASON). */
	OCKAM_CMD_PORTAL_CLOSED,
	/* Give a channel a new route to its peer's decryptor (do, admin):
	 * OCKAM_A_CHANNEL with OCKAM_CHANNEL_A_ADDRESS (the encryptor) and
	 * OCKAM_CHANNEL_A_ROUTE. Keys, counters and addresses stay; the
	 * channel sends a keepalive along the new route at once, asking the
	 * peer to answer, and a DOWN channel is RECOVERING again.
	 * With OCKAM_CHANNEL_A_FD, both keys and OCKAM_CHANNEL_A_IDENTIFIER
	 * too, it installs a new handshake's keys behind the same encryptor
	 * (the peer lost the channel): the identifier must be the channel's
	 * peer's (EPERM otherwise: another identity is another channel), the
	 * socket's address becomes the decryptor as in OCKAM_CMD_CHANNEL_ADD
	 * (the old one goes), both counters start over at 0 with the new
	 * keys, and the channel is UP (OCKAM_STATE_R_REKEYED).
	 */
	OCKAM_CMD_CHANNEL_SET,
	/* Event: a channel changed state (OCKAM_CHANNEL_A_STATE and
	 * OCKAM_CHANNEL_A_STATE_REASON, with its addresses and role).
	 */
	OCKAM_CMD_CHANNEL_STATE,
	/* Hand a bound UDP socket to the node (do, admin): OCKAM_A_UDP with
	 * OCKAM_UDP_A_FD. From then on the kernel receives every datagram
	 * sent to it and sends the node's messages to UDP addresses from
	 * it. An IPv6 socket must be IPV6_V6ONLY. Replies with the bind.
	 * See UDP below.
	 */
	OCKAM_CMD_UDP_ATTACH,
	/* Close a UDP bind by local address (do, admin). */
	OCKAM_CMD_UDP_DETACH,
	/* UDP binds and their counters (dump, admin). */
	OCKAM_CMD_UDP_GET,
	__OCKAM_CMD_MAX
};

#define OCKAM_CMD_MAX (__OCKAM_CMD_MAX - 1)

/* Top level: one nest per object. */
enum ockam_attr {
	OCKAM_A_UNSPEC,
	OCKAM_A_NODE,		/* nest: enum ockam_node_attr */
	OCKAM_A_TRANSPORT,	/* nest: enum ockam_transport_attr */
	OCKAM_A_ALIAS,		/* nest: enum ockam_alias_attr */
	OCKAM_A_ENDPOINT,	/* nest: enum ockam_endpoint_attr */
	OCKAM_A_DIAL,		/* nest: enum ockam_dial_attr */
	OCKAM_A_CHANNEL,	/* nest: enum ockam_channel_attr */
	OCKAM_A_RESERVED,	/* nest: enum ockam_reserved_attr */
	OCKAM_A_PORTAL,		/* nest: enum ockam_portal_attr */
	OCKAM_A_UDP,		/* nest: enum ockam_udp_attr */
	__OCKAM_A_MAX
};

#define OCKAM_A_MAX (__OCKAM_A_MAX - 1)

enum ockam_node_attr {
	OCKAM_NODE_A_UNSPEC,
	OCKAM_NODE_A_FAMILY,		/* u32: address family number in use */
	OCKAM_NODE_A_MAX_MESSAGE,	/* u32: largest encoded message, bytes */
	OCKAM_NODE_A_HOP_LIMIT,		/* u32: transport hops a message may
					 * take
					 */
	OCKAM_NODE_A_DIAL_TIMEOUT,	/* u32: ms a message waits for a dial */
	OCKAM_NODE_A_DIAL_FORWARDED,	/* u32 0/1: may forwarded messages
					 * dial?
					 */
	OCKAM_NODE_A_ADDRESS_COUNT,	/* u32: local addresses on the node */
	OCKAM_NODE_A_STATS,		/* nest: enum ockam_stat */
	OCKAM_NODE_A_CHANNEL_KEEPALIVE,	/* u32: ms of silence after which a
					 * channel sends a keepalive; 0: off
					 */
	OCKAM_NODE_A_CHANNEL_GIVE_UP,	/* u32: ms a channel stays
					 * RECOVERING before it is DOWN
					 */
	OCKAM_NODE_A_UDP_DATAGRAM,	/* u32: UDP payload bytes per
					 * datagram the node sends
					 */
	__OCKAM_NODE_A_MAX
};

#define OCKAM_NODE_A_MAX (__OCKAM_NODE_A_MAX - 1)

enum ockam_transport_attr {
	OCKAM_TRANSPORT_A_UNSPEC,
	OCKAM_TRANSPORT_A_FD,		/* u32: file descriptor to attach */
	OCKAM_TRANSPORT_A_ADDRESS,	/* string: the transport's local
					 * address
					 */
	OCKAM_TRANSPORT_A_PEER,		/* string: "host:port" it reaches */
	OCKAM_TRANSPORT_A_LOCAL,	/* string: "host:port" of our end */
	OCKAM_TRANSPORT_A_FLAGS,	/* u32: OCKAM_TRANSPORT_F_* */
	OCKAM_TRANSPORT_A_REASON,	/* u32: enum ockam_down_reason */
	OCKAM_TRANSPORT_A_ERRNO,	/* u32: positive errno value */
	OCKAM_TRANSPORT_A_STATS,	/* nest: enum ockam_stat */
	__OCKAM_TRANSPORT_A_MAX
};

#define OCKAM_TRANSPORT_A_MAX (__OCKAM_TRANSPORT_A_MAX - 1)

enum ockam_alias_attr {
	OCKAM_ALIAS_A_UNSPEC,
	OCKAM_ALIAS_A_ADDRESS,		/* string: the alias's local address */
	OCKAM_ALIAS_A_ROUTE,		/* binary: encoded route it continues
					 * along
					 */
	__OCKAM_ALIAS_A_MAX
};

#define OCKAM_ALIAS_A_MAX (__OCKAM_ALIAS_A_MAX - 1)

enum ockam_endpoint_attr {
	OCKAM_ENDPOINT_A_UNSPEC,
	OCKAM_ENDPOINT_A_ADDRESS,	/* string: a local address */
	OCKAM_ENDPOINT_A_KIND,		/* u32: enum ockam_endpoint_kind */
	__OCKAM_ENDPOINT_A_MAX
};

#define OCKAM_ENDPOINT_A_MAX (__OCKAM_ENDPOINT_A_MAX - 1)

enum ockam_dial_attr {
	OCKAM_DIAL_A_UNSPEC,
	OCKAM_DIAL_A_PEER,		/* string: "host:port" to dial */
	OCKAM_DIAL_A_ERRNO,		/* u32: why the dial failed, positive */
	__OCKAM_DIAL_A_MAX
};

#define OCKAM_DIAL_A_MAX (__OCKAM_DIAL_A_MAX - 1)

enum ockam_channel_attr {
	OCKAM_CHANNEL_A_UNSPEC,
	OCKAM_CHANNEL_A_PAD,
	OCKAM_CHANNEL_A_FD,		/* u32: the handshake's bound socket */
	OCKAM_CHANNEL_A_ADDRESS,	/* string: the encryptor's address */
	OCKAM_CHANNEL_A_DECRYPTOR,	/* string: the decryptor's address */
	OCKAM_CHANNEL_A_TX_KEY,		/* binary, OCKAM_KEY_LEN: key we send
					 * with
					 */
	OCKAM_CHANNEL_A_RX_KEY,		/* binary, OCKAM_KEY_LEN: key we
					 * receive with
					 */
	OCKAM_CHANNEL_A_ROUTE,		/* binary: encoded route to the peer's
					 * decryptor
					 */
	OCKAM_CHANNEL_A_IDENTIFIER,	/* string: the peer's identifier */
	OCKAM_CHANNEL_A_ROLE,		/* u32: enum ockam_channel_role */
	OCKAM_CHANNEL_A_TX_COUNTER,	/* u64: next counter to send */
	OCKAM_CHANNEL_A_RX_COUNTER,	/* u64: highest counter accepted */
	OCKAM_CHANNEL_A_TX_REKEYS,	/* u64: REKEYs of the sending key */
	OCKAM_CHANNEL_A_RX_REKEYS,	/* u64: REKEYs of the receiving key */
	OCKAM_CHANNEL_A_REASON,		/* u32: enum
					 * ockam_channel_close_reason
					 */
	OCKAM_CHANNEL_A_STATS,		/* nest: enum ockam_stat */
	OCKAM_CHANNEL_A_STATE,		/* u32: enum ockam_channel_state */
	OCKAM_CHANNEL_A_STATE_REASON,	/* u32: enum
					 * ockam_channel_state_reason
					 */
	OCKAM_CHANNEL_A_STATE_AGE,	/* u64: ms since the state began */
	OCKAM_CHANNEL_A_HEARD_AGE,	/* u64: ms since the peer's last
					 * authenticated frame
					 */
	OCKAM_CHANNEL_A_ROUTE_MOVES,	/* u64: new return routes adopted
					 * (responder)
					 */
	__OCKAM_CHANNEL_A_MAX
};

#define OCKAM_CHANNEL_A_MAX (__OCKAM_CHANNEL_A_MAX - 1)

enum ockam_reserved_attr {
	OCKAM_RESERVED_A_UNSPEC,
	OCKAM_RESERVED_A_ADDRESS,	/* string: a reserved local name */
	__OCKAM_RESERVED_A_MAX
};

#define OCKAM_RESERVED_A_MAX (__OCKAM_RESERVED_A_MAX - 1)

/*
 * PORTALS
 * -------
 * A portal carries TCP connections between two nodes: an inlet accepts
 * them on one node, an outlet connects to a target on another. Each
 * connection is a session with a local address at either end. ockamd
 * accepts (inlet) or makes (outlet) the TCP connection and hands it over
 * with OCKAM_CMD_PORTAL_ATTACH; from then on the kernel moves the bytes:
 * it reads the stream, cuts it into sequence-numbered portal messages,
 * routes them to the peer session (through a secure channel's encryptor
 * when the route starts with one) and writes what the peer sends into the
 * socket. Documentation/wire-protocol.rst has the portal messages.
 *
 *  - An inlet session (OCKAM_PORTAL_INLET) sends PING along
 *    OCKAM_PORTAL_A_ROUTE (the route to the outlet's service address)
 *    and waits OCKAM_PORTAL_A_TIMEOUT ms for the PONG; the PONG's return
 *    route becomes the route to the peer session.
 *  - An outlet session (OCKAM_PORTAL_OUTLET) is attached once ockamd has
 *    accepted a PING and connected to the target: OCKAM_PORTAL_A_ROUTE
 *    is the PING's return route, and the kernel answers it with PONG.
 *
 * A session accepts messages only from its peer: they must arrive
 * through a secure channel whose peer is OCKAM_PORTAL_A_IDENTIFIER and
 * along the peer session's route, or with OCKAM_PORTAL_F_PLAINTEXT along
 * that route only. Anything else, a sequence gap, or a peer that sends
 * past the window it was given resets both TCP connections. The socket
 * belongs to the netlink socket that attached it, as a transport does.
 */
enum ockam_portal_role {
	OCKAM_PORTAL_INLET = 1,
	OCKAM_PORTAL_OUTLET = 2,
};

enum ockam_portal_flags {
	/* Accept messages that did not come through a secure channel. */
	OCKAM_PORTAL_F_PLAINTEXT = 1 << 0,
	__OCKAM_PORTAL_F_ALL = (1 << 1) - 1,
};

enum ockam_portal_limits {
	/* Bytes the peer may send ahead of what we wrote to our socket. */
	OCKAM_PORTAL_WINDOW_MIN = 16 << 10,
	OCKAM_PORTAL_WINDOW_DEFAULT = 256 << 10,
	OCKAM_PORTAL_WINDOW_MAX = 4 << 20,
	/* How long an inlet session waits for its PONG. */
	OCKAM_PORTAL_TIMEOUT_MS_MIN = 100,
	OCKAM_PORTAL_TIMEOUT_MS_DEFAULT = 10000,
	OCKAM_PORTAL_TIMEOUT_MS_MAX = 600000,
};

enum ockam_portal_state {
	OCKAM_PORTAL_CONNECTING = 1,	/* inlet: PING sent, no PONG yet */
	OCKAM_PORTAL_OPEN,		/* bytes flow both ways */
	OCKAM_PORTAL_CLOSING,		/* ended; being torn down */
};

/* Why a session ended (OCKAM_PORTAL_A_REASON of OCKAM_CMD_PORTAL_CLOSED). */
enum ockam_portal_end_reason {
	OCKAM_PORTAL_END_UNSPEC,
	OCKAM_PORTAL_END_CLOSED,	/* both directions ended normally */
	OCKAM_PORTAL_END_DETACHED,	/* OCKAM_CMD_PORTAL_DETACH */
	OCKAM_PORTAL_END_RESET,		/* our TCP peer reset, or a socket
					 * error (OCKAM_PORTAL_A_ERRNO)
					 */
	OCKAM_PORTAL_END_PEER_RESET,	/* the peer session sent DISCONNECT */
	OCKAM_PORTAL_END_REFUSED,	/* the outlet refused the PING */
	OCKAM_PORTAL_END_TIMEOUT,	/* no PONG in time */
	OCKAM_PORTAL_END_GAP,		/* a sequence number skipped or
					 * repeated
					 */
	OCKAM_PORTAL_END_IMPOSTOR,	/* a message not from the peer */
	OCKAM_PORTAL_END_OVERRUN,	/* the peer sent past its window */
	OCKAM_PORTAL_END_BAD_MESSAGE,	/* a portal message that does not
					 * parse
					 */
	OCKAM_PORTAL_END_UNREACHABLE,	/* a message to the peer could not be
					 * sent (OCKAM_PORTAL_A_ERRNO)
					 */
	OCKAM_PORTAL_END_OWNER_GONE,	/* the attaching netlink socket closed */
	OCKAM_PORTAL_END_NODE_EXIT,	/* the network namespace went away */
	__OCKAM_PORTAL_END_MAX
};

enum ockam_portal_attr {
	OCKAM_PORTAL_A_UNSPEC,
	OCKAM_PORTAL_A_PAD,
	OCKAM_PORTAL_A_FD,		/* u32: the connected TCP socket */
	OCKAM_PORTAL_A_ADDRESS,		/* string: the session's local address;
					 * random (autobind's form) if absent
					 */
	OCKAM_PORTAL_A_ROLE,		/* u32: enum ockam_portal_role */
	OCKAM_PORTAL_A_ROUTE,		/* binary: encoded route; see above. In
					 * dumps: the route to the peer session
					 */
	OCKAM_PORTAL_A_IDENTIFIER,	/* string: the peer's identifier */
	OCKAM_PORTAL_A_FLAGS,		/* u32: OCKAM_PORTAL_F_* */
	OCKAM_PORTAL_A_WINDOW,		/* u32: our window, bytes */
	OCKAM_PORTAL_A_TIMEOUT,		/* u32: ms an inlet waits for PONG */
	OCKAM_PORTAL_A_COOKIE,		/* u64: the attacher's, returned in
					 * dumps and events
					 */
	OCKAM_PORTAL_A_STATE,		/* u32: enum ockam_portal_state */
	OCKAM_PORTAL_A_PEER_WINDOW,	/* u32: the peer's window, bytes */
	OCKAM_PORTAL_A_REASON,		/* u32: enum ockam_portal_end_reason */
	OCKAM_PORTAL_A_ERRNO,		/* u32: positive errno value */
	OCKAM_PORTAL_A_TX_BYTES,	/* u64: stream bytes sent to the peer */
	OCKAM_PORTAL_A_RX_BYTES,	/* u64: stream bytes written to our
					 * socket
					 */
	OCKAM_PORTAL_A_QUEUED,		/* u32: bytes received, not yet written */
	__OCKAM_PORTAL_A_MAX
};

#define OCKAM_PORTAL_A_MAX (__OCKAM_PORTAL_A_MAX - 1)

/*
 * UDP
 * ---
 * A UDP bind is a bound UDP socket that userspace hands over
 * (OCKAM_CMD_UDP_ATTACH). A message whose next hop is a UDP address
 * (OCKAM_ADDR_UDP, a numeric "host:port") leaves from the bind that last
 * heard from that address, or else from the node's first bind of the
 * address's family, in datagrams of at most OCKAM_NODE_A_UDP_DATAGRAM
 * bytes; a message that arrives has the sender's UDP address pushed on its
 * return route. A message from another node goes on to a UDP address that
 * no bind has heard from only under OCKAM_NODE_A_DIAL_FORWARDED, as a
 * forwarded TCP dial. Documentation/wire-protocol.rst describes the
 * datagrams and their reassembly.
 */
enum ockam_udp_attr {
	OCKAM_UDP_A_UNSPEC,
	OCKAM_UDP_A_FD,			/* u32: file descriptor to attach */
	OCKAM_UDP_A_ADDRESS,		/* string: the bind's local address */
	OCKAM_UDP_A_LOCAL,		/* string: "host:port" it is bound to */
	OCKAM_UDP_A_PEERS,		/* u32: UDP addresses it has heard from
					 * lately
					 */
	OCKAM_UDP_A_REASM_BYTES,	/* u32: memory held by unfinished
					 * messages
					 */
	OCKAM_UDP_A_STATS,		/* nest: enum ockam_stat */
	__OCKAM_UDP_A_MAX
};

#define OCKAM_UDP_A_MAX (__OCKAM_UDP_A_MAX - 1)

enum ockam_endpoint_kind {
	OCKAM_KIND_UNSPEC,
	OCKAM_KIND_SOCKET,	/* a bound AF_OCKAM socket */
	OCKAM_KIND_TCP,		/* a TCP transport connection */
	OCKAM_KIND_ALIAS,	/* a named route */
	OCKAM_KIND_ENCRYPTOR,	/* a secure channel's plaintext entrance */
	OCKAM_KIND_DECRYPTOR,	/* a secure channel's ciphertext entrance */
	OCKAM_KIND_PORTAL,	/* one end of a portal session */
	OCKAM_KIND_UDP,		/* a UDP bind */
	__OCKAM_KIND_MAX
};

/*
 * A transport belongs to the netlink socket that attached it and closes
 * when that socket does: the kernel holds the TCP socket, which holds the
 * network namespace, so nothing else could end a transport whose daemon
 * died.
 */
enum ockam_transport_flags {
	/* We dialed this connection (informational, for listings). */
	OCKAM_TRANSPORT_F_OUTGOING = 1 << 0,
	__OCKAM_TRANSPORT_F_ALL = (1 << 1) - 1,
};

enum ockam_down_reason {
	OCKAM_DOWN_UNSPEC,
	OCKAM_DOWN_DETACHED,	/* OCKAM_CMD_TRANSPORT_DETACH */
	OCKAM_DOWN_CLOSED,	/* the peer closed the connection */
	OCKAM_DOWN_ERROR,	/* socket error, see OCKAM_TRANSPORT_A_ERRNO */
	OCKAM_DOWN_BAD_VERSION,	/* the peer's version byte was wrong */
	OCKAM_DOWN_BAD_FRAME,	/* a frame that does not parse */
	OCKAM_DOWN_TOO_BIG,	/* a frame over the node's max message */
	OCKAM_DOWN_OWNER_GONE,	/* the attaching netlink socket closed */
	OCKAM_DOWN_NODE_EXIT,	/* the network namespace went away */
	__OCKAM_DOWN_MAX
};

/* Counters, u64 each, nested in OCKAM_*_A_STATS. Node counters cover every
 * message; transport and channel counters cover that one only.
 */
enum ockam_stat {
	OCKAM_STAT_UNSPEC,
	OCKAM_STAT_PAD,
	OCKAM_STAT_RX_MESSAGES,		/* messages received from the network */
	OCKAM_STAT_RX_BYTES,
	OCKAM_STAT_TX_MESSAGES,		/* messages sent to the network */
	OCKAM_STAT_TX_BYTES,
	OCKAM_STAT_DELIVERED,		/* messages queued to a local socket */
	OCKAM_STAT_FORWARDED,		/* network messages sent on again */
	OCKAM_STAT_HEARTBEATS,		/* empty onward route, dropped */
	OCKAM_STAT_DROP_BAD_FRAME,	/* did not parse */
	OCKAM_STAT_DROP_UNKNOWN_ADDRESS,/* no such local address */
	OCKAM_STAT_DROP_HOP_LIMIT,	/* too many hops, or an alias loop */
	OCKAM_STAT_DROP_BUFFER_FULL,	/* receiver or transport queue full */
	OCKAM_STAT_DROP_TOO_BIG,	/* over the node's max message */
	OCKAM_STAT_DROP_UNREACHABLE,	/* no transport and no dial */
	OCKAM_STAT_DROP_TRANSPORT_DOWN,	/* queued on a transport that closed */
	OCKAM_STAT_DIALS,		/* dial requests sent to the daemon */
	OCKAM_STAT_ENCRYPTED,		/* messages sent into a channel */
	OCKAM_STAT_ENCRYPTED_BYTES,	/* their plaintext bytes */
	OCKAM_STAT_DECRYPTED,		/* messages a channel accepted */
	OCKAM_STAT_DECRYPTED_BYTES,	/* their plaintext bytes */
	OCKAM_STAT_DROP_AUTH,		/* tag did not verify */
	OCKAM_STAT_DROP_REPLAY,		/* counter seen before or outside
					 * the window
					 */
	OCKAM_STAT_DROP_KEY_EXPIRED,	/* counter limit reached */
	OCKAM_STAT_PORTAL_SESSIONS,	/* portal sessions attached */
	OCKAM_STAT_PORTAL_RESETS,	/* sessions that ended in a reset */
	OCKAM_STAT_PORTAL_GAPS,		/* ... for a sequence gap */
	OCKAM_STAT_PORTAL_IMPOSTORS,	/* ... for a message not from the peer */
	OCKAM_STAT_PORTAL_OVERRUNS,	/* ... for a peer past its window */
	OCKAM_STAT_KEEPALIVES,		/* keepalives channels sent */
	OCKAM_STAT_DROP_CHANNEL_DOWN,	/* sent into a DOWN channel */
	OCKAM_STAT_UDP_REASSEMBLED,	/* messages put together from several
					 * datagrams
					 */
	OCKAM_STAT_UDP_DUPLICATES,	/* fragments received twice, ignored */
	OCKAM_STAT_DROP_INCOMPLETE,	/* unfinished messages given up for
					 * newer ones, or by a closing bind
					 */
	OCKAM_STAT_DROP_OVERLAP,	/* a fragment overlapped another, or
					 * disagreed on the message's length
					 */
	OCKAM_STAT_DROP_REASM_TIMEOUT,	/* unfinished when the reassembly
					 * time ran out
					 */
	OCKAM_STAT_DROP_REASM_MEMORY,	/* over the peer's or the node's
					 * reassembly memory
					 */
	OCKAM_STAT_PORTAL_AHEAD,	/* portal messages that came ahead
					 * of their turn, and waited
					 */
	OCKAM_STAT_RX_DEFERRED,		/* TCP receive runs that reached
					 * their budget and left the rest
					 * to a work item
					 */
	OCKAM_STAT_UDP_BATCHES,		/* batches of datagrams that held
					 * one message's fragments, taken
					 * whole
					 */
	__OCKAM_STAT_MAX
};

#define OCKAM_STAT_MAX (__OCKAM_STAT_MAX - 1)

#endif /* _UAPI_LINUX_OCKAM_H */
