/* SPDX-License-Identifier: MIT */
/* Schema migrations: the step table and the runner that takes a backup copy
 * and then moves an older store forward one version per transaction. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "kt_error.h"
#include "model/branch_store.h"
#include "model/client_history.h"
#include "model/client_store.h"
#include "model/user_day.h"
#include "model/migrate.h"
#include "model/store.h"
#include "log.h"

/* ---- the table -------------------------------------------------------- */

/* Schema 2 -> 3, staff control (issue 8): card history starts with every
 * card's current version, view counters move into the per-day records,
 * the role's default quota replaces a stored 200, and lockouts start
 * afresh (version 3 keys them by login and terminal). */
static int
migrate_v3(kt_store_t *st, MDB_txn *txn)
{
	int rc;

	if ((rc = kt_chist_migrate_v3(st, txn)) != 0 ||
	    (rc = kt_uday_migrate_v3(st, txn)) != 0 ||
	    (rc = kt_user_migrate_v3(st, txn)) != 0)
		return rc;
	return kt_store_err(mdb_drop(txn, kt_store_dbs(st)->login_failures,
	    0));
}

/* Schema 3 -> 4, the working day (issue 9): the databases of
 * interactions, deals, tasks and client activity, which start empty (the
 * runner creates them in this step's transaction); the cards get the
 * index keys of segments and of the search by contract. */
static int
migrate_v4(kt_store_t *st, MDB_txn *txn)
{
	return kt_cstore_migrate_v4(st, txn);
}

/* One row per layout change, oldest first: { from, what, fn }; each
 * step's function belongs to the store module whose layout it changes. */
static const kt_migrate_step_t migrate_table[] = {
	{ 1, "branch names indexed by their folded form",
	    kt_branch_migrate_v2 },
	{ 2, "card history, business-day counters, alerts, lockout per "
	    "terminal", migrate_v3 },
	{ 3, "interactions, deals, tasks and client activity", migrate_v4 },
};

const kt_migrate_step_t *
kt_migrate_table(size_t *n)
{
	*n = sizeof migrate_table / sizeof *migrate_table;
	return migrate_table;
}

static const kt_migrate_step_t *
find_step(const kt_migrate_step_t *steps, size_t n, uint32_t from)
{
	for (size_t i = 0; i < n; i++)
		if (steps[i].ms_from == from && steps[i].ms_fn != NULL)
			return &steps[i];
	return NULL;
}

/* ---- the backup copy -------------------------------------------------- */

static int
fsync_dir(const char *path)
{
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return KT_EIO;
	if (fsync(fd) != 0)
		rc = KT_EIO;
	close(fd);
	return rc;
}

/* Copies the environment, compacted, into a new directory
 * dir/pre-migration-v<found>-<UTC time>/, returned in *path (malloc'd)
 * also on failure, for the message. A partial copy is removed. */
static int
backup(kt_store_t *st, const char *dir, uint32_t found, char **path)
{
	char stamp[32], *file = NULL;
	struct tm tm;
	time_t now = time(NULL);
	bool made_dir = false, made_file = false;
	int fd = -1, rc;

	*path = NULL;
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
		return KT_EIO;
	if (asprintf(path, "%s/pre-migration-v%u-%s", dir, (unsigned)found,
	    stamp) < 0) {
		*path = NULL;
		return KT_ENOMEM;
	}
	if (asprintf(&file, "%s/data.mdb", *path) < 0) {
		file = NULL;
		rc = KT_ENOMEM;
		goto out;
	}
	if (mkdir(*path, 0700) != 0) {
		rc = errno == EEXIST ? KT_EEXIST : KT_EIO;
		goto out;
	}
	made_dir = true;
	/* mkdir's mode passes through the umask; the copy is the whole
	 * store, so no one else may read it whatever the umask. */
	if (chmod(*path, 0700) != 0) {
		rc = KT_EIO;
		goto out;
	}
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = KT_EIO;
		goto out;
	}
	made_file = true;
	/* Not mdb_env_copy2 with the path: it creates the file 0666 less
	 * the umask, and the copy must be 0600 like data.mdb. No transaction
	 * of this process is active here (we are inside kt_store_open), so
	 * adopting a size another process persisted is safe. */
	rc = mdb_env_copyfd2(kt_store_env(st), fd, MDB_CP_COMPACT);
	if (rc == MDB_MAP_RESIZED &&
	    mdb_env_set_mapsize(kt_store_env(st), 0) == 0)
		rc = mdb_env_copyfd2(kt_store_env(st), fd, MDB_CP_COMPACT);
	if (rc != 0) {
		rc = rc == ENOSPC ? KT_ENOSPC : KT_EIO;
		goto out;
	}
	if (fsync(fd) != 0) {
		rc = KT_EIO;
		goto out;
	}
	rc = close(fd) == 0 ? 0 : KT_EIO;
	fd = -1;
	if (rc == 0 && (rc = fsync_dir(*path)) == 0)
		rc = fsync_dir(dir);
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && made_file)
		(void)unlink(file);
	if (rc != 0 && made_dir)
		(void)rmdir(*path);
	free(file);
	return rc;
}

/* ---- the steps -------------------------------------------------------- */

typedef struct step_ctx {
	const kt_migrate_step_t *sc_step;
	bool sc_skipped;       /* another process had run it already */
} step_ctx_t;

/* The mutation of one step: check the version, run, write from + 1. */
static int
run_step(kt_store_t *st, MDB_txn *txn, void *arg)
{
	step_ctx_t *c = arg;
	uint32_t v;
	int rc;

	c->sc_skipped = false;  /* may run again after a full map */
	if ((rc = kt_store_schema_get(st, txn, &v)) != 0)
		return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
	if (v > c->sc_step->ms_from) {
		c->sc_skipped = true;
		return 0;
	}
	if (v < c->sc_step->ms_from)
		return KT_ECONFLICT;
	/* The databases the older store lacks, in the step's transaction:
	 * a step that fails leaves none behind. */
	if ((rc = kt_store_create_missing(st, txn)) != 0)
		return rc;
	if ((rc = c->sc_step->ms_fn(st, txn)) != 0)
		return rc;
	return kt_store_schema_put(st, txn, c->sc_step->ms_from + 1);
}

/* ---- the runner ------------------------------------------------------- */

int
kt_migrate_run(kt_store_t *st, const char *dir, uint32_t found,
    uint32_t target, const kt_migrate_step_t *steps, size_t n)
{
	const kt_migrate_step_t *step;
	char *copy = NULL;
	uint32_t v;
	int rc;

	if (found >= target)
		return 0;
	for (v = found; v < target; v++) {
		if (find_step(steps, n, v) == NULL) {
			kt_log(KT_LOG_ERR, "the store in %s has schema "
			    "version %u; this kartotekad has no migration from "
			    "version %u to %u", dir, (unsigned)found,
			    (unsigned)v, (unsigned)v + 1);
			return KT_ESTORE;
		}
	}
	if ((rc = backup(st, dir, found, &copy)) != 0) {
		kt_log(KT_LOG_ERR, "the store in %s has schema version "
		    "%u and needs migrating to %u, but the copy to take first "
		    "could not be written to %s: %s; nothing was changed",
		    dir, (unsigned)found, (unsigned)target,
		    copy != NULL ? copy : dir, kt_strerror(rc));
		goto out;
	}
	kt_log(KT_LOG_NOTICE, "the store in %s has schema version %u, "
	    "this kartotekad uses %u: copied it to %s before migrating",
	    dir, (unsigned)found, (unsigned)target, copy);

	for (v = found; v < target; v++) {
		step_ctx_t c = { .sc_step = find_step(steps, n, v) };

		if ((step = c.sc_step) == NULL) {
			rc = KT_ESTORE; /* checked above: cannot happen */
			goto out;
		}
		rc = kt_store_write_sync(st, run_step, &c);
		if (rc != 0) {
			kt_log(KT_LOG_ERR, "migrating the store in %s "
			    "from schema version %u to %u (%s) failed: %s; it "
			    "stays at version %u, and its copy from before the "
			    "migration is in %s", dir, (unsigned)v,
			    (unsigned)v + 1, step->ms_what ? step->ms_what : "",
			    kt_strerror(rc), (unsigned)v, copy);
			goto out;
		}
		kt_log(KT_LOG_NOTICE, "%s the store in %s from schema "
		    "version %u to %u (%s)",
		    c.sc_skipped ? "another process had migrated" : "migrated",
		    dir, (unsigned)v, (unsigned)v + 1,
		    step->ms_what ? step->ms_what : "");
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

int
kt_migrate_open_ex(kt_store_t **out, const char *dir, int flags,
    const kt_store_opts_t *opts)
{
	kt_store_opts_t o = { 0 };
	const kt_migrate_step_t *steps;
	uint32_t found = 0, target = KT_STORE_SCHEMA;
	size_t nsteps;
	int rc;

	*out = NULL;
	if (opts != NULL)
		o = *opts;
	steps = kt_migrate_table(&nsteps);
	if (o.migrate_steps != NULL) {
		steps = o.migrate_steps;
		nsteps = o.migrate_nsteps;
		target = o.migrate_target;
	}
	o.schema_found = &found;
	rc = kt_store_open_ex(out, dir, (flags & KT_STORE_RDONLY) ? flags :
	    flags | KT_STORE_OLDER, &o);
	if (opts != NULL && opts->schema_found != NULL)
		*opts->schema_found = found;
	if (rc != 0 || found >= target)
		return rc;
	if ((rc = kt_migrate_run(*out, dir, found, target, steps, nsteps)) !=
	    0) {
		kt_store_close(*out);
		*out = NULL;
	}
	return rc;
}

int
kt_migrate_open(kt_store_t **out, const char *dir, int flags)
{
	return kt_migrate_open_ex(out, dir, flags, NULL);
}

int
kt_migrate_open_report(kt_store_t **out, const char *dir, int flags,
    const char *who)
{
	uint32_t found = 0;
	kt_store_opts_t o = { .schema_found = &found };
	char why[512];
	int rc = kt_migrate_open_ex(out, dir, flags, &o);

	if (rc != 0)
		fprintf(stderr, "%s: %s\n", who,
		    kt_store_open_problem(rc, dir, &o, why, sizeof(why)));
	return rc;
}
