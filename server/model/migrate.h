/* SPDX-License-Identifier: MIT */
/* Schema migrations: the table of steps from each store layout to the
 * next, the runner (backup copy first, then one durable transaction per
 * step), and the open that commands and the server use, which brings an
 * older store to this binary's version before anything else reads it. */
#ifndef KT_MIGRATE_H
#define KT_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "model/store.h"

/* A migration step: rewrites a store at schema version from into the
 * layout of version from + 1, inside txn, a write transaction that the
 * runner commits together with the new version number. The rules of a
 * kt_store_mutation_fn hold: no LMDB pointers kept past the return, and it
 * may run more than once (a full map aborts the transaction, grows the map
 * and runs the step again from scratch).
 * Every database of this binary's kt_store_dbs_t is open (ones new in it
 * were created empty at open), so a step can fill a new database.
 * Returns 0 to commit, or a negative KT_E* code: then nothing of the step
 * is written and the store stays at version from. */
typedef int (*kt_migrate_fn)(kt_store_t *st, MDB_txn *txn);

/* One row of the table. */
typedef struct kt_migrate_step {
	uint32_t ms_from;      /* runs on version ms_from, leaves ms_from + 1 */
	const char *ms_what;   /* what it changes, for the log line */
	kt_migrate_fn ms_fn;
} kt_migrate_step_t;

/* kt_migrate_table returns the built-in steps (the ones that lead to
 * KT_STORE_SCHEMA), in order.
 *   [out] n  number of rows (0 while version 1 is the only one)
 * The table is static: valid for the life of the program. */
const kt_migrate_step_t *kt_migrate_table(size_t *n);

/* kt_migrate_run brings the open store st in dir from schema version
 * found to target, using steps[0..n-1] (one row per version, any order;
 * found < target). kt_migrate_open_ex calls it; tests pass their own
 * table through kt_store_opts_t.
 *
 * First it checks that there is a step for every version from found to
 * target - 1 (else KT_ESTORE, nothing done). Then it writes a compacted
 * copy of the whole environment (mdb_env_copyfd2, MDB_CP_COMPACT) to
 * dir/pre-migration-v<found>-<UTC yyyymmddThhmmssZ>/data.mdb (directory
 * 0700, file 0600, both fsynced) and says so on stderr; a directory of
 * that name that exists already is never overwritten (KT_EEXIST). Then
 * each step runs in its own durable transaction that also writes the new
 * version, with a line on stderr; an interruption leaves the store at the
 * version of the last committed step, and the next open goes on from
 * there. Before each step the version is read again inside the
 * transaction: a step another process has already run is skipped.
 *
 * Returns 0 (the store is at target), KT_ESTORE (no path from found to
 * target, or LMDB), KT_EEXIST (the backup directory exists), KT_EIO (the
 * backup could not be written; nothing was migrated), KT_ECONFLICT (the
 * stored version changed under us to one the table does not expect),
 * KT_ENOSPC, KT_ENOMEM, or the failing step's own code (the store stays at
 * the version before that step; the steps before it stay committed).
 * The calling thread must not hold a transaction of st. */
int kt_migrate_run(kt_store_t *st, const char *dir, uint32_t found,
    uint32_t target, const kt_migrate_step_t *steps, size_t n);

/* kt_migrate_open_ex opens the store in dir as kt_store_open_ex does, and
 * when it is at an older schema version runs the migration
 * (kt_migrate_run, with the built-in table or the one opts names for
 * tests) before handing it out. A read-only open of an older store is
 * refused (KT_ESTATE). opts may be NULL; its schema_found is set as by
 * kt_store_open_ex.
 *   [out] out  the store at this binary's version (kt_store_close)
 * Returns what kt_store_open_ex or kt_migrate_run return. */
int kt_migrate_open_ex(kt_store_t **out, const char *dir, int flags,
    const kt_store_opts_t *opts);

/* kt_migrate_open is kt_migrate_open_ex without options. */
int kt_migrate_open(kt_store_t **out, const char *dir, int flags);

/* kt_migrate_open_report is kt_migrate_open for commands: on failure it
 * prints "<who>: <kt_store_open_problem's sentence>" on stderr.
 * Returns as kt_migrate_open. */
int kt_migrate_open_report(kt_store_t **out, const char *dir, int flags,
    const char *who);

#endif
