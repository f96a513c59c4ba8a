/* SPDX-License-Identifier: MIT */
/* Tests for server/model/session_store.c against a temporary store: a
 * session is alive until it expires and only on its own terminal, and
 * sessions end one by one or all of a user at once. */
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

#define T(name) cmocka_unit_test_setup_teardown(name, mfx_setup, mfx_teardown)

static const struct CMUnitTest tests[] = {
	T(put_and_check),
	T(delete_twice),
	T(end_user),
};

KT_TEST_MAIN(tests)
