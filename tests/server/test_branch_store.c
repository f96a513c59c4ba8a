/* SPDX-License-Identifier: MIT */
/* Tests for server/model/branch_store.c against a temporary store: the
 * name index, resolving names for a user's branches, and the rules and
 * audit entries of add, rename, archive and restore. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/model_fixture.h"

#include "fields.h"
#include "kartoteka.pb-c.h"
#include "model/branch_store.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_NOT_FOUND KARTOTEKA__ERROR__CODE__NOT_FOUND
#define E_CONFLICT KARTOTEKA__ERROR__CODE__CONFLICT

static uint8_t term_key[32];

/* The owner at a terminal: who every change here is done by. */
static kt_actor_t
owner(void)
{
	kt_actor_t a = { 7, term_key, NULL };

	memset(term_key, 0xab, sizeof(term_key));
	return a;
}

static uint64_t
add_ok(mfx_t *f, const char *name, const char *address)
{
	kt_actor_t a = owner();
	kt_verdict_t v;
	uint64_t id = 0;

	assert_int_equal(kt_branch_add(f->st, mfx_wbegin(f), &a, name, address,
	    &id, &v), 0);
	assert_true(kt_verdict_is_ok(&v));
	mfx_commit(f);
	assert_true(id != 0);
	return id;
}

static void
archive_ok(mfx_t *f, const char *name, int archive)
{
	kt_actor_t a = owner();
	kt_verdict_t v;
	uint64_t id = 0;

	assert_int_equal(kt_branch_archive(f->st, mfx_wbegin(f), &a, name,
	    archive, &id, &v), 0);
	assert_true(kt_verdict_is_ok(&v));
	mfx_commit(f);
}

/* kt_branch_id as a read transaction sees it: the id, or 0 for
 * KT_ENOTFOUND. */
static uint64_t
id_of(mfx_t *f, const char *name)
{
	MDB_txn *txn;
	uint64_t id = 0;
	int rc;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	rc = kt_branch_id(txn, f->db, name, &id);
	kt_store_read_end(f->st, txn);
	if (rc == KT_ENOTFOUND)
		return 0;
	assert_int_equal(rc, 0);
	assert_true(id != 0);
	return id;
}

static Ktstore__BranchRecord *
get(mfx_t *f, uint64_t id)
{
	Ktstore__BranchRecord *b = NULL;
	MDB_txn *txn;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_branch_get(txn, f->db, id, &b), 0);
	kt_store_read_end(f->st, txn);
	return b;
}

static void
free_branch(Ktstore__BranchRecord *b)
{
	protobuf_c_message_free_unpacked(&b->base, NULL);
}

/* A string of n copies of c (static storage, one at a time). */
static const char *
rep(char c, size_t n)
{
	static char buf[1024];

	assert_true(n < sizeof(buf));
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* ---- reading ------------------------------------------------------------ */

static void
id_exact_and_folded(void **state)
{
	mfx_t *f = *state;
	uint64_t north = add_ok(f, "north", "");
	uint64_t yolka = add_ok(f, "елка", "");
	uint64_t mixed = add_ok(f, "South Side", "");

	assert_true(north != yolka && yolka != mixed);
	/* As stored. */
	assert_true(id_of(f, "north") == north);
	assert_true(id_of(f, "South Side") == mixed);
	/* By the folded form of what is asked: case and 'ё' fold onto a
	 * name stored folded. */
	assert_true(id_of(f, "NORTH") == north);
	assert_true(id_of(f, "North") == north);
	assert_true(id_of(f, "Ёлка") == yolka);
	assert_true(id_of(f, "ЕЛКА") == yolka);
	/* The index holds folded names (schema 2), so a name stored with
	 * capitals is found in any case too. */
	assert_true(id_of(f, "south side") == mixed);
	assert_true(id_of(f, "SOUTH SIDE") == mixed);
	/* Nothing, and nothing at all. */
	assert_true(id_of(f, "west") == 0);
	assert_true(id_of(f, "nort") == 0);
	assert_true(id_of(f, "") == 0);
	assert_true(id_of(f, NULL) == 0);
	/* A name longer than any key is simply not there. */
	assert_true(id_of(f, rep('n', 600)) == 0);
}

static void
name_of_zero_and_unknown(void **state)
{
	mfx_t *f = *state;
	uint64_t id = add_ok(f, "north", "Main st 1");
	char out[KT_NAME_MAX + 1], small[4];
	MDB_txn *txn;
	Ktstore__BranchRecord *b;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	kt_branch_name(txn, f->db, id, out, sizeof(out));
	assert_string_equal(out, "north");
	kt_branch_name(txn, f->db, 0, out, sizeof(out));
	assert_string_equal(out, "");
	kt_branch_name(txn, f->db, 42, out, sizeof(out));
	assert_string_equal(out, "#42");
	kt_branch_name(txn, f->db, id, small, sizeof(small));
	assert_string_equal(small, "nor");
	assert_int_equal(kt_branch_get(txn, f->db, 0, &b), KT_ENOTFOUND);
	assert_null(b);
	assert_int_equal(kt_branch_get(txn, f->db, 42, &b), KT_ENOTFOUND);
	kt_store_read_end(f->st, txn);
}

static void
resolve_rules(void **state)
{
	mfx_t *f = *state;
	uint64_t north = add_ok(f, "north", "");
	uint64_t south = add_ok(f, "south", "");
	uint64_t east = add_ok(f, "east", "");
	uint64_t ids[4];
	size_t n = 99;
	kt_verdict_t v;
	MDB_txn *txn;

	archive_ok(f, "east", 1);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);

	{	/* Duplicates, also by folding, are dropped and do not count
		 * against max. */
		char *names[] = { "north", "NORTH", "south", "north" };
		assert_int_equal(kt_branch_resolve(txn, f->db, "branches",
		    names, 4, ids, 2, &n, &v), 0);
		assert_true(kt_verdict_is_ok(&v));
		assert_int_equal(n, 2);
		assert_true(ids[0] == north && ids[1] == south);
	}
	{	/* No names: no ids. */
		assert_int_equal(kt_branch_resolve(txn, f->db, "branches",
		    NULL, 0, ids, 2, &n, &v), 0);
		assert_true(kt_verdict_is_ok(&v));
		assert_int_equal(n, 0);
	}
	{
		char *names[] = { "north", "west" };
		assert_int_equal(kt_branch_resolve(txn, f->db, "branches",
		    names, 2, ids, 4, &n, &v), 0);
		mfx_assert_refused(&v, E_BAD, "branches: no branch named 'west'");
	}
	{
		char *names[] = { "" };
		assert_int_equal(kt_branch_resolve(txn, f->db, "branch",
		    names, 1, ids, 4, &n, &v), 0);
		mfx_assert_refused(&v, E_BAD, "branch: no branch named ''");
	}
	{
		char *names[] = { "north", "east" };
		assert_int_equal(kt_branch_resolve(txn, f->db, "branches",
		    names, 2, ids, 4, &n, &v), 0);
		mfx_assert_refused(&v, E_BAD, "branch 'east' is archived");
		(void)east;
	}
	{
		char *names[] = { "north", "south", "north" };
		assert_int_equal(kt_branch_resolve(txn, f->db, "branches",
		    names, 3, ids, 1, &n, &v), 0);
		mfx_assert_refused(&v, E_BAD, "branches: at most 1 branches");
	}
	kt_store_read_end(f->st, txn);
}

/* ---- add ---------------------------------------------------------------- */

/* kt_branch_add that must be refused with code (message containing
 * part) and write nothing. */
static void
add_refused(mfx_t *f, const char *name, const char *address, uint32_t code,
    const char *part)
{
	MDB_txn *txn = mfx_wbegin(f);
	kt_actor_t a = owner();
	kt_verdict_t v;
	mfx_snap_t s;
	uint64_t id = 0;

	mfx_snap(txn, f->db, &s);
	assert_int_equal(kt_branch_add(f->st, txn, &a, name, address, &id, &v),
	    0);
	mfx_assert_refused(&v, code, part);
	mfx_assert_unchanged(txn, f->db, &s);
	/* The early check on the loop gives the same answer. */
	assert_int_equal(kt_branch_add_check(txn, f->db, name, address, &v), 0);
	mfx_assert_refused(&v, code, part);
	mfx_commit(f);
}

static void
add_rules(void **state)
{
	mfx_t *f = *state;
	char name[KT_NAME_MAX + 2];

	add_refused(f, "", "", E_BAD, "name: is empty");
	add_refused(f, NULL, "", E_BAD, "name: is empty");
	add_refused(f, rep('n', KT_NAME_MAX + 1), "", E_BAD,
	    "name: is longer than");
	add_refused(f, "no\tth", "", E_BAD, "name: contains control");
	add_refused(f, "no\nth", "", E_BAD, "name: contains control");
	add_refused(f, "no\x7fth", "", E_BAD, "name: contains control");
	add_refused(f, "no\xffth", "", E_BAD, "invalid UTF-8");
	add_refused(f, "\xd0", "", E_BAD, "invalid UTF-8");
	add_refused(f, "north", rep('a', KT_ADDRESS_MAX + 1), E_BAD,
	    "address: is longer than");
	add_refused(f, "north", "a\nb", E_BAD, "address: contains control");

	/* At the limits. */
	memcpy(name, rep('n', KT_NAME_MAX), KT_NAME_MAX + 1);
	(void)add_ok(f, name, rep('a', KT_ADDRESS_MAX));
	(void)add_ok(f, "north", NULL);

	/* A name taken, as typed or by its folded form. */
	add_refused(f, "north", "", E_CONFLICT,
	    "a branch named 'north' already exists");
	add_refused(f, "NORTH", "", E_CONFLICT,
	    "a branch named 'north' already exists");
}

static void
add_writes_record_index_audit(void **state)
{
	mfx_t *f = *state;
	uint64_t id1 = add_ok(f, "north", "Main st 1");
	uint64_t id2 = add_ok(f, "south", NULL);
	Ktstore__BranchRecord *b;
	MDB_txn *txn;

	assert_true(id1 == 1 && id2 == 2);
	b = get(f, id1);
	assert_true(b->id == id1);
	assert_string_equal(b->name, "north");
	assert_string_equal(b->address, "Main st 1");
	assert_false(b->archived);
	free_branch(b);
	b = get(f, id2);
	assert_string_equal(b->address, "");
	free_branch(b);
	assert_true(id_of(f, "north") == id1);
	assert_true(id_of(f, "south") == id2);

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(mfx_entries(txn, f->db->audit), 2);
	assert_int_equal(mfx_entries(txn, f->db->branches), 2);
	assert_int_equal(mfx_entries(txn, f->db->branch_names), 2);
	mfx_assert_last_audit(txn, f->db, "branch.add", "branch:2", 0,
	    "name=south address=", 7, term_key);
	kt_store_read_end(f->st, txn);
}

static void
add_audit_detail(void **state)
{
	mfx_t *f = *state;
	MDB_txn *txn;

	(void)add_ok(f, "north", "Main st 1");
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	mfx_assert_last_audit(txn, f->db, "branch.add", "branch:1", 0,
	    "name=north address=Main st 1", 7, term_key);
	kt_store_read_end(f->st, txn);
}

/* ---- rename ------------------------------------------------------------- */

static void
rename_refused(mfx_t *f, const char *name, const char *new_name,
    uint32_t code, const char *part)
{
	MDB_txn *txn = mfx_wbegin(f);
	kt_actor_t a = owner();
	kt_verdict_t v;
	mfx_snap_t s;
	uint64_t id = 0;

	mfx_snap(txn, f->db, &s);
	assert_int_equal(kt_branch_rename(f->st, txn, &a, name, new_name, &id,
	    &v), 0);
	mfx_assert_refused(&v, code, part);
	mfx_assert_unchanged(txn, f->db, &s);
	mfx_commit(f);
}

static void
rename_rules(void **state)
{
	mfx_t *f = *state;

	(void)add_ok(f, "north", "");
	(void)add_ok(f, "south", "");
	rename_refused(f, "west", "east", E_NOT_FOUND,
	    "no branch named 'west'");
	rename_refused(f, "north", "north", E_BAD,
	    "new_name: is the same as name");
	rename_refused(f, "north", "south", E_CONFLICT,
	    "new_name: a branch named 'south' already exists");
	rename_refused(f, "north", "SOUTH", E_CONFLICT,
	    "new_name: a branch named 'south' already exists");
	rename_refused(f, "north", "", E_BAD, "new_name: is empty");
	rename_refused(f, "north", "a\x01", E_BAD, "new_name: contains");
	rename_refused(f, "", "east", E_BAD, "name: is empty");
	rename_refused(f, "north", rep('e', KT_NAME_MAX + 1), E_BAD,
	    "new_name: is longer than");
}

static void
rename_moves_index(void **state)
{
	mfx_t *f = *state;
	uint64_t north = add_ok(f, "north", "Main st 1"), id = 0, again;
	Ktstore__BranchRecord *b;
	kt_actor_t a = owner();
	kt_verdict_t v;
	MDB_txn *txn;

	txn = mfx_wbegin(f);
	assert_int_equal(kt_branch_rename(f->st, txn, &a, "north", "east", &id,
	    &v), 0);
	assert_true(kt_verdict_is_ok(&v));
	assert_true(id == north);
	mfx_assert_last_audit(txn, f->db, "branch.rename", "branch:1", 0,
	    "name=north new_name=east", 7, term_key);
	mfx_commit(f);

	assert_true(id_of(f, "north") == 0);
	assert_true(id_of(f, "east") == north);
	b = get(f, north);
	assert_string_equal(b->name, "east");
	assert_string_equal(b->address, "Main st 1");
	free_branch(b);

	/* The old name is free again. */
	again = add_ok(f, "north", "");
	assert_true(again != north);
	assert_true(id_of(f, "north") == again);

	/* Renamed by its folded name: the stored key is the one moved. */
	txn = mfx_wbegin(f);
	assert_int_equal(kt_branch_rename(f->st, txn, &a, "EAST", "west", &id,
	    &v), 0);
	assert_true(kt_verdict_is_ok(&v));
	assert_true(id == north);
	assert_int_equal(mfx_entries(txn, f->db->branch_names), 2);
	mfx_commit(f);
	assert_true(id_of(f, "east") == 0);
	assert_true(id_of(f, "west") == north);
}

/* ---- archive and restore ------------------------------------------------ */

static void
archive_refused(mfx_t *f, const char *name, int archive, uint32_t code,
    const char *part)
{
	MDB_txn *txn = mfx_wbegin(f);
	kt_actor_t a = owner();
	kt_verdict_t v;
	mfx_snap_t s;
	uint64_t id = 0;

	mfx_snap(txn, f->db, &s);
	assert_int_equal(kt_branch_archive(f->st, txn, &a, name, archive, &id,
	    &v), 0);
	mfx_assert_refused(&v, code, part);
	mfx_assert_unchanged(txn, f->db, &s);
	mfx_commit(f);
}

static void
archive_restore(void **state)
{
	mfx_t *f = *state;
	uint64_t id = add_ok(f, "north", "");
	Ktstore__BranchRecord *b;
	MDB_txn *txn;

	archive_refused(f, "north", 0, E_CONFLICT,
	    "branch 'north' is not archived");
	archive_refused(f, "west", 1, E_NOT_FOUND, "no branch named 'west'");
	archive_refused(f, "", 1, E_BAD, "name: is empty");

	archive_ok(f, "north", 1);
	b = get(f, id);
	assert_true(b->archived);
	free_branch(b);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	mfx_assert_last_audit(txn, f->db, "branch.archive", "branch:1", 0,
	    "name=north", 7, term_key);
	kt_store_read_end(f->st, txn);
	/* Archived, it keeps its name. */
	assert_true(id_of(f, "north") == id);
	add_refused(f, "north", "", E_CONFLICT, "already exists");
	archive_refused(f, "north", 1, E_CONFLICT,
	    "branch 'north' is already archived");

	archive_ok(f, "NORTH", 0);
	b = get(f, id);
	assert_false(b->archived);
	free_branch(b);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	mfx_assert_last_audit(txn, f->db, "branch.restore", "branch:1", 0,
	    "name=NORTH", 7, term_key);
	assert_int_equal(mfx_entries(txn, f->db->audit), 3);
	kt_store_read_end(f->st, txn);
	archive_refused(f, "north", 0, E_CONFLICT, "is not archived");
}

/* ---- schema 2 ----------------------------------------------------------- */

/* Puts branch id named name the way schema 1 did: record and the name as
 * typed in the index. */
static void
put_v1_branch(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    const char *name)
{
	Ktstore__BranchRecord b = KTSTORE__BRANCH_RECORD__INIT;
	uint8_t key[8];
	MDB_val k = { strlen(name), (void *)name }, v = { 8, key };

	b.id = id;
	b.name = (char *)name;
	b.address = "";
	kt_store_be64(key, id);
	assert_int_equal(kt_store_put_record(txn, db->branches, key, 8, &b.base,
	    0), 0);
	assert_int_equal(mdb_put(txn, db->branch_names, &k, &v, 0), 0);
}

static void
migrate_v2_folds_and_renames_collisions(void **state)
{
	mfx_t *f = *state;
	MDB_txn *txn = mfx_wbegin(f);
	Ktstore__BranchRecord *b;
	char longname[KT_NAME_MAX + 1];

	/* Schema 1 let these four be: two pairs that fold alike. */
	memset(longname, 'x', KT_NAME_MAX);
	longname[KT_NAME_MAX] = '\0';
	put_v1_branch(txn, f->db, 1, "Юг");
	put_v1_branch(txn, f->db, 2, "юг");
	put_v1_branch(txn, f->db, 3, longname);
	longname[0] = 'X';
	put_v1_branch(txn, f->db, 4, longname);
	put_v1_branch(txn, f->db, 5, "Север");
	mfx_commit(f);

	txn = mfx_wbegin(f);
	assert_int_equal(kt_branch_migrate_v2(f->st, txn), 0);
	mfx_commit(f);

	/* The older keeps its name, found in any case; the younger is
	 * renamed "name (id)", cut to fit, and audited. */
	assert_true(id_of(f, "ЮГ") == 1);
	assert_true(id_of(f, "юг") == 1);
	b = get(f, 2);
	assert_string_equal(b->name, "юг (2)");
	free_branch(b);
	assert_true(id_of(f, "ЮГ (2)") == 2);
	b = get(f, 4);
	assert_int_equal(strlen(b->name), KT_NAME_MAX);
	assert_string_equal(b->name + KT_NAME_MAX - 4, " (4)");
	free_branch(b);
	assert_true(id_of(f, "север") == 5);
	txn = mfx_wbegin(f);
	assert_int_equal(mfx_entries(txn, f->db->branch_names), 5);
	assert_int_equal(mfx_entries(txn, f->db->audit), 2);
	mfx_commit(f);
}


/* The fresh name of a renamed branch may be taken already (a branch
 * called just that): the next one is tried. (It used to fail the whole
 * migration, and the server then refused to start.) */
static void
migrate_v2_fresh_name_taken(void **state)
{
	mfx_t *f = *state;
	MDB_txn *txn = mfx_wbegin(f);
	Ktstore__BranchRecord *b;

	put_v1_branch(txn, f->db, 1, "Юг");
	put_v1_branch(txn, f->db, 2, "юг (3)");
	put_v1_branch(txn, f->db, 3, "юг");
	mfx_commit(f);
	txn = mfx_wbegin(f);
	assert_int_equal(kt_branch_migrate_v2(f->st, txn), 0);
	mfx_commit(f);
	b = get(f, 3);
	assert_string_equal(b->name, "юг (3-2)");
	free_branch(b);
	assert_true(id_of(f, "юг") == 1);
	assert_true(id_of(f, "ЮГ (3)") == 2);
	assert_true(id_of(f, "юг (3-2)") == 3);
}

/* Names whose fold is longer than a key can be (U+FDFA folds to 33
 * bytes) keep distinct keys: the key of a long fold ends in a hash of the
 * whole fold, so two names alike in their first bytes do not collide.
 * (They used to: the fold was cut, and " (id)" with it.) */
static void
migrate_v2_long_fold(void **state)
{
	mfx_t *f = *state;
	MDB_txn *txn = mfx_wbegin(f);
	const char *fa = "\xef\xb7\xba\xef\xb7\xba\xef\xb7\xba\xef\xb7\xba"
	    "\xef\xb7\xba" "A";
	const char *fb = "\xef\xb7\xba\xef\xb7\xba\xef\xb7\xba\xef\xb7\xba"
	    "\xef\xb7\xba" "B";
	Ktstore__BranchRecord *b;

	put_v1_branch(txn, f->db, 1, fa);
	put_v1_branch(txn, f->db, 2, fb);
	mfx_commit(f);
	txn = mfx_wbegin(f);
	assert_int_equal(kt_branch_migrate_v2(f->st, txn), 0);
	mfx_commit(f);
	assert_true(id_of(f, fa) == 1);
	assert_true(id_of(f, fb) == 2);
	b = get(f, 2);
	assert_string_equal(b->name, fb);   /* not renamed: no collision */
	free_branch(b);
	/* And the rules of add see a third such name as a new one. (The
	 * ids here were put by hand, so only the check runs.) */
	{
		kt_verdict_t v;
		txn = mfx_wbegin(f);
		assert_int_equal(kt_branch_add_check(txn, f->db,
		    "\xef\xb7\xba\xef\xb7\xba\xef\xb7\xba\xef\xb7\xba"
		    "\xef\xb7\xba" "C", "", &v), 0);
		assert_true(kt_verdict_is_ok(&v));
		assert_int_equal(kt_branch_add_check(txn, f->db, fa, "", &v), 0);
		assert_false(kt_verdict_is_ok(&v));
		mfx_commit(f);
	}
}

#define T(name) cmocka_unit_test_setup_teardown(name, mfx_setup, mfx_teardown)

static const struct CMUnitTest tests[] = {
	T(id_exact_and_folded),
	T(name_of_zero_and_unknown),
	T(resolve_rules),
	T(add_rules),
	T(add_writes_record_index_audit),
	T(add_audit_detail),
	T(rename_rules),
	T(rename_moves_index),
	T(archive_restore),
	T(migrate_v2_folds_and_renames_collisions),
	T(migrate_v2_fresh_name_taken),
	T(migrate_v2_long_fold),
};

KT_TEST_MAIN(tests)
