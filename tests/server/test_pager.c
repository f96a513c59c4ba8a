/* SPDX-License-Identifier: MIT */
/* Tests for server/model/pager.c: paging through a database of a
 * temporary store with a row builder of the test's own (branch records,
 * archived ones filtered out unless all are asked for), row and byte
 * limits, and hostile cursors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/model_fixture.h"

#include "arena.h"
#include "model/pager.h"

#define TAG 'B'
#define MAXROWS 1100

/* What pager.c adds to each row's packed size: field tag and length. */
#define ROW_OVERHEAD 4u

static size_t built;          /* entries handed to the row builder */
static uint64_t fail_at;      /* the builder fails on this id (0: never) */

/* Unpacks a BranchRecord into the arena; archived ones (unless
 * include_all) and records that do not unpack are not listed. */
static int
row_fn(const kt_pager_ctx_t *ctx, const MDB_val *k, const MDB_val *v,
    ProtobufCMessage **row)
{
	Ktstore__BranchRecord *b;

	*row = NULL;
	assert_int_equal(k->mv_size, 8);
	built++;
	if (fail_at != 0 && kt_store_get_be64(k->mv_data) == fail_at)
		return KT_ENOMEM;
	b = ktstore__branch_record__unpack(&ctx->arena->pb, v->mv_size,
	    v->mv_data);
	if (b == NULL || (b->archived && !ctx->include_all))
		return 0;
	*row = &b->base;
	return 0;
}

static const kt_pager_kind_t kind = { .tag = TAG, .keylen = 8, .row = row_fn };

/* Branch id with a name of namelen bytes. */
static void
put(mfx_t *f, uint64_t id, size_t namelen, int archived)
{
	Ktstore__BranchRecord b = KTSTORE__BRANCH_RECORD__INIT;
	char *name = malloc(namelen + 1);
	uint8_t key[8];

	assert_non_null(name);
	memset(name, 'x', namelen);
	name[namelen] = '\0';
	b.id = id;
	b.name = name;
	b.archived = archived != 0;
	kt_store_be64(key, id);
	assert_int_equal(kt_store_put_record(mfx_wbegin(f), f->db->branches,
	    key, 8, &b.base, 0), 0);
	mfx_commit(f);
	free(name);
}

static void
put_raw(mfx_t *f, const void *key, size_t keylen, const void *val,
    size_t vallen)
{
	MDB_val k = { keylen, (void *)key }, v = { vallen, (void *)val };

	assert_int_equal(mdb_put(mfx_wbegin(f), f->db->branches, &k, &v, 0), 0);
	mfx_commit(f);
}

/* The bytes one row of branch id (id < 128) with a name of namelen
 * (< 128) bytes takes of the budget. */
static size_t
row_size(size_t namelen)
{
	return 2 + 2 + namelen + ROW_OVERHEAD;
}

/* One page, copied out of its arena. */
typedef struct page_out {
	int rc;
	const char *why;
	size_t n;
	uint64_t ids[MAXROWS];
	uint8_t next[64];
	size_t next_len;
} page_out_t;

static void
read_page(mfx_t *f, const uint8_t *cursor, size_t cursor_len, uint32_t limit,
    size_t budget, int include_all, page_out_t *out)
{
	uint8_t copy[64]; /* cursor may point into *out */
	ProtobufCBinaryData c = { cursor_len, NULL };
	kt_pager_page_t page;
	kt_pager_ctx_t ctx;
	kt_arena_t arena;
	MDB_txn *txn;

	if (cursor != NULL) {
		assert_true(cursor_len <= sizeof(copy));
		memcpy(copy, cursor, cursor_len);
		c.data = copy;
	}
	memset(out, 0, sizeof(*out));
	assert_int_equal(kt_arena_init(&arena, 4096, 16 << 20), 0);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	ctx.txn = txn;
	ctx.db = f->db;
	ctx.arena = &arena;
	ctx.include_all = include_all;
	out->rc = kt_pager_read(&ctx, &kind, f->db->branches, &c, limit,
	    budget, &page, &out->why);
	if (out->rc == 0) {
		assert_true(page.n <= MAXROWS);
		out->n = page.n;
		for (size_t i = 0; i < page.n; i++)
			out->ids[i] = ((Ktstore__BranchRecord *)page.rows[i])->id;
		assert_true(page.next.len <= sizeof(out->next));
		out->next_len = page.next.len;
		if (page.next.len > 0)
			memcpy(out->next, page.next.data, page.next.len);
	}
	kt_store_read_end(f->st, txn);
	kt_arena_free(&arena);
}

/* Reads every page from the start, at most maxpages of them; the ids of
 * all rows go into ids (*n of them), the sizes of the pages into sizes.
 * Returns the number of pages. */
static size_t
read_all(mfx_t *f, uint32_t limit, size_t budget, int include_all,
    uint64_t *ids, size_t *n, size_t *sizes, size_t maxpages)
{
	static page_out_t p;
	uint8_t cursor[64];
	size_t len = 0, pages = 0;

	*n = 0;
	do {
		if (pages == maxpages)
			fail_msg("still more after %zu pages", maxpages);
		read_page(f, cursor, len, limit, budget, include_all, &p);
		assert_int_equal(p.rc, 0);
		for (size_t i = 0; i < p.n; i++) {
			if (*n >= MAXROWS)
				fail_msg("more than %d rows", MAXROWS);
			ids[(*n)++] = p.ids[i];
		}
		sizes[pages++] = p.n;
		len = p.next_len;
		memcpy(cursor, p.next, len);
	} while (len > 0);
	return pages;
}

static void
assert_ids(const uint64_t *got, size_t n, const uint64_t *want, size_t nwant)
{
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n && i < nwant; i++)
		if (got[i] != want[i])
			fail_msg("row %zu is id %llu, wanted %llu", i,
			    (unsigned long long)got[i],
			    (unsigned long long)want[i]);
}

/* ---- tests -------------------------------------------------------------- */

static void
pages_through_all(void **state)
{
	mfx_t *f = *state;
	static page_out_t p;
	uint64_t ids[MAXROWS], want[25];
	size_t n, sizes[16], pages;
	uint8_t key[8];

	for (uint64_t id = 1; id <= 25; id++) {
		put(f, id, 10, 0);
		want[id - 1] = id;
	}
	pages = read_all(f, 7, 1 << 20, 0, ids, &n, sizes, 16);
	assert_int_equal(pages, 4);
	assert_int_equal(sizes[0], 7);
	assert_int_equal(sizes[1], 7);
	assert_int_equal(sizes[2], 7);
	assert_int_equal(sizes[3], 4);
	assert_ids(ids, n, want, 25);

	/* The cursor: the tag and the key of the last entry looked at. */
	read_page(f, NULL, 0, 7, 1 << 20, 0, &p);
	assert_int_equal(p.next_len, 9);
	assert_int_equal(p.next[0], TAG);
	kt_store_be64(key, 7);
	assert_memory_equal(p.next + 1, key, 8);

	/* A limit of exactly what is left: no cursor to an empty page. */
	read_page(f, NULL, 0, 25, 1 << 20, 0, &p);
	assert_int_equal(p.n, 25);
	assert_int_equal(p.next_len, 0);
	read_page(f, NULL, 0, 24, 1 << 20, 0, &p);
	assert_int_equal(p.n, 24);
	assert_int_equal(p.next_len, 9);
	read_page(f, p.next, p.next_len, 24, 1 << 20, 0, &p);
	assert_int_equal(p.n, 1);
	assert_true(p.ids[0] == 25);
	assert_int_equal(p.next_len, 0);
	/* Limit 0: as many as a page may hold. */
	read_page(f, NULL, 0, 0, 1 << 20, 0, &p);
	assert_int_equal(p.n, 25);
	assert_int_equal(p.next_len, 0);
}

static void
limit_capped(void **state)
{
	mfx_t *f = *state;
	static page_out_t p;
	MDB_txn *txn = mfx_wbegin(f);

	/* 1001 entries in one transaction. */
	for (uint64_t id = 1; id <= KT_PAGER_LIMIT_MAX + 1; id++) {
		Ktstore__BranchRecord b = KTSTORE__BRANCH_RECORD__INIT;
		uint8_t key[8];

		b.id = id;
		b.name = "x";
		kt_store_be64(key, id);
		assert_int_equal(kt_store_put_record(txn, f->db->branches, key,
		    8, &b.base, 0), 0);
	}
	mfx_commit(f);
	read_page(f, NULL, 0, 0, 1 << 24, 0, &p);
	assert_int_equal(p.n, KT_PAGER_LIMIT_MAX);
	assert_int_equal(p.next_len, 9);
	read_page(f, NULL, 0, 5000, 1 << 24, 0, &p);
	assert_int_equal(p.n, KT_PAGER_LIMIT_MAX);
	read_page(f, p.next, p.next_len, 0, 1 << 24, 0, &p);
	assert_int_equal(p.n, 1);
	assert_true(p.ids[0] == KT_PAGER_LIMIT_MAX + 1);
	assert_int_equal(p.next_len, 0);
}

static void
cursor_validation(void **state)
{
	mfx_t *f = *state;
	static page_out_t p;
	uint8_t c[16];

	put(f, 2, 5, 0);
	put(f, 4, 5, 0);
	put(f, 6, 5, 0);

	/* The wrong list's cursor. */
	c[0] = 'U';
	kt_store_be64(c + 1, 2);
	read_page(f, c, 9, 10, 1 << 20, 0, &p);
	assert_int_equal(p.rc, KT_EINVAL);
	assert_non_null(p.why);
	assert_non_null(strstr(p.why, "cursor: "));
	/* Too short, too long, only the tag. */
	c[0] = TAG;
	read_page(f, c, 8, 10, 1 << 20, 0, &p);
	assert_int_equal(p.rc, KT_EINVAL);
	read_page(f, c, 10, 10, 1 << 20, 0, &p);
	assert_int_equal(p.rc, KT_EINVAL);
	read_page(f, c, 1, 10, 1 << 20, 0, &p);
	assert_int_equal(p.rc, KT_EINVAL);
	/* A length with no bytes. */
	read_page(f, NULL, 9, 10, 1 << 20, 0, &p);
	assert_int_equal(p.rc, KT_EINVAL);
	/* Garbage of every length. */
	for (size_t len = 1; len <= sizeof(c); len++) {
		randombytes_buf(c, sizeof(c));
		if (len == 9 && c[0] == TAG)
			c[0] ^= 1;
		read_page(f, c, len, 10, 1 << 20, 0, &p);
		assert_int_equal(p.rc, KT_EINVAL);
	}

	/* Well formed, the cursor is only a position: between entries,
	 * before all, on one, after all. */
	c[0] = TAG;
	kt_store_be64(c + 1, 3);
	read_page(f, c, 9, 10, 1 << 20, 0, &p);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.n, 2);
	assert_true(p.ids[0] == 4 && p.ids[1] == 6);
	kt_store_be64(c + 1, 0);
	read_page(f, c, 9, 10, 1 << 20, 0, &p);
	assert_int_equal(p.n, 3);
	kt_store_be64(c + 1, 4);
	read_page(f, c, 9, 10, 1 << 20, 0, &p);
	assert_int_equal(p.n, 1);
	assert_true(p.ids[0] == 6);
	kt_store_be64(c + 1, UINT64_MAX);
	read_page(f, c, 9, 10, 1 << 20, 0, &p);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.next_len, 0);
}

static void
budget_ends_page(void **state)
{
	mfx_t *f = *state;
	uint64_t ids[MAXROWS], want[10];
	size_t n, sizes[16], pages, s = row_size(50);

	for (uint64_t id = 1; id <= 10; id++) {
		put(f, id, 50, 0);
		want[id - 1] = id;
	}
	/* Three rows fit exactly. */
	pages = read_all(f, 0, 3 * s, 0, ids, &n, sizes, 16);
	assert_int_equal(pages, 4);
	assert_int_equal(sizes[0], 3);
	assert_int_equal(sizes[3], 1);
	assert_ids(ids, n, want, 10);
	/* A byte less: two. */
	pages = read_all(f, 0, 3 * s - 1, 0, ids, &n, sizes, 16);
	assert_int_equal(pages, 5);
	assert_int_equal(sizes[0], 2);
	assert_ids(ids, n, want, 10);
	/* The row limit and the budget together: the tighter wins. */
	pages = read_all(f, 2, 3 * s, 0, ids, &n, sizes, 16);
	assert_int_equal(pages, 5);
	pages = read_all(f, 4, 3 * s, 0, ids, &n, sizes, 16);
	assert_int_equal(pages, 4);
}

static void
too_big_entry_skipped(void **state)
{
	mfx_t *f = *state;
	static const uint64_t want[] = { 1, 2, 4, 5, 6 };
	uint64_t ids[MAXROWS];
	size_t n, sizes[16], pages;

	for (uint64_t id = 1; id <= 6; id++)
		put(f, id, id == 3 ? 2000 : 10, 0);
	pages = read_all(f, 10, 1000, 0, ids, &n, sizes, 16);
	assert_ids(ids, n, want, 5);
	assert_int_equal(pages, 2);
	assert_int_equal(sizes[0], 2);
	assert_int_equal(sizes[1], 3);
}

static void
only_big_entries(void **state)
{
	mfx_t *f = *state;
	uint64_t ids[MAXROWS];
	size_t n, sizes[16], pages;

	put(f, 1, 2000, 0);
	put(f, 2, 2000, 0);
	pages = read_all(f, 10, 1000, 0, ids, &n, sizes, 16);
	assert_int_equal(pages, 1);
	assert_int_equal(n, 0);
}

static void
filtered_rows_move_cursor(void **state)
{
	mfx_t *f = *state;
	static const uint64_t even[] = { 2, 4, 6, 8 };
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff };
	static page_out_t p;
	uint64_t ids[MAXROWS];
	size_t n, sizes[16], pages;
	uint8_t key[8];

	/* Odd ids archived, and 10: the list ends with filtered rows. */
	for (uint64_t id = 1; id <= 10; id++)
		put(f, id, 10, id % 2 == 1 || id == 10);
	/* A record that does not unpack is not listed either. */
	kt_store_be64(key, 11);
	put_raw(f, key, 8, junk, sizeof(junk));

	built = 0;
	pages = read_all(f, 2, 1 << 20, 0, ids, &n, sizes, 16);
	assert_ids(ids, n, even, 4);
	/* The second page looked at the rest: no third, empty one. */
	assert_int_equal(pages, 2);
	/* Each entry built once, except the one after a full page. */
	assert_int_equal(built, 11 + 1);

	/* A page of filtered rows only. */
	read_page(f, NULL, 0, 1, 1 << 20, 0, &p);
	assert_int_equal(p.n, 1);
	assert_true(p.ids[0] == 2);
	p.next[0] = TAG;
	kt_store_be64(p.next + 1, 8);
	read_page(f, p.next, 9, 1, 1 << 20, 0, &p);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.next_len, 0);

	/* With include_all, all but the undecodable one. */
	read_page(f, NULL, 0, 0, 1 << 20, 1, &p);
	assert_int_equal(p.n, 10);
	assert_int_equal(p.next_len, 0);
}

static void
empty_database(void **state)
{
	mfx_t *f = *state;
	static page_out_t p;
	uint8_t c[9];

	built = 0;
	read_page(f, NULL, 0, 10, 1 << 20, 0, &p);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.next_len, 0);
	c[0] = TAG;
	kt_store_be64(c + 1, 5);
	read_page(f, c, 9, 0, 1 << 20, 0, &p);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.next_len, 0);
	assert_int_equal(built, 0);
}

static void
other_key_sizes_skipped(void **state)
{
	mfx_t *f = *state;
	static const uint64_t want[] = { 1, 2 };
	uint64_t ids[MAXROWS];
	size_t n, sizes[16];

	put(f, 1, 10, 0);
	put(f, 2, 10, 0);
	/* Keys of other sizes sort between and after them; the builder
	 * asserts that it sees only 8-byte keys. */
	put_raw(f, "\0\0\0\0\0\0\0\1x", 9, "", 0);
	put_raw(f, "\xff\xff", 2, "", 0);
	put_raw(f, "\xff\xff\xff\xff\xff\xff\xff\xff\xff", 9, "", 0);
	(void)read_all(f, 1, 1 << 20, 0, ids, &n, sizes, 16);
	assert_ids(ids, n, want, 2);
}

static void
builder_error_returned(void **state)
{
	mfx_t *f = *state;
	static page_out_t p;

	for (uint64_t id = 1; id <= 5; id++)
		put(f, id, 10, 0);
	fail_at = 3;
	read_page(f, NULL, 0, 10, 1 << 20, 0, &p);
	fail_at = 0;
	assert_int_equal(p.rc, KT_ENOMEM);
}

#define T(name) cmocka_unit_test_setup_teardown(name, mfx_setup, mfx_teardown)

static const struct CMUnitTest tests[] = {
	T(pages_through_all),
	T(limit_capped),
	T(cursor_validation),
	T(budget_ends_page),
	T(too_big_entry_skipped),
	T(only_big_entries),
	T(filtered_rows_move_cursor),
	T(empty_database),
	T(other_key_sizes_skipped),
	T(builder_error_returned),
};

KT_TEST_MAIN(tests)
