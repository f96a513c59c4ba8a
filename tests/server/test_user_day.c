/* SPDX-License-Identifier: MIT */
/* Tests for server/model/user_day.c against a temporary store: views and
 * distinct rows are counted per business day against the role's quota,
 * the owner is counted and never limited, and the alerts come once: 80 %,
 * 100 %, a spike over the median, the duplicate budget, a burst of
 * destructive edits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/model_fixture.h"

#include "model/alert_store.h"
#include "model/user_day.h"

#define DAY 20000u
#define NOW (20000LL * 86400 + 3600)

static kt_user_t
user(uint64_t id, uint32_t role, uint32_t views, uint32_t rows)
{
	kt_user_t u = { .id = id, .role = role, .daily_view_quota = views,
		.daily_row_quota = rows };

	snprintf(u.login, sizeof(u.login), "u%llu", (unsigned long long)id);
	return u;
}

static int
view(mfx_t *f, const kt_user_t *u, uint32_t day, uint32_t *count)
{
	kt_uday_who_t who = { .user = u, .day = day, .now = NOW };
	uint32_t limit;
	int rc = kt_uday_view(f->st, mfx_wbegin(f), &who, count, &limit);

	mfx_commit(f);
	return rc;
}

typedef struct kinds {
	unsigned n[KT_ALERT_KIND_COUNT];
	uint64_t last_count, last_limit;
} kinds_t;

static int
count_kind(const Ktstore__AlertRecord *rec, void *arg)
{
	kinds_t *k = arg;

	if (rec->kind < KT_ALERT_KIND_COUNT)
		k->n[rec->kind]++;
	if (k->last_count == 0) {
		k->last_count = rec->count;
		k->last_limit = rec->limit;
	}
	assert_null(strstr(rec->detail, "+7"));
	return 0;
}

static kinds_t
alerts(mfx_t *f)
{
	kinds_t k;
	MDB_txn *txn;

	memset(&k, 0, sizeof(k));
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_alert_each(txn, f->db, 0, 1, 0, count_kind, &k,
	    NULL), 0);
	kt_store_read_end(f->st, txn);
	return k;
}

static void
views_quota_per_day(void **state)
{
	mfx_t *f = *state;
	kt_user_t m = user(5, KARTOTEKA__ROLE__MANAGER, 10, 0);
	uint32_t count = 0;
	kinds_t k;

	for (uint32_t i = 1; i <= 10; i++) {
		assert_int_equal(view(f, &m, DAY, &count), 0);
		assert_int_equal(count, i);
	}
	assert_int_equal(view(f, &m, DAY, &count), KT_EPERM);
	assert_int_equal(count, 10);
	k = alerts(f);
	assert_int_equal(k.n[KT_ALERT_QUOTA_WARN], 1);   /* at 8 */
	assert_int_equal(k.n[KT_ALERT_QUOTA_SPENT], 1);  /* at 10 */
	assert_true(k.last_count == 10 && k.last_limit == 10);
	/* Refused again: no second alert. */
	assert_int_equal(view(f, &m, DAY, &count), KT_EPERM);
	assert_int_equal(alerts(f).n[KT_ALERT_QUOTA_SPENT], 1);
	/* The next business day starts afresh. */
	assert_int_equal(view(f, &m, DAY + 1, &count), 0);
	assert_int_equal(count, 1);
}

static void
heads_limited_owner_counted(void **state)
{
	mfx_t *f = *state;
	kt_user_t h = user(6, KARTOTEKA__ROLE__HEAD, 0, 0);
	kt_user_t o = user(1, KARTOTEKA__ROLE__OWNER, 0, 0);
	kt_uday_who_t who = { .user = &h, .day = DAY, .now = NOW };
	uint32_t count = 0, limit = 0;

	assert_int_equal(kt_uday_view(f->st, mfx_wbegin(f), &who, &count,
	    &limit), 0);
	mfx_commit(f);
	assert_int_equal(limit, KT_HEAD_VIEW_QUOTA);
	for (unsigned i = 0; i < 1000; i++)
		assert_int_equal(view(f, &o, DAY, &count), 0);
	assert_int_equal(count, 1000);
	/* The owner's own counting raises nothing. */
	assert_int_equal(alerts(f).n[KT_ALERT_SPIKE], 0);
}

static int
rows(mfx_t *f, const kt_user_t *u, uint32_t day, uint64_t first, size_t n,
    uint32_t *count, uint32_t *fresh)
{
	uint64_t ids[64];
	kt_uday_who_t who = { .user = u, .day = day, .now = NOW };
	uint32_t limit;
	int rc;

	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++)
		ids[i] = first + i;
	rc = kt_uday_rows(f->st, mfx_wbegin(f), &who, ids, n, count, fresh,
	    &limit);
	mfx_commit(f);
	return rc;
}

static void
rows_are_distinct_clients(void **state)
{
	mfx_t *f = *state;
	kt_user_t m = user(5, KARTOTEKA__ROLE__MANAGER, 0, 50);
	uint32_t count = 0, fresh = 0;
	uint64_t dup[3] = { 7, 7, 7 };
	kt_uday_who_t who = { .user = &m, .day = DAY, .now = NOW };
	uint32_t limit;

	assert_int_equal(rows(f, &m, DAY, 1, 20, &count, &fresh), 0);
	assert_true(count == 20 && fresh == 20);
	/* The same page again, and one overlapping it: only new ones. */
	assert_int_equal(rows(f, &m, DAY, 1, 20, &count, &fresh), 0);
	assert_true(count == 20 && fresh == 0);
	assert_int_equal(rows(f, &m, DAY, 11, 20, &count, &fresh), 0);
	assert_true(count == 30 && fresh == 10);
	/* One id listed three times in an answer counts once. */
	assert_int_equal(kt_uday_rows(f->st, mfx_wbegin(f), &who, dup, 3,
	    &count, &fresh, &limit), 0);
	mfx_commit(f);
	assert_true(count == 30 && fresh == 0);
	/* A page that would pass the quota is refused whole. */
	assert_int_equal(rows(f, &m, DAY, 100, 21, &count, &fresh), KT_EPERM);
	assert_true(count == 30 && fresh == 0);
	assert_int_equal(alerts(f).n[KT_ALERT_QUOTA_SPENT], 1);
	assert_int_equal(rows(f, &m, DAY, 100, 20, &count, &fresh), 0);
	assert_true(count == 50);
	/* Seen yesterday is new today. */
	assert_int_equal(rows(f, &m, DAY + 1, 1, 20, &count, &fresh), 0);
	assert_true(count == 20 && fresh == 20);
	/* ...and yesterday's seen keys were dropped at the day's start. */
	{
		MDB_txn *txn;
		assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
		assert_int_equal(mfx_entries(txn, f->db->client_seen), 20);
		kt_store_read_end(f->st, txn);
	}
}

static void
spike_over_median(void **state)
{
	mfx_t *f = *state;
	kt_user_t m = user(5, KARTOTEKA__ROLE__MANAGER, 100000, 0);
	uint32_t count = 0;

	/* Ten working days of 20 views: median 20. */
	for (uint32_t d = DAY - 10; d < DAY; d++)
		for (unsigned i = 0; i < 20; i++)
			assert_int_equal(view(f, &m, d, &count), 0);
	assert_int_equal(alerts(f).n[KT_ALERT_SPIKE], 0);
	for (unsigned i = 0; i < 60; i++)
		assert_int_equal(view(f, &m, DAY, &count), 0);
	assert_int_equal(alerts(f).n[KT_ALERT_SPIKE], 0);  /* 60 = 3 x 20 */
	assert_int_equal(view(f, &m, DAY, &count), 0);
	assert_int_equal(alerts(f).n[KT_ALERT_SPIKE], 1);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(view(f, &m, DAY, &count), 0);
	assert_int_equal(alerts(f).n[KT_ALERT_SPIKE], 1);
	{
		uint32_t mv = 0, mr = 0;
		MDB_txn *txn;
		assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
		kt_uday_median(txn, f->db, 5, DAY, &mv, &mr);
		kt_store_read_end(f->st, txn);
		assert_int_equal(mv, 20);
		assert_int_equal(mr, 0);
	}
}

static void
dup_budget_once(void **state)
{
	mfx_t *f = *state;
	kt_user_t m = user(5, KARTOTEKA__ROLE__MANAGER, 0, 0);
	kt_uday_who_t who = { .user = &m, .day = DAY, .now = NOW };
	uint32_t count = 0;

	for (uint32_t i = 1; i <= KT_DUP_BUDGET; i++) {
		assert_int_equal(kt_uday_dup(f->st, mfx_wbegin(f), &who,
		    &count), 0);
		mfx_commit(f);
		assert_int_equal(count, i);
	}
	assert_int_equal(alerts(f).n[KT_ALERT_DUP_BUDGET], 1);
	assert_int_equal(kt_uday_dup(f->st, mfx_wbegin(f), &who, &count),
	    KT_EPERM);
	mfx_commit(f);
	assert_int_equal(count, KT_DUP_BUDGET);
	assert_int_equal(alerts(f).n[KT_ALERT_DUP_BUDGET], 1);
}

static void
destructive_burst_per_hour(void **state)
{
	mfx_t *f = *state;
	kt_user_t m = user(5, KARTOTEKA__ROLE__MANAGER, 0, 0);
	kt_uday_who_t who = { .user = &m, .day = DAY, .now = NOW };
	uint32_t count = 0;

	for (uint32_t i = 1; i <= KT_DESTRUCTIVE_BURST + 3; i++) {
		assert_int_equal(kt_uday_destructive(f->st, mfx_wbegin(f), &who,
		    &count), 0);
		mfx_commit(f);
		assert_int_equal(count, i);
	}
	assert_int_equal(alerts(f).n[KT_ALERT_DESTRUCTIVE], 1);
	who.now += 3600;        /* the next hour counts afresh */
	assert_int_equal(kt_uday_destructive(f->st, mfx_wbegin(f), &who,
	    &count), 0);
	mfx_commit(f);
	assert_int_equal(count, 1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, mfx_setup, mfx_teardown)

static const struct CMUnitTest tests[] = {
	T(views_quota_per_day),
	T(heads_limited_owner_counted),
	T(rows_are_distinct_clients),
	T(spike_over_median),
	T(dup_budget_once),
	T(destructive_burst_per_hour),
};

KT_TEST_MAIN(tests)
