/* SPDX-License-Identifier: MIT */
/* Housekeeping through the writer: expired sessions, spent or expired
 * invites and login-failure rows that no longer count are deleted, so the
 * store does not grow with what is already dead. */
#ifndef KT_MAINTENANCE_H
#define KT_MAINTENANCE_H

#include <stddef.h>
#include <stdint.h>

#include "model/store.h"
#include "model/writer.h"

/* How often the server sweeps dead sessions, invites and failure rows. */
#define KT_MAINTENANCE_EVERY_MS (3600u * 1000u)

/* How long after expiry an invite record is kept (the audit keeps the
 * story; the record only answers "already used"/"expired" meanwhile), and
 * how long an unlocked login-failure row counts (ops/auth.c). */
#define KT_MAINTENANCE_INVITE_KEEP_S (7 * 24 * 3600)
#define KT_MAINTENANCE_FAILURE_KEEP_S (24 * 3600)

typedef struct kt_sweep_counts {
	size_t sessions, invites, failures;    /* rows removed */
} kt_sweep_counts_t;

/* Deletes, inside write transaction txn, sessions expired at now, invites
 * expired a week before now, and login-failure rows neither locked nor
 * touched for a day. Returns 0, KT_ESTORE, KT_ENOSPC. */
int kt_maintenance_sweep(kt_store_t *st, MDB_txn *txn, int64_t now,
    kt_sweep_counts_t *out);

/* Queues one sweep on writer w (NULL: nothing); what it removed is logged
 * on stderr when it is done. */
void kt_maintenance_run(kt_writer_t *w, int64_t now);

#endif
