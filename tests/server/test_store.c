/* SPDX-License-Identifier: MIT */
/* Tests for server/store.c: open/create, schema, ids, records, map growth. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kt_test.h"

#include "kt_error.h"
#include "records.pb-c.h"
#include "model/migrate.h"
#include "model/store.h"

/* ---- temporary directories -------------------------------------------- */

static int
rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static char *
tmpdir_make(void)
{
	char *d = strdup("/tmp/kt-store-XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static void
tmpdir_remove(char *d)
{
	assert_int_equal(nftw(d, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
	free(d);
}

static char *
subdir(const char *d, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", d, name) > 0);
	return p;
}

/* ---- helpers ---------------------------------------------------------- */

static int
raw_get(kt_store_t *st, MDB_dbi dbi, const char *key, MDB_val *out,
    uint8_t *copy, size_t cap)
{
	MDB_txn *txn;
	MDB_val k = { .mv_size = strlen(key), .mv_data = (void *)key };
	int rc;

	assert_int_equal(kt_store_read_begin(st, &txn), 0);
	rc = mdb_get(txn, dbi, &k, out);
	if (rc == 0) {
		assert_true(out->mv_size <= cap);
		memcpy(copy, out->mv_data, out->mv_size);
		out->mv_data = copy;
	}
	kt_store_read_end(st, txn);
	return rc;
}

static int
set_schema(kt_store_t *st, MDB_txn *txn, void *arg)
{
	const uint8_t *v4 = arg;
	MDB_val k = { .mv_size = 6, .mv_data = "schema" };
	MDB_val v = { .mv_size = 4, .mv_data = (void *)v4 };

	return kt_store_err(mdb_put(txn, kt_store_dbs(st)->meta, &k, &v, 0));
}

/* ---- tests ------------------------------------------------------------ */

static void
open_creates_schema(void **state)
{
	char *d = tmpdir_make(), *dir = subdir(d, "data");
	kt_store_t *st = NULL;
	struct stat sb;
	uint8_t buf[16] = { 0 };
	MDB_val v;

	(void)state;
	assert_int_equal(kt_store_open(&st, dir, KT_STORE_CREATE), 0);
	assert_non_null(st);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(raw_get(st, kt_store_dbs(st)->meta, "schema", &v, buf,
	    sizeof buf), 0);
	assert_int_equal(v.mv_size, 4);
	assert_int_equal((uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | buf[3],
	    KT_STORE_SCHEMA);
	kt_store_close(st);
	kt_store_close(NULL);

	char *f = subdir(dir, "data.mdb");
	assert_int_equal(stat(f, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	free(f);
	free(dir);
	tmpdir_remove(d);
}

static void
open_missing_refused(void **state)
{
	char *d = tmpdir_make(), *dir = subdir(d, "nope");
	kt_store_t *st = NULL;

	(void)state;
	assert_int_equal(kt_store_open(&st, dir, 0), KT_ENOTFOUND);
	assert_null(st);
	/* An existing but empty directory is no store either. */
	assert_int_equal(kt_store_open(&st, d, 0), KT_ENOTFOUND);
	assert_int_equal(kt_store_open(&st, d, KT_STORE_RDONLY), KT_ENOTFOUND);
	assert_null(st);
	free(dir);
	tmpdir_remove(d);
}

typedef struct put_arg {
	const char *key;
	const char *val;
} put_arg_t;

static int
put_str(kt_store_t *st, MDB_txn *txn, void *arg)
{
	put_arg_t *p = arg;
	MDB_val k = { .mv_size = strlen(p->key), .mv_data = (void *)p->key };
	MDB_val v = { .mv_size = strlen(p->val), .mv_data = (void *)p->val };

	return kt_store_err(mdb_put(txn, kt_store_dbs(st)->meta, &k, &v, 0));
}

static void
reopen(void **state)
{
	char *d = tmpdir_make();
	kt_store_t *st = NULL;
	put_arg_t p = { "hello", "world" };
	uint8_t buf[16];
	MDB_val v;

	(void)state;
	assert_int_equal(kt_store_open(&st, d, KT_STORE_CREATE), 0);
	assert_int_equal(kt_store_write_sync(st, put_str, &p), 0);
	kt_store_close(st);

	assert_int_equal(kt_store_open(&st, d, 0), 0);
	assert_int_equal(raw_get(st, kt_store_dbs(st)->meta, "hello", &v, buf,
	    sizeof buf), 0);
	assert_int_equal(v.mv_size, 5);
	assert_memory_equal(buf, "world", 5);
	kt_store_close(st);

	/* Read-only: readable, not writable. */
	assert_int_equal(kt_store_open(&st, d, KT_STORE_RDONLY), 0);
	assert_int_equal(raw_get(st, kt_store_dbs(st)->meta, "hello", &v, buf,
	    sizeof buf), 0);
	assert_int_equal(kt_store_write_sync(st, put_str, &p), KT_EPERM);
	kt_store_close(st);

	/* Creating over an existing store keeps it. */
	assert_int_equal(kt_store_open(&st, d, KT_STORE_CREATE), 0);
	assert_int_equal(raw_get(st, kt_store_dbs(st)->meta, "hello", &v, buf,
	    sizeof buf), 0);
	kt_store_close(st);
	tmpdir_remove(d);
}

static void
newer_schema_refused(void **state)
{
	char *d = tmpdir_make();
	kt_store_t *st = NULL;
	uint8_t newer[4] = { 0, 0, 0, KT_STORE_SCHEMA + 1 };
	uint8_t older[4] = { 0, 0, 0, 0 };

	(void)state;
	assert_int_equal(kt_store_open(&st, d, KT_STORE_CREATE), 0);
	assert_int_equal(kt_store_write_sync(st, set_schema, newer), 0);
	kt_store_close(st);
	st = NULL;
	assert_int_equal(kt_store_open(&st, d, 0), KT_EPROTO);
	assert_null(st);
	assert_int_equal(kt_store_open(&st, d, KT_STORE_CREATE), KT_EPROTO);
	assert_int_equal(kt_store_open(&st, d, KT_STORE_RDONLY), KT_EPROTO);
	assert_null(st);

	/* And no older schema exists to migrate from. */
	{
		MDB_env *env;
		MDB_txn *txn;
		MDB_dbi dbi;
		MDB_val k = { .mv_size = 6, .mv_data = "schema" };
		MDB_val v = { .mv_size = 4, .mv_data = older };

		assert_int_equal(mdb_env_create(&env), 0);
		assert_int_equal(mdb_env_set_maxdbs(env, 64), 0);
		assert_int_equal(mdb_env_open(env, d, 0, 0600), 0);
		assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
		assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
		assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
		assert_int_equal(mdb_txn_commit(txn), 0);
		mdb_env_close(env);
	}
	/* Older than this binary: the plain open refuses it, the open of
	 * the commands finds no migration from version 0. */
	assert_int_equal(kt_store_open(&st, d, 0), KT_ESTATE);
	assert_null(st);
	assert_int_equal(kt_migrate_open(&st, d, 0), KT_ESTORE);
	assert_null(st);
	tmpdir_remove(d);
}

typedef struct ids_arg {
	uint64_t ids[4];
} ids_arg_t;

static int
take_ids(kt_store_t *st, MDB_txn *txn, void *arg)
{
	ids_arg_t *a = arg;
	int rc;

	for (int i = 0; i < 3; i++)
		if ((rc = kt_store_next_id(st, txn, "client", &a->ids[i])) != 0)
			return rc;
	return kt_store_next_id(st, txn, "deal", &a->ids[3]);
}

static void
next_id(void **state)
{
	char *d = tmpdir_make();
	kt_store_t *st = NULL;
	ids_arg_t a;
	char longname[200];

	(void)state;
	assert_int_equal(kt_store_open(&st, d, KT_STORE_CREATE), 0);
	assert_int_equal(kt_store_write_sync(st, take_ids, &a), 0);
	assert_true(a.ids[0] == 1 && a.ids[1] == 2 && a.ids[2] == 3);
	assert_true(a.ids[3] == 1);
	kt_store_close(st);

	assert_int_equal(kt_store_open(&st, d, 0), 0);
	assert_int_equal(kt_store_write_sync(st, take_ids, &a), 0);
	assert_true(a.ids[0] == 4 && a.ids[2] == 6 && a.ids[3] == 2);

	/* The counter is stored BE64 under "ctr:client". */
	uint8_t buf[16];
	MDB_val v;
	assert_int_equal(raw_get(st, kt_store_dbs(st)->meta, "ctr:client", &v,
	    buf, sizeof buf), 0);
	assert_int_equal(v.mv_size, 8);
	assert_true(kt_store_get_be64(buf) == 6);

	/* An id taken in a transaction that is undone is not used up. */
	MDB_txn *txn;
	uint64_t id;
	assert_int_equal(mdb_txn_begin(kt_store_env(st), NULL, 0, &txn), 0);
	assert_int_equal(kt_store_next_id(st, txn, "client", &id), 0);
	assert_true(id == 7);
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(kt_store_next_id(st, txn, longname, &id), KT_EINVAL);
	mdb_txn_abort(txn);
	assert_int_equal(kt_store_write_sync(st, take_ids, &a), 0);
	assert_true(a.ids[0] == 7);
	kt_store_close(st);
	tmpdir_remove(d);
}

static void
be64_helpers(void **state)
{
	uint8_t b[8];

	(void)state;
	kt_store_be64(b, 0x0102030405060708ull);
	assert_memory_equal(b, "\1\2\3\4\5\6\7\10", 8);
	assert_true(kt_store_get_be64(b) == 0x0102030405060708ull);
	kt_store_be64(b, UINT64_MAX);
	assert_true(kt_store_get_be64(b) == UINT64_MAX);
	kt_store_be64(b, 0);
	assert_true(kt_store_get_be64(b) == 0);
	/* Byte order sorts like the numbers. */
	uint8_t a1[8], a2[8];
	kt_store_be64(a1, 255);
	kt_store_be64(a2, 256);
	assert_true(memcmp(a1, a2, 8) < 0);
}

typedef struct rec_arg {
	const ProtobufCMessage *msg;
	unsigned flags;
} rec_arg_t;

static int
put_user(kt_store_t *st, MDB_txn *txn, void *arg)
{
	rec_arg_t *r = arg;
	uint8_t key[8];

	kt_store_be64(key, 42);
	return kt_store_put_record(txn, kt_store_dbs(st)->users, key,
	    sizeof key, r->msg, r->flags);
}

static int
put_garbage(kt_store_t *st, MDB_txn *txn, void *arg)
{
	uint8_t key[8];
	MDB_val k = { .mv_size = 8, .mv_data = key };
	MDB_val v = { .mv_size = 3, .mv_data = "\xff\xff\xff" };

	(void)arg;
	kt_store_be64(key, 43);
	return kt_store_err(mdb_put(txn, kt_store_dbs(st)->users, &k, &v, 0));
}

static void
record_round_trip(void **state)
{
	char *d = tmpdir_make();
	kt_store_t *st = NULL;
	Ktstore__UserRecord u = KTSTORE__USER_RECORD__INIT;
	uint64_t branches[3] = { 1, 5, 9 };
	ProtobufCMessage *m = NULL;
	Ktstore__UserRecord *got;
	rec_arg_t r = { &u.base, 0 };
	uint8_t key[8];
	MDB_txn *txn;

	(void)state;
	u.id = 42;
	u.login = "olga";
	u.name = "Ольга Петрова";
	u.role = 2;
	u.n_branches = 3;
	u.branches = branches;
	u.daily_view_quota = 200;
	u.created_at = 1700000000;
	assert_int_equal(kt_store_open(&st, d, KT_STORE_CREATE), 0);
	assert_int_equal(kt_store_write_sync(st, put_user, &r), 0);
	r.flags = MDB_NOOVERWRITE;
	assert_int_equal(kt_store_write_sync(st, put_user, &r), KT_EEXIST);
	assert_int_equal(kt_store_write_sync(st, put_garbage, NULL), 0);

	assert_int_equal(kt_store_read_begin(st, &txn), 0);
	kt_store_be64(key, 42);
	assert_int_equal(kt_store_get_record(txn, kt_store_dbs(st)->users, key,
	    8, &ktstore__user_record__descriptor, &m), 0);
	got = (Ktstore__UserRecord *)m;
	assert_true(got->id == 42);
	assert_string_equal(got->login, "olga");
	assert_string_equal(got->name, "Ольга Петрова");
	assert_int_equal(got->n_branches, 3);
	assert_true(got->branches[2] == 9);
	assert_int_equal(got->daily_view_quota, 200);
	assert_true(got->created_at == 1700000000);
	protobuf_c_message_free_unpacked(m, NULL);

	kt_store_be64(key, 41);
	assert_int_equal(kt_store_get_record(txn, kt_store_dbs(st)->users, key,
	    8, &ktstore__user_record__descriptor, &m), KT_ENOTFOUND);
	assert_null(m);
	kt_store_be64(key, 43);
	assert_int_equal(kt_store_get_record(txn, kt_store_dbs(st)->users, key,
	    8, &ktstore__user_record__descriptor, &m), KT_EPROTO);
	assert_null(m);
	kt_store_read_end(st, txn);
	kt_store_read_end(st, NULL);
	kt_store_close(st);
	tmpdir_remove(d);
}

static void
err_mapping(void **state)
{
	(void)state;
	assert_int_equal(kt_store_err(0), 0);
	assert_int_equal(kt_store_err(MDB_NOTFOUND), KT_ENOTFOUND);
	assert_int_equal(kt_store_err(MDB_MAP_FULL), KT_ENOSPC);
	assert_int_equal(kt_store_err(MDB_KEYEXIST), KT_EEXIST);
	assert_int_equal(kt_store_err(MDB_CORRUPTED), KT_ESTORE);
	assert_int_equal(kt_store_err(MDB_BAD_TXN), KT_ESTORE);
}

/* Writes n values of size bytes under keys base..base+n-1. */
typedef struct fill_arg {
	uint64_t base;
	unsigned n;
	size_t size;
	unsigned calls;
} fill_arg_t;

static int
fill(kt_store_t *st, MDB_txn *txn, void *arg)
{
	fill_arg_t *f = arg;
	uint8_t key[8];
	MDB_val k = { .mv_size = 8, .mv_data = key }, v;
	int rc;

	f->calls++;
	for (unsigned i = 0; i < f->n; i++) {
		kt_store_be64(key, f->base + i);
		v.mv_size = f->size;
		v.mv_data = NULL;
		rc = mdb_put(txn, kt_store_dbs(st)->branches, &k, &v,
		    MDB_RESERVE);
		if (rc != 0)
			return kt_store_err(rc);
		memset(v.mv_data, (int)((f->base + i) & 0xff), f->size);
	}
	return 0;
}

static void
map_info(kt_store_t *st, size_t *used, size_t *map)
{
	MDB_envinfo info;
	MDB_stat ms;

	assert_int_equal(mdb_env_info(kt_store_env(st), &info), 0);
	assert_int_equal(mdb_env_stat(kt_store_env(st), &ms), 0);
	*used = ((size_t)info.me_last_pgno + 1) * ms.ms_psize;
	*map = info.me_mapsize;
}

static void
map_grows(void **state)
{
	char *d = tmpdir_make();
	kt_store_opts_t o = { .map_size = 1u << 20 };
	kt_store_t *st = NULL;
	size_t used, map, first;
	unsigned doublings = 0;

	(void)state;
	assert_int_equal(kt_store_open_ex(&st, d, KT_STORE_CREATE, &o), 0);
	map_info(st, &used, &first);
	assert_true(first == o.map_size);
	map = first;
	/* 200 commits of 64 KiB each: 12.5 MiB of data. */
	for (unsigned i = 0; i < 200; i++) {
		fill_arg_t f = { .base = (uint64_t)i * 16, .n = 16,
		    .size = 4000 };
		size_t prev = map;

		assert_int_equal(kt_store_write_sync(st, fill, &f), 0);
		map_info(st, &used, &map);
		/* Grown before full: never over 70 % after a commit. */
		assert_true(used * 10 <= map * 7);
		if (map > prev)
			doublings++;
	}
	assert_true(doublings >= 3);
	assert_true(map >= 16 * first);
	kt_store_close(st);

	/* Reopened, it keeps its size (not shrunk to the initial one). */
	assert_int_equal(kt_store_open_ex(&st, d, 0, &o), 0);
	{
		size_t map2;
		MDB_txn *txn;
		uint8_t key[8];
		MDB_val k = { .mv_size = 8, .mv_data = key }, v;

		map_info(st, &used, &map2);
		assert_true(map2 >= map);
		assert_int_equal(kt_store_read_begin(st, &txn), 0);
		kt_store_be64(key, 3199);
		assert_int_equal(mdb_get(txn, kt_store_dbs(st)->branches, &k,
		    &v), 0);
		assert_int_equal(v.mv_size, 4000);
		assert_int_equal(((uint8_t *)v.mv_data)[3999], 3199 & 0xff);
		kt_store_read_end(st, txn);
	}
	kt_store_close(st);
	tmpdir_remove(d);
}

static void
map_full_retry(void **state)
{
	char *d = tmpdir_make();
	kt_store_opts_t o = { .map_size = 1u << 20 };
	kt_store_t *st = NULL;
	fill_arg_t f = { .base = 0, .n = 500, .size = 6000 };  /* ~3 MiB */
	/* 200 MiB: more than 4 doublings give, yet below LMDB's page-spill
	 * threshold (an aborted txn that spilled leaks in LMDB 0.9.24). */
	fill_arg_t huge = { .base = 1000, .n = 1, .size = (size_t)200 << 20 };
	size_t used, map;

	(void)state;
	assert_int_equal(kt_store_open_ex(&st, d, KT_STORE_CREATE, &o), 0);
	/* One transaction bigger than the map: MAP_FULL, grow, run again. */
	assert_int_equal(kt_store_write_sync(st, fill, &f), 0);
	assert_true(f.calls > 1);
	map_info(st, &used, &map);
	assert_true(map >= 4u << 20 && map <= 8u << 20);
	/* Past the retries it gives up cleanly and changes nothing. */
	assert_int_equal(kt_store_write_sync(st, fill, &huge), KT_ENOSPC);
	assert_int_equal(huge.calls, 5);
	{
		MDB_txn *txn;
		uint8_t key[8];
		MDB_val k = { .mv_size = 8, .mv_data = key }, v;

		assert_int_equal(kt_store_read_begin(st, &txn), 0);
		kt_store_be64(key, 1000);
		assert_int_equal(mdb_get(txn, kt_store_dbs(st)->branches, &k,
		    &v), MDB_NOTFOUND);
		kt_store_be64(key, 499);
		assert_int_equal(mdb_get(txn, kt_store_dbs(st)->branches, &k,
		    &v), 0);
		kt_store_read_end(st, txn);
	}
	kt_store_close(st);
	tmpdir_remove(d);
}

/* Another process (an offline command) grows the map while this one has
 * the store open: this one adopts the new size on its next begin. */
static void
map_resized_by_other_process(void **state)
{
	char *d = tmpdir_make();
	kt_store_opts_t o = { .map_size = 1u << 20 };
	kt_store_t *st = NULL;
	size_t used, map;
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(kt_store_open_ex(&st, d, KT_STORE_CREATE, &o), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		kt_store_t *c = NULL;
		int ok = 1;

		if (kt_store_open_ex(&c, d, 0, &o) != 0)
			_exit(2);
		for (unsigned i = 0; i < 100 && ok; i++) {
			fill_arg_t f = { .base = (uint64_t)i * 16, .n = 16,
			    .size = 4000 };
			ok = kt_store_write_sync(c, fill, &f) == 0;
		}
		kt_store_close(c);
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	MDB_txn *txn;
	uint8_t key[8];
	MDB_val k = { .mv_size = 8, .mv_data = key }, v;

	assert_int_equal(kt_store_read_begin(st, &txn), 0);
	kt_store_be64(key, 1599);
	assert_int_equal(mdb_get(txn, kt_store_dbs(st)->branches, &k, &v), 0);
	assert_int_equal(v.mv_size, 4000);
	kt_store_read_end(st, txn);
	map_info(st, &used, &map);
	assert_true(map >= used);
	/* And this process can write on top. */
	fill_arg_t f = { .base = 5000, .n = 16, .size = 4000 };
	assert_int_equal(kt_store_write_sync(st, fill, &f), 0);
	kt_store_close(st);
	tmpdir_remove(d);
}

/* ---- the cap (kt_store_set_max_size) ------------------------------------- */

/* 64 records of 1 KiB under keys "cap:<n>" from *next on. */
static int
put_kib(kt_store_t *st, MDB_txn *txn, void *arg)
{
	int *next = arg;
	char key[32], val[1024];
	MDB_val k, v;
	int rc;

	memset(val, 'x', sizeof(val));
	for (int i = 0; i < 64; i++) {
		snprintf(key, sizeof(key), "cap:%08d", *next + i);
		k.mv_size = strlen(key);
		k.mv_data = key;
		v.mv_size = sizeof(val);
		v.mv_data = val;
		if ((rc = kt_store_err(mdb_put(txn, kt_store_dbs(st)->meta, &k,
		    &v, 0))) != 0)
			return rc;
	}
	return 0;
}

static void
cap_refuses_then_reserve_takes(void **state)
{
	char *d = tmpdir_make();
	kt_store_t *st = NULL;
	int next = 0, rc = 0, filled = 0;

	(void)state;
	assert_int_equal(kt_store_open(&st, d, KT_STORE_CREATE), 0);
	assert_int_equal(kt_store_set_max_size(st, 100, 10), KT_EINVAL);
	assert_int_equal(kt_store_set_max_size(st, 1u << 20, 1u << 20),
	    KT_EINVAL);
	assert_int_equal(kt_store_set_max_size(st, 1u << 20, 256u << 10), 0);
	assert_int_equal(kt_store_has_room(st), 1);
	/* Ordinary writes stop at the cap less the reserve. */
	for (int i = 0; i < 100 && rc == 0; i++) {
		rc = kt_store_write_sync(st, put_kib, &next);
		if (rc == 0)
			next += 64, filled++;
	}
	assert_int_equal(rc, KT_ENOSPC);
	assert_true(filled >= 4 && filled < 16);
	assert_int_equal(kt_store_has_room(st), 0);
	/* The reserve takes one more, and ordinary writes still find the
	 * store full afterwards. */
	assert_int_equal(kt_store_write_sync_reserve(st, put_kib, &next), 0);
	next += 64;
	assert_int_equal(kt_store_write_sync(st, put_kib, &next), KT_ENOSPC);
	/* Until the reserve is spent too. */
	rc = 0;
	for (int i = 0; i < 100 && rc == 0; i++)
		if ((rc = kt_store_write_sync_reserve(st, put_kib, &next)) == 0)
			next += 64;
	rc = kt_store_write_sync_reserve(st, put_kib, &next);
	assert_int_equal(rc, KT_ENOSPC);
	kt_store_close(st);
	/* A larger cap at the next open gives room again. */
	assert_int_equal(kt_store_open(&st, d, 0), 0);
	assert_int_equal(kt_store_set_max_size(st, 8u << 20, 256u << 10), 0);
	assert_int_equal(kt_store_has_room(st), 1);
	assert_int_equal(kt_store_write_sync(st, put_kib, &next), 0);
	kt_store_close(st);
	tmpdir_remove(d);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(open_creates_schema),
	cmocka_unit_test(open_missing_refused),
	cmocka_unit_test(reopen),
	cmocka_unit_test(newer_schema_refused),
	cmocka_unit_test(next_id),
	cmocka_unit_test(be64_helpers),
	cmocka_unit_test(record_round_trip),
	cmocka_unit_test(err_mapping),
	cmocka_unit_test(map_grows),
	cmocka_unit_test(map_full_retry),
	cmocka_unit_test(map_resized_by_other_process),
	cmocka_unit_test(cap_refuses_then_reserve_takes),
};

KT_TEST_MAIN(tests)
