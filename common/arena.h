/* SPDX-License-Identifier: MIT */
/* A per-request memory arena: bump allocation from one block, oversized
 * allocations on the heap, everything released at once by reset. Plugs
 * into protobuf-c as a ProtobufCAllocator so handlers never free
 * decoded messages piecemeal. Not thread-safe: one arena per thread. */
#ifndef KT_ARENA_H
#define KT_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

typedef struct kt_arena_big kt_arena_big_t;

typedef struct kt_arena {
	unsigned char *block;     /* bump region, owned */
	size_t cap;               /* its size */
	size_t used;              /* bytes handed out from it */
	kt_arena_big_t *bigs;     /* heap allocations that did not fit */
	size_t big_bytes;         /* their total size */
	size_t limit;             /* most bytes the arena may hand out */
	ProtobufCAllocator pb;    /* allocator view for protobuf-c */
} kt_arena_t;

/* kt_arena_init allocates a block of cap bytes; the arena hands out at
 * most limit bytes in all (allocations past it fail, so a hostile message
 * cannot make the decoder use unbounded memory). Returns 0 or KT_ENOMEM. */
int kt_arena_init(kt_arena_t *a, size_t cap, size_t limit);

/* kt_arena_alloc returns n bytes aligned for any type, valid until the
 * next reset, or NULL when the limit is reached or memory is out. */
void *kt_arena_alloc(kt_arena_t *a, size_t n);

/* kt_arena_strdup copies s (NULL reads as "") into the arena: valid until
 * the next reset; NULL when the arena is out of room. */
char *kt_arena_strdup(kt_arena_t *a, const char *s);

/* Releases everything handed out since the last reset; the block is kept. */
void kt_arena_reset(kt_arena_t *a);

/* As kt_arena_reset, after overwriting with zeros everything handed out
 * (sodium_memzero: not optimised away), for arenas that held a secret. */
void kt_arena_wipe(kt_arena_t *a);

/* Releases the arena's memory. Accepts NULL. */
void kt_arena_free(kt_arena_t *a);

#endif
