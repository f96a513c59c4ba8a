/* SPDX-License-Identifier: MIT */
/* Per-address failure counting in a fixed table: a cheap brake on peers
 * that flood the server with failing attempts (enrolments with made-up
 * tokens) without letting the table itself grow. An attempt is charged
 * when it starts and refunded when it succeeds, so attempts in flight
 * count against the budget too. Each slot counts in fixed windows of a
 * minute (the first charge opens one). Addresses share a slot by a keyed
 * hash (the key is random per server, so collisions cannot be chosen),
 * and two addresses in one slot share its budget: a collision can brake
 * an address early, never let one through. */
#ifndef KT_LIMITER_H
#define KT_LIMITER_H

#include <stdint.h>

#include <sys/socket.h>

#include <sodium.h>

#define KT_LIMITER_SLOTS 1024u

typedef struct kt_limiter {
	struct {
		uint8_t addr[16];         /* IPv4 mapped into IPv6 form */
		uint64_t window_ms;       /* start of the current minute */
		unsigned count;           /* failures in it */
	} slot[KT_LIMITER_SLOTS];
	unsigned per_minute;              /* allowed failures per minute */
	uint8_t key[crypto_shorthash_KEYBYTES]; /* slot hash key (random) */
} kt_limiter_t;

/* Sets up l for per_minute failures a minute, with a new random key. */
void kt_limiter_init(kt_limiter_t *l, unsigned per_minute);

/* 1 when addr may try again now (under the limit), 0 when over. */
int kt_limiter_allowed(const kt_limiter_t *l,
    const struct sockaddr_storage *addr, uint64_t now_ms);

/* Counts one failure (or an attempt that may fail) for addr. Returns the
 * count in the current minute. */
unsigned kt_limiter_fail(kt_limiter_t *l, const struct sockaddr_storage *addr,
    uint64_t now_ms);

/* Takes back one count of addr in the current minute (an attempt charged
 * by kt_limiter_fail that succeeded). Nothing when the minute has moved
 * on (a slot shared by colliding addresses is one budget, so a refund
 * of either counts for both). */
void kt_limiter_refund(kt_limiter_t *l, const struct sockaddr_storage *addr,
    uint64_t now_ms);

#endif
