// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Names of the uapi enums, for listings and logs.
 */
#include "internal.h"

OCKAM_EXPORT const char *ockam_kind_name(uint32_t kind)
{
	static const char *const names[] = {
		[OCKAM_KIND_UNSPEC] = "unspec",
		[OCKAM_KIND_SOCKET] = "socket",
		[OCKAM_KIND_TCP] = "tcp",
		[OCKAM_KIND_ALIAS] = "alias",
		[OCKAM_KIND_ENCRYPTOR] = "encryptor",
		[OCKAM_KIND_DECRYPTOR] = "decryptor",
		[OCKAM_KIND_PORTAL] = "portal",
	};

	return kind < ARRAY_SIZE(names) && names[kind] ? names[kind] :
							"unknown";
}

OCKAM_EXPORT const char *ockam_down_reason_name(uint32_t reason)
{
	static const char *const names[] = {
		[OCKAM_DOWN_UNSPEC] = "unspec",
		[OCKAM_DOWN_DETACHED] = "detached",
		[OCKAM_DOWN_CLOSED] = "closed",
		[OCKAM_DOWN_ERROR] = "error",
		[OCKAM_DOWN_BAD_VERSION] = "bad-version",
		[OCKAM_DOWN_BAD_FRAME] = "bad-frame",
		[OCKAM_DOWN_TOO_BIG] = "too-big",
		[OCKAM_DOWN_OWNER_GONE] = "owner-gone",
		[OCKAM_DOWN_NODE_EXIT] = "node-exit",
	};

	return reason < ARRAY_SIZE(names) && names[reason] ? names[reason] :
							    "unknown";
}

OCKAM_EXPORT const char *ockam_close_reason_name(uint32_t reason)
{
	static const char *const names[] = {
		[OCKAM_CLOSE_UNSPEC] = "unspec",
		[OCKAM_CLOSE_DELETED] = "deleted",
		[OCKAM_CLOSE_PEER] = "peer-closed",
		[OCKAM_CLOSE_OWNER_GONE] = "owner-gone",
		[OCKAM_CLOSE_NODE_EXIT] = "node-exit",
	};

	return reason < ARRAY_SIZE(names) && names[reason] ? names[reason] :
							    "unknown";
}

OCKAM_EXPORT const char *ockam_role_name(uint32_t role)
{
	switch (role) {
	case OCKAM_ROLE_INITIATOR:
		return "initiator";
	case OCKAM_ROLE_RESPONDER:
		return "responder";
	default:
		return "unknown";
	}
}

OCKAM_EXPORT const char *ockam_stat_name(unsigned int stat)
{
	static const char *const names[] = {
		[OCKAM_STAT_RX_MESSAGES] = "rx-messages",
		[OCKAM_STAT_RX_BYTES] = "rx-bytes",
		[OCKAM_STAT_TX_MESSAGES] = "tx-messages",
		[OCKAM_STAT_TX_BYTES] = "tx-bytes",
		[OCKAM_STAT_DELIVERED] = "delivered",
		[OCKAM_STAT_FORWARDED] = "forwarded",
		[OCKAM_STAT_HEARTBEATS] = "heartbeats",
		[OCKAM_STAT_DROP_BAD_FRAME] = "drop-bad-frame",
		[OCKAM_STAT_DROP_UNKNOWN_ADDRESS] = "drop-unknown-address",
		[OCKAM_STAT_DROP_HOP_LIMIT] = "drop-hop-limit",
		[OCKAM_STAT_DROP_BUFFER_FULL] = "drop-buffer-full",
		[OCKAM_STAT_DROP_TOO_BIG] = "drop-too-big",
		[OCKAM_STAT_DROP_UNREACHABLE] = "drop-unreachable",
		[OCKAM_STAT_DROP_TRANSPORT_DOWN] = "drop-transport-down",
		[OCKAM_STAT_DIALS] = "dials",
		[OCKAM_STAT_ENCRYPTED] = "encrypted",
		[OCKAM_STAT_ENCRYPTED_BYTES] = "encrypted-bytes",
		[OCKAM_STAT_DECRYPTED] = "decrypted",
		[OCKAM_STAT_DECRYPTED_BYTES] = "decrypted-bytes",
		[OCKAM_STAT_DROP_AUTH] = "drop-auth",
		[OCKAM_STAT_DROP_REPLAY] = "drop-replay",
		[OCKAM_STAT_DROP_KEY_EXPIRED] = "drop-key-expired",
		[OCKAM_STAT_PORTAL_SESSIONS] = "portal-sessions",
		[OCKAM_STAT_PORTAL_RESETS] = "portal-resets",
		[OCKAM_STAT_PORTAL_GAPS] = "portal-gaps",
		[OCKAM_STAT_PORTAL_AHEAD] = "portal-ahead",
		[OCKAM_STAT_PORTAL_IMPOSTORS] = "portal-impostors",
		[OCKAM_STAT_PORTAL_OVERRUNS] = "portal-overruns",
		[OCKAM_STAT_KEEPALIVES] = "keepalives",
		[OCKAM_STAT_DROP_CHANNEL_DOWN] = "drop-channel-down",
		[OCKAM_STAT_UDP_REASSEMBLED] = "udp-reassembled",
		[OCKAM_STAT_UDP_DUPLICATES] = "udp-duplicates",
		[OCKAM_STAT_DROP_INCOMPLETE] = "drop-incomplete",
		[OCKAM_STAT_DROP_OVERLAP] = "drop-overlap",
		[OCKAM_STAT_DROP_REASM_TIMEOUT] = "drop-reasm-timeout",
		[OCKAM_STAT_DROP_REASM_MEMORY] = "drop-reasm-memory",
		[OCKAM_STAT_RX_DEFERRED] = "rx-deferred",
		[OCKAM_STAT_UDP_BATCHES] = "udp-batches",
	};

	return stat < ARRAY_SIZE(names) && names[stat] ? names[stat] :
							"unknown";
}

OCKAM_EXPORT const char *ockam_portal_role_name(uint32_t role)
{
	switch (role) {
	case OCKAM_PORTAL_INLET:
		return "inlet";
	case OCKAM_PORTAL_OUTLET:
		return "outlet";
	default:
		return "unknown";
	}
}

OCKAM_EXPORT const char *ockam_portal_state_name(uint32_t state)
{
	switch (state) {
	case OCKAM_PORTAL_CONNECTING:
		return "connecting";
	case OCKAM_PORTAL_OPEN:
		return "open";
	case OCKAM_PORTAL_CLOSING:
		return "closing";
	default:
		return "unknown";
	}
}

OCKAM_EXPORT const char *ockam_portal_end_reason_name(uint32_t reason)
{
	static const char *const names[] = {
		[OCKAM_PORTAL_END_UNSPEC] = "unspec",
		[OCKAM_PORTAL_END_CLOSED] = "closed",
		[OCKAM_PORTAL_END_DETACHED] = "detached",
		[OCKAM_PORTAL_END_RESET] = "reset",
		[OCKAM_PORTAL_END_PEER_RESET] = "peer-reset",
		[OCKAM_PORTAL_END_REFUSED] = "refused",
		[OCKAM_PORTAL_END_TIMEOUT] = "timeout",
		[OCKAM_PORTAL_END_GAP] = "gap",
		[OCKAM_PORTAL_END_IMPOSTOR] = "impostor",
		[OCKAM_PORTAL_END_OVERRUN] = "overrun",
		[OCKAM_PORTAL_END_BAD_MESSAGE] = "bad-message",
		[OCKAM_PORTAL_END_UNREACHABLE] = "unreachable",
		[OCKAM_PORTAL_END_OWNER_GONE] = "owner-gone",
		[OCKAM_PORTAL_END_NODE_EXIT] = "node-exit",
	};

	return reason < ARRAY_SIZE(names) && names[reason] ? names[reason] :
							    "unknown";
}

OCKAM_EXPORT const char *ockam_channel_state_name(uint32_t state)
{
	static const char *const names[] = {
		[OCKAM_CHANNEL_STATE_UNSPEC] = "unspec",
		[OCKAM_CHANNEL_UP] = "up",
		[OCKAM_CHANNEL_RECOVERING] = "recovering",
		[OCKAM_CHANNEL_DOWN] = "down",
	};

	return state < ARRAY_SIZE(names) && names[state] ? names[state] :
							  "unknown";
}

OCKAM_EXPORT const char *ockam_channel_state_reason_name(uint32_t reason)
{
	static const char *const names[] = {
		[OCKAM_STATE_R_UNSPEC] = "unspec",
		[OCKAM_STATE_R_INSTALLED] = "installed",
		[OCKAM_STATE_R_HEARD] = "heard",
		[OCKAM_STATE_R_ROUTE_DOWN] = "route-down",
		[OCKAM_STATE_R_PEER_SILENT] = "peer-silent",
		[OCKAM_STATE_R_ROUTE_SET] = "route-set",
		[OCKAM_STATE_R_GAVE_UP] = "gave-up",
		[OCKAM_STATE_R_REKEYED] = "rekeyed",
	};

	return reason < ARRAY_SIZE(names) && names[reason] ? names[reason] :
							    "unknown";
}
