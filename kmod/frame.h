/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The layout of a secure channel data frame (uapi/linux/ockam.h,
 * Documentation/wire-protocol.rst):
 *
 *   frame     = u64be counter, ciphertext, tag[OCKAM_TAG_LEN]
 *   plaintext = u8 type, body
 *
 * Only the parts that face the network before and after decryption live
 * here, so the module and the userspace fuzzer run the same checks; the
 * cryptography is the caller's. Portable like codec.c.
 */
#ifndef _OCKAM_FRAME_H
#define _OCKAM_FRAME_H

#include "codec.h"

enum ockam_frame_layout {
	OCKAM_FRAME_COUNTER_OFF = 0,
	OCKAM_FRAME_TYPE_OFF = OCKAM_COUNTER_LEN,
	/* Counter, type and tag: the smallest frame (an empty CLOSE). */
	OCKAM_FRAME_OVERHEAD = OCKAM_COUNTER_LEN + 1 + OCKAM_TAG_LEN,
};

/* Write the counter in front of a frame. */
void ockam_frame_put_counter(u8 *frame, u64 counter);
/*
 * Read the counter of a frame of @len bytes, given its first
 * OCKAM_COUNTER_LEN bytes. Returns the length of the sealed part (type,
 * body and tag), or -EINVAL for a frame too short to be one.
 */
int ockam_frame_counter(const u8 *head, u32 len, u64 *counter);
/*
 * After decryption: may a plaintext of @type with a @body_len-byte body
 * be acted on? PAYLOAD needs a body (its message is decoded by the
 * caller), CLOSE an empty one; other types are refused (-EINVAL).
 */
int ockam_frame_check_type(u8 type, u32 body_len);

#endif /* _OCKAM_FRAME_H */
