/* SPDX-License-Identifier: MIT */
/* Tests for server/maintenance.c: what the housekeeping sweep removes and
 * what it keeps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kt_test.h"

#include "kt_error.h"
#include "records.pb-c.h"
#include "jobs/maintenance.h"
#include "model/store.h"

#define NOW 1800000000

typedef struct fixture {
	char dir[64];
	kt_store_t *st;
} fixture_t;

static int
setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/kt-maint.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(kt_store_open(&f->st, f->dir, KT_STORE_CREATE), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture_t *f = *state;
	char cmd[128];
	kt_store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int
put_rows(kt_store_t *st, MDB_txn *txn, void *arg)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__SessionRecord s = KTSTORE__SESSION_RECORD__INIT;
	Ktstore__InviteRecord inv = KTSTORE__INVITE_RECORD__INIT;
	Ktstore__LoginFailureRecord lf = KTSTORE__LOGIN_FAILURE_RECORD__INIT;
	uint8_t key[32];
	int rc = 0;
	(void)arg;

	memset(key, 0, sizeof(key));
	/* sessions: 1 expired, 2 live */
	for (int i = 0; i < 3 && rc == 0; i++) {
		key[0] = (uint8_t)i;
		s.expires_at = i == 0 ? NOW - 1 : NOW + 3600;
		rc = kt_store_put_record(txn, db->sessions, key, 32, &s.base, 0);
	}
	/* invites: expired 8 days ago (gone), expired yesterday (kept) */
	for (int i = 0; i < 2 && rc == 0; i++) {
		key[0] = (uint8_t)i;
		inv.expires_at = i == 0 ? NOW - 8 * 86400 : NOW - 86400;
		rc = kt_store_put_record(txn, db->invites, key, 32, &inv.base, 0);
	}
	/* failures: stale (gone), recent (kept), locked (kept) */
	if (rc == 0) {
		lf.failures = 2;
		lf.last_failure = NOW - 2 * 86400;
		rc = kt_store_put_record(txn, db->login_failures, "stale", 5,
		    &lf.base, 0);
	}
	if (rc == 0) {
		lf.last_failure = NOW - 60;
		rc = kt_store_put_record(txn, db->login_failures, "recent", 6,
		    &lf.base, 0);
	}
	if (rc == 0) {
		lf.last_failure = NOW - 2 * 86400;
		lf.locked_until = NOW + 60;
		rc = kt_store_put_record(txn, db->login_failures, "locked", 6,
		    &lf.base, 0);
	}
	return rc;
}

typedef struct sweep_arg {
	kt_sweep_counts_t counts;
} sweep_arg_t;

static int
run_sweep(kt_store_t *st, MDB_txn *txn, void *arg)
{
	sweep_arg_t *a = arg;
	return kt_maintenance_sweep(st, txn, NOW, &a->counts);
}

static size_t
count_rows(kt_store_t *st, MDB_dbi dbi)
{
	MDB_txn *txn = NULL;
	MDB_stat ms;
	assert_int_equal(kt_store_read_begin(st, &txn), 0);
	assert_int_equal(mdb_stat(txn, dbi, &ms), 0);
	kt_store_read_end(st, txn);
	return ms.ms_entries;
}

static void
sweep_removes_only_dead_rows(void **state)
{
	fixture_t *f = *state;
	const kt_store_dbs_t *db = kt_store_dbs(f->st);
	sweep_arg_t a;

	assert_int_equal(kt_store_write_sync(f->st, put_rows, NULL), 0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(kt_store_write_sync(f->st, run_sweep, &a), 0);
	assert_int_equal(a.counts.sessions, 1);
	assert_int_equal(a.counts.invites, 1);
	assert_int_equal(a.counts.failures, 1);
	assert_int_equal(count_rows(f->st, db->sessions), 2);
	assert_int_equal(count_rows(f->st, db->invites), 1);
	assert_int_equal(count_rows(f->st, db->login_failures), 2);
	/* A second sweep finds nothing more. */
	assert_int_equal(kt_store_write_sync(f->st, run_sweep, &a), 0);
	assert_int_equal(a.counts.sessions + a.counts.invites +
	    a.counts.failures, 0);
}

static void
sweep_empty_store(void **state)
{
	fixture_t *f = *state;
	sweep_arg_t a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(kt_store_write_sync(f->st, run_sweep, &a), 0);
	assert_int_equal(a.counts.sessions + a.counts.invites +
	    a.counts.failures, 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(sweep_removes_only_dead_rows, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(sweep_empty_store, setup, teardown),
};

KT_TEST_MAIN(tests)
