/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The wire protocol's constants (Documentation/wire-protocol.rst): what
 * two nodes agree on, as opposed to what a program and the kernel agree
 * on, which is uapi/linux/ockam.h's. Portable like codec.h, which
 * includes this file: userspace's codec, fuzzers and tests use the same
 * numbers.
 *
 * A secure channel's data frame is the payload of a routed message to
 * the peer's decryptor:
 *
 *   frame     = u64be counter, ciphertext, tag[OCKAM_TAG_LEN]
 *   plaintext = u8 type (enum ockam_channel_msg_type), body
 *
 * The AEAD is ChaCha20-Poly1305 (RFC 8439) with an empty associated data
 * and the 96-bit nonce 00000000 || u64le(counter), as Noise's ChaChaPoly.
 * A channel direction starts at counter 0 with the key from the Noise
 * split; the message with counter c uses key k[c / OCKAM_REKEY_INTERVAL],
 * where k[e + 1] = REKEY(k[e]), Noise's REKEY: the first 32 bytes of
 * ChaCha20-Poly1305-Encrypt(k[e], nonce 2^64 - 1, no AD, 32 zero bytes).
 * Counters at or above OCKAM_COUNTER_LIMIT are never used: a channel that
 * reaches it refuses to send (EKEYEXPIRED) and needs a new handshake. A
 * receiver accepts each counter once, and only within OCKAM_REPLAY_WINDOW
 * of the highest it has accepted, either way.
 */
#ifndef _OCKAM_WIRE_H
#define _OCKAM_WIRE_H

/* Versions on the wire. */
enum ockam_wire_version {
	OCKAM_MESSAGE_VERSION = 1,	/* first byte of every routed message */
	OCKAM_TCP_VERSION = 1,		/* first byte each way on a TCP link */
	OCKAM_UDP_VERSION = 1,		/* first byte of every UDP datagram */
};

/*
 * On UDP every datagram carries one fragment of one routed message:
 *
 *   u8    version   OCKAM_UDP_VERSION
 *   u8    flags     0; a datagram with any bit set is dropped
 *   u16   reserved  0; likewise
 *   u32be message   the sender's number for the message: one more for
 *                   each message it sends from that socket, wrapping
 *   u32be offset    where the fragment's bytes go in the message
 *   u32be length    the whole message's length, 1 to the max message
 *   bytes           the fragment: 1 or more bytes, ending at or before
 *                   length
 *
 * A message that fits one datagram is the fragment at offset 0 whose
 * bytes are all of it. The receiver puts fragments together by (sender's
 * address and port, message number) in any order; a fragment that
 * overlaps another differently, or disagrees on the length, loses the
 * whole message.
 */
enum ockam_udp_wire {
	OCKAM_UDP_HEADER_LEN = 16,
	/* Datagrams a node sends by default: room for IPv6 and UDP headers
	 * in a 1500-byte path MTU, and some to spare for a tunnel.
	 */
	OCKAM_UDP_DATAGRAM_DEFAULT = 1400,
};

enum ockam_frame_limits {
	OCKAM_TAG_LEN = 16,
	OCKAM_COUNTER_LEN = 8,
	/* Messages per key before REKEY (Ockam's interval). */
	OCKAM_REKEY_INTERVAL = 32,
	/* Counters accepted behind (reordering) and ahead (loss) of the
	 * highest one accepted.
	 */
	OCKAM_REPLAY_WINDOW = 1024,
};

/* Noise reserves nonce 2^64 - 1 for REKEY. */
#define OCKAM_COUNTER_LIMIT	(~(__u64)0)

enum ockam_channel_msg_type {
	/* body: an encoded message (version, onward, return, payload) */
	OCKAM_CHANNEL_MSG_PAYLOAD = 0,
	/* body: empty; the peer closed the channel */
	OCKAM_CHANNEL_MSG_CLOSE = 2,
};

/*
 * A keepalive is a PAYLOAD whose message has empty onward and return
 * routes (Ockam drops such a message as a heartbeat) and a payload of
 * nothing, or of this one byte: "answer with a keepalive now".
 */
enum ockam_keepalive_payload {
	OCKAM_KEEPALIVE_ASK = 1,
};

/*
 * A portal message is the payload of a routed message between two portal
 * session addresses (or, for PING and a refusing DISCONNECT, an outlet's
 * service address). Its first byte is the type, Ockam's numbers for the
 * four Ockam has; integers are little-endian, as Ockam's BARE encoding's:
 *
 *   PING       = 0, u32 window    inlet to outlet service: open a session
 *   PONG       = 1, u32 window    outlet session to inlet session
 *   DISCONNECT = 2                reset: both TCP connections are reset
 *   PAYLOAD    = 3, u32 seq, data (1 or more bytes, to the end)
 *   END        = 4, u32 seq       the sender's stream ended (TCP FIN)
 *   CREDIT     = 5, u64 consumed  stream bytes the sender of CREDIT has
 *                                 written into its TCP socket, in all
 *   SYNC       = 6, u32 seq, u8 flags
 *                                 the number of the sender's next PAYLOAD
 *                                 or END: everything before it was sent
 *
 * PAYLOAD and END of one direction are numbered 0, 1, 2, ...; a receiver
 * takes only the next number. A sender keeps the stream bytes it has sent
 * minus the peer's last CREDIT at or under the window the peer gave in
 * its PING or PONG. A session whose channel was out sends SYNC once it is
 * back: a receiver whose next number is another lost messages in the
 * outage, and resets, rather than wait for them.
 */
enum ockam_portal_msg_type {
	OCKAM_PORTAL_MSG_PING = 0,
	OCKAM_PORTAL_MSG_PONG = 1,
	OCKAM_PORTAL_MSG_DISCONNECT = 2,
	OCKAM_PORTAL_MSG_PAYLOAD = 3,
	OCKAM_PORTAL_MSG_END = 4,
	OCKAM_PORTAL_MSG_CREDIT = 5,
	OCKAM_PORTAL_MSG_SYNC = 6,
};

/* SYNC's flags; a SYNC with any other bit set does not parse. */
enum ockam_portal_sync_flags {
	/* Answer with a CREDIT and a SYNC of your own (without this bit). */
	OCKAM_PORTAL_SYNC_ASK = 1 << 0,
	OCKAM_PORTAL_SYNC_FLAGS = OCKAM_PORTAL_SYNC_ASK,
};

enum ockam_portal_msg_limits {
	/* The longest fixed part: CREDIT's type and counter. */
	OCKAM_PORTAL_MSG_HEADER_MAX = 9,
	/* Stream bytes in one PAYLOAD at most (Ockam's chunk size). */
	OCKAM_PORTAL_CHUNK_MAX = 48 << 10,
};

#endif /* _OCKAM_WIRE_H */
