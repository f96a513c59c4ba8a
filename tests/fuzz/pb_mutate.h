/* SPDX-License-Identifier: MIT */
/* Structure-aware mutation of one packed protobuf-c message for libFuzzer
 * custom mutators: decode, change one thing found by walking the
 * message's descriptor tables (no per-message code), pack again. */
#ifndef KT_PB_MUTATE_H
#define KT_PB_MUTATE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* The mutator's own random generator (splitmix64), so that a mutation is
 * a function of libFuzzer's Seed. */
typedef struct kt_pbm_rng {
	uint64_t s; /* state */
} kt_pbm_rng_t;

/* Seeds r with seed. */
void kt_pbm_rng_seed(kt_pbm_rng_t *r, uint64_t seed);

/* A number in [0, n); 0 when n is 0. */
uint64_t kt_pbm_below(kt_pbm_rng_t *r, uint64_t n);

/* Unpacks in[0..in_len) as a message of desc, changes one thing in it and
 * packs the result into out (capacity cap).
 *   [in]  desc   the message type
 *   [in]  in     the packed message (read only, not kept)
 *   [out] out    the packed mutant, cap bytes available; may not alias in
 *   [in]  r      the random generator
 * Returns the mutant's length, or 0 when in does not decode, the mutant
 * does not fit in cap, or nothing could be changed (the caller falls back
 * to byte mutation). Everything it allocates is freed before it returns;
 * the strings' byte mutations call LLVMFuzzerMutate (so the caller links
 * libFuzzer). */
size_t kt_pbm_mutate(const ProtobufCMessageDescriptor *desc,
    const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
    kt_pbm_rng_t *r);

#endif
