/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-module self-tests, built with -DDEBUG and run at module load, before
 * anything is registered. Each logs "<name> self-tests: pass" or "fail".
 * The same build has the cipher's ceiling for "make bench", a debugfs
 * file that measures only when read (cipher_ceiling.c).
 */
#ifndef _OCKAM_SELFTEST_H
#define _OCKAM_SELFTEST_H

#include <linux/types.h>

#ifdef DEBUG
bool ockam_codec_selftest(void);
bool ockam_table_selftest(void);
bool ockam_channel_selftest(void);
void ockam_cipher_ceiling_init(void);
void ockam_cipher_ceiling_exit(void);
#else
static inline void ockam_cipher_ceiling_init(void) {}
static inline void ockam_cipher_ceiling_exit(void) {}
#endif

#endif /* _OCKAM_SELFTEST_H */
