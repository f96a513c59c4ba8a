/* SPDX-License-Identifier: MIT */
/* A backup of the server's data directory into the encrypted backup file
 * (common/backup_file.h) and back: the server's key files and a compacted
 * consistent copy of the store. What `kartoteka backup`, the scheduled
 * backups and `kartotekad restore` will share (issue 10); none of it runs
 * on the loop. */
#ifndef KT_JOBS_BACKUP_H
#define KT_JOBS_BACKUP_H

#include <stddef.h>

#include "backup_file.h"
#include "model/store.h"

/* The files of a backup, in the order they are written: the key files,
 * then the store. A restore takes these names and no others. */
#define KT_BACKUP_STORE_FILE "data.mdb"

/* kt_backup_make writes the key files of data directory dir and a
 * compacted copy of st (mdb_env_copyfd2 with MDB_CP_COMPACT, a
 * consistent read of the store while it serves: the copy is written by a
 * thread of its own into a pipe and streamed from it, never held whole)
 * into w, then w's end. Any thread but the loop; SIGPIPE must be
 * ignored (kartotekad's main does), since a failing w closes the pipe
 * under the copy.
 * The work runs in threads of its own at KT_BACKUP_NICE lower CPU
 * priority (setpriority), so views and writes keep their latency while
 * a backup runs; the calling thread waits for it.
 * Returns 0, KT_EIO (a key file or the pipe), KT_ESTORE (the copy),
 * KT_ENOMEM, or w's write code; w is not closed on an error. */
#define KT_BACKUP_NICE 10
int kt_backup_make(kt_store_t *st, const char *dir, kt_backup_writer_t *w);

/* kt_backup_restore reads r to its end into directory dir (created, or
 * existing and empty): every file is written under a temporary name with
 * mode 0600 and renamed only once the end has been read and
 * authenticated, so a wrong passphrase, a damaged or cut file leaves dir
 * as it was. Unknown or repeated file names, a key file of the wrong
 * size and a backup without the store are refused.
 *   [out] why  on an error, cap bytes for a person
 * Returns 0, KT_EEXIST (dir holds files), KT_EIO, KT_ECRYPTO,
 * KT_EPROTO, KT_ENOMEM. */
int kt_backup_restore(kt_backup_reader_t *r, const char *dir, char *why,
    size_t cap);

/* ---- the first start after a restore ------------------------------------- */

/* The meta key a restore leaves (its audit detail as the value) for the
 * server's first start to raise the owner's alert with. */
#define KT_BACKUP_RESTORED_KEY "restored"

/* kt_backup_mark_restored leaves the mark with detail (the restore's
 * "restored from the backup of DATE, sequence N"), inside txn. Returns 0,
 * KT_ENOSPC, KT_ESTORE. */
int kt_backup_mark_restored(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *detail);

/* kt_backup_restored_alert, a writer mutation's body: when the mark is
 * there, raises the alert store.restored with its detail and removes it,
 * in txn, so it is raised once. [out] detail (cap bytes) gets the mark's
 * text, "" when there was none. Returns 0, KT_ENOSPC, KT_ESTORE. */
int kt_backup_restored_alert(kt_store_t *st, MDB_txn *txn, char *detail,
    size_t cap);

/* ---- scheduled backups (kartotekad run --backup-dir) ---------------------- */

/* A scheduled backup's file: kartoteka-YYYYMMDD-HHMMSS.ktb (UTC), so
 * names sort by time; written as NAME.part and renamed when complete. */
#define KT_BACKUP_PREFIX "kartoteka-"
#define KT_BACKUP_SUFFIX ".ktb"

/* What kt_backup_to_dir did. */
typedef struct kt_backup_result {
	int rc;                       /* 0 or a KT_E* code */
	char file[4096];              /* the new backup's path ("" on error) */
	long long bytes;
	unsigned removed;             /* older backups past keep */
	char why[256];                /* on an error, for the log and alert */
} kt_backup_result_t;

/* kt_backup_to_dir writes a backup of st (data directory data) with
 * passphrase pass into directory dir at time now, then removes the
 * oldest of dir's scheduled backups beyond keep (files named as above;
 * nothing else in dir is touched). A thread of the pool: it blocks for
 * the whole copy. Never fails silently: res says what happened. */
void kt_backup_to_dir(kt_store_t *st, const char *data, const char *dir,
    unsigned keep, const char *pass, size_t passlen, int64_t now,
    kt_backup_result_t *res);

/* The time (unix seconds) of dir's newest scheduled backup, from its
 * name; 0 when there is none. */
int64_t kt_backup_newest(const char *dir);

#endif
