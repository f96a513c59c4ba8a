/* SPDX-License-Identifier: MIT */
/* Tests for server/model/task_store.c against a temporary store: a task
 * added reads back with its id and version 1; a put bumps the version and
 * moves the index keys (a done task leaves the open range); scans walk one
 * user's or branch's tasks by due, within bounds and after a position;
 * purge deletes a client's tasks, a merge moves them (branch too), and
 * offboarding gives only the open tasks of the leaver away; who sees a
 * task, by role. */
#include "server/model_fixture.h"

#include "model/task_store.h"
#include "model/user_store.h"

static Ktstore__TaskRecord
task(uint64_t client, uint64_t assignee, uint64_t branch, int64_t due)
{
	Ktstore__TaskRecord t = KTSTORE__TASK_RECORD__INIT;

	t.client = client;
	t.assignee = assignee;
	t.author = assignee;
	t.branch = branch;
	t.due_at = due;
	t.title = "call back";
	t.kind = 1;
	t.created_at = 1000;
	return t;
}

/* Collects the ids a scan walks. */
typedef struct seen {
	uint64_t ids[16];
	size_t n;
	size_t stop_after;           /* 0: never stop */
	uint8_t pos[KT_TASK_POS_LEN];
} seen_t;

static int
note(const Ktstore__TaskRecord *t, const uint8_t *pos, void *arg)
{
	seen_t *s = arg;

	assert_true(s->n < 16);
	s->ids[s->n++] = t->id;
	memcpy(s->pos, pos, KT_TASK_POS_LEN);
	return s->stop_after != 0 && s->n == s->stop_after;
}

static seen_t
scan(mfx_t *f, uint8_t kind, uint64_t scope, int done, int64_t lo,
    int64_t hi, const uint8_t *after)
{
	kt_task_range_t r = { .kind = kind, .scope = scope, .done = done,
		.due_from = lo, .due_to = hi, .after = after };
	seen_t s = { .n = 0 };
	MDB_txn *txn;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_true(kt_task_scan(txn, f->db, &r, note, &s) >= 0);
	kt_store_read_end(f->st, txn);
	return s;
}

static void
add_reads_back(void **state)
{
	mfx_t *f = *state;
	Ktstore__TaskRecord t = task(7, 2, 1, 5000), *g = NULL;
	MDB_txn *txn;

	assert_int_equal(kt_task_add(f->st, mfx_wbegin(f), &t), 0);
	mfx_commit(f);
	assert_int_equal(t.id, 1);
	assert_int_equal(t.version, 1);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_task_get(txn, f->db, 1, &g), 0);
	assert_int_equal(g->client, 7);
	assert_int_equal(g->due_at, 5000);
	assert_string_equal(g->title, "call back");
	/* 'a', 'b' and 'c' keys */
	assert_int_equal(mfx_entries(txn, f->db->task_ix), 3);
	ktstore__task_record__free_unpacked(g, NULL);
	assert_int_equal(kt_task_get(txn, f->db, 2, &g), KT_ENOTFOUND);
	kt_store_read_end(f->st, txn);
}

static void
put_moves_keys_and_bumps_version(void **state)
{
	mfx_t *f = *state;
	Ktstore__TaskRecord t = task(0, 2, 1, 5000), *old = NULL, *n = NULL;
	seen_t s;

	assert_int_equal(kt_task_add(f->st, mfx_wbegin(f), &t), 0);
	mfx_commit(f);
	assert_int_equal(kt_task_get(mfx_wbegin(f), f->db, t.id, &old), 0);
	assert_int_equal(kt_task_get(f->txn, f->db, t.id, &n), 0);
	n->done_at = 6000;
	assert_int_equal(kt_task_put(f->txn, f->db, old, n), 0);
	assert_int_equal(n->version, 2);
	/* no client: only 'a' and 'b' keys, moved not added */
	assert_int_equal(mfx_entries(f->txn, f->db->task_ix), 2);
	mfx_commit(f);
	ktstore__task_record__free_unpacked(old, NULL);
	ktstore__task_record__free_unpacked(n, NULL);
	s = scan(f, KT_TASK_IX_ASSIGNEE, 2, 0, 0, 0, NULL);
	assert_int_equal(s.n, 0);
	s = scan(f, KT_TASK_IX_ASSIGNEE, 2, 1, 0, 0, NULL);
	assert_int_equal(s.n, 1);
	s = scan(f, KT_TASK_IX_BRANCH, 1, 1, 0, 0, NULL);
	assert_int_equal(s.n, 1);
}

static void
scan_by_due_within_bounds_and_after(void **state)
{
	mfx_t *f = *state;
	Ktstore__TaskRecord a = task(0, 2, 1, 3000), b = task(0, 2, 1, 1000),
	    c = task(0, 2, 1, 2000), d = task(0, 3, 1, 1500);
	seen_t s, t;

	assert_int_equal(kt_task_add(f->st, mfx_wbegin(f), &a), 0);
	assert_int_equal(kt_task_add(f->st, f->txn, &b), 0);
	assert_int_equal(kt_task_add(f->st, f->txn, &c), 0);
	assert_int_equal(kt_task_add(f->st, f->txn, &d), 0);
	mfx_commit(f);
	s = scan(f, KT_TASK_IX_ASSIGNEE, 2, 0, 0, 0, NULL);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ids[0], b.id);
	assert_int_equal(s.ids[1], c.id);
	assert_int_equal(s.ids[2], a.id);
	s = scan(f, KT_TASK_IX_ASSIGNEE, 2, 0, 1500, 3000, NULL);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], c.id);
	s = scan(f, KT_TASK_IX_BRANCH, 1, 0, 0, 0, NULL);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.ids[1], d.id);
	/* paging: after the second, the rest */
	{
		kt_task_range_t r = { .kind = KT_TASK_IX_BRANCH, .scope = 1 };
		MDB_txn *txn;

		s.n = 0;
		s.stop_after = 2;
		assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
		assert_int_equal(kt_task_scan(txn, f->db, &r, note, &s), 1);
		kt_store_read_end(f->st, txn);
	}
	t = scan(f, KT_TASK_IX_BRANCH, 1, 0, 0, 0, s.pos);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.ids[0], c.id);
	assert_int_equal(t.ids[1], a.id);
	s = scan(f, KT_TASK_IX_ASSIGNEE, 9, 0, 0, 0, NULL);
	assert_int_equal(s.n, 0);
}

static void
purge_deletes_a_clients_tasks(void **state)
{
	mfx_t *f = *state;
	Ktstore__TaskRecord a = task(7, 2, 1, 1000), b = task(8, 2, 1, 2000),
	    c = task(7, 3, 1, 3000);
	size_t n = 0;
	seen_t s;

	assert_int_equal(kt_task_add(f->st, mfx_wbegin(f), &a), 0);
	assert_int_equal(kt_task_add(f->st, f->txn, &b), 0);
	assert_int_equal(kt_task_add(f->st, f->txn, &c), 0);
	assert_int_equal(kt_task_purge_client(f->txn, f->db, 7, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(mfx_entries(f->txn, f->db->tasks), 1);
	assert_int_equal(mfx_entries(f->txn, f->db->task_ix), 3);
	mfx_commit(f);
	s = scan(f, KT_TASK_IX_BRANCH, 1, 0, 0, 0, NULL);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], b.id);
}

static void
merge_moves_tasks_to_the_card_that_stays(void **state)
{
	mfx_t *f = *state;
	Ktstore__TaskRecord a = task(7, 2, 1, 1000), *g = NULL;
	size_t n = 0;
	MDB_txn *txn;
	seen_t s;

	assert_int_equal(kt_task_add(f->st, mfx_wbegin(f), &a), 0);
	assert_int_equal(kt_task_move_client(f->txn, f->db, 7, 9, 4, 2000,
	    &n), 0);
	mfx_commit(f);
	assert_int_equal(n, 1);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_task_get(txn, f->db, a.id, &g), 0);
	assert_int_equal(g->client, 9);
	assert_int_equal(g->branch, 4);
	assert_int_equal(g->version, 2);
	ktstore__task_record__free_unpacked(g, NULL);
	kt_store_read_end(f->st, txn);
	s = scan(f, KT_TASK_IX_BRANCH, 4, 0, 0, 0, NULL);
	assert_int_equal(s.n, 1);
	s = scan(f, KT_TASK_IX_BRANCH, 1, 0, 0, 0, NULL);
	assert_int_equal(s.n, 0);
	/* the old client has none left */
	assert_int_equal(kt_task_purge_client(mfx_wbegin(f), f->db, 7, &n), 0);
	assert_int_equal(n, 0);
	mfx_commit(f);
}

static void
offboard_gives_open_tasks_only(void **state)
{
	mfx_t *f = *state;
	Ktstore__TaskRecord a = task(7, 2, 1, 1000), b = task(0, 2, 1, 2000),
	    c = task(0, 2, 1, 3000);
	size_t n = 0;
	seen_t s;

	c.done_at = 3500;
	assert_int_equal(kt_task_add(f->st, mfx_wbegin(f), &a), 0);
	assert_int_equal(kt_task_add(f->st, f->txn, &b), 0);
	assert_int_equal(kt_task_add(f->st, f->txn, &c), 0);
	assert_int_equal(kt_task_offboard(f->txn, f->db, 2, 5, 4000, &n), 0);
	mfx_commit(f);
	assert_int_equal(n, 2);
	s = scan(f, KT_TASK_IX_ASSIGNEE, 5, 0, 0, 0, NULL);
	assert_int_equal(s.n, 2);
	s = scan(f, KT_TASK_IX_ASSIGNEE, 2, 0, 0, 0, NULL);
	assert_int_equal(s.n, 0);
	s = scan(f, KT_TASK_IX_ASSIGNEE, 2, 1, 0, 0, NULL);
	assert_int_equal(s.n, 1);        /* the done one stays its own */
}

static void
scan_refuses_an_unknown_kind(void **state)
{
	mfx_t *f = *state;
	kt_task_range_t r = { .kind = 'c', .scope = 1 };
	seen_t s = { .n = 0 };
	MDB_txn *txn;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_task_scan(txn, f->db, &r, note, &s), KT_EINVAL);
	kt_store_read_end(f->st, txn);
}

static void
visible_to_by_role(void **state)
{
	mfx_t *f = *state;
	Ktstore__TaskRecord t = task(0, 2, 1, 1000);
	kt_user_t owner = { .id = 1, .role = KARTOTEKA__ROLE__OWNER };
	kt_user_t head = { .id = 5, .role = KARTOTEKA__ROLE__HEAD,
		.nbranches = 1, .branches = { 1 } };
	kt_user_t other_head = { .id = 6, .role = KARTOTEKA__ROLE__HEAD,
		.nbranches = 1, .branches = { 3 } };
	kt_user_t assignee = { .id = 2, .role = KARTOTEKA__ROLE__MANAGER,
		.nbranches = 1, .branches = { 1 } };
	kt_user_t colleague = { .id = 7, .role = KARTOTEKA__ROLE__MANAGER,
		.nbranches = 1, .branches = { 1 } };
	MDB_txn *txn;

	t.author = 8;
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_true(kt_task_visible_to(txn, f->db, &owner, &t));
	assert_true(kt_task_visible_to(txn, f->db, &head, &t));
	assert_false(kt_task_visible_to(txn, f->db, &other_head, &t));
	assert_true(kt_task_visible_to(txn, f->db, &assignee, &t));
	assert_false(kt_task_visible_to(txn, f->db, &colleague, &t));
	colleague.id = 8;            /* the author */
	assert_true(kt_task_visible_to(txn, f->db, &colleague, &t));
	/* about a client nobody but the owner could see: no card at all */
	t.client = 99;
	assert_false(kt_task_visible_to(txn, f->db, &head, &t));
	assert_false(kt_task_visible_to(txn, f->db, &assignee, &t));
	assert_false(kt_task_visible_to(txn, f->db, &owner, &t));
	kt_store_read_end(f->st, txn);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, mfx_setup, mfx_teardown)
static const struct CMUnitTest tests[] = {
	T(add_reads_back),
	T(put_moves_keys_and_bumps_version),
	T(scan_by_due_within_bounds_and_after),
	T(purge_deletes_a_clients_tasks),
	T(merge_moves_tasks_to_the_card_that_stays),
	T(offboard_gives_open_tasks_only),
	T(scan_refuses_an_unknown_kind),
	T(visible_to_by_role),
};

KT_TEST_MAIN(tests)
