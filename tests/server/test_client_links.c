/* SPDX-License-Identifier: MIT */
/* Tests for server/model/client_links.c against a temporary store: a purge
 * removes the client's activity record and leaves other clients' alone; a
 * merge gives the card that stays what the other had; the detail names
 * every store. Each store of the working day adds its own case here. */
#include "server/model_fixture.h"

#include "model/client_activity.h"
#include "model/client_links.h"
#include "model/interaction_store.h"
#include "model/deal_store.h"
#include "model/task_store.h"

static void
purge_drops_activity(void **state)
{
	mfx_t *f = *state;
	kt_activity_t a = { .interactions = 2, .last_interaction_at = 100 }, g;
	kt_links_count_t n;
	MDB_txn *txn;

	assert_int_equal(kt_activity_put(mfx_wbegin(f), f->db, 1, &a), 0);
	assert_int_equal(kt_activity_put(f->txn, f->db, 2, &a), 0);
	mfx_commit(f);
	assert_int_equal(kt_client_links_purge(mfx_wbegin(f), f->db, 1, 200,
	    &n), 0);
	mfx_commit(f);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_activity_get(txn, f->db, 1, &g), 0);
	assert_int_equal(g.interactions, 0);
	assert_int_equal(kt_activity_get(txn, f->db, 2, &g), 0);
	assert_int_equal(g.interactions, 2);
	kt_store_read_end(f->st, txn);
}

/* An entry of client at `at`, in f's write transaction. */
static uint64_t
add_note(mfx_t *f, uint64_t client, int64_t at)
{
	Ktstore__InteractionRecord rec = KTSTORE__INTERACTION_RECORD__INIT;

	rec.client = client;
	rec.at = at;
	rec.channel = 1;
	rec.topic = "t";
	assert_int_equal(kt_istore_add(f->st, f->txn, &rec), 0);
	return rec.id;
}

static void
purge_and_move_interactions(void **state)
{
	mfx_t *f = *state;
	Ktstore__InteractionRecord *out[8];
	kt_links_count_t n;
	kt_activity_t g;
	size_t got;
	int more;

	mfx_wbegin(f);
	add_note(f, 1, 100);
	add_note(f, 1, 300);
	add_note(f, 2, 200);
	add_note(f, 3, 50);
	mfx_commit(f);
	/* Merge 1 into 2: both of 1's entries move, 2 counts three. */
	assert_int_equal(kt_client_links_move(mfx_wbegin(f), f->db, 1, 2, 400,
	    &n), 0);
	assert_int_equal(n.interactions, 2);
	assert_int_equal(kt_activity_get(f->txn, f->db, 2, &g), 0);
	assert_int_equal(g.interactions, 3);
	assert_int_equal(g.last_interaction_at, 300);
	assert_int_equal(kt_activity_get(f->txn, f->db, 1, &g), 0);
	assert_int_equal(g.interactions, 0);
	assert_int_equal(kt_istore_page(f->txn, f->db, 1, NULL, 8, NULL, out,
	    &got, &more), 0);
	assert_int_equal(got, 0);
	mfx_commit(f);
	/* Purge 2: its three go, 3's one stays. */
	assert_int_equal(kt_client_links_purge(mfx_wbegin(f), f->db, 2, 500,
	    &n), 0);
	assert_int_equal(n.interactions, 3);
	assert_int_equal(mfx_entries(f->txn, f->db->interactions), 1);
	assert_int_equal(mfx_entries(f->txn, f->db->interaction_ix), 1);
	assert_int_equal(kt_activity_get(f->txn, f->db, 3, &g), 0);
	assert_int_equal(g.interactions, 1);
	mfx_commit(f);
}

/* Deals: a purge deletes the client's, a merge gives them to the card
 * that stays, each counted, and both activity records follow. */
static void
purge_and_move_deals(void **state)
{
	mfx_t *f = *state;
	Ktstore__DealRecord d = KTSTORE__DEAL_RECORD__INIT;
	kt_links_count_t n;
	kt_activity_t g;
	MDB_txn *txn;

	d.title = "Курс";
	d.currency = "RUB";
	d.stage = 1;
	d.created_at = 100;
	for (uint64_t c = 1; c <= 3; c++) {
		d.client = c;
		assert_int_equal(kt_deal_add(f->st, mfx_wbegin(f), &d), 0);
		mfx_commit(f);
	}
	assert_int_equal(kt_client_links_move(mfx_wbegin(f), f->db, 1, 2, 200,
	    &n), 0);
	mfx_commit(f);
	assert_int_equal(n.deals, 1);
	assert_int_equal(kt_client_links_purge(mfx_wbegin(f), f->db, 3, 300,
	    &n), 0);
	mfx_commit(f);
	assert_int_equal(n.deals, 1);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_activity_get(txn, f->db, 1, &g), 0);
	assert_int_equal(g.open_deals, 0);
	assert_int_equal(kt_activity_get(txn, f->db, 2, &g), 0);
	assert_int_equal(g.open_deals, 2);
	assert_int_equal(kt_activity_get(txn, f->db, 3, &g), 0);
	assert_int_equal(g.open_deals, 0);
	assert_int_equal(mfx_entries(txn, f->db->deals), 2);
	kt_store_read_end(f->st, txn);
}

/* A task of client with due due. */
static uint64_t
add_task(mfx_t *f, uint64_t client, int64_t due)
{
	Ktstore__TaskRecord t = KTSTORE__TASK_RECORD__INIT;

	t.client = client;
	t.assignee = t.author = 2;
	t.branch = 1;
	t.due_at = due;
	t.title = "call";
	assert_int_equal(kt_task_add(f->st, f->txn, &t), 0);
	return t.id;
}

static void
purge_drops_tasks(void **state)
{
	mfx_t *f = *state;
	kt_links_count_t n;
	Ktstore__TaskRecord *t = NULL;
	uint64_t a, b;

	mfx_wbegin(f);
	a = add_task(f, 1, 100);
	b = add_task(f, 2, 200);
	(void)add_task(f, 1, 300);
	mfx_commit(f);
	assert_int_equal(kt_client_links_purge(mfx_wbegin(f), f->db, 1, 400,
	    &n), 0);
	assert_int_equal(n.tasks, 2);
	assert_int_equal(kt_task_get(f->txn, f->db, a, &t), KT_ENOTFOUND);
	assert_int_equal(kt_task_get(f->txn, f->db, b, &t), 0);
	ktstore__task_record__free_unpacked(t, NULL);
	mfx_commit(f);
}

static void
merge_moves_tasks(void **state)
{
	mfx_t *f = *state;
	kt_links_count_t n;
	Ktstore__TaskRecord *t = NULL;
	uint64_t a;

	mfx_wbegin(f);
	a = add_task(f, 1, 100);
	mfx_commit(f);
	assert_int_equal(kt_client_links_move(mfx_wbegin(f), f->db, 1, 2, 400,
	    &n), 0);
	assert_int_equal(n.tasks, 1);
	assert_int_equal(kt_task_get(f->txn, f->db, a, &t), 0);
	assert_int_equal(t->client, 2);
	assert_int_equal(t->updated_at, 400);
	ktstore__task_record__free_unpacked(t, NULL);
	mfx_commit(f);
}

static void
detail_names_every_store(void **state)
{
	kt_links_count_t n = { .interactions = 3, .deals = 1, .tasks = 0 };
	char buf[80];

	(void)state;
	kt_client_links_detail(&n, buf, sizeof(buf));
	assert_string_equal(buf, "interactions 3, deals 1, tasks 0");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, mfx_setup, mfx_teardown)
static const struct CMUnitTest tests[] = {
	T(purge_drops_activity),
	T(purge_drops_tasks),
	T(merge_moves_tasks),
	T(detail_names_every_store),
	T(purge_and_move_interactions),
	T(purge_and_move_deals),
};

KT_TEST_MAIN(tests)
