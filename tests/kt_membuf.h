/* SPDX-License-Identifier: MIT */
/* A growable byte buffer for unit tests, with the write and read
 * functions the backup file takes (common/backup_file.h): what a test
 * writes a backup into and reads it back from. Include after kt_test.h. */
#ifndef KT_MEMBUF_H
#define KT_MEMBUF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kt_error.h"

typedef struct kt_membuf {
	uint8_t *p;                   /* free() when done */
	size_t n, cap, pos;
	size_t fail_after;            /* write: fail once n would pass it */
	size_t read_max;              /* read: at most this much a call (0:
					 any), as a pipe gives it */
} kt_membuf_t;

static inline int
kt_membuf_write(void *ctx, const void *p, size_t n)
{
	kt_membuf_t *b = ctx;

	if (b->fail_after && b->n + n > b->fail_after)
		return KT_EIO;
	if (b->n + n > b->cap) {
		size_t cap = (b->n + n) * 2;
		uint8_t *q = realloc(b->p, cap);
		assert_non_null(q);
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	return 0;
}

static inline long
kt_membuf_read(void *ctx, void *p, size_t n)
{
	kt_membuf_t *b = ctx;
	size_t k = b->n - b->pos;

	if (k > n)
		k = n;
	if (b->read_max && k > b->read_max)
		k = b->read_max;
	memcpy(p, b->p + b->pos, k);
	b->pos += k;
	return (long)k;
}

#endif
