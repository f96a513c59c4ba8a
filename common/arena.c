/* SPDX-License-Identifier: MIT */
/* Per-request memory arena (see arena.h). */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "arena.h"
#include "kt_error.h"

struct kt_arena_big {
	kt_arena_big_t *next;
	size_t size;
	max_align_t data[];       /* the allocation itself */
};

#define ALIGN alignof(max_align_t)

static void *
pb_alloc(void *data, size_t n)
{
	return kt_arena_alloc(data, n);
}

/* protobuf-c frees partial messages on a decode error: memory goes back
 * at the next reset instead. */
static void
pb_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

int
kt_arena_init(kt_arena_t *a, size_t cap, size_t limit)
{
	memset(a, 0, sizeof(*a));
	a->block = malloc(cap);
	if (a->block == NULL)
		return KT_ENOMEM;
	a->cap = cap;
	a->limit = limit;
	a->pb.alloc = pb_alloc;
	a->pb.free = pb_free;
	a->pb.allocator_data = a;
	return 0;
}

void *
kt_arena_alloc(kt_arena_t *a, size_t n)
{
	size_t start = (a->used + ALIGN - 1) & ~(ALIGN - 1);
	kt_arena_big_t *big;

	if (n == 0)
		n = 1;
	if (start <= a->cap && n <= a->cap - start) {
		if (start + n + a->big_bytes > a->limit)
			return NULL;
		a->used = start + n;
		return a->block + start;
	}
	if (n > a->limit || a->used + a->big_bytes + n > a->limit)
		return NULL;
	big = malloc(sizeof(*big) + n);
	if (big == NULL)
		return NULL;
	big->next = a->bigs;
	big->size = n;
	a->bigs = big;
	a->big_bytes += n;
	return big->data;
}

char *
kt_arena_strdup(kt_arena_t *a, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;
	char *p = kt_arena_alloc(a, n + 1);

	if (p != NULL) {
		if (n)
			memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void
kt_arena_reset(kt_arena_t *a)
{
	kt_arena_big_t *b, *next;

	for (b = a->bigs; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->bigs = NULL;
	a->big_bytes = 0;
	a->used = 0;
}

void
kt_arena_wipe(kt_arena_t *a)
{
	for (kt_arena_big_t *b = a->bigs; b != NULL; b = b->next)
		sodium_memzero(b->data, b->size);
	if (a->used > 0)
		sodium_memzero(a->block, a->used);
	kt_arena_reset(a);
}

void
kt_arena_free(kt_arena_t *a)
{
	if (a == NULL)
		return;
	kt_arena_reset(a);
	free(a->block);
	a->block = NULL;
	a->cap = 0;
}
