/* SPDX-License-Identifier: MIT */
/* One page of a list over one database, in key order, behind an opaque
 * cursor: the pager of the owner's lists (branches, users, terminals).
 * Each list supplies a row builder; the pager bounds the page by a row
 * limit and by what one answer frame can carry, and makes and checks the
 * cursors. */
#ifndef KT_PAGER_H
#define KT_PAGER_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "arena.h"
#include "model/store.h"

/* Rows in a page at most; a request's limit 0 (or more) means this. */
#define KT_PAGER_LIMIT_MAX 1000u
/* The longest store key of a listed entry (a terminal's public key). */
#define KT_PAGER_KEY_MAX 32u

/* What a row builder works with. */
typedef struct kt_pager_ctx {
	MDB_txn *txn;                /* the read transaction of the answer */
	const kt_store_dbs_t *db;
	kt_arena_t *arena;           /* rows and everything they point to */
	int include_all;             /* archived branches / disabled users */
} kt_pager_ctx_t;

/* Builds in ctx->arena the row of the entry k -> v, or sets *row to NULL
 * when the entry is not listed (filtered out, or a record that does not
 * unpack). Nothing it returns points into LMDB. Returns 0 or KT_ENOMEM. */
typedef int (*kt_pager_row_fn)(const kt_pager_ctx_t *ctx, const MDB_val *k,
    const MDB_val *v, ProtobufCMessage **row);

/* One kind of list. A cursor is tag followed by the store key (keylen
 * bytes) of the last entry a page looked at: opaque to clients, checked
 * on the way in, and never trusted beyond a position in the database. */
typedef struct kt_pager_kind {
	uint8_t tag;                 /* first byte of this list's cursors */
	size_t keylen;               /* size of its keys; others are skipped */
	kt_pager_row_fn row;
} kt_pager_kind_t;

/* One page, everything in the arena of its context. */
typedef struct kt_pager_page {
	ProtobufCMessage **rows;     /* n rows */
	size_t n;
	ProtobufCBinaryData next;    /* next_cursor; len 0 on the last page */
} kt_pager_page_t;

/* kt_pager_read reads one page of kind over dbi: the rows after cursor
 * (empty: from the start), in key order, at most limit (0 or more than
 * KT_PAGER_LIMIT_MAX: KT_PAGER_LIMIT_MAX), fewer when the next row would
 * not fit budget bytes (what one answer can carry of rows).
 *   [in]  cursor  from the request: hostile bytes, checked here
 *   [out] page    rows and next cursor, in ctx->arena (valid until the
 *                 arena is reset; nothing points into LMDB)
 *   [out] why     on KT_EINVAL: the problem, naming the field
 * Returns 0, KT_EINVAL, KT_ENOMEM, KT_ESTORE, KT_ESTATE (a kind whose keys
 * are longer than KT_PAGER_KEY_MAX). */
int kt_pager_read(const kt_pager_ctx_t *ctx, const kt_pager_kind_t *kind,
    MDB_dbi dbi, const ProtobufCBinaryData *cursor, uint32_t limit,
    size_t budget, kt_pager_page_t *page, const char **why);

#endif
