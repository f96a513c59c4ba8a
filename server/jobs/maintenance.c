/* SPDX-License-Identifier: MIT */
/* Housekeeping through the writer (maintenance.h). */
#include <stdio.h>
#include <stdlib.h>

#include "kt_error.h"
#include "records.pb-c.h"
#include "jobs/maintenance.h"
#include "log.h"

#define INVITE_KEEP_S KT_MAINTENANCE_INVITE_KEEP_S
#define FAILURE_KEEP_S KT_MAINTENANCE_FAILURE_KEEP_S

typedef struct sweep_job {
	int64_t now;
	kt_sweep_counts_t removed;            /* [out] rows removed */
} sweep_job_t;

/* Deletes every row of dbi that dead() says is dead. */
static int
sweep_db(MDB_txn *txn, MDB_dbi dbi, const ProtobufCMessageDescriptor *desc,
    int (*dead)(const ProtobufCMessage *m, int64_t now), int64_t now,
    size_t *removed)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc, mrc;

	rc = kt_store_err(mdb_cursor_open(txn, dbi, &cur));
	if (rc != 0)
		return rc;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
	    mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL,
		    v.mv_size, v.mv_data);
		int is_dead = m == NULL || dead(m, now);
		if (m)
			protobuf_c_message_free_unpacked(m, NULL);
		if (!is_dead)
			continue;
		rc = kt_store_err(mdb_cursor_del(cur, 0));
		if (rc != 0)
			goto out;
		(*removed)++;
	}
	if (mrc != MDB_NOTFOUND)
		rc = kt_store_err(mrc);
out:
	mdb_cursor_close(cur);
	return rc;
}

static int
session_dead(const ProtobufCMessage *m, int64_t now)
{
	return ((const Ktstore__SessionRecord *)m)->expires_at <= now;
}

static int
invite_dead(const ProtobufCMessage *m, int64_t now)
{
	return ((const Ktstore__InviteRecord *)m)->expires_at + INVITE_KEEP_S
	    <= now;
}

static int
failure_dead(const ProtobufCMessage *m, int64_t now)
{
	const Ktstore__LoginFailureRecord *f = (const void *)m;
	return f->locked_until <= now && now - f->last_failure > FAILURE_KEEP_S;
}

int
kt_maintenance_sweep(kt_store_t *st, MDB_txn *txn, int64_t now,
    kt_sweep_counts_t *out)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	int rc;

	/* A re-run after a map-full retry starts the counts afresh. */
	out->sessions = out->invites = out->failures = 0;
	rc = sweep_db(txn, db->sessions, &ktstore__session_record__descriptor,
	    session_dead, now, &out->sessions);
	if (rc == 0)
		rc = sweep_db(txn, db->invites,
		    &ktstore__invite_record__descriptor, invite_dead, now,
		    &out->invites);
	if (rc == 0)
		rc = sweep_db(txn, db->login_failures,
		    &ktstore__login_failure_record__descriptor, failure_dead,
		    now, &out->failures);
	return rc;
}

static int
sweep_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	sweep_job_t *job = arg;

	return kt_maintenance_sweep(st, txn, job->now, &job->removed);
}

static void
sweep_done(int status, void *arg)
{
	sweep_job_t *job = arg;

	if (status != 0)
		kt_log(KT_LOG_ERR, "housekeeping failed: %s",
		    kt_strerror(status));
	else if (job->removed.sessions + job->removed.invites +
	    job->removed.failures > 0)
		kt_log(KT_LOG_INFO, "housekeeping removed %zu expired "
		    "sessions, %zu old invites, %zu stale login failures",
		    job->removed.sessions, job->removed.invites,
		    job->removed.failures);
	free(job);
}

void
kt_maintenance_run(kt_writer_t *w, int64_t now)
{
	sweep_job_t *job;

	if (w == NULL || (job = calloc(1, sizeof(*job))) == NULL)
		return;
	job->now = now;
	if (kt_writer_submit(w, sweep_mut, sweep_done, job) != 0)
		free(job);
}
