/* SPDX-License-Identifier: MIT */
/* Tests for server/model/alert_store.c against a temporary store: alerts
 * get ids in order, page newest first with and without the acknowledged
 * ones, and are acknowledged once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/model_fixture.h"

#include "model/alert_store.h"

static uint64_t
raise_one(mfx_t *f, kt_alert_kind_t kind, uint64_t user, uint64_t count)
{
	kt_alert_t a = { .kind = kind, .user = user, .count = count,
		.limit = 200, .detail = "views", .time_ms = 1800000000000 };
	uint64_t id = 0;

	assert_int_equal(kt_alert_raise(f->st, mfx_wbegin(f), &a, &id), 0);
	mfx_commit(f);
	return id;
}

static void
raise_and_get(void **state)
{
	mfx_t *f = *state;
	uint8_t term[32];
	kt_alert_t a = { .kind = KT_ALERT_MERGE, .user = 3, .client = 10,
		.other = 11, .terminal = term, .detail = "phone" };
	Ktstore__AlertRecord *rec = NULL;
	MDB_txn *txn;
	uint64_t id = 0;

	memset(term, 0xab, sizeof(term));
	assert_int_equal(kt_alert_raise(f->st, mfx_wbegin(f), &a, &id), 0);
	mfx_commit(f);
	assert_true(id == 1);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_alert_get(txn, f->db, id, &rec), 0);
	assert_int_equal(rec->kind, KT_ALERT_MERGE);
	assert_true(rec->user_id == 3 && rec->client_id == 10 &&
	    rec->other_id == 11);
	assert_int_equal(rec->terminal_key.len, 32);
	assert_int_equal(rec->terminal_key.data[31], 0xab);
	assert_true(rec->time_ms > 0);
	assert_string_equal(rec->detail, "phone");
	ktstore__alert_record__free_unpacked(rec, NULL);
	assert_int_equal(kt_alert_get(txn, f->db, 99, &rec), KT_ENOTFOUND);
	kt_store_read_end(f->st, txn);
}

static void
kinds_have_names(void **state)
{
	(void)state;
	for (unsigned k = 1; k < KT_ALERT_KIND_COUNT; k++) {
		const char *n = kt_alert_kind_name((kt_alert_kind_t)k);
		assert_true(n[0] != '\0');
		assert_true(kt_alert_kind_what((kt_alert_kind_t)k)[0] != '\0');
		assert_int_equal(kt_alert_kind_by_name(n), k);
		for (unsigned j = 1; j < k; j++)
			assert_string_not_equal(n,
			    kt_alert_kind_name((kt_alert_kind_t)j));
	}
	assert_string_equal(kt_alert_kind_name(KT_ALERT_NONE), "");
	assert_string_equal(kt_alert_kind_name(KT_ALERT_KIND_COUNT), "");
	assert_int_equal(kt_alert_kind_by_name("no.such"), KT_ALERT_NONE);
	assert_int_equal(kt_alert_kind_by_name(NULL), KT_ALERT_NONE);
}

typedef struct seen {
	uint64_t ids[16];
	size_t n;
} seen_t;

static int
collect(const Ktstore__AlertRecord *rec, void *arg)
{
	seen_t *s = arg;

	assert_true(s->n < 16);
	s->ids[s->n++] = rec->id;
	return 0;
}

static seen_t
page(mfx_t *f, uint64_t before, int all, size_t limit, uint64_t *next)
{
	seen_t s = { { 0 }, 0 };
	MDB_txn *txn;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_alert_each(txn, f->db, before, all, limit,
	    collect, &s, next), 0);
	kt_store_read_end(f->st, txn);
	return s;
}

static void
paged_newest_first(void **state)
{
	mfx_t *f = *state;
	uint64_t next = 0, n = 0;
	MDB_txn *txn;
	seen_t s;

	for (unsigned i = 0; i < 5; i++)
		raise_one(f, KT_ALERT_QUOTA_WARN, i + 1, 160);
	s = page(f, 0, 0, 2, &next);
	assert_int_equal(s.n, 2);
	assert_true(s.ids[0] == 5 && s.ids[1] == 4);
	assert_true(next == 4);
	s = page(f, next, 0, 2, &next);
	assert_int_equal(s.n, 2);
	assert_true(s.ids[0] == 3 && s.ids[1] == 2);
	s = page(f, next, 0, 2, &next);
	assert_int_equal(s.n, 1);
	assert_true(s.ids[0] == 1);
	assert_true(next == 0);
	/* A cursor past the newest starts at the newest. */
	s = page(f, 100, 0, 0, &next);
	assert_int_equal(s.n, 5);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_alert_open_count(txn, f->db, &n), 0);
	kt_store_read_end(f->st, txn);
	assert_true(n == 5);
}

static void
ack_once(void **state)
{
	mfx_t *f = *state;
	uint64_t next, n = 0;
	MDB_txn *txn;
	seen_t s;

	raise_one(f, KT_ALERT_QUOTA_SPENT, 1, 200);
	raise_one(f, KT_ALERT_QUOTA_SPENT, 2, 200);
	assert_int_equal(kt_alert_ack(mfx_wbegin(f), f->db, 1, 9, 1800000000),
	    0);
	mfx_commit(f);
	assert_int_equal(kt_alert_ack(mfx_wbegin(f), f->db, 1, 9, 1800000001),
	    KT_EEXIST);
	assert_int_equal(kt_alert_ack(f->txn, f->db, 7, 9, 1800000001),
	    KT_ENOTFOUND);
	mfx_abort(f);
	s = page(f, 0, 0, 0, &next);
	assert_int_equal(s.n, 1);
	assert_true(s.ids[0] == 2);
	s = page(f, 0, 1, 0, &next);
	assert_int_equal(s.n, 2);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_alert_open_count(txn, f->db, &n), 0);
	kt_store_read_end(f->st, txn);
	assert_true(n == 1);
}

static void
raise_refuses_no_kind(void **state)
{
	mfx_t *f = *state;
	kt_alert_t a = { .kind = KT_ALERT_NONE };

	assert_int_equal(kt_alert_raise(f->st, mfx_wbegin(f), &a, NULL),
	    KT_EINVAL);
	a.kind = KT_ALERT_KIND_COUNT;
	assert_int_equal(kt_alert_raise(f->st, f->txn, &a, NULL), KT_EINVAL);
	assert_int_equal(kt_alert_raise(f->st, f->txn, NULL, NULL), KT_EINVAL);
	mfx_abort(f);
}

#define T(name) cmocka_unit_test_setup_teardown(name, mfx_setup, mfx_teardown)

static const struct CMUnitTest tests[] = {
	T(raise_and_get),
	T(kinds_have_names),
	T(paged_newest_first),
	T(ack_once),
	T(raise_refuses_no_kind),
};

KT_TEST_MAIN(tests)
