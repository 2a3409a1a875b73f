// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Secure channel data frame layout; see frame.h.
 */
#include "frame.h"

void ockam_frame_put_counter(u8 *frame, u64 counter)
{
	int i;

	for (i = OCKAM_COUNTER_LEN - 1; i >= 0; i--) {
		frame[OCKAM_FRAME_COUNTER_OFF + i] = counter & 0xff;
		counter >>= 8;
	}
}

int ockam_frame_counter(const u8 *head, u32 len, u64 *counter)
{
	u64 c = 0;
	int i;

	if (len < OCKAM_FRAME_OVERHEAD)
		return -EINVAL;
	for (i = 0; i < OCKAM_COUNTER_LEN; i++)
		c = c << 8 | head[OCKAM_FRAME_COUNTER_OFF + i];
	*counter = c;
	return len - OCKAM_COUNTER_LEN;
}

int ockam_frame_check_type(u8 type, u32 body_len)
{
	switch (type) {
	case OCKAM_CHANNEL_MSG_PAYLOAD:
		return body_len ? 0 : -EINVAL;
	case OCKAM_CHANNEL_MSG_CLOSE:
		return body_len ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}
