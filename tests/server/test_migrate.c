/* SPDX-License-Identifier: MIT */
/* Tests for server/model/migrate.c: stores made by earlier layouts (text
 * fixtures in tests/data, loaded with mdb_load) open and read, and the
 * migration runner backs up, steps, stops and refuses as its contract says. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "kt_test.h"

#include "backup_file.h"
#include "jobs/backup.h"
#include "keyfile.h"
#include "kt_error.h"
#include "kt_membuf.h"
#include "model/identity.h"
#include "records.pb-c.h"
#include "model/audit.h"
#include "model/client_store.h"
#include "model/client_history.h"
#include "model/migrate.h"
#include "model/store.h"
#include "model/user_store.h"

extern char **environ;

#define FIXTURE_DIR KT_SOURCE_DIR "/tests/data"

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
	char *d = strdup("/tmp/kt-migrate-XXXXXX");

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
path_join(const char *d, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", d, name) > 0);
	return p;
}

/* ---- fixtures --------------------------------------------------------- */

/* Loads tests/data/store-v<version>.dump into a new directory dir with
 * mdb_load. A missing fixture or mdb_load fails the test (never skips):
 * the migration guarantee is only as good as this test running. */
static void
load_fixture(unsigned version, const char *dir)
{
	char *dump, *log;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc, status;

	assert_true(asprintf(&dump, "%s/store-v%u.dump", FIXTURE_DIR,
	    version) > 0);
	assert_true(asprintf(&log, "%s.mdb_load.log", dir) > 0);
	if (access(dump, R_OK) != 0)
		fail_msg("fixture %s is missing (%s): make it with "
		    "tests/data/make-store-fixture.sh BUILD_DIR %s", dump,
		    strerror(errno), dump);
	assert_int_equal(mkdir(dir, 0700), 0);

	char *const argv[] = { "mdb_load", "-f", dump, (char *)dir, NULL };
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 1, log,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
	assert_int_equal(posix_spawn_file_actions_adddup2(&fa, 1, 2), 0);
	rc = posix_spawnp(&pid, "mdb_load", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		fail_msg("cannot run mdb_load (%s): it is needed to load the "
		    "fixture %s; on Debian: apt-get install lmdb-utils",
		    strerror(rc), dump);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char buf[2048] = "";
		FILE *f = fopen(log, "r");

		if (f != NULL) {
			buf[fread(buf, 1, sizeof buf - 1, f)] = '\0';
			fclose(f);
		}
		fail_msg("mdb_load -f %s %s failed (status %d): %s", dump, dir,
		    status, buf);
	}
	(void)unlink(log);
	free(log);
	free(dump);
}

/* The facts the fixture's script wrote beside it (store-vN.facts:
 * "name value" lines). */
static uint64_t
fact(unsigned version, const char *name)
{
	char *path, line[256], key[64];
	unsigned long long val;
	bool found = false;
	uint64_t v = 0;
	FILE *f;

	assert_true(asprintf(&path, "%s/store-v%u.facts", FIXTURE_DIR,
	    version) > 0);
	if ((f = fopen(path, "r")) == NULL)
		fail_msg("facts file %s is missing (%s): it is written with the "
		    "fixture by tests/data/make-store-fixture.sh", path,
		    strerror(errno));
	while (!found && fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%63s %llu", key, &val) == 2 &&
		    strcmp(key, name) == 0) {
			v = val;
			found = true;
		}
	}
	fclose(f);
	if (!found)
		fail_msg("no fact '%s' in %s", name, path);
	free(path);
	return v;
}

/* ---- looking into a store --------------------------------------------- */

/* BLAKE2b-256 over every named database of the environment in dir (name,
 * then each key and value in order), through raw LMDB: equal digests mean
 * equal contents, whatever the page layout (a compacted copy, a load).
 * The store must not be open in this process. */
static void
env_digest(const char *dir, uint8_t out[32])
{
	crypto_generichash_state h;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi main_dbi, dbi;
	MDB_cursor *mc, *c;
	MDB_val k, v, dk, dv;
	char name[512];
	size_t len;
	int rc;

	assert_int_equal(crypto_generichash_init(&h, NULL, 0, 32), 0);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 128), 0);
	assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY | MDB_NOLOCK,
	    0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, NULL, 0, &main_dbi), 0);
	assert_int_equal(mdb_cursor_open(txn, main_dbi, &mc), 0);
	for (rc = mdb_cursor_get(mc, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(mc, &k, &v, MDB_NEXT)) {
		assert_true(k.mv_size < sizeof name);
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		len = k.mv_size;
		crypto_generichash_update(&h, (const uint8_t *)&len,
		    sizeof len);
		crypto_generichash_update(&h, k.mv_data, k.mv_size);
		assert_int_equal(mdb_dbi_open(txn, name, 0, &dbi), 0);
		assert_int_equal(mdb_cursor_open(txn, dbi, &c), 0);
		while (mdb_cursor_get(c, &dk, &dv, MDB_NEXT) == 0) {
			len = dk.mv_size;
			crypto_generichash_update(&h, (const uint8_t *)&len,
			    sizeof len);
			crypto_generichash_update(&h, dk.mv_data, dk.mv_size);
			len = dv.mv_size;
			crypto_generichash_update(&h, (const uint8_t *)&len,
			    sizeof len);
			crypto_generichash_update(&h, dv.mv_data, dv.mv_size);
		}
		mdb_cursor_close(c);
	}
	assert_int_equal(rc, MDB_NOTFOUND);
	mdb_cursor_close(mc);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	assert_int_equal(crypto_generichash_final(&h, out, 32), 0);
}

static uint32_t
stored_schema(kt_store_t *st)
{
	MDB_txn *txn;
	uint32_t v = 0;

	assert_int_equal(kt_store_read_begin(st, &txn), 0);
	assert_int_equal(kt_store_schema_get(st, txn, &v), 0);
	kt_store_read_end(st, txn);
	return v;
}

/* How many entries of dir start with prefix; the last one's name into
 * last (may be NULL). */
static unsigned
count_entries(const char *dir, const char *prefix, char *last, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		n++;
		if (last != NULL)
			snprintf(last, cap, "%s", e->d_name);
	}
	closedir(d);
	return n;
}

static size_t
db_entries(MDB_txn *txn, MDB_dbi dbi)
{
	MDB_stat ms;

	assert_int_equal(mdb_stat(txn, dbi, &ms), 0);
	return ms.ms_entries;
}

/* Checks that st holds what the v<version> fixture's facts say, reading
 * the records the way the server does. */
static void
check_fixture_contents(kt_store_t *st, unsigned version)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	size_t users = 0, branches = 0, clients = 0, archived = 0;
	bool have_owner = false;
	Ktstore__ClientRecord *cr;
	kt_idset_t ids = { 0 };
	uint64_t bad = 0, last = 0;

	assert_int_equal(kt_store_read_begin(st, &txn), 0);

	assert_int_equal(mdb_cursor_open(txn, db->users, &c), 0);
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
		Ktstore__UserRecord *u = ktstore__user_record__unpack(NULL,
		    v.mv_size, v.mv_data);

		assert_non_null(u);
		assert_true(u->id == kt_store_get_be64(k.mv_data));
		if (strcmp(u->login, "owner") == 0)
			have_owner = true;
		users++;
		ktstore__user_record__free_unpacked(u, NULL);
	}
	mdb_cursor_close(c);
	assert_true(have_owner);
	assert_int_equal(users, fact(version, "users"));
	assert_int_equal(db_entries(txn, db->user_logins), users);

	assert_int_equal(mdb_cursor_open(txn, db->branches, &c), 0);
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
		Ktstore__BranchRecord *b = ktstore__branch_record__unpack(NULL,
		    v.mv_size, v.mv_data);

		assert_non_null(b);
		assert_true(b->name[0] != '\0');
		branches++;
		ktstore__branch_record__free_unpacked(b, NULL);
	}
	mdb_cursor_close(c);
	assert_int_equal(branches, fact(version, "branches"));

	assert_int_equal(mdb_cursor_open(txn, db->clients, &c), 0);
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
		cr = ktstore__client_record__unpack(NULL, v.mv_size,
		    v.mv_data);
		assert_non_null(cr);
		assert_true(cr->n_people > 0);
		clients++;
		if (cr->archived)
			archived++;
		ktstore__client_record__free_unpacked(cr, NULL);
	}
	mdb_cursor_close(c);
	assert_int_equal(clients, fact(version, "clients"));
	assert_int_equal(archived, fact(version, "clients_archived"));

	assert_int_equal(kt_cstore_get(txn, db, fact(version, "edited_client"),
	    &cr), 0);
	assert_int_equal(cr->version, fact(version, "edited_version"));
	ktstore__client_record__free_unpacked(cr, NULL);
	assert_int_equal(kt_cstore_get(txn, db,
	    fact(version, "archived_client"), &cr), 0);
	assert_true(cr->archived);
	ktstore__client_record__free_unpacked(cr, NULL);

	/* The indexes work: client 1's phone, as the script typed it. */
	assert_int_equal(kt_cstore_ids_eq(txn, db->cx_phone, "+79000000001",
	    12, &ids), 0);
	assert_int_equal(ids.n, 1);
	assert_true(ids.ids[0] == 1);
	kt_idset_free(&ids);

	assert_int_equal(db_entries(txn, db->terminals),
	    fact(version, "terminals"));
	assert_int_equal(db_entries(txn, db->invites), fact(version, "invites"));
	assert_int_equal(db_entries(txn, db->sessions),
	    fact(version, "sessions"));
	kt_store_read_end(st, txn);

	/* The audit chain: hashes only (no key in a fixture). */
	assert_int_equal(kt_audit_verify(st, NULL, NULL, &bad, &last), 0);
	assert_int_equal(last, fact(version, "audit_entries"));
}

/* ---- test steps ------------------------------------------------------- */

static unsigned calls_v2, calls_v3;
static const char marker_key[] = "test:migrated";

static int
put_meta(kt_store_t *st, MDB_txn *txn, const char *key, const char *val)
{
	MDB_val k = { .mv_size = strlen(key), .mv_data = (void *)key };
	MDB_val v = { .mv_size = strlen(val), .mv_data = (void *)val };

	return kt_store_err(mdb_put(txn, kt_store_dbs(st)->meta, &k, &v, 0));
}

/* Rewrites the edited card's title, indexes moved the way the server
 * moves them, and adds a key. */
static int
rewrite_card(kt_store_t *st, MDB_txn *txn, const char *title)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__ClientRecord *old = NULL, *rec = NULL;
	uint64_t id = fact(1, "edited_client");
	char *saved;
	int rc;

	if ((rc = kt_cstore_get(txn, db, id, &old)) != 0)
		goto out;
	if ((rc = kt_cstore_get(txn, db, id, &rec)) != 0)
		goto out;
	saved = rec->title;
	rec->title = (char *)title;
	rc = kt_cstore_put(txn, db, old, rec, NULL);
	rec->title = saved;
	if (rc == 0)
		rc = put_meta(st, txn, marker_key, title);
out:
	if (old != NULL)
		ktstore__client_record__free_unpacked(old, NULL);
	if (rec != NULL)
		ktstore__client_record__free_unpacked(rec, NULL);
	return rc;
}

static int
step_v1_v2(kt_store_t *st, MDB_txn *txn)
{
	calls_v2++;
	return rewrite_card(st, txn, "Семья 20 (v2)");
}

/* Makes the same changes, then fails: none of them may stay. */
static int
step_v1_v2_fails(kt_store_t *st, MDB_txn *txn)
{
	int rc;

	calls_v2++;
	if ((rc = rewrite_card(st, txn, "half-done")) != 0)
		return rc;
	return KT_EINVAL;
}

static int
step_v2_v3(kt_store_t *st, MDB_txn *txn)
{
	calls_v3++;
	return put_meta(st, txn, "test:v3", "yes");
}

static int
step_v2_v3_fails(kt_store_t *st, MDB_txn *txn)
{
	int rc;

	calls_v3++;
	if ((rc = put_meta(st, txn, "test:v3", "half")) != 0)
		return rc;
	return KT_EINVAL;
}

static const kt_migrate_step_t to_v2[] = {
	{ 1, "test: retitle a card", step_v1_v2 },
};
static const kt_migrate_step_t to_v2_fails[] = {
	{ 1, "test: a step that fails", step_v1_v2_fails },
};
static const kt_migrate_step_t to_v3_fails[] = {
	{ 2, "test: a second step that fails", step_v2_v3_fails },
	{ 1, "test: retitle a card", step_v1_v2 },
};
static const kt_migrate_step_t to_v3[] = {
	{ 1, "test: retitle a card", step_v1_v2 },
	{ 2, "test: add a key", step_v2_v3 },
};
/* Opens as a binary of version 1 would, whatever KT_STORE_SCHEMA is now:
 * no steps, target 1. */
static const kt_store_opts_t as_v1 = { .migrate_steps = to_v2,
    .migrate_nsteps = 0, .migrate_target = 1 };

static int
get_meta(kt_store_t *st, const char *key, char *out, size_t cap)
{
	MDB_txn *txn;
	MDB_val k = { .mv_size = strlen(key), .mv_data = (void *)key }, v;
	int rc;

	assert_int_equal(kt_store_read_begin(st, &txn), 0);
	rc = mdb_get(txn, kt_store_dbs(st)->meta, &k, &v);
	if (rc == 0) {
		assert_true(v.mv_size < cap);
		memcpy(out, v.mv_data, v.mv_size);
		out[v.mv_size] = '\0';
	}
	kt_store_read_end(st, txn);
	return rc;
}

/* A fixture loaded twice: dir to work on and ref to compare with. */
typedef struct fx {
	char *tmp, *dir, *ref;
	uint8_t ref_digest[32];
} fx_t;

/* cmocka setup and teardown: the teardown runs also when a test fails,
 * so the temporary directory goes whatever happens. */
static int
fx_setup(void **state)
{
	fx_t *fx = calloc(1, sizeof *fx);

	if (fx == NULL)
		return -1;
	fx->tmp = tmpdir_make();
	fx->dir = path_join(fx->tmp, "data");
	fx->ref = path_join(fx->tmp, "ref");
	calls_v2 = calls_v3 = 0;
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	fx_t *fx = *state;

	free(fx->dir);
	free(fx->ref);
	tmpdir_remove(fx->tmp);
	free(fx);
	return 0;
}

/* Loads the v1 fixture into dir and, for comparisons, into ref. */
static fx_t *
fx_load(void **state)
{
	fx_t *fx = *state;

	load_fixture(1, fx->dir);
	load_fixture(1, fx->ref);
	env_digest(fx->ref, fx->ref_digest);
	return fx;
}

static void
assert_unchanged(const fx_t *fx)
{
	uint8_t d[32];

	env_digest(fx->dir, d);
	assert_memory_equal(d, fx->ref_digest, 32);
}

/* ---- tests ------------------------------------------------------------ */

/* (a) A store made by the version 1 binaries opens with this binary (so
 * once KT_STORE_SCHEMA is above 1, through every built-in step) and
 * reads. */
static void
fixture_v1_opens(void **state)
{
	fx_t *fx;
	kt_store_t *st = NULL;
	uint32_t found = 0;
	kt_store_opts_t o = { .schema_found = &found };

	fx = fx_load(state);
	assert_int_equal(fact(1, "schema"), 1);
	assert_int_equal(kt_migrate_open_ex(&st, fx->dir, 0, &o), 0);
	assert_int_equal(found, 1);
	assert_int_equal(stored_schema(st), KT_STORE_SCHEMA);
	check_fixture_contents(st, 1);
	kt_store_close(st);
	/* A copy only when there was something to migrate; else no change. */
	assert_int_equal(count_entries(fx->dir, "pre-migration-v1-", NULL, 0),
	    KT_STORE_SCHEMA > 1 ? 1 : 0);
	if (KT_STORE_SCHEMA == 1)
		assert_unchanged(fx);
	/* Read-only too (audit verify opens it so). */
	assert_int_equal(kt_migrate_open(&st, fx->dir, KT_STORE_RDONLY), 0);
	check_fixture_contents(st, 1);
	kt_store_close(st);
}

/* The fixture of the current version (made by the current binaries)
 * opens without a migration and reads. */
/* (a') A store made by the version 2 binaries migrates to 3: every card
 * has its current version as the first of its history, the view
 * counters moved, lockouts start afresh, a stored default quota becomes
 * the role's. */
static void
fixture_v2_opens(void **state)
{
	char *parent = tmpdir_make(), *dir;
	kt_store_t *st = NULL;
	uint32_t found = 0;
	kt_store_opts_t o = { .schema_found = &found };
	const kt_store_dbs_t *db;
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	MDB_dbi old;
	size_t live = 0;

	(void)state;
	assert_true(asprintf(&dir, "%s/store", parent) > 0);
	load_fixture(2, dir);
	assert_int_equal(kt_migrate_open_ex(&st, dir, 0, &o), 0);
	assert_int_equal(found, 2);
	assert_int_equal(stored_schema(st), KT_STORE_SCHEMA);
	check_fixture_contents(st, 2);
	db = kt_store_dbs(st);
	assert_int_equal(kt_store_read_begin(st, &txn), 0);
	assert_int_equal(mdb_cursor_open(txn, db->clients, &c), 0);
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
		Ktstore__ClientRecord *cr = ktstore__client_record__unpack(
		    NULL, v.mv_size, v.mv_data);
		Ktstore__ClientVersionRecord *hv = NULL;

		assert_non_null(cr);
		if (!cr->purged) {
			live++;
			assert_int_equal(kt_chist_get(txn, db, cr->id,
			    cr->version, NULL, &hv), 0);
			assert_string_equal(hv->card->title, cr->title);
			assert_string_equal(hv->action, "history.start");
			ktstore__client_version_record__free_unpacked(hv, NULL);
		}
		ktstore__client_record__free_unpacked(cr, NULL);
	}
	mdb_cursor_close(c);
	assert_int_equal(db_entries(txn, db->client_history), live);
	assert_int_equal(db_entries(txn, db->login_failures), 0);
	assert_int_equal(mdb_dbi_open(txn, "client_views", 0, &old),
	    MDB_NOTFOUND);
	assert_int_equal(mdb_cursor_open(txn, db->users, &c), 0);
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
		Ktstore__UserRecord *u = ktstore__user_record__unpack(NULL,
		    v.mv_size, v.mv_data);
		assert_non_null(u);
		assert_int_not_equal(u->daily_view_quota, KT_DEFAULT_VIEW_QUOTA);
		ktstore__user_record__free_unpacked(u, NULL);
	}
	mdb_cursor_close(c);
	kt_store_read_end(st, txn);
	kt_store_close(st);
	assert_int_equal(count_entries(dir, "pre-migration-v2-", NULL, 0), 1);
	free(dir);
	tmpdir_remove(parent);
}

/* (a'') A store made by the version 3 binaries migrates to 4: the
 * databases of the working day are there and empty, nothing else moved. */
/* 1 when dup index dbi holds (key, id). */
static bool
ix_has(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t len, uint64_t id)
{
	MDB_cursor *c;
	uint8_t idk[8];
	MDB_val k = { len, (void *)key }, v = { 8, idk };
	int m;

	kt_store_be64(idk, id);
	assert_int_equal(mdb_cursor_open(txn, dbi, &c), 0);
	m = mdb_cursor_get(c, &k, &v, MDB_GET_BOTH);
	mdb_cursor_close(c);
	return m == 0;
}

/* The ids under key in dup index dbi. */
static size_t
ix_count(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t len)
{
	MDB_cursor *c;
	MDB_val k = { len, (void *)key }, v;
	size_t n = 0;

	assert_int_equal(mdb_cursor_open(txn, dbi, &c), 0);
	if (mdb_cursor_get(c, &k, &v, MDB_SET_KEY) == 0)
		assert_int_equal(mdb_cursor_count(c, &n), 0);
	mdb_cursor_close(c);
	return n;
}

/* The index keys of schema 4 match the cards: cx_contract holds each
 * card's folded contract, and only those; cx_status the consent and
 * do-not-contact flag keys of the cards with them. Returns the cards with
 * a contract. */
static size_t
check_v4_card_keys(kt_store_t *st)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	size_t contracts = 0, consents = 0, dnc = 0;
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;

	assert_int_equal(kt_store_read_begin(st, &txn), 0);
	assert_int_equal(mdb_cursor_open(txn, db->clients, &c), 0);
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
		Ktstore__ClientRecord *cr = ktstore__client_record__unpack(
		    NULL, v.mv_size, v.mv_data);
		char key[KT_CSTORE_WORD_MAX + 1];

		assert_non_null(cr);
		if (!cr->purged && cr->contract[0]) {
			size_t n = kt_cstore_fold_key(cr->contract, key);
			assert_true(ix_has(txn, db->cx_contract, key, n,
			    cr->id));
			contracts++;
		}
		if (!cr->purged && cr->consent_date[0]) {
			assert_true(ix_has(txn, db->cx_status,
			    KT_CSTORE_CONSENT_KEY, KT_CSTORE_FLAG_KEYLEN,
			    cr->id));
			consents++;
		}
		if (!cr->purged && cr->do_not_contact) {
			assert_true(ix_has(txn, db->cx_status,
			    KT_CSTORE_DNC_KEY, KT_CSTORE_FLAG_KEYLEN, cr->id));
			dnc++;
		}
		ktstore__client_record__free_unpacked(cr, NULL);
	}
	mdb_cursor_close(c);
	assert_int_equal(db_entries(txn, db->cx_contract), contracts);
	assert_int_equal(ix_count(txn, db->cx_status, KT_CSTORE_CONSENT_KEY,
	    KT_CSTORE_FLAG_KEYLEN), consents);
	assert_int_equal(ix_count(txn, db->cx_status, KT_CSTORE_DNC_KEY,
	    KT_CSTORE_FLAG_KEYLEN), dnc);
	kt_store_read_end(st, txn);
	return contracts;
}

/* Gives cards 1 and 2 of a version 3 store a contract number (two cards
 * share one, typed in other cases), card 1 a consent date and card 2 the
 * do-not-contact mark, written as version 3 wrote cards: the record only,
 * since schema 3 had no such index keys. */
static int
v3_marks_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	int rc = 0;

	(void)arg;
	for (uint64_t id = 1; id <= 2 && rc == 0; id++) {
		Ktstore__ClientRecord *cr = NULL;
		char *contract, *consent;
		uint8_t key[8];

		if ((rc = kt_cstore_get(txn, db, id, &cr)) != 0)
			return rc;
		/* Strings of the test's, put back before the record is
		 * freed (an unpacked "" may be the descriptor's own). */
		contract = cr->contract;
		consent = cr->consent_date;
		cr->contract = id == 1 ? "Д-2023/5" : "д-2023/5";
		if (id == 1)
			cr->consent_date = "2023-05-01";
		else
			cr->do_not_contact = 1;
		kt_store_be64(key, id);
		rc = kt_store_put_record(txn, db->clients, key, 8, &cr->base,
		    0);
		cr->contract = contract;
		cr->consent_date = consent;
		protobuf_c_message_free_unpacked(&cr->base, NULL);
	}
	return rc;
}

static void
fixture_v3_opens(void **state)
{
	char *parent = tmpdir_make(), *dir;
	kt_store_t *st = NULL;
	uint32_t found = 0;
	kt_store_opts_t o = { .schema_found = &found };
	const kt_store_dbs_t *db;
	MDB_txn *txn;

	(void)state;
	assert_true(asprintf(&dir, "%s/store", parent) > 0);
	load_fixture(3, dir);
	/* Contracts, consent and do-not-contact on cards of version 3. */
	assert_int_equal(kt_store_open(&st, dir, KT_STORE_OLDER), 0);
	assert_int_equal(kt_store_write_sync(st, v3_marks_mut, NULL), 0);
	kt_store_close(st);
	st = NULL;
	assert_int_equal(kt_migrate_open_ex(&st, dir, 0, &o), 0);
	assert_int_equal(found, 3);
	assert_int_equal(stored_schema(st), KT_STORE_SCHEMA);
	check_fixture_contents(st, 3);
	/* The v3 -> v4 step gave them their index keys. */
	assert_int_equal(check_v4_card_keys(st), 2);
	db = kt_store_dbs(st);
	assert_int_equal(kt_store_read_begin(st, &txn), 0);
	assert_int_equal(db_entries(txn, db->interactions), 0);
	assert_int_equal(db_entries(txn, db->deals), 0);
	assert_int_equal(db_entries(txn, db->tasks), 0);
	assert_int_equal(db_entries(txn, db->client_activity), 0);
	kt_store_read_end(st, txn);
	kt_store_close(st);
	assert_int_equal(count_entries(dir, "pre-migration-v3-", NULL, 0), 1);
	free(dir);
	tmpdir_remove(parent);
}

static void
fixture_current_opens(void **state)
{
	char *parent = tmpdir_make(), *dir;
	kt_store_t *st = NULL;
	uint32_t found = 0;
	kt_store_opts_t o = { .schema_found = &found };

	(void)state;
	assert_true(asprintf(&dir, "%s/store", parent) > 0);
	load_fixture(KT_STORE_SCHEMA, dir);
	assert_int_equal(fact(KT_STORE_SCHEMA, "schema"), KT_STORE_SCHEMA);
	assert_int_equal(kt_migrate_open_ex(&st, dir, 0, &o), 0);
	assert_int_equal(found, KT_STORE_SCHEMA);
	check_fixture_contents(st, KT_STORE_SCHEMA);
	(void)check_v4_card_keys(st);
	kt_store_close(st);
	assert_int_equal(count_entries(dir, "pre-migration-", NULL, 0), 0);
	free(dir);
	tmpdir_remove(parent);
}

/* The built-in table leads from version 1 to KT_STORE_SCHEMA, one step
 * per version, so every fixture can be brought up to date. */
static void
builtin_table_complete(void **state)
{
	size_t n;
	const kt_migrate_step_t *t = kt_migrate_table(&n);

	(void)state;
	assert_int_equal(n, KT_STORE_SCHEMA - 1);
	for (uint32_t v = 1; v < KT_STORE_SCHEMA; v++) {
		unsigned hits = 0;

		for (size_t i = 0; i < n; i++)
			if (t[i].ms_from == v && t[i].ms_fn != NULL &&
			    t[i].ms_what != NULL)
				hits++;
		assert_int_equal(hits, 1);
	}
}

/* (b) One step v1 -> v2 runs once, writes schema 2, leaves a copy of the
 * version 1 store; opening again migrates nothing. */
static void
migrate_v1_to_v2(void **state)
{
	fx_t *fx;
	kt_store_t *st = NULL;
	uint32_t found = 0;
	kt_store_opts_t o = { .schema_found = &found, .migrate_steps = to_v2,
	    .migrate_nsteps = 1, .migrate_target = 2 };
	char name[256], val[64], *copy, *file;
	uint8_t d[32];
	struct stat sb;
	Ktstore__ClientRecord *cr;
	MDB_txn *txn;

	fx = fx_load(state);
	assert_int_equal(kt_migrate_open_ex(&st, fx->dir, 0, &o), 0);
	assert_int_equal(found, 1);
	assert_int_equal(calls_v2, 1);
	assert_int_equal(stored_schema(st), 2);
	assert_int_equal(get_meta(st, marker_key, val, sizeof val), 0);
	assert_string_equal(val, "Семья 20 (v2)");
	assert_int_equal(kt_store_read_begin(st, &txn), 0);
	assert_int_equal(kt_cstore_get(txn, kt_store_dbs(st),
	    fact(1, "edited_client"), &cr), 0);
	assert_string_equal(cr->title, "Семья 20 (v2)");
	ktstore__client_record__free_unpacked(cr, NULL);
	kt_store_read_end(st, txn);
	check_fixture_contents(st, 1);  /* the rest is as it was */
	kt_store_close(st);

	/* The copy: one directory, 0700, data.mdb 0600, the version 1 store
	 * exactly as loaded. */
	assert_int_equal(count_entries(fx->dir, "pre-migration-v1-", name,
	    sizeof name), 1);
	assert_int_equal(strlen(name), strlen("pre-migration-v1-") + 16);
	assert_int_equal(name[strlen(name) - 1], 'Z');
	copy = path_join(fx->dir, name);
	file = path_join(copy, "data.mdb");
	assert_int_equal(stat(copy, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* Byte for byte the store as loaded: not even the databases this
	 * binary adds are in it (so it cannot be opened read-only by this
	 * binary, only put back in place for an older one). */
	env_digest(copy, d);
	assert_memory_equal(d, fx->ref_digest, 32);

	/* Opening again: at version 2 already, nothing runs, no new copy. */
	assert_int_equal(kt_migrate_open_ex(&st, fx->dir, 0, &o), 0);
	assert_int_equal(found, 2);
	assert_int_equal(calls_v2, 1);
	kt_store_close(st);
	assert_int_equal(count_entries(fx->dir, "pre-migration-", NULL, 0), 1);
	/* And a binary that knows only version 1 refuses it. */
	assert_int_equal(kt_migrate_open_ex(&st, fx->dir, 0, &as_v1), KT_EPROTO);
	assert_null(st);
	free(file);
	free(copy);
}

/* (c) A failing step leaves schema 1 and the data as they were, and its
 * error is returned. */
static void
failing_step_changes_nothing(void **state)
{
	fx_t *fx;
	kt_store_t *st = NULL;
	uint32_t found = 0;
	kt_store_opts_t o = { .schema_found = &found,
	    .migrate_steps = to_v2_fails, .migrate_nsteps = 1,
	    .migrate_target = 2 };
	char msg[512];

	fx = fx_load(state);
	assert_int_equal(kt_migrate_open_ex(&st, fx->dir, 0, &o), KT_EINVAL);
	assert_null(st);
	assert_int_equal(found, 1);
	assert_int_equal(calls_v2, 1);
	assert_unchanged(fx);
	/* The copy was taken before the step. */
	assert_int_equal(count_entries(fx->dir, "pre-migration-v1-", NULL, 0),
	    1);
	kt_store_open_problem(KT_EINVAL, fx->dir, &o, msg, sizeof msg);
	assert_non_null(strstr(msg, "from schema version 1 to 2"));
	/* The binary of version 1 still opens it. */
	assert_int_equal(kt_migrate_open_ex(&st, fx->dir, 0, &as_v1), 0);
	assert_int_equal(stored_schema(st), 1);
	check_fixture_contents(st, 1);
	kt_store_close(st);
}

/* Two steps, the second failing: the store stays at version 2 (the first
 * step is committed); the next open goes on from 2 with its own copy. */
static void
interrupted_migration_continues(void **state)
{
	fx_t *fx;
	kt_store_t *st = NULL;
	kt_store_opts_t bad = { .migrate_steps = to_v3_fails,
	    .migrate_nsteps = 2, .migrate_target = 3 };
	kt_store_opts_t good = { .migrate_steps = to_v3, .migrate_nsteps = 2,
	    .migrate_target = 3 };
	kt_store_opts_t at2 = { .migrate_steps = to_v3, .migrate_nsteps = 2,
	    .migrate_target = 2 };
	char val[64];

	fx = fx_load(state);
	assert_int_equal(kt_migrate_open_ex(&st, fx->dir, 0, &bad), KT_EINVAL);
	assert_int_equal(calls_v2, 1);
	assert_int_equal(calls_v3, 1);
	/* At version 2, with the first step's change and none of the
	 * second's. */
	assert_int_equal(kt_migrate_open_ex(&st, fx->dir, 0, &at2), 0);
	assert_int_equal(stored_schema(st), 2);
	assert_int_equal(get_meta(st, marker_key, val, sizeof val), 0);
	assert_int_equal(get_meta(st, "test:v3", val, sizeof val),
	    MDB_NOTFOUND);
	kt_store_close(st);

	assert_int_equal(kt_migrate_open_ex(&st, fx->dir, 0, &good), 0);
	assert_int_equal(calls_v2, 1);  /* not again */
	assert_int_equal(calls_v3, 2);
	assert_int_equal(stored_schema(st), 3);
	assert_int_equal(get_meta(st, "test:v3", val, sizeof val), 0);
	assert_string_equal(val, "yes");
	check_fixture_contents(st, 1);
	kt_store_close(st);
	assert_int_equal(count_entries(fx->dir, "pre-migration-v1-", NULL, 0),
	    1);
	assert_int_equal(count_entries(fx->dir, "pre-migration-v2-", NULL, 0),
	    1);
}

/* A table without a step for some version on the way refuses before
 * doing anything: no copy, no change. */
static void
missing_step_refused(void **state)
{
	fx_t *fx;
	kt_store_t *st = NULL;
	kt_store_opts_t o = { .migrate_steps = to_v2, .migrate_nsteps = 1,
	    .migrate_target = 3 };

	fx = fx_load(state);
	assert_int_equal(kt_migrate_open_ex(&st, fx->dir, 0, &o), KT_ESTORE);
	assert_null(st);
	assert_int_equal(calls_v2, 0);
	assert_int_equal(count_entries(fx->dir, "pre-migration-", NULL, 0), 0);
	assert_unchanged(fx);
}

#define NEWER (KT_STORE_SCHEMA + 2)

static int
set_schema_newer(kt_store_t *st, MDB_txn *txn, void *arg)
{
	(void)arg;
	return kt_store_schema_put(st, txn, NEWER);
}

/* (d) A store newer than the binary is refused, read-write and
 * read-only, untouched, and the message names both versions. */
static void
newer_store_refused(void **state)
{
	fx_t *fx;
	kt_store_t *st = NULL;
	uint32_t found = 0;
	kt_store_opts_t o = { .schema_found = &found };
	char msg[512], want[512], small[16];
	uint8_t before[32], after[32];

	fx = fx_load(state);
	assert_int_equal(kt_migrate_open_ex(&st, fx->dir, 0, &as_v1), 0);
	assert_int_equal(kt_store_write_sync(st, set_schema_newer, NULL), 0);
	kt_store_close(st);
	env_digest(fx->dir, before);

	assert_int_equal(kt_migrate_open_ex(&st, fx->dir, 0, &o), KT_EPROTO);
	assert_null(st);
	assert_int_equal(found, NEWER);
	snprintf(want, sizeof want, "the store in %s has schema version %u, "
	    "newer than this kartotekad (which knows up to %u): use a newer "
	    "kartotekad", fx->dir, NEWER, KT_STORE_SCHEMA);
	assert_string_equal(kt_store_open_problem(KT_EPROTO, fx->dir, &o, msg,
	    sizeof msg), want);
	found = 0;
	assert_int_equal(kt_migrate_open_ex(&st, fx->dir, KT_STORE_RDONLY, &o),
	    KT_EPROTO);
	assert_int_equal(found, NEWER);
	assert_int_equal(kt_migrate_open_ex(&st, fx->dir, KT_STORE_CREATE, &o),
	    KT_EPROTO);
	assert_null(st);
	env_digest(fx->dir, after);
	assert_memory_equal(before, after, 32);
	assert_int_equal(count_entries(fx->dir, "pre-migration-", NULL, 0), 0);

	/* Cut to fit, terminated; other codes say what kt_strerror says. */
	assert_ptr_equal(kt_store_open_problem(KT_EPROTO, fx->dir, &o, small,
	    sizeof small), small);
	assert_int_equal(strlen(small), sizeof small - 1);
	assert_string_equal(kt_store_open_problem(KT_EPROTO, "d", &o, msg, 0),
	    "");
	snprintf(want, sizeof want, "cannot open the store in /x: %s",
	    kt_strerror(KT_ENOTFOUND));
	assert_string_equal(kt_store_open_problem(KT_ENOTFOUND, "/x", NULL,
	    msg, sizeof msg), want);
}

/* (e) A read-only open of an older store does not migrate: refused with
 * KT_ESTATE, no step, no copy, nothing changed. */
static void
rdonly_older_refused(void **state)
{
	fx_t *fx;
	kt_store_t *st = NULL;
	uint32_t found = 0;
	kt_store_opts_t o = { .schema_found = &found, .migrate_steps = to_v2,
	    .migrate_nsteps = 1, .migrate_target = 2 };
	char msg[512];

	fx = fx_load(state);
	assert_int_equal(kt_migrate_open_ex(&st, fx->dir, KT_STORE_RDONLY, &o),
	    KT_ESTATE);
	assert_null(st);
	assert_int_equal(found, 1);
	assert_int_equal(calls_v2, 0);
	assert_int_equal(count_entries(fx->dir, "pre-migration-", NULL, 0), 0);
	assert_unchanged(fx);
	kt_store_open_problem(KT_ESTATE, fx->dir, &o, msg, sizeof msg);
	assert_non_null(strstr(msg, "schema version 1, older than this "
	    "kartotekad's 2"));
	assert_non_null(strstr(msg, "read-only"));
}

/* An existing copy directory of the same name is never overwritten. The
 * name has the current second in it, so every name from now on for two
 * minutes is taken first. */
static void
backup_never_overwritten(void **state)
{
	fx_t *fx;
	kt_store_t *st = NULL;
	kt_store_opts_t o = { .migrate_steps = to_v2, .migrate_nsteps = 1,
	    .migrate_target = 2 };
	time_t t0 = time(NULL);
	char name[64], *p, *keep;
	struct tm tm;

	fx = fx_load(state);
	for (time_t t = t0; t < t0 + 120; t++) {
		assert_non_null(gmtime_r(&t, &tm));
		assert_true(strftime(name, sizeof name,
		    "pre-migration-v1-%Y%m%dT%H%M%SZ", &tm) > 0);
		p = path_join(fx->dir, name);
		assert_int_equal(mkdir(p, 0700), 0);
		keep = path_join(p, "data.mdb");
		FILE *f = fopen(keep, "w");
		assert_non_null(f);
		assert_int_equal(fputs("keep", f) >= 0, 1);
		assert_int_equal(fclose(f), 0);
		free(keep);
		free(p);
	}
	assert_int_equal(kt_migrate_open_ex(&st, fx->dir, 0, &o), KT_EEXIST);
	assert_null(st);
	assert_int_equal(calls_v2, 0);
	assert_unchanged(fx);
	/* The old ones are as they were. */
	assert_int_equal(count_entries(fx->dir, "pre-migration-v1-", NULL, 0),
	    120);
	assert_non_null(gmtime_r(&t0, &tm));
	assert_true(strftime(name, sizeof name,
	    "pre-migration-v1-%Y%m%dT%H%M%SZ/data.mdb", &tm) > 0);
	p = path_join(fx->dir, name);
	{
		char buf[16] = "";
		FILE *f = fopen(p, "r");

		assert_non_null(f);
		assert_int_equal(fread(buf, 1, sizeof buf - 1, f), 4);
		fclose(f);
		assert_string_equal(buf, "keep");
	}
	free(p);
}

/* Appends file name of dir to backup w as an older binary's backup held it
 * (the bytes as they are: an older layout's store, copied). */
static void
pack_file(kt_backup_writer_t *w, const char *dir, const char *name)
{
	char path[4096], buf[65536];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	assert_int_equal(kt_backup_writer_file(w, name), 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		assert_int_equal(kt_backup_writer_data(w, buf, (size_t)n), 0);
	assert_true(n == 0);
	close(fd);
}

/* A backup made when the store had an older layout (the v3 fixture, with
 * its key files) restores into a new directory and opens at the current
 * schema through the migrations, with the fixture's contents and an
 * intact audit chain: what `kartotekad restore` does (backup_cmd.c). */
static void
backup_of_older_layout_restores(void **state)
{
	char *parent = tmpdir_make(), *old, *dir, why[256];
	uint8_t key[64];
	kt_membuf_t file = { 0 };
	kt_backup_writer_t *w = NULL;
	kt_backup_reader_t *r = NULL;
	kt_store_t *st = NULL;
	uint32_t found = 0;
	kt_store_opts_t o = { .schema_found = &found };
	uint64_t bad = 0, n = 0;
	char path[4096];

	(void)state;
	assert_true(asprintf(&old, "%s/old", parent) > 0);
	assert_true(asprintf(&dir, "%s/restored", parent) > 0);
	load_fixture(3, old);
	randombytes_buf(key, sizeof(key));
	snprintf(path, sizeof(path), "%s/%s", old, KT_SERVER_KEY_FILE);
	assert_int_equal(kt_keyfile_write(path, key, 32, 1), 0);
	snprintf(path, sizeof(path), "%s/%s", old, KT_SIGN_KEY_FILE);
	assert_int_equal(kt_keyfile_write(path, key, 64, 1), 0);
	assert_int_equal(kt_backup_writer_open(&w, "pass-phrase", 11,
	    crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN,
	    kt_membuf_write, &file), 0);
	pack_file(w, old, KT_SERVER_KEY_FILE);
	pack_file(w, old, KT_SIGN_KEY_FILE);
	pack_file(w, old, KT_BACKUP_STORE_FILE);
	assert_int_equal(kt_backup_writer_close(w), 0);
	kt_backup_writer_free(w);

	assert_int_equal(kt_backup_reader_open(&r, "pass-phrase", 11,
	    kt_membuf_read, &file, why, sizeof(why)), 0);
	assert_int_equal(kt_backup_restore(r, dir, why, sizeof(why)), 0);
	kt_backup_reader_free(r);
	assert_int_equal(kt_migrate_open_ex(&st, dir, 0, &o), 0);
	assert_int_equal(found, 3);
	assert_int_equal(stored_schema(st), KT_STORE_SCHEMA);
	check_fixture_contents(st, 3);
	assert_int_equal(kt_audit_verify(st, NULL, NULL, &bad, &n), 0);
	assert_true(n == fact(3, "audit_entries"));
	kt_store_close(st);
	free(file.p);
	free(old);
	free(dir);
	tmpdir_remove(parent);
}

#define FX(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)
static const struct CMUnitTest tests[] = {
	FX(fixture_v1_opens),
	cmocka_unit_test(fixture_v2_opens),
	cmocka_unit_test(fixture_v3_opens),
	cmocka_unit_test(fixture_current_opens),
	cmocka_unit_test(backup_of_older_layout_restores),
	cmocka_unit_test(builtin_table_complete),
	FX(migrate_v1_to_v2),
	FX(failing_step_changes_nothing),
	FX(interrupted_migration_continues),
	FX(missing_step_refused),
	FX(newer_store_refused),
	FX(rdonly_older_refused),
	FX(backup_never_overwritten),
};

KT_TEST_MAIN(tests)
