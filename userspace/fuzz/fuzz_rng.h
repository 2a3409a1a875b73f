/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A fixed random number generator for libsodium, so that the keys a
 * target makes, and so every genuine message or record, are the same on
 * every run: seeds written once stay genuine.
 */
#ifndef OCKAM_FUZZ_RNG_H
#define OCKAM_FUZZ_RNG_H

/*
 * Install the generator and start libsodium; aborts if it does not
 * start. Call it before anything else uses libsodium.
 */
void fuzz_rng_install(void);

#endif /* OCKAM_FUZZ_RNG_H */
