/* SPDX-License-Identifier: MIT */
/* Tasks and promises in the store (DESIGN §5): TaskRecords by id in
 * "tasks", versioned, and their index "task_ix" kept in step inside the
 * same write transaction; range scans of a user's or a branch's tasks by
 * due time; and the steps of a client's purge and merge and of a user's
 * offboarding; and who may see a task (kt_task_visible_to). Who may
 * assign and change one is the ops' business (server/ops/task.c).
 *
 * The kinds of keys in task_ix (values are empty):
 *   'a' || assignee BE64 || state || due_at BE64 || id BE64   (26 bytes)
 *   'b' || branch BE64   || state || due_at BE64 || id BE64   (26 bytes)
 *   'c' || client BE64   || id BE64                            (17 bytes)
 * state is 0 for an open task and 1 for a done one, so a user's open
 * tasks are one range in due order: overdue and today's are its start.
 * Tasks without a client have no 'c' key. */
#ifndef KT_TASK_STORE_H
#define KT_TASK_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "model/store.h"
#include "records.pb-c.h"

#define KT_TASK_IX_ASSIGNEE 'a'
#define KT_TASK_IX_BRANCH 'b'
#define KT_TASK_IX_CLIENT 'c'

#define KT_TASK_TITLE_MAX 300u       /* bytes of a title */
#define KT_TASK_KEY_LEN 26u          /* an 'a' or 'b' key */
/* The position of a scan: state || due_at BE64 || id BE64 (the end of an
 * 'a' or 'b' key after its kind and scope). */
#define KT_TASK_POS_LEN 17u

/* kt_task_get reads task id. [out] *out is unpacked with the default
 * allocator; the caller frees it with ktstore__task_record__free_unpacked.
 * Returns 0, KT_ENOTFOUND, KT_ESTORE, KT_EPROTO. */
int kt_task_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    Ktstore__TaskRecord **out);

/* kt_task_add stores rec as a new task: sets rec->id (counter "task"),
 * rec->version = 1, and its index keys. rec stays the caller's. Write
 * transaction. Returns 0, KT_ENOSPC, KT_ESTORE, KT_ENOMEM. */
int kt_task_add(kt_store_t *st, MDB_txn *txn, Ktstore__TaskRecord *rec);

/* kt_task_put stores rec, a changed copy of the stored old (same id):
 * sets rec->version = old->version + 1 and moves the index keys from
 * old's to rec's. Both stay the caller's. Write transaction. Returns 0,
 * KT_EINVAL (ids differ), KT_ENOSPC, KT_ESTORE, KT_ENOMEM. */
int kt_task_put(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__TaskRecord *old, Ktstore__TaskRecord *rec);

/* A scan's callback: t is valid only during the call; pos is t's scan
 * position (KT_TASK_POS_LEN bytes, for a cursor). Return 0 to go on, 1
 * to stop, or a negative KT_E* code to stop with that code. */
typedef int (*kt_task_fn)(const Ktstore__TaskRecord *t, const uint8_t *pos,
    void *arg);

/* What a scan walks: the tasks under kind (KT_TASK_IX_ASSIGNEE or
 * KT_TASK_IX_BRANCH) and scope (the user or branch id), open ones (done
 * 0) or done ones (done 1), with due_from <= due_at < due_to, in due
 * order, after the position after (KT_TASK_POS_LEN bytes, NULL: from the
 * start). */
typedef struct kt_task_range {
	uint8_t kind;
	uint64_t scope;
	int done;
	int64_t due_from, due_to;    /* due_to 0: no end */
	const uint8_t *after;
} kt_task_range_t;

/* kt_task_scan calls fn for each task in range. Any transaction.
 * Returns 0 (or 1 when fn stopped), fn's error, KT_ESTORE, KT_EPROTO,
 * KT_EINVAL (an unknown kind). */
int kt_task_scan(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_task_range_t *range, kt_task_fn fn, void *arg);

/* kt_task_pos writes t's scan position into pos. */
void kt_task_pos(const Ktstore__TaskRecord *t, uint8_t pos[static
    KT_TASK_POS_LEN]);

/* 1 when user u sees task t: the owner every task; a head those of its
 * branches; anyone those assigned to it or written by it; and nobody one
 * about a client u cannot see (kt_cstore_visible_to). Inside txn. */
struct kt_user;
int kt_task_visible_to(MDB_txn *txn, const kt_store_dbs_t *db,
    const struct kt_user *u, const Ktstore__TaskRecord *t);

/* ---- the steps of other changes ------------------------------------------- */

/* kt_task_purge_client deletes every task of client (a purge). Write
 * transaction. [out] *n tasks deleted. Returns 0, KT_ENOSPC, KT_ESTORE,
 * KT_EPROTO, KT_ENOMEM. */
int kt_task_purge_client(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t client, size_t *n);

/* kt_task_move_client gives every task of client from to client into (a
 * merge), in into's branch (branch: into's card's), at time now. Write
 * transaction. [out] *n tasks moved. Returns as kt_task_purge_client. */
int kt_task_move_client(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t from, uint64_t into, uint64_t branch, int64_t now, size_t *n);

/* kt_task_offboard gives the open tasks assigned to leaver to user to
 * (offboarding, DESIGN §7), at time now. Write transaction. [out] *n
 * tasks given. Returns as kt_task_purge_client. */
int kt_task_offboard(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t leaver,
    uint64_t to, int64_t now, size_t *n);

#endif
