/* SPDX-License-Identifier: MIT */
/* Tests for server/model/deal_store.c against a temporary store: records
 * and every index kind follow each change, the client's activity record
 * is recomputed, field checks name the field, walks page newest first
 * behind a checked cursor, renewals due skip renewed and lost
 * subscriptions, "won in a period" reads the 'w' and 'W' keys, and
 * purge, move (merge) and offboarding. */
#include "server/model_fixture.h"

#include "kartoteka.pb-c.h"
#include "model/client_activity.h"
#include "model/client_store.h"
#include "model/deal_store.h"

#define NEW KARTOTEKA__DEAL_STAGE__STAGE_NEW
#define PROGRESS KARTOTEKA__DEAL_STAGE__STAGE_PROGRESS
#define WON KARTOTEKA__DEAL_STAGE__STAGE_WON
#define LOST KARTOTEKA__DEAL_STAGE__STAGE_LOST

/* A new deal of client run by manager, created at t (committed). */
static uint64_t
add(mfx_t *f, uint64_t client, uint64_t manager, int64_t t, const char *from,
    const char *to, uint64_t renews)
{
	Ktstore__DealRecord d = KTSTORE__DEAL_RECORD__INIT;

	d.client = client;
	d.manager = manager;
	d.author = manager;
	d.branch = 1;
	d.title = "Английский, абонемент";
	d.currency = "RUB";
	d.amount = 1250000;
	d.stage = NEW;
	d.created_at = t;
	d.valid_from = (char *)from;
	d.valid_to = (char *)to;
	d.renews = renews;
	assert_int_equal(kt_deal_add(f->st, mfx_wbegin(f), &d), 0);
	mfx_commit(f);
	assert_int_equal(d.version, 1);
	return d.id;
}

/* Moves deal id to stage, closed at t when won or lost (committed). */
static void
stage(mfx_t *f, uint64_t id, uint32_t s, int64_t t)
{
	Ktstore__DealRecord *old = NULL, *next = NULL;
	MDB_txn *txn = mfx_wbegin(f);

	assert_int_equal(kt_deal_get(txn, f->db, id, NULL, &old), 0);
	assert_int_equal(kt_deal_get(txn, f->db, id, NULL, &next), 0);
	next->stage = s;
	next->closed_at = kt_deal_open(s) ? 0 : t;
	assert_int_equal(kt_deal_put(txn, f->db, old, next), 0);
	assert_int_equal(next->version, old->version + 1);
	ktstore__deal_record__free_unpacked(old, NULL);
	ktstore__deal_record__free_unpacked(next, NULL);
	mfx_commit(f);
}

static kt_activity_t
activity(mfx_t *f, uint64_t client)
{
	kt_activity_t a;
	MDB_txn *txn;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_activity_get(txn, f->db, client, &a), 0);
	kt_store_read_end(f->st, txn);
	return a;
}

/* Index entries of kind. */
static size_t
ix_count(mfx_t *f, uint8_t kind)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	size_t n = 0;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(mdb_cursor_open(txn, f->db->deal_ix, &cur), 0);
	while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0)
		n += ((const uint8_t *)k.mv_data)[0] == kind;
	mdb_cursor_close(cur);
	kt_store_read_end(f->st, txn);
	return n;
}

static void
add_indexes_and_counts(void **state)
{
	mfx_t *f = *state;
	uint64_t id = add(f, 7, 3, 1000, "", "", 0);
	Ktstore__DealRecord *d = NULL;
	kt_activity_t a;
	MDB_txn *txn;

	assert_int_equal(id, 1);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_deal_get(txn, f->db, id, NULL, &d), 0);
	assert_string_equal(d->title, "Английский, абонемент");
	assert_int_equal(d->client, 7);
	ktstore__deal_record__free_unpacked(d, NULL);
	assert_int_equal(kt_deal_get(txn, f->db, 99, NULL, &d), KT_ENOTFOUND);
	kt_store_read_end(f->st, txn);
	assert_int_equal(ix_count(f, KT_DIX_CLIENT), 1);
	assert_int_equal(ix_count(f, KT_DIX_MANAGER), 1);
	assert_int_equal(ix_count(f, KT_DIX_BRANCH), 1);
	assert_int_equal(ix_count(f, KT_DIX_STAGE), 1);
	assert_int_equal(ix_count(f, KT_DIX_CREATED), 1);
	assert_int_equal(ix_count(f, KT_DIX_WON), 0);
	assert_int_equal(ix_count(f, KT_DIX_VALID_TO), 0);
	a = activity(f, 7);
	assert_int_equal(a.open_deals, 1);
	assert_int_equal(a.last_deal_at, 1000);
	assert_int_equal(a.last_won_at, 0);
}

static void
stage_moves_indexes_and_activity(void **state)
{
	mfx_t *f = *state;
	uint64_t a1 = add(f, 7, 3, 1000, "", "", 0);
	kt_activity_t a;
	MDB_txn *txn;

	(void)add(f, 7, 3, 2000, "", "", 0);
	a = activity(f, 7);
	assert_int_equal(a.open_deals, 2);
	assert_int_equal(a.last_deal_at, 2000);
	stage(f, a1, WON, 5000);
	a = activity(f, 7);
	assert_int_equal(a.open_deals, 1);
	assert_int_equal(a.last_won_at, 5000);
	assert_int_equal(ix_count(f, KT_DIX_WON), 1);
	assert_int_equal(ix_count(f, KT_DIX_WON_AT), 1);
	assert_int_equal(ix_count(f, KT_DIX_STAGE), 2);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_deal_won_between(txn, f->db, 7, 4000, 6000), 1);
	assert_int_equal(kt_deal_won_between(txn, f->db, 7, 5000, 0), 1);
	assert_int_equal(kt_deal_won_between(txn, f->db, 7, 0, 5000), 0);
	assert_int_equal(kt_deal_won_between(txn, f->db, 7, 5001, 0), 0);
	assert_int_equal(kt_deal_won_between(txn, f->db, 8, 0, 0), 0);
	kt_store_read_end(f->st, txn);
	/* Reopened: no longer won. */
	stage(f, a1, PROGRESS, 0);
	a = activity(f, 7);
	assert_int_equal(a.open_deals, 2);
	assert_int_equal(a.last_won_at, 0);
	assert_int_equal(ix_count(f, KT_DIX_WON), 0);
	assert_int_equal(ix_count(f, KT_DIX_WON_AT), 0);
}

static void
check_names_the_field(void **state)
{
	Ktstore__DealRecord d = KTSTORE__DEAL_RECORD__INIT;
	char why[200];
	uint32_t day;

	(void)state;
	d.title = "Курс";
	d.currency = "RUB";
	assert_int_equal(kt_deal_check(&d, why, sizeof(why)), 0);
	d.title = "   ";
	assert_int_equal(kt_deal_check(&d, why, sizeof(why)), KT_EINVAL);
	assert_string_equal(why, "title: is blank");
	d.title = "";
	assert_int_equal(kt_deal_check(&d, why, sizeof(why)), KT_EINVAL);
	assert_string_equal(why, "title: is empty");
	d.title = "Курс";
	d.amount = -5;
	assert_int_equal(kt_deal_check(&d, why, sizeof(why)), KT_EINVAL);
	assert_string_equal(why, "amount: is negative");
	d.amount = KT_DEAL_AMOUNT_LIMIT;
	assert_int_equal(kt_deal_check(&d, why, sizeof(why)), KT_EINVAL);
	assert_non_null(strstr(why, "amount:"));
	d.amount = KT_DEAL_AMOUNT_LIMIT - 1;
	d.currency = "rub";
	assert_int_equal(kt_deal_check(&d, why, sizeof(why)), KT_EINVAL);
	assert_non_null(strstr(why, "currency:"));
	d.currency = "USD";
	d.valid_from = "2026-09-01";
	assert_int_equal(kt_deal_check(&d, why, sizeof(why)), KT_EINVAL);
	assert_non_null(strstr(why, "valid_from:"));
	d.valid_to = "2026-08-31";
	assert_int_equal(kt_deal_check(&d, why, sizeof(why)), KT_EINVAL);
	assert_string_equal(why, "valid_to: is before valid_from");
	d.valid_to = "2026-02-30";
	assert_int_equal(kt_deal_check(&d, why, sizeof(why)), KT_EINVAL);
	assert_string_equal(why, "valid_to: is not a date YYYY-MM-DD");
	d.valid_to = "2027-05-31";
	d.lessons = 1001;
	assert_int_equal(kt_deal_check(&d, why, sizeof(why)), KT_EINVAL);
	assert_non_null(strstr(why, "lessons:"));
	d.lessons = 1000;
	assert_int_equal(kt_deal_check(&d, why, sizeof(why)), 0);
	assert_int_equal(kt_deal_day("2026-12-31", &day), 0);
	assert_int_equal(day, 20261231);
	assert_int_equal(kt_deal_day("31.12.2026", &day), KT_EINVAL);
	assert_int_equal(kt_deal_day("2026-13-01", &day), KT_EINVAL);
}

typedef struct seen {
	uint64_t ids[16];
	size_t n, stop_at;
} seen_t;

static int
collect(const Ktstore__DealRecord *d, void *arg)
{
	seen_t *s = arg;

	if (s->stop_at && s->n == s->stop_at)
		return 1;
	s->ids[s->n++] = d->id;
	return 0;
}

static void
walk_pages_newest_first(void **state)
{
	mfx_t *f = *state;
	kt_deal_query_t q = { 0 };
	uint8_t next[KT_DEAL_CURSOR_MAX], cur[KT_DEAL_CURSOR_MAX];
	size_t nnext;
	seen_t s = { .stop_at = 2 };
	MDB_txn *txn;

	for (int i = 1; i <= 5; i++)
		(void)add(f, (uint64_t)(10 + i % 2), 3, 1000 * i, "", "", 0);
	stage(f, 2, WON, 9000);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	/* Everything, two at a time. */
	assert_int_equal(kt_deal_walk(txn, f->db, &q, NULL, 0, collect, &s,
	    next, &nnext), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], 5);
	assert_int_equal(s.ids[1], 4);
	assert_int_equal(nnext, 17);
	memcpy(cur, next, nnext);
	s.n = 0;
	s.stop_at = 0;
	assert_int_equal(kt_deal_walk(txn, f->db, &q, cur, 17, collect, &s,
	    next, &nnext), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ids[0], 3);
	assert_int_equal(s.ids[2], 1);
	assert_int_equal(nnext, 0);
	/* A cursor of another list is refused. */
	q.client = 11;
	assert_int_equal(kt_deal_walk(txn, f->db, &q, cur, 17, collect, &s,
	    next, &nnext), KT_EINVAL);
	/* One client's. */
	s.n = 0;
	assert_int_equal(kt_deal_walk(txn, f->db, &q, NULL, 0, collect, &s,
	    next, &nnext), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ids[0], 5);
	/* Created in [2000, 4000). */
	memset(&q, 0, sizeof(q));
	q.from = 2000;
	q.to = 4000;
	s.n = 0;
	assert_int_equal(kt_deal_walk(txn, f->db, &q, NULL, 0, collect, &s,
	    next, &nnext), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], 3);
	assert_int_equal(s.ids[1], 2);
	/* Won, closed in [8000, 10000): the period is the close date. */
	q.stage = WON;
	q.from = 8000;
	q.to = 10000;
	s.n = 0;
	assert_int_equal(kt_deal_walk(txn, f->db, &q, NULL, 0, collect, &s,
	    next, &nnext), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], 2);
	q.to = 9000;
	s.n = 0;
	assert_int_equal(kt_deal_walk(txn, f->db, &q, NULL, 0, collect, &s,
	    next, &nnext), 0);
	assert_int_equal(s.n, 0);
	kt_store_read_end(f->st, txn);
}

/* A walk reads at most KT_DEAL_WALK_MAX index entries: past them it
 * stops with a cursor even when nothing matched, and the next walk goes
 * on from there. */
static void
walk_stops_after_its_budget(void **state)
{
	mfx_t *f = *state;
	Ktstore__DealRecord d = KTSTORE__DEAL_RECORD__INIT;
	kt_deal_query_t q = { .branch = 1, .stage = WON };
	uint8_t next[KT_DEAL_CURSOR_MAX], cur[KT_DEAL_CURSOR_MAX];
	size_t nnext, pages = 0;
	seen_t s = { 0 };
	MDB_txn *txn = mfx_wbegin(f);

	d.title = "Курс";
	d.currency = "RUB";
	d.branch = 1;
	for (uint64_t i = 0; i < KT_DEAL_WALK_MAX + 10; i++) {
		d.client = i + 1;
		d.stage = i == 0 ? WON : NEW;   /* the oldest is the one won */
		d.created_at = (int64_t)i;
		assert_int_equal(kt_deal_add(f->st, txn, &d), 0);
	}
	mfx_commit(f);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_deal_walk(txn, f->db, &q, NULL, 0, collect, &s,
	    next, &nnext), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(nnext, 17);
	while (nnext > 0) {
		memcpy(cur, next, nnext);
		pages++;
		assert_int_equal(kt_deal_walk(txn, f->db, &q, cur, 17, collect,
		    &s, next, &nnext), 0);
	}
	kt_store_read_end(f->st, txn);
	assert_int_equal(pages, 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], 1);
}

/* With a set of clients, renewals_due keeps theirs: c (client 9's) for
 * {9}, nothing for {8} (whose one is renewed) or {7} (lost). An entry
 * written before 'v' named its client (an empty value) is read and
 * filtered by the deal's client all the same. */
static void
only_clients_are_read(mfx_t *f, uint64_t c)
{
	kt_idset_t nine = { 0 }, eight = { 0 };
	seen_t s = { 0 };
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t keys[8][13];
	size_t nv;

	assert_int_equal(kt_idset_add(&nine, 9), 0);
	assert_int_equal(kt_idset_add(&eight, 8), 0);
	assert_int_equal(kt_idset_add(&eight, 7), 0);
	kt_idset_normalize(&eight);
	for (int old = 0; old <= 1; old++) {
		assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
		s.n = 0;
		assert_int_equal(kt_deal_renewals_due(txn, f->db, 20261202,
		    20261209, &nine, collect, &s), 0);
		assert_int_equal(s.n, 1);
		assert_int_equal(s.ids[0], c);
		s.n = 0;
		assert_int_equal(kt_deal_renewals_due(txn, f->db, 20261202,
		    20261209, &eight, collect, &s), 0);
		assert_int_equal(s.n, 0);
		kt_store_read_end(f->st, txn);
		if (old)
			break;
		/* Make every 'v' entry one of before: no value. */
		txn = mfx_wbegin(f);
		assert_int_equal(mdb_cursor_open(txn, f->db->deal_ix, &cur), 0);
		nv = 0;
		while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0)
			if (((const uint8_t *)k.mv_data)[0] == KT_DIX_VALID_TO &&
			    nv < 8) {
				assert_int_equal(v.mv_size, 8);
				memcpy(keys[nv++], k.mv_data, 13);
			}
		mdb_cursor_close(cur);
		for (size_t i = 0; i < nv; i++) {
			MDB_val key = { 13, keys[i] }, empty = { 0, "" };
			assert_int_equal(mdb_put(txn, f->db->deal_ix, &key,
			    &empty, 0), 0);
		}
		mfx_commit(f);
	}
	kt_idset_free(&nine);
	kt_idset_free(&eight);
}

static void
renewals_due_skip_renewed_and_lost(void **state)
{
	mfx_t *f = *state;
	uint64_t a, b, c;
	seen_t s = { 0 };
	MDB_txn *txn;

	a = add(f, 7, 3, 1000, "2026-09-01", "2026-12-05", 0);
	b = add(f, 8, 3, 1000, "2026-09-01", "2026-12-07", 0);
	c = add(f, 9, 3, 1000, "2026-09-01", "2026-12-08", 0);
	(void)add(f, 9, 3, 1000, "2026-09-01", "2026-12-20", 0);
	/* b is renewed; c's renewal was lost, so c is still due. */
	(void)add(f, 8, 3, 2000, "2026-12-08", "2027-03-08", b);
	stage(f, add(f, 9, 3, 2000, "2026-12-09", "2027-03-09", c), LOST, 3000);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_deal_renewals_due(txn, f->db, 20261202, 20261209,
	    NULL, collect, &s), 0);
	kt_store_read_end(f->st, txn);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], a);
	assert_int_equal(s.ids[1], c);
	/* A lost subscription is no renewal call. */
	stage(f, a, LOST, 4000);
	s.n = 0;
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_deal_renewals_due(txn, f->db, 20261202, 20261209,
	    NULL, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], c);
	s.n = 0;
	assert_int_equal(kt_deal_renewals_due(txn, f->db, 20261210, 20261209,
	    NULL, collect, &s), 0);
	assert_int_equal(s.n, 0);
	kt_store_read_end(f->st, txn);
	only_clients_are_read(f, c);
}

static void
purge_move_and_offboard(void **state)
{
	mfx_t *f = *state;
	uint64_t a = add(f, 7, 3, 1000, "", "", 0);
	uint64_t b = add(f, 7, 3, 2000, "", "", 0);
	Ktstore__DealRecord *d = NULL;
	kt_activity_t act;
	size_t n = 0;
	MDB_txn *txn;

	(void)add(f, 8, 4, 3000, "", "", 0);
	stage(f, a, WON, 5000);
	/* Merge 7 into 9. */
	assert_int_equal(kt_deal_move_client(mfx_wbegin(f), f->db, 7, 9, 6000,
	    &n), 0);
	mfx_commit(f);
	assert_int_equal(n, 2);
	act = activity(f, 7);
	assert_int_equal(act.open_deals, 0);
	assert_int_equal(act.last_deal_at, 0);
	act = activity(f, 9);
	assert_int_equal(act.open_deals, 1);
	assert_int_equal(act.last_won_at, 5000);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_deal_won_between(txn, f->db, 9, 0, 0), 1);
	assert_int_equal(kt_deal_won_between(txn, f->db, 7, 0, 0), 0);
	kt_store_read_end(f->st, txn);
	/* Offboarding 3: only the open deal goes to 5. */
	assert_int_equal(kt_deal_offboard(mfx_wbegin(f), f->db, 3, 5, 7000,
	    &n), 0);
	mfx_commit(f);
	assert_int_equal(n, 1);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_deal_get(txn, f->db, b, NULL, &d), 0);
	assert_int_equal(d->manager, 5);
	assert_int_equal(d->updated_at, 7000);
	ktstore__deal_record__free_unpacked(d, NULL);
	assert_int_equal(kt_deal_get(txn, f->db, a, NULL, &d), 0);
	assert_int_equal(d->manager, 3);
	ktstore__deal_record__free_unpacked(d, NULL);
	kt_store_read_end(f->st, txn);
	/* Purge 9: its deals and every index key go; 8's stay. */
	assert_int_equal(kt_deal_purge_client(mfx_wbegin(f), f->db, 9, &n), 0);
	mfx_commit(f);
	assert_int_equal(n, 2);
	assert_int_equal(ix_count(f, KT_DIX_CLIENT), 1);
	assert_int_equal(ix_count(f, KT_DIX_WON), 0);
	assert_int_equal(ix_count(f, KT_DIX_WON_AT), 0);
	assert_int_equal(ix_count(f, KT_DIX_CREATED), 1);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(mfx_entries(txn, f->db->deals), 1);
	assert_int_equal(mfx_entries(txn, f->db->deal_ix), 5);
	kt_store_read_end(f->st, txn);
}

/* A won subscription that renews another has every kind of key at once
 * (nine): all are written, and purging its client takes them all away. */
static void
won_renewal_has_every_key(void **state)
{
	mfx_t *f = *state;
	uint64_t a = add(f, 7, 3, 1000, "2026-01-01", "2026-03-31", 0);
	uint64_t b = add(f, 7, 3, 2000, "2026-04-01", "2026-06-30", a);
	MDB_txn *txn;
	size_t n = 0;

	stage(f, a, WON, 1500);
	stage(f, b, WON, 2500);
	assert_int_equal(ix_count(f, KT_DIX_WON), 2);
	assert_int_equal(ix_count(f, KT_DIX_WON_AT), 2);
	assert_int_equal(ix_count(f, KT_DIX_VALID_TO), 2);
	assert_int_equal(ix_count(f, KT_DIX_RENEWS), 1);
	assert_int_equal(activity(f, 7).last_won_at, 2500);
	txn = mfx_wbegin(f);
	assert_int_equal(kt_deal_purge_client(txn, f->db, 7, &n), 0);
	assert_int_equal(n, 2);
	mfx_commit(f);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(mfx_entries(txn, f->db->deal_ix), 0);
	kt_store_read_end(f->st, txn);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, mfx_setup, mfx_teardown)
static const struct CMUnitTest tests[] = {
	T(add_indexes_and_counts),
	T(stage_moves_indexes_and_activity),
	T(check_names_the_field),
	T(walk_pages_newest_first),
	T(walk_stops_after_its_budget),
	T(renewals_due_skip_renewed_and_lost),
	T(purge_move_and_offboard),
	T(won_renewal_has_every_key),
};

KT_TEST_MAIN(tests)
