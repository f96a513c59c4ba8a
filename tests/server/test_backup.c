/* SPDX-License-Identifier: MIT */
/* Tests for server/jobs/backup.c: a store with records and its key files
 * make a backup that restores into a new directory as the same store
 * (every database's digest equal) and the same keys; a restore refuses a
 * directory that holds files, and a damaged or cut backup, a wrong
 * passphrase or a foreign file name leave the directory empty; a sink
 * that fails mid-copy ends the backup with its error, without hanging. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/model_fixture.h"
#include "kt_membuf.h"

#include "backup_file.h"
#include "jobs/backup.h"
#include "keyfile.h"
#include "model/identity.h"

#define OPS crypto_pwhash_OPSLIMIT_MIN
#define MEM crypto_pwhash_MEMLIMIT_MIN
#define PASS "сосна-берёза-42"

/* Records enough to span many pages, and the key files. */
static void
fill(mfx_t *f)
{
	uint8_t key[64];
	char path[128];
	MDB_txn *txn = mfx_wbegin(f);

	for (int i = 0; i < 3000; i++) {
		char k[32], v[200];
		MDB_val kk, vv;

		snprintf(k, sizeof(k), "test:%05d", i);
		memset(v, 'a' + i % 26, sizeof(v));
		kk.mv_size = strlen(k);
		kk.mv_data = k;
		vv.mv_size = sizeof(v);
		vv.mv_data = v;
		assert_int_equal(mdb_put(txn, f->db->meta, &kk, &vv, 0), 0);
	}
	mfx_commit(f);
	memset(key, 7, sizeof(key));
	snprintf(path, sizeof(path), "%s/%s", f->dir, KT_SERVER_KEY_FILE);
	assert_int_equal(kt_keyfile_write(path, key, 32, 1), 0);
	memset(key, 9, sizeof(key));
	snprintf(path, sizeof(path), "%s/%s", f->dir, KT_SIGN_KEY_FILE);
	assert_int_equal(kt_keyfile_write(path, key, 64, 1), 0);
}

static kt_membuf_t
backup_of(mfx_t *f)
{
	kt_membuf_t b = { 0 };
	kt_backup_writer_t *w = NULL;

	assert_int_equal(kt_backup_writer_open(&w, PASS, strlen(PASS), OPS,
	    MEM, kt_membuf_write, &b), 0);
	assert_int_equal(kt_backup_make(f->st, f->dir, w), 0);
	kt_backup_writer_free(w);
	return b;
}

static int
restore_to(kt_membuf_t *b, const char *pass, const char *dir, char *why)
{
	kt_backup_reader_t *r = NULL;
	int rc;

	b->pos = 0;
	rc = kt_backup_reader_open(&r, pass, strlen(pass), kt_membuf_read, b, why,
	    200);
	if (rc == 0)
		rc = kt_backup_restore(r, dir, why, 200);
	kt_backup_reader_free(r);
	return rc;
}

static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
rm_dir(const char *dir)
{
	nftw(dir, mfx_rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void
restores_the_same_store_and_keys(void **state)
{
	mfx_t *f = *state;
	char dir[64], why[200], path[128];
	uint8_t a[32], b32[32], key[64];
	kt_store_t *st = NULL;
	MDB_txn *txn;
	kt_membuf_t b;
	struct stat sb;

	fill(f);
	b = backup_of(f);
	snprintf(dir, sizeof(dir), "/tmp/kt-restore-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(restore_to(&b, PASS, dir, why), 0);
	assert_int_equal(entries(dir), 3);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/%s", dir, KT_SIGN_KEY_FILE);
	assert_int_equal(kt_keyfile_read(path, key, 64), 0);
	assert_int_equal(key[63], 9);
	assert_int_equal(kt_store_open(&st, dir, 0), 0);
	assert_int_equal(kt_store_read_begin(st, &txn), 0);
	mfx_digest(txn, kt_store_dbs(st), b32);
	kt_store_read_end(st, txn);
	kt_store_close(st);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	mfx_digest(txn, f->db, a);
	kt_store_read_end(f->st, txn);
	assert_memory_equal(a, b32, 32);
	/* again into the same directory: it holds files now */
	assert_int_equal(restore_to(&b, PASS, dir, why), KT_EEXIST);
	assert_non_null(strstr(why, "not empty"));
	rm_dir(dir);
	free(b.p);
}

static void
damage_leaves_nothing(void **state)
{
	mfx_t *f = *state;
	char dir[64], why[200];
	kt_membuf_t b;
	size_t full;

	fill(f);
	b = backup_of(f);
	full = b.n;
	snprintf(dir, sizeof(dir), "/tmp/kt-restore-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(restore_to(&b, "wrong", dir, why), KT_ECRYPTO);
	assert_int_equal(entries(dir), 0);
	b.p[full / 2] ^= 1;                      /* inside the store */
	assert_int_equal(restore_to(&b, PASS, dir, why), KT_ECRYPTO);
	assert_int_equal(entries(dir), 0);
	b.p[full / 2] ^= 1;
	b.n = full - 10;                         /* the end cut off */
	assert_int_equal(restore_to(&b, PASS, dir, why), KT_EIO);
	assert_int_equal(entries(dir), 0);
	b.n = full;
	assert_int_equal(restore_to(&b, PASS, dir, why), 0);
	rm_dir(dir);
	free(b.p);
}

/* A backup written by hand with a file restore does not know, or
 * without the store, is refused and leaves nothing. */
static void
foreign_or_missing_files(void **state)
{
	mfx_t *f = *state;
	char dir[64], why[200];
	kt_backup_writer_t *w = NULL;
	kt_membuf_t b = { 0 };

	(void)f;
	snprintf(dir, sizeof(dir), "/tmp/kt-restore-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(kt_backup_writer_open(&w, PASS, strlen(PASS), OPS,
	    MEM, kt_membuf_write, &b), 0);
	assert_int_equal(kt_backup_writer_file(w, "../../etc/passwd"), 0);
	assert_int_equal(kt_backup_writer_data(w, "x", 1), 0);
	assert_int_equal(kt_backup_writer_close(w), 0);
	kt_backup_writer_free(w);
	assert_int_equal(restore_to(&b, PASS, dir, why), KT_EPROTO);
	assert_non_null(strstr(why, "unknown file"));
	assert_int_equal(entries(dir), 0);
	free(b.p);
	memset(&b, 0, sizeof(b));
	assert_int_equal(kt_backup_writer_open(&w, PASS, strlen(PASS), OPS,
	    MEM, kt_membuf_write, &b), 0);
	assert_int_equal(kt_backup_writer_file(w, KT_SERVER_KEY_FILE), 0);
	assert_int_equal(kt_backup_writer_data(w, "0123456789abcdef0123456789abcdef",
	    32), 0);
	assert_int_equal(kt_backup_writer_close(w), 0);
	kt_backup_writer_free(w);
	assert_int_equal(restore_to(&b, PASS, dir, why), KT_EPROTO);
	assert_non_null(strstr(why, "has no"));
	assert_int_equal(entries(dir), 0);
	rm_dir(dir);
	free(b.p);
}

static void
failing_sink_ends_the_copy(void **state)
{
	mfx_t *f = *state;
	kt_backup_writer_t *w = NULL;
	kt_membuf_t b = { .fail_after = 20000 };

	fill(f);
	signal(SIGPIPE, SIG_IGN);              /* as kartotekad's main */
	assert_int_equal(kt_backup_writer_open(&w, PASS, strlen(PASS), OPS,
	    MEM, kt_membuf_write, &b), 0);
	assert_int_equal(kt_backup_make(f->st, f->dir, w), KT_EIO);
	kt_backup_writer_free(w);
	free(b.p);
}

/* A sink that notes the CPU priority of the thread writing into it. */
typedef struct nice_sink {
	kt_membuf_t b;
	int seen, nice;
} nice_sink_t;

static int
nice_write(void *ctx, const void *p, size_t n)
{
	nice_sink_t *s = ctx;

	errno = 0;
	s->nice = getpriority(PRIO_PROCESS, (id_t)gettid());
	s->seen = errno == 0;
	return kt_membuf_write(&s->b, p, n);
}

/* The backup's work runs KT_BACKUP_NICE nicer than its caller (so the
 * loop and the writer come first), and the caller keeps its own. */
static void
runs_nicer_than_the_caller(void **state)
{
	mfx_t *f = *state;
	kt_backup_writer_t *w = NULL;
	nice_sink_t s = { .seen = 0 };
	int before;

	fill(f);
	errno = 0;
	before = getpriority(PRIO_PROCESS, (id_t)gettid());
	assert_int_equal(errno, 0);
	if (before + KT_BACKUP_NICE > 19)
		skip(); /* already as nice as it gets */
	assert_int_equal(kt_backup_writer_open(&w, PASS, strlen(PASS), OPS,
	    MEM, nice_write, &s), 0);
	assert_int_equal(kt_backup_make(f->st, f->dir, w), 0);
	kt_backup_writer_free(w);
	assert_true(s.seen);
	assert_int_equal(s.nice, before + KT_BACKUP_NICE);
	assert_int_equal(getpriority(PRIO_PROCESS, (id_t)gettid()), before);
	free(s.b.p);
}

/* Scheduled backups: named by their UTC time, the oldest beyond keep
 * removed, nothing else in the directory touched, the newest found. */
static void
to_dir_keeps_the_newest(void **state)
{
	mfx_t *f = *state;
	kt_backup_result_t res;
	char dir[64], path[128];
	int64_t t0 = 1796212800;           /* 2026-12-02 12:00:00 UTC */
	FILE *other;

	fill(f);
	snprintf(dir, sizeof(dir), "/tmp/kt-bk-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(kt_backup_newest(dir), 0);
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	assert_non_null(other = fopen(path, "w"));
	fclose(other);
	for (int i = 0; i < 3; i++) {
		kt_backup_to_dir(f->st, f->dir, dir, 2, PASS, strlen(PASS),
		    t0 + i * 3600, &res);
		assert_int_equal(res.rc, 0);
		assert_true(res.bytes > 0);
		assert_int_equal(res.removed, i == 2 ? 1 : 0);
	}
	assert_string_equal(strrchr(res.file, '/'),
	    "/kartoteka-20261202-140000.ktb");
	assert_int_equal(kt_backup_newest(dir), t0 + 2 * 3600);
	assert_int_equal(entries(dir), 3);          /* two backups, notes */
	snprintf(path, sizeof(path), "%s/kartoteka-20261202-120000.ktb", dir);
	assert_int_not_equal(access(path, F_OK), 0);
	/* the same second again: refused, nothing left behind */
	kt_backup_to_dir(f->st, f->dir, dir, 2, PASS, strlen(PASS),
	    t0 + 2 * 3600, &res);
	assert_int_equal(res.rc, KT_EIO);
	assert_string_equal(res.file, "");
	assert_int_equal(entries(dir), 3);
	rm_dir(dir);
}

/* The restore's mark becomes the owner's alert at the first start, once. */
static void
restored_mark_alerts_once(void **state)
{
	mfx_t *f = *state;
	char detail[300];
	MDB_txn *txn;

	txn = mfx_wbegin(f);
	assert_int_equal(kt_backup_restored_alert(f->st, txn, detail,
	    sizeof(detail)), 0);
	assert_string_equal(detail, "");
	assert_int_equal(mfx_entries(txn, f->db->alerts), 0);
	assert_int_equal(kt_backup_mark_restored(txn, f->db, "restored from "
	    "the backup of 2026-12-02 10:00:00 UTC, sequence 7"), 0);
	mfx_commit(f);
	txn = mfx_wbegin(f);
	assert_int_equal(kt_backup_restored_alert(f->st, txn, detail,
	    sizeof(detail)), 0);
	assert_string_equal(detail, "restored from the backup of 2026-12-02 "
	    "10:00:00 UTC, sequence 7");
	assert_int_equal(mfx_entries(txn, f->db->alerts), 1);
	mfx_commit(f);
	/* The next start finds no mark. */
	txn = mfx_wbegin(f);
	assert_int_equal(kt_backup_restored_alert(f->st, txn, detail,
	    sizeof(detail)), 0);
	assert_string_equal(detail, "");
	assert_int_equal(mfx_entries(txn, f->db->alerts), 1);
	mfx_abort(f);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, mfx_setup, mfx_teardown)
static const struct CMUnitTest tests[] = {
	T(restores_the_same_store_and_keys),
	T(damage_leaves_nothing),
	T(foreign_or_missing_files),
	T(failing_sink_ends_the_copy),
	T(runs_nicer_than_the_caller),
	T(to_dir_keeps_the_newest),
	T(restored_mark_alerts_once),
};

KT_TEST_MAIN(tests)
