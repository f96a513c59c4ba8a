/* SPDX-License-Identifier: MIT */
/* Tests for server/model/client_activity.c against a temporary store: a
 * client without a record reads as all zero, a record reads back as
 * stored and stays apart per client, and an all-zero one is deleted. */
#include "server/model_fixture.h"

#include "model/client_activity.h"

static kt_activity_t
get(mfx_t *f, uint64_t client)
{
	kt_activity_t a;
	MDB_txn *txn;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_activity_get(txn, f->db, client, &a), 0);
	kt_store_read_end(f->st, txn);
	return a;
}

static void
absent_reads_zero(void **state)
{
	mfx_t *f = *state;
	kt_activity_t a = get(f, 42);

	assert_int_equal(a.last_interaction_at, 0);
	assert_int_equal(a.interactions, 0);
	assert_int_equal(a.open_deals, 0);
	assert_int_equal(a.last_won_at, 0);
	assert_int_equal(a.last_deal_at, 0);
}

static void
put_reads_back_per_client(void **state)
{
	mfx_t *f = *state;
	kt_activity_t a = { .last_interaction_at = 1800000000,
		.interactions = 3, .open_deals = 2, .last_won_at = 1790000000,
		.last_deal_at = 1795000000 }, b = { .interactions = 1 }, g;

	assert_int_equal(kt_activity_put(mfx_wbegin(f), f->db, 7, &a), 0);
	assert_int_equal(kt_activity_put(f->txn, f->db, 8, &b), 0);
	mfx_commit(f);
	g = get(f, 7);
	assert_memory_equal(&g, &a, sizeof(a));
	g = get(f, 8);
	assert_memory_equal(&g, &b, sizeof(b));
	assert_int_equal(get(f, 9).interactions, 0);
}

static void
zero_and_drop_delete(void **state)
{
	mfx_t *f = *state;
	kt_activity_t a = { .open_deals = 1 }, zero = { 0 };
	MDB_stat ms;
	MDB_txn *txn;

	assert_int_equal(kt_activity_put(mfx_wbegin(f), f->db, 7, &a), 0);
	assert_int_equal(kt_activity_put(f->txn, f->db, 8, &a), 0);
	mfx_commit(f);
	assert_int_equal(kt_activity_put(mfx_wbegin(f), f->db, 7, &zero), 0);
	assert_int_equal(kt_activity_drop(f->txn, f->db, 8), 0);
	assert_int_equal(kt_activity_drop(f->txn, f->db, 9), 0);
	mfx_commit(f);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(mdb_stat(txn, f->db->client_activity, &ms), 0);
	kt_store_read_end(f->st, txn);
	assert_int_equal(ms.ms_entries, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, mfx_setup, mfx_teardown)
static const struct CMUnitTest tests[] = {
	T(absent_reads_zero),
	T(put_reads_back_per_client),
	T(zero_and_drop_delete),
};

KT_TEST_MAIN(tests)
