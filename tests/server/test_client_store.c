/* SPDX-License-Identifier: MIT */
/* Tests for server/model/client_store.c against a temporary store: the
 * record and index layer. Indexes follow edits and purges, the daily view
 * counters, id sets, the cheap looks (kt_cstore_exists,
 * kt_cstore_in_branch) and reading a card into an arena. */
#include <stdint.h>
#include <string.h>

#include "kt_test.h"

#include "arena.h"
#include "model/user_store.h"
#include "server/clients_fixture.h"

/* ---- indexes follow the records ------------------------------------------ */

static void
edit_moves_indexes(void **state)
{
	fx_t f;
	card_t a, b;
	pspec_t pa[] = { { "Иван Иванов", 1, 0, 0, 0, "+79001112233", NULL,
	    NULL } };
	pspec_t pb[] = { { "Пётр Петров", 1, 0, 0, 0, "+79004445566", NULL,
	    NULL } };

	(void)state;
	fx_open(&f);
	card_make(&a, 7, 1, 101, "Ивановы", pa, 1, NULL);
	put(&f, NULL, &a.r);
	assert_int_equal(nfound(&f, &owner, "иванов"), 1);
	card_make(&b, 7, 1, 102, "Петровы", pb, 1, "vip");
	b.r.version = 2;
	put(&f, &a.r, &b.r);
	assert_int_equal(nfound(&f, &owner, "иванов"), 0);
	assert_int_equal(nfound(&f, &owner, "+79001112233"), 0);
	assert_int_equal(nfound(&f, &owner, "петр"), 1);
	assert_int_equal(nfound(&f, &owner, "+79004445566"), 1);
	{
		kt_cq_filter_t flt = { .manager = 101 };
		Kartoteka__ClientListResponse *lr = list(&f, &owner, &flt,
		    NULL, 0, 0);
		assert_int_equal(lr->total, 0);
		lr_free(lr);
		flt.manager = 102;
		lr = list(&f, &owner, &flt, NULL, 0, 0);
		assert_int_equal(lr->total, 1);
		lr_free(lr);
	}
	fx_close(&f);
}

static void
purge_removes_indexes(void **state)
{
	fx_t f;
	card_t c;
	Ktstore__ClientRecord t = KTSTORE__CLIENT_RECORD__INIT;
	Ktstore__ClientRecord *got = NULL;
	kt_cq_filter_t flt = { .include_archived = 1 };
	Kartoteka__ClientListResponse *lr;
	MDB_txn *txn;
	kt_idset_t s = { 0 };
	pspec_t ps[] = {
		{ "Ирина Ёлкина", KARTOTEKA__RELATION__PARENT, 1985, 3, 14,
		  "+79123456789", NULL, "irina@mail.ru" },
	};

	(void)state;
	fx_open(&f);
	card_make(&c, 1, 1, 101, "Ёлкины", ps, 1, "x");
	c.r.contract = "Д-1";
	c.r.consent_date = "2025-01-10";
	c.r.do_not_contact = 1;
	put(&f, NULL, &c.r);
	t.id = 1;
	t.branch = 1;
	t.manager = 101;
	t.purged = 1;
	t.created_at = c.r.created_at;
	t.title = "";
	put(&f, &c.r, &t);
	assert_int_equal(nfound(&f, &owner, "елкина"), 0);
	assert_int_equal(nfound(&f, &owner, "+79123456789"), 0);
	lr = list(&f, &owner, &flt, NULL, 0, 0);
	assert_int_equal(lr->total, 0);
	lr_free(lr);
	assert_int_equal(kt_store_read_begin(f.st, &txn), 0);
	/* Every index but "created" is empty; the tombstone stays. */
	const kt_store_dbs_t *db = kt_store_dbs(f.st);
	MDB_dbi ix[] = { db->cx_phone, db->cx_email, db->cx_word,
	    db->cx_branch, db->cx_manager, db->cx_birthday, db->cx_birthdate,
	    db->cx_category, db->cx_source, db->cx_status, db->cx_tag,
	    db->cx_contract };
	for (size_t i = 0; i < sizeof ix / sizeof *ix; i++) {
		assert_int_equal(kt_cstore_ids_prefix(txn, ix[i], NULL, 0, &s),
		    0);
		assert_int_equal(s.n, 0);
	}
	assert_int_equal(kt_cstore_get(txn, db, 1, &got), 0);
	assert_true(got->purged);
	assert_int_equal(got->n_people, 0);
	protobuf_c_message_free_unpacked(&got->base, NULL);
	kt_store_read_end(f.st, txn);
	kt_idset_free(&s);
	fx_close(&f);
}

/* The contract key (cx_contract) and the consent and do-not-contact flag
 * keys of cx_status follow edits of the card. */
static void
contract_and_flags_follow_edits(void **state)
{
	fx_t f;
	card_t a, b;
	pspec_t p[] = { { "Ольга", 1, 0, 0, 0, NULL, NULL, NULL } };
	const kt_store_dbs_t *db;
	kt_idset_t s = { 0 };
	MDB_txn *txn;
	char key[KT_CSTORE_WORD_MAX + 1];
	size_t n;

	(void)state;
	fx_open(&f);
	db = kt_store_dbs(f.st);
	card_make(&a, 5, 1, 101, "Ольгины", p, 1, NULL);
	a.r.contract = "Д-2024/17";
	a.r.consent_date = "2025-01-10";
	put(&f, NULL, &a.r);
	card_make(&b, 5, 1, 101, "Ольгины", p, 1, NULL);
	b.r.contract = "Д-2024/18";
	b.r.do_not_contact = 1;
	b.r.version = 2;
	assert_int_equal(kt_store_read_begin(f.st, &txn), 0);
	n = kt_cstore_fold_key("д-2024/17", key);
	assert_int_equal(kt_cstore_ids_eq(txn, db->cx_contract, key, n, &s), 0);
	assert_int_equal(s.n, 1);
	s.n = 0;
	assert_int_equal(kt_cstore_ids_eq(txn, db->cx_status,
	    KT_CSTORE_CONSENT_KEY, KT_CSTORE_FLAG_KEYLEN, &s), 0);
	assert_int_equal(s.n, 1);
	s.n = 0;
	kt_store_read_end(f.st, txn);
	put(&f, &a.r, &b.r);
	assert_int_equal(kt_store_read_begin(f.st, &txn), 0);
	assert_int_equal(kt_cstore_ids_eq(txn, db->cx_contract, key, n, &s), 0);
	assert_int_equal(s.n, 0);
	n = kt_cstore_fold_key("Д-2024/18", key);
	assert_int_equal(kt_cstore_ids_eq(txn, db->cx_contract, key, n, &s), 0);
	assert_int_equal(s.n, 1);
	s.n = 0;
	assert_int_equal(kt_cstore_ids_eq(txn, db->cx_status,
	    KT_CSTORE_CONSENT_KEY, KT_CSTORE_FLAG_KEYLEN, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(kt_cstore_ids_eq(txn, db->cx_status,
	    KT_CSTORE_DNC_KEY, KT_CSTORE_FLAG_KEYLEN, &s), 0);
	assert_int_equal(s.n, 1);
	kt_store_read_end(f.st, txn);
	kt_idset_free(&s);
	fx_close(&f);
}

static void
idset_ops(void **state)
{
	kt_idset_t a = { 0 }, b = { 0 };
	uint64_t av[] = { 5, 1, 3, 3, 9 }, bv[] = { 3, 9, 10 };

	(void)state;
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(kt_idset_add(&a, av[i]), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(kt_idset_add(&b, bv[i]), 0);
	kt_idset_normalize(&a);
	kt_idset_normalize(&b);
	assert_int_equal(a.n, 4);
	kt_idset_intersect(&a, &b);
	assert_int_equal(a.n, 2);
	assert_true(kt_idset_has(&a, 3));
	assert_true(kt_idset_has(&a, 9));
	assert_false(kt_idset_has(&a, 5));
	kt_idset_free(&a);
	kt_idset_free(&b);
	kt_idset_free(NULL);
}

/* ---- cheap looks and reading ---------------------------------------------- */

/* Purges old: the tombstone a purge leaves (as ops/client.c writes it). */
static void
purge_card(fx_t *f, const Ktstore__ClientRecord *old)
{
	Ktstore__ClientRecord t = KTSTORE__CLIENT_RECORD__INIT;

	t.id = old->id;
	t.branch = old->branch;
	t.manager = old->manager;
	t.purged = 1;
	t.created_at = old->created_at;
	t.title = "";
	t.version = old->version + 1;
	put(f, old, &t);
}

static void
exists_sees_tombstones(void **state)
{
	fx_t f;
	card_t c;
	MDB_txn *txn;
	pspec_t ps[] = { { "Анна", 1, 0, 0, 0, "+79000000001", NULL, NULL } };

	(void)state;
	fx_open(&f);
	assert_int_equal(kt_store_read_begin(f.st, &txn), 0);
	assert_false(kt_cstore_exists(txn, kt_store_dbs(f.st), 1));
	kt_store_read_end(f.st, txn);
	card_make(&c, 1, 1, 101, "Первые", ps, 1, NULL);
	put(&f, NULL, &c.r);
	assert_int_equal(kt_store_read_begin(f.st, &txn), 0);
	assert_true(kt_cstore_exists(txn, kt_store_dbs(f.st), 1));
	assert_false(kt_cstore_exists(txn, kt_store_dbs(f.st), 2));
	assert_false(kt_cstore_exists(txn, kt_store_dbs(f.st), 0));
	kt_store_read_end(f.st, txn);
	/* A purged card leaves its tombstone, which still exists (its id
	 * is never given again). */
	purge_card(&f, &c.r);
	assert_int_equal(kt_store_read_begin(f.st, &txn), 0);
	assert_true(kt_cstore_exists(txn, kt_store_dbs(f.st), 1));
	kt_store_read_end(f.st, txn);
	fx_close(&f);
}

static void
in_branch_follows_moves_purged_in_none(void **state)
{
	fx_t f;
	card_t a, a2, b, b2;
	MDB_txn *txn;
	const kt_store_dbs_t *db;
	pspec_t ps[] = { { "Анна", 1, 0, 0, 0, NULL, NULL, NULL } };

	(void)state;
	fx_open(&f);
	db = kt_store_dbs(f.st);
	card_make(&a, 1, 1, 101, "Первые", ps, 1, NULL);
	put(&f, NULL, &a.r);
	card_make(&b, 2, 2, 102, "Вторые", ps, 1, NULL);
	put(&f, NULL, &b.r);
	assert_int_equal(kt_store_read_begin(f.st, &txn), 0);
	assert_true(kt_cstore_in_branch(txn, db, 1, 1));
	assert_false(kt_cstore_in_branch(txn, db, 1, 2));
	assert_true(kt_cstore_in_branch(txn, db, 2, 2));
	assert_false(kt_cstore_in_branch(txn, db, 3, 1));
	assert_false(kt_cstore_in_branch(txn, db, 1, 0));
	{	/* Who sees which: the owner every existing card; a manager
		 * those of her branches. */
		kt_user_t own = { .id = 1, .role = KARTOTEKA__ROLE__OWNER };
		kt_user_t m = { .id = 5, .role = KARTOTEKA__ROLE__MANAGER,
			.nbranches = 1, .branches = { 2 } };
		assert_true(kt_cstore_visible_to(txn, db, &own, 1));
		assert_true(kt_cstore_visible_to(txn, db, &own, 2));
		assert_false(kt_cstore_visible_to(txn, db, &own, 3));
		assert_false(kt_cstore_visible_to(txn, db, &m, 1));
		assert_true(kt_cstore_visible_to(txn, db, &m, 2));
		m.nbranches = 0;
		assert_false(kt_cstore_visible_to(txn, db, &m, 2));
	}
	kt_store_read_end(f.st, txn);
	/* Moved to branch 2; card 2 archived, still its branch's. */
	card_make(&a2, 1, 2, 101, "Первые", ps, 1, NULL);
	a2.r.version = 2;
	put(&f, &a.r, &a2.r);
	card_make(&b2, 2, 2, 102, "Вторые", ps, 1, NULL);
	b2.r.version = 2;
	b2.r.archived = 1;
	put(&f, &b.r, &b2.r);
	assert_int_equal(kt_store_read_begin(f.st, &txn), 0);
	assert_false(kt_cstore_in_branch(txn, db, 1, 1));
	assert_true(kt_cstore_in_branch(txn, db, 1, 2));
	assert_true(kt_cstore_in_branch(txn, db, 2, 2));
	kt_store_read_end(f.st, txn);
	/* Purged cards are in no branch, though they still exist. */
	purge_card(&f, &a2.r);
	purge_card(&f, &b2.r);
	assert_int_equal(kt_store_read_begin(f.st, &txn), 0);
	for (uint64_t br = 0; br <= 2; br++) {
		assert_false(kt_cstore_in_branch(txn, db, 1, br));
		assert_false(kt_cstore_in_branch(txn, db, 2, br));
	}
	assert_true(kt_cstore_exists(txn, db, 1));
	assert_true(kt_cstore_exists(txn, db, 2));
	kt_store_read_end(f.st, txn);
	fx_close(&f);
}

static void
get_with_arena(void **state)
{
	fx_t f;
	card_t c;
	MDB_txn *txn;
	kt_arena_t a, tiny;
	Ktstore__ClientRecord *rec = NULL, *plain = NULL, *none = NULL;
	const kt_store_dbs_t *db;
	pspec_t ps[] = {
		{ "Ирина Ёлкина", KARTOTEKA__RELATION__PARENT, 1985, 3, 14,
		  "+79123456789", "+79001112233", "irina@mail.ru" },
		{ "Маша", KARTOTEKA__RELATION__CHILD, 2019, 7, 2, NULL, NULL,
		  NULL },
	};

	(void)state;
	fx_open(&f);
	db = kt_store_dbs(f.st);
	card_make(&c, 1, 1, 101, "Ёлкины", ps, 2, "Английский");
	put(&f, NULL, &c.r);
	assert_int_equal(kt_arena_init(&a, 64 * 1024, 1024 * 1024), 0);
	assert_int_equal(kt_arena_init(&tiny, 64, 64), 0);
	assert_int_equal(kt_store_read_begin(f.st, &txn), 0);
	assert_int_equal(kt_cstore_get_with(txn, db, 1, &a.pb, &rec), 0);
	assert_non_null(rec);
	/* Unpacked into the arena's block: nothing to free piecemeal. */
	assert_true(a.used > 0);
	assert_true((unsigned char *)rec >= a.block &&
	    (unsigned char *)rec < a.block + a.cap);
	assert_int_equal(kt_cstore_get_with(txn, db, 2, &a.pb, &plain),
	    KT_ENOTFOUND);
	assert_null(plain);
	/* NULL is the default allocator, as kt_cstore_get. */
	assert_int_equal(kt_cstore_get_with(txn, db, 1, NULL, &plain), 0);
	/* An arena too small for the card: refused, nothing handed out. */
	assert_int_equal(kt_cstore_get_with(txn, db, 1, &tiny.pb, &none),
	    KT_EPROTO);
	assert_null(none);
	kt_store_read_end(f.st, txn);
	/* Copied out: valid after the transaction. */
	assert_string_equal(rec->title, "Ёлкины");
	assert_int_equal(rec->n_people, 2);
	assert_string_equal(rec->people[0]->name, "Ирина Ёлкина");
	assert_int_equal(rec->people[0]->n_phones, 2);
	assert_string_equal(rec->people[0]->phones[1], "+79001112233");
	assert_string_equal(rec->people[1]->name, "Маша");
	assert_int_equal(rec->n_tags, 1);
	assert_string_equal(rec->tags[0], "Английский");
	assert_true(protobuf_c_message_get_packed_size(&rec->base) ==
	    protobuf_c_message_get_packed_size(&plain->base));
	protobuf_c_message_free_unpacked(&plain->base, NULL);
	kt_arena_reset(&a);
	assert_int_equal(a.used, 0);
	kt_arena_free(&a);
	kt_arena_free(&tiny);
	fx_close(&f);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(edit_moves_indexes),
	cmocka_unit_test(purge_removes_indexes),
	cmocka_unit_test(contract_and_flags_follow_edits),
	cmocka_unit_test(idset_ops),
	cmocka_unit_test(exists_sees_tombstones),
	cmocka_unit_test(in_branch_follows_moves_purged_in_none),
	cmocka_unit_test(get_with_arena),
};

KT_TEST_MAIN(tests)
