/* SPDX-License-Identifier: MIT */
/* Per-address failure counting in a fixed table (limiter.h). */
#include <string.h>

#include <netinet/in.h>
#include <sodium.h>

#include "limiter.h"

#define WINDOW_MS 60000u

/* The address as 16 bytes (IPv4 mapped), the port left out. */
static void
addr_key(const struct sockaddr_storage *ss, uint8_t out[16])
{
	memset(out, 0, 16);
	if (ss->ss_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	} else if (ss->ss_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	}
}

/* The slot of address key: a keyed hash, so nobody can pick addresses
 * that share a slot with someone else's. */
static unsigned
slot_of(const kt_limiter_t *l, const uint8_t key[16])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, key, 16, l->key);
	for (size_t i = 0; i < sizeof(h); i++)
		v = (v << 8) | h[i];
	return (unsigned)(v % KT_LIMITER_SLOTS);
}

void
kt_limiter_init(kt_limiter_t *l, unsigned per_minute)
{
	memset(l, 0, sizeof(*l));
	l->per_minute = per_minute;
	randombytes_buf(l->key, sizeof(l->key));
}

int
kt_limiter_allowed(const kt_limiter_t *l, const struct sockaddr_storage *addr,
    uint64_t now_ms)
{
	uint8_t key[16];
	unsigned i;

	addr_key(addr, key);
	i = slot_of(l, key);
	if (now_ms - l->slot[i].window_ms >= WINDOW_MS)
		return 1;
	return l->slot[i].count < l->per_minute;
}

unsigned
kt_limiter_fail(kt_limiter_t *l, const struct sockaddr_storage *addr,
    uint64_t now_ms)
{
	uint8_t key[16];
	unsigned i;

	addr_key(addr, key);
	i = slot_of(l, key);
	if (l->slot[i].count == 0 ||
	    now_ms - l->slot[i].window_ms >= WINDOW_MS) {
		l->slot[i].window_ms = now_ms;
		l->slot[i].count = 0;
	}
	memcpy(l->slot[i].addr, key, 16); /* the latest, for the record */
	return ++l->slot[i].count;
}

void
kt_limiter_refund(kt_limiter_t *l, const struct sockaddr_storage *addr,
    uint64_t now_ms)
{
	uint8_t key[16];
	unsigned i;

	addr_key(addr, key);
	i = slot_of(l, key);
	if (now_ms - l->slot[i].window_ms < WINDOW_MS && l->slot[i].count > 0)
		l->slot[i].count--;
}
