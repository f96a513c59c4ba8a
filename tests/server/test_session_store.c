/* SPDX-License-Identifier: MIT */
/* Tests for server/model/session_store.c against a temporary store: a
 * session is alive until it expires or idles and only on its own
 * terminal; sessions end one by one, all of a user or all of a terminal
 * at once; failed-login counts are per login and terminal, and an unlock
 * clears a login's on every terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/model_fixture.h"

#include "model/session_store.h"

#define NOW 1800000000

static void
hash_of(uint8_t h[32], uint8_t n)
{
	memset(h, n, 32);
}

static void
put(mfx_t *f, uint8_t n, uint64_t user, uint8_t term, int64_t expires)
{
	uint8_t h[32], key[32];

	hash_of(h, n);
	memset(key, term, sizeof(key));
	assert_int_equal(kt_session_rec_put(mfx_wbegin(f), f->db, h, user, key,
	    NOW, expires), 0);
	mfx_commit(f);
}

static int
check(mfx_t *f, uint8_t n, uint8_t term, int64_t now, uint64_t *user,
    int64_t *expires)
{
	uint8_t h[32], key[32];
	MDB_txn *txn;
	int rc;

	hash_of(h, n);
	memset(key, term, sizeof(key));
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	rc = kt_session_rec_check(txn, f->db, h, key, now, user, expires);
	kt_store_read_end(f->st, txn);
	return rc;
}

static void
put_and_check(void **state)
{
	mfx_t *f = *state;
	uint8_t h[32], key[32];
	int64_t expires = 0;
	uint64_t user = 0;

	put(f, 1, 5, 0xaa, NOW + 3600);
	assert_int_equal(check(f, 1, 0xaa, NOW, &user, &expires), 0);
	assert_true(user == 5);
	assert_true(expires == NOW + 3600);
	assert_int_equal(check(f, 1, 0xaa, NOW + 3599, &user, &expires), 0);
	/* Dead from its expiry on. */
	assert_int_equal(check(f, 1, 0xaa, NOW + 3600, &user, &expires),
	    KT_EEXPIRED);
	assert_int_equal(check(f, 1, 0xaa, NOW + 86400, &user, &expires),
	    KT_EEXPIRED);
	/* Another terminal's. */
	user = 0;
	assert_int_equal(check(f, 1, 0xbb, NOW, &user, &expires), KT_EPERM);
	assert_true(user == 5);
	/* Unknown. */
	assert_int_equal(check(f, 2, 0xaa, NOW, &user, &expires),
	    KT_ENOTFOUND);

	/* A token hash is one session. */
	hash_of(h, 1);
	memset(key, 0xaa, sizeof(key));
	assert_int_equal(kt_session_rec_put(mfx_wbegin(f), f->db, h, 6, key,
	    NOW, NOW + 10), KT_EEXIST);
	mfx_abort(f);
	assert_int_equal(check(f, 1, 0xaa, NOW, &user, &expires), 0);
	assert_true(user == 5);
}

static void
delete_twice(void **state)
{
	mfx_t *f = *state;
	uint8_t h[32];
	int64_t expires;
	uint64_t user;
	MDB_txn *txn;

	put(f, 1, 5, 0xaa, NOW + 3600);
	put(f, 2, 5, 0xaa, NOW + 3600);
	hash_of(h, 1);
	txn = mfx_wbegin(f);
	assert_int_equal(kt_session_rec_del(txn, f->db, h), 0);
	assert_int_equal(kt_session_rec_del(txn, f->db, h), 0);
	mfx_commit(f);
	assert_int_equal(kt_session_rec_del(mfx_wbegin(f), f->db, h), 0);
	mfx_commit(f);
	assert_int_equal(check(f, 1, 0xaa, NOW, &user, &expires),
	    KT_ENOTFOUND);
	/* The other session is still there. */
	assert_int_equal(check(f, 2, 0xaa, NOW, &user, &expires), 0);
}

static void
end_user(void **state)
{
	mfx_t *f = *state;
	int64_t expires;
	uint64_t user;
	size_t ended = 99;
	MDB_txn *txn;

	/* User 1's sessions side by side in key order (deleting under a
	 * cursor must not skip the next one), one expired, and others
	 * between them. */
	put(f, 1, 1, 0xaa, NOW + 3600);
	put(f, 2, 1, 0xbb, NOW + 3600);
	put(f, 3, 1, 0xaa, NOW - 1);
	put(f, 4, 2, 0xaa, NOW + 3600);
	put(f, 5, 1, 0xcc, NOW + 3600);
	put(f, 6, 3, 0xaa, NOW + 3600);
	put(f, 7, 1, 0xaa, NOW + 3600);

	txn = mfx_wbegin(f);
	assert_int_equal(kt_sessions_end_user(txn, f->db, 1, &ended), 0);
	assert_int_equal(ended, 5);
	assert_int_equal(mfx_entries(txn, f->db->sessions), 2);
	mfx_commit(f);
	for (uint8_t n = 1; n <= 7; n++) {
		int rc = check(f, n, 0xaa, NOW, &user, &expires);
		if (n == 4 || n == 6) {
			assert_int_equal(rc, 0);
			assert_true(user == (n == 4 ? 2 : 3));
		} else {
			assert_int_equal(rc, KT_ENOTFOUND);
		}
	}

	/* Nothing left of user 1; nothing ever of user 9. */
	txn = mfx_wbegin(f);
	assert_int_equal(kt_sessions_end_user(txn, f->db, 1, &ended), 0);
	assert_int_equal(ended, 0);
	assert_int_equal(kt_sessions_end_user(txn, f->db, 9, &ended), 0);
	assert_int_equal(ended, 0);
	assert_int_equal(kt_sessions_end_user(txn, f->db, 2, &ended), 0);
	assert_int_equal(ended, 1);
	assert_int_equal(kt_sessions_end_user(txn, f->db, 3, &ended), 0);
	assert_int_equal(ended, 1);
	/* And on an empty database. */
	assert_int_equal(kt_sessions_end_user(txn, f->db, 3, &ended), 0);
	assert_int_equal(ended, 0);
	mfx_commit(f);
}

/* ---- idle times ---------------------------------------------------------- */

static int
alive(mfx_t *f, uint8_t n, uint8_t term, int64_t now, int64_t used_at,
    kt_session_info_t *info)
{
	uint8_t h[32], key[32];
	MDB_txn *txn;
	int rc;

	hash_of(h, n);
	memset(key, term, sizeof(key));
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	rc = kt_session_rec_alive(txn, f->db, h, key, now, used_at, info);
	kt_store_read_end(f->st, txn);
	return rc;
}

static void
idle_time_and_touch(void **state)
{
	mfx_t *f = *state;
	uint8_t h[32], key[32];
	kt_session_info_t info;

	hash_of(h, 1);
	memset(key, 0xaa, sizeof(key));
	assert_int_equal(kt_session_rec_put_idle(mfx_wbegin(f), f->db, h, 5,
	    key, NOW, NOW + 3600, 900), 0);
	mfx_commit(f);
	assert_int_equal(alive(f, 1, 0xaa, NOW + 899, 0, &info), 0);
	assert_true(info.user == 5 && info.idle_s == 900 &&
	    info.last_used == NOW);
	assert_int_equal(alive(f, 1, 0xaa, NOW + 900, 0, &info), KT_EEXPIRED);
	assert_true(info.idle);
	/* A use seen on an open connection counts. */
	assert_int_equal(alive(f, 1, 0xaa, NOW + 900, NOW + 10, &info), 0);
	/* A touch starts the idle time again. */
	assert_int_equal(kt_session_rec_touch(mfx_wbegin(f), f->db, h,
	    NOW + 800), 0);
	mfx_commit(f);
	assert_int_equal(alive(f, 1, 0xaa, NOW + 1699, 0, &info), 0);
	assert_int_equal(alive(f, 1, 0xaa, NOW + 1700, 0, &info), KT_EEXPIRED);
	/* The expiry wins over any use; another terminal is refused. */
	assert_int_equal(alive(f, 1, 0xaa, NOW + 3600, NOW + 3599, &info),
	    KT_EEXPIRED);
	assert_false(info.idle);
	assert_int_equal(alive(f, 1, 0xbb, NOW + 10, 0, &info), KT_EPERM);
	/* A session without an idle time (older records) never idles. */
	put(f, 2, 6, 0xaa, NOW + 7200);
	assert_int_equal(alive(f, 2, 0xaa, NOW + 7000, 0, &info), 0);
	hash_of(h, 9);
	assert_int_equal(kt_session_rec_touch(mfx_wbegin(f), f->db, h, NOW),
	    KT_ENOTFOUND);
	mfx_abort(f);
}

static void
end_terminal(void **state)
{
	mfx_t *f = *state;
	uint8_t key[32];
	uint64_t user = 99;
	size_t ended = 99;
	MDB_txn *txn;

	put(f, 1, 1, 0xaa, NOW + 3600);
	put(f, 2, 2, 0xbb, NOW + 3600);
	put(f, 3, 3, 0xaa, NOW - 1);          /* expired: not the one named */
	put(f, 4, 4, 0xaa, NOW + 3600);
	memset(key, 0xaa, sizeof(key));
	txn = mfx_wbegin(f);
	assert_int_equal(kt_sessions_end_terminal(txn, f->db, key, NOW, &ended,
	    &user), 0);
	assert_int_equal(ended, 3);
	assert_true(user == 1 || user == 4);
	assert_int_equal(mfx_entries(txn, f->db->sessions), 1);
	assert_int_equal(kt_sessions_end_terminal(txn, f->db, key, NOW, &ended,
	    &user), 0);
	assert_int_equal(ended, 0);
	assert_true(user == 0);
	mfx_commit(f);
}

/* ---- failed logins -------------------------------------------------------- */

static void
fail_put(mfx_t *f, const char *login, uint8_t term, uint32_t n,
    int64_t locked_until)
{
	Ktstore__LoginFailureRecord r = KTSTORE__LOGIN_FAILURE_RECORD__INIT;
	uint8_t key[32];

	memset(key, term, sizeof(key));
	r.failures = n;
	r.last_failure = NOW;
	r.locked_until = locked_until;
	assert_int_equal(kt_login_failure_put(mfx_wbegin(f), f->db, login, key,
	    &r), 0);
	mfx_commit(f);
}

static void
failures_per_terminal(void **state)
{
	mfx_t *f = *state;
	Ktstore__LoginFailureRecord *r = NULL;
	Ktstore__LoginFailureRecord old = KTSTORE__LOGIN_FAILURE_RECORD__INIT;
	uint8_t key[32] = { 0 }, k[KT_LOGIN_FAILURE_KEY_MAX];
	unsigned terms = 0;
	uint32_t total = 0;
	size_t cleared = 0, locked = 0;
	MDB_txn *txn;

	assert_int_equal(kt_login_failure_key(k, "anna", key), 4 + 32);
	fail_put(f, "anna", 0xaa, 3, 0);
	fail_put(f, "anna", 0xbb, 10, NOW + 900);
	fail_put(f, "anna", 0xcc, 2, NOW - 1);      /* lock ran out */
	fail_put(f, "annabel", 0xaa, 7, NOW + 900); /* shares the prefix */
	fail_put(f, "ann", 0xaa, 1, 0);
	/* A row of the older key (the login alone). */
	old.failures = 4;
	old.last_failure = NOW;
	assert_int_equal(kt_store_put_record(mfx_wbegin(f),
	    f->db->login_failures, "anna", 4, &old.base, 0), 0);
	mfx_commit(f);

	memset(key, 0xbb, sizeof(key));
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_login_failure_get(txn, f->db, "anna", key, &r), 0);
	assert_int_equal(r->failures, 10);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	memset(key, 0xdd, sizeof(key));
	assert_int_equal(kt_login_failure_get(txn, f->db, "anna", key, &r),
	    KT_ENOTFOUND);
	assert_int_equal(kt_login_failures_spread(txn, f->db, "anna", NOW,
	    &terms, &total), 0);
	kt_store_read_end(f->st, txn);
	/* aa, bb and the old row; cc's lock ran out; annabel is not anna. */
	assert_int_equal(terms, 3);
	assert_int_equal(total, 3 + 10 + 4);

	txn = mfx_wbegin(f);
	assert_int_equal(kt_login_unlock(txn, f->db, "anna", NOW, &cleared,
	    &locked), 0);
	assert_int_equal(cleared, 4);
	assert_int_equal(locked, 1);
	assert_int_equal(mfx_entries(txn, f->db->login_failures), 2);
	assert_int_equal(kt_login_failures_spread(txn, f->db, "annabel", NOW,
	    &terms, &total), 0);
	assert_int_equal(terms, 1);
	assert_int_equal(kt_login_unlock(txn, f->db, "anna", NOW, &cleared,
	    &locked), 0);
	assert_int_equal(cleared, 0);
	memset(key, 0xaa, sizeof(key));
	assert_int_equal(kt_login_failure_del(txn, f->db, "ann", key), 0);
	assert_int_equal(kt_login_failure_del(txn, f->db, "ann", key), 0);
	assert_int_equal(mfx_entries(txn, f->db->login_failures), 1);
	mfx_commit(f);
}

#define T(name) cmocka_unit_test_setup_teardown(name, mfx_setup, mfx_teardown)

static const struct CMUnitTest tests[] = {
	T(put_and_check),
	T(delete_twice),
	T(end_user),
	T(idle_time_and_touch),
	T(end_terminal),
	T(failures_per_terminal),
};

KT_TEST_MAIN(tests)
