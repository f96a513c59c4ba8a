/* SPDX-License-Identifier: MIT */
/* Tests for server/model/interaction_store.c against a temporary store:
 * entries come back newest first by `at` (then id) and page without
 * gaps or repeats; the client's activity record follows every add; a
 * correction is found from the entry it corrects; a purge drops one
 * client's entries and index keys only; a move gives them to the other
 * client and recounts both activity records. */
#include "server/model_fixture.h"

#include "model/client_activity.h"
#include "model/interaction_store.h"

/* Adds an entry of client at `at` (and correcting corrects), returns its
 * id. Inside f's write transaction. */
static uint64_t
add(mfx_t *f, uint64_t client, int64_t at, uint64_t corrects)
{
	Ktstore__InteractionRecord rec = KTSTORE__INTERACTION_RECORD__INIT;

	rec.client = client;
	rec.author = 7;
	rec.at = at;
	rec.created_at = at + 5;
	rec.channel = 1;
	rec.topic = "topic";
	rec.agreed = "";
	rec.corrects = corrects;
	assert_int_equal(kt_istore_add(f->st, f->txn, &rec), 0);
	assert_true(rec.id != 0);
	return rec.id;
}

/* The ids of a client's page into ids[], its count returned. */
static size_t
page(mfx_t *f, MDB_txn *txn, uint64_t client, const kt_istore_pos_t *below,
    size_t limit, uint64_t *ids, int *more, kt_istore_pos_t *last)
{
	Ktstore__InteractionRecord *out[16];
	kt_arena_t a;
	size_t n = 0;

	assert_true(limit <= 16);
	assert_int_equal(kt_arena_init(&a, 4096, 1u << 20), 0);
	assert_int_equal(kt_istore_page(txn, f->db, client, below, limit,
	    &a.pb, out, &n, more), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(out[i]->client, client);
		ids[i] = out[i]->id;
	}
	if (n > 0 && last != NULL) {
		last->at = out[n - 1]->at;
		last->id = out[n - 1]->id;
	}
	kt_arena_free(&a);
	return n;
}

static void
newest_first_by_at_then_id(void **state)
{
	mfx_t *f = *state;
	uint64_t ids[16] = { 0 };
	uint64_t a, b, c, d;
	int more;

	mfx_wbegin(f);
	a = add(f, 1, 1000, 0);
	b = add(f, 1, 3000, 0);
	c = add(f, 1, 2000, 0);   /* logged late: older than b */
	d = add(f, 1, 3000, 0);   /* same time as b, newer id */
	add(f, 2, 9000, 0);       /* another client */
	mfx_commit(f);
	assert_int_equal(kt_store_read_begin(f->st, &f->txn), 0);
	assert_int_equal(page(f, f->txn, 1, NULL, 10, ids, &more, NULL), 4);
	assert_int_equal(ids[0], d);
	assert_int_equal(ids[1], b);
	assert_int_equal(ids[2], c);
	assert_int_equal(ids[3], a);
	assert_int_equal(more, 0);
	assert_int_equal(page(f, f->txn, 3, NULL, 10, ids, &more, NULL), 0);
	kt_store_read_end(f->st, f->txn);
	f->txn = NULL;
}

static void
pages_have_no_gaps(void **state)
{
	mfx_t *f = *state;
	uint64_t ids[16] = { 0 }, all[40];
	kt_istore_pos_t pos;
	size_t seen = 0, n;
	int more = 1;

	mfx_wbegin(f);
	for (int i = 0; i < 25; i++)
		add(f, 5, 1000 + (i % 7) * 10, 0);
	add(f, 4, 5000, 0);
	add(f, 6, 1, 0);
	mfx_commit(f);
	assert_int_equal(kt_store_read_begin(f->st, &f->txn), 0);
	n = page(f, f->txn, 5, NULL, 10, ids, &more, &pos);
	while (1) {
		assert_true(seen + n <= 25);
		memcpy(all + seen, ids, n * sizeof(ids[0]));
		seen += n;
		if (!more)
			break;
		n = page(f, f->txn, 5, &pos, 10, ids, &more, &pos);
	}
	assert_int_equal(seen, 25);
	for (size_t i = 0; i < seen; i++)
		for (size_t j = i + 1; j < seen; j++)
			assert_true(all[i] != all[j]);
	kt_store_read_end(f->st, f->txn);
	f->txn = NULL;
}

static void
activity_follows_adds(void **state)
{
	mfx_t *f = *state;
	kt_activity_t act;

	mfx_wbegin(f);
	add(f, 1, 2000, 0);
	add(f, 1, 1500, 0);       /* older: the newest stays */
	assert_int_equal(kt_activity_get(f->txn, f->db, 1, &act), 0);
	assert_int_equal(act.interactions, 2);
	assert_int_equal(act.last_interaction_at, 2000);
	add(f, 1, 2500, 0);
	assert_int_equal(kt_activity_get(f->txn, f->db, 1, &act), 0);
	assert_int_equal(act.interactions, 3);
	assert_int_equal(act.last_interaction_at, 2500);
	mfx_commit(f);
}

static void
corrected_by_finds_newest(void **state)
{
	mfx_t *f = *state;
	uint64_t a, b, c, by = 99;

	mfx_wbegin(f);
	a = add(f, 1, 1000, 0);
	b = add(f, 1, 1100, a);
	assert_int_equal(kt_istore_corrected_by(f->txn, f->db, a, &by), 0);
	assert_int_equal(by, b);
	c = add(f, 1, 1200, a);
	add(f, 1, 1300, c + 100);  /* a key past every id: not a's */
	assert_int_equal(kt_istore_corrected_by(f->txn, f->db, a, &by), 0);
	assert_int_equal(by, c);
	assert_int_equal(kt_istore_corrected_by(f->txn, f->db, b, &by), 0);
	assert_int_equal(by, 0);
	assert_int_equal(kt_istore_corrected_by(f->txn, f->db, UINT64_MAX,
	    &by), 0);
	assert_int_equal(by, 0);
	mfx_commit(f);
}

static void
get_missing_is_not_found(void **state)
{
	mfx_t *f = *state;
	Ktstore__InteractionRecord *rec = NULL;

	assert_int_equal(kt_store_read_begin(f->st, &f->txn), 0);
	assert_int_equal(kt_istore_get(f->txn, f->db, 42, NULL, &rec),
	    KT_ENOTFOUND);
	kt_store_read_end(f->st, f->txn);
	f->txn = NULL;
}

static void
drop_client_leaves_others(void **state)
{
	mfx_t *f = *state;
	uint64_t ids[16] = { 0 }, a, keep;
	kt_activity_t act;
	size_t n = 0;
	int more;

	mfx_wbegin(f);
	a = add(f, 1, 1000, 0);
	add(f, 1, 1100, a);
	keep = add(f, 2, 1200, 0);
	mfx_commit(f);
	mfx_wbegin(f);
	assert_int_equal(kt_istore_drop_client(f->txn, f->db, 1, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(mfx_entries(f->txn, f->db->interactions), 1);
	/* Client 2's one key is all that is left of the index. */
	assert_int_equal(mfx_entries(f->txn, f->db->interaction_ix), 1);
	assert_int_equal(kt_activity_get(f->txn, f->db, 1, &act), 0);
	assert_int_equal(act.interactions, 0);
	assert_int_equal(act.last_interaction_at, 0);
	assert_int_equal(page(f, f->txn, 2, NULL, 10, ids, &more, NULL), 1);
	assert_int_equal(ids[0], keep);
	mfx_commit(f);
}

static void
move_gives_entries_and_recounts(void **state)
{
	mfx_t *f = *state;
	Ktstore__InteractionRecord *rec = NULL;
	uint64_t ids[16] = { 0 }, a, b;
	kt_activity_t act;
	size_t n = 0;
	int more;

	mfx_wbegin(f);
	a = add(f, 1, 5000, 0);
	b = add(f, 2, 1000, 0);
	add(f, 1, 4000, a);
	mfx_commit(f);
	mfx_wbegin(f);
	assert_int_equal(kt_istore_move(f->txn, f->db, 1, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(page(f, f->txn, 1, NULL, 10, ids, &more, NULL), 0);
	assert_int_equal(page(f, f->txn, 2, NULL, 10, ids, &more, NULL), 3);
	assert_int_equal(ids[0], a);
	assert_int_equal(ids[2], b);
	assert_int_equal(kt_istore_get(f->txn, f->db, a, NULL, &rec), 0);
	assert_int_equal(rec->client, 2);
	ktstore__interaction_record__free_unpacked(rec, NULL);
	assert_int_equal(kt_activity_get(f->txn, f->db, 2, &act), 0);
	assert_int_equal(act.interactions, 3);
	assert_int_equal(act.last_interaction_at, 5000);
	assert_int_equal(kt_activity_get(f->txn, f->db, 1, &act), 0);
	assert_int_equal(act.interactions, 0);
	/* Moving onto itself moves nothing. */
	assert_int_equal(kt_istore_move(f->txn, f->db, 2, 2, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(page(f, f->txn, 2, NULL, 10, ids, &more, NULL), 3);
	mfx_commit(f);
}

static void
wire_names_author_and_correction(void **state)
{
	mfx_t *f = *state;
	Ktstore__InteractionRecord *rec = NULL;
	Kartoteka__Interaction w;
	kt_arena_t ar;
	uint64_t a, b;

	mfx_wbegin(f);
	a = add(f, 1, 1000, 0);
	b = add(f, 1, 1100, a);
	assert_int_equal(kt_arena_init(&ar, 4096, 1u << 20), 0);
	assert_int_equal(kt_istore_get(f->txn, f->db, a, &ar.pb, &rec), 0);
	assert_int_equal(kt_istore_wire(f->txn, f->db, &ar, rec, &w), 0);
	assert_int_equal(w.id, a);
	assert_int_equal(w.client_id, 1);
	assert_int_equal(w.at, 1000);
	assert_int_equal(w.recorded_at, 1005);
	assert_int_equal(w.channel, KARTOTEKA__CHANNEL__CALL);
	assert_string_equal(w.topic, "topic");
	assert_string_equal(w.author, "#7");   /* no such user: its id */
	assert_int_equal(w.corrected_by, b);
	kt_arena_free(&ar);
	mfx_commit(f);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, mfx_setup, mfx_teardown)
static const struct CMUnitTest tests[] = {
	T(newest_first_by_at_then_id),
	T(pages_have_no_gaps),
	T(activity_follows_adds),
	T(corrected_by_finds_newest),
	T(get_missing_is_not_found),
	T(drop_client_leaves_others),
	T(move_gives_entries_and_recounts),
	T(wire_names_author_and_correction),
};

KT_TEST_MAIN(tests)
