/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The relay registration message (Documentation/wire-protocol.rst,
 * "Relay registration"): one BARE string, a ULEB128 byte count and the
 * bytes, both ways. The registrant sends the name it wants ("register"
 * for a random one); the forwarding service answers with the alias it
 * made, "forward_to_NAME", or with "error: WHY", which is never an
 * address (addresses have no space).
 */
#ifndef OCKAMD_RELAY_PROTO_H
#define OCKAMD_RELAY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <ockam/ockam.h>

#define RELAY_SERVICE "forwarding_service"
#define RELAY_PREFIX "forward_to_"
/* The name that asks for a random one, as in Ockam. */
#define RELAY_RANDOM_NAME "register"
#define RELAY_ERROR_PREFIX "error: "

enum relay_proto_limits {
	/* The longest string either side sends or takes: an address. */
	RELAY_STRING_MAX = OCKAM_ADDR_VALUE_MAX,
	/* A whole message: the string and its count. */
	RELAY_MSG_MAX = RELAY_STRING_MAX + 2,
	/* Random names: 16 bytes as 32 hex digits, as Ockam makes them. */
	RELAY_RANDOM_BYTES = 16,
};

/*
 * @len bytes of @s as a BARE string into @buf: the message length, or
 * -EMSGSIZE when @len is over RELAY_STRING_MAX or @size is short.
 */
ssize_t relay_string_encode(const char *s, size_t len, uint8_t *buf,
			    size_t size);

/*
 * A message that is exactly one BARE string of printable ASCII (what
 * addresses and our errors are made of) into @out, NUL-terminated; @out
 * has room for RELAY_STRING_MAX + 1. -EINVAL with the reason otherwise.
 */
int relay_string_decode(const uint8_t *buf, size_t len, char *out,
			struct ockam_err *err);

/* A relay name the CLI and the daemon take: its alias is an address. */
bool relay_name_ok(const char *name);

/*
 * The alias a registration for @requested makes: "forward_to_" and the
 * name, or a random name for "register". @alias has room for
 * OCKAM_NAME_MAX. -EINVAL when that is not a valid local address.
 */
int relay_alias_for(const char *requested, char *alias,
		    struct ockam_err *err);

/* Is @reply the success answer to a request for @requested? */
bool relay_reply_matches(const char *requested, const char *reply);

#endif /* OCKAMD_RELAY_PROTO_H */
