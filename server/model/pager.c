/* SPDX-License-Identifier: MIT */
/* The pager of pager.h. */
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "kt_error.h"
#include "model/pager.h"
#include "log.h"

/* Per row in an answer: field tag and length prefix. */
#define ROW_OVERHEAD 4u

static int
cursor_make(kt_arena_t *a, const kt_pager_kind_t *kind, const void *key,
    ProtobufCBinaryData *out)
{
	uint8_t *p = kt_arena_alloc(a, 1 + kind->keylen);

	if (p == NULL)
		return KT_ENOMEM;
	p[0] = kind->tag;
	memcpy(p + 1, key, kind->keylen);
	out->data = p;
	out->len = 1 + kind->keylen;
	return 0;
}

/* Positions cur on the first entry of a page: the first of the database
 * for an empty cursor, else the first whose key sorts after the
 * cursor's. Returns an LMDB code (MDB_NOTFOUND: nothing left). */
static int
cursor_seek(MDB_cursor *cur, const kt_pager_kind_t *kind,
    const ProtobufCBinaryData *cursor, MDB_val *k, MDB_val *v)
{
	int m;

	if (cursor->len == 0)
		return mdb_cursor_get(cur, k, v, MDB_FIRST);
	k->mv_size = kind->keylen;
	k->mv_data = cursor->data + 1;
	m = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (m == 0 && k->mv_size == kind->keylen &&
	    memcmp(k->mv_data, cursor->data + 1, kind->keylen) == 0)
		m = mdb_cursor_get(cur, k, v, MDB_NEXT);
	return m;
}

int
kt_pager_read(const kt_pager_ctx_t *ctx, const kt_pager_kind_t *kind,
    MDB_dbi dbi, const ProtobufCBinaryData *cursor, uint32_t limit,
    size_t budget, kt_pager_page_t *page, const char **why)
{
	MDB_cursor *cur = NULL;
	MDB_stat ms;
	MDB_val k, v;
	uint8_t last[KT_PAGER_KEY_MAX];
	size_t cap, used = 0;
	int rc, m, more = 0, looked = 0;

	memset(page, 0, sizeof(*page));
	if (kind->keylen > KT_PAGER_KEY_MAX)
		return KT_ESTATE; /* a list kind's bug, not the request's */
	if (cursor->len != 0 && (cursor->data == NULL ||
	    cursor->len != 1 + kind->keylen || cursor->data[0] != kind->tag)) {
		*why = KT_MSG("cursor: not a next_cursor from a previous page of "
		    "this list");
		return KT_EINVAL;
	}
	if ((m = mdb_stat(ctx->txn, dbi, &ms)) != 0)
		return kt_store_err(m);
	if (limit == 0 || limit > KT_PAGER_LIMIT_MAX)
		limit = KT_PAGER_LIMIT_MAX;
	/* A page cannot hold more rows than the database has entries. */
	cap = ms.ms_entries < limit ? ms.ms_entries : limit;
	page->rows = kt_arena_alloc(ctx->arena, (cap + 1) * sizeof(*page->rows));
	if (page->rows == NULL)
		return KT_ENOMEM;
	if ((m = mdb_cursor_open(ctx->txn, dbi, &cur)) != 0)
		return kt_store_err(m);
	for (m = cursor_seek(cur, kind, cursor, &k, &v); m == 0;
	    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		ProtobufCMessage *row = NULL;
		size_t sz;

		if (k.mv_size != kind->keylen)
			continue;
		if ((rc = kind->row(ctx, &k, &v, &row)) != 0)
			goto out;
		if (row != NULL) {
			if (page->n == cap) {
				more = 1;
				break;
			}
			sz = protobuf_c_message_get_packed_size(row) +
			    ROW_OVERHEAD;
			if (used + sz <= budget) {
				used += sz;
				page->rows[page->n++] = row;
			} else if (page->n > 0) {
				more = 1;
				break;
			} else {
				/* Cannot happen with the sizes checked on
				 * input; skipped rather than sent as an
				 * empty page that never moves on. */
				kt_log(KT_LOG_WARNING, "pager: a list entry "
				    "of %zu bytes does not fit an answer: "
				    "skipped", sz);
			}
		}
		/* The page has looked at this entry: the next starts after
		 * it. */
		memcpy(last, k.mv_data, kind->keylen);
		looked = 1;
	}
	if (m != 0 && m != MDB_NOTFOUND) {
		rc = kt_store_err(m);
		goto out;
	}
	rc = more && looked ? cursor_make(ctx->arena, kind, last, &page->next) :
	    0;
out:
	mdb_cursor_close(cur);
	return rc;
}
