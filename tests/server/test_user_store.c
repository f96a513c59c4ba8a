/* SPDX-License-Identifier: MIT */
/* Tests for server/model/user_store.c against a temporary store: the owner
 * and the staff, the rules of a user, changes and what they end (sessions)
 * or move (the terminals generation), and the caller's view of a user. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/model_fixture.h"

#include "arena.h"
#include "kartoteka.pb-c.h"
#include "model/branch_store.h"
#include "model/session_store.h"
#include "model/terminal_store.h"
#include "model/user_store.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define E_NOT_FOUND KARTOTEKA__ERROR__CODE__NOT_FOUND
#define E_CONFLICT KARTOTEKA__ERROR__CODE__CONFLICT

#define OWNER KARTOTEKA__ROLE__OWNER
#define HEAD KARTOTEKA__ROLE__HEAD
#define MANAGER KARTOTEKA__ROLE__MANAGER

#define NOW 1800000000
/* Stands for a crypto_pwhash_str output: the store never looks inside. */
#define PWHASH "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"
#define PWHASH2 "$argon2id$v=19$m=65536,t=2,p=1$bmV3c2FsdA$bmV3aGFzaA"

static uint8_t term_key[32];

static kt_actor_t
actor(void)
{
	kt_actor_t a = { 1, term_key, NULL };

	memset(term_key, 0xcd, sizeof(term_key));
	return a;
}

static uint64_t
branch(mfx_t *f, const char *name)
{
	kt_actor_t a = actor();
	kt_verdict_t v;
	uint64_t id = 0;

	assert_int_equal(kt_branch_add(f->st, mfx_wbegin(f), &a, name, "",
	    &id, &v), 0);
	assert_true(kt_verdict_is_ok(&v));
	mfx_commit(f);
	return id;
}

static void
archive(mfx_t *f, const char *name)
{
	kt_actor_t a = actor();
	kt_verdict_t v;
	uint64_t id = 0;

	assert_int_equal(kt_branch_archive(f->st, mfx_wbegin(f), &a, name, 1,
	    &id, &v), 0);
	assert_true(kt_verdict_is_ok(&v));
	mfx_commit(f);
}

static kt_user_new_t
new_user(const char *login, uint32_t role, char *const *branches, size_t nb)
{
	kt_user_new_t n = {
		.login = login, .name = "Some Name", .role = role,
		.branches = branches, .nbranches = nb, .quota = 0,
		.pwhash = PWHASH, .now = NOW,
	};

	return n;
}

static uint64_t
add_ok(mfx_t *f, const kt_user_new_t *n)
{
	kt_actor_t a = actor();
	kt_verdict_t v;
	uint64_t id = 0;

	assert_int_equal(kt_user_add(f->st, mfx_wbegin(f), &a, n, &id, &v), 0);
	if (!kt_verdict_is_ok(&v))
		fail_msg("refused: %s", v.msg);
	mfx_commit(f);
	assert_true(id != 0);
	return id;
}

static void
add_refused(mfx_t *f, const kt_user_new_t *n, uint32_t code, const char *part)
{
	MDB_txn *txn = mfx_wbegin(f);
	kt_actor_t a = actor();
	kt_verdict_t v;
	mfx_snap_t s;
	uint64_t id = 0;

	mfx_snap(txn, f->db, &s);
	assert_int_equal(kt_user_add(f->st, txn, &a, n, &id, &v), 0);
	mfx_assert_refused(&v, code, part);
	mfx_assert_unchanged(txn, f->db, &s);
	assert_int_equal(kt_user_add_check(txn, f->db, n, &v), 0);
	mfx_assert_refused(&v, code, part);
	mfx_commit(f);
}

/* The owner "boss" and the branches north (1) and south (2). */
static uint64_t
owner_and_branches(mfx_t *f)
{
	kt_user_new_t o = new_user("boss", OWNER, NULL, 0);
	uint64_t id = add_ok(f, &o);

	assert_true(branch(f, "north") == 1);
	assert_true(branch(f, "south") == 2);
	return id;
}

static uint64_t
staff(mfx_t *f, const char *login, uint32_t role, char *const *branches,
    size_t nb)
{
	kt_user_new_t n = new_user(login, role, branches, nb);

	return add_ok(f, &n);
}

static kt_user_t
load(mfx_t *f, uint64_t id)
{
	kt_user_t u;
	MDB_txn *txn;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_user_load(txn, f->db, id, &u), 0);
	kt_store_read_end(f->st, txn);
	return u;
}

static uint64_t
gen(mfx_t *f)
{
	MDB_txn *txn;
	uint64_t g;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	g = kt_terminals_gen(txn, f->db);
	kt_store_read_end(f->st, txn);
	return g;
}

static void
last_audit(mfx_t *f, const char *action, const char *object,
    const char *detail)
{
	MDB_txn *txn;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	mfx_assert_last_audit(txn, f->db, action, object, 0, detail, 1,
	    term_key);
	kt_store_read_end(f->st, txn);
}

/* ---- the owner and the staff -------------------------------------------- */

static void
first_user_is_owner(void **state)
{
	mfx_t *f = *state;
	char *north[] = { "north" };
	kt_user_new_t head = new_user("anna", HEAD, north, 1);
	kt_user_new_t o = new_user("boss", OWNER, north, 1);
	kt_user_t u;
	uint64_t id;

	assert_true(branch(f, "north") == 1);
	/* A store's first user is its owner: never a head... */
	add_refused(f, &head, E_BAD, "role: the first user is the owner");
	/* ...and the owner is given no branches. */
	add_refused(f, &o, E_BAD, "branches: the owner works for every branch");

	o = new_user("boss", OWNER, NULL, 0);
	o.quota = 500;
	id = add_ok(f, &o);
	u = load(f, id);
	assert_int_equal(u.role, OWNER);
	assert_int_equal(u.nbranches, 0);
	assert_int_equal(u.daily_view_quota, 0);
	assert_false(u.disabled);
	assert_string_equal(u.login, "boss");
	last_audit(f, "user.add", "user:1",
	    "login=boss role=owner quota=0 branches=");

	/* There is one owner. */
	o = new_user("boss2", OWNER, NULL, 0);
	add_refused(f, &o, E_BAD, "role: must be HEAD or MANAGER");
	/* Now a head may come. */
	id = add_ok(f, &head);
	assert_true(id == 2);
}

static void
staff_need_working_branch(void **state)
{
	mfx_t *f = *state;
	char *none[] = { "west" }, *arch[] = { "east" };
	char *both[] = { "north", "SOUTH", "north" };
	kt_user_new_t n;
	kt_user_t u;
	uint64_t id;

	(void)owner_and_branches(f);
	(void)branch(f, "east");
	archive(f, "east");

	n = new_user("anna", HEAD, NULL, 0);
	add_refused(f, &n, E_BAD, "branches: give at least one branch");
	n = new_user("anna", MANAGER, none, 1);
	add_refused(f, &n, E_BAD, "branches: no branch named 'west'");
	n = new_user("anna", HEAD, arch, 1);
	add_refused(f, &n, E_BAD, "branches: branch 'east' is archived");
	n = new_user("anna", KARTOTEKA__ROLE__ROLE_UNSPECIFIED, both, 3);
	add_refused(f, &n, E_BAD, "role: must be HEAD or MANAGER");
	n = new_user("anna", 99, both, 3);
	add_refused(f, &n, E_BAD, "role: must be HEAD or MANAGER");

	id = staff(f, "anna", HEAD, both, 3);
	u = load(f, id);
	assert_int_equal(u.role, HEAD);
	assert_int_equal(u.nbranches, 2);
	assert_true(u.branches[0] == 1 && u.branches[1] == 2);
	last_audit(f, "user.add", "user:2",
	    "login=anna role=head quota=500 branches=1,2");
	id = staff(f, "bob", MANAGER, both + 1, 1);
	u = load(f, id);
	assert_int_equal(u.role, MANAGER);
	assert_int_equal(u.nbranches, 1);
	assert_true(u.branches[0] == 2);
}

static void
login_and_name_rules(void **state)
{
	mfx_t *f = *state;
	char *north[] = { "north" };
	char login[80];
	kt_user_new_t n;

	(void)owner_and_branches(f);
	static const char *bad[] = {
		"", "Anna", "1anna", ".anna", "-anna", "an na", "anna@x",
		"аня", "anna\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = new_user(bad[i], MANAGER, north, 1);
		add_refused(f, &n, E_BAD, "login: ");
	}
	n = new_user(NULL, MANAGER, north, 1);
	add_refused(f, &n, E_BAD, "login: is empty");
	memset(login, 'a', 65);
	login[65] = '\0';
	n = new_user(login, MANAGER, north, 1);
	add_refused(f, &n, E_BAD, "login: is longer than 64");
	login[64] = '\0';
	(void)staff(f, login, MANAGER, north, 1);
	(void)staff(f, "a.b_c-9", MANAGER, north, 1);

	/* Taken, also by the owner. */
	n = new_user("a.b_c-9", HEAD, north, 1);
	add_refused(f, &n, E_CONFLICT, "login: 'a.b_c-9' is already taken");
	n = new_user("boss", HEAD, north, 1);
	add_refused(f, &n, E_CONFLICT, "login: 'boss' is already taken");

	n = new_user("carl", MANAGER, north, 1);
	n.name = "";
	add_refused(f, &n, E_BAD, "name: is empty");
	n.name = "Carl\x01";
	add_refused(f, &n, E_BAD, "name: contains control");
	n.name = "Carl \xc3";
	add_refused(f, &n, E_BAD, "name: contains control characters or "
	    "invalid UTF-8");
	{
		char *bad_branch[] = { "nor\x02th" };
		n = new_user("carl", MANAGER, bad_branch, 1);
		add_refused(f, &n, E_BAD, "branches: contains control");
	}
}

static void
quota_rules(void **state)
{
	mfx_t *f = *state;
	char *north[] = { "north" };
	kt_user_new_t n;
	uint64_t id;

	(void)owner_and_branches(f);
	id = staff(f, "anna", MANAGER, north, 1);
	{	/* Stored 0: the role's default, a head's is higher. */
		kt_user_t u = load(f, id);
		assert_int_equal(u.daily_view_quota, 0);
		assert_int_equal(kt_user_view_quota(&u), KT_DEFAULT_VIEW_QUOTA);
		assert_int_equal(kt_user_row_quota(&u), KT_DEFAULT_ROW_QUOTA);
		u.role = KARTOTEKA__ROLE__HEAD;
		assert_int_equal(kt_user_view_quota(&u), KT_HEAD_VIEW_QUOTA);
		assert_int_equal(kt_user_row_quota(&u), KT_HEAD_ROW_QUOTA);
		u.role = KARTOTEKA__ROLE__OWNER;
		assert_int_equal(kt_user_view_quota(&u), 0);
		assert_int_equal(kt_user_row_quota(&u), 0);
	}
	assert_int_equal(KT_DEFAULT_VIEW_QUOTA, 200);

	n = new_user("bob", MANAGER, north, 1);
	n.quota = KT_VIEW_QUOTA_MAX + 1;
	add_refused(f, &n, E_BAD, "daily_view_quota: at most 100000");
	n.quota = KT_VIEW_QUOTA_MAX;
	id = add_ok(f, &n);
	assert_int_equal(load(f, id).daily_view_quota, 100000);
	n = new_user("carl", HEAD, north, 1);
	n.quota = 1;
	id = add_ok(f, &n);
	assert_int_equal(load(f, id).daily_view_quota, 1);
	last_audit(f, "user.add", "user:4",
	    "login=carl role=head quota=1 branches=1");
}

static void
add_needs_password_hash(void **state)
{
	mfx_t *f = *state;
	kt_user_new_t o = new_user("boss", OWNER, NULL, 0);
	kt_actor_t a = actor();
	kt_verdict_t v;
	MDB_txn *txn;
	mfx_snap_t s;
	uint64_t id = 0;

	/* The check itself takes a new user without one... */
	o.pwhash = NULL;
	txn = mfx_wbegin(f);
	assert_int_equal(kt_user_add_check(txn, f->db, &o, &v), 0);
	assert_true(kt_verdict_is_ok(&v));
	/* ...but storing one is the caller's bug, and writes nothing. */
	mfx_snap(txn, f->db, &s);
	assert_int_equal(kt_user_add(f->st, txn, &a, &o, &id, &v), KT_ESTATE);
	o.pwhash = "";
	assert_int_equal(kt_user_add(f->st, txn, &a, &o, &id, &v), KT_ESTATE);
	mfx_assert_unchanged(txn, f->db, &s);
	mfx_abort(f);
}

/* ---- change ------------------------------------------------------------- */

static uint64_t
change_ok(mfx_t *f, const kt_user_edit_t *e)
{
	kt_actor_t a = actor();
	kt_verdict_t v;
	uint64_t id = 0;

	assert_int_equal(kt_user_change(f->st, mfx_wbegin(f), &a, e, &id, &v),
	    0);
	if (!kt_verdict_is_ok(&v))
		fail_msg("refused: %s", v.msg);
	mfx_commit(f);
	return id;
}

static void
change_refused(mfx_t *f, const kt_user_edit_t *e, uint32_t code,
    const char *part)
{
	MDB_txn *txn = mfx_wbegin(f);
	kt_actor_t a = actor();
	kt_verdict_t v;
	mfx_snap_t s;
	uint64_t id = 0;

	mfx_snap(txn, f->db, &s);
	assert_int_equal(kt_user_change(f->st, txn, &a, e, &id, &v), 0);
	mfx_assert_refused(&v, code, part);
	mfx_assert_unchanged(txn, f->db, &s);
	assert_int_equal(kt_user_change_check(txn, f->db, e, &v), 0);
	mfx_assert_refused(&v, code, part);
	mfx_commit(f);
}

static void
change_fields(void **state)
{
	mfx_t *f = *state;
	char *north[] = { "north" }, *both[] = { "south", "north" };
	uint64_t id, g;
	kt_user_t u;

	(void)owner_and_branches(f);
	id = staff(f, "anna", HEAD, north, 1);

	{	/* The name: nothing to re-check. */
		kt_user_edit_t e = { .login = "anna", .fields = KT_USER_F_NAME,
		    .name = "Anna K." };
		g = gen(f);
		assert_true(change_ok(f, &e) == id);
		u = load(f, id);
		assert_string_equal(u.name, "Anna K.");
		assert_int_equal(u.role, HEAD);
		assert_true(gen(f) == g);
		last_audit(f, "user.change", "user:2",
		    "login=anna name=Anna K.");
	}
	{	/* The same role again: written and audited, nothing moved. */
		kt_user_edit_t e = { .login = "anna", .fields = KT_USER_F_ROLE,
		    .role = HEAD };
		g = gen(f);
		(void)change_ok(f, &e);
		assert_true(gen(f) == g);
	}
	{	/* Another role: connections are re-checked. */
		kt_user_edit_t e = { .login = "anna", .fields = KT_USER_F_ROLE,
		    .role = MANAGER };
		g = gen(f);
		(void)change_ok(f, &e);
		assert_int_equal(load(f, id).role, MANAGER);
		assert_true(gen(f) == g + 1);
		last_audit(f, "user.change", "user:2",
		    "login=anna role=manager");
	}
	{	/* Branches: re-checked too. */
		kt_user_edit_t e = { .login = "anna",
		    .fields = KT_USER_F_BRANCHES, .branches = both,
		    .nbranches = 2 };
		g = gen(f);
		(void)change_ok(f, &e);
		u = load(f, id);
		assert_int_equal(u.nbranches, 2);
		assert_true(u.branches[0] == 2 && u.branches[1] == 1);
		assert_true(gen(f) == g + 1);
		last_audit(f, "user.change", "user:2",
		    "login=anna branches=2,1");
	}
	{	/* The quota; 0 is the default. */
		kt_user_edit_t e = { .login = "anna", .fields = KT_USER_F_QUOTA,
		    .quota = 7 };
		g = gen(f);
		(void)change_ok(f, &e);
		assert_int_equal(load(f, id).daily_view_quota, 7);
		assert_true(gen(f) == g);
		e.quota = 0;
		(void)change_ok(f, &e);
		assert_int_equal(load(f, id).daily_view_quota, 0);
		last_audit(f, "user.change", "user:2", "login=anna quota=200");
	}
	{	/* All at once; the password hash is kept. */
		kt_user_edit_t e = { .login = "anna", .fields = KT_USER_F_NAME |
		    KT_USER_F_ROLE | KT_USER_F_BRANCHES | KT_USER_F_QUOTA,
		    .name = "A", .role = HEAD, .branches = north,
		    .nbranches = 1, .quota = 9 };
		char hash[crypto_pwhash_STRBYTES];
		MDB_txn *txn;

		(void)change_ok(f, &e);
		last_audit(f, "user.change", "user:2",
		    "login=anna name=A role=head branches=1 quota=9");
		assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
		assert_int_equal(kt_user_find(txn, f->db, "anna", &u, hash), 0);
		kt_store_read_end(f->st, txn);
		assert_string_equal(hash, PWHASH);
		assert_string_equal(u.name, "A");
		assert_int_equal(u.daily_view_quota, 9);
	}
}

static void
change_refusals(void **state)
{
	mfx_t *f = *state;
	char *north[] = { "north" }, *west[] = { "west" }, *east[] = { "east" };

	(void)owner_and_branches(f);
	(void)branch(f, "east");
	archive(f, "east");
	(void)staff(f, "anna", HEAD, north, 1);
	{
		kt_user_edit_t e = { .login = "anna", .fields = 0 };
		change_refused(f, &e, E_BAD, "fields: name at least one");
	}
	{
		kt_user_edit_t e = { .login = "zoe", .fields = KT_USER_F_NAME,
		    .name = "Zoe" };
		change_refused(f, &e, E_NOT_FOUND, "no user with login 'zoe'");
		e.login = "Zoe";
		change_refused(f, &e, E_BAD, "login: ");
	}
	{
		kt_user_edit_t e = { .login = "anna", .fields = KT_USER_F_NAME,
		    .name = "" };
		change_refused(f, &e, E_BAD, "name: is empty");
	}
	{
		kt_user_edit_t e = { .login = "anna", .fields = KT_USER_F_ROLE,
		    .role = OWNER };
		change_refused(f, &e, E_BAD, "role: must be HEAD or MANAGER");
	}
	{
		kt_user_edit_t e = { .login = "anna", .fields = KT_USER_F_QUOTA,
		    .quota = KT_VIEW_QUOTA_MAX + 1 };
		change_refused(f, &e, E_BAD, "daily_view_quota: at most");
	}
	{
		kt_user_edit_t e = { .login = "anna",
		    .fields = KT_USER_F_BRANCHES, .nbranches = 0 };
		change_refused(f, &e, E_BAD, "branches: give at least one");
		e.branches = west;
		e.nbranches = 1;
		change_refused(f, &e, E_BAD, "branches: no branch named 'west'");
		e.branches = east;
		change_refused(f, &e, E_BAD, "branches: branch 'east' is "
		    "archived");
	}
}

static void
change_owner_forbidden(void **state)
{
	mfx_t *f = *state;
	char *north[] = { "north" };
	uint64_t id = owner_and_branches(f);
	kt_user_edit_t e = { .login = "boss" };

	e.fields = KT_USER_F_ROLE;
	e.role = HEAD;
	change_refused(f, &e, E_FORBIDDEN, "the owner's role, branches and "
	    "quota cannot be changed");
	e.fields = KT_USER_F_BRANCHES;
	e.branches = north;
	e.nbranches = 1;
	change_refused(f, &e, E_FORBIDDEN, "the owner's role");
	e.fields = KT_USER_F_QUOTA;
	e.quota = 10;
	change_refused(f, &e, E_FORBIDDEN, "the owner's role");
	e.fields = KT_USER_F_NAME | KT_USER_F_QUOTA;
	e.name = "Big Boss";
	change_refused(f, &e, E_FORBIDDEN, "the owner's role");

	/* The owner's name is theirs to change. */
	e.fields = KT_USER_F_NAME;
	assert_true(change_ok(f, &e) == id);
	assert_string_equal(load(f, id).name, "Big Boss");
	assert_int_equal(load(f, id).role, OWNER);
}

/* ---- password and disable: sessions end ----------------------------------- */

static void
session(mfx_t *f, uint64_t user, uint8_t n)
{
	uint8_t hash[32], key[32];

	memset(hash, n, sizeof(hash));
	memset(key, 0x77, sizeof(key));
	assert_int_equal(kt_session_rec_put(mfx_wbegin(f), f->db, hash, user,
	    key, NOW, NOW + 3600), 0);
	mfx_commit(f);
}

/* Sessions of user in the store. */
static size_t
sessions_of(mfx_t *f, uint64_t user)
{
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	size_t n = 0;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(mdb_cursor_open(txn, f->db->sessions, &cur), 0);
	while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
		Ktstore__SessionRecord *s = ktstore__session_record__unpack(
		    NULL, v.mv_size, v.mv_data);
		assert_non_null(s);
		n += s->user_id == user;
		ktstore__session_record__free_unpacked(s, NULL);
	}
	mdb_cursor_close(cur);
	kt_store_read_end(f->st, txn);
	return n;
}

static void
set_password_ends_their_sessions(void **state)
{
	mfx_t *f = *state;
	char *north[] = { "north" };
	char hash[crypto_pwhash_STRBYTES];
	uint64_t boss = owner_and_branches(f), anna, bob, id = 0;
	kt_actor_t a = actor();
	kt_verdict_t v;
	size_t ended = 99;
	MDB_txn *txn;
	mfx_snap_t s;
	kt_user_t u;

	anna = staff(f, "anna", HEAD, north, 1);
	bob = staff(f, "bob", MANAGER, north, 1);
	session(f, anna, 1);
	session(f, bob, 2);
	session(f, anna, 3);
	session(f, anna, 4);
	session(f, boss, 5);

	txn = mfx_wbegin(f);
	assert_int_equal(kt_user_set_password(f->st, txn, &a, "anna", PWHASH2,
	    &id, &ended, &v), 0);
	assert_true(kt_verdict_is_ok(&v));
	assert_true(id == anna);
	assert_int_equal(ended, 3);
	mfx_assert_last_audit(txn, f->db, "user.password", "user:2", 0,
	    "login=anna sessions_ended=3", 1, term_key);
	mfx_commit(f);
	assert_int_equal(sessions_of(f, anna), 0);
	assert_int_equal(sessions_of(f, bob), 1);
	assert_int_equal(sessions_of(f, boss), 1);

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_user_find(txn, f->db, "anna", &u, hash), 0);
	assert_string_equal(hash, PWHASH2);
	assert_int_equal(kt_user_find(txn, f->db, "bob", &u, hash), 0);
	assert_string_equal(hash, PWHASH);
	kt_store_read_end(f->st, txn);

	/* Without sessions; the owner's own password may change. */
	txn = mfx_wbegin(f);
	assert_int_equal(kt_user_set_password(f->st, txn, &a, "anna", PWHASH,
	    &id, &ended, &v), 0);
	assert_true(kt_verdict_is_ok(&v));
	assert_int_equal(ended, 0);
	assert_int_equal(kt_user_set_password(f->st, txn, &a, "boss", PWHASH2,
	    &id, &ended, &v), 0);
	assert_true(kt_verdict_is_ok(&v));
	assert_true(id == boss);
	assert_int_equal(ended, 1);

	/* No such user: nothing written. */
	mfx_snap(txn, f->db, &s);
	assert_int_equal(kt_user_set_password(f->st, txn, &a, "zoe", PWHASH,
	    &id, &ended, &v), 0);
	mfx_assert_refused(&v, E_NOT_FOUND, "no user with login 'zoe'");
	assert_int_equal(kt_user_password_check(txn, f->db, "zoe", &v), 0);
	mfx_assert_refused(&v, E_NOT_FOUND, "no user with login 'zoe'");
	assert_int_equal(kt_user_password_check(txn, f->db, "", &v), 0);
	mfx_assert_refused(&v, E_BAD, "login: ");
	mfx_assert_unchanged(txn, f->db, &s);
	mfx_commit(f);
}

static void
disable_rules(void **state)
{
	mfx_t *f = *state;
	char *north[] = { "north" };
	uint64_t anna, bob, id = 0, g;
	kt_actor_t a = actor();
	kt_verdict_t v;
	size_t ended = 99;
	MDB_txn *txn;
	mfx_snap_t s;

	(void)owner_and_branches(f);
	anna = staff(f, "anna", HEAD, north, 1);
	bob = staff(f, "bob", MANAGER, north, 1);
	session(f, anna, 1);
	session(f, anna, 2);
	session(f, bob, 3);

	g = gen(f);
	txn = mfx_wbegin(f);
	assert_int_equal(kt_user_set_disabled(f->st, txn, &a, "anna", 1, &id,
	    &ended, &v), 0);
	assert_true(kt_verdict_is_ok(&v));
	assert_true(id == anna);
	assert_int_equal(ended, 2);
	mfx_assert_last_audit(txn, f->db, "user.disable", "user:2", 0,
	    "login=anna sessions_ended=2", 1, term_key);
	mfx_commit(f);
	assert_true(load(f, anna).disabled);
	assert_int_equal(sessions_of(f, anna), 0);
	assert_int_equal(sessions_of(f, bob), 1);
	assert_true(gen(f) == g + 1);

	/* Refusals write nothing. */
	txn = mfx_wbegin(f);
	mfx_snap(txn, f->db, &s);
	assert_int_equal(kt_user_set_disabled(f->st, txn, &a, "anna", 1, &id,
	    &ended, &v), 0);
	mfx_assert_refused(&v, E_CONFLICT, "user 'anna' is already disabled");
	assert_int_equal(kt_user_set_disabled(f->st, txn, &a, "boss", 1, &id,
	    &ended, &v), 0);
	mfx_assert_refused(&v, E_FORBIDDEN, "the owner cannot be disabled");
	assert_int_equal(kt_user_set_disabled(f->st, txn, &a, "boss", 0, &id,
	    &ended, &v), 0);
	mfx_assert_refused(&v, E_FORBIDDEN, "the owner cannot be disabled");
	assert_int_equal(kt_user_set_disabled(f->st, txn, &a, "bob", 0, &id,
	    &ended, &v), 0);
	mfx_assert_refused(&v, E_CONFLICT, "user 'bob' is not disabled");
	assert_int_equal(kt_user_set_disabled(f->st, txn, &a, "zoe", 1, &id,
	    &ended, &v), 0);
	mfx_assert_refused(&v, E_NOT_FOUND, "no user with login 'zoe'");
	assert_int_equal(kt_user_disable_check(txn, f->db, "anna", 1, &v), 0);
	mfx_assert_refused(&v, E_CONFLICT, "already disabled");
	assert_int_equal(kt_user_disable_check(txn, f->db, "anna", 0, &v), 0);
	assert_true(kt_verdict_is_ok(&v));
	mfx_assert_unchanged(txn, f->db, &s);

	/* Enabled again; ends nothing. */
	assert_int_equal(kt_user_set_disabled(f->st, txn, &a, "anna", 0, &id,
	    &ended, &v), 0);
	assert_true(kt_verdict_is_ok(&v));
	assert_int_equal(ended, 0);
	mfx_assert_last_audit(txn, f->db, "user.enable", "user:2", 0,
	    "login=anna sessions_ended=0", 1, term_key);
	mfx_commit(f);
	assert_false(load(f, anna).disabled);
	assert_int_equal(sessions_of(f, bob), 1);
}

/* ---- the caller's view -------------------------------------------------- */

static void
user_info_branch_names(void **state)
{
	mfx_t *f = *state;
	char *both[] = { "south", "north" };
	uint64_t boss = owner_and_branches(f), anna;
	Kartoteka__UserInfo ui;
	kt_arena_t arena;
	MDB_txn *txn;
	kt_user_t u;

	anna = staff(f, "anna", HEAD, both, 2);
	assert_int_equal(kt_arena_init(&arena, 1024, 1 << 16), 0);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);

	assert_int_equal(kt_user_load(txn, f->db, anna, &u), 0);
	assert_int_equal(kt_user_info(txn, f->db, &u, &arena, &ui), 0);
	assert_true(ui.id == anna);
	assert_string_equal(ui.login, "anna");
	assert_string_equal(ui.name, "Some Name");
	assert_int_equal(ui.role, HEAD);
	assert_false(ui.disabled);
	/* A head's quotas by default (DESIGN §4: heads are limited too). */
	assert_int_equal(ui.daily_view_quota, KT_HEAD_VIEW_QUOTA);
	assert_int_equal(ui.daily_row_quota, KT_HEAD_ROW_QUOTA);
	assert_int_equal(ui.n_branches, 2);
	assert_string_equal(ui.branches[0], "south");
	assert_string_equal(ui.branches[1], "north");

	/* A branch id the store does not know is shown by its number. */
	u.branches[1] = 42;
	assert_int_equal(kt_user_info(txn, f->db, &u, &arena, &ui), 0);
	assert_string_equal(ui.branches[1], "#42");

	assert_int_equal(kt_user_load(txn, f->db, boss, &u), 0);
	assert_int_equal(kt_user_info(txn, f->db, &u, &arena, &ui), 0);
	assert_int_equal(ui.role, OWNER);
	assert_int_equal(ui.n_branches, 0);
	assert_int_equal(ui.daily_view_quota, 0);

	assert_int_equal(kt_user_load(txn, f->db, 99, &u), KT_ENOTFOUND);
	assert_int_equal(kt_user_load(txn, f->db, 0, &u), KT_ENOTFOUND);
	kt_store_read_end(f->st, txn);
	kt_arena_free(&arena);

	assert_string_equal(kt_user_role_word(OWNER), "owner");
	assert_string_equal(kt_user_role_word(HEAD), "head");
	assert_string_equal(kt_user_role_word(MANAGER), "manager");
	assert_string_equal(kt_user_role_word(0), "?");
	assert_string_equal(kt_user_role_word(77), "?");
}

static void
may_use_terminal(void **state)
{
	kt_user_t owner_u = { .id = 1, .role = OWNER };
	kt_user_t head = { .id = 2, .role = HEAD, .nbranches = 2,
	    .branches = { 3, 5 } };
	kt_user_t lost = { .id = 3, .role = MANAGER, .nbranches = 0 };
	kt_user_t odd = { .id = 4, .role = MANAGER, .nbranches = 1,
	    .branches = { 0 } };

	(void)state;
	assert_true(kt_user_may_use_terminal(&owner_u, 0));
	assert_false(kt_user_may_use_terminal(&owner_u, 3));
	assert_true(kt_user_may_use_terminal(&head, 3));
	assert_true(kt_user_may_use_terminal(&head, 5));
	assert_false(kt_user_may_use_terminal(&head, 4));
	/* An owner terminal is the owner's only. */
	assert_false(kt_user_may_use_terminal(&head, 0));
	assert_false(kt_user_may_use_terminal(&lost, 0));
	assert_false(kt_user_may_use_terminal(&lost, 3));
	assert_false(kt_user_may_use_terminal(&odd, 0));
}

static void
find_hides_hash(void **state)
{
	mfx_t *f = *state;
	char *north[] = { "north" };
	char hash[crypto_pwhash_STRBYTES], login[16];
	uint64_t anna, id = 0;
	MDB_txn *txn;
	kt_user_t u;

	(void)owner_and_branches(f);
	anna = staff(f, "anna", HEAD, north, 1);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);

	memset(&u, 0x5a, sizeof(u));
	assert_int_equal(kt_user_find(txn, f->db, "anna", &u, NULL), 0);
	assert_true(u.id == anna);
	assert_string_equal(u.login, "anna");
	/* Not a byte of the hash anywhere in what the caller got. */
	assert_null(memmem(&u, sizeof(u), "$argon2id$", 10));
	assert_null(memmem(&u, sizeof(u), "aGFzaGhhc2g", 11));
	u = load(f, anna);
	assert_null(memmem(&u, sizeof(u), "$argon2id$", 10));

	/* Only when asked. */
	assert_int_equal(kt_user_find(txn, f->db, "anna", &u, hash), 0);
	assert_string_equal(hash, PWHASH);

	assert_int_equal(kt_user_find(txn, f->db, "zoe", &u, hash),
	    KT_ENOTFOUND);
	assert_int_equal(kt_user_find(txn, f->db, "", &u, NULL), KT_ENOTFOUND);
	assert_int_equal(kt_user_id(txn, f->db, NULL, &id), KT_ENOTFOUND);
	assert_int_equal(kt_user_id(txn, f->db, "anna", &id), 0);
	assert_true(id == anna);

	kt_user_login(txn, f->db, anna, login, sizeof(login));
	assert_string_equal(login, "anna");
	kt_user_login(txn, f->db, 0, login, sizeof(login));
	assert_string_equal(login, "");
	kt_user_login(txn, f->db, 9, login, sizeof(login));
	assert_string_equal(login, "#9");
	kt_store_read_end(f->st, txn);
}

#define T(name) cmocka_unit_test_setup_teardown(name, mfx_setup, mfx_teardown)

static const struct CMUnitTest tests[] = {
	T(first_user_is_owner),
	T(staff_need_working_branch),
	T(login_and_name_rules),
	T(quota_rules),
	T(add_needs_password_hash),
	T(change_fields),
	T(change_refusals),
	T(change_owner_forbidden),
	T(set_password_ends_their_sessions),
	T(disable_rules),
	T(user_info_branch_names),
	T(may_use_terminal),
	T(find_hides_hash),
};

KT_TEST_MAIN(tests)
