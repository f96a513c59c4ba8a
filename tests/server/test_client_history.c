/* SPDX-License-Identifier: MIT */
/* Tests for server/model/client_history.c against a temporary store:
 * versions page newest first and stay apart per card, a purge drops them
 * all, and the schema-3 step starts every live card's history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/model_fixture.h"

#include "model/client_history.h"
#include "model/client_store.h"

static void
put_version(mfx_t *f, uint64_t id, uint64_t version, const char *title)
{
	Ktstore__ClientRecord c = KTSTORE__CLIENT_RECORD__INIT;
	uint8_t term[32];
	kt_chist_who_t who = { .time = 1800000000 + (int64_t)version,
		.user = 7, .terminal = term, .action = "client.edit",
		.fields = 1 };

	memset(term, 0x5a, sizeof(term));
	c.id = id;
	c.version = version;
	c.title = (char *)title;
	assert_int_equal(kt_chist_put(mfx_wbegin(f), f->db, &c, &who), 0);
	mfx_commit(f);
}

typedef struct got {
	uint64_t versions[16];
	size_t n;
} got_t;

static int
collect(const Ktstore__ClientVersionRecord *v, void *arg)
{
	got_t *g = arg;

	assert_true(g->n < 16);
	assert_non_null(v->card);
	g->versions[g->n++] = v->card->version;
	return 0;
}

static got_t
walk(mfx_t *f, uint64_t id, uint64_t before, size_t limit, uint64_t *next)
{
	got_t g = { { 0 }, 0 };
	MDB_txn *txn;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_chist_each(txn, f->db, id, before, limit, collect,
	    &g, next), 0);
	kt_store_read_end(f->st, txn);
	return g;
}

static void
versions_page_newest_first(void **state)
{
	mfx_t *f = *state;
	Ktstore__ClientVersionRecord *v = NULL;
	uint64_t next = 0;
	MDB_txn *txn;
	got_t g;

	for (uint64_t i = 1; i <= 5; i++)
		put_version(f, 2, i, "B");
	put_version(f, 1, 1, "A");
	put_version(f, 3, 1, "C");
	g = walk(f, 2, 0, 2, &next);
	assert_int_equal(g.n, 2);
	assert_true(g.versions[0] == 5 && g.versions[1] == 4);
	assert_true(next == 4);
	g = walk(f, 2, next, 0, &next);
	assert_int_equal(g.n, 3);
	assert_true(g.versions[0] == 3 && g.versions[2] == 1);
	assert_true(next == 0);
	/* The last card and a card without history. */
	g = walk(f, 3, 0, 0, &next);
	assert_int_equal(g.n, 1);
	g = walk(f, 9, 0, 0, &next);
	assert_int_equal(g.n, 0);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_chist_get(txn, f->db, 2, 3, NULL, &v), 0);
	assert_string_equal(v->card->title, "B");
	assert_true(v->user_id == 7 && v->time == 1800000003);
	assert_string_equal(v->action, "client.edit");
	assert_int_equal(v->terminal_key.len, 32);
	ktstore__client_version_record__free_unpacked(v, NULL);
	assert_int_equal(kt_chist_get(txn, f->db, 2, 6, NULL, &v),
	    KT_ENOTFOUND);
	kt_store_read_end(f->st, txn);
}

static void
drop_removes_one_card(void **state)
{
	mfx_t *f = *state;
	uint64_t next;
	size_t n = 0;

	for (uint64_t i = 1; i <= 3; i++) {
		put_version(f, 1, i, "A");
		put_version(f, 2, i, "B");
	}
	assert_int_equal(kt_chist_drop(mfx_wbegin(f), f->db, 1, &n), 0);
	mfx_commit(f);
	assert_int_equal(n, 3);
	assert_int_equal(walk(f, 1, 0, 0, &next).n, 0);
	assert_int_equal(walk(f, 2, 0, 0, &next).n, 3);
	assert_int_equal(kt_chist_drop(mfx_wbegin(f), f->db, 1, &n), 0);
	mfx_commit(f);
	assert_int_equal(n, 0);
}

static void
migrate_starts_history(void **state)
{
	mfx_t *f = *state;
	Ktstore__ClientRecord a = KTSTORE__CLIENT_RECORD__INIT,
	    b = KTSTORE__CLIENT_RECORD__INIT;
	Ktstore__ClientVersionRecord *v = NULL;
	MDB_txn *txn;
	uint64_t next;

	a.id = 1;
	a.version = 4;
	a.title = "Ивановы";
	a.created_by = 3;
	a.updated_at = 1800000000;
	b.id = 2;
	b.version = 2;
	b.purged = 1;
	txn = mfx_wbegin(f);
	assert_int_equal(kt_cstore_put(txn, f->db, NULL, &a, NULL), 0);
	assert_int_equal(kt_cstore_put(txn, f->db, NULL, &b, NULL), 0);
	mfx_commit(f);
	assert_int_equal(walk(f, 1, 0, 0, &next).n, 0);
	assert_int_equal(kt_chist_migrate_v3(f->st, mfx_wbegin(f)), 0);
	mfx_commit(f);
	assert_int_equal(walk(f, 2, 0, 0, &next).n, 0);  /* purged: none */
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_chist_get(txn, f->db, 1, 4, NULL, &v), 0);
	assert_string_equal(v->card->title, "Ивановы");
	assert_string_equal(v->action, "history.start");
	assert_true(v->user_id == 3 && v->time == 1800000000);
	ktstore__client_version_record__free_unpacked(v, NULL);
	kt_store_read_end(f->st, txn);
}

#define T(name) cmocka_unit_test_setup_teardown(name, mfx_setup, mfx_teardown)

static const struct CMUnitTest tests[] = {
	T(versions_page_newest_first),
	T(drop_removes_one_card),
	T(migrate_starts_history),
};

KT_TEST_MAIN(tests)
