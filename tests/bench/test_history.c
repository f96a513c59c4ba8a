/* SPDX-License-Identifier: MIT */
/* Tests for tests/bench/history.c, the demo's working history: on a base
 * of 300 generated families it gives the agenda something in each of its
 * sections (overdue tasks, subscriptions to renew this week, clients to
 * re-offer, quiet clients), every deal passes the checks `deal add`
 * makes, and the same family at the same day gets the same history. */
#include <time.h>

#include "server/model_fixture.h"

#include "families.h"
#include "history.h"
#include "kartoteka.pb-c.h"
#include "model/client_activity.h"
#include "model/deal_store.h"
#include "model/task_store.h"

#define FAMILIES 300u
#define DAY 86400

/* A fixed "now": 15 June 2026, noon local time. */
static int64_t
fixed_now(void)
{
	struct tm tm = { .tm_year = 126, .tm_mon = 5, .tm_mday = 15,
		.tm_hour = 12, .tm_isdst = -1 };

	return (int64_t)mktime(&tm);
}

static kt_history_counts_t
seed(mfx_t *f, int64_t now)
{
	kt_history_counts_t n = { 0 };
	MDB_txn *txn = mfx_wbegin(f);

	for (uint64_t k = 1; k <= FAMILIES; k++) {
		kt_family_t fam;

		kt_family_make(k, 0, &fam);
		assert_true(kt_history_created_at(&fam, now) < now);
		assert_int_equal(kt_history_put(f->st, txn, &fam, k, 1, 2, now,
		    &n), 0);
	}
	mfx_commit(f);
	return n;
}

static int
count_deal(const Ktstore__DealRecord *d, void *arg)
{
	(void)d;
	(*(size_t *)arg)++;
	return 0;
}

static int
check_deal(const Ktstore__DealRecord *d, void *arg)
{
	char why[128];

	(void)arg;
	assert_int_equal(kt_deal_check(d, why, sizeof(why)), 0);
	assert_int_equal(d->branch, 1);
	assert_int_equal(d->manager, 2);
	return 0;
}

static int
count_task(const Ktstore__TaskRecord *t, const uint8_t *pos, void *arg)
{
	(void)t;
	(void)pos;
	(*(size_t *)arg)++;
	return 0;
}

static uint32_t
yyyymmdd(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	return (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday);
}

static void
every_agenda_section_has_lines(void **state)
{
	mfx_t *f = *state;
	int64_t now = fixed_now();
	kt_history_counts_t n = seed(f, now);
	kt_task_range_t overdue = { .kind = KT_TASK_IX_ASSIGNEE, .scope = 2,
		.due_to = now - DAY };
	size_t renewals = 0, late = 0, reoffer = 0, quiet = 0;
	MDB_txn *txn;

	assert_true(n.interactions > FAMILIES);
	assert_true(n.won > FAMILIES / 2);
	assert_true(n.open_deals > 0 && n.open_deals < n.deals);
	assert_true(n.open_tasks > 0 && n.open_tasks < n.tasks);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_deal_renewals_due(txn, f->db, yyyymmdd(now),
	    yyyymmdd(now + 7 * DAY), NULL, count_deal, &renewals), 0);
	assert_true(renewals > 0);
	assert_int_equal(kt_task_scan(txn, f->db, &overdue, count_task, &late),
	    0);
	assert_true(late > 0);
	for (uint64_t k = 1; k <= FAMILIES; k++) {
		kt_activity_t a;

		assert_int_equal(kt_activity_get(txn, f->db, k, &a), 0);
		reoffer += a.last_won_at >= now - 365 * DAY &&
		    a.last_won_at < now - 334 * DAY;
		quiet += a.last_interaction_at < now - 90 * DAY;
	}
	assert_true(reoffer > 0);
	assert_true(quiet > 0 && quiet < FAMILIES / 2);
	kt_store_read_end(f->st, txn);
}

static void
deals_pass_the_checks_of_deal_add(void **state)
{
	mfx_t *f = *state;
	kt_deal_query_t q = { .branch = 1 };
	uint8_t next[KT_DEAL_CURSOR_MAX], cur[KT_DEAL_CURSOR_MAX];
	size_t nnext = 0;
	MDB_txn *txn;

	(void)seed(f, fixed_now());
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_deal_walk(txn, f->db, &q, NULL, 0, check_deal, NULL,
	    next, &nnext), 0);
	while (nnext > 0) {
		memcpy(cur, next, nnext);
		assert_int_equal(kt_deal_walk(txn, f->db, &q, cur, nnext,
		    check_deal, NULL, next, &nnext), 0);
	}
	kt_store_read_end(f->st, txn);
}

static void
same_family_same_history(void **state)
{
	mfx_t *f = *state;
	int64_t now = fixed_now();
	kt_history_counts_t a = { 0 }, b = { 0 };
	kt_family_t fam;
	MDB_txn *txn = mfx_wbegin(f);

	for (uint64_t k = 1; k <= 20; k++) {
		kt_family_make(k, 0, &fam);
		assert_int_equal(kt_history_put(f->st, txn, &fam, k, 1, 2, now,
		    &a), 0);
		assert_int_equal(kt_history_put(f->st, txn, &fam, 100 + k, 1, 2,
		    now + 3600, &b), 0);
	}
	mfx_commit(f);
	assert_memory_equal(&a, &b, sizeof(a));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, mfx_setup, mfx_teardown)
static const struct CMUnitTest tests[] = {
	T(every_agenda_section_has_lines),
	T(deals_pass_the_checks_of_deal_add),
	T(same_family_same_history),
};

KT_TEST_MAIN(tests)
