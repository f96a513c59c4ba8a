/* SPDX-License-Identifier: MIT */
/* Tests for server/model/client_links.c against a temporary store: a purge
 * removes the client's activity record and leaves other clients' alone; a
 * merge gives the card that stays what the other had; the detail names
 * every store. Each store of the working day adds its own case here. */
#include "server/model_fixture.h"

#include "model/client_activity.h"
#include "model/client_links.h"
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
};

KT_TEST_MAIN(tests)
