/* SPDX-License-Identifier: MIT */
/* A temporary store for the unit tests of server/model/: made by the
 * cmocka setup, removed by the teardown (also after a failed assertion),
 * with helpers for transactions, the audit log and a digest of the whole
 * store, which is how a test shows that a refusal wrote nothing. */
#ifndef KT_MODEL_FIXTURE_H
#define KT_MODEL_FIXTURE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "kt_test.h"

#include "kt_error.h"
#include "model/store.h"
#include "records.pb-c.h"

typedef struct mfx {
	char dir[64];
	kt_store_t *st;
	const kt_store_dbs_t *db;
	MDB_txn *txn;          /* the open write transaction, if any: the
				  teardown aborts it after a failure */
} mfx_t;

static inline int
mfx_rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static inline int
mfx_setup(void **state)
{
	mfx_t *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/kt-model-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(kt_store_open(&f->st, f->dir, KT_STORE_CREATE), 0);
	f->db = kt_store_dbs(f->st);
	*state = f;
	return 0;
}

static inline int
mfx_teardown(void **state)
{
	mfx_t *f = *state;

	if (f->txn != NULL)
		mdb_txn_abort(f->txn);
	kt_store_close(f->st);
	assert_int_equal(nftw(f->dir, mfx_rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
	free(f);
	return 0;
}

/* A write transaction straight on the environment (one thread, a tiny
 * store: the writer's map growth is not needed here). */
static inline MDB_txn *
mfx_wbegin(mfx_t *f)
{
	assert_null(f->txn);
	assert_int_equal(mdb_txn_begin(kt_store_env(f->st), NULL, 0, &f->txn),
	    0);
	return f->txn;
}

static inline void
mfx_commit(mfx_t *f)
{
	MDB_txn *txn = f->txn;

	f->txn = NULL;
	assert_int_equal(mdb_txn_commit(txn), 0);
}

static inline void
mfx_abort(mfx_t *f)
{
	mdb_txn_abort(f->txn);
	f->txn = NULL;
}

/* Entries of dbi as txn sees them. */
static inline size_t
mfx_entries(MDB_txn *txn, MDB_dbi dbi)
{
	MDB_stat ms;

	assert_int_equal(mdb_stat(txn, dbi, &ms), 0);
	return ms.ms_entries;
}

/* The newest audit entry as txn sees it (free with
 * ktstore__audit_entry__free_unpacked), or NULL for an empty log. */
static inline Ktstore__AuditEntry *
mfx_audit_last(MDB_txn *txn, const kt_store_dbs_t *db)
{
	Ktstore__AuditEntry *e = NULL;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	assert_int_equal(mdb_cursor_open(txn, db->audit, &cur), 0);
	rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	if (rc == 0) {
		assert_true(v.mv_size > 32);
		e = ktstore__audit_entry__unpack(NULL, v.mv_size - 32,
		    (const uint8_t *)v.mv_data + 32);
		assert_non_null(e);
	} else {
		assert_int_equal(rc, MDB_NOTFOUND);
	}
	mdb_cursor_close(cur);
	return e;
}

/* Asserts the newest audit entry: its action, object, outcome, detail
 * (NULL: not checked), the acting user and terminal key (NULL: a local
 * command, stored empty). */
static inline void
mfx_assert_last_audit(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *action, const char *object, uint32_t outcome,
    const char *detail, uint64_t user, const uint8_t *term)
{
	Ktstore__AuditEntry *e = mfx_audit_last(txn, db);

	assert_non_null(e);
	assert_string_equal(e->action, action);
	assert_string_equal(e->object, object);
	assert_int_equal(e->outcome, outcome);
	if (detail != NULL)
		assert_string_equal(e->detail, detail);
	assert_int_equal(e->user_id, user);
	if (term == NULL) {
		assert_int_equal(e->terminal_key.len, 0);
	} else {
		assert_int_equal(e->terminal_key.len, 32);
		assert_memory_equal(e->terminal_key.data, term, 32);
	}
	ktstore__audit_entry__free_unpacked(e, NULL);
}

/* BLAKE2b-256 over every key and value of the n databases dbis as txn
 * sees them. */
static inline void
mfx_digest_list(MDB_txn *txn, const MDB_dbi *dbis, size_t n, uint8_t out[32])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, 32);
	for (size_t i = 0; i < n; i++) {
		MDB_cursor *cur;
		MDB_val k, v;
		uint64_t len;
		int rc;

		assert_int_equal(mdb_cursor_open(txn, dbis[i], &cur), 0);
		crypto_generichash_update(&h, (const uint8_t *)&i, sizeof(i));
		while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
			len = k.mv_size;
			crypto_generichash_update(&h, (uint8_t *)&len, 8);
			crypto_generichash_update(&h, k.mv_data, k.mv_size);
			len = v.mv_size;
			crypto_generichash_update(&h, (uint8_t *)&len, 8);
			crypto_generichash_update(&h, v.mv_data, v.mv_size);
		}
		assert_int_equal(rc, MDB_NOTFOUND);
		mdb_cursor_close(cur);
	}
	crypto_generichash_final(&h, out, 32);
}

/* The digest of one database. */
static inline void
mfx_digest_dbi(MDB_txn *txn, MDB_dbi dbi, uint8_t out[32])
{
	mfx_digest_list(txn, &dbi, 1, out);
}

/* The digest of every database of the store: equal digests before and
 * after a call mean the call changed nothing at all. kt_store_dbs_t
 * holds only MDB_dbi members. */
static inline void
mfx_digest(MDB_txn *txn, const kt_store_dbs_t *db, uint8_t out[32])
{
	_Static_assert(sizeof(kt_store_dbs_t) % sizeof(MDB_dbi) == 0,
	    "kt_store_dbs_t is a list of MDB_dbi");
	mfx_digest_list(txn, (const MDB_dbi *)(const void *)db,
	    sizeof(*db) / sizeof(MDB_dbi), out);
}

/* 1 when the bytes b (len of them) appear in any key or value of any
 * database of the store as txn sees it. */
static inline int
mfx_store_contains(MDB_txn *txn, const kt_store_dbs_t *db, const void *b,
    size_t len)
{
	const MDB_dbi *dbis = (const MDB_dbi *)(const void *)db;
	size_t ndbis = sizeof(*db) / sizeof(MDB_dbi);
	int found = 0;

	for (size_t i = 0; i < ndbis && !found; i++) {
		MDB_cursor *cur;
		MDB_val k, v;

		assert_int_equal(mdb_cursor_open(txn, dbis[i], &cur), 0);
		while (!found && mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0)
			found = memmem(k.mv_data, k.mv_size, b, len) != NULL ||
			    memmem(v.mv_data, v.mv_size, b, len) != NULL;
		mdb_cursor_close(cur);
	}
	return found;
}

/* The store as txn sees it, to compare after a call that must write
 * nothing (a refusal). */
typedef struct mfx_snap {
	uint8_t digest[32];
	size_t audit;          /* audit entries */
} mfx_snap_t;

static inline void
mfx_snap(MDB_txn *txn, const kt_store_dbs_t *db, mfx_snap_t *s)
{
	mfx_digest(txn, db, s->digest);
	s->audit = mfx_entries(txn, db->audit);
}

static inline void
mfx_assert_unchanged(MDB_txn *txn, const kt_store_dbs_t *db,
    const mfx_snap_t *before)
{
	mfx_snap_t now;

	mfx_snap(txn, db, &now);
	assert_int_equal(now.audit, before->audit);
	assert_memory_equal(now.digest, before->digest, 32);
}

/* Asserts that the refusal v has code and that its message contains
 * part. */
#define mfx_assert_refused(v, want_code, part)                           \
	do {                                                             \
		if ((v)->code != (uint32_t)(want_code))                  \
			fail_msg("verdict %u '%s', wanted %u",           \
			    (unsigned)(v)->code, (v)->msg,               \
			    (unsigned)(want_code));                      \
		if (strstr((v)->msg, (part)) == NULL)                    \
			fail_msg("message '%s' lacks '%s'", (v)->msg,    \
			    (part));                                     \
	} while (0)

#endif
